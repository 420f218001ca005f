package eventglue_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// byoKeyArns are the keys the BYO stack supplies, by prop name.
var byoKeyArns = map[string]string{
	"LogKey":     "arn:aws:kms:eu-west-1:111122223333:key/4e4e4e4e-1111-2222-3333-444455556666",
	"QueueKey":   "arn:aws:kms:eu-west-1:111122223333:key/5e5e5e5e-1111-2222-3333-444455556666",
	"BusKey":     "arn:aws:kms:eu-west-1:111122223333:key/6e6e6e6e-1111-2222-3333-444455556666",
	"ArchiveKey": "arn:aws:kms:eu-west-1:111122223333:key/7e7e7e7e-1111-2222-3333-444455556666",
	"AlarmKey":   "arn:aws:kms:eu-west-1:111122223333:key/8e8e8e8e-1111-2222-3333-444455556666",
	"CatalogKey": "arn:aws:kms:eu-west-1:111122223333:key/9e9e9e9e-1111-2222-3333-444455556666",
}

// TestBringYourOwn: on an existing VPC whose endpoints all exist, existing
// buckets and every key supplied, the glue creates no VPC, subnet,
// endpoint, bucket or key; each resource is encrypted with the key
// supplied for it, and its handlers read the lab's buckets under the run
// rules' prefixes, with the lab's key.
func TestBringYourOwn(t *testing.T) {
	f := load(t)
	tpl := f.tpl["BYO"]
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	var docs string
	for id, r := range tpl.Resources {
		switch r.Type {
		case "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::VPCEndpoint", "AWS::S3::Bucket", "AWS::KMS::Key":
			t.Errorf("the BYO stack creates a %s (%s)", r.Type, id)
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			docs += js(r.Properties["PolicyDocument"])
		case "AWS::Lambda::Function":
			if got := js(get(r.Properties, "VpcConfig", "SubnetIds")); !strings.Contains(got, cdktest.BYOSubnetA) {
				t.Errorf("function %s is not in the lab's subnets: %s", id, got)
			}
		}
	}
	// Each encrypted resource names the key supplied for it.
	keyed := map[string]struct{ prop, key string }{
		"AWS::Logs::LogGroup":   {"KmsKeyId", "LogKey"},
		"AWS::SQS::Queue":       {"KmsMasterKeyId", "QueueKey"},
		"AWS::Events::EventBus": {"KmsKeyIdentifier", "BusKey"},
		"AWS::Events::Archive":  {"KmsKeyIdentifier", "ArchiveKey"},
		"AWS::SNS::Topic":       {"KmsMasterKeyId", "AlarmKey"},
	}
	seen := map[string]int{}
	for id, r := range tpl.Resources {
		k, ok := keyed[r.Type]
		if !ok {
			continue
		}
		seen[r.Type]++
		if got := js(r.Properties[k.prop]); !strings.Contains(got, byoKeyArns[k.key]) {
			t.Errorf("%s %s is not encrypted with the supplied %s: %s", r.Type, id, k.key, got)
		}
	}
	for typ := range keyed {
		if seen[typ] == 0 {
			t.Errorf("the BYO stack has no %s", typ)
		}
	}
	if _, table := f.res(t, "BYO", "EventGlue/Catalog"); !strings.Contains(js(get(table.Properties, "SSESpecification", "KMSMasterKeyId")), byoKeyArns["CatalogKey"]) {
		t.Errorf("the catalog table is not encrypted with the supplied CatalogKey: %s", js(table.Properties["SSESpecification"]))
	}
	for _, want := range []string{`arn:aws:s3:::lab-raw/runs/*`, `arn:aws:s3:::lab-partner/accepted/*`, `arn:aws:s3:::lab-curated/`, cdktest.BYODataKeyArn} {
		if !strings.Contains(docs, want) {
			t.Errorf("policies lack %s", want)
		}
	}
}

package eventglue_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

const byoLogKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/4e4e4e4e-1111-2222-3333-444455556666"

// TestBringYourOwn: on an existing VPC whose endpoints all exist, existing
// buckets and a supplied log key, the glue creates no VPC, subnet,
// endpoint, bucket or data key; its handlers read the lab's buckets under
// the run rules' prefixes, with the lab's key.
func TestBringYourOwn(t *testing.T) {
	f := load(t)
	tpl := f.tpl["BYO"]
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	var docs string
	for id, r := range tpl.Resources {
		switch r.Type {
		case "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::VPCEndpoint", "AWS::S3::Bucket":
			t.Errorf("the BYO stack creates a %s (%s)", r.Type, id)
		case "AWS::KMS::Key":
			// The glue's own keys (bus, queues, catalog, ...) stay; no
			// data or log key is created.
			if strings.Contains(id, "LogKey") || strings.Contains(id, "DataKey") {
				t.Errorf("the BYO stack creates %s", id)
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			docs += js(r.Properties["PolicyDocument"])
		case "AWS::Lambda::Function":
			if got := js(get(r.Properties, "VpcConfig", "SubnetIds")); !strings.Contains(got, cdktest.BYOSubnetA) {
				t.Errorf("function %s is not in the lab's subnets: %s", id, got)
			}
		case "AWS::Logs::LogGroup":
			if got := js(r.Properties["KmsKeyId"]); !strings.Contains(got, byoLogKeyArn) {
				t.Errorf("log group %s is not encrypted with the supplied key: %s", id, got)
			}
		}
	}
	for _, want := range []string{`arn:aws:s3:::lab-raw/runs/*`, `arn:aws:s3:::lab-partner/accepted/*`, `arn:aws:s3:::lab-curated/`, cdktest.BYODataKeyArn} {
		if !strings.Contains(docs, want) {
			t.Errorf("policies lack %s", want)
		}
	}
}

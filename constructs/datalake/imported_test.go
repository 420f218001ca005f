package datalake_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/validation"
)

const labKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/0f0f0f0f-1111-2222-3333-444455556666"

func TestFromBucketsValidate(t *testing.T) {
	_, stack := cdktest.NewStack("Stack")
	raw := awss3.Bucket_FromBucketName(stack, jsii.String("Raw"), jsii.String("lab-raw"))
	cases := []struct {
		name  string
		props *datalake.FromBucketsProps
		want  []string
	}{
		{"nil props", nil, []string{"Stack/Lake: FromBucketsProps is nil"}},
		{"no buckets", &datalake.FromBucketsProps{}, []string{"FromBucketsProps.Buckets is {}", "at least one bucket"}},
		{"unknown bucket", &datalake.FromBucketsProps{Buckets: map[datalake.BucketName]datalake.BucketRef{"logs": {Bucket: raw}}},
			[]string{`FromBucketsProps.Buckets["logs"] is "logs"`, "one of raw, partner"}},
		{"nil bucket", &datalake.FromBucketsProps{Buckets: map[datalake.BucketName]datalake.BucketRef{datalake.BucketRaw: {}}},
			[]string{`FromBucketsProps.Buckets["raw"].Bucket is nil`}},
		{"plan without role", &datalake.FromBucketsProps{Buckets: map[datalake.BucketName]datalake.BucketRef{datalake.BucketRaw: {Bucket: raw}},
			BackupRole: awsiam.Role_FromRoleName(stack, jsii.String("BackupRole"), jsii.String("backup"), nil)},
			[]string{"FromBucketsProps.BackupPlan is nil: BackupRole is set", "both set, or both nil"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got any
			func() {
				defer func() { got = recover() }()
				datalake.FromBuckets(stack, "Lake", c.props)
			}()
			err, ok := validation.Recover(got)
			if !ok {
				t.Fatalf("FromBuckets did not panic with a validation error (got %v)", got)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestFromBucketsGrants checks that grants on imported buckets are as narrow
// as on the lake's own: prefix-scoped, the key only where there is one, and
// that nothing is created.
func TestFromBucketsGrants(t *testing.T) {
	_, stack := cdktest.NewStack("Lab")
	key := awskms.Key_FromKeyArn(stack, jsii.String("LabKey"), jsii.String(labKeyArn))
	raw := awss3.Bucket_FromBucketAttributes(stack, jsii.String("Raw"), &awss3.BucketAttributes{
		BucketArn: jsii.String("arn:aws:s3:::lab-raw"), EncryptionKey: key,
	})
	results := awss3.Bucket_FromBucketName(stack, jsii.String("Results"), jsii.String("lab-results"))
	lake := datalake.FromBuckets(stack, "Lake", &datalake.FromBucketsProps{Buckets: map[datalake.BucketName]datalake.BucketRef{
		datalake.BucketRaw:     {Bucket: raw, Key: key},
		datalake.BucketResults: {Bucket: results}, // SSE-S3: no key
	}})
	var _ datalake.ILake = lake
	role := awsiam.NewRole(stack, jsii.String("Pipeline"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil)})
	lake.GrantRead(role, datalake.BucketRaw, "runs")
	lake.GrantWrite(role, datalake.BucketResults, "rnaseq/")

	if !lake.Has(datalake.BucketRaw) || lake.Has(datalake.BucketPartner) {
		t.Errorf("Has(raw) = %v, Has(partner) = %v; want true, false", lake.Has(datalake.BucketRaw), lake.Has(datalake.BucketPartner))
	}
	if n := len(lake.DataBuckets()); n != 2 {
		t.Errorf("DataBuckets() has %d, want 2 (raw, results)", n)
	}
	if plan, r := lake.Backup(); plan != nil || r != nil {
		t.Error("Backup() of a lake imported without a plan is not nil")
	}
	msg, panicked := cdktest.Catch(func() { lake.GrantRead(role, datalake.BucketPartner, "") })
	if !panicked || !strings.Contains(msg, `Lab/Lake: GrantRead(bucket) is "partner"`) || !strings.Contains(msg, "one of the buckets given: raw, results") {
		t.Errorf("GrantRead on an absent bucket: panicked %v with %q", panicked, msg)
	}
	err := datalake.RequireBuckets("Lab/Transfer", "Props.Lake", lake, datalake.BucketRaw, datalake.BucketPartner)
	if err == nil || !strings.Contains(err.Error(), `Lab/Transfer: Props.Lake is "Lab/Lake": the lake has no "partner" bucket`) {
		t.Errorf("RequireBuckets = %v", err)
	}

	tpl := cdktest.Template(t, stack)
	for _, typ := range []string{"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Backup::BackupPlan", "AWS::Backup::BackupSelection"} {
		cdktest.Count(t, tpl, typ, 0)
	}
	var doc string
	for _, p := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
		b, _ := json.Marshal(p["Properties"].(map[string]any)["PolicyDocument"])
		doc += string(b)
	}
	for _, want := range []string{
		`"Resource":"arn:aws:s3:::lab-raw/runs/*"`,
		`"s3:prefix":["runs/","runs/*"]`,
		`"Resource":"` + labKeyArn + `"`,
		`"kms:Decrypt"`,
		`lab-results/rnaseq/*`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("policy lacks %s:\n%s", want, doc)
		}
	}
	for _, not := range []string{`lab-raw/*"`, `"kms:GenerateDataKey"`, `"s3:*"`, `"kms:*"`} {
		if strings.Contains(doc, not) {
			t.Errorf("policy has %s (too broad, or a key for a bucket without one):\n%s", not, doc)
		}
	}
}

package lustre_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"

	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/validation"
)

// FSx's S3-access service-linked roles must be able to use the data key
// through S3 for the linked buckets, in both modes
// (https://docs.aws.amazon.com/fsx/latest/LustreGuide/s3-server-side-encryption-support.html).
// A statement naming the account root only delegates to IAM and grants the
// service-linked role nothing, so the grant must name the role by
// aws:PrincipalArn with a principal that a key policy can hold before the
// role exists ("*", narrowed by account, service and caller ARN).
func TestS3AccessRolesMayUseTheDataKey(t *testing.T) {
	f := load(t)
	for stack, keyStack := range map[string]string{"Persistent": "Persistent", "Compute": "Lake", "PerRun": "PerRun", "Scratch": "Scratch"} {
		found := false
		for _, k := range f.OfTypeByID(keyStack, "AWS::KMS::Key", "") {
			for _, s := range cdktest.Statements(k.Properties["KeyPolicy"]) {
				b, _ := json.Marshal(s)
				doc := string(b)
				if !strings.Contains(doc, "s3.data-source.lustre.fsx.amazonaws.com") {
					continue
				}
				if strings.Contains(doc, ":root") {
					t.Errorf("%s: the FSx statement names the account root, which only delegates to IAM: %s", stack, doc)
				}
				if p := cdktest.Get(s, "Principal", "AWS"); js(p) != `["*"]` {
					t.Errorf("%s: principal %s, want \"*\" narrowed by conditions", stack, js(p))
				}
				for _, want := range []string{`"kms:CallerAccount"`, `"kms:ViaService":"s3.`, `"aws:PrincipalArn"`, lustre.S3AccessRolePrefix + "*"} {
					if !strings.Contains(doc, want) {
						t.Errorf("%s: the FSx statement lacks %s: %s", stack, want, doc)
					}
				}
				for _, a := range []string{"kms:Decrypt", "kms:GenerateDataKey*"} {
					if !cdktest.HasAction(s, a) {
						t.Errorf("%s: the FSx statement lacks %s: %s", stack, a, doc)
					}
				}
				found = true
			}
		}
		if !found {
			t.Errorf("%s: the data key of %s has no statement for FSx's S3-access roles", stack, keyStack)
		}
	}
}

// The per-run policy holds CreateFileSystem's dependent EC2 look-ups and
// the service-linked role creation scoped to FSx's roles.
func TestRunPolicyHasCreateFileSystemDependencies(t *testing.T) {
	f := load(t)
	var pol resource
	for id, r := range f.ofType("PerRun", "AWS::IAM::ManagedPolicy") {
		if strings.HasPrefix(id, "LustreRunPolicy") {
			pol = r
		}
	}
	if pol.Properties == nil {
		t.Fatal("no LustreRunPolicy")
	}
	have := map[string]bool{}
	for _, s := range cdktest.Statements(pol.Properties["PolicyDocument"]) {
		for _, a := range s["Action"].([]any) {
			have[a.(string)] = true
		}
		if cdktest.HasAction(s, "iam:CreateServiceLinkedRole") && !strings.Contains(js(s["Condition"]), "iam:AWSServiceName") {
			t.Errorf("iam:CreateServiceLinkedRole without iam:AWSServiceName: %s", js(s))
		}
	}
	for _, a := range []string{"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeVpcs", "ec2:DescribeNetworkInterfaces", "iam:CreateServiceLinkedRole"} {
		if !have[a] {
			t.Errorf("the per-run policy lacks %s", a)
		}
	}
}

// GrantRunWorkflow returns a successful Grant on a role, and refuses a
// persistent construct with a validation error naming it.
func TestGrantRunWorkflow(t *testing.T) {
	f := load(t)
	if f.runGrant == nil || !*f.runGrant.Success() {
		t.Errorf("GrantRunWorkflow on a role: grant not successful")
	}
	var err error
	func() {
		defer func() { err, _ = validation.Recover(recover()) }()
		f.l["Persistent"].GrantRunWorkflow(awsiam.NewAccountRootPrincipal())
	}()
	var ve *validation.Error
	if !errors.As(err, &ve) || ve.Field != "GrantRunWorkflow" || !strings.Contains(ve.Path, "Persistent/Lustre") {
		t.Errorf("GrantRunWorkflow on a persistent construct: %v", err)
	}
}

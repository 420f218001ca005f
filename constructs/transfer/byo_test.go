package transfer_test

import (
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// TestBringYourOwn: on an existing VPC, existing buckets and supplied keys
// (log and password-secret keys) the server creates none of them, its
// policies name the imported ARNs, scoped to the partner bucket's
// quarantine/ prefix, and the secret it creates uses the supplied key.
func TestBringYourOwn(t *testing.T) {
	f := load(t)
	tpl := f.tpl["BYO"]
	for _, r := range tpl.Resources {
		switch r.Type {
		case "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::EC2::VPCEndpoint":
			t.Errorf("the BYO stack creates a %s", r.Type)
		}
	}
	_, server := f.res(t, "BYO", "PartnerTransfer/Server")
	if got := asJSON(get(server.Properties, "EndpointDetails")); !strings.Contains(got, cdktest.BYOVpcID) || !strings.Contains(got, cdktest.BYOSubnetA) {
		t.Errorf("server endpoint is not in the lab's VPC and subnets: %s", got)
	}
	_, policy := f.res(t, "BYO", "PartnerTransfer/AccessPolicy")
	doc := asJSON(policy.Properties["PolicyDocument"])
	for _, want := range []string{
		`arn:aws:s3:::lab-partner/quarantine/*`,
		`"Resource":"arn:aws:s3:::lab-partner"`,
		cdktest.BYODataKeyArn,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("access policy lacks %s:\n%s", want, doc)
		}
	}
	if strings.Contains(doc, `lab-partner/*"`) {
		t.Errorf("access policy is not scoped to quarantine/:\n%s", doc)
	}
	_, secret := f.res(t, "BYO", "PartnerTransfer/Partners/beta")
	if got := asJSON(secret.Properties["KmsKeyId"]); got != `"`+byoSecretKeyArn+`"` {
		t.Errorf("the created secret is not encrypted with the supplied PasswordSecretKey: %s", got)
	}
	if srv := f.servers["BYO"]; srv.SecretKey == nil || *srv.SecretKey.KeyArn() != byoSecretKeyArn {
		t.Errorf("Server.SecretKey is not the supplied PasswordSecretKey")
	}
	var idp string
	for _, r := range tpl.Resources {
		if r.Type == "AWS::IAM::Policy" && strings.Contains(asJSON(r.Properties), "DecryptCreatedSecrets") {
			idp = asJSON(r.Properties["PolicyDocument"])
		}
	}
	if !strings.Contains(idp, `"Resource":"`+byoSecretKeyArn+`"`) {
		t.Errorf("the identity provider may not decrypt the created secret with the supplied key: %s", idp)
	}
	_, logs := f.res(t, "BYO", "PartnerTransfer/LogGroup")
	if got := asJSON(logs.Properties["KmsKeyId"]); !strings.Contains(got, byoLogKeyArn) {
		t.Errorf("log group is not encrypted with the supplied key: %s", got)
	}
}

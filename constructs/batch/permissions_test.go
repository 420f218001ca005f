package batch_test

import (
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// The volume key must be creatable in a fresh account: its policy may not
// name the Auto Scaling service-linked role (which does not exist until
// Auto Scaling first needs it, and KMS refuses a policy naming a missing
// principal), and must still let EC2 use it for the instances Auto Scaling
// launches: the kms:ViaService ec2 and kms:CallerAccount form of AWS's own
// EBS key, grants only for AWS resources.
func TestVolumeKeyWorksInAFreshAccount(t *testing.T) {
	load(t)
	for name, tp := range map[string]map[string]any{"Hpc": hpc, "HpcFsx": hpcFsx} {
		var found, grants bool
		for id, k := range ofType(tp, "AWS::KMS::Key") {
			if !strings.HasPrefix(id, "HpcVolumeKey") {
				continue
			}
			found = true
			for _, s := range cdktest.Statements(cdktest.Get(k, "Properties", "KeyPolicy")) {
				doc := js(s)
				if strings.Contains(doc, "aws-service-role") {
					t.Errorf("%s: the volume key names a service-linked role: %s", name, doc)
				}
				// Allow statements only: every key's Deny of grants not for
				// AWS services (CT.KMS.PR.3) is open to "*" by design.
				if js(cdktest.Get(s, "Principal", "AWS")) != `["*"]` || cdktest.Get(s, "Effect") == "Deny" {
					continue
				}
				for _, want := range []string{`"kms:CallerAccount"`, `"kms:ViaService":"ec2.`} {
					if !strings.Contains(doc, want) {
						t.Errorf("%s: statement open to \"*\" without %s: %s", name, want, doc)
					}
				}
				if cdktest.HasAction(s, "kms:CreateGrant") {
					grants = true
					if !strings.Contains(doc, `"kms:GrantIsForAWSResource":true`) {
						t.Errorf("%s: CreateGrant not limited to AWS resources: %s", name, doc)
					}
				}
				for _, a := range []string{"kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom"} {
					if !cdktest.HasAction(s, a) && !cdktest.HasAction(s, "kms:CreateGrant") {
						t.Errorf("%s: EC2's statement lacks %s: %s", name, a, doc)
					}
				}
			}
		}
		if !found || !grants {
			t.Errorf("%s: no volume key (%v) or no CreateGrant through EC2 (%v)", name, found, grants)
		}
	}
}

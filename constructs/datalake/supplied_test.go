package datalake_test

import (
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// suppliedKeys are the keys the Supplied and SuppliedReplica stacks
// supply, by prop name.
var suppliedKeys = map[string]string{
	"DataKey":      "arn:aws:kms:us-east-1:111111111111:key/1d1d1d1d-1111-2222-3333-444455556666",
	"AnalyticsKey": "arn:aws:kms:us-east-1:111111111111:key/2d2d2d2d-1111-2222-3333-444455556666",
	"BackupKey":    "arn:aws:kms:us-east-1:111111111111:key/3d3d3d3d-1111-2222-3333-444455556666",
	"Replica":      "arn:aws:kms:eu-west-2:111111111111:key/4d4d4d4d-1111-2222-3333-444455556666",
}

// TestSuppliedKeys: with every key supplied, neither the lake nor its
// replica creates a key; each bucket, the backup vault and the replica's
// alias name the key supplied for them.
func TestSuppliedKeys(t *testing.T) {
	f := getFixture(t)
	for _, stack := range []string{"Supplied", "SuppliedReplica"} {
		for id := range cdktest.Resources(t, f.tpl[stack], "AWS::KMS::Key") {
			t.Errorf("%s creates a key (%s)", stack, id)
		}
	}
	buckets := cdktest.Resources(t, f.tpl["Supplied"], "AWS::S3::Bucket")
	for name, logical := range bucketsByName(t, f.tpl["Supplied"], "DataLake") {
		want := suppliedKeys["DataKey"]
		if name == datalake.BucketAnalytics {
			want = suppliedKeys["AnalyticsKey"]
		}
		if got := js(props(buckets[logical])["BucketEncryption"]); !strings.Contains(got, `"KMSMasterKeyID":"`+want+`"`) {
			t.Errorf("bucket %s is not encrypted with %s: %s", name, want, got)
		}
	}
	vaults := cdktest.Resources(t, f.tpl["Supplied"], "AWS::Backup::BackupVault")
	if len(vaults) != 1 {
		t.Fatalf("Supplied has %d backup vaults, want 1", len(vaults))
	}
	for id, v := range vaults {
		if got := js(props(v)["EncryptionKeyArn"]); got != `"`+suppliedKeys["BackupKey"]+`"` {
			t.Errorf("vault %s is not encrypted with the supplied BackupKey: %s", id, got)
		}
	}
	for id, a := range cdktest.Resources(t, f.tpl["SuppliedReplica"], "AWS::KMS::Alias") {
		if got := js(props(a)["TargetKeyId"]); got != `"`+suppliedKeys["Replica"]+`"` {
			t.Errorf("alias %s does not point at the supplied replica key: %s", id, got)
		}
	}
	replica := cdktest.Resources(t, f.tpl["SuppliedReplica"], "AWS::S3::Bucket")
	found := false
	for id, b := range replica {
		if strings.Contains(id, "AccessLogs") {
			continue
		}
		found = true
		if got := js(props(b)["BucketEncryption"]); !strings.Contains(got, suppliedKeys["Replica"]) {
			t.Errorf("replica bucket %s is not encrypted with the supplied key: %s", id, got)
		}
	}
	if !found {
		t.Error("SuppliedReplica has no replica bucket")
	}
	if *f.suppliedReplica.Key.KeyArn() != suppliedKeys["Replica"] {
		t.Errorf("Replica.Key is %s, want the supplied key", *f.suppliedReplica.Key.KeyArn())
	}
}

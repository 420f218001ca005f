package test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/biolake/biolake/config"
)

// dataLakeBuckets are the logical-id prefixes of the data lake's buckets;
// the first five are the data buckets (EventBridge, inventory, analysis,
// backup, CloudTrail data events).
var dataLakeBuckets = []string{"DataLakeRaw", "DataLakePartner", "DataLakeShared", "DataLakeCurated", "DataLakeResults", "DataLakeAthenaResults", "DataLakeAnalytics"}

func isDataBucket(prefix string) bool {
	for _, p := range dataLakeBuckets[:5] {
		if p == prefix {
			return true
		}
	}
	return false
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestDataLakePerEnvironment checks each bucket of each environment's data
// lake: customer-managed encryption, public-access block, versioning,
// TLS-only policy, access logging, lifecycle with abort of incomplete
// uploads, inventory and storage class analysis, Object Lock mode from
// config, EventBridge, backup selection, trail data events.
func TestDataLakePerEnvironment(t *testing.T) {
	s := synthAll(t)
	for _, env := range s.Envs {
		cfg, err := config.Load("../environments", env)
		if err != nil {
			t.Fatal(err)
		}
		lake := s.Stack(t, env, "DataLake")
		buckets := lake.Resources("AWS::S3::Bucket")
		policies := asJSON(lake.Resources("AWS::S3::BucketPolicy"))
		found := map[string]string{} // prefix -> logical id
		for id, b := range buckets {
			prefix := ""
			for _, p := range dataLakeBuckets {
				if strings.HasPrefix(id, p) && len(id) == len(p)+8 {
					prefix = p
				}
			}
			if prefix == "" {
				t.Errorf("%s: unexpected bucket %s", lake.Name, id)
				continue
			}
			found[prefix] = id
			p := Props(b)
			where := env + "/" + prefix
			enc := asJSON(p["BucketEncryption"])
			if !strings.Contains(enc, `"aws:kms"`) || !strings.Contains(enc, `"KMSMasterKeyID"`) || !strings.Contains(enc, `"BucketKeyEnabled":true`) {
				t.Errorf("%s: not SSE-KMS with a customer-managed key and bucket key: %s", where, enc)
			}
			if pab := asJSON(p["PublicAccessBlockConfiguration"]); strings.Count(pab, "true") != 4 {
				t.Errorf("%s: public access block %s", where, pab)
			}
			if v := asJSON(p["VersioningConfiguration"]); v != `{"Status":"Enabled"}` {
				t.Errorf("%s: versioning %s", where, v)
			}
			if l := asJSON(p["LoggingConfiguration"]); !strings.Contains(l, "DestinationBucketName") {
				t.Errorf("%s: no server access logging: %s", where, l)
			}
			if lc := asJSON(p["LifecycleConfiguration"]); !strings.Contains(lc, `"AbortIncompleteMultipartUpload"`) {
				t.Errorf("%s: lifecycle lacks abort of incomplete uploads: %s", where, lc)
			}
			if b["DeletionPolicy"] != "Retain" {
				t.Errorf("%s: DeletionPolicy %v", where, b["DeletionPolicy"])
			}
			if !strings.Contains(policies, `{"Ref":"`+id+`"}`) {
				t.Errorf("%s: no bucket policy", where)
			}
			if !isDataBucket(prefix) {
				continue
			}
			if ev := asJSON(p["NotificationConfiguration"]); ev != `{"EventBridgeConfiguration":{"EventBridgeEnabled":true}}` {
				t.Errorf("%s: EventBridge %s", where, ev)
			}
			inv := asJSON(p["InventoryConfigurations"])
			for _, want := range []string{`"Format":"Parquet"`, `"ScheduleFrequency":"Daily"`, `"IncludedObjectVersions":"All"`, "ChecksumAlgorithm", "EncryptionStatus", "ObjectLockMode", "IntelligentTieringAccessTier", "StorageClass", "ETag", "Size", "LastModifiedDate"} {
				if !strings.Contains(inv, want) {
					t.Errorf("%s: inventory lacks %s: %s", where, want, inv)
				}
			}
			if a := asJSON(p["AnalyticsConfigurations"]); !strings.Contains(a, "StorageClassAnalysis") || !strings.Contains(a, `"Format":"CSV"`) {
				t.Errorf("%s: no storage class analysis export: %s", where, a)
			}
		}
		if len(found) != len(dataLakeBuckets) {
			t.Errorf("%s: buckets %v, want %v", env, found, dataLakeBuckets)
		}
		// TLS only, in every policy.
		for id, pol := range lake.Resources("AWS::S3::BucketPolicy") {
			doc := asJSON(Props(pol))
			if !strings.Contains(doc, `"aws:SecureTransport":"false"`) || !strings.Contains(doc, `"s3:TlsVersion":1.2`) {
				t.Errorf("%s/%s: not TLS-only: %s", env, id, doc)
			}
		}
		// Object Lock on raw only, in the configured mode.
		for prefix, id := range found {
			lock := asJSON(Props(buckets[id])["ObjectLockConfiguration"])
			if prefix == "DataLakeRaw" {
				want := `"Mode":"` + cfg.DataLake.ObjectLock.Mode + `"`
				if !strings.Contains(lock, want) || !strings.Contains(lock, `"Days":`) {
					t.Errorf("%s: raw Object Lock %s, want %s", env, lock, want)
				}
			} else if lock != "null" {
				t.Errorf("%s/%s: unexpected Object Lock %s", env, prefix, lock)
			}
		}
		// Backup: the selection covers the five data buckets; vault lock as configured.
		sel := asJSON(lake.Resources("AWS::Backup::BackupSelection"))
		for _, p := range dataLakeBuckets[:5] {
			if !strings.Contains(sel, `"`+found[p]+`"`) {
				t.Errorf("%s: backup selection lacks %s", env, p)
			}
		}
		vault := asJSON(lake.Resources("AWS::Backup::BackupVault"))
		if strings.Contains(vault, "LockConfiguration") != cfg.DataLake.Backup.VaultLock {
			t.Errorf("%s: vault lock present = %v, config says %v", env, !cfg.DataLake.Backup.VaultLock, cfg.DataLake.Backup.VaultLock)
		}
		// Replication of raw where configured.
		repl := asJSON(Props(buckets[found["DataLakeRaw"]])["ReplicationConfiguration"])
		if (cfg.DataLake.Replication != nil) != (repl != "null") {
			t.Errorf("%s: raw replication %s, config %+v", env, repl, cfg.DataLake.Replication)
		}
		// CloudTrail records data events on the data buckets.
		if cfg.Audit.CloudTrailEnabled() {
			trail := asJSON(s.Stack(t, env, "Audit").Resources("AWS::CloudTrail::Trail"))
			if n := strings.Count(trail, `"AWS::S3::Object"`); n < 1 || !strings.Contains(trail, "DataLakeRaw") {
				t.Errorf("%s: trail data events do not cover the data buckets: %s", env, trail)
			}
		}
	}
}

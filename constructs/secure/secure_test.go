package secure_test

import (
	"encoding/json"
	"errors"
	"github.com/biolake/biolake/constructs/validation"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/secure"
)

// One stack with every builder, synthesized once.
func TestSecureDefaults(t *testing.T) {
	_, stack := cdktest.NewStack("Secure")
	logs := secure.NewLogBucket(stack, "Logs", nil)
	key := secure.NewKey(stack, "DataKey", &secure.KeyProps{Services: []secure.Service{secure.ServiceLogs, secure.ServiceCloudTrail, secure.ServiceS3Logging}})
	data := secure.NewBucket(stack, "Data", &secure.BucketProps{
		EncryptionKey: key, AccessLogs: logs,
		ObjectLock:        &secure.ObjectLock{Mode: secure.LockCompliance, Days: 90},
		ReplicationReason: "test bucket: replication is exercised elsewhere",
	})
	secure.NewTrail(stack, "Audit", &secure.TrailProps{Key: key, AccessLogs: logs, DataBuckets: []awss3.IBucket{data}, LogRetentionDays: 731})
	tpl := cdktest.Template(t, stack)

	buckets := cdktest.Resources(t, tpl, "AWS::S3::Bucket")
	if len(buckets) != 3 { // log, data, trail
		t.Fatalf("want 3 buckets, got %d", len(buckets))
	}
	for id, b := range buckets {
		if b["DeletionPolicy"] != "Retain" || b["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s: not retained: %v / %v", id, b["DeletionPolicy"], b["UpdateReplacePolicy"])
		}
		p := b["Properties"].(map[string]interface{})
		pab := p["PublicAccessBlockConfiguration"].(map[string]interface{})
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if pab[k] != true {
				t.Errorf("%s: %s = %v", id, k, pab[k])
			}
		}
		if v := p["VersioningConfiguration"].(map[string]interface{})["Status"]; v != "Enabled" {
			t.Errorf("%s: versioning %v", id, v)
		}
		enc, _ := json.Marshal(p["BucketEncryption"])
		isLog := strings.HasPrefix(id, "Logs")
		if isLog != strings.Contains(string(enc), `"AES256"`) || isLog == strings.Contains(string(enc), `"aws:kms"`) {
			t.Errorf("%s: encryption %s (log bucket SSE-S3, others SSE-KMS)", id, enc)
		}
		_, logged := p["LoggingConfiguration"]
		if logged == isLog {
			t.Errorf("%s: logging configuration present = %v", id, logged)
		}
		// Every bucket sends its events to EventBridge (CT.S3.PR.4); every
		// bucket but the log bucket has Object Lock (CT.S3.PR.9), which S3
		// does not allow on a server access log target.
		nc, _ := json.Marshal(p["NotificationConfiguration"])
		if string(nc) != `{"EventBridgeConfiguration":{"EventBridgeEnabled":true}}` {
			t.Errorf("%s: notifications %s, want EventBridge", id, nc)
		}
		if lock := p["ObjectLockEnabled"]; (lock == true) == isLog {
			t.Errorf("%s: ObjectLockEnabled %v (every bucket but the log bucket)", id, lock)
		}
		lc, _ := json.Marshal(p["LifecycleConfiguration"])
		if !strings.Contains(string(lc), `"AbortIncompleteMultipartUpload"`) {
			t.Errorf("%s: lifecycle does not abort incomplete uploads: %s", id, lc)
		}
	}
	cdktest.Has(t, tpl, "AWS::S3::Bucket", cdktest.Props{
		"ObjectLockEnabled":         true,
		"ObjectLockConfiguration":   cdktest.Like(cdktest.Props{"Rule": cdktest.Props{"DefaultRetention": cdktest.Props{"Mode": "COMPLIANCE", "Days": 90}}}),
		"NotificationConfiguration": cdktest.Props{"EventBridgeConfiguration": cdktest.Props{"EventBridgeEnabled": true}},
		"BucketEncryption":          cdktest.Props{"ServerSideEncryptionConfiguration": cdktest.ArrayWith(cdktest.Like(cdktest.Props{"BucketKeyEnabled": true}))},
	})
	cdktest.Count(t, tpl, "Custom::S3BucketNotifications", 0)
	cdktest.Count(t, tpl, "AWS::Lambda::Function", 0)
	// TLS-only: every bucket policy denies insecure transport and old TLS.
	policies := cdktest.Resources(t, tpl, "AWS::S3::BucketPolicy")
	if len(policies) != 3 {
		t.Fatalf("want a policy on each of 3 buckets, got %d", len(policies))
	}
	for id, p := range policies {
		doc, _ := json.Marshal(p["Properties"])
		for _, want := range []string{`"aws:SecureTransport":"false"`, `"s3:TlsVersion":1.2`, `"Effect":"Deny"`} {
			if !strings.Contains(string(doc), want) {
				t.Errorf("%s lacks %s: %s", id, want, doc)
			}
		}
	}
	// Keys rotate, are retained, and name the services that use them.
	for id, k := range cdktest.Resources(t, tpl, "AWS::KMS::Key") {
		p := k["Properties"].(map[string]interface{})
		if p["EnableKeyRotation"] != true || k["DeletionPolicy"] != "Retain" {
			t.Errorf("%s: rotation %v, deletion %v", id, p["EnableKeyRotation"], k["DeletionPolicy"])
		}
	}
	// Every key refuses grants that are not for AWS services (CT.KMS.PR.3).
	for id, k := range cdktest.Resources(t, tpl, "AWS::KMS::Key") {
		doc, _ := json.Marshal(k["Properties"].(map[string]interface{})["KeyPolicy"])
		want := `{"Action":"kms:CreateGrant","Condition":{"BoolIfExists":{"aws:PrincipalIsAWSService":"false","kms:GrantIsForAWSResource":"false"}},"Effect":"Deny","Principal":{"AWS":"*"},"Resource":"*","Sid":"DenyGrantsNotForAWSServices"}`
		if !strings.Contains(string(doc), want) {
			t.Errorf("%s: key policy lacks %s: %s", id, want, doc)
		}
	}
	keyDoc, _ := json.Marshal(cdktest.Resources(t, tpl, "AWS::KMS::Key"))
	for _, want := range []string{"AllowCloudWatchLogs", "kms:EncryptionContext:aws:logs:arn", "AllowCloudTrailEncrypt", "kms:EncryptionContext:aws:cloudtrail:arn", "Allows3Service", "aws:SourceAccount"} {
		if !strings.Contains(string(keyDoc), want) {
			t.Errorf("key policy lacks %s", want)
		}
	}
	cdktest.Has(t, tpl, "AWS::CloudTrail::Trail", cdktest.Props{
		"EnableLogFileValidation":    true,
		"IsMultiRegionTrail":         true,
		"IncludeGlobalServiceEvents": true,
		"KMSKeyId":                   cdktest.Like(cdktest.Props{}),
		"CloudWatchLogsLogGroupArn":  cdktest.Like(cdktest.Props{}),
		"EventSelectors": cdktest.ArrayWith(cdktest.Like(cdktest.Props{
			"DataResources": cdktest.ArrayWith(cdktest.Like(cdktest.Props{"Type": "AWS::S3::Object"})),
		})),
	})
	cdktest.Has(t, tpl, "AWS::Logs::LogGroup", cdktest.Props{"RetentionInDays": 731, "KmsKeyId": cdktest.Like(cdktest.Props{})})
}

func TestNilPropsAreSecure(t *testing.T) {
	_, stack := cdktest.NewStack("Nil")
	msg, panicked := cdktest.Catch(func() { secure.NewBucket(stack, "Bare", nil) })
	if !panicked || !strings.Contains(msg, `Nil/Bare: BucketProps.ReplicationReason is ""; accepted: at least 20 characters`) {
		t.Fatalf("a bucket without replication must say why; got %q", msg)
	}
	secure.NewBucket(stack, "Own", &secure.BucketProps{ReplicationReason: "scratch data that can be re-derived from raw"})
	tpl := cdktest.Template(t, stack)
	// Its own key and its own log bucket.
	cdktest.Count(t, tpl, "AWS::KMS::Key", 1)
	cdktest.Count(t, tpl, "AWS::S3::Bucket", 2)
}

func TestBadProps(t *testing.T) {
	const reason = "a reason that is long enough"
	cases := []struct {
		name string
		fn   func(*testing.T)
		want string
	}{
		{"object lock mode", func(t *testing.T) {
			_, s := cdktest.NewStack("S")
			secure.NewBucket(s, "B", &secure.BucketProps{ReplicationReason: reason, ObjectLock: &secure.ObjectLock{Mode: "governance", Days: 1}})
		}, `S/B: BucketProps.ObjectLock.Mode is "governance"; accepted: GOVERNANCE or COMPLIANCE`},
		{"object lock days", func(t *testing.T) {
			_, s := cdktest.NewStack("S")
			secure.NewBucket(s, "B", &secure.BucketProps{ReplicationReason: reason, ObjectLock: &secure.ObjectLock{Mode: secure.LockGovernance, Days: 0}})
		}, "S/B: BucketProps.ObjectLock.Days is 0; accepted: 1 to 36500"},
		{"log prefix", func(t *testing.T) {
			_, s := cdktest.NewStack("S")
			secure.NewBucket(s, "B", &secure.BucketProps{ReplicationReason: reason, AccessLogsPrefix: "raw"})
		}, `BucketProps.AccessLogsPrefix is "raw"; accepted: a prefix that ends with "/"`},
		{"short replication reason", func(t *testing.T) {
			_, s := cdktest.NewStack("S")
			secure.NewBucket(s, "B", &secure.BucketProps{ReplicationReason: "no"})
		}, `BucketProps.ReplicationReason is "no"; accepted: at least 20 characters`},
		{"unknown service", func(t *testing.T) {
			_, s := cdktest.NewStack("S")
			secure.NewKey(s, "K", &secure.KeyProps{Services: []secure.Service{"lambda"}})
		}, `S/K: KeyProps.Services is "lambda"; accepted: one of`},
		{"pending window", func(t *testing.T) {
			_, s := cdktest.NewStack("S")
			secure.NewKey(s, "K", &secure.KeyProps{PendingWindowDays: 3})
		}, "KeyProps.PendingWindowDays is 3; accepted: 7 to 30"},
		{"log archive days", func(t *testing.T) {
			_, s := cdktest.NewStack("S")
			secure.NewLogBucket(s, "L", &secure.LogBucketProps{ArchiveAfterDays: 30})
		}, "S/L: LogBucketProps.ArchiveAfterDays is 30; accepted: 90 or more"},
		{"log expiry", func(t *testing.T) {
			_, s := cdktest.NewStack("S")
			secure.NewLogBucket(s, "L", &secure.LogBucketProps{ExpireAfterDays: 90})
		}, "LogBucketProps.ExpireAfterDays is 90; accepted: more than ArchiveAfterDays (90)"},
		{"retention", func(t *testing.T) { secure.RetentionDays(100) }, "100 days is not a value CloudWatch Logs accepts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg, panicked := cdktest.Catch(func() { tc.fn(t) })
			if !panicked {
				t.Fatal("accepted")
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
			if tc.name != "retention" { // a bad value from biolake's own code, not bad input
				err := cdktest.CatchValidation(t, func() { tc.fn(t) })
				var ve *validation.Error
				if !errors.As(err, &ve) || !strings.HasPrefix(ve.Path, "S/") || !strings.Contains(tc.want, ve.Field+" is ") {
					t.Errorf("error %#v: want a path under S and the field of %q", ve, tc.want)
				}
			}
		})
	}
}

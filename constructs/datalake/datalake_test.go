package datalake_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// The fixture is one App, synthesized once for the test binary:
//
//   - Default: New with nil props.
//   - Custom (account 111111111111, us-east-1): a log bucket of its own,
//     COMPLIANCE lock, vault lock, custom tiering, replication to Replica,
//     a table joining the backup plan, and grants to a role.
//   - Replica (same account, eu-central-1): NewReplica.
//   - NoBackup: DisableBackup.
//   - Supplied (us-east-1): every key supplied, replicated to
//     SuppliedReplica (eu-west-2), a replica with a supplied key.
type fixture struct {
	tpl             map[string]assertions.Template
	lake            map[string]*datalake.DataLake
	replica         *datalake.Replica
	suppliedReplica *datalake.Replica
}

var (
	fixtureOnce sync.Once
	shared      fixture
)

const account = "111111111111"

func getFixture(t *testing.T) fixture {
	t.Helper()
	fixtureOnce.Do(func() {
		app := cdktest.NewApp(nil)
		env := func(region string) *awscdk.StackProps {
			return &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}}
		}
		stacks := map[string]awscdk.Stack{}
		f := fixture{tpl: map[string]assertions.Template{}, lake: map[string]*datalake.DataLake{}}

		stacks["Default"] = awscdk.NewStack(app, jsii.String("Default"), nil)
		f.lake["Default"] = datalake.New(stacks["Default"], "DataLake", nil)

		stacks["Replica"] = awscdk.NewStack(app, jsii.String("Replica"), env("eu-central-1"))
		f.replica = datalake.NewReplica(stacks["Replica"], "RawReplica", &datalake.ReplicaProps{
			ObjectLockMode: secure.LockCompliance, ObjectLockDays: 365,
		})

		custom := awscdk.NewStack(app, jsii.String("Custom"), env("us-east-1"))
		stacks["Custom"] = custom
		logs := secure.NewLogBucket(custom, "OwnAccessLogs", nil)
		lake := datalake.New(custom, "Lake", &datalake.Props{
			AccessLogs:     logs,
			ObjectLockMode: secure.LockCompliance,
			ObjectLockDays: 365,
			Tiering: datalake.Tiering{
				datalake.BucketResults: {
					AbortIncompleteUploadDays: 3,
					Rules: []datalake.Rule{
						{ID: "bam", DataClass: datalake.ClassAlignment, Transitions: []datalake.Transition{
							{StorageClass: datalake.StandardIA, Days: 45}, {StorageClass: datalake.Glacier, Days: 120}}, ExpirationDays: 3650},
						{ID: "old-runs", Prefix: "runs/2019/", Transitions: []datalake.Transition{{StorageClass: datalake.DeepArchive, Days: 1}}},
					},
				},
				datalake.BucketCurated: {IntelligentTiering: &datalake.IntelligentTieringArchive{ArchiveAccessDays: 90, DeepArchiveAccessDays: 180}},
			},
			BackupRetentionDays:    90,
			BackupVaultLock:        true,
			BackupVaultLockMaxDays: 400,
			Replication:            &datalake.Replication{Region: "eu-central-1", Replica: f.replica, TimeControl: true},
		})
		f.lake["Custom"] = lake
		lake.AddToBackup("Catalog", awsbackup.BackupResource_FromArn(jsii.String("arn:aws:dynamodb:us-east-1:111111111111:table/catalog")))
		role := awsiam.NewRole(custom, jsii.String("Pipeline"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("batch.amazonaws.com"), nil)})
		lake.GrantRead(role, datalake.BucketRaw, "runs")
		lake.GrantWrite(role, datalake.BucketResults, "pipelines/rnaseq/")
		lake.GrantReadWrite(role, datalake.BucketCurated, "")

		stacks["NoBackup"] = awscdk.NewStack(app, jsii.String("NoBackup"), nil)
		f.lake["NoBackup"] = datalake.New(stacks["NoBackup"], "DataLake", &datalake.Props{DisableBackup: true})

		// Every key supplied, to a lake and to a replica of its own.
		stacks["SuppliedReplica"] = awscdk.NewStack(app, jsii.String("SuppliedReplica"), env("eu-west-2"))
		f.suppliedReplica = datalake.NewReplica(stacks["SuppliedReplica"], "RawReplica", &datalake.ReplicaProps{
			Key: awskms.Key_FromKeyArn(stacks["SuppliedReplica"], jsii.String("LabReplicaKey"), jsii.String(suppliedKeys["Replica"])),
		})
		stacks["Supplied"] = awscdk.NewStack(app, jsii.String("Supplied"), env("us-east-1"))
		key := func(name string) awskms.IKey {
			return awskms.Key_FromKeyArn(stacks["Supplied"], jsii.String("Lab"+name), jsii.String(suppliedKeys[name]))
		}
		f.lake["Supplied"] = datalake.New(stacks["Supplied"], "DataLake", &datalake.Props{
			DataKey: key("DataKey"), AnalyticsKey: key("AnalyticsKey"), BackupKey: key("BackupKey"),
			Replication: &datalake.Replication{Region: "eu-west-2", Replica: f.suppliedReplica},
		})

		for id, s := range stacks {
			f.tpl[id] = cdktest.Template(t, s)
		}
		shared = f
	})
	if len(shared.tpl) != 6 {
		t.Fatal("fixture failed to synthesize (see the first failing test)")
	}
	return shared
}

func props(r map[string]interface{}) map[string]interface{} {
	p, _ := r["Properties"].(map[string]interface{})
	return p
}

func js(v interface{}) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// bucketsByName maps each BucketName to its logical id and resource, by the
// construct id New gives it.
func bucketsByName(t *testing.T, tpl assertions.Template, lakeID string) map[datalake.BucketName]string {
	t.Helper()
	ids := map[datalake.BucketName]string{
		datalake.BucketRaw: "Raw", datalake.BucketPartner: "Partner", datalake.BucketShared: "Shared",
		datalake.BucketCurated: "Curated", datalake.BucketResults: "Results", datalake.BucketAthenaResults: "AthenaResults",
		datalake.BucketAnalytics: "Analytics",
	}
	out := map[datalake.BucketName]string{}
	for logical := range cdktest.Resources(t, tpl, "AWS::S3::Bucket") {
		for name, id := range ids {
			if strings.HasPrefix(logical, lakeID+id) && !strings.HasPrefix(logical, lakeID+id+"Key") && !strings.Contains(logical, "AccessLogs") {
				if name == datalake.BucketAthenaResults || !strings.HasPrefix(logical, lakeID+"AthenaResults") {
					out[name] = logical
				}
			}
		}
	}
	if len(out) != 7 {
		t.Fatalf("found buckets %v, want all 7", out)
	}
	return out
}

func logicalIDs(t *testing.T, tpl assertions.Template, typ, prefix string) []string {
	var out []string
	for id := range cdktest.Resources(t, tpl, typ) {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func TestBucketsAreSecure(t *testing.T) {
	f := getFixture(t)
	tpl := f.tpl["Default"]
	all := cdktest.Resources(t, tpl, "AWS::S3::Bucket")
	if len(all) != 8 { // 7 + the log bucket
		t.Fatalf("Default has %d buckets, want 8", len(all))
	}
	dataKey := logicalIDs(t, tpl, "AWS::KMS::Key", "DataLakeDataKey")
	analyticsKey := logicalIDs(t, tpl, "AWS::KMS::Key", "DataLakeAnalyticsKey")
	logBucket := logicalIDs(t, tpl, "AWS::S3::Bucket", "DataLakeAccessLogs")
	if len(dataKey) != 1 || len(analyticsKey) != 1 || len(logBucket) != 1 {
		t.Fatalf("keys %v %v, log bucket %v", dataKey, analyticsKey, logBucket)
	}
	for name, id := range bucketsByName(t, tpl, "DataLake") {
		t.Run(string(name), func(t *testing.T) {
			p := props(all[id])
			wantKey := dataKey[0]
			if name == datalake.BucketAnalytics {
				wantKey = analyticsKey[0]
			}
			enc := js(p["BucketEncryption"])
			for _, want := range []string{`"SSEAlgorithm":"aws:kms"`, `"KMSMasterKeyID":{"Fn::GetAtt":["` + wantKey + `","Arn"]}`, `"BucketKeyEnabled":true`} {
				if !strings.Contains(enc, want) {
					t.Errorf("encryption %s lacks %s", enc, want)
				}
			}
			pab := p["PublicAccessBlockConfiguration"].(map[string]interface{})
			for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
				if pab[k] != true {
					t.Errorf("%s = %v", k, pab[k])
				}
			}
			if got := js(p["VersioningConfiguration"]); got != `{"Status":"Enabled"}` {
				t.Errorf("versioning %s", got)
			}
			logging := js(p["LoggingConfiguration"])
			if !strings.Contains(logging, `"Ref":"`+logBucket[0]+`"`) || !strings.Contains(logging, `"LogFilePrefix":"DataLake/`+string(name)+`/"`) {
				t.Errorf("logging %s: want to %s under DataLake/%s/", logging, logBucket[0], name)
			}
			if all[id]["DeletionPolicy"] != "Retain" {
				t.Errorf("DeletionPolicy %v", all[id]["DeletionPolicy"])
			}
			isData := slices.Contains(datalake.DataBucketNames(), name)
			// Every bucket sends its events to EventBridge (CT.S3.PR.4) and
			// has Object Lock enabled (CT.S3.PR.9); only raw has a default
			// retention.
			if nc := js(p["NotificationConfiguration"]); nc != `{"EventBridgeConfiguration":{"EventBridgeEnabled":true}}` {
				t.Errorf("notification configuration %s, want EventBridge", nc)
			}
			if p["ObjectLockEnabled"] != true {
				t.Errorf("ObjectLockEnabled %v", p["ObjectLockEnabled"])
			}
			if _, lock := p["ObjectLockConfiguration"]; lock != (name == datalake.BucketRaw) {
				t.Errorf("Object Lock retention present = %v", lock)
			}
			lc := js(p["LifecycleConfiguration"])
			if !strings.Contains(lc, `{"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":7},"ExpiredObjectDeleteMarker":true,"Id":"abort-incomplete-uploads","Status":"Enabled"}`) {
				t.Errorf("lifecycle lacks the abort rule: %s", lc)
			}
			_, inv := p["InventoryConfigurations"]
			_, ana := p["AnalyticsConfigurations"]
			if inv != isData || ana != isData {
				t.Errorf("inventory %v, analytics %v; want both %v", inv, ana, isData)
			}
		})
	}
	// No notifications custom resource: EventBridge is set natively.
	if n := len(cdktest.Resources(t, tpl, "Custom::S3BucketNotifications")); n != 0 {
		t.Errorf("%d S3 notification custom resources, want 0", n)
	}
	cdktest.Has(t, tpl, "AWS::S3::Bucket", cdktest.Props{
		"ObjectLockEnabled":       true,
		"ObjectLockConfiguration": cdktest.Props{"ObjectLockEnabled": "Enabled", "Rule": cdktest.Props{"DefaultRetention": cdktest.Props{"Mode": "GOVERNANCE", "Days": 30}}},
	})
	// The access-log bucket has no Object Lock.
	if _, lock := props(all[logBucket[0]])["ObjectLockConfiguration"]; lock {
		t.Error("the access-log bucket has Object Lock; S3 does not deliver logs to such a bucket")
	}
}

func TestTLSOnlyPolicies(t *testing.T) {
	f := getFixture(t)
	tpl := f.tpl["Default"]
	policies := cdktest.Resources(t, tpl, "AWS::S3::BucketPolicy")
	if len(policies) != 8 {
		t.Fatalf("%d bucket policies, want one per bucket (8)", len(policies))
	}
	for id, p := range policies {
		doc := js(props(p)["PolicyDocument"])
		for _, want := range []string{`"Bool":{"aws:SecureTransport":"false"}`, `"NumericLessThan":{"s3:TlsVersion":1.2}`, `"Effect":"Deny"`} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s lacks %s", id, want)
			}
		}
	}
}

func TestLifecyclePerDataClass(t *testing.T) {
	f := getFixture(t)
	cases := []struct {
		stack, lake string
		bucket      datalake.BucketName
		rule        map[string]interface{}
	}{
		{"Default", "DataLake", datalake.BucketRaw, cdktest.Props{
			"Id": "bcl", "Status": "Enabled",
			"TagFilters":  []interface{}{cdktest.Props{"Key": datalake.DataClassTag, "Value": "bcl"}},
			"Transitions": []interface{}{cdktest.Props{"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 30}},
		}},
		{"Default", "DataLake", datalake.BucketRaw, cdktest.Props{
			"Id":         "fastq",
			"TagFilters": []interface{}{cdktest.Props{"Key": datalake.DataClassTag, "Value": "fastq"}},
			"Transitions": []interface{}{
				cdktest.Props{"StorageClass": "GLACIER_IR", "TransitionInDays": 60},
				cdktest.Props{"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 730},
			},
		}},
		{"Default", "DataLake", datalake.BucketRaw, cdktest.Props{
			"Id":                           "noncurrent-versions",
			"NoncurrentVersionTransitions": []interface{}{cdktest.Props{"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 30}},
			"NoncurrentVersionExpiration":  cdktest.Props{"NoncurrentDays": 365},
		}},
		{"Default", "DataLake", datalake.BucketPartner, cdktest.Props{
			"Id": "accepted-alignment", "Prefix": "accepted/",
			"TagFilters": []interface{}{cdktest.Props{"Key": datalake.DataClassTag, "Value": "alignment"}},
		}},
		{"Default", "DataLake", datalake.BucketAthenaResults, cdktest.Props{
			"Id": "expire-query-results", "ExpirationInDays": 30, "NoncurrentVersionExpiration": cdktest.Props{"NoncurrentDays": 1},
		}},
		{"Custom", "Lake", datalake.BucketResults, cdktest.Props{
			"Id": "abort-incomplete-uploads", "AbortIncompleteMultipartUpload": cdktest.Props{"DaysAfterInitiation": 3},
		}},
		{"Custom", "Lake", datalake.BucketResults, cdktest.Props{
			"Id": "bam", "ExpirationInDays": 3650,
			"Transitions": []interface{}{
				cdktest.Props{"StorageClass": "STANDARD_IA", "TransitionInDays": 45},
				cdktest.Props{"StorageClass": "GLACIER", "TransitionInDays": 120},
			},
		}},
		{"Custom", "Lake", datalake.BucketResults, cdktest.Props{"Id": "old-runs", "Prefix": "runs/2019/"}},
	}
	for _, c := range cases {
		t.Run(c.stack+"/"+string(c.bucket)+"/"+c.rule["Id"].(string), func(t *testing.T) {
			tpl := f.tpl[c.stack]
			id := bucketsByName(t, tpl, c.lake)[c.bucket]
			cdktest.Must(t, "lifecycle rule", func() {
				tpl.HasResource(jsii.String("AWS::S3::Bucket"), cdktest.Like(cdktest.Props{
					"Properties": cdktest.Like(cdktest.Props{"LifecycleConfiguration": cdktest.Props{"Rules": cdktest.ArrayWith(cdktest.Like(c.rule))}}),
				}))
			})
			// and it is on the right bucket
			lc := js(props(cdktest.Resources(t, tpl, "AWS::S3::Bucket")[id])["LifecycleConfiguration"])
			if !strings.Contains(lc, `"Id":"`+c.rule["Id"].(string)+`"`) {
				t.Errorf("%s: rule %v not on this bucket: %s", id, c.rule["Id"], lc)
			}
		})
	}
	// Custom results got exactly its own rules (the default ones replaced).
	lc := js(props(cdktest.Resources(t, f.tpl["Custom"], "AWS::S3::Bucket")[bucketsByName(t, f.tpl["Custom"], "Lake")[datalake.BucketResults]])["LifecycleConfiguration"])
	if strings.Contains(lc, `"Id":"fastq"`) {
		t.Errorf("custom results tiering kept a default rule: %s", lc)
	}
	// Intelligent-Tiering archive configuration on custom curated.
	cdktest.Has(t, f.tpl["Custom"], "AWS::S3::Bucket", cdktest.Props{
		"IntelligentTieringConfigurations": []interface{}{cdktest.Like(cdktest.Props{
			"Id": "biolake-archive", "Status": "Enabled",
			"Tierings": cdktest.ArrayWith(
				cdktest.Props{"AccessTier": "ARCHIVE_ACCESS", "Days": 90},
				cdktest.Props{"AccessTier": "DEEP_ARCHIVE_ACCESS", "Days": 180}),
		})},
	})
}

func TestInventoryAndAnalysis(t *testing.T) {
	f := getFixture(t)
	tpl := f.tpl["Default"]
	all := cdktest.Resources(t, tpl, "AWS::S3::Bucket")
	byName := bucketsByName(t, tpl, "DataLake")
	analytics := byName[datalake.BucketAnalytics]
	for _, name := range datalake.DataBucketNames() {
		t.Run(string(name), func(t *testing.T) {
			p := props(all[byName[name]])
			inv := p["InventoryConfigurations"].([]interface{})
			if len(inv) != 1 {
				t.Fatalf("%d inventories", len(inv))
			}
			i := inv[0].(map[string]interface{})
			if i["ScheduleFrequency"] != "Daily" || i["IncludedObjectVersions"] != "All" || i["Enabled"] != true || i["Id"] != datalake.InventoryID {
				t.Errorf("inventory %s", js(i))
			}
			dst := js(i["Destination"])
			if !strings.Contains(dst, `"Format":"Parquet"`) || !strings.Contains(dst, analytics) || !strings.Contains(dst, `"Prefix":"inventory/`+string(name)+`"`) {
				t.Errorf("inventory destination %s", dst)
			}
			var fields []string
			for _, f := range i["OptionalFields"].([]interface{}) {
				fields = append(fields, f.(string))
			}
			for _, want := range []string{"Size", "LastModifiedDate", "StorageClass", "ETag", "ChecksumAlgorithm", "EncryptionStatus",
				"ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus", "IntelligentTieringAccessTier",
				"ReplicationStatus", "IsMultipartUploaded", "BucketKeyStatus"} {
				if !slices.Contains(fields, want) {
					t.Errorf("inventory lacks field %s", want)
				}
			}
			ana := p["AnalyticsConfigurations"].([]interface{})
			var ids []string
			for _, a := range ana {
				m := a.(map[string]interface{})
				ids = append(ids, m["Id"].(string))
				exp := js(m["StorageClassAnalysis"])
				if !strings.Contains(exp, `"Format":"CSV"`) || !strings.Contains(exp, `"OutputSchemaVersion":"V_1"`) || !strings.Contains(exp, analytics) ||
					!strings.Contains(exp, `"Prefix":"storage-class-analysis/`+string(name)+`/"`) {
					t.Errorf("analysis export %s", exp)
				}
			}
			if want := []string{"all-objects", "class-alignment", "class-bcl", "class-fastq", "class-qc"}; !slices.Equal(ids, want) {
				t.Errorf("analysis configurations %v, want %v", ids, want)
			}
		})
	}
	// S3 may deliver reports into the analytics bucket, and use its key.
	var analyticsPolicy string
	for _, p := range cdktest.Resources(t, tpl, "AWS::S3::BucketPolicy") {
		if doc := js(props(p)); strings.Contains(doc, `"Ref":"`+analytics+`"`) {
			analyticsPolicy = doc
		}
	}
	for _, want := range []string{`"Sid":"AllowStorageClassAnalysisExport"`, `"Service":"s3.amazonaws.com"`, `"aws:SourceAccount"`, "storage-class-analysis/*", "inventory/raw*"} {
		if !strings.Contains(analyticsPolicy, want) {
			t.Errorf("analytics bucket policy lacks %s: %s", want, analyticsPolicy)
		}
	}
	cdktest.Has(t, tpl, "AWS::KMS::Key", cdktest.Props{
		"KeyPolicy": cdktest.Like(cdktest.Props{"Statement": cdktest.ArrayWith(cdktest.Like(cdktest.Props{
			"Sid": "Allows3Service", "Principal": cdktest.Props{"Service": "s3.amazonaws.com"},
		}))}),
	})
}

func TestBackup(t *testing.T) {
	f := getFixture(t)
	cases := []struct {
		stack, lake string
		rules       int
		retention   float64
		lock        bool
	}{
		{"Default", "DataLake", 2, 35, false},
		{"Custom", "Lake", 2, 90, true},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			tpl := f.tpl[c.stack]
			cdktest.Count(t, tpl, "AWS::Backup::BackupVault", 1)
			cdktest.Count(t, tpl, "AWS::Backup::BackupPlan", 1)
			plan := js(props(onlyOne(t, cdktest.Resources(t, tpl, "AWS::Backup::BackupPlan"))))
			for _, want := range []string{`"RuleName":"Daily"`, `"ScheduleExpression":"cron(0 5 * * ? *)"`, `"RuleName":"Continuous"`, `"EnableContinuousBackup":true`} {
				if !strings.Contains(plan, want) {
					t.Errorf("plan lacks %s: %s", want, plan)
				}
			}
			if !strings.Contains(plan, `"DeleteAfterDays":`+js(c.retention)) || !strings.Contains(plan, `"DeleteAfterDays":35`) {
				t.Errorf("plan retention: %s", plan)
			}
			vault := props(onlyOne(t, cdktest.Resources(t, tpl, "AWS::Backup::BackupVault")))
			if !strings.Contains(js(vault["EncryptionKeyArn"]), "BackupKey") {
				t.Errorf("vault key %s", js(vault["EncryptionKeyArn"]))
			}
			if _, locked := vault["LockConfiguration"]; locked != c.lock {
				t.Errorf("vault lock %v, want %v", js(vault["LockConfiguration"]), c.lock)
			}
			// The data buckets are selected, with the S3 role.
			byName := bucketsByName(t, tpl, c.lake)
			var sel string
			for _, s := range cdktest.Resources(t, tpl, "AWS::Backup::BackupSelection") {
				if doc := js(props(s)); strings.Contains(doc, `"SelectionName":"DataBuckets"`) {
					sel = doc
				}
			}
			for _, b := range datalake.DataBucketNames() {
				if !strings.Contains(sel, `["`+byName[b]+`","Arn"]`) {
					t.Errorf("backup selection lacks %s: %s", b, sel)
				}
			}
			for _, b := range []datalake.BucketName{datalake.BucketAthenaResults, datalake.BucketAnalytics} {
				if strings.Contains(sel, `["`+byName[b]+`","Arn"]`) {
					t.Errorf("backup selection includes %s", b)
				}
			}
		})
	}
	custom := f.tpl["Custom"]
	cdktest.Has(t, custom, "AWS::Backup::BackupVault", cdktest.Props{
		"LockConfiguration": cdktest.Props{"MinRetentionDays": 35, "MaxRetentionDays": 400, "ChangeableForDays": 3},
	})
	cdktest.Has(t, custom, "AWS::Backup::BackupSelection", cdktest.Props{
		"BackupSelection": cdktest.Like(cdktest.Props{"SelectionName": "Catalog", "Resources": []interface{}{"arn:aws:dynamodb:us-east-1:111111111111:table/catalog"}}),
	})
	role := js(onlyOne(t, filter(cdktest.Resources(t, custom, "AWS::IAM::Role"), "LakeBackupRole")))
	for _, want := range []string{"AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore", "service-role/AWSBackupServiceRolePolicyForBackup", "backup.amazonaws.com"} {
		if !strings.Contains(role, want) {
			t.Errorf("backup role lacks %s", want)
		}
	}
	if n := len(cdktest.Resources(t, f.tpl["NoBackup"], "AWS::Backup::BackupPlan")); n != 0 || f.lake["NoBackup"].AddToBackup("X", awsbackup.BackupResource_FromArn(jsii.String("arn:aws:dynamodb:us-east-1:1:table/x"))) != nil {
		t.Errorf("DisableBackup: %d plans, AddToBackup not a no-op", n)
	}
}

func TestReplication(t *testing.T) {
	f := getFixture(t)
	tpl := f.tpl["Custom"]
	raw := props(cdktest.Resources(t, tpl, "AWS::S3::Bucket")[bucketsByName(t, tpl, "Lake")[datalake.BucketRaw]])
	rc := raw["ReplicationConfiguration"].(map[string]interface{})
	rule := rc["Rules"].([]interface{})[0].(map[string]interface{})
	replica := props(onlyOne(t, filter(cdktest.Resources(t, f.tpl["Replica"], "AWS::S3::Bucket"), "RawReplicaBucket")))
	name, ok := replica["BucketName"].(string)
	if !ok || name == "" {
		t.Fatalf("replica bucket has no generated literal name: %v", replica["BucketName"])
	}
	wantKey := "arn:aws:kms:eu-central-1:111111111111:" + f.replica.KeyAliasName
	dst := js(rule["Destination"])
	for _, want := range []string{`"Bucket":"arn:aws:s3:::` + name + `"`, `"ReplicaKmsKeyID":"` + wantKey + `"`, `"StorageClass":"DEEP_ARCHIVE"`,
		`"ReplicationTime":{"Status":"Enabled","Time":{"Minutes":15}}`, `"Metrics":{"EventThreshold":{"Minutes":15},"Status":"Enabled"}`} {
		if !strings.Contains(dst, want) {
			t.Errorf("replication destination lacks %s: %s", want, dst)
		}
	}
	if js(rule["DeleteMarkerReplication"]) != `{"Status":"Disabled"}` {
		t.Errorf("delete markers replicated: %s", js(rule["DeleteMarkerReplication"]))
	}
	if got := js(rule["SourceSelectionCriteria"]); got != `{"ReplicaModifications":{"Status":"Enabled"},"SseKmsEncryptedObjects":{"Status":"Enabled"}}` {
		t.Errorf("source selection %s", got)
	}
	// The replica: Object Lock, its own key with the alias.
	if js(replica["ObjectLockConfiguration"]) != `{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Days":365,"Mode":"COMPLIANCE"}}}` {
		t.Errorf("replica Object Lock %s", js(replica["ObjectLockConfiguration"]))
	}
	cdktest.Has(t, f.tpl["Replica"], "AWS::KMS::Alias", cdktest.Props{"AliasName": f.replica.KeyAliasName})
	if !strings.HasPrefix(f.replica.KeyAliasName, "alias/biolake/") {
		t.Errorf("alias name %q", f.replica.KeyAliasName)
	}
	// The role's policy: a managed policy with the alias condition.
	pol := js(onlyOne(t, filter(cdktest.Resources(t, tpl, "AWS::IAM::ManagedPolicy"), "LakeReplicationPolicy")))
	for _, want := range []string{"s3:GetObjectVersionForReplication", "s3:GetObjectRetention", "s3:ReplicateObject", `"kms:ResourceAliases":"` + f.replica.KeyAliasName + `"`,
		"arn:aws:kms:eu-central-1:111111111111:key/*", "arn:aws:s3:::" + name + "/*", `"kms:ViaService":"s3.eu-central-1.amazonaws.com"`} {
		if !strings.Contains(pol, want) {
			t.Errorf("replication policy lacks %s: %s", want, pol)
		}
	}
	if n := len(cdktest.Resources(t, tpl, "AWS::IAM::Policy")); n != 1 { // only the grantee role's
		t.Errorf("%d inline policies, want 1 (the Pipeline role's)", n)
	}
}

func TestGrants(t *testing.T) {
	f := getFixture(t)
	tpl := f.tpl["Custom"]
	byName := bucketsByName(t, tpl, "Lake")
	doc := js(onlyOne(t, filter(cdktest.Resources(t, tpl, "AWS::IAM::Policy"), "PipelineDefaultPolicy")))
	dataKey := logicalIDs(t, tpl, "AWS::KMS::Key", "LakeDataKey")[0]
	type stmt struct {
		Action    interface{}
		Resource  interface{}
		Condition interface{}
	}
	var pd struct{ Statement []stmt }
	var p struct {
		Properties struct{ PolicyDocument json.RawMessage }
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(p.Properties.PolicyDocument, &pd); err != nil {
		t.Fatal(err)
	}
	has := func(action, resource, condition string) bool {
		for _, s := range pd.Statement {
			a, r, c := js(s.Action), js(s.Resource), js(s.Condition)
			if strings.Contains(a, `"`+action+`"`) && strings.Contains(r, resource) && strings.Contains(c, condition) {
				return true
			}
		}
		return false
	}
	cases := []struct{ name, action, resource, condition string }{
		{"read raw objects under runs/", "s3:GetObject", `"/runs/*"`, ""},
		{"list raw only under runs/", "s3:ListBucket", byName[datalake.BucketRaw], `"s3:prefix":["runs/","runs/*"]`},
		{"decrypt with the data key via S3", "kms:Decrypt", dataKey, `"kms:ViaService"`},
		{"write results under the prefix", "s3:PutObject", `"/pipelines/rnaseq/*"`, ""},
		{"encrypt with the data key", "kms:GenerateDataKey", dataKey, ""},
		{"read-write curated, whole bucket", "s3:DeleteObject", byName[datalake.BucketCurated], ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !has(c.action, c.resource, c.condition) {
				t.Errorf("no statement with %s on %s (%s) in %s", c.action, c.resource, c.condition, doc)
			}
		})
	}
	if strings.Contains(doc, `"s3:*"`) || strings.Contains(doc, `"kms:*"`) || strings.Contains(doc, "DeleteObjectVersion") {
		t.Errorf("grant too broad: %s", doc)
	}
}

func TestGrantArgumentsChecked(t *testing.T) {
	f := getFixture(t)
	lake := f.lake["NoBackup"]
	// The arguments are checked before anything is added to the (already
	// synthesized) tree; a principal is not a construct.
	role := awsiam.NewAccountRootPrincipal()
	cases := []struct {
		bucket  datalake.BucketName
		prefix  string
		wantErr string
	}{
		{"logs", "", `GrantRead(bucket) is "logs"; accepted: one of raw`},
		{datalake.BucketRaw, "/runs", `must not start with "/"`},
		{datalake.BucketRaw, "runs/../secrets", `".." segment`},
		{datalake.BucketRaw, "runs/*", `"*" or "?"`},
	}
	for _, c := range cases {
		t.Run(c.wantErr, func(t *testing.T) {
			msg, panicked := cdktest.Catch(func() { lake.GrantRead(role, c.bucket, c.prefix) })
			var got any
			func() {
				defer func() { got = recover() }()
				lake.GrantRead(role, c.bucket, c.prefix)
			}()
			if _, ok := validation.Recover(got); !ok {
				t.Errorf("GrantRead(%q, %q) panicked with %v, not a validation error", c.bucket, c.prefix, got)
			}
			if !panicked || !strings.Contains(msg, c.wantErr) {
				t.Errorf("GrantRead(%q, %q): panicked %v with %q, want %q", c.bucket, c.prefix, panicked, msg, c.wantErr)
			}
		})
	}
	for in, want := range map[string]string{"": "", "runs": "runs/", "runs/": "runs/", "a/b": "a/b/"} {
		if got, err := datalake.NormalizePrefix(in); err != nil || got != want {
			t.Errorf("NormalizePrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestAccessors(t *testing.T) {
	f := getFixture(t)
	lake := f.lake["Default"]
	for _, b := range datalake.AllBuckets() {
		if lake.Bucket(b) == nil {
			t.Errorf("Bucket(%s) is nil", b)
		}
	}
	if lake.Bucket(datalake.BucketRaw) != lake.Raw || lake.Bucket(datalake.BucketAnalytics) != lake.Analytics {
		t.Error("Bucket() and the typed fields disagree")
	}
	if n := len(lake.DataBuckets()); n != 5 {
		t.Errorf("DataBuckets() has %d, want 5", n)
	}
	if lake.DataKey == nil || lake.BackupPlan == nil || lake.BackupRole == nil {
		t.Error("DataKey, BackupPlan or BackupRole is nil")
	}
	if _, panicked := cdktest.Catch(func() { lake.Bucket("nope") }); !panicked {
		t.Error("Bucket(\"nope\") did not panic")
	}
	// The construct is a scope of its own.
	if got := *awscdk.Stack_Of(lake).StackName(); got != "Default" {
		t.Errorf("Stack_Of(lake) = %s", got)
	}
}

func onlyOne(t *testing.T, m map[string]map[string]interface{}) map[string]interface{} {
	t.Helper()
	if len(m) != 1 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		t.Fatalf("want exactly one resource, got %v", keys)
	}
	for _, v := range m {
		return v
	}
	return nil
}

func filter(m map[string]map[string]interface{}, prefix string) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

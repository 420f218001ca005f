package datalake_test

import (
	"errors"
	"github.com/biolake/biolake/constructs/validation"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/goccy/go-yaml"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
)

type T = datalake.Transition

func tiering(b datalake.BucketName, bt datalake.BucketTiering) *datalake.Props {
	return &datalake.Props{Tiering: datalake.Tiering{b: bt}}
}

func rules(rs ...datalake.Rule) datalake.BucketTiering { return datalake.BucketTiering{Rules: rs} }

func TestValidDefaults(t *testing.T) {
	for name, p := range map[string]*datalake.Props{
		"nil":                          nil,
		"zero":                         {},
		"explicit default":             {Tiering: datalake.DefaultTiering(), DataClasses: datalake.DefaultDataClasses()},
		"raw only, rules from default": {Tiering: datalake.Tiering{datalake.BucketRaw: {AbortIncompleteUploadDays: 2}}},
		"no rules":                     tiering(datalake.BucketCurated, datalake.BucketTiering{Rules: []datalake.Rule{}}),
		"archive tiers":                tiering(datalake.BucketCurated, datalake.BucketTiering{IntelligentTiering: &datalake.IntelligentTieringArchive{ArchiveAccessDays: 90, DeepArchiveAccessDays: 180}}),
		"vault lock":                   {BackupVaultLock: true, BackupRetentionDays: 400, BackupVaultLockMaxDays: 400},
		"no continuous backup":         {DisableContinuousBackup: true, BackupRetentionDays: 7},
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestInvalidProps: each bad value is reported with the construct, the
// field path (YAML names for the tiering), the value and what is accepted.
func TestInvalidProps(t *testing.T) {
	cases := []struct {
		name  string
		props *datalake.Props
		want  []string // substrings of one error
	}{
		{"transition below S3's minimum for Standard-IA",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "bam", DataClass: "alignment", Transitions: []T{{StorageClass: datalake.StandardIA, Days: 10}}})),
			[]string{"tiering.results.rules[0].transitions[0].days is 10:", "below S3's minimum for STANDARD_IA", "30 or more"}},
		{"noncurrent transition below S3's minimum",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "nc", NoncurrentTransitions: []T{{StorageClass: datalake.StandardIA, Days: 7}}})),
			[]string{"tiering.results.rules[0].noncurrentTransitions[0].days is 7", "30 or more"}},
		{"tiers out of order",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "bam", Transitions: []T{{StorageClass: datalake.GlacierIR, Days: 60}, {StorageClass: datalake.StandardIA, Days: 120}}})),
			[]string{`tiering.results.rules[0].transitions[1].storageClass is "STANDARD_IA"`, "not colder than the class before it (GLACIER_IR)"}},
		{"same class twice",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "bam", Transitions: []T{{StorageClass: datalake.Glacier, Days: 60}, {StorageClass: datalake.Glacier, Days: 200}}})),
			[]string{`transitions[1].storageClass is "GLACIER"`, "not colder"}},
		{"next transition less than 30 days after Standard-IA",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "bam", Transitions: []T{{StorageClass: datalake.StandardIA, Days: 30}, {StorageClass: datalake.GlacierIR, Days: 40}}})),
			[]string{"tiering.results.rules[0].transitions[1].days is 40", "at least 30 days in STANDARD_IA", "S3 refuses", "60 or more"}},
		{"Deep Archive before Glacier IR's 90 days",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "fq", Transitions: []T{{StorageClass: datalake.GlacierIR, Days: 0}, {StorageClass: datalake.DeepArchive, Days: 30}}})),
			[]string{"transitions[1].days is 30", "at least 90 days in GLACIER_IR", "minimum storage duration", "90 or more"}},
		{"raw is written as Standard-IA",
			tiering(datalake.BucketRaw, rules(datalake.Rule{ID: "bcl", DataClass: "bcl", Transitions: []T{{StorageClass: datalake.DeepArchive, Days: 10}}})),
			[]string{"tiering.raw.rules[0].transitions[0].days is 10", "written as STANDARD_IA", "30 or more"}},
		{"raw cannot move to Standard-IA",
			tiering(datalake.BucketRaw, rules(datalake.Rule{ID: "ia", Transitions: []T{{StorageClass: datalake.StandardIA, Days: 30}}})),
			[]string{`tiering.raw.rules[0].transitions[0].storageClass is "STANDARD_IA"`, "class objects of this bucket are written in"}},
		{"duplicate rule ids",
			tiering(datalake.BucketCurated, rules(
				datalake.Rule{ID: "x", Prefix: "a/", ExpirationDays: 10},
				datalake.Rule{ID: "x", Prefix: "b/", ExpirationDays: 10})),
			[]string{`tiering.curated.rules[1].id is "x"`, "also the id of rules[0]", "unique"}},
		{"reserved rule id",
			tiering(datalake.BucketCurated, rules(datalake.Rule{ID: "abort-incomplete-uploads", ExpirationDays: 10})),
			[]string{"rules[0].id", "reserved", "abortIncompleteUploadDays"}},
		{"missing rule id",
			tiering(datalake.BucketCurated, rules(datalake.Rule{ExpirationDays: 10})),
			[]string{`tiering.curated.rules[0].id is ""`, "required: name the rule"}},
		{"negative transition days",
			tiering(datalake.BucketCurated, rules(datalake.Rule{ID: "it", Transitions: []T{{StorageClass: datalake.IntelligentTiering, Days: -5}}})),
			[]string{"tiering.curated.rules[0].transitions[0].days is -5", "0 to 36500"}},
		{"zero days for a noncurrent transition",
			tiering(datalake.BucketCurated, rules(datalake.Rule{ID: "nc", NoncurrentTransitions: []T{{StorageClass: datalake.Glacier, Days: 0}}})),
			[]string{"noncurrentTransitions[0].days is 0", "1 to 36500"}},
		{"negative expiration",
			tiering(datalake.BucketCurated, rules(datalake.Rule{ID: "e", ExpirationDays: -1})),
			[]string{"tiering.curated.rules[0].expirationDays is -1", "1 to 36500 days, or 0 to never expire"}},
		{"negative abort days",
			tiering(datalake.BucketCurated, datalake.BucketTiering{AbortIncompleteUploadDays: -1}),
			[]string{"tiering.curated.abortIncompleteUploadDays is -1", "1 to 36500"}},
		{"unknown storage class",
			tiering(datalake.BucketCurated, rules(datalake.Rule{ID: "g", Transitions: []T{{StorageClass: "GLACIER_DEEP", Days: 90}}})),
			[]string{`tiering.curated.rules[0].transitions[0].storageClass is "GLACIER_DEEP"`, "accepted: STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE"}},
		{"STANDARD is not a target",
			tiering(datalake.BucketCurated, rules(datalake.Rule{ID: "s", Transitions: []T{{StorageClass: "STANDARD", Days: 90}}})),
			[]string{`storageClass is "STANDARD"`, "accepted:"}},
		{"unknown data class",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "vcf", DataClass: "vcf", ExpirationDays: 90})),
			[]string{`tiering.results.rules[0].dataClass is "vcf"`, "not a data class; accepted: alignment, bcl, fastq, qc"}},
		{"expiration before the last transition",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "g", Transitions: []T{{StorageClass: datalake.Glacier, Days: 90}}, ExpirationDays: 60})),
			[]string{"tiering.results.rules[0].expirationDays is 60", "after the last transition", "180 or more"}},
		{"expiration within Deep Archive's minimum",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "d", Transitions: []T{{StorageClass: datalake.DeepArchive, Days: 30}}, ExpirationDays: 100})),
			[]string{"expirationDays is 100", "210 or more"}},
		{"noncurrent expiration before the last noncurrent transition",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "nc", NoncurrentTransitions: []T{{StorageClass: datalake.GlacierIR, Days: 30}}, NoncurrentExpirationDays: 30})),
			[]string{"tiering.results.rules[0].noncurrentExpirationDays is 30", "120 or more"}},
		{"Intelligent-Tiering archive days too low",
			tiering(datalake.BucketCurated, datalake.BucketTiering{IntelligentTiering: &datalake.IntelligentTieringArchive{ArchiveAccessDays: 30}}),
			[]string{"tiering.curated.intelligentTiering.archiveAccessDays is 30", "90 to 730"}},
		{"Intelligent-Tiering deep archive days too low",
			tiering(datalake.BucketCurated, datalake.BucketTiering{IntelligentTiering: &datalake.IntelligentTieringArchive{DeepArchiveAccessDays: 150}}),
			[]string{"tiering.curated.intelligentTiering.deepArchiveAccessDays is 150", "180 to 730"}},
		{"Intelligent-Tiering deep archive not after archive",
			tiering(datalake.BucketCurated, datalake.BucketTiering{IntelligentTiering: &datalake.IntelligentTieringArchive{ArchiveAccessDays: 200, DeepArchiveAccessDays: 190}}),
			[]string{"deepArchiveAccessDays is 190", "more than archiveAccessDays (200)"}},
		{"Intelligent-Tiering with no tier",
			tiering(datalake.BucketCurated, datalake.BucketTiering{IntelligentTiering: &datalake.IntelligentTieringArchive{}}),
			[]string{"tiering.curated.intelligentTiering", "turns no tier on"}},
		{"archive classes in the shared bucket",
			tiering(datalake.BucketShared, rules(datalake.Rule{ID: "old", Transitions: []T{{StorageClass: datalake.DeepArchive, Days: 365}}})),
			[]string{`tiering.shared.rules[0].transitions[0].storageClass is "DEEP_ARCHIVE"`, "File Gateway cannot read"}},
		{"archive tiers in the shared bucket",
			tiering(datalake.BucketShared, datalake.BucketTiering{IntelligentTiering: &datalake.IntelligentTieringArchive{ArchiveAccessDays: 90}}),
			[]string{"tiering.shared.intelligentTiering", "File Gateway cannot read"}},
		{"unknown bucket",
			&datalake.Props{Tiering: datalake.Tiering{"logs": {}}},
			[]string{`tiering.logs is "logs"`, "accepted: raw, partner, shared, curated, results, athenaResults, analytics"}},
		{"rule without action",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "noop", Prefix: "tmp/"})),
			[]string{`tiering.results.rules[0] is "noop"`, "has no action"}},
		{"two rules, same objects",
			tiering(datalake.BucketResults, rules(
				datalake.Rule{ID: "a", DataClass: "qc", ExpirationDays: 90},
				datalake.Rule{ID: "b", DataClass: "qc", ExpirationDays: 30})),
			[]string{`tiering.results.rules[1] is "b"`, "selects the same objects", "merge"}},
		{"leading slash in a prefix",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "tmp", Prefix: "/tmp/", ExpirationDays: 7})),
			[]string{`tiering.results.rules[0].prefix is "/tmp/"`, `must not start with "/"`, `"tmp/"`}},
		{"dot-dot in a prefix",
			tiering(datalake.BucketResults, rules(datalake.Rule{ID: "tmp", Prefix: "a/../b/", ExpirationDays: 7})),
			[]string{`rules[0].prefix is "a/../b/"`, `".." segment`}},
		{"custom data classes without the default ones",
			&datalake.Props{DataClasses: datalake.DataClasses{"vcf": {".vcf.gz"}}},
			[]string{`tiering.raw.rules[0].dataClass is "bcl"`, "accepted: vcf", "DefaultTiering's entry"}},
		{"bad data class name",
			&datalake.Props{DataClasses: datalake.DataClasses{"Variant Calls": {".vcf.gz"}}, Tiering: noClassRules()},
			[]string{`dataClasses.Variant Calls is "Variant Calls"`, "lower-case letters"}},
		{"suffix in two classes",
			&datalake.Props{DataClasses: datalake.DataClasses{"a": {".gz"}, "b": {".gz"}}, Tiering: noClassRules()},
			[]string{`dataClasses.b[0] is ".gz"`, `already a suffix of class "a"`}},
		{"upper-case suffix",
			&datalake.Props{DataClasses: datalake.DataClasses{"a": {".BAM"}}, Tiering: noClassRules()},
			[]string{`dataClasses.a[0] is ".BAM"`, `use ".bam"`}},
		{"Object Lock mode",
			&datalake.Props{ObjectLockMode: "LEGAL_HOLD"},
			[]string{`ObjectLockMode is "LEGAL_HOLD"`, "GOVERNANCE or COMPLIANCE"}},
		{"Object Lock days",
			&datalake.Props{ObjectLockDays: 40000},
			[]string{"ObjectLockDays is 40000", "1 to 36500"}},
		{"vault lock minimum above the retention",
			&datalake.Props{BackupVaultLock: true, BackupVaultLockMinDays: 90},
			[]string{"BackupVaultLockMinDays is 90", "1 to 35"}},
		{"vault lock maximum below the retention",
			&datalake.Props{BackupVaultLock: true, BackupRetentionDays: 365, BackupVaultLockMaxDays: 100},
			[]string{"BackupVaultLockMaxDays is 100", "365"}},
		{"vault lock cooling-off too short",
			&datalake.Props{BackupVaultLock: true, BackupVaultLockChangeableDays: 1},
			[]string{"BackupVaultLockChangeableDays is 1", "72 hours"}},
		{"vault lock settings without the lock",
			&datalake.Props{BackupVaultLockMaxDays: 100},
			[]string{"BackupVaultLock is false", "turn BackupVaultLock on"}},
		{"backup off with backup settings",
			&datalake.Props{DisableBackup: true, BackupRetentionDays: 90},
			[]string{"DisableBackup is true", "contradicts"}},
		{"backup off with a backup key",
			&datalake.Props{DisableBackup: true, BackupKey: awskms.Key_FromKeyArn(awscdk.NewStack(nil, jsii.String("Keys"), nil), jsii.String("Backup"), jsii.String("arn:aws:kms:eu-west-1:111122223333:key/0f0f0f0f-1111-2222-3333-444455556666"))},
			[]string{"DisableBackup is true", "BackupKey"}},
		{"replication region",
			&datalake.Props{Replication: &datalake.Replication{Region: "moon-1"}},
			[]string{`Replication.Region is "moon-1"`, "eu-central-1"}},
		{"replication storage class",
			&datalake.Props{Replication: &datalake.Replication{Region: "eu-west-1", StorageClass: "COLD"}},
			[]string{`Replication.StorageClass is "COLD"`, "DEEP_ARCHIVE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want an error with %q", c.want)
			}
			var found bool
			for _, e := range unjoin(err) {
				var fe *validation.Error
				if !errors.As(e, &fe) || fe.Path != "" || fe.Field == "" {
					t.Errorf("%v is not a *validation.Error with a field and no path", e)
				}
				ok := true
				for _, w := range c.want {
					ok = ok && strings.Contains(e.Error(), w)
				}
				found = found || ok
			}
			if !found {
				t.Errorf("no error contains all of %q; got:\n%v", c.want, err)
			}
		})
	}
}

// noClassRules is a tiering whose rules name no data class, for tests of
// the classes themselves.
func noClassRules() datalake.Tiering {
	t := datalake.Tiering{}
	for _, b := range datalake.AllBuckets() {
		t[b] = datalake.BucketTiering{Rules: []datalake.Rule{}}
	}
	return t
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestNewPanicsWithThePath(t *testing.T) {
	_, stack := cdktest.NewStack("Bad")
	err := cdktest.CatchValidation(t, func() {
		datalake.New(stack, "DataLake", tiering(datalake.BucketRaw, rules(datalake.Rule{ID: "x", Transitions: []T{{StorageClass: datalake.StandardIA, Days: 1}}})))
	})
	cdktest.HasField(t, err, "Bad/DataLake", "tiering.raw.rules[0].transitions[0].days")
	msg, panicked := err.Error(), true
	// Replication needs the replica and stacks with an account and region.
	msg, panicked = cdktest.Catch(func() {
		datalake.New(stack, "Replicated", &datalake.Props{Replication: &datalake.Replication{Region: "eu-west-1"}})
	})
	if !panicked || !strings.Contains(msg, "Replication.Replica") {
		t.Errorf("panicked %v: %s", panicked, msg)
	}
	msg, panicked = cdktest.Catch(func() { datalake.NewReplica(stack, "Replica", nil) })
	if !panicked || !strings.Contains(msg, "no explicit account and region") {
		t.Errorf("panicked %v: %s", panicked, msg)
	}
	app := cdktest.NewApp(nil)
	env := func(region string) *awscdk.StackProps {
		return &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}}
	}
	r := datalake.NewReplica(awscdk.NewStack(app, jsii.String("R"), env("us-east-1")), "Replica", nil)
	for region, want := range map[string]string{"us-east-1": "the data lake's own region", "eu-west-1": "differs from the region of Replication.Replica"} {
		msg, panicked = cdktest.Catch(func() {
			datalake.New(awscdk.NewStack(app, jsii.String("L"+region), env("us-east-1")), "DataLake",
				&datalake.Props{Replication: &datalake.Replication{Region: region, Replica: r}})
		})
		if !panicked || !strings.Contains(msg, want) {
			t.Errorf("replication to %s: panicked %v: %s", region, panicked, msg)
		}
	}
}

func TestClassOf(t *testing.T) {
	custom := datalake.DataClasses{"archive": {".gz"}, "bcl": {".bcl.gz"}, "variants": {".vcf.gz", ".g.vcf.gz"}, "gvcf": {".g.vcf.gz.tbi"}}
	cases := []struct {
		key       string
		classes   datalake.DataClasses
		wantClass string
		wantOK    bool
	}{
		{"runs/230101_A00123/Data/Intensities/BaseCalls/L001/C1.1/s_1_1101.bcl.gz", nil, "bcl", true},
		{"runs/r1/Data/Intensities/BaseCalls/L001/0001.cbcl", nil, "bcl", true},
		{"runs/r1/Data/Intensities/L001/s_1_1101.locs", nil, "bcl", true},
		{"fastq/S1_L001_R1_001.fastq.gz", nil, "fastq", true},
		{"fastq/S1_R2.fq.gz", nil, "fastq", true},
		{"FASTQ/S1_R1_001.FASTQ.GZ", nil, "fastq", true},
		{"fastq/S1.fastq.ora", nil, "fastq", true},
		{"align/S1.bam", nil, "alignment", true},
		{"align/S1.bam.bai", nil, "alignment", true},
		{"align/S1.cram", nil, "alignment", true},
		{"align/S1.cram.crai", nil, "alignment", true},
		{"qc/S1_R1_001_fastqc.html", nil, "qc", true},
		{"qc/multiqc_report.html", nil, "qc", true},
		{"qc/S1.flagstat", nil, "qc", true},
		{"runs/r1/SampleSheet.csv", nil, "", false},
		{"runs/r1/RunInfo.xml", nil, "", false},
		{"align/", nil, "", false},
		{"", nil, "", false},
		{"notes.bam.txt", nil, "", false},
		// Longest suffix wins.
		{"x/s.bcl.gz", custom, "bcl", true},
		{"x/s.tar.gz", custom, "archive", true},
		{"x/s.g.vcf.gz", custom, "variants", true},
		{"x/s.g.vcf.gz.tbi", custom, "gvcf", true},
		{"x/s.fastq.gz", custom, "archive", true},
		{"x/s.fastq.gz", datalake.DataClasses{}, "", false},
	}
	for _, c := range cases {
		got, ok := datalake.ClassOf(c.key, c.classes)
		if got != c.wantClass || ok != c.wantOK {
			t.Errorf("ClassOf(%q) = %q, %v; want %q, %v", c.key, got, ok, c.wantClass, c.wantOK)
		}
	}
}

// TestYAMLShape decodes the tiering as environments/*.yaml writes it, by
// the types' yaml tags.
func TestYAMLShape(t *testing.T) {
	src := `
raw:
  abortIncompleteUploadDays: 3
  rules:
    - id: bcl
      dataClass: bcl
      transitions:
        - {storageClass: DEEP_ARCHIVE, days: 30}
    - id: old
      prefix: runs/2019/
      expirationDays: 3650
      noncurrentTransitions:
        - {storageClass: GLACIER, days: 30}
      noncurrentExpirationDays: 365
curated:
  intelligentTiering: {archiveAccessDays: 90, deepArchiveAccessDays: 180, prefix: tables/, dataClass: fastq}
`
	var got datalake.Tiering
	if err := yaml.UnmarshalWithOptions([]byte(src), &got, yaml.Strict()); err != nil {
		t.Fatal(err)
	}
	raw := got[datalake.BucketRaw]
	if raw.AbortIncompleteUploadDays != 3 || len(raw.Rules) != 2 || raw.Rules[0].Transitions[0] != (T{StorageClass: datalake.DeepArchive, Days: 30}) ||
		raw.Rules[1].Prefix != "runs/2019/" || raw.Rules[1].ExpirationDays != 3650 || raw.Rules[1].NoncurrentExpirationDays != 365 ||
		raw.Rules[1].NoncurrentTransitions[0].StorageClass != datalake.Glacier {
		t.Errorf("raw decoded as %+v", raw)
	}
	it := got[datalake.BucketCurated].IntelligentTiering
	if it == nil || *it != (datalake.IntelligentTieringArchive{ArchiveAccessDays: 90, DeepArchiveAccessDays: 180, Prefix: "tables/", DataClass: "fastq"}) {
		t.Errorf("curated decoded as %+v", got[datalake.BucketCurated])
	}
	if err := (&datalake.Props{Tiering: got}).Validate(); err != nil {
		t.Errorf("decoded tiering: %v", err)
	}
	// Curated keeps its default rules: only intelligentTiering was given.
	if eff := got.Effective(datalake.BucketCurated); len(eff.Rules) == 0 || eff.AbortIncompleteUploadDays != 7 {
		t.Errorf("curated effective %+v", eff)
	}
}

package datalake

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// BucketName names one of the data lake's buckets. The names are the keys of
// Tiering (and of the tiering map in environments/*.yaml).
type BucketName string

// The data lake's buckets.
const (
	// BucketRaw holds instrument runs, written as Standard-IA by DataSync,
	// under Object Lock.
	BucketRaw BucketName = "raw"
	// BucketPartner holds CRO uploads: PartnerQuarantinePrefix until they are
	// verified, PartnerAcceptedPrefix after.
	BucketPartner BucketName = "partner"
	// BucketShared backs the S3 File Gateway share of on-premises
	// researchers, under SharedGatewayPrefix.
	BucketShared BucketName = "shared"
	// BucketCurated holds verified, analysis-ready data.
	BucketCurated BucketName = "curated"
	// BucketResults holds pipeline outputs.
	BucketResults BucketName = "results"
	// BucketAthenaResults holds Athena query results.
	BucketAthenaResults BucketName = "athenaResults"
	// BucketAnalytics receives S3 Inventory reports and Storage Class
	// Analysis exports of the data buckets, for Athena.
	BucketAnalytics BucketName = "analytics"
)

// Prefixes with a meaning in the data lake.
const (
	// PartnerQuarantinePrefix is where partner uploads land and stay until
	// their checksums are verified.
	PartnerQuarantinePrefix = "quarantine/"
	// PartnerAcceptedPrefix is where verified partner uploads are moved.
	PartnerAcceptedPrefix = "accepted/"
	// SharedGatewayPrefix is the prefix the File Gateway share exports.
	SharedGatewayPrefix = "share/"
	// InventoryPrefix is where S3 Inventory reports of each data bucket go in
	// the analytics bucket: InventoryPrefix + bucket name, under which S3
	// writes <physical bucket name>/<inventory id>/.
	InventoryPrefix = "inventory/"
	// StorageClassAnalysisPrefix is where Storage Class Analysis exports of
	// each data bucket go in the analytics bucket:
	// StorageClassAnalysisPrefix + bucket name + "/".
	StorageClassAnalysisPrefix = "storage-class-analysis/"
)

// AllBuckets lists every bucket name, in a fixed order.
func AllBuckets() []BucketName {
	return []BucketName{BucketRaw, BucketPartner, BucketShared, BucketCurated, BucketResults, BucketAthenaResults, BucketAnalytics}
}

// DataBucketNames lists the buckets that hold data (not query results or
// reports): they get EventBridge notifications, inventory, storage class
// analysis and backup.
func DataBucketNames() []BucketName {
	return []BucketName{BucketRaw, BucketPartner, BucketShared, BucketCurated, BucketResults}
}

// StorageClass is an S3 storage class that lifecycle rules move objects to.
type StorageClass string

// The storage classes a rule may transition to, from warmest to coldest.
// S3 One Zone-IA is not offered: it keeps one copy in one availability zone.
const (
	StandardIA         StorageClass = "STANDARD_IA"
	IntelligentTiering StorageClass = "INTELLIGENT_TIERING"
	GlacierIR          StorageClass = "GLACIER_IR"
	Glacier            StorageClass = "GLACIER"
	DeepArchive        StorageClass = "DEEP_ARCHIVE"

	// Standard is where objects start unless written otherwise; it is not a
	// transition target (S3 never moves objects back to it).
	Standard StorageClass = "STANDARD"
)

// classInfo: rank orders classes from warm to cold (S3's lifecycle
// waterfall only moves objects colder); minDays is the least age S3 accepts
// for a transition to the class; minStay is the least time an object stays
// in the class before the next transition or expiration: for Standard-IA and
// Intelligent-Tiering S3 refuses a next transition sooner than 30 days, and
// for the Glacier classes biolake refuses to pay early-deletion charges
// (minimum storage duration 90 days for Glacier Instant Retrieval and
// Flexible Retrieval, 180 days for Deep Archive).
type classInfo struct {
	rank, minDays, minStay int
	cdk                    func() awss3.StorageClass
}

var classes = map[StorageClass]classInfo{
	Standard:           {0, 0, 0, nil},
	StandardIA:         {1, 30, 30, awss3.StorageClass_INFREQUENT_ACCESS},
	IntelligentTiering: {2, 0, 30, awss3.StorageClass_INTELLIGENT_TIERING},
	GlacierIR:          {3, 0, 90, awss3.StorageClass_GLACIER_INSTANT_RETRIEVAL},
	Glacier:            {4, 0, 90, awss3.StorageClass_GLACIER},
	DeepArchive:        {5, 0, 180, awss3.StorageClass_DEEP_ARCHIVE},
}

// StorageClasses lists the transition targets, warmest first.
func StorageClasses() []StorageClass {
	return []StorageClass{StandardIA, IntelligentTiering, GlacierIR, Glacier, DeepArchive}
}

// Transition moves objects to a storage class a number of days after they
// were created (or, as a noncurrent transition, after they became
// noncurrent).
type Transition struct {
	// StorageClass to move to: STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR,
	// GLACIER or DEEP_ARCHIVE. Required.
	StorageClass StorageClass `yaml:"storageClass"`
	// Days after creation (or after becoming noncurrent). STANDARD_IA needs
	// 30 or more; noncurrent transitions need 1 or more. Default: 0.
	Days int `yaml:"days"`
}

// Rule is one lifecycle rule. It selects objects by key prefix, by data
// class (the DataClassTag tag), by both, or, with neither, the whole bucket.
type Rule struct {
	// ID names the rule, unique in its bucket, at most 255 characters.
	// "abort-incomplete-uploads" is reserved. Required.
	ID string `yaml:"id"`
	// Prefix of the keys the rule applies to, such as "runs/"; no leading
	// "/" and no "..". Default: "" (any key).
	Prefix string `yaml:"prefix"`
	// DataClass the rule applies to, a name in Props.DataClasses. Default:
	// "" (any class, and objects without one).
	DataClass string `yaml:"dataClass"`
	// Transitions of current versions, each to a colder class and later
	// than the one before. Default: none.
	Transitions []Transition `yaml:"transitions"`
	// ExpirationDays after creation when current versions expire (become
	// noncurrent behind a delete marker); after the last transition plus the
	// minimum stay of its class. Default: 0 (never).
	ExpirationDays int `yaml:"expirationDays"`
	// NoncurrentTransitions of noncurrent versions, days counted from when
	// a version became noncurrent. Default: none.
	NoncurrentTransitions []Transition `yaml:"noncurrentTransitions"`
	// NoncurrentExpirationDays after which noncurrent versions are deleted
	// for good (Object Lock still protects locked versions). Default: 0
	// (never).
	NoncurrentExpirationDays int `yaml:"noncurrentExpirationDays"`
}

// IntelligentTieringArchive turns on the opt-in archive tiers of S3
// Intelligent-Tiering for objects in the INTELLIGENT_TIERING class. Archived
// objects must be restored before they can be read (as with Glacier
// Flexible Retrieval and Deep Archive).
type IntelligentTieringArchive struct {
	// ArchiveAccessDays without access before an object moves to the
	// Archive Access tier, 90 to 730. Default: 0 (tier off).
	ArchiveAccessDays int `yaml:"archiveAccessDays"`
	// DeepArchiveAccessDays without access before an object moves to the
	// Deep Archive Access tier, 180 to 730 and more than ArchiveAccessDays.
	// Default: 0 (tier off).
	DeepArchiveAccessDays int `yaml:"deepArchiveAccessDays"`
	// Prefix the configuration applies to. Default: "" (whole bucket).
	Prefix string `yaml:"prefix"`
	// DataClass the configuration applies to. Default: "" (any).
	DataClass string `yaml:"dataClass"`
}

// BucketTiering is the lifecycle policy of one bucket.
type BucketTiering struct {
	// Rules of the bucket. nil (the key absent from YAML) keeps
	// DefaultTiering's rules for the bucket; an empty list means no rules
	// beyond the always-present one that aborts incomplete uploads.
	// Default: DefaultTiering's rules.
	Rules []Rule `yaml:"rules"`
	// AbortIncompleteUploadDays after which incomplete multipart uploads
	// are aborted, 1 or more. Every bucket has this rule. Default: 7.
	AbortIncompleteUploadDays int `yaml:"abortIncompleteUploadDays"`
	// IntelligentTiering archive tiers. Not accepted for the shared bucket:
	// the File Gateway cannot read archived objects. Default: none.
	IntelligentTiering *IntelligentTieringArchive `yaml:"intelligentTiering"`
}

// Tiering is the lifecycle policy of each bucket. A bucket missing from the
// map gets DefaultTiering's entry; a field left empty in an entry gets the
// default's value (see BucketTiering).
type Tiering map[BucketName]BucketTiering

// DefaultAbortIncompleteUploadDays is the default of
// BucketTiering.AbortIncompleteUploadDays.
const DefaultAbortIncompleteUploadDays = 7

// abortRuleID is the id of the rule every bucket gets.
const abortRuleID = "abort-incomplete-uploads"

// DefaultTiering returns biolake's lifecycle policy for life-sciences data
// (docs/STORAGE.md has the table and a cost estimate):
//
//   - raw: objects arrive as Standard-IA (DataSync). BCL/CBCL to Deep
//     Archive at 30 days (after demultiplexing; kept for re-demultiplexing
//     and audit); FASTQ to Glacier Instant Retrieval at 60 days and Deep
//     Archive at 730; BAM/CRAM to Glacier Instant Retrieval at 90; QC and
//     other files stay Standard-IA. Noncurrent versions go to Deep Archive
//     after 30 days and are deleted after 365.
//   - partner: quarantine/ to Standard-IA at 30 days (uploads that were
//     never verified), noncurrent versions deleted after 30 days; accepted/
//     BCL to Deep Archive at 30, FASTQ to Glacier IR at 60 and Deep Archive
//     at 730, BAM/CRAM to Standard-IA at 30 and Glacier IR at 180;
//     noncurrent versions elsewhere deleted after 90 days.
//   - shared: Intelligent-Tiering at 0 days (access through the File
//     Gateway is unpredictable; no archive tiers, which the gateway cannot
//     read); noncurrent versions deleted after 30 days.
//   - curated: Intelligent-Tiering at 0 days; noncurrent versions to
//     Glacier IR at 30 days, deleted after 180.
//   - results: FASTQ to Glacier IR at 60 days and Deep Archive at 730;
//     BAM/CRAM to Standard-IA at 30 and Glacier IR at 180; QC reports stay
//     Standard; noncurrent versions to Glacier IR at 30, deleted after 365.
//   - athenaResults: query results expire after 30 days, their noncurrent
//     versions 1 day later.
//   - analytics: reports to Standard-IA at 30 days, expire after 365;
//     noncurrent versions deleted after 30.
//
// Every bucket also aborts incomplete multipart uploads after 7 days and
// removes expired delete markers.
func DefaultTiering() Tiering {
	t := func(c StorageClass, d int) Transition { return Transition{StorageClass: c, Days: d} }
	return Tiering{
		BucketRaw: {Rules: []Rule{
			{ID: "bcl", DataClass: ClassBCL, Transitions: []Transition{t(DeepArchive, 30)}},
			{ID: "fastq", DataClass: ClassFASTQ, Transitions: []Transition{t(GlacierIR, 60), t(DeepArchive, 730)}},
			{ID: "alignment", DataClass: ClassAlignment, Transitions: []Transition{t(GlacierIR, 90)}},
			{ID: "noncurrent-versions", NoncurrentTransitions: []Transition{t(DeepArchive, 30)}, NoncurrentExpirationDays: 365},
		}},
		BucketPartner: {Rules: []Rule{
			{ID: "quarantine", Prefix: PartnerQuarantinePrefix, Transitions: []Transition{t(StandardIA, 30)}, NoncurrentExpirationDays: 30},
			{ID: "accepted-bcl", Prefix: PartnerAcceptedPrefix, DataClass: ClassBCL, Transitions: []Transition{t(DeepArchive, 30)}},
			{ID: "accepted-fastq", Prefix: PartnerAcceptedPrefix, DataClass: ClassFASTQ, Transitions: []Transition{t(GlacierIR, 60), t(DeepArchive, 730)}},
			{ID: "accepted-alignment", Prefix: PartnerAcceptedPrefix, DataClass: ClassAlignment, Transitions: []Transition{t(StandardIA, 30), t(GlacierIR, 180)}},
			{ID: "noncurrent-versions", NoncurrentExpirationDays: 90},
		}},
		BucketShared: {Rules: []Rule{
			{ID: "intelligent-tiering", Transitions: []Transition{t(IntelligentTiering, 0)}, NoncurrentExpirationDays: 30},
		}},
		BucketCurated: {Rules: []Rule{
			{ID: "intelligent-tiering", Transitions: []Transition{t(IntelligentTiering, 0)},
				NoncurrentTransitions: []Transition{t(GlacierIR, 30)}, NoncurrentExpirationDays: 180},
		}},
		BucketResults: {Rules: []Rule{
			{ID: "fastq", DataClass: ClassFASTQ, Transitions: []Transition{t(GlacierIR, 60), t(DeepArchive, 730)}},
			{ID: "alignment", DataClass: ClassAlignment, Transitions: []Transition{t(StandardIA, 30), t(GlacierIR, 180)}},
			{ID: "noncurrent-versions", NoncurrentTransitions: []Transition{t(GlacierIR, 30)}, NoncurrentExpirationDays: 365},
		}},
		BucketAthenaResults: {Rules: []Rule{
			{ID: "expire-query-results", ExpirationDays: 30, NoncurrentExpirationDays: 1},
		}},
		BucketAnalytics: {Rules: []Rule{
			{ID: "expire-reports", Transitions: []Transition{t(StandardIA, 30)}, ExpirationDays: 365, NoncurrentExpirationDays: 30},
		}},
	}
}

// InitialStorageClass is the class objects of a bucket are written in:
// STANDARD_IA for raw (DataSync writes instrument runs as Standard-IA),
// STANDARD for the others. Validation counts the Standard-IA minimum of 30
// days from it.
func InitialStorageClass(b BucketName) StorageClass {
	if b == BucketRaw {
		return StandardIA
	}
	return Standard
}

// Effective returns the tiering New applies to bucket b: t's entry with
// its empty fields filled from DefaultTiering, or DefaultTiering's entry
// when t has none.
func (t Tiering) Effective(b BucketName) BucketTiering {
	def := DefaultTiering()[b]
	got, ok := t[b]
	if !ok {
		got = def
	}
	if got.Rules == nil {
		got.Rules = def.Rules
	}
	if got.AbortIncompleteUploadDays == 0 {
		got.AbortIncompleteUploadDays = DefaultAbortIncompleteUploadDays
	}
	if got.IntelligentTiering == nil {
		got.IntelligentTiering = def.IntelligentTiering
	}
	return got
}

// maxDays caps every day count, to catch typos (100 years).
const maxDays = 36500

// validateTiering checks every bucket's effective tiering.
func validateTiering(t Tiering, dc DataClasses) []error {
	var errs []error
	known := map[BucketName]bool{}
	for _, b := range AllBuckets() {
		known[b] = true
	}
	for _, b := range sortedKeys(t) {
		if !known[b] {
			errs = append(errs, fieldErr("tiering."+string(b), string(b), "is not a bucket of the data lake; accepted: %s", joinNames(AllBuckets())))
		}
	}
	for _, b := range AllBuckets() {
		given, ok := t[b]
		v := &tieringValidator{bucket: b, classes: dc, fromDefault: !ok || given.Rules == nil}
		errs = append(errs, v.bucketTiering(t.Effective(b))...)
	}
	return errs
}

type tieringValidator struct {
	bucket      BucketName
	classes     DataClasses
	fromDefault bool
	errs        []error
}

func (v *tieringValidator) fail(path string, value any, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if v.fromDefault && strings.Contains(path, ".rules") {
		msg += " (in DefaultTiering's entry for this bucket: give tiering." + string(v.bucket) + " its own rules, or keep the default data classes)"
	}
	v.errs = append(v.errs, fieldErr(path, value, "%s", msg))
}

func (v *tieringValidator) bucketTiering(bt BucketTiering) []error {
	base := "tiering." + string(v.bucket)
	if bt.AbortIncompleteUploadDays < 1 || bt.AbortIncompleteUploadDays > maxDays {
		v.fail(base+".abortIncompleteUploadDays", bt.AbortIncompleteUploadDays, "is not accepted; use 1 to %d days (0 means %d)", maxDays, DefaultAbortIncompleteUploadDays)
	}
	if len(bt.Rules) > 999 {
		v.fail(base+".rules", len(bt.Rules), "rules are more than S3 accepts; use at most 999 (one more is the abort rule)")
	}
	ids := map[string]int{}
	filters := map[string]int{}
	for i, r := range bt.Rules {
		rp := fmt.Sprintf("%s.rules[%d]", base, i)
		switch {
		case r.ID == "":
			v.fail(rp+".id", "", "is required: name the rule, for example %q", "fastq")
		case len(r.ID) > 255:
			v.fail(rp+".id", r.ID, "is longer than the 255 characters S3 accepts")
		case r.ID == abortRuleID:
			v.fail(rp+".id", r.ID, "is reserved for the rule biolake adds to every bucket; set abortIncompleteUploadDays instead, or choose another id")
		default:
			if j, dup := ids[r.ID]; dup {
				v.fail(rp+".id", r.ID, "is also the id of rules[%d]; rule ids must be unique in a bucket", j)
			} else {
				ids[r.ID] = i
			}
		}
		if err := checkPrefix(r.Prefix); err != "" {
			v.fail(rp+".prefix", r.Prefix, "%s", err)
		}
		if r.DataClass != "" {
			if _, ok := v.classes[r.DataClass]; !ok {
				v.fail(rp+".dataClass", r.DataClass, "is not a data class; accepted: %s", strings.Join(sortedKeys(v.classes), ", "))
			}
		}
		f := r.Prefix + "\x00" + r.DataClass
		if j, dup := filters[f]; dup {
			v.fail(rp, r.ID, "selects the same objects (prefix %q, dataClass %q) as rules[%d]; merge the two rules", r.Prefix, r.DataClass, j)
		} else {
			filters[f] = i
		}
		if len(r.Transitions) == 0 && r.ExpirationDays == 0 && len(r.NoncurrentTransitions) == 0 && r.NoncurrentExpirationDays == 0 {
			v.fail(rp, r.ID, "has no action; give transitions, expirationDays, noncurrentTransitions or noncurrentExpirationDays, or remove the rule")
		}
		v.transitions(rp+".transitions", rp+".expirationDays", r.Transitions, r.ExpirationDays, InitialStorageClass(v.bucket), 0)
		v.transitions(rp+".noncurrentTransitions", rp+".noncurrentExpirationDays", r.NoncurrentTransitions, r.NoncurrentExpirationDays, "", 1)
		if v.bucket == BucketShared {
			for j, tr := range r.Transitions {
				if tr.StorageClass == Glacier || tr.StorageClass == DeepArchive {
					v.fail(fmt.Sprintf("%s.transitions[%d].storageClass", rp, j), string(tr.StorageClass),
						"is not accepted in the shared bucket: the File Gateway cannot read objects in GLACIER or DEEP_ARCHIVE; use STANDARD_IA, INTELLIGENT_TIERING or GLACIER_IR")
				}
			}
		}
	}
	if it := bt.IntelligentTiering; it != nil {
		ip := base + ".intelligentTiering"
		if v.bucket == BucketShared {
			v.fail(ip, "set", "is not accepted in the shared bucket: the File Gateway cannot read objects in the archive tiers; remove it")
		}
		if it.ArchiveAccessDays == 0 && it.DeepArchiveAccessDays == 0 {
			v.fail(ip, "{}", "turns no tier on; set archiveAccessDays (90 to 730) and/or deepArchiveAccessDays (180 to 730), or remove it")
		}
		if it.ArchiveAccessDays != 0 && (it.ArchiveAccessDays < 90 || it.ArchiveAccessDays > 730) {
			v.fail(ip+".archiveAccessDays", it.ArchiveAccessDays, "is not accepted by S3; use 90 to 730 days, or 0 to leave the Archive Access tier off")
		}
		if it.DeepArchiveAccessDays != 0 && (it.DeepArchiveAccessDays < 180 || it.DeepArchiveAccessDays > 730) {
			v.fail(ip+".deepArchiveAccessDays", it.DeepArchiveAccessDays, "is not accepted by S3; use 180 to 730 days, or 0 to leave the Deep Archive Access tier off")
		}
		if it.ArchiveAccessDays != 0 && it.DeepArchiveAccessDays != 0 && it.DeepArchiveAccessDays <= it.ArchiveAccessDays {
			v.fail(ip+".deepArchiveAccessDays", it.DeepArchiveAccessDays, "must be more than archiveAccessDays (%d)", it.ArchiveAccessDays)
		}
		if err := checkPrefix(it.Prefix); err != "" {
			v.fail(ip+".prefix", it.Prefix, "%s", err)
		}
		if it.DataClass != "" {
			if _, ok := v.classes[it.DataClass]; !ok {
				v.fail(ip+".dataClass", it.DataClass, "is not a data class; accepted: %s", strings.Join(sortedKeys(v.classes), ", "))
			}
		}
	}
	return v.errs
}

// transitions checks a chain of transitions and its expiration. initial is
// the class objects start in ("" for noncurrent versions, whose class is
// unknown); minDay is the least day count S3 accepts (0 for current
// versions, 1 for noncurrent ones).
func (v *tieringValidator) transitions(path, expPath string, ts []Transition, expiration int, initial StorageClass, minDay int) {
	prev := initial
	prevDay := 0
	prevPath := ""
	chainOK := true
	for j, tr := range ts {
		tp := fmt.Sprintf("%s[%d]", path, j)
		info, known := classes[tr.StorageClass]
		if !known || tr.StorageClass == Standard {
			v.fail(tp+".storageClass", string(tr.StorageClass), "is not a storage class a rule can move objects to; accepted: %s", joinClasses(StorageClasses()))
			chainOK = false
			continue
		}
		if tr.Days < minDay || tr.Days > maxDays {
			v.fail(tp+".days", tr.Days, "is not accepted; use %d to %d", minDay, maxDays)
			chainOK = false
			continue
		}
		if tr.Days < info.minDays {
			v.fail(tp+".days", tr.Days, "is below S3's minimum for %s: objects must be at least %d days old (or noncurrent) before they move to it; use %d or more", tr.StorageClass, info.minDays, info.minDays)
			chainOK = false
			continue
		}
		if prev != "" {
			pi := classes[prev]
			if info.rank <= pi.rank {
				what := "the class before it"
				if prevPath == "" {
					what = "the class objects of this bucket are written in"
				}
				v.fail(tp+".storageClass", string(tr.StorageClass), "is not colder than %s (%s); S3 moves objects only down the chain %s", what, prev, joinClasses(StorageClasses()))
				chainOK = false
			} else if tr.Days < prevDay+pi.minStay {
				why := "S3 refuses a transition sooner"
				if prev == GlacierIR || prev == Glacier || prev == DeepArchive {
					why = "sooner would pay its minimum storage duration anyway"
				}
				if prevPath == "" {
					v.fail(tp+".days", tr.Days, "is too early: objects of this bucket are written as %s, which bills at least %d days, so an earlier move pays for both classes; use %d or more", prev, pi.minStay, prevDay+pi.minStay)
				} else {
					v.fail(tp+".days", tr.Days, "is too early: objects stay at least %d days in %s (from %s, day %d) before moving on (%s); use %d or more", pi.minStay, prev, prevPath, prevDay, why, prevDay+pi.minStay)
				}
				chainOK = false
			}
		}
		prev, prevDay, prevPath = tr.StorageClass, tr.Days, tp
	}
	if expiration == 0 {
		return
	}
	if expiration < 1 || expiration > maxDays {
		v.fail(expPath, expiration, "is not accepted; use 1 to %d days, or 0 to never expire", maxDays)
		return
	}
	if !chainOK || prev == "" {
		return
	}
	need := prevDay + classes[prev].minStay
	if expiration < need || (len(ts) > 0 && expiration <= prevDay) {
		if need <= prevDay {
			need = prevDay + 1
		}
		if prevPath == "" {
			v.fail(expPath, expiration, "is too early: objects of this bucket are written as %s, which bills at least %d days; use %d or more", prev, classes[prev].minStay, need)
		} else {
			v.fail(expPath, expiration, "must come after the last transition (%s, to %s at day %d) plus its minimum stay of %d days; use %d or more", prevPath, prev, prevDay, classes[prev].minStay, need)
		}
	}
}

// checkPrefix returns what is wrong with a key prefix, or "".
func checkPrefix(p string) string {
	switch {
	case strings.HasPrefix(p, "/"):
		return "must not start with \"/\" (S3 keys have no leading slash); write it as " + fmt.Sprintf("%q", strings.TrimLeft(p, "/"))
	case p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/.."):
		return "must not contain a \"..\" segment"
	case strings.ContainsAny(p, "*?"):
		return "must not contain \"*\" or \"?\": it is a literal key prefix, not a pattern"
	case len(p) > 1024:
		return "is longer than 1024 characters"
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return "must not contain control characters"
		}
	}
	return ""
}

// lifecycleRules renders a bucket's tiering as CDK lifecycle rules, the
// abort rule first.
func lifecycleRules(bt BucketTiering) []*awss3.LifecycleRule {
	days := func(n int) awscdk.Duration { return awscdk.Duration_Days(jsii.Number(float64(n))) }
	out := []*awss3.LifecycleRule{{
		Id:                                  jsii.String(abortRuleID),
		AbortIncompleteMultipartUploadAfter: days(bt.AbortIncompleteUploadDays),
		ExpiredObjectDeleteMarker:           jsii.Bool(true),
	}}
	for _, r := range bt.Rules {
		lr := &awss3.LifecycleRule{Id: jsii.String(r.ID), Enabled: jsii.Bool(true)}
		if r.Prefix != "" {
			lr.Prefix = jsii.String(r.Prefix)
		}
		if r.DataClass != "" {
			lr.TagFilters = &map[string]interface{}{DataClassTag: r.DataClass}
		}
		if len(r.Transitions) > 0 {
			ts := make([]*awss3.Transition, len(r.Transitions))
			for i, t := range r.Transitions {
				ts[i] = &awss3.Transition{StorageClass: classes[t.StorageClass].cdk(), TransitionAfter: days(t.Days)}
			}
			lr.Transitions = &ts
		}
		if r.ExpirationDays > 0 {
			lr.Expiration = days(r.ExpirationDays)
		}
		if len(r.NoncurrentTransitions) > 0 {
			ts := make([]*awss3.NoncurrentVersionTransition, len(r.NoncurrentTransitions))
			for i, t := range r.NoncurrentTransitions {
				ts[i] = &awss3.NoncurrentVersionTransition{StorageClass: classes[t.StorageClass].cdk(), TransitionAfter: days(t.Days)}
			}
			lr.NoncurrentVersionTransitions = &ts
		}
		if r.NoncurrentExpirationDays > 0 {
			lr.NoncurrentVersionExpiration = days(r.NoncurrentExpirationDays)
		}
		out = append(out, lr)
	}
	return out
}

// intelligentTiering renders the archive configuration, or nil.
func intelligentTiering(bt BucketTiering) []*awss3.IntelligentTieringConfiguration {
	it := bt.IntelligentTiering
	if it == nil {
		return nil
	}
	c := &awss3.IntelligentTieringConfiguration{Name: jsii.String("biolake-archive")}
	if it.ArchiveAccessDays > 0 {
		c.ArchiveAccessTierTime = awscdk.Duration_Days(jsii.Number(float64(it.ArchiveAccessDays)))
	}
	if it.DeepArchiveAccessDays > 0 {
		c.DeepArchiveAccessTierTime = awscdk.Duration_Days(jsii.Number(float64(it.DeepArchiveAccessDays)))
	}
	if it.Prefix != "" {
		c.Prefix = jsii.String(it.Prefix)
	}
	if it.DataClass != "" {
		c.Tags = &[]*awss3.Tag{{Key: jsii.String(DataClassTag), Value: jsii.String(it.DataClass)}}
	}
	return []*awss3.IntelligentTieringConfiguration{c}
}

func joinNames(v []BucketName) string {
	s := make([]string, len(v))
	for i, b := range v {
		s[i] = string(b)
	}
	return strings.Join(s, ", ")
}

func joinClasses(v []StorageClass) string {
	s := make([]string, len(v))
	for i, c := range v {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

package eventglue

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"

	"github.com/biolake/biolake/constructs/archive"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Defaults of Props.
const (
	DefaultLogRetentionDays     = 365
	DefaultArchiveRetentionDays = 365
	MaxArchiveRetentionDays     = 36500
	DefaultIngestConcurrency    = 20
	DefaultVerifyConcurrency    = 10
	DefaultRestoreConcurrency   = 5
	DefaultMapConcurrency       = 10
	MaxMapConcurrency           = 1000
	// DefaultMaxStreamBytes is the largest object the verify Lambda function
	// streams and hashes itself (2 GiB, the handler's own default); larger
	// ones go to the Batch job.
	DefaultMaxStreamBytes int64 = 2 << 30
	DefaultRestoreTier          = archive.DefaultTier
	DefaultRestoreDays          = archive.DefaultDays
	MaxRestoreDays              = archive.MaxDays
	DefaultVerifyMemoryMB       = 1769 // one full vCPU
	DefaultLogLevel             = "info"
)

// RestoreTier is an S3 Glacier retrieval tier (archive.Tier, shared with
// workflow).
type RestoreTier = archive.Tier

// Retrieval tiers. Deep Archive has no Expedited tier.
const (
	RestoreBulk     = archive.Bulk
	RestoreStandard = archive.Standard
)

// Channel is how the data of a run arrives.
type Channel string

// Channels, as the handlers and events name them.
const (
	ChannelDataSync    Channel = "datasync"
	ChannelTransfer    Channel = "transfer"
	ChannelFileGateway Channel = "filegateway"
)

// Profiles are the instrument profiles the ingest handler knows by name
// ("generic" takes its markers and manifest from the rule).
var Profiles = []string{"novaseq-x", "novaseq-6000", "nextseq", "miseq", "generic"}

// RunRule tells the ingest handler where runs land: in Bucket, every first
// path segment under Prefix is a run folder of Profile (with Partnered,
// Prefix/<partner>/<dataset>/ is one). It is passed to the handler as one
// element of RUN_RULES.
type RunRule struct {
	// Bucket the runs land in, one of the data lake's data buckets.
	// Required.
	Bucket datalake.BucketName
	// Prefix under which run folders sit, ending in "/" ("" for the whole
	// bucket); no leading "/", no empty segment. Prefixes of one bucket must
	// not overlap (neither may start with the other). Required.
	Prefix string
	// Profile is an instrument profile: novaseq-x, novaseq-6000, nextseq,
	// miseq, or generic (which needs Markers or Manifest). Required.
	Profile string
	// Markers replace the profile's completion markers (plain file names at
	// the run folder's root). Default: the profile's.
	Markers []string
	// Manifest is the file name, at the run folder's root, of the manifest
	// that lists the run's files and checksums; the run is complete when it
	// and every file it lists have arrived, and verified against it.
	// Default: "" (none: a run is then complete only on independent
	// evidence, a successful DataSync task execution for the datasync
	// channel or, where SettleAfter opts in, a settle window; otherwise it
	// waits).
	Manifest string
	// Channel the data arrives by: datasync, transfer or filegateway.
	// Required.
	Channel Channel
	// Partnered: keys are Prefix/<partner>/<dataset>/..., one home per
	// partner (the transfer channel). Default: false.
	Partnered bool
	// SettleAfter opts a rule without a Manifest, on the transfer or
	// filegateway channel, in to settle windows: a run whose markers and
	// data have arrived is complete (RunCompleted evidence, RunIngested
	// verifiedBy "settled") once no new object has arrived for this long,
	// with nothing compared. 5 minutes to 30 days. Default: 0 (never; such
	// a run waits for a manifest).
	SettleAfter time.Duration
}

// Limits of RunRule.SettleAfter.
const (
	MinSettleAfter = 5 * time.Minute
	MaxSettleAfter = 30 * 24 * time.Hour
)

// DefaultRunRules returns the rules used when Props.RunRules is empty:
// NovaSeq X runs under "runs/" of the raw bucket (DataSync), and partner
// datasets under the partner bucket's quarantine prefix (SFTP), each with a
// "manifest.sha256". The manifest is what verifies a run that no DataSync
// task of this app delivers (and so no DataSync event vouches for).
func DefaultRunRules() []RunRule {
	return []RunRule{
		{Bucket: datalake.BucketRaw, Prefix: "runs/", Profile: "novaseq-x", Manifest: "manifest.sha256", Channel: ChannelDataSync},
		{Bucket: datalake.BucketPartner, Prefix: datalake.PartnerQuarantinePrefix, Profile: "generic", Manifest: "manifest.sha256", Channel: ChannelTransfer, Partnered: true},
	}
}

// ReservedConcurrency reserves concurrent executions per handler. 0 means
// the default; it must not be negative.
type ReservedConcurrency struct {
	// Ingest handler. Default: 20.
	Ingest int
	// Verify handler. Default: 10.
	Verify int
	// Restore handler. Default: 5.
	Restore int
}

// Props configures the event glue.
type Props struct {
	// Lake is the data lake whose buckets the glue watches, whose data key
	// it uses and whose backup plan takes the catalog table. Required.
	Lake datalake.ILake
	// Network places the handlers and the Batch jobs in its private
	// subnets. Required.
	Network network.INetwork
	// LogKey encrypts every log group of the glue (handlers, state machine,
	// Batch job); its policy must allow secure.ServiceLogs. Default: a new
	// key that does.
	LogKey awskms.IKey
	// QueueKey encrypts the glue's queues (ingest and restore queues and
	// every dead-letter queue); an imported key's policy must let
	// EventBridge (events.amazonaws.com) call kms:GenerateDataKey* and
	// kms:Decrypt for this account, as secure.ServiceEvents does, since CDK
	// cannot edit an imported key's policy. Default: nil, and the construct
	// creates a key with rotation on.
	QueueKey awskms.IKey
	// BusKey encrypts the custom event bus; an imported key's policy must
	// let EventBridge (events.amazonaws.com) call kms:GenerateDataKey and
	// kms:Decrypt with the bus's encryption context
	// (kms:EncryptionContext:aws:events:event-bus:arn) and kms:DescribeKey,
	// since CDK cannot edit an imported key's policy. Default: nil, and the
	// construct creates a key with rotation on.
	BusKey awskms.IKey
	// ArchiveKey encrypts the bus's event archive; an imported key's policy
	// must let EventBridge (events.amazonaws.com) call kms:Decrypt,
	// kms:GenerateDataKey and kms:ReEncrypt* with the bus's encryption
	// context, and kms:DescribeKey, since CDK cannot edit an imported key's
	// policy. Default: nil, and the construct creates a key with rotation
	// on.
	ArchiveKey awskms.IKey
	// AlarmKey encrypts the alarm topic; an imported key's policy must let
	// CloudWatch alarms (cloudwatch.amazonaws.com) and EventBridge
	// (events.amazonaws.com) call kms:Decrypt and kms:GenerateDataKey* for
	// this account's topics, as secure.ServiceSNS and
	// secure.ServiceEventsToSNS do, since CDK cannot edit an imported key's
	// policy. Default: nil, and the construct creates a key with rotation
	// on.
	AlarmKey awskms.IKey
	// CatalogKey encrypts the catalog table; DynamoDB needs no statement of
	// its own in the key policy (the handlers get IAM grants). Default: nil,
	// and the construct creates a key with rotation on.
	CatalogKey awskms.IKey
	// LogRetentionDays of every log group, a CloudWatch Logs value (1, 3,
	// 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
	// 2192, 2557, 2922, 3288, 3653). Default: 365.
	LogRetentionDays int
	// LogLevel of the handlers: debug, info, warn or error. Default: info.
	LogLevel string
	// RunRules say where runs land; see RunRule. Default: DefaultRunRules().
	RunRules []RunRule
	// DeletionProtection of the catalog table: turn it on everywhere but
	// dev. (The table is retained when its stack is deleted either way.)
	// Default: false.
	DeletionProtection bool
	// ArchiveRetentionDays of the bus's archive of all events (for replay),
	// 1 to 36500. Default: 365.
	ArchiveRetentionDays int
	// ReservedConcurrency per handler. Default: ingest 20, verify 10,
	// restore 5.
	ReservedConcurrency ReservedConcurrency
	// MapConcurrency is how many large objects of one run the Batch
	// verifier checks at once, 1 to 1000. Default: 10.
	MapConcurrency int
	// MaxStreamBytes is the largest object the verify function streams and
	// hashes itself; larger objects without a usable stored checksum go to
	// the Batch job. At least 1 MiB. Default: 2 GiB.
	MaxStreamBytes int64
	// VerifyMemoryMB of the verify function, 128 to 10240 (1769 is one full
	// vCPU; hashing is CPU-bound). Default: 1769.
	VerifyMemoryMB int
	// RestoreTier of Glacier restores whose request names none: Bulk or
	// Standard (Deep Archive, where the lake archives, has no Expedited
	// tier; package archive). Default: Bulk.
	RestoreTier RestoreTier
	// RestoreDays a restored copy stays readable, for requests that name
	// none: 1 to 365 (archive.MaxDays, the restore handler's limit; S3
	// documents no maximum). Default: 7.
	RestoreDays int
	// AlarmEmail is subscribed to the alarm topic (the subscription must be
	// confirmed from the mail). Default: "" (no subscription).
	AlarmEmail string
	// VerifierImage is the container image of the Batch verifier, whose
	// entry point is the Go verifier taking -s3, -version-id and -expect.
	// Default: built at deploy time from batch.VerifierDockerfile (see
	// batch.RepoImage).
	VerifierImage awsecs.ContainerImage
}

// raw is a value that an error message shows unquoted.
type raw = validation.Raw

var logLevels = []string{"debug", "info", "warn", "error"}

// Validate checks p without building anything and returns every problem
// found, joined. New panics with the same errors.
func (p *Props) Validate() error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Lake and Network set")
	}
	var errs []error
	bad := validation.Collector("", &errs)
	if p.Lake == nil {
		bad("Lake", raw("nil"), "the datalake.ILake whose buckets the glue watches")
	}
	if p.Network == nil {
		bad("Network", raw("nil"), "the network.INetwork whose private subnets run the handlers")
	}
	if err := p.ValidateSettings(); err != nil {
		errs = append(errs, err)
	}
	return validation.Join("", errs...)
}

// ValidateSettings checks every setting except the required constructs
// (Lake, Network), so that a config layer can check an environment file
// before any construct exists. Validate calls it.
func (p *Props) ValidateSettings() error {
	var errs []error
	bad := validation.Collector("", &errs)
	if d := p.LogRetentionDays; d != 0 && !secure.IsLogRetention(d) {
		bad("LogRetentionDays", d, "one of %s, or 0 for the default %d", validation.List(secure.LogRetentionValues), DefaultLogRetentionDays)
	}
	if l := p.LogLevel; l != "" && !slices.Contains(logLevels, l) {
		bad("LogLevel", l, "%s, or empty for %s", strings.Join(logLevels, ", "), DefaultLogLevel)
	}
	errs = append(errs, validateRules(p.RunRules)...)
	if d := p.ArchiveRetentionDays; d < 0 || d > MaxArchiveRetentionDays {
		bad("ArchiveRetentionDays", d, "1 to %d, or 0 for the default %d", MaxArchiveRetentionDays, DefaultArchiveRetentionDays)
	}
	for _, rc := range []struct {
		name string
		n, d int
	}{{"Ingest", p.ReservedConcurrency.Ingest, DefaultIngestConcurrency}, {"Verify", p.ReservedConcurrency.Verify, DefaultVerifyConcurrency}, {"Restore", p.ReservedConcurrency.Restore, DefaultRestoreConcurrency}} {
		if rc.n < 0 {
			bad("ReservedConcurrency."+rc.name, rc.n, "a positive number of executions, or 0 for the default %d", rc.d)
		}
	}
	if m := p.MapConcurrency; m < 0 || m > MaxMapConcurrency {
		bad("MapConcurrency", m, "1 to %d, or 0 for the default %d", MaxMapConcurrency, DefaultMapConcurrency)
	}
	if b := p.MaxStreamBytes; b != 0 && b < 1<<20 {
		bad("MaxStreamBytes", b, "at least 1048576 (1 MiB), or 0 for the default %d (2 GiB)", DefaultMaxStreamBytes)
	}
	if m := p.VerifyMemoryMB; m != 0 && (m < 128 || m > 10240) {
		bad("VerifyMemoryMB", m, "128 to 10240, or 0 for the default %d", DefaultVerifyMemoryMB)
	}
	archive.Check("", "Props.RestoreTier", p.RestoreTier, "Props.RestoreDays", p.RestoreDays, &errs)
	if e := p.AlarmEmail; e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || a.Name != "" || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
			bad("AlarmEmail", e, "a plain e-mail address such as ops@example.org, or empty for no subscription")
		}
	}
	return validation.Join("", errs...)
}

var channels = []Channel{ChannelDataSync, ChannelTransfer, ChannelFileGateway}

func validateRules(rules []RunRule) []error {
	var errs []error
	bad := func(i int, field string, value any, accepted string, args ...any) {
		errs = append(errs, validation.New("", fmt.Sprintf("Props.RunRules[%d].%s", i, field), value, accepted, args...))
	}
	for i, r := range rules {
		if !slices.Contains(datalake.DataBucketNames(), r.Bucket) {
			bad(i, "Bucket", string(r.Bucket), "one of the data buckets: %s", joinBuckets(datalake.DataBucketNames()))
		}
		if msg := checkPrefix(r.Prefix); msg != "" {
			bad(i, "Prefix", r.Prefix, "%s", msg)
		}
		if !slices.Contains(Profiles, r.Profile) {
			bad(i, "Profile", r.Profile, "one of %s", strings.Join(Profiles, ", "))
		} else if r.Profile == "generic" && len(r.Markers) == 0 && r.Manifest == "" {
			bad(i, "Profile", r.Profile, "generic only with Markers or a Manifest (otherwise a run would never be complete)")
		}
		names := map[string]bool{}
		for j, m := range r.Markers {
			if msg := checkFileName(m); msg != "" {
				bad(i, fmt.Sprintf("Markers[%d]", j), m, "%s", msg)
			} else if names[m] {
				bad(i, fmt.Sprintf("Markers[%d]", j), m, "a file name listed once")
			}
			names[m] = true
		}
		if r.Manifest != "" {
			if msg := checkFileName(r.Manifest); msg != "" {
				bad(i, "Manifest", r.Manifest, "%s", msg)
			} else if names[r.Manifest] {
				bad(i, "Manifest", r.Manifest, "a file name other than the markers'")
			}
		}
		if !slices.Contains(channels, r.Channel) {
			bad(i, "Channel", string(r.Channel), "%s, %s or %s", ChannelDataSync, ChannelTransfer, ChannelFileGateway)
		}
		if d := r.SettleAfter; d != 0 {
			switch {
			case d < MinSettleAfter || d > MaxSettleAfter || d%time.Second != 0:
				bad(i, "SettleAfter", raw(d.String()), "whole seconds from %s to %s, or 0 for none", MinSettleAfter, MaxSettleAfter)
			case r.Manifest != "":
				bad(i, "SettleAfter", raw(d.String()), "0 with a Manifest (the manifest verifies the run)")
			case r.Channel == ChannelDataSync:
				bad(i, "SettleAfter", raw(d.String()), "0 on the datasync channel (DataSync's verified task execution vouches for the run)")
			}
		}
		for j := range i {
			o := rules[j]
			if o.Bucket != r.Bucket {
				continue
			}
			switch {
			case o.Prefix == r.Prefix:
				bad(i, "Prefix", r.Prefix, "a prefix not already used by RunRules[%d] in bucket %s", j, r.Bucket)
			case strings.HasPrefix(r.Prefix, o.Prefix) || strings.HasPrefix(o.Prefix, r.Prefix):
				bad(i, "Prefix", r.Prefix, "a prefix that does not overlap RunRules[%d]'s %q in bucket %s (a key would belong to two run folders)", j, o.Prefix, r.Bucket)
			}
		}
	}
	return errs
}

func checkPrefix(p string) string {
	switch {
	case p == "":
		return ""
	case !strings.HasSuffix(p, "/"):
		return "a key prefix ending in \"/\", such as \"runs/\" (or \"\" for the whole bucket)"
	case strings.HasPrefix(p, "/") || strings.Contains(p, "//"):
		return "a relative key prefix without empty segments, such as \"runs/\""
	case slices.Contains(strings.Split(strings.TrimSuffix(p, "/"), "/"), ".."), slices.Contains(strings.Split(strings.TrimSuffix(p, "/"), "/"), "."):
		return "a key prefix without \".\" or \"..\" segments"
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '*' || r == '?' }):
		return "a key prefix without control characters, \"*\" or \"?\""
	}
	return ""
}

func checkFileName(n string) string {
	if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00") {
		return "a plain, non-empty file name at the run folder's root (no \"/\")"
	}
	return ""
}

// withDefaults returns a copy of p with the defaults filled in.
func (p *Props) withDefaults() Props {
	r := *p
	if r.LogRetentionDays == 0 {
		r.LogRetentionDays = DefaultLogRetentionDays
	}
	if r.LogLevel == "" {
		r.LogLevel = DefaultLogLevel
	}
	if len(r.RunRules) == 0 {
		r.RunRules = DefaultRunRules()
	}
	if r.ArchiveRetentionDays == 0 {
		r.ArchiveRetentionDays = DefaultArchiveRetentionDays
	}
	if r.ReservedConcurrency.Ingest == 0 {
		r.ReservedConcurrency.Ingest = DefaultIngestConcurrency
	}
	if r.ReservedConcurrency.Verify == 0 {
		r.ReservedConcurrency.Verify = DefaultVerifyConcurrency
	}
	if r.ReservedConcurrency.Restore == 0 {
		r.ReservedConcurrency.Restore = DefaultRestoreConcurrency
	}
	if r.MapConcurrency == 0 {
		r.MapConcurrency = DefaultMapConcurrency
	}
	if r.MaxStreamBytes == 0 {
		r.MaxStreamBytes = DefaultMaxStreamBytes
	}
	if r.VerifyMemoryMB == 0 {
		r.VerifyMemoryMB = DefaultVerifyMemoryMB
	}
	if r.RestoreTier == "" {
		r.RestoreTier = DefaultRestoreTier
	}
	if r.RestoreDays == 0 {
		r.RestoreDays = DefaultRestoreDays
	}
	return r
}

func joinBuckets(v []datalake.BucketName) string {
	s := make([]string, len(v))
	for i, b := range v {
		s[i] = string(b)
	}
	return strings.Join(s, ", ")
}

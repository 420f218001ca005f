package datasync

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Protocol is how the agent mounts a source.
type Protocol string

// Protocols of a source.
const (
	NFS Protocol = "NFS"
	SMB Protocol = "SMB"
)

// OverwriteMode says whether DataSync overwrites an object in S3 whose
// source file changed.
type OverwriteMode string

// Overwrite modes. The raw bucket is versioned (and under Object Lock), so
// an overwrite keeps the earlier version.
const (
	OverwriteAlways OverwriteMode = "ALWAYS"
	OverwriteNever  OverwriteMode = "NEVER"
)

// Task report levels (Props.ReportLevel).
const (
	ReportErrorsOnly         = "ERRORS_ONLY"
	ReportSuccessesAndErrors = "SUCCESSES_AND_ERRORS"
)

// ActivationKeyParameter as Props.ActivationKey makes the construct take
// the activation key from a stack parameter at deploy time.
const ActivationKeyParameter = "PARAMETER"

// Defaults and limits.
const (
	DefaultSchedule         = "rate(1 hour)"
	DefaultLogRetentionDays = 365
	DefaultReportLevel      = ReportErrorsOnly
	DefaultNFSVersion       = "AUTOMATIC"
	DefaultSMBVersion       = "AUTOMATIC"
	// MaxFilterLength is the longest include or exclude filter DataSync
	// accepts.
	MaxFilterLength = 102400
	// UnlimitedBandwidth as Source.BytesPerSecond lifts the limit.
	UnlimitedBandwidth int64 = -1
)

// RunsPrefix is the prefix of the raw bucket every source's runs land under
// (the event glue's default DataSync run rule watches it).
const RunsPrefix = "runs/"

// ReportPrefix is where the task reports go in the data lake's analytics
// bucket.
const ReportPrefix = "datasync/task-reports/"

// NFS and SMB mount versions the construct accepts. SMB1 is refused.
var (
	NFSVersions = []string{"AUTOMATIC", "NFS3", "NFS4_0", "NFS4_1"}
	SMBVersions = []string{"AUTOMATIC", "SMB2", "SMB2_0", "SMB3"}
)

// Source is one on-premises file share of a lab or an instrument, synced by
// its own task into the raw bucket under RunsPrefix + Subfolder. Every
// first-level folder of the share is one run folder.
type Source struct {
	// Name identifies the source (construct ids, the task's name tag): 2 to
	// 32 lower-case letters, digits and '-', starting with a letter, not
	// ending with '-'; unique. Required; no default.
	Name string
	// Protocol is NFS or SMB. Required; no default.
	Protocol Protocol
	// Server is the file server's host name or IPv4 address, as the agent
	// resolves it. Required; no default.
	Server string
	// Subdirectory is the export (NFS) or share path (SMB) whose folders
	// are runs, starting with "/" (for example "/novaseq/output"). Required;
	// no default.
	Subdirectory string
	// NFSVersion is the NFS mount version: AUTOMATIC, NFS3, NFS4_0,
	// NFS4_1. Only with NFS. Default: "AUTOMATIC".
	NFSVersion string
	// SMBVersion is the SMB protocol version: AUTOMATIC, SMB2, SMB2_0,
	// SMB3 (never SMB1). Only with SMB. Default: "AUTOMATIC".
	SMBVersion string
	// User is the SMB user that can read the share. Required with SMB; no
	// default.
	User string
	// Domain is the SMB user's Windows domain. Default: "" (none).
	Domain string
	// PasswordSecretArn is the full ARN of the Secrets Manager secret whose
	// JSON string holds the SMB user's password under the key "password".
	// It reaches the template only as a dynamic reference. Required with
	// SMB, never with NFS; no default.
	PasswordSecretArn string
	// Profile is the instrument profile of the runs (see
	// eventglue.Profiles): novaseq-x, novaseq-6000, nextseq, miseq or
	// generic (which needs Markers or Manifest). Required; no default.
	Profile string
	// Markers replace the profile's completion markers. Default: the
	// profile's.
	Markers []string
	// Manifest is the file name of the run's manifest. Default: "" (none).
	Manifest string
	// Subfolder puts the source's runs under RunsPrefix + Subfolder + "/"
	// in the raw bucket: lower-case letters, digits, '-', '_' and '.' in
	// segments separated by "/". Destination prefixes of two sources must
	// not overlap (neither may start with the other), so with more than one
	// source each needs a Subfolder of its own. Default: "" (runs/ itself,
	// which the event glue's default run rule watches).
	Subfolder string
	// Schedule is the task's DataSync schedule, cron(...) or rate(...), at
	// most once an hour. Default: "rate(1 hour)".
	Schedule string
	// Include is a DataSync include filter: patterns separated by "|", such
	// as "/run1|/run2*". Default: "" (everything).
	Include string
	// Exclude is a DataSync exclude filter, such as "*.tmp|*/Thumbnail_Images".
	// Default: "" (nothing).
	Exclude string
	// BytesPerSecond caps the task's bandwidth; -1 is unlimited. Default: 0
	// (unlimited).
	BytesPerSecond int64
	// Overwrite is OverwriteAlways or OverwriteNever. Default:
	// OverwriteAlways.
	Overwrite OverwriteMode
}

// Props configures the DataSync construct.
type Props struct {
	// Network holds the DataSync interface endpoint the agent reaches AWS
	// through (private link) and the subnet of the task network interfaces.
	// Required; no default.
	Network network.INetwork
	// Lake is the data lake: runs land in its raw bucket, task reports in
	// its analytics bucket. Required; no default.
	Lake datalake.ILake
	// AgentArn is an agent that is already activated. Not together with
	// ActivationKey. Default: "".
	AgentArn string
	// ActivationKey activates a new agent: the agent's key
	// (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX), or ActivationKeyParameter to take it
	// from a stack parameter at deploy time. A key is single-use: a new key
	// replaces the agent. Not together with AgentArn. Default: "".
	ActivationKey string
	// AgentCIDR is the on-premises network of the agent (IPv4 prefix, not
	// /0). The DataSync endpoint's and the task interfaces' security groups
	// let it in. Required with ActivationKey unless the network has
	// on-premises CIDRs ([network.OnPremises]). Default: "", and the
	// network's on-premises CIDRs, which its DataSync endpoint admits
	// already (the task interfaces' group admits them too); none when it
	// has none.
	AgentCIDR string
	// SupportChannel also lets the agent open the AWS Support channel (TCP
	// 22 to the endpoint). Default: false.
	SupportChannel bool
	// Sources are the on-premises shares, at least one. Required.
	Sources []Source
	// Bus receives the tasks' execution state changes (the platform bus).
	// Default: nil (no rule).
	Bus awsevents.IEventBus
	// LogKey encrypts the task log group; its policy must allow
	// secure.ServiceLogs. Default: a new key that does.
	LogKey awskms.IKey
	// QueueKey encrypts the dead-letter queue of the event rule; its policy
	// must let EventBridge (events.amazonaws.com) use it, as
	// secure.ServiceEvents does. Only with Bus. Default: a new key that
	// does.
	QueueKey awskms.IKey
	// LogRetentionDays of the log group, a CloudWatch Logs value. Default:
	// 365.
	LogRetentionDays int
	// ReportLevel of the task reports: ERRORS_ONLY or
	// SUCCESSES_AND_ERRORS. Default: "ERRORS_ONLY".
	ReportLevel string
}

var (
	nameRE      = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}[a-z0-9]$`)
	agentArnRE  = regexp.MustCompile(`^arn:aws[a-z-]*:datasync:[a-z0-9-]+:[0-9]{12}:agent/agent-[0-9a-z]{17}$`)
	keyRE       = regexp.MustCompile(`^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$`)
	secretArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	hostRE      = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
	subdirRE    = regexp.MustCompile(`^/[A-Za-z0-9_\-+./() $]*$`)
	subfolderRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$`)
	userRE      = regexp.MustCompile(`^[^\x22\x5B\x5D/\\:;|=,+*?\x3C\x3E]{1,104}$`)
	domainRE    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)
)

type raw = validation.Raw

func badFunc(errs *[]error) func(field string, value any, accepted string, args ...any) {
	return validation.Collector("", errs)
}

// Validate checks p and returns every problem, joined; each names the
// construct, the field, the bad value and what is accepted. New panics with
// the same errors.
func (p *Props) Validate() error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Network, Lake, an agent (AgentArn or ActivationKey) and Sources set")
	}
	var errs []error
	bad := badFunc(&errs)
	if p.Network == nil {
		bad("Network", raw("nil"), "the network.INetwork whose DataSync endpoint the agent reaches AWS through")
	}
	if p.Lake == nil {
		bad("Lake", raw("nil"), "the datalake.ILake whose raw bucket receives the runs")
	}
	if p.Network != nil && p.ActivationKey != "" && p.Network.Profile() == network.ProfileIsolated && !p.Network.Provides(network.EndpointDataSync) {
		bad("Network", raw("a network without a DataSync endpoint"), "an isolated network with network.EndpointDataSync in InterfaceEndpoints: the agent has no other way to reach DataSync")
	}
	if p.Network != nil && p.AgentCIDR == "" && p.ActivationKey != "" && len(network.OnPremCIDRsOf(p.Network)) == 0 {
		bad("AgentCIDR", "", "the agent's on-premises IPv4 network, such as \"192.168.10.0/24\" (the security groups let it in), or a network with on-premises CIDRs (network.Props.OnPremCIDRs)")
	}
	if err := p.ValidateSettings(); err != nil {
		errs = append(errs, err)
	}
	return validation.Join("", errs...)
}

// ValidateSettings checks every setting except the required constructs
// (Network, Lake), so a config layer can check an environment file before
// any construct exists. Validate calls it.
func (p *Props) ValidateSettings() error {
	var errs []error
	bad := badFunc(&errs)
	if p.QueueKey != nil && p.Bus == nil {
		bad("QueueKey", raw("set"), "QueueKey only together with Bus (the dead-letter queue belongs to the event rule on the bus)")
	}
	switch {
	case p.AgentArn == "" && p.ActivationKey == "":
		bad("AgentArn", "", "the ARN of an activated agent, or an ActivationKey (or ActivationKeyParameter) to activate one; there is no agent")
	case p.AgentArn != "" && p.ActivationKey != "":
		bad("ActivationKey", p.ActivationKey, "\"\" when AgentArn is set: either an existing agent (AgentArn) or a new one (ActivationKey), not both")
	}
	if p.AgentArn != "" && !agentArnRE.MatchString(p.AgentArn) {
		bad("AgentArn", p.AgentArn, "a DataSync agent ARN such as arn:aws:datasync:eu-west-1:111122223333:agent/agent-0123456789abcdef0")
	}
	if k := p.ActivationKey; k != "" && k != ActivationKeyParameter && !keyRE.MatchString(k) {
		bad("ActivationKey", k, "an activation key of five groups of five upper-case letters and digits (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX), or %q for a stack parameter", ActivationKeyParameter)
	}
	if c := p.AgentCIDR; c != "" {
		pfx, err := netip.ParsePrefix(c)
		switch {
		case err != nil || !pfx.Addr().Is4():
			bad("AgentCIDR", c, "an IPv4 prefix such as \"192.168.10.0/24\"")
		case pfx.Bits() == 0:
			bad("AgentCIDR", c, "the agent's own network; %s would open the DataSync endpoint to every address", c)
		case pfx.Masked() != pfx:
			bad("AgentCIDR", c, "a prefix without host bits, such as %q", pfx.Masked().String())
		}
	}
	if d := p.LogRetentionDays; d != 0 && !secure.IsLogRetention(d) {
		bad("LogRetentionDays", d, "one of %s, or 0 for the default %d", validation.List(secure.LogRetentionValues), DefaultLogRetentionDays)
	}
	switch p.ReportLevel {
	case "", ReportErrorsOnly, ReportSuccessesAndErrors:
	default:
		bad("ReportLevel", p.ReportLevel, "%s or %s, or \"\" for %s", ReportErrorsOnly, ReportSuccessesAndErrors, DefaultReportLevel)
	}
	if len(p.Sources) == 0 {
		bad("Sources", raw("empty"), "at least one NFS or SMB source: there is nothing to transfer")
	}
	errs = append(errs, validateSources(p.Sources)...)
	return validation.Join("", errs...)
}

func validateSources(sources []Source) []error {
	var errs []error
	bad := badFunc(&errs)
	names := map[string]int{}
	prefixes := map[int]string{}
	for i, s := range sources {
		f := func(field string) string { return fmt.Sprintf("Sources[%d].%s", i, field) }
		if !nameRE.MatchString(s.Name) {
			bad(f("Name"), s.Name, "2 to 32 lower-case letters, digits and '-', starting with a letter and not ending with '-'")
		} else if j, dup := names[s.Name]; dup {
			bad(f("Name"), s.Name, "a name no other source has (Sources[%d] has it)", j)
		} else {
			names[s.Name] = i
		}
		switch s.Protocol {
		case NFS:
			if s.PasswordSecretArn != "" || s.User != "" || s.Domain != "" {
				bad(f("PasswordSecretArn"), s.PasswordSecretArn, "\"\" with User and Domain empty for an NFS source (they are SMB credentials)")
			}
			if s.SMBVersion != "" {
				bad(f("SMBVersion"), s.SMBVersion, "\"\" for an NFS source; set NFSVersion")
			}
			if v := s.NFSVersion; v != "" && !slices.Contains(NFSVersions, v) {
				bad(f("NFSVersion"), v, "one of %s, or \"\" for %s", strings.Join(NFSVersions, ", "), DefaultNFSVersion)
			}
		case SMB:
			if s.PasswordSecretArn == "" {
				bad(f("PasswordSecretArn"), "", "the full ARN of a Secrets Manager secret whose JSON holds the SMB password under \"password\" (source %q is SMB; a password never goes in props or the template)", s.Name)
			} else if !secretArnRE.MatchString(s.PasswordSecretArn) {
				bad(f("PasswordSecretArn"), s.PasswordSecretArn, "the full ARN of a Secrets Manager secret, with its 6-character suffix (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf)")
			}
			if !userRE.MatchString(s.User) {
				bad(f("User"), s.User, "the SMB user name (1 to 104 characters, none of \" [ ] / \\ : ; | = , + * ? < >)")
			}
			if s.Domain != "" && !domainRE.MatchString(s.Domain) {
				bad(f("Domain"), s.Domain, "a Windows domain name such as \"CORP\" or \"corp.example.com\", or \"\"")
			}
			if s.NFSVersion != "" {
				bad(f("NFSVersion"), s.NFSVersion, "\"\" for an SMB source; set SMBVersion")
			}
			if v := s.SMBVersion; v != "" && !slices.Contains(SMBVersions, v) {
				bad(f("SMBVersion"), v, "one of %s, or \"\" for %s (SMB1 is insecure and refused)", strings.Join(SMBVersions, ", "), DefaultSMBVersion)
			}
		default:
			bad(f("Protocol"), string(s.Protocol), "%s or %s", NFS, SMB)
		}
		if len(s.Server) > 255 || !hostRE.MatchString(s.Server) {
			bad(f("Server"), s.Server, "the file server's host name or IPv4 address, such as \"nas01.lab.example.com\"")
		}
		if len(s.Subdirectory) > 4096 || !subdirRE.MatchString(s.Subdirectory) || strings.Contains(s.Subdirectory, "..") {
			bad(f("Subdirectory"), s.Subdirectory, "the export or share path, starting with \"/\", such as \"/novaseq/output\" (no \"..\")")
		}
		if !slices.Contains(eventglue.Profiles, s.Profile) {
			bad(f("Profile"), s.Profile, "one of %s", strings.Join(eventglue.Profiles, ", "))
		} else if s.Profile == "generic" && len(s.Markers) == 0 && s.Manifest == "" {
			bad(f("Profile"), s.Profile, "generic only with Markers or a Manifest (otherwise a run would never be complete)")
		}
		if s.Subfolder != "" && (len(s.Subfolder) > 200 || !subfolderRE.MatchString(s.Subfolder)) {
			bad(f("Subfolder"), s.Subfolder, "segments of lower-case letters, digits, '.', '_' and '-' separated by \"/\", such as \"novaseq-x/lab1\", without leading or trailing \"/\"")
		} else {
			prefixes[i] = s.destPrefix()
		}
		sched := s.Schedule
		if sched == "" {
			sched = DefaultSchedule
		}
		if err := CheckSchedule(sched); err != nil {
			bad(f("Schedule"), s.Schedule, "%v", err)
		}
		for _, fl := range []struct{ field, v string }{{"Include", s.Include}, {"Exclude", s.Exclude}} {
			if fl.v == "" {
				continue
			}
			if err := CheckFilter(fl.v); err != nil {
				bad(f(fl.field), abbreviate(fl.v), "%v", err)
			}
		}
		if b := s.BytesPerSecond; b < -1 {
			bad(f("BytesPerSecond"), b, "a limit in bytes per second (1 or more), -1 or 0 for unlimited")
		}
		switch s.Overwrite {
		case "", OverwriteAlways, OverwriteNever:
		default:
			bad(f("Overwrite"), string(s.Overwrite), "%s or %s, or \"\" for %s", OverwriteAlways, OverwriteNever, OverwriteAlways)
		}
	}
	// Destination prefixes must not overlap: the ingest handler matches a
	// run to one rule, and two tasks must not write into one folder.
	for i := range sources {
		for j := 0; j < i; j++ {
			a, okA := prefixes[i]
			b, okB := prefixes[j]
			if okA && okB && (strings.HasPrefix(a, b) || strings.HasPrefix(b, a)) {
				bad(fmt.Sprintf("Sources[%d].Subfolder", i), sources[i].Subfolder, "a Subfolder whose prefix %q does not overlap %q of Sources[%d] (%q): give each source a Subfolder of its own", a, b, j, sources[j].Name)
			}
		}
	}
	return errs
}

// destPrefix is the source's prefix in the raw bucket.
func (s Source) destPrefix() string {
	if s.Subfolder == "" {
		return RunsPrefix
	}
	return RunsPrefix + s.Subfolder + "/"
}

// CheckFilter checks a DataSync filter: patterns separated by "|", none
// empty, at most MaxFilterLength characters.
func CheckFilter(f string) error {
	switch {
	case f == "":
		return errors.New("a non-empty filter")
	case len(f) > MaxFilterLength:
		return fmt.Errorf("a filter of at most %d characters (this one has %d)", MaxFilterLength, len(f))
	case strings.HasPrefix(f, "|"), strings.HasSuffix(f, "|"), strings.Contains(f, "||"):
		return errors.New("patterns separated by single \"|\", with no empty pattern and no leading or trailing \"|\", such as \"*.tmp|/scratch\"")
	}
	for _, r := range f {
		if r < 0x20 || r == 0x7f {
			return errors.New("patterns without control characters (tabs, new lines)")
		}
	}
	return nil
}

func abbreviate(s string) string {
	if len(s) <= 60 {
		return s
	}
	return s[:40] + "..." + s[len(s)-12:]
}

// withDefaults returns a copy of p with defaults filled in.
func (p *Props) withDefaults() Props {
	r := *p
	if r.LogRetentionDays == 0 {
		r.LogRetentionDays = DefaultLogRetentionDays
	}
	if r.ReportLevel == "" {
		r.ReportLevel = DefaultReportLevel
	}
	r.Sources = make([]Source, len(p.Sources))
	for i, s := range p.Sources {
		if s.Schedule == "" {
			s.Schedule = DefaultSchedule
		}
		if s.BytesPerSecond == 0 {
			s.BytesPerSecond = UnlimitedBandwidth
		}
		if s.Overwrite == "" {
			s.Overwrite = OverwriteAlways
		}
		if s.Protocol == NFS && s.NFSVersion == "" {
			s.NFSVersion = DefaultNFSVersion
		}
		if s.Protocol == SMB && s.SMBVersion == "" {
			s.SMBVersion = DefaultSMBVersion
		}
		r.Sources[i] = s
	}
	return r
}

// runRule is the event glue's rule for the runs this source delivers.
func (s Source) runRule() eventglue.RunRule {
	return eventglue.RunRule{
		Bucket:   datalake.BucketRaw,
		Prefix:   s.destPrefix(),
		Profile:  s.Profile,
		Markers:  append([]string(nil), s.Markers...),
		Manifest: s.Manifest,
		Channel:  eventglue.ChannelDataSync,
	}
}

// RunRules returns the event glue's rules for the runs the sources deliver,
// computed from the props alone, so that a stack can give them to the event
// glue before the DataSync construct (which forwards its events to the
// glue's bus) exists. DataSync.RunRules returns the same.
func (p *Props) RunRules() []eventglue.RunRule {
	if p == nil {
		return nil
	}
	out := make([]eventglue.RunRule, len(p.Sources))
	for i, s := range p.Sources {
		out[i] = s.runRule()
	}
	return out
}

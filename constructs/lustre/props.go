package lustre

import (
	"regexp"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Mode says what New creates.
type Mode string

// Modes.
const (
	// ModePersistent creates a standing file system linked to the lake.
	ModePersistent Mode = "persistent"
	// ModePerRun creates no file system: only the security group, the log
	// group and the workflow's IAM statements, for file systems created per
	// run (RunFileSystemRequest) and deleted after.
	ModePerRun Mode = "per-run"
)

// DeploymentType is the FSx for Lustre deployment type.
type DeploymentType string

// Deployment types the construct supports.
const (
	Persistent2 DeploymentType = "PERSISTENT_2"
	Scratch2    DeploymentType = "SCRATCH_2"
)

// Data compression types.
const (
	CompressionLZ4  = "LZ4"
	CompressionNone = "NONE"
)

// Defaults.
const (
	DefaultStorageCapacityGiB  = 1200
	DefaultThroughputPerTiB    = 250
	DefaultRawPrefix           = "runs/"
	DefaultResultsPrefix       = "lustre/"
	DefaultBackupRetentionDays = 7
	MaxBackupRetentionDays     = 90
	DefaultLogRetentionDays    = 365
	DefaultDataCompression     = CompressionLZ4
	// FileSystemTypeVersion is the Lustre version of every file system.
	FileSystemTypeVersion = "2.15"
)

// ThroughputsPerTiB are the PERSISTENT_2 throughputs in MB/s per TiB.
var ThroughputsPerTiB = []int{125, 250, 500, 1000}

// Props configures the Lustre construct.
type Props struct {
	// Network places the file system in its first private subnet. Required;
	// no default.
	Network network.INetwork
	// Lake is the data lake whose raw and results buckets the file system
	// is linked to. Required; no default.
	Lake datalake.ILake
	// Mode is ModePersistent (a standing file system) or ModePerRun (no
	// file system; the pieces for one per run). Default: ModePersistent.
	Mode Mode
	// DeploymentType of the standing file system: PERSISTENT_2 or
	// SCRATCH_2. Only with ModePersistent. Default: PERSISTENT_2.
	DeploymentType DeploymentType
	// StorageCapacityGiB of the standing file system: 1200 or a multiple of
	// 2400. Only with ModePersistent. Default: 1200.
	StorageCapacityGiB int
	// ThroughputPerTiB in MB/s per TiB: 125, 250, 500 or 1000. Only with
	// PERSISTENT_2. Default: 250 (0 with SCRATCH_2).
	ThroughputPerTiB int
	// ClientSecurityGroup is the security group of the clients (for example
	// the Batch compute environment's); only it and the file system itself
	// may reach the Lustre ports. Its egress must allow TCP 988 and
	// 1018-1023 to the file system. Required; no default.
	ClientSecurityGroup awsec2.ISecurityGroup
	// RawPrefix of the raw bucket linked at /raw (read only). Default:
	// "runs/".
	RawPrefix string
	// ResultsPrefix of the results bucket linked at /results (exported).
	// Default: "lustre/".
	ResultsPrefix string
	// Key encrypts a PERSISTENT_2 file system. Not with SCRATCH_2 (FSx
	// encrypts scratch file systems with an FSx-managed key only). Default:
	// the key of the lake's raw bucket, or, when it has none, a key the
	// construct creates.
	Key awskms.IKey
	// BackupRetentionDays of the daily automatic backups of a PERSISTENT_2
	// file system, 1 to 90. Not with SCRATCH_2 (FSx does not back up scratch
	// file systems). Default: 7.
	BackupRetentionDays int
	// LogKey encrypts the log group; its policy must allow
	// secure.ServiceLogs. Default: a new key that does.
	LogKey awskms.IKey
	// LogRetentionDays of the log group, a CloudWatch Logs value. Default:
	// 365.
	LogRetentionDays int
	// DataCompression is LZ4 or NONE. Default: "LZ4".
	DataCompression string
	// Environment names the environment (for example "staging"): with
	// ModePerRun, each per-run file system is tagged EnvironmentTag with it,
	// and the run age check (AddRunAgeCheck) counts the file systems so
	// tagged. Letters, digits and '-', 1 to 64. Default: "" (no tag; no
	// age check).
	Environment string
}

type raw = validation.Raw

func badFunc(errs *[]error) func(field string, value any, accepted string, args ...any) {
	return validation.Collector("", errs)
}

// Validate checks p and returns every problem, joined; each names the
// construct, the field, the bad value and what is accepted. New panics with
// the same errors.
func (p *Props) Validate() error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Network, Lake and ClientSecurityGroup set")
	}
	var errs []error
	bad := badFunc(&errs)
	if p.Network == nil {
		bad("Network", raw("nil"), "the network.INetwork whose first private subnet holds the file system")
	}
	if p.Lake == nil {
		bad("Lake", raw("nil"), "the datalake.ILake whose raw and results buckets the file system is linked to")
	}
	if p.ClientSecurityGroup == nil {
		bad("ClientSecurityGroup", raw("nil"), "the security group of the Lustre clients (for example the Batch compute environment's)")
	}
	if p.Key != nil && p.effectiveType() == Scratch2 {
		bad("Key", raw("a key"), "nil with SCRATCH_2: FSx encrypts scratch file systems with an FSx-managed key only")
	}
	if p.Key != nil && p.Mode == ModePerRun {
		bad("Key", raw("a key"), "nil with ModePerRun: per-run file systems are SCRATCH_2, encrypted with an FSx-managed key")
	}
	if err := p.ValidateSettings(); err != nil {
		errs = append(errs, err)
	}
	return validation.Join("", errs...)
}

func (p *Props) effectiveType() DeploymentType {
	if p.DeploymentType == "" {
		return Persistent2
	}
	return p.DeploymentType
}

// ValidCapacity reports whether FSx accepts gib as the storage capacity of
// a SCRATCH_2 or PERSISTENT_2 (SSD) file system: 1200 GiB, or a multiple of
// 2400 GiB.
func ValidCapacity(gib int) bool { return gib == 1200 || (gib > 0 && gib%2400 == 0) }

// ValidateSettings checks every setting except the required constructs
// (Network, Lake, ClientSecurityGroup, Key, LogKey), so a config layer can
// check an environment file before any construct exists. Validate calls it.
func (p *Props) ValidateSettings() error {
	var errs []error
	bad := badFunc(&errs)
	switch p.Mode {
	case "", ModePersistent:
		switch p.DeploymentType {
		case "", Persistent2:
			if t := p.ThroughputPerTiB; t != 0 && !slices.Contains(ThroughputsPerTiB, t) {
				bad("ThroughputPerTiB", t, "one of %s (MB/s per TiB), or 0 for %d", validation.List(ThroughputsPerTiB), DefaultThroughputPerTiB)
			}
			if d := p.BackupRetentionDays; d != 0 && (d < 1 || d > MaxBackupRetentionDays) {
				bad("BackupRetentionDays", d, "1 to %d, or 0 for %d", MaxBackupRetentionDays, DefaultBackupRetentionDays)
			}
		case Scratch2:
			if p.ThroughputPerTiB != 0 {
				bad("ThroughputPerTiB", p.ThroughputPerTiB, "0 with SCRATCH_2 (its throughput is fixed by its capacity); set it only with PERSISTENT_2")
			}
			if p.BackupRetentionDays != 0 {
				bad("BackupRetentionDays", p.BackupRetentionDays, "0 with SCRATCH_2: FSx does not back up scratch file systems")
			}
		default:
			bad("DeploymentType", string(p.DeploymentType), "%s or %s (SCRATCH_1 and PERSISTENT_1 are not supported)", Persistent2, Scratch2)
		}
		if c := p.StorageCapacityGiB; c != 0 && !ValidCapacity(c) {
			bad("StorageCapacityGiB", c, "1200 or a multiple of 2400 (2400, 4800, ...), or 0 for %d", DefaultStorageCapacityGiB)
		}
	case ModePerRun:
		// The file system's settings come per run (RunProps).
		if p.DeploymentType != "" {
			bad("DeploymentType", string(p.DeploymentType), "\"\" with ModePerRun (per-run file systems are SCRATCH_2; see RunProps)")
		}
		if p.StorageCapacityGiB != 0 {
			bad("StorageCapacityGiB", p.StorageCapacityGiB, "0 with ModePerRun (set RunProps.StorageCapacityGiB per run)")
		}
		if p.ThroughputPerTiB != 0 {
			bad("ThroughputPerTiB", p.ThroughputPerTiB, "0 with ModePerRun (per-run file systems are SCRATCH_2)")
		}
		if p.BackupRetentionDays != 0 {
			bad("BackupRetentionDays", p.BackupRetentionDays, "0 with ModePerRun: FSx does not back up scratch file systems")
		}
	default:
		bad("Mode", string(p.Mode), "%q or %q, or \"\" for %q", ModePersistent, ModePerRun, ModePersistent)
	}
	for _, f := range []struct{ name, v string }{{"RawPrefix", p.RawPrefix}, {"ResultsPrefix", p.ResultsPrefix}} {
		if f.v == "" {
			continue
		}
		if _, err := datalake.NormalizePrefix(f.v); err != nil {
			bad(f.name, f.v, "a key prefix such as \"runs/\" (%v)", err)
		}
	}
	if d := p.LogRetentionDays; d != 0 && !secure.IsLogRetention(d) {
		bad("LogRetentionDays", d, "one of %s, or 0 for the default %d", validation.List(secure.LogRetentionValues), DefaultLogRetentionDays)
	}
	switch p.DataCompression {
	case "", CompressionLZ4, CompressionNone:
	default:
		bad("DataCompression", p.DataCompression, "%s or %s, or \"\" for %s", CompressionLZ4, CompressionNone, DefaultDataCompression)
	}
	if p.Environment != "" && !environmentRE.MatchString(p.Environment) {
		bad("Environment", p.Environment, "1 to 64 letters, digits and '-', or \"\" for none")
	}
	return validation.Join("", errs...)
}

var environmentRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// withDefaults returns p with every default applied.
func (p *Props) withDefaults() Props {
	q := *p
	if q.Mode == "" {
		q.Mode = ModePersistent
	}
	if q.Mode == ModePersistent {
		if q.DeploymentType == "" {
			q.DeploymentType = Persistent2
		}
		if q.StorageCapacityGiB == 0 {
			q.StorageCapacityGiB = DefaultStorageCapacityGiB
		}
		if q.DeploymentType == Persistent2 {
			if q.ThroughputPerTiB == 0 {
				q.ThroughputPerTiB = DefaultThroughputPerTiB
			}
			if q.BackupRetentionDays == 0 {
				q.BackupRetentionDays = DefaultBackupRetentionDays
			}
			if q.Key == nil && q.Lake != nil && q.Lake.Has(datalake.BucketRaw) {
				q.Key = q.Lake.Key(datalake.BucketRaw)
			}
		}
	}
	if q.RawPrefix == "" {
		q.RawPrefix = DefaultRawPrefix
	}
	if q.ResultsPrefix == "" {
		q.ResultsPrefix = DefaultResultsPrefix
	}
	q.RawPrefix, _ = datalake.NormalizePrefix(q.RawPrefix)
	q.ResultsPrefix, _ = datalake.NormalizePrefix(q.ResultsPrefix)
	if q.LogRetentionDays == 0 {
		q.LogRetentionDays = DefaultLogRetentionDays
	}
	if q.DataCompression == "" {
		q.DataCompression = DefaultDataCompression
	}
	return q
}

package datalake

import (
	"fmt"
	"github.com/biolake/biolake/constructs/validation"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"

	"github.com/biolake/biolake/constructs/secure"
)

// Defaults of Props.
const (
	DefaultObjectLockDays          = 30
	DefaultBackupRetentionDays     = 35
	DefaultVaultLockChangeableDays = 3
	// MaxContinuousBackupDays is the longest retention AWS Backup allows for
	// continuous backups (point-in-time restore) of S3.
	MaxContinuousBackupDays = 35
)

// Props configures a DataLake. nil (and the zero value) is the secure
// default: Object Lock GOVERNANCE for 30 days on raw, DefaultTiering,
// daily and continuous backups kept 35 days, no replication.
type Props struct {
	// AccessLogs receives the server access logs of every bucket; it must
	// not have Object Lock (S3 does not deliver logs to such buckets).
	// Default: a new log bucket from secure.NewLogBucket.
	AccessLogs awss3.IBucket
	// DataKey encrypts the data buckets and the Athena results bucket; the
	// services that use the buckets do so through IAM, so an imported key
	// needs no service statement: its policy must let this account's IAM
	// policies grant its use (the account statement of a default key
	// policy), since CDK cannot edit an imported key's policy. Default: nil,
	// and the construct creates a key with rotation on.
	DataKey awskms.IKey
	// AnalyticsKey encrypts the analytics bucket; an imported key's policy
	// must let S3 (s3.amazonaws.com) call kms:GenerateDataKey* and
	// kms:Decrypt for this account's inventory and analysis reports, as
	// secure.ServiceS3Logging does, since CDK cannot edit an imported
	// key's policy. Default: nil, and the construct creates a key with
	// rotation on.
	AnalyticsKey awskms.IKey
	// BackupKey encrypts the backup vault (only with backup on); AWS Backup
	// uses it through the vault with grants, so an imported key needs no
	// service statement: its policy must let this account's IAM policies
	// grant its use (the account statement of a default key policy).
	// Default: nil, and the construct creates a key with rotation on.
	BackupKey awskms.IKey
	// Tiering is the lifecycle policy per bucket; buckets and fields left
	// out get DefaultTiering's. Default: DefaultTiering().
	Tiering Tiering
	// DataClasses maps data classes to key suffixes; lifecycle rules select
	// a class by the DataClassTag tag. Default: DefaultDataClasses().
	DataClasses DataClasses
	// ObjectLockMode of the raw bucket's default retention: GOVERNANCE or
	// COMPLIANCE (nobody, not even the root user, can shorten it; use it in
	// production). Default: GOVERNANCE.
	ObjectLockMode secure.LockMode
	// ObjectLockDays of the raw bucket's default retention, 1 to 36500.
	// Default: 30.
	ObjectLockDays int
	// DisableBackup creates no AWS Backup vault or plan (for a dev sandbox).
	// Default: false (backup on).
	DisableBackup bool
	// BackupRetentionDays of the daily backups, 1 to 36500. Default: 35.
	BackupRetentionDays int
	// DisableContinuousBackup leaves out the continuous backup rule (S3
	// point-in-time restore over the last min(BackupRetentionDays, 35)
	// days), keeping only the daily backups. Default: false (on).
	DisableContinuousBackup bool
	// BackupVaultLock locks the backup vault in compliance mode: after
	// BackupVaultLockChangeableDays nobody can delete recovery points before
	// their retention ends or change the lock. Turn it on in production.
	// Default: false.
	BackupVaultLock bool
	// BackupVaultLockMinDays is the least retention the locked vault
	// accepts, at most the plan's shortest retention. Only with
	// BackupVaultLock. Default: the plan's shortest retention.
	BackupVaultLockMinDays int
	// BackupVaultLockMaxDays is the longest retention the locked vault
	// accepts, at least the plan's longest retention. Only with
	// BackupVaultLock. Default: 0 (no maximum).
	BackupVaultLockMaxDays int
	// BackupVaultLockChangeableDays before the lock becomes immutable, 3 or
	// more (AWS Backup's cooling-off period is 72 hours). Only with
	// BackupVaultLock. Default: 3.
	BackupVaultLockChangeableDays int
	// Replication copies the raw bucket to a replica in another region.
	// Default: nil (no replication).
	Replication *Replication
	// LabelingPortalCORS adds to the results bucket the one CORS rule the
	// SageMaker Ground Truth labeling portal needs to show labelers the
	// images of a job (the portal fetches them from S3 with presigned URLs):
	// GET only, from the portals of this region
	// (https://*.labeling.<region>.sagemaker.aws) only. Default: false (no
	// CORS rule).
	LabelingPortalCORS bool
}

// Replication configures cross-region replication of the raw bucket.
type Replication struct {
	// Region of the replica, for example "eu-central-1"; it must differ
	// from the data lake's region. Required.
	Region string
	// Replica is what NewReplica built in a stack of Region (with an
	// explicit account and region). Required by New; Validate, which runs
	// before any construct exists, does not check it.
	Replica *Replica
	// StorageClass of the replicas: the disaster-recovery copy is rarely
	// read. Default: DEEP_ARCHIVE.
	StorageClass StorageClass
	// TimeControl turns on S3 Replication Time Control (99.99% of objects
	// replicated within 15 minutes, with replication metrics), at extra
	// cost. Default: false.
	TimeControl bool
}

// FieldError is one problem in Props, as the one validation error type:
// Field is the field path (the YAML names for the tiering policy, such as
// "tiering.raw.rules[1].transitions[0].days"; Go field names otherwise),
// Value the bad value, and Problem or Accepted what is wrong and what would
// be accepted. Path is empty until New adds the construct path.
type FieldError = validation.Error

func fieldErr(path string, value any, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	e := &validation.Error{Field: path, Value: validation.Render(value)}
	if rest, ok := strings.CutPrefix(msg, "is not accepted; use "); ok {
		e.Accepted = rest
	} else {
		e.Problem = strings.TrimPrefix(msg, "is ")
	}
	return e
}

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)

// Validate checks p (nil is valid) without building anything, so the config
// layer can call it when it loads an environment. It returns every problem
// found, joined; each is a *FieldError. New panics with the same errors.
func (p *Props) Validate() error {
	if p == nil {
		return nil
	}
	var errs []error
	bad := func(path string, value any, format string, args ...any) {
		errs = append(errs, fieldErr(path, value, format, args...))
	}
	r := p.withDefaults()

	errs = append(errs, r.DataClasses.validate()...)
	errs = append(errs, validateTiering(r.Tiering, r.DataClasses)...)

	if r.ObjectLockMode != secure.LockGovernance && r.ObjectLockMode != secure.LockCompliance {
		bad("ObjectLockMode", string(p.ObjectLockMode), "is not accepted; use GOVERNANCE or COMPLIANCE")
	}
	if r.ObjectLockDays < 1 || r.ObjectLockDays > 36500 {
		bad("ObjectLockDays", p.ObjectLockDays, "is not accepted; use 1 to 36500 (0 means %d)", DefaultObjectLockDays)
	}

	if p.DisableBackup {
		if p.BackupVaultLock || p.BackupRetentionDays != 0 || p.DisableContinuousBackup || p.BackupKey != nil {
			bad("DisableBackup", true, "contradicts the backup settings also given (BackupVaultLock, BackupRetentionDays, DisableContinuousBackup, BackupKey); leave them unset or turn backup on")
		}
	} else {
		if r.BackupRetentionDays < 1 || r.BackupRetentionDays > 36500 {
			bad("BackupRetentionDays", p.BackupRetentionDays, "is not accepted; use 1 to 36500 (0 means %d)", DefaultBackupRetentionDays)
		}
		lo, hi := r.retentionRange()
		if !p.BackupVaultLock && (p.BackupVaultLockMinDays != 0 || p.BackupVaultLockMaxDays != 0 || p.BackupVaultLockChangeableDays != 0) {
			bad("BackupVaultLock", false, "is off, but BackupVaultLockMinDays, BackupVaultLockMaxDays or BackupVaultLockChangeableDays is set; turn BackupVaultLock on or leave them 0")
		}
		if p.BackupVaultLock {
			if r.BackupVaultLockMinDays < 1 || r.BackupVaultLockMinDays > lo {
				bad("BackupVaultLockMinDays", p.BackupVaultLockMinDays, "is not accepted; use 1 to %d, the plan's shortest retention (0 means %d)", lo, lo)
			}
			if r.BackupVaultLockMaxDays != 0 && (r.BackupVaultLockMaxDays < hi || r.BackupVaultLockMaxDays > 36500) {
				bad("BackupVaultLockMaxDays", p.BackupVaultLockMaxDays, "is not accepted; use %d (the plan's longest retention) to 36500, or 0 for no maximum", hi)
			}
			if r.BackupVaultLockChangeableDays < 3 || r.BackupVaultLockChangeableDays > 36500 {
				bad("BackupVaultLockChangeableDays", p.BackupVaultLockChangeableDays, "is not accepted; use 3 or more: AWS Backup's cooling-off period is 72 hours (0 means %d)", DefaultVaultLockChangeableDays)
			}
		}
	}

	if rep := p.Replication; rep != nil {
		if !regionPattern.MatchString(rep.Region) {
			bad("Replication.Region", rep.Region, "is not an AWS region name such as eu-central-1")
		}
		if rep.StorageClass != "" {
			if _, ok := classes[rep.StorageClass]; !ok || rep.StorageClass == Standard {
				bad("Replication.StorageClass", string(rep.StorageClass), "is not accepted; use one of %s (empty means %s)", joinClasses(StorageClasses()), DeepArchive)
			}
		}
	}
	return validation.Join("", errs...)
}

// withDefaults returns a copy of p (nil allowed) with defaults filled in.
func (p *Props) withDefaults() Props {
	var r Props
	if p != nil {
		r = *p
	}
	if r.DataClasses == nil {
		r.DataClasses = DefaultDataClasses()
	}
	if r.Tiering == nil {
		r.Tiering = Tiering{}
	}
	if r.ObjectLockMode == "" {
		r.ObjectLockMode = secure.LockGovernance
	}
	if r.ObjectLockDays == 0 {
		r.ObjectLockDays = DefaultObjectLockDays
	}
	if r.BackupRetentionDays == 0 {
		r.BackupRetentionDays = DefaultBackupRetentionDays
	}
	if r.BackupVaultLock {
		if r.BackupVaultLockMinDays == 0 {
			r.BackupVaultLockMinDays, _ = r.retentionRange()
		}
		if r.BackupVaultLockChangeableDays == 0 {
			r.BackupVaultLockChangeableDays = DefaultVaultLockChangeableDays
		}
	}
	if r.Replication != nil {
		rep := *r.Replication
		if rep.StorageClass == "" {
			rep.StorageClass = DeepArchive
		}
		r.Replication = &rep
	}
	return r
}

// continuousDays is the retention of the continuous backups, 0 when off.
func (p Props) continuousDays() int {
	if p.DisableContinuousBackup {
		return 0
	}
	return min(p.BackupRetentionDays, MaxContinuousBackupDays)
}

// retentionRange returns the shortest and longest retention of the plan's
// rules (defaults applied to BackupRetentionDays).
func (p Props) retentionRange() (lo, hi int) {
	days := p.BackupRetentionDays
	if days == 0 {
		days = DefaultBackupRetentionDays
	}
	lo, hi = days, days
	if !p.DisableContinuousBackup {
		lo = min(lo, MaxContinuousBackupDays)
	}
	return lo, hi
}

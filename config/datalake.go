package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/secure"
)

// DataLake settings: protection, backup, replication and tiering of the
// data buckets.
type DataLake struct {
	// ObjectLock on the raw (instrument) bucket.
	ObjectLock ObjectLock `yaml:"objectLock"`
	// Backup of the data buckets (and later of tables and file systems).
	Backup Backup `yaml:"backup"`
	// Replication of the raw bucket to another region. Requires account and
	// region. Default: none.
	Replication *Replication `yaml:"replication"`
	// DataClasses maps a data class name to the key suffixes that belong to
	// it (for example bcl: [".bcl", ".cbcl"]); the ingest handler tags
	// objects with their class and lifecycle rules select on the tag.
	// Default: bcl, fastq, alignment and qc as in constructs/datalake.
	DataClasses datalake.DataClasses `yaml:"dataClasses"`
	// Tiering is the lifecycle policy per bucket (raw, partner, shared,
	// curated, results, athenaResults, analytics); buckets left out keep the
	// defaults of constructs/datalake (docs/STORAGE.md).
	Tiering datalake.Tiering `yaml:"tiering"`
}

// ObjectLock settings for the raw bucket.
type ObjectLock struct {
	// Mode: GOVERNANCE (privileged users may shorten retention) or COMPLIANCE
	// (nobody can, not even the root user). Default: GOVERNANCE; COMPLIANCE
	// is required in the production tier.
	Mode string `yaml:"mode"`
	// RetentionDays of the default retention, 1 to 36500. Default: 30.
	RetentionDays int `yaml:"retentionDays"`
}

// Backup settings.
type Backup struct {
	// Enabled creates the AWS Backup vault and plan. Default: true.
	Enabled *bool `yaml:"enabled"`
	// RetentionDays of the daily backups. Default: 35.
	RetentionDays int `yaml:"retentionDays"`
	// Continuous adds point-in-time restore of S3 over the last
	// min(retentionDays, 35) days. Default: true.
	Continuous *bool `yaml:"continuous"`
	// VaultLock locks the vault in compliance mode after a 3-day cooling-off
	// period: from then on nobody can delete a recovery point early or undo
	// the lock. Default: false (prod turns it on).
	VaultLock bool `yaml:"vaultLock"`
	// VaultLockMaxDays is the longest retention the locked vault accepts;
	// 0 sets no maximum. Default: 0.
	VaultLockMaxDays int `yaml:"vaultLockMaxDays"`
}

// Replication settings.
type Replication struct {
	// Region of the replica; must differ from the environment's region. Required.
	Region string `yaml:"region"`
	// StorageClass of the replicas. Default: DEEP_ARCHIVE.
	StorageClass string `yaml:"storageClass"`
	// TimeControl turns on S3 Replication Time Control (15-minute SLA, extra
	// cost). Default: false.
	TimeControl bool `yaml:"timeControl"`
}

// BackupEnabled reports whether the environment creates its backup plan.
func (b Backup) BackupEnabled() bool { return b.Enabled == nil || *b.Enabled }

func (d *DataLake) applyDefaults(*Environment) {
	if d.ObjectLock.Mode == "" {
		d.ObjectLock.Mode = "GOVERNANCE"
	}
	if d.ObjectLock.RetentionDays == 0 {
		d.ObjectLock.RetentionDays = 30
	}
}

// Props returns the data lake construct's props for this environment
// (without the stack-level pieces: access-log bucket, key, replica).
func (d *DataLake) Props() *datalake.Props {
	p := &datalake.Props{
		Tiering:        d.Tiering,
		DataClasses:    d.DataClasses,
		ObjectLockMode: secure.LockMode(d.ObjectLock.Mode),
		ObjectLockDays: d.ObjectLock.RetentionDays,
		DisableBackup:  !d.Backup.BackupEnabled(),
	}
	if d.Backup.BackupEnabled() {
		p.BackupRetentionDays = d.Backup.RetentionDays
		p.DisableContinuousBackup = d.Backup.Continuous != nil && !*d.Backup.Continuous
		p.BackupVaultLock = d.Backup.VaultLock
		p.BackupVaultLockMaxDays = d.Backup.VaultLockMaxDays
	}
	if d.Replication != nil {
		p.Replication = &datalake.Replication{
			Region:       d.Replication.Region,
			StorageClass: datalake.StorageClass(d.Replication.StorageClass),
			TimeControl:  d.Replication.TimeControl,
		}
	}
	return p
}

// yamlNames maps the construct's Go field names to this file's field paths.
var yamlNames = map[string]string{
	"ObjectLockMode":           "dataLake.objectLock.mode",
	"ObjectLockDays":           "dataLake.objectLock.retentionDays",
	"DisableBackup":            "dataLake.backup.enabled",
	"BackupRetentionDays":      "dataLake.backup.retentionDays",
	"DisableContinuousBackup":  "dataLake.backup.continuous",
	"BackupVaultLock":          "dataLake.backup.vaultLock",
	"BackupVaultLockMaxDays":   "dataLake.backup.vaultLockMaxDays",
	"Replication.Region":       "dataLake.replication.region",
	"Replication.StorageClass": "dataLake.replication.storageClass",
}

func (d *DataLake) validate(e *Environment) error {
	switch d.ObjectLock.Mode {
	case "GOVERNANCE", "COMPLIANCE":
	default:
		return e.fail("dataLake.objectLock.mode", d.ObjectLock.Mode, "is not accepted; use GOVERNANCE or COMPLIANCE")
	}
	if d.ObjectLock.RetentionDays < 1 || d.ObjectLock.RetentionDays > 36500 {
		return e.fail("dataLake.objectLock.retentionDays", fmt.Sprint(d.ObjectLock.RetentionDays), "must be between 1 and 36500 days")
	}
	if e.Tier == TierProduction && d.ObjectLock.Mode != "COMPLIANCE" {
		return e.fail("dataLake.objectLock.mode", d.ObjectLock.Mode, "must be COMPLIANCE in the production tier")
	}
	if e.Tier == TierProduction && !d.Backup.BackupEnabled() {
		return e.fail("dataLake.backup.enabled", "false", "must be true in the production tier")
	}
	if r := d.Replication; r != nil {
		switch {
		case e.Account == "":
			return e.fail("dataLake.replication", "", "needs account and region set: the replica lives in a stack of another region")
		case r.Region == "":
			return e.fail("dataLake.replication.region", "", "is required, for example us-west-2")
		case r.Region == e.Region:
			return e.fail("dataLake.replication.region", r.Region, "must differ from the environment's region")
		case !regionPattern.MatchString(r.Region):
			return e.fail("dataLake.replication.region", r.Region, "is not an AWS region name such as us-west-2")
		}
	}
	// The construct validates the rest (tiering against S3's rules, data
	// classes, backup retention); its field paths are turned into this file's.
	err := d.Props().Validate()
	if err == nil {
		return nil
	}
	var fe *datalake.FieldError
	if !errors.As(err, &fe) {
		return &FieldError{File: e.File, Path: "dataLake", Msg: err.Error()}
	}
	path := fe.Field
	if p, ok := yamlNames[path]; ok {
		path = p
	} else if strings.HasPrefix(path, "tiering") || strings.HasPrefix(path, "dataClasses") {
		path = "dataLake." + path
	}
	msg := fe.Problem
	if fe.Accepted != "" {
		msg = strings.TrimPrefix(msg+"; accepted: "+fe.Accepted, "; ")
	}
	return &FieldError{File: e.File, Path: path, Value: strings.Trim(fe.Value, `"`), Msg: msg}
}

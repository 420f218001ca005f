package config

import "fmt"

// DataLake settings: protection of the data buckets.
type DataLake struct {
	// ObjectLock on the raw (instrument) bucket.
	ObjectLock ObjectLock `yaml:"objectLock"`
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

func (d *DataLake) applyDefaults(*Environment) {
	if d.ObjectLock.Mode == "" {
		d.ObjectLock.Mode = "GOVERNANCE"
	}
	if d.ObjectLock.RetentionDays == 0 {
		d.ObjectLock.RetentionDays = 30
	}
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
	return nil
}

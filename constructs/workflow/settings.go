package workflow

import (
	"fmt"
	"time"

	"github.com/biolake/biolake/constructs/archive"
	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// ValidateSettings checks every setting except the constructs the workflow
// builds on (Batch, Glue, Lake, and the file system), so that a config layer
// can check an environment file before any construct exists; the steps are
// checked against bp, the compute they will run on (nil checks only what
// does not depend on it). Validate calls it.
func (p *Props) ValidateSettings(bp *batch.Props) error {
	if bp == nil {
		return p.validateSettings(nil)
	}
	return p.validateSettings(bp)
}

// validateSettings is ValidateSettings with the steps checked against jobs
// (nil: only what does not depend on the compute).
func (p *Props) validateSettings(jobs jobChecker) error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Name and Steps set")
	}
	var errs []error
	// The field (Props.X) leads each message; several compare fields.
	bad := func(format string, a ...any) {
		errs = append(errs, &validation.Error{Problem: fmt.Sprintf(format, a...)})
	}
	if !namePattern.MatchString(p.Name) {
		bad("Props.Name is %q; accepted: a letter, then letters or digits, at most 32", p.Name)
	}
	if err := validateSteps(p.Steps, jobs); err != nil {
		errs = append(errs, err)
	}
	archive.Check("", "Props.RestoreTier", p.RestoreTier, "Props.RestoreDays", p.RestoreDays, &errs)
	if p.MapConcurrency < 0 || p.MapConcurrency > 1000 {
		bad("Props.MapConcurrency is %d; accepted: 1 to 1000, or 0 for the default %d", p.MapConcurrency, DefaultMapConcurrency)
	}
	if p.MaxSamples < 0 || p.MaxSamples > MaxMaxSamples {
		bad("Props.MaxSamples is %d; accepted: 1 to %d, or 0 for the default %d", p.MaxSamples, MaxMaxSamples, DefaultMaxSamples)
	}
	if p.Project != "" && !tagPattern.MatchString(p.Project) {
		bad("Props.Project is %q; accepted: a tag value (letters, digits, spaces, _.:/=+-@), at most 256", p.Project)
	}
	if d := p.LogRetentionDays; d != 0 && !secure.IsLogRetention(d) {
		bad("Props.LogRetentionDays is %d; accepted: a CloudWatch Logs retention, or 0 for the default %d", d, DefaultLogRetentionDays)
	}
	if t := p.Timeout; t < 0 || t > MaxTimeout || t%time.Second != 0 {
		bad("Props.Timeout is %s; accepted: whole seconds up to %s, or 0 for the default %s", t, MaxTimeout, DefaultTimeout)
	}
	if c := p.LustreStorageGiB; c != 0 && !lustre.ValidCapacity(c) {
		bad("Props.LustreStorageGiB is %d; accepted: 1200 or a multiple of 2400 (2400, 4800, ...), or 0 for %d", c, lustre.DefaultStorageCapacityGiB)
	}
	for i, pr := range p.Profiles {
		if pr == "" {
			bad("Props.Profiles[%d] is empty; accepted: an instrument profile name", i)
		}
	}
	if p.Topic != nil && p.TopicKey != nil {
		errs = append(errs, validation.New("", "Props.TopicKey", validation.Raw("set"),
			"either an existing topic (Topic) or TopicKey for the topic the construct creates, not both"))
	}
	return validation.Join("", errs...)
}

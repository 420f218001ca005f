package workflow

import (
	"fmt"
	"github.com/biolake/biolake/constructs/validation"
	"strings"
	"time"

	"github.com/biolake/biolake/constructs/batch"
)

// The parts of a run that Budget adds up, besides the steps and the waits
// of the per-run file system (fsx.go).
const (
	// SampleSheetBudget bounds ListSamples: a 2-minute task, retried.
	SampleSheetBudget = 15 * time.Minute
	// StepSubmitBudget bounds, per step and wave, the Batch API's retries
	// around a job (submit and describe).
	StepSubmitBudget = 3 * time.Minute
	// CatalogBudget bounds the catalog record, the announcement and the
	// notifications, retried.
	CatalogBudget = 15 * time.Minute
	// DeleteRetryBudget bounds the retries of a deletion that FSx refuses
	// while the file system is still CREATING (60 s, doubling, 5 times).
	DeleteRetryBudget = 31 * time.Minute
)

// Budget is the longest a run of the workflow may take while each of its
// waits and steps stays within its own bound: the least Timeout that lets
// every failure reach its Catch (and, with a per-run file system, its
// deletion) instead of the execution timing out.
type Budget struct {
	// Restore is RestoreTimeout, or 0 with SkipRestore.
	Restore time.Duration
	// SampleSheet is SampleSheetBudget.
	SampleSheet time.Duration
	// FileSystem is the per-run file system's creation, links and mount
	// (FileSystemTimeout + LinksTimeout + MountDelay), or 0.
	FileSystem time.Duration
	// Samples is MaxSamples, Concurrency MapConcurrency, and Waves the
	// Map's rounds: ceil(Samples / Concurrency).
	Samples, Concurrency, Waves int
	// Wave is one round of the Map: every step's timeout times its
	// attempts, plus StepSubmitBudget per step.
	Wave time.Duration
	// Steps describes Wave ("Quantify 8h x 3 attempts + ...").
	Steps string
	// Export is ExportTimeout, or 0 without a per-run file system.
	Export time.Duration
	// Catalog is CatalogBudget.
	Catalog time.Duration
	// Cleanup is the deletion (DeletionTimeout + DeleteRetryBudget), or 0.
	Cleanup time.Duration
	// Total is the sum.
	Total time.Duration
}

// Budget returns the longest run p allows, with a per-run file system when
// perRunLustre. Defaults apply to unset fields (a step's timeout and
// attempts: batch.DefaultJobTimeout and batch.DefaultJobAttempts).
func (p *Props) Budget(perRunLustre bool) Budget {
	return budget(p.withDefaults(), perRunLustre)
}

// budget is Budget of props with their defaults applied (but Timeout).
func budget(q Props, perRunLustre bool) Budget {
	b := Budget{SampleSheet: SampleSheetBudget, Catalog: CatalogBudget, Samples: q.MaxSamples, Concurrency: q.MapConcurrency}
	if !q.SkipRestore {
		b.Restore = RestoreTimeout
	}
	if perRunLustre {
		b.FileSystem = FileSystemTimeout + LinksTimeout + MountDelay
		b.Export = ExportTimeout
		b.Cleanup = DeletionTimeout + DeleteRetryBudget
	}
	b.Waves = (b.Samples + b.Concurrency - 1) / b.Concurrency
	var parts []string
	for _, s := range q.Steps {
		timeout, attempts := s.Timeout, s.jobProps().Attempts
		if timeout == 0 {
			timeout = batch.DefaultJobTimeout
		}
		if attempts == 0 {
			attempts = batch.DefaultJobAttempts
		}
		b.Wave += time.Duration(attempts)*timeout + StepSubmitBudget
		parts = append(parts, fmt.Sprintf("%s %s x %d attempts", s.Name, hours(timeout), attempts))
	}
	b.Steps = strings.Join(parts, " + ") + fmt.Sprintf(" + %s Batch API per step", hours(StepSubmitBudget))
	b.Total = b.Restore + b.SampleSheet + b.FileSystem + time.Duration(b.Waves)*b.Wave + b.Export + b.Catalog + b.Cleanup
	return b
}

// String names every part: "restore 60h + sample sheet 15m + ... = 129h34m".
func (b Budget) String() string {
	parts := []string{}
	add := func(what string, d time.Duration) {
		if d > 0 {
			parts = append(parts, what+" "+hours(d))
		}
	}
	add("restore", b.Restore)
	add("sample sheet", b.SampleSheet)
	add("file system, links and mount", b.FileSystem)
	parts = append(parts, fmt.Sprintf("%d waves of the Map (maxSamples %d, %d at once) x %s (%s)", b.Waves, b.Samples, b.Concurrency, hours(b.Wave), b.Steps))
	add("export", b.Export)
	add("catalog and notifications", b.Catalog)
	add("deletion", b.Cleanup)
	return strings.Join(parts, " + ") + " = " + hours(b.Total)
}

// ValidateTimeout checks that Timeout (or its default) covers Budget, so
// that a stuck restore, a file system that never becomes available or a
// step that hangs reaches its own Catch (and the file system's deletion)
// before the execution times out. ValidateSettings does not call it (it
// does not know whether the workflow has a per-run file system); Validate
// and the config layer do.
func (p *Props) ValidateTimeout(perRunLustre bool) error {
	if p == nil || p.Timeout < 0 || p.MapConcurrency < 0 || p.MaxSamples < 0 || len(p.Steps) == 0 {
		return nil // reported by ValidateSettings
	}
	if p.Timeout == 0 {
		return nil // the default covers Budget
	}
	q := p.withDefaults()
	b := p.Budget(perRunLustre)
	if q.Timeout >= b.Total {
		return nil
	}
	return &validation.Error{Field: "Props.Timeout", Value: hours(q.Timeout),
		Problem:  fmt.Sprintf("shorter than the longest run the workflow allows: %s", b),
		Accepted: fmt.Sprintf("a Timeout of at least %s, or fewer samples per run (MaxSamples), more at once (MapConcurrency), shorter step timeouts, or SkipRestore", hours(b.Total))}
}

// hours formats d as "60h", "2h31m", "15m" or "30s".
func hours(d time.Duration) string {
	if d%time.Minute != 0 {
		return d.String()
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

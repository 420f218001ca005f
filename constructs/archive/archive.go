// Package archive holds what the constructs that restore archived objects
// share: the retrieval tier and how long a restored copy stays readable.
// eventglue (the restore function's defaults) and workflow (each run's
// restore request) both take a Tier and a number of days, and both pass
// them to the same restore handler (lambdas/restore), so they accept the
// same values, checked here.
//
// The data lake archives to S3 Glacier Deep Archive (and the
// Intelligent-Tiering Deep Archive Access tier), which offers the Bulk
// (within 48 hours) and Standard (within 12 hours) tiers only: Expedited
// is not accepted. S3's RestoreObject takes Days, the lifetime of the
// restored copy, of at least 1 and documents no maximum; the handler
// accepts 1 to MaxDays (a year), which bounds what a forgotten restore
// costs in Standard storage.
package archive

import (
	"github.com/biolake/biolake/constructs/validation"
)

// Tier is an S3 Glacier retrieval tier.
type Tier string

// Retrieval tiers of S3 Glacier Deep Archive.
const (
	Bulk     Tier = "Bulk"
	Standard Tier = "Standard"
)

// Defaults and limits.
const (
	DefaultTier = Bulk
	DefaultDays = 7
	MaxDays     = 365
)

// Tiers lists the accepted tiers.
func Tiers() []Tier { return []Tier{Bulk, Standard} }

// Check appends to errs one validation.Error per bad value: tier (empty
// for DefaultTier) and days (0 for DefaultDays), reported as the fields
// tierField and daysField of the construct at path.
func Check(path, tierField string, tier Tier, daysField string, days int, errs *[]error) {
	if tier != "" && tier != Bulk && tier != Standard {
		*errs = append(*errs, validation.New(path, tierField, string(tier), "%s or %s (Deep Archive has no Expedited tier), or empty for %s", Bulk, Standard, DefaultTier))
	}
	if days < 0 || days > MaxDays {
		*errs = append(*errs, validation.New(path, daysField, days, "1 to %d, or 0 for the default %d", MaxDays, DefaultDays))
	}
}

package archive_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/archive"
	"github.com/biolake/biolake/constructs/validation"
	"github.com/biolake/biolake/internal/restore"
)

// The constructs and the restore handler agree: the same default tier and
// days, and the handler takes every value Check accepts and refuses the
// others.
func TestAgreesWithTheHandler(t *testing.T) {
	if string(archive.DefaultTier) != restore.DefaultTier || archive.DefaultDays != restore.DefaultDays {
		t.Errorf("defaults %s/%d, handler %s/%d", archive.DefaultTier, archive.DefaultDays, restore.DefaultTier, restore.DefaultDays)
	}
	for _, c := range []struct {
		tier archive.Tier
		days int
	}{{archive.Bulk, 1}, {archive.Standard, archive.MaxDays}, {"Expedited", 7}, {archive.Bulk, archive.MaxDays + 1}} {
		var errs []error
		archive.Check("S/G", "Props.RestoreTier", c.tier, "Props.RestoreDays", c.days, &errs)
		handlerErr := restore.ValidateTierDays(string(c.tier), int32(c.days))
		if (len(errs) == 0) != (handlerErr == nil) {
			t.Errorf("%s/%d: Check %v, handler %v", c.tier, c.days, errs, handlerErr)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		tier  archive.Tier
		days  int
		field string
	}{{"Expedited", 0, "Props.RestoreTier"}, {"bulk", 0, "Props.RestoreTier"}, {"", -1, "Props.RestoreDays"}, {"", 366, "Props.RestoreDays"}} {
		var errs []error
		archive.Check("S/G", "Props.RestoreTier", c.tier, "Props.RestoreDays", c.days, &errs)
		if len(errs) != 1 {
			t.Fatalf("%q/%d: %v", c.tier, c.days, errs)
		}
		e, ok := errs[0].(*validation.Error)
		if !ok || e.Field != c.field || e.Path != "S/G" {
			t.Errorf("%q/%d: %#v", c.tier, c.days, errs[0])
		}
		if c.field == "Props.RestoreDays" && !strings.Contains(e.Error(), strconv.Itoa(archive.MaxDays)) {
			t.Errorf("%v does not name the limit", e)
		}
	}
	var errs []error
	archive.Check("S/G", "Props.RestoreTier", "", "Props.RestoreDays", 0, &errs)
	if len(errs) != 0 {
		t.Errorf("defaults refused: %v", errs)
	}
}

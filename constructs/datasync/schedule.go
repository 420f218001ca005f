package datasync

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MaxScheduleLength is the longest ScheduleExpression DataSync accepts.
const MaxScheduleLength = 256

var (
	rateRE = regexp.MustCompile(`^rate\(([1-9][0-9]{0,6}) (minute|minutes|hour|hours|day|days)\)$`)
	cronRE = regexp.MustCompile(`^cron\((.*)\)$`)
)

// cronField describes one field of an EventBridge cron expression.
type cronField struct {
	name     string
	min, max int
	names    []string // names for min, min+1, ... (months, weekdays)
}

var cronFields = []cronField{
	{name: "minutes", min: 0, max: 59},
	{name: "hours", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day-of-week", min: 1, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
	{name: "year", min: 1970, max: 2199},
}

// CheckSchedule checks a DataSync task schedule: an EventBridge rate(...)
// or cron(...) expression that runs at most once an hour, the shortest
// interval DataSync allows. It returns an error saying what is accepted.
func CheckSchedule(expr string) error {
	if len(expr) > MaxScheduleLength {
		return fmt.Errorf("a schedule of at most %d characters", MaxScheduleLength)
	}
	if m := rateRE.FindStringSubmatch(expr); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := m[2]
		if (n == 1) != !strings.HasSuffix(unit, "s") {
			return fmt.Errorf("rate(1 hour) or rate(N hours) style: a singular unit for 1, plural otherwise (rate(%s %s) is not valid)", m[1], unit)
		}
		if strings.HasPrefix(unit, "minute") && n < 60 {
			return fmt.Errorf("an interval of at least 1 hour (DataSync runs a task at most once an hour), such as rate(1 hour); rate(%d %s) is shorter", n, unit)
		}
		return nil
	}
	m := cronRE.FindStringSubmatch(expr)
	if m == nil {
		return errors.New("cron(minutes hours day-of-month month day-of-week year) or rate(N unit), such as \"cron(0 2 * * ? *)\" or \"rate(12 hours)\"")
	}
	fields := strings.Fields(m[1])
	if len(fields) != 6 {
		return fmt.Errorf("a cron expression with 6 fields (minutes hours day-of-month month day-of-week year), such as \"cron(0 2 * * ? *)\"; it has %d", len(fields))
	}
	for i, f := range fields {
		if err := checkCronField(cronFields[i], f); err != nil {
			return fmt.Errorf("a valid cron expression: %w", err)
		}
	}
	dom, dow := fields[2], fields[4]
	if (dom == "?") == (dow == "?") {
		return errors.New("a valid cron expression: exactly one of day-of-month and day-of-week must be \"?\", such as \"cron(0 2 * * ? *)\" or \"cron(0 2 ? * MON-FRI *)\"")
	}
	if _, err := strconv.Atoi(fields[0]); err != nil {
		return fmt.Errorf("a cron expression that runs at most once an hour (DataSync's shortest interval): the minutes field must be one minute, such as 0, not %q", fields[0])
	}
	return nil
}

func checkCronField(cf cronField, f string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s field %q: %s", cf.name, f, fmt.Sprintf(format, args...))
	}
	if f == "?" {
		if cf.name != "day-of-month" && cf.name != "day-of-week" {
			return bad("\"?\" only in day-of-month or day-of-week")
		}
		return nil
	}
	switch cf.name {
	case "day-of-month":
		if f == "L" || f == "LW" {
			return nil
		}
		if strings.HasSuffix(f, "W") {
			if _, err := value(cf, strings.TrimSuffix(f, "W")); err != nil {
				return bad("%v", err)
			}
			return nil
		}
	case "day-of-week":
		if strings.HasSuffix(f, "L") && len(f) > 1 {
			if _, err := value(cf, strings.TrimSuffix(f, "L")); err != nil {
				return bad("%v", err)
			}
			return nil
		}
		if d, n, ok := strings.Cut(f, "#"); ok {
			if _, err := value(cf, d); err != nil {
				return bad("%v", err)
			}
			if k, err := strconv.Atoi(n); err != nil || k < 1 || k > 5 {
				return bad("the nth weekday of the month is 1 to 5")
			}
			return nil
		}
	}
	for _, item := range strings.Split(f, ",") {
		base, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			if n, err := strconv.Atoi(step); err != nil || n < 1 || n > cf.max {
				return bad("a step of 1 to %d after \"/\"", cf.max)
			}
		}
		if base == "*" {
			continue
		}
		lo, hi, isRange := strings.Cut(base, "-")
		a, err := value(cf, lo)
		if err != nil {
			return bad("%v", err)
		}
		if isRange {
			b, err := value(cf, hi)
			if err != nil {
				return bad("%v", err)
			}
			if b < a && cf.name != "day-of-week" && cf.name != "month" {
				return bad("a range from low to high")
			}
		}
	}
	return nil
}

// value parses one value of a cron field: a number or a name.
func value(cf cronField, s string) (int, error) {
	for i, n := range cf.names {
		if strings.EqualFold(s, n) {
			return cf.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < cf.min || v > cf.max {
		if len(cf.names) > 0 {
			return 0, fmt.Errorf("values %d to %d or %s-%s", cf.min, cf.max, cf.names[0], cf.names[len(cf.names)-1])
		}
		return 0, fmt.Errorf("values %d to %d", cf.min, cf.max)
	}
	return v, nil
}

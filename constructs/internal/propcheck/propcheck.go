// Package propcheck holds the small helpers biolake's constructs share to
// report invalid props in one form: "<construct>: Props.<field> is <value>;
// accepted: <what would be accepted>".
package propcheck

import (
	"fmt"
	"strconv"
	"strings"
)

// Raw is a value written as it is, not quoted, such as Raw("nil").
type Raw string

// Collector returns a function that appends one error per bad field to
// errs, for construct. String values are quoted; other values (and Raw)
// are printed with fmt.
func Collector(construct string, errs *[]error) func(field string, value any, accepted string, args ...any) {
	return func(field string, value any, accepted string, args ...any) {
		v := fmt.Sprint(value)
		if s, ok := value.(string); ok {
			v = strconv.Quote(s)
		}
		*errs = append(*errs, fmt.Errorf("%s: Props.%s is %s; accepted: %s", construct, field, v, fmt.Sprintf(accepted, args...)))
	}
}

// JoinInts writes numbers as "1, 3, 5".
func JoinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// Package validation holds the one error type biolake reports for bad input:
// invalid construct props, a bad call on a construct, an invalid
// environment file. Every construct validates its props before it builds
// anything and panics with an [*Error] (or [Errors], several at once);
// config returns the same type from Load. An app recovers that type only
// (see [Recover]) and lets every other panic, a bug, keep its stack trace.
//
//	defer func() {
//		if err, ok := validation.Recover(recover()); ok {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(2)
//		}
//	}()
package validation

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
)

// Error is one bad input: where it is, which field, the bad value and what
// would be accepted.
type Error struct {
	// Path is the construct path ("Dev/Network/Network") of the construct
	// whose props or call are bad, or the environment file, with its line
	// when known ("environments/dev.yaml:12").
	Path string
	// Field names the input: "Props.MaxAZs", "AddJob(\"align\").Lustre",
	// "network.maxAZs" (a YAML path). Empty when the whole input is bad.
	Field string
	// Value is the bad value as written: strings quoted, "" when missing.
	Value string
	// Problem says what is wrong when "is <Value>" does not ("overlaps
	// the VPC's CIDR 10.0.0.0/16"); often empty.
	Problem string
	// Accepted says what would be accepted.
	Accepted string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Field != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Field)
	}
	if e.Value != "" {
		b.WriteString(" is ")
		b.WriteString(e.Value)
	}
	if e.Problem != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Problem)
	}
	if e.Accepted != "" {
		b.WriteString("; accepted: ")
		b.WriteString(e.Accepted)
	}
	return b.String()
}

// Raw is a value written as it is, not quoted, such as Raw("nil").
type Raw string

// Render writes a value the way an Error shows it: strings (and
// fmt.Stringer values) quoted, Raw and everything else with fmt.
func Render(value any) string {
	switch v := value.(type) {
	case nil:
		return "nil"
	case Raw:
		return string(v)
	case string:
		return strconv.Quote(v)
	case fmt.Stringer:
		return strconv.Quote(v.String())
	}
	return fmt.Sprint(value)
}

// New returns an Error for field of the construct at path. value is
// rendered with [Render]; accepted is a format for args.
func New(path, field string, value any, accepted string, args ...any) *Error {
	if len(args) > 0 {
		accepted = fmt.Sprintf(accepted, args...)
	}
	return &Error{Path: path, Field: field, Value: Render(value), Accepted: accepted}
}

// Collector returns a function that appends one Error per bad field to
// errs, for the construct at path; the field is prefixed with "Props.".
func Collector(path string, errs *[]error) func(field string, value any, accepted string, args ...any) {
	return func(field string, value any, accepted string, args ...any) {
		*errs = append(*errs, New(path, "Props."+field, value, accepted, args...))
	}
}

// List writes accepted values as "a, b, c", for the Accepted part of an
// Error ("one of " + List(values)).
func List[T any](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

// Errors is several bad inputs found at once.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.As find each Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Join collects the Errors among errs (nil entries are skipped) into one
// error: nil for none, the *Error itself for one, Errors for more. An error
// that is not (and does not wrap) an *Error becomes an Error with the
// message as its Problem and path as its Path, so nothing is lost.
func Join(path string, errs ...error) error {
	var out Errors
	for _, err := range errs {
		out = append(out, flatten(path, err)...)
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

func flatten(path string, err error) []*Error {
	if err == nil {
		return nil
	}
	var e *Error
	switch x := err.(type) {
	case *Error:
		if x.Path == "" {
			c := *x
			c.Path = path
			return []*Error{&c}
		}
		return []*Error{x}
	case Errors:
		var out []*Error
		for _, e := range x {
			out = append(out, flatten(path, e)...)
		}
		return out
	case interface{ Unwrap() []error }:
		var out []*Error
		for _, e := range x.Unwrap() {
			out = append(out, flatten(path, e)...)
		}
		return out
	}
	if errors.As(err, &e) {
		return flatten(path, e)
	}
	return []*Error{{Path: path, Problem: err.Error()}}
}

// PathOf is the construct path that a construct with id will have under
// scope ("Stack/Network"), for errors raised before the construct exists.
func PathOf(scope constructs.IConstruct, id string) string {
	if scope == nil {
		return id
	}
	if sp := *scope.Node().Path(); sp != "" {
		return sp + "/" + id
	}
	return id
}

// Check panics with Join(path, err) when err is not nil: how a construct
// stops the synth on bad props.
func Check(path string, err error) {
	if err := Join(path, err); err != nil {
		panic(err)
	}
}

// Recover reports whether r, a value from recover(), is a validation error
// (an *Error, Errors, or an error wrapping one) and returns it. An app
// prints such an error and exits; it re-panics anything else:
//
//	if r := recover(); r != nil {
//		err, ok := validation.Recover(r)
//		if !ok {
//			panic(r)
//		}
//		...
//	}
func Recover(r any) (error, bool) {
	err, ok := r.(error)
	if !ok {
		return nil, false
	}
	var e *Error
	var es Errors
	if errors.As(err, &e) || errors.As(err, &es) {
		return err, true
	}
	return nil, false
}

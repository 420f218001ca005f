package cdktest

import (
	"errors"
	"testing"

	"github.com/biolake/biolake/constructs/validation"
)

// CatchValidation runs fn and returns the validation error it panicked
// with; it fails the test if fn did not panic, or panicked with anything
// else (a bug, not bad input).
func CatchValidation(t testing.TB, fn func()) error {
	t.Helper()
	var r any
	func() {
		defer func() { r = recover() }()
		fn()
	}()
	if r == nil {
		t.Fatal("did not panic")
	}
	err, ok := validation.Recover(r)
	if !ok {
		t.Fatalf("panicked with %v (%T), not a validation error", r, r)
	}
	return err
}

// ValidationErrors asserts that err is made of validation errors, each at
// path, and returns them.
func ValidationErrors(t testing.TB, err error, path string) []*validation.Error {
	t.Helper()
	var got []*validation.Error
	var es validation.Errors
	var e *validation.Error
	switch {
	case errors.As(err, &es):
		got = es
	case errors.As(err, &e):
		got = []*validation.Error{e}
	default:
		t.Fatalf("error %v (%T) is not a validation error", err, err)
	}
	for _, e := range got {
		if e.Path != path {
			t.Errorf("error %q has Path %q, want %q", e, e.Path, path)
		}
	}
	return got
}

// HasField asserts that err is made of validation errors at path, one of
// which is for field ("Props.X"; "X" stands for "Props.X" too).
func HasField(t testing.TB, err error, path, field string) {
	t.Helper()
	var fields []string
	for _, e := range ValidationErrors(t, err, path) {
		if e.Field == field || e.Field == "Props."+field {
			return
		}
		fields = append(fields, e.Field)
	}
	t.Errorf("error %q has fields %q, none %q", err, fields, field)
}

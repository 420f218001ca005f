package validation_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/validation"
)

func TestErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		e    validation.Error
		want string
	}{
		{validation.Error{Path: "S/Net", Field: "Props.MaxAZs", Value: "7", Accepted: "1 to 3"}, "S/Net: Props.MaxAZs is 7; accepted: 1 to 3"},
		{validation.Error{Path: "dev.yaml:3", Field: "network.cidr", Value: `"10.0.0.0/8"`, Problem: "overlaps onPrem", Accepted: "a /16 to /28"}, `dev.yaml:3: network.cidr is "10.0.0.0/8": overlaps onPrem; accepted: a /16 to /28`},
		{validation.Error{Path: "dev.yaml", Problem: "is not valid YAML"}, "dev.yaml: is not valid YAML"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestRender(t *testing.T) {
	type named string
	for v, want := range map[any]string{"a b": `"a b"`, 3: "3", validation.Raw("nil"): "nil", true: "true"} {
		if got := validation.Render(v); got != want {
			t.Errorf("Render(%#v) = %s, want %s", v, got, want)
		}
	}
	if got := validation.Render(nil); got != "nil" {
		t.Errorf("Render(nil) = %s", got)
	}
}

func TestJoinAndRecover(t *testing.T) {
	var errs []error
	bad := validation.Collector("S/Q", &errs)
	bad("Size", -1, "1 to %d", 10)
	errs = append(errs, nil, errors.New("plain problem"))
	err := validation.Join("S/Q", errs...)
	var es validation.Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("Join = %#v, want two Errors", err)
	}
	if es[1].Path != "S/Q" || es[1].Problem != "plain problem" {
		t.Errorf("plain error became %#v", es[1])
	}
	if !strings.Contains(err.Error(), "S/Q: Props.Size is -1; accepted: 1 to 10") {
		t.Errorf("message %q", err)
	}
	if validation.Join("x") != nil || validation.Join("x", nil) != nil {
		t.Error("Join of nothing is not nil")
	}
	one := validation.Join("x", validation.New("", "F", "v", "w"))
	if e, ok := one.(*validation.Error); !ok || e.Path != "x" {
		t.Errorf("Join of one = %#v", one)
	}

	for _, tc := range []struct {
		r  any
		ok bool
	}{
		{es[0], true},
		{err, true},
		{fmt.Errorf("wrapped: %w", es[0]), true},
		{errors.New("bug"), false},
		{"a string panic", false},
		{nil, false},
	} {
		if _, ok := validation.Recover(tc.r); ok != tc.ok {
			t.Errorf("Recover(%v) ok = %v, want %v", tc.r, ok, tc.ok)
		}
	}
}

func TestCheck(t *testing.T) {
	validation.Check("x", nil) // no panic
	defer func() {
		err, ok := validation.Recover(recover())
		if !ok || !strings.HasPrefix(err.Error(), "Stack/Thing: ") {
			t.Fatalf("Check panicked with %v (validation error: %v)", err, ok)
		}
	}()
	validation.Check("Stack/Thing", errors.New("is broken"))
}

func TestList(t *testing.T) {
	if got := validation.List([]int{1, 3, 5}); got != "1, 3, 5" {
		t.Errorf("List = %q", got)
	}
	if got := validation.List([]string(nil)); got != "" {
		t.Errorf("List(nil) = %q", got)
	}
}

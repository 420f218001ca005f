package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/validation"
)

// A bad environment that config accepts but a construct refuses comes back
// from build as the validation error, with the construct path and field.
func TestBuildReturnsValidationErrors(t *testing.T) {
	env, err := config.Load("../../environments", "dev")
	if err != nil {
		t.Fatal(err)
	}
	env.Network.MaxAZs = 7
	app := awscdk.NewApp(nil)
	err = build(app, func() { newStage(app, env) })
	var ve *validation.Error
	if !errors.As(err, &ve) || ve.Field != "Props.MaxAZs" || !strings.HasSuffix(ve.Path, "/Network") {
		t.Fatalf("build = %v (%T), want the network's validation error for Props.MaxAZs", err, err)
	}
	var out bytes.Buffer
	report(&out, validation.Errors{ve, validation.New("S/Q", "Props.X", 1, "2")})
	if got := out.String(); got != "biolake: "+ve.Error()+"\nbiolake: S/Q: Props.X is 1; accepted: 2\n" {
		t.Errorf("report printed %q", got)
	}
}

// Any other panic is a bug: build lets it go on, the same value.
func TestBuildRepanicsBugs(t *testing.T) {
	bug := errors.New("nil map write")
	defer func() {
		if r := recover(); r != bug {
			t.Errorf("build panicked with %v, want the bug itself", r)
		}
	}()
	err := build(nil, func() { panic(bug) })
	t.Fatalf("build returned %v instead of panicking", err)
}

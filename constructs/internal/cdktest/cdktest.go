// Package cdktest holds helpers shared by the construct tests: it turns the
// panics that failed CDK assertions raise through jsii into readable test
// failures, and builds throw-away stacks with synth-time validation off.
package cdktest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func init() {
	// The built-in CloudFormation validator costs seconds per synth; the
	// app-level gate in test/ runs one synth with it on.
	if os.Getenv("CDK_VALIDATION") == "" {
		os.Setenv("CDK_VALIDATION", "false")
	}
	if os.Getenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION") == "" {
		os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	}
}

// NewStack returns a fresh App, with the feature flags of the repository's
// cdk.json, and an environment-agnostic Stack in it.
func NewStack(id string) (awscdk.App, awscdk.Stack) {
	app := NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String(id), nil)
	return app, stack
}

// NewApp returns an App with the context of the repository's cdk.json (the
// feature flags the biolake app runs with), stub Lambda assets, and extra.
func NewApp(extra map[string]interface{}) awscdk.App {
	ctx := map[string]interface{}{}
	for k, v := range repoContext() {
		ctx[k] = v
	}
	// Construct tests never need real assets; see golambda.StubContextKey.
	ctx["biolake:stubLambdaAssets"] = "true"
	for k, v := range extra {
		ctx[k] = v
	}
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
}

var (
	repoContextOnce sync.Once
	repoContextMap  map[string]interface{}
)

// repoContext reads the "context" of cdk.json at the module root, found
// relative to this source file.
func repoContext() map[string]interface{} {
	repoContextOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "..", "cdk.json"))
		if err != nil {
			panic(fmt.Sprintf("cdktest: %v", err))
		}
		var cj struct {
			Context map[string]interface{} `json:"context"`
		}
		if err := json.Unmarshal(raw, &cj); err != nil {
			panic(fmt.Sprintf("cdktest: cdk.json: %v", err))
		}
		repoContextMap = cj.Context
	})
	return repoContextMap
}

// Template synthesizes stack and returns its assertion template. A panic
// during synthesis (a validation error in a construct) fails the test.
func Template(t testing.TB, stack awscdk.Stack) assertions.Template {
	t.Helper()
	var tpl assertions.Template
	Must(t, "synthesize "+*stack.StackName(), func() {
		tpl = assertions.Template_FromStack(stack, nil)
	})
	return tpl
}

// Must runs fn and turns a panic (how a failed CDK assertion surfaces through
// jsii) into t.Fatal with the assertion's message.
func Must(t testing.TB, what string, fn func()) {
	t.Helper()
	if msg, failed := Catch(fn); failed {
		t.Fatalf("%s: %s", what, msg)
	}
}

// Catch runs fn and reports whether it panicked, with the panic's message.
func Catch(fn func()) (msg string, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			msg = strings.TrimSpace(fmt.Sprint(r))
			panicked = true
		}
	}()
	fn()
	return "", false
}

// Props is shorthand for the map form that assertions' matchers take.
type Props = map[string]interface{}

// Has asserts that the template has a resource of type with properties that
// match props (deep partial match).
func Has(t testing.TB, tpl assertions.Template, typ string, props Props) {
	t.Helper()
	Must(t, "resource "+typ, func() { tpl.HasResourceProperties(jsii.String(typ), props) })
}

// Count asserts the number of resources of type.
func Count(t testing.TB, tpl assertions.Template, typ string, n int) {
	t.Helper()
	Must(t, fmt.Sprintf("count of %s", typ), func() { tpl.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n))) })
}

// Resources returns the resources of type as plain maps keyed by logical id.
func Resources(t testing.TB, tpl assertions.Template, typ string) map[string]map[string]interface{} {
	t.Helper()
	out := map[string]map[string]interface{}{}
	Must(t, "find "+typ, func() {
		found := tpl.FindResources(jsii.String(typ), nil)
		if found == nil {
			return
		}
		for id, v := range *found {
			if v != nil {
				out[id] = *v
			}
		}
	})
	return out
}

// Like wraps assertions.Match_ObjectLike for nested partial matches.
func Like(p Props) interface{} { return assertions.Match_ObjectLike(&p) }

// ArrayWith wraps assertions.Match_ArrayWith.
func ArrayWith(items ...interface{}) interface{} { return assertions.Match_ArrayWith(&items) }

// Absent wraps assertions.Match_Absent.
func Absent() interface{} { return assertions.Match_Absent() }

package datasync_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// TaskFailedRule matches the ERROR executions of the construct's tasks only,
// has no target, and MetricTaskExecutionsFailed counts its matches.
func TestMetricTaskExecutionsFailed(t *testing.T) {
	f := load(t)
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, stack := range []string{"Isolated", "Existing"} {
		id, rule := f.res(t, stack, "DataSync/TaskFailedRule")
		p := rule.Properties
		if _, ok := p["Targets"]; ok {
			t.Errorf("%s: the counting rule has targets: %s", stack, js(p["Targets"]))
		}
		pat := p["EventPattern"].(map[string]any)
		if js(pat["source"]) != `["aws.datasync"]` || js(pat["detail-type"]) != `["DataSync Task Execution State Change"]` ||
			js(pat["detail"]) != `{"State":["ERROR"]}` {
			t.Errorf("%s: pattern %s", stack, js(pat))
		}
		// The same executions as the rule to the platform bus: each task's.
		var prefixes []string
		for _, r := range pat["resources"].([]any) {
			prefixes = append(prefixes, render(r.(map[string]any)["prefix"]))
		}
		tasks := f.ofType(stack, "AWS::DataSync::Task", "DataSync/")
		if len(prefixes) != len(tasks) {
			t.Errorf("%s: %d prefixes for %d tasks: %v", stack, len(prefixes), len(tasks), prefixes)
		}
		for path := range tasks {
			want := "<" + f.logicals[stack][path] + ".TaskArn>/execution/"
			if !slices.Contains(prefixes, want) {
				t.Errorf("%s: no prefix %s in %v", stack, want, prefixes)
			}
		}
		want := cdktest.Want("AWS/Events", "MatchedEvents", "Sum", 300, `{"RuleName":`+cdktest.Ref(id)+`}`)
		if got := cdktest.Shape(t, f.stacks[stack], f.ds[stack].MetricTaskExecutionsFailed(nil)); got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", stack, got, want)
		}
	}
}

package batch_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// Each job queue has a rule, without target, on its FAILED jobs, and
// MetricJobsFailed counts that rule's matches.
func TestMetricJobsFailed(t *testing.T) {
	load(t)
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	// rule returns the logical id of the rule whose id starts with prefix
	// and the queues its pattern names, as JSON.
	rule := func(tpl map[string]any, prefix string) (string, string) {
		t.Helper()
		for id, r := range ofType(tpl, "AWS::Events::Rule") {
			if !strings.HasPrefix(id, prefix) {
				continue
			}
			p := r["Properties"].(map[string]any)
			if _, ok := p["Targets"]; ok {
				t.Errorf("%s has targets: %s", id, js(p["Targets"]))
			}
			pat := p["EventPattern"].(map[string]any)
			d := pat["detail"].(map[string]any)
			if js(pat["source"]) != `["aws.batch"]` || js(pat["detail-type"]) != `["Batch Job State Change"]` || js(d["status"]) != `["FAILED"]` {
				t.Errorf("%s: pattern %s", id, js(pat))
			}
			return id, js(d["jobQueue"])
		}
		t.Fatalf("no rule %s*", prefix)
		return "", ""
	}
	check := func(stack awscdk.Stack, tpl map[string]any, name, prefix, queuePrefix string, q *batch.Queue) {
		t.Helper()
		id, queue := rule(tpl, prefix)
		if !strings.HasPrefix(queue, `[{"Ref":"`+queuePrefix) && !strings.HasPrefix(queue, `[{"Fn::GetAtt":["`+queuePrefix) {
			t.Errorf("%s: rule %s names queue %s, want %s*", name, id, queue, queuePrefix)
		}
		m := q.MetricQueueJobsFailed(name, nil)
		if name == "" || name == "Default" {
			m = q.MetricJobsFailed(nil)
		}
		want := cdktest.Want("AWS/Events", "MatchedEvents", "Sum", 300, `{"RuleName":`+cdktest.Ref(id)+`}`)
		if got := cdktest.Shape(t, stack, m); got != want {
			t.Errorf("%q:\n got %+v\nwant %+v", name, got, want)
		}
	}
	check(batchStack, tpl, "", "QueueJobsFailedRule", "QueueJobQueue", fargateQueue)
	for _, name := range []string{"Default", "Gpu", "Fargate"} {
		check(hpcStack, hpc, name, "HpcJobsFailedRule"+name, "HpcQueue"+name, hpcQueue)
	}
	if n := len(ofType(hpc, "AWS::Events::Rule")); n < 4 {
		t.Errorf("Hpc: %d rules, want one per queue", n)
	}
	if m := hpcQueue.MetricQueueJobsFailed("Nope", nil); m != nil {
		t.Errorf("metric for an unknown queue: %v", m)
	}
}

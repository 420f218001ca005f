package workflow_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// Every Metric method names the right namespace, metric, statistic and
// period, and its dimensions resolve to the workflow's own resources; the
// cleanup metrics exist with a per-run file system only.
func TestMetrics(t *testing.T) {
	load(t)
	stack := asm.Stacks[stackName]
	id := func(path string) string { i, _ := asm.Res(t, stackName, path); return i }
	for _, name := range []string{"RnaSeq", "Qc", "Wgs"} {
		w := workflows[name]
		sm := func(path string) string { return `{"StateMachineArn":` + cdktest.Ref(id(name+"/"+path)) + `}` }
		cases := []struct {
			name string
			got  awscloudwatch.Metric
			want cdktest.MetricShape
		}{
			{"ExecutionsFailed", w.MetricExecutionsFailed(nil), cdktest.Want("AWS/States", "ExecutionsFailed", "Sum", 300, sm("StateMachine"))},
			{"ExecutionsTimedOut", w.MetricExecutionsTimedOut(nil), cdktest.Want("AWS/States", "ExecutionsTimedOut", "Sum", 300, sm("StateMachine"))},
			{"ExecutionsAborted", w.MetricExecutionsAborted(nil), cdktest.Want("AWS/States", "ExecutionsAborted", "Sum", 300, sm("StateMachine"))},
			{"StarterFailed", w.MetricStarterFailed(nil), cdktest.Want("AWS/States", "ExecutionsFailed", "Sum", 300, sm("Starter"))},
			{"DeadLetters", w.MetricDeadLetters(nil), cdktest.Want("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300,
				`{"QueueName":`+cdktest.GetAtt(id(name+"/DeadLetterQueue"), "QueueName")+`}`)},
		}
		if name == "Wgs" {
			cases = append(cases, []struct {
				name string
				got  awscloudwatch.Metric
				want cdktest.MetricShape
			}{
				{"CleanupFailed", w.MetricCleanupFailed(nil), cdktest.Want("AWS/States", "ExecutionsFailed", "Sum", 300, sm("Cleanup/StateMachine"))},
				{"CleanupTimedOut", w.MetricCleanupTimedOut(nil), cdktest.Want("AWS/States", "ExecutionsTimedOut", "Sum", 300, sm("Cleanup/StateMachine"))},
				{"CleanupAborted", w.MetricCleanupAborted(nil), cdktest.Want("AWS/States", "ExecutionsAborted", "Sum", 300, sm("Cleanup/StateMachine"))},
			}...)
		} else if w.MetricCleanupFailed(nil) != nil || w.MetricCleanupTimedOut(nil) != nil || w.MetricCleanupAborted(nil) != nil {
			t.Errorf("%s: cleanup metrics without a per-run file system", name)
		}
		for _, c := range cases {
			if got := cdktest.Shape(t, stack, c.got); got != c.want {
				t.Errorf("%s %s:\n got %+v\nwant %+v", name, c.name, got, c.want)
			}
		}
	}
}

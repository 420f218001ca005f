package eventglue_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// Every Metric method names the right namespace, metric, statistic and
// period, and its dimensions resolve to the glue's own resources.
func TestMetrics(t *testing.T) {
	f := load(t)
	const stack = "Glue"
	g, st := f.glue[stack], f.stacks[stack]
	id := func(path string) string { i, _ := f.res(t, stack, "EventGlue/"+path); return i }
	sm := `{"StateMachineArn":` + cdktest.Ref(id("VerifyStateMachine")) + `}`
	queue := func(q string) string { return `{"QueueName":` + cdktest.GetAtt(id(q), "QueueName") + `}` }
	fn := func(h string) string { return `{"FunctionName":` + cdktest.Ref(id(h)) + `}` }
	for _, c := range []struct {
		name string
		got  awscloudwatch.Metric
		want cdktest.MetricShape
	}{
		{"VerifyFailed", g.MetricVerifyFailed(nil), cdktest.Want("AWS/States", "ExecutionsFailed", "Sum", 300, sm)},
		{"VerifyTimedOut", g.MetricVerifyTimedOut(nil), cdktest.Want("AWS/States", "ExecutionsTimedOut", "Sum", 300, sm)},
		{"VerifyAborted", g.MetricVerifyAborted(nil), cdktest.Want("AWS/States", "ExecutionsAborted", "Sum", 300, sm)},
		{"IntegrityFailed", g.MetricIntegrityFailed(nil), cdktest.Want("AWS/Events", "MatchedEvents", "Sum", 300,
			`{"EventBusName":`+cdktest.Ref(id("Bus"))+`,"RuleName":`+cdktest.Ref(id("IntegrityFailedRule"))+`}`)},
		{"EventsDeadLetters", g.MetricEventsDeadLetters(nil), cdktest.Want("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, queue("EventsDeadLetterQueue"))},
		{"IngestDeadLetters", g.MetricIngestDeadLetters(nil), cdktest.Want("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, queue("IngestQueueDeadLetterQueue"))},
		{"RestoreDeadLetters", g.MetricRestoreDeadLetters(nil), cdktest.Want("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, queue("RestoreQueueDeadLetterQueue"))},
		{"RestoreFunctionDeadLetters", g.MetricRestoreFunctionDeadLetters(nil), cdktest.Want("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, queue("RestoreFunctionDeadLetterQueue"))},
		{"IngestErrors", g.MetricHandlerErrors(eventglue.HandlerIngest, nil), cdktest.Want("AWS/Lambda", "Errors", "Sum", 300, fn("Ingest"))},
		{"VerifyErrors", g.MetricHandlerErrors(eventglue.HandlerVerify, nil), cdktest.Want("AWS/Lambda", "Errors", "Sum", 300, fn("Verify"))},
		{"RestoreThrottles", g.MetricHandlerThrottles(eventglue.HandlerRestore, nil), cdktest.Want("AWS/Lambda", "Throttles", "Sum", 300, fn("Restore"))},
		{"SamplesThrottles", g.MetricHandlerThrottles(eventglue.HandlerSamples, nil), cdktest.Want("AWS/Lambda", "Throttles", "Sum", 300, fn("Samples"))},
		// Options win over the defaults.
		{"options", g.MetricVerifyFailed(&awscloudwatch.MetricOptions{Statistic: jsii.String("Average")}), cdktest.Want("AWS/States", "ExecutionsFailed", "Average", 300, sm)},
	} {
		if got := cdktest.Shape(t, st, c.got); got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
	if len(eventglue.Handlers()) != 4 {
		t.Errorf("handlers %v", eventglue.Handlers())
	}
}

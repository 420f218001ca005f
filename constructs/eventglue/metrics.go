package eventglue

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"

	"github.com/biolake/biolake/constructs/internal/alarm"
)

// Every Metric method takes options that may be nil; the default period is
// alarm.Period (five minutes) and the default statistic is said on each.

// MetricVerifyFailed is the number of verify executions that failed: a run
// failed verification or could not be verified (AWS/States
// ExecutionsFailed, dimension StateMachineArn of VerifyStateMachine).
// Default: Sum.
func (g *EventGlue) MetricVerifyFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return g.VerifyStateMachine.MetricFailed(alarm.Options(opts, alarm.Sum))
}

// MetricVerifyTimedOut is the number of verify executions that timed out
// (AWS/States ExecutionsTimedOut). Default: Sum.
func (g *EventGlue) MetricVerifyTimedOut(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return g.VerifyStateMachine.MetricTimedOut(alarm.Options(opts, alarm.Sum))
}

// MetricVerifyAborted is the number of verify executions that were stopped
// (AWS/States ExecutionsAborted). Default: Sum.
func (g *EventGlue) MetricVerifyAborted(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return g.VerifyStateMachine.MetricAborted(alarm.Options(opts, alarm.Sum))
}

// MetricVerifyTime is how long the verify state machine's executions
// took, in milliseconds (AWS/States ExecutionTime, dimension
// StateMachineArn): a run's verification time, for the operations
// dashboard. Default: Average over alarm.Period.
func (g *EventGlue) MetricVerifyTime(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return g.VerifyStateMachine.MetricTime(alarm.Options(opts, alarm.Average))
}

// MetricIntegrityFailed is the number of IntegrityFailed events on Bus: runs
// whose data did not match their manifest (AWS/Events MatchedEvents of the
// rule that forwards them to AlarmTopic, dimensions EventBusName and
// RuleName, as EventBridge publishes them for a rule on a custom bus).
// Default: Sum.
func (g *EventGlue) MetricIntegrityFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return alarm.Metric("AWS/Events", "MatchedEvents", map[string]*string{
		"EventBusName": g.Bus.EventBusName(),
		"RuleName":     g.integrityFailedRule.RuleName(),
	}, opts, alarm.Sum)
}

// metricDeadLetters is the depth of a dead-letter queue (AWS/SQS
// ApproximateNumberOfMessagesVisible, dimension QueueName). Default:
// Maximum.
func metricDeadLetters(q awssqs.IQueue, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return q.MetricApproximateNumberOfMessagesVisible(alarm.Options(opts, alarm.Maximum))
}

// MetricEventsDeadLetters is the number of events waiting in the dead-letter
// queue of the bus and of every rule target (EventsDeadLetterQueue): events
// EventBridge could not encrypt, decrypt or deliver (AWS/SQS
// ApproximateNumberOfMessagesVisible, dimension QueueName). Default:
// Maximum.
func (g *EventGlue) MetricEventsDeadLetters(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return metricDeadLetters(g.deadLetters["EventsDeadLetterQueue"], opts)
}

// MetricIngestDeadLetters is the number of S3 events the ingest handler
// failed MaxReceiveCount times (IngestQueueDeadLetterQueue; AWS/SQS
// ApproximateNumberOfMessagesVisible). Default: Maximum.
func (g *EventGlue) MetricIngestDeadLetters(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return metricDeadLetters(g.deadLetters["IngestQueueDeadLetterQueue"], opts)
}

// MetricRestoreDeadLetters is the number of restore-completed events the
// restore handler failed MaxReceiveCount times (RestoreQueueDeadLetterQueue;
// AWS/SQS ApproximateNumberOfMessagesVisible). Default: Maximum.
func (g *EventGlue) MetricRestoreDeadLetters(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return metricDeadLetters(g.deadLetters["RestoreQueueDeadLetterQueue"], opts)
}

// MetricRestoreFunctionDeadLetters is the number of asynchronous invocations
// of the restore handler that failed every retry
// (RestoreFunctionDeadLetterQueue; AWS/SQS
// ApproximateNumberOfMessagesVisible). Default: Maximum.
func (g *EventGlue) MetricRestoreFunctionDeadLetters(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return metricDeadLetters(g.deadLetters["RestoreFunctionDeadLetterQueue"], opts)
}

// Handler names one of the glue's Lambda handlers for MetricHandlerErrors
// and MetricHandlerThrottles.
type Handler string

// The glue's handlers.
const (
	HandlerIngest  Handler = "Ingest"
	HandlerVerify  Handler = "Verify"
	HandlerRestore Handler = "Restore"
	HandlerSamples Handler = "Samples"
)

// Handlers lists every Handler.
func Handlers() []Handler {
	return []Handler{HandlerIngest, HandlerVerify, HandlerRestore, HandlerSamples}
}

func (g *EventGlue) handler(h Handler) awslambda.IFunction {
	switch h {
	case HandlerIngest:
		return g.Ingest
	case HandlerVerify:
		return g.Verify
	case HandlerRestore:
		return g.Restore
	case HandlerSamples:
		return g.Samples
	}
	panic("eventglue: unknown handler " + string(h) + "; use one of Handlers()")
}

// MetricHandlerErrors is the number of invocations of handler h that ended
// in an error (AWS/Lambda Errors, dimension FunctionName). Default: Sum.
func (g *EventGlue) MetricHandlerErrors(h Handler, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return g.handler(h).MetricErrors(alarm.Options(opts, alarm.Sum))
}

// MetricHandlerThrottles is the number of invocations of handler h that
// were throttled (AWS/Lambda Throttles, dimension FunctionName). Default:
// Sum.
func (g *EventGlue) MetricHandlerThrottles(h Handler, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return g.handler(h).MetricThrottles(alarm.Options(opts, alarm.Sum))
}

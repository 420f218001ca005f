package workflow

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/lustre"
)

// AlarmPeriod is the period of the alarms' metrics: an alarm fires when
// one event happens in it.
const AlarmPeriod = 5 * time.Minute

// newAlarms creates the alarms, each with an alarm and an OK action to the
// alarm topic, missing data not breaching.
func (w *Workflow) newAlarms() {
	w.AlarmTopic = w.p.AlarmTopic
	if w.AlarmTopic == nil {
		w.AlarmTopic = w.Topic
	}
	opts := func(stat string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: awscdk.Duration_Seconds(jsii.Number(AlarmPeriod.Seconds())), Statistic: jsii.String(stat)}
	}
	action := awscloudwatchactions.NewSnsAction(w.AlarmTopic)
	stopped := ""
	if w.Cleanup != nil {
		stopped = ": its cleanup exports and deletes the run's file system and tells the workflow's topic"
	}
	// Without a rule or a cleanup there is no dead-letter queue.
	var dlqMetric awscloudwatch.IMetric
	if w.DeadLetterQueue != nil {
		dlqMetric = w.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(opts("Maximum"))
	}
	alarms := []struct {
		id, what string
		metric   awscloudwatch.IMetric
	}{
		{"ExecutionsFailedAlarm", "an execution of the " + w.p.Name + " workflow failed (its notification says why; a failure after the file system existed also deleted it)", w.StateMachine.MetricFailed(opts("Sum"))},
		{"ExecutionsTimedOutAlarm", "an execution of the " + w.p.Name + " workflow timed out" + stopped, w.StateMachine.MetricTimedOut(opts("Sum"))},
		{"ExecutionsAbortedAlarm", "an execution of the " + w.p.Name + " workflow was stopped" + stopped, w.StateMachine.MetricAborted(opts("Sum"))},
		{"StarterFailedAlarm", "the " + w.p.Name + " workflow could not be started for a run (see the Starter's log group)", w.Starter.MetricFailed(opts("Sum"))},
		{"DeadLetterQueueAlarm", "events could not be delivered to the " + w.p.Name + " workflow's Starter (RunIngested) or cleanup (stopped executions): they wait in its dead-letter queue", dlqMetric},
	}
	if w.Cleanup != nil {
		stuck := ": the run's file system may still be running (look for the " + lustre.ExecutionTag + " tag; the workflow's topic says which)"
		alarms = append(alarms, []struct {
			id, what string
			metric   awscloudwatch.IMetric
		}{
			{"CleanupFailedAlarm", "the cleanup after a stopped " + w.p.Name + " execution failed" + stuck, w.Cleanup.MetricFailed(opts("Sum"))},
			{"CleanupTimedOutAlarm", "the cleanup after a stopped " + w.p.Name + " execution timed out" + stuck, w.Cleanup.MetricTimedOut(opts("Sum"))},
			{"CleanupAbortedAlarm", "the cleanup after a stopped " + w.p.Name + " execution was aborted" + stuck, w.Cleanup.MetricAborted(opts("Sum"))},
		}...)
	}
	for _, a := range alarms {
		if a.metric == nil {
			continue
		}
		alarm := awscloudwatch.NewAlarm(w, jsii.String(a.id), &awscloudwatch.AlarmProps{
			Metric:             a.metric,
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String("biolake: " + a.what + "."),
		})
		alarm.AddAlarmAction(action)
		alarm.AddOkAction(action)
		w.Alarms = append(w.Alarms, alarm)
	}
}

package workflow

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"

	"github.com/biolake/biolake/constructs/internal/alarm"
	"github.com/biolake/biolake/constructs/lustre"
)

// AlarmPeriod is the period of the alarms' metrics and the default period
// of the Metric methods: an alarm fires when one event happens in it.
const AlarmPeriod = alarm.Period

// MetricExecutionsFailed is the number of executions of StateMachine that
// failed (AWS/States ExecutionsFailed, dimension StateMachineArn). Default:
// Sum over AlarmPeriod.
func (w *Workflow) MetricExecutionsFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.StateMachine.MetricFailed(alarm.Options(opts, alarm.Sum))
}

// MetricExecutionsStarted is the number of executions of StateMachine
// that started (AWS/States ExecutionsStarted, dimension StateMachineArn),
// for the operations dashboard. Default: Sum over AlarmPeriod.
func (w *Workflow) MetricExecutionsStarted(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.StateMachine.MetricStarted(alarm.Options(opts, alarm.Sum))
}

// MetricExecutionsSucceeded is the number of executions of StateMachine
// that succeeded (AWS/States ExecutionsSucceeded, dimension
// StateMachineArn), for the operations dashboard. Default: Sum over
// AlarmPeriod.
func (w *Workflow) MetricExecutionsSucceeded(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.StateMachine.MetricSucceeded(alarm.Options(opts, alarm.Sum))
}

// MetricExecutionsTimedOut is the number of executions of StateMachine
// that timed out (AWS/States ExecutionsTimedOut, dimension
// StateMachineArn). Default: Sum over AlarmPeriod.
func (w *Workflow) MetricExecutionsTimedOut(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.StateMachine.MetricTimedOut(alarm.Options(opts, alarm.Sum))
}

// MetricExecutionsAborted is the number of executions of StateMachine that
// were stopped (AWS/States ExecutionsAborted, dimension StateMachineArn).
// Default: Sum over AlarmPeriod.
func (w *Workflow) MetricExecutionsAborted(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.StateMachine.MetricAborted(alarm.Options(opts, alarm.Sum))
}

// MetricStarterFailed is the number of Starter executions that failed: a
// run the workflow could not be started for (AWS/States ExecutionsFailed,
// dimension StateMachineArn of the Starter). Default: Sum over AlarmPeriod.
func (w *Workflow) MetricStarterFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.Starter.MetricFailed(alarm.Options(opts, alarm.Sum))
}

// MetricDeadLetters is the number of messages waiting in DeadLetterQueue:
// RunIngested events the rule could not deliver to the Starter, and status
// changes the cleanup rule could not deliver (AWS/SQS
// ApproximateNumberOfMessagesVisible, dimension QueueName). Default:
// Maximum over AlarmPeriod. Nil when the workflow has neither a start rule
// nor a cleanup (no dead-letter queue).
func (w *Workflow) MetricDeadLetters(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	if w.DeadLetterQueue == nil {
		return nil
	}
	return w.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(alarm.Options(opts, alarm.Maximum))
}

// MetricCleanupFailed is the number of Cleanup executions that failed
// (AWS/States ExecutionsFailed, dimension StateMachineArn of Cleanup).
// Default: Sum over AlarmPeriod. Nil without a per-run file system
// (Cleanup is nil).
func (w *Workflow) MetricCleanupFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	if w.Cleanup == nil {
		return nil
	}
	return w.Cleanup.MetricFailed(alarm.Options(opts, alarm.Sum))
}

// MetricCleanupTimedOut is the number of Cleanup executions that timed out
// (AWS/States ExecutionsTimedOut). Default: Sum over AlarmPeriod. Nil
// without a per-run file system.
func (w *Workflow) MetricCleanupTimedOut(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	if w.Cleanup == nil {
		return nil
	}
	return w.Cleanup.MetricTimedOut(alarm.Options(opts, alarm.Sum))
}

// MetricCleanupAborted is the number of Cleanup executions that were
// stopped (AWS/States ExecutionsAborted). Default: Sum over AlarmPeriod.
// Nil without a per-run file system.
func (w *Workflow) MetricCleanupAborted(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	if w.Cleanup == nil {
		return nil
	}
	return w.Cleanup.MetricAborted(alarm.Options(opts, alarm.Sum))
}

// newAlarms creates the alarms on the Metric methods, each with an alarm
// and an OK action to the alarm topic.
func (w *Workflow) newAlarms() {
	w.AlarmTopic = w.p.AlarmTopic
	if w.AlarmTopic == nil {
		w.AlarmTopic = w.Topic
	}
	name := "the " + w.p.Name + " workflow"
	stopped := "the execution's history in the workflow's log group; start the run again once the cause is fixed"
	if w.Cleanup != nil {
		stopped = "its cleanup exports and deletes the run's file system and tells the workflow's topic; the cleanup alarms say if it did not"
	}
	stuck := "the run's file system may still be running: look for the " + lustre.ExecutionTag + " tag; the workflow's topic says which run"
	alarms := []struct {
		id          string
		means, what string
		metric      awscloudwatch.IMetric
	}{
		{"ExecutionsFailedAlarm", "an execution of " + name + " failed", "its notification says why; a failure after the file system existed also deleted it", w.MetricExecutionsFailed(nil)},
		{"ExecutionsTimedOutAlarm", "an execution of " + name + " timed out", stopped, w.MetricExecutionsTimedOut(nil)},
		{"ExecutionsAbortedAlarm", "an execution of " + name + " was stopped", stopped, w.MetricExecutionsAborted(nil)},
		{"StarterFailedAlarm", name + " could not be started for a run", "the Starter's log group", w.MetricStarterFailed(nil)},
		{"DeadLetterQueueAlarm", "events could not be delivered to the Starter (RunIngested) or cleanup (stopped executions) of " + name + ": they wait in its dead-letter queue", "the messages, fix the cause, redrive them", w.MetricDeadLetters(nil)},
	}
	if w.Cleanup != nil {
		alarms = append(alarms, []struct {
			id          string
			means, what string
			metric      awscloudwatch.IMetric
		}{
			{"CleanupFailedAlarm", "the cleanup after a stopped execution of " + name + " failed", stuck, w.MetricCleanupFailed(nil)},
			{"CleanupTimedOutAlarm", "the cleanup after a stopped execution of " + name + " timed out", stuck, w.MetricCleanupTimedOut(nil)},
			{"CleanupAbortedAlarm", "the cleanup after a stopped execution of " + name + " was aborted", stuck, w.MetricCleanupAborted(nil)},
		}...)
	}
	for _, a := range alarms {
		if a.metric == nil {
			continue
		}
		w.Alarms = append(w.Alarms, alarm.New(w, a.id, alarm.Props{Metric: a.metric, Means: a.means, Check: a.what, Topic: w.AlarmTopic}))
	}
}

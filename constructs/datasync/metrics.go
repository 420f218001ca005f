package datasync

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/alarm"
)

// AWS/DataSync publishes what a task execution moved (BytesTransferred,
// FilesTransferred, ...), not whether it failed. DataSync sends a "DataSync
// Task Execution State Change" event to the default bus when an execution
// changes state, with its ARN in resources and detail.State ERROR when it
// failed: a rule with no target matches the tasks' failed executions, and
// EventBridge counts the matches.

// TaskExecutionStateError is detail.State of a failed task execution.
const TaskExecutionStateError = "ERROR"

// newFailedRule creates the rule (TaskFailedRule) that matches the failed
// executions of the tasks, by their execution ARN prefixes (as the rule
// to the platform bus does).
func (d *DataSync) newFailedRule() {
	resources := d.executionPrefixes()
	d.failedRule = awsevents.NewRule(d, jsii.String("TaskFailedRule"), &awsevents.RuleProps{
		Description: jsii.String("biolake datasync " + *d.Node().Path() + ": counts the tasks' failed executions (no target; its MatchedEvents metric)"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(EventSource),
			DetailType: jsii.Strings(DetailTypeTaskExecution),
			Resources:  &resources,
			Detail:     &map[string]interface{}{"State": []string{TaskExecutionStateError}},
		},
	})
}

// MetricTaskExecutionsFailed is the number of task executions, of any of
// the construct's tasks, that ended in ERROR: a transfer or its
// verification failed and the run it carried is not vouched for (AWS/Events
// MatchedEvents of TaskFailedRule on the default bus, dimension RuleName).
// Default: Sum over alarm.Period (five minutes).
func (d *DataSync) MetricTaskExecutionsFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return alarm.Metric("AWS/Events", "MatchedEvents", map[string]*string{"RuleName": d.failedRule.RuleName()}, opts, alarm.Sum)
}

// executionPrefixes matches the ARNs of the tasks' executions: a task's
// ARN + "/execution/exec-...".
func (d *DataSync) executionPrefixes() []*string {
	var resources []*string
	for _, s := range d.p.Sources {
		resources = append(resources, *awsevents.Match_Prefix(jsii.String(*d.Tasks[s.Name].AttrTaskArn() + "/execution/"))...)
	}
	return resources
}

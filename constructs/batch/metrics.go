package batch

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/alarm"
)

// AWS Batch publishes no CloudWatch metric of failed jobs. It sends a
// "Batch Job State Change" event to the default bus for every change of a
// job's status (delivery: durable), with the job's queue ARN in
// detail.jobQueue: one rule per queue, with no target, matches its FAILED
// jobs, and EventBridge counts the matches.
const (
	// EventSource and DetailTypeJobStateChange are the source and detail
	// type of AWS Batch's job events.
	EventSource              = "aws.batch"
	DetailTypeJobStateChange = "Batch Job State Change"
	// JobStatusFailed is the status of a job that failed (every attempt).
	JobStatusFailed = "FAILED"
)

// newFailedJobsRules creates, for each job queue, the rule that matches
// its failed jobs: "JobsFailedRule" for the single Fargate queue,
// "JobsFailedRule"+name for each of Props.Queues.
func (q *Queue) newFailedJobsRules() {
	q.failed = map[string]awsevents.Rule{}
	queues := map[string]*string{}
	if len(q.JobQueues) == 0 {
		queues[""] = q.JobQueue.JobQueueArn()
	}
	for name, jq := range q.JobQueues {
		queues[name] = jq.JobQueueArn()
	}
	names := make([]string, 0, len(queues))
	for name := range queues {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		queue := "the job queue"
		if name != "" {
			queue += " " + name
		}
		q.failed[name] = awsevents.NewRule(q, jsii.String("JobsFailedRule"+name), &awsevents.RuleProps{
			Description: jsii.String("biolake batch: counts the failed jobs of " + queue + " (no target; its MatchedEvents metric)"),
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings(EventSource),
				DetailType: jsii.Strings(DetailTypeJobStateChange),
				Detail: &map[string]interface{}{
					"status":   []string{JobStatusFailed},
					"jobQueue": []string{*queues[name]},
				},
			},
		})
	}
}

// MetricJobsFailed is the number of jobs of the default queue (JobQueue)
// that failed (AWS/Events MatchedEvents of the queue's JobsFailedRule on
// the default bus, dimension RuleName). Default: Sum over alarm.Period
// (five minutes).
func (q *Queue) MetricJobsFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	name := ""
	if len(q.JobQueues) > 0 {
		name = q.props.defaultQueue()
	}
	return q.MetricQueueJobsFailed(name, opts)
}

// MetricQueueJobsFailed is MetricJobsFailed for the queue called name (one
// of Props.Queues; "" for the single Fargate queue). Nil for a queue the
// construct does not have.
func (q *Queue) MetricQueueJobsFailed(name string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	rule, ok := q.failed[name]
	if !ok {
		return nil
	}
	return alarm.Metric("AWS/Events", "MatchedEvents", map[string]*string{"RuleName": rule.RuleName()}, opts, alarm.Sum)
}

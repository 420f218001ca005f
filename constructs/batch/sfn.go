package batch

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ManagedRuleName is the EventBridge rule Step Functions manages in the
// account to learn when a job submitted with submitJob.sync ends
// (https://docs.aws.amazon.com/step-functions/latest/dg/connect-batch.html).
const ManagedRuleName = "StepFunctionsGetEventsForBatchJobsRule"

// RunJobProps describes one batch:submitJob.sync Task state (RunJobState).
// Values of Environment, Parameters and Tags starting with "$" are
// JSONPaths into the state's input (or "$$." the context object); any other
// value is a literal.
type RunJobProps struct {
	// Comment of the state. Default: none.
	Comment string
	// JobName of the submitted jobs. Required.
	JobName string
	// Queue the jobs go to. Required.
	Queue awsbatch.IJobQueue
	// CommandPath is the JSONPath of a list that replaces the container's
	// command. Default: "" (the job definition's command).
	CommandPath string
	// Environment variables set on the container. Default: none.
	Environment map[string]string
	// Parameters of the job (Ref::name in the command). Default: none.
	Parameters map[string]string
	// Tags of the job (propagated to its tasks by the job definition).
	// Default: none; tags need batch:TagResource on the jobs as well.
	Tags map[string]string
}

// RunJobState returns a Task state (id, under scope) that submits a job of
// this definition to p.Queue and waits for it to end
// (arn:aws:states:::batch:submitJob.sync), its result discarded. It is the
// state Step Functions' BatchSubmitJob task renders, except that it grants
// nothing: CDK's task grants batch:SubmitJob on every job definition of the
// account (job-definition/*), where GrantRunJob grants this definition only.
// Add retries and catches on the returned state.
func (j *Job) RunJobState(scope constructs.Construct, id string, p RunJobProps) awsstepfunctions.CustomState {
	params := map[string]interface{}{
		"JobDefinition": j.Definition.JobDefinitionArn(),
		"JobName":       p.JobName,
		"JobQueue":      p.Queue.JobQueueArn(),
	}
	if len(p.Parameters) > 0 {
		params["Parameters"] = pathMap(p.Parameters)
	}
	overrides := map[string]interface{}{}
	if p.CommandPath != "" {
		overrides["Command.$"] = p.CommandPath
	}
	if len(p.Environment) > 0 {
		var env []interface{}
		for _, k := range sortedKeys(p.Environment) {
			v := p.Environment[k]
			if strings.HasPrefix(v, "$") {
				env = append(env, map[string]interface{}{"Name": k, "Value.$": v})
			} else {
				env = append(env, map[string]interface{}{"Name": k, "Value": v})
			}
		}
		overrides["Environment"] = env
	}
	if len(overrides) > 0 {
		params["ContainerOverrides"] = overrides
	}
	if len(p.Tags) > 0 {
		params["Tags"] = pathMap(p.Tags)
	}
	state := map[string]interface{}{
		"Type":       "Task",
		"Resource":   "arn:" + *awscdk.Aws_PARTITION() + ":states:::batch:submitJob.sync",
		"Parameters": params,
		// null: the job's description is discarded, the input passes on.
		"ResultPath": awscdk.JsonNull_INSTANCE(),
	}
	if p.Comment != "" {
		state["Comment"] = p.Comment
	}
	return awsstepfunctions.NewCustomState(scope, jsii.String(id), &awsstepfunctions.CustomStateProps{StateJson: &state})
}

// pathMap renders a map for Parameters: keys of JSONPath values get ".$".
func pathMap(m map[string]string) map[string]interface{} {
	out := make(map[string]interface{}, len(m))
	for k, v := range m {
		if strings.HasPrefix(v, "$") {
			out[k+".$"] = v
		} else {
			out[k] = v
		}
	}
	return out
}

// GrantRunJob lets grantee (a state machine role) run jobs of this
// definition on queue with submitJob.sync, as the Step Functions guide
// documents for the Batch integration
// (https://docs.aws.amazon.com/step-functions/latest/dg/batch-iam.html):
// batch:SubmitJob on this job definition (its ARN with the revision, which
// SubmitJob is authorized on:
// https://docs.aws.amazon.com/batch/latest/userguide/iam-example-restrict-job-submission.html)
// and the queue; batch:DescribeJobs (no resource-level permissions) and
// batch:TerminateJob on the account's jobs (ids are generated), to follow
// and stop the job; and events:PutTargets, PutRule and DescribeRule on the
// rule Step Functions manages for Batch jobs (ManagedRuleName). The
// returned Grant combines the four.
func (j *Job) GrantRunJob(grantee awsiam.IGrantable, queue awsbatch.IJobQueue) awsiam.Grant {
	stack := awscdk.Stack_Of(j)
	add := func(actions []string, resources ...string) awsiam.Grant {
		return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
			Grantee:      grantee,
			Actions:      jsii.Strings(actions...),
			ResourceArns: jsii.Strings(resources...),
		})
	}
	return add([]string{"batch:SubmitJob"}, *j.Definition.JobDefinitionArn(), *queue.JobQueueArn()).
		Combine(add([]string{"batch:DescribeJobs"}, "*")).
		Combine(add([]string{"batch:TerminateJob"}, *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("batch"), Resource: jsii.String("job"), ResourceName: jsii.String("*")}))).
		Combine(add([]string{"events:PutTargets", "events:PutRule", "events:DescribeRule"},
			*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("events"), Resource: jsii.String("rule"), ResourceName: jsii.String(ManagedRuleName)})))
}

package eventglue

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/secure"
)

// State names of the verify state machine. They are API: CloudWatch
// queries, runbooks and the handlers' docs refer to them.
const (
	StateVerifyRun          = "VerifyRun"
	StateHasLargeObjects    = "HasLargeObjects"
	StateNoLargeObjects     = "NoLargeObjects"
	StateVerifyLargeObjects = "VerifyLargeObjects"
	StateVerifyLargeObject  = "VerifyLargeObject"
	StateLargeObjectOK      = "LargeObjectVerified"
	StateLargeObjectFailed  = "LargeObjectFailed"
	StateFinalizeRun        = "FinalizeRun"
	StateIntegrityFailed    = "IntegrityFailed"
)

// BatchServiceErrors are the AWS Batch API errors the Batch task retries.
// A job that ran and failed (States.TaskFailed) is not retried here: the
// job definition retries host failures itself.
var BatchServiceErrors = []string{"Batch.ServerException", "Batch.TooManyRequestsException", "Batch.AWSBatchException"}

// RetryableHandlerErrors are the verify handler's typed errors worth a
// retry: transient S3, DynamoDB (store, conflicting concurrent writes),
// EventBridge (publish) and export failures.
var RetryableHandlerErrors = []string{"ErrS3", "ErrStore", "ErrConflict", "ErrPublish", "ErrExport"}

// newStateMachine builds the verify state machine:
//
//	VerifyRun (Lambda: the RunCompleted detail in, {"run": <result>} out)
//	-> HasLargeObjects? (the result lists objects in "large")
//	   -> VerifyLargeObjects (Map over run.large, at most MapConcurrency at once):
//	        VerifyLargeObject (Batch job .sync: the verifier with -s3, -version-id, -expect)
//	        -> LargeObjectVerified {"bucket","key","ok":true}
//	        or, on any error, LargeObjectFailed {"bucket","key","ok":false,"error","cause"}
//	   -> or NoLargeObjects (large = [])
//	-> FinalizeRun (Lambda: {"action":"finalize","run":<VerifyRun result>,"large":<Map results>})
//
// The typed integrity errors of either Lambda task end the execution in the
// IntegrityFailed Fail state (the handler has already published the run's
// IntegrityFailed events). A rule target cannot name its executions, so two
// deliveries of one RunCompleted event start two executions: FinalizeRun's
// conditional catalog update is what makes the outcome idempotent.
func (g *EventGlue) newStateMachine(fn awslambda.IFunction) {
	p := &g.p
	failed := awsstepfunctions.NewFail(g, jsii.String(StateIntegrityFailed), &awsstepfunctions.FailProps{
		Comment:   jsii.String("The run failed verification or could not be verified (typed handler error)"),
		ErrorPath: jsii.String("$.Error"),
		CausePath: jsii.String("$.Cause"),
	})
	lambdaTask := func(id string, payload awsstepfunctions.TaskInput, props func(*awsstepfunctionstasks.LambdaInvokeProps)) awsstepfunctionstasks.LambdaInvoke {
		lp := &awsstepfunctionstasks.LambdaInvokeProps{
			LambdaFunction:           fn,
			Payload:                  payload,
			RetryOnServiceExceptions: jsii.Bool(false),
		}
		props(lp)
		t := awsstepfunctionstasks.NewLambdaInvoke(g, jsii.String(id), lp)
		t.AddRetry(&awsstepfunctions.RetryProps{
			Errors:         jsii.Strings(LambdaServiceErrors...),
			Interval:       awscdk.Duration_Seconds(jsii.Number(2)),
			MaxAttempts:    jsii.Number(6),
			BackoffRate:    jsii.Number(2),
			JitterStrategy: awsstepfunctions.JitterType_FULL,
		})
		t.AddRetry(&awsstepfunctions.RetryProps{
			Errors:         jsii.Strings(RetryableHandlerErrors...),
			Interval:       awscdk.Duration_Seconds(jsii.Number(10)),
			MaxAttempts:    jsii.Number(3),
			BackoffRate:    jsii.Number(2),
			JitterStrategy: awsstepfunctions.JitterType_FULL,
		})
		t.AddCatch(failed, &awsstepfunctions.CatchProps{Errors: jsii.Strings(IntegrityErrors...)})
		return t
	}

	verifyRun := lambdaTask(StateVerifyRun, awsstepfunctions.TaskInput_FromJsonPathAt(jsii.String("$")), func(lp *awsstepfunctionstasks.LambdaInvokeProps) {
		lp.Comment = jsii.String("Verify the run against its manifest; objects too large for Lambda come back in \"large\"")
		lp.ResultSelector = &map[string]interface{}{"run.$": "$.Payload"}
	})
	finalize := lambdaTask(StateFinalizeRun, awsstepfunctions.TaskInput_FromObject(&map[string]interface{}{
		"action": "finalize",
		"run":    awsstepfunctions.JsonPath_ObjectAt(jsii.String("$.run")),
		"large":  awsstepfunctions.JsonPath_ObjectAt(jsii.String("$.large")),
	}), func(lp *awsstepfunctionstasks.LambdaInvokeProps) {
		lp.Comment = jsii.String("Record the run's verdict in the catalog (a conditional update: idempotent)")
		lp.OutputPath = jsii.String("$.Payload")
	})

	// One large object: the Go verifier as a Batch job on Fargate.
	job := g.VerifyJob.RunJobState(g, StateVerifyLargeObject, batch.RunJobProps{
		Comment:     "Stream and hash one large object in a Batch job",
		JobName:     "biolake-verify-large-object",
		Queue:       g.VerifyQueue,
		CommandPath: "$.command",
	})
	job.AddRetry(&awsstepfunctions.RetryProps{
		Errors:         jsii.Strings(BatchServiceErrors...),
		Interval:       awscdk.Duration_Seconds(jsii.Number(5)),
		MaxAttempts:    jsii.Number(5),
		BackoffRate:    jsii.Number(2),
		JitterStrategy: awsstepfunctions.JitterType_FULL,
	})
	objectFailed := awsstepfunctions.NewPass(g, jsii.String(StateLargeObjectFailed), &awsstepfunctions.PassProps{
		Parameters: &map[string]interface{}{
			"bucket.$": "$.bucket",
			"key.$":    "$.key",
			"ok":       false,
			"error.$":  "$.failure.Error",
			"cause.$":  "$.failure.Cause",
		},
	})
	job.AddCatch(objectFailed, &awsstepfunctions.CatchProps{
		Errors:     jsii.Strings("States.ALL"),
		ResultPath: jsii.String("$.failure"),
	})
	objectOK := awsstepfunctions.NewPass(g, jsii.String(StateLargeObjectOK), &awsstepfunctions.PassProps{
		Parameters: &map[string]interface{}{"bucket.$": "$.bucket", "key.$": "$.key", "ok": true},
	})
	item := func(field string) string { return "$$.Map.Item.Value." + field }
	largeMap := awsstepfunctions.NewMap(g, jsii.String(StateVerifyLargeObjects), &awsstepfunctions.MapProps{
		Comment:        jsii.String("Verify the run's large objects in Batch jobs"),
		ItemsPath:      jsii.String("$.run.large"),
		ResultPath:     jsii.String("$.large"),
		MaxConcurrency: jsii.Number(float64(p.MapConcurrency)),
		ItemSelector: &map[string]interface{}{
			"bucket.$":    item("bucket"),
			"key.$":       item("key"),
			"command.$":   "States.Array('-s3', " + item("s3Uri") + ", '-version-id', " + item("versionId") + ", '-expect', " + item("expectArg") + ")",
			"versionId.$": item("versionId"),
		},
	})
	largeMap.ItemProcessor(job.Next(objectOK), nil)
	noLarge := awsstepfunctions.NewPass(g, jsii.String(StateNoLargeObjects), &awsstepfunctions.PassProps{
		Result:     awsstepfunctions.Result_FromArray(&[]interface{}{}),
		ResultPath: jsii.String("$.large"),
	})
	choice := awsstepfunctions.NewChoice(g, jsii.String(StateHasLargeObjects), nil).
		When(awsstepfunctions.Condition_IsPresent(jsii.String("$.run.large[0]")), largeMap, nil).
		Otherwise(noLarge).
		Afterwards(nil)
	definition := verifyRun.Next(choice).Next(finalize)

	logGroup := awslogs.NewLogGroup(g, jsii.String("VerifyStateMachineLogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: g.logKey,
		Retention:     secure.RetentionDays(p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	sm := awsstepfunctions.NewStateMachine(g, jsii.String("VerifyStateMachine"), &awsstepfunctions.StateMachineProps{
		Comment:          jsii.String("biolake verify: a completed run against its manifest, large objects in Batch jobs"),
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromChainable(definition),
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
		Timeout:          awscdk.Duration_Hours(jsii.Number(StateMachineTimeout.Hours())),
		TracingEnabled:   jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logGroup,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
	})
	g.VerifyStateMachine = sm
	// Submit the verifier's job definition only (not every definition of
	// the account), follow and stop its jobs, and the managed rule.
	g.VerifyJob.GrantRunJob(sm, g.VerifyQueue)
	nag.SuppressDeferred(sm.Role(), nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The state machine's role: CloudWatch Logs delivery, X-Ray and batch:DescribeJobs have no resource-level permissions (\"*\"); " +
			"CDK's Lambda grant covers the function's versions and aliases (<arn>:*); TerminateJob acts on jobs, whose ids are generated (job/*); " +
			"SubmitJob is granted on the verifier's job definition and queue only.",
		AppliesToRegex: []string{`/^Resource::\*$/`, `/^Resource::<.+\.Arn>:\*$/`, `/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):batch:.*:job\/\*$/`},
	})
	nag.SuppressDeferred(sm.Role(), nag.InAllPacks("The state machine role's policy is generated by CDK from the tasks of this one state machine; "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)

	g.alarm("VerifyExecutionsFailedAlarm", g.MetricVerifyFailed(nil),
		"a verify execution failed: a run failed verification or could not be verified",
		"the IntegrityFailed notifications on this topic and the verify state machine's log group")
	g.alarm("VerifyExecutionsTimedOutAlarm", g.MetricVerifyTimedOut(nil),
		"a verify execution timed out: the run is left unverified",
		"the verify state machine's log group and the verifier's Batch job, then start the verification again")
	g.alarm("VerifyExecutionsAbortedAlarm", g.MetricVerifyAborted(nil),
		"a verify execution was aborted: the run is left unverified",
		"who stopped it (CloudTrail StopExecution), then start the verification again")

	// RunCompleted on the custom bus starts an execution with the detail.
	rule := awsevents.NewRule(g, jsii.String("RunCompletedRule"), &awsevents.RuleProps{
		Description: jsii.String("RunCompleted events start the verify state machine"),
		EventBus:    g.Bus,
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(SourceIngest),
			DetailType: jsii.Strings(DetailTypeRunCompleted),
		},
	})
	rule.AddTarget(awseventstargets.NewSfnStateMachine(sm, &awseventstargets.SfnStateMachineProps{
		Input:           awsevents.RuleTargetInput_FromEventPath(jsii.String("$.detail")),
		DeadLetterQueue: g.eventDLQ,
		RetryAttempts:   jsii.Number(185),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
	}))
	// CDK puts the role EventBridge assumes under the state machine.
	nag.SuppressDeferred(sm.Node().FindChild(jsii.String("EventsRole")), nag.InAllPacks("The role EventBridge assumes to start the verify state machine; its policy, generated by CDK, "+
		"allows states:StartExecution on that one state machine and lives and dies with the role.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
}

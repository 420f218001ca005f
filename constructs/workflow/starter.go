package workflow

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/secure"
)

// States of the Starter. They are API, like the other state names.
const (
	StateStart          = "StartRun"
	StateStarted        = "Started"
	StateAlreadyStarted = "AlreadyStarted"
	StateStartFailed    = "StartFailed"
)

// ExecutionNameExpression names the main state machine's executions: the
// MD5 hash of the run id, 32 hex characters. Run ids are folder names and
// may hold characters that execution names refuse; the hash never does,
// and a run always gets the same name.
const ExecutionNameExpression = "States.Hash($.runId, 'MD5')"

// StarterTimeout bounds one Starter execution (Express: at most 5 minutes).
const StarterTimeout = 2 * time.Minute

// Errors of the Starter's StartExecution (the AWS SDK integration names an
// error "Sfn." and the SDK's exception class).
var (
	// ErrExecutionAlreadyExists is raised when the run's execution name is
	// taken: the run was started before (and the input differs, or that
	// execution is closed). The Starter succeeds in AlreadyStarted.
	ErrExecutionAlreadyExists = "Sfn.ExecutionAlreadyExistsException"
	// StartErrors are retried: the errors the API does not model
	// (throttling among them, raised as SfnException) and the limit of open
	// executions.
	StartErrors = []string{"Sfn.SfnException", "Sfn.ExecutionLimitExceededException"}
)

// newStarter creates the Express state machine that the rule starts: it
// starts the main state machine with an execution name derived from the
// run id, so a duplicate RunIngested starts nothing new.
func (w *Workflow) newStarter(logKey awskms.IKey) {
	p := &w.p
	start := awsstepfunctionstasks.NewCallAwsService(w, jsii.String(StateStart), &awsstepfunctionstasks.CallAwsServiceProps{
		Comment: jsii.String("Start the " + p.Name + " workflow for the run, named by the hash of its run id"),
		Service: jsii.String("sfn"),
		Action:  jsii.String("startExecution"),
		Parameters: &map[string]interface{}{
			"StateMachineArn": w.StateMachine.StateMachineArn(),
			"Name.$":          ExecutionNameExpression,
			"Input.$":         "States.JsonToString($)",
		},
		IamAction:    jsii.String("states:StartExecution"),
		IamResources: jsii.Strings(*w.StateMachine.StateMachineArn()),
		ResultPath:   jsii.String("$.started"),
	})
	start.AddRetry(&awsstepfunctions.RetryProps{
		Errors:         jsii.Strings(StartErrors...),
		Interval:       awscdk.Duration_Seconds(jsii.Number(1)),
		MaxAttempts:    jsii.Number(6),
		BackoffRate:    jsii.Number(2),
		JitterStrategy: awsstepfunctions.JitterType_FULL,
	})
	start.AddCatch(awsstepfunctions.NewSucceed(w, jsii.String(StateAlreadyStarted), &awsstepfunctions.SucceedProps{
		Comment: jsii.String("A duplicate RunIngested: the run's execution exists already (its error is in $.duplicate, logged)"),
	}), &awsstepfunctions.CatchProps{Errors: jsii.Strings(ErrExecutionAlreadyExists), ResultPath: jsii.String("$.duplicate")})
	start.AddCatch(awsstepfunctions.NewFail(w, jsii.String(StateStartFailed), &awsstepfunctions.FailProps{
		Comment:   jsii.String("The workflow could not be started; the Starter's failed-executions alarm fires"),
		ErrorPath: jsii.String("$.failure.Error"),
		CausePath: jsii.String("$.failure.Cause"),
	}), &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.failure")})
	start.Next(awsstepfunctions.NewSucceed(w, jsii.String(StateStarted), nil))

	w.StarterLogGroup = awslogs.NewLogGroup(w, jsii.String("StarterLogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: logKey,
		Retention:     secure.RetentionDays(p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	w.Starter = awsstepfunctions.NewStateMachine(w, jsii.String("Starter"), &awsstepfunctions.StateMachineProps{
		Comment:          jsii.String("biolake: start the " + p.Name + " workflow once per run (execution name from the run id)"),
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromChainable(start),
		StateMachineType: awsstepfunctions.StateMachineType_EXPRESS,
		Timeout:          awscdk.Duration_Seconds(jsii.Number(StarterTimeout.Seconds())),
		TracingEnabled:   jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          w.StarterLogGroup,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
	})
	nag.SuppressDeferred(w.Starter.Role(), nag.Rule{
		ID:             "AwsSolutions-IAM5",
		Reason:         "The Starter's role: CloudWatch Logs delivery and X-Ray have no resource-level permissions (\"*\"); its only other permission is states:StartExecution on the workflow's state machine.",
		AppliesToRegex: []string{`/^Resource::\*$/`},
	})
	nag.SuppressDeferred(w.Starter.Role(), nag.InAllPacks("The Starter role's policy is generated by CDK from this one state machine's task and logging; "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
}

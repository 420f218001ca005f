package workflow

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/secure"
)

// States of the cleanup state machine (Workflow.Cleanup), which exports
// and deletes the per-run file system of an execution that timed out or
// was stopped. They are API, like the other state names.
const (
	StateReadStoppedRun      = "ReadStoppedRun"
	StateFindFileSystem      = "FindRunFileSystem"
	StateHasFileSystem       = "HasRunFileSystem"
	StateNoFileSystem        = "NoRunFileSystem"
	StateSelectFileSystem    = "SelectRunFileSystem"
	StateDescribeStopped     = "DescribeStoppedRunFileSystem"
	StateCheckStopped        = "CheckStoppedRunFileSystem"
	StateExportStopped       = "ExportStoppedRunResults"
	StateDeleteStopped       = "DeleteStoppedRunFileSystem"
	StateStoppedDeleted      = "StoppedRunFileSystemDeleted"
	StateNotifyStopped       = "NotifyRunStopped"
	StateStoppedCleanedUp    = "StoppedRunCleanedUp"
	StateNotifyStoppedFailed = "NotifyStoppedRunNotCleanedUp"
	StateStoppedCleanupFail  = "StoppedRunNotCleanedUp"
	// The waits of the cleanup (see the Poll* constants).
	PollStoppedExport   = "StoppedRunExport"
	PollStoppedDeletion = "StoppedRunDeletion"
)

// ExecutionStatusChange is the detail type of the events Step Functions
// sends to the default bus when a Standard execution's status changes
// (source aws.states); their detail has executionArn, stateMachineArn,
// name, status, startDate, stopDate and input (a JSON string).
// https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
const ExecutionStatusChange = "Step Functions Execution Status Change"

// CleanupTimeout bounds one cleanup execution: the export, the deletion
// and its retries, with room for the API calls.
const CleanupTimeout = ExportTimeout + DeletionTimeout + DeleteRetryBudget + time.Hour

// Errors the cleanup's lookup retries: the Resource Groups Tagging API's
// throttling and internal errors.
var TaggingErrors = []string{"ResourceGroupsTaggingApi.ThrottledException", "ResourceGroupsTaggingApi.InternalServiceException"}

// newCleanup creates, for a workflow with a per-run file system, the
// cleanup state machine and the rule that starts it on the default bus
// when an execution of the workflow times out or is aborted:
//
//	ReadStoppedRun (the event's detail: execution, status, run)
//	-> FindRunFileSystem (tag:GetResources, fsx:file-system tagged biolake:execution=<execution>)
//	-> HasRunFileSystem? no -> NoRunFileSystem -> NotifyRunStopped
//	-> SelectRunFileSystem -> DescribeStoppedRunFileSystem (gone -> NoRunFileSystem)
//	-> CheckStoppedRunFileSystem:
//	     AVAILABLE or UPDATING -> ExportStoppedRunResults -> (PollStoppedRunExport ... until SUCCEEDED)
//	     DELETING -> (PollStoppedRunDeletion ...)
//	     otherwise (CREATING, FAILED, MISCONFIGURED: no step ran on it)
//	-> DeleteStoppedRunFileSystem -> (PollStoppedRunDeletion ... until FSx no longer knows it)
//	-> StoppedRunFileSystemDeleted -> NotifyRunStopped -> StoppedRunCleanedUp
//
// Nothing is lost: a file system whose results could not be exported is
// kept, and like a failed lookup or deletion this goes to
// NotifyStoppedRunNotCleanedUp -> StoppedRunNotCleanedUp (failed, alarmed).
func (w *Workflow) newCleanup(logKey awskms.IKey) {
	p := &w.p
	l := p.Lustre
	c := constructs.NewConstruct(w, jsii.String("Cleanup"))
	paths := lustre.RunPaths{
		RunID: "$.run.runId", Token: "$$.Execution.Id", Project: "$.project", FileSystemID: "$.fs.id", Execution: "$.executionArn",
		// The export and deletion parameters do not use the input.
		InputURI: "$.run.prefix",
		Workflow: p.Name, Timeout: p.Timeout,
	}
	action := "export " + lustre.ResultsPath + " and delete the file system by hand (aws fsx create-data-repository-task, delete-file-system); it is tagged " +
		lustre.ExecutionTag + " with the execution's ARN"

	failed := awsstepfunctions.NewFail(c, jsii.String(StateStoppedCleanupFail), &awsstepfunctions.FailProps{
		Comment:   jsii.String("The stopped run's file system could not be looked up, exported or deleted; the topic was told"),
		ErrorPath: jsii.String("$.cleanupFailure.Error"),
		CausePath: jsii.String("$.cleanupFailure.Cause"),
	})
	notifyFailed := w.notifyThenFail(c, StateNotifyStoppedFailed, "biolake workflow "+p.Name+": stopped run not cleaned up", map[string]interface{}{
		"workflow":     p.Name,
		"status":       awsstepfunctions.JsonPath_StringAt(jsii.String("$.status")),
		"cleanup":      "FILE_SYSTEM_NOT_DELETED",
		"action":       action,
		"runId":        awsstepfunctions.JsonPath_StringAt(jsii.String("$.run.runId")),
		"executionId":  awsstepfunctions.JsonPath_StringAt(jsii.String("$.executionArn")),
		"fileSystemId": awsstepfunctions.JsonPath_StringAt(jsii.String("$.fs.id")),
		"error":        awsstepfunctions.JsonPath_StringAt(jsii.String("$.cleanupFailure.Error")),
		"cause":        awsstepfunctions.JsonPath_StringAt(jsii.String("$.cleanupFailure.Cause")),
	}, failed)
	catchFailed := func(t awsstepfunctions.TaskStateBase) {
		t.AddCatch(notifyFailed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.cleanupFailure")})
	}

	notify := awsstepfunctionstasks.NewSnsPublish(c, jsii.String(StateNotifyStopped), &awsstepfunctionstasks.SnsPublishProps{
		Topic:   w.Topic,
		Subject: jsii.String("biolake workflow " + p.Name + ": run stopped"),
		Message: awsstepfunctions.TaskInput_FromObject(&map[string]interface{}{
			"workflow":     p.Name,
			"status":       awsstepfunctions.JsonPath_StringAt(jsii.String("$.status")),
			"cleanup":      awsstepfunctions.JsonPath_StringAt(jsii.String("$.fs.cleanup")),
			"runId":        awsstepfunctions.JsonPath_StringAt(jsii.String("$.run.runId")),
			"executionId":  awsstepfunctions.JsonPath_StringAt(jsii.String("$.executionArn")),
			"fileSystemId": awsstepfunctions.JsonPath_StringAt(jsii.String("$.fs.id")),
			"exportedTo":   awsstepfunctions.JsonPath_StringAt(jsii.String("$.fs.exportedTo")),
		}),
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	retry(notify, SNSErrors, 5, 5)
	catchFailed(notify)
	notify.Next(awsstepfunctions.NewSucceed(c, jsii.String(StateStoppedCleanedUp), nil))

	read := awsstepfunctions.NewPass(c, jsii.String(StateReadStoppedRun), &awsstepfunctions.PassProps{
		Comment: jsii.String("The stopped execution, from the Step Functions Execution Status Change event's detail"),
		Parameters: &map[string]interface{}{
			"executionArn.$": "$.executionArn",
			"status.$":       "$.status",
			"run.$":          "States.StringToJson($.input)",
			"project":        p.Project,
			"fs":             map[string]interface{}{"id": "none", "cleanup": "NO_FILE_SYSTEM", "exportedTo": "nothing to export"},
		},
	})
	find := awsstepfunctionstasks.NewCallAwsService(c, jsii.String(StateFindFileSystem), &awsstepfunctionstasks.CallAwsServiceProps{
		Comment: jsii.String("The file system the execution created, by its " + lustre.ExecutionTag + " tag"),
		Service: jsii.String("resourcegroupstaggingapi"),
		Action:  jsii.String("getResources"),
		Parameters: &map[string]interface{}{
			"ResourceTypeFilters": []string{"fsx:file-system"},
			"TagFilters": []interface{}{map[string]interface{}{
				"Key":      lustre.ExecutionTag,
				"Values.$": "States.Array($.executionArn)",
			}},
		},
		// tag:GetResources has no resource-level permissions.
		// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonresourcegroupstaggingapi.html
		IamAction:      jsii.String("tag:GetResources"),
		IamResources:   jsii.Strings("*"),
		ResultSelector: &map[string]interface{}{"resources.$": "$.ResourceTagMappingList"},
		ResultPath:     jsii.String("$.found"),
	})
	retry(find, TaggingErrors, 2, 6)
	catchFailed(find)
	read.Next(find)

	// Nothing to clean up: the execution stopped before creating a file
	// system, or after deleting it.
	none := awsstepfunctions.NewPass(c, jsii.String(StateNoFileSystem), &awsstepfunctions.PassProps{
		Comment:    jsii.String("The execution left no file system"),
		Result:     awsstepfunctions.Result_FromString(jsii.String("NO_FILE_SYSTEM")),
		ResultPath: jsii.String("$.fs.cleanup"),
	})
	none.Next(notify)

	selectFS := awsstepfunctions.NewPass(c, jsii.String(StateSelectFileSystem), &awsstepfunctions.PassProps{
		Comment: jsii.String("The file system's id, from its ARN (arn:...:file-system/<id>)"),
		Parameters: &map[string]interface{}{
			"id.$":         "States.ArrayGetItem(States.StringSplit($.found.resources[0].ResourceARN, '/'), 1)",
			"cleanup":      "EXPORTED_AND_DELETED",
			"exportedTo.$": l.RunResultsURIExpression("$.run.runId"),
		},
		ResultPath: jsii.String("$.fs"),
	})
	has := awsstepfunctions.NewChoice(c, jsii.String(StateHasFileSystem), nil).
		When(awsstepfunctions.Condition_IsPresent(jsii.String("$.found.resources[0]")), selectFS, nil).
		Otherwise(none)
	find.Next(has)

	// The end: delete, wait for the deletion, notify.
	deleted := awsstepfunctions.NewPass(c, jsii.String(StateStoppedDeleted), &awsstepfunctions.PassProps{
		Comment:    jsii.String("FSx no longer knows the file system"),
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	deleted.Next(notify)
	del := fsxTask(c, StateDeleteStopped, "Delete the stopped run's file system", "deleteFileSystem",
		l.RunDeleteParameters(paths), map[string]interface{}{"lifecycle.$": "$.Lifecycle"}, "$.deletion")
	del.AddRetry(&awsstepfunctions.RetryProps{
		Errors:      jsii.Strings(FSxBadRequest),
		Interval:    awscdk.Duration_Seconds(jsii.Number(60)),
		MaxAttempts: jsii.Number(5),
		BackoffRate: jsii.Number(2),
	})
	del.AddCatch(notifyFailed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.cleanupFailure")})
	deletion := loop(c, poll{
		name: PollStoppedDeletion, comment: "Wait for the deletion of the stopped run's file system", action: "describeFileSystems",
		params:   map[string]interface{}{"FileSystemIds.$": "States.Array($.fs.id)"},
		selector: map[string]interface{}{"lifecycle.$": "$.FileSystems[0].Lifecycle"},
		pending:  []awsstepfunctions.Condition{is("$.poll.status.lifecycle", "DELETING")},
		interval: 30 * time.Second, timeout: DeletionTimeout,
		notFound: deleted, errorPath: "$.cleanupFailure", onError: notifyFailed, failed: notifyFailed,
	}, nil)
	del.Next(deletion)

	// The export first: what the steps wrote under /results.
	export := fsxTask(c, StateExportStopped, "Export "+lustre.ResultsPath+" of the stopped run, so nothing is lost", "createDataRepositoryTask",
		l.RunExportParameters(paths), map[string]interface{}{"id.$": "$.DataRepositoryTask.TaskId"}, "$.export")
	export.AddCatch(notifyFailed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.cleanupFailure")})
	exportWait := loop(c, poll{
		name: PollStoppedExport, comment: "Wait for the export of the stopped run's results", action: "describeDataRepositoryTasks",
		params:   map[string]interface{}{"TaskIds.$": "States.Array($.export.id)"},
		selector: map[string]interface{}{"lifecycle.$": "$.DataRepositoryTasks[0].Lifecycle"},
		ready:    []awsstepfunctions.Condition{is("$.poll.status.lifecycle", "SUCCEEDED")},
		pending: []awsstepfunctions.Condition{
			is("$.poll.status.lifecycle", "PENDING"), is("$.poll.status.lifecycle", "EXECUTING"),
		},
		interval: time.Minute, timeout: ExportTimeout,
		errorPath: "$.cleanupFailure", onError: notifyFailed, failed: notifyFailed,
	}, del)
	export.Next(exportWait)

	describe := fsxTask(c, StateDescribeStopped, "The stopped run's file system: can its results be exported?", "describeFileSystems",
		map[string]interface{}{"FileSystemIds.$": "States.Array($.fs.id)"}, map[string]interface{}{"lifecycle.$": "$.FileSystems[0].Lifecycle"}, "$.describe")
	describe.AddCatch(none, &awsstepfunctions.CatchProps{Errors: jsii.Strings(FSxNotFound), ResultPath: awsstepfunctions.JsonPath_DISCARD()})
	describe.AddCatch(notifyFailed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.cleanupFailure")})
	selectFS.Next(describe)
	check := awsstepfunctions.NewChoice(c, jsii.String(StateCheckStopped), &awsstepfunctions.ChoiceProps{
		Comment: jsii.String("Steps run only on an AVAILABLE file system: export it then; one still CREATING, FAILED or MISCONFIGURED holds no results"),
	}).
		When(awsstepfunctions.Condition_Or(is("$.describe.lifecycle", "AVAILABLE"), is("$.describe.lifecycle", "UPDATING")), export, nil).
		When(is("$.describe.lifecycle", "DELETING"), deletion, nil).
		Otherwise(del)
	describe.Next(check)

	logGroup := awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: logKey,
		Retention:     secure.RetentionDays(p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	sm := awsstepfunctions.NewStateMachine(c, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		Comment:          jsii.String("biolake: export and delete the per-run file system of a " + p.Name + " execution that timed out or was aborted"),
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromChainable(read),
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
		Timeout:          awscdk.Duration_Seconds(jsii.Number(CleanupTimeout.Seconds())),
		TracingEnabled:   jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logGroup,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
	})
	w.Cleanup = sm
	w.grantTopicKey(sm)

	// Least privilege: describe (no resource-level permissions), export
	// and delete only file systems the workflow created (tagged
	// biolake:managed-by=workflow), tag the export task as it is created.
	// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonfsx.html
	stack := awscdk.Stack_Of(c)
	arn := func(resource string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("fsx"), Resource: jsii.String(resource), ResourceName: jsii.String("*")})
	}
	tagged := func(kind string) *map[string]interface{} {
		return &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:" + kind + "Tag/" + lustre.ManagedByTag: lustre.WorkflowTagValue}}
	}
	for _, st := range []*awsiam.PolicyStatementProps{
		{Sid: jsii.String("Describe"), Actions: jsii.Strings("fsx:DescribeFileSystems", "fsx:DescribeDataRepositoryTasks"), Resources: jsii.Strings("*")},
		{Sid: jsii.String("ExportAndDeleteWorkflowFileSystems"), Actions: jsii.Strings("fsx:CreateDataRepositoryTask", "fsx:DeleteFileSystem"), Resources: jsii.Strings(arn("file-system")), Conditions: tagged("Resource")},
		{Sid: jsii.String("CreateTaggedTasks"), Actions: jsii.Strings("fsx:CreateDataRepositoryTask", "fsx:TagResource"), Resources: jsii.Strings(arn("task")), Conditions: tagged("Request")},
	} {
		sm.AddToRolePolicy(awsiam.NewPolicyStatement(st))
	}
	nag.SuppressDeferred(sm.Role(), nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The cleanup state machine's role: CloudWatch Logs delivery, X-Ray, tag:GetResources and the FSx Describe calls have no resource-level permissions (\"*\"); " +
			"file systems and export tasks get their ids when created: file-system/* and task/* are limited by the " + lustre.ManagedByTag + "=" + lustre.WorkflowTagValue + " resource or request tag.",
		AppliesToRegex: []string{`/^Resource::\*$/`, `/^Resource::arn:` + nag.ArnScope + `:fsx:` + nag.RegionScope + `:` + nag.AccountScope + `:(file-system|task)\/\*$/`},
	})
	nag.SuppressDeferred(sm.Role(), nag.InAllPacks("The cleanup state machine role's policy is generated by CDK from the tasks of this one state machine; "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)

	// Step Functions sends execution status changes of Standard workflows
	// to the default bus.
	rule := awsevents.NewRule(c, jsii.String("StoppedRule"), &awsevents.RuleProps{
		Description: jsii.String("Executions of the " + p.Name + " workflow that timed out or were aborted start its cleanup"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.states"),
			DetailType: jsii.Strings(ExecutionStatusChange),
			Detail: &map[string]interface{}{
				"status":          []string{"TIMED_OUT", "ABORTED"},
				"stateMachineArn": []string{*w.StateMachine.StateMachineArn()},
			},
		},
	})
	rule.AddTarget(awseventstargets.NewSfnStateMachine(sm, &awseventstargets.SfnStateMachineProps{
		Input:           awsevents.RuleTargetInput_FromEventPath(jsii.String("$.detail")),
		DeadLetterQueue: w.DeadLetterQueue,
		RetryAttempts:   jsii.Number(185),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
	}))
	nag.SuppressDeferred(sm.Node().FindChild(jsii.String("EventsRole")), nag.InAllPacks("The role EventBridge assumes to start this workflow's cleanup; its policy, generated by CDK, "+
		"allows states:StartExecution on the cleanup state machine only and lives and dies with the role.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
}

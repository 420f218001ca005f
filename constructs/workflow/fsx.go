package workflow

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/lustre"
)

// States of the per-run FSx for Lustre file system (Props.Lustre). They
// are API, like the other state names.
const (
	StateCreateFileSystem = "CreateRunFileSystem"
	StateLinkInputs       = "LinkRunInputs"
	StateLinkResults      = "LinkRunResults"
	StateMountDelay       = "WaitForMount"
	StateExport           = "ExportResults"
	StateDelete           = "DeleteRunFileSystem"
	StateDeleted          = "RunFileSystemDeleted"
	StateOutcome          = "RunOutcome"
	StateNotifyCleanup    = "NotifyCleanupFailed"
	StateCleanupFailed    = "FileSystemNotDeleted"
	// StateCleanupOutcome chooses, when the file system could not be
	// deleted, between a run that had failed already
	// (StateNotifyFailedNotDeleted, then StateFailed with the run's error)
	// and one that had succeeded (StateNotifyCleanup, then
	// StateCleanupFailed).
	StateCleanupOutcome         = "CleanupFailureOutcome"
	StateNotifyFailedNotDeleted = "NotifyFailedNotDeleted"
)

// Each wait for FSx is a loop of six states named after the thing awaited
// (PollFileSystem, PollLinks, PollExport, PollDeletion): "Poll<X>" resets
// the counter, "WaitFor<X>" waits, "Describe<X>" asks FSx, "Check<X>"
// goes on, waits again or gives up, "Count<X>Polls" counts, "<X>Failed"
// records the failure.
const (
	PollFileSystem = "RunFileSystem"
	PollLinks      = "RunLinks"
	PollExport     = "Export"
	PollDeletion   = "Deletion"
)

// Waits of the per-run file system.
const (
	// MountDelay is the wait after the associations are AVAILABLE and
	// before the first job: the Batch hosts look for new file systems every
	// 15 s and mount them at batch.LustrePath/<file-system-id>.
	MountDelay = 60 * time.Second
	// FileSystemTimeout bounds the wait for the file system (SCRATCH_2
	// takes 5 to 10 minutes), polled every 30 s.
	FileSystemTimeout = 30 * time.Minute
	// LinksTimeout bounds the wait for the data repository associations
	// (the raw link imports the input's metadata), polled every 30 s.
	LinksTimeout = 2 * time.Hour
	// ExportTimeout bounds the wait for the final export, polled every
	// minute.
	ExportTimeout = 12 * time.Hour
	// DeletionTimeout bounds the wait for the deletion, polled every 30 s.
	DeletionTimeout = 30 * time.Minute
)

// Errors of the per-run file system's tasks. The AWS SDK integration
// names an error "FSx." and the SDK's exception class.
var (
	// FSxServiceErrors are retried by every FSx task: FSx's internal
	// errors and the errors the API does not model (throttling among them),
	// which the SDK raises as FSxException.
	FSxServiceErrors = []string{"FSx.InternalServerErrorException", "FSx.FSxException"}
	// FSxNotFound, raised by DescribeFileSystems, means the deletion is
	// complete.
	FSxNotFound = "FSx.FileSystemNotFoundException"
	// FSxBadRequest is also retried (with a longer wait) by the deletion:
	// FSx refuses to delete a file system still CREATING or UPDATING.
	FSxBadRequest = "FSx.BadRequestException"
)

// Paths of the file system's values in the state.
const (
	fsxPath    = "$.fsx"
	fileSystem = "$.fsx.fileSystemId"
)

// runPaths are where the per-run values are in the main state machine's
// state (PrepareRun puts them there). Client request tokens derive from the
// execution id: a retried call gets the same file system back, a manual
// rerun (a new execution) a new one.
func (w *Workflow) runPaths() lustre.RunPaths {
	return lustre.RunPaths{
		RunID: "$.runId", Token: "$$.Execution.Id", InputURI: "$.inputUri", Project: "$.project", Partner: "$.partner",
		FileSystemID: fileSystem, StorageCapacityGiB: w.p.LustreStorageGiB, Execution: "$$.Execution.Id",
		// What the run age check reads: a file system older than the
		// workflow's timeout has outlived its execution.
		Workflow: w.p.Name, Timeout: w.p.Timeout,
	}
}

// fsxTask is an aws-sdk:fsx task. It is a CustomState rather than a
// CallAwsService, which would add an unconditional IAM statement for the
// action to the role: the permissions come from lustre.RunPolicy only,
// which requires the biolake:managed-by=workflow tag.
func fsxTask(scope constructs.Construct, id, comment, action string, params map[string]interface{}, selector map[string]interface{}, resultPath string) awsstepfunctions.CustomState {
	state := map[string]interface{}{
		"Type":       "Task",
		"Comment":    comment,
		"Resource":   "arn:" + *awscdk.Aws_PARTITION() + ":states:::aws-sdk:fsx:" + action,
		"Parameters": params,
		"ResultPath": resultPath,
	}
	if selector != nil {
		state["ResultSelector"] = selector
	}
	t := awsstepfunctions.NewCustomState(scope, jsii.String(id), &awsstepfunctions.CustomStateProps{StateJson: &state})
	t.AddRetry(&awsstepfunctions.RetryProps{
		Errors:         jsii.Strings(FSxServiceErrors...),
		Interval:       awscdk.Duration_Seconds(jsii.Number(5)),
		MaxAttempts:    jsii.Number(6),
		BackoffRate:    jsii.Number(2),
		JitterStrategy: awsstepfunctions.JitterType_FULL,
	})
	return t
}

// poll is one wait for FSx.
type poll struct {
	name     string
	comment  string
	action   string // the aws-sdk:fsx describe action
	params   map[string]interface{}
	selector map[string]interface{} // into $.poll.status
	ready    []awsstepfunctions.Condition
	pending  []awsstepfunctions.Condition // any of them, while polls remain
	interval time.Duration
	timeout  time.Duration
	// notFound, when set, catches FSxNotFound from the describe task.
	notFound awsstepfunctions.IChainable
	// onError catches the describe task's other errors (after retries):
	// the catcher's ResultPath and next state.
	errorPath string
	onError   awsstepfunctions.IChainable
	failed    awsstepfunctions.IChainable // after "<X>Failed", which writes errorPath
}

// loop builds the states of p, going on to next when p.ready holds, and
// returns the first.
func loop(scope constructs.Construct, p poll, next awsstepfunctions.IChainable) awsstepfunctions.IChainable {
	max := int(p.timeout / p.interval)
	reset := awsstepfunctions.NewPass(scope, jsii.String("Poll"+p.name), &awsstepfunctions.PassProps{
		Comment:    jsii.String(p.comment + ": start counting the polls"),
		Result:     awsstepfunctions.Result_FromObject(&map[string]interface{}{"count": 0}),
		ResultPath: jsii.String("$.poll"),
	})
	wait := awsstepfunctions.NewWait(scope, jsii.String("WaitFor"+p.name), &awsstepfunctions.WaitProps{
		Time: awsstepfunctions.WaitTime_Duration(awscdk.Duration_Seconds(jsii.Number(p.interval.Seconds()))),
	})
	describe := fsxTask(scope, "Describe"+p.name, p.comment, p.action, p.params, p.selector, "$.poll.status")
	if p.notFound != nil {
		describe.AddCatch(p.notFound, &awsstepfunctions.CatchProps{Errors: jsii.Strings(FSxNotFound), ResultPath: awsstepfunctions.JsonPath_DISCARD()})
	}
	describe.AddCatch(p.onError, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String(p.errorPath)})
	count := awsstepfunctions.NewPass(scope, jsii.String("Count"+p.name+"Polls"), &awsstepfunctions.PassProps{
		Parameters: &map[string]interface{}{"count.$": "States.MathAdd($.poll.count, 1)"},
		ResultPath: jsii.String("$.poll"),
	})
	failed := awsstepfunctions.NewPass(scope, jsii.String(p.name+"Failed"), &awsstepfunctions.PassProps{
		Comment: jsii.String(p.comment + ": failed, or not done after " + p.timeout.String()),
		Parameters: &map[string]interface{}{
			"Error":   p.name + "Failed",
			"Cause.$": "States.JsonToString($.poll)",
		},
		ResultPath: jsii.String(p.errorPath),
	})
	failed.Next(p.failed)
	pending := awsstepfunctions.Condition_Or(p.pending...)
	if len(p.pending) == 1 {
		pending = p.pending[0]
	}
	check := awsstepfunctions.NewChoice(scope, jsii.String("Check"+p.name), nil)
	if len(p.ready) > 0 {
		ready := p.ready[0]
		if len(p.ready) > 1 {
			ready = awsstepfunctions.Condition_And(p.ready...)
		}
		check.When(ready, next, nil)
	}
	check.When(awsstepfunctions.Condition_And(pending, awsstepfunctions.Condition_NumberLessThan(jsii.String("$.poll.count"), jsii.Number(float64(max)))), count, nil)
	check.Otherwise(failed)
	count.Next(wait)
	reset.Next(wait).Next(describe).Next(check)
	return reset
}

func is(path, value string) awsstepfunctions.Condition {
	return awsstepfunctions.Condition_StringEquals(jsii.String(path), jsii.String(value))
}

// fsxFlow holds the states the rest of the definition is chained to: the
// first (create), the one before the Map (mount), the one after it
// (export, whose chain ends in the catalog), the deletion that the Map's
// and the catalog's failures go to, and the outcome choice.
type fsxFlow struct {
	create  awsstepfunctions.CustomState
	mount   awsstepfunctions.Wait
	export  awsstepfunctions.CustomState
	delete  awsstepfunctions.CustomState
	outcome awsstepfunctions.Choice
}

// fsxStates builds the states that surround the Map with a per-run file
// system:
//
//	CreateRunFileSystem -> (PollRunFileSystem ... until AVAILABLE)
//	-> LinkRunInputs -> LinkRunResults -> (PollRunLinks ... until both AVAILABLE)
//	-> WaitForMount -> [ProcessSamples] -> ExportResults -> (PollExport ... until SUCCEEDED)
//	-> [CatalogResults] -> DeleteRunFileSystem -> (PollDeletion ... until FSx no longer knows it)
//	-> RunFileSystemDeleted -> RunOutcome: NotifyFailed if a failure was recorded, else NotifySucceeded
//
// Once the file system exists, every failure is recorded in $.failure
// and goes to DeleteRunFileSystem. A failed deletion is recorded in
// $.cleanupFailure and goes to CleanupFailureOutcome: after a failed run,
// NotifyFailedNotDeleted tells the topic both failures and the execution
// fails with the run's error (WorkflowFailed); after a successful run,
// NotifyCleanupFailed tells it the results are in and the file system is
// not deleted, and the execution fails as FileSystemNotDeleted.
func (w *Workflow) fsxStates(notifyFailed, catalog, notifySucceeded awsstepfunctions.IChainable, failed awsstepfunctions.Fail) *fsxFlow {
	p := &w.p
	l := p.Lustre
	paths := w.runPaths()
	f := &fsxFlow{}

	// The end: delete, wait for the deletion, then the run's outcome.
	cleanupFailed := awsstepfunctions.NewFail(w, jsii.String(StateCleanupFailed), &awsstepfunctions.FailProps{
		Comment:   jsii.String("The run's file system could not be deleted; the notification topic was told which"),
		ErrorPath: jsii.String("$.cleanupFailure.Error"),
		CausePath: jsii.String("$.cleanupFailure.Cause"),
	})
	action := "delete the file system by hand (aws fsx delete-file-system); it is tagged " + lustre.ManagedByTag + "=" + lustre.WorkflowTagValue + " and runId"
	notifyCleanup := w.notifyThenFail(w, StateNotifyCleanup, "biolake workflow "+p.Name+": FSx file system not deleted", map[string]interface{}{
		"workflow":     p.Name,
		"status":       "FILE_SYSTEM_NOT_DELETED",
		"runStatus":    "SUCCEEDED",
		"action":       action,
		"runId":        awsstepfunctions.JsonPath_StringAt(jsii.String("$.runId")),
		"outputUri":    awsstepfunctions.JsonPath_StringAt(jsii.String("$.outputUri")),
		"fileSystemId": awsstepfunctions.JsonPath_StringAt(jsii.String(fileSystem)),
		"executionId":  awsstepfunctions.JsonPath_StringAt(jsii.String("$$.Execution.Id")),
		"error":        awsstepfunctions.JsonPath_StringAt(jsii.String("$.cleanupFailure.Error")),
		"cause":        awsstepfunctions.JsonPath_StringAt(jsii.String("$.cleanupFailure.Cause")),
	}, cleanupFailed)

	// A run that failed and whose file system could not be deleted: one
	// message with both failures, and the execution fails with the run's
	// error, not with the deletion's.
	notifyBoth := w.notifyThenFail(w, StateNotifyFailedNotDeleted, "biolake workflow "+p.Name+" failed; FSx file system not deleted", map[string]interface{}{
		"workflow":    p.Name,
		"status":      "FAILED",
		"runId":       awsstepfunctions.JsonPath_StringAt(jsii.String("$.runId")),
		"executionId": awsstepfunctions.JsonPath_StringAt(jsii.String("$$.Execution.Id")),
		"error":       awsstepfunctions.JsonPath_StringAt(jsii.String("$.failure.Error")),
		"cause":       awsstepfunctions.JsonPath_StringAt(jsii.String("$.failure.Cause")),
		"cleanup": map[string]interface{}{
			"status":       "FILE_SYSTEM_NOT_DELETED",
			"action":       action,
			"fileSystemId": awsstepfunctions.JsonPath_StringAt(jsii.String(fileSystem)),
			"error":        awsstepfunctions.JsonPath_StringAt(jsii.String("$.cleanupFailure.Error")),
			"cause":        awsstepfunctions.JsonPath_StringAt(jsii.String("$.cleanupFailure.Cause")),
		},
	}, failed)
	cleanupOutcome := awsstepfunctions.NewChoice(w, jsii.String(StateCleanupOutcome), &awsstepfunctions.ChoiceProps{
		Comment: jsii.String("The file system could not be deleted: had the run failed already?"),
	}).
		When(awsstepfunctions.Condition_IsPresent(jsii.String("$.failure")), notifyBoth, nil).
		Otherwise(notifyCleanup)

	f.outcome = awsstepfunctions.NewChoice(w, jsii.String(StateOutcome), &awsstepfunctions.ChoiceProps{
		Comment: jsii.String("The file system is gone: report the run's outcome"),
	}).
		When(awsstepfunctions.Condition_IsPresent(jsii.String("$.failure")), notifyFailed, nil).
		Otherwise(notifySucceeded)
	deleted := awsstepfunctions.NewPass(w, jsii.String(StateDeleted), &awsstepfunctions.PassProps{
		Comment:    jsii.String("FSx no longer knows the file system"),
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	deleted.Next(f.outcome)
	del := fsxTask(w, StateDelete, "Delete the run's file system, whatever the run's outcome (nobody pays for idle Lustre)", "deleteFileSystem",
		l.RunDeleteParameters(paths), map[string]interface{}{"lifecycle.$": "$.Lifecycle"}, "$.fsx.deletion")
	// FSx refuses to delete a file system that is still CREATING (a wait
	// that gave up): retry for about half an hour.
	del.AddRetry(&awsstepfunctions.RetryProps{
		Errors:      jsii.Strings(FSxBadRequest),
		Interval:    awscdk.Duration_Seconds(jsii.Number(60)),
		MaxAttempts: jsii.Number(5),
		BackoffRate: jsii.Number(2),
	})
	del.AddCatch(cleanupOutcome, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.cleanupFailure")})
	f.delete = del
	catchToDelete := func(s awsstepfunctions.CustomState) {
		s.AddCatch(del, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.failure")})
	}
	deletion := loop(w, poll{
		name: PollDeletion, comment: "Wait for the deletion of the run's file system", action: "describeFileSystems",
		params:   map[string]interface{}{"FileSystemIds.$": "States.Array(" + fileSystem + ")"},
		selector: map[string]interface{}{"lifecycle.$": "$.FileSystems[0].Lifecycle"},
		pending:  []awsstepfunctions.Condition{is("$.poll.status.lifecycle", "DELETING")},
		interval: 30 * time.Second, timeout: DeletionTimeout,
		notFound: deleted, errorPath: "$.cleanupFailure", onError: cleanupOutcome, failed: cleanupOutcome,
	}, nil)
	del.Next(deletion)

	// The start: create and wait.
	f.create = fsxTask(w, StateCreateFileSystem, "Create the run's SCRATCH_2 file system (tagged runId, project, partner)", "createFileSystem",
		l.RunFileSystemParameters(paths), map[string]interface{}{"fileSystemId.$": "$.FileSystem.FileSystemId"}, fsxPath)
	f.create.AddCatch(notifyFailed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.failure")})

	linkInputs := fsxTask(w, StateLinkInputs, "Link "+lustre.RawPath+" to the run's input (import only)", "createDataRepositoryAssociation",
		l.RunAssociationParameters(paths)[0], map[string]interface{}{"id.$": "$.Association.AssociationId"}, "$.fsx.inputs")
	catchToDelete(linkInputs)
	linkResults := fsxTask(w, StateLinkResults, "Link "+lustre.ResultsPath+" to the run's results prefix (export only, never DELETED)", "createDataRepositoryAssociation",
		l.RunAssociationParameters(paths)[1], map[string]interface{}{"id.$": "$.Association.AssociationId"}, "$.fsx.results")
	catchToDelete(linkResults)
	linkInputs.Next(linkResults)

	fsWait := loop(w, poll{
		name: PollFileSystem, comment: "Wait for the run's file system", action: "describeFileSystems",
		params:   map[string]interface{}{"FileSystemIds.$": "States.Array(" + fileSystem + ")"},
		selector: map[string]interface{}{"lifecycle.$": "$.FileSystems[0].Lifecycle"},
		ready:    []awsstepfunctions.Condition{is("$.poll.status.lifecycle", "AVAILABLE")},
		pending:  []awsstepfunctions.Condition{is("$.poll.status.lifecycle", "CREATING")},
		interval: 30 * time.Second, timeout: FileSystemTimeout,
		errorPath: "$.failure", onError: del, failed: del,
	}, linkInputs)
	f.create.Next(fsWait)

	f.mount = awsstepfunctions.NewWait(w, jsii.String(StateMountDelay), &awsstepfunctions.WaitProps{
		Comment: jsii.String("Give the Batch hosts time to mount the file system at " + batch.LustrePath + "/<file-system-id>"),
		Time:    awsstepfunctions.WaitTime_Duration(awscdk.Duration_Seconds(jsii.Number(MountDelay.Seconds()))),
	})
	linksWait := loop(w, poll{
		name: PollLinks, comment: "Wait for the run's data repository associations", action: "describeDataRepositoryAssociations",
		params:   map[string]interface{}{"AssociationIds.$": "States.Array($.fsx.inputs.id, $.fsx.results.id)"},
		selector: map[string]interface{}{"lifecycles.$": "$.Associations[*].Lifecycle"},
		ready: []awsstepfunctions.Condition{
			is("$.poll.status.lifecycles[0]", "AVAILABLE"), is("$.poll.status.lifecycles[1]", "AVAILABLE"),
		},
		pending: []awsstepfunctions.Condition{
			is("$.poll.status.lifecycles[0]", "CREATING"), is("$.poll.status.lifecycles[1]", "CREATING"),
		},
		interval: 30 * time.Second, timeout: LinksTimeout,
		errorPath: "$.failure", onError: del, failed: del,
	}, f.mount)
	linkResults.Next(linksWait)

	// After the Map: export, wait, catalog (the caller chains it; without
	// one, straight to the deletion), delete.
	afterExport := catalog
	if afterExport == nil {
		afterExport = del
	}
	f.export = fsxTask(w, StateExport, "Export "+lustre.ResultsPath+" once more, so nothing queued for auto-export is lost", "createDataRepositoryTask",
		l.RunExportParameters(paths), map[string]interface{}{"id.$": "$.DataRepositoryTask.TaskId"}, "$.fsx.export")
	catchToDelete(f.export)
	exportWait := loop(w, poll{
		name: PollExport, comment: "Wait for the export of the run's results", action: "describeDataRepositoryTasks",
		params:   map[string]interface{}{"TaskIds.$": "States.Array($.fsx.export.id)"},
		selector: map[string]interface{}{"lifecycle.$": "$.DataRepositoryTasks[0].Lifecycle"},
		ready:    []awsstepfunctions.Condition{is("$.poll.status.lifecycle", "SUCCEEDED")},
		pending: []awsstepfunctions.Condition{
			is("$.poll.status.lifecycle", "PENDING"), is("$.poll.status.lifecycle", "EXECUTING"),
		},
		interval: time.Minute, timeout: ExportTimeout,
		errorPath: "$.failure", onError: del, failed: del,
	}, afterExport)
	f.export.Next(exportWait)
	return f
}

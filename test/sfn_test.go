package test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/constructs/workflow"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/sfnlocal"
)

// Kinds of the state machines the app synthesizes, by the Comment of their
// definition.
const (
	kindVerify   = "verify"
	kindStarter  = "starter"
	kindWorkflow = "workflow"
	kindLustre   = "workflow, per-run Lustre"
	kindCleanup  = "cleanup"
	// kindMLDeploy is executed by TestMLDeploymentExecutes.
	kindMLDeploy = "ml deployment"
)

// providerWaiter is the Comment-less definition of CDK's custom-resource
// Provider framework (the EC2-hosted File Gateway's activation waits with
// it): CDK's own code, whose only task calls biolake's activation handler
// (tested in internal/gatewayactivate); it is not executed here.
var providerWaiter = regexp.MustCompile(`"framework-isComplete-task"`)

// machineKind classifies a definition, returning the workflow's name for
// the workflow kinds and the cleanup.
func machineKind(asl string) (kind, name string) {
	var d struct{ Comment string }
	_ = json.Unmarshal([]byte(asl), &d)
	switch c := d.Comment; {
	case strings.HasPrefix(c, "biolake verify:"):
		return kindVerify, ""
	case strings.HasPrefix(c, "biolake: start the "):
		return kindStarter, strings.Fields(strings.TrimPrefix(c, "biolake: start the "))[0]
	case strings.HasPrefix(c, "biolake secondary analysis:"):
		return kindWorkflow, strings.TrimSuffix(c[strings.LastIndex(c, "(")+1:], ")")
	case strings.HasPrefix(c, "biolake ml deployment:"):
		return kindMLDeploy, ""
	case strings.HasPrefix(c, "biolake: export and delete the per-run file system of a "):
		return kindCleanup, strings.Fields(strings.TrimPrefix(c, "biolake: export and delete the per-run file system of a "))[0]
	}
	return "", ""
}

// spec is one documented path of one kind of state machine: a row of the
// table in docs/WORKFLOWS.md. "<step>" in Path and States stands for each
// step of the workflow (one scenario per step), "<first>" and "<last>" for
// its first and last.
type spec struct {
	Kind, Path string
	// Status and Error expected at the end (Error for FAILED only).
	Status, Error string
	// States that must be visited, in this order (others may come between).
	States []string
	// Not lists states that must not be visited.
	Not []string
	// Topic lists the messages to the workflow's topic, in order: each its
	// "status" (and its cleanup's, in parentheses). Bus lists the detail
	// types put on the platform bus.
	Topic, Bus []string
	// mocks changes the answers of the kind's successful run.
	mocks func(m mocks, step string)
	// input changes the kind's input.
	input func(in map[string]any)
	// restore: the path needs a workflow that restores.
	restore bool
}

type mocks map[string][]sfnlocal.Answer

const (
	runID = "20261101_LH00123_0042_A22ABCDEF"
	fsID  = "fs-0123456789abcdef0"
	draIn = "dra-0123456789abcdef1"
	draRe = "dra-0123456789abcdef2"
	task  = "task-0123456789abcdef0"
)

func answers(a ...sfnlocal.Answer) []sfnlocal.Answer { return a }

// forever repeats an answer: the last answer repeats.
func forever(a sfnlocal.Answer) []sfnlocal.Answer { return []sfnlocal.Answer{a} }

var (
	lambdaThrottled = sfnlocal.Fail("Lambda.TooManyRequestsException", "Rate exceeded")
	batchThrottled  = sfnlocal.Fail("Batch.TooManyRequestsException", "Too Many Requests")
	fsxLimit        = sfnlocal.Fail("FSx.ServiceLimitExceededException", "You have reached the quota for Lustre storage capacity")
	fsxBadRequest   = sfnlocal.Fail("FSx.BadRequestException", "The file system is not in a state that allows this operation")
)

// runIngested is the RunIngested detail a workflow gets.
func runIngested() map[string]any {
	return map[string]any{
		"schemaVersion": events.SchemaVersion, "runId": runID, "channel": "datasync", "bucket": "raw-bucket",
		"prefix": "runs/novaseqx/" + runID + "/", "profile": "novaseq-x", "objectCount": 1234, "totalBytes": 1000000,
		"verifiedAt": "2026-11-01T12:00:00Z", "verifiedBy": "manifest",
	}
}

// largeObject is an item of VerifyRun's "large" list.
func largeObject(key string) map[string]any {
	return map[string]any{
		"bucket": "raw-bucket", "key": key, "versionId": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", "size": 64 << 30,
		"expected": map[string]any{"md5": strings.Repeat("ab", 16)}, "expectArg": "md5=" + strings.Repeat("ab", 16), "s3Uri": "s3://raw-bucket/" + key,
	}
}

// verifyOutput is VerifyRun's result (internal/verify.VerifyOutput).
func verifyOutput(large ...map[string]any) map[string]any {
	if large == nil {
		large = []map[string]any{}
	}
	return map[string]any{
		"run":      map[string]any{"schemaVersion": events.SchemaVersion, "runId": runID, "bucket": "raw-bucket", "prefix": "runs/novaseqx/" + runID + "/"},
		"verifyId": "v-0001", "summary": map[string]any{"checked": 80, "passed": 80 - len(large), "large": len(large)},
		"results": []any{}, "large": large,
	}
}

// finalizeOutput is FinalizeRun's result (internal/verify.FinalizeOutput).
func finalizeOutput(large int) map[string]any {
	return map[string]any{"runId": runID, "verifyId": "v-0001", "passed": true, "checked": 80, "failed": 0, "largeVerified": large, "published": true}
}

// successMocks answers every task of a kind as on a successful run; steps
// are the workflow's step names.
func successMocks(kind string, steps []string, stateMachineARN string) mocks {
	switch kind {
	case kindVerify:
		return mocks{
			eventglue.StateVerifyRun:         forever(sfnlocal.LambdaInvoke(verifyOutput())),
			eventglue.StateVerifyLargeObject: forever(sfnlocal.BatchJob("biolake-verify-large-object")),
			eventglue.StateFinalizeRun:       forever(sfnlocal.LambdaInvoke(finalizeOutput(0))),
		}
	case kindStarter:
		return mocks{workflow.StateStart: forever(sfnlocal.StartExecution(stateMachineARN, hash(runID)))}
	case kindCleanup:
		return mocks{
			workflow.StateFindFileSystem:              forever(sfnlocal.GetResources(map[string]string{"biolake:execution": executionARN}, sfnlocal.FileSystemARN(fsID))),
			workflow.StateDescribeStopped:             forever(sfnlocal.DescribeFileSystems(fsID, "AVAILABLE")),
			workflow.StateExportStopped:               forever(sfnlocal.CreateDataRepositoryTask(task, fsID)),
			"Describe" + workflow.PollStoppedExport:   answers(sfnlocal.DescribeDataRepositoryTasks(task, fsID, "EXECUTING"), sfnlocal.DescribeDataRepositoryTasks(task, fsID, "SUCCEEDED")),
			workflow.StateDeleteStopped:               forever(sfnlocal.DeleteFileSystem(fsID)),
			"Describe" + workflow.PollStoppedDeletion: answers(sfnlocal.DescribeFileSystems(fsID, "DELETING"), sfnlocal.FileSystemNotFound(fsID)),
			workflow.StateNotifyStopped:               forever(sfnlocal.SNSPublish()),
			workflow.StateNotifyStoppedFailed:         forever(sfnlocal.SNSPublish()),
		}
	}
	m := mocks{
		workflow.StateRestore:       forever(sfnlocal.Result(map[string]any{"runId": runID, "restored": 3})),
		workflow.StateListSamples:   forever(sfnlocal.LambdaInvoke(map[string]any{"samples": []string{"S1", "S2", "S3"}, "source": "SampleSheet.csv"})),
		workflow.StateRecordResults: forever(sfnlocal.DynamoPutItem()),
		workflow.StateCatalog:       forever(sfnlocal.PutEvents()),
		workflow.StateNotify:        forever(sfnlocal.SNSPublish()),
		workflow.StateNotifyFailed:  forever(sfnlocal.SNSPublish()),
	}
	for _, s := range steps {
		m["Run"+s] = forever(sfnlocal.BatchJob("biolake-" + s))
	}
	if kind == kindLustre || kind == kindSoloLustre {
		m[workflow.StateCreateFileSystem] = forever(sfnlocal.CreateFileSystem(fsID))
		m["Describe"+workflow.PollFileSystem] = answers(sfnlocal.DescribeFileSystems(fsID, "CREATING"), sfnlocal.DescribeFileSystems(fsID, "AVAILABLE"))
		m[workflow.StateLinkInputs] = forever(sfnlocal.CreateDataRepositoryAssociation(draIn, fsID, "/raw"))
		m[workflow.StateLinkResults] = forever(sfnlocal.CreateDataRepositoryAssociation(draRe, fsID, "/results"))
		m["Describe"+workflow.PollLinks] = answers(
			sfnlocal.DescribeDataRepositoryAssociations(fsID, []string{draIn, draRe}, []string{"CREATING", "CREATING"}),
			sfnlocal.DescribeDataRepositoryAssociations(fsID, []string{draIn, draRe}, []string{"AVAILABLE", "AVAILABLE"}))
		m[workflow.StateExport] = forever(sfnlocal.CreateDataRepositoryTask(task, fsID))
		m["Describe"+workflow.PollExport] = answers(sfnlocal.DescribeDataRepositoryTasks(task, fsID, "PENDING"), sfnlocal.DescribeDataRepositoryTasks(task, fsID, "EXECUTING"),
			sfnlocal.DescribeDataRepositoryTasks(task, fsID, "SUCCEEDED"))
		m[workflow.StateDelete] = forever(sfnlocal.DeleteFileSystem(fsID))
		m["Describe"+workflow.PollDeletion] = answers(sfnlocal.DescribeFileSystems(fsID, "DELETING"), sfnlocal.FileSystemNotFound(fsID))
		m[workflow.StateNotifyCleanup] = forever(sfnlocal.SNSPublish())
		m[workflow.StateNotifyFailedNotDeleted] = forever(sfnlocal.SNSPublish())
	}
	return m
}

const executionARN = "arn:aws:states:us-east-1:123456789012:execution:workflow:0123456789abcdef0123456789abcdef"

func hash(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// statusChange is the detail of a "Step Functions Execution Status Change"
// event of a workflow execution.
func statusChange(status string) map[string]any {
	in, _ := json.Marshal(runIngested())
	return map[string]any{
		"executionArn": executionARN, "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:workflow",
		"name": hash(runID), "status": status, "startDate": 1764590400000, "stopDate": 1765022400000,
		"input": string(in), "inputDetails": map[string]any{"included": true}, "output": nil, "outputDetails": nil,
	}
}

// Paths of the success runs, shared by the specs.
var (
	workflowStart = []string{workflow.StatePartner, workflow.StateNoPartner, workflow.StatePrepare, workflow.StateRestore, workflow.StateListSamples, workflow.StateCheckSamples}
	lustreStart   = append(slices.Clone(workflowStart), workflow.StateCreateFileSystem, "Check"+workflow.PollFileSystem, workflow.StateLinkInputs, workflow.StateLinkResults,
		"Check"+workflow.PollLinks, workflow.StateMountDelay)
	lustreEnd = []string{workflow.StateDelete, workflow.StateDeleted, workflow.StateOutcome}
)

func join(parts ...[]string) []string { return slices.Concat(parts...) }

// specs are the documented paths (docs/WORKFLOWS.md, "State machines on
// every path").
func specs() []spec {
	fail := func(state string, a ...sfnlocal.Answer) func(mocks, string) {
		return func(m mocks, _ string) { m[state] = a }
	}
	stepFails := func(m mocks, step string) { m["Run"+step] = forever(sfnlocal.BatchJobFailed("biolake-"+step, 1)) }
	both := func(fs ...func(mocks, string)) func(mocks, string) {
		return func(m mocks, s string) {
			for _, f := range fs {
				f(m, s)
			}
		}
	}
	const integrity = "ErrIntegrityFailed"
	restoreFailed := sfnlocal.Fail("ErrRestoreFailed", `{"runId":"`+runID+`","bucket":"raw-bucket","key":"runs/novaseqx/`+runID+`/a.cram","reason":"object missing"}`)
	sheetInvalid := sfnlocal.Fail("ErrSampleSheetInvalid", "SampleSheet.csv line 12: Sample_ID \"S 1\" has a space")
	var tooMany []string
	for i := 0; i <= 1000; i++ {
		tooMany = append(tooMany, fmt.Sprintf("S%04d", i))
	}
	tooManySamples := fail(workflow.StateListSamples, sfnlocal.LambdaInvoke(map[string]any{"samples": tooMany, "source": "SampleSheet.csv"}))
	notDeleted := func(m mocks, _ string) { m[workflow.StateDelete] = forever(fsxLimit) }
	neverDeleted := func(m mocks, _ string) {
		m["Describe"+workflow.PollDeletion] = forever(sfnlocal.DescribeFileSystems(fsID, "DELETING"))
	}
	wfEnd := []string{workflow.StateRecordResults, workflow.StateCatalog}
	return append([]spec{
		// Verification.
		{Kind: kindVerify, Path: "clean run, no large objects", Status: "SUCCEEDED",
			States: []string{eventglue.StateVerifyRun, eventglue.StateHasLargeObjects, eventglue.StateNoLargeObjects, eventglue.StateFinalizeRun}, Not: []string{eventglue.StateVerifyLargeObjects}},
		{Kind: kindVerify, Path: "large objects verified in Batch jobs", Status: "SUCCEEDED",
			States: []string{eventglue.StateVerifyRun, eventglue.StateVerifyLargeObjects, eventglue.StateVerifyLargeObject, eventglue.StateLargeObjectOK, eventglue.StateFinalizeRun},
			mocks:  fail(eventglue.StateVerifyRun, sfnlocal.LambdaInvoke(verifyOutput(largeObject("runs/novaseqx/a.cram"), largeObject("runs/novaseqx/b.cram"))))},
		{Kind: kindVerify, Path: "a large object fails its Batch job", Status: "FAILED", Error: integrity,
			States: []string{eventglue.StateVerifyLargeObjects, eventglue.StateLargeObjectFailed, eventglue.StateFinalizeRun, eventglue.StateIntegrityFailed},
			mocks: both(fail(eventglue.StateVerifyRun, sfnlocal.LambdaInvoke(verifyOutput(largeObject("runs/novaseqx/a.cram")))),
				fail(eventglue.StateVerifyLargeObject, sfnlocal.BatchJobFailed("biolake-verify-large-object", 3)),
				fail(eventglue.StateFinalizeRun, sfnlocal.Fail(integrity, "runs/novaseqx/a.cram: md5 mismatch")))},
		{Kind: kindVerify, Path: "integrity failure of a small object", Status: "FAILED", Error: integrity,
			States: []string{eventglue.StateVerifyRun, eventglue.StateIntegrityFailed}, Not: []string{eventglue.StateFinalizeRun},
			mocks: fail(eventglue.StateVerifyRun, sfnlocal.Fail(integrity, "Logs/run log.txt: sha256 mismatch"))},
		{Kind: kindVerify, Path: "manifest unusable", Status: "FAILED", Error: "ErrManifest",
			States: []string{eventglue.StateVerifyRun, eventglue.StateIntegrityFailed},
			mocks:  fail(eventglue.StateVerifyRun, sfnlocal.Fail("ErrManifest", "verify: manifest Manifest.md5: line 3: not <hex>  <path>"))},
		{Kind: kindVerify, Path: "S3 and Lambda errors retried", Status: "SUCCEEDED",
			States: []string{eventglue.StateVerifyRun, eventglue.StateFinalizeRun},
			mocks:  both(fail(eventglue.StateVerifyRun, lambdaThrottled, sfnlocal.Fail("ErrS3", "GetObject: SlowDown"), sfnlocal.LambdaInvoke(verifyOutput())))},
		{Kind: kindVerify, Path: "untyped handler error", Status: "FAILED", Error: "Runtime.ExitError",
			States: []string{eventglue.StateVerifyRun}, Not: []string{eventglue.StateIntegrityFailed, eventglue.StateFinalizeRun},
			mocks: fail(eventglue.StateVerifyRun, sfnlocal.Fail("Runtime.ExitError", "RequestId: 1 Error: Runtime exited with error: signal: killed"))},

		// Starters.
		{Kind: kindStarter, Path: "first RunIngested starts the run", Status: "SUCCEEDED", States: []string{workflow.StateStart, workflow.StateStarted}},
		{Kind: kindStarter, Path: "duplicate RunIngested", Status: "SUCCEEDED", States: []string{workflow.StateStart, workflow.StateAlreadyStarted},
			mocks: fail(workflow.StateStart, sfnlocal.Fail(workflow.ErrExecutionAlreadyExists, "Execution Already Exists: '"+executionARN+"'"))},
		{Kind: kindStarter, Path: "throttled, then started", Status: "SUCCEEDED", States: []string{workflow.StateStart, workflow.StateStarted},
			mocks: fail(workflow.StateStart, sfnlocal.Fail("Sfn.SfnException", "Rate exceeded"), sfnlocal.StartExecution("arn:aws:states:us-east-1:123456789012:stateMachine:workflow", hash(runID)))},
		{Kind: kindStarter, Path: "cannot start", Status: "FAILED", Error: "Sfn.StateMachineDoesNotExistException", States: []string{workflow.StateStart, workflow.StateStartFailed},
			mocks: fail(workflow.StateStart, sfnlocal.Fail("Sfn.StateMachineDoesNotExistException", "State Machine Does Not Exist"))},

		// Workflows without a per-run file system.
		{Kind: kindWorkflow, Path: "success", Status: "SUCCEEDED", States: join(workflowStart, []string{workflow.StateMap, "Run<first>", "Run<last>"}, wfEnd, []string{workflow.StateNotify, workflow.StateSucceeded}),
			Topic: []string{"SUCCEEDED"}, Bus: []string{events.DetailTypeWorkflowSucceeded}},
		{Kind: kindWorkflow, Path: "success, partner run", Status: "SUCCEEDED", States: []string{workflow.StatePartner, workflow.StatePrepare, workflow.StateMap, workflow.StateSucceeded}, Not: []string{workflow.StateNoPartner},
			Topic: []string{"SUCCEEDED"}, Bus: []string{events.DetailTypeWorkflowSucceeded}, input: func(in map[string]any) { in["partner"] = "cro-a"; in["channel"] = "transfer" }},
		{Kind: kindWorkflow, Path: "restore fails", Status: "FAILED", Error: "ErrRestoreFailed", restore: true,
			States: []string{workflow.StateRestore, workflow.StateNotifyFailed, workflow.StateFailed}, Not: []string{workflow.StateListSamples}, Topic: []string{"FAILED"},
			mocks: fail(workflow.StateRestore, restoreFailed)},
		{Kind: kindWorkflow, Path: "restore times out", Status: "FAILED", Error: "States.Timeout", restore: true,
			States: []string{workflow.StateRestore, workflow.StateNotifyFailed, workflow.StateFailed}, Not: []string{workflow.StateListSamples}, Topic: []string{"FAILED"},
			mocks: fail(workflow.StateRestore, sfnlocal.Fail("States.Timeout", "The task timed out (60h)"))},
		{Kind: kindWorkflow, Path: "sample sheet invalid", Status: "FAILED", Error: "ErrSampleSheetInvalid",
			States: []string{workflow.StateListSamples, workflow.StateNotifyFailed, workflow.StateFailed}, Not: []string{workflow.StateMap}, Topic: []string{"FAILED"},
			mocks: fail(workflow.StateListSamples, sheetInvalid)},
		{Kind: kindWorkflow, Path: "more samples than maxSamples", Status: "FAILED", Error: workflow.ErrTooManySamples,
			States: []string{workflow.StateCheckSamples, workflow.StateTooManySamples, workflow.StateNotifyFailed, workflow.StateFailed}, Not: []string{workflow.StateMap}, Topic: []string{"FAILED"},
			mocks: tooManySamples},
		{Kind: kindWorkflow, Path: "step <step> fails", Status: "FAILED", Error: "States.TaskFailed",
			States: []string{workflow.StateMap, "Run<step>", workflow.StateStepFailed, workflow.StateNotifyFailed, workflow.StateFailed}, Not: []string{workflow.StateRecordResults}, Topic: []string{"FAILED"},
			mocks: stepFails},
		{Kind: kindWorkflow, Path: "Batch throttled, then the steps run", Status: "SUCCEEDED", States: []string{"Run<first>", workflow.StateSucceeded},
			Topic: []string{"SUCCEEDED"}, Bus: []string{events.DetailTypeWorkflowSucceeded},
			mocks: func(m mocks, _ string) { m["Run<first>"] = answers(batchThrottled, sfnlocal.BatchJob("biolake-first")) }},
		{Kind: kindWorkflow, Path: "catalog record fails", Status: "FAILED", Error: "DynamoDB.AmazonDynamoDBException",
			States: []string{workflow.StateRecordResults, workflow.StateNotifyFailed, workflow.StateFailed}, Not: []string{workflow.StateCatalog}, Topic: []string{"FAILED"},
			mocks: fail(workflow.StateRecordResults, sfnlocal.Fail("DynamoDB.AmazonDynamoDBException", "User is not authorized to perform: dynamodb:PutItem"))},
		{Kind: kindWorkflow, Path: "announcement fails", Status: "FAILED", Error: "EventBridge.FailedEntry",
			States: []string{workflow.StateCatalog, workflow.StateNotifyFailed, workflow.StateFailed}, Topic: []string{"FAILED"},
			mocks: fail(workflow.StateCatalog, sfnlocal.Fail("EventBridge.FailedEntry", `{"Entries":[{"ErrorCode":"InternalFailure"}],"FailedEntryCount":1}`))},
		{Kind: kindWorkflow, Path: "success notification fails", Status: "FAILED", Error: "SNS.AuthorizationErrorException",
			States: []string{workflow.StateCatalog, workflow.StateNotify, workflow.StateNotifyError}, Bus: []string{events.DetailTypeWorkflowSucceeded},
			mocks: fail(workflow.StateNotify, sfnlocal.Fail("SNS.AuthorizationErrorException", "not authorized to perform SNS:Publish"))},
		{Kind: kindWorkflow, Path: "failure notification fails", Status: "FAILED", Error: "States.TaskFailed",
			States: []string{"Run<first>", workflow.StateNotifyFailed, workflow.StateFailed},
			mocks:  both(stepFailsFirst, fail(workflow.StateNotifyFailed, sfnlocal.Fail("SNS.AuthorizationErrorException", "not authorized to perform SNS:Publish")))},

		// Workflows with a per-run file system.
		{Kind: kindLustre, Path: "success", Status: "SUCCEEDED",
			States: join(lustreStart, []string{workflow.StateMap, "Run<first>", "Run<last>", workflow.StateExport, "Check" + workflow.PollExport}, wfEnd, lustreEnd, []string{workflow.StateNotify, workflow.StateSucceeded}),
			Topic:  []string{"SUCCEEDED"}, Bus: []string{events.DetailTypeWorkflowSucceeded}},
		{Kind: kindLustre, Path: "restore fails", Status: "FAILED", Error: "ErrRestoreFailed", restore: true,
			States: []string{workflow.StateRestore, workflow.StateNotifyFailed, workflow.StateFailed}, Not: []string{workflow.StateCreateFileSystem}, Topic: []string{"FAILED"},
			mocks: fail(workflow.StateRestore, restoreFailed)},
		{Kind: kindLustre, Path: "restore times out", Status: "FAILED", Error: "States.Timeout", restore: true,
			States: []string{workflow.StateRestore, workflow.StateNotifyFailed, workflow.StateFailed}, Not: []string{workflow.StateCreateFileSystem}, Topic: []string{"FAILED"},
			mocks: fail(workflow.StateRestore, sfnlocal.Fail("States.Timeout", "The task timed out (60h)"))},
		{Kind: kindLustre, Path: "sample sheet invalid", Status: "FAILED", Error: "ErrSampleSheetInvalid",
			States: []string{workflow.StateListSamples, workflow.StateNotifyFailed, workflow.StateFailed}, Not: []string{workflow.StateCreateFileSystem}, Topic: []string{"FAILED"},
			mocks: fail(workflow.StateListSamples, sheetInvalid)},
		{Kind: kindLustre, Path: "more samples than maxSamples", Status: "FAILED", Error: workflow.ErrTooManySamples,
			States: []string{workflow.StateCheckSamples, workflow.StateTooManySamples, workflow.StateNotifyFailed}, Not: []string{workflow.StateCreateFileSystem}, Topic: []string{"FAILED"},
			mocks: tooManySamples},
		{Kind: kindLustre, Path: "file system creation fails", Status: "FAILED", Error: "FSx.ServiceLimitExceededException",
			States: []string{workflow.StateCreateFileSystem, workflow.StateNotifyFailed, workflow.StateFailed}, Not: []string{workflow.StateDelete}, Topic: []string{"FAILED"},
			mocks: fail(workflow.StateCreateFileSystem, fsxLimit)},
		{Kind: kindLustre, Path: "file system FAILED", Status: "FAILED", Error: workflow.PollFileSystem + "Failed",
			States: join([]string{workflow.StateCreateFileSystem, workflow.PollFileSystem + "Failed"}, lustreEnd, []string{workflow.StateNotifyFailed, workflow.StateFailed}), Not: []string{workflow.StateLinkInputs}, Topic: []string{"FAILED"},
			mocks: fail("Describe"+workflow.PollFileSystem, sfnlocal.DescribeFileSystems(fsID, "FAILED"))},
		{Kind: kindLustre, Path: "file system never available (deletion refused while CREATING, retried)", Status: "FAILED", Error: workflow.PollFileSystem + "Failed",
			States: join([]string{workflow.StateCreateFileSystem, workflow.PollFileSystem + "Failed"}, lustreEnd, []string{workflow.StateNotifyFailed, workflow.StateFailed}), Topic: []string{"FAILED"},
			mocks: both(fail("Describe"+workflow.PollFileSystem, sfnlocal.DescribeFileSystems(fsID, "CREATING")), fail(workflow.StateDelete, fsxBadRequest, sfnlocal.DeleteFileSystem(fsID)))},
		{Kind: kindLustre, Path: "link fails", Status: "FAILED", Error: "FSx.BadRequestException",
			States: join([]string{workflow.StateLinkInputs}, lustreEnd, []string{workflow.StateNotifyFailed, workflow.StateFailed}), Not: []string{workflow.StateLinkResults}, Topic: []string{"FAILED"},
			mocks: fail(workflow.StateLinkInputs, sfnlocal.Fail("FSx.BadRequestException", "The data repository path is not in an S3 bucket the file system can reach"))},
		{Kind: kindLustre, Path: "links FAILED", Status: "FAILED", Error: workflow.PollLinks + "Failed",
			States: join([]string{workflow.StateLinkResults, workflow.PollLinks + "Failed"}, lustreEnd, []string{workflow.StateNotifyFailed}), Not: []string{workflow.StateMountDelay}, Topic: []string{"FAILED"},
			mocks: fail("Describe"+workflow.PollLinks, sfnlocal.DescribeDataRepositoryAssociations(fsID, []string{draIn, draRe}, []string{"AVAILABLE", "FAILED"}))},
		{Kind: kindLustre, Path: "links never available (mount wait never reached)", Status: "FAILED", Error: workflow.PollLinks + "Failed",
			States: join([]string{workflow.StateLinkResults, workflow.PollLinks + "Failed"}, lustreEnd, []string{workflow.StateNotifyFailed}), Not: []string{workflow.StateMountDelay, workflow.StateMap}, Topic: []string{"FAILED"},
			mocks: fail("Describe"+workflow.PollLinks, sfnlocal.DescribeDataRepositoryAssociations(fsID, []string{draIn, draRe}, []string{"CREATING", "AVAILABLE"}))},
		{Kind: kindLustre, Path: "step <step> fails", Status: "FAILED", Error: "States.TaskFailed",
			States: join([]string{workflow.StateMountDelay, workflow.StateMap, "Run<step>", workflow.StateStepFailed}, lustreEnd, []string{workflow.StateNotifyFailed, workflow.StateFailed}),
			Not:    []string{workflow.StateExport, workflow.StateRecordResults}, Topic: []string{"FAILED"}, mocks: stepFails},
		{Kind: kindLustre, Path: "export fails to start", Status: "FAILED", Error: "FSx.BadRequestException",
			States: join([]string{workflow.StateExport}, lustreEnd, []string{workflow.StateNotifyFailed, workflow.StateFailed}), Not: []string{workflow.StateRecordResults}, Topic: []string{"FAILED"},
			mocks: fail(workflow.StateExport, sfnlocal.Fail("FSx.BadRequestException", "No data repository association at /results"))},
		{Kind: kindLustre, Path: "export FAILED", Status: "FAILED", Error: workflow.PollExport + "Failed",
			States: join([]string{workflow.StateExport, workflow.PollExport + "Failed"}, lustreEnd, []string{workflow.StateNotifyFailed}), Not: []string{workflow.StateRecordResults}, Topic: []string{"FAILED"},
			mocks: fail("Describe"+workflow.PollExport, sfnlocal.DescribeDataRepositoryTasks(task, fsID, "FAILED"))},
		{Kind: kindLustre, Path: "export never finishes", Status: "FAILED", Error: workflow.PollExport + "Failed",
			States: join([]string{workflow.StateExport, workflow.PollExport + "Failed"}, lustreEnd, []string{workflow.StateNotifyFailed}), Not: []string{workflow.StateRecordResults}, Topic: []string{"FAILED"},
			mocks: fail("Describe"+workflow.PollExport, sfnlocal.DescribeDataRepositoryTasks(task, fsID, "EXECUTING"))},
		{Kind: kindLustre, Path: "announcement fails", Status: "FAILED", Error: "EventBridge.FailedEntry",
			States: join([]string{workflow.StateCatalog}, lustreEnd, []string{workflow.StateNotifyFailed, workflow.StateFailed}), Topic: []string{"FAILED"},
			mocks: fail(workflow.StateCatalog, sfnlocal.Fail("EventBridge.FailedEntry", `{"Entries":[{"ErrorCode":"InternalFailure"}],"FailedEntryCount":1}`))},
		{Kind: kindLustre, Path: "deletion fails after a successful run", Status: "FAILED", Error: "FSx.ServiceLimitExceededException",
			States: []string{workflow.StateCatalog, workflow.StateDelete, workflow.StateCleanupOutcome, workflow.StateNotifyCleanup, workflow.StateCleanupFailed},
			Not:    []string{workflow.StateNotify}, Topic: []string{"FILE_SYSTEM_NOT_DELETED"}, Bus: []string{events.DetailTypeWorkflowSucceeded}, mocks: notDeleted},
		{Kind: kindLustre, Path: "deletion never finishes after a successful run", Status: "FAILED", Error: workflow.PollDeletion + "Failed",
			States: []string{workflow.StateDelete, workflow.PollDeletion + "Failed", workflow.StateCleanupOutcome, workflow.StateNotifyCleanup, workflow.StateCleanupFailed},
			Topic:  []string{"FILE_SYSTEM_NOT_DELETED"}, Bus: []string{events.DetailTypeWorkflowSucceeded}, mocks: neverDeleted},
		{Kind: kindLustre, Path: "step fails and deletion fails", Status: "FAILED", Error: "States.TaskFailed",
			States: []string{"Run<first>", workflow.StateDelete, workflow.StateCleanupOutcome, workflow.StateNotifyFailedNotDeleted, workflow.StateFailed},
			Not:    []string{workflow.StateNotifyCleanup, workflow.StateCleanupFailed}, Topic: []string{"FAILED (cleanup FILE_SYSTEM_NOT_DELETED)"}, mocks: both(stepFailsFirst, notDeleted)},
		{Kind: kindLustre, Path: "step fails and deletion never finishes", Status: "FAILED", Error: "States.TaskFailed",
			States: []string{"Run<first>", workflow.PollDeletion + "Failed", workflow.StateCleanupOutcome, workflow.StateNotifyFailedNotDeleted, workflow.StateFailed},
			Topic:  []string{"FAILED (cleanup FILE_SYSTEM_NOT_DELETED)"}, mocks: both(stepFailsFirst, neverDeleted)},

		// Cleanup after an execution that timed out or was aborted.
		{Kind: kindCleanup, Path: "timed out: results exported, file system deleted", Status: "SUCCEEDED",
			States: []string{workflow.StateReadStoppedRun, workflow.StateFindFileSystem, workflow.StateHasFileSystem, workflow.StateSelectFileSystem, workflow.StateDescribeStopped,
				workflow.StateCheckStopped, workflow.StateExportStopped, "Check" + workflow.PollStoppedExport, workflow.StateDeleteStopped, workflow.StateStoppedDeleted, workflow.StateNotifyStopped, workflow.StateStoppedCleanedUp},
			Topic: []string{"TIMED_OUT (cleanup EXPORTED_AND_DELETED)"}},
		{Kind: kindCleanup, Path: "aborted: results exported, file system deleted", Status: "SUCCEEDED",
			States: []string{workflow.StateExportStopped, workflow.StateDeleteStopped, workflow.StateNotifyStopped}, Topic: []string{"ABORTED (cleanup EXPORTED_AND_DELETED)"},
			input: func(in map[string]any) { in["status"] = "ABORTED" }},
		{Kind: kindCleanup, Path: "no file system left", Status: "SUCCEEDED",
			States: []string{workflow.StateFindFileSystem, workflow.StateHasFileSystem, workflow.StateNoFileSystem, workflow.StateNotifyStopped}, Not: []string{workflow.StateDeleteStopped},
			Topic: []string{"TIMED_OUT (cleanup NO_FILE_SYSTEM)"}, mocks: fail(workflow.StateFindFileSystem, sfnlocal.GetResources(nil))},
		{Kind: kindCleanup, Path: "file system gone before it is described", Status: "SUCCEEDED",
			States: []string{workflow.StateDescribeStopped, workflow.StateNoFileSystem, workflow.StateNotifyStopped}, Not: []string{workflow.StateDeleteStopped},
			Topic: []string{"TIMED_OUT (cleanup NO_FILE_SYSTEM)"}, mocks: fail(workflow.StateDescribeStopped, sfnlocal.FileSystemNotFound(fsID))},
		{Kind: kindCleanup, Path: "file system still CREATING: deleted without export", Status: "SUCCEEDED",
			States: []string{workflow.StateCheckStopped, workflow.StateDeleteStopped, workflow.StateStoppedDeleted, workflow.StateNotifyStopped}, Not: []string{workflow.StateExportStopped},
			Topic: []string{"TIMED_OUT (cleanup EXPORTED_AND_DELETED)"},
			mocks: both(fail(workflow.StateDescribeStopped, sfnlocal.DescribeFileSystems(fsID, "CREATING")), fail(workflow.StateDeleteStopped, fsxBadRequest, sfnlocal.DeleteFileSystem(fsID)))},
		{Kind: kindCleanup, Path: "file system already DELETING", Status: "SUCCEEDED",
			States: []string{workflow.StateCheckStopped, "Describe" + workflow.PollStoppedDeletion, workflow.StateStoppedDeleted, workflow.StateNotifyStopped}, Not: []string{workflow.StateExportStopped, workflow.StateDeleteStopped},
			Topic: []string{"TIMED_OUT (cleanup EXPORTED_AND_DELETED)"}, mocks: fail(workflow.StateDescribeStopped, sfnlocal.DescribeFileSystems(fsID, "DELETING"))},
		{Kind: kindCleanup, Path: "export fails to start: file system kept", Status: "FAILED", Error: "FSx.BadRequestException",
			States: []string{workflow.StateExportStopped, workflow.StateNotifyStoppedFailed, workflow.StateStoppedCleanupFail}, Not: []string{workflow.StateDeleteStopped},
			Topic: []string{"TIMED_OUT (cleanup FILE_SYSTEM_NOT_DELETED)"}, mocks: fail(workflow.StateExportStopped, sfnlocal.Fail("FSx.BadRequestException", "No data repository association at /results"))},
		{Kind: kindCleanup, Path: "export FAILED: file system kept", Status: "FAILED", Error: workflow.PollStoppedExport + "Failed",
			States: []string{workflow.StateExportStopped, workflow.PollStoppedExport + "Failed", workflow.StateNotifyStoppedFailed, workflow.StateStoppedCleanupFail}, Not: []string{workflow.StateDeleteStopped},
			Topic: []string{"TIMED_OUT (cleanup FILE_SYSTEM_NOT_DELETED)"}, mocks: fail("Describe"+workflow.PollStoppedExport, sfnlocal.DescribeDataRepositoryTasks(task, fsID, "FAILED"))},
		{Kind: kindCleanup, Path: "export never finishes: file system kept", Status: "FAILED", Error: workflow.PollStoppedExport + "Failed",
			States: []string{workflow.StateExportStopped, workflow.PollStoppedExport + "Failed", workflow.StateNotifyStoppedFailed}, Not: []string{workflow.StateDeleteStopped},
			Topic: []string{"TIMED_OUT (cleanup FILE_SYSTEM_NOT_DELETED)"}, mocks: fail("Describe"+workflow.PollStoppedExport, sfnlocal.DescribeDataRepositoryTasks(task, fsID, "EXECUTING"))},
		{Kind: kindCleanup, Path: "deletion fails", Status: "FAILED", Error: "FSx.ServiceLimitExceededException",
			States: []string{workflow.StateDeleteStopped, workflow.StateNotifyStoppedFailed, workflow.StateStoppedCleanupFail},
			Topic:  []string{"TIMED_OUT (cleanup FILE_SYSTEM_NOT_DELETED)"}, mocks: fail(workflow.StateDeleteStopped, fsxLimit)},
		{Kind: kindCleanup, Path: "deletion never finishes", Status: "FAILED", Error: workflow.PollStoppedDeletion + "Failed",
			States: []string{workflow.StateDeleteStopped, workflow.PollStoppedDeletion + "Failed", workflow.StateNotifyStoppedFailed},
			Topic:  []string{"TIMED_OUT (cleanup FILE_SYSTEM_NOT_DELETED)"}, mocks: fail("Describe"+workflow.PollStoppedDeletion, sfnlocal.DescribeFileSystems(fsID, "DELETING"))},
		{Kind: kindCleanup, Path: "lookup fails", Status: "FAILED", Error: "ResourceGroupsTaggingApi.AccessDeniedException",
			States: []string{workflow.StateFindFileSystem, workflow.StateNotifyStoppedFailed, workflow.StateStoppedCleanupFail}, Not: []string{workflow.StateDescribeStopped},
			Topic: []string{"TIMED_OUT (cleanup FILE_SYSTEM_NOT_DELETED)"}, mocks: fail(workflow.StateFindFileSystem, sfnlocal.Fail("ResourceGroupsTaggingApi.AccessDeniedException", "not authorized to perform: tag:GetResources"))},
	}, gluelessSpecs()...)
}

// stepFailsFirst fails the workflow's first step.
func stepFailsFirst(m mocks, _ string) {
	m["Run<first>"] = forever(sfnlocal.BatchJobFailed("biolake-first", 1))
}

// machine is one synthesized state machine to execute.
type machine struct {
	id, kind, workflow string
	steps              []string
	restore            bool
}

// instance is one scenario of one spec on one machine.
type instance struct {
	spec    spec
	machine machine
	step    string
}

// substitute replaces the step placeholders of s.
func (in instance) substitute(s string) string {
	st := in.machine.steps
	if len(st) == 0 {
		return s
	}
	return strings.NewReplacer("<step>", in.step, "<first>", st[0], "<last>", st[len(st)-1]).Replace(s)
}

// scenario builds the sfnlocal scenario.
func (in instance) scenario(stateMachineARN string) sfnlocal.Scenario {
	m := successMocks(in.machine.kind, in.machine.steps, stateMachineARN)
	if in.spec.mocks != nil {
		changed := mocks{}
		in.spec.mocks(changed, in.step)
		for k, v := range changed {
			m[in.substitute(k)] = v
		}
	}
	var input map[string]any
	switch in.machine.kind {
	case kindVerify:
		input = map[string]any{"schemaVersion": events.SchemaVersion, "runId": runID, "channel": "datasync", "bucket": "raw-bucket", "prefix": "runs/novaseqx/" + runID + "/", "objectCount": 80}
	case kindCleanup:
		input = statusChange("TIMED_OUT")
	default:
		input = runIngested()
	}
	if in.spec.input != nil {
		in.spec.input(input)
	}
	name := in.machine.kind + ": " + in.substitute(in.spec.Path)
	return sfnlocal.Scenario{
		Name: name, Machine: in.machine.id, Input: input, Mocks: m,
		Context: map[string]any{
			"Execution":    map[string]any{"Id": executionARN, "Name": hash(runID), "StartTime": "2026-12-01T12:00:00Z"},
			"State":        map[string]any{"EnteredTime": "2026-12-01T12:00:00Z", "Name": "any", "RetryCount": 0},
			"StateMachine": map[string]any{"Id": stateMachineARN, "Name": in.machine.id},
			"Task":         map[string]any{"Token": "AQCEAAAAKgAAAAMAAAAAAAAAAeW0"},
		},
	}
}

// TestStateMachinesExecute executes every state machine of every
// environment on every documented path (specs, the table in
// docs/WORKFLOWS.md) with aws-local-stepfunctions: one node process per
// environment runs all its scenarios.
func TestStateMachinesExecute(t *testing.T) {
	tools, err := sfnlocal.Find("..")
	if errors.Is(err, sfnlocal.ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	s := synthAll(t)
	all := specs()
	ran := map[string]int{} // by spec key
	total, machines := 0, 0
	start := time.Now()
	type job struct {
		env       string
		defs      map[string]string
		instances []instance
		scenarios []sfnlocal.Scenario
		out       []sfnlocal.Outcome
		err       error
	}
	var jobs []*job
	for _, env := range s.Envs {
		cfg := environment(t, env)
		j := &job{env: env, defs: map[string]string{}}
		jobs = append(jobs, j)
		for _, st := range s.Stacks[env] {
			d, err := st.StateMachineDefinitions()
			if err != nil {
				t.Fatal(err)
			}
			for id, asl := range d {
				kind, name := machineKind(asl)
				if kind == "" {
					if !providerWaiter.MatchString(asl) {
						t.Errorf("%s %s: a state machine of unknown kind; give it a spec in specs()", st.Name, id)
					}
					continue
				}
				m := machine{id: st.Name + "/" + id, kind: kind, workflow: name}
				if kind == kindWorkflow || kind == kindCleanup {
					w := workflowConfig(t, cfg, name)
					m.restore = !w.SkipRestore
					for _, step := range w.Steps {
						m.steps = append(m.steps, step.Name)
					}
					if kind == kindWorkflow && cfg.Compute.Lustre.Mode == config.LustrePerRun {
						m.kind = kindLustre
					}
				}
				j.defs[m.id] = asl
				machines++
				for _, sp := range all {
					if sp.Kind != m.kind || sp.restore && !m.restore {
						continue
					}
					if strings.Contains(sp.Path, "<step>") {
						for _, step := range m.steps {
							j.instances = append(j.instances, instance{spec: sp, machine: m, step: step})
						}
						continue
					}
					j.instances = append(j.instances, instance{spec: sp, machine: m})
				}
			}
		}
		for _, in := range j.instances {
			j.scenarios = append(j.scenarios, in.scenario("arn:aws:states:us-east-1:123456789012:stateMachine:"+strings.ReplaceAll(in.machine.id, "/", "-")))
		}
	}
	// The workflows without the event glue, from a test app of their own.
	gm, gdefs := gluelessMachines(t)
	gj := &job{env: "glue-less test app", defs: gdefs}
	jobs = append(jobs, gj)
	for _, m := range gm {
		machines++
		for _, sp := range all {
			if sp.Kind != m.kind || sp.restore {
				continue
			}
			if strings.Contains(sp.Path, "<step>") {
				for _, step := range m.steps {
					gj.instances = append(gj.instances, instance{spec: sp, machine: m, step: step})
				}
				continue
			}
			gj.instances = append(gj.instances, instance{spec: sp, machine: m})
		}
	}
	for _, in := range gj.instances {
		gj.scenarios = append(gj.scenarios, in.scenario("arn:aws:states:us-east-1:123456789012:stateMachine:"+strings.ReplaceAll(in.machine.id, "/", "-")))
	}
	// One node process per environment, all at once.
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j.out, j.err = tools.Run(context.Background(), j.defs, j.scenarios)
		}()
	}
	wg.Wait()
	for _, j := range jobs {
		if j.err != nil {
			t.Fatalf("%s: %v", j.env, j.err)
		}
		for i, o := range j.out {
			in := j.instances[i]
			check(t, j.env+" "+in.machine.id+" "+o.Name, in, o)
			ran[in.spec.Kind+"|"+in.spec.Path]++
		}
		total += len(j.out)
	}
	for _, sp := range all {
		if ran[sp.Kind+"|"+sp.Path] == 0 {
			t.Errorf("%s %q ran in no environment: no synthesized state machine of that kind", sp.Kind, sp.Path)
		}
	}
	summary := fmt.Sprintf("state machines executed: %d scenarios (%d documented paths) on %d state machines of %s in %s",
		total, len(all), machines, strings.Join(append(slices.Clone(s.Envs), "a glue-less test app"), ", "), time.Since(start).Round(100*time.Millisecond))
	t.Log(summary)
	if f := os.Getenv("BIOLAKE_SFN_SUMMARY"); f != "" {
		if err := os.WriteFile(f, []byte(summary+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// workflowConfig returns workflow name of cfg.
func workflowConfig(t *testing.T, cfg *config.Environment, name string) config.Workflow {
	t.Helper()
	for _, w := range cfg.Compute.Workflows {
		if w.Name == name {
			return w
		}
	}
	t.Fatalf("%s: no workflow %q in the config", cfg.Name, name)
	return config.Workflow{}
}

// check compares an outcome with its spec.
func check(t *testing.T, name string, in instance, o sfnlocal.Outcome) {
	t.Helper()
	sp := in.spec
	if o.Status != sp.Status || sp.Status == "FAILED" && o.Error != sp.Error {
		t.Errorf("%s: %s %s (%s), want %s %s\nstates %v", name, o.Status, o.Error, o.Cause, sp.Status, sp.Error, o.States)
		return
	}
	// The states, in order.
	i := 0
	for _, st := range o.States {
		if i < len(sp.States) && st == in.substitute(sp.States[i]) {
			i++
		}
	}
	if i < len(sp.States) {
		t.Errorf("%s: state %s not visited in order\nstates %v", name, in.substitute(sp.States[i]), o.States)
	}
	for _, st := range sp.Not {
		if o.Visited(in.substitute(st)) {
			t.Errorf("%s: visits %s\nstates %v", name, in.substitute(st), o.States)
		}
	}
	topic, bus := messages(t, name, o)
	if !slices.Equal(topic, sp.Topic) {
		t.Errorf("%s: topic got %q, want %q", name, topic, sp.Topic)
	}
	if !slices.Equal(bus, sp.Bus) {
		t.Errorf("%s: bus got %q, want %q", name, bus, sp.Bus)
	}
}

// messages returns what an execution published: each SNS message's
// status (and its cleanup's), each event's detail type. Every message
// must name the run and the execution; every event must match its schema.
func messages(t *testing.T, name string, o sfnlocal.Outcome) (topic, bus []string) {
	t.Helper()
	for _, c := range o.Calls {
		if c.Failed {
			continue // the call raised an error: nothing was published
		}
		var in struct {
			TopicArn string
			Message  json.RawMessage
			Entries  []struct {
				DetailType, Source, EventBusName string
				Detail                           json.RawMessage
			}
		}
		if json.Unmarshal(c.Input, &in) != nil {
			continue
		}
		if in.TopicArn != "" {
			var m map[string]any
			if err := json.Unmarshal(in.Message, &m); err != nil {
				t.Errorf("%s: %s published %s, not a JSON object", name, c.State, in.Message)
				continue
			}
			if m["runId"] != runID || m["executionId"] != executionARN || m["workflow"] == nil {
				t.Errorf("%s: %s published %v without the run, execution and workflow", name, c.State, m)
			}
			s, _ := m["status"].(string)
			switch cl := m["cleanup"].(type) {
			case string:
				s += " (cleanup " + cl + ")"
			case map[string]any:
				s += fmt.Sprintf(" (cleanup %v)", cl["status"])
			}
			topic = append(topic, s)
		}
		for _, e := range in.Entries {
			var detail events.WorkflowSucceeded
			if err := json.Unmarshal(e.Detail, &detail); err != nil || detail.RunID != runID || detail.ExecutionID != executionARN || e.Source != events.SourceWorkflow || e.EventBusName == "" {
				t.Errorf("%s: %s put %s %s on %q", name, c.State, e.DetailType, e.Detail, e.EventBusName)
			}
			bus = append(bus, e.DetailType)
		}
	}
	return topic, bus
}

// Markers of the scenario table in docs/WORKFLOWS.md.
const (
	tableStart = "<!-- state-machine scenarios: rewritten by go test ./test -run TestScenarioTable -update -->"
	tableEnd   = "<!-- end of state-machine scenarios -->"
)

// row renders a spec as a line of the table.
func (sp spec) row() string {
	status := sp.Status
	if sp.Error != "" {
		status += " `" + sp.Error + "`"
	}
	list := func(v []string) string {
		if len(v) == 0 {
			return "—"
		}
		return strings.Join(v, ", ")
	}
	states := list(sp.States)
	if len(sp.Not) > 0 {
		states += "; not " + strings.Join(sp.Not, ", ")
	}
	return "| " + strings.Join([]string{sp.Kind, sp.Path, status, states, list(sp.Topic), list(sp.Bus)}, " | ") + " |"
}

// TestScenarioTable holds docs/WORKFLOWS.md's table of state-machine
// scenarios to specs(): a row missing from either side, or differing,
// fails (-update rewrites the table).
func TestScenarioTable(t *testing.T) {
	const doc = "../docs/WORKFLOWS.md"
	raw, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	i, j := strings.Index(text, tableStart), strings.Index(text, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q around the scenario table", doc, tableStart, tableEnd)
	}
	var want []string
	for _, sp := range specs() {
		want = append(want, sp.row())
	}
	if *update {
		table := "| Machine | Path | Final status | States (in this order, others between) | Topic | Bus |\n|---|---|---|---|---|---|\n" + strings.Join(want, "\n") + "\n"
		text = text[:i+len(tableStart)] + "\n" + table + text[j:]
		if err := os.WriteFile(doc, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var got []string
	for _, line := range strings.Split(text[i+len(tableStart):j], "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| Machine |") {
			got = append(got, strings.TrimSpace(line))
		}
	}
	key := func(row string) string {
		cells := strings.Split(row, " | ")
		if len(cells) < 2 {
			return row
		}
		return cells[0] + " | " + cells[1]
	}
	docRows := map[string]string{}
	for _, g := range got {
		docRows[key(g)] = g
	}
	testRows := map[string]bool{}
	for _, w := range want {
		testRows[key(w)] = true
		switch d, ok := docRows[key(w)]; {
		case !ok:
			t.Errorf("%s lacks the scenario %s", doc, key(w))
		case d != w:
			t.Errorf("%s: scenario %s\n doc:  %s\n test: %s", doc, key(w), d, w)
		}
	}
	for _, g := range got {
		if !testRows[key(g)] {
			t.Errorf("%s documents the scenario %s, which no test runs", doc, key(g))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, %d scenarios", doc, len(got), len(want))
	}
}

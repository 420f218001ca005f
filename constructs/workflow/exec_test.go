package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/workflow"
	"github.com/biolake/biolake/internal/sfnlocal"
)

// execute runs scenarios against the state machine whose logical id starts
// with prefix + "StateMachine" (or prefix + "Starter", or prefix +
// "Cleanup"), with aws-local-stepfunctions.
func execute(t *testing.T, prefix string, scenarios ...sfnlocal.Scenario) []sfnlocal.Outcome {
	t.Helper()
	tools, err := sfnlocal.Find(".")
	if errors.Is(err, sfnlocal.ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(prefix, "Starter") && !strings.HasSuffix(prefix, "Cleanup") {
		prefix += "StateMachine"
	}
	defs := map[string]string{}
	for id, asl := range definitions(t) {
		if strings.HasPrefix(id, prefix) {
			defs[prefix] = asl
		}
	}
	if len(defs) == 0 {
		t.Fatalf("no state machine %s", prefix)
	}
	for i := range scenarios {
		scenarios[i].Machine = prefix
		if scenarios[i].Context == nil {
			scenarios[i].Context = execContext()
		}
	}
	out, err := tools.Run(context.Background(), defs, scenarios)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const (
	execID = "arn:aws:states:us-east-1:123456789012:execution:WgsStateMachine:0123456789abcdef0123456789abcdef"
	fsID   = "fs-0123456789abcdef0"
)

func execContext() map[string]any {
	return map[string]any{
		"Execution": map[string]any{"Id": execID, "Name": "0123456789abcdef0123456789abcdef", "StartTime": "2026-12-01T12:00:00Z"},
		"State":     map[string]any{"EnteredTime": "2026-12-01T12:00:00Z", "Name": "any"},
		"Task":      map[string]any{"Token": "AQCEAAAAKgAAAA"},
	}
}

func runIngested() map[string]any {
	return map[string]any{
		"schemaVersion": "1", "runId": "20261101_LH00123_0042_A22ABCDEF", "channel": "datasync", "bucket": "raw-bucket",
		"prefix": "runs/novaseqx/20261101_LH00123_0042_A22ABCDEF/", "profile": "novaseq-x", "objectCount": 1234,
		"totalBytes": 1000000, "verifiedAt": "2026-11-01T12:00:00Z",
	}
}

// wgsRun answers every task of the per-run Lustre workflow "wgs" as on a
// successful run of two samples.
func wgsRun() map[string][]sfnlocal.Answer {
	return map[string][]sfnlocal.Answer{
		workflow.StateRestore:                {sfnlocal.Result(map[string]any{"runId": "20261101_LH00123_0042_A22ABCDEF", "restored": 0})},
		workflow.StateListSamples:            {sfnlocal.LambdaInvoke(map[string]any{"samples": []string{"S1", "S2"}, "source": "SampleSheet.csv"})},
		workflow.StateCreateFileSystem:       {sfnlocal.CreateFileSystem(fsID)},
		"DescribeRunFileSystem":              {sfnlocal.DescribeFileSystems(fsID, "CREATING"), sfnlocal.DescribeFileSystems(fsID, "AVAILABLE")},
		workflow.StateLinkInputs:             {sfnlocal.CreateDataRepositoryAssociation("dra-0123456789abcdef1", fsID, "/raw")},
		workflow.StateLinkResults:            {sfnlocal.CreateDataRepositoryAssociation("dra-0123456789abcdef2", fsID, "/results")},
		"DescribeRunLinks":                   {sfnlocal.DescribeDataRepositoryAssociations(fsID, []string{"dra-0123456789abcdef1", "dra-0123456789abcdef2"}, []string{"AVAILABLE", "AVAILABLE"})},
		"RunAlign":                           {sfnlocal.BatchJob("biolake-wgs-Align")},
		"RunCall":                            {sfnlocal.BatchJob("biolake-wgs-Call")},
		workflow.StateExport:                 {sfnlocal.CreateDataRepositoryTask("task-0123456789abcdef0", fsID)},
		"DescribeExport":                     {sfnlocal.DescribeDataRepositoryTasks("task-0123456789abcdef0", fsID, "EXECUTING"), sfnlocal.DescribeDataRepositoryTasks("task-0123456789abcdef0", fsID, "SUCCEEDED")},
		workflow.StateRecordResults:          {sfnlocal.DynamoPutItem()},
		workflow.StateCatalog:                {sfnlocal.PutEvents()},
		workflow.StateDelete:                 {sfnlocal.DeleteFileSystem(fsID)},
		"DescribeDeletion":                   {sfnlocal.DescribeFileSystems(fsID, "DELETING"), sfnlocal.FileSystemNotFound(fsID)},
		workflow.StateNotify:                 {sfnlocal.SNSPublish()},
		workflow.StateNotifyFailed:           {sfnlocal.SNSPublish()},
		workflow.StateNotifyCleanup:          {sfnlocal.SNSPublish()},
		workflow.StateNotifyFailedNotDeleted: {sfnlocal.SNSPublish()},
	}
}

// messages returns the SNS messages the execution published, by state.
func messages(t *testing.T, o sfnlocal.Outcome) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, c := range o.Calls {
		var in struct {
			TopicArn string
			Message  json.RawMessage
		}
		if json.Unmarshal(c.Input, &in) != nil || in.TopicArn == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(in.Message, &m); err != nil {
			t.Fatalf("%s: message %s is not a JSON object", c.State, in.Message)
		}
		out[c.State] = m
	}
	return out
}

// TestStepAndCleanupFailBoth: when a step fails and the file system then
// cannot be deleted, the topic hears of both failures and the execution
// fails with the step's error; a successful run whose file system cannot
// be deleted stays distinguishable.
func TestStepAndCleanupFailBoth(t *testing.T) {
	stepFails := wgsRun()
	stepFails["RunCall"] = []sfnlocal.Answer{sfnlocal.BatchJobFailed("biolake-wgs-Call", 137)}
	stepFails[workflow.StateDelete] = []sfnlocal.Answer{sfnlocal.Fail("FSx.ServiceLimitExceededException", "Account limit reached")}
	deleteFails := wgsRun()
	deleteFails[workflow.StateDelete] = stepFails[workflow.StateDelete]
	out := execute(t, "Wgs",
		sfnlocal.Scenario{Name: "step and deletion fail", Input: runIngested(), Mocks: stepFails},
		sfnlocal.Scenario{Name: "deletion fails after success", Input: runIngested(), Mocks: deleteFails},
	)

	both := out[0]
	if both.Status != "FAILED" || both.Error != "States.TaskFailed" {
		t.Errorf("step and deletion fail: %s %s, want FAILED States.TaskFailed (the step's error)", both.Status, both.Error)
	}
	msgs := messages(t, both)
	m, ok := msgs[workflow.StateNotifyFailedNotDeleted]
	if !ok || len(msgs) != 1 {
		t.Fatalf("step and deletion fail: messages %v, want one from %s", msgs, workflow.StateNotifyFailedNotDeleted)
	}
	cleanup, _ := m["cleanup"].(map[string]any)
	if m["status"] != "FAILED" || m["error"] != "States.TaskFailed" || !strings.Contains(m["cause"].(string), "biolake-wgs-Call") ||
		cleanup["status"] != "FILE_SYSTEM_NOT_DELETED" || cleanup["error"] != "FSx.ServiceLimitExceededException" || cleanup["fileSystemId"] != fsID {
		t.Errorf("step and deletion fail: message %v lacks one of the failures", m)
	}

	ok2 := out[1]
	if ok2.Status != "FAILED" || ok2.Error != "FSx.ServiceLimitExceededException" || !ok2.Visited(workflow.StateCleanupFailed) {
		t.Errorf("deletion fails after success: %s %s, want FAILED in %s", ok2.Status, ok2.Error, workflow.StateCleanupFailed)
	}
	msgs = messages(t, ok2)
	if m := msgs[workflow.StateNotifyCleanup]; len(msgs) != 1 || m["status"] != "FILE_SYSTEM_NOT_DELETED" || m["runStatus"] != "SUCCEEDED" {
		t.Errorf("deletion fails after success: messages %v, want one FILE_SYSTEM_NOT_DELETED with runStatus SUCCEEDED", msgs)
	}
}

// statusChange is the detail of a Step Functions Execution Status Change
// event of the wgs workflow's execution.
func statusChange(status string) map[string]any {
	input, _ := json.Marshal(runIngested())
	return map[string]any{
		"executionArn": execID, "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:WgsStateMachine",
		"name": "0123456789abcdef0123456789abcdef", "status": status, "startDate": 1764590400000, "stopDate": 1765022400000,
		"input": string(input), "inputDetails": map[string]any{"included": true}, "output": nil, "outputDetails": nil,
	}
}

// TestStoppedRunCleanup: an execution that timed out or was aborted leaves
// no file system running and loses no results.
func TestStoppedRunCleanup(t *testing.T) {
	found := func() map[string][]sfnlocal.Answer {
		return map[string][]sfnlocal.Answer{
			workflow.StateFindFileSystem:              {sfnlocal.GetResources(map[string]string{"biolake:execution": execID}, sfnlocal.FileSystemARN(fsID))},
			workflow.StateDescribeStopped:             {sfnlocal.DescribeFileSystems(fsID, "AVAILABLE")},
			workflow.StateExportStopped:               {sfnlocal.CreateDataRepositoryTask("task-0123456789abcdef9", fsID)},
			"Describe" + workflow.PollStoppedExport:   {sfnlocal.DescribeDataRepositoryTasks("task-0123456789abcdef9", fsID, "EXECUTING"), sfnlocal.DescribeDataRepositoryTasks("task-0123456789abcdef9", fsID, "SUCCEEDED")},
			workflow.StateDeleteStopped:               {sfnlocal.DeleteFileSystem(fsID)},
			"Describe" + workflow.PollStoppedDeletion: {sfnlocal.DescribeFileSystems(fsID, "DELETING"), sfnlocal.FileSystemNotFound(fsID)},
			workflow.StateNotifyStopped:               {sfnlocal.SNSPublish()},
			workflow.StateNotifyStoppedFailed:         {sfnlocal.SNSPublish()},
		}
	}
	exportFails := found()
	exportFails["Describe"+workflow.PollStoppedExport] = []sfnlocal.Answer{sfnlocal.DescribeDataRepositoryTasks("task-0123456789abcdef9", fsID, "FAILED")}
	none := found()
	none[workflow.StateFindFileSystem] = []sfnlocal.Answer{sfnlocal.GetResources(nil)}
	out := execute(t, "WgsCleanup",
		sfnlocal.Scenario{Name: "timed out", Input: statusChange("TIMED_OUT"), Mocks: found()},
		sfnlocal.Scenario{Name: "export fails", Input: statusChange("ABORTED"), Mocks: exportFails},
		sfnlocal.Scenario{Name: "no file system", Input: statusChange("ABORTED"), Mocks: none},
	)
	if o := out[0]; o.Status != "SUCCEEDED" || !o.Visited(workflow.StateExportStopped) || !o.Visited(workflow.StateStoppedDeleted) {
		t.Errorf("timed out: %s, states %v", o.Status, o.States)
	} else if m := messages(t, o)[workflow.StateNotifyStopped]; m["status"] != "TIMED_OUT" || m["cleanup"] != "EXPORTED_AND_DELETED" || m["fileSystemId"] != fsID ||
		m["runId"] != "20261101_LH00123_0042_A22ABCDEF" || !strings.HasSuffix(m["exportedTo"].(string), "/lustre/20261101_LH00123_0042_A22ABCDEF/") {
		t.Errorf("timed out: message %v", m)
	}
	if in := out[0].Inputs(workflow.StateFindFileSystem); len(in) != 1 || js(in[0]["TagFilters"]) != `[{"Key":"biolake:execution","Values":["`+execID+`"]}]` {
		t.Errorf("timed out: the lookup asked %v", in)
	}
	if o := out[1]; o.Status != "FAILED" || o.Visited(workflow.StateDeleteStopped) {
		t.Errorf("export fails: %s, states %v: the file system must be kept", o.Status, o.States)
	} else if m := messages(t, o)[workflow.StateNotifyStoppedFailed]; m["cleanup"] != "FILE_SYSTEM_NOT_DELETED" || m["status"] != "ABORTED" || m["error"] != workflow.PollStoppedExport+"Failed" {
		t.Errorf("export fails: message %v", m)
	}
	if o := out[2]; o.Status != "SUCCEEDED" || o.Visited(workflow.StateDeleteStopped) {
		t.Errorf("no file system: %s, states %v", o.Status, o.States)
	} else if m := messages(t, o)[workflow.StateNotifyStopped]; m["cleanup"] != "NO_FILE_SYSTEM" || m["fileSystemId"] != "none" {
		t.Errorf("no file system: message %v", m)
	}
}

// TestTooManySamples: a run with more samples than MaxSamples fails
// before any compute starts, so the timeout checked at synth holds.
func TestTooManySamples(t *testing.T) {
	mocks := wgsRun()
	var samples []string
	for i := 0; i <= workflow.DefaultMaxSamples; i++ {
		samples = append(samples, "S"+strings.Repeat("1", 1+i%3)+string(rune('A'+i%26)))
	}
	mocks[workflow.StateListSamples] = []sfnlocal.Answer{sfnlocal.LambdaInvoke(map[string]any{"samples": samples, "source": "SampleSheet.csv"})}
	o := execute(t, "Wgs", sfnlocal.Scenario{Name: "too many samples", Input: runIngested(), Mocks: mocks})[0]
	if o.Status != "FAILED" || o.Error != workflow.ErrTooManySamples || o.Visited(workflow.StateCreateFileSystem) || o.Visited(workflow.StateMap) {
		t.Errorf("too many samples: %s %s, states %v", o.Status, o.Error, o.States)
	}
	if m := messages(t, o)[workflow.StateNotifyFailed]; m["error"] != workflow.ErrTooManySamples || !strings.Contains(m["cause"].(string), "lists 97 samples") {
		t.Errorf("too many samples: message %v", m)
	}
}

// TestCleanupWiring: the cleanup starts on the wgs execution's TIMED_OUT
// and ABORTED status changes on the default bus, and its role may export
// and delete only file systems the workflow created.
func TestCleanupWiring(t *testing.T) {
	rules, policies := 0, 0
	for id, r := range load(t).Resources {
		switch {
		case r.Type == "AWS::Events::Rule" && strings.HasPrefix(id, "WgsCleanupStoppedRule"):
			rules++
			p := js(r.Properties["EventPattern"])
			if r.Properties["EventBusName"] != nil || !strings.Contains(p, `"source":["aws.states"]`) || !strings.Contains(p, `"detail-type":["Step Functions Execution Status Change"]`) ||
				!strings.Contains(p, `"status":["TIMED_OUT","ABORTED"]`) || !strings.Contains(p, `"stateMachineArn":[{"Ref":"WgsStateMachine`) {
				t.Errorf("cleanup rule %s", js(r.Properties))
			}
			if tg := js(r.Properties["Targets"]); !strings.Contains(tg, `"InputPath":"$.detail"`) || !strings.Contains(tg, "WgsCleanupStateMachine") || !strings.Contains(tg, "DeadLetterConfig") {
				t.Errorf("cleanup target %s", tg)
			}
		case r.Type == "AWS::IAM::Policy" && strings.HasPrefix(id, "WgsCleanupStateMachineRole"):
			policies++
			doc := js(r.Properties["PolicyDocument"])
			for _, w := range []string{`"tag:GetResources"`, `"aws:ResourceTag/biolake:managed-by":"workflow"`, `"aws:RequestTag/biolake:managed-by":"workflow"`, `"fsx:DeleteFileSystem"`} {
				if !strings.Contains(doc, w) {
					t.Errorf("cleanup policy lacks %s: %s", w, doc)
				}
			}
			for _, no := range []string{"fsx:CreateFileSystem", "fsx:CreateDataRepositoryAssociation", "s3:", "batch:"} {
				if strings.Contains(doc, no) {
					t.Errorf("cleanup policy allows %s: %s", no, doc)
				}
			}
		}
	}
	if rules != 1 || policies != 1 {
		t.Errorf("%d cleanup rules and %d cleanup policies, want 1 and 1", rules, policies)
	}
}

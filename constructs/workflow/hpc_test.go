package workflow_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/workflow"
)

// checkTasks fails the test for every Task state (in Map item processors
// too) without Retry or Catch, and returns how many there are.
func checkTasks(t *testing.T, states map[string]any) int {
	t.Helper()
	n := 0
	for name, s := range states {
		s := s.(map[string]any)
		if s["Type"] == "Task" {
			n++
			if s["Retry"] == nil || s["Catch"] == nil {
				t.Errorf("task %s without Retry or Catch", name)
			}
		}
		if ip, ok := s["ItemProcessor"].(map[string]any); ok {
			n += checkTasks(t, ip["States"].(map[string]any))
		}
	}
	return n
}

// successors are the states a state may go to: Next, a Choice's choices
// and Default, and its catchers.
func successors(s map[string]any) []string {
	var out []string
	for _, k := range []string{"Next", "Default"} {
		if n, ok := s[k].(string); ok {
			out = append(out, n)
		}
	}
	for _, k := range []string{"Choices", "Catch"} {
		list, _ := s[k].([]any)
		for _, c := range list {
			if n, ok := c.(map[string]any)["Next"].(string); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

// reaches reports whether target is reachable from the state from,
// without passing through avoid ("" avoids nothing).
func reaches(states map[string]any, from, target, avoid string) bool {
	seen := map[string]bool{}
	queue := []string{from}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if name == target {
			return true
		}
		if seen[name] || name == avoid {
			continue
		}
		seen[name] = true
		if s, ok := states[name].(map[string]any); ok {
			queue = append(queue, successors(s)...)
		}
	}
	return false
}

// catcher returns where s's Catch for error goes.
func catcher(t *testing.T, s map[string]any, error string) string {
	t.Helper()
	for _, c := range s["Catch"].([]any) {
		c := c.(map[string]any)
		if slices.Contains(c["ErrorEquals"].([]any), any(error)) {
			return c["Next"].(string)
		}
	}
	t.Fatalf("no catcher for %s in %s", error, js(s["Catch"]))
	return ""
}

func TestStarter(t *testing.T) {
	sm := machine(t, "RnaSeqStarter")
	states := sm["States"].(map[string]any)
	if sm["StartAt"] != workflow.StateStart {
		t.Fatalf("Starter starts at %v", sm["StartAt"])
	}
	start := states[workflow.StateStart].(map[string]any)
	if start["Resource"] != "arn:aws:states:::aws-sdk:sfn:startExecution" {
		t.Errorf("start resource %v", start["Resource"])
	}
	params := start["Parameters"].(map[string]any)
	if params["Name.$"] != "States.Hash($.runId, 'MD5')" || params["Input.$"] != "States.JsonToString($)" ||
		!strings.HasPrefix(js(params["StateMachineArn"]), `"ref-RnaSeqStateMachine`) {
		t.Errorf("start parameters %s", js(params))
	}
	if r := js(start["Retry"]); !strings.Contains(r, "Sfn.SfnException") || strings.Contains(r, "States.ALL") {
		t.Errorf("start retry %s", r)
	}
	// The first catcher takes the duplicate to a Succeed state; anything
	// else fails.
	catches := start["Catch"].([]any)
	if first := js(catches[0]); first != `{"ErrorEquals":["Sfn.ExecutionAlreadyExistsException"],"Next":"AlreadyStarted","ResultPath":"$.duplicate"}` {
		t.Errorf("first catcher %s", first)
	}
	if states[workflow.StateAlreadyStarted].(map[string]any)["Type"] != "Succeed" {
		t.Errorf("AlreadyStarted %s", js(states[workflow.StateAlreadyStarted]))
	}
	if next := catcher(t, start, "States.ALL"); next != workflow.StateStartFailed || states[next].(map[string]any)["Type"] != "Fail" {
		t.Errorf("other failures go to %s", next)
	}
	if next := start["Next"]; next != workflow.StateStarted || states[workflow.StateStarted].(map[string]any)["Type"] != "Succeed" {
		t.Errorf("start next %v", next)
	}

	tp := load(t)
	var roleID string
	for id, r := range tp.Resources {
		if !strings.HasPrefix(id, "RnaSeqStarter") || r.Type != "AWS::StepFunctions::StateMachine" {
			continue
		}
		if r.Properties["StateMachineType"] != "EXPRESS" || js(r.Properties["TracingConfiguration"]) != `{"Enabled":true}` {
			t.Errorf("Starter %s", js(r.Properties))
		}
		lc := js(r.Properties["LoggingConfiguration"])
		if !strings.Contains(lc, `"Level":"ALL"`) || !strings.Contains(lc, "RnaSeqStarterLogGroup") {
			t.Errorf("Starter logging %s", lc)
		}
		roleID = r.Properties["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	}
	if roleID == "" {
		t.Fatal("no Starter state machine")
	}
	// Least privilege: StartExecution on the main state machine only.
	var starts []string
	for _, r := range tp.Resources {
		if r.Type != "AWS::IAM::Policy" || !strings.Contains(js(r.Properties["Roles"]), roleID) {
			continue
		}
		for _, st := range r.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if strings.Contains(js(st["Action"]), "states:") {
				starts = append(starts, js(st))
			}
		}
	}
	if len(starts) != 1 || !strings.Contains(starts[0], `"Action":"states:StartExecution"`) || !strings.Contains(starts[0], `"Resource":{"Ref":"RnaSeqStateMachine`) {
		t.Errorf("Starter's states: statements %v", starts)
	}
	for id, r := range tp.Resources {
		if r.Type == "AWS::Logs::LogGroup" && strings.HasPrefix(id, "RnaSeqStarterLogGroup") && r.Properties["KmsKeyId"] == nil {
			t.Errorf("%s without KMS key", id)
		}
	}
}

func TestPerRunLustre(t *testing.T) {
	sm := machine(t, "Wgs")
	states := sm["States"].(map[string]any)
	state := func(name string) map[string]any {
		t.Helper()
		s, ok := states[name].(map[string]any)
		if !ok {
			t.Fatalf("no state %s", name)
		}
		return s
	}
	// The path of a successful run: Next, a Choice's first choice, and the
	// deletion poll's "not found" catcher.
	var path []string
	for name := workflow.StatePrepare; name != "" && len(path) < 100; {
		path = append(path, name)
		s := state(name)
		switch {
		case s["Type"] == "Choice" && (name == workflow.StateOutcome || name == workflow.StateCheckSamples):
			name = s["Default"].(string)
		case s["Type"] == "Choice":
			name = s["Choices"].([]any)[0].(map[string]any)["Next"].(string)
		case name == "Describe"+workflow.PollDeletion:
			name = catcher(t, s, "FSx.FileSystemNotFoundException")
		default:
			name, _ = s["Next"].(string)
		}
	}
	want := []string{
		workflow.StatePrepare, workflow.StateRestore, workflow.StateListSamples, workflow.StateCheckSamples, workflow.StateCreateFileSystem,
		"PollRunFileSystem", "WaitForRunFileSystem", "DescribeRunFileSystem", "CheckRunFileSystem",
		workflow.StateLinkInputs, workflow.StateLinkResults, "PollRunLinks", "WaitForRunLinks", "DescribeRunLinks", "CheckRunLinks",
		workflow.StateMountDelay, workflow.StateMap, workflow.StateExport, "PollExport", "WaitForExport", "DescribeExport", "CheckExport",
		workflow.StateRecordResults, workflow.StateCatalog, workflow.StateDelete, "PollDeletion", "WaitForDeletion", "DescribeDeletion",
		workflow.StateDeleted, workflow.StateOutcome, workflow.StateNotify, workflow.StateSucceeded,
	}
	if !slices.Equal(path, want) {
		t.Errorf("path of a run\n got %v\nwant %v", path, want)
	}
	if s := state(workflow.StateMountDelay); s["Type"] != "Wait" || s["Seconds"] != float64(60) {
		t.Errorf("mount delay %s", js(s))
	}

	// Every task retries and catches; the FSx tasks retry FSx's own
	// transient errors.
	if n := checkTasks(t, states); n != 19 { // restore, samples, 2 steps, record, catalog, 4 notifications, 9 FSx
		t.Errorf("%d tasks", n)
	}
	for name, s := range states {
		s := s.(map[string]any)
		if r, _ := s["Resource"].(string); strings.Contains(r, ":aws-sdk:fsx:") && !strings.Contains(js(s["Retry"]), "FSx.InternalServerErrorException") {
			t.Errorf("%s retry %s", name, js(s["Retry"]))
		}
	}

	// The file system: tagged, its token from the execution, sized.
	create := state(workflow.StateCreateFileSystem)
	params := js(create["Parameters"])
	for _, w := range []string{
		`"ClientRequestToken.$":"States.Hash($$.Execution.Id, 'MD5')"`, `"StorageCapacity":2400`, `"DeploymentType":"SCRATCH_2"`,
		`{"Key":"biolake:managed-by","Value":"workflow"}`, `{"Key":"runId","Value.$":"$.runId"}`,
		`{"Key":"project","Value.$":"$.project"}`, `{"Key":"partner","Value.$":"$.partner"}`,
	} {
		if !strings.Contains(params, w) {
			t.Errorf("create parameters %s lack %s", params, w)
		}
	}
	if create["Resource"] != "arn:aws:states:::aws-sdk:fsx:createFileSystem" {
		t.Errorf("create resource %v", create["Resource"])
	}
	// A failed create leaves nothing to delete.
	if next := catcher(t, create, "States.ALL"); next != workflow.StateNotifyFailed {
		t.Errorf("create failure goes to %s", next)
	}
	if p := js(state(workflow.StateLinkInputs)["Parameters"]); !strings.Contains(p, `"DataRepositoryPath.$":"$.inputUri"`) || !strings.Contains(p, `"FileSystemPath":"/raw"`) {
		t.Errorf("inputs link %s", p)
	}
	// The results link's URL keeps the bucket's reference (not an escaped
	// token).
	if p := state(workflow.StateLinkResults)["Parameters"].(map[string]any)["DataRepositoryPath.$"]; p != "States.Format('s3://ref-"+resultsBucket(t)+"/lustre/{}/', $.runId)" {
		t.Errorf("results link %v", p)
	}
	if p := state(workflow.StatePrepare)["Parameters"].(map[string]any)["lustreResultsUri.$"]; p != "States.Format('s3://ref-"+resultsBucket(t)+"/lustre/{}/', $.runId)" {
		t.Errorf("lustreResultsUri %v", p)
	}
	if p := js(state(workflow.StateExport)["Parameters"]); !strings.Contains(p, `"Type":"EXPORT_TO_REPOSITORY"`) || !strings.Contains(p, `"Paths":["results"]`) {
		t.Errorf("export %s", p)
	}

	// The Map's jobs find the file system at FSX_PATH.
	m := state(workflow.StateMap)
	if sel := m["ItemSelector"].(map[string]any)["fsxPath.$"]; sel != "States.Format('/fsx/{}', $.fsx.fileSystemId)" {
		t.Errorf("fsxPath %v", sel)
	}
	for name, s := range m["ItemProcessor"].(map[string]any)["States"].(map[string]any) {
		if s.(map[string]any)["Type"] == "Task" && !strings.Contains(js(s), `{"Name":"FSX_PATH","Value.$":"$.fsxPath"}`) {
			t.Errorf("%s lacks FSX_PATH: %s", name, js(s))
		}
	}

	// Every failure once the file system exists deletes it before the
	// failure is reported: from the Map's catcher, a failed or timed-out
	// export, the catalog; never reaching NotifyFailed around the deletion.
	for _, from := range []string{
		catcher(t, m, "States.ALL"),
		catcher(t, state("DescribeExport"), "States.ALL"),
		state("CheckExport")["Default"].(string),
		catcher(t, state(workflow.StateCatalog), "States.ALL"),
		catcher(t, state(workflow.StateLinkInputs), "States.ALL"),
		state("CheckRunFileSystem")["Default"].(string),
		state("CheckRunLinks")["Default"].(string),
	} {
		if !reaches(states, from, workflow.StateDelete, "") {
			t.Errorf("from %s the file system is not deleted", from)
		}
		if reaches(states, from, workflow.StateNotifyFailed, workflow.StateDelete) {
			t.Errorf("from %s NotifyFailed is reached without deleting the file system", from)
		}
		if !reaches(states, from, workflow.StateNotifyFailed, "") {
			t.Errorf("from %s the failure is not notified", from)
		}
	}
	// A failed deletion is notified and fails the execution: with the
	// run's error after a failed run (TestStepAndCleanupFailBoth executes
	// both paths).
	del := state(workflow.StateDelete)
	if next := catcher(t, del, "States.ALL"); next != workflow.StateCleanupOutcome {
		t.Errorf("delete failure goes to %s", next)
	}
	if next := state("CheckDeletion")["Default"]; next != "DeletionFailed" || state("DeletionFailed")["Next"] != workflow.StateCleanupOutcome {
		t.Errorf("deletion that does not finish goes to %v", next)
	}
	if s := js(state(workflow.StateCleanupOutcome)); !strings.Contains(s, `"Next":"`+workflow.StateNotifyFailedNotDeleted+`"`) || !strings.Contains(s, `"Default":"`+workflow.StateNotifyCleanup+`"`) {
		t.Errorf("cleanup outcome %s", s)
	}
	if state(workflow.StateNotifyFailedNotDeleted)["Next"] != workflow.StateFailed {
		t.Errorf("the combined notification %s does not end in %s", js(state(workflow.StateNotifyFailedNotDeleted)), workflow.StateFailed)
	}
	if state(workflow.StateNotifyCleanup)["Next"] != workflow.StateCleanupFailed || state(workflow.StateCleanupFailed)["Type"] != "Fail" {
		t.Errorf("cleanup notification %s", js(state(workflow.StateNotifyCleanup)))
	}
	if r := js(del["Retry"]); !strings.Contains(r, "FSx.BadRequestException") {
		t.Errorf("delete retry %s", r)
	}
	// The polls are bounded.
	for _, c := range []string{"CheckRunFileSystem", "CheckRunLinks", "CheckExport", "CheckDeletion"} {
		if got := js(state(c)["Choices"]); !strings.Contains(got, `"NumericLessThan":`) || !strings.Contains(got, `"Variable":"$.poll.count"}`) {
			t.Errorf("%s is not bounded: %s", c, got)
		}
	}

	// The role gets the Lustre construct's run policy.
	for id, r := range load(t).Resources {
		if r.Type == "AWS::IAM::Role" && strings.HasPrefix(id, "WgsStateMachineRole") && !strings.Contains(js(r.Properties["ManagedPolicyArns"]), "LustreRunPolicy") {
			t.Errorf("%s lacks the run policy: %s", id, js(r.Properties))
		}
	}
}

func TestAlarms(t *testing.T) {
	type alarm struct{ metric, ns, dim, action string }
	got := map[string][]alarm{}
	for id, r := range load(t).Resources {
		if r.Type != "AWS::CloudWatch::Alarm" {
			continue
		}
		p := r.Properties
		if p["Threshold"] != float64(1) || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["EvaluationPeriods"] != float64(1) ||
			p["TreatMissingData"] != "notBreaching" || p["Period"] != float64(300) || js(p["AlarmActions"]) != js(p["OKActions"]) {
			if strings.HasPrefix(id, "RnaSeq") || strings.HasPrefix(id, "Qc") || strings.HasPrefix(id, "Wgs") {
				t.Errorf("%s: %s", id, js(p))
			}
		}
		dims := p["Dimensions"].([]any)
		for _, prefix := range []string{"RnaSeq", "Qc", "Wgs"} {
			if strings.HasPrefix(id, prefix) {
				got[prefix] = append(got[prefix], alarm{p["MetricName"].(string), p["Namespace"].(string), js(dims), js(p["AlarmActions"])})
			}
		}
	}
	for prefix, topic := range map[string]string{"RnaSeq": "RnaSeqTopic", "Qc": "OpsTopic", "Wgs": "WgsTopic"} {
		want := map[string]string{
			"ExecutionsFailed/" + prefix + "StateMachine":                      "AWS/States",
			"ExecutionsTimedOut/" + prefix + "StateMachine":                    "AWS/States",
			"ExecutionsAborted/" + prefix + "StateMachine":                     "AWS/States",
			"ExecutionsFailed/" + prefix + "Starter":                           "AWS/States",
			"ApproximateNumberOfMessagesVisible/" + prefix + "DeadLetterQueue": "AWS/SQS",
		}
		if prefix == "Wgs" { // per-run file systems: the cleanup's alarms
			want["ExecutionsFailed/WgsCleanupStateMachine"] = "AWS/States"
			want["ExecutionsTimedOut/WgsCleanupStateMachine"] = "AWS/States"
			want["ExecutionsAborted/WgsCleanupStateMachine"] = "AWS/States"
		}
		if len(got[prefix]) != len(want) {
			t.Errorf("%s: %d alarms, want %d", prefix, len(got[prefix]), len(want))
		}
		for _, a := range got[prefix] {
			found := false
			for key, ns := range want {
				metric, res, _ := strings.Cut(key, "/")
				if a.metric == metric && a.ns == ns && strings.Contains(a.dim, `"`+res) {
					found = true
					delete(want, key)
					break
				}
			}
			if !found {
				t.Errorf("%s: unexpected alarm %+v", prefix, a)
			}
			if !strings.Contains(a.action, `{"Ref":"`+topic) {
				t.Errorf("%s: alarm %s notifies %s, want %s", prefix, a.metric, a.action, topic)
			}
		}
		if len(want) != 0 {
			t.Errorf("%s: missing alarms %v", prefix, want)
		}
	}
}

// resultsBucket returns the logical id of the data lake's results bucket.
func resultsBucket(t *testing.T) string {
	t.Helper()
	for id, r := range load(t).Resources {
		if r.Type == "AWS::S3::Bucket" && strings.HasPrefix(id, "DataLakeResults") {
			return id
		}
	}
	t.Fatal("no results bucket")
	return ""
}

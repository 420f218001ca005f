package workflow_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/workflow"
	"github.com/biolake/biolake/internal/asltest"
	"github.com/biolake/biolake/internal/events"
)

// machine returns the ASL of the state machine whose logical id starts
// with prefix + "StateMachine" (the main one) or prefix + "Starter".
func machine(t *testing.T, prefix string) map[string]any {
	t.Helper()
	if !strings.HasSuffix(prefix, "Starter") {
		prefix += "StateMachine"
	}
	for id, asl := range definitions(t) {
		if strings.HasPrefix(id, prefix) {
			return parse(t, asl)
		}
	}
	t.Fatalf("no state machine %s", prefix)
	return nil
}

func TestStateMachineStructure(t *testing.T) {
	sm := machine(t, "RnaSeq")
	states := sm["States"].(map[string]any)
	if sm["StartAt"] != workflow.StatePartner {
		t.Errorf("StartAt %v", sm["StartAt"])
	}
	restore := states[workflow.StateRestore].(map[string]any)
	if restore["Resource"] != "arn:aws:states:::lambda:invoke.waitForTaskToken" {
		t.Errorf("restore resource %v", restore["Resource"])
	}
	payload := js(restore["Parameters"])
	for _, want := range []string{`"taskToken.$":"$$.Task.Token"`, `"executionId.$":"$$.Execution.Id"`, `"tier":"Bulk"`, `"days":7`, `"prefix.$":"$.prefix"`} {
		if !strings.Contains(payload, want) {
			t.Errorf("restore payload %s lacks %s", payload, want)
		}
	}
	// The samples come from the run's sample sheet; a bad sheet fails the
	// run (caught), S3 trouble is retried.
	list := states[workflow.StateListSamples].(map[string]any)
	if list["Resource"] != "arn:aws:states:::lambda:invoke" || !strings.Contains(js(list["Retry"]), `"`+workflow.SamplesStorageError+`"`) ||
		!strings.Contains(js(list["Catch"]), `"Next":"NotifyFailed"`) || list["ResultPath"] != "$.sampleList" ||
		js(list["ResultSelector"]) != `{"samples.$":"$.Payload.samples","source.$":"$.Payload.source"}` {
		t.Errorf("list samples %s", js(list))
	}
	if restore["Next"] != workflow.StateListSamples || list["Next"] != workflow.StateCheckSamples {
		t.Errorf("order: restore -> %v, list samples -> %v", restore["Next"], list["Next"])
	}
	// At most MaxSamples (default 96): the 97th fails the run.
	check := states[workflow.StateCheckSamples].(map[string]any)
	if check["Default"] != workflow.StateMap || js(check["Choices"]) != `[{"IsPresent":true,"Next":"`+workflow.StateTooManySamples+`","Variable":"$.sampleList.samples[96]"}]` {
		t.Errorf("sample count check %s", js(check))
	}
	if s := states[workflow.StateTooManySamples].(map[string]any); s["Next"] != workflow.StateNotifyFailed || s["ResultPath"] != "$.failure" {
		t.Errorf("too many samples %s", js(s))
	}
	m := states[workflow.StateMap].(map[string]any)
	if m["Type"] != "Map" || m["ItemsPath"] != "$.sampleList.samples" || len(m["Catch"].([]any)) != 1 {
		t.Fatalf("map %s", js(m))
	}
	inner := m["ItemProcessor"].(map[string]any)
	if inner["StartAt"] != "RunAlign" {
		t.Errorf("map starts at %v", inner["StartAt"])
	}
	innerStates := inner["States"].(map[string]any)
	for _, step := range []string{"RunAlign", "RunBasecall", "RunReport"} {
		s := innerStates[step].(map[string]any)
		if s["Resource"] != "arn:aws:states:::batch:submitJob.sync" {
			t.Errorf("%s resource %v", step, s["Resource"])
		}
		if r := js(s["Retry"]); !strings.Contains(r, "Batch.ServerException") {
			t.Errorf("%s retry %s", step, r)
		}
		if c := js(s["Catch"]); !strings.Contains(c, `"ErrorEquals":["States.ALL"]`) || !strings.Contains(c, workflow.StateStepFailed) {
			t.Errorf("%s catch %s", step, c)
		}
		params := js(s["Parameters"])
		for _, want := range []string{`"runId.$":"$.runId"`, `"partner.$":"$.partner"`, `"project":"oncology"`, `"OUTPUT_URI"`} {
			if !strings.Contains(params, want) {
				t.Errorf("%s parameters %s lack %s", step, params, want)
			}
		}
	}
	if next := innerStates["RunAlign"].(map[string]any)["Next"]; next != "RunBasecall" {
		t.Errorf("RunAlign next %v", next)
	}
	// Every task retries and catches.
	if tasks := checkTasks(t, states); tasks != 9 { // restore, samples, 3 steps, record, catalog, 2 notifications
		t.Errorf("%d tasks", tasks)
	}
	// The results are recorded in the catalog table, then announced.
	record := states[workflow.StateRecordResults].(map[string]any)
	item := js(cdktest.Get(record, "Parameters", "Item"))
	for _, want := range []string{`"pk":{"S.$":"States.Format('RUN#{}', $.runId)"}`, `"sk":{"S.$":"States.Format('RESULT#rnaseq#{}', $$.Execution.Name)"}`,
		`"outputUri":{"S.$":"$.outputUri"}`, `"samples":{"S.$":"States.JsonToString($.sampleList.samples)"}`} {
		if !strings.Contains(item, want) {
			t.Errorf("result item %s lacks %s", item, want)
		}
	}
	if record["Resource"] != "arn:aws:states:::dynamodb:putItem" || record["Next"] != workflow.StateCatalog || states[workflow.StateMap].(map[string]any)["Next"] != workflow.StateRecordResults {
		t.Errorf("record %s", js(record))
	}
	catalog := states[workflow.StateCatalog].(map[string]any)
	if catalog["Resource"] != "arn:aws:states:::events:putEvents" || !strings.Contains(js(catalog), `"DetailType":"WorkflowSucceeded"`) {
		t.Errorf("catalog %s", js(catalog))
	}
	if states[workflow.StateNotify].(map[string]any)["Resource"] != "arn:aws:states:::sns:publish" {
		t.Errorf("notify %s", js(states[workflow.StateNotify]))
	}
	// Without restore, the run goes straight to its samples.
	qc := machine(t, "Qc")["States"].(map[string]any)
	if _, ok := qc[workflow.StateRestore]; ok {
		t.Errorf("qc has a restore state")
	}
	if next := qc[workflow.StatePrepare].(map[string]any)["Next"]; next != workflow.StateListSamples {
		t.Errorf("qc: PrepareRun next %v", next)
	}
}

// TestCatalogDetailMatchesSchema holds the detail CatalogResults puts on
// the bus to the catalogue: its keys (JSONPath keys without ".$") are
// exactly the properties of the WorkflowSucceeded schema, every required
// one among them, and with its JSONPaths given example values it parses as
// an events.WorkflowSucceeded. The construct and the catalogue cannot drift.
func TestCatalogDetailMatchesSchema(t *testing.T) {
	if workflow.Source != events.SourceWorkflow || workflow.DetailTypeWorkflowSucceeded != events.DetailTypeWorkflowSucceeded ||
		workflow.ResultsPrefix != events.WorkflowResultsPrefix {
		t.Fatalf("workflow constants %q %q %q differ from the catalogue's", workflow.Source, workflow.DetailTypeWorkflowSucceeded, workflow.ResultsPrefix)
	}
	raw, err := events.Schema(events.DetailTypeWorkflowSucceeded)
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	var props []string
	for k := range schema.Properties {
		props = append(props, k)
	}
	sort.Strings(props)

	for _, tc := range []struct{ prefix, name, project string }{
		{"RnaSeq", "rnaseq", "oncology"}, // restore, shared compute
		{"Qc", "qc", "qc"},               // no restore, Project defaults to Name
		{"Wgs", "wgs", "wgs"},            // a file system per run
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			catalog, ok := machine(t, tc.prefix)["States"].(map[string]any)[workflow.StateCatalog].(map[string]any)
			if !ok {
				t.Fatalf("no %s state", workflow.StateCatalog)
			}
			entry, ok := cdktest.Get(catalog, "Parameters", "Entries", 0).(map[string]any)
			if !ok {
				t.Fatalf("catalog entries %s", js(cdktest.Get(catalog, "Parameters", "Entries")))
			}
			if entry["Source"] != events.SourceWorkflow || entry["DetailType"] != events.DetailTypeWorkflowSucceeded {
				t.Errorf("entry source %v, detail-type %v", entry["Source"], entry["DetailType"])
			}
			detail, ok := entry["Detail"].(map[string]any)
			if !ok {
				t.Fatalf("entry detail %s", js(entry["Detail"]))
			}

			// Example values of the JSONPaths, as the execution resolves them.
			runID := "acme/batch7"
			paths := map[string]string{
				"$.runId":         runID,
				"$.partner":       events.PartnerNone,
				"$.outputUri":     "s3://results-bucket/" + workflow.ResultsPrefix + tc.name + "/" + runID + "/",
				"$$.Execution.Id": "arn:aws:states:eu-west-1:123456789012:execution:" + tc.prefix + "StateMachine:0123456789abcdef0123456789abcdef",
			}
			resolved := map[string]any{}
			for k, v := range detail {
				name, isPath := strings.CutSuffix(k, ".$")
				if _, dup := resolved[name]; dup {
					t.Errorf("detail key %q given twice", name)
				}
				if !isPath {
					resolved[name] = v
					continue
				}
				p, _ := v.(string)
				example, ok := paths[p]
				if !ok {
					t.Errorf("detail %q takes %v, which the test has no example for", k, v)
				}
				resolved[name] = example
			}
			var keys []string
			for k := range resolved {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if !slices.Equal(keys, props) {
				t.Errorf("detail keys %v, schema properties %v", keys, props)
			}
			for _, r := range schema.Required {
				if _, ok := resolved[r]; !ok {
					t.Errorf("required %q is not in the detail", r)
				}
			}
			if resolved["schemaVersion"] != events.SchemaVersion || resolved["workflow"] != tc.name || resolved["project"] != tc.project {
				t.Errorf("static fields %s", js(resolved))
			}
			b, _ := json.Marshal(resolved)
			ev, err := events.Parse(events.DetailTypeWorkflowSucceeded, b)
			if err != nil {
				t.Fatalf("detail %s: %v", b, err)
			}
			if _, ok := ev.(*events.WorkflowSucceeded); !ok {
				t.Errorf("parsed %T", ev)
			}
		})
	}
}

func TestStateMachineResources(t *testing.T) {
	tp := load(t)
	n := 0
	for id, r := range tp.Resources {
		switch {
		case r.Type == "AWS::StepFunctions::StateMachine" && (strings.HasPrefix(id, "RnaSeq") || strings.HasPrefix(id, "Qc") || strings.HasPrefix(id, "Wgs")):
			n++
			if js(r.Properties["TracingConfiguration"]) != `{"Enabled":true}` {
				t.Errorf("%s: tracing %s", id, js(r.Properties["TracingConfiguration"]))
			}
			lc := r.Properties["LoggingConfiguration"].(map[string]any)
			if lc["Level"] != "ALL" || lc["IncludeExecutionData"] != true {
				t.Errorf("%s: logging %s", id, js(lc))
			}
		case r.Type == "AWS::Logs::LogGroup" && (strings.HasPrefix(id, "RnaSeq") || strings.HasPrefix(id, "Qc") || strings.HasPrefix(id, "Wgs")):
			if r.Properties["KmsKeyId"] == nil {
				t.Errorf("%s: log group without KMS key", id)
			}
		case r.Type == "AWS::Events::Rule" && strings.HasPrefix(id, "RnaSeqRunIngestedRule"):
			// Verified runs only: a settled run does not start it.
			if got := js(r.Properties["EventPattern"]); got != `{"detail":{"verifiedBy":["manifest","datasync"]},"detail-type":["RunIngested"],"source":["biolake.verify"]}` {
				t.Errorf("pattern %s", got)
			}
			tg := js(r.Properties["Targets"])
			// The rule starts the Starter, never the main state machine.
			if !strings.Contains(tg, `"Arn":{"Ref":"RnaSeqStarter`) || strings.Contains(tg, "RnaSeqStateMachine") {
				t.Errorf("rule targets %s, want the Starter", tg)
			}
			if !strings.Contains(tg, `"InputPath":"$.detail"`) || !strings.Contains(tg, `"MaximumRetryAttempts":185`) || !strings.Contains(tg, "DeadLetterConfig") || !strings.Contains(tg, "EventGlueBus") && !strings.Contains(js(r.Properties["EventBusName"]), "EventGlueBus") {
				t.Errorf("rule %s", js(r.Properties))
			}
		case r.Type == "AWS::Events::Rule" && strings.HasPrefix(id, "QcRunIngestedRule"):
			if !strings.Contains(js(r.Properties["EventPattern"]), `"detail":{"profile":["novaseq-x"],"verifiedBy":["manifest","datasync"]}`) {
				t.Errorf("qc pattern %s", js(r.Properties["EventPattern"]))
			}
		case r.Type == "AWS::Events::Rule" && strings.HasPrefix(id, "WgsRunIngestedRule"):
			// StartOnSettled: settled runs start it too.
			if !strings.Contains(js(r.Properties["EventPattern"]), `"detail":{"verifiedBy":["manifest","datasync","settled"]}`) {
				t.Errorf("wgs pattern %s", js(r.Properties["EventPattern"]))
			}
		case r.Type == "AWS::Batch::JobDefinition" && strings.HasPrefix(id, "Hpcrnaseq"):
			if r.Properties["PropagateTags"] != true || !strings.Contains(js(r.Properties["RetryStrategy"]), `"OnStatusReason":"Host EC2*"`) {
				t.Errorf("%s: %s", id, js(r.Properties))
			}
		}
	}
	if n != 7 { // three workflows, each with its Starter, and wgs's cleanup
		t.Errorf("%d workflow state machines", n)
	}
}

// asl-validator (package.json) accepts every state machine of the stack:
// the event glue's verify state machine, the three workflows (the per-run
// FSx one included), their Starters and the per-run FSx one's cleanup.
func TestASLValidator(t *testing.T) {
	bin, _ := filepath.Abs("../../node_modules/.bin/asl-validator")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("asl-validator is not installed (npm ci): %v", err)
		}
		t.Skipf("asl-validator is not installed (npm ci): %v", err)
	}
	defs := definitions(t)
	if len(defs) != 10 {
		t.Errorf("%d state machines, want 10 (verify; rnaseq, qc, wgs, keyed and their Starters; wgs's cleanup)", len(defs))
	}
	invalid, err := asltest.Validate(bin, t.TempDir(), defs)
	if err != nil {
		t.Fatal(err)
	}
	for id, out := range invalid {
		t.Errorf("%s: asl-validator:\n%s\n%s", id, out, defs[id])
	}
}

func TestNagFindings(t *testing.T) {
	load(t)
	for _, pack := range nag.Packs {
		f, err := os.Open(filepath.Join(outdir, pack+"--"+stackName+"-NagReport.csv"))
		if err != nil {
			t.Errorf("no %s report: %v", pack, err)
			continue
		}
		rows, _ := csv.NewReader(f).ReadAll()
		f.Close()
		for _, r := range rows[1:] {
			if r[2] == "Non-Compliant" {
				t.Errorf("%s %s: %s", r[0], r[1], r[5])
			}
		}
	}
}

func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed")
	}
	load(t)
	rc, _ := filepath.Abs("../../.cfnlintrc")
	if out, err := exec.Command(bin, "--config-file", rc, "--format", "parseable", "--", filepath.Join(outdir, stackName+".template.json")).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

// A step's role reads only the buckets it names (Step.Reads), and writes
// only under the workflow's prefix of the results bucket.
func TestStepReads(t *testing.T) {
	load(t)
	reads := func(job string) (read []string, write []string) {
		for _, r := range asm.OfType(stackName, "AWS::IAM::Policy", "Hpc/"+job+"/JobRole/") {
			for _, st := range cdktest.Get(r.Properties, "PolicyDocument", "Statement").([]any) {
				res := cdktest.Render(cdktest.Get(st, "Resource"))
				acts := js(cdktest.Get(st, "Action"))
				switch {
				case strings.Contains(acts, "s3:PutObject"):
					write = append(write, res)
				case strings.Contains(acts, "s3:GetObject"):
					read = append(read, res)
				}
			}
		}
		return read, write
	}
	read, write := reads("rnaseqReport")
	if len(read) == 0 || strings.Contains(strings.Join(read, " "), "DataLakeRaw") || !strings.Contains(strings.Join(read, " "), "DataLakeResults") {
		t.Errorf("Report reads %v, want the results bucket only", read)
	}
	if len(write) != 1 || !strings.Contains(write[0], "/workflows/rnaseq/*") {
		t.Errorf("Report writes %v, want workflows/rnaseq/ of results only", write)
	}
	all, _ := reads("rnaseqAlign")
	for _, b := range []string{"DataLakeRaw", "DataLakePartner", "DataLakeShared", "DataLakeCurated", "DataLakeResults"} {
		if !strings.Contains(strings.Join(all, " "), b) {
			t.Errorf("Align (no Reads) does not read %s: %v", b, all)
		}
	}
}

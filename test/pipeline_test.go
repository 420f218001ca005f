package test

import (
	"encoding/json"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/biolake/biolake/internal/cost"
	"github.com/biolake/biolake/pipelines"
)

// deliveryStack is the pipeline's stack, pipeline-Delivery.
func deliveryStack(t *testing.T) *Stack {
	t.Helper()
	return synthPipeline(t).Stack(t, pipelines.StageName, "Delivery")
}

// buildSpecs returns the buildspec of every CodeBuild project of the
// stack by logical id.
func buildSpecs(t *testing.T, st *Stack) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for id, r := range st.Resources("AWS::CodeBuild::Project") {
		src, _ := Props(r)["Source"].(map[string]any)
		raw, _ := src["BuildSpec"].(string)
		var spec map[string]any
		if err := json.Unmarshal([]byte(raw), &spec); err != nil {
			t.Fatalf("%s: buildspec is not JSON: %v\n%s", id, err, raw)
		}
		out[id] = spec
	}
	return out
}

// phaseCommands lists the commands of a buildspec phase, without the one
// CDK Pipelines adds to link an additional input (the diff step's cdk.out).
func phaseCommands(spec map[string]any, phase string) []string {
	phases, _ := spec["phases"].(map[string]any)
	p, _ := phases[phase].(map[string]any)
	list, _ := p["commands"].([]any)
	var out []string
	for _, c := range list {
		s, _ := c.(string)
		if strings.HasPrefix(s, `[ ! -d "cdk.out" ] || { echo 'additionalInputs: "cdk.out" must not exist yet.`) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// The synth and diff projects the pipeline stack holds run exactly the
// commands of pipelines.SynthCommands and DiffCommands, each a call of the
// one build script, on the image's pinned runtimes: the buildspec cannot
// drift from the script that the next test runs here.
func TestPipelineBuildspecsRunTheScript(t *testing.T) {
	st := deliveryStack(t)
	want := map[string]pipelines.Commands{
		"BuildSynthCdkBuildProject": pipelines.SynthCommands(),
		"prodDiffprod":              pipelines.DiffCommands("prod"),
	}
	found := map[string]bool{}
	for id, spec := range buildSpecs(t, st) {
		for part, cmds := range want {
			if !strings.Contains(id, part) {
				continue
			}
			found[part] = true
			if got := phaseCommands(spec, "install"); !reflect.DeepEqual(got, cmds.Install) {
				t.Errorf("%s: install commands %q, want %q", id, got, cmds.Install)
			}
			if got := phaseCommands(spec, "build"); !reflect.DeepEqual(got, cmds.Build) {
				t.Errorf("%s: build commands %q, want %q", id, got, cmds.Build)
			}
			for _, c := range append(phaseCommands(spec, "install"), phaseCommands(spec, "build")...) {
				if !strings.HasPrefix(c, "bash "+pipelines.Script+" ") {
					t.Errorf("%s: command %q does not call %s", id, c, pipelines.Script)
				}
			}
			rv := spec["phases"].(map[string]any)["install"].(map[string]any)["runtime-versions"]
			if !reflect.DeepEqual(rv, pipelines.RuntimeVersions) {
				t.Errorf("%s: runtime-versions %v, want %v", id, rv, pipelines.RuntimeVersions)
			}
		}
	}
	for part := range want {
		if !found[part] {
			t.Errorf("no CodeBuild project %s* in %s", part, st.Name)
		}
	}
}

// The install-free part of the build, run here as CI runs it: the script's
// check finds every tool make test needs at its pinned version (Go 1.26,
// Node 20+ with Node 22 from npm, cfn-lint, moto, the CDK CLI). The install
// itself needs the network (proxy.golang.org, PyPI, npm) and runs only in
// CodeBuild; the test and synth subcommands are .ci/run and make synth
// ENV=pipeline, which CI and docs/PIPELINE.md run.
func TestPipelineBuildScriptCheck(t *testing.T) {
	out, err := exec.Command("bash", "../"+pipelines.Script, "check").CombinedOutput()
	if err != nil {
		t.Fatalf("%s check: %v\n%s", pipelines.Script, err, out)
	}
	out, err = exec.Command("bash", "../"+pipelines.Script, "nonsense").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "usage:") {
		t.Errorf("an unknown subcommand must fail with the usage, got %v: %s", err, out)
	}
}

// The pipeline: source, build, self-mutation, assets, then dev, staging
// and prod in that order, each deployed with the CDK bootstrap roles of its
// own account; prod only after its diff and a manual approval that
// notifies the topic; artifacts and logs under customer-managed keys.
func TestPipelineStagesAndApproval(t *testing.T) {
	st := deliveryStack(t)
	pls := st.Resources("AWS::CodePipeline::Pipeline")
	if len(pls) != 1 {
		t.Fatalf("%d pipelines, want 1", len(pls))
	}
	var pl map[string]any
	for _, r := range pls {
		pl = Props(r)
	}
	if pl["PipelineType"] != "V2" {
		t.Errorf("PipelineType %v, want V2", pl["PipelineType"])
	}
	stores, _ := pl["ArtifactStores"].([]any)
	if len(stores) < 2 {
		t.Errorf("artifact stores %v: want one per region (cross-region support)", stores)
	}
	for _, s := range stores {
		store := s.(map[string]any)["ArtifactStore"].(map[string]any)
		if store["EncryptionKey"] == nil {
			t.Errorf("artifact store %v has no customer-managed key", store)
		}
	}
	var names []string
	accounts := map[string]string{}
	var prod []map[string]any
	for _, s := range pl["Stages"].([]any) {
		stage := s.(map[string]any)
		name := stage["Name"].(string)
		names = append(names, name)
		for _, a := range stage["Actions"].([]any) {
			action := a.(map[string]any)
			if name == "prod" {
				prod = append(prod, action)
			}
			if role, _ := json.Marshal(action["RoleArn"]); strings.Contains(string(role), "cdk-hnb659fds-deploy-role-") {
				for _, acct := range []string{"111111111111", "222222222222", "333333333333"} {
					if strings.Contains(string(role), acct) {
						accounts[name] = acct
					}
				}
			}
		}
	}
	if got := strings.Join(names, ","); got != "Source,Build,UpdatePipeline,Assets,dev,staging,prod" {
		t.Errorf("stages %s", got)
	}
	if want := map[string]string{"dev": "333333333333", "staging": "111111111111", "prod": "222222222222"}; !reflect.DeepEqual(accounts, want) {
		t.Errorf("deploy accounts by stage %v, want %v", accounts, want)
	}
	order := map[string]float64{}
	for _, a := range prod {
		order[a["Name"].(string)] = a["RunOrder"].(float64)
		if a["Name"] == "Approve-prod" {
			cfg := a["Configuration"].(map[string]any)
			if cfg["NotificationArn"] == nil || !strings.Contains(cfg["CustomData"].(string), "cdk diff") {
				t.Errorf("approval %v: want the topic and a comment pointing at the diff", cfg)
			}
		}
	}
	var deploys []float64
	for n, o := range order {
		if strings.HasSuffix(n, ".Prepare") || strings.HasSuffix(n, ".Deploy") {
			deploys = append(deploys, o)
		}
	}
	sort.Float64s(deploys)
	if len(deploys) == 0 || !(order["Diff-prod"] < order["Approve-prod"] && order["Approve-prod"] < deploys[0]) {
		t.Errorf("prod run orders %v: want Diff-prod, then Approve-prod, then the deployments", order)
	}
	for id, r := range st.Resources("AWS::Logs::LogGroup") {
		p := Props(r)
		if p["KmsKeyId"] == nil || p["RetentionInDays"] == nil {
			t.Errorf("log group %s: want a customer-managed key and a retention, got %v", id, p)
		}
	}
	for id, r := range st.Resources("AWS::CodeBuild::Project") {
		p := Props(r)
		if p["EncryptionKey"] == nil {
			t.Errorf("CodeBuild project %s has no customer-managed key", id)
		}
		logs, _ := json.Marshal(p["LogsConfig"])
		if !strings.Contains(string(logs), "BuildLogs") {
			t.Errorf("CodeBuild project %s does not log to the encrypted BuildLogs group: %s", id, logs)
		}
	}
}

// The cost model knows every resource type of the pipeline's stage (a new
// type fails here until internal/cost classes it), and its fixed charge is
// its KMS keys alone: the pipeline (V2) and its CodeBuild projects bill by
// the minute.
func TestPipelineCost(t *testing.T) {
	s := synthPipeline(t)
	p, err := cost.LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	r, err := cost.Fixed(s.Assembly, pipelines.StageName, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range r.Of(cost.ClassUnpriced) {
		t.Errorf("%s %s (%s) is not priced: %s", it.Stack, it.LogicalID, it.Type, it.Note)
	}
	keys := 0
	for _, it := range r.Of(cost.ClassFixed) {
		if it.Type != "AWS::KMS::Key" {
			t.Errorf("%s %s (%s) has a standing charge: %s", it.Stack, it.LogicalID, it.Type, it.Quantity)
		}
		keys++
	}
	t.Logf("pipeline: fixed $%.2f a month (%d KMS keys; $%.2f once every key has rotated twice); usage: %d items", r.Fixed, keys, r.Later, len(r.Of(cost.ClassUsage)))
	if keys == 0 || r.Fixed <= 0 {
		t.Errorf("fixed %v from %d keys: want the keys priced", r.Fixed, keys)
	}
}

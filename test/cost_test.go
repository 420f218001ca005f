package test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/internal/cost"
)

// DevIdleBudget is what the dev environment may cost a month before a byte
// arrives (issue: a dev environment under $75 a month idle).
const DevIdleBudget = 75.0

const costDoc = "../docs/COSTS.md"

// costEnvs prices every synthesized environment as `make cost` does.
func costEnvs(t *testing.T) []cost.DocEnv {
	t.Helper()
	s := synthAll(t)
	p, err := cost.LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	var out []cost.DocEnv
	for _, name := range s.Envs {
		full, err := cost.Environment(s.Assembly, name, "../environments", p, cost.DefaultRunSize)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		env, err := config.Load("../environments", name)
		if err != nil {
			t.Fatal(err)
		}
		var required []string
		for _, r := range s.Platforms[name].Network.Network.Requirements() {
			required = append(required, string(r.Endpoint))
		}
		region := env.Region
		if region == "" {
			region = cost.DefaultRegion
		}
		choice, err := cost.CompareNetwork(region, required, env.Network.MaxAZs, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cost.DocEnv{Full: full, Profile: env.Network.Profile, Network: choice})
	}
	return out
}

// TestCostDoc: docs/COSTS.md is what the cost model says of the app as it
// is synthesized now; rewrite it with go test ./test -run TestCostDoc -update.
func TestCostDoc(t *testing.T) {
	envs := costEnvs(t)
	p, _ := cost.LoadPrices()
	var b bytes.Buffer
	cost.WriteDoc(&b, p, envs)
	if *update {
		if err := os.WriteFile(costDoc, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(costDoc)
	if err != nil {
		t.Fatalf("%v; run go test ./test -run TestCostDoc -update", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("%s is stale (-committed +now); run go test ./test -run TestCostDoc -update and review it:\n%s", costDoc, lineDiff(string(want), got))
	}
}

// TestDevIdleBudget: what `make cost ENV=dev` reports as dev's fixed
// monthly charge, from the synthesized dev app, is within the budget, and
// every resource of every environment is priced or classed.
func TestDevIdleBudget(t *testing.T) {
	for _, e := range costEnvs(t) {
		if e.Full.Unpriced > 0 {
			t.Errorf("%s: %d resources not priced: %+v", e.Full.Stage, e.Full.Unpriced, e.Full.Of(cost.ClassUnpriced))
		}
		if e.Full.Stage != "dev" {
			continue
		}
		if e.Full.Fixed > DevIdleBudget {
			var b strings.Builder
			e.Full.WriteText(&b)
			t.Errorf("dev costs $%.2f a month idle, over the $%.0f budget:\n%s", e.Full.Fixed, DevIdleBudget, b.String())
		}
		if e.Full.Fixed < 1 {
			t.Errorf("dev costs $%.2f a month: the model priced nothing", e.Full.Fixed)
		}
	}
}

// TestCostPerRunEveryWorkflow: each workflow of each environment has a
// cost per run, and the doc shows it.
func TestCostPerRunEveryWorkflow(t *testing.T) {
	doc, err := os.ReadFile(costDoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range costEnvs(t) {
		env, err := config.Load("../environments", e.Full.Stage)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Full.Runs) != len(env.Compute.Workflows) {
			t.Errorf("%s: %d runs priced, %d workflows", e.Full.Stage, len(e.Full.Runs), len(env.Compute.Workflows))
		}
		for _, rc := range e.Full.Runs {
			if rc.Total <= 0 || len(rc.Steps) == 0 {
				t.Errorf("%s %s: a run costs $%.2f over %d steps", e.Full.Stage, rc.Workflow, rc.Total, len(rc.Steps))
			}
			if !strings.Contains(string(doc), "| "+rc.Workflow+" | ") {
				t.Errorf("%s does not show workflow %s", costDoc, rc.Workflow)
			}
		}
	}
}

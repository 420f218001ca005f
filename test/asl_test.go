package test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/internal/asltest"
)

// TestStateMachinesValidate runs the npm asl-validator (package.json) over
// every state machine definition of every synthesized environment: the
// event glue's verification, each workflow and its Starter.
func TestStateMachinesValidate(t *testing.T) {
	bin, _ := filepath.Abs("../node_modules/.bin/asl-validator")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("asl-validator is not installed (npm ci): %v", err)
		}
		t.Skipf("asl-validator is not installed (npm ci): %v", err)
	}
	s := synthAll(t)
	// Every definition of every environment, validated in one node process.
	all := map[string]string{}
	counts := map[string]int{}
	for _, env := range s.Envs {
		for _, st := range s.Stacks[env] {
			defs, err := st.StateMachineDefinitions()
			if err != nil {
				t.Fatal(err)
			}
			for id, asl := range defs {
				counts[env]++
				all[st.Name+" "+id] = asl
			}
		}
	}
	invalid, err := asltest.Validate(bin, t.TempDir(), all)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range invalid {
		t.Errorf("%s: asl-validator:\n%s", name, out)
	}
	for _, env := range s.Envs {
		count := counts[env]
		// Verification, per workflow the workflow and its Starter (and its
		// cleanup with per-run file systems), and the waiter of the
		// EC2-hosted File Gateway's activation (CDK's custom-resource
		// Provider framework), and the ML deployment flow.
		cfg := environment(t, env)
		want := 1 + 2*len(cfg.Compute.Workflows)
		if cfg.Compute.Lustre.Mode == config.LustrePerRun {
			want += len(cfg.Compute.Workflows)
		}
		if cfg.FileGateway.EC2 != nil {
			want++
		}
		// The ML deployment flow.
		if cfg.ML.Deployment != nil {
			want++
		}
		if count != want {
			t.Errorf("%s: %d state machines validated, want %d", env, count, want)
		}
	}
}

// environment loads environment env's config.
func environment(t *testing.T, env string) *config.Environment {
	t.Helper()
	e, err := config.Load("../environments", env)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

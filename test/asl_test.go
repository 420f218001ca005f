package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/biolake/biolake/config"
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
	for _, env := range s.Envs {
		count := 0
		for _, st := range s.Stacks[env] {
			defs, err := st.StateMachineDefinitions()
			if err != nil {
				t.Fatal(err)
			}
			for id, asl := range defs {
				count++
				out, err := exec.Command(bin, "--json-definition", asl).CombinedOutput()
				if err != nil {
					t.Errorf("%s %s: asl-validator: %v\n%s", st.Name, id, err, out)
				}
			}
		}
		// Verification, per workflow the workflow and its Starter (and its
		// cleanup with per-run file systems), and the waiter of the
		// EC2-hosted File Gateway's activation (CDK's custom-resource
		// Provider framework).
		cfg := environment(t, env)
		want := 1 + 2*len(cfg.Compute.Workflows)
		if cfg.Compute.Lustre.Mode == config.LustrePerRun {
			want += len(cfg.Compute.Workflows)
		}
		if cfg.FileGateway.EC2 != nil {
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

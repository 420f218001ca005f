package test

import (
	"testing"

	"github.com/biolake/biolake/internal/iamproof"
)

// proofEnv returns the permission proof's view of env.
func proofEnv(t *testing.T, s *Synthesized, env string) *iamproof.Env {
	t.Helper()
	e, err := iamproof.FromAssembly(s.Assembly, env)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestPrincipalsResolve checks that the proof can name every principal of
// every environment: each Lambda function's, state machine's and Batch job's
// role resolves, with its policies, and each resource's properties resolve
// to placeholders (no reference the proof cannot follow).
func TestPrincipalsResolve(t *testing.T) {
	s := synthAll(t)
	for _, env := range s.Envs {
		e := proofEnv(t, s, env)
		n := 0
		for _, r := range e.Resources("") {
			if _, err := e.Resolve(r.Stack, r.Properties); err != nil {
				t.Errorf("%s: %v", r, err)
			}
		}
		for typ, role := range map[string]func(string) (*iamproof.Principal, error){
			"AWS::Lambda::Function":            e.FunctionRole,
			"AWS::StepFunctions::StateMachine": e.StateMachineRole,
			"AWS::Batch::JobDefinition":        e.JobRole,
		} {
			for _, r := range e.Resources(typ) {
				p, err := role(r.Stack.Name[len(env)+1:] + "/" + r.ID)
				if err != nil {
					t.Errorf("%s: %v", r, err)
					continue
				}
				if len(p.Policies) == 0 {
					t.Errorf("%s: role %s has no identity policy", r, p.Label)
				}
				n++
			}
		}
		t.Logf("%s: %d principals resolved", env, n)
	}
}

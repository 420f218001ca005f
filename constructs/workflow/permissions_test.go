package workflow_test

import (
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/workflow"
)

// roleStatements returns the statements of every inline policy attached to
// the state machine role whose logical id starts with prefix.
func roleStatements(t *testing.T, tpl template, prefix string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for id, r := range tpl.Resources {
		if r.Type != "AWS::IAM::Policy" || !strings.HasPrefix(id, prefix) {
			continue
		}
		out = append(out, cdktest.Statements(r.Properties["PolicyDocument"])...)
	}
	if len(out) == 0 {
		t.Fatalf("no policy %s*", prefix)
	}
	return out
}

// Every workflow's state machine may publish to its own SSE-KMS topic: SNS
// needs kms:GenerateDataKey and kms:Decrypt on the topic's key from the
// publisher (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
func TestStateMachineMayUseTopicKey(t *testing.T) {
	tpl := load(t)
	for _, wf := range []string{"RnaSeq", "Qc", "Wgs"} {
		topicKey := ""
		for id, r := range tpl.Resources {
			if r.Type == "AWS::KMS::Key" && strings.HasPrefix(id, wf+"TopicKey") {
				topicKey = "<" + id + ".Arn>"
			}
		}
		if topicKey == "" {
			t.Fatalf("%s: no topic key", wf)
		}
		have := map[string]bool{}
		for _, s := range roleStatements(t, tpl, wf+"StateMachineRoleDefaultPolicy") {
			res, _ := s["Resource"].([]any)
			for _, r := range res {
				if r == topicKey {
					for _, a := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
						if cdktest.HasAction(s, a) {
							have[a] = true
						}
					}
				}
			}
		}
		if !have["kms:GenerateDataKey"] || !have["kms:Decrypt"] {
			t.Errorf("%s: the state machine role may not use the topic key %s for publishing (has %v)", wf, topicKey, have)
		}
	}
}

// The state machines submit their own steps' job definitions only, never
// any definition of the account (the Nextflow head job's among them), and
// keep the managed rule .sync needs.
func TestStateMachineSubmitsItsOwnJobDefinitions(t *testing.T) {
	tpl := load(t)
	for wf, steps := range map[string][]string{"RnaSeq": {"Align", "Basecall", "Report"}, "Qc": {"FastQC"}, "Wgs": {"Align", "Call"}} {
		var submit []any
		rule := false
		for _, s := range roleStatements(t, tpl, wf+"StateMachineRoleDefaultPolicy") {
			if cdktest.HasAction(s, "batch:SubmitJob") {
				submit = append(submit, s["Resource"].([]any)...)
			}
			if cdktest.HasAction(s, "events:PutRule") && strings.Contains(asJSONs(s["Resource"]), "rule/StepFunctionsGetEventsForBatchJobsRule") {
				rule = cdktest.HasAction(s, "events:PutTargets") && cdktest.HasAction(s, "events:DescribeRule")
			}
		}
		if !rule {
			t.Errorf("%s: no events:PutTargets/PutRule/DescribeRule on the managed rule", wf)
		}
		defs := 0
		for _, r := range submit {
			rs, _ := r.(string)
			if strings.Contains(rs, "job-definition/") {
				t.Errorf("%s: batch:SubmitJob on %s, want the steps' job definitions only", wf, rs)
			}
			if strings.Contains(rs, "Definition") {
				defs++
				ok := false
				for _, step := range steps {
					ok = ok || strings.Contains(rs, strings.ToLower(wf)+step+"Definition")
				}
				if !ok {
					t.Errorf("%s: batch:SubmitJob on %s, which is not one of its steps %v", wf, rs, steps)
				}
			}
		}
		if defs != len(steps) {
			t.Errorf("%s: batch:SubmitJob on %d job definitions %v, want its %d steps'", wf, defs, submit, len(steps))
		}
	}
}

func asJSONs(v any) string { return js(v) }

// The steps' Task states (batch.Job.RunJobState) discard the job's
// description: "ResultPath": null, so every step of an item sees the
// item's own input.
func TestStepStatesDiscardTheirResult(t *testing.T) {
	n := 0
	for id, asl := range definitions(t) {
		if !strings.Contains(id, "StateMachine") || strings.Contains(id, "Starter") {
			continue
		}
		states, _ := cdktest.Get(parse(t, asl), "States", workflow.StateMap, "ItemProcessor", "States").(map[string]any)
		for name, s := range states {
			st := s.(map[string]any)
			if st["Type"] != "Task" {
				continue
			}
			n++
			if v, ok := st["ResultPath"]; !ok || v != nil {
				t.Errorf("%s %s: ResultPath = %v (present %v), want null", id, name, v, ok)
			}
		}
	}
	if n == 0 {
		t.Fatal("no step states found")
	}
}

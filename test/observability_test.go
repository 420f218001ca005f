package test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// opsTopic returns the Operations stack of env and the logical id of its
// topic.
func opsTopic(t *testing.T, s *Synthesized, env string) (*Stack, string) {
	t.Helper()
	for _, st := range s.Stacks[env] {
		if st.Name != env+"-Operations" {
			continue
		}
		for id, r := range resources(st) {
			if r["Type"] == "AWS::SNS::Topic" {
				return st, id
			}
		}
	}
	t.Fatalf("%s: no Operations stack with a topic", env)
	return nil, ""
}

func resources(st *Stack) map[string]map[string]any {
	out := map[string]map[string]any{}
	res, _ := st.Template["Resources"].(map[string]any)
	for id, r := range res {
		out[id] = r.(map[string]any)
	}
	return out
}

func props(r map[string]any) map[string]any { p, _ := r["Properties"].(map[string]any); return p }

// refersToTopic reports whether v, in stack st, is the operations topic's
// ARN: a Ref in the Operations stack, or an import of the Operations
// stack's output whose value is that Ref (Fn::ImportValue of its export,
// or Fn::GetStackOutput of the output).
func refersToTopic(v any, st, ops *Stack, topic string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	ref := jsonOf(map[string]any{"Ref": topic})
	if st == ops {
		return jsonOf(m) == ref
	}
	outputs, _ := ops.Template["Outputs"].(map[string]any)
	if name, ok := m["Fn::ImportValue"]; ok {
		for _, o := range outputs {
			o := o.(map[string]any)
			if exp, _ := o["Export"].(map[string]any); exp != nil && jsonOf(exp["Name"]) == jsonOf(name) && jsonOf(o["Value"]) == ref {
				return true
			}
		}
	}
	if g, ok := m["Fn::GetStackOutput"].(map[string]any); ok {
		if o, ok := outputs[fmt.Sprint(g["OutputName"])].(map[string]any); ok && jsonOf(o["Value"]) == ref {
			return true
		}
	}
	return false
}

// TestAlarmsNotifyOperations checks that every CloudWatch alarm of every
// stack of every environment has the environment's operations topic as an
// ALARM and an OK action, exactly once.
func TestAlarmsNotifyOperations(t *testing.T) {
	s := synthAll(t)
	for _, env := range s.Envs {
		ops, topic := opsTopic(t, s, env)
		n := 0
		for _, st := range s.Stacks[env] {
			for id, r := range resources(st) {
				if r["Type"] != "AWS::CloudWatch::Alarm" && r["Type"] != "AWS::CloudWatch::CompositeAlarm" {
					continue
				}
				n++
				for _, k := range []string{"AlarmActions", "OKActions"} {
					acts, _ := props(r)[k].([]any)
					hits := 0
					for _, a := range acts {
						if refersToTopic(a, st, ops, topic) {
							hits++
						}
					}
					if hits != 1 {
						t.Errorf("%s %s: %s = %s, want the operations topic once", st.Name, id, k, jsonOf(acts))
					}
				}
			}
		}
		if n < 20 {
			t.Errorf("%s: only %d alarms; the check would prove little", env, n)
		}
	}
}

// alarmOn reports whether stack st has an alarm on metric whose dimension
// dim refers to logical id target (a Ref or GetAtt).
func alarmOn(st *Stack, metric, dim, target string) bool {
	for _, r := range resources(st) {
		if r["Type"] != "AWS::CloudWatch::Alarm" || props(r)["MetricName"] != metric {
			continue
		}
		for _, d := range asAnyList(props(r)["Dimensions"]) {
			d := d.(map[string]any)
			v := jsonOf(d["Value"])
			if d["Name"] == dim && (v == jsonOf(map[string]any{"Ref": target}) || strings.HasPrefix(v, `{"Fn::GetAtt":["`+target+`"`)) {
				return true
			}
		}
	}
	return false
}

func asAnyList(v any) []any { l, _ := v.([]any); return l }

// deployOnly are the logical-id fragments of what runs only during a
// deployment (CDK's custom-resource providers): a failure fails the
// deployment, which reports it, so they carry no alarm.
var deployOnly = []string{"Providerframework", "CustomResourceProvider", "Providerwaiterstatemachine"}

func isDeployOnly(id string) bool {
	for _, f := range deployOnly {
		if strings.Contains(id, f) {
			return true
		}
	}
	return false
}

// TestListedAlarmsExist checks the alarms docs/OPERATIONS.md answers, on
// the synthesized environments: every dead-letter queue, every state
// machine (failed; timed out and aborted for workflows and verification),
// every Batch job queue, every Lambda function (errors and throttles),
// every standing FSx file system, DataSync task failures, Transfer
// authentication failures, integrity failures and the File Gateway cache.
func TestListedAlarmsExist(t *testing.T) {
	s := synthAll(t)
	seen := map[string]int{}
	for _, env := range s.Envs {
		for _, st := range s.Stacks[env] {
			res := resources(st)
			for id, r := range res {
				if isDeployOnly(id) {
					continue
				}
				missing := func(what string) { t.Errorf("%s %s: no %s alarm", st.Name, id, what) }
				switch r["Type"] {
				case "AWS::SQS::Queue":
					if props(r)["RedriveAllowPolicy"] != nil {
						seen["dead-letter queue"]++
						if !alarmOn(st, "ApproximateNumberOfMessagesVisible", "QueueName", id) {
							missing("dead-letter")
						}
					}
				case "AWS::StepFunctions::StateMachine":
					seen["state machine"]++
					if !alarmOn(st, "ExecutionsFailed", "StateMachineArn", id) {
						missing("ExecutionsFailed")
					}
					if strings.Contains(id, "StateMachine") && !strings.Contains(id, "Starter") {
						for _, m := range []string{"ExecutionsTimedOut", "ExecutionsAborted"} {
							if !alarmOn(st, m, "StateMachineArn", id) {
								missing(m)
							}
						}
					}
				case "AWS::Lambda::Function":
					seen["function"]++
					for _, m := range []string{"Errors", "Throttles"} {
						if !alarmOn(st, m, "FunctionName", id) {
							missing(m)
						}
					}
				case "AWS::FSx::FileSystem":
					seen["file system"]++
					if !alarmOn(st, "FreeDataStorageCapacity", "FileSystemId", id) {
						missing("FreeDataStorageCapacity")
					}
				case "AWS::Batch::JobQueue":
					seen["job queue"]++
					// The queue's failed-jobs rule names it in detail.jobQueue.
					found := false
					for rid, rule := range res {
						if rule["Type"] == "AWS::Events::Rule" && strings.Contains(jsonOf(props(rule)["EventPattern"]), `"jobQueue":[{"Fn::GetAtt":["`+id+`","JobQueueArn"]}]`) &&
							alarmOn(st, "MatchedEvents", "RuleName", rid) {
							found = true
						}
					}
					if !found {
						missing("failed jobs")
					}
				case "AWS::DataSync::Task":
					seen["datasync"]++
				}
			}
			descs := ""
			for _, r := range resources(st) {
				if r["Type"] == "AWS::CloudWatch::Alarm" {
					descs += fmt.Sprint(props(r)["MetricName"], " ", props(r)["AlarmDescription"], "\n")
				}
			}
			has := func(what, fragment string) {
				if !strings.Contains(descs, fragment) {
					t.Errorf("%s: no %s alarm (%q)", st.Name, what, fragment)
				}
			}
			switch strings.TrimPrefix(st.Name, env+"-") {
			case "EventGlue":
				has("integrity", "failed verification against its run's manifest")
			case "Ingest":
				for _, r := range resources(st) {
					switch r["Type"] {
					case "AWS::DataSync::Task":
						has("DataSync task execution", "DataSync task execution")
					case "AWS::Transfer::Server":
						has("Transfer authentication", "AuthenticationFailures ")
					case "AWS::S3::Bucket":
					}
				}
				if strings.Contains(jsonOf(st.Template["Resources"]), "AWS::StorageGateway::NFSFileShare") {
					has("File Gateway cache", "CachePercentDirty ")
					has("File Gateway upload backlog", "QueuedWrites ")
				}
			}
		}
	}
	var kinds []string
	for k, n := range seen {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	for _, k := range []string{"dead-letter queue", "state machine", "function", "file system", "job queue", "datasync"} {
		if seen[k] == 0 {
			t.Errorf("no %s in any environment: the check covers nothing (%v)", k, kinds)
		}
	}
	t.Logf("checked: %s", strings.Join(kinds, ", "))
}

// TestDashboard checks that each environment has one dashboard, in the last
// stack, whose widgets name the metrics that follow a run.
func TestDashboard(t *testing.T) {
	s := synthAll(t)
	for _, env := range s.Envs {
		var body string
		n := 0
		for _, st := range s.Stacks[env] {
			for _, r := range resources(st) {
				if r["Type"] == "AWS::CloudWatch::Dashboard" {
					n++
					body = jsonOf(props(r)["DashboardBody"])
					if st.Name != env+"-Dashboard" {
						t.Errorf("%s: dashboard in %s", env, st.Name)
					}
				}
			}
		}
		if n != 1 {
			t.Fatalf("%s: %d dashboards, want 1", env, n)
		}
		for _, want := range []string{
			"Arrivals per channel", "Runs completed, verified and failed", "Verification bytes and time",
			"Batch jobs failed, per queue", "Storage by class: ",
			`MatchedEvents`, `ExecutionsFailed`, `ExecutionTime`, `biolake/Verify`, `VerifiedBytes`, `BucketSizeBytes`, `DeepArchiveStorage`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: dashboard lacks %s", env, want)
			}
		}
		if p := s.Platforms[env]; p.Compute != nil && len(p.Compute.Workflows) > 0 {
			for _, want := range []string{"Workflow executions", "ExecutionsStarted", "ExecutionsSucceeded"} {
				if !strings.Contains(body, want) {
					t.Errorf("%s: dashboard lacks %s", env, want)
				}
			}
		}
		if got := strings.Count(body, "Storage by class: "); got != len(s.Platforms[env].DataLake.Lake.DataBuckets()) {
			t.Errorf("%s: %d storage widgets for %d data buckets", env, got, len(s.Platforms[env].DataLake.Lake.DataBuckets()))
		}
	}
}

package lustre_test

import (
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/internal/fsxage"
)

// The tags the workflow writes are the ones the check reads.
func TestRunAgeCheckTags(t *testing.T) {
	if lustre.ManagedByTag != fsxage.ManagedByTag || lustre.WorkflowTagValue != fsxage.WorkflowTagValue {
		t.Errorf("lustre marks per-run file systems %s=%s, the check looks for %s=%s",
			lustre.ManagedByTag, lustre.WorkflowTagValue, fsxage.ManagedByTag, fsxage.WorkflowTagValue)
	}
}

// The check: its function (package, environment, VPC, reserved
// concurrency), the schedule, the role's two statements, the metric and
// both alarms.
func TestRunAgeCheck(t *testing.T) {
	f := load(t)
	fnID, fn := f.Res(t, "PerRun", "Lustre/RunAgeCheck/Function")
	p := fn.Properties
	if got := js(cdktest.Get(p, "Environment", "Variables")); got != `{"ENVIRONMENT":"test","LOG_LEVEL":"info"}` {
		t.Errorf("environment %s", got)
	}
	if p["ReservedConcurrentExecutions"] != float64(1) || p["Timeout"] != float64(60) || cdktest.Get(p, "VpcConfig", "SubnetIds") == nil {
		t.Errorf("function %s", js(p))
	}
	_, rule := f.Res(t, "PerRun", "Lustre/RunAgeCheck/Schedule")
	if rule.Properties["ScheduleExpression"] != "rate(15 minutes)" || !strings.Contains(js(rule.Properties["Targets"]), fnID) {
		t.Errorf("schedule %s", js(rule.Properties))
	}
	perms := f.OfType("PerRun", "AWS::Lambda::Permission", "Lustre/RunAgeCheck/")
	if len(perms) != 1 {
		t.Fatalf("%d invoke permissions: %v", len(perms), f.OfType("PerRun", "AWS::Lambda::Permission", ""))
	}
	for _, perm := range perms {
		if perm.Properties["Principal"] != "events.amazonaws.com" || perm.Properties["SourceArn"] == nil || perm.Properties["SourceAccount"] == nil {
			t.Errorf("invoke permission %s", js(perm.Properties))
		}
	}
	_, pol := f.Res(t, "PerRun", "Lustre/RunAgeCheck/Function/ServiceRole/DefaultPolicy")
	var list, put map[string]any
	for _, s := range cdktest.Statements(cdktest.Get(pol.Properties, "PolicyDocument")) {
		switch s["Sid"] {
		case "ListFileSystems":
			list = s
		case "PublishOverdueCount":
			put = s
		}
	}
	if list == nil || !cdktest.HasAction(list, "fsx:DescribeFileSystems") || (js(list["Resource"]) != `"*"` && js(list["Resource"]) != `["*"]`) || list["Condition"] != nil {
		t.Errorf("list statement %s", js(list))
	}
	if put == nil || !cdktest.HasAction(put, "cloudwatch:PutMetricData") ||
		js(put["Condition"]) != `{"StringEquals":{"cloudwatch:namespace":"biolake/Lustre"}}` {
		t.Errorf("publish statement %s", js(put))
	}
	// Nothing else of FSx or CloudWatch.
	for _, s := range cdktest.Statements(cdktest.Get(pol.Properties, "PolicyDocument")) {
		a := js(s["Action"])
		if (strings.Contains(a, "fsx:") && s["Sid"] != "ListFileSystems") || (strings.Contains(a, "cloudwatch:") && s["Sid"] != "PublishOverdueCount") {
			t.Errorf("unexpected statement %s", js(s))
		}
	}

	want := cdktest.Want("biolake/Lustre", "OverdueRunFileSystems", "Maximum", 900, `{"Environment":"test"}`)
	if got := cdktest.Shape(t, f.Stacks["PerRun"], f.l["PerRun"].MetricOverdueRunFileSystems(nil)); got != want {
		t.Errorf("metric:\n got %+v\nwant %+v", got, want)
	}
	for _, stack := range []string{"Persistent", "Scratch"} {
		if m := f.l[stack].MetricOverdueRunFileSystems(nil); m != nil {
			t.Errorf("%s: a standing file system has an overdue metric", stack)
		}
	}

	_, over := f.Res(t, "PerRun", "Lustre/RunAgeCheck/OverdueAlarm")
	o := over.Properties
	if o["MetricName"] != "OverdueRunFileSystems" || o["Statistic"] != "Maximum" || o["Period"] != float64(900) || o["Threshold"] != float64(1) ||
		o["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || o["EvaluationPeriods"] != float64(1) || o["TreatMissingData"] != "notBreaching" {
		t.Errorf("overdue alarm %s", js(o))
	}
	_, stopped := f.Res(t, "PerRun", "Lustre/RunAgeCheck/StoppedAlarm")
	s := stopped.Properties
	if s["MetricName"] != "OverdueRunFileSystems" || s["Statistic"] != "SampleCount" || s["Period"] != float64(3600) || s["Threshold"] != float64(1) ||
		s["ComparisonOperator"] != "LessThanThreshold" || s["TreatMissingData"] != "breaching" {
		t.Errorf("stopped alarm %s", js(s))
	}
	for _, a := range []map[string]any{o, s} {
		if js(a["Dimensions"]) != `[{"Name":"Environment","Value":"test"}]` || a["Namespace"] != "biolake/Lustre" {
			t.Errorf("alarm metric %s", js(a))
		}
	}
	if js(o["AlarmActions"]) != js(o["OKActions"]) || !strings.Contains(js(o["AlarmActions"]), "Ops") || js(s["AlarmActions"]) != js(o["AlarmActions"]) {
		t.Errorf("alarm actions %s %s", js(o["AlarmActions"]), js(s["AlarmActions"]))
	}
	if f.ageCheck.Function == nil || f.ageCheck.OverdueAlarm == nil || f.ageCheck.StoppedAlarm == nil {
		t.Error("RunAgeCheck fields unset")
	}
}

func TestRunAgeCheckRefused(t *testing.T) {
	f := load(t)
	err := cdktest.CatchValidation(t, func() { f.l["Persistent"].AddRunAgeCheck(nil) })
	cdktest.HasField(t, err, *f.l["Persistent"].Node().Path(), "AddRunAgeCheck")

	// Per-run without an environment: nothing names its file systems.
	_, stack := cdktest.NewStack("NoEnv")
	net := network.New(stack, "Network", nil)
	props := &lustre.Props{
		Network: net, Lake: datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true}),
		ClientSecurityGroup: clientSG(stack, net), Mode: lustre.ModePerRun,
	}
	l := lustre.New(stack, "Lustre", props)
	err = cdktest.CatchValidation(t, func() { l.AddRunAgeCheck(nil) })
	if !strings.Contains(err.Error(), "needs Props.Mode per-run and Props.Environment") {
		t.Errorf("error %v", err)
	}
	if l.MetricOverdueRunFileSystems(nil) != nil {
		t.Error("metric without an environment")
	}
	// The environment becomes a tag value and a metric dimension.
	props.Environment = "stag ing"
	if err := props.Validate(); err == nil || !strings.Contains(err.Error(), `Props.Environment is "stag ing"`) {
		t.Errorf("Validate: %v", err)
	}
}

package alarm_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/alarm"
	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// One stack: an alarm with every default and a topic, one with every
// setting overridden and no topic.
func TestNew(t *testing.T) {
	_, stack := cdktest.NewStack("Alarms")
	topic := awssns.NewTopic(stack, jsii.String("Topic"), nil)
	m := alarm.Metric("Custom/Test", "Things", map[string]*string{"Name": jsii.String("a")}, nil, alarm.Sum)
	alarm.New(stack, "Defaults", alarm.Props{Metric: m, Means: "a thing happened.", Check: "the log", Topic: topic})
	alarm.New(stack, "Custom", alarm.Props{
		Metric: m, Means: "too many things", Check: "the source",
		Threshold: 80, Comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods: 3, TreatMissingData: awscloudwatch.TreatMissingData_BREACHING,
	})
	tpl := cdktest.Template(t, stack)
	alarms := cdktest.Resources(t, tpl, "AWS::CloudWatch::Alarm")
	byDesc := map[string]map[string]any{}
	for _, a := range alarms {
		p := a["Properties"].(map[string]any)
		byDesc[p["AlarmDescription"].(string)] = p
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }

	d, ok := byDesc["biolake: a thing happened. Check: the log."]
	if !ok {
		t.Fatalf("no alarm with the default description: %v", js(alarms))
	}
	if d["Threshold"] != 1.0 || d["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || d["EvaluationPeriods"] != 1.0 ||
		d["TreatMissingData"] != "notBreaching" || d["Period"] != 300.0 || d["Statistic"] != "Sum" ||
		d["Namespace"] != "Custom/Test" || d["MetricName"] != "Things" || js(d["Dimensions"]) != `[{"Name":"Name","Value":"a"}]` {
		t.Errorf("defaults: %s", js(d))
	}
	if js(d["AlarmActions"]) != js(d["OKActions"]) || len(d["AlarmActions"].([]any)) != 1 {
		t.Errorf("defaults: actions %s / %s", js(d["AlarmActions"]), js(d["OKActions"]))
	}

	c, ok := byDesc["biolake: too many things. Check: the source."]
	if !ok {
		t.Fatalf("no custom alarm: %v", js(alarms))
	}
	if c["Threshold"] != 80.0 || c["ComparisonOperator"] != "GreaterThanThreshold" || c["EvaluationPeriods"] != 3.0 || c["TreatMissingData"] != "breaching" {
		t.Errorf("custom: %s", js(c))
	}
	if c["AlarmActions"] != nil || c["OKActions"] != nil {
		t.Errorf("custom: actions without a topic: %s", js(c))
	}

	// A missing description is a bug of the calling construct.
	if _, panicked := cdktest.Catch(func() { alarm.New(stack, "Bad", alarm.Props{Metric: m, Means: "x"}) }); !panicked {
		t.Error("no panic without Check")
	}
}

func TestOptions(t *testing.T) {
	o := alarm.Options(nil, alarm.Maximum)
	if *o.Statistic != "Maximum" || *o.Period.ToSeconds(nil) != 300 {
		t.Errorf("defaults: %s %v", *o.Statistic, *o.Period.ToSeconds(nil))
	}
	in := &awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: awscdk.Duration_Minutes(jsii.Number(1))}
	o = alarm.Options(in, alarm.Sum)
	if *o.Statistic != "p99" || *o.Period.ToSeconds(nil) != 60 {
		t.Errorf("given: %s %v", *o.Statistic, *o.Period.ToSeconds(nil))
	}
	if o == in {
		t.Error("Options returned its argument")
	}
	if got := alarm.Description("x.", "y"); got != "biolake: x. Check: y." {
		t.Errorf("description %q", got)
	}
}

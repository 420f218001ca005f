package observability_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/observability"
	"github.com/biolake/biolake/internal/verify"
)

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

// The topic: encrypted with a key of its own, TLS only, open to this
// account's alarms, with the e-mail and HTTPS subscriptions asked for.
func TestOperations(t *testing.T) {
	_, stack := cdktest.NewStack("Ops")
	observability.New(stack, "Operations", &observability.Props{
		Emails:   []string{"ops@example.org", "oncall@example.org"},
		Webhooks: []string{"https://hooks.example.org/sns"},
	})
	tpl := cdktest.Template(t, stack)
	cdktest.Count(t, tpl, "AWS::KMS::Key", 1)
	cdktest.Has(t, tpl, "AWS::SNS::Topic", cdktest.Props{"KmsMasterKeyId": cdktest.Like(cdktest.Props{"Fn::GetAtt": cdktest.ArrayWith()})})
	policies := cdktest.Resources(t, tpl, "AWS::SNS::TopicPolicy")
	if len(policies) != 1 {
		t.Fatalf("topic policies: %d", len(policies))
	}
	var sids []string
	for _, p := range policies {
		for _, s := range cdktest.Statements(cdktest.Get(p, "Properties", "PolicyDocument")) {
			sid, _ := s["Sid"].(string)
			if s["Effect"] == "Deny" && strings.Contains(js(s["Condition"]), `"aws:SecureTransport":"false"`) {
				sid = "TLS"
			}
			sids = append(sids, sid)
		}
	}
	if !strings.Contains(strings.Join(sids, ","), "TLS") || !strings.Contains(strings.Join(sids, ","), "AllowCloudWatchAlarms") {
		t.Errorf("topic policy statements %v: want a TLS-only deny and AllowCloudWatchAlarms", sids)
	}
	subs := cdktest.Resources(t, tpl, "AWS::SNS::Subscription")
	got := map[string]bool{}
	for _, s := range subs {
		p := s["Properties"].(map[string]any)
		got[p["Protocol"].(string)+" "+p["Endpoint"].(string)] = true
	}
	for _, w := range []string{"email ops@example.org", "email oncall@example.org", "https https://hooks.example.org/sns"} {
		if !got[w] {
			t.Errorf("no subscription %q in %v", w, got)
		}
	}
	if len(subs) != 3 {
		t.Errorf("%d subscriptions, want 3", len(subs))
	}
}

func TestPropsValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props observability.Props
		field string
	}{
		{"display name", observability.Props{Emails: []string{"Ops <ops@example.org>"}}, "Props.Emails"},
		{"no domain dot", observability.Props{Emails: []string{"ops@localhost"}}, "Props.Emails"},
		{"not an address", observability.Props{Emails: []string{"ops"}}, "Props.Emails"},
		{"twice", observability.Props{Emails: []string{"ops@example.org", "OPS@example.org"}}, "Props.Emails"},
		{"http", observability.Props{Webhooks: []string{"http://hooks.example.org/sns"}}, "Props.Webhooks"},
		{"no host", observability.Props{Webhooks: []string{"https:///sns"}}, "Props.Webhooks"},
		{"credentials", observability.Props{Webhooks: []string{"https://user:pw@hooks.example.org/"}}, "Props.Webhooks"},
		{"hook twice", observability.Props{Webhooks: []string{"https://h.example.org/a", "https://h.example.org/a"}}, "Props.Webhooks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stack := cdktest.NewStack("Bad")
			err := cdktest.CatchValidation(t, func() { observability.New(stack, "Operations", &tc.props) })
			cdktest.HasField(t, err, "Bad/Operations", tc.field)
		})
	}
	good := observability.Props{Emails: []string{"ops@example.org"}, Webhooks: []string{"https://hooks.example.org/x?token=abc"}}
	if err := good.Validate(); err != nil {
		t.Errorf("valid props refused: %v", err)
	}
	var none *observability.Props
	if err := none.Validate(); err != nil {
		t.Errorf("nil props refused: %v", err)
	}
}

func TestThresholdsValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		th    observability.Thresholds
		field string
	}{
		{"auth failures negative", observability.Thresholds{TransferAuthFailures: -1}, "Thresholds.TransferAuthFailures"},
		{"auth failures too many", observability.Thresholds{TransferAuthFailures: 10001}, "Thresholds.TransferAuthFailures"},
		{"free storage 0 < x", observability.Thresholds{FreeStoragePercent: 95}, "Thresholds.FreeStoragePercent"},
		{"cache dirty over 100", observability.Thresholds{CacheDirtyPercent: 101}, "Thresholds.CacheDirtyPercent"},
		{"backlog negative", observability.Thresholds{UploadBacklogGiB: -5}, "Thresholds.UploadBacklogGiB"},
		{"lambda errors negative", observability.Thresholds{LambdaErrors: -1}, "Thresholds.LambdaErrors"},
		{"throttles negative", observability.Thresholds{LambdaThrottles: -2}, "Thresholds.LambdaThrottles"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := cdktest.CatchValidation(t, func() { observability.NewAlarms("Stage", nil, &tc.th) })
			cdktest.HasField(t, err, "Stage", tc.field)
		})
	}
	a := observability.NewAlarms("Stage", nil, nil)
	if a.Thresholds.TransferAuthFailures != observability.DefaultTransferAuthFailures || a.Thresholds.FreeStoragePercent != 10 ||
		a.Thresholds.CacheDirtyPercent != 80 || a.Thresholds.UploadBacklogGiB != 100 || a.Thresholds.LambdaErrors != 1 || a.Thresholds.LambdaThrottles != 1 {
		t.Errorf("defaults: %+v", a.Thresholds)
	}
}

// fake is a construct with every metric method the alarms and the
// dashboard take.
type fake struct {
	constructs.Construct
	capacity int
}

func newFake(scope constructs.Construct, id string) *fake {
	f := &fake{capacity: 2400}
	constructs.NewConstruct_Override(f, scope, jsii.String(id))
	return f
}

func (f *fake) m(name string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	p := &awscloudwatch.MetricProps{Namespace: jsii.String("Fake"), MetricName: jsii.String(name)}
	if opts != nil {
		p.Period, p.Statistic, p.Label = opts.Period, opts.Statistic, opts.Label
	}
	return awscloudwatch.NewMetric(p)
}

func (f *fake) MetricTaskExecutionsFailed(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("TaskFailed", o)
}
func (f *fake) MetricAuthenticationFailures(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("AuthFailures", o)
}
func (f *fake) MetricIntegrityFailed(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("IntegrityFailed", o)
}
func (f *fake) MetricVerifyFailed(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("VerifyFailed", o)
}
func (f *fake) MetricVerifyTime(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("VerifyTime", o)
}
func (f *fake) MetricQueueJobsFailed(name string, o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	if name == "missing" {
		return nil
	}
	return f.m("JobsFailed"+name, o)
}
func (f *fake) MetricFreeStorage(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	if f.capacity == 0 {
		return nil
	}
	return f.m("FreeStorage", o)
}
func (f *fake) StorageCapacityGiB() int { return f.capacity }
func (f *fake) MetricCacheDirty(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("CacheDirty", o)
}
func (f *fake) MetricUploadBacklog(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("QueuedWrites", o)
}
func (f *fake) MetricExecutionsStarted(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("ExecutionsStarted", o)
}
func (f *fake) MetricExecutionsSucceeded(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("ExecutionsSucceeded", o)
}
func (f *fake) MetricExecutionsFailed(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("ExecutionsFailed", o)
}
func (f *fake) MetricExecutionsTimedOut(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("ExecutionsTimedOut", o)
}
func (f *fake) MetricExecutionsAborted(o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.m("ExecutionsAborted", o)
}

// alarmsByMetric returns the alarms of tpl by MetricName.
func alarmsByMetric(t *testing.T, stack awscdk.Stack) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, a := range cdktest.Resources(t, cdktest.Template(t, stack), "AWS::CloudWatch::Alarm") {
		p := a["Properties"].(map[string]any)
		out[p["MetricName"].(string)] = p
	}
	return out
}

// Each alarm method: its metric, threshold, comparison and periods, and
// the topic as ALARM and OK action.
func TestAlarms(t *testing.T) {
	_, stack := cdktest.NewStack("Alarms")
	ops := observability.New(stack, "Operations", nil)
	a := observability.NewAlarms("Alarms", ops.Topic, &observability.Thresholds{TransferAuthFailures: 25, FreeStoragePercent: 20})
	src := newFake(stack, "Src")
	a.DataSync(src)
	a.Transfer(src)
	a.Integrity(src)
	if got := a.Batch(src, []string{"Gpu", "missing", "Default"}); len(got) != 2 {
		t.Errorf("batch alarms: %d, want 2 (a queue without a metric is skipped)", len(got))
	}
	a.Lustre(src)
	if got := a.FileGateway(src); len(got) != 2 {
		t.Errorf("file gateway alarms: %d", len(got))
	}
	perRun := newFake(stack, "PerRun")
	perRun.capacity = 0
	if a.Lustre(perRun) != nil {
		t.Error("an alarm for per-run Lustre, which has no standing file system")
	}
	a.DeadLetters(src, "DlqAlarm", awssqs.NewQueue(stack, jsii.String("Dlq"), nil), "test messages")

	byMetric := alarmsByMetric(t, stack)
	want := map[string]string{
		"TaskFailed":        "1 GreaterThanOrEqualToThreshold 1",
		"AuthFailures":      "25 GreaterThanOrEqualToThreshold 1",
		"IntegrityFailed":   "1 GreaterThanOrEqualToThreshold 1",
		"JobsFailedGpu":     "1 GreaterThanOrEqualToThreshold 1",
		"JobsFailedDefault": "1 GreaterThanOrEqualToThreshold 1",
		// 20% of 2400 GiB.
		"FreeStorage":                        "515396075520 LessThanThreshold 5",
		"CacheDirty":                         "80 GreaterThanOrEqualToThreshold 3",
		"QueuedWrites":                       "107374182400 GreaterThanOrEqualToThreshold 3",
		"ApproximateNumberOfMessagesVisible": "1 GreaterThanOrEqualToThreshold 1",
	}
	for metric, w := range want {
		p, ok := byMetric[metric]
		if !ok {
			t.Errorf("no alarm on %s", metric)
			continue
		}
		got := js(p["Threshold"]) + " " + p["ComparisonOperator"].(string) + " " + js(p["EvaluationPeriods"])
		if got != w {
			t.Errorf("%s: %s, want %s", metric, got, w)
		}
		if len(p["AlarmActions"].([]any)) != 1 || js(p["AlarmActions"]) != js(p["OKActions"]) ||
			!strings.Contains(js(p["AlarmActions"]), "OperationsTopic") {
			t.Errorf("%s: actions %s / %s, want the operations topic", metric, js(p["AlarmActions"]), js(p["OKActions"]))
		}
		if !strings.HasPrefix(p["AlarmDescription"].(string), "biolake: ") {
			t.Errorf("%s: description %q", metric, p["AlarmDescription"])
		}
	}
	if len(byMetric) != len(want) {
		t.Errorf("%d alarms, want %d: %v", len(byMetric), len(want), js(byMetric))
	}
}

// RouteAlarms adds the topic once to every alarm in every stack of the
// app, including those created after the call and those that already
// notify it, across stacks.
func TestRouteAlarms(t *testing.T) {
	app := cdktest.NewApp(nil)
	opsStack := awscdk.NewStack(app, jsii.String("Ops"), nil)
	other := awscdk.NewStack(app, jsii.String("Other"), nil)
	ops := observability.New(opsStack, "Operations", nil)
	m := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("Fake"), MetricName: jsii.String("X")})
	mk := func(id string) awscloudwatch.Alarm {
		return m.CreateAlarm(other, jsii.String(id), &awscloudwatch.CreateAlarmOptions{Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(1)})
	}
	mk("Before")
	ops.RouteAlarms(app)
	mk("After")
	already := observability.NewAlarms("x", ops.Topic, nil)
	already.DeadLetters(other, "Already", awssqs.NewQueue(other, jsii.String("Q"), nil), "test")
	composite := awscloudwatch.NewCompositeAlarm(other, jsii.String("Composite"), &awscloudwatch.CompositeAlarmProps{
		AlarmRule: awscloudwatch.AlarmRule_AnyOf(mk("Part")),
	})
	_ = composite

	tpl := cdktest.Template(t, other)
	alarms := cdktest.Resources(t, tpl, "AWS::CloudWatch::Alarm")
	for id, c := range cdktest.Resources(t, tpl, "AWS::CloudWatch::CompositeAlarm") {
		alarms[id] = c
	}
	if len(alarms) != 5 {
		t.Fatalf("%d alarms, want 5", len(alarms))
	}
	for id, a := range alarms {
		p := a["Properties"].(map[string]any)
		for _, k := range []string{"AlarmActions", "OKActions"} {
			acts, _ := p[k].([]any)
			if len(acts) != 1 || !strings.Contains(js(acts[0]), "OperationsTopic") {
				t.Errorf("%s %s = %s, want the operations topic once", id, k, js(p[k]))
			}
		}
	}
}

// Functions: an errors and a throttles alarm per function, none for the
// functions of CDK's custom-resource provider framework.
func TestFunctions(t *testing.T) {
	_, stack := cdktest.NewStack("Fns")
	code := awslambda.Code_FromInline(jsii.String("exports.handler = async () => {}"))
	fn := awslambda.NewFunction(stack, jsii.String("Handler"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_NODEJS_22_X(), Handler: jsii.String("index.handler"), Code: code,
	})
	onEvent := awslambda.NewFunction(stack, jsii.String("OnEvent"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_NODEJS_22_X(), Handler: jsii.String("index.handler"), Code: code,
	})
	customresources.NewProvider(stack, jsii.String("Provider"), &customresources.ProviderProps{OnEventHandler: onEvent})
	a := observability.NewAlarms("Fns", observability.New(stack, "Operations", &observability.Props{}).Topic, &observability.Thresholds{LambdaErrors: 3})
	got := a.Functions(stack)
	// The Handler and OnEvent (the app's own); not the provider's framework function.
	if len(got) != 4 {
		t.Fatalf("%d alarms, want 4 (errors and throttles of Handler and OnEvent)", len(got))
	}
	if again := a.Functions(stack); len(again) != 0 {
		t.Errorf("a second call created %d more alarms", len(again))
	}
	tpl := cdktest.Template(t, stack)
	cdktest.Has(t, tpl, "AWS::CloudWatch::Alarm", cdktest.Props{
		"MetricName": "Errors", "Namespace": "AWS/Lambda", "Threshold": 3,
		"Dimensions": []any{map[string]any{"Name": "FunctionName", "Value": map[string]any{"Ref": *stack.GetLogicalId(fn.Node().DefaultChild().(awscdk.CfnElement))}}},
	})
	cdktest.Has(t, tpl, "AWS::CloudWatch::Alarm", cdktest.Props{"MetricName": "Throttles", "Namespace": "AWS/Lambda", "Threshold": 1})
}

// The dashboard: a widget per part of a run's way, each naming its metrics.
func TestDashboard(t *testing.T) {
	_, stack := cdktest.NewStack("Dash")
	src := newFake(stack, "Glue")
	bus := awsevents.NewEventBus(stack, jsii.String("Bus"), nil)
	bucket := awss3.NewBucket(stack, jsii.String("Raw"), nil)
	d := observability.NewDashboard(stack, "Dashboard", &observability.DashboardProps{
		Bus:       bus,
		Glue:      src,
		Workflows: []observability.WorkflowSource{newFake(stack, "Workflowrnaseq")},
		Batch:     []observability.BatchQueues{{Source: src, Queues: []string{"Gpu", "Default"}}},
		Buckets:   []awss3.IBucket{bucket},
	})
	if len(d.CountingRules) != 5 {
		t.Errorf("%d counting rules, want 5 (three channels, completed, ingested)", len(d.CountingRules))
	}
	tpl := cdktest.Template(t, stack)
	for _, ch := range observability.Channels {
		cdktest.Has(t, tpl, "AWS::Events::Rule", cdktest.Props{"EventPattern": cdktest.Props{
			"source": []any{"biolake.ingest"}, "detail-type": []any{"DatasetReceived"}, "detail": cdktest.Props{"channel": []any{ch}},
		}})
	}
	cdktest.Has(t, tpl, "AWS::Events::Rule", cdktest.Props{"EventPattern": cdktest.Props{"source": []any{"biolake.verify"}, "detail-type": []any{"RunIngested"}}})
	dashes := cdktest.Resources(t, tpl, "AWS::CloudWatch::Dashboard")
	if len(dashes) != 1 {
		t.Fatalf("%d dashboards", len(dashes))
	}
	var body string
	for _, r := range dashes {
		body = js(r["Properties"].(map[string]any)["DashboardBody"])
	}
	for _, want := range []string{
		`Arrivals per channel`, `MatchedEvents`, `Runs completed, verified and failed`, `VerifyFailed`, `IntegrityFailed`,
		`Verification bytes and time`, observability.VerifyNamespace, observability.VerifiedBytes, `VerifyTime`,
		`Workflow executions`, `ExecutionsStarted`, `ExecutionsSucceeded`, `ExecutionsFailed`, `ExecutionsTimedOut`, `ExecutionsAborted`,
		`Batch jobs failed, per queue`, `JobsFailedGpu`, `JobsFailedDefault`,
		`Storage by class: Raw`, `BucketSizeBytes`, `StandardIAStorage`, `DeepArchiveStorage`, `GlacierInstantRetrievalStorage`, `\"period\":86400`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard body lacks %s", want)
		}
	}
	// Missing Bus or Glue is bad input.
	_, s2 := cdktest.NewStack("Bad")
	err := cdktest.CatchValidation(t, func() { observability.NewDashboard(s2, "Dashboard", &observability.DashboardProps{}) })
	cdktest.ValidationErrors(t, err, "Bad/Dashboard")
}

// The dashboard reads the metric the verify handler writes.
func TestVerifyMetricNames(t *testing.T) {
	if observability.VerifyNamespace != verify.MetricNamespace || observability.VerifiedBytes != verify.MetricVerifiedBytes {
		t.Errorf("dashboard reads %s %s, the handler writes %s %s", observability.VerifyNamespace, observability.VerifiedBytes, verify.MetricNamespace, verify.MetricVerifiedBytes)
	}
}

package observability

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/alarm"
	"github.com/biolake/biolake/constructs/validation"
	"github.com/biolake/biolake/internal/events"
)

// The verify handler's embedded-format metric (internal/verify publishes
// it with each verified run; no dimension).
const (
	VerifyNamespace = "biolake/Verify"
	VerifiedBytes   = "VerifiedBytes"
)

// Channels data arrives by, as the DatasetReceived event names them.
var Channels = []string{"datasync", "transfer", "filegateway"}

// StorageTypes are the S3 storage metrics' StorageType values the storage
// widgets show, one line per class (AWS/S3 BucketSizeBytes, published
// once a day).
var StorageTypes = []string{
	"StandardStorage", "StandardIAStorage", "IntelligentTieringFAStorage", "IntelligentTieringIAStorage",
	"IntelligentTieringAIAStorage", "GlacierInstantRetrievalStorage", "GlacierStorage", "DeepArchiveStorage",
}

// GlueSource is the event glue (eventglue.EventGlue): the verify flow's
// outcome and duration.
type GlueSource interface {
	IntegritySource
	MetricVerifyFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricVerifyTime(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
}

// WorkflowSource is a secondary-analysis workflow (workflow.Workflow).
type WorkflowSource interface {
	constructs.Construct
	MetricExecutionsStarted(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricExecutionsSucceeded(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricExecutionsFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricExecutionsTimedOut(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricExecutionsAborted(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
}

// BatchQueues is Batch compute and the names of the queues to show.
type BatchQueues struct {
	Source BatchSource
	// Queues by name ("" for a single Fargate queue).
	Queues []string
}

// DashboardProps say what the dashboard shows.
type DashboardProps struct {
	// Bus is the platform's event bus: rules without a target on it count
	// DatasetReceived per channel, RunCompleted and RunIngested (AWS/Events
	// MatchedEvents). Required.
	Bus awsevents.IEventBus
	// Glue gives verification failures, integrity failures and the verify
	// flow's duration. Required.
	Glue GlueSource
	// Workflows shown, one line set each. Default: none.
	Workflows []WorkflowSource
	// Batch queues whose failed jobs are shown. Default: none.
	Batch []BatchQueues
	// Buckets whose storage by class is shown (the lake's data buckets).
	// Default: none.
	Buckets []awss3.IBucket
	// Period of the run widgets. Default: one hour.
	PeriodMinutes int
}

// Dashboard is the CloudWatch dashboard that follows a run from arrival to
// results, with the counting rules it needs.
type Dashboard struct {
	constructs.Construct
	// Dashboard is the CloudWatch dashboard.
	Dashboard awscloudwatch.Dashboard
	// CountingRules count events on the bus, by name: "Arrivals<channel>",
	// "RunsCompleted", "RunsIngested". They have no target.
	CountingRules map[string]awsevents.Rule
}

// NewDashboard creates the dashboard. It panics, naming the construct path,
// when Bus or Glue is missing.
func NewDashboard(scope constructs.Construct, id string, props *DashboardProps) *Dashboard {
	path := validation.PathOf(scope, id)
	if props == nil || props.Bus == nil || props.Glue == nil {
		validation.Check(path, validation.New("", "DashboardProps.Bus/Glue", validation.Raw("nil"), "the platform's event bus and event glue"))
	}
	if props.PeriodMinutes < 0 {
		validation.Check(path, validation.New("", "DashboardProps.PeriodMinutes", props.PeriodMinutes, "a positive number of minutes, or 0 for 60"))
	}
	d := &Dashboard{CountingRules: map[string]awsevents.Rule{}}
	constructs.NewConstruct_Override(d, scope, jsii.String(id))
	minutes := props.PeriodMinutes
	if minutes == 0 {
		minutes = 60
	}
	period := awscdk.Duration_Minutes(jsii.Number(float64(minutes)))
	sum := func(label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String(alarm.Sum), Label: jsii.String(label)}
	}

	count := func(name, label, source, detailType string, detail map[string]interface{}) awscloudwatch.IMetric {
		pattern := &awsevents.EventPattern{Source: jsii.Strings(source), DetailType: jsii.Strings(detailType)}
		if detail != nil {
			pattern.Detail = &detail
		}
		rule := awsevents.NewRule(d, jsii.String(name+"Rule"), &awsevents.RuleProps{
			EventBus:     props.Bus,
			Description:  jsii.String("biolake dashboard: counts " + label + " (no target; AWS/Events MatchedEvents)"),
			EventPattern: pattern,
		})
		d.CountingRules[name] = rule
		return alarm.Metric("AWS/Events", "MatchedEvents", map[string]*string{
			"EventBusName": props.Bus.EventBusName(), "RuleName": rule.RuleName(),
		}, sum(label), alarm.Sum)
	}

	var arrivals []awscloudwatch.IMetric
	for _, ch := range Channels {
		arrivals = append(arrivals, count("Arrivals"+ch, ch, events.SourceIngest, events.DetailTypeDatasetReceived, map[string]interface{}{"channel": []string{ch}}))
	}
	completed := count("RunsCompleted", "runs completed", events.SourceIngest, events.DetailTypeRunCompleted, nil)
	ingested := count("RunsIngested", "runs verified", events.SourceVerify, events.DetailTypeRunIngested, nil)

	g := props.Glue
	graph := func(title string, left, right []awscloudwatch.IMetric, width float64, stacked bool) awscloudwatch.IWidget {
		gp := &awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &left, Width: jsii.Number(width), Height: jsii.Number(6), Stacked: jsii.Bool(stacked)}
		if len(right) > 0 {
			gp.Right = &right
		}
		return awscloudwatch.NewGraphWidget(gp)
	}
	rows := [][]awscloudwatch.IWidget{
		{awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String("# biolake: a run's way\nArrivals per channel, then completion, verification, workflows and Batch jobs, then storage by class. " +
				"Alarms and how to answer them: docs/OPERATIONS.md."),
			Width: jsii.Number(24), Height: jsii.Number(2),
		})},
		{
			graph("Arrivals per channel (DatasetReceived)", arrivals, nil, 8, true),
			graph("Runs completed, verified and failed", []awscloudwatch.IMetric{
				completed, ingested,
				g.MetricVerifyFailed(sum("verification failed")),
				g.MetricIntegrityFailed(sum("integrity failures (objects)")),
			}, nil, 8, false),
			graph("Verification bytes and time", []awscloudwatch.IMetric{
				alarm.Metric(VerifyNamespace, VerifiedBytes, map[string]*string{}, sum("bytes verified"), alarm.Sum),
			}, []awscloudwatch.IMetric{
				g.MetricVerifyTime(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum"), Label: jsii.String("verify flow time, max (ms)")}),
				g.MetricVerifyTime(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String(alarm.Average), Label: jsii.String("verify flow time, average (ms)")}),
			}, 8, false),
		},
	}

	var wf []awscloudwatch.IMetric
	for _, w := range props.Workflows {
		name := *w.Node().Id()
		wf = append(wf,
			w.MetricExecutionsStarted(sum(name+" started")),
			w.MetricExecutionsSucceeded(sum(name+" succeeded")),
			w.MetricExecutionsFailed(sum(name+" failed")),
			w.MetricExecutionsTimedOut(sum(name+" timed out")),
			w.MetricExecutionsAborted(sum(name+" aborted")),
		)
	}
	var jobs []awscloudwatch.IMetric
	for _, b := range props.Batch {
		for _, q := range b.Queues {
			label := q
			if label == "" {
				label = *b.Source.Node().Id()
			}
			if m := b.Source.MetricQueueJobsFailed(q, sum(label+" jobs failed")); m != nil {
				jobs = append(jobs, m)
			}
		}
	}
	var row []awscloudwatch.IWidget
	if len(wf) > 0 {
		row = append(row, graph("Workflow executions", wf, nil, 12, false))
	}
	if len(jobs) > 0 {
		row = append(row, graph("Batch jobs failed, per queue", jobs, nil, 12, false))
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}

	row = nil
	day := awscdk.Duration_Days(jsii.Number(1))
	for _, b := range props.Buckets {
		var classes []awscloudwatch.IMetric
		for _, st := range StorageTypes {
			classes = append(classes, alarm.Metric("AWS/S3", "BucketSizeBytes", map[string]*string{
				"BucketName": b.BucketName(), "StorageType": jsii.String(st),
			}, &awscloudwatch.MetricOptions{Period: day, Label: jsii.String(st)}, alarm.Average))
		}
		row = append(row, graph("Storage by class: "+*b.Node().Id(), classes, nil, 8, true))
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}

	d.Dashboard = awscloudwatch.NewDashboard(d, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Days(jsii.Number(7)),
	})
	for _, r := range rows {
		d.Dashboard.AddWidgets(r...)
	}
	return d
}

// Name is the dashboard's name (generated by CloudFormation: a token).
func (d *Dashboard) Name() *string { return d.Dashboard.DashboardName() }

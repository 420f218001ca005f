// Package alarm builds biolake's CloudWatch alarms from the constructs'
// MetricX methods with one set of house defaults, and fills in the
// defaults those methods document (Options).
//
// It is internal: the defaults are biolake's choice for its own alarms. An
// app that wants alarms of its own calls a construct's MetricX method and
// awscloudwatch.Metric.CreateAlarm with its own settings; the platform's
// operations construct lives under constructs/ and uses this package.
package alarm

import (
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Period is the default period of every MetricX method and so of every
// alarm built on one: five minutes, the period at which most AWS services
// publish and the shortest that standard-resolution alarms on them can
// use without gaps.
const Period = 5 * time.Minute

// House defaults of New.
const (
	// Threshold: the alarm fires on one event (one failed execution, one
	// dead letter) within Period.
	Threshold = 1
	// EvaluationPeriods: one period at or over the threshold is enough.
	EvaluationPeriods = 1
	// DescriptionPrefix starts every description, so that a notification
	// says where it comes from.
	DescriptionPrefix = "biolake: "
)

// Statistics the MetricX methods use.
const (
	Sum     = "Sum"
	Maximum = "Maximum"
	Minimum = "Minimum"
	Average = "Average"
)

// Options returns opts with the defaults of a MetricX method filled in:
// Period when opts has none, and statistic when opts has none. opts may be
// nil; it is not modified.
func Options(opts *awscloudwatch.MetricOptions, statistic string) *awscloudwatch.MetricOptions {
	out := awscloudwatch.MetricOptions{}
	if opts != nil {
		out = *opts
	}
	if out.Period == nil {
		out.Period = awscdk.Duration_Seconds(jsii.Number(Period.Seconds()))
	}
	if out.Statistic == nil {
		out.Statistic = jsii.String(statistic)
	}
	return &out
}

// Props of an alarm. Metric, Means and Check are required.
type Props struct {
	// Metric is what the alarm watches, from a construct's MetricX method.
	Metric awscloudwatch.IMetric
	// Means says what the alarm means, as a sentence without its final
	// period ("an execution of the rnaseq workflow failed").
	Means string
	// Check says what the operator looks at or does first ("its
	// notification says why").
	Check string
	// Topic receives the alarm's ALARM and OK notifications. Default:
	// none (no actions).
	Topic awssns.ITopic
	// Threshold the metric is compared with; 0 takes the default, so a
	// "more than none" alarm on a fractional metric uses a small threshold
	// instead. Default: Threshold (1).
	Threshold float64
	// Comparison of the metric with Threshold. Default: greater than or
	// equal to.
	Comparison awscloudwatch.ComparisonOperator
	// EvaluationPeriods over which the metric must breach. Default:
	// EvaluationPeriods (1).
	EvaluationPeriods int
	// TreatMissingData: no data means nothing happened. Default: not
	// breaching.
	TreatMissingData awscloudwatch.TreatMissingData
}

// Description is the alarm description New writes: the prefix, what the
// alarm means, and what to check.
func Description(means, check string) string {
	return DescriptionPrefix + strings.TrimSuffix(means, ".") + ". Check: " + strings.TrimSuffix(check, ".") + "."
}

// New creates the alarm id under scope with the house defaults, and with
// an ALARM and an OK action to p.Topic when one is given. It panics when
// Metric, Means or Check is missing: that is a bug in the calling
// construct, not bad input.
func New(scope constructs.Construct, id string, p Props) awscloudwatch.Alarm {
	if p.Metric == nil || p.Means == "" || p.Check == "" {
		panic("alarm.New " + id + ": Metric, Means and Check are required")
	}
	threshold := p.Threshold
	if threshold == 0 {
		threshold = Threshold
	}
	comparison := p.Comparison
	if comparison == "" {
		comparison = awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
	}
	periods := p.EvaluationPeriods
	if periods == 0 {
		periods = EvaluationPeriods
	}
	missing := p.TreatMissingData
	if missing == "" {
		missing = awscloudwatch.TreatMissingData_NOT_BREACHING
	}
	a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric:             p.Metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: comparison,
		EvaluationPeriods:  jsii.Number(float64(periods)),
		TreatMissingData:   missing,
		AlarmDescription:   jsii.String(Description(p.Means, p.Check)),
	})
	if p.Topic != nil {
		action := awscloudwatchactions.NewSnsAction(p.Topic)
		a.AddAlarmAction(action)
		a.AddOkAction(action)
	}
	return a
}

// Metric is a metric of namespace and name with dimensions, for metrics
// CDK has no method for, with the defaults of Options (statistic when opts
// has none).
func Metric(namespace, name string, dimensions map[string]*string, opts *awscloudwatch.MetricOptions, statistic string) awscloudwatch.Metric {
	o := Options(opts, statistic)
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(namespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &dimensions,
		Period:        o.Period,
		Statistic:     o.Statistic,
		Label:         o.Label,
		Unit:          o.Unit,
		Color:         o.Color,
		Account:       o.Account,
		Region:        o.Region,
	})
}

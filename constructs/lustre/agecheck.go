package lustre

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/alarm"
	"github.com/biolake/biolake/constructs/internal/golambda"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/validation"
	"github.com/biolake/biolake/internal/fsxage"
)

// The run age check (AddRunAgeCheck).
const (
	// RunAgeCheckPackage is the check's handler.
	RunAgeCheckPackage = golambda.ModulePath + "/lambdas/fsxage"
	// RunAgeCheckInterval is how often the check runs, and the period of
	// MetricOverdueRunFileSystems.
	RunAgeCheckInterval = 15 * time.Minute
	// RunAgeCheckTimeout bounds one check (a few DescribeFileSystems pages
	// and one PutMetricData).
	RunAgeCheckTimeout = time.Minute
	// RunAgeCheckStoppedAfter is how long the check may publish nothing
	// before RunAgeCheck.StoppedAlarm fires: four missed runs.
	RunAgeCheckStoppedAfter = time.Hour
	// OverdueNamespace and OverdueMetric are what the check publishes,
	// with the dimension Environment.
	OverdueNamespace = fsxage.Namespace
	OverdueMetric    = fsxage.MetricName
)

// RunAgeCheck counts, every RunAgeCheckInterval, the environment's per-run
// file systems alive longer than their workflow's timeout (the check reads
// the EnvironmentTag, WorkflowTag and TimeoutTag the workflow tags them
// with, internal/fsxage) and alarms on them.
type RunAgeCheck struct {
	// Scope holds the check's resources (the construct "RunAgeCheck"
	// under the Lustre construct).
	Scope constructs.Construct
	// Function runs the check (lambdas/fsxage); its errors are alarmed by
	// the platform's Lambda errors alarms (observability Functions).
	Function awslambda.Function
	// Schedule starts Function every RunAgeCheckInterval.
	Schedule awsevents.Rule
	// OverdueAlarm fires when one or more per-run file systems of the
	// environment outlived their workflow's timeout (or cannot be judged:
	// a timeout tag missing or malformed).
	OverdueAlarm awscloudwatch.Alarm
	// StoppedAlarm fires when the check published nothing for
	// RunAgeCheckStoppedAfter: it no longer runs (or fails every time).
	StoppedAlarm awscloudwatch.Alarm
}

// MetricOverdueRunFileSystems is the number of per-run file systems of
// the environment (Props.Environment) older than their workflow's timeout
// that the run age check found (biolake/Lustre OverdueRunFileSystems,
// dimension Environment). The check publishes 0 too, so missing data means
// it stopped. Default: Maximum over RunAgeCheckInterval. Nil unless
// ModePerRun with Props.Environment set.
func (l *Lustre) MetricOverdueRunFileSystems(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	if l.p.Mode != ModePerRun || l.p.Environment == "" {
		return nil
	}
	o := awscloudwatch.MetricOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Period == nil {
		o.Period = awscdk.Duration_Seconds(jsii.Number(RunAgeCheckInterval.Seconds()))
	}
	return alarm.Metric(OverdueNamespace, OverdueMetric, map[string]*string{fsxage.EnvironmentDimension: jsii.String(l.p.Environment)}, &o, alarm.Maximum)
}

// AddRunAgeCheck creates the run age check of this construct's per-run
// file systems ("RunAgeCheck", under the construct): a function in the
// network's private subnets (HTTPS out only) run every
// RunAgeCheckInterval, and its two alarms, which notify topic (nil: none;
// observability's RouteAlarms adds the operations topic to every alarm of
// an environment anyway). It panics unless the construct
// is ModePerRun with Props.Environment set, or when called twice.
func (l *Lustre) AddRunAgeCheck(topic awssns.ITopic) *RunAgeCheck {
	if l.p.Mode != ModePerRun || l.p.Environment == "" {
		panic(&validation.Error{Path: *l.Node().Path(), Field: "AddRunAgeCheck", Value: validation.Render(string(l.p.Mode) + ", Environment " + l.p.Environment),
			Problem: "needs Props.Mode " + string(ModePerRun) + " and Props.Environment", Accepted: "calls on a Lustre of ModePerRun with an Environment"})
	}
	if l.Node().TryFindChild(jsii.String("RunAgeCheck")) != nil {
		panic(&validation.Error{Path: *l.Node().Path(), Field: "AddRunAgeCheck", Value: validation.Render("a second call"),
			Problem: "the construct has its run age check already", Accepted: "one call per construct"})
	}
	c := &RunAgeCheck{}
	c.Scope = constructs.NewConstruct(l, jsii.String("RunAgeCheck"))
	scope := c.Scope
	// Without a NAT the function reaches FSx and CloudWatch through
	// interface endpoints (the logs endpoint is the Lambda service's).
	l.p.Network.Require(scope, network.EndpointFSx, network.EndpointMonitoring)
	p := &l.p
	sg := awsec2.NewSecurityGroup(scope, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              p.Network.Vpc(),
		Description:      jsii.String("biolake lustre run age check: HTTPS to the FSx and CloudWatch APIs only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to AWS APIs (interface endpoints, or NAT)"), jsii.Bool(false))
	fn := golambda.New(scope, "Function", &golambda.Props{
		Package:             RunAgeCheckPackage,
		Description:         "biolake lustre: counts the per-run FSx for Lustre file systems of " + p.Environment + " alive longer than their workflow's timeout",
		Timeout:             RunAgeCheckTimeout,
		Environment:         map[string]string{"ENVIRONMENT": p.Environment, "LOG_LEVEL": "info"},
		ReservedConcurrency: 1,
		Vpc:                 p.Network.Vpc(),
		VpcSubnets:          p.Network.PrivateSubnets(),
		SecurityGroups:      []awsec2.ISecurityGroup{sg},
		LogKey:              l.LogKey,
		LogRetentionDays:    p.LogRetentionDays,
	})
	c.Function = fn
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ListFileSystems"),
		Actions:   jsii.Strings("fsx:DescribeFileSystems"),
		Resources: jsii.Strings("*"),
	}))
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("PublishOverdueCount"),
		Actions:    jsii.Strings("cloudwatch:PutMetricData"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"cloudwatch:namespace": OverdueNamespace}},
	}))
	c.Schedule = awsevents.NewRule(scope, jsii.String("Schedule"), &awsevents.RuleProps{
		Description: jsii.String("biolake lustre: run the per-run file systems' age check every 15 minutes"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(RunAgeCheckInterval.Minutes()))),
		Targets:     &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{RetryAttempts: jsii.Number(0)})},
	})
	// The invoke permission CDK adds names the rule (SourceArn); the
	// account too, as Control Tower's CT.LAMBDA.PR.2 asks of a service
	// principal's permission.
	for _, child := range *c.Schedule.Node().Children() {
		if perm, ok := child.(awslambda.CfnPermission); ok {
			perm.AddPropertyOverride(jsii.String("SourceAccount"), awscdk.Stack_Of(l).Account())
		}
	}

	c.OverdueAlarm = alarm.New(scope, "OverdueAlarm", alarm.Props{
		Metric: l.MetricOverdueRunFileSystems(nil),
		Means:  "a per-run FSx for Lustre file system of " + p.Environment + " is alive longer than its workflow's timeout (or carries no valid " + TimeoutTag + " tag), and costs money until deleted",
		Check:  "the check's log (" + *fn.FunctionName() + ") names each file system, its workflow, age and deadline; docs/OPERATIONS.md says how to export and delete it",
		Topic:  topic,
	})
	c.StoppedAlarm = alarm.New(scope, "StoppedAlarm", alarm.Props{
		// No sample within the hour: the check did not publish.
		Metric: l.MetricOverdueRunFileSystems(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Seconds(jsii.Number(RunAgeCheckStoppedAfter.Seconds())), Statistic: jsii.String("SampleCount"),
		}),
		Means:            "the age check of " + p.Environment + "'s per-run FSx for Lustre file systems published nothing for an hour: it no longer runs, or fails every time",
		Check:            "the function's errors and log (" + *fn.FunctionName() + "), and that its schedule rule is enabled",
		Comparison:       awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		TreatMissingData: awscloudwatch.TreatMissingData_BREACHING,
		Topic:            topic,
	})

	nag.SuppressDeferred(fn,
		nag.VPCLambdaManagedPolicies,
		nag.Rule{
			ID: "AwsSolutions-IAM5",
			Reason: "fsx:DescribeFileSystems lists the account's file systems and takes no resource-level scoping (the per-run ones get their ids at run time); " +
				"cloudwatch:PutMetricData takes no resource and is limited by the cloudwatch:namespace condition to " + OverdueNamespace + "; " +
				"X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions.",
			AppliesTo: []string{"Resource::*"},
		},
	)
	nag.SuppressDeferred(fn, nag.InAllPacks("The execution role's policy holds the grants CDK and this construct make to this one function; "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(fn, nag.InAllPacks("The schedule invokes the check asynchronously, without retries: a failed check has nothing to redeliver "+
		"(the next one runs 15 minutes later); failures raise the function's Errors alarm and, lasting an hour, the check's StoppedAlarm.",
		"HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ")...)
	return c
}

package observability_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/observability"
)

// Example routes an alarm that knows nothing of operations to the
// operations topic of another stack.
func Example() {
	app := awscdk.NewApp(nil)
	opsStack := awscdk.NewStack(app, jsii.String("Operations"), nil)
	work := awscdk.NewStack(app, jsii.String("Work"), nil)
	ops := observability.New(opsStack, "Operations", &observability.Props{Emails: []string{"oncall@example.org"}})

	m := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("Lab"), MetricName: jsii.String("Failures")})
	a := m.CreateAlarm(work, jsii.String("Failures"), &awscloudwatch.CreateAlarmOptions{Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(1)})
	ops.RouteAlarms(app)
	fmt.Println("before synth:", observability.Notifies(a, ops.Topic))
	app.Synth(nil)
	fmt.Println("after synth:", observability.Notifies(a, ops.Topic))
	// Output:
	// before synth: false
	// after synth: true
}

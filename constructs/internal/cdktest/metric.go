package cdktest

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
)

// MetricShape is a metric as the Metric method tests compare it: its
// namespace, name, statistic, period in seconds, and its dimensions
// resolved in its stack to CloudFormation (a {"Ref": id}, a GetAtt, a
// string), as JSON.
type MetricShape struct {
	Namespace, Name, Statistic string
	Period                     float64
	Dimensions                 string
}

// Shape returns the shape of m, resolved in stack. A nil m fails the test.
func Shape(t testing.TB, stack awscdk.Stack, m awscloudwatch.Metric) MetricShape {
	t.Helper()
	if m == nil {
		t.Fatal("metric is nil")
	}
	var s MetricShape
	Must(t, "resolve metric", func() {
		dims := stack.Resolve(m.Dimensions())
		b, err := json.Marshal(dims)
		if err != nil {
			panic(err)
		}
		s = MetricShape{
			Namespace:  *m.Namespace(),
			Name:       *m.MetricName(),
			Statistic:  *m.Statistic(),
			Period:     *m.Period().ToSeconds(nil),
			Dimensions: string(b),
		}
	})
	return s
}

// Ref is the JSON of a {"Ref": id} dimension value.
func Ref(id string) string { return `{"Ref":"` + id + `"}` }

// GetAtt is the JSON of a {"Fn::GetAtt": [id, attr]} dimension value.
func GetAtt(id, attr string) string { return `{"Fn::GetAtt":["` + id + `","` + attr + `"]}` }

// Want is the shape a test expects.
func Want(namespace, name, statistic string, period float64, dimensions string) MetricShape {
	return MetricShape{Namespace: namespace, Name: name, Statistic: statistic, Period: period, Dimensions: dimensions}
}

package transfer_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"

	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/transfer"
)

// The refused logins are counted by a metric filter on the server's
// structured log; the identity provider's metrics name its function.
func TestMetrics(t *testing.T) {
	f := load(t)
	for _, stack := range []string{"Isolated", "Public"} {
		s, st := f.servers[stack], f.stacks[stack]
		logID, _ := f.res(t, stack, "PartnerTransfer/LogGroup")
		filters := f.ofType(stack, "AWS::Logs::MetricFilter", "PartnerTransfer/")
		if len(filters) != 1 {
			t.Fatalf("%s: %d metric filters", stack, len(filters))
		}
		for _, mf := range filters {
			b, _ := json.Marshal(mf.Properties)
			want := `{"FilterPattern":"{ $.activity-type = \"AUTH_FAILURE\" }","LogGroupName":{"Ref":"` + logID + `"},` +
				`"MetricTransformations":[{"MetricName":"AuthenticationFailures","MetricNamespace":"biolake/Transfer","MetricValue":"1"}]}`
			if string(b) != want {
				t.Errorf("%s: filter\n got %s\nwant %s", stack, b, want)
			}
		}
		fn, _ := f.res(t, stack, "PartnerTransfer/IdentityProvider")
		for _, c := range []struct {
			name string
			got  awscloudwatch.Metric
			want cdktest.MetricShape
		}{
			{"AuthenticationFailures", s.MetricAuthenticationFailures(nil), cdktest.Want(transfer.MetricNamespace, transfer.MetricAuthenticationFailures, "Sum", 300, "null")},
			{"IdentityProviderErrors", s.MetricIdentityProviderErrors(nil), cdktest.Want("AWS/Lambda", "Errors", "Sum", 300, `{"FunctionName":`+cdktest.Ref(fn)+`}`)},
			{"IdentityProviderThrottles", s.MetricIdentityProviderThrottles(nil), cdktest.Want("AWS/Lambda", "Throttles", "Sum", 300, `{"FunctionName":`+cdktest.Ref(fn)+`}`)},
		} {
			if got := cdktest.Shape(t, st, c.got); got != c.want {
				t.Errorf("%s %s:\n got %+v\nwant %+v", stack, c.name, got, c.want)
			}
		}
	}
}

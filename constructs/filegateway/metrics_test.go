package filegateway_test

import (
	"regexp"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// Every Metric method names the right namespace, metric, statistic and
// period, and its dimensions resolve to the gateway's own resources.
func TestMetrics(t *testing.T) {
	f := load(t)
	queue := func(stack, q string) string {
		id, _ := f.res(t, stack, "FileGateway/"+q)
		return `{"QueueName":` + cdktest.GetAtt(id, "QueueName") + `}`
	}
	for _, stack := range []string{"Defaults", "Custom", "OnEC2"} {
		g, st := f.gws[stack], f.stacks[stack]
		for _, c := range []struct {
			name string
			got  awscloudwatch.Metric
			want cdktest.MetricShape
		}{
			{"DeadLetters", g.MetricDeadLetters(nil), cdktest.Want("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, queue(stack, "CacheRefreshDeadLetterQueue"))},
			{"EventsDeadLetters", g.MetricEventsDeadLetters(nil), cdktest.Want("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, queue(stack, "EventsDeadLetterQueue"))},
		} {
			if got := cdktest.Shape(t, st, c.got); got != c.want {
				t.Errorf("%s %s:\n got %+v\nwant %+v", stack, c.name, got, c.want)
			}
		}
	}

	// Storage Gateway's metrics need the gateway's id and name: an
	// existing gateway without GatewayName has none.
	if m := f.gws["Defaults"].MetricCacheDirty(nil); m != nil {
		t.Errorf("Defaults: cache metric without a gateway name: %v", m)
	}
	if m := f.gws["Defaults"].MetricUploadBacklog(nil); m != nil {
		t.Errorf("Defaults: backlog metric without a gateway name: %v", m)
	}
	custom := `{"GatewayId":"sgw-12A3456B","GatewayName":"lab-gateway"}`
	activation, _ := f.res(t, "OnEC2", "FileGateway/Gateway/Activation/Default")
	ec2 := regexp.MustCompile(`^\{"GatewayId":\{"Fn::Select":\[1,\{"Fn::Split":\["/",` + regexp.QuoteMeta(cdktest.GetAtt(activation, "GatewayARN")) + `\]\}\]\},"GatewayName":"biolake-OnEC2FileGateway[0-9A-F]{8}"\}$`)
	for _, c := range []struct {
		stack, name string
		got         awscloudwatch.Metric
		ns, metric  string
		stat        string
	}{
		{"Custom", "CacheDirty", f.gws["Custom"].MetricCacheDirty(nil), "AWS/StorageGateway", "CachePercentDirty", "Average"},
		{"Custom", "UploadBacklog", f.gws["Custom"].MetricUploadBacklog(nil), "AWS/StorageGateway", "QueuedWrites", "Maximum"},
		{"OnEC2", "CacheDirty", f.gws["OnEC2"].MetricCacheDirty(nil), "AWS/StorageGateway", "CachePercentDirty", "Average"},
		{"OnEC2", "UploadBacklog", f.gws["OnEC2"].MetricUploadBacklog(nil), "AWS/StorageGateway", "QueuedWrites", "Maximum"},
	} {
		got := cdktest.Shape(t, f.stacks[c.stack], c.got)
		if got.Namespace != c.ns || got.Name != c.metric || got.Statistic != c.stat || got.Period != 300 {
			t.Errorf("%s %s: %+v", c.stack, c.name, got)
		}
		if c.stack == "Custom" && got.Dimensions != custom || c.stack == "OnEC2" && !ec2.MatchString(got.Dimensions) {
			t.Errorf("%s %s: dimensions %s", c.stack, c.name, got.Dimensions)
		}
	}
}

package filegateway

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/alarm"
)

// Every Metric method takes options that may be nil; the default period is
// alarm.Period (five minutes, the period at which Storage Gateway
// publishes) and the default statistic is said on each.

// metricDeadLetters is the depth of a dead-letter queue (AWS/SQS
// ApproximateNumberOfMessagesVisible, dimension QueueName). Default:
// Maximum.
func metricDeadLetters(q awssqs.IQueue, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return q.MetricApproximateNumberOfMessagesVisible(alarm.Options(opts, alarm.Maximum))
}

// MetricDeadLetters is the number of S3 events the cache-refresh handler
// failed MaxReceiveCount times, waiting in DeadLetterQueue (AWS/SQS
// ApproximateNumberOfMessagesVisible, dimension QueueName). Default:
// Maximum.
func (g *FileGateway) MetricDeadLetters(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return metricDeadLetters(g.DeadLetterQueue, opts)
}

// MetricEventsDeadLetters is the number of S3 events EventBridge could not
// deliver to Queue, waiting in EventsDeadLetterQueue (AWS/SQS
// ApproximateNumberOfMessagesVisible). Default: Maximum.
func (g *FileGateway) MetricEventsDeadLetters(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return metricDeadLetters(g.EventsDeadLetterQueue, opts)
}

// MetricCacheDirty is the percentage of the gateway's cache not yet
// uploaded to S3 (AWS/StorageGateway CachePercentDirty, dimensions
// GatewayId and GatewayName). AWS advises a look when it stays at 80 or
// more: the shares are written faster than the gateway uploads. Default:
// Average. Nil for an existing gateway without Props.GatewayName.
func (g *FileGateway) MetricCacheDirty(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return g.gatewayMetric("CachePercentDirty", opts, alarm.Average)
}

// MetricUploadBacklog is the number of bytes waiting to be written to AWS,
// sampled at the end of each period (AWS/StorageGateway QueuedWrites,
// dimensions GatewayId and GatewayName). Default: Maximum. Nil for an
// existing gateway without Props.GatewayName.
func (g *FileGateway) MetricUploadBacklog(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return g.gatewayMetric("QueuedWrites", opts, alarm.Maximum)
}

// GatewayID is the gateway's id (sgw-...), the last part of GatewayARN: a
// token for a gateway on EC2.
func (g *FileGateway) GatewayID() *string {
	if !*awscdk.Token_IsUnresolved(jsii.String(g.GatewayARN)) {
		return jsii.String(g.GatewayARN[strings.LastIndex(g.GatewayARN, "/")+1:])
	}
	return awscdk.Fn_Select(jsii.Number(1), awscdk.Fn_Split(jsii.String("/"), jsii.String(g.GatewayARN), nil))
}

// gatewayMetric is a gateway metric of AWS/StorageGateway, or nil without
// the gateway's name.
func (g *FileGateway) gatewayMetric(name string, opts *awscloudwatch.MetricOptions, statistic string) awscloudwatch.Metric {
	if g.gatewayName == "" {
		return nil
	}
	return alarm.Metric("AWS/StorageGateway", name, map[string]*string{
		"GatewayId":   g.GatewayID(),
		"GatewayName": jsii.String(g.gatewayName),
	}, opts, statistic)
}

package secure

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// AllowAlarms adds to topic's policy the statement (Sid
// "AllowCloudWatchAlarms") that lets CloudWatch alarms of this account and
// region publish to it. A topic policy replaces SNS's default policy, so a
// topic with one (EnforceSSL creates one) refuses alarms unless it names
// cloudwatch.amazonaws.com; aws:SourceAccount and aws:SourceArn (the alarms'
// ARNs) keep other accounts' alarms out
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html,
// https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
// An encrypted topic's key must allow ServiceSNS as well. It does nothing
// to an imported topic, whose policy is its owner's.
func AllowAlarms(topic awssns.ITopic) {
	stack := awscdk.Stack_Of(topic)
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarms"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
			"ArnLike": map[string]interface{}{"aws:SourceArn": fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:*",
				*stack.Partition(), *stack.Region(), *stack.Account())},
		},
	}))
}

// Package eventrule wires EventBridge rules to their targets the way
// biolake's constructs want it: the target's resource policy names the rule
// (aws:SourceArn), and each rule has a dead-letter queue and retries. CDK's
// SqsQueue and SnsTopic targets would instead grant EventBridge the
// target's key with no condition and send rights without naming the rule.
package eventrule

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// Allow returns the resource-policy statement (Sid "AllowEventBridge"+id)
// that lets EventBridge do action on resource for rule only.
func Allow(id string, rule awsevents.IRule, action string, resource *string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridge" + id),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings(action),
		Resources:  jsii.Strings(*resource),
		Conditions: &map[string]interface{}{"ArnEquals": map[string]interface{}{"aws:SourceArn": *rule.RuleArn()}},
	})
}

// Target sets the one target of rule (id, arn) on the CloudFormation rule,
// with dlq as its dead-letter queue, 185 retries over at most a day, and
// lets the rule send to dlq. The target's own resource policy is the
// caller's (Allow).
func Target(rule awsevents.Rule, id string, arn *string, dlq awssqs.IQueue) {
	cfn := rule.Node().DefaultChild().(awsevents.CfnRule)
	cfn.AddPropertyOverride(jsii.String("Targets"), []interface{}{map[string]interface{}{
		"Id":               id,
		"Arn":              arn,
		"DeadLetterConfig": map[string]interface{}{"Arn": dlq.QueueArn()},
		"RetryPolicy":      map[string]interface{}{"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
	}})
	dlq.AddToResourcePolicy(Allow(*rule.Node().Id(), rule, "sqs:SendMessage", dlq.QueueArn()))
}

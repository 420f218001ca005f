package secure

import (
	"fmt"
	"github.com/biolake/biolake/constructs/validation"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Service is an AWS service that encrypts with a key on its own behalf and so
// needs a statement in the key policy (IAM grants cover the rest).
type Service string

const (
	// ServiceLogs lets CloudWatch Logs encrypt log groups of this account and region.
	ServiceLogs Service = "logs"
	// ServiceCloudTrail lets CloudTrail encrypt trails of this account.
	ServiceCloudTrail Service = "cloudtrail"
	// ServiceEvents lets EventBridge send to queues encrypted with the key
	// (rule targets and dead-letter queues), on behalf of this account.
	ServiceEvents Service = "events"
	// ServiceSNS lets CloudWatch alarms publish to topics of this account
	// and region encrypted with the key (the topic's policy must allow the
	// alarms too: AllowAlarms).
	ServiceSNS Service = "sns"
	// ServiceEventsToSNS lets EventBridge rules publish to topics of this
	// account and region encrypted with the key.
	ServiceEventsToSNS Service = "events-sns"
	// ServiceS3Logging lets S3 deliver inventory and analytics reports to encrypted buckets.
	ServiceS3Logging Service = "s3"
)

var knownServices = []Service{ServiceLogs, ServiceCloudTrail, ServiceEvents, ServiceSNS, ServiceEventsToSNS, ServiceS3Logging}

// KeyProps configures a customer-managed key.
type KeyProps struct {
	// Description of the data the key protects. Default: "biolake data key".
	Description string
	// Services that use the key on their own behalf. Default: none.
	Services []Service
	// PendingWindowDays before a scheduled deletion takes effect, 7 to 30. Default: 30.
	PendingWindowDays int
}

// NewKey creates a customer-managed symmetric KMS key with yearly automatic
// rotation, retained when its stack is deleted, with key-policy statements
// for the listed services, each limited to this account (and region where
// the service supports an encryption context for it), and a statement that
// refuses grants made for anything but AWS services (see
// DenyGrantsNotForAWSServices).
func NewKey(scope constructs.Construct, id string, props *KeyProps) awskms.Key {
	p := KeyProps{}
	if props != nil {
		p = *props
	}
	if p.Description == "" {
		p.Description = "biolake data key"
	}
	if p.PendingWindowDays == 0 {
		p.PendingWindowDays = 30
	}
	if p.PendingWindowDays < 7 || p.PendingWindowDays > 30 {
		panic(validation.New(validation.PathOf(scope, id), "KeyProps.PendingWindowDays", p.PendingWindowDays, "7 to 30"))
	}
	for _, s := range p.Services {
		if !isKnownService(s) {
			panic(validation.New(validation.PathOf(scope, id), "KeyProps.Services", string(s), "one of %v", knownServices))
		}
	}
	key := awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Description:       jsii.String(p.Description),
		EnableKeyRotation: jsii.Bool(true),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(float64(p.PendingWindowDays))),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	for _, s := range p.Services {
		for _, st := range serviceStatements(s) {
			key.AddToResourcePolicy(st, jsii.Bool(false))
		}
	}
	key.AddToResourcePolicy(DenyGrantsNotForAWSServices(), jsii.Bool(false))
	return key
}

// DenyGrantsNotForAWSServices is the key-policy statement that refuses
// kms:CreateGrant unless the grant is for an AWS resource (an AWS service
// such as EBS, FSx or Lambda makes it on a principal's behalf) or the
// caller is an AWS service. A principal that may use the key cannot hand it
// on with a grant of its own (kms:GrantIsForAWSResource:
// https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html).
// AWS Control Tower's proactive control CT.KMS.PR.3 requires this
// statement, in this form, in every key policy
// (https://docs.aws.amazon.com/controltower/latest/controlreference/ct-kms-pr-3.html).
func DenyGrantsNotForAWSServices() awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DenyGrantsNotForAWSServices"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"BoolIfExists": map[string]interface{}{
			"kms:GrantIsForAWSResource": "false",
			"aws:PrincipalIsAWSService": "false",
		}},
	})
}

func isKnownService(s Service) bool {
	for _, k := range knownServices {
		if k == s {
			return true
		}
	}
	return false
}

func serviceStatements(s Service) []awsiam.PolicyStatement {
	account, region, partition := awscdk.Aws_ACCOUNT_ID(), awscdk.Aws_REGION(), awscdk.Aws_PARTITION()
	sourceAccount := &map[string]interface{}{"aws:SourceAccount": account}
	stmt := func(sid, principal string, actions []string, conditions map[string]interface{}) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(sid),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(principal), nil)},
			Actions:    jsii.Strings(actions...),
			Resources:  jsii.Strings("*"),
			Conditions: &conditions,
		})
	}
	switch s {
	case ServiceLogs:
		return []awsiam.PolicyStatement{stmt("AllowCloudWatchLogs", "logs."+*region+".amazonaws.com",
			[]string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
			map[string]interface{}{"ArnLike": map[string]interface{}{
				"kms:EncryptionContext:aws:logs:arn": fmt.Sprintf("arn:%s:logs:%s:%s:log-group:*", *partition, *region, *account),
			}})}
	case ServiceCloudTrail:
		return []awsiam.PolicyStatement{
			stmt("AllowCloudTrailEncrypt", "cloudtrail.amazonaws.com", []string{"kms:GenerateDataKey*"},
				map[string]interface{}{"StringLike": map[string]interface{}{
					"kms:EncryptionContext:aws:cloudtrail:arn": fmt.Sprintf("arn:%s:cloudtrail:*:%s:trail/*", *partition, *account),
				}, "StringEquals": *sourceAccount}),
			stmt("AllowCloudTrailDescribe", "cloudtrail.amazonaws.com", []string{"kms:DescribeKey"},
				map[string]interface{}{"StringEquals": *sourceAccount}),
		}
	case ServiceSNS, ServiceEventsToSNS:
		// A service publishing to an SSE-KMS topic needs kms:GenerateDataKey*
		// and kms:Decrypt on the topic's key, and SNS calls KMS with the
		// encryption context aws:sns:topicArn
		// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services;
		// the context key as the GameLift guide uses it:
		// https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html).
		// The SNS guide says aws:SourceAccount, aws:SourceArn and
		// aws:SourceOrgID are not supported in the key policy for EventBridge
		// publishing to an encrypted topic: the topic ARN pattern (this
		// account and region) is the condition for both services; the
		// topic's own policy names the alarms or rules.
		principal := map[Service]string{ServiceSNS: "cloudwatch.amazonaws.com", ServiceEventsToSNS: "events.amazonaws.com"}[s]
		sid := map[Service]string{ServiceSNS: "AllowCloudWatchAlarmsToTopics", ServiceEventsToSNS: "AllowEventBridgeToTopics"}[s]
		return []awsiam.PolicyStatement{stmt(sid, principal,
			[]string{"kms:Decrypt", "kms:GenerateDataKey*"},
			map[string]interface{}{"StringLike": map[string]interface{}{
				"kms:EncryptionContext:aws:sns:topicArn": fmt.Sprintf("arn:%s:sns:%s:%s:*", *partition, *region, *account),
			}})}
	case ServiceEvents, ServiceS3Logging:
		principal := map[Service]string{ServiceEvents: "events.amazonaws.com", ServiceS3Logging: "s3.amazonaws.com"}[s]
		return []awsiam.PolicyStatement{stmt("Allow"+string(s)+"Service", principal,
			[]string{"kms:Decrypt", "kms:GenerateDataKey*"},
			map[string]interface{}{"StringEquals": *sourceAccount})}
	}
	return nil
}

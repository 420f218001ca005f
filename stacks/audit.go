package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/secure"
)

// AuditStack holds the CloudTrail trail. It comes after the data stacks so
// that it can record S3 data events on their buckets.
type AuditStack struct {
	awscdk.Stack
	// Trail is nil when the environment relies on an organization trail.
	Trail *secure.Trail
}

// NewAuditStack creates the stack, or returns nil when the environment turns
// its own trail off (audit.cloudTrail: false): then it has no resources.
func NewAuditStack(scope constructs.Construct, id string, env *config.Environment, sec *SecurityStack, dataBuckets []awss3.IBucket) *AuditStack {
	if !env.Audit.CloudTrailEnabled() {
		return nil
	}
	s := &AuditStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, "CloudTrail trail and its bucket (stateful)", true))}
	if !env.Audit.DataEventsEnabled() {
		dataBuckets = nil
	}
	s.Trail = secure.NewTrail(s.Stack, "Trail", &secure.TrailProps{
		Key:              sec.LogsKey,
		AccessLogs:       sec.AccessLogs,
		DataBuckets:      dataBuckets,
		LogRetentionDays: env.Logs.RetentionDays,
	})
	return s
}

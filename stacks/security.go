package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/secure"
)

// SecurityStack holds the stateful baseline every other stack uses: the
// logs key and the server-access-log bucket.
type SecurityStack struct {
	awscdk.Stack
	// LogsKey encrypts CloudWatch log groups, flow logs and the trail.
	LogsKey awskms.Key
	// AccessLogs receives the server access logs of every bucket.
	AccessLogs awss3.Bucket
}

// NewSecurityStack creates the stack.
func NewSecurityStack(scope constructs.Construct, id string, env *config.Environment) *SecurityStack {
	s := &SecurityStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, "keys and access-log bucket (stateful)", true))}
	s.LogsKey = secure.NewKey(s.Stack, "LogsKey", &secure.KeyProps{
		Description: "biolake " + env.Name + " logs: CloudWatch Logs, VPC flow logs, CloudTrail",
		Services:    []secure.Service{secure.ServiceLogs, secure.ServiceCloudTrail},
	})
	s.AccessLogs = secure.NewLogBucket(s.Stack, "AccessLogs", nil)
	return s
}

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
	// MLKey encrypts the SageMaker domain's storage (home file system,
	// app volumes) and the feature store's online store; nil when the
	// environment has no domain (ml.enabled false).
	MLKey awskms.Key
}

// NewSecurityStack creates the stack.
func NewSecurityStack(scope constructs.Construct, id string, env *config.Environment) *SecurityStack {
	s := &SecurityStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, "keys and access-log bucket (stateful)", true))}
	s.LogsKey = secure.NewKey(s.Stack, "LogsKey", &secure.KeyProps{
		Description: "biolake " + env.Name + " logs: CloudWatch Logs, VPC flow logs, CloudTrail",
		Services:    []secure.Service{secure.ServiceLogs, secure.ServiceCloudTrail},
	})
	s.AccessLogs = secure.NewLogBucket(s.Stack, "AccessLogs", nil)
	if env.ML.Enabled {
		// Here rather than in the Analytics stack: it encrypts the users'
		// home file system, which outlives the domain.
		s.MLKey = secure.NewKey(s.Stack, "MLKey", &secure.KeyProps{
			Description: "biolake " + env.Name + " ml: SageMaker domain storage (EFS, EBS) and the feature store",
		})
	}
	return s
}

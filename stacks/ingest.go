package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/datasync"
	"github.com/biolake/biolake/constructs/filegateway"
	"github.com/biolake/biolake/constructs/transfer"
)

// IngestStack holds the channels data arrives and leaves by: DataSync from
// the lab's instrument shares, the Transfer Family server for partner CROs,
// and the S3 File Gateway shares of on-premises researchers.
type IngestStack struct {
	awscdk.Stack
	Transfer    *transfer.Server
	DataSync    *datasync.DataSync
	FileGateway *filegateway.FileGateway
}

// NewIngestStack creates the stack, or returns nil when the environment has
// no ingest channel configured (no empty stacks).
func NewIngestStack(scope constructs.Construct, id string, env *config.Environment, sec *SecurityStack, ops *OperationsStack, net *NetworkStack, lake *DataLakeStack, glue *EventGlueStack) *IngestStack {
	if !env.Transfer.Enabled() && !env.DataSync.Enabled() && !env.FileGateway.Enabled() {
		return nil
	}
	s := &IngestStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, "ingest channels: DataSync from the lab, Transfer Family for partner CROs", false))}
	if env.Transfer.Enabled() {
		props := env.Transfer.Props(env)
		props.Network = net.Network
		props.Lake = lake.Lake
		props.LogKey = sec.LogsKey
		s.Transfer = transfer.New(s.Stack, "Transfer", props)
	}
	if env.DataSync.Enabled() {
		props := env.DataSync.Props(env)
		props.Network = net.Network
		props.Lake = lake.Lake
		props.LogKey = sec.LogsKey
		props.Bus = glue.Glue.Bus
		s.DataSync = datasync.New(s.Stack, "DataSync", props)
	}
	if env.FileGateway.Enabled() {
		props := env.FileGateway.Props(env)
		props.Network = net.Network
		props.Lake = lake.Lake
		props.LogKey = sec.LogsKey
		props.AlarmTopic = ops.Operations.Topic
		s.FileGateway = filegateway.New(s.Stack, "FileGateway", props)
	}
	return s
}

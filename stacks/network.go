package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/network"
)

// NetworkStack holds the VPC, its endpoints and flow logs.
type NetworkStack struct {
	awscdk.Stack
	Network *network.Network
}

// NewNetworkStack creates the stack.
func NewNetworkStack(scope constructs.Construct, id string, env *config.Environment, sec *SecurityStack) *NetworkStack {
	s := &NetworkStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, "VPC, endpoints and flow logs", false))}
	s.Network = network.New(s.Stack, "Network", &network.Props{
		Profile:              network.Profile(env.Network.Profile),
		MaxAZs:               env.Network.MaxAZs,
		NATGateways:          env.Network.NATGateways,
		CIDR:                 env.Network.CIDR,
		FlowLogRetentionDays: env.Logs.RetentionDays,
		LogKey:               sec.LogsKey,
		// Empty InterfaceEndpoints: the endpoints the constructs require.
		DisableInterfaceEndpoints: env.Network.InterfaceEndpoints == config.EndpointsNone,
		// The lab's networks: admitted to the DataSync, Storage Gateway
		// and Transfer endpoints, and the agent's and File Gateway's
		// clients.
		OnPremCIDRs: env.Network.OnPremises.CIDRs,
	})
	return s
}

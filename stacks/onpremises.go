package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/hybrid"
)

// OnPremisesStack holds the link to the lab's network (network.onPremises):
// a site-to-site VPN or a Direct Connect gateway association, attached to
// the Network stack's VPC.
type OnPremisesStack struct {
	awscdk.Stack
	Link *hybrid.Hybrid
}

// NewOnPremisesStack creates the stack, or returns nil when the environment
// builds no link (link none).
func NewOnPremisesStack(scope constructs.Construct, id string, env *config.Environment, sec *SecurityStack, ops *OperationsStack, net *NetworkStack) *OnPremisesStack {
	if !env.Network.OnPremises.Enabled() {
		return nil
	}
	s := &OnPremisesStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, "link to the lab's network: "+env.Network.OnPremises.Link, false))}
	props := env.Network.OnPremises.Props(env)
	props.Network = net.Network
	props.LogKey = sec.LogsKey
	props.AlarmTopic = ops.Operations.Topic
	s.Link = hybrid.New(s.Stack, "OnPremises", props)
	return s
}

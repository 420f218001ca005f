package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/eventglue"
)

// EventGlueStack holds the event bus, the catalog table and the handlers
// that turn new objects into verified runs. The table and the bus archive
// are stateful, so the stack is protected like the other stateful stacks.
type EventGlueStack struct {
	awscdk.Stack
	Glue *eventglue.EventGlue
}

// NewEventGlueStack creates the stack.
func NewEventGlueStack(scope constructs.Construct, id string, env *config.Environment, sec *SecurityStack, net *NetworkStack, lake *DataLakeStack) *EventGlueStack {
	s := &EventGlueStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, "event bus, catalog table, ingest/verify/restore handlers (stateful)", true))}
	props := env.EventGlue.Props(env)
	props.Lake = lake.Lake
	props.Network = net.Network
	props.LogKey = sec.LogsKey
	s.Glue = eventglue.New(s.Stack, "EventGlue", props)
	return s
}

// Package stacks composes biolake's constructs into stacks, and the stacks
// into one Stage per environment. It holds no logic of its own beyond that
// composition: which constructs, wired how, from typed config.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/compliance"
)

// Platform is one environment's stacks.
type Platform struct {
	Stage    awscdk.Stage
	Security *SecurityStack
	// Operations holds the topic every alarm notifies.
	Operations *OperationsStack
	Network    *NetworkStack
	DataLake   *DataLakeStack
	EventGlue  *EventGlueStack
	Ingest     *IngestStack
	// OnPremises is nil unless network.onPremises.link builds a link.
	OnPremises *OnPremisesStack
	Compute    *ComputeStack
	Audit      *AuditStack
	Analytics  *AnalyticsStack
	// Dashboard follows a run through every stack; it comes last.
	Dashboard *DashboardStack
}

// NewStage builds the Stage of env under scope (normally the App): its id is
// the environment's name, so its stacks are named "<env>-<Stack>".
func NewStage(scope constructs.Construct, env *config.Environment) *Platform {
	var stageEnv *awscdk.Environment
	if env.Account != "" {
		stageEnv = &awscdk.Environment{Account: jsii.String(env.Account), Region: jsii.String(env.Region)}
	}
	stage := awscdk.NewStage(scope, jsii.String(env.Name), &awscdk.StageProps{Env: stageEnv})
	if key := env.AZContextKey(); key != "" {
		// Answer the VPC's zone lookup from config, so synth runs offline.
		stage.Node().SetContext(jsii.String(key), env.AvailabilityZones)
	}
	compliance.Apply(stage)

	tags := awscdk.Tags_Of(stage)
	tags.Add(jsii.String("project"), jsii.String(env.Tags.Project), nil)
	tags.Add(jsii.String("environment"), jsii.String(env.Name), nil)
	tags.Add(jsii.String("owner"), jsii.String(env.Tags.Owner), nil)
	if env.Tags.CostCenter != "" {
		tags.Add(jsii.String("cost-center"), jsii.String(env.Tags.CostCenter), nil)
	}

	p := &Platform{Stage: stage}
	p.Security = NewSecurityStack(stage, "Security", env)
	p.Operations = NewOperationsStack(stage, "Operations", env)
	p.Network = NewNetworkStack(stage, "Network", env, p.Security)
	p.DataLake = NewDataLakeStack(stage, "DataLake", env, p.Security)
	p.EventGlue = NewEventGlueStack(stage, "EventGlue", env, p.Security, p.Network, p.DataLake)
	p.Ingest = NewIngestStack(stage, "Ingest", env, p.Security, p.Operations, p.Network, p.DataLake, p.EventGlue)
	p.OnPremises = NewOnPremisesStack(stage, "OnPremises", env, p.Security, p.Operations, p.Network)
	p.Compute = NewComputeStack(stage, "Compute", env, p.Security, p.Operations, p.Network, p.DataLake, p.EventGlue)
	p.Audit = NewAuditStack(stage, "Audit", env, p.Security, p.DataLake.Lake.DataBuckets())
	p.Analytics = NewAnalyticsStack(stage, "Analytics", env, p.Security, p.Network, p.DataLake)
	p.Dashboard = NewDashboardStack(stage, "Dashboard", env, p)
	// Every alarm of the environment notifies the operations topic, those
	// created here and those the constructs create themselves.
	watch(env, p)
	p.Operations.Operations.RouteAlarms(stage)
	return p
}

// stackProps returns the props shared by every stack of env; stateful stacks
// get termination protection when the environment asks for it.
func stackProps(env *config.Environment, description string, stateful bool) *awscdk.StackProps {
	return &awscdk.StackProps{
		Description:           jsii.String("biolake " + env.Name + ": " + description),
		TerminationProtection: jsii.Bool(stateful && env.Protection.TerminationProtection),
	}
}

package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/transfer"
	"github.com/biolake/biolake/constructs/workflow"
)

// NewLabStack builds everything in one stack: the biolake network and data
// lake, an SFTP server for one partner, a Batch queue and a one-step
// workflow that the lab's own "RunReady" events start (no event glue: no
// restore, sample sheet or catalog).
func NewLabStack(scope constructs.Construct, id string, props *awscdk.StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", nil)
	transfer.New(stack, "Sftp", &transfer.Props{
		Network: net, Lake: lake,
		Partners: []transfer.Partner{{Name: "acme-cro", CIDRs: []string{"203.0.113.0/24"}, CreatePasswordSecret: true}},
	})
	hpc := batch.New(stack, "Hpc", &batch.Props{
		Network:      net,
		Environments: []batch.EnvironmentSpec{{Name: "Spot", Kind: batch.CPUSpot, MaxVCPUs: 64}},
		Queues:       []batch.QueueSpec{{Name: "Default", Priority: 1, Environments: []string{"Spot"}}},
	})
	workflow.New(stack, "Count", &workflow.Props{
		Name: "count", Batch: hpc, Lake: lake, SkipRestore: true, Project: "lab",
		Steps: []workflow.Step{{
			Name: "Count", Queue: "Default", VCPUs: 2, MemoryMiB: 4096,
			Image:   awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil),
			Command: []string{"sh", "-c", "echo counting $RUN_ID"},
		}},
		StartPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("lab.sequencer"),
			DetailType: jsii.Strings("RunReady"),
		},
	})
	return stack
}

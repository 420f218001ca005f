package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/transfer"
)

// NewLabStack builds everything in one stack: the biolake network and data
// lake, an SFTP server for one partner and a Batch queue.
func NewLabStack(scope constructs.Construct, id string, props *awscdk.StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", nil)
	transfer.New(stack, "Sftp", &transfer.Props{
		Network: net, Lake: lake,
		Partners: []transfer.Partner{{Name: "acme-cro", CIDRs: []string{"203.0.113.0/24"}, CreatePasswordSecret: true}},
	})
	q := batch.New(stack, "Hpc", &batch.Props{Network: net, Environments: []batch.EnvironmentSpec{{Name: "Spot", Kind: batch.CPUSpot, MaxVCPUs: 64}}, Queues: []batch.QueueSpec{{Name: "Default", Priority: 1, Environments: []string{"Spot"}}}})
	_ = awsecs.ContainerImage_FromRegistry
	_ = q
	return stack
}

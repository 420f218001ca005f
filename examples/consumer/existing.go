package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/transfer"
)

// Existing names what a lab already has: an isolated VPC with some
// interface endpoints, data buckets and the key that encrypts them. In a
// real app these come from the lab's own configuration (or
// awsec2.Vpc_FromLookup with credentials at synth).
type Existing struct {
	VpcID             string
	VpcCIDR           string
	AvailabilityZones []string
	SubnetIDs         []string
	RouteTableIDs     []string
	// EndpointSecurityGroupID is the security group of the VPC's interface
	// endpoints.
	EndpointSecurityGroupID string
	// Endpoints lists the interface endpoints the VPC has.
	Endpoints  []network.Endpoint
	DataKeyArn string
	// Buckets maps biolake's bucket names to the lab's bucket names.
	Buckets map[datalake.BucketName]string
}

// ExampleExisting is what the example stack imports; the ids are made up.
var ExampleExisting = Existing{
	VpcID:                   "vpc-0a1b2c3d4e5f60718",
	VpcCIDR:                 "10.20.0.0/16",
	AvailabilityZones:       []string{"eu-west-1a", "eu-west-1b"},
	SubnetIDs:               []string{"subnet-0a1b2c3d4e5f60718", "subnet-1a2b3c4d5e6f70819"},
	RouteTableIDs:           []string{"rtb-0a1b2c3d4e5f60718", "rtb-1a2b3c4d5e6f70819"},
	EndpointSecurityGroupID: "sg-0a1b2c3d4e5f60718",
	Endpoints: []network.Endpoint{
		network.EndpointLogs, network.EndpointKMS, network.EndpointSTS, network.EndpointSSM,
		network.EndpointSecretsManager, network.EndpointECRAPI, network.EndpointECRDocker,
		network.EndpointECS, network.EndpointECSAgent, network.EndpointECSTelemetry,
		network.EndpointBatch, network.EndpointStepFunctions, network.EndpointEvents,
		network.EndpointTransfer, network.EndpointMonitoring,
	},
	DataKeyArn: "arn:aws:kms:eu-west-1:111111111111:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
	Buckets: map[datalake.BucketName]string{
		datalake.BucketRaw:     "lab-sequencing-raw",
		datalake.BucketPartner: "lab-cro-uploads",
		datalake.BucketResults: "lab-analysis-results",
	},
}

// NewLabOnExistingStack runs biolake's SFTP server and a Batch queue in the
// lab's existing VPC, on its existing buckets and key: it creates no VPC,
// subnet, endpoint, bucket or data key.
func NewLabOnExistingStack(scope constructs.Construct, id string, ex Existing, props *awscdk.StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), props)

	vpc := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId:                       jsii.String(ex.VpcID),
		VpcCidrBlock:                jsii.String(ex.VpcCIDR),
		AvailabilityZones:           jsii.Strings(ex.AvailabilityZones...),
		IsolatedSubnetIds:           jsii.Strings(ex.SubnetIDs...),
		IsolatedSubnetRouteTableIds: jsii.Strings(ex.RouteTableIDs...),
	})
	net := network.FromVpc(stack, "Network", &network.FromVpcProps{
		Vpc:                   vpc,
		Subnets:               *vpc.IsolatedSubnets(),
		InterfaceEndpoints:    ex.Endpoints,
		EndpointSecurityGroup: awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("EndpointSecurityGroup"), jsii.String(ex.EndpointSecurityGroupID), nil),
	})

	key := awskms.Key_FromKeyArn(stack, jsii.String("DataKey"), jsii.String(ex.DataKeyArn))
	refs := map[datalake.BucketName]datalake.BucketRef{}
	for name, bucket := range ex.Buckets {
		refs[name] = datalake.BucketRef{
			Bucket: awss3.Bucket_FromBucketAttributes(stack, jsii.String(string(name)+"Bucket"), &awss3.BucketAttributes{
				BucketName:    jsii.String(bucket),
				EncryptionKey: key,
			}),
			Key: key,
		}
	}
	lake := datalake.FromBuckets(stack, "Lake", &datalake.FromBucketsProps{Buckets: refs})

	transfer.New(stack, "Sftp", &transfer.Props{
		Network: net, Lake: lake,
		Partners: []transfer.Partner{{Name: "acme-cro", CIDRs: []string{"203.0.113.0/24"}, CreatePasswordSecret: true}},
	})
	batch.New(stack, "Hpc", &batch.Props{
		Network:      net,
		Environments: []batch.EnvironmentSpec{{Name: "Spot", Kind: batch.CPUSpot, MaxVCPUs: 64}},
		Queues:       []batch.QueueSpec{{Name: "Default", Priority: 1, Environments: []string{"Spot"}}},
	})
	return stack
}

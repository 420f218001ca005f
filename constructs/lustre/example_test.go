package lustre_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
)

// A standing PERSISTENT_2 file system in a compute stack, linked to the
// lake's raw runs (read) and results (written back), reachable from the
// Batch jobs' security group.
func Example() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{secure.LogBucketPolicyFlag: true}})
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", nil)
	batchSG := awsec2.NewSecurityGroup(stack, jsii.String("BatchSG"), &awsec2.SecurityGroupProps{Vpc: net.Vpc()})

	fs := lustre.New(stack, "Lustre", &lustre.Props{
		Network:             net,
		Lake:                lake,
		ClientSecurityGroup: batchSG,
		StorageCapacityGiB:  2400,
		ThroughputPerTiB:    500,
	})
	fmt.Println(fs.Mode(), fs.FileSystem != nil, fs.BackupSelection != nil)
	// Output: persistent true true
}

// The parameters of fsx:createFileSystem for one run's scratch file system.
func ExampleRunFileSystemRequest() {
	req := lustre.RunFileSystemRequest(lustre.RunProps{
		RunID: "20260101_A0001", InputPrefix: "runs/novaseq1/20260101_A0001/", Project: "oncology",
		RawBucket: "raw", ResultsBucket: "results", SubnetID: "subnet-0123", SecurityGroupID: "sg-0123",
		LogGroupArn: "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/fsx/runs",
	})
	lc := req["LustreConfiguration"].(map[string]interface{})
	fmt.Println(req["StorageCapacity"], lc["DeploymentType"], req["FileSystemTypeVersion"])
	// Output: 1200 SCRATCH_2 2.15
}

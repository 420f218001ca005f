package filegateway_test

import (
	"fmt"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/filegateway"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
)

// File shares on an activated gateway in an app of your own: the curated
// data read-only over NFS for the institute's network, and a drop folder
// for one lab over SMB.
func Example() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{
		secure.LogBucketPolicyFlag: true,
		// Only for this example: skip compiling the Go handler. A real app
		// leaves this out and gets it built at synth.
		"biolake:stubLambdaAssets": true,
	}})
	stack := awscdk.NewStack(app, jsii.String("Genomics"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", nil)

	gw := filegateway.New(stack, "FileGateway", &filegateway.Props{
		Network:    net,
		Lake:       lake,
		GatewayARN: "arn:aws:storagegateway:eu-west-1:111122223333:gateway/sgw-12A3456B",
		Shares: []filegateway.Share{
			{Name: "curated", Protocol: filegateway.NFS, Bucket: datalake.BucketCurated, ReadOnly: true, ClientCIDRs: []string{"10.20.0.0/16"}},
			{Name: "lab-smith", Protocol: filegateway.SMB, Bucket: datalake.BucketShared, Prefix: "share/smith/", SMBUsers: []string{"@smith-lab"}},
		},
	})
	var names []string
	for n := range gw.Shares {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := gw.Shares[n].Settings
		fmt.Printf("%s: %s %s/%s read-only=%v\n", n, s.Protocol, s.Bucket, s.Prefix, s.ReadOnly)
	}
	fmt.Println(len(gw.Alarms), "alarms; handler", filegateway.CacheRefreshPackage)
	// Output:
	// curated: NFS curated/ read-only=true
	// lab-smith: SMB shared/share/smith/ read-only=false
	// 2 alarms; handler github.com/biolake/biolake/lambdas/cacherefresh
}

// Validate checks props before anything is built: the config layer calls
// ValidateSettings when it loads an environment.
func ExampleProps_ValidateSettings() {
	p := &filegateway.Props{
		GatewayARN: "arn:aws:storagegateway:eu-west-1:111122223333:gateway/sgw-12A3456B",
		Shares:     []filegateway.Share{{Name: "curated", Bucket: datalake.BucketCurated}},
	}
	fmt.Println(p.ValidateSettings())
	// Output: Props.Shares[0].ReadOnly is false; accepted: true for a share of the curated bucket: only the shared bucket may be written through the gateway (curated is written only by its own channel: DataSync, Transfer Family or the pipeline)
}

// A gateway hosted on EC2 and activated at deploy time: the shares use
// the activated gateway's ARN.
func Example_ec2() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{
		secure.LogBucketPolicyFlag: true,
		// Only for this example: skip compiling the Go handlers.
		"biolake:stubLambdaAssets": true,
	}})
	stack := awscdk.NewStack(app, jsii.String("Genomics"), nil)
	gw := filegateway.New(stack, "FileGateway", &filegateway.Props{
		Network: network.New(stack, "Network", nil),
		Lake:    datalake.New(stack, "DataLake", nil),
		EC2:     &filegateway.EC2Host{InstanceType: "m5.2xlarge", CacheDiskGiB: 500},
	})
	fmt.Println(gw.EC2 != nil, *gw.EC2.Activation.Node().Path())
	fmt.Println("handler", filegateway.ActivatePackage)
	// Output:
	// true Genomics/FileGateway/Gateway/Activation
	// handler github.com/biolake/biolake/lambdas/gatewayactivate
}

package ml_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
)

// Approved versions of the domain's registry deploy to a real-time
// endpoint of 1 to 3 ml.m5.large in the network's private subnets, with
// the lab's cost tags.
func ExampleNewDeployment() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{secure.LogBucketPolicyFlag: true}})
	stack := awscdk.NewStack(app, jsii.String("Lab"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true})
	key := secure.NewKey(stack, "MLKey", nil)
	d := ml.New(stack, "ML", &ml.Props{Network: net, Lake: lake, Key: key})

	dep := ml.NewDeployment(stack, "Deploy", &ml.DeploymentProps{
		Registry:     d,   // any ml.Registry
		Network:      net, // any network.INetwork
		Lake:         lake,
		Key:          key,
		EndpointName: "qc-classifier",
		Mode:         ml.RealTime,
		InstanceType: "ml.m5.large",
		MinInstances: 1,
		MaxInstances: 3,
		Tags:         map[string]string{"project": "qc", "cost-center": "lab-42"},
	})
	fmt.Println(dep.EndpointName(), dep.Mode(), len(dep.Alarms))
	fmt.Println(net.InterfaceEndpoints())
	// Output:
	// qc-classifier real-time 6
	// [ecr.api ecr.dkr logs sts sagemaker.api sagemaker.runtime sagemaker.studio]
}

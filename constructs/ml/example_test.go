package ml_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/analytics"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
)

// A VpcOnly domain in an isolated network over a data lake, with two
// scientists' profiles, Athena through the analytics workgroup, and a
// scientist's role that may open Studio as "jdoe".
func Example() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{secure.LogBucketPolicyFlag: true}})
	stack := awscdk.NewStack(app, jsii.String("Lab"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true})
	a := analytics.New(stack, "Analytics", &analytics.Props{Lake: lake})

	d := ml.New(stack, "ML", &ml.Props{
		Network:            net,  // any network.INetwork, such as network.FromVpc
		Lake:               lake, // any datalake.ILake, such as datalake.FromBuckets
		UserProfiles:       []string{"jdoe", "asmith"},
		IdleTimeoutMinutes: 120,
		Query:              a,
	})
	scientist := awsiam.NewRole(stack, jsii.String("Scientist"), &awsiam.RoleProps{AssumedBy: awsiam.NewAccountRootPrincipal()})
	d.GrantOpenStudio(scientist, "jdoe")

	fmt.Println(d.DomainName(), d.ModelPackageGroupName(), d.MLPrefix(), d.IdleTimeoutMinutes())
	fmt.Println(net.InterfaceEndpoints())
	// Output:
	// Lab-ML Lab-ML-models ml/ 120
	// [logs sts sagemaker.api sagemaker.runtime athena sagemaker.studio]
}

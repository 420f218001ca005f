package network_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/biolake/biolake/constructs/network"
)

// A network for an app of your own: nil props give the isolated profile,
// with the VPC endpoints its constructs require, KMS-encrypted flow logs and a closed default security
// group. Place workloads with PrivateSubnets.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Network"), nil)

	net := network.New(stack, "Network", nil)

	fmt.Println(net.Profile(), net.PrivateSubnets().SubnetType)
	// Output: isolated PRIVATE_ISOLATED
}

// The NAT profile for production: one NAT gateway per availability zone.
func ExampleNew_nat() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Network"), nil)

	net := network.New(stack, "Network", &network.Props{
		Profile:     network.ProfileNAT,
		MaxAZs:      2,
		NATGateways: 2,
	})

	fmt.Println(net.Profile(), net.PrivateSubnets().SubnetType)
	// Output: nat PRIVATE_WITH_EGRESS
}

// Validate checks props without building anything.
func ExampleProps_Validate() {
	p := &network.Props{Profile: "natt"}
	fmt.Println(p.Validate())
	// Output: Props.Profile is "natt"; accepted: isolated or nat
}

// An existing VPC: its isolated subnets, the interface endpoints it has and
// their security group. A construct that needs another endpoint stops the
// synth (set CreateMissingEndpoints to have them created instead).
func ExampleFromVpc() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Lab"), nil)
	vpc := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId:                       jsii.String("vpc-0a1b2c3d"),
		AvailabilityZones:           jsii.Strings("eu-west-1a", "eu-west-1b"),
		IsolatedSubnetIds:           jsii.Strings("subnet-0aaa", "subnet-0bbb"),
		IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0aaa", "rtb-0bbb"),
	})

	net := network.FromVpc(stack, "Network", &network.FromVpcProps{
		Vpc:                   vpc,
		Subnets:               *vpc.IsolatedSubnets(),
		InterfaceEndpoints:    []network.Endpoint{network.EndpointLogs, network.EndpointSTS},
		EndpointSecurityGroup: awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("EndpointSg"), jsii.String("sg-0e0e"), nil),
	})

	fmt.Println(net.Profile(), net.Provides(network.EndpointLogs), net.Provides(network.EndpointBatch))
	// Output: isolated true false
}

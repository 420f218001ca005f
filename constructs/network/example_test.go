package network_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

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
	// Output: Profile "natt" is not one of isolated, nat
}

package hybrid_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/hybrid"
	"github.com/biolake/biolake/constructs/network"
)

// A site-to-site VPN with BGP to the lab's device; the lab's network is
// named once, on the network.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Network"), nil)

	net := network.New(stack, "Network", &network.Props{OnPremCIDRs: []string{"192.168.0.0/16"}})
	link := hybrid.New(stack, "OnPremises", &hybrid.Props{
		Network: net,
		Link:    hybrid.LinkVPN,
		VPN:     &hybrid.VPN{CustomerGatewayIP: "203.0.113.12", CustomerGatewayASN: 65010},
	})

	fmt.Println(link.Link(), link.OnPremCIDRs(), link.TunnelsDownCritical != nil)
	// Output: vpn [192.168.0.0/16] true
}

// Direct Connect: the VPC joins an existing Direct Connect gateway, which
// carries the lab's private virtual interface.
func ExampleNew_directConnect() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Network"), nil)

	net := network.New(stack, "Network", &network.Props{OnPremCIDRs: []string{"10.8.0.0/16"}})
	link := hybrid.New(stack, "OnPremises", &hybrid.Props{
		Network:       net,
		Link:          hybrid.LinkDirectConnect,
		DirectConnect: &hybrid.DirectConnect{GatewayID: "5f2b1c3e-0a4d-4b6f-9e1c-2d3e4f5a6b7c"},
	})

	fmt.Println(link.Link(), link.Connection == nil, link.GatewayAssociation != nil)
	// Output: directconnect true true
}

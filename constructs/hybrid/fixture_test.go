package hybrid_test

import (
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/hybrid"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
)

const (
	pskSecret = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:biolake/vpn-psk-AbCdEf"
	dxGateway = "5f2b1c3e-0a4d-4b6f-9e1c-2d3e4f5a6b7c"
)

var dxConnections = []string{"dxcon-fh6ayh1d", "dxcon-ffzc6cbv"}

var labCIDRs = []string{"192.168.0.0/16", "172.20.0.0/16"}

// One App held to the cdk-nag packs:
//   - "Vpn": an isolated network with the lab's two networks and the
//     DataSync, Storage Gateway, Transfer and KMS endpoints; a BGP VPN
//     with pre-shared keys from Secrets Manager and an alarm topic;
//   - "Static": a NAT network, a static VPN with keys AWS generates and
//     no topic;
//   - "DirectConnect": an isolated network joined to a Direct Connect
//     gateway over two connections, without a topic;
//   - "BYO": a lab's own VPC (FromVpc), its networks given to the link,
//     a static VPN with every default.
type fixture struct {
	*cdktest.Assembly
	links map[string]*hybrid.Hybrid
	nets  map[string]network.INetwork
}

var (
	fxOnce sync.Once
	fx     fixture
)

func load(t *testing.T) *fixture {
	t.Helper()
	fxOnce.Do(func() {
		fx.links = map[string]*hybrid.Hybrid{}
		fx.nets = map[string]network.INetwork{}
		fx.Assembly = cdktest.Synth("HYBRID_KEEP_ASSEMBLY", func(app awscdk.App) []awscdk.Stack {
			vpn := awscdk.NewStack(app, jsii.String("Vpn"), nil)
			net := network.New(vpn, "Network", &network.Props{OnPremCIDRs: labCIDRs})
			user := constructs.NewConstruct(vpn, jsii.String("Workload"))
			net.Require(user, network.EndpointDataSync, network.EndpointStorageGateway, network.EndpointTransfer, network.EndpointKMS)
			topic := awssns.NewTopic(vpn, jsii.String("Ops"), &awssns.TopicProps{EnforceSSL: jsii.Bool(true),
				MasterKey: secure.NewKey(vpn, "OpsKey", &secure.KeyProps{Description: "operations topic"})})
			fx.nets["Vpn"] = net
			fx.links["Vpn"] = hybrid.New(vpn, "OnPremises", &hybrid.Props{
				Network:    net,
				Link:       hybrid.LinkVPN,
				VPN:        &hybrid.VPN{CustomerGatewayIP: "203.0.113.12", CustomerGatewayASN: 65010, PreSharedKeySecretArn: pskSecret},
				AlarmTopic: topic,
			})

			static := awscdk.NewStack(app, jsii.String("Static"), nil)
			snet := network.New(static, "Network", &network.Props{Profile: network.ProfileNAT, OnPremCIDRs: labCIDRs})
			fx.nets["Static"] = snet
			fx.links["Static"] = hybrid.New(static, "OnPremises", &hybrid.Props{
				Network:          snet,
				Link:             hybrid.LinkVPN,
				AmazonSideASN:    4200000001,
				VPN:              &hybrid.VPN{CustomerGatewayIP: "198.51.100.7", CustomerGatewayASN: 4200000002, Routing: hybrid.RoutingStatic},
				LogRetentionDays: 731,
			})

			dx := awscdk.NewStack(app, jsii.String("DirectConnect"), nil)
			dnet := network.New(dx, "Network", &network.Props{OnPremCIDRs: labCIDRs[:1]})
			fx.nets["DirectConnect"] = dnet
			fx.links["DirectConnect"] = hybrid.New(dx, "OnPremises", &hybrid.Props{
				Network:       dnet,
				Link:          hybrid.LinkDirectConnect,
				DirectConnect: &hybrid.DirectConnect{GatewayID: dxGateway, ConnectionIDs: dxConnections},
			})

			byo := awscdk.NewStack(app, jsii.String("BYO"), nil)
			own := cdktest.BringYourOwn(byo, []network.Endpoint{network.EndpointLogs}, false)
			fx.nets["BYO"] = own.Network
			fx.links["BYO"] = hybrid.New(byo, "OnPremises", &hybrid.Props{
				Network:     own.Network,
				Link:        hybrid.LinkVPN,
				OnPremCIDRs: labCIDRs,
				VPN:         &hybrid.VPN{CustomerGatewayIP: "198.51.100.7", Routing: hybrid.RoutingStatic},
			})
			return []awscdk.Stack{vpn, static, dx, byo}
		})
	})
	fx.Check(t)
	return &fx
}

// Template helpers shared by the construct tests (cdktest).
var (
	render = cdktest.Render
	get    = cdktest.Get
)

func (f *fixture) one(t *testing.T, stack, typ string) (string, cdktest.Resource) {
	t.Helper()
	var id string
	var res cdktest.Resource
	n := 0
	for lid, r := range f.Templates[stack].Resources {
		if r.Type == typ {
			id, res, n = lid, r, n+1
		}
	}
	if n != 1 {
		t.Fatalf("%s: %d resources of type %s, want 1", stack, n, typ)
	}
	return id, res
}

func (f *fixture) count(stack, typ string) int {
	n := 0
	for _, r := range f.Templates[stack].Resources {
		if r.Type == typ {
			n++
		}
	}
	return n
}

package hybrid_test

import (
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/hybrid"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/validation"
)

// TestValidateSettings: each bad setting is one validation error naming
// the field, the value and what is accepted.
func TestValidateSettings(t *testing.T) {
	good := func() hybrid.Props {
		return hybrid.Props{Link: hybrid.LinkVPN, VPN: &hybrid.VPN{CustomerGatewayIP: "203.0.113.12", CustomerGatewayASN: 65010}}
	}
	if p := good(); p.ValidateSettings() != nil {
		t.Fatalf("good settings refused: %v", p.ValidateSettings())
	}
	for _, ok := range []hybrid.Props{
		{},
		{Link: hybrid.LinkNone},
		{Link: hybrid.LinkDirectConnect, DirectConnect: &hybrid.DirectConnect{GatewayID: dxGateway}},
		{Link: hybrid.LinkVPN, AmazonSideASN: 4200000000, VPN: &hybrid.VPN{CustomerGatewayIP: "8.8.8.8", CustomerGatewayASN: 4294967294, Routing: hybrid.RoutingStatic, PreSharedKeySecretArn: pskSecret}},
	} {
		if err := ok.ValidateSettings(); err != nil {
			t.Errorf("%+v refused: %v", ok, err)
		}
	}
	cases := []struct {
		name  string
		edit  func(p *hybrid.Props)
		field string
		want  []string
	}{
		{"unknown link", func(p *hybrid.Props) { p.Link = "ipsec" }, "Props.Link", []string{`"ipsec"`, "none, vpn, directconnect"}},
		{"vpn without settings", func(p *hybrid.Props) { p.VPN = nil }, "Props.VPN", []string{"CustomerGatewayIP"}},
		{"malformed gateway IP", func(p *hybrid.Props) { p.VPN.CustomerGatewayIP = "203.0.113" }, "Props.VPN.CustomerGatewayIP", []string{`"203.0.113"`, "public IPv4 address"}},
		{"gateway IP v6", func(p *hybrid.Props) { p.VPN.CustomerGatewayIP = "2001:db8::1" }, "Props.VPN.CustomerGatewayIP", []string{"IPv4"}},
		{"private gateway IP", func(p *hybrid.Props) { p.VPN.CustomerGatewayIP = "10.1.2.3" }, "Props.VPN.CustomerGatewayIP", []string{`"10.1.2.3"`, "over the internet", "private-IP VPN over Direct Connect"}},
		{"shared gateway IP", func(p *hybrid.Props) { p.VPN.CustomerGatewayIP = "100.64.1.1" }, "Props.VPN.CustomerGatewayIP", []string{"public IPv4"}},
		{"loopback gateway IP", func(p *hybrid.Props) { p.VPN.CustomerGatewayIP = "127.0.0.1" }, "Props.VPN.CustomerGatewayIP", []string{"public IPv4"}},
		{"negative ASN", func(p *hybrid.Props) { p.VPN.CustomerGatewayASN = -1 }, "Props.VPN.CustomerGatewayASN", []string{"-1", "1 to 4294967294"}},
		{"ASN too large", func(p *hybrid.Props) { p.VPN.CustomerGatewayASN = 4294967295 }, "Props.VPN.CustomerGatewayASN", []string{"4294967295", "1 to 4294967294"}},
		{"reserved ASN", func(p *hybrid.Props) { p.VPN.CustomerGatewayASN = 23456 }, "Props.VPN.CustomerGatewayASN", []string{"23456", "reserved"}},
		{"AWS-reserved ASN", func(p *hybrid.Props) { p.VPN.CustomerGatewayASN = 7224 }, "Props.VPN.CustomerGatewayASN", []string{"7224", "reserved"}},
		{"same ASN both sides", func(p *hybrid.Props) { p.VPN.CustomerGatewayASN = 64512 }, "Props.VPN.CustomerGatewayASN", []string{"64512", "distinct"}},
		{"public Amazon ASN", func(p *hybrid.Props) { p.AmazonSideASN = 16509 }, "Props.AmazonSideASN", []string{"16509", "64512 to 65534"}},
		{"unknown routing", func(p *hybrid.Props) { p.VPN.Routing = "ospf" }, "Props.VPN.Routing", []string{`"ospf"`, "bgp or static"}},
		{"bad key secret", func(p *hybrid.Props) { p.VPN.PreSharedKeySecretArn = "biolake/psk" }, "Props.VPN.PreSharedKeySecretArn", []string{"full ARN"}},
		{"vpn with direct connect", func(p *hybrid.Props) { p.DirectConnect = &hybrid.DirectConnect{GatewayID: dxGateway} }, "Props.DirectConnect", []string{"nil with Link \"vpn\""}},
		{"direct connect without gateway", func(p *hybrid.Props) { p.Link = hybrid.LinkDirectConnect; p.VPN = nil }, "Props.DirectConnect.GatewayID", []string{`is ""`, "Direct Connect gateway", "outside CloudFormation"}},
		{"direct connect bad gateway", func(p *hybrid.Props) {
			p.Link, p.VPN, p.DirectConnect = hybrid.LinkDirectConnect, nil, &hybrid.DirectConnect{GatewayID: "dxgw-123"}
		}, "Props.DirectConnect.GatewayID", []string{`"dxgw-123"`, "UUID"}},
		{"direct connect connection id", func(p *hybrid.Props) {
			p.Link, p.VPN, p.DirectConnect = hybrid.LinkDirectConnect, nil, &hybrid.DirectConnect{GatewayID: dxGateway, ConnectionIDs: []string{"dxcon-fh6ayh1d", "dxvif-fgq3hwfq"}}
		}, "Props.DirectConnect.ConnectionIDs[1]", []string{`"dxvif-fgq3hwfq"`, `"dxcon-"`, "describe-connections"}},
		{"direct connect connection twice", func(p *hybrid.Props) {
			p.Link, p.VPN, p.DirectConnect = hybrid.LinkDirectConnect, nil, &hybrid.DirectConnect{GatewayID: dxGateway, ConnectionIDs: []string{"dxcon-fh6ayh1d", "dxcon-fh6ayh1d"}}
		}, "Props.DirectConnect.ConnectionIDs[1]", []string{"each connection once"}},
		{"none with vpn", func(p *hybrid.Props) { p.Link = hybrid.LinkNone }, "Props.VPN", []string{"unless Link is \"vpn\""}},
		{"malformed lab CIDR", func(p *hybrid.Props) { p.OnPremCIDRs = []string{"192.168.0.0/33"} }, "Props.OnPremCIDRs[0]", []string{"IPv4 prefix"}},
		{"lab CIDR host bits", func(p *hybrid.Props) { p.OnPremCIDRs = []string{"192.168.1.1/16"} }, "Props.OnPremCIDRs[0]", []string{"192.168.0.0/16"}},
		{"lab CIDR everything", func(p *hybrid.Props) { p.OnPremCIDRs = []string{"0.0.0.0/0"} }, "Props.OnPremCIDRs[0]", []string{"/8 or narrower"}},
		{"log retention", func(p *hybrid.Props) { p.LogRetentionDays = 10 }, "Props.LogRetentionDays", []string{"10"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := good()
			c.edit(&p)
			err := p.ValidateSettings()
			es := cdktest.ValidationErrors(t, err, "")
			if len(es) != 1 || es[0].Field != c.field {
				t.Fatalf("errors = %v, want one on %s", err, c.field)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}

// TestOverlap: an on-premises network that overlaps the VPC is refused,
// by the network (its own CIDRs) and by the link (CIDRs given to it, with
// a VPC whose CIDR is known).
func TestOverlap(t *testing.T) {
	_, stack := cdktest.NewStack("Bad")
	err := cdktest.CatchValidation(t, func() {
		network.New(stack, "Network", &network.Props{CIDR: "10.40.0.0/16", OnPremCIDRs: []string{"192.168.0.0/16", "10.0.0.0/8", "192.168.0.0/16"}})
	})
	es := cdktest.ValidationErrors(t, err, "Bad/Network")
	if len(es) != 2 || es[0].Field != "Props.OnPremCIDRs[1]" || !strings.Contains(es[0].Accepted, "does not overlap the VPC's CIDR 10.40.0.0/16") ||
		es[1].Field != "Props.OnPremCIDRs[2]" || !strings.Contains(es[1].Accepted, "each network once") {
		t.Errorf("network errors = %v", err)
	}
	// The default VPC CIDR counts too.
	err = cdktest.CatchValidation(t, func() { network.New(stack, "Default", &network.Props{OnPremCIDRs: []string{"10.40.128.0/20"}}) })
	cdktest.HasField(t, err, "Bad/Default", "Props.OnPremCIDRs[0]")

	net := network.New(stack, "Good", &network.Props{CIDR: "10.50.0.0/16"})
	err = cdktest.CatchValidation(t, func() {
		hybrid.New(stack, "Link", &hybrid.Props{Network: net, Link: hybrid.LinkVPN, OnPremCIDRs: []string{"10.50.8.0/24"},
			VPN: &hybrid.VPN{CustomerGatewayIP: "203.0.113.12", Routing: hybrid.RoutingStatic}})
	})
	cdktest.HasField(t, err, "Bad/Link", "Props.OnPremCIDRs[0]")
	if !strings.Contains(err.Error(), "10.50.0.0/16") {
		t.Errorf("link overlap error %q does not name the VPC's CIDR", err)
	}
	// A static VPN needs the lab's networks from somewhere.
	err = cdktest.CatchValidation(t, func() {
		hybrid.New(stack, "NoRoutes", &hybrid.Props{Network: net, Link: hybrid.LinkVPN, VPN: &hybrid.VPN{CustomerGatewayIP: "203.0.113.12", Routing: hybrid.RoutingStatic}})
	})
	cdktest.HasField(t, err, "Bad/NoRoutes", "Props.OnPremCIDRs")
	err = cdktest.CatchValidation(t, func() { hybrid.New(stack, "Nil", nil) })
	if _, ok := validation.Recover(err); !ok || !strings.Contains(err.Error(), "Props is nil") {
		t.Errorf("nil props: %v", err)
	}
}

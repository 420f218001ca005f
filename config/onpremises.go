package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/biolake/biolake/constructs/hybrid"
	"github.com/biolake/biolake/constructs/network"
)

// OnPremises is how the lab's network reaches the VPC (network.onPremises),
// and the one list of the lab's networks: the DataSync agent, the File
// Gateway's clients and the DataSync, Storage Gateway and Transfer
// endpoints take them from here. docs/NETWORK.md describes each link.
type OnPremises struct {
	// Link: none (biolake builds no link: the lab reaches AWS over the
	// internet with TLS, or over a link managed elsewhere), vpn
	// (site-to-site VPN) or directconnect (an existing Direct Connect
	// gateway). Default: none.
	Link string `yaml:"link"`
	// CIDRs are the lab's IPv4 networks (no overlap with network.cidr).
	// Required with an activation key of dataSync and with a static VPN.
	// Default: none.
	CIDRs []string `yaml:"cidrs"`
	// AmazonSideASN is the BGP ASN of the virtual private gateway, a
	// private ASN. Default: 64512.
	AmazonSideASN int64 `yaml:"amazonSideASN"`
	// VPN settings, with link vpn only.
	VPN *OnPremisesVPN `yaml:"vpn"`
	// DirectConnect settings, with link directconnect only.
	DirectConnect *OnPremisesDirectConnect `yaml:"directConnect"`
}

// OnPremisesVPN is the site-to-site VPN.
type OnPremisesVPN struct {
	// CustomerGatewayIP is the public IPv4 address of the lab's VPN
	// device. Required.
	CustomerGatewayIP string `yaml:"customerGatewayIP"`
	// CustomerGatewayASN is the BGP ASN of the lab's device. Default: 65000.
	CustomerGatewayASN int64 `yaml:"customerGatewayASN"`
	// Routing: bgp or static (static routes to cidrs). Default: bgp.
	Routing string `yaml:"routing"`
	// PreSharedKeySecretArn of a secret holding "tunnel1" and "tunnel2".
	// Default: "" (AWS generates the keys).
	PreSharedKeySecretArn string `yaml:"preSharedKeySecretArn"`
}

// OnPremisesDirectConnect is the Direct Connect gateway association.
type OnPremisesDirectConnect struct {
	// GatewayID of the existing Direct Connect gateway. Required.
	GatewayID string `yaml:"gatewayId"`
	// ConnectionIDs of the Direct Connect connections carrying the lab's
	// virtual interface (dxcon-xxxxxxxx), in this account and region:
	// each gets a ConnectionState alarm. Default: none.
	ConnectionIDs []string `yaml:"connectionIds"`
}

// Enabled reports whether the environment builds a link.
func (o *OnPremises) Enabled() bool { return o.Link != "" && o.Link != string(hybrid.LinkNone) }

// Props returns the link construct's props (without the network and the
// alarm topic).
func (o *OnPremises) Props(e *Environment) *hybrid.Props {
	p := &hybrid.Props{
		Link:             hybrid.Link(o.Link),
		AmazonSideASN:    o.AmazonSideASN,
		LogRetentionDays: e.Logs.RetentionDays,
	}
	if o.VPN != nil {
		p.VPN = &hybrid.VPN{
			CustomerGatewayIP: o.VPN.CustomerGatewayIP, CustomerGatewayASN: o.VPN.CustomerGatewayASN,
			Routing: hybrid.Routing(o.VPN.Routing), PreSharedKeySecretArn: o.VPN.PreSharedKeySecretArn,
		}
	}
	if o.DirectConnect != nil {
		p.DirectConnect = &hybrid.DirectConnect{GatewayID: o.DirectConnect.GatewayID, ConnectionIDs: o.DirectConnect.ConnectionIDs}
	}
	return p
}

// validateOnPremises checks network.onPremises, with each problem at its
// YAML path, and the keys it replaced.
func (e *Environment) validateOnPremises() error {
	o := &e.Network.OnPremises
	const base = "network.onPremises"
	seen := map[string]int{}
	for i, c := range o.CIDRs {
		path := fmt.Sprintf("%s.cidrs[%d]", base, i)
		if accepted := network.CheckOnPremCIDR(c, e.Network.CIDR); accepted != "" {
			return e.fail(path, c, "is not accepted; use %s", accepted)
		}
		if j, dup := seen[c]; dup {
			return e.fail(path, c, "is listed twice (also %s.cidrs[%d])", base, j)
		}
		seen[c] = i
	}
	switch hybrid.Link(o.Link) {
	case hybrid.LinkNone, hybrid.LinkVPN, hybrid.LinkDirectConnect:
	default:
		return e.fail(base+".link", o.Link, "is not accepted; use none, vpn or directconnect")
	}
	if accepted := hybrid.CheckAmazonSideASN(o.AmazonSideASN); accepted != "" {
		return e.fail(base+".amazonSideASN", fmt.Sprint(o.AmazonSideASN), "is not accepted; use %s", accepted)
	}
	amazonSide := o.AmazonSideASN
	if amazonSide == 0 {
		amazonSide = hybrid.DefaultAmazonSideASN
	}
	if o.VPN != nil && o.Link != string(hybrid.LinkVPN) {
		return e.fail(base+".vpn", "", "is set with link %q; accepted: vpn settings with link vpn only", o.Link)
	}
	if o.DirectConnect != nil && o.Link != string(hybrid.LinkDirectConnect) {
		return e.fail(base+".directConnect", "", "is set with link %q; accepted: directConnect settings with link directconnect only", o.Link)
	}
	switch hybrid.Link(o.Link) {
	case hybrid.LinkVPN:
		v := o.VPN
		if v == nil || v.CustomerGatewayIP == "" {
			return e.fail(base+".vpn.customerGatewayIP", "", "is required with link vpn: the public IPv4 address of the lab's VPN device")
		}
		if accepted := hybrid.CheckCustomerGatewayIP(v.CustomerGatewayIP); accepted != "" {
			return e.fail(base+".vpn.customerGatewayIP", v.CustomerGatewayIP, "is not accepted; use %s", accepted)
		}
		if accepted := hybrid.CheckCustomerGatewayASN(v.CustomerGatewayASN, amazonSide); accepted != "" {
			return e.fail(base+".vpn.customerGatewayASN", fmt.Sprint(v.CustomerGatewayASN), "is not accepted; use %s", accepted)
		}
		switch hybrid.Routing(v.Routing) {
		case "", hybrid.RoutingBGP:
		case hybrid.RoutingStatic:
			if len(o.CIDRs) == 0 {
				return e.fail(base+".cidrs", "", "is required with routing static: the lab's networks are the VPN's static routes")
			}
		default:
			return e.fail(base+".vpn.routing", v.Routing, "is not accepted; use bgp or static")
		}
	case hybrid.LinkDirectConnect:
		if o.DirectConnect == nil || o.DirectConnect.GatewayID == "" {
			return e.fail(base+".directConnect.gatewayId", "", "is required with link directconnect: %s", hybrid.CheckDirectConnectGatewayID(""))
		}
		if accepted := hybrid.CheckDirectConnectGatewayID(o.DirectConnect.GatewayID); accepted != "" {
			return e.fail(base+".directConnect.gatewayId", o.DirectConnect.GatewayID, "is not accepted; use %s", accepted)
		}
		for i, id := range o.DirectConnect.ConnectionIDs {
			path := fmt.Sprintf("%s.directConnect.connectionIds[%d]", base, i)
			if accepted := hybrid.CheckDirectConnectConnectionID(id); accepted != "" {
				return e.fail(path, id, "is not accepted; use %s", accepted)
			}
			if slices.Contains(o.DirectConnect.ConnectionIDs[:i], id) {
				return e.fail(path, id, "is listed twice; accepted: each connection once")
			}
		}
	}
	if err := o.Props(e).ValidateSettings(); err != nil {
		return &FieldError{File: e.File, Path: base, Msg: err.Error()}
	}
	// The keys the section replaced: one list of the lab's networks.
	if e.DataSync.AgentCIDR != "" {
		return e.fail("dataSync.agentCIDR", e.DataSync.AgentCIDR, "is no longer accepted: list the lab's networks once, in network.onPremises.cidrs (the agent, the File Gateway and the endpoints take them from there)")
	}
	if len(e.FileGateway.ClientCIDRs) > 0 {
		return e.fail("fileGateway.clientCIDRs", strings.Join(e.FileGateway.ClientCIDRs, ","), "is no longer accepted: list the lab's networks once, in network.onPremises.cidrs (the File Gateway's default clients; a share may still narrow them with its own clientCIDRs)")
	}
	if e.DataSync.ActivationKey != "" && len(o.CIDRs) == 0 {
		return e.fail(base+".cidrs", "", "is required with dataSync.activationKey: the agent's on-premises network is let into the DataSync endpoint and the task interfaces")
	}
	return nil
}

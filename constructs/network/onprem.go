package network

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
)

// OnPremises is implemented by a network that knows the lab's on-premises
// networks ([Network] with Props.OnPremCIDRs). Constructs that serve
// on-premises clients (the DataSync agent, the File Gateway) take their
// CIDRs from it instead of copies of their own.
type OnPremises interface {
	// OnPremCIDRs returns the lab's on-premises IPv4 networks, in the
	// order given; none when the network has no on-premises link.
	OnPremCIDRs() []string
}

var _ OnPremises = (*Network)(nil)

// OnPremCIDRsOf returns the on-premises CIDRs of n when it implements
// [OnPremises], and nil otherwise (an imported VPC).
func OnPremCIDRsOf(n INetwork) []string {
	if op, ok := n.(OnPremises); ok && n != nil {
		return op.OnPremCIDRs()
	}
	return nil
}

// Ports on-premises clients use towards an interface endpoint, as the
// services document them for their VPC endpoints.
var onPremPorts = map[Endpoint][]PortRange{
	// DataSync agent: HTTPS (activation, data) and the control plane
	// 1024-1064 to the DataSync endpoint's network interfaces.
	EndpointDataSync: {{443, 443}, {1024, 1064}},
	// Storage Gateway (a gateway on premises): HTTPS, and TCP 1026-1028,
	// 1031 and 2222 to the Storage Gateway endpoint.
	EndpointStorageGateway: {{443, 443}, {1026, 1028}, {1031, 1031}, {2222, 2222}},
	// The Transfer Family API: HTTPS only.
	EndpointTransfer: {{443, 443}},
}

// OnPremPorts returns the TCP port ranges at which the interface endpoint
// of e admits Props.OnPremCIDRs: HTTPS and the ports the service documents
// for its VPC endpoint. Only the DataSync, Storage Gateway and Transfer
// endpoints admit on-premises networks; every other endpoint returns nil.
func OnPremPorts(e Endpoint) []PortRange { return slices.Clone(onPremPorts[e]) }

// CheckOnPremCIDR returns what would be accepted instead of cidr as an
// on-premises network of a VPC whose CIDR is vpcCIDR, or "" when cidr is
// accepted: an IPv4 prefix without host bits, no wider than /8, and not
// overlapping the VPC (whose addresses would then be ambiguous: traffic
// for them would never leave the VPC). vpcCIDR may be "" (not known).
func CheckOnPremCIDR(cidr, vpcCIDR string) string {
	pfx, err := netip.ParsePrefix(cidr)
	switch {
	case err != nil || !pfx.Addr().Is4():
		return `an IPv4 prefix such as "192.168.10.0/24"`
	case pfx.Bits() < 8:
		return fmt.Sprintf("a lab network of /8 or narrower (a /%d would admit a large share of all addresses to the endpoints)", pfx.Bits())
	case pfx.Masked() != pfx:
		return fmt.Sprintf("a prefix without host bits set: did you mean %q?", pfx.Masked().String())
	}
	if vpc, err := netip.ParsePrefix(vpcCIDR); err == nil && vpc.Overlaps(pfx) {
		return fmt.Sprintf("a network that does not overlap the VPC's CIDR %s (on-premises and VPC addresses must be distinct for routes over the link)", vpcCIDR)
	}
	return ""
}

// checkOnPremCIDRs returns one (field, value, accepted) per problem of
// cidrs, the on-premises networks of a VPC of vpcCIDR.
func checkOnPremCIDRs(cidrs []string, vpcCIDR string, bad func(field string, value any, accepted string, args ...any)) {
	seen := map[string]int{}
	for i, c := range cidrs {
		field := fmt.Sprintf("OnPremCIDRs[%d]", i)
		if accepted := CheckOnPremCIDR(c, vpcCIDR); accepted != "" {
			bad(field, c, "%s", accepted)
			continue
		}
		if j, dup := seen[c]; dup {
			bad(field, c, "each network once (OnPremCIDRs[%d] is the same)", j)
		}
		seen[c] = i
	}
}

// OnPremCIDRs returns Props.OnPremCIDRs.
func (n *Network) OnPremCIDRs() []string { return slices.Clone(n.onPrem) }

// EndpointSecurityGroupOf returns the security group of the interface
// endpoint of e: a group of its own for the endpoints on-premises clients
// reach (DataSync, Storage Gateway, Transfer; see [OnPremPorts]), the
// shared EndpointSecurityGroup for every other. It returns nil when the
// network has not created the endpoint.
func (n *Network) EndpointSecurityGroupOf(e Endpoint) awsec2.ISecurityGroup {
	if _, ok := n.eps.made[e]; !ok {
		return nil
	}
	if sg, ok := n.ownSGs[e]; ok {
		return sg
	}
	return n.endpointSG
}

// endpointSecurityGroup returns the security group the endpoint of s gets:
// for an endpoint on-premises clients reach, a group of its own that
// admits HTTPS from the VPC and the on-premises networks on the service's
// ports, and nothing else; else the shared group.
func (n *Network) endpointSecurityGroup(s endpointSpec) awsec2.ISecurityGroup {
	if len(s.onPrem) == 0 {
		return n.endpointSG
	}
	sg := awsec2.NewSecurityGroup(n, jsii.String(s.id+"SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              n.vpc,
		Description:      jsii.String(fmt.Sprintf("Interface VPC endpoint %s: HTTPS from the VPC and the service ports from the on-premises networks only", s.name)),
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(n.cidr)), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS from the VPC"), jsii.Bool(false))
	for _, c := range n.onPrem {
		for _, r := range s.onPrem {
			port := awsec2.Port_TcpRange(jsii.Number(float64(r.From)), jsii.Number(float64(r.To)))
			desc := fmt.Sprintf("On-premises network %s: %s, TCP %d-%d", c, s.name, r.From, r.To)
			if r.From == r.To {
				port = awsec2.Port_Tcp(jsii.Number(float64(r.From)))
				desc = fmt.Sprintf("On-premises network %s: %s, TCP %d", c, s.name, r.From)
			}
			sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(c)), port, jsii.String(desc), jsii.Bool(false))
		}
	}
	if n.ownSGs == nil {
		n.ownSGs = map[Endpoint]awsec2.ISecurityGroup{}
	}
	n.ownSGs[s.name] = sg
	return sg
}

// CIDR returns the VPC's IPv4 range (Props.CIDR, defaults applied).
func (n *Network) CIDR() string { return n.cidr }

package hybrid

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"

	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Link is how the lab's network reaches the VPC.
type Link string

// Links.
const (
	// LinkNone creates no link: the lab reaches AWS's public service
	// endpoints over the internet, with TLS (or over a link the lab
	// manages outside biolake).
	LinkNone Link = "none"
	// LinkVPN is an AWS Site-to-Site VPN over the internet: a virtual
	// private gateway on the VPC, a customer gateway for the lab's
	// device, and one VPN connection of two IPsec tunnels.
	LinkVPN Link = "vpn"
	// LinkDirectConnect attaches the VPC, through a virtual private
	// gateway, to an existing Direct Connect gateway, which carries the
	// lab's private virtual interface. The Direct Connect connection, the
	// private VIF and the Direct Connect gateway are not CloudFormation
	// resources here: they exist before, ordered and created by the lab
	// and its provider.
	LinkDirectConnect Link = "directconnect"
)

// Links lists the accepted links.
var Links = []Link{LinkNone, LinkVPN, LinkDirectConnect}

// Routing is how the VPN learns the lab's networks.
type Routing string

// Routings.
const (
	// RoutingBGP: the customer gateway device announces the lab's
	// networks over BGP in each tunnel (dynamic routing; failover between
	// the tunnels is automatic).
	RoutingBGP Routing = "bgp"
	// RoutingStatic: the lab's networks are static routes of the VPN
	// connection (Props.OnPremCIDRs), for devices without BGP.
	RoutingStatic Routing = "static"
)

// Defaults.
const (
	// DefaultAmazonSideASN is the ASN of the virtual private gateway.
	DefaultAmazonSideASN int64 = 64512
	// DefaultCustomerGatewayASN is the BGP ASN of the lab's device.
	DefaultCustomerGatewayASN int64 = 65000
	DefaultRouting                  = RoutingBGP
	DefaultLogRetentionDays         = 365
)

// ASN limits.
const (
	// MaxASN is the largest ASN a customer gateway takes (4-byte ASNs;
	// those above 2147483647 go to BgpAsnExtended).
	MaxASN int64 = 4294967294
	// maxBgpAsn is the largest value of AWS::EC2::CustomerGateway BgpAsn.
	maxBgpAsn int64 = 2147483647
)

// reservedASNs are ASNs a customer gateway may not use: AS_TRANS (23456),
// the reserved 65535, and those AWS reserves in some regions (7224
// us-east-1, 9059 eu-west-1, 10124 ap-northeast-1, 17943
// ap-southeast-1).
var reservedASNs = []int64{7224, 9059, 10124, 17943, 23456, 65535}

// VPN configures LinkVPN.
type VPN struct {
	// CustomerGatewayIP is the public IPv4 address of the lab's VPN
	// device (its internet-facing interface; behind NAT, the NAT's public
	// address). A private address is refused: AWS reaches the device over
	// the internet. (A private-IP VPN runs over Direct Connect and needs a
	// transit gateway, which biolake does not build.) Required; no
	// default.
	CustomerGatewayIP string
	// CustomerGatewayASN is the BGP ASN of the lab's device, 1 to
	// 4294967294 except 23456, 65535 and the ASNs AWS reserves (7224,
	// 9059, 10124, 17943); not AmazonSideASN. Default: 65000.
	CustomerGatewayASN int64
	// Routing is RoutingBGP or RoutingStatic. Default: RoutingBGP.
	Routing Routing
	// PreSharedKeySecretArn is the full ARN of a Secrets Manager secret
	// whose JSON holds the tunnels' pre-shared keys under "tunnel1" and
	// "tunnel2" (8 to 64 letters, digits, '.' and '_', not starting with
	// 0). CloudFormation reads them through dynamic references; they are
	// never in props or the template. Default: "", and AWS generates the
	// keys (read them from the VPN configuration download; see
	// docs/NETWORK.md).
	PreSharedKeySecretArn string
}

// DirectConnect configures LinkDirectConnect.
type DirectConnect struct {
	// GatewayID is the id of the existing Direct Connect gateway (a UUID
	// such as "5f2b1c3e-0a4d-4b6f-9e1c-2d3e4f5a6b7c") that carries the
	// lab's private virtual interface. Required; no default.
	GatewayID string
	// ConnectionIDs are the Direct Connect connections (dxcon-xxxxxxxx)
	// that carry the lab's virtual interface, in this stack's account and
	// region: each gets an alarm on AWS/DX ConnectionState. With one
	// connection its alarm is critical; with more, each is a warning (the
	// link runs without redundancy) and one more alarm is critical when
	// all are down. Default: none (no Direct Connect alarm).
	ConnectionIDs []string
}

// Props configures the on-premises link.
type Props struct {
	// Network is the VPC the link attaches to: its private subnets' route
	// tables get the routes to the lab's networks. Required; no default.
	Network network.INetwork
	// Link is LinkNone, LinkVPN or LinkDirectConnect. Default: LinkNone
	// (nothing is created).
	Link Link
	// OnPremCIDRs are the lab's networks: the static routes of a
	// RoutingStatic VPN, checked not to overlap the VPC. Default: the
	// network's ([network.OnPremises]), which is where they belong; give
	// them here only for a network that does not know them (an imported
	// VPC).
	OnPremCIDRs []string
	// AmazonSideASN is the BGP ASN of the virtual private gateway: a
	// private ASN, 64512 to 65534 or 4200000000 to 4294967294, other than
	// the lab's. Default: 64512.
	AmazonSideASN int64
	// VPN configures LinkVPN; only with it. Default: nil.
	VPN *VPN
	// DirectConnect configures LinkDirectConnect; only with it. Default:
	// nil.
	DirectConnect *DirectConnect
	// AlarmTopic receives the tunnel alarms' ALARM and OK notifications
	// (the platform's operations topic). Default: nil (alarms without
	// actions; an app may route them itself).
	AlarmTopic awssns.ITopic
	// LogKey encrypts the VPN tunnel log group; its key policy must let
	// CloudWatch Logs use it (secure.ServiceLogs). Default: a new key
	// that does.
	LogKey awskms.IKey
	// LogRetentionDays of the tunnel log group, a CloudWatch Logs value.
	// Default: 365.
	LogRetentionDays int
}

var (
	dxConnectionRE = regexp.MustCompile(`^dxcon-[a-z0-9]{8}$`)
	dxGatewayRE    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	secretArnRE    = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	cgnat          = netip.MustParsePrefix("100.64.0.0/10")
)

// CheckCustomerGatewayIP returns what would be accepted instead of ip as
// the customer gateway address of a VPN over the internet, or "".
func CheckCustomerGatewayIP(ip string) string {
	a, err := netip.ParseAddr(ip)
	switch {
	case err != nil || !a.Is4():
		return `the public IPv4 address of the lab's VPN device, such as "203.0.113.12"`
	case a.IsPrivate() || cgnat.Contains(a) || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "a public IPv4 address: AWS reaches the customer gateway over the internet, so a private, shared, loopback, link-local or multicast address cannot work (only a private-IP VPN over Direct Connect takes a private address, and it needs a transit gateway, which biolake does not build; use link directconnect for a private path)"
	}
	return ""
}

// CheckCustomerGatewayASN returns what would be accepted instead of asn
// (0 is the default) as the lab's BGP ASN next to amazonSide, or "".
func CheckCustomerGatewayASN(asn, amazonSide int64) string {
	switch {
	case asn < 0 || asn > MaxASN:
		return fmt.Sprintf("a BGP ASN from 1 to %d, or 0 for %d", MaxASN, DefaultCustomerGatewayASN)
	case slices.Contains(reservedASNs, asn):
		return fmt.Sprintf("an ASN that is not reserved (%s are reserved by BGP or by AWS)", validation.List(reservedASNs))
	case asn != 0 && asn == amazonSide:
		return fmt.Sprintf("an ASN other than the virtual private gateway's (AmazonSideASN %d): the two BGP peers need distinct ASNs", amazonSide)
	}
	return ""
}

// CheckAmazonSideASN returns what would be accepted instead of asn (0 is
// the default) as the virtual private gateway's ASN, or "".
func CheckAmazonSideASN(asn int64) string {
	if asn == 0 || (asn >= 64512 && asn <= 65534) || (asn >= 4200000000 && asn <= MaxASN) {
		return ""
	}
	return fmt.Sprintf("a private ASN, 64512 to 65534 or 4200000000 to %d, or 0 for %d", MaxASN, DefaultAmazonSideASN)
}

// CheckDirectConnectConnectionID returns what would be accepted instead of
// id as a Direct Connect connection id, or "".
func CheckDirectConnectConnectionID(id string) string {
	if dxConnectionRE.MatchString(id) {
		return ""
	}
	return `the id of a Direct Connect connection, "dxcon-" and 8 lower-case letters or digits such as "dxcon-fh6ayh1d" ("aws directconnect describe-connections")`
}

// CheckDirectConnectGatewayID returns what would be accepted instead of
// id as a Direct Connect gateway id, or "".
func CheckDirectConnectGatewayID(id string) string {
	if dxGatewayRE.MatchString(id) {
		return ""
	}
	return `the id of an existing Direct Connect gateway, a UUID such as "5f2b1c3e-0a4d-4b6f-9e1c-2d3e4f5a6b7c" (the Direct Connect console or "aws directconnect describe-direct-connect-gateways"); the connection, the private VIF and the gateway are created outside CloudFormation`
}

func (p *Props) withDefaults() Props {
	r := *p
	if r.Link == "" {
		r.Link = LinkNone
	}
	if r.AmazonSideASN == 0 {
		r.AmazonSideASN = DefaultAmazonSideASN
	}
	if r.LogRetentionDays == 0 {
		r.LogRetentionDays = DefaultLogRetentionDays
	}
	if len(r.OnPremCIDRs) == 0 {
		r.OnPremCIDRs = network.OnPremCIDRsOf(r.Network)
	}
	if r.VPN != nil {
		v := *r.VPN
		if v.CustomerGatewayASN == 0 {
			v.CustomerGatewayASN = DefaultCustomerGatewayASN
		}
		if v.Routing == "" {
			v.Routing = DefaultRouting
		}
		r.VPN = &v
	}
	return r
}

// Validate checks p and returns every problem, joined; New panics with
// the same errors.
func (p *Props) Validate() error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Network and Link")
	}
	var errs []error
	bad := validation.Collector("", &errs)
	if p.Network == nil {
		bad("Network", validation.Raw("nil"), "the network.INetwork whose VPC the link attaches to")
	}
	if err := p.ValidateSettings(); err != nil {
		errs = append(errs, err)
	}
	if vpc := vpcCIDR(p.Network); vpc != "" {
		for i, c := range p.OnPremCIDRs {
			if accepted := network.CheckOnPremCIDR(c, ""); accepted == "" {
				if accepted := network.CheckOnPremCIDR(c, vpc); accepted != "" {
					bad(fmt.Sprintf("OnPremCIDRs[%d]", i), c, "%s", accepted)
				}
			}
		}
	}
	if p.Network != nil && p.Link == LinkVPN && p.VPN != nil && p.VPN.Routing == RoutingStatic &&
		len(p.OnPremCIDRs) == 0 && len(network.OnPremCIDRsOf(p.Network)) == 0 {
		bad("OnPremCIDRs", validation.Raw("empty"), "the lab's networks, the static routes of a static VPN (or a network with network.Props.OnPremCIDRs)")
	}
	return validation.Join("", errs...)
}

// ValidateSettings checks every setting except Network, so that a config
// layer can check an environment file before any construct exists.
func (p *Props) ValidateSettings() error {
	var errs []error
	bad := validation.Collector("", &errs)
	if !slices.Contains(Links, p.Link) && p.Link != "" {
		bad("Link", string(p.Link), "one of %s", validation.List(Links))
	}
	for i, c := range p.OnPremCIDRs {
		if accepted := network.CheckOnPremCIDR(c, ""); accepted != "" {
			bad(fmt.Sprintf("OnPremCIDRs[%d]", i), c, "%s", accepted)
		}
	}
	if accepted := CheckAmazonSideASN(p.AmazonSideASN); accepted != "" {
		bad("AmazonSideASN", p.AmazonSideASN, "%s", accepted)
	}
	amazonSide := p.AmazonSideASN
	if amazonSide == 0 {
		amazonSide = DefaultAmazonSideASN
	}
	switch p.Link {
	case LinkVPN:
		if p.VPN == nil {
			bad("VPN", validation.Raw("nil"), "the VPN settings (at least CustomerGatewayIP) with Link %q", LinkVPN)
			break
		}
		v := p.VPN
		if accepted := CheckCustomerGatewayIP(v.CustomerGatewayIP); accepted != "" {
			bad("VPN.CustomerGatewayIP", v.CustomerGatewayIP, "%s", accepted)
		}
		if accepted := CheckCustomerGatewayASN(v.CustomerGatewayASN, amazonSide); accepted != "" {
			bad("VPN.CustomerGatewayASN", v.CustomerGatewayASN, "%s", accepted)
		}
		switch v.Routing {
		case "", RoutingBGP, RoutingStatic:
		default:
			bad("VPN.Routing", string(v.Routing), "%s or %s, or \"\" for %s", RoutingBGP, RoutingStatic, DefaultRouting)
		}
		if v.PreSharedKeySecretArn != "" && !secretArnRE.MatchString(v.PreSharedKeySecretArn) {
			bad("VPN.PreSharedKeySecretArn", v.PreSharedKeySecretArn, "the full ARN of a Secrets Manager secret (ending in its 6-character suffix) whose JSON holds \"tunnel1\" and \"tunnel2\", or \"\" for keys AWS generates")
		}
		if p.DirectConnect != nil {
			bad("DirectConnect", validation.Raw("set"), "nil with Link %q (DirectConnect belongs to Link %q)", LinkVPN, LinkDirectConnect)
		}
	case LinkDirectConnect:
		if p.DirectConnect == nil || p.DirectConnect.GatewayID == "" {
			bad("DirectConnect.GatewayID", "", "%s", CheckDirectConnectGatewayID(""))
		} else if accepted := CheckDirectConnectGatewayID(p.DirectConnect.GatewayID); accepted != "" {
			bad("DirectConnect.GatewayID", p.DirectConnect.GatewayID, "%s", accepted)
		}
		if p.DirectConnect != nil {
			seen := map[string]bool{}
			for i, id := range p.DirectConnect.ConnectionIDs {
				field := fmt.Sprintf("DirectConnect.ConnectionIDs[%d]", i)
				if accepted := CheckDirectConnectConnectionID(id); accepted != "" {
					bad(field, id, "%s", accepted)
				} else if seen[id] {
					bad(field, id, "each connection once")
				}
				seen[id] = true
			}
		}
		if p.VPN != nil {
			bad("VPN", validation.Raw("set"), "nil with Link %q (VPN belongs to Link %q)", LinkDirectConnect, LinkVPN)
		}
	case "", LinkNone:
		if p.VPN != nil {
			bad("VPN", validation.Raw("set"), "nil unless Link is %q", LinkVPN)
		}
		if p.DirectConnect != nil {
			bad("DirectConnect", validation.Raw("set"), "nil unless Link is %q", LinkDirectConnect)
		}
	}
	if d := p.LogRetentionDays; d != 0 && !secure.IsLogRetention(d) {
		bad("LogRetentionDays", d, "one of %s, or 0 for the default %d", validation.List(secure.LogRetentionValues), DefaultLogRetentionDays)
	}
	return validation.Join("", errs...)
}

// vpcCIDR returns the VPC's CIDR of n when it is known at synth: a
// Network's, or an imported VPC's given as a literal; else "".
func vpcCIDR(n network.INetwork) string {
	if n == nil {
		return ""
	}
	if c, ok := n.(interface{ CIDR() string }); ok {
		return c.CIDR()
	}
	if v := n.Vpc(); v != nil {
		if c := v.VpcCidrBlock(); c != nil && !*awscdk.Token_IsUnresolved(c) {
			return *c
		}
	}
	return ""
}

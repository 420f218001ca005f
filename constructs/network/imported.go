package network

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/validation"
)

// INetwork is what a construct needs of the VPC it runs in: the VPC, the
// subnets for workloads, the interface endpoints' security group, and the
// endpoints themselves. [*Network] (a VPC biolake creates) and [*Imported]
// (an existing VPC, see [FromVpc]) implement it.
type INetwork interface {
	constructs.IConstruct
	// Vpc returns the VPC.
	Vpc() awsec2.IVpc
	// PrivateSubnets returns the subnets workloads use.
	PrivateSubnets() *awsec2.SubnetSelection
	// EndpointSecurityGroup returns the security group of the interface
	// endpoints (HTTPS from the VPC).
	EndpointSecurityGroup() awsec2.ISecurityGroup
	// Profile is ProfileIsolated when the workload subnets have no route
	// out of the VPC, ProfileNAT when they have egress.
	Profile() Profile
	// Require records that by calls the services of eps from inside the
	// VPC, creating or refusing endpoints as the network is configured.
	Require(by constructs.IConstruct, eps ...Endpoint)
	// Provides reports whether calls to e go through an interface endpoint.
	Provides(e Endpoint) bool
	// InterfaceEndpoint returns the interface endpoint of e created by the
	// network, or nil (none, or one that existed before and is not known
	// as a construct).
	InterfaceEndpoint(e Endpoint) awsec2.IInterfaceVpcEndpoint
}

var (
	_ INetwork = (*Network)(nil)
	_ INetwork = (*Imported)(nil)
)

// FromVpcProps describes an existing VPC.
type FromVpcProps struct {
	// Vpc is the existing VPC, from awsec2.Vpc_FromLookup or
	// awsec2.Vpc_FromVpcAttributes. Required. Default: none.
	Vpc awsec2.IVpc
	// Subnets are the private subnets workloads run in (a Lustre file
	// system and a DataSync agent use the first). Required, at least one.
	// Default: none.
	Subnets []awsec2.ISubnet
	// Egress is true when Subnets route to the internet through NAT (they
	// then behave as ProfileNAT: a service without an interface endpoint is
	// reached through NAT); false when they are isolated (ProfileIsolated:
	// a construct that requires an endpoint the VPC lacks stops the synth).
	// Default: false (isolated).
	Egress bool
	// InterfaceEndpoints lists the interface endpoints that already exist
	// in the VPC (with private DNS on), without duplicates. Default: none.
	InterfaceEndpoints []Endpoint
	// EndpointSecurityGroup is the security group of the existing interface
	// endpoints. Required unless CreateMissingEndpoints is set; with it, the
	// endpoints created get this group too. Default: nil, and with
	// CreateMissingEndpoints the construct creates one that accepts HTTPS
	// from the VPC's CIDR (the VPC must then know its CIDR block).
	EndpointSecurityGroup awsec2.ISecurityGroup
	// CreateMissingEndpoints lets the construct create, in Subnets, every
	// interface endpoint a construct requires that InterfaceEndpoints does
	// not list. Default: false, and an isolated VPC refuses such a
	// construct with a [*MissingEndpointError].
	CreateMissingEndpoints bool
}

// Validate checks p and returns every problem found as validation errors
// of the construct at path.
func (p *FromVpcProps) Validate(path string) error {
	if p == nil {
		return validation.New(path, "FromVpcProps", validation.Raw("nil"), "props with Vpc and Subnets")
	}
	var errs []error
	bad := func(field string, value any, accepted string, args ...any) {
		errs = append(errs, validation.New(path, "FromVpcProps."+field, value, accepted, args...))
	}
	if p.Vpc == nil {
		bad("Vpc", validation.Raw("nil"), "an existing VPC, from awsec2.Vpc_FromLookup or awsec2.Vpc_FromVpcAttributes")
	}
	if len(p.Subnets) == 0 {
		bad("Subnets", validation.Raw("[]"), "at least one private subnet of the VPC")
	}
	for i, s := range p.Subnets {
		if s == nil {
			bad(fmt.Sprintf("Subnets[%d]", i), validation.Raw("nil"), "a subnet of the VPC")
		}
	}
	seen := map[Endpoint]bool{}
	for i, e := range p.InterfaceEndpoints {
		if !slices.ContainsFunc(endpointSpecs, func(s endpointSpec) bool { return s.name == e }) {
			bad(fmt.Sprintf("InterfaceEndpoints[%d]", i), string(e), "one of %s", joinEndpoints(AllEndpoints()))
			continue
		}
		if seen[e] {
			bad(fmt.Sprintf("InterfaceEndpoints[%d]", i), string(e), "each endpoint once")
		}
		seen[e] = true
	}
	if p.EndpointSecurityGroup == nil && !p.CreateMissingEndpoints {
		bad("EndpointSecurityGroup", validation.Raw("nil"), "the security group of the VPC's interface endpoints, or CreateMissingEndpoints true so that the construct creates one with the endpoints")
	}
	return validation.Join(path, errs...)
}

// Imported is an existing VPC used by biolake's constructs. Create it with
// FromVpc. It creates no VPC, subnet, route or flow log; it creates
// interface endpoints (and their security group) only with
// CreateMissingEndpoints.
type Imported struct {
	constructs.Construct

	p   FromVpcProps
	sg  awsec2.ISecurityGroup
	eps endpoints
}

// FromVpc returns the existing VPC of props as an [INetwork]. It panics with
// a validation error when props are invalid.
//
//	vpc := awsec2.Vpc_FromLookup(stack, jsii.String("Vpc"), &awsec2.VpcLookupOptions{VpcId: jsii.String("vpc-0123")})
//	net := network.FromVpc(stack, "Network", &network.FromVpcProps{
//		Vpc:                   vpc,
//		Subnets:               *vpc.IsolatedSubnets(),
//		InterfaceEndpoints:    []network.Endpoint{network.EndpointLogs, network.EndpointSTS},
//		EndpointSecurityGroup: awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("EndpointSg"), jsii.String("sg-0123"), nil),
//	})
func FromVpc(scope constructs.Construct, id string, props *FromVpcProps) *Imported {
	validation.Check(validation.PathOf(scope, id), props.Validate(validation.PathOf(scope, id)))
	p := *props
	p.Subnets = slices.Clone(p.Subnets)
	n := &Imported{p: p, sg: p.EndpointSecurityGroup, eps: endpoints{
		listed:   slices.Clone(p.InterfaceEndpoints),
		explicit: true,
	}}
	constructs.NewConstruct_Override(n, scope, jsii.String(id))
	return n
}

// Vpc returns the VPC.
func (n *Imported) Vpc() awsec2.IVpc { return n.p.Vpc }

// PrivateSubnets returns the subnets of FromVpcProps.Subnets.
func (n *Imported) PrivateSubnets() *awsec2.SubnetSelection {
	s := slices.Clone(n.p.Subnets)
	return &awsec2.SubnetSelection{Subnets: &s}
}

// EndpointSecurityGroup returns FromVpcProps.EndpointSecurityGroup, or the
// group the construct created for the endpoints it creates.
func (n *Imported) EndpointSecurityGroup() awsec2.ISecurityGroup {
	if n.sg == nil {
		sg := awsec2.NewSecurityGroup(n, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc:              n.p.Vpc,
			Description:      jsii.String("Interface VPC endpoints: HTTPS from the VPC only"),
			AllowAllOutbound: jsii.Bool(false),
		})
		sg.AddIngressRule(awsec2.Peer_Ipv4(n.p.Vpc.VpcCidrBlock()), awsec2.Port_Tcp(jsii.Number(443)),
			jsii.String("HTTPS from the VPC"), jsii.Bool(false))
		n.sg = sg
	}
	return n.sg
}

// Profile returns ProfileNAT when FromVpcProps.Egress is set, else
// ProfileIsolated.
func (n *Imported) Profile() Profile {
	if n.p.Egress {
		return ProfileNAT
	}
	return ProfileIsolated
}

// Require records that by calls the services of eps from inside the VPC.
// An endpoint listed in FromVpcProps.InterfaceEndpoints is there already;
// one not listed is created with CreateMissingEndpoints, left to NAT with
// Egress, and otherwise refused with a [*MissingEndpointError].
func (n *Imported) Require(by constructs.IConstruct, eps ...Endpoint) {
	if !n.p.CreateMissingEndpoints {
		n.eps.require(n, true, by, eps...)
		return
	}
	for _, e := range eps {
		if slices.Contains(n.eps.listed, e) {
			n.eps.require(n, true, by, e)
			continue
		}
		// Not there: create it (require refuses unknown names first).
		n.eps.explicit = false
		n.eps.require(n, true, by, e)
		n.eps.explicit = true
	}
}

// Provides reports whether calls to e go through an interface endpoint:
// one that exists, or one the construct would create.
func (n *Imported) Provides(e Endpoint) bool {
	return slices.Contains(n.eps.listed, e) || (n.p.CreateMissingEndpoints && slices.ContainsFunc(endpointSpecs, func(s endpointSpec) bool { return s.name == e }))
}

// InterfaceEndpoint returns the interface endpoint of e that the construct
// created, or nil: endpoints that existed before are not constructs here.
func (n *Imported) InterfaceEndpoint(e Endpoint) awsec2.IInterfaceVpcEndpoint {
	if ep, ok := n.eps.made[e]; ok {
		return ep
	}
	return nil
}

// Requirements returns what the constructs required, in the order they
// required it.
func (n *Imported) Requirements() []Requirement { return slices.Clone(n.eps.required) }

// InterfaceEndpoints returns the interface endpoints the construct created,
// in the order of AllEndpoints (not those that existed before).
func (n *Imported) InterfaceEndpoints() []Endpoint { return n.eps.createdInOrder() }

// newEndpoint creates the interface endpoint of s in the workload subnets,
// a child of the Imported construct with the id a Network gives it.
func (n *Imported) newEndpoint(s endpointSpec) awsec2.InterfaceVpcEndpoint {
	return awsec2.NewInterfaceVpcEndpoint(n, jsii.String(s.id), &awsec2.InterfaceVpcEndpointProps{
		Vpc:               n.p.Vpc,
		Service:           s.service(),
		PrivateDnsEnabled: jsii.Bool(true),
		Subnets:           n.PrivateSubnets(),
		SecurityGroups:    &[]awsec2.ISecurityGroup{n.EndpointSecurityGroup()},
		Open:              jsii.Bool(false),
	})
}

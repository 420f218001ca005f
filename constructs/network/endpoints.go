package network

import (
	"fmt"
	"slices"

	"github.com/biolake/biolake/constructs/validation"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// endpoints is what a Network knows about its interface endpoints: what the
// props listed, what its constructs required and what it created.
type endpoints struct {
	listed   []Endpoint // Props.InterfaceEndpoints
	explicit bool       // listed is the whole set (else: created on demand)
	disabled bool       // Props.DisableInterfaceEndpoints
	required []Requirement
	created  []Endpoint
	made     map[Endpoint]awsec2.InterfaceVpcEndpoint
}

// Requirement is one construct's need of an interface endpoint: it calls the
// service from inside the VPC.
type Requirement struct {
	// Construct is the path of the construct that calls the service.
	Construct string
	// Endpoint is the service it calls.
	Endpoint Endpoint
}

// MissingEndpointError is the synth error for a construct that calls a
// service from inside an isolated network that has no endpoint for it: in
// that network the call could never leave the VPC.
type MissingEndpointError struct {
	// Network is the network's construct path.
	Network string
	// Construct is the path of the construct that requires the endpoint.
	Construct string
	// Endpoint is the missing endpoint.
	Endpoint Endpoint
	// Listed are the endpoints Props.InterfaceEndpoints lists.
	Listed []Endpoint
	// Imported is true when the network is an existing VPC ([FromVpc]).
	Imported bool
}

func (e *MissingEndpointError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the error as a [*validation.Error], so that
// [validation.Recover] recovers it.
func (e *MissingEndpointError) Unwrap() error {
	if e.Imported {
		return &validation.Error{Path: e.Network, Field: "FromVpcProps.InterfaceEndpoints", Value: validation.Render(string(e.Endpoint)),
			Problem: fmt.Sprintf("%q calls %s from inside the VPC, but this isolated VPC has no %q interface endpoint (the props list only %s)",
				e.Construct, e.Endpoint, e.Endpoint, joinEndpoints(e.Listed)),
			Accepted: fmt.Sprintf("create the endpoint and list %q in InterfaceEndpoints, or set CreateMissingEndpoints so that the construct creates the endpoints required", e.Endpoint)}
	}
	return &validation.Error{Path: e.Network, Field: "Props.InterfaceEndpoints", Value: validation.Render(string(e.Endpoint)),
		Problem: fmt.Sprintf("%q calls %s from inside the VPC, but this isolated network has no %q interface endpoint (Props.InterfaceEndpoints lists only %s)",
			e.Construct, e.Endpoint, e.Endpoint, joinEndpoints(e.Listed)),
		Accepted: fmt.Sprintf("add %q to InterfaceEndpoints, leave InterfaceEndpoints empty so that the network creates the endpoints its constructs require, or use Profile %q",
			e.Endpoint, ProfileNAT)}
}

// endpointHost is what creates interface endpoints: a Network or an
// Imported VPC.
type endpointHost interface {
	constructs.IConstruct
	PrivateSubnets() *awsec2.SubnetSelection
	Profile() Profile
	newEndpoint(s endpointSpec) awsec2.InterfaceVpcEndpoint
}

// require is Require for either kind of network: it records the need and
// creates, refuses or leaves to NAT each endpoint.
func (x *endpoints) require(h endpointHost, imported bool, by constructs.IConstruct, eps ...Endpoint) {
	if by == nil {
		panic(validation.New(*h.Node().Path(), "Require(by)", validation.Raw("nil"), "the construct that calls the services"))
	}
	for _, e := range eps {
		i := slices.IndexFunc(endpointSpecs, func(s endpointSpec) bool { return s.name == e })
		if i < 0 {
			panic(validation.New(*h.Node().Path(), fmt.Sprintf("Require(%q)", *by.Node().Path()), string(e), "one of %s", joinEndpoints(AllEndpoints())))
		}
		x.required = append(x.required, Requirement{Construct: *by.Node().Path(), Endpoint: e})
		switch {
		case x.disabled:
		case !x.explicit:
			x.add(h, endpointSpecs[i])
		case slices.Contains(x.listed, e):
		case h.Profile() == ProfileIsolated:
			panic(&MissingEndpointError{Network: *h.Node().Path(), Construct: *by.Node().Path(), Endpoint: e, Listed: x.listed, Imported: imported})
		}
	}
}

// provides is Provides for either kind of network.
func (x *endpoints) provides(e Endpoint) bool {
	switch {
	case x.disabled:
		return false
	case x.explicit:
		return slices.Contains(x.listed, e)
	}
	return slices.ContainsFunc(endpointSpecs, func(s endpointSpec) bool { return s.name == e })
}

// add creates the interface endpoint of s once.
func (x *endpoints) add(h endpointHost, s endpointSpec) {
	if slices.Contains(x.created, s.name) {
		return
	}
	x.created = append(x.created, s.name)
	if x.made == nil {
		x.made = map[Endpoint]awsec2.InterfaceVpcEndpoint{}
	}
	x.made[s.name] = h.newEndpoint(s)
}

// createdInOrder returns the endpoints created so far, in the order of
// AllEndpoints.
func (x *endpoints) createdInOrder() []Endpoint {
	var out []Endpoint
	for _, s := range endpointSpecs {
		if slices.Contains(x.created, s.name) {
			out = append(out, s.name)
		}
	}
	return out
}

// Require records that the construct by calls the AWS services of eps from
// inside the VPC, and makes sure the network reaches them:
//
//   - with Props.InterfaceEndpoints empty (the default) it creates each
//     endpoint not created yet, so the network has exactly the endpoints
//     its constructs require;
//   - with a list, a listed endpoint is there already; one not listed
//     panics with a [*MissingEndpointError] in ProfileIsolated, where the
//     call could not leave the VPC, and is left to the NAT gateways in
//     ProfileNAT;
//   - with DisableInterfaceEndpoints every call goes through NAT.
//
// biolake's constructs call it from New for what they run in the VPC; call
// it for workloads of your own:
//
//	net.Require(fn, network.EndpointSecretsManager)
func (n *Network) Require(by constructs.IConstruct, eps ...Endpoint) {
	n.eps.require(n, false, by, eps...)
}

// Provides reports whether calls to e from inside the VPC go through an
// interface endpoint of this network: one created already, or one that
// [Network.Require] would create.
func (n *Network) Provides(e Endpoint) bool { return n.eps.provides(e) }

// InterfaceEndpoint returns the interface endpoint of e that the network
// created, or nil when it created none (yet).
func (n *Network) InterfaceEndpoint(e Endpoint) awsec2.IInterfaceVpcEndpoint {
	if ep, ok := n.eps.made[e]; ok {
		return ep
	}
	return nil
}

// Requirements returns what the constructs required, in the order they
// required it.
func (n *Network) Requirements() []Requirement { return slices.Clone(n.eps.required) }

// InterfaceEndpoints returns the interface endpoints the network has created
// so far, in the order of AllEndpoints.
func (n *Network) InterfaceEndpoints() []Endpoint { return n.eps.createdInOrder() }

// newEndpoint creates the interface endpoint of s. The endpoint is a child
// of the VPC with the id of s, as it always was, so its logical id does not
// depend on who required it first.
func (n *Network) newEndpoint(s endpointSpec) awsec2.InterfaceVpcEndpoint {
	return n.vpc.AddInterfaceEndpoint(jsii.String(s.id), &awsec2.InterfaceVpcEndpointOptions{
		Service:           s.service(),
		PrivateDnsEnabled: jsii.Bool(true),
		Subnets:           n.PrivateSubnets(),
		SecurityGroups:    &[]awsec2.ISecurityGroup{n.endpointSecurityGroup(s)},
		Open:              jsii.Bool(false),
	})
}

package network

import (
	"fmt"
	"slices"

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
}

func (e *MissingEndpointError) Error() string {
	return fmt.Sprintf("network %q: %q calls %s from inside the VPC, but this isolated network has no %q interface endpoint "+
		"(Props.InterfaceEndpoints lists only %s); accepted: add %q to InterfaceEndpoints, leave InterfaceEndpoints empty "+
		"so that the network creates the endpoints its constructs require, or use Profile %q",
		e.Network, e.Construct, e.Endpoint, e.Endpoint, joinEndpoints(e.Listed), e.Endpoint, ProfileNAT)
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
	for _, e := range eps {
		i := slices.IndexFunc(endpointSpecs, func(s endpointSpec) bool { return s.name == e })
		if i < 0 {
			panic(fmt.Errorf("network %q: %q requires endpoint %q, which is not a known endpoint; accepted: %s",
				*n.Node().Path(), *by.Node().Path(), e, joinEndpoints(AllEndpoints())))
		}
		n.eps.required = append(n.eps.required, Requirement{Construct: *by.Node().Path(), Endpoint: e})
		switch {
		case n.eps.disabled:
		case !n.eps.explicit:
			n.addEndpoint(endpointSpecs[i])
		case slices.Contains(n.eps.listed, e):
		case n.profile == ProfileIsolated:
			panic(&MissingEndpointError{Network: *n.Node().Path(), Construct: *by.Node().Path(), Endpoint: e, Listed: n.eps.listed})
		}
	}
}

// Provides reports whether calls to e from inside the VPC go through an
// interface endpoint of this network: one created already, or one that
// [Network.Require] would create.
func (n *Network) Provides(e Endpoint) bool {
	switch {
	case n.eps.disabled:
		return false
	case n.eps.explicit:
		return slices.Contains(n.eps.listed, e)
	}
	return slices.ContainsFunc(endpointSpecs, func(s endpointSpec) bool { return s.name == e })
}

// Requirements returns what the constructs required, in the order they
// required it.
func (n *Network) Requirements() []Requirement { return slices.Clone(n.eps.required) }

// InterfaceEndpoints returns the interface endpoints the network has created
// so far, in the order of AllEndpoints.
func (n *Network) InterfaceEndpoints() []Endpoint {
	var out []Endpoint
	for _, s := range endpointSpecs {
		if slices.Contains(n.eps.created, s.name) {
			out = append(out, s.name)
		}
	}
	return out
}

// addEndpoint creates the interface endpoint of s once. The endpoint is a
// child of the VPC with the id of s, as it always was, so its logical id
// does not depend on who required it first.
func (n *Network) addEndpoint(s endpointSpec) {
	if slices.Contains(n.eps.created, s.name) {
		return
	}
	n.eps.created = append(n.eps.created, s.name)
	n.Vpc.AddInterfaceEndpoint(jsii.String(s.id), &awsec2.InterfaceVpcEndpointOptions{
		Service:           s.service(),
		PrivateDnsEnabled: jsii.Bool(true),
		Subnets:           n.PrivateSubnets(),
		SecurityGroups:    &[]awsec2.ISecurityGroup{n.EndpointSecurityGroup},
		Open:              jsii.Bool(false),
	})
}

package network_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/validation"
)

// existingVpc is a VPC of another team: two isolated subnets, a CIDR.
func existingVpc(stack awscdk.Stack) (awsec2.IVpc, []awsec2.ISubnet, awsec2.ISecurityGroup) {
	vpc := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("LabVpc"), &awsec2.VpcAttributes{
		VpcId:             jsii.String("vpc-0a1b2c3d"),
		VpcCidrBlock:      jsii.String("10.8.0.0/16"),
		AvailabilityZones: jsii.Strings("eu-west-1a", "eu-west-1b"),
		IsolatedSubnetIds: jsii.Strings("subnet-0aaa", "subnet-0bbb"),
	})
	sg := awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("LabEndpointSg"), jsii.String("sg-0e0e0e"), nil)
	return vpc, *vpc.IsolatedSubnets(), sg
}

func TestFromVpcValidate(t *testing.T) {
	_, stack := cdktest.NewStack("Stack")
	vpc, subnets, sg := existingVpc(stack)
	cases := []struct {
		name  string
		props *network.FromVpcProps
		want  []string
	}{
		{"nil props", nil, []string{"Stack/Net: FromVpcProps is nil"}},
		{"nil vpc", &network.FromVpcProps{Subnets: subnets, EndpointSecurityGroup: sg}, []string{"FromVpcProps.Vpc is nil"}},
		{"no subnets", &network.FromVpcProps{Vpc: vpc, EndpointSecurityGroup: sg}, []string{"FromVpcProps.Subnets is []", "at least one private subnet"}},
		{"nil subnet", &network.FromVpcProps{Vpc: vpc, Subnets: []awsec2.ISubnet{nil}, EndpointSecurityGroup: sg}, []string{"FromVpcProps.Subnets[0] is nil"}},
		{"unknown endpoint", &network.FromVpcProps{Vpc: vpc, Subnets: subnets, EndpointSecurityGroup: sg, InterfaceEndpoints: []network.Endpoint{"s3"}},
			[]string{`FromVpcProps.InterfaceEndpoints[0] is "s3"`, "one of datasync"}},
		{"duplicate endpoint", &network.FromVpcProps{Vpc: vpc, Subnets: subnets, EndpointSecurityGroup: sg, InterfaceEndpoints: []network.Endpoint{network.EndpointLogs, network.EndpointLogs}},
			[]string{`FromVpcProps.InterfaceEndpoints[1] is "logs"`, "each endpoint once"}},
		{"no endpoint group", &network.FromVpcProps{Vpc: vpc, Subnets: subnets}, []string{"FromVpcProps.EndpointSecurityGroup is nil", "CreateMissingEndpoints"}},
		{"several at once", &network.FromVpcProps{}, []string{"FromVpcProps.Vpc is nil", "FromVpcProps.Subnets is []", "FromVpcProps.EndpointSecurityGroup is nil"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got any
			func() {
				defer func() { got = recover() }()
				network.FromVpc(stack, "Net", c.props)
			}()
			err, ok := validation.Recover(got)
			if !ok {
				t.Fatalf("FromVpc did not panic with a validation error (got %v)", got)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		if msg, panicked := cdktest.Catch(func() {
			network.FromVpc(stack, "Ok", &network.FromVpcProps{Vpc: vpc, Subnets: subnets, EndpointSecurityGroup: sg})
		}); panicked {
			t.Fatalf("valid props panicked: %s", msg)
		}
	})
}

func TestFromVpcRequire(t *testing.T) {
	// One App per case: each synthesizes its stack.
	newStack := func(id string) (awscdk.Stack, awsec2.IVpc, []awsec2.ISubnet, awsec2.ISecurityGroup) {
		_, stack := cdktest.NewStack(id)
		vpc, subnets, sg := existingVpc(stack)
		return stack, vpc, subnets, sg
	}

	t.Run("isolated refuses a missing endpoint", func(t *testing.T) {
		stack, vpc, subnets, sg := newStack("Refuses")
		n := network.FromVpc(stack, "Net", &network.FromVpcProps{Vpc: vpc, Subnets: subnets, EndpointSecurityGroup: sg,
			InterfaceEndpoints: []network.Endpoint{network.EndpointLogs}})
		by := constructs.NewConstruct(stack, jsii.String("Fn"))
		n.Require(by, network.EndpointLogs) // listed: fine
		var got any
		func() {
			defer func() { got = recover() }()
			n.Require(by, network.EndpointSTS)
		}()
		err, ok := validation.Recover(got)
		if !ok {
			t.Fatalf("Require did not panic with a validation error (got %v)", got)
		}
		var missing *network.MissingEndpointError
		if !errors.As(err, &missing) || missing.Endpoint != network.EndpointSTS || !missing.Imported {
			t.Errorf("error is not the missing sts endpoint of an imported VPC: %v", err)
		}
		for _, w := range []string{"Refuses/Net: FromVpcProps.InterfaceEndpoints", `"Refuses/Fn" calls sts`, "CreateMissingEndpoints"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
		if n.Provides(network.EndpointSTS) || !n.Provides(network.EndpointLogs) {
			t.Errorf("Provides(sts) = %v, Provides(logs) = %v; want false, true", n.Provides(network.EndpointSTS), n.Provides(network.EndpointLogs))
		}
		tpl := cdktest.Template(t, stack)
		cdktest.Count(t, tpl, "AWS::EC2::VPCEndpoint", 0)
		cdktest.Count(t, tpl, "AWS::EC2::SecurityGroup", 0)
	})

	t.Run("egress leaves a missing endpoint to NAT", func(t *testing.T) {
		stack, vpc, subnets, sg := newStack("Egress")
		n := network.FromVpc(stack, "Net", &network.FromVpcProps{Vpc: vpc, Subnets: subnets, Egress: true, EndpointSecurityGroup: sg})
		if n.Profile() != network.ProfileNAT {
			t.Errorf("Profile = %q, want %q", n.Profile(), network.ProfileNAT)
		}
		n.Require(constructs.NewConstruct(stack, jsii.String("Fn")), network.EndpointSTS)
		if n.InterfaceEndpoint(network.EndpointSTS) != nil {
			t.Error("an endpoint was created without CreateMissingEndpoints")
		}
		cdktest.Count(t, cdktest.Template(t, stack), "AWS::EC2::VPCEndpoint", 0)
	})

	t.Run("creates missing endpoints when asked", func(t *testing.T) {
		stack, vpc, subnets, _ := newStack("Creates")
		n := network.FromVpc(stack, "Net", &network.FromVpcProps{Vpc: vpc, Subnets: subnets, CreateMissingEndpoints: true,
			InterfaceEndpoints: []network.Endpoint{network.EndpointLogs}})
		by := constructs.NewConstruct(stack, jsii.String("Fn"))
		n.Require(by, network.EndpointLogs, network.EndpointSTS, network.EndpointSTS)
		if got := n.InterfaceEndpoints(); len(got) != 1 || got[0] != network.EndpointSTS {
			t.Errorf("InterfaceEndpoints = %v, want [sts] (logs exists already)", got)
		}
		if n.InterfaceEndpoint(network.EndpointSTS) == nil {
			t.Error("InterfaceEndpoint(sts) is nil")
		}
		tpl := cdktest.Template(t, stack)
		cdktest.Count(t, tpl, "AWS::EC2::VPC", 0)
		cdktest.Count(t, tpl, "AWS::EC2::Subnet", 0)
		cdktest.Count(t, tpl, "AWS::EC2::VPCEndpoint", 1)
		cdktest.Has(t, tpl, "AWS::EC2::VPCEndpoint", cdktest.Props{
			"VpcId":             "vpc-0a1b2c3d",
			"SubnetIds":         []any{"subnet-0aaa", "subnet-0bbb"},
			"PrivateDnsEnabled": true,
		})
		cdktest.Has(t, tpl, "AWS::EC2::SecurityGroup", cdktest.Props{
			"VpcId":                "vpc-0a1b2c3d",
			"SecurityGroupIngress": []any{cdktest.Like(cdktest.Props{"CidrIp": "10.8.0.0/16", "FromPort": 443, "ToPort": 443})},
		})
	})
}

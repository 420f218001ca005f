// Package network provides the biolake VPC: private subnets, VPC endpoints for
// the AWS services the platform calls, KMS-encrypted flow logs and a closed
// default security group.
//
// Two profiles are offered. [ProfileIsolated] (the default) has private
// isolated subnets only: no internet gateway and no NAT, so every AWS call
// goes through a gateway endpoint (S3, DynamoDB) or an interface endpoint.
// [ProfileNAT] adds public subnets and NAT gateways for workloads that must
// reach the internet; its workload subnets are private with egress.
//
// Constructs placed in the network declare the AWS services they call from
// inside the VPC with [Network.Require]; by default the network creates an
// interface endpoint for each of those and no other, and an isolated network
// given an explicit Props.InterfaceEndpoints refuses, at synth, a construct
// that needs one it lacks ([MissingEndpointError]).
//
// Workloads place themselves with [Network.PrivateSubnets], whatever the
// profile:
//
//	net := network.New(stack, "Network", &network.Props{Profile: network.ProfileNAT})
//	awsbatch.NewManagedEc2EcsComputeEnvironment(stack, jsii.String("Cpu"), &awsbatch.ManagedEc2EcsComputeEnvironmentProps{
//		Vpc:        net.Vpc(),
//		VpcSubnets: net.PrivateSubnets(),
//	})
//
// Constructs take a [INetwork], which a Network implements; a lab with a
// VPC of its own passes [FromVpc] instead: its subnets, whether they have
// egress, the interface endpoints it has and their security group. Nothing
// of that VPC is created; Require refuses (isolated) or leaves to NAT
// (egress) an endpoint it lacks, or creates it with CreateMissingEndpoints.
//
// The lab's on-premises networks are named once, in Props.OnPremCIDRs:
// the DataSync, Storage Gateway and Transfer endpoints get a security
// group each that admits them on that service's ports ([OnPremPorts]), and
// constructs serving on-premises clients read them through [OnPremises].
// constructs/hybrid builds the VPN or Direct Connect link that carries
// them.
//
// The construct synthesizes in environment-agnostic stacks (no account or
// region). There CloudFormation picks the availability zones at deploy time
// and CDK uses at most two of them, whatever MaxAZs says; give the stack an
// account and region (and the availability-zones context) to get three.
package network

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Profile chooses the shape of the VPC.
type Profile string

const (
	// ProfileIsolated has private isolated subnets only, no internet gateway
	// and no NAT; AWS services are reached through VPC endpoints.
	ProfileIsolated Profile = "isolated"
	// ProfileNAT has public subnets with NAT gateways and private subnets
	// with egress through them.
	ProfileNAT Profile = "nat"
)

// Endpoint names an AWS service that gets an interface VPC endpoint. The
// values are the services' endpoint prefixes ("com.amazonaws.<region>.<name>"),
// except EndpointSageMakerStudio, whose service is
// "aws.sagemaker.<region>.studio".
type Endpoint string

// The interface endpoints the platform uses.
const (
	EndpointDataSync         Endpoint = "datasync"
	EndpointStorageGateway   Endpoint = "storagegateway"
	EndpointTransfer         Endpoint = "transfer"
	EndpointStepFunctions    Endpoint = "states"
	EndpointBatch            Endpoint = "batch"
	EndpointECRAPI           Endpoint = "ecr.api"
	EndpointECRDocker        Endpoint = "ecr.dkr"
	EndpointECS              Endpoint = "ecs"
	EndpointECSAgent         Endpoint = "ecs-agent"
	EndpointECSTelemetry     Endpoint = "ecs-telemetry"
	EndpointLogs             Endpoint = "logs"
	EndpointMonitoring       Endpoint = "monitoring"
	EndpointSTS              Endpoint = "sts"
	EndpointKMS              Endpoint = "kms"
	EndpointSecretsManager   Endpoint = "secretsmanager"
	EndpointSageMakerAPI     Endpoint = "sagemaker.api"
	EndpointSageMakerRuntime Endpoint = "sagemaker.runtime"
	// EndpointSageMakerStudio is SageMaker Studio's web app
	// (aws.sagemaker.<region>.studio): browsers inside the network open
	// Studio through it.
	EndpointSageMakerStudio Endpoint = "sagemaker.studio"
	EndpointAthena          Endpoint = "athena"
	EndpointGlue            Endpoint = "glue"
	EndpointEvents          Endpoint = "events"
	EndpointFSx             Endpoint = "fsx"
	EndpointSSM             Endpoint = "ssm"
)

// endpointSpec ties an Endpoint to its CDK service and its construct id.
// The ids are API: renaming one replaces the endpoint.
type endpointSpec struct {
	name    Endpoint
	id      string
	service func() awsec2.InterfaceVpcEndpointAwsService
	// onPrem are the TCP port ranges on-premises clients of the service
	// use towards its endpoint. An endpoint with any gets a security group
	// of its own, which admits Props.OnPremCIDRs on them; every other
	// endpoint shares the network's endpoint security group and admits
	// the VPC only.
	onPrem []PortRange
}

// PortRange is a TCP port range, From to To inclusive.
type PortRange struct{ From, To int }

var endpointSpecs = []endpointSpec{
	{EndpointDataSync, "DataSyncEndpoint", awsec2.InterfaceVpcEndpointAwsService_DATASYNC, OnPremPorts(EndpointDataSync)},
	{EndpointStorageGateway, "StorageGatewayEndpoint", awsec2.InterfaceVpcEndpointAwsService_STORAGE_GATEWAY, OnPremPorts(EndpointStorageGateway)},
	{EndpointTransfer, "TransferEndpoint", awsec2.InterfaceVpcEndpointAwsService_TRANSFER, OnPremPorts(EndpointTransfer)},
	{EndpointStepFunctions, "StepFunctionsEndpoint", awsec2.InterfaceVpcEndpointAwsService_STEP_FUNCTIONS, nil},
	{EndpointBatch, "BatchEndpoint", awsec2.InterfaceVpcEndpointAwsService_BATCH, nil},
	{EndpointECRAPI, "EcrApiEndpoint", awsec2.InterfaceVpcEndpointAwsService_ECR, nil},
	{EndpointECRDocker, "EcrDockerEndpoint", awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER, nil},
	{EndpointECS, "EcsEndpoint", awsec2.InterfaceVpcEndpointAwsService_ECS, nil},
	{EndpointLogs, "LogsEndpoint", awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS, nil},
	{EndpointMonitoring, "MonitoringEndpoint", awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_MONITORING, nil},
	{EndpointSTS, "StsEndpoint", awsec2.InterfaceVpcEndpointAwsService_STS, nil},
	{EndpointKMS, "KmsEndpoint", awsec2.InterfaceVpcEndpointAwsService_KMS, nil},
	{EndpointSecretsManager, "SecretsManagerEndpoint", awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER, nil},
	{EndpointSageMakerAPI, "SageMakerApiEndpoint", awsec2.InterfaceVpcEndpointAwsService_SAGEMAKER_API, nil},
	{EndpointSageMakerRuntime, "SageMakerRuntimeEndpoint", awsec2.InterfaceVpcEndpointAwsService_SAGEMAKER_RUNTIME, nil},
	{EndpointAthena, "AthenaEndpoint", awsec2.InterfaceVpcEndpointAwsService_ATHENA, nil},
	{EndpointGlue, "GlueEndpoint", awsec2.InterfaceVpcEndpointAwsService_GLUE, nil},
	{EndpointEvents, "EventsEndpoint", awsec2.InterfaceVpcEndpointAwsService_EVENTBRIDGE, nil},
	{EndpointFSx, "FsxEndpoint", awsec2.InterfaceVpcEndpointAwsService_FSX, nil},
	{EndpointSSM, "SsmEndpoint", awsec2.InterfaceVpcEndpointAwsService_SSM, nil},
	{EndpointECSAgent, "EcsAgentEndpoint", awsec2.InterfaceVpcEndpointAwsService_ECS_AGENT, nil},
	{EndpointECSTelemetry, "EcsTelemetryEndpoint", awsec2.InterfaceVpcEndpointAwsService_ECS_TELEMETRY, nil},
	{EndpointSageMakerStudio, "SageMakerStudioEndpoint", awsec2.InterfaceVpcEndpointAwsService_SAGEMAKER_STUDIO, nil},
}

// AllEndpoints returns every interface endpoint the construct knows, in a
// fixed order: what to list in Props.InterfaceEndpoints for a network that
// offers every service whoever uses it.
func AllEndpoints() []Endpoint {
	out := make([]Endpoint, len(endpointSpecs))
	for i, s := range endpointSpecs {
		out[i] = s.name
	}
	return out
}

// Defaults.
const (
	DefaultMaxAZs               = 2
	DefaultNATGateways          = 1
	DefaultCIDR                 = "10.40.0.0/16"
	DefaultFlowLogRetentionDays = 365
)

// Props configures a Network. The zero value (and nil) is the secure
// default: an isolated VPC with the interface endpoints its constructs
// require (see [Network.Require]).
type Props struct {
	// Profile is the shape of the VPC: ProfileIsolated or ProfileNAT.
	// Default: ProfileIsolated.
	Profile Profile
	// MaxAZs is the number of availability zones to use, 1 to 3. An
	// environment-agnostic stack gets at most 2. Default: 2.
	MaxAZs int
	// NATGateways is the number of NAT gateways, 1 to MaxAZs: 1 in dev, one
	// per AZ in production. Only with ProfileNAT; must be 0 (unset) with
	// ProfileIsolated. Default: 1 with ProfileNAT.
	NATGateways int
	// CIDR is the VPC's IPv4 range, a /16 to /24 prefix with no host bits
	// set. Default: "10.40.0.0/16".
	CIDR string
	// FlowLogRetentionDays is how long flow logs are kept; one of the values
	// CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180,
	// 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653).
	// Default: 365.
	FlowLogRetentionDays int
	// InterfaceEndpoints lists the services that get an interface endpoint,
	// without duplicates; with ProfileIsolated a construct that requires an
	// endpoint not listed stops the synth ([MissingEndpointError]). Empty
	// means the endpoints the constructs placed in the network require,
	// created as they require them. Default: empty.
	InterfaceEndpoints []Endpoint
	// DisableInterfaceEndpoints creates no interface endpoints (gateway
	// endpoints stay), so traffic to AWS services leaves through NAT. Only
	// with ProfileNAT. Default: false.
	DisableInterfaceEndpoints bool
	// OnPremCIDRs are the lab's on-premises IPv4 networks, which reach the
	// VPC over a site-to-site VPN or Direct Connect (constructs/hybrid, or
	// a link of the lab's own). The DataSync, Storage Gateway and Transfer
	// interface endpoints each get a security group of their own that
	// admits these networks on HTTPS and the ports the service documents
	// ([OnPremPorts]); no other endpoint admits them. Each is an IPv4
	// prefix without host bits, /8 or narrower, that does not overlap
	// CIDR. Constructs that serve on-premises clients read them through
	// [OnPremises]. Default: none.
	OnPremCIDRs []string
	// LogKey is the customer-managed KMS key that encrypts the flow-log log
	// group. Its key policy must let the CloudWatch Logs service principal
	// use it. Default: nil, and the construct creates a key with rotation on.
	LogKey awskms.IKey
}

// withDefaults returns a copy of p (nil allowed) with defaults filled in.
func (p *Props) withDefaults() Props {
	var r Props
	if p != nil {
		r = *p
	}
	if r.Profile == "" {
		r.Profile = ProfileIsolated
	}
	if r.MaxAZs == 0 {
		r.MaxAZs = DefaultMaxAZs
	}
	if r.NATGateways == 0 && r.Profile == ProfileNAT {
		r.NATGateways = DefaultNATGateways
	}
	if r.CIDR == "" {
		r.CIDR = DefaultCIDR
	}
	if r.FlowLogRetentionDays == 0 {
		r.FlowLogRetentionDays = DefaultFlowLogRetentionDays
	}
	if r.DisableInterfaceEndpoints {
		r.InterfaceEndpoints = nil
	}
	return r
}

// Validate checks p (nil is valid) and returns every problem found, joined.
// New panics with the same errors.
func (p *Props) Validate() error {
	if p == nil {
		return nil
	}
	var errs []error
	bad := validation.Collector("", &errs)

	profile := p.Profile
	if profile == "" {
		profile = ProfileIsolated
	}
	if profile != ProfileIsolated && profile != ProfileNAT {
		bad("Profile", string(p.Profile), "%s or %s", ProfileIsolated, ProfileNAT)
	}

	maxAZs := p.MaxAZs
	if maxAZs == 0 {
		maxAZs = DefaultMaxAZs
	}
	if maxAZs < 1 || maxAZs > 3 {
		bad("MaxAZs", p.MaxAZs, "1 to 3, or 0 for %d", DefaultMaxAZs)
	}

	switch profile {
	case ProfileIsolated:
		if p.NATGateways != 0 {
			bad("NATGateways", p.NATGateways, "0 with Profile %q, which has no NAT; or Profile %q", ProfileIsolated, ProfileNAT)
		}
		if p.DisableInterfaceEndpoints {
			bad("DisableInterfaceEndpoints", true, "false with Profile %q (it would leave the VPC without a way to AWS services); true only with Profile %q", ProfileIsolated, ProfileNAT)
		}
	case ProfileNAT:
		if p.NATGateways < 0 {
			bad("NATGateways", p.NATGateways, "1 to MaxAZs (%d), or 0 for %d", maxAZs, DefaultNATGateways)
		} else if maxAZs >= 1 && maxAZs <= 3 && p.NATGateways > maxAZs {
			bad("NATGateways", p.NATGateways, "1 to MaxAZs (%d)", maxAZs)
		}
	}

	vpcCIDR := DefaultCIDR
	if p.CIDR != "" {
		if accepted := checkCIDR(p.CIDR); accepted != "" {
			bad("CIDR", p.CIDR, "%s", accepted)
			vpcCIDR = ""
		} else {
			vpcCIDR = p.CIDR
		}
	}
	checkOnPremCIDRs(p.OnPremCIDRs, vpcCIDR, bad)

	if p.FlowLogRetentionDays != 0 {
		if !secure.IsLogRetention(p.FlowLogRetentionDays) {
			bad("FlowLogRetentionDays", p.FlowLogRetentionDays, "a CloudWatch Logs retention: %s", validation.List(secure.LogRetentionValues))
		}
	}

	seen := map[Endpoint]bool{}
	for i, e := range p.InterfaceEndpoints {
		field := fmt.Sprintf("InterfaceEndpoints[%d]", i)
		if !slices.ContainsFunc(endpointSpecs, func(s endpointSpec) bool { return s.name == e }) {
			bad(field, string(e), "a known endpoint: %s", joinEndpoints(AllEndpoints()))
			continue
		}
		if seen[e] {
			bad(field, string(e), "each endpoint once (it is listed more than once)")
		}
		seen[e] = true
	}
	return validation.Join("", errs...)
}

// checkCIDR returns what would be accepted instead of s, or "" if s is a
// valid VPC CIDR.
func checkCIDR(s string) string {
	pfx, err := netip.ParsePrefix(s)
	if err != nil || !pfx.Addr().Is4() {
		return fmt.Sprintf("a /16../24 IPv4 prefix such as %q", DefaultCIDR)
	}
	if pfx.Bits() < 16 || pfx.Bits() > 24 {
		return fmt.Sprintf("a /16../24 IPv4 prefix (this one is /%d)", pfx.Bits())
	}
	if pfx.Masked() != pfx {
		return fmt.Sprintf("a prefix without host bits set: did you mean %q?", pfx.Masked().String())
	}
	return ""
}

func joinEndpoints(v []Endpoint) string {
	s := make([]string, len(v))
	for i, e := range v {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}

// Network is a VPC with endpoints and flow logs. Create it with New.
type Network struct {
	constructs.Construct

	// FlowLogGroup is the KMS-encrypted log group that receives the flow logs.
	FlowLogGroup awslogs.ILogGroup

	vpc        awsec2.IVpc
	endpointSG awsec2.ISecurityGroup
	profile    Profile
	eps        endpoints
	cidr       string
	onPrem     []string
	// ownSGs are the security groups of the endpoints that have one of
	// their own (those on-premises clients reach).
	ownSGs map[Endpoint]awsec2.ISecurityGroup
}

// Vpc returns the VPC.
func (n *Network) Vpc() awsec2.IVpc { return n.vpc }

// EndpointSecurityGroup returns the security group shared by the interface
// endpoints: it accepts TCP 443 from the VPC's CIDR only and allows no
// outbound traffic. The DataSync, Storage Gateway and Transfer endpoints
// have groups of their own ([Network.EndpointSecurityGroupOf]).
func (n *Network) EndpointSecurityGroup() awsec2.ISecurityGroup { return n.endpointSG }

// New creates the network. nil props gives the secure default (isolated).
// It panics, naming the construct path, if props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Network {
	validation.Check(validation.PathOf(scope, id), props.Validate())
	p := props.withDefaults()

	// Registered with jsii as the construct itself, so a *Network can be
	// passed wherever a construct is expected (as a scope, to Stack_Of, ...).
	n := &Network{profile: p.Profile, cidr: p.CIDR, onPrem: slices.Clone(p.OnPremCIDRs), eps: endpoints{listed: p.InterfaceEndpoints, explicit: len(p.InterfaceEndpoints) > 0, disabled: p.DisableInterfaceEndpoints}}
	constructs.NewConstruct_Override(n, scope, jsii.String(id))
	var c constructs.Construct = n

	private := &awsec2.SubnetConfiguration{
		Name:       jsii.String("private"),
		SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED,
	}
	subnets := []*awsec2.SubnetConfiguration{private}
	natGateways := 0
	if p.Profile == ProfileNAT {
		private.SubnetType = awsec2.SubnetType_PRIVATE_WITH_EGRESS
		subnets = []*awsec2.SubnetConfiguration{{
			Name:                jsii.String("public"),
			SubnetType:          awsec2.SubnetType_PUBLIC,
			MapPublicIpOnLaunch: jsii.Bool(false),
		}, private}
		natGateways = p.NATGateways
	}

	vpc := awsec2.NewVpc(c, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses:                  awsec2.IpAddresses_Cidr(jsii.String(p.CIDR)),
		MaxAzs:                       jsii.Number(float64(p.MaxAZs)),
		NatGateways:                  jsii.Number(float64(natGateways)),
		SubnetConfiguration:          &subnets,
		EnableDnsHostnames:           jsii.Bool(true),
		EnableDnsSupport:             jsii.Bool(true),
		RestrictDefaultSecurityGroup: jsii.Bool(true),
	})
	n.vpc = vpc
	if p.Profile == ProfileNAT {
		for _, sn := range *vpc.PublicSubnets() {
			nag.Suppress(sn, nag.InAllPacks("The public subnets hold only the NAT gateways (no instance gets a public address); their default route to the internet gateway is how NAT egress works.",
				"HIPAA.Security-VPCNoUnrestrictedRouteToIGW", "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW")...)
		}
	}

	// Flow logs: ALL traffic to an encrypted, retained log group.
	key := p.LogKey
	if key == nil {
		key = secure.NewKey(c, "FlowLogKey", &secure.KeyProps{Description: "Encrypts the VPC flow-log log group", Services: []secure.Service{secure.ServiceLogs}})
	}
	logGroup := awslogs.NewLogGroup(c, jsii.String("FlowLogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: key,
		Retention:     secure.RetentionDays(p.FlowLogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	n.FlowLogGroup = logGroup
	// The flow-log role gets a customer-managed policy rather than the inline
	// default policy CDK would add (HIPAA/NIST IAMNoInlinePolicy); the role is
	// handed to CDK without policy updates so it adds none.
	stack := awscdk.Stack_Of(c)
	flowLogRole := awsiam.NewRole(c, jsii.String("FlowLogRole"), &awsiam.RoleProps{
		// Confused-deputy guard: only flow logs of this account and region.
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("vpc-flow-logs.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{
				"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
				"ArnLike": map[string]interface{}{"aws:SourceArn": fmt.Sprintf("arn:%s:ec2:%s:%s:vpc-flow-log/*",
					*stack.Partition(), *stack.Region(), *stack.Account())},
			},
		}),
		Description: jsii.String("Lets VPC Flow Logs write to the flow-log log group"),
	})
	// The role VPC Flow Logs documents for publishing to CloudWatch Logs
	// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html):
	// writing streams and events to the log group, and
	// logs:DescribeLogGroups, which takes no resource. Its
	// logs:CreateLogGroup is left out on purpose: the log group exists
	// (encrypted, retained, with retention), and should it ever be deleted,
	// a delivery error is wanted rather than Flow Logs creating an
	// unencrypted group that keeps logs forever.
	flowLogPolicy := awsiam.NewManagedPolicy(c, jsii.String("FlowLogPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Write VPC flow logs to their log group"),
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
				Resources: jsii.Strings(*logGroup.LogGroupArn()),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("logs:DescribeLogGroups"),
				Resources: jsii.Strings("*"),
			}),
		},
	})
	nag.Suppress(flowLogPolicy, nag.Rule{
		ID:             "AwsSolutions-IAM5",
		Reason:         "logs:DescribeLogGroups, which VPC Flow Logs' role needs, has no resource-level permissions (\"*\"); it reads log group names and settings only.",
		AppliesToRegex: []string{`/^Resource::\*$/`},
	})
	flowLogRole.AddManagedPolicy(flowLogPolicy)
	vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(logGroup, flowLogRole.WithoutPolicyUpdates(nil)),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})

	// Gateway endpoints, in every subnet's route table.
	vpc.AddGatewayEndpoint(jsii.String("S3Endpoint"), &awsec2.GatewayVpcEndpointOptions{
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
	})
	vpc.AddGatewayEndpoint(jsii.String("DynamoDbEndpoint"), &awsec2.GatewayVpcEndpointOptions{
		Service: awsec2.GatewayVpcEndpointAwsService_DYNAMODB(),
	})

	// Interface endpoints share one security group: HTTPS in from the VPC,
	// nothing out (the endpoints only answer connections).
	sg := awsec2.NewSecurityGroup(c, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("Interface VPC endpoints: HTTPS from the VPC only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(p.CIDR)), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS from the VPC"), jsii.Bool(false))
	n.endpointSG = sg

	for _, s := range endpointSpecs {
		if slices.Contains(p.InterfaceEndpoints, s.name) {
			n.eps.add(n, s)
		}
	}
	return n
}

// PrivateSubnets returns the subnet selection workloads should use: the
// isolated subnets in ProfileIsolated, the private subnets with egress in
// ProfileNAT.
func (n *Network) PrivateSubnets() *awsec2.SubnetSelection {
	if n.profile == ProfileNAT {
		return &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
	}
	return &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
}

// Profile returns the profile the network was built with (defaults applied).
func (n *Network) Profile() Profile { return n.profile }

package filegateway

import (
	"fmt"
	"github.com/biolake/biolake/constructs/validation"
	"strconv"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/network"

	"github.com/biolake/biolake/constructs/internal/golambda"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/internal/gatewayactivate"
)

// ActivatePackage is the activation handler, by Go import path.
const ActivatePackage = "github.com/biolake/biolake/lambdas/gatewayactivate"

// Settings of the EC2-hosted gateway.
const (
	// GatewayAMIParameter is the public SSM parameter with the current
	// S3 File Gateway AMI; CloudFormation resolves it at deploy time.
	GatewayAMIParameter = "/aws/service/storagegateway/ami/FILE_S3/latest"
	// RootDiskGiB is the root volume: the gateway's documented 80 GiB for
	// its software and system data.
	RootDiskGiB = 80
	// RootDevice and CacheDevice are the block device names of the
	// volumes (the AMI's root device, and a second device).
	RootDevice  = "/dev/xvda"
	CacheDevice = "/dev/sdf"
	// ActivationQueryInterval is how often the Provider framework polls
	// isComplete; ActivationTimeout is how long it polls before the
	// resource fails.
	ActivationQueryInterval = 30 * time.Second
	ActivationTimeout       = time.Hour
	// ActivationHandlerTimeout bounds one call of either handler.
	ActivationHandlerTimeout = 2 * time.Minute
	// ActivationResourceType is the custom resource's type.
	ActivationResourceType = "Custom::FileGatewayActivation"
	// HTTPPort is where the gateway hands out its activation key.
	HTTPPort = 80
)

// endpointPorts are the TCP ports, besides 443, that a gateway uses
// towards a Storage Gateway interface endpoint ([from, to] ranges).
var endpointPorts = [][2]int{{1026, 1028}, {1031, 1031}, {2222, 2222}}

// EC2Gateway is the gateway's instance and its activation.
type EC2Gateway struct {
	// Instance runs the gateway, with termination protection on.
	Instance awsec2.Instance
	// SecurityGroup of the instance: NFS/SMB from the share clients, HTTP
	// from the activation handlers, out only to AWS service endpoints.
	SecurityGroup awsec2.SecurityGroup
	// HandlerSecurityGroup of the activation handlers: HTTP to the
	// instance and HTTPS to AWS service endpoints, nothing in.
	HandlerSecurityGroup awsec2.SecurityGroup
	// VolumeKey encrypts the root and cache volumes.
	VolumeKey awskms.IKey
	// OnEvent and IsComplete are the activation handlers.
	OnEvent, IsComplete awslambda.Function
	// Provider runs the handlers for the custom resource.
	Provider customresources.Provider
	// Activation is the Custom::FileGatewayActivation resource; its
	// attribute GatewayARN is the activated gateway.
	Activation awscdk.CustomResource
	// VPCEndpoint is the DNS entries of the Storage Gateway interface
	// endpoint the gateway is activated against.
	VPCEndpoint *[]*string
}

// newEC2Gateway creates the instance, its security groups and the
// activation.
func (g *FileGateway) newEC2Gateway(path string) *EC2Gateway {
	p := &g.p
	h := p.EC2
	vpc := p.Network.Vpc()
	stack := awscdk.Stack_Of(g)
	c := constructs.NewConstruct(g, jsii.String("Gateway"))
	e := &EC2Gateway{}

	endpoint, ok := p.Network.InterfaceEndpoint(network.EndpointStorageGateway).(awsec2.InterfaceVpcEndpoint)
	if !ok {
		panic(&validation.Error{Path: path, Field: "Props.EC2", Value: "set",
			Problem:  fmt.Sprintf("the network %q has no Storage Gateway interface endpoint, through which the gateway reaches AWS over private link", *p.Network.Node().Path()),
			Accepted: "a network whose InterfaceEndpoints include network.EndpointStorageGateway (the default), or an existing gateway in GatewayARN"})
	}
	// DnsEntries are "hostedZoneId:dnsName" items, the regional name and
	// one per zone; the handler picks the regional one. (Selecting it in
	// the template would put Fn::Select on a list that, across stacks, is
	// a stack output.)
	e.VPCEndpoint = endpoint.VpcEndpointDnsEntries()

	// Security groups.
	e.SecurityGroup = awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("biolake S3 File Gateway: NFS and SMB from the share clients, HTTP from its activation handler, out to AWS endpoints only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	e.HandlerSecurityGroup = awsec2.NewSecurityGroup(c, jsii.String("ActivationSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("biolake S3 File Gateway activation: HTTP to the gateway, HTTPS to AWS endpoints, nothing in"),
		AllowAllOutbound: jsii.Bool(false),
	})
	nfs, smb := clientNetworks(p.Shares, g.defaultClients(), *vpc.VpcCidrBlock())
	for _, cidr := range nfs {
		for _, port := range nfsPorts {
			e.SecurityGroup.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(cidr)), awsec2.Port_Tcp(jsii.Number(float64(port))),
				jsii.String(fmt.Sprintf("NFS clients, TCP %d", port)), jsii.Bool(false))
			e.SecurityGroup.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(cidr)), awsec2.Port_Udp(jsii.Number(float64(port))),
				jsii.String(fmt.Sprintf("NFS clients, UDP %d", port)), jsii.Bool(false))
		}
	}
	for _, cidr := range smb {
		e.SecurityGroup.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(cidr)), awsec2.Port_Tcp(jsii.Number(smbPort)),
			jsii.String("SMB clients, TCP 445"), jsii.Bool(false))
	}
	e.SecurityGroup.AddIngressRule(e.HandlerSecurityGroup, awsec2.Port_Tcp(jsii.Number(HTTPPort)),
		jsii.String("Activation handler: activation key over HTTP"), jsii.Bool(false))
	e.SecurityGroup.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to AWS endpoints (interface endpoints, the S3 gateway endpoint)"), jsii.Bool(false))
	// The Storage Gateway endpoint's own group (a Network gives it one;
	// other endpoints never see these ports).
	endpointSG := p.Network.EndpointSecurityGroup()
	if sgs := endpoint.Connections().SecurityGroups(); sgs != nil && len(*sgs) > 0 {
		endpointSG = (*sgs)[0]
	}
	for i, r := range endpointPorts {
		port := awsec2.Port_TcpRange(jsii.Number(float64(r[0])), jsii.Number(float64(r[1])))
		if r[0] == r[1] {
			port = awsec2.Port_Tcp(jsii.Number(float64(r[0])))
		}
		e.SecurityGroup.AddEgressRule(endpointSG, port, jsii.String("Storage Gateway interface endpoint: gateway control ports"), jsii.Bool(false))
		// The endpoints' group accepts only HTTPS from the VPC: it also
		// needs these ports from the gateway, and from nothing else.
		awsec2.NewCfnSecurityGroupIngress(c, jsii.String(fmt.Sprintf("EndpointIngress%d", i)), &awsec2.CfnSecurityGroupIngressProps{
			GroupId:               endpointSG.SecurityGroupId(),
			IpProtocol:            jsii.String("tcp"),
			FromPort:              jsii.Number(float64(r[0])),
			ToPort:                jsii.Number(float64(r[1])),
			SourceSecurityGroupId: e.SecurityGroup.SecurityGroupId(),
			Description:           jsii.String(fmt.Sprintf("S3 File Gateway %s to the Storage Gateway endpoint, TCP %d-%d", path, r[0], r[1])),
		})
	}
	e.HandlerSecurityGroup.AddEgressRule(e.SecurityGroup, awsec2.Port_Tcp(jsii.Number(HTTPPort)),
		jsii.String("The gateway instance: activation key over HTTP"), jsii.Bool(false))
	e.HandlerSecurityGroup.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to AWS endpoints (the Storage Gateway interface endpoint)"), jsii.Bool(false))

	// The instance, in the first private subnet. CloudFormation launches
	// it with the deploying principal's credentials, so its volumes use
	// the key through the key policy's account statement and that
	// principal's IAM permissions; no service-linked role (which a fresh
	// account may not have) is named.
	e.VolumeKey = p.VolumeKey
	if e.VolumeKey == nil {
		e.VolumeKey = secure.NewKey(c, "VolumeKey", &secure.KeyProps{Description: "biolake file gateway " + path + ": root and cache volumes of the gateway instance"})
	}
	subnets := *vpc.SelectSubnets(p.Network.PrivateSubnets()).Subnets
	if len(subnets) == 0 {
		panic(&validation.Error{Path: path, Field: "Props.Network", Value: validation.Render(*p.Network.Node().Path()),
			Problem: "has no private subnet", Accepted: "with Props.EC2, a network with private subnets"})
	}
	volume := func(gib int) awsec2.BlockDeviceVolume {
		return awsec2.BlockDeviceVolume_Ebs(jsii.Number(float64(gib)), &awsec2.EbsDeviceOptions{
			VolumeType:          awsec2.EbsDeviceVolumeType_GP3,
			Encrypted:           jsii.Bool(true),
			KmsKey:              e.VolumeKey,
			DeleteOnTermination: jsii.Bool(true),
		})
	}
	e.Instance = awsec2.NewInstance(c, jsii.String("Instance"), &awsec2.InstanceProps{
		Vpc:           vpc,
		VpcSubnets:    &awsec2.SubnetSelection{Subnets: &[]awsec2.ISubnet{subnets[0]}},
		InstanceType:  awsec2.NewInstanceType(jsii.String(h.InstanceType)),
		MachineImage:  awsec2.MachineImage_FromSsmParameter(jsii.String(GatewayAMIParameter), nil),
		SecurityGroup: e.SecurityGroup,
		RequireImdsv2: jsii.Bool(true),
		// Monitoring every minute, EBS bandwidth of its own, and no
		// accidental termination of a cache that may hold unuploaded
		// writes.
		DetailedMonitoring:              jsii.Bool(true),
		EbsOptimized:                    jsii.Bool(true),
		DisableApiTermination:           jsii.Bool(true),
		PropagateTagsToVolumeOnCreation: jsii.Bool(true),
		BlockDevices: &[]*awsec2.BlockDevice{
			{DeviceName: jsii.String(RootDevice), Volume: volume(RootDiskGiB)},
			{DeviceName: jsii.String(CacheDevice), Volume: volume(h.CacheDiskGiB)},
		},
	})

	// The activation handlers and the custom resource.
	handler := func(id, entry, what string) awslambda.Function {
		return golambda.New(c, id, &golambda.Props{
			Package:             ActivatePackage,
			Description:         "biolake file gateway activation (" + entry + "): " + what,
			Timeout:             ActivationHandlerTimeout,
			Environment:         map[string]string{"ENTRY": entry, "LOG_LEVEL": "info"},
			ReservedConcurrency: 2,
			Vpc:                 vpc,
			VpcSubnets:          p.Network.PrivateSubnets(),
			SecurityGroups:      []awsec2.ISecurityGroup{e.HandlerSecurityGroup},
			LogKey:              g.logKey,
			LogRetentionDays:    p.LogRetentionDays,
		})
	}
	e.OnEvent = handler("ActivationOnEvent", "onEvent", "checks the event; deletes the gateway unless its cache holds unuploaded writes")
	e.IsComplete = handler("ActivationIsComplete", "isComplete", "activates the gateway on its instance and allocates its cache disk")
	gateways := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("storagegateway"), Resource: jsii.String("gateway"), ResourceName: jsii.String("*")})
	// The gateway's name is unique to this construct; the handler activates
	// the gateway tagged with it (gatewayactivate.GatewayNameTag), and the
	// functions reach only gateways carrying that tag: not the account's
	// other gateways, which DeleteGateway would otherwise reach too. The
	// gateway resource type takes aws:ResourceTag, and ActivateGateway
	// aws:RequestTag (Service Authorization Reference, AWS Storage Gateway).
	gatewayName := "biolake-" + *awscdk.Names_UniqueResourceName(c, &awscdk.UniqueResourceNameOptions{MaxLength: jsii.Number(120)})
	g.gatewayName = gatewayName
	ownGateway := map[string]interface{}{"StringEquals": map[string]interface{}{"aws:ResourceTag/" + gatewayactivate.GatewayNameTag: gatewayName}}
	allow := func(fn awslambda.Function, actions []string, cond map[string]interface{}, resources ...string) {
		sp := &awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...)}
		if cond != nil {
			sp.Conditions = &cond
		}
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(sp))
	}
	// ListGateways and ActivateGateway have no resource-level permissions
	// (there is no gateway yet to name); ActivateGateway must tag the
	// gateway with its name. The rest act on this construct's gateway only.
	allow(e.OnEvent, []string{"storagegateway:ListGateways"}, nil, "*")
	allow(e.OnEvent, []string{"storagegateway:DescribeCache", "storagegateway:DeleteGateway"}, ownGateway, *gateways)
	allow(e.IsComplete, []string{"storagegateway:ListGateways"}, nil, "*")
	allow(e.IsComplete, []string{"storagegateway:ActivateGateway"},
		map[string]interface{}{"StringEquals": map[string]interface{}{"aws:RequestTag/" + gatewayactivate.GatewayNameTag: gatewayName}}, "*")
	allow(e.IsComplete, []string{"storagegateway:ListLocalDisks", "storagegateway:AddCache"}, ownGateway, *gateways)
	for _, fn := range []awslambda.Function{e.OnEvent, e.IsComplete} {
		g.suppressHandler(fn, "X-Ray's PutTraceSegments and PutTelemetryRecords, and Storage Gateway's ListGateways and ActivateGateway, have no resource-level permissions, so their resource is \"*\"; "+
			"the other Storage Gateway actions are limited to the gateway this construct activates: gateway/* of this account and Region, on the condition that it carries the construct's gateway-name tag (its id is only known after activation).",
			"The function is invoked synchronously by the custom-resource Provider framework, never asynchronously: a failure fails the CloudFormation operation, which reports it.")
		nag.SuppressDeferred(fn, nag.Rule{
			ID: "AwsSolutions-IAM5",
			Reason: "DescribeCache, DeleteGateway, ListLocalDisks and AddCache act on the gateway this resource activates, whose id is only known after activation: " +
				"they are limited to this account's gateways in this Region that carry this construct's gateway-name tag (aws:ResourceTag), which ActivateGateway must set (aws:RequestTag).",
			// Tokens in an environment-agnostic stack, literals in one with
			// an account and Region.
			AppliesToRegex: []string{`/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):storagegateway:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]{12}):gateway\/\*$/`},
		})
	}

	providerLogs := g.newLogGroup(c, "ProviderLogs")
	waiterLogs := g.newLogGroup(c, "WaiterLogs")
	e.Provider = customresources.NewProvider(c, jsii.String("Provider"), &customresources.ProviderProps{
		OnEventHandler:    e.OnEvent,
		IsCompleteHandler: e.IsComplete,
		QueryInterval:     awscdk.Duration_Seconds(jsii.Number(ActivationQueryInterval.Seconds())),
		TotalTimeout:      awscdk.Duration_Seconds(jsii.Number(ActivationTimeout.Seconds())),
		LogGroup:          providerLogs,
		// The framework logs each event (its response URL redacted) and
		// what the handlers answered: the trail of an activation.
		FrameworkLambdaLoggingLevel: awslambda.ApplicationLogLevel_INFO,
		// Waiter logging is off unless asked for.
		DisableWaiterStateMachineLogging: jsii.Bool(false),
		WaiterStateMachineLogOptions: &customresources.LogOptions{
			Destination: waiterLogs,
			Level:       awsstepfunctions.LogLevel_ALL,
			// The execution data is the CloudFormation event, with its
			// pre-signed response URL.
			IncludeExecutionData: jsii.Bool(false),
		},
	})
	g.suppressProvider(e.Provider)

	e.Activation = awscdk.NewCustomResource(c, jsii.String("Activation"), &awscdk.CustomResourceProps{
		ServiceToken: e.Provider.ServiceToken(),
		ResourceType: jsii.String(ActivationResourceType),
		Properties: &map[string]interface{}{
			"InstanceId":   e.Instance.InstanceId(),
			"InstanceIp":   e.Instance.InstancePrivateIp(),
			"Region":       stack.Region(),
			"GatewayName":  gatewayName,
			"Timezone":     h.Timezone,
			"VpcEndpoint":  e.VPCEndpoint,
			"CacheDiskGiB": strconv.Itoa(h.CacheDiskGiB),
		},
	})
	// Across stacks the DnsEntries list arrives as Fn::Split of a
	// Fn::GetStackOutput, an intrinsic cfn-lint 1.51.0 does not know (E1018
	// "not of type string"); CloudFormation resolves it. Only that rule is
	// off, and only on this resource.
	e.Activation.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("cfn-lint"), map[string]interface{}{
		"config": map[string]interface{}{"ignore_checks": []string{"E1018"}},
	})
	// The handlers must reach the instance before they are asked to.
	for _, ch := range *c.Node().Children() {
		if _, ok := ch.(awsec2.CfnSecurityGroupIngress); ok {
			e.Activation.Node().AddDependency(ch)
		}
	}
	e.Activation.Node().AddDependency(e.SecurityGroup, e.HandlerSecurityGroup)
	return e
}

// newLogGroup creates a KMS-encrypted log group with the retention of the
// props, kept when the stack is deleted.
func (g *FileGateway) newLogGroup(scope constructs.Construct, id string) awslogs.LogGroup {
	lg := awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		EncryptionKey: g.logKey,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// RetentionDays is an enum of names; the template wants the days.
	lg.Node().DefaultChild().(awslogs.CfnLogGroup).AddPropertyOverride(jsii.String("RetentionInDays"), g.p.LogRetentionDays)
	return lg
}

// suppressHandler holds the suppressions every Go handler of the
// construct in the VPC shares: the AWS managed policies CDK attaches, the
// wildcard resources reason, inline policies, and why there is no DLQ.
func (g *FileGateway) suppressHandler(fn awslambda.Function, wildcard, noDLQ string) {
	nag.SuppressDeferred(fn,
		nag.VPCLambdaManagedPolicies,
		nag.Rule{ID: "AwsSolutions-IAM5", Reason: wildcard, AppliesTo: []string{"Resource::*"}},
	)
	nag.SuppressDeferred(fn, nag.InAllPacks("The execution role's policy holds the grants CDK and this construct make to this one function; "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(fn, nag.InAllPacks(noDLQ, "HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ")...)
}

// suppressProvider holds the suppressions of the Provider framework's own
// functions, roles and waiter state machine, whose code and shape CDK
// owns.
func (g *FileGateway) suppressProvider(prov customresources.Provider) {
	nag.SuppressDeferred(prov,
		nag.Rule{
			ID:        "AwsSolutions-IAM4",
			Reason:    "CDK's Provider framework functions use the AWS managed basic execution policy to write their own logs.",
			AppliesTo: []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
		},
		nag.Rule{
			ID: "AwsSolutions-IAM5",
			Reason: "CDK's Provider framework grants lambda:InvokeFunction on the activation handlers and the framework's own functions, " +
				"with their versions and aliases (<function ARN>:*).",
			AppliesToRegex: []string{`/^Resource::<.+\.Arn>:\*$/`},
		},
		nag.Rule{
			ID:        "AwsSolutions-IAM5",
			Reason:    "The waiter state machine's log delivery actions (logs:CreateLogDelivery and the like) have no resource-level permissions, so CDK grants them on \"*\".",
			AppliesTo: []string{"Resource::*"},
		},
		nag.Rule{ID: "AwsSolutions-SF2", Reason: "The waiter state machine is CDK's Provider framework: it only retries the isComplete handler, which is itself traced with X-Ray."},
	)
	nag.SuppressDeferred(prov, nag.InAllPacks("CDK's Provider framework policies are inline on its own roles; they live and die with the roles and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(prov, nag.InAllPacks("The Provider framework's functions are invoked synchronously by CloudFormation and by the waiter state machine, "+
		"never asynchronously: a failure fails the CloudFormation operation, which reports it.",
		"HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ")...)
	nag.SuppressDeferred(prov, nag.InAllPacks("The Provider framework's functions call only AWS APIs (Lambda, Step Functions, S3 for the response) and hold no data; "+
		"the activation handlers, which reach the gateway instance, run in the VPC.",
		"HIPAA.Security-LambdaInsideVPC", "NIST.800.53.R5-LambdaInsideVPC")...)
	nag.SuppressDeferred(prov, nag.InAllPacks("The Provider framework's functions run once per CloudFormation operation on the activation resource; reserving concurrency for them would only take it from the account.",
		"HIPAA.Security-LambdaConcurrency", "NIST.800.53.R5-LambdaConcurrency")...)
}

package datasync

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdatasync"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Ports the agent opens to the DataSync endpoint and the task network
// interfaces (DataSync's VPC service endpoint requirements).
const (
	PortHTTPS        = 443  // activation, and data to the task interfaces
	PortControlFirst = 1024 // control plane, 1024-1064
	PortControlLast  = 1064
	PortSupport      = 22 // AWS Support channel (SupportChannel only)
)

// Event source and detail type of DataSync task execution state changes.
const (
	EventSource             = "aws.datasync"
	DetailTypeTaskExecution = "DataSync Task Execution State Change"
)

// DataSync is the on-premises transfer path: the agent, one NFS or SMB
// location, S3 location and scheduled task per source, their log group and
// task reports, and the rule that forwards execution state changes. Create
// it with New.
type DataSync struct {
	constructs.Construct

	// AgentArn is the agent's ARN (a token when the construct activates it).
	AgentArn string
	// Agent is the activated agent; nil with Props.AgentArn.
	Agent awsdatasync.CfnAgent
	// ActivationKey is the stack parameter that takes the activation key
	// at deploy time; nil unless Props.ActivationKey is
	// ActivationKeyParameter.
	ActivationKey awscdk.CfnParameter
	// SecurityGroup is attached to the task network interfaces (private
	// link): the agent CIDR on TCP 443 and 1024-1064 (and 22). nil when the
	// agent does not use private link.
	SecurityGroup awsec2.ISecurityGroup
	// NFSLocations and SMBLocations are the sources' locations by source
	// name.
	NFSLocations map[string]awsdatasync.CfnLocationNFS
	SMBLocations map[string]awsdatasync.CfnLocationSMB
	// S3Locations are the destinations in the raw bucket by source name.
	S3Locations map[string]awsdatasync.CfnLocationS3
	// Tasks are the scheduled tasks by source name.
	Tasks map[string]awsdatasync.CfnTask
	// BucketAccessRoles let DataSync write each source's prefix of the raw
	// bucket, by source name.
	BucketAccessRoles map[string]awsiam.IRole
	// ReportRole lets DataSync write task reports under ReportPrefix of the
	// analytics bucket.
	ReportRole awsiam.IRole
	// LogGroup receives the tasks' transfer logs.
	LogGroup awslogs.ILogGroup
	// LogKey encrypts LogGroup.
	LogKey awskms.IKey
	// Rule forwards task execution state changes to Props.Bus; nil without
	// a bus.
	Rule awsevents.Rule
	// DeadLetterQueue keeps events the rule could not deliver; nil without
	// a bus.
	DeadLetterQueue awssqs.IQueue

	p     Props
	rules []eventglue.RunRule
	// failedRule matches the tasks' failed executions, for
	// MetricTaskExecutionsFailed.
	failedRule awsevents.Rule
}

// dataSyncEndpoint returns the network's DataSync interface endpoint, or
// nil when it has none.
func dataSyncEndpoint(n network.INetwork) awsec2.IInterfaceVpcEndpoint {
	if n == nil {
		return nil
	}
	return n.InterfaceEndpoint(network.EndpointDataSync)
}

// endpointSecurityGroup returns the security group of the DataSync
// endpoint ep of n: the group of its own a Network gives it, or the
// endpoint's first group.
func endpointSecurityGroup(n network.INetwork, ep awsec2.IInterfaceVpcEndpoint) awsec2.ISecurityGroup {
	if net, ok := n.(*network.Network); ok {
		if sg := net.EndpointSecurityGroupOf(network.EndpointDataSync); sg != nil {
			return sg
		}
	}
	if sgs := ep.Connections().SecurityGroups(); sgs != nil && len(*sgs) > 0 {
		return (*sgs)[0]
	}
	return n.EndpointSecurityGroup()
}

// agentCIDRs are the on-premises networks the agent may be in:
// Props.AgentCIDR, or else the network's on-premises CIDRs.
func (d *DataSync) agentCIDRs() []string {
	if d.p.AgentCIDR != "" {
		return []string{d.p.AgentCIDR}
	}
	return network.OnPremCIDRsOf(d.p.Network)
}

// New creates the DataSync resources. It panics, naming the construct path,
// when props are invalid (see Props.Validate).
func New(scope constructs.Construct, id string, props *Props) *DataSync {
	validation.Check(validation.PathOf(scope, id), props.Validate())
	// Runs land in raw; task reports go to analytics.
	validation.Check(validation.PathOf(scope, id), datalake.RequireBuckets(validation.PathOf(scope, id), "Props.Lake", props.Lake, datalake.BucketRaw, datalake.BucketAnalytics))
	d := &DataSync{
		p:                 props.withDefaults(),
		NFSLocations:      map[string]awsdatasync.CfnLocationNFS{},
		SMBLocations:      map[string]awsdatasync.CfnLocationSMB{},
		S3Locations:       map[string]awsdatasync.CfnLocationS3{},
		Tasks:             map[string]awsdatasync.CfnTask{},
		BucketAccessRoles: map[string]awsiam.IRole{},
	}
	// Registered with jsii as the construct itself, so a *DataSync can be
	// passed wherever a construct is expected.
	constructs.NewConstruct_Override(d, scope, jsii.String(id))
	var c constructs.Construct = d
	p := &d.p
	stack := awscdk.Stack_Of(c)
	path := *c.Node().Path()

	if len(d.agentCIDRs()) > 0 {
		// The agent in its on-premises network reaches DataSync over
		// private link.
		p.Network.Require(d, network.EndpointDataSync)
	}
	d.newAgent(stack)

	d.LogKey = p.LogKey
	if d.LogKey == nil {
		d.LogKey = secure.NewKey(c, "LogKey", &secure.KeyProps{
			Description: "biolake datasync " + path + ": task logs",
			Services:    []secure.Service{secure.ServiceLogs},
		})
	}
	logGroup := awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: d.LogKey,
		Retention:     secure.RetentionDays(p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	d.LogGroup = logGroup
	// DataSync writes task logs through a CloudWatch Logs resource policy,
	// limited to this account's tasks in this region.
	awslogs.NewResourcePolicy(c, jsii.String("LogResourcePolicy"), &awslogs.ResourcePolicyProps{
		PolicyStatements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("DataSyncTaskLogs"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("datasync.amazonaws.com"), nil)},
			Actions:    jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources:  jsii.Strings(*logGroup.LogGroupArn()),
			Conditions: &map[string]interface{}{
				"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
				"ArnLike":      map[string]interface{}{"aws:SourceArn": d.arn(stack, "datasync", "task/*")},
			},
		})},
	})

	d.ReportRole = d.newReportRole(stack)
	for _, s := range p.Sources {
		d.newSource(stack, s)
	}
	if p.Bus != nil {
		d.newRule()
	}
	d.newFailedRule()
	return d
}

// arn builds an ARN of this stack's partition, region and account.
func (d *DataSync) arn(stack awscdk.Stack, service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", *stack.Partition(), service, *stack.Region(), *stack.Account(), resource)
}

// trust is the principal DataSync assumes roles as, limited to this
// account's DataSync resources in this region (confused deputy).
func (d *DataSync) trust(stack awscdk.Stack) awsiam.IPrincipal {
	return awsiam.NewServicePrincipal(jsii.String("datasync.amazonaws.com"), &awsiam.ServicePrincipalOpts{
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
			"ArnLike":      map[string]interface{}{"aws:SourceArn": d.arn(stack, "datasync", "*")},
		},
	})
}

// newAgent activates the agent (or references the existing one) and opens
// the security groups to the agent's network.
func (d *DataSync) newAgent(stack awscdk.Stack) {
	c := constructs.Construct(d)
	p := &d.p
	ep := dataSyncEndpoint(p.Network)

	if cidrs := d.agentCIDRs(); ep != nil && len(cidrs) > 0 {
		// The task network interfaces: the agent sends data on 443; the
		// DataSync documentation lists the control ports for the same
		// group.
		sg := awsec2.NewSecurityGroup(c, jsii.String("TaskSecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc:              p.Network.Vpc(),
			Description:      jsii.String("DataSync task network interfaces: the on-premises agent only"),
			AllowAllOutbound: jsii.Bool(false),
		})
		for _, cidr := range cidrs {
			peer := awsec2.Peer_Ipv4(jsii.String(cidr))
			sg.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(PortHTTPS)), jsii.String("DataSync agent: data transfer"), jsii.Bool(false))
			sg.AddIngressRule(peer, awsec2.Port_TcpRange(jsii.Number(PortControlFirst), jsii.Number(PortControlLast)), jsii.String("DataSync agent: control plane"), jsii.Bool(false))
			if p.SupportChannel {
				sg.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(PortSupport)), jsii.String("DataSync agent: AWS Support channel"), jsii.Bool(false))
			}
		}
		d.SecurityGroup = sg

		// The DataSync endpoint's security group admits the network's
		// on-premises CIDRs on 443 and 1024-1064 already; an agent
		// network it does not admit (AgentCIDR outside them, or an
		// imported VPC) is let in here, on that group only.
		endpointSG := endpointSecurityGroup(p.Network, ep)
		admitted := network.OnPremCIDRsOf(p.Network)
		for i, cidr := range cidrs {
			suffix := ""
			if i > 0 {
				suffix = fmt.Sprint(i)
			}
			ingress := func(id string, from, to int, desc string) {
				awsec2.NewCfnSecurityGroupIngress(c, jsii.String(id+suffix), &awsec2.CfnSecurityGroupIngressProps{
					GroupId:     endpointSG.SecurityGroupId(),
					IpProtocol:  jsii.String("tcp"),
					FromPort:    jsii.Number(float64(from)),
					ToPort:      jsii.Number(float64(to)),
					CidrIp:      jsii.String(cidr),
					Description: jsii.String(desc),
				})
			}
			if !slices.Contains(admitted, cidr) {
				ingress("EndpointIngressHttps", PortHTTPS, PortHTTPS, "DataSync agent: activation and HTTPS to the DataSync endpoint")
				ingress("EndpointIngressControl", PortControlFirst, PortControlLast, "DataSync agent: control plane to the DataSync endpoint")
			}
			if p.SupportChannel {
				ingress("EndpointIngressSupport", PortSupport, PortSupport, "DataSync agent: AWS Support channel")
			}
		}
	}

	if p.AgentArn != "" {
		d.AgentArn = p.AgentArn
		return
	}
	key := p.ActivationKey
	if key == ActivationKeyParameter {
		d.ActivationKey = awscdk.NewCfnParameter(c, jsii.String("ActivationKey"), &awscdk.CfnParameterProps{
			Type: jsii.String("String"),
			Description: jsii.String("Activation key of the DataSync agent of " + *c.Node().Path() +
				" (single-use; get it from the agent's local console or http://AGENT-IP/?activationRegion=REGION&endpointType=PRIVATE_LINK&privateLinkEndpoint=ENDPOINT-IP)"),
			AllowedPattern:        jsii.String(keyRE.String()),
			ConstraintDescription: jsii.String("five groups of five upper-case letters and digits separated by '-'"),
			NoEcho:                jsii.Bool(false),
		})
		key = *d.ActivationKey.ValueAsString()
	}
	ap := &awsdatasync.CfnAgentProps{ActivationKey: jsii.String(key)}
	if ep != nil && d.SecurityGroup != nil {
		subnets := p.Network.Vpc().SelectSubnets(p.Network.PrivateSubnets()).Subnets
		ap.VpcEndpointId = ep.VpcEndpointId()
		ap.SubnetArns = jsii.Strings(d.arn(stack, "ec2", "subnet/"+*(*subnets)[0].SubnetId()))
		ap.SecurityGroupArns = jsii.Strings(d.arn(stack, "ec2", "security-group/"+*d.SecurityGroup.SecurityGroupId()))
	}
	d.Agent = awsdatasync.NewCfnAgent(c, jsii.String("Agent"), ap)
	d.AgentArn = *d.Agent.AttrAgentArn()
}

// newReportRole creates the role DataSync writes task reports with: put
// under ReportPrefix of the analytics bucket, with its key through S3.
func (d *DataSync) newReportRole(stack awscdk.Stack) awsiam.IRole {
	c := constructs.Construct(d)
	lake := d.p.Lake
	role := awsiam.NewRole(c, jsii.String("ReportRole"), &awsiam.RoleProps{
		AssumedBy:   d.trust(stack),
		Description: jsii.String("biolake datasync: write task reports under " + ReportPrefix + " of the analytics bucket"),
	})
	objects := *lake.Bucket(datalake.BucketAnalytics).ArnForObjects(jsii.String(ReportPrefix + "*"))
	policy := awsiam.NewManagedPolicy(c, jsii.String("ReportPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("biolake datasync: put task reports under " + ReportPrefix + " of the analytics bucket"),
		Statements: ptr(append([]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("BucketLocation"),
				Actions:   jsii.Strings("s3:GetBucketLocation"),
				Resources: jsii.Strings(*lake.Bucket(datalake.BucketAnalytics).BucketArn()),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("PutReports"),
				Actions:   jsii.Strings("s3:PutObject"),
				Resources: jsii.Strings(objects),
			}),
		}, keyStatement(lake.Key(datalake.BucketAnalytics), "AnalyticsKeyThroughS3", []string{"kms:GenerateDataKey", "kms:Decrypt"}, stack)...)),
	})
	role.AddManagedPolicy(policy)
	nag.Suppress(policy, nag.Rule{
		ID:             "AwsSolutions-IAM5",
		Reason:         "DataSync names each task report object itself (by task and execution) under the analytics bucket's " + ReportPrefix + " prefix; the wildcard is the object part of that prefix's ARN, and the only object action is PutObject.",
		AppliesToRegex: []string{`/^Resource::<.+\.Arn>\/datasync\/task-reports\/\*$/`, `/^Resource::arn:(aws|aws-cn|aws-us-gov|<AWS::Partition>):s3:::[a-z0-9][a-z0-9.-]*\/datasync\/task-reports\/\*$/`},
	})
	return role
}

func ptr[T any](v T) *T { return &v }

// keyStatement allows actions on key through S3; none when the bucket has
// no customer-managed key.
func keyStatement(key awskms.IKey, sid string, actions []string, stack awscdk.Stack) []awsiam.PolicyStatement {
	if key == nil {
		return nil
	}
	return []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Actions:    jsii.Strings(actions...),
		Resources:  jsii.Strings(*key.KeyArn()),
		Conditions: viaS3(stack),
	})}
}

func viaS3(stack awscdk.Stack) *map[string]interface{} {
	return &map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": "s3." + *stack.Region() + ".amazonaws.com"}}
}

// DataSync's documented actions for an S3 location's bucket access role.
var (
	bucketActions = []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}
	objectActions = []string{
		"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion",
		"s3:GetObjectVersionTagging", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging",
	}
	keyActions = []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}
)

// newSource creates one source's locations, role and task.
func (d *DataSync) newSource(stack awscdk.Stack, s Source) {
	p := &d.p
	lake := p.Lake
	c := constructs.NewConstruct(d, jsii.String("Source-"+s.Name))
	agents := jsii.Strings(d.AgentArn)
	tags := &[]*awscdk.CfnTag{{Key: jsii.String("biolake:source"), Value: jsii.String(s.Name)}}

	var sourceArn *string
	switch s.Protocol {
	case NFS:
		loc := awsdatasync.NewCfnLocationNFS(c, jsii.String("NfsLocation"), &awsdatasync.CfnLocationNFSProps{
			ServerHostname: jsii.String(s.Server),
			Subdirectory:   jsii.String(s.Subdirectory),
			OnPremConfig:   &awsdatasync.CfnLocationNFS_OnPremConfigProperty{AgentArns: agents},
			MountOptions:   &awsdatasync.CfnLocationNFS_MountOptionsProperty{Version: jsii.String(s.NFSVersion)},
			Tags:           tags,
		})
		d.NFSLocations[s.Name] = loc
		sourceArn = loc.AttrLocationArn()
	case SMB:
		sp := &awsdatasync.CfnLocationSMBProps{
			AgentArns:      agents,
			ServerHostname: jsii.String(s.Server),
			Subdirectory:   jsii.String(s.Subdirectory),
			User:           jsii.String(s.User),
			// A dynamic reference: CloudFormation reads the password at
			// deploy time; it is never in the template.
			Password:     jsii.String("{{resolve:secretsmanager:" + s.PasswordSecretArn + ":SecretString:password}}"),
			MountOptions: &awsdatasync.CfnLocationSMB_MountOptionsProperty{Version: jsii.String(s.SMBVersion)},
			Tags:         tags,
		}
		if s.Domain != "" {
			sp.Domain = jsii.String(s.Domain)
		}
		loc := awsdatasync.NewCfnLocationSMB(c, jsii.String("SmbLocation"), sp)
		d.SMBLocations[s.Name] = loc
		sourceArn = loc.AttrLocationArn()
	}

	// The bucket access role: DataSync's documented actions, objects under
	// the source's prefix only, the data key through S3 only.
	prefix := s.destPrefix()
	role := awsiam.NewRole(c, jsii.String("BucketAccessRole"), &awsiam.RoleProps{
		AssumedBy:   d.trust(stack),
		Description: jsii.String("biolake datasync: source " + s.Name + " writes " + prefix + " of the raw bucket"),
	})
	policy := awsiam.NewManagedPolicy(c, jsii.String("BucketAccessPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("biolake datasync: source " + s.Name + " transfers into " + prefix + " of the raw bucket"),
		Statements: ptr(append([]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("Bucket"),
				Actions:   jsii.Strings(bucketActions...),
				Resources: jsii.Strings(*lake.Bucket(datalake.BucketRaw).BucketArn()),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("ObjectsUnderPrefix"),
				Actions:   jsii.Strings(objectActions...),
				Resources: jsii.Strings(*lake.Bucket(datalake.BucketRaw).ArnForObjects(jsii.String(prefix + "*"))),
			}),
		}, keyStatement(lake.Key(datalake.BucketRaw), "DataKeyThroughS3", keyActions, stack)...)),
	})
	role.AddManagedPolicy(policy)
	nag.Suppress(policy, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "DataSync writes whatever files the source's run folders hold, so the objects are named by the instrument; the wildcard " +
			"is the object part of the source's own prefix of the raw bucket, and the actions are the ones DataSync documents for an S3 location.",
		AppliesToRegex: []string{`/^Resource::<.+\.Arn>\/runs\/.*\*$/`, `/^Resource::arn:(aws|aws-cn|aws-us-gov|<AWS::Partition>):s3:::[a-z0-9][a-z0-9.-]*\/runs\/.*\*$/`},
	})
	d.BucketAccessRoles[s.Name] = role

	s3loc := awsdatasync.NewCfnLocationS3(c, jsii.String("S3Location"), &awsdatasync.CfnLocationS3Props{
		S3BucketArn:    lake.Bucket(datalake.BucketRaw).BucketArn(),
		S3Config:       &awsdatasync.CfnLocationS3_S3ConfigProperty{BucketAccessRoleArn: role.RoleArn()},
		S3StorageClass: jsii.String("STANDARD_IA"),
		Subdirectory:   jsii.String("/" + prefix),
		Tags:           tags,
	})
	// DataSync checks the role when it creates the location.
	s3loc.Node().AddDependency(policy)
	d.S3Locations[s.Name] = s3loc

	filter := func(v string) interface{} {
		if v == "" {
			return nil
		}
		return &[]interface{}{&awsdatasync.CfnTask_FilterRuleProperty{FilterType: jsii.String("SIMPLE_PATTERN"), Value: jsii.String(v)}}
	}
	task := awsdatasync.NewCfnTask(c, jsii.String("Task"), &awsdatasync.CfnTaskProps{
		SourceLocationArn:      sourceArn,
		DestinationLocationArn: s3loc.AttrLocationArn(),
		CloudWatchLogGroupArn:  d.LogGroup.LogGroupArn(),
		Schedule:               &awsdatasync.CfnTask_TaskScheduleProperty{ScheduleExpression: jsii.String(s.Schedule), Status: jsii.String("ENABLED")},
		Includes:               filter(s.Include),
		Excludes:               filter(s.Exclude),
		Options: &awsdatasync.CfnTask_OptionsProperty{
			VerifyMode:           jsii.String("ONLY_FILES_TRANSFERRED"),
			PreserveDeletedFiles: jsii.String("PRESERVE"),
			OverwriteMode:        jsii.String(string(s.Overwrite)),
			BytesPerSecond:       jsii.Number(float64(s.BytesPerSecond)),
			LogLevel:             jsii.String("TRANSFER"),
			TransferMode:         jsii.String("CHANGED"),
			// The sources are file systems, which have no object tags; with
			// NONE DataSync never reads or writes tags in S3, so the
			// tags the ingest handler sets stay.
			ObjectTags:   jsii.String("NONE"),
			TaskQueueing: jsii.String("ENABLED"),
		},
		TaskReportConfig: &awsdatasync.CfnTask_TaskReportConfigProperty{
			Destination: &awsdatasync.CfnTask_DestinationProperty{S3: &awsdatasync.CfnTask_S3Property{
				BucketAccessRoleArn: d.ReportRole.RoleArn(),
				S3BucketArn:         lake.Bucket(datalake.BucketAnalytics).BucketArn(),
				Subdirectory:        jsii.String(ReportPrefix + s.Name + "/"),
			}},
			OutputType:       jsii.String("STANDARD"),
			ReportLevel:      jsii.String(p.ReportLevel),
			ObjectVersionIds: jsii.String("INCLUDE"),
		},
		Tags: tags,
	})
	d.Tasks[s.Name] = task

	d.rules = append(d.rules, s.runRule())
}

// newRule forwards the tasks' execution state changes from the default bus
// to Props.Bus, with a role of its own and a dead-letter queue.
func (d *DataSync) newRule() {
	c := constructs.Construct(d)
	p := &d.p
	path := *c.Node().Path()
	resources := d.executionPrefixes()
	rule := awsevents.NewRule(c, jsii.String("TaskStateRule"), &awsevents.RuleProps{
		Description: jsii.String("biolake datasync " + path + ": task execution state changes to the platform bus"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(EventSource),
			DetailType: jsii.Strings(DetailTypeTaskExecution),
			Resources:  &resources,
		},
	})
	d.Rule = rule

	key := d.p.QueueKey
	if key == nil {
		key = secure.NewKey(c, "QueueKey", &secure.KeyProps{Description: "biolake datasync " + path + ": dead-letter queue", Services: []secure.Service{secure.ServiceEvents}})
	}
	dlq := awssqs.NewQueue(c, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: key,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
		RedriveAllowPolicy:  secure.DeadLetterRedrive(),
	})
	nag.SuppressDeferred(dlq, nag.Rule{ID: "AwsSolutions-SQS3", Reason: "This queue is itself the dead-letter queue of the task state rule: it keeps the events EventBridge could not deliver to the platform bus."})
	d.DeadLetterQueue = dlq

	role := awsiam.NewRole(c, jsii.String("BusRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		Description: jsii.String("biolake datasync: forward task execution state changes to the platform bus"),
	})
	policy := awsiam.NewManagedPolicy(c, jsii.String("BusPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("biolake datasync: put events on the platform bus"),
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("events:PutEvents"),
			Resources: jsii.Strings(*p.Bus.EventBusArn()),
		})},
	})
	role.AddManagedPolicy(policy)
	rule.AddTarget(awseventstargets.NewEventBus(p.Bus, &awseventstargets.EventBusProps{
		Role:            role.WithoutPolicyUpdates(nil),
		DeadLetterQueue: dlq,
	}))
}

// RunRules returns one event glue run rule per source: its prefix of the
// raw bucket, its profile (and markers, manifest), channel datasync. The
// stack layer passes them to eventglue.Props.RunRules (in place of the
// default DataSync rule for runs/ when a source has a Subfolder).
func (d *DataSync) RunRules() []eventglue.RunRule {
	out := make([]eventglue.RunRule, len(d.rules))
	for i, r := range d.rules {
		r.Markers = append([]string(nil), r.Markers...)
		out[i] = r
	}
	return out
}

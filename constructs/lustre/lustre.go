package lustre

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsfsx"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
	"github.com/biolake/biolake/internal/fsxage"
)

// Lustre network ports (FSx for Lustre file system access control): the
// clients and the file system's own network interfaces use both.
const (
	PortLNet       = 988
	PortRangeFirst = 1018
	PortRangeLast  = 1023
)

// Paths of the data repository associations on the file system.
const (
	RawPath     = "/raw"
	ResultsPath = "/results"
)

// LogGroupPrefix is the prefix FSx requires of the log group's name.
const LogGroupPrefix = "/aws/fsx/"

// ManagedByTag is the tag whose value WorkflowTagValue marks a file system
// the workflow created and may delete.
const (
	ManagedByTag     = "biolake:managed-by"
	WorkflowTagValue = "workflow"
	// ExecutionTag holds the ARN of the workflow execution that created a
	// per-run file system (RunPaths.Execution).
	ExecutionTag = "biolake:execution"
	// EnvironmentTag, WorkflowTag and TimeoutTag mark a per-run file system
	// (and its associations and tasks) with the environment
	// (Props.Environment), the workflow that created it and the workflow's
	// timeout in seconds (RunPaths.Workflow and Timeout): what the run age
	// check (AddRunAgeCheck) reads. They are internal/fsxage's tags.
	EnvironmentTag = fsxage.EnvironmentTag
	WorkflowTag    = fsxage.WorkflowTag
	TimeoutTag     = fsxage.TimeoutTag
)

// Auto-import and auto-export events of the associations. DELETED is never
// exported: removing a file from Lustre must never remove data from S3.
var (
	RawImportEvents     = []string{"NEW", "CHANGED"}
	ResultsExportEvents = []string{"NEW", "CHANGED"}
)

// Lustre is FSx for Lustre for HPC: the security group, the log group and
// either a standing file system with its associations (ModePersistent) or
// the workflow policy for per-run file systems (ModePerRun). Create it with
// New.
type Lustre struct {
	constructs.Construct

	// SecurityGroup admits the Lustre ports from the client security group
	// and from itself only.
	SecurityGroup awsec2.SecurityGroup
	// SubnetID is the subnet of the file system (the network's first
	// private subnet).
	SubnetID string
	// LogGroup receives the Lustre logs; its name starts with /aws/fsx/.
	LogGroup awslogs.ILogGroup
	// LogGroupArn is the log group's ARN without the ":*" suffix, as FSx
	// takes it.
	LogGroupArn string
	// LogKey encrypts LogGroup.
	LogKey awskms.IKey
	// FileSystem is the standing file system; nil with ModePerRun.
	FileSystem awsfsx.CfnFileSystem
	// Key encrypts a PERSISTENT_2 FileSystem; nil otherwise.
	Key awskms.IKey
	// RawAssociation links RawPath to the raw bucket (import only);
	// ResultsAssociation links ResultsPath to the results bucket (export
	// only). nil with ModePerRun.
	RawAssociation     awsfsx.CfnDataRepositoryAssociation
	ResultsAssociation awsfsx.CfnDataRepositoryAssociation
	// BackupSelection adds FileSystem to the lake's backup plan; nil
	// unless PERSISTENT_2 and the lake has a plan.
	BackupSelection awsbackup.BackupSelection
	// RunPolicy holds what a workflow role needs to create, link, export
	// and delete per-run file systems, but the FSx Describe calls
	// (RunDescribeActions); nil with ModePersistent. GrantRunWorkflow
	// attaches it and grants those.
	RunPolicy awsiam.ManagedPolicy

	p Props
}

// New creates the Lustre resources. It panics, naming the construct path,
// when props are invalid (see Props.Validate).
func New(scope constructs.Construct, id string, props *Props) *Lustre {
	validation.Check(validation.PathOf(scope, id), props.Validate())
	used := []datalake.BucketName{datalake.BucketRaw, datalake.BucketResults}
	if props.Mode == ModePerRun {
		used = append(used, datalake.BucketPartner)
	}
	validation.Check(validation.PathOf(scope, id), datalake.RequireBuckets(validation.PathOf(scope, id), "Props.Lake", props.Lake, used...))
	l := &Lustre{p: props.withDefaults()}
	constructs.NewConstruct_Override(l, scope, jsii.String(id))
	var c constructs.Construct = l
	p := &l.p
	stack := awscdk.Stack_Of(c)
	path := *c.Node().Path()

	subnets := p.Network.Vpc().SelectSubnets(p.Network.PrivateSubnets()).Subnets
	l.SubnetID = *(*subnets)[0].SubnetId()
	l.newSecurityGroup()

	l.LogKey = p.LogKey
	if l.LogKey == nil {
		l.LogKey = secure.NewKey(c, "LogKey", &secure.KeyProps{
			Description: "biolake lustre " + path + ": file system logs",
			Services:    []secure.Service{secure.ServiceLogs},
		})
	}
	// FSx requires the /aws/fsx/ prefix; the rest derives from the
	// construct path (unique per stack, not hard-coded).
	name := LogGroupPrefix + *awscdk.Names_UniqueResourceName(c, &awscdk.UniqueResourceNameOptions{
		MaxLength: jsii.Number(200), Separator: jsii.String("-"), AllowedSpecialCharacters: jsii.String("-_."),
	})
	l.LogGroup = awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(name),
		EncryptionKey: l.LogKey,
		Retention:     secure.RetentionDays(p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	l.LogGroupArn = *stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: jsii.String(name),
		ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})

	if p.Mode == ModePerRun {
		l.newRunPolicy(stack)
		return l
	}
	l.newFileSystem()
	return l
}

func (l *Lustre) newSecurityGroup() {
	c := constructs.Construct(l)
	p := &l.p
	sg := awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              p.Network.Vpc(),
		Description:      jsii.String("FSx for Lustre: Lustre ports from the client security group and the file system itself only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	lnet := awsec2.Port_Tcp(jsii.Number(PortLNet))
	rng := awsec2.Port_TcpRange(jsii.Number(PortRangeFirst), jsii.Number(PortRangeLast))
	sg.AddIngressRule(p.ClientSecurityGroup, lnet, jsii.String("Lustre clients: LNet"), jsii.Bool(false))
	sg.AddIngressRule(p.ClientSecurityGroup, rng, jsii.String("Lustre clients: 1018-1023"), jsii.Bool(false))
	// FSx requires the file system's own network interfaces to reach each
	// other on the same ports.
	sg.AddIngressRule(sg, lnet, jsii.String("Lustre servers among themselves: LNet"), jsii.Bool(false))
	sg.AddIngressRule(sg, rng, jsii.String("Lustre servers among themselves: 1018-1023"), jsii.Bool(false))
	sg.AddEgressRule(sg, lnet, jsii.String("Lustre servers among themselves: LNet"), jsii.Bool(false))
	sg.AddEgressRule(sg, rng, jsii.String("Lustre servers among themselves: 1018-1023"), jsii.Bool(false))
	l.SecurityGroup = sg
}

func (l *Lustre) newFileSystem() {
	c := constructs.Construct(l)
	p := &l.p
	lc := &awsfsx.CfnFileSystem_LustreConfigurationProperty{
		DeploymentType:      jsii.String(string(p.DeploymentType)),
		DataCompressionType: jsii.String(p.DataCompression),
		LogConfiguration: &awsfsx.CfnFileSystem_LogConfigurationProperty{
			Level:       jsii.String("WARN_ERROR"),
			Destination: jsii.String(l.LogGroupArn),
		},
	}
	fp := &awsfsx.CfnFileSystemProps{
		FileSystemType:        jsii.String("LUSTRE"),
		FileSystemTypeVersion: jsii.String(FileSystemTypeVersion),
		StorageType:           jsii.String("SSD"),
		StorageCapacity:       jsii.Number(float64(p.StorageCapacityGiB)),
		SubnetIds:             jsii.Strings(l.SubnetID),
		SecurityGroupIds:      jsii.Strings(*l.SecurityGroup.SecurityGroupId()),
		LustreConfiguration:   lc,
	}
	persistent := p.DeploymentType == Persistent2
	if persistent {
		l.Key = p.Key
		if l.Key == nil {
			// The lake's raw bucket has no key of its own (SSE-S3).
			l.Key = secure.NewKey(c, "Key", &secure.KeyProps{Description: "biolake lustre " + *l.Node().Path() + ": file system"})
		}
		fp.KmsKeyId = l.Key.KeyId()
		lc.PerUnitStorageThroughput = jsii.Number(float64(p.ThroughputPerTiB))
		lc.AutomaticBackupRetentionDays = jsii.Number(float64(p.BackupRetentionDays))
		lc.DailyAutomaticBackupStartTime = jsii.String("03:00")
		lc.CopyTagsToBackups = jsii.Bool(true)
	}
	fs := awsfsx.NewCfnFileSystem(c, jsii.String("FileSystem"), fp)
	fs.Node().AddDependency(l.LogGroup)
	// LustreConfiguration.LogConfiguration is in the CloudFormation
	// resource schema (aws-cdk-lib 2.276's L1 is generated from it) but not
	// in cfn-lint 1.51's bundled copy, which reports E3002 on it. Only this
	// resource skips E3002.
	fs.AddMetadata(jsii.String("cfn-lint"), map[string]interface{}{
		"config": map[string]interface{}{"ignore_checks": []interface{}{"E3002"}},
	})
	if persistent {
		// A persistent file system is stateful; a scratch one holds nothing
		// the results bucket does not (auto-export) and is replaced freely.
		fs.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	} else {
		fs.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY, nil)
	}
	l.FileSystem = fs

	lake := p.Lake
	l.RawAssociation = awsfsx.NewCfnDataRepositoryAssociation(c, jsii.String("RawAssociation"), &awsfsx.CfnDataRepositoryAssociationProps{
		FileSystemId:                fs.Ref(),
		FileSystemPath:              jsii.String(RawPath),
		DataRepositoryPath:          jsii.String(*lake.Bucket(datalake.BucketRaw).S3UrlForObject(jsii.String(p.RawPrefix))),
		BatchImportMetaDataOnCreate: jsii.Bool(true),
		S3: &awsfsx.CfnDataRepositoryAssociation_S3Property{
			AutoImportPolicy: &awsfsx.CfnDataRepositoryAssociation_AutoImportPolicyProperty{Events: jsii.Strings(RawImportEvents...)},
		},
	})
	l.ResultsAssociation = awsfsx.NewCfnDataRepositoryAssociation(c, jsii.String("ResultsAssociation"), &awsfsx.CfnDataRepositoryAssociationProps{
		FileSystemId:                fs.Ref(),
		FileSystemPath:              jsii.String(ResultsPath),
		DataRepositoryPath:          jsii.String(*lake.Bucket(datalake.BucketResults).S3UrlForObject(jsii.String(p.ResultsPrefix))),
		BatchImportMetaDataOnCreate: jsii.Bool(true),
		S3: &awsfsx.CfnDataRepositoryAssociation_S3Property{
			AutoExportPolicy: &awsfsx.CfnDataRepositoryAssociation_AutoExportPolicyProperty{Events: jsii.Strings(ResultsExportEvents...)},
		},
	})
	// FSx reaches the linked buckets through its per-file-system
	// service-linked role for S3 access, which must be let use the data key.
	allowS3AccessRole(lakeKeys(lake, datalake.BucketRaw, datalake.BucketResults)...)

	if plan, role := lake.Backup(); persistent && plan != nil {
		// Created here, not in the lake: the selection refers to the plan
		// and role (this stack depends on the lake's), never the reverse.
		l.BackupSelection = awsbackup.NewBackupSelection(c, jsii.String("BackupSelection"), &awsbackup.BackupSelectionProps{
			BackupPlan:                 plan,
			Resources:                  &[]awsbackup.BackupResource{awsbackup.BackupResource_FromArn(fs.AttrResourceArn())},
			Role:                       role,
			DisableDefaultBackupPolicy: jsii.Bool(true),
		})
	}
}

// S3AccessRolePrefix is the ARN path of the service-linked roles FSx for
// Lustre creates, one per file system
// (AWSServiceRoleForFSxS3Access_<file system id>), to read and write the
// buckets a file system is linked to.
const S3AccessRolePrefix = "role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_"

// allowS3AccessRole adds to key's policy the statement FSx for Lustre
// documents for linking a file system to buckets encrypted with a customer
// managed key (https://docs.aws.amazon.com/fsx/latest/LustreGuide/s3-server-side-encryption-support.html):
// its S3-access service-linked role may use the key through S3, in this
// account. The guide names the role of one file
// system as the principal, but that role exists only once the file system
// does (and per-run file systems come and go), and KMS refuses a key policy
// naming a principal that does not exist; a key policy whose principal is
// the account root only delegates to IAM, and the role's own policy is
// AWS's. So the principal is "*", narrowed the way AWS's own key policies
// for services are (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account):
// kms:CallerAccount this account, kms:ViaService S3 in this region, the
// caller's ARN (aws:PrincipalArn) one of FSx's S3-access roles. The key
// policy cannot also name the linked buckets in an encryption-context
// condition: the buckets are encrypted with the key, so the key cannot
// refer to them (a dependency cycle); which buckets a role may reach is
// the file system's links, made only by this construct and the workflow
// policy (RunPolicy, limited to the raw, partner and results buckets).
//
// The policy of a key imported (awskms.Key_FromKeyArn) cannot be changed
// here: its owner adds the statement.
func allowS3AccessRole(keys ...awskms.IKey) {
	for _, key := range keys {
		allowS3AccessRoleOn(key)
	}
}

// lakeKeys returns the distinct keys of the lake's buckets names, leaving
// out buckets without a key.
func lakeKeys(lake datalake.ILake, names ...datalake.BucketName) []awskms.IKey {
	var out []awskms.IKey
	seen := map[string]bool{}
	for _, n := range names {
		k := lake.Key(n)
		if k == nil {
			continue
		}
		if id := *k.Node().Path(); !seen[id] {
			seen[id] = true
			out = append(out, k)
		}
	}
	return out
}

func allowS3AccessRoleOn(key awskms.IKey) {
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("FSxLustreS3AccessRoles"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{
				"kms:CallerAccount": *awscdk.Aws_ACCOUNT_ID(),
				"kms:ViaService":    "s3." + *awscdk.Aws_REGION() + ".amazonaws.com",
			},
			"ArnLike": map[string]interface{}{
				"aws:PrincipalArn": fmt.Sprintf("arn:%s:iam::%s:%s*", *awscdk.Aws_PARTITION(), *awscdk.Aws_ACCOUNT_ID(), S3AccessRolePrefix),
			},
		},
	}), jsii.Bool(true))
}

// MountName is the standing file system's Lustre mount name (a token); ""
// with ModePerRun.
func (l *Lustre) MountName() string {
	if l.FileSystem == nil {
		return ""
	}
	return *l.FileSystem.AttrLustreMountName()
}

// DNSName is the standing file system's DNS name (a token); "" with
// ModePerRun.
func (l *Lustre) DNSName() string {
	if l.FileSystem == nil {
		return ""
	}
	return *l.FileSystem.AttrDnsName()
}

// Mode returns the construct's mode (defaults applied).
func (l *Lustre) Mode() Mode { return l.p.Mode }

// StorageCapacityGiB is the standing file system's capacity in GiB
// (defaults applied); 0 with ModePerRun, whose runs choose their own.
func (l *Lustre) StorageCapacityGiB() int {
	if l.FileSystem == nil {
		return 0
	}
	return l.p.StorageCapacityGiB
}

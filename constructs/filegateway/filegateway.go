package filegateway

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstoragegateway"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/alarm"
	"github.com/biolake/biolake/constructs/internal/eventrule"
	"github.com/biolake/biolake/constructs/internal/golambda"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// CacheRefreshPackage is the cache-refresh handler, by Go import path.
const CacheRefreshPackage = "github.com/biolake/biolake/lambdas/cacherefresh"

// Handler and queue settings.
const (
	CacheRefreshTimeout = time.Minute
	// VisibilityFactor: the queue's visibility timeout is this many times
	// the handler's timeout, which is also the backoff of a record the
	// refresh limit deferred.
	VisibilityFactor = 6
	// MaxReceiveCount before a message goes to the dead-letter queue: a
	// share busy for about an hour (10 x 6 minutes) lets its records go
	// there, and the alarm says so.
	MaxReceiveCount = 10
	// BatchSize and BatchWindow of the SQS event source: a burst of
	// uploads within the window is one invocation, and AWS advises 60
	// seconds between refreshes of a share.
	BatchSize   = 100
	BatchWindow = 60 * time.Second
)

// Storage settings of the shares.
const (
	// ObjectACL of every object the gateway writes.
	ObjectACL = "bucket-owner-full-control"
	// UploadSettlingSeconds: the gateway reports an upload (a
	// "Storage Gateway Object Upload Event") this long after the last write
	// to a file of a read-write share.
	UploadSettlingSeconds = 60
)

// FileGateway is the file shares of an S3 File Gateway, their roles and
// audit logs, and the cache-refresh handler with its queue, rules and
// alarms. Create it with New.
type FileGateway struct {
	constructs.Construct

	// GatewayARN is the gateway the shares are on: Props.GatewayARN, or
	// for an EC2-hosted gateway the activation's GatewayARN attribute (a
	// token).
	GatewayARN string
	// EC2 is the gateway's instance and activation; nil for an existing
	// gateway (Props.GatewayARN).
	EC2 *EC2Gateway
	// Shares are the shares by name.
	Shares map[string]*FileShare
	// AuditLogs receives the audit logs of every share (KMS-encrypted).
	AuditLogs awslogs.ILogGroup
	// CacheRefresh is the cache-refresh handler.
	CacheRefresh awslambda.IFunction
	// Queue feeds CacheRefresh with S3 "Object Created" events.
	Queue awssqs.IQueue
	// DeadLetterQueue holds events the handler failed MaxReceiveCount times.
	DeadLetterQueue awssqs.IQueue
	// EventsDeadLetterQueue holds events EventBridge could not deliver.
	EventsDeadLetterQueue awssqs.IQueue
	// Rules route the S3 events of each bucket with shares to Queue.
	Rules []awsevents.Rule
	// AlarmTopic receives the alarms.
	AlarmTopic awssns.ITopic
	// Alarms are the alarms on the dead-letter queues.
	Alarms []awscloudwatch.IAlarm
	// SecurityGroup of the handler: HTTPS out only.
	SecurityGroup awsec2.ISecurityGroup

	p        Props
	logKey   awskms.IKey
	queueKey awskms.IKey
	// gatewayName is the gateway's name, for its metrics: the EC2
	// gateway's, or Props.GatewayName.
	gatewayName string
}

// FileShare is one share with its role.
type FileShare struct {
	// Settings are the share's settings, defaults applied.
	Settings Share
	// Resource is the AWS::StorageGateway::NFSFileShare or SMBFileShare.
	Resource awscdk.CfnResource
	// FileShareARN is the share's ARN.
	FileShareARN *string
	// LocationARN is the bucket and prefix the share exports.
	LocationARN *string
	// Role is what the gateway assumes to reach the bucket: the prefix
	// only, read-only for a read-only share.
	Role awsiam.Role
}

// New creates the shares and the cache refresh. It panics, naming the
// construct path, when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *FileGateway {
	validation.Check(validation.PathOf(scope, id), props.Validate())
	var used []datalake.BucketName
	for _, s := range props.withDefaults().Shares {
		used = append(used, s.Bucket)
	}
	validation.Check(validation.PathOf(scope, id), datalake.RequireBuckets(validation.PathOf(scope, id), "Props.Lake", props.Lake, used...))
	g := &FileGateway{p: props.withDefaults(), Shares: map[string]*FileShare{}}
	constructs.NewConstruct_Override(g, scope, jsii.String(id))
	// The cache-refresh handler (and an EC2 gateway's activation) call Storage Gateway.
	props.Network.Require(g, network.EndpointStorageGateway)
	var c constructs.Construct = g
	p := &g.p
	path := *g.Node().Path()

	g.logKey = p.LogKey
	if g.logKey == nil {
		g.logKey = secure.NewKey(c, "LogKey", &secure.KeyProps{Description: "biolake file gateway " + path + ": log groups", Services: []secure.Service{secure.ServiceLogs}})
	}
	g.queueKey = p.QueueKey
	if g.queueKey == nil {
		g.queueKey = secure.NewKey(c, "QueueKey", &secure.KeyProps{Description: "biolake file gateway " + path + ": queues", Services: []secure.Service{secure.ServiceEvents}})
	}
	g.AlarmTopic = p.AlarmTopic
	if g.AlarmTopic == nil {
		key := p.AlarmKey
		if key == nil {
			key = secure.NewKey(c, "AlarmKey", &secure.KeyProps{Description: "biolake file gateway " + path + ": alarm topic", Services: []secure.Service{secure.ServiceSNS}})
		}
		g.AlarmTopic = awssns.NewTopic(c, jsii.String("AlarmTopic"), &awssns.TopicProps{
			DisplayName: jsii.String("biolake file gateway alarms"),
			MasterKey:   key,
			EnforceSSL:  jsii.Bool(true),
		})
		secure.AllowAlarms(g.AlarmTopic)
	}

	g.AuditLogs = g.newLogGroup(c, "AuditLogs")
	g.GatewayARN = p.GatewayARN
	g.gatewayName = p.GatewayName
	if p.EC2 != nil {
		g.EC2 = g.newEC2Gateway(path)
		g.GatewayARN = *g.EC2.Activation.GetAttString(jsii.String("GatewayARN"))
	}
	for _, s := range p.Shares {
		g.Shares[s.Name] = g.newShare(s)
	}
	g.newCacheRefresh()
	return g
}

// auditDestination is the audit log group's ARN without the ":*" that
// LogGroupArn ends with.
func (g *FileGateway) auditDestination() *string {
	return awscdk.Stack_Of(g).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("logs"),
		Resource:     jsii.String("log-group"),
		ResourceName: g.AuditLogs.LogGroupName(),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// newShare creates a share's role and file share.
func (g *FileGateway) newShare(s Share) *FileShare {
	lake := g.p.Lake
	bucket := lake.Bucket(s.Bucket)
	key := lake.Key(s.Bucket)
	// keyStmt is the statement of the bucket's key, none for a bucket
	// encrypted with SSE-S3.
	keyStmt := func(sid string, actions []string, viaS3 map[string]interface{}) []awsiam.PolicyStatement {
		if key == nil {
			return nil
		}
		return []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(*key.KeyArn()), Conditions: &viaS3,
		})}
	}
	var kmsKey *string
	if key != nil {
		kmsKey = key.KeyArn()
	}
	c := constructs.NewConstruct(g, jsii.String(s.Name))
	stack := awscdk.Stack_Of(g)
	fs := &FileShare{Settings: s}

	// The gateway assumes the role for this account's gateway only.
	principal := awsiam.NewServicePrincipal(jsii.String("storagegateway.amazonaws.com"), nil).WithConditions(&map[string]interface{}{
		"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
		"ArnLike":      map[string]interface{}{"aws:SourceArn": g.GatewayARN},
	})
	access := "read-write"
	if s.ReadOnly {
		access = "read-only"
	}
	fs.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   principal,
		Description: jsii.String(fmt.Sprintf("S3 File Gateway share %q: %s access to %s/%s", s.Name, access, s.Bucket, s.Prefix)),
	})
	objects := *bucket.ArnForObjects(jsii.String(s.Prefix + "*"))
	bucketArn := *bucket.BucketArn()
	viaS3 := map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": "s3." + *stack.Region() + ".amazonaws.com"}}
	stmt := func(sid string, actions []string, resources []string, conditions map[string]interface{}) awsiam.PolicyStatement {
		sp := &awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...)}
		if conditions != nil {
			sp.Conditions = &conditions
		}
		return awsiam.NewPolicyStatement(sp)
	}
	var list map[string]interface{}
	if s.Prefix != "" {
		list = map[string]interface{}{"StringLike": map[string]interface{}{"s3:prefix": []string{s.Prefix, s.Prefix + "*"}}}
	}
	// The bucket-level actions of the role the File Gateway guide documents
	// for a share (https://docs.aws.amazon.com/filegateway/latest/files3/grant-access-s3.html):
	// listing versions and multipart uploads included, for read-only
	// shares too (the gateway lists the bucket's uploads whatever the
	// share's access).
	statements := []awsiam.PolicyStatement{
		stmt("Bucket", []string{"s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration", "s3:ListBucketMultipartUploads"}, []string{bucketArn}, nil),
		stmt("List", []string{"s3:ListBucket", "s3:ListBucketVersions"}, []string{bucketArn}, list),
	}
	if s.ReadOnly {
		statements = append(statements,
			stmt("ReadObjects", []string{"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl"}, []string{objects}, nil))
		statements = append(statements, keyStmt("Decrypt", []string{"kms:Decrypt"}, viaS3)...)
	} else {
		// The guide's policy also lists s3:DeleteObjectVersion; it is left
		// out on purpose: the gateway deletes with DeleteObject, which in
		// the versioned data buckets leaves a delete marker, and nothing a
		// client does through a share may remove a version for good (the
		// lake's versions are its recovery point).
		statements = append(statements,
			stmt("ReadWriteObjects", []string{
				"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl",
				"s3:PutObject", "s3:PutObjectAcl", "s3:DeleteObject",
				"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
			}, []string{objects}, nil))
		statements = append(statements, keyStmt("Encrypt", []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, viaS3)...)
	}
	// A managed policy of its own, not an inline one: it shows in IAM as
	// the share's policy.
	awsiam.NewManagedPolicy(c, jsii.String("Policy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String(fmt.Sprintf("S3 File Gateway share %q: %s access to %s/%s", s.Name, access, s.Bucket, s.Prefix)),
		Statements:  &statements,
		Roles:       &[]awsiam.IRole{fs.Role},
	})
	nag.Suppress(c, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The gateway reads (and, for a read-write share, writes) any object under the share's prefix, which is what the share exports; " +
			"the object ARN ends in <prefix>* and no action is a wildcard.",
		AppliesToRegex: append([]string{`/^Resource::<.+\.Arn>\/.*\*$/`, `/^Resource::arn:<AWS::Partition>:s3:::<.+>\/.*\*$/`}, nag.ImportedObjectsRegex...),
	})

	fs.LocationARN = jsii.String(bucketArn + "/" + s.Prefix)
	if s.Prefix == "" {
		fs.LocationARN = jsii.String(bucketArn)
	}
	storageClass := "S3_STANDARD"
	if s.Bucket == datalake.BucketShared {
		// The shared bucket's lifecycle keeps objects in Intelligent-Tiering.
		storageClass = "S3_INTELLIGENT_TIERING"
	}
	notification := "{}"
	if !s.ReadOnly {
		notification = fmt.Sprintf(`{"Upload":{"SettlingTimeInSeconds":%d}}`, UploadSettlingSeconds)
	}
	name := jsii.String(s.Name)
	switch s.Protocol {
	case SMB:
		users := append([]string(nil), s.SMBUsers...)
		r := awsstoragegateway.NewCfnSMBFileShare(c, jsii.String("FileShare"), &awsstoragegateway.CfnSMBFileShareProps{
			GatewayArn:             jsii.String(g.GatewayARN),
			LocationArn:            fs.LocationARN,
			Role:                   fs.Role.RoleArn(),
			FileShareName:          name,
			Authentication:         jsii.String("ActiveDirectory"),
			ValidUserList:          jsii.Strings(users...),
			AccessBasedEnumeration: jsii.Bool(true),
			ReadOnly:               jsii.Bool(s.ReadOnly),
			KmsEncrypted:           jsii.Bool(key != nil),
			KmsKey:                 kmsKey,
			ObjectAcl:              jsii.String(ObjectACL),
			DefaultStorageClass:    jsii.String(storageClass),
			RequesterPays:          jsii.Bool(false),
			GuessMimeTypeEnabled:   jsii.Bool(true),
			NotificationPolicy:     jsii.String(notification),
			AuditDestinationArn:    g.auditDestination(),
			CaseSensitivity:        jsii.String("ClientSpecified"),
		})
		fs.Resource, fs.FileShareARN = r, r.AttrFileShareArn()
	default:
		r := awsstoragegateway.NewCfnNFSFileShare(c, jsii.String("FileShare"), &awsstoragegateway.CfnNFSFileShareProps{
			GatewayArn:           jsii.String(g.GatewayARN),
			LocationArn:          fs.LocationARN,
			Role:                 fs.Role.RoleArn(),
			FileShareName:        name,
			ClientList:           jsii.Strings(g.clients(s)...),
			Squash:               jsii.String(string(s.Squash)),
			ReadOnly:             jsii.Bool(s.ReadOnly),
			KmsEncrypted:         jsii.Bool(key != nil),
			KmsKey:               kmsKey,
			ObjectAcl:            jsii.String(ObjectACL),
			DefaultStorageClass:  jsii.String(storageClass),
			RequesterPays:        jsii.Bool(false),
			GuessMimeTypeEnabled: jsii.Bool(true),
			NotificationPolicy:   jsii.String(notification),
			AuditDestinationArn:  g.auditDestination(),
		})
		fs.Resource, fs.FileShareARN = r, r.AttrFileShareArn()
	}
	// cfn-lint 1.51.0's bundled CloudFormation schemas lack the two Storage
	// Gateway file share types (E3006 "resource type does not exist");
	// CloudFormation and CDK's L1 classes have them. Only that rule is off,
	// and only on these resources.
	fs.Resource.AddMetadata(jsii.String("cfn-lint"), map[string]interface{}{
		"config": map[string]interface{}{"ignore_checks": []string{"E3006"}},
	})
	// aws-cdk-lib's built-in CloudFormation validator has the same gap for
	// some regions (F3006 in eu-west-1, where CloudFormation has the types),
	// which stopped `make synth ENV=staging`; acknowledged on these
	// resources only.
	awscdk.Validations_Of(fs.Resource).Acknowledge(&awscdk.Acknowledgment{
		Id:     jsii.String("CloudFormation-Validate::F3006"),
		Reason: jsii.String("Storage Gateway file shares are CloudFormation types in every region Storage Gateway serves; the validator's region data lacks them"),
	})
	// The share is created after its role can be assumed and used, and
	// on an EC2-hosted gateway after the activation.
	fs.Resource.Node().AddDependency(fs.Role)
	if g.EC2 != nil {
		fs.Resource.Node().AddDependency(g.EC2.Activation)
	}
	for _, ch := range *c.Node().Children() {
		if mp, ok := ch.(awsiam.ManagedPolicy); ok {
			fs.Resource.Node().AddDependency(mp)
		}
	}
	return fs
}

func (g *FileGateway) clients(s Share) []string {
	switch {
	case len(s.ClientCIDRs) > 0:
		return s.ClientCIDRs
	}
	return g.defaultClients()
}

// defaultClients are the networks of shares that list none:
// Props.ClientCIDRs, else the network's on-premises CIDRs, else the VPC's
// CIDR.
func (g *FileGateway) defaultClients() []string {
	if len(g.p.ClientCIDRs) > 0 {
		return g.p.ClientCIDRs
	}
	if cidrs := network.OnPremCIDRsOf(g.p.Network); len(cidrs) > 0 {
		return cidrs
	}
	return []string{*g.p.Network.Vpc().VpcCidrBlock()}
}

// shareJSON is one element of SHARES, as the handler decodes it.
type shareJSON struct {
	Bucket       string `json:"bucket"`
	Prefix       string `json:"prefix"`
	FileShareARN string `json:"fileShareArn"`
}

func (g *FileGateway) sharesJSON() string {
	out := []shareJSON{}
	for _, name := range g.shareNames() {
		fs := g.Shares[name]
		out = append(out, shareJSON{
			Bucket:       *g.p.Lake.Bucket(fs.Settings.Bucket).BucketName(),
			Prefix:       fs.Settings.Prefix,
			FileShareARN: *fs.FileShareARN,
		})
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(fmt.Errorf("filegateway: %w", err))
	}
	return string(b)
}

func (g *FileGateway) shareNames() []string {
	names := make([]string, 0, len(g.Shares))
	for n := range g.Shares {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// newCacheRefresh creates the queue, the rules, the handler and the alarms.
func (g *FileGateway) newCacheRefresh() {
	p := &g.p
	g.EventsDeadLetterQueue = g.newDeadLetterQueue("EventsDeadLetterQueue", "S3 events EventBridge could not deliver to the cache-refresh queue")
	g.DeadLetterQueue = g.newDeadLetterQueue("CacheRefreshDeadLetterQueue",
		"S3 events whose cache refresh failed "+strconv.Itoa(MaxReceiveCount)+" times")
	queue := awssqs.NewQueue(g, jsii.String("CacheRefreshQueue"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: g.queueKey,
		EnforceSSL:          jsii.Bool(true),
		VisibilityTimeout:   awscdk.Duration_Seconds(jsii.Number(float64(VisibilityFactor) * CacheRefreshTimeout.Seconds())),
		DeadLetterQueue:     &awssqs.DeadLetterQueue{Queue: g.DeadLetterQueue, MaxReceiveCount: jsii.Number(MaxReceiveCount)},
	})
	g.Queue = queue

	// One rule per bucket with shares, matching the shares' prefixes.
	prefixes := map[datalake.BucketName][]string{}
	whole := map[datalake.BucketName]bool{}
	for _, name := range g.shareNames() {
		s := g.Shares[name].Settings
		prefixes[s.Bucket] = append(prefixes[s.Bucket], s.Prefix)
		if s.Prefix == "" {
			whole[s.Bucket] = true
		}
	}
	for _, b := range datalake.DataBucketNames() {
		if len(prefixes[b]) == 0 {
			continue
		}
		detail := map[string]interface{}{"bucket": map[string]interface{}{"name": []string{*p.Lake.Bucket(b).BucketName()}}}
		if !whole[b] {
			var keys []interface{}
			for _, pf := range prefixes[b] {
				keys = append(keys, map[string]interface{}{"prefix": pf})
			}
			detail["object"] = map[string]interface{}{"key": keys}
		}
		id := "ObjectCreated" + strings.ToUpper(string(b[:1])) + string(b[1:]) + "Rule"
		rule := awsevents.NewRule(g, jsii.String(id), &awsevents.RuleProps{
			Description: jsii.String(fmt.Sprintf("S3 \"Object Created\" events under the file shares of the %s bucket, to the cache refresh", b)),
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings("aws.s3"),
				DetailType: jsii.Strings("Object Created"),
				Detail:     &detail,
			},
		})
		eventrule.Target(rule, "CacheRefreshQueue", queue.QueueArn(), g.EventsDeadLetterQueue)
		queue.AddToResourcePolicy(eventrule.Allow(id, rule, "sqs:SendMessage", queue.QueueArn()))
		g.Rules = append(g.Rules, rule)
	}

	g.SecurityGroup = awsec2.NewSecurityGroup(g, jsii.String("FunctionSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              p.Network.Vpc(),
		Description:      jsii.String("biolake file gateway cache refresh: HTTPS out to AWS APIs only, nothing in"),
		AllowAllOutbound: jsii.Bool(false),
	})
	g.SecurityGroup.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to AWS APIs (interface endpoints, or NAT)"), jsii.Bool(false))

	fn := golambda.New(g, "CacheRefresh", &golambda.Props{
		Package:             CacheRefreshPackage,
		Description:         "biolake file gateway: refreshes the gateway's cache of a share's folder when objects land in it",
		Timeout:             CacheRefreshTimeout,
		Environment:         map[string]string{"SHARES": g.sharesJSON(), "LOG_LEVEL": "info"},
		ReservedConcurrency: p.ReservedConcurrency,
		Vpc:                 p.Network.Vpc(),
		VpcSubnets:          p.Network.PrivateSubnets(),
		SecurityGroups:      []awsec2.ISecurityGroup{g.SecurityGroup},
		LogKey:              g.logKey,
		LogRetentionDays:    p.LogRetentionDays,
	})
	g.CacheRefresh = fn
	esp := &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(BatchSize),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(BatchWindow.Seconds())),
		ReportBatchItemFailures: jsii.Bool(true),
	}
	if p.ReservedConcurrency >= 2 {
		// Pollers within the reserved concurrency: no throttled batches.
		esp.MaxConcurrency = jsii.Number(float64(p.ReservedConcurrency))
	}
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(queue, esp))
	var arns []string
	for _, name := range g.shareNames() {
		arns = append(arns, *g.Shares[name].FileShareARN)
	}
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("storagegateway:RefreshCache"),
		Resources: jsii.Strings(arns...),
	}))

	nag.SuppressDeferred(fn,
		nag.VPCLambdaManagedPolicies,
		nag.Rule{
			ID:        "AwsSolutions-IAM5",
			Reason:    "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions, so their resource is \"*\"; RefreshCache is limited to the shares' ARNs.",
			AppliesTo: []string{"Resource::*"},
		},
	)
	nag.SuppressDeferred(fn, nag.InAllPacks("The execution role's policy holds the grants CDK and this construct make to this one function; "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(fn, nag.InAllPacks("The function is invoked synchronously by its SQS event source mapping, never asynchronously: "+
		"messages that keep failing go to the queue's own dead-letter queue (CacheRefreshDeadLetterQueue), which raises an alarm.",
		"HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ")...)
}

// newDeadLetterQueue creates a KMS-encrypted, TLS-only dead-letter queue
// that keeps messages 14 days, with an alarm on its depth.
func (g *FileGateway) newDeadLetterQueue(id, holds string) awssqs.Queue {
	q := awssqs.NewQueue(g, jsii.String(id), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: g.queueKey,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
		RedriveAllowPolicy:  secure.DeadLetterRedrive(),
	})
	nag.SuppressDeferred(q, nag.Rule{ID: "AwsSolutions-SQS3", Reason: "This queue is itself a dead-letter queue (" + holds + "); its depth raises an alarm."})
	g.Alarms = append(g.Alarms, alarm.New(g, id+"Alarm", alarm.Props{
		Metric: metricDeadLetters(q, nil),
		Means:  "the dead-letter queue " + id + " of the file gateway holds " + holds,
		Check:  "the messages, fix the cause, redrive them (a refresh is harmless to repeat)",
		Topic:  g.AlarmTopic,
	}))
	return q
}

// Share returns the share called name, or nil.
func (g *FileGateway) Share(name string) *FileShare { return g.Shares[name] }

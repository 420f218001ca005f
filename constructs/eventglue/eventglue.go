package eventglue

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/alarm"
	"github.com/biolake/biolake/constructs/internal/eventrule"
	"github.com/biolake/biolake/constructs/internal/golambda"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
	"slices"
)

// The handlers, by Go import path.
const (
	IngestPackage  = "github.com/biolake/biolake/lambdas/ingest"
	VerifyPackage  = "github.com/biolake/biolake/lambdas/verify"
	RestorePackage = "github.com/biolake/biolake/lambdas/restore"
	SamplesPackage = "github.com/biolake/biolake/lambdas/samples"
)

// Events on the custom bus that the glue reacts to.
const (
	// SourceIngest is the source of the ingest handler's events.
	SourceIngest = "biolake.ingest"
	// DetailTypeRunCompleted starts the verify state machine, with the
	// event's detail as input.
	DetailTypeRunCompleted = "RunCompleted"
	// DetailTypeIntegrityFailed is published by the verify handler for each
	// object that failed; the glue forwards it to the alarm topic.
	DetailTypeIntegrityFailed = "IntegrityFailed"
)

// CatalogPrefix is where the verify handler writes catalog records in the
// curated bucket.
const CatalogPrefix = "catalog/"

// IntegrityErrors are the verify handler's typed errors that no retry can
// fix; the state machine catches them and fails the execution.
var IntegrityErrors = []string{"ErrIntegrityFailed", "ErrManifest", "ErrInvalidRequest", "ErrTooManyLargeObjects", "ErrUnverified"}

// LambdaServiceErrors are the Lambda service errors every Lambda task
// retries with backoff.
var LambdaServiceErrors = []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}

// Function timeouts and queue settings.
const (
	IngestTimeout = 2 * time.Minute
	// RestoreTimeout allows a task for a whole run: one HeadObject and
	// RestoreObject, and a conditional write, per archived object.
	RestoreTimeout = 15 * time.Minute
	VerifyTimeout  = 15 * time.Minute
	// VisibilityFactor: a queue's visibility timeout is this many times its
	// consumer's timeout (AWS's advice for Lambda event sources).
	VisibilityFactor = 6
	// MaxReceiveCount before a message goes to the queue's dead-letter queue.
	MaxReceiveCount = 5
	// VerifyConcurrency is VERIFY_CONCURRENCY: objects one verify
	// invocation checks at once.
	VerifyConcurrency = 16
	// StateMachineTimeout bounds one verify execution (large objects are
	// verified by Batch jobs that may take hours each).
	StateMachineTimeout = 48 * time.Hour
	// VerifyJobVCPUs and VerifyJobMemoryMiB size the Batch verifier.
	VerifyJobVCPUs     = 2
	VerifyJobMemoryMiB = 4096
)

// EventGlue is the event flow of the platform: the bus, the catalog table,
// the ingest, verify and restore handlers with their queues and rules, the
// verify state machine with its Batch queue, and the alarms. Create it with
// New.
type EventGlue struct {
	constructs.Construct

	// Bus is the platform's custom event bus (KMS-encrypted, archived).
	Bus awsevents.IEventBus
	// Archive keeps every event of Bus for replay.
	Archive awsevents.Archive
	// Catalog is the DynamoDB catalog table (pk, sk).
	Catalog awsdynamodb.ITable
	// CatalogKey encrypts Catalog.
	CatalogKey awskms.IKey
	// Ingest records each new object in the catalog and publishes
	// RunCompleted when a run is whole.
	Ingest awslambda.IFunction
	// Verify checks a run against its manifest and finalizes it.
	Verify awslambda.IFunction
	// Restore starts Glacier restores for workflows (waitForTaskToken) and
	// reports their completion. Let workflows invoke it with GrantRestore.
	Restore awslambda.IFunction
	// Samples lists a run's samples from its sample sheet, for workflows
	// that fan out per sample. Let workflows invoke it with GrantSamples.
	Samples awslambda.IFunction
	// IngestQueue feeds Ingest with S3 "Object Created" events.
	IngestQueue awssqs.IQueue
	// RestoreQueue feeds Restore with S3 "Object Restore Completed" events.
	RestoreQueue awssqs.IQueue
	// VerifyStateMachine verifies a completed run.
	VerifyStateMachine awsstepfunctions.IStateMachine
	// VerifyQueue is the Batch job queue of the large-object verifier.
	VerifyQueue awsbatch.IJobQueue
	// VerifyBatch is the Fargate queue behind VerifyQueue.
	VerifyBatch *batch.Queue
	// VerifyJob is the large-object verifier's job definition and roles.
	VerifyJob *batch.Job
	// AlarmTopic receives every alarm and each IntegrityFailed event.
	AlarmTopic awssns.ITopic
	// Alarms are the CloudWatch alarms of the glue.
	Alarms []awscloudwatch.IAlarm
	// SecurityGroup of the handlers: HTTPS out only.
	SecurityGroup awsec2.ISecurityGroup

	p        Props
	queueKey awskms.IKey
	logKey   awskms.IKey
	eventDLQ awssqs.IQueue
	// deadLetters are the dead-letter queues by construct id.
	deadLetters map[string]awssqs.IQueue
	// integrityFailedRule forwards IntegrityFailed events to AlarmTopic.
	integrityFailedRule awsevents.Rule
}

// New creates the event glue. It panics, naming the construct path, when
// props are invalid.
func New(scope constructs.Construct, id string, props *Props) *EventGlue {
	validation.Check(validation.PathOf(scope, id), props.Validate())
	g := &EventGlue{p: props.withDefaults()}
	// The verifier accepts partner data into partner and catalogs into
	// curated; the run rules name the buckets runs land in.
	validation.Check(validation.PathOf(scope, id), datalake.RequireBuckets(validation.PathOf(scope, id), "Props.Lake", props.Lake,
		append([]datalake.BucketName{datalake.BucketPartner, datalake.BucketCurated}, g.runBucketNames()...)...))
	constructs.NewConstruct_Override(g, scope, jsii.String(id))
	// The handlers put events on the bus; restore starts executions.
	props.Network.Require(g, network.EndpointEvents, network.EndpointStepFunctions)
	if g.dataSyncEvidence() {
		// The ingest handler describes the DataSync task executions that
		// vouch for runs without a manifest.
		props.Network.Require(g, network.EndpointDataSync)
	}
	var c constructs.Construct = g
	p := &g.p
	path := *g.Node().Path()

	g.logKey = p.LogKey
	if g.logKey == nil {
		g.logKey = secure.NewKey(c, "LogKey", &secure.KeyProps{Description: "biolake event glue " + path + ": log groups", Services: []secure.Service{secure.ServiceLogs}})
	}
	g.queueKey = p.QueueKey
	if g.queueKey == nil {
		g.queueKey = secure.NewKey(c, "QueueKey", &secure.KeyProps{Description: "biolake event glue " + path + ": queues", Services: []secure.Service{secure.ServiceEvents}})
	}
	g.newAlarmTopic(path)

	// One dead-letter queue for the bus and the targets of every rule:
	// events EventBridge could not encrypt, decrypt or deliver.
	g.eventDLQ = g.newDeadLetterQueue("EventsDeadLetterQueue", "events EventBridge could not encrypt, decrypt or deliver to a rule target")

	// The bus: KMS-encrypted, every event archived for replay. Its name is
	// generated by CDK from the construct path.
	var busKey awskms.Key
	busKeyIn := p.BusKey
	if busKeyIn == nil {
		busKey = secure.NewKey(c, "BusKey", &secure.KeyProps{Description: "biolake event glue " + path + ": event bus"})
		busKeyIn = busKey
	}
	// The bus gets the key by ARN, so that CDK adds no statement of its
	// own (it would put kms:DescribeKey under the encryption-context
	// condition, which DescribeKey requests never carry): allowBusKey
	// writes the policy of the key created here; a supplied key carries
	// those statements already (Props.BusKey).
	bus := awsevents.NewEventBus(c, jsii.String("Bus"), &awsevents.EventBusProps{
		Description:     jsii.String("biolake platform events (" + path + ")"),
		KmsKey:          awskms.Key_FromKeyArn(c, jsii.String("BusKeyRef"), busKeyIn.KeyArn()),
		DeadLetterQueue: g.eventDLQ,
	})
	g.Bus = bus
	if busKey != nil {
		allowBusKey(busKey, bus)
	}
	g.eventDLQ.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeBus"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  jsii.Strings(*g.eventDLQ.QueueArn()),
		Conditions: &map[string]interface{}{"ArnEquals": map[string]interface{}{"aws:SourceArn": *bus.EventBusArn()}},
	}))
	// A key of its own: the archive's key policy names the bus, whose
	// own key the bus depends on.
	archiveKey := p.ArchiveKey
	if archiveKey == nil {
		archiveKey = secure.NewKey(c, "ArchiveKey", &secure.KeyProps{Description: "biolake event glue " + path + ": event archive"})
	}
	// NewArchive, not bus.Archive: the method drops KmsKey (CDK 2.276).
	g.Archive = awsevents.NewArchive(bus, jsii.String("Archive"), &awsevents.ArchiveProps{
		SourceEventBus: bus,
		Description:    jsii.String("Every event of the biolake bus, for replay"),
		EventPattern:   &awsevents.EventPattern{Account: jsii.Strings(*awscdk.Stack_Of(c).Account())},
		Retention:      awscdk.Duration_Days(jsii.Number(float64(p.ArchiveRetentionDays))),
		KmsKey:         archiveKey,
	})

	g.newCatalog(path)
	g.SecurityGroup = g.newSecurityGroup()

	g.newIngest()
	g.newVerify()
	g.newRestore()
	g.newSamples()
	g.newIntegrityFailedRule()
	return g
}

// newAlarmTopic creates the KMS-encrypted, TLS-only alarm topic.
func (g *EventGlue) newAlarmTopic(path string) {
	key := g.p.AlarmKey
	if key == nil {
		key = secure.NewKey(g, "AlarmKey", &secure.KeyProps{
			Description: "biolake event glue " + path + ": alarm topic",
			Services:    []secure.Service{secure.ServiceSNS, secure.ServiceEventsToSNS},
		})
	}
	topic := awssns.NewTopic(g, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("biolake event glue alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	secure.AllowAlarms(topic)
	if g.p.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(g.p.AlarmEmail), nil))
	}
	g.AlarmTopic = topic
}

// allowBusKey writes the statements EventBridge needs in the bus key's
// policy (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html):
// kms:GenerateDataKey and kms:Decrypt for this bus only (aws:SourceAccount,
// aws:SourceArn and the encryption context EventBridge sends,
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-event-bus-cmkey.html),
// and kms:DescribeKey, which EventBridge calls to check the key and which
// carries no encryption context, in a statement of its own. The bus ARN is
// formatted from the name CDK generates for it (Names.uniqueId of the bus),
// not read from the bus, which depends on the key.
func allowBusKey(key awskms.Key, bus awsevents.EventBus) {
	stack := awscdk.Stack_Of(bus)
	arn := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("events"), Resource: jsii.String("event-bus"), ResourceName: awscdk.Names_UniqueId(bus)})
	events := []awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)}
	source := map[string]interface{}{"aws:SourceAccount": *stack.Account(), "aws:SourceArn": arn}
	withContext := map[string]interface{}{"kms:EncryptionContext:aws:events:event-bus:arn": arn}
	for k, v := range source {
		withContext[k] = v
	}
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeBusData"),
		Principals: &events,
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"StringEquals": withContext},
	}), jsii.Bool(false))
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeBusDescribeKey"),
		Principals: &events,
		Actions:    jsii.Strings("kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"StringEquals": source},
	}), jsii.Bool(false))
}

// newCatalog creates the catalog table and adds it to the data lake's
// backup plan.
func (g *EventGlue) newCatalog(path string) {
	g.CatalogKey = g.p.CatalogKey
	if g.CatalogKey == nil {
		g.CatalogKey = secure.NewKey(g, "CatalogKey", &secure.KeyProps{Description: "biolake event glue " + path + ": catalog table"})
	}
	table := awsdynamodb.NewTable(g, jsii.String("Catalog"), &awsdynamodb.TableProps{
		PartitionKey:  &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:       &awsdynamodb.Attribute{Name: jsii.String("sk"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:    awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey: g.CatalogKey,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(g.p.DeletionProtection),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
	g.Catalog = table
	lake := g.p.Lake
	plan, role := lake.Backup()
	switch {
	case plan == nil:
		nag.SuppressDeferred(table, nag.InAllPacks("The data lake has no backup plan (datalake Props.DisableBackup, a dev sandbox, or existing buckets "+
			"imported without one), so there is no plan to join; point-in-time recovery keeps the last 35 days of the table.",
			"HIPAA.Security-DynamoDBInBackupPlan", "NIST.800.53.R5-DynamoDBInBackupPlan")...)
	case *awscdk.Stack_Of(lake).Node().Path() == *awscdk.Stack_Of(g).Node().Path():
		lake.AddToBackup("Catalog", awsbackup.BackupResource_FromDynamoDbTable(table))
	default:
		// AddToBackup would put the selection in the data lake's stack,
		// which would then depend on this one while this one depends on
		// it (the buckets): the selection lives here instead.
		awsbackup.NewBackupSelection(g, jsii.String("CatalogBackup"), &awsbackup.BackupSelectionProps{
			BackupPlan: plan,
			Resources:  &[]awsbackup.BackupResource{awsbackup.BackupResource_FromDynamoDbTable(table)},
			Role:       role,
		})
	}
}

func (g *EventGlue) newSecurityGroup() awsec2.ISecurityGroup {
	sg := awsec2.NewSecurityGroup(g, jsii.String("FunctionSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              g.p.Network.Vpc(),
		Description:      jsii.String("biolake event glue handlers: HTTPS out to AWS APIs only, nothing in"),
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to AWS APIs (interface and gateway endpoints, or NAT)"), jsii.Bool(false))
	return sg
}

// newDeadLetterQueue creates a KMS-encrypted, TLS-only dead-letter queue
// that keeps messages 14 days, with an alarm on its depth.
func (g *EventGlue) newDeadLetterQueue(id, holds string) awssqs.Queue {
	q := awssqs.NewQueue(g, jsii.String(id), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: g.queueKey,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
		RedriveAllowPolicy:  secure.DeadLetterRedrive(),
	})
	nag.SuppressDeferred(q, nag.Rule{ID: "AwsSolutions-SQS3", Reason: "This queue is itself a dead-letter queue (" + holds + "); its depth raises an alarm."})
	if g.deadLetters == nil {
		g.deadLetters = map[string]awssqs.IQueue{}
	}
	g.deadLetters[id] = q
	g.alarm(id+"Alarm", metricDeadLetters(q, nil),
		"the dead-letter queue "+id+" of the event glue holds "+holds, "the messages, fix the cause, redrive them")
	return q
}

// newQueue creates a KMS-encrypted, TLS-only queue with a dead-letter queue.
func (g *EventGlue) newQueue(id string, consumerTimeout time.Duration, holds string) awssqs.Queue {
	dlq := g.newDeadLetterQueue(id+"DeadLetterQueue", holds+" that failed "+strconv.Itoa(MaxReceiveCount)+" times")
	return awssqs.NewQueue(g, jsii.String(id), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: g.queueKey,
		EnforceSSL:          jsii.Bool(true),
		VisibilityTimeout:   awscdk.Duration_Seconds(jsii.Number(float64(VisibilityFactor) * consumerTimeout.Seconds())),
		DeadLetterQueue:     &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(MaxReceiveCount)},
	})
}

// alarm creates an alarm with the house defaults that notifies the alarm
// topic.
func (g *EventGlue) alarm(id string, metric awscloudwatch.IMetric, means, check string) {
	g.Alarms = append(g.Alarms, alarm.New(g, id, alarm.Props{Metric: metric, Means: means, Check: check, Topic: g.AlarmTopic}))
}

// function creates a handler in the VPC with the glue's log settings.
func (g *EventGlue) function(id string, p *golambda.Props) awslambda.Function {
	p.Vpc = g.p.Network.Vpc()
	p.VpcSubnets = g.p.Network.PrivateSubnets()
	p.SecurityGroups = []awsec2.ISecurityGroup{g.SecurityGroup}
	p.LogKey = g.logKey
	p.LogRetentionDays = g.p.LogRetentionDays
	p.Environment["LOG_LEVEL"] = g.p.LogLevel
	fn := golambda.New(g, id, p)
	nag.SuppressDeferred(fn, nag.VPCLambdaManagedPolicies)
	nag.SuppressDeferred(fn, nag.InAllPacks("The execution role's policy holds the grants CDK and this construct make to this one function; "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	return fn
}

// xrayReason ends the IAM5 reasons of the functions, whose roles get X-Ray's
// calls from CDK (tracing is active).
const xrayReason = "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions, so their resource is \"*\"."

// allow adds a statement to fn's role.
func allow(fn awslambda.Function, actions []string, resources []string, conditions map[string]interface{}) {
	sp := &awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...)}
	if conditions != nil {
		sp.Conditions = &conditions
	}
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(sp))
}

// runObjects returns the object ARNs under the prefixes of the run rules,
// where runs land (and only there do the handlers read or tag). With
// accepted, also the partner bucket's accepted/ prefix of partnered rules:
// verified partner datasets are copied there, and workflows run on them.
func (g *EventGlue) runObjects(accepted bool) []string {
	var out []string
	seen := map[string]bool{}
	add := func(arn string) {
		if !seen[arn] {
			seen[arn] = true
			out = append(out, arn)
		}
	}
	for _, r := range g.p.RunRules {
		b := g.p.Lake.Bucket(r.Bucket)
		add(*b.ArnForObjects(jsii.String(r.Prefix + "*")))
		if accepted && r.Partnered {
			add(*b.ArnForObjects(jsii.String(datalake.PartnerAcceptedPrefix + "*")))
		}
	}
	return out
}

// runBucketNames returns the buckets the run rules name, each once.
func (g *EventGlue) runBucketNames() []datalake.BucketName {
	var out []datalake.BucketName
	for _, r := range g.p.RunRules {
		if !slices.Contains(out, r.Bucket) {
			out = append(out, r.Bucket)
		}
	}
	return out
}

// keyArns returns the ARNs of the keys of the lake's buckets names, each
// once, leaving out buckets without a key.
func (g *EventGlue) keyArns(names ...datalake.BucketName) []string {
	var out []string
	for _, n := range names {
		if k := g.p.Lake.Key(n); k != nil && !slices.Contains(out, *k.KeyArn()) {
			out = append(out, *k.KeyArn())
		}
	}
	return out
}

// allowKeys allows fn actions on keys through S3; nothing when no bucket
// has a key.
func allowKeys(fn awslambda.Function, actions, keys []string) {
	if len(keys) > 0 {
		allow(fn, actions, keys, viaService("s3"))
	}
}

// runBuckets returns the ARNs of the buckets the run rules name.
func (g *EventGlue) runBuckets() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range g.p.RunRules {
		arn := *g.p.Lake.Bucket(r.Bucket).BucketArn()
		if !seen[arn] {
			seen[arn] = true
			out = append(out, arn)
		}
	}
	return out
}

// runObjectsRegex are the forms cdk-nag gives object ARNs under a prefix
// (a bucket of this stack, or one of another stack), for AwsSolutions-IAM5.
var runObjectsRegex = append([]string{`/^Resource::<.+\.Arn>\/.*\*$/`, `/^Resource::arn:<AWS::Partition>:s3:::<.+>\/.*\*$/`}, nag.ImportedObjectsRegex...)

func (g *EventGlue) dataBucketNames() []string {
	var out []string
	for _, b := range g.p.Lake.DataBuckets() {
		out = append(out, *b.BucketName())
	}
	return out
}

func viaService(service string) map[string]interface{} {
	return map[string]interface{}{"StringEquals": map[string]interface{}{
		"kms:ViaService": service + "." + *awscdk.Aws_REGION() + ".amazonaws.com",
	}}
}

// grantCatalog lets fn call actions on the catalog table, and use its key
// through DynamoDB.
func (g *EventGlue) grantCatalog(fn awslambda.Function, actions ...string) {
	allow(fn, actions, []string{*g.Catalog.TableArn()}, nil)
	allow(fn, []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"}, []string{*g.CatalogKey.KeyArn()}, viaService("dynamodb"))
}

func (g *EventGlue) grantPutEvents(fn awslambda.Function) {
	allow(fn, []string{"events:PutEvents"}, []string{*g.Bus.EventBusArn()}, nil)
}

// s3Rule routes S3 events of detailType from the data buckets (default bus)
// to queue.
func (g *EventGlue) s3Rule(id, detailType string, queue awssqs.IQueue) awsevents.Rule {
	rule := awsevents.NewRule(g, jsii.String(id), &awsevents.RuleProps{
		Description: jsii.String("S3 \"" + detailType + "\" events of the biolake data buckets"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.s3"),
			DetailType: jsii.Strings(detailType),
			Detail:     &map[string]interface{}{"bucket": map[string]interface{}{"name": g.dataBucketNames()}},
		},
	})
	eventrule.Target(rule, "Queue", queue.QueueArn(), g.eventDLQ)
	queue.AddToResourcePolicy(eventrule.Allow(id, rule, "sqs:SendMessage", queue.QueueArn()))
	return rule
}

// runRuleJSON is one element of RUN_RULES, as the ingest handler decodes it.
type runRuleJSON struct {
	Bucket             string   `json:"bucket"`
	Prefix             string   `json:"prefix"`
	Profile            string   `json:"profile"`
	Markers            []string `json:"markers,omitempty"`
	Manifest           string   `json:"manifest,omitempty"`
	Channel            Channel  `json:"channel"`
	Partnered          bool     `json:"partnered,omitempty"`
	SettleAfterSeconds int64    `json:"settleAfterSeconds,omitempty"`
}

func (g *EventGlue) runRulesJSON() string {
	out := make([]runRuleJSON, len(g.p.RunRules))
	for i, r := range g.p.RunRules {
		out[i] = runRuleJSON{
			Bucket: *g.p.Lake.Bucket(r.Bucket).BucketName(), Prefix: r.Prefix, Profile: r.Profile,
			Markers: r.Markers, Manifest: r.Manifest, Channel: r.Channel, Partnered: r.Partnered,
			SettleAfterSeconds: int64(r.SettleAfter / time.Second),
		}
	}
	return mustJSON(out)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("eventglue: %w", err))
	}
	return string(b)
}

// newIngest creates the ingest queue, its rule and the ingest handler.
func (g *EventGlue) newIngest() {
	p := &g.p
	queue := g.newQueue("IngestQueue", IngestTimeout, "S3 \"Object Created\" events")
	g.IngestQueue = queue
	g.s3Rule("ObjectCreatedRule", "Object Created", queue)

	fn := g.function("Ingest", &golambda.Props{
		Package:     IngestPackage,
		Description: "biolake ingest: records each new object in the catalog and publishes RunCompleted when a run is whole",
		MemoryMB:    512,
		Timeout:     IngestTimeout,
		Environment: map[string]string{
			"CATALOG_TABLE":  *g.Catalog.TableName(),
			"RUN_RULES":      g.runRulesJSON(),
			"DATA_CLASSES":   mustJSON(p.Lake.DataClasses()),
			"EVENT_BUS_NAME": *g.Bus.EventBusName(),
		},
		ReservedConcurrency: p.ReservedConcurrency.Ingest,
	})
	g.Ingest = fn
	esp := &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(10),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(5)),
		ReportBatchItemFailures: jsii.Bool(true),
	}
	if n := p.ReservedConcurrency.Ingest; n >= 2 {
		// Keep the pollers within the reserved concurrency, so that
		// messages are not throttled back to the queue.
		esp.MaxConcurrency = jsii.Number(float64(min(n, 1000)))
	}
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(queue, esp))

	// The catalog's transaction puts and updates items (PutItem,
	// UpdateItem); a duplicate reads the stored record back (GetItem); the
	// pending runs and the DataSync successes are queried and deleted
	// (Query, DeleteItem).
	g.grantCatalog(fn, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:DeleteItem")
	// Manifests are read, ambiguous keys looked up (HeadObject needs
	// GetObject) and every object is tagged with its data class, under the
	// run rules' prefixes only: the handler ignores other keys.
	allow(fn, []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"}, g.runObjects(false), nil)
	// Without ListBucket, S3 answers 403 instead of 404 for a missing key,
	// and the raw-key lookup of an ambiguous event key needs NoSuchKey
	// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
	allow(fn, []string{"s3:ListBucket"}, g.runBuckets(), nil)
	g.newEvidenceRules(fn, queue)
	allowKeys(fn, []string{"kms:Decrypt"}, g.keyArns(g.runBucketNames()...))
	g.grantPutEvents(fn)
	nag.SuppressDeferred(fn, nag.InAllPacks("The function is invoked synchronously by its SQS event source mapping, never asynchronously: "+
		"messages that keep failing go to the queue's own dead-letter queue (IngestQueueDeadLetterQueue).",
		"HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ")...)
	reason := "The ingest handler reads the manifest and tags each new object of any run, " +
		"so its object-level actions (read and tag only) apply to every object under the run rules' prefixes; "
	regex := append([]string(nil), runObjectsRegex...)
	if g.dataSyncEvidence() {
		reason += "it describes (read only) whichever of the account's DataSync tasks, task executions and S3 locations " +
			"sent a success event, whose ids it learns from the event; "
		regex = append(regex, `/^Resource::arn:.+:datasync:.+:(task|location)\/\*$/`)
	}
	nag.SuppressDeferred(fn, nag.Rule{
		ID:             "AwsSolutions-IAM5",
		Reason:         reason + xrayReason,
		AppliesTo:      []string{"Resource::*"},
		AppliesToRegex: regex,
	})
}

// SweepSchedule is how often the ingest handler sweeps the pending runs
// for ended settle windows.
const SweepSchedule = "rate(5 minutes)"

// newEvidenceRules routes the evidence that completes runs without a
// manifest to the ingest queue: DataSync task executions that succeeded
// (forwarded to the platform bus by the DataSync construct; the handler
// describes the execution, its task and its S3 location) when a rule is on
// the datasync channel, and a schedule that sweeps the pending runs when a
// rule opts in to a settle window.
func (g *EventGlue) newEvidenceRules(fn awslambda.Function, queue awssqs.IQueue) {
	settle := false
	for _, r := range g.p.RunRules {
		settle = settle || r.SettleAfter > 0
	}
	if g.dataSyncEvidence() {
		rule := awsevents.NewRule(g, jsii.String("DataSyncSuccessRule"), &awsevents.RuleProps{
			Description: jsii.String("Successful DataSync task executions: evidence that completes runs without a manifest"),
			EventBus:    g.Bus,
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings("aws.datasync"),
				DetailType: jsii.Strings("DataSync Task Execution State Change"),
				Detail:     &map[string]interface{}{"State": []string{"SUCCESS"}},
			},
		})
		eventrule.Target(rule, "Queue", queue.QueueArn(), g.eventDLQ)
		queue.AddToResourcePolicy(eventrule.Allow("DataSyncSuccessRule", rule, "sqs:SendMessage", queue.QueueArn()))
		// Read-only, on this account's DataSync tasks, their executions
		// and locations (service authorization reference: DescribeTask on
		// task, DescribeTaskExecution on taskexecution,
		// DescribeLocationS3 on location).
		arn := func(res string) string {
			return "arn:" + *awscdk.Aws_PARTITION() + ":datasync:" + *awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":" + res
		}
		allow(fn, []string{"datasync:DescribeTask", "datasync:DescribeTaskExecution"}, []string{arn("task/*")}, nil)
		allow(fn, []string{"datasync:DescribeLocationS3"}, []string{arn("location/*")}, nil)
	}
	if settle {
		rule := awsevents.NewRule(g, jsii.String("SettleSweepRule"), &awsevents.RuleProps{
			Description: jsii.String("Sweeps the pending runs for ended settle windows"),
			Schedule:    awsevents.Schedule_Expression(jsii.String(SweepSchedule)),
		})
		eventrule.Target(rule, "Queue", queue.QueueArn(), g.eventDLQ)
		queue.AddToResourcePolicy(eventrule.Allow("SettleSweepRule", rule, "sqs:SendMessage", queue.QueueArn()))
	}
}

// dataSyncEvidence reports whether a run rule on the datasync channel has
// no manifest, so that DataSync's task executions are its runs' evidence.
func (g *EventGlue) dataSyncEvidence() bool {
	for _, r := range g.p.RunRules {
		if r.Channel == ChannelDataSync && r.Manifest == "" {
			return true
		}
	}
	return false
}

// newVerify creates the verify handler, the Batch verifier, the state
// machine and the rule that starts it.
func (g *EventGlue) newVerify() {
	p := &g.p
	lake := p.Lake
	fn := g.function("Verify", &golambda.Props{
		Package:     VerifyPackage,
		Description: "biolake verify: checks a completed run against its manifest, then finalizes it",
		MemoryMB:    p.VerifyMemoryMB,
		Timeout:     VerifyTimeout,
		Environment: map[string]string{
			"EVENT_BUS_NAME":     *g.Bus.EventBusName(),
			"CATALOG_TABLE":      *g.Catalog.TableName(),
			"CATALOG_BUCKET":     *lake.Bucket(datalake.BucketCurated).BucketName(),
			"CATALOG_PREFIX":     CatalogPrefix,
			"QUARANTINE_PREFIX":  datalake.PartnerQuarantinePrefix,
			"ACCEPTED_PREFIX":    datalake.PartnerAcceptedPrefix,
			"MAX_STREAM_BYTES":   strconv.FormatInt(p.MaxStreamBytes, 10),
			"VERIFY_CONCURRENCY": strconv.Itoa(VerifyConcurrency),
		},
		ReservedConcurrency: p.ReservedConcurrency.Verify,
	})
	g.Verify = fn
	// Runs are read (HeadObject with checksums, GetObject to stream a
	// hash) under the run rules' prefixes only.
	allow(fn, []string{"s3:GetObject", "s3:GetObjectVersion"}, g.runObjects(false), nil)
	// Without ListBucket, S3 answers 403 instead of 404 for a missing
	// object, and a missing object is an integrity finding.
	allow(fn, []string{"s3:ListBucket"}, g.runBuckets(), nil)
	// Accepted partner data is copied from quarantine with its tags.
	allow(fn, []string{"s3:GetObjectTagging", "s3:GetObjectVersionTagging"}, []string{*lake.Bucket(datalake.BucketPartner).ArnForObjects(jsii.String(datalake.PartnerQuarantinePrefix + "*"))}, nil)
	allow(fn, []string{"s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"}, []string{
		*lake.Bucket(datalake.BucketPartner).ArnForObjects(jsii.String(datalake.PartnerAcceptedPrefix + "*")),
		*lake.Bucket(datalake.BucketCurated).ArnForObjects(jsii.String(CatalogPrefix + "*")),
	}, nil)
	allowKeys(fn, []string{"kms:Decrypt", "kms:GenerateDataKey"}, g.keyArns(append(g.runBucketNames(), datalake.BucketPartner, datalake.BucketCurated)...))
	g.grantCatalog(fn, "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query")
	g.grantPutEvents(fn)
	nag.SuppressDeferred(fn, nag.InAllPacks("The function is invoked synchronously by the verify state machine, never asynchronously: "+
		"a failed invocation is retried or caught by the state machine, and a failed execution raises an alarm.",
		"HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ")...)
	nag.SuppressDeferred(fn, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The verify handler reads any object a run's manifest lists, under the run rules' prefixes, and writes only under the partner " +
			"bucket's accepted/ and the curated bucket's catalog/ prefixes; object ARNs of a bucket or prefix end in /*; " + xrayReason,
		AppliesTo:      []string{"Resource::*"},
		AppliesToRegex: append([]string{`/^Resource::<.+\.Arn>\/.*\*$/`, `/^Resource::arn:<AWS::Partition>:s3:::<.+>\/.*\*$/`}, nag.ImportedObjectsRegex...),
	})

	// The Batch verifier for objects too large for the function.
	image := p.VerifierImage
	if image == nil {
		var err error
		if image, err = batch.RepoImage(batch.VerifierDockerfile); err != nil {
			panic(&validation.Error{Path: *g.Node().Path(), Field: "Props.VerifierImage", Value: "nil",
				Problem:  "the default image cannot be built: " + err.Error(),
				Accepted: "a container image with the verifier, or nil in a synth run from inside the biolake module (where " + batch.VerifierDockerfile + " is)"})
		}
	}
	g.VerifyBatch = batch.New(g, "VerifyBatch", &batch.Props{
		Network:  p.Network,
		MaxVCPUs: min(max(p.MapConcurrency*VerifyJobVCPUs, VerifyJobVCPUs), batch.MaxMaxVCPUs),
	})
	g.VerifyQueue = g.VerifyBatch.JobQueue
	g.VerifyJob = g.VerifyBatch.AddJob("VerifyJob", &batch.JobProps{
		Image:            image,
		VCPUs:            VerifyJobVCPUs,
		MemoryMiB:        VerifyJobMemoryMiB,
		LogKey:           g.logKey,
		LogRetentionDays: p.LogRetentionDays,
	})
	for _, b := range datalake.DataBucketNames() {
		if lake.Has(b) {
			lake.GrantRead(g.VerifyJob.JobRole, b, "")
		}
	}
	nag.SuppressDeferred(g.VerifyJob.JobRole, nag.Rule{
		ID:             "AwsSolutions-IAM5",
		Reason:         "The Batch verifier reads whichever large object of a run it is given, in any data bucket (read-only actions, no wildcards in them).",
		AppliesToRegex: append([]string{`/^Resource::<.+\.Arn>\/\*$/`, `/^Resource::arn:<AWS::Partition>:s3:::<.+>\/\*$/`}, nag.ImportedObjectsRegex...),
	})

	g.newStateMachine(fn)
}

// newRestore creates the restore queue, its rule and the restore handler.
func (g *EventGlue) newRestore() {
	p := &g.p
	queue := g.newQueue("RestoreQueue", RestoreTimeout, "S3 \"Object Restore Completed\" events")
	g.RestoreQueue = queue
	g.s3Rule("RestoreCompletedRule", "Object Restore Completed", queue)
	dlq := g.newDeadLetterQueue("RestoreFunctionDeadLetterQueue", "asynchronous invocations of the restore function that failed every retry")
	fn := g.function("Restore", &golambda.Props{
		Package:     RestorePackage,
		Description: "biolake restore: starts Glacier restores for workflows (task tokens) and reports their completion",
		Timeout:     RestoreTimeout,
		Environment: map[string]string{
			"CATALOG_TABLE":  *g.Catalog.TableName(),
			"EVENT_BUS_NAME": *g.Bus.EventBusName(),
			"RESTORE_TIER":   string(p.RestoreTier),
			"RESTORE_DAYS":   strconv.Itoa(p.RestoreDays),
		},
		ReservedConcurrency: p.ReservedConcurrency.Restore,
		DeadLetterQueue:     dlq,
	})
	g.Restore = fn
	// Lambda sends failed asynchronous invocations to the encrypted
	// dead-letter queue with the function's role (CDK grants only
	// sqs:SendMessage).
	allow(fn, []string{"kms:GenerateDataKey", "kms:Decrypt"}, []string{*g.queueKey.KeyArn()}, nil)
	esp := &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(10),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(5)),
		ReportBatchItemFailures: jsii.Bool(true),
	}
	if n := p.ReservedConcurrency.Restore; n >= 2 {
		esp.MaxConcurrency = jsii.Number(float64(min(n, 1000)))
	}
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(queue, esp))

	// Workflows restore the objects of a run: under the run rules'
	// prefixes, or a verified partner dataset under accepted/.
	allow(fn, []string{"s3:GetObject", "s3:GetObjectVersion", "s3:RestoreObject"}, g.runObjects(true), nil)
	// A task naming a prefix lists it (ListObjectsV2); a missing object
	// fails the task with "object not found", which S3 says (404) only to a
	// caller allowed ListBucket (403 otherwise).
	allow(fn, []string{"s3:ListBucket"}, g.runBuckets(), nil)
	g.grantCatalog(fn, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query")
	g.grantPutEvents(fn)
	// The Service Authorization Reference lists no resource type for
	// states:SendTaskSuccess and SendTaskFailure (a task token names no
	// resource), so "*" is the only resource a policy can give them
	// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
	allow(fn, []string{"states:SendTaskSuccess", "states:SendTaskFailure"}, []string{"*"}, nil)
	nag.SuppressDeferred(fn, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The restore handler restores (head and restore only) any archived object of a run a workflow names, " +
			"so its object ARNs are the run rules' prefixes (and the partner bucket's accepted/) ending in /*; " +
			"states:SendTaskSuccess and SendTaskFailure have no resource type in the Service Authorization Reference (a task token names no resource), " +
			"so their resource is \"*\", like X-Ray's PutTraceSegments and PutTelemetryRecords.",
		AppliesTo:      []string{"Resource::*"},
		AppliesToRegex: runObjectsRegex,
	})
}

// newIntegrityFailedRule forwards IntegrityFailed events to the alarm topic.
func (g *EventGlue) newIntegrityFailedRule() {
	rule := awsevents.NewRule(g, jsii.String("IntegrityFailedRule"), &awsevents.RuleProps{
		Description: jsii.String("IntegrityFailed events to the alarm topic"),
		EventBus:    g.Bus,
		EventPattern: &awsevents.EventPattern{
			DetailType: jsii.Strings(DetailTypeIntegrityFailed),
		},
	})
	g.integrityFailedRule = rule
	eventrule.Target(rule, "AlarmTopic", g.AlarmTopic.TopicArn(), g.eventDLQ)
	g.AlarmTopic.AddToResourcePolicy(eventrule.Allow("IntegrityFailedRule", rule, "sns:Publish", g.AlarmTopic.TopicArn()))
}

// SamplesConcurrency is the samples handler's reserved concurrency.
const SamplesConcurrency = 5

// newSamples creates the sample-sheet reader workflows call before their
// per-sample Map.
func (g *EventGlue) newSamples() {
	fn := g.function("Samples", &golambda.Props{
		Package:     SamplesPackage,
		Description: "biolake samples: lists a run's samples from its sample sheet for the workflows' per-sample fan-out",
		Timeout:     time.Minute,
		Environment: map[string]string{},
		// Workflow starts are few; this bounds a burst of them.
		ReservedConcurrency: SamplesConcurrency,
	})
	g.Samples = fn
	nag.SuppressDeferred(fn, nag.InAllPacks("The function is invoked synchronously by the workflows' state machines, never asynchronously: "+
		"a failed invocation is retried or caught by the state machine, and a failed execution raises an alarm.",
		"HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ")...)
	// Sample sheets sit directly under a run's prefix (the run rules', or
	// accepted/ for a verified partner dataset). A read broken mid-way is
	// resumed pinned to the version first read (internal/s3read), which is
	// s3:GetObjectVersion.
	allow(fn, []string{"s3:GetObject", "s3:GetObjectVersion"}, g.runObjects(true), nil)
	// Without ListBucket S3 answers AccessDenied, not NoSuchKey, for a
	// sheet that is not there, and a run without a sheet would fail.
	allow(fn, []string{"s3:ListBucket"}, g.runBuckets(), nil)
	allowKeys(fn, []string{"kms:Decrypt"}, g.keyArns(g.runBucketNames()...))
	nag.SuppressDeferred(fn, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The samples handler reads (GetObject only) the sample sheet under whichever run prefix a workflow names, " +
			"so its object ARNs are the run rules' prefixes (and the partner bucket's accepted/) ending in /*; " +
			"X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions (\"*\").",
		AppliesTo:      []string{"Resource::*"},
		AppliesToRegex: runObjectsRegex,
	})
}

// GrantSamples lets grantee (a workflow's state machine role) invoke the
// samples handler.
func (g *EventGlue) GrantSamples(grantee awsiam.IGrantable) awsiam.Grant {
	return g.Samples.GrantInvoke(grantee)
}

// GrantRestore lets grantee (a workflow's state machine role) invoke the
// restore handler, for example from a LambdaInvoke task with the
// WAIT_FOR_TASK_TOKEN integration pattern; the handler reports back with the
// task token when the restore is done.
func (g *EventGlue) GrantRestore(grantee awsiam.IGrantable) awsiam.Grant {
	return g.Restore.GrantInvoke(grantee)
}

// PlatformBus returns Bus. With RestoreFunction, SamplesFunction,
// CatalogTable and CatalogTableKey it makes *EventGlue a workflow.Glue.
func (g *EventGlue) PlatformBus() awsevents.IEventBus { return g.Bus }

// RestoreFunction returns Restore, the function a workflow's restore
// task invokes with its task token.
func (g *EventGlue) RestoreFunction() awslambda.IFunction { return g.Restore }

// SamplesFunction returns Samples, the function that lists a run's
// samples from its sample sheet.
func (g *EventGlue) SamplesFunction() awslambda.IFunction { return g.Samples }

// CatalogTable returns Catalog, where a workflow records its results.
func (g *EventGlue) CatalogTable() awsdynamodb.ITable { return g.Catalog }

// CatalogTableKey returns CatalogKey, the key of the catalog table.
func (g *EventGlue) CatalogTableKey() awskms.IKey { return g.CatalogKey }

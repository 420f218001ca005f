package workflow

import (
	"fmt"
	"github.com/biolake/biolake/constructs/validation"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/internal/events"
)

// Events. The catalogue (internal/events, docs/EVENTS.md) defines them;
// these names are aliases of its constants.
const (
	// Source of the workflow's events on the platform bus
	// (events.SourceWorkflow).
	Source = events.SourceWorkflow
	// DetailTypeWorkflowSucceeded is published when a run's results are
	// written (events.DetailTypeWorkflowSucceeded); its detail is an
	// events.WorkflowSucceeded.
	DetailTypeWorkflowSucceeded = events.DetailTypeWorkflowSucceeded
	// ResultsPrefix is where workflows write in the results bucket:
	// ResultsPrefix + <workflow> + "/" + <runId> + "/"
	// (events.WorkflowResultsPrefix).
	ResultsPrefix = events.WorkflowResultsPrefix
)

// State names. They are API: runbooks and queries refer to them.
const (
	StatePartner        = "HasPartner"
	StateNoPartner      = "NoPartner"
	StatePrepare        = "PrepareRun"
	StateRestore        = "RestoreInputs"
	StateListSamples    = "ListSamples"
	StateCheckSamples   = "CheckSampleCount"
	StateTooManySamples = "TooManySamples"
	StateMap            = "ProcessSamples"
	StateStepFailed     = "StepFailed"
	StateRecordResults  = "RecordResults"
	StateCatalog        = "CatalogResults"
	StateNotify         = "NotifySucceeded"
	StateNotifyFailed   = "NotifyFailed"
	StateFailed         = "WorkflowFailed"
	StateNotifyError    = "NotificationFailed"
	StateSucceeded      = "WorkflowSucceeded"
	// Without Props.Glue, the items of the Map come from the input:
	// HasSamples chooses TakeSamples (the input's "samples") or OneItem
	// (the run as one item), and CheckSampleCount fails runs whose samples
	// are empty or not strings in NoSamples (ErrNoSamples).
	StateHasSamples     = "HasSamples"
	StateTakeSamples    = "TakeSamples"
	StateOneItem        = "OneItem"
	StateNoSamples      = "NoSamples"
	stepStatePrefix     = "Run"
	stateMachineComment = "biolake secondary analysis: restore archived inputs, Batch steps per sample, catalog and notify"
)

// SamplesStorageError is the samples handler's error for an S3 failure
// other than a missing sheet: retried.
const SamplesStorageError = "ErrStorage"

// ErrTooManySamples is the error of a run whose sample sheet lists more
// than Props.MaxSamples samples (state TooManySamples): it fails before
// any compute starts.
const ErrTooManySamples = "ErrTooManySamples"

// ErrNoSamples is the error of a run started with a "samples" field that
// is not a non-empty array of strings (state NoSamples; without
// Props.Glue only).
const ErrNoSamples = "ErrNoSamples"

// Where the Map's items came from without Props.Glue ($.sampleList.source).
const (
	// SourceInput: the input's "samples".
	SourceInput = "input"
	// SourceRun: no "samples" in the input; the run id is the one item.
	SourceRun = "run"
)

// Errors the tasks retry.
var (
	// EventBridgeErrors are retried by CatalogResults.
	EventBridgeErrors = []string{"EventBridge.InternalException", "EventBridge.ThrottlingException", "EventBridge.FailedEntry"}
	// DynamoDBErrors are retried by RecordResults.
	DynamoDBErrors = []string{"DynamoDB.InternalServerErrorException", "DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.ThrottlingException", "DynamoDB.RequestLimitExceeded"}
	// SNSErrors are retried by the notification tasks.
	SNSErrors = []string{"SNS.InternalErrorException", "SNS.ThrottledException", "SNS.KMSThrottlingException"}
)

// Workflow is a secondary-analysis state machine started by RunIngested
// on the platform bus, with its Batch job definitions. Create it with New.
type Workflow struct {
	constructs.Construct

	// StateMachine runs the workflow for one run (Standard). Its
	// executions are named ExecutionNameExpression (the hash of the run id).
	StateMachine awsstepfunctions.StateMachine
	// Starter (Express) starts StateMachine for a RunIngested detail, named
	// by the run id, and succeeds in AlreadyStarted when the name is taken.
	Starter awsstepfunctions.StateMachine
	// Cleanup (Standard), with a per-run file system only, is started on
	// the default bus when an execution of StateMachine times out or is
	// aborted: it exports the results of the execution's file system,
	// deletes it and tells Topic. Nil without Props.Lustre.
	Cleanup awsstepfunctions.StateMachine
	// StarterLogGroup receives the Starter's execution history.
	StarterLogGroup awslogs.ILogGroup
	// Rule starts Starter with the detail of each RunIngested event (or,
	// without Props.Glue, of each Props.StartPattern event). Nil without
	// Glue and StartPattern.
	Rule awsevents.Rule
	// Jobs are the steps' job definitions and roles, by step name.
	Jobs map[string]*batch.Job
	// Topic receives the notifications.
	Topic awssns.ITopic
	// DeadLetterQueue holds events the rule could not deliver to the
	// Starter (and status changes the cleanup rule could not deliver). Nil
	// with neither Rule nor Cleanup.
	DeadLetterQueue awssqs.IQueue
	// AlarmTopic receives the alarms.
	AlarmTopic awssns.ITopic
	// Alarms fire on one failed, timed-out or aborted execution, one
	// failed Starter execution, one message in DeadLetterQueue, or (with
	// Cleanup) one failed, timed-out or aborted cleanup, within five
	// minutes.
	Alarms []awscloudwatch.IAlarm
	// LogGroup receives the state machine's execution history.
	LogGroup awslogs.ILogGroup

	p          Props
	stepQueues []stepQueue // each step's job and queue, in step order
}

// stepQueue is a step's job definition and the queue it runs on.
type stepQueue struct {
	job   *batch.Job
	queue awsbatch.IJobQueue
}

// New creates the workflow. It panics, naming the construct path, when
// props are invalid. See the package doc for how a run is started once.
func New(scope constructs.Construct, id string, props *Props) *Workflow {
	validation.Check(validation.PathOf(scope, id), props.Validate())
	w := &Workflow{p: props.withDefaults(), Jobs: map[string]*batch.Job{}}
	constructs.NewConstruct_Override(w, scope, jsii.String(id))
	var c constructs.Construct = w
	p := &w.p
	path := *w.Node().Path()

	logKey := p.LogKey
	if logKey == nil {
		logKey = secure.NewKey(c, "LogKey", &secure.KeyProps{Description: "biolake workflow " + path + ": log groups", Services: []secure.Service{secure.ServiceLogs}})
	}
	w.Topic = p.Topic
	if w.Topic == nil {
		w.Topic = awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
			DisplayName: jsii.String("biolake workflow " + p.Name),
			MasterKey:   w.topicKey(path),
			EnforceSSL:  jsii.Bool(true),
		})
		// The workflow's alarms publish here unless Props.AlarmTopic is set.
		secure.AllowAlarms(w.Topic)
	}

	// The steps' job definitions, scoped to the data lake.
	for _, s := range p.Steps {
		jp := s.jobProps()
		jp.Lustre = p.Lustre != nil || mountsPersistent(p.Batch, s.Queue)
		jp.LogKey = logKey
		jp.LogRetentionDays = p.LogRetentionDays
		job := p.Batch.AddJob(p.Name+s.Name, jp)
		reads := s.Reads
		if len(reads) == 0 {
			for _, b := range datalake.DataBucketNames() {
				if p.Lake.Has(b) {
					reads = append(reads, b)
				}
			}
		}
		batch.GrantLake(job.JobRole, p.Lake, reads, "", ResultsPrefix+p.Name+"/")
		w.Jobs[s.Name] = job
	}

	definition := w.definition()
	logGroup := awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: logKey,
		Retention:     secure.RetentionDays(p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	w.LogGroup = logGroup
	sm := awsstepfunctions.NewStateMachine(c, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		Comment:          jsii.String(stateMachineComment + " (" + p.Name + ")"),
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromChainable(definition),
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
		Timeout:          awscdk.Duration_Seconds(jsii.Number(p.Timeout.Seconds())),
		TracingEnabled:   jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logGroup,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
	})
	w.StateMachine = sm
	// The steps' jobs: each job definition on its own queue (never any
	// other definition: the Nextflow head job's role may register job
	// definitions and pass roles), followed and stopped by Step Functions;
	// the jobs are tagged when submitted.
	for _, sq := range w.stepQueues {
		sq.job.GrantRunJob(sm, sq.queue)
	}
	stack := awscdk.Stack_Of(c)
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("batch:TagResource"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("batch"), Resource: jsii.String("job"), ResourceName: jsii.String("*")})),
	}))
	w.grantTopicKey(sm)
	if p.Glue != nil {
		if !p.SkipRestore {
			p.Glue.RestoreFunction().GrantInvoke(sm)
		}
		p.Glue.SamplesFunction().GrantInvoke(sm)
		// RecordResults writes to the CMK-encrypted catalog table (CDK grants
		// dynamodb:PutItem on the table); the key only through DynamoDB.
		sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
			Resources: jsii.Strings(*p.Glue.CatalogTableKey().KeyArn()),
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{
				"kms:ViaService": "dynamodb." + *stack.Region() + ".amazonaws.com",
			}},
		}))
	}
	if p.Lustre != nil {
		p.Lustre.GrantRunWorkflow(sm)
	}
	nag.SuppressDeferred(sm.Role(), nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The workflow's state machine role: CloudWatch Logs delivery, X-Ray and batch:DescribeJobs have no resource-level permissions (\"*\"); " +
			"CDK's Lambda grant covers the restore function's versions (<arn>:*); SubmitJob is granted on the steps' job definitions and queues only; " +
			"TerminateJob and TagResource act on jobs, whose ids are generated (job/*).",
		AppliesToRegex: []string{`/^Resource::\*$/`, `/^Resource::<.+\.Arn>:\*$/`, `/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):batch:.*:job\/\*$/`},
	})
	nag.SuppressDeferred(sm.Role(), nag.InAllPacks("The state machine role's policy is generated by CDK from the tasks of this one state machine; "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)

	w.newStarter(logKey)
	if p.Glue != nil || p.StartPattern != nil {
		w.newRule(path)
	}
	if p.Lustre != nil {
		w.deadLetterQueue(path)
		w.newCleanup(logKey)
	}
	w.newAlarms()
	return w
}

// VerifiedByAccepted lists the RunIngested verifiedBy values a workflow's
// rule starts on: manifest and datasync, and settled with startOnSettled.
// Events without verifiedBy never match.
func VerifiedByAccepted(startOnSettled bool) []string {
	out := []string{string(events.VerifiedByManifest), string(events.VerifiedByDataSync)}
	if startOnSettled {
		out = append(out, string(events.VerifiedBySettled))
	}
	return out
}

// deadLetterQueue creates DeadLetterQueue, once: the rules' undelivered
// events wait there.
func (w *Workflow) deadLetterQueue(path string) awssqs.IQueue {
	if w.DeadLetterQueue != nil {
		return w.DeadLetterQueue
	}
	dlq := awssqs.NewQueue(w, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: w.queueKey(path),
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
		RedriveAllowPolicy:  secure.DeadLetterRedrive(),
	})
	w.DeadLetterQueue = dlq
	nag.SuppressDeferred(dlq, nag.Rule{ID: "AwsSolutions-SQS3", Reason: "This queue is itself a dead-letter queue: RunIngested events EventBridge could not deliver to the workflow."})
	return dlq
}

// newRule starts the Starter with the detail of each RunIngested event on
// the platform bus whose verification the workflow accepts or, without
// the glue, of each event of Props.StartPattern on Props.StartBus.
func (w *Workflow) newRule(path string) {
	p := &w.p
	dlq := w.deadLetterQueue(path)
	if p.Glue == nil {
		w.Rule = awsevents.NewRule(w, jsii.String("StartRule"), &awsevents.RuleProps{
			Description:  jsii.String("Events of the start pattern start the " + p.Name + " workflow (through its Starter)"),
			EventBus:     p.StartBus,
			EventPattern: p.StartPattern,
		})
		w.targetStarter(dlq)
		return
	}
	pattern := &awsevents.EventPattern{
		Source:     jsii.Strings(events.SourceVerify),
		DetailType: jsii.Strings(events.DetailTypeRunIngested),
	}
	// Processing starts on verified data only: a run verified against its
	// manifest or by a successful DataSync task execution, and one that
	// merely settled only where the environment opts in.
	detail := map[string]interface{}{"verifiedBy": VerifiedByAccepted(p.StartOnSettled)}
	if len(p.Profiles) > 0 {
		detail["profile"] = p.Profiles
	}
	pattern.Detail = &detail
	w.Rule = awsevents.NewRule(w, jsii.String("RunIngestedRule"), &awsevents.RuleProps{
		Description:  jsii.String("RunIngested events start the " + p.Name + " workflow (through its Starter)"),
		EventBus:     p.Glue.PlatformBus(),
		EventPattern: pattern,
	})
	w.targetStarter(dlq)
}

// targetStarter makes Rule start the Starter with the event's detail.
func (w *Workflow) targetStarter(dlq awssqs.IQueue) {
	w.Rule.AddTarget(awseventstargets.NewSfnStateMachine(w.Starter, &awseventstargets.SfnStateMachineProps{
		Input:           awsevents.RuleTargetInput_FromEventPath(jsii.String("$.detail")),
		DeadLetterQueue: dlq,
		RetryAttempts:   jsii.Number(185),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
	}))
	nag.SuppressDeferred(w.Starter.Node().FindChild(jsii.String("EventsRole")), nag.InAllPacks("The role EventBridge assumes to start this workflow's Starter; its policy, generated by CDK, "+
		"allows states:StartExecution on the Starter only and lives and dies with the role.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
}

func retry(t awsstepfunctions.TaskStateBase, errs []string, interval float64, attempts int) {
	t.AddRetry(&awsstepfunctions.RetryProps{
		Errors:         jsii.Strings(errs...),
		Interval:       awscdk.Duration_Seconds(jsii.Number(interval)),
		MaxAttempts:    jsii.Number(float64(attempts)),
		BackoffRate:    jsii.Number(2),
		JitterStrategy: awsstepfunctions.JitterType_FULL,
	})
}

// notifyThenFail publishes message to the workflow's topic under subject
// (SNS errors retried) and then goes to fail, also when publishing fails
// (the publishing error at $.notifyFailure): a failure is never hidden by
// its notification.
func (w *Workflow) notifyThenFail(scope constructs.Construct, id, subject string, message map[string]interface{}, fail awsstepfunctions.Fail) awsstepfunctionstasks.SnsPublish {
	n := awsstepfunctionstasks.NewSnsPublish(scope, jsii.String(id), &awsstepfunctionstasks.SnsPublishProps{
		Topic:      w.Topic,
		Subject:    jsii.String(subject),
		Message:    awsstepfunctions.TaskInput_FromObject(&message),
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	retry(n, SNSErrors, 5, 5)
	n.AddCatch(fail, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.notifyFailure")})
	n.Next(fail)
	return n
}

// definition builds:
//
//	HasPartner? (no "partner" in the detail -> NoPartner: "none")
//	-> PrepareRun (inputUri, outputUri)
//	-> RestoreInputs (restore Lambda, .waitForTaskToken; unless SkipRestore)
//	-> ListSamples (samples Lambda: the sample sheet's samples, or [runId]);
//	   without Glue, HasSamples: the input's "samples" (TakeSamples), or [runId] (OneItem)
//	-> CheckSampleCount (more than MaxSamples -> TooManySamples -> NotifyFailed;
//	   without Glue also none, or not strings -> NoSamples -> NotifyFailed)
//	-> ProcessSamples (Map over $.sampleList.samples): Run<Step> (Batch .sync) ... ; any failure -> StepFailed
//	-> RecordResults (DynamoDB) -> CatalogResults (events:putEvents WorkflowSucceeded on the platform bus); with Glue only
//	-> NotifySucceeded (SNS) -> WorkflowSucceeded
//
// Failures of RestoreInputs, ProcessSamples and CatalogResults go to
// NotifyFailed (SNS) -> WorkflowFailed. With Props.Lustre, the per-run
// file system's states (fsxStates) surround the Map, and every failure
// once it exists goes to its deletion first.
//
// Failures of ListSamples (an unreadable or invalid sample sheet) go to
// NotifyFailed too: a run is never processed with a wrong sample list.
func (w *Workflow) definition() awsstepfunctions.IChainable {
	p := &w.p
	failed, notifyFailed := w.failureStates()
	catchFailed := func(t awsstepfunctions.TaskStateBase) {
		t.AddCatch(notifyFailed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.failure")})
	}

	start, prepare := w.prepareStates()
	var chain awsstepfunctions.INextable = prepare
	if !p.SkipRestore {
		restore := w.restoreState()
		catchFailed(restore)
		prepare.Next(restore)
		chain = restore
	}
	checkSamples := w.sampleStates(chain, catchFailed, notifyFailed)

	// The end: record and announce the results (with the glue), notify.
	var record, catalog awsstepfunctions.TaskStateBase
	if p.Glue != nil {
		record, catalog = w.resultStates()
	}
	notify := w.notifySucceededStates()
	success := awsstepfunctions.IChainable(notify)
	if record != nil {
		success = record
	}

	// With a per-run file system, every failure once it exists goes to its
	// deletion, which then reports the outcome.
	var fsx *fsxFlow
	afterMapFailure := awsstepfunctions.IChainable(notifyFailed)
	if p.Lustre != nil {
		var afterExport awsstepfunctions.IChainable
		if record != nil {
			afterExport = record
		}
		fsx = w.fsxStates(notifyFailed, afterExport, notify, failed)
		afterMapFailure = fsx.delete
		checkSamples.Otherwise(fsx.create)
		if record != nil {
			for _, t := range []awsstepfunctions.TaskStateBase{record, catalog} {
				t.AddCatch(fsx.delete, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.failure")})
			}
			catalog.Next(fsx.delete)
		}
	} else if record != nil {
		catchFailed(record)
		catchFailed(catalog)
		catalog.Next(notify)
	}

	samples := w.mapState()
	samples.AddCatch(afterMapFailure, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.failure")})
	if fsx != nil {
		fsx.mount.Next(samples)
		samples.Next(fsx.export)
	} else {
		checkSamples.Otherwise(samples)
		samples.Next(success)
	}
	return start
}

// failureStates builds the end of a failed run: NotifyFailed (SNS, the
// run's error from $.failure) -> WorkflowFailed.
func (w *Workflow) failureStates() (awsstepfunctions.Fail, awsstepfunctionstasks.SnsPublish) {
	p := &w.p
	failed := awsstepfunctions.NewFail(w, jsii.String(StateFailed), &awsstepfunctions.FailProps{
		Comment:   jsii.String("The workflow failed; the notification topic was told why"),
		ErrorPath: jsii.String("$.failure.Error"),
		CausePath: jsii.String("$.failure.Cause"),
	})
	notifyFailed := w.notifyThenFail(w, StateNotifyFailed, "biolake workflow "+p.Name+" failed", map[string]interface{}{
		"workflow":    p.Name,
		"status":      "FAILED",
		"runId":       awsstepfunctions.JsonPath_StringAt(jsii.String("$.runId")),
		"executionId": awsstepfunctions.JsonPath_StringAt(jsii.String("$$.Execution.Id")),
		"error":       awsstepfunctions.JsonPath_StringAt(jsii.String("$.failure.Error")),
		"cause":       awsstepfunctions.JsonPath_StringAt(jsii.String("$.failure.Cause")),
	}, failed)
	return failed, notifyFailed
}

// prepareStates builds the start: HasPartner (NoPartner tags partner
// "none") -> PrepareRun, which keeps the run's fields and adds the input
// and output URIs. It returns the first state and PrepareRun.
func (w *Workflow) prepareStates() (awsstepfunctions.IChainable, awsstepfunctions.Pass) {
	p := &w.p
	results := *p.Lake.Bucket(datalake.BucketResults).BucketName()
	noPartner := awsstepfunctions.NewPass(w, jsii.String(StateNoPartner), &awsstepfunctions.PassProps{
		Comment:    jsii.String("Runs that did not come from a partner are tagged partner=none"),
		Result:     awsstepfunctions.Result_FromString(jsii.String(events.PartnerNone)),
		ResultPath: jsii.String("$.partner"),
	})
	run := map[string]interface{}{
		"runId.$":     "$.runId",
		"bucket.$":    "$.bucket",
		"prefix.$":    "$.prefix",
		"profile.$":   "$.profile",
		"partner.$":   "$.partner",
		"inputUri.$":  "States.Format('s3://{}/{}', $.bucket, $.prefix)",
		"outputUri.$": "States.Format('s3://" + results + "/" + ResultsPrefix + p.Name + "/{}/', $.runId)",
		"project":     p.Project,
	}
	if p.Glue == nil {
		// Started directly or by the user's events: no profile, and the
		// samples may come with the input (sampleStates).
		delete(run, "profile.$")
		run["input.$"] = "$"
	}
	if p.Lustre != nil {
		run["lustreResultsUri.$"] = p.Lustre.RunResultsURIExpression("$.runId")
	}
	prepare := awsstepfunctions.NewPass(w, jsii.String(StatePrepare), &awsstepfunctions.PassProps{
		Comment:    jsii.String("Where the run's inputs are and where its results go"),
		Parameters: &run,
	})
	choice := awsstepfunctions.NewChoice(w, jsii.String(StatePartner), nil).
		When(awsstepfunctions.Condition_IsPresent(jsii.String("$.partner")), prepare, nil).
		Otherwise(noPartner.Next(prepare))
	return choice, prepare
}

// restoreState builds RestoreInputs: the glue's restore function, which
// reports back with the task token (retried on Lambda's service errors).
func (w *Workflow) restoreState() awsstepfunctionstasks.LambdaInvoke {
	p := &w.p
	restore := awsstepfunctionstasks.NewLambdaInvoke(w, jsii.String(StateRestore), &awsstepfunctionstasks.LambdaInvokeProps{
		Comment:            jsii.String("Restore the run's archived objects; the restore function reports back with the task token"),
		LambdaFunction:     p.Glue.RestoreFunction(),
		IntegrationPattern: awsstepfunctions.IntegrationPattern_WAIT_FOR_TASK_TOKEN,
		Payload: awsstepfunctions.TaskInput_FromObject(&map[string]interface{}{
			"taskToken":   awsstepfunctions.JsonPath_TaskToken(),
			"runId":       awsstepfunctions.JsonPath_StringAt(jsii.String("$.runId")),
			"bucket":      awsstepfunctions.JsonPath_StringAt(jsii.String("$.bucket")),
			"prefix":      awsstepfunctions.JsonPath_StringAt(jsii.String("$.prefix")),
			"tier":        string(p.RestoreTier),
			"days":        p.RestoreDays,
			"executionId": awsstepfunctions.JsonPath_StringAt(jsii.String("$$.Execution.Id")),
		}),
		ResultPath:               jsii.String("$.restore"),
		RetryOnServiceExceptions: jsii.Bool(false),
		TaskTimeout:              awsstepfunctions.Timeout_Duration(awscdk.Duration_Seconds(jsii.Number(RestoreTimeout.Seconds()))),
	})
	retry(restore, eventglue.LambdaServiceErrors, 2, 6)
	return restore
}

// sampleStates builds the items of the Map at $.sampleList.samples, after
// prev: with the glue, ListSamples (the run's sample sheet, or the run as
// one item); without, the input's "samples" (TakeSamples) or the run as
// one item (OneItem). Then CheckSampleCount, which fails runs with more
// than MaxSamples (and, without the glue, runs whose samples are empty or
// not strings); its Otherwise is left to the caller.
func (w *Workflow) sampleStates(prev awsstepfunctions.INextable, catchFailed func(awsstepfunctions.TaskStateBase), notifyFailed awsstepfunctions.IChainable) awsstepfunctions.Choice {
	p := &w.p
	var listed []awsstepfunctions.INextable
	if p.Glue != nil {
		listSamples := awsstepfunctionstasks.NewLambdaInvoke(w, jsii.String(StateListSamples), &awsstepfunctionstasks.LambdaInvokeProps{
			Comment:        jsii.String("Read the run's sample sheet (SampleSheet.csv or samplesheet.csv): one Map item per sample, or the run as one item"),
			LambdaFunction: p.Glue.SamplesFunction(),
			Payload: awsstepfunctions.TaskInput_FromObject(&map[string]interface{}{
				"runId":  awsstepfunctions.JsonPath_StringAt(jsii.String("$.runId")),
				"bucket": awsstepfunctions.JsonPath_StringAt(jsii.String("$.bucket")),
				"prefix": awsstepfunctions.JsonPath_StringAt(jsii.String("$.prefix")),
			}),
			ResultSelector: &map[string]interface{}{
				"samples.$": "$.Payload.samples",
				"source.$":  "$.Payload.source",
			},
			ResultPath:               jsii.String("$.sampleList"),
			RetryOnServiceExceptions: jsii.Bool(false),
			TaskTimeout:              awsstepfunctions.Timeout_Duration(awscdk.Duration_Minutes(jsii.Number(2))),
		})
		retry(listSamples, append(append([]string{}, eventglue.LambdaServiceErrors...), SamplesStorageError), 2, 6)
		catchFailed(listSamples)
		prev.Next(listSamples)
		listed = append(listed, listSamples)
	} else {
		take := awsstepfunctions.NewPass(w, jsii.String(StateTakeSamples), &awsstepfunctions.PassProps{
			Comment:    jsii.String("The input's samples: one Map item each"),
			Parameters: &map[string]interface{}{"samples.$": "$.input.samples", "source": SourceInput},
			ResultPath: jsii.String("$.sampleList"),
		})
		one := awsstepfunctions.NewPass(w, jsii.String(StateOneItem), &awsstepfunctions.PassProps{
			Comment:    jsii.String("No samples in the input: the run is the one Map item"),
			Parameters: &map[string]interface{}{"samples.$": "States.Array($.runId)", "source": SourceRun},
			ResultPath: jsii.String("$.sampleList"),
		})
		prev.Next(awsstepfunctions.NewChoice(w, jsii.String(StateHasSamples), &awsstepfunctions.ChoiceProps{
			Comment: jsii.String("Samples in the input, or the run as one item"),
		}).When(awsstepfunctions.Condition_IsPresent(jsii.String("$.input.samples")), take, nil).Otherwise(one))
		listed = append(listed, take, one)
	}
	// MaxSamples bounds the Map's waves, which the timeout was checked
	// against (Budget): a run with more samples fails here.
	tooMany := awsstepfunctions.NewPass(w, jsii.String(StateTooManySamples), &awsstepfunctions.PassProps{
		Comment: jsii.String("The sample sheet lists more samples than the workflow takes (maxSamples)"),
		Parameters: &map[string]interface{}{
			"Error":   ErrTooManySamples,
			"Cause.$": fmt.Sprintf("States.Format('the sample sheet lists {} samples; the %s workflow takes at most %d per run (maxSamples)', States.ArrayLength($.sampleList.samples))", p.Name, p.MaxSamples),
		},
		ResultPath: jsii.String("$.failure"),
	})
	tooMany.Next(notifyFailed)
	checkSamples := awsstepfunctions.NewChoice(w, jsii.String(StateCheckSamples), &awsstepfunctions.ChoiceProps{
		Comment: jsii.String(fmt.Sprintf("At most %d samples (maxSamples)", p.MaxSamples)),
	}).When(awsstepfunctions.Condition_IsPresent(jsii.String(fmt.Sprintf("$.sampleList.samples[%d]", p.MaxSamples))), tooMany, nil)
	if p.Glue == nil {
		// The input's samples are checked as the samples function checks
		// a sheet's: at least one, and names (strings).
		noSamples := awsstepfunctions.NewPass(w, jsii.String(StateNoSamples), &awsstepfunctions.PassProps{
			Comment: jsii.String("The input's samples are empty or not strings"),
			Parameters: &map[string]interface{}{
				"Error": ErrNoSamples,
				"Cause": "the input's \"samples\" must be a non-empty array of sample names (strings), or absent for the run as one item",
			},
			ResultPath: jsii.String("$.failure"),
		})
		noSamples.Next(notifyFailed)
		// Two rules, in order: IsString on a missing path is a runtime
		// error, not false.
		first := jsii.String("$.sampleList.samples[0]")
		checkSamples.When(awsstepfunctions.Condition_Not(awsstepfunctions.Condition_IsPresent(first)), noSamples, nil).
			When(awsstepfunctions.Condition_Not(awsstepfunctions.Condition_IsString(first)), noSamples, nil)
	}
	for _, l := range listed {
		l.Next(checkSamples)
	}
	return checkSamples
}

// resultStates builds RecordResults (the results' item in the catalog
// table, keyed by run, workflow and execution: a retried write rewrites
// the same item) -> CatalogResults (WorkflowSucceeded on the platform
// bus). The caller chains CatalogResults and adds the catches.
func (w *Workflow) resultStates() (record, catalog awsstepfunctions.TaskStateBase) {
	p := &w.p
	cat := awsstepfunctionstasks.NewEventBridgePutEvents(w, jsii.String(StateCatalog), &awsstepfunctionstasks.EventBridgePutEventsProps{
		Comment: jsii.String("Announce the run's results on the platform bus (the catalog records them)"),
		Entries: &[]*awsstepfunctionstasks.EventBridgePutEventsEntry{{
			EventBus:   p.Glue.PlatformBus(),
			Source:     jsii.String(events.SourceWorkflow),
			DetailType: jsii.String(events.DetailTypeWorkflowSucceeded),
			// An events.WorkflowSucceeded; TestCatalogDetailMatchesSchema
			// holds it to the schema.
			Detail: awsstepfunctions.TaskInput_FromObject(&map[string]interface{}{
				"schemaVersion": events.SchemaVersion,
				"workflow":      p.Name,
				"project":       p.Project,
				"runId":         awsstepfunctions.JsonPath_StringAt(jsii.String("$.runId")),
				"partner":       awsstepfunctions.JsonPath_StringAt(jsii.String("$.partner")),
				"outputUri":     awsstepfunctions.JsonPath_StringAt(jsii.String("$.outputUri")),
				"executionId":   awsstepfunctions.JsonPath_StringAt(jsii.String("$$.Execution.Id")),
			}),
		}},
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	retry(cat, EventBridgeErrors, 2, 6)

	resultItem := map[string]awsstepfunctionstasks.DynamoAttributeValue{
		"pk":          awsstepfunctionstasks.DynamoAttributeValue_FromString(awsstepfunctions.JsonPath_Format(jsii.String("RUN#{}"), awsstepfunctions.JsonPath_StringAt(jsii.String("$.runId")))),
		"sk":          awsstepfunctionstasks.DynamoAttributeValue_FromString(awsstepfunctions.JsonPath_Format(jsii.String("RESULT#"+p.Name+"#{}"), awsstepfunctions.JsonPath_StringAt(jsii.String("$$.Execution.Name")))),
		"workflow":    awsstepfunctionstasks.DynamoAttributeValue_FromString(jsii.String(p.Name)),
		"project":     awsstepfunctionstasks.DynamoAttributeValue_FromString(jsii.String(p.Project)),
		"partner":     awsstepfunctionstasks.DynamoAttributeValue_FromString(awsstepfunctions.JsonPath_StringAt(jsii.String("$.partner"))),
		"outputUri":   awsstepfunctionstasks.DynamoAttributeValue_FromString(awsstepfunctions.JsonPath_StringAt(jsii.String("$.outputUri"))),
		"executionId": awsstepfunctionstasks.DynamoAttributeValue_FromString(awsstepfunctions.JsonPath_StringAt(jsii.String("$$.Execution.Id"))),
		"completedAt": awsstepfunctionstasks.DynamoAttributeValue_FromString(awsstepfunctions.JsonPath_StringAt(jsii.String("$$.State.EnteredTime"))),
		"samples":     awsstepfunctionstasks.DynamoAttributeValue_FromString(awsstepfunctions.JsonPath_JsonToString(awsstepfunctions.JsonPath_ObjectAt(jsii.String("$.sampleList.samples")))),
	}
	if p.Lustre != nil {
		resultItem["lustreResultsUri"] = awsstepfunctionstasks.DynamoAttributeValue_FromString(awsstepfunctions.JsonPath_StringAt(jsii.String("$.lustreResultsUri")))
	}
	rec := awsstepfunctionstasks.NewDynamoPutItem(w, jsii.String(StateRecordResults), &awsstepfunctionstasks.DynamoPutItemProps{
		Comment:    jsii.String("Record the run's results in the catalog table (pk RUN#<runId>, sk RESULT#<workflow>#<execution>)"),
		Table:      p.Glue.CatalogTable(),
		Item:       &resultItem,
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	retry(rec, DynamoDBErrors, 2, 6)
	rec.Next(cat)
	return rec, cat
}

// notifySucceededStates builds NotifySucceeded (SNS) -> WorkflowSucceeded;
// a failed notification ends in NotificationFailed.
func (w *Workflow) notifySucceededStates() awsstepfunctionstasks.SnsPublish {
	p := &w.p
	notifyErr := awsstepfunctions.NewFail(w, jsii.String(StateNotifyError), &awsstepfunctions.FailProps{
		Comment:   jsii.String("The results are written and announced, but the notification could not be sent"),
		ErrorPath: jsii.String("$.notifyFailure.Error"),
		CausePath: jsii.String("$.notifyFailure.Cause"),
	})
	message := map[string]interface{}{
		"workflow":    p.Name,
		"status":      "SUCCEEDED",
		"runId":       awsstepfunctions.JsonPath_StringAt(jsii.String("$.runId")),
		"outputUri":   awsstepfunctions.JsonPath_StringAt(jsii.String("$.outputUri")),
		"executionId": awsstepfunctions.JsonPath_StringAt(jsii.String("$$.Execution.Id")),
	}
	if p.Lustre != nil {
		// What the steps wrote under $FSX_PATH/results, exported.
		message["lustreResultsUri"] = awsstepfunctions.JsonPath_StringAt(jsii.String("$.lustreResultsUri"))
		message["fileSystemId"] = awsstepfunctions.JsonPath_StringAt(jsii.String(fileSystem))
	}
	notify := awsstepfunctionstasks.NewSnsPublish(w, jsii.String(StateNotify), &awsstepfunctionstasks.SnsPublishProps{
		Topic:      w.Topic,
		Subject:    jsii.String("biolake workflow " + p.Name + " succeeded"),
		Message:    awsstepfunctions.TaskInput_FromObject(&message),
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	retry(notify, SNSErrors, 5, 5)
	notify.AddCatch(notifyErr, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.notifyFailure")})
	notify.Next(awsstepfunctions.NewSucceed(w, jsii.String(StateSucceeded), nil))
	return notify
}

// mapState builds ProcessSamples, the Map over $.sampleList.samples, and
// in it the Batch steps for one item, in order; a failed step ends the
// item in StepFailed. The caller adds the Map's catch and next.
func (w *Workflow) mapState() awsstepfunctions.Map {
	p := &w.p
	stepFailed := awsstepfunctions.NewFail(w, jsii.String(StateStepFailed), &awsstepfunctions.FailProps{
		Comment:   jsii.String("A Batch step failed (its job definition has already retried host failures)"),
		ErrorPath: jsii.String("$.Error"),
		CausePath: jsii.String("$.Cause"),
	})
	var first awsstepfunctions.IChainable
	var last awsstepfunctions.INextable
	for _, s := range p.Steps {
		queue := p.Batch.JobQueueOf(s.Queue)
		env := map[string]string{"RUN_ID": "$.runId", "SAMPLE": "$.sample", "INPUT_URI": "$.inputUri", "OUTPUT_URI": "$.outputUri"}
		if p.Lustre != nil {
			env["FSX_PATH"] = "$.fsxPath"
		}
		task := w.Jobs[s.Name].RunJobState(w, stepStatePrefix+s.Name, batch.RunJobProps{
			Comment:     "Batch step " + s.Name + " of " + p.Name,
			JobName:     "biolake-" + p.Name + "-" + s.Name,
			Queue:       queue,
			Environment: env,
			// The same values as job parameters, for commands that take
			// them as Ref::runId, Ref::sample, Ref::inputUri, Ref::outputUri
			// (images without a shell to expand the variables).
			Parameters: map[string]string{"runId": "$.runId", "sample": "$.sample", "inputUri": "$.inputUri", "outputUri": "$.outputUri"},
			// Cost attribution; the job definitions propagate tags to the
			// ECS tasks.
			Tags: map[string]string{"runId": "$.runId", "partner": "$.partner", "project": p.Project, "workflow": p.Name},
		})
		w.stepQueues = append(w.stepQueues, stepQueue{job: w.Jobs[s.Name], queue: queue})
		task.AddRetry(&awsstepfunctions.RetryProps{
			Errors:         jsii.Strings(eventglue.BatchServiceErrors...),
			Interval:       awscdk.Duration_Seconds(jsii.Number(5)),
			MaxAttempts:    jsii.Number(5),
			BackoffRate:    jsii.Number(2),
			JitterStrategy: awsstepfunctions.JitterType_FULL,
		})
		task.AddCatch(stepFailed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL")})
		if last == nil {
			first = task
		} else {
			last.Next(task)
		}
		last = task
	}
	item := func(f string) string { return "$." + f }
	selector := map[string]interface{}{
		"sample.$":    "$$.Map.Item.Value",
		"runId.$":     item("runId"),
		"partner.$":   item("partner"),
		"inputUri.$":  item("inputUri"),
		"outputUri.$": item("outputUri"),
	}
	if p.Lustre != nil {
		selector["fsxPath.$"] = "States.Format('" + batch.LustrePath + "/{}', " + fileSystem + ")"
	}
	samples := awsstepfunctions.NewMap(w, jsii.String(StateMap), &awsstepfunctions.MapProps{
		Comment:        jsii.String("The Batch steps for each sample (or for the run, when it has no sample sheet)"),
		ItemsPath:      jsii.String("$.sampleList.samples"),
		MaxConcurrency: jsii.Number(float64(p.MapConcurrency)),
		ItemSelector:   &selector,
		ResultPath:     awsstepfunctions.JsonPath_DISCARD(),
	})
	samples.ItemProcessor(first, nil)
	return samples
}

// mountsPersistent reports whether a step on queue (default queue when
// "") mounts the Batch construct's persistent Lustre file system: when one
// is attached and the queue runs on EC2.
func mountsPersistent(q batch.IQueue, queue string) bool {
	if l := q.AttachedLustre(); l == nil || l.Mode() != lustre.ModePersistent {
		return false
	}
	c, err := q.Capacity(queue)
	return err == nil && !c.Fargate
}

// grantTopicKey lets sm publish to the SSE-KMS topic: SNS generates and
// decrypts the data key with the publisher's permissions, calling KMS
// through SNS (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html,
// "Allow a user to send messages to a topic with SSE").
func (w *Workflow) grantTopicKey(sm awsstepfunctions.StateMachine) {
	key := w.Topic.MasterKey()
	if key == nil {
		return
	}
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources: jsii.Strings(*key.KeyArn()),
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{
			"kms:ViaService": "sns." + *awscdk.Stack_Of(w).Region() + ".amazonaws.com",
		}},
	}))
}

// GrantStart lets grantee start executions of the workflow (a manual
// rerun of a run, with a RunIngested detail as input).
func (w *Workflow) GrantStart(grantee awsiam.IGrantable) awsiam.Grant {
	return w.StateMachine.GrantStartExecution(grantee)
}

// topicKey returns Props.TopicKey, or a new key for the topic.
func (w *Workflow) topicKey(path string) awskms.IKey {
	if w.p.TopicKey != nil {
		return w.p.TopicKey
	}
	return secure.NewKey(w, "TopicKey", &secure.KeyProps{Description: "biolake workflow " + path + ": notifications", Services: []secure.Service{secure.ServiceSNS}})
}

// queueKey returns Props.QueueKey, or a new key for the dead-letter queue.
func (w *Workflow) queueKey(path string) awskms.IKey {
	if w.p.QueueKey != nil {
		return w.p.QueueKey
	}
	return secure.NewKey(w, "QueueKey", &secure.KeyProps{
		Description: "biolake workflow " + path + ": dead-letter queue", Services: []secure.Service{secure.ServiceEvents},
	})
}

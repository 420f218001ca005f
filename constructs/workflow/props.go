package workflow

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"

	"github.com/biolake/biolake/constructs/archive"
	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/validation"
)

// Defaults and limits.
const (
	DefaultTimeout        = 7 * 24 * time.Hour
	MaxTimeout            = 365 * 24 * time.Hour // a Standard execution's limit
	DefaultMapConcurrency = 10
	// DefaultMaxSamples is the default of Props.MaxSamples: a 96-well
	// plate.
	DefaultMaxSamples = 96
	// MaxMaxSamples is the largest Props.MaxSamples: every sample adds
	// events per step to the execution's history, which Step Functions
	// limits to 25,000 events.
	MaxMaxSamples           = 1000
	DefaultRestoreDays      = archive.DefaultDays
	DefaultLogRetentionDays = 365
	// RestoreTimeout bounds the wait for archived inputs (Bulk retrievals
	// from Deep Archive take up to 48 hours).
	RestoreTimeout = 60 * time.Hour
)

// Step is one Batch job of a workflow, run for every item of the Map.
// The job gets RUN_ID, SAMPLE, INPUT_URI (s3://bucket/prefix/ of the run)
// and OUTPUT_URI (s3://results/workflows/<workflow>/<runId>/) in its
// environment, the same values as the job parameters runId, sample,
// inputUri and outputUri (a command may say Ref::inputUri), and /scratch on
// EC2 queues. With FSx for Lustre it also gets FSX_PATH and the file system
// under /fsx: the run's own file system (Props.Lustre), or on EC2 queues
// the persistent one attached to the Batch construct.
type Step struct {
	// Name of the step: a letter, then letters or digits, unique in the
	// workflow. It names the state ("Run<Name>") and the job definition
	// (construct id "<Workflow><Name>" under the Batch construct), which
	// are API. Required.
	Name string
	// Image of the container. Required.
	Image awsecs.ContainerImage
	// Command of the container. Default: the image's CMD.
	Command []string
	// VCPUs of the job. Default: 1.
	VCPUs float64
	// MemoryMiB of the job. Default: batch's default for the queue.
	MemoryMiB int
	// GPUs of the job, on a queue of GPU environments. Default: 0.
	GPUs int
	// Queue of the job, by name (batch.Props.Queues, or the Name of a
	// batch.ExistingQueue). Default: the Batch
	// construct's default queue.
	Queue string
	// Timeout of one attempt. Default: batch.DefaultJobTimeout (6h).
	Timeout time.Duration
	// Environment of the container, besides the variables above. Default:
	// none.
	Environment map[string]string
	// Reads are the data buckets the job's role may read (its inputs, and
	// reference data in curated); it writes only under the workflow's
	// prefix of the results bucket. Default: every data bucket
	// (datalake.DataBucketNames), since runs arrive in raw or partner.
	Reads []datalake.BucketName
}

// RestoreTier is a Glacier retrieval tier (archive.Tier, shared with
// eventglue).
type RestoreTier = archive.Tier

// Retrieval tiers.
const (
	RestoreBulk     = archive.Bulk
	RestoreStandard = archive.Standard
)

// Glue is what the event glue gives a workflow: the platform bus, the
// restore function (invoked with a task token), the samples function
// (the run's sample sheet) and the catalog table with its key.
// *eventglue.EventGlue implements it. Every method must return non-nil.
type Glue interface {
	PlatformBus() awsevents.IEventBus
	RestoreFunction() awslambda.IFunction
	SamplesFunction() awslambda.IFunction
	CatalogTable() awsdynamodb.ITable
	CatalogTableKey() awskms.IKey
}

// Props configures a workflow.
type Props struct {
	// Name of the workflow (for example "rnaseq"): a letter, then letters
	// or digits, at most 32. It is the results prefix
	// (workflows/<Name>/), the events' "workflow" field and the cost tag
	// "workflow". Required.
	Name string
	// Steps run in order for every item of the Map. Required, at least one.
	Steps []Step
	// Batch runs the steps; the job definitions are added to it: a
	// *batch.Queue (batch.New), or existing job queues
	// (batch.FromJobQueues). Required.
	Batch batch.IQueue
	// Glue provides the platform bus (RunIngested starts the workflow,
	// WorkflowSucceeded announces its results), the restore and samples
	// functions and the catalog table; *eventglue.EventGlue implements it.
	// Without it the workflow has no restore (SkipRestore must be true),
	// takes its samples from the input, records and announces nothing
	// (the topic is told), and is started by StartPattern or directly
	// (StartExecution; see the package doc for the input). Default: nil.
	Glue Glue
	// StartPattern, without Glue, starts the workflow (through its Starter,
	// once per run id) on the events of StartBus it matches, with the
	// event's detail as the input: the detail must hold runId, bucket and
	// prefix (strings), and may hold partner and samples (the package doc
	// gives the input). With Glue, RunIngested starts it and StartPattern
	// must be nil. Default: nil (no rule: start executions directly).
	StartPattern *awsevents.EventPattern
	// StartBus is the bus StartPattern's rule listens on. Only with
	// StartPattern. Default: the account's default event bus.
	StartBus awsevents.IEventBus
	// Lake holds the inputs (read on every data bucket) and the results
	// (write under workflows/<Name>/ of the results bucket). Required.
	Lake datalake.ILake
	// Profiles limits the workflow to RunIngested events of these
	// instrument profiles. Only with Glue. Default: every run.
	Profiles []string
	// StartOnSettled also starts the workflow on runs whose RunIngested
	// says verifiedBy "settled": runs with neither a manifest nor a
	// DataSync task execution to vouch for them, complete only because no
	// new object arrived for a settle window (docs/EVENTS.md). Default:
	// false (runs verified by their manifest or by DataSync only). Only
	// with Glue.
	StartOnSettled bool
	// SkipRestore leaves out the restore of archived inputs, for runs that
	// are never archived before processing; it must be true without Glue
	// (the restore is the glue's function). Default: false (restore).
	SkipRestore bool
	// RestoreTier of the restore: Bulk or Standard (package archive).
	// Default: Bulk.
	RestoreTier RestoreTier
	// RestoreDays a restored copy stays, 1 to 365 (archive.MaxDays).
	// Default: 7.
	RestoreDays int
	// Lustre, a lustre.ModePerRun construct, gives every run a SCRATCH_2
	// FSx for Lustre file system: created after the restore, linked to the
	// run's input (/raw) and to s3://<results>/<Lustre ResultsPrefix><runId>/
	// (/results), mounted by the Batch hosts, exported and deleted after the
	// Map whatever its outcome. Every step must then run on an EC2 queue
	// (Fargate cannot mount Lustre); it finds the file system at FSX_PATH.
	// The run's input must be in the raw bucket under the Lustre construct's
	// RawPrefix. Default: nil (no file system; jobs use the instances'
	// /scratch).
	Lustre *lustre.Lustre
	// LustreStorageGiB is the capacity of each run's file system: 1200 or a
	// multiple of 2400. Only with Lustre. Default: 1200.
	LustreStorageGiB int
	// MapConcurrency is how many items (samples) run at once, 1 to 1000.
	// Default: 10.
	MapConcurrency int
	// MaxSamples is the most items (samples) a run may have, 1 to 1000. A
	// run whose sample sheet lists more fails in TooManySamples
	// (ErrTooManySamples) before any compute starts. It bounds the Map's
	// waves, ceil(MaxSamples / MapConcurrency), and so the longest run that
	// Timeout must cover (Budget). Default: 96.
	MaxSamples int
	// Project is the "project" cost-allocation tag of every job. Default:
	// Name.
	Project string
	// Topic receives the success and failure notifications; the state
	// machine is granted its key (Topic.MasterKey) for publishing. Either
	// an existing topic or TopicKey for the one the construct creates, not
	// both. Default: a new KMS-encrypted, TLS-only topic.
	Topic awssns.ITopic
	// AlarmTopic receives the alarms (failed, timed-out and aborted
	// executions, failed starts, undeliverable RunIngested events); a
	// KMS-encrypted topic's key must let CloudWatch use it
	// (secure.ServiceSNS) and its policy must let the alarms publish
	// (secure.AllowAlarms). Default: Topic.
	AlarmTopic awssns.ITopic
	// LogKey encrypts the state machine's and the jobs' log groups; its
	// policy must allow secure.ServiceLogs. Default: a new key.
	LogKey awskms.IKey
	// TopicKey encrypts the topic the workflow creates (not with Topic);
	// an imported key's policy must let CloudWatch alarms
	// (cloudwatch.amazonaws.com) call kms:Decrypt and kms:GenerateDataKey*
	// for this account's topics, as secure.ServiceSNS does, since CDK
	// cannot edit an imported key's policy (the state machine gets an IAM
	// grant). Default: nil, and the construct creates a key with rotation
	// on.
	TopicKey awskms.IKey
	// QueueKey encrypts the dead-letter queue of the workflow's rules (the
	// rule that starts it, with Glue or StartPattern, and the cleanup rule,
	// with Lustre; not without one of them); an imported key's policy must let EventBridge
	// (events.amazonaws.com) call kms:GenerateDataKey* and kms:Decrypt for
	// this account, as secure.ServiceEvents does, since CDK cannot edit an
	// imported key's policy. Default: nil, and the construct creates a key
	// with rotation on.
	QueueKey awskms.IKey
	// LogRetentionDays of the log groups. Default: 365.
	LogRetentionDays int
	// Timeout of one execution, at most a year. It must cover Budget: the
	// restore, the file system's waits, every wave of the Map at its steps'
	// timeouts and attempts, the export and the deletion; Validate refuses
	// a shorter one, naming the numbers. Default: 7 days, or Budget rounded
	// up to the hour when that is longer.
	Timeout time.Duration
}

var (
	namePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,31}$`)
	tagPattern  = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$`)
)

// Validate checks p and returns every problem found, joined: the
// settings (ValidateSettings, the steps against the Batch compute) and the
// constructs. New panics with the same errors.
func (p *Props) Validate() error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Name, Steps, Batch and Lake set")
	}
	var errs []error
	// The field (Props.X) leads each message; several compare fields.
	bad := func(format string, a ...any) {
		errs = append(errs, &validation.Error{Problem: fmt.Sprintf(format, a...)})
	}
	for _, r := range []struct {
		field string
		nil   bool
	}{{"Batch", p.Batch == nil}, {"Lake", p.Lake == nil}} {
		if r.nil {
			bad("Props.%s is nil; accepted: the construct the workflow builds on", r.field)
		}
	}
	errs = append(errs, p.validateStart()...)
	var jobs jobChecker
	if p.Batch != nil {
		jobs = p.Batch
	}
	if err := p.validateSettings(jobs); err != nil {
		errs = append(errs, err)
	}
	if err := p.ValidateTimeout(p.Lustre != nil); err != nil {
		errs = append(errs, err)
	}
	switch {
	case p.Lustre == nil:
		if c := p.LustreStorageGiB; c != 0 {
			bad("Props.LustreStorageGiB is %d without Props.Lustre; accepted: 0, or set Props.Lustre", c)
		}
	case p.Lustre.Mode() != lustre.ModePerRun:
		bad("Props.Lustre is a %q construct; accepted: a lustre.ModePerRun construct (the workflow creates and deletes a file system per run), or nil", p.Lustre.Mode())
	default:
		if p.Batch != nil && p.Batch.AttachedLustre() != p.Lustre {
			bad("Props.Lustre is not attached to Props.Batch; accepted: the file system construct given to Batch.AttachLustre before workflow.New (its hosts mount the runs' file systems)")
		}
		if p.Batch != nil {
			for i, s := range p.Steps {
				if c, err := p.Batch.Capacity(s.Queue); err == nil && c.Fargate {
					bad("Props.Steps[%d] (%q): Queue %q is a Fargate queue; accepted with Props.Lustre: an EC2 queue (Fargate tasks cannot mount FSx for Lustre)", i, s.Name, s.Queue)
				}
			}
		}
	}
	return validation.Join("", errs...)
}

// validateStart checks how the workflow starts and what needs the glue.
func (p *Props) validateStart() []error {
	var errs []error
	bad := func(field string, value any, accepted string) {
		errs = append(errs, validation.New("", "Props."+field, value, accepted))
	}
	if p.Glue != nil {
		for _, m := range []struct {
			name string
			nil  bool
		}{
			{"PlatformBus", p.Glue.PlatformBus() == nil}, {"RestoreFunction", p.Glue.RestoreFunction() == nil},
			{"SamplesFunction", p.Glue.SamplesFunction() == nil}, {"CatalogTable", p.Glue.CatalogTable() == nil},
			{"CatalogTableKey", p.Glue.CatalogTableKey() == nil},
		} {
			if m.nil {
				bad("Glue", validation.Raw(m.name+"() is nil"), "a Glue whose every method returns non-nil (such as *eventglue.EventGlue), or nil")
			}
		}
		if p.StartPattern != nil {
			bad("StartPattern", validation.Raw("set with Props.Glue"), "nil with Props.Glue (RunIngested on the platform bus starts the workflow), or leave out Glue")
		}
		if p.StartBus != nil {
			bad("StartBus", validation.Raw("set with Props.Glue"), "nil with Props.Glue (the glue's platform bus is used)")
		}
		return errs
	}
	if !p.SkipRestore {
		bad("SkipRestore", false, "true without Props.Glue (the restore needs the glue's restore function), or set Props.Glue")
	}
	if len(p.Profiles) > 0 {
		bad("Profiles", p.Profiles, "empty without Props.Glue (profiles filter RunIngested events; put your filter in Props.StartPattern)")
	}
	if p.StartOnSettled {
		bad("StartOnSettled", true, "false without Props.Glue (it widens the RunIngested rule)")
	}
	if p.QueueKey != nil && p.StartPattern == nil && p.Lustre == nil {
		errs = append(errs, validation.New("", "Props.QueueKey", validation.Raw("set"),
			"QueueKey only together with Glue, StartPattern or Lustre (it encrypts the dead-letter queue of their rules; without them the workflow has none)"))
	}
	if p.StartBus != nil && p.StartPattern == nil {
		bad("StartPattern", validation.Raw("nil with Props.StartBus"), "the event pattern whose events of StartBus start the workflow, or leave out StartBus")
	}
	return errs
}

// ValidateSteps checks a workflow's steps against the Batch compute they
// run on (bp; nil checks only what does not depend on it): at least one
// step, unique names, a known queue for each, no GPU step on a CPU-only
// queue, vCPUs, memory and GPUs that the queue's instance types allow.
func ValidateSteps(steps []Step, bp *batch.Props) error {
	if bp == nil {
		return validateSteps(steps, nil)
	}
	return validateSteps(steps, bp)
}

// jobChecker checks a job against the queue it names: *batch.Props, or a
// batch.IQueue.
type jobChecker interface {
	ValidateJob(jp *batch.JobProps) error
}

// validateSteps is ValidateSteps against jobs (nil: what does not depend
// on the compute).
func validateSteps(steps []Step, jobs jobChecker) error {
	if len(steps) == 0 {
		return validation.New("", "Props.Steps", validation.Raw("empty"), "at least one step (name, image, queue, size)")
	}
	var errs []error
	var seen []string
	for i, s := range steps {
		at := fmt.Sprintf("Props.Steps[%d] (%q).", i, s.Name)
		if !namePattern.MatchString(s.Name) {
			errs = append(errs, validation.New("", at+"Name", s.Name, "a letter, then letters or digits, at most 32"))
		} else if slices.Contains(seen, s.Name) {
			errs = append(errs, &validation.Error{Field: at + "Name", Value: validation.Render(s.Name), Problem: "is used by an earlier step", Accepted: "unique step names"})
		}
		seen = append(seen, s.Name)
		for _, b := range s.Reads {
			if !slices.Contains(datalake.DataBucketNames(), b) {
				errs = append(errs, validation.New("", at+"Reads", string(b), "data buckets (%v)", datalake.DataBucketNames()))
			}
		}
		jp := s.jobProps()
		var err error
		if jobs != nil {
			err = jobs.ValidateJob(jp)
		} else if s.Image == nil {
			err = validation.New("", "JobProps.Image", validation.Raw("nil"), "a container image")
		}
		if err = validation.Join("", err); err != nil {
			var es validation.Errors
			var e *validation.Error
			switch {
			case errors.As(err, &es):
			case errors.As(err, &e):
				es = validation.Errors{e}
			}
			for _, e := range es {
				e.Field = at + strings.TrimPrefix(e.Field, "JobProps.")
			}
			errs = append(errs, err)
		}
	}
	return validation.Join("", errs...)
}

func (s Step) jobProps() *batch.JobProps {
	return &batch.JobProps{
		Queue: s.Queue, Image: s.Image, Command: s.Command, VCPUs: s.VCPUs, MemoryMiB: s.MemoryMiB,
		GPUs: s.GPUs, Timeout: s.Timeout, Environment: s.Environment,
	}
}

func (p *Props) withDefaults() Props {
	q := *p
	if q.RestoreTier == "" {
		q.RestoreTier = RestoreBulk
	}
	if q.RestoreDays == 0 {
		q.RestoreDays = DefaultRestoreDays
	}
	if q.MapConcurrency == 0 {
		q.MapConcurrency = DefaultMapConcurrency
	}
	if q.MaxSamples == 0 {
		q.MaxSamples = DefaultMaxSamples
	}
	if q.Project == "" {
		q.Project = q.Name
	}
	if q.LogRetentionDays == 0 {
		q.LogRetentionDays = DefaultLogRetentionDays
	}
	if q.Lustre != nil && q.LustreStorageGiB == 0 {
		q.LustreStorageGiB = lustre.DefaultStorageCapacityGiB
	}
	if q.Timeout == 0 {
		q.Timeout = DefaultTimeout
		if b := budget(q, q.Lustre != nil).Total; b > q.Timeout {
			q.Timeout = (b + time.Hour - 1).Truncate(time.Hour)
		}
	}
	return q
}

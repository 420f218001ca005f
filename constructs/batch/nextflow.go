package batch

import (
	"github.com/biolake/biolake/constructs/validation"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
)

// Nextflow defaults.
const (
	// DefaultNextflowImage is the head job's image: Nextflow itself, pinned.
	DefaultNextflowImage = "nextflow/nextflow:24.10.5"
	// NextflowPrefix is the results-bucket prefix of Nextflow runs: the
	// work directory (NextflowPrefix + "work/") and the outputs
	// (NextflowPrefix + "results/").
	NextflowPrefix = "nextflow/"
	// NextflowJobDefinitionPrefix: Nextflow registers one job definition
	// per task container, named "nf-<image>".
	NextflowJobDefinitionPrefix = "nf-"
	// nextflowHeadVCPUs and nextflowHeadMemoryMiB size the head job (a
	// JVM that submits and watches the tasks).
	nextflowHeadVCPUs     = 2
	nextflowHeadMemoryMiB = 8192
)

// NextflowProps configures the Nextflow support.
type NextflowProps struct {
	// Queue is the Batch compute the head job and the tasks run on.
	// Required.
	Queue *Queue
	// Lake: tasks and the head job read the data buckets and write under
	// NextflowPrefix of the results bucket. Required.
	Lake datalake.ILake
	// HeadQueue runs the head job (Nextflow itself, which must not be
	// reclaimed mid-run): a queue of Props.Queues. Default: "High" when the
	// queue has it, else the default queue.
	HeadQueue string
	// TaskQueue is where Nextflow submits the pipeline's tasks (its
	// process.queue). Default: the default queue.
	TaskQueue string
	// Image of the head job. Default: DefaultNextflowImage.
	Image string
	// LogKey encrypts the head job's and the tasks' log groups; its policy
	// must allow secure.ServiceLogs. Default: a new key.
	LogKey awskms.IKey
	// LogRetentionDays of the log groups. Default: 365.
	LogRetentionDays int
}

// Nextflow is what Nextflow's awsbatch executor needs: a head job
// definition that runs `nextflow run` with the executor configured, a task
// role for the job definitions Nextflow registers, a KMS-encrypted log
// group for the tasks, and the S3 work directory. docs/NEXTFLOW.md shows
// how to submit a pipeline. Create it with NewNextflow.
type Nextflow struct {
	constructs.Construct

	// Head is the head job definition, with its role and log group.
	Head *Job
	// TaskRole is the job role of the tasks (aws.batch.jobRole).
	TaskRole awsiam.Role
	// TaskLogGroup receives the tasks' output (aws.batch.logsGroup).
	TaskLogGroup awslogs.LogGroup
	// HeadQueueArn and TaskQueueArn are the queues' ARNs.
	HeadQueueArn string
	TaskQueueArn string
	// WorkDir is the S3 work directory (s3://<results>/nextflow/work).
	WorkDir string
	// OutputDir is where pipelines should publish (s3://<results>/nextflow/results).
	OutputDir string
}

// Validate checks p against its queue.
func (p *NextflowProps) Validate() error {
	if p == nil {
		return validation.New("", "NextflowProps", validation.Raw("nil"), "props with Queue and Lake set")
	}
	var errs []error
	if p.Queue == nil {
		errs = append(errs, validation.New("", "NextflowProps.Queue", validation.Raw("nil"), "the *batch.Queue the jobs run on"))
	}
	if p.Lake == nil {
		errs = append(errs, validation.New("", "NextflowProps.Lake", validation.Raw("nil"), "the datalake.ILake the pipelines read and write"))
	}
	if p.Queue != nil {
		for _, q := range []struct{ field, name string }{{"HeadQueue", p.HeadQueue}, {"TaskQueue", p.TaskQueue}} {
			if q.name != "" && p.Queue.JobQueues[q.name] == nil {
				errs = append(errs, validation.New("", "NextflowProps."+q.field, q.name, "a queue of the Batch construct (%s)", strings.Join(queueNames(p.Queue.props.Queues), ", ")))
			}
		}
		task := p.TaskQueue
		if task == "" {
			task = p.Queue.props.defaultQueue()
		}
		if c, err := p.Queue.props.Capacity(task); err == nil && c.Fargate {
			errs = append(errs, &validation.Error{Field: "NextflowProps.TaskQueue", Value: validation.Render(task), Problem: "a Fargate queue", Accepted: "a queue of EC2 environments (the tasks use the hosts' /scratch, and Lustre when attached)"})
		}
		if len(p.Queue.JobQueues) == 0 {
			errs = append(errs, &validation.Error{Field: "NextflowProps.Queue", Problem: "has no named queues", Accepted: "a Queue made with Props.Environments and Props.Queues"})
		}
	}
	if d := p.LogRetentionDays; d != 0 && !secure.IsLogRetention(d) {
		errs = append(errs, validation.New("", "NextflowProps.LogRetentionDays", d, "one of %s, or 0 for %d", validation.List(secure.LogRetentionValues), DefaultLogRetentionDays))
	}
	return validation.Join("", errs...)
}

// NewNextflow creates the Nextflow support. It panics, naming the construct
// path, when props are invalid.
func NewNextflow(scope constructs.Construct, id string, props *NextflowProps) *Nextflow {
	validation.Check(validation.PathOf(scope, id), props.Validate())
	p := *props
	q := p.Queue
	if p.HeadQueue == "" {
		p.HeadQueue = q.props.defaultQueue()
		if q.JobQueues["High"] != nil {
			p.HeadQueue = "High"
		}
	}
	if p.TaskQueue == "" {
		p.TaskQueue = q.props.defaultQueue()
	}
	if p.Image == "" {
		p.Image = DefaultNextflowImage
	}
	if p.LogRetentionDays == 0 {
		p.LogRetentionDays = DefaultLogRetentionDays
	}
	n := &Nextflow{}
	constructs.NewConstruct_Override(n, scope, jsii.String(id))
	var c constructs.Construct = n
	// The head job submits the pipeline's tasks to Batch.
	q.props.Network.Require(n, network.EndpointBatch)
	stack := awscdk.Stack_Of(c)
	if p.LogKey == nil {
		p.LogKey = secure.NewKey(c, "LogKey", &secure.KeyProps{Description: "biolake Nextflow " + *c.Node().Path() + ": log groups", Services: []secure.Service{secure.ServiceLogs}})
	}
	results := *p.Lake.Bucket(datalake.BucketResults).BucketName()
	n.WorkDir = "s3://" + results + "/" + NextflowPrefix + "work"
	n.OutputDir = "s3://" + results + "/" + NextflowPrefix + "results"
	n.HeadQueueArn = *q.JobQueues[p.HeadQueue].JobQueueArn()
	n.TaskQueueArn = *q.JobQueues[p.TaskQueue].JobQueueArn()

	n.TaskLogGroup = awslogs.NewLogGroup(c, jsii.String("TaskLogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: p.LogKey,
		Retention:     secure.RetentionDays(p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	n.TaskRole = awsiam.NewRole(c, jsii.String("TaskRole"), &awsiam.RoleProps{
		AssumedBy:   ecsTasksPrincipal(stack),
		Description: jsii.String("biolake Nextflow tasks " + *c.Node().Path() + ": read the data buckets, write under " + NextflowPrefix + " of results"),
	})
	GrantLake(n.TaskRole, p.Lake, presentDataBuckets(p.Lake), "", NextflowPrefix)

	n.Head = q.AddJob("NextflowHead", &JobProps{
		Queue:     p.HeadQueue,
		Image:     ImageFromRef(c, p.Image),
		Command:   []string{"sh", "-c", nextflowLauncher},
		VCPUs:     nextflowHeadVCPUs,
		MemoryMiB: nextflowHeadMemoryMiB,
		// A run takes as long as the pipeline; Batch's attempt limit is
		// the guard against a head that hangs.
		Timeout:                 MaxNextflowRun,
		Attempts:                1,
		LogKey:                  p.LogKey,
		LogRetentionDays:        p.LogRetentionDays,
		ReadWriteRootFilesystem: true, // Nextflow writes $HOME/.nextflow and its cache
		Environment: map[string]string{
			"BIOLAKE_REGION":     *stack.Region(),
			"BIOLAKE_TASK_QUEUE": n.TaskQueueArn,
			"BIOLAKE_TASK_ROLE":  *n.TaskRole.RoleArn(),
			"BIOLAKE_TASK_LOGS":  *n.TaskLogGroup.LogGroupName(),
			"BIOLAKE_WORK_DIR":   n.WorkDir,
			"BIOLAKE_OUTPUT_DIR": n.OutputDir,
			"BIOLAKE_VOLUMES":    strings.Join(taskVolumes(q), ","),
		},
	})
	head := n.Head.JobRole
	GrantLake(head, p.Lake, presentDataBuckets(p.Lake), "", NextflowPrefix)
	arn := func(resource string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("batch"), Resource: jsii.String(resource), ResourceName: jsii.String("*")})
	}
	jobDefs := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("batch"), Resource: jsii.String("job-definition"), ResourceName: jsii.String(NextflowJobDefinitionPrefix + "*")})
	statements := []*awsiam.PolicyStatementProps{
		{Sid: jsii.String("RegisterTaskDefinitions"), Actions: jsii.Strings("batch:RegisterJobDefinition", "batch:TagResource"), Resources: jsii.Strings(jobDefs)},
		{Sid: jsii.String("SubmitTasks"), Actions: jsii.Strings("batch:SubmitJob"), Resources: jsii.Strings(n.TaskQueueArn, jobDefs)},
		{Sid: jsii.String("ManageTasks"), Actions: jsii.Strings("batch:TerminateJob", "batch:CancelJob", "batch:TagResource"), Resources: jsii.Strings(arn("job"))},
		{Sid: jsii.String("DescribeBatch"), Actions: jsii.Strings("batch:DescribeJobs", "batch:DescribeJobDefinitions", "batch:DescribeJobQueues", "batch:DescribeComputeEnvironments", "batch:ListJobs"), Resources: jsii.Strings("*")},
		{Sid: jsii.String("PassTaskRole"), Actions: jsii.Strings("iam:PassRole"), Resources: jsii.Strings(*n.TaskRole.RoleArn())},
		{Sid: jsii.String("ReadTaskLogs"), Actions: jsii.Strings("logs:GetLogEvents", "logs:FilterLogEvents"), Resources: jsii.Strings(*n.TaskLogGroup.LogGroupArn())},
	}
	for _, st := range statements {
		head.AddToPrincipalPolicy(awsiam.NewPolicyStatement(st))
	}
	nag.SuppressDeferred(head, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "Nextflow's head job registers one job definition per task image (named " + NextflowJobDefinitionPrefix + "*, revisions unknown), " +
			"submits, tags and stops tasks whose job ids are generated (job/*), and describes jobs, definitions, queues and environments, which " +
			"take no resource; it reads the task log group's streams (<arn>:*).",
		AppliesToRegex: []string{
			`/^Resource::arn:` + nag.ArnScope + `:batch:` + nag.RegionScope + `:` + nag.AccountScope + `:(job|job-definition)\/(` + NextflowJobDefinitionPrefix + `)?\*$/`,
			`/^Resource::\*$/`, `/^Resource::<.+\.Arn>:\*$/`,
		},
	})
	nag.SuppressDeferred(head, nag.InAllPacks("The Nextflow head job role's inline policy is scoped to this deployment's task queue, task role, "+
		"task log group and nf-* job definitions, and lives and dies with the role.", "HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(n.TaskRole, nag.InAllPacks("The Nextflow task role's inline policy is the data-lake grant of the tasks (read data, write under "+
		NextflowPrefix+"), generated by the lake's grant methods; it lives and dies with the role.", "HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	return n
}

// MaxNextflowRun is the head job's attempt timeout.
const MaxNextflowRun = 14 * 24 * time.Hour

// taskVolumes are the host paths Nextflow's tasks mount (aws.batch.volumes):
// the scratch volume, and a persistent Lustre file system when attached.
func taskVolumes(q *Queue) []string {
	v := []string{ScratchPath}
	if q.Lustre != nil && q.Lustre.Mode() == lustre.ModePersistent {
		v = append(v, LustrePath)
	}
	return v
}

// nextflowLauncher writes the awsbatch configuration from the job's
// environment to $HOME/.nextflow/config, which Nextflow always reads, then
// runs the pipeline NXF_PIPELINE with NXF_ARGS (split on spaces), both set
// at submission.
const nextflowLauncher = `set -eu
: "${NXF_PIPELINE:?set NXF_PIPELINE (the pipeline to run, e.g. nf-core/rnaseq) in the job's environment}"
mkdir -p "$HOME/.nextflow"
cat > "$HOME/.nextflow/config" <<EOF
process.executor = 'awsbatch'
process.queue = '$BIOLAKE_TASK_QUEUE'
aws.region = '$BIOLAKE_REGION'
aws.batch.jobRole = '$BIOLAKE_TASK_ROLE'
aws.batch.logsGroup = '$BIOLAKE_TASK_LOGS'
workDir = '$BIOLAKE_WORK_DIR'
aws.batch.volumes = '$BIOLAKE_VOLUMES'
EOF
exec nextflow run "$NXF_PIPELINE" ${NXF_ARGS:-}`

// GrantSubmit lets grantee (a scientist's role, a scheduler) start Nextflow
// runs: submit the head job definition to the head queue.
func (n *Nextflow) GrantSubmit(grantee awsiam.IGrantable) awsiam.Grant {
	return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("batch:SubmitJob"),
		ResourceArns: jsii.Strings(n.HeadQueueArn, *n.Head.Definition.JobDefinitionArn()),
	})
}

// presentDataBuckets returns the data buckets the lake has.
func presentDataBuckets(lake datalake.ILake) []datalake.BucketName {
	var out []datalake.BucketName
	for _, b := range datalake.DataBucketNames() {
		if lake.Has(b) {
			out = append(out, b)
		}
	}
	return out
}

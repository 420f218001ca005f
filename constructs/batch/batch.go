// Package batch provides biolake's AWS Batch compute. By default it is the
// minimal one the event glue needs: a Fargate compute environment in the
// network's private subnets, a job queue in front of it, and job definitions
// for container images (ARM64 Fargate, KMS-encrypted logs, retries on host
// and infrastructure failures only).
//
// With Props.Environments and Props.Queues it is HPC compute for the
// workflows: CPU Spot (SPOT_PRICE_CAPACITY_OPTIMIZED), CPU on-demand (Intel
// or Graviton), GPU (g5/g6 on the ECS_AL2023_NVIDIA AMI) and Fargate
// environments, each EC2 one with a launch template that requires IMDSv2
// (hop limit 1: containers cannot reach the instance role) and gives encrypted gp3 root and /scratch volumes, behind
// job queues by priority (DefaultEnvironments, DefaultQueues). Jobs name
// their queue (JobProps.Queue); Props.ValidateJob checks that they fit it.
//
//	q := batch.New(stack, "Batch", &batch.Props{Network: net})
//	image, _ := batch.RepoImage(batch.VerifierDockerfile)
//	job := q.AddJob("Verify", &batch.JobProps{Image: image, VCPUs: 2, MemoryMiB: 4096})
//	lake.GrantRead(job.JobRole, datalake.BucketRaw, "")
//
// Jobs run with a job role that has no permissions until granted, and an
// execution role that may only pull the image and write the job's logs.
//
// AWS Batch publishes no metric of failed jobs: each job queue gets a rule
// without target on its FAILED "Batch Job State Change" events, and
// MetricJobsFailed (MetricQueueJobsFailed by queue name) is that rule's
// AWS/Events MatchedEvents. See docs/METRICS.md.
//
// Every key can be supplied instead of created: Props.VolumeKey (the EC2
// instances' volumes), JobProps.LogKey (a job's log group) and
// NextflowProps.LogKey. The construct cannot edit an imported key's
// policy; each prop's doc names the statements the key must carry.
// FromJobQueuesProps.LogKey is the log key of imported queues' jobs.
//
// A lab with its own AWS Batch job queues brings them with FromJobQueues:
// it creates the job definitions (for Fargate or EC2, by each queue's
// Platform), job roles and log groups, and no compute environment, queue
// or launch template. Both it and New's *Queue are an IQueue, which is what
// a workflow runs on:
//
//	queues := batch.FromJobQueues(stack, "LabBatch", &batch.FromJobQueuesProps{
//		Queues: []batch.ExistingQueue{{Name: "Genomics", Platform: batch.PlatformEC2, VCPUs: 64, MemoryMiB: 240000,
//			JobQueue: awsbatch.JobQueue_FromJobQueueArn(stack, jsii.String("Genomics"), jsii.String(queueArn))}},
//	})
//	workflow.New(stack, "Variants", &workflow.Props{Name: "variants", Batch: queues, ...})
package batch

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/golambda"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Defaults and limits.
const (
	DefaultMaxVCPUs         = 64
	MaxMaxVCPUs             = 4096
	DefaultJobVCPUs         = 1.0
	DefaultJobMemoryMiB     = 2048
	DefaultJobTimeout       = 6 * time.Hour
	MinJobTimeout           = time.Minute // AWS Batch's least attempt duration
	DefaultJobAttempts      = 3
	MaxJobAttempts          = 10
	DefaultLogRetentionDays = 365
	// StuckJobTimeout is how long a job may wait RUNNABLE for a reason that
	// never resolves itself (it asks for more than the compute environment
	// can ever give) before the queue cancels it, so that a caller waiting
	// on the job (a Step Functions .sync task) sees a failure.
	StuckJobTimeout = 10 * time.Minute
)

// VerifierDockerfile is the Dockerfile of the large-object verifier, relative
// to the biolake module's root (its build context).
const VerifierDockerfile = "docker/verify/Dockerfile"

// Props configures a Fargate queue.
type Props struct {
	// Network places the compute environment in its private subnets.
	// Required.
	Network network.INetwork
	// MaxVCPUs the compute environment runs at once, 1 to 4096. Default: 64.
	MaxVCPUs int
	// Spot runs jobs on Fargate Spot: cheaper, but a job may be stopped,
	// and is then retried (a host failure). Default: false (on-demand).
	Spot bool
	// SecurityGroup of the jobs' network interfaces and instances.
	// Default: a new group that allows HTTPS out (to AWS APIs through the
	// VPC endpoints) and nothing else, nothing in.
	SecurityGroup awsec2.ISecurityGroup
	// Environments are the compute environments (CPU Spot, CPU on-demand,
	// GPU, Fargate); set them with Queues, and MaxVCPUs and Spot unset.
	// Default: none, one Fargate environment sized by MaxVCPUs and Spot.
	Environments []EnvironmentSpec
	// Queues are the job queues in front of Environments. Default: none
	// (the single Fargate queue).
	Queues []QueueSpec
	// DefaultQueue is the queue of jobs whose JobProps.Queue is empty.
	// Default: the first of Queues.
	DefaultQueue string
	// VolumeKey encrypts the EC2 instances' root and scratch volumes (only
	// with an EC2 environment); an imported key's policy must let EC2 Auto
	// Scaling use it through EC2 (encrypt, decrypt, generate data keys,
	// create grants for AWS resources), as AllowEBSVolumes does, since CDK
	// cannot edit an imported key's policy. Default: nil, and the construct
	// creates a key with rotation on whose policy does.
	VolumeKey awskms.IKey
}

// Validate checks p and returns every problem found, joined. New panics
// with the same errors.
func (p *Props) Validate() error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Network set")
	}
	var errs []error
	if p.Network == nil {
		errs = append(errs, validation.New("", "Props.Network", validation.Raw("nil"), "the network.INetwork whose private subnets run the jobs"))
	}
	errs = append(errs, p.ValidateSettings())
	return validation.Join("", errs...)
}

// ValidateSettings checks every setting except Network, so a config layer
// can check an environment file before any construct exists. Validate
// calls it.
func (p *Props) ValidateSettings() error {
	var errs []error
	if p.MaxVCPUs < 0 || p.MaxVCPUs > MaxMaxVCPUs {
		errs = append(errs, validation.New("", "Props.MaxVCPUs", p.MaxVCPUs, "1 to %d, or 0 for the default %d", MaxMaxVCPUs, DefaultMaxVCPUs))
	}
	errs = append(errs, p.validateCompute()...)
	if p.VolumeKey != nil && !slices.ContainsFunc(p.Environments, func(e EnvironmentSpec) bool { return e.Kind.EC2() }) {
		errs = append(errs, validation.New("", "Props.VolumeKey", validation.Raw("set"),
			"VolumeKey only together with an EC2 environment in Environments (cpu-spot, cpu-ondemand or gpu): it encrypts their instances' volumes, and Fargate has none"))
	}
	return validation.Join("", errs...)
}

// Queue is AWS Batch compute: by default a Fargate compute environment and
// the job queue in front of it; with Props.Environments, those compute
// environments and Props.Queues. Create it with New; add job definitions
// with AddJob.
type Queue struct {
	constructs.Construct

	// ComputeEnvironment is the Fargate (or Fargate Spot) compute
	// environment of the single Fargate queue; nil with Props.Environments.
	ComputeEnvironment awsbatch.IFargateComputeEnvironment
	// JobQueue is the queue jobs are submitted to: the single Fargate
	// queue, or with Props.Queues the default queue.
	JobQueue awsbatch.IJobQueue
	// SecurityGroup is the jobs' (and instances') security group.
	SecurityGroup awsec2.ISecurityGroup
	// Environments are the compute environments of Props.Environments, by
	// name.
	Environments map[string]awsbatch.IComputeEnvironment
	// JobQueues are the queues of Props.Queues, by name.
	JobQueues map[string]awsbatch.IJobQueue
	// LaunchTemplates are the EC2 environments' launch templates, by name.
	LaunchTemplates map[string]awsec2.ILaunchTemplate
	// VolumeKey encrypts the EC2 instances' volumes (nil without EC2
	// environments).
	VolumeKey awskms.IKey

	// Lustre is the file system attached with AttachLustre; nil until then.
	Lustre *lustre.Lustre

	props   Props
	failed  map[string]awsevents.Rule                            // FAILED job rules, by queue name ("" for the single Fargate queue)
	scripts map[string]awsec2.UserData                           // EC2 environments' boot scripts, by name
	ec2Envs map[string]awsbatch.IManagedEc2EcsComputeEnvironment // by name
}

// Props returns a copy of the props the queue was made with.
func (q *Queue) Props() Props { return q.props }

// New creates the queue. It panics, naming the construct path, when props
// are invalid.
func New(scope constructs.Construct, id string, props *Props) *Queue {
	validation.Check(validation.PathOf(scope, id), props.Validate())
	p := *props
	if p.MaxVCPUs == 0 && len(p.Environments) == 0 {
		p.MaxVCPUs = DefaultMaxVCPUs
	}
	q := &Queue{props: p}
	constructs.NewConstruct_Override(q, scope, jsii.String(id))
	var c constructs.Construct = q
	p.Network.Require(q, p.Endpoints()...)

	q.SecurityGroup = p.SecurityGroup
	if q.SecurityGroup == nil {
		sg := awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc:              p.Network.Vpc(),
			Description:      jsii.String("biolake Batch jobs: HTTPS out to AWS APIs only, nothing in"),
			AllowAllOutbound: jsii.Bool(false),
		})
		sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
			jsii.String("HTTPS to AWS APIs (interface and gateway endpoints, or NAT)"), jsii.Bool(false))
		q.SecurityGroup = sg
	}
	if len(p.Environments) > 0 {
		q.newCompute(p)
		q.newFailedJobsRules()
		return q
	}
	ce := awsbatch.NewFargateComputeEnvironment(c, jsii.String("Fargate"), &awsbatch.FargateComputeEnvironmentProps{
		Vpc:            p.Network.Vpc(),
		VpcSubnets:     p.Network.PrivateSubnets(),
		SecurityGroups: &[]awsec2.ISecurityGroup{q.SecurityGroup},
		MaxvCpus:       jsii.Number(float64(p.MaxVCPUs)),
		Spot:           jsii.Bool(p.Spot),
	})
	q.ComputeEnvironment = ce
	q.JobQueue = awsbatch.NewJobQueue(c, jsii.String("JobQueue"), &awsbatch.JobQueueProps{
		ComputeEnvironments:      &[]*awsbatch.OrderedComputeEnvironment{{ComputeEnvironment: ce, Order: jsii.Number(1)}},
		Priority:                 jsii.Number(1),
		JobStateTimeLimitActions: stuckActions(),
	})
	q.newFailedJobsRules()
	return q
}

// stuckActions cancel jobs that wait RUNNABLE for a reason that never
// resolves itself.
func stuckActions() *[]*awsbatch.JobStateTimeLimitAction {
	stuck := func(r awsbatch.JobStateTimeLimitActionsReason) *awsbatch.JobStateTimeLimitAction {
		return &awsbatch.JobStateTimeLimitAction{
			MaxTime: awscdk.Duration_Seconds(jsii.Number(StuckJobTimeout.Seconds())),
			Reason:  r,
			Action:  awsbatch.JobStateTimeLimitActionsAction_CANCEL,
			State:   awsbatch.JobStateTimeLimitActionsState_RUNNABLE,
		}
	}
	return &[]*awsbatch.JobStateTimeLimitAction{
		stuck(awsbatch.JobStateTimeLimitActionsReason_COMPUTE_ENVIRONMENT_MAX_RESOURCE),
		stuck(awsbatch.JobStateTimeLimitActionsReason_JOB_RESOURCE_REQUIREMENT),
	}
}

// JobProps configures a job definition for one of the queues: a Fargate
// job, or an EC2 job (Spot, on-demand or GPU).
type JobProps struct {
	// Queue the job is for, by name (Props.Queues); its environments
	// decide whether the job definition is for Fargate or EC2. Default:
	// the default queue.
	Queue string
	// GPUs of an EC2 job on a queue of GPU environments. Default: 0.
	GPUs int
	// Image of the container. Required; see RepoImage for an image built
	// from a Dockerfile in this repository.
	Image awsecs.ContainerImage
	// Command of the container; a job submission may override it. Default:
	// the image's CMD.
	Command []string
	// VCPUs of the job: on Fargate a Fargate size (0.25, 0.5, 1, 2, 4, 8
	// or 16), on EC2 a whole number up to the queue's largest instance.
	// Default: 1.
	VCPUs float64
	// MemoryMiB of the job: on Fargate a value Fargate accepts for VCPUs
	// (for 1 vCPU: 2048 to 8192 in steps of 1024), on EC2 up to the
	// queue's largest instance less 6%. Default: on Fargate the least value
	// for VCPUs, on EC2 2048.
	MemoryMiB int
	// Environment variables of the container. Default: none.
	Environment map[string]string
	// Timeout after which Batch stops an attempt, a whole number of seconds,
	// at least one minute. Default: 6h.
	Timeout time.Duration
	// Attempts of a job, 1 to 10. Only host and infrastructure failures (the
	// Fargate task's host went away, the image could not be pulled, the
	// task's network could not be set up) are retried; a failure of the
	// program itself (any exit code) is final. Default: 3.
	Attempts int
	// LogKey encrypts the job's log group; its policy must allow
	// secure.ServiceLogs. Default: a new key that does.
	LogKey awskms.IKey
	// LogRetentionDays of the job's log group, a CloudWatch Logs value.
	// Default: 365.
	LogRetentionDays int
	// ReadWriteRootFilesystem lets the container write to its root file
	// system. Default: false (read-only; the container may use /tmp only if
	// the image declares it a volume).
	ReadWriteRootFilesystem bool
	// Lustre mounts the hosts' FSx for Lustre directory (LustrePath, see
	// Props.Lustre) at the same path in the container, read-write, and sets
	// FSX_PATH to where the file system is: LustrePath for a persistent
	// file system; for per-run file systems the workflow overrides FSX_PATH
	// with LustrePath/<file-system-id>. EC2 queues only, and only when
	// Props.Lustre is set. Default: false.
	Lustre bool
}

// Job is a job definition with its roles and log group.
type Job struct {
	constructs.Construct

	// Definition is the job definition; submit jobs with its ARN.
	Definition awsbatch.IJobDefinition
	// JobRole is the role the container runs as. It has no permissions
	// until granted some (for example with datalake's GrantRead).
	JobRole awsiam.IRole
	// ExecutionRole lets ECS pull the image and write the logs.
	ExecutionRole awsiam.IRole
	// LogGroup receives the container's output.
	LogGroup awslogs.ILogGroup
}

// fargateMemory lists the memory sizes (MiB) Fargate accepts per vCPU count.
var fargateMemory = map[float64][]int{
	0.25: {512, 1024, 2048},
	0.5:  steps(1024, 4096, 1024),
	1:    steps(2048, 8192, 1024),
	2:    steps(4096, 16384, 1024),
	4:    steps(8192, 30720, 1024),
	8:    steps(16384, 61440, 4096),
	16:   steps(32768, 122880, 8192),
}

func steps(from, to, by int) []int {
	var out []int
	for m := from; m <= to; m += by {
		out = append(out, m)
	}
	return out
}

// Validate checks p as a job for the single Fargate queue when p.Queue is
// empty, and only what does not depend on the queue otherwise; Props.ValidateJob
// (which AddJob runs) checks a job against its queue.
func (p *JobProps) Validate() error {
	if p == nil {
		return validation.New("", "JobProps", validation.Raw("nil"), "props with Image set")
	}
	errs := p.common()
	if p.Queue == "" {
		errs = append(errs, p.fargate()...)
	}
	return validation.Join("", errs...)
}

func jobErr(field string, value any, accepted string) error {
	return validation.New("", "JobProps."+field, value, "%s", accepted)
}

// fargate checks the Fargate sizes.
func (p *JobProps) fargate() []error {
	vcpus := p.VCPUs
	if vcpus == 0 {
		vcpus = DefaultJobVCPUs
	}
	mems, ok := fargateMemory[vcpus]
	if !ok {
		return []error{jobErr("VCPUs", p.VCPUs, "a Fargate size: 0.25, 0.5, 1, 2, 4, 8 or 16 (0 means 1)")}
	} else if p.MemoryMiB != 0 && !slices.Contains(mems, p.MemoryMiB) {
		return []error{jobErr("MemoryMiB", p.MemoryMiB, fmt.Sprintf("for %v vCPU, one of %s (0 means %d)", vcpus, validation.List(mems), mems[0]))}
	}
	return nil
}

// common checks what does not depend on the queue.
func (p *JobProps) common() []error {
	var errs []error
	bad := func(field string, value any, accepted string) { errs = append(errs, jobErr(field, value, accepted)) }
	if p.Image == nil {
		bad("Image", validation.Raw("nil"), "a container image, e.g. from batch.RepoImage or awsecs.ContainerImage_FromRegistry")
	}
	if t := p.Timeout; t != 0 && (t < MinJobTimeout || t%time.Second != 0) {
		bad("Timeout", validation.Raw(t.String()), fmt.Sprintf("a whole number of seconds, at least %s, or 0 for the default %s", MinJobTimeout, DefaultJobTimeout))
	}
	if p.Attempts < 0 || p.Attempts > MaxJobAttempts {
		bad("Attempts", p.Attempts, fmt.Sprintf("1 to %d, or 0 for the default %d", MaxJobAttempts, DefaultJobAttempts))
	}
	if d := p.LogRetentionDays; d != 0 && !secure.IsLogRetention(d) {
		bad("LogRetentionDays", d, fmt.Sprintf("one of %s, or 0 for the default %d", validation.List(secure.LogRetentionValues), DefaultLogRetentionDays))
	}
	for _, k := range sortedKeys(p.Environment) {
		if k == "" || strings.HasPrefix(k, "AWS_BATCH") {
			bad("Environment key", k, "a non-empty name that does not start with AWS_BATCH (reserved by AWS Batch)")
		}
	}
	return errs
}

// AddJob adds a job definition for the queue's compute environment, with
// the construct id id under the queue. It panics on invalid props.
func (q *Queue) AddJob(id string, props *JobProps) *Job {
	validation.Check(*q.Node().Path(), addJobErr(id, q.props.ValidateJob(props)))
	if props.Lustre && q.Lustre == nil {
		panic(validation.New(*q.Node().Path(), fmt.Sprintf("AddJob(%q).Lustre", id), true,
			"false, or true after AttachLustre (no file system is attached to the queue)"))
	}
	capacity, _ := q.props.Capacity(props.Queue)
	return newJob(q, id, *props, capacity, nil)
}

// newJob builds a job definition for a queue of the given capacity under
// scope, with its roles and log group (encrypted with p.LogKey, else
// logKey, else a new key); p is valid for the queue.
func newJob(scope constructs.Construct, id string, p JobProps, capacity QueueCapacity, logKey awskms.IKey) *Job {
	if p.LogKey == nil {
		p.LogKey = logKey
	}
	if p.VCPUs == 0 {
		p.VCPUs = DefaultJobVCPUs
	}
	if p.MemoryMiB == 0 {
		p.MemoryMiB = DefaultJobMemoryMiB
		if capacity.Fargate {
			p.MemoryMiB = fargateMemory[p.VCPUs][0]
		}
	}
	if p.Timeout == 0 {
		p.Timeout = DefaultJobTimeout
	}
	if p.Attempts == 0 {
		p.Attempts = DefaultJobAttempts
	}
	if p.LogRetentionDays == 0 {
		p.LogRetentionDays = DefaultLogRetentionDays
	}
	j := &Job{}
	constructs.NewConstruct_Override(j, scope, jsii.String(id))
	var c constructs.Construct = j

	if p.LogKey == nil {
		p.LogKey = secure.NewKey(c, "LogKey", &secure.KeyProps{
			Description: "biolake Batch job " + *c.Node().Path() + ": log group",
			Services:    []secure.Service{secure.ServiceLogs},
		})
	}
	logGroup := awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: p.LogKey,
		Retention:     secure.RetentionDays(p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	j.LogGroup = logGroup

	stack := awscdk.Stack_Of(c)
	ecsTasks := func() awsiam.IPrincipal { return ecsTasksPrincipal(stack) }
	jobRole := awsiam.NewRole(c, jsii.String("JobRole"), &awsiam.RoleProps{
		AssumedBy:   ecsTasks(),
		Description: jsii.String("biolake Batch job " + *c.Node().Path() + ": what the container may do"),
	})
	execRole := awsiam.NewRole(c, jsii.String("ExecutionRole"), &awsiam.RoleProps{
		AssumedBy:   ecsTasks(),
		Description: jsii.String("biolake Batch job " + *c.Node().Path() + ": pull the image, write the logs"),
	})
	j.JobRole, j.ExecutionRole = jobRole, execRole

	logging := awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{LogGroup: logGroup, StreamPrefix: jsii.String(id)})
	var command *[]*string
	if len(p.Command) > 0 {
		command = jsii.Strings(p.Command...)
	}
	if p.Lustre {
		// Where the file system is; a workflow overrides it per run.
		p.Environment = maps.Clone(p.Environment)
		if p.Environment == nil {
			p.Environment = map[string]string{}
		}
		if _, set := p.Environment[LustreEnv]; !set {
			p.Environment[LustreEnv] = LustrePath
		}
	}
	var env *map[string]*string
	if len(p.Environment) > 0 {
		m := make(map[string]*string, len(p.Environment))
		for k, v := range p.Environment {
			m[k] = jsii.String(v)
		}
		env = &m
	}
	var container awsbatch.IEcsContainerDefinition
	if capacity.Fargate {
		container = fargateContainer(c, p, jobRole, execRole, logging, command, env)
	} else {
		cp := &awsbatch.EcsEc2ContainerDefinitionProps{
			Image:                  p.Image,
			Cpu:                    jsii.Number(p.VCPUs),
			Memory:                 awscdk.Size_Mebibytes(jsii.Number(float64(p.MemoryMiB))),
			JobRole:                jobRole,
			ExecutionRole:          execRole,
			Logging:                logging,
			ReadonlyRootFilesystem: jsii.Bool(!p.ReadWriteRootFilesystem),
			Command:                command,
			Environment:            env,
			// The instance's encrypted scratch volume.
			Volumes: &[]awsbatch.EcsVolume{awsbatch.EcsVolume_Host(&awsbatch.HostVolumeOptions{
				Name: jsii.String("scratch"), ContainerPath: jsii.String(ScratchPath), HostPath: jsii.String(ScratchPath),
			})},
		}
		if p.Lustre {
			// The hosts' Lustre mounts (AttachLustre), bound recursively:
			// per-run file systems are mounted below LustrePath.
			vols := append(*cp.Volumes, awsbatch.EcsVolume_Host(&awsbatch.HostVolumeOptions{
				Name: jsii.String("lustre"), ContainerPath: jsii.String(LustrePath), HostPath: jsii.String(LustrePath),
			}))
			cp.Volumes = &vols
		}
		if p.GPUs > 0 {
			cp.Gpu = jsii.Number(float64(p.GPUs))
		}
		container = awsbatch.NewEcsEc2ContainerDefinition(c, jsii.String("Container"), cp)
	}
	j.Definition = awsbatch.NewEcsJobDefinition(c, jsii.String("Definition"), &awsbatch.EcsJobDefinitionProps{
		Container:       container,
		Timeout:         awscdk.Duration_Seconds(jsii.Number(p.Timeout.Seconds())),
		RetryAttempts:   jsii.Number(float64(p.Attempts)),
		RetryStrategies: hostFailureRetries(),
		PropagateTags:   jsii.Bool(true),
	})
	j.suppress(execRole, jobRole)
	return j
}

func fargateContainer(c constructs.Construct, p JobProps, jobRole, execRole awsiam.IRole, logging awsecs.LogDriver, command *[]*string, env *map[string]*string) awsbatch.IEcsContainerDefinition {
	cp := &awsbatch.EcsFargateContainerDefinitionProps{
		Image:                        p.Image,
		Cpu:                          jsii.Number(p.VCPUs),
		Memory:                       awscdk.Size_Mebibytes(jsii.Number(float64(p.MemoryMiB))),
		JobRole:                      jobRole,
		ExecutionRole:                execRole,
		Logging:                      logging,
		FargateCpuArchitecture:       awsecs.CpuArchitecture_ARM64(),
		FargateOperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		FargatePlatformVersion:       awsecs.FargatePlatformVersion_LATEST,
		AssignPublicIp:               jsii.Bool(false),
		ReadonlyRootFilesystem:       jsii.Bool(!p.ReadWriteRootFilesystem),
		Command:                      command,
		Environment:                  env,
	}
	return awsbatch.NewEcsFargateContainerDefinition(c, jsii.String("Container"), cp)
}

func (j *Job) suppress(execRole, jobRole awsiam.IRole) {
	nag.SuppressDeferred(execRole, nag.InAllPacks("The execution role's policy is generated by CDK from the image and the log group "+
		"(pull this image, write to this job's log group); inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(execRole, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "Generated by CDK for the execution role: ECS writes the job's log streams, whose names are generated per job, " +
			"in the job's one log group (log-group:<name>:*); ecr:GetAuthorizationToken has no resource-level permissions (\"*\").",
		AppliesToRegex: []string{`/^Resource::.*:log-group:.*:\*$/`, `/^Resource::<.+\.Arn>:\*$/`, `/^Resource::\*$/`},
	})
	nag.SuppressDeferred(jobRole, nag.InAllPacks("The job role's policy holds the grants made to this one job (for example read access to named buckets); "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
}

// hostFailureRetries retries an attempt that failed for a host or
// infrastructure reason and ends the job on anything else. AWS Batch retries
// when no condition matches, hence the final catch-alls. At most five
// conditions are allowed.
func hostFailureRetries() *[]awsbatch.RetryStrategy {
	on := func(a awsbatch.Action, r *awsbatch.CustomReason) awsbatch.RetryStrategy {
		return awsbatch.RetryStrategy_Of(a, awsbatch.Reason_Custom(r))
	}
	return &[]awsbatch.RetryStrategy{
		// The Fargate task's host was stopped (maintenance, Spot reclaim).
		on(awsbatch.Action_RETRY, &awsbatch.CustomReason{OnStatusReason: jsii.String("Host EC2*")}),
		// The image could not be pulled (a transient registry or endpoint error).
		on(awsbatch.Action_RETRY, &awsbatch.CustomReason{OnReason: jsii.String("CannotPullContainerError*")}),
		// The task's network interface, logs or secrets could not be set up.
		on(awsbatch.Action_RETRY, &awsbatch.CustomReason{OnReason: jsii.String("ResourceInitializationError*")}),
		// The program ran and exited: its verdict is final.
		on(awsbatch.Action_EXIT, &awsbatch.CustomReason{OnExitCode: jsii.String("*")}),
		on(awsbatch.Action_EXIT, &awsbatch.CustomReason{OnReason: jsii.String("*")}),
	}
}

// RepoImage returns a container image built at deploy time from dockerfile,
// a path relative to the biolake module's root, with that root as the build
// context (so the image can build the module's Go packages with its go.sum).
// Synth only stages the context into the cloud assembly (Docker is needed at
// `cdk deploy`, not at synth). The image is built for linux/arm64, like the
// Fargate jobs. Build output, the cloud assembly, node_modules and VCS data
// are left out of the context, as is whatever the module's .dockerignore
// names (but never the Dockerfile). It fails when the module root cannot be found
// or the Dockerfile does not exist.
func RepoImage(dockerfile string) (awsecs.ContainerImage, error) {
	if dockerfile == "" || filepath.IsAbs(dockerfile) || strings.Contains(filepath.ToSlash(dockerfile), "..") {
		return nil, fmt.Errorf("batch: RepoImage(%q): want a relative path inside the biolake module, such as %q", dockerfile, VerifierDockerfile)
	}
	root, err := golambda.ModuleRoot()
	if err != nil {
		return nil, fmt.Errorf("batch: RepoImage(%q): %w", dockerfile, err)
	}
	if _, err := os.Stat(filepath.Join(root, dockerfile)); err != nil {
		return nil, fmt.Errorf("batch: RepoImage(%q): no Dockerfile in the module root %s: %w", dockerfile, root, err)
	}
	return awsecs.ContainerImage_FromAsset(jsii.String(root), &awsecs.AssetImageProps{
		File:       jsii.String(filepath.ToSlash(dockerfile)),
		Platform:   awsecrassets.Platform_LINUX_ARM64(),
		IgnoreMode: awscdk.IgnoreMode_DOCKER,
		// The module's .dockerignore, if any, applies too; the Dockerfile
		// itself is always staged (CDK keeps only a Dockerfile at the root).
		Exclude: jsii.Strings(".git", "node_modules", "cdk.out", "build", "**/cdk.out", "**/node_modules", "!"+filepath.ToSlash(dockerfile)),
	}), nil
}

// ecsTasksPrincipal is ECS tasks of the stack's account and region only
// (a confused-deputy guard).
func ecsTasksPrincipal(stack awscdk.Stack) awsiam.IPrincipal {
	return awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), &awsiam.ServicePrincipalOpts{
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
			"ArnLike": map[string]interface{}{"aws:SourceArn": fmt.Sprintf("arn:%s:ecs:%s:%s:*",
				*stack.Partition(), *stack.Region(), *stack.Account())},
		},
	})
}

// addJobErr names the fields of err's validation errors as arguments of
// AddJob(id): "AddJob(\"align\").VCPUs".
func addJobErr(id string, err error) error {
	err = validation.Join("", err)
	var es validation.Errors
	var e *validation.Error
	switch {
	case errors.As(err, &es):
	case errors.As(err, &e):
		es = validation.Errors{e}
	}
	for _, e := range es {
		e.Field = fmt.Sprintf("AddJob(%q).", id) + strings.TrimPrefix(e.Field, "JobProps.")
	}
	return err
}

// GrantSubmit lets grantee submit jobs of this definition to queue (for
// example a state machine role; Step Functions' BatchSubmitJob task grants
// itself).
func (j *Job) GrantSubmit(grantee awsiam.IGrantable, queue awsbatch.IJobQueue) awsiam.Grant {
	return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("batch:SubmitJob"),
		ResourceArns: jsii.Strings(*j.Definition.JobDefinitionArn(), *queue.JobQueueArn()),
	})
}

// GrantLake lets grantee (a job's JobRole, say) read (get, list) the read
// buckets of lake under readPrefix ("" for all of each), and write (put,
// tag, delete marker) the results bucket under writePrefix, which must not
// be empty; each with the bucket's key, through S3 only. It is the lake's
// GrantRead and GrantWrite together, with the cdk-nag reason for the
// prefix wildcards on a role. It panics with a validation error when the
// lake lacks a bucket or writePrefix is empty.
//
//	batch.GrantLake(job.JobRole, lake, []datalake.BucketName{datalake.BucketRaw}, "", "workflows/align/")
func GrantLake(grantee awsiam.IGrantable, lake datalake.ILake, read []datalake.BucketName, readPrefix, writePrefix string) awsiam.Grant {
	path := *lake.Node().Path()
	if c, ok := grantee.(constructs.IConstruct); ok {
		path = *c.Node().Path()
	}
	if writePrefix == "" {
		panic(validation.New(path, "GrantLake(writePrefix)", "", "a prefix of the results bucket, such as \"workflows/<name>/\""))
	}
	validation.Check(path, datalake.RequireBuckets(path, "GrantLake(lake)", lake, append(slices.Clone(read), datalake.BucketResults)...))
	var g awsiam.Grant
	for _, b := range read {
		rg := lake.GrantRead(grantee, b, readPrefix)
		if g == nil {
			g = rg
		} else {
			g = g.Combine(rg)
		}
	}
	wg := lake.GrantWrite(grantee, datalake.BucketResults, writePrefix)
	if g == nil {
		g = wg
	} else {
		g = g.Combine(wg)
	}
	role, ok := grantee.(awsiam.IRole)
	if !ok {
		return g
	}
	nag.SuppressDeferred(role, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The job reads whichever input objects of a run it is given in the named data buckets (read-only actions) and writes " +
			"only under its own prefix of the results bucket; object ARNs of a bucket or prefix end in /*.",
		AppliesToRegex: append([]string{`/^Resource::<.+\.Arn>\/.*\*$/`, `/^Resource::arn:<AWS::Partition>:s3:::<.+>\/.*\*$/`}, nag.ImportedObjectsRegex...),
	})
	return g
}

package batch

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/validation"
)

// IQueue is the AWS Batch compute a workflow runs its steps on: job queues
// by name, and job definitions added for them with the roles and log group
// the construct manages. *Queue (New) and *Imported (FromJobQueues)
// implement it.
type IQueue interface {
	constructs.IConstruct
	// JobQueueOf returns the job queue named name ("" for the default
	// queue), or nil when there is no such queue.
	JobQueueOf(name string) awsbatch.IJobQueue
	// Capacity returns what the named queue ("" for the default) gives one
	// job, or an error when there is no such queue.
	Capacity(queue string) (QueueCapacity, error)
	// ValidateJob checks a job against the queue it names; AddJob panics
	// with the same errors.
	ValidateJob(jp *JobProps) error
	// AddJob adds a job definition for the queue JobProps.Queue names,
	// with its job role, execution role and log group, under the
	// construct with the id id.
	AddJob(id string, props *JobProps) *Job
	// AttachedLustre returns the FSx for Lustre construct the EC2 hosts
	// mount (AttachLustre), or nil.
	AttachedLustre() *lustre.Lustre
}

var (
	_ IQueue = (*Queue)(nil)
	_ IQueue = (*Imported)(nil)
)

// JobQueueOf returns the job queue named name ("" for the default queue),
// or nil when there is no such queue.
func (q *Queue) JobQueueOf(name string) awsbatch.IJobQueue {
	if name == "" {
		return q.JobQueue
	}
	return q.JobQueues[name]
}

// Capacity returns what the named queue ("" for the default) gives one
// job (Props.Capacity).
func (q *Queue) Capacity(queue string) (QueueCapacity, error) { return q.props.Capacity(queue) }

// ValidateJob checks a job against the queue it names (Props.ValidateJob).
func (q *Queue) ValidateJob(jp *JobProps) error { return q.props.ValidateJob(jp) }

// AttachedLustre returns the file system given to AttachLustre, or nil.
func (q *Queue) AttachedLustre() *lustre.Lustre { return q.Lustre }

// Platform is what an existing job queue's compute environments run on.
type Platform string

// Platforms.
const (
	// PlatformEC2 is ECS on EC2 instances: job definitions for EC2, with
	// the host's ScratchPath bound (mount a volume there on the hosts, or
	// it is a directory on their root volume).
	PlatformEC2 Platform = "ec2"
	// PlatformFargate is AWS Fargate: job definitions with the FARGATE
	// platform capability, ARM64, Fargate sizes.
	PlatformFargate Platform = "fargate"
)

// ExistingQueue is an existing job queue given to FromJobQueues.
type ExistingQueue struct {
	// Name of the queue in biolake (JobProps.Queue, a workflow step's
	// Queue): a letter, then letters or digits, at most 40, unique.
	// Required.
	Name string
	// JobQueue is the existing queue, for example from
	// awsbatch.JobQueue_FromJobQueueArn. Required.
	JobQueue awsbatch.IJobQueue
	// Platform of the queue's compute environments (all of them):
	// PlatformEC2 or PlatformFargate. Required.
	Platform Platform
	// VCPUs, MemoryMiB and GPUs are what the queue's largest instance
	// gives one job (memory less what the OS and the ECS agent keep); jobs
	// are checked against them. EC2 only, VCPUs and MemoryMiB required
	// there; Fargate queues take Fargate's sizes. Default: 0.
	VCPUs     int
	MemoryMiB int
	GPUs      int
}

// FromJobQueuesProps configures FromJobQueues.
type FromJobQueuesProps struct {
	// Queues are the existing job queues. Required, at least one.
	Queues []ExistingQueue
	// DefaultQueue is the queue of jobs whose JobProps.Queue is empty, by
	// Name. Default: the first of Queues.
	DefaultQueue string
	// LogKey encrypts the log groups of jobs whose JobProps.LogKey is nil;
	// its policy must allow secure.ServiceLogs. Default: a new key per job.
	LogKey awskms.IKey
}

// validate checks p; path is the construct path its errors name.
func (p *FromJobQueuesProps) validate(path string) error {
	if p == nil {
		return validation.New(path, "Props", validation.Raw("nil"), "FromJobQueuesProps with at least one queue")
	}
	var errs []error
	bad := validation.Collector(path, &errs)
	if len(p.Queues) == 0 {
		bad("Queues", validation.Raw("empty"), "at least one existing job queue")
	}
	var names []string
	for i, q := range p.Queues {
		at := fmt.Sprintf("Queues[%d]", i)
		switch {
		case !namePattern.MatchString(q.Name):
			bad(at+".Name", q.Name, "a letter, then letters or digits, at most 40")
		case slices.Contains(names, q.Name):
			bad(at+".Name", q.Name, "a name no other queue has")
		}
		names = append(names, q.Name)
		if q.JobQueue == nil {
			bad(at+".JobQueue", validation.Raw("nil"), "an existing job queue, such as awsbatch.JobQueue_FromJobQueueArn's")
		}
		switch q.Platform {
		case PlatformEC2:
			if q.VCPUs < 1 {
				bad(at+".VCPUs", q.VCPUs, "1 or more on an EC2 queue: the vCPUs of its largest instance")
			}
			if q.MemoryMiB < 1 {
				bad(at+".MemoryMiB", q.MemoryMiB, "1 or more on an EC2 queue: the memory its largest instance gives a job")
			}
			if q.GPUs < 0 {
				bad(at+".GPUs", q.GPUs, "0 or more")
			}
		case PlatformFargate:
			if q.VCPUs != 0 || q.MemoryMiB != 0 || q.GPUs != 0 {
				bad(at, validation.Raw(fmt.Sprintf("VCPUs %d, MemoryMiB %d, GPUs %d on a Fargate queue", q.VCPUs, q.MemoryMiB, q.GPUs)),
					"0 each on a Fargate queue (Fargate's sizes apply)")
			}
		default:
			bad(at+".Platform", string(q.Platform), "batch.PlatformEC2 or batch.PlatformFargate")
		}
	}
	if p.DefaultQueue != "" && !slices.Contains(names, p.DefaultQueue) {
		bad("DefaultQueue", p.DefaultQueue, "the Name of one of Queues, or \"\" for the first")
	}
	return validation.Join(path, errs...)
}

// Imported is AWS Batch compute on existing job queues (FromJobQueues):
// the job definitions, job roles and log groups are created; compute
// environments, queues and launch templates are the lab's.
type Imported struct {
	constructs.Construct

	props  FromJobQueuesProps
	queues map[string]ExistingQueue
}

// FromJobQueues imports existing job queues as an IQueue, so that a
// workflow runs its steps on them. It creates no compute environment,
// queue, launch template or security group; AddJob creates job
// definitions (for Fargate or EC2, by the queue's Platform), job roles and
// log groups as New's queue does. The queues' hosts mount no Lustre
// (AttachedLustre is nil). It panics with a validation error when props
// are invalid.
func FromJobQueues(scope constructs.Construct, id string, props *FromJobQueuesProps) *Imported {
	validation.Check(validation.PathOf(scope, id), props.validate(validation.PathOf(scope, id)))
	im := &Imported{props: *props, queues: map[string]ExistingQueue{}}
	im.props.Queues = slices.Clone(props.Queues)
	if im.props.DefaultQueue == "" {
		im.props.DefaultQueue = props.Queues[0].Name
	}
	for _, q := range props.Queues {
		im.queues[q.Name] = q
	}
	constructs.NewConstruct_Override(im, scope, jsii.String(id))
	return im
}

// DefaultQueue returns the name of the default queue.
func (im *Imported) DefaultQueue() string { return im.props.DefaultQueue }

func (im *Imported) queue(name string) (ExistingQueue, bool) {
	if name == "" {
		name = im.props.DefaultQueue
	}
	q, ok := im.queues[name]
	return q, ok
}

// JobQueueOf returns the job queue named name ("" for the default queue),
// or nil when there is no such queue.
func (im *Imported) JobQueueOf(name string) awsbatch.IJobQueue {
	if q, ok := im.queue(name); ok {
		return q.JobQueue
	}
	return nil
}

// Capacity returns what the named queue ("" for the default) gives one
// job: Fargate's limits, or the queue's ExistingQueue sizes.
func (im *Imported) Capacity(name string) (QueueCapacity, error) {
	q, ok := im.queue(name)
	if !ok {
		names := make([]string, len(im.props.Queues))
		for i, e := range im.props.Queues {
			names[i] = e.Name
		}
		return QueueCapacity{}, fmt.Errorf("batch: queue %q does not exist; accepted: %v", name, names)
	}
	if q.Platform == PlatformFargate {
		return QueueCapacity{Fargate: true, VCPUs: 16, MemoryMiB: 122880}, nil
	}
	return QueueCapacity{VCPUs: q.VCPUs, MemoryMiB: q.MemoryMiB, GPUs: q.GPUs}, nil
}

// ValidateJob checks a job against the queue it names: the queue exists,
// and the job's sizes fit it (Fargate sizes on a Fargate queue). Imported
// queues mount no Lustre.
func (im *Imported) ValidateJob(jp *JobProps) error {
	if jp == nil {
		return validation.New(*im.Node().Path(), "JobProps", validation.Raw("nil"), "JobProps with an Image")
	}
	capacity, err := im.Capacity(jp.Queue)
	if err != nil {
		return fmt.Errorf("batch: JobProps.Queue: %w", err)
	}
	name := jp.Queue
	if name == "" {
		name = im.props.DefaultQueue
	}
	if jp.Lustre {
		return validation.New(*im.Node().Path(), "JobProps.Lustre", true, "false on imported job queues (biolake does not manage their hosts' mounts)")
	}
	return jp.validateOn(name, capacity)
}

// AddJob adds a job definition for the queue props.Queue names, with its
// roles and a log group encrypted with props.LogKey, else
// FromJobQueuesProps.LogKey, else a new key. It panics with a validation
// error on invalid props.
func (im *Imported) AddJob(id string, props *JobProps) *Job {
	path := validation.PathOf(im, id)
	validation.Check(path, im.ValidateJob(props))
	capacity, _ := im.Capacity(props.Queue)
	return newJob(im, id, *props, capacity, im.props.LogKey)
}

// AttachedLustre returns nil: biolake does not manage the hosts of
// imported queues.
func (im *Imported) AttachedLustre() *lustre.Lustre { return nil }

package config

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/workflow"
	"github.com/biolake/biolake/internal/runs"
)

// Compute settings: AWS Batch compute environments and queues, FSx for
// Lustre, and the secondary-analysis workflows started by RunIngested.
// The Compute stack is created when workflows are defined or nextflow is
// enabled.
type Compute struct {
	// Graviton picks ARM64 (m7g/c7g/r7g) instance types for the default CPU
	// environments; every CPU image must then be ARM64. Default: false.
	Graviton bool `yaml:"graviton"`
	// Environments are the compute environments. Default: Spot and
	// on-demand CPU, GPU and Fargate (batch.DefaultEnvironments).
	Environments []ComputeEnvironment `yaml:"environments"`
	// Queues in front of the environments. Default: High (on-demand),
	// Default (Spot, then on-demand), Gpu and Fargate (batch.DefaultQueues).
	Queues []ComputeQueue `yaml:"queues"`
	// DefaultQueue of steps that name none. Default: the first queue.
	DefaultQueue string `yaml:"defaultQueue"`
	// Lustre: FSx for Lustre for the jobs. Default: none.
	Lustre Lustre `yaml:"lustre"`
	// Workflows started by RunIngested. Default: none.
	Workflows []Workflow `yaml:"workflows"`
	// Nextflow: a head job definition and roles for Nextflow's awsbatch
	// executor (docs/NEXTFLOW.md). Default: off.
	Nextflow Nextflow `yaml:"nextflow"`
}

// ComputeEnvironment is one Batch compute environment.
type ComputeEnvironment struct {
	// Name: letters and digits, unique. Required.
	Name string `yaml:"name"`
	// Kind: cpu-spot, cpu-ondemand, gpu or fargate. Required.
	Kind string `yaml:"kind"`
	// MaxVCPUs, 1 to 4096. Default: 64.
	MaxVCPUs int `yaml:"maxVCPUs"`
	// InstanceTypes: families (m7i) or sizes (g5.12xlarge). Default: by kind.
	InstanceTypes []string `yaml:"instanceTypes"`
	// Graviton: ARM64 default instance types. Default: compute.graviton.
	Graviton *bool `yaml:"graviton"`
	// RootVolumeGiB, 30 to 16384. EC2 only. Default: 50.
	RootVolumeGiB int `yaml:"rootVolumeGiB"`
	// ScratchVolumeGiB mounted at /scratch, 1 to 16384. EC2 only. Default: 200.
	ScratchVolumeGiB int `yaml:"scratchVolumeGiB"`
}

// ComputeQueue is one job queue.
type ComputeQueue struct {
	// Name: letters and digits, unique. Required.
	Name string `yaml:"name"`
	// Priority 0 to 1000; higher first. Default: 1.
	Priority int `yaml:"priority"`
	// Environments by name, in order. Required.
	Environments []string `yaml:"environments"`
}

// Lustre modes in config.
const (
	LustreNone       = "none"
	LustrePersistent = "persistent"
	LustrePerRun     = "per-run"
)

// Lustre settings.
type Lustre struct {
	// Mode: none, persistent (a standing file system mounted at /fsx on
	// every EC2 host) or per-run (a scratch file system created by the
	// workflow for each run and deleted after). Default: none.
	Mode string `yaml:"mode"`
	// DeploymentType of a persistent file system: PERSISTENT_2 or
	// SCRATCH_2. Default: PERSISTENT_2.
	DeploymentType string `yaml:"deploymentType"`
	// StorageCapacityGiB: 1200 or a multiple of 2400. Default: 1200.
	StorageCapacityGiB int `yaml:"storageCapacityGiB"`
	// ThroughputPerTiB of PERSISTENT_2: 125, 250, 500 or 1000. Default: 250.
	ThroughputPerTiB int `yaml:"throughputPerTiB"`
	// RawPrefix linked read-only at /raw. Default: runs/.
	RawPrefix string `yaml:"rawPrefix"`
	// ResultsPrefix exported from /results. Default: lustre/.
	ResultsPrefix string `yaml:"resultsPrefix"`
	// BackupRetentionDays of PERSISTENT_2, 1 to 90. Default: 7.
	BackupRetentionDays int `yaml:"backupRetentionDays"`
}

// Workflow is one secondary-analysis workflow.
type Workflow struct {
	// Name: a letter, then letters or digits, at most 32. Required.
	Name string `yaml:"name"`
	// Profiles of the runs that start it. Default: every run.
	Profiles []string `yaml:"profiles"`
	// Project cost tag. Default: the workflow's name.
	Project string `yaml:"project"`
	// MapConcurrency: samples at once, 1 to 1000. Default: 10.
	MapConcurrency int `yaml:"mapConcurrency"`
	// MaxSamples: the most samples a run may have, 1 to 1000; a run with
	// more fails before any compute starts. With mapConcurrency it bounds
	// the waves of samples that timeout must cover. Default: 96.
	MaxSamples int `yaml:"maxSamples"`
	// SkipRestore of archived inputs. Default: false.
	SkipRestore bool `yaml:"skipRestore"`
	// RestoreTier: Bulk or Standard. Default: Bulk.
	RestoreTier string `yaml:"restoreTier"`
	// RestoreDays, 1 to 365. Default: 7.
	RestoreDays int `yaml:"restoreDays"`
	// Timeout of an execution, a Go duration such as 72h. It must cover
	// the longest run: restore, file-system waits, every wave of samples
	// at the steps' timeouts and attempts, export and deletion (the check
	// names the numbers). Default: 168h, or that longest run rounded up to
	// the hour when it is longer.
	Timeout string `yaml:"timeout"`
	// Steps run in order for every sample. Required.
	Steps []WorkflowStep `yaml:"steps"`
}

// WorkflowStep is one Batch job of a workflow.
type WorkflowStep struct {
	// Name: a letter, then letters or digits, unique. Required.
	Name string `yaml:"name"`
	// Image: a container image reference (registry/repository:tag or
	// @sha256:digest). Required.
	Image string `yaml:"image"`
	// Command of the container. Default: the image's.
	Command []string `yaml:"command"`
	// VCPUs of the job. Default: 1.
	VCPUs float64 `yaml:"vcpus"`
	// MemoryMiB of the job. Default: 2048 (EC2) or Fargate's least.
	MemoryMiB int `yaml:"memoryMiB"`
	// GPUs, on a GPU queue. Default: 0.
	GPUs int `yaml:"gpus"`
	// Queue by name. Default: compute.defaultQueue.
	Queue string `yaml:"queue"`
	// Timeout of one attempt, a Go duration such as 12h. Default: 6h.
	Timeout string `yaml:"timeout"`
	// Environment variables. Default: none.
	Environment map[string]string `yaml:"environment"`
	// Reads: the data buckets (raw, partner, shared, curated, results) the
	// job may read. Default: all of them.
	Reads []string `yaml:"reads"`
}

// Nextflow settings.
type Nextflow struct {
	// Enabled creates the Nextflow head job definition and roles. Default: false.
	Enabled bool `yaml:"enabled"`
	// Image of the head job (Nextflow itself). Default: batch.DefaultNextflowImage.
	Image string `yaml:"image"`
	// HeadQueue runs the head job. Default: the first Fargate queue.
	HeadQueue string `yaml:"headQueue"`
	// TaskQueue runs the pipeline's tasks. Default: compute.defaultQueue.
	TaskQueue string `yaml:"taskQueue"`
}

// Enabled reports whether the environment has a Compute stack.
func (c *Compute) Enabled() bool { return len(c.Workflows) > 0 || c.Nextflow.Enabled }

// BatchProps returns the Batch props (without the network).
func (c *Compute) BatchProps() *batch.Props {
	p := &batch.Props{DefaultQueue: c.DefaultQueue}
	if len(c.Environments) == 0 {
		p.Environments = batch.DefaultEnvironments(c.Graviton)
	}
	for _, e := range c.Environments {
		g := c.Graviton
		if e.Graviton != nil {
			g = *e.Graviton
		}
		p.Environments = append(p.Environments, batch.EnvironmentSpec{
			Name: e.Name, Kind: batch.ComputeKind(e.Kind), MaxVCPUs: e.MaxVCPUs, InstanceTypes: e.InstanceTypes,
			Graviton: g, RootVolumeGiB: e.RootVolumeGiB, ScratchVolumeGiB: e.ScratchVolumeGiB,
		})
	}
	if len(c.Queues) == 0 {
		p.Queues = batch.DefaultQueues()
	}
	for _, q := range c.Queues {
		p.Queues = append(p.Queues, batch.QueueSpec{Name: q.Name, Priority: q.Priority, Environments: q.Environments})
	}
	return p
}

// LustreEnabled reports whether the environment has FSx for Lustre.
func (c *Compute) LustreEnabled() bool { return c.Lustre.Mode != "" && c.Lustre.Mode != LustreNone }

// LustreProps returns the Lustre props (without network, lake and client
// security group), or nil with mode none.
func (c *Compute) LustreProps(e *Environment) *lustre.Props {
	if !c.LustreEnabled() {
		return nil
	}
	l := c.Lustre
	mode := lustre.ModePersistent
	if l.Mode == LustrePerRun {
		mode = lustre.ModePerRun
	}
	return &lustre.Props{
		Mode: mode, DeploymentType: lustre.DeploymentType(l.DeploymentType), StorageCapacityGiB: l.StorageCapacityGiB,
		ThroughputPerTiB: l.ThroughputPerTiB, RawPrefix: l.RawPrefix, ResultsPrefix: l.ResultsPrefix,
		BackupRetentionDays: l.BackupRetentionDays, LogRetentionDays: e.Logs.RetentionDays,
		// Per-run file systems are tagged with it; their age check counts
		// those of this environment.
		Environment: e.Name,
	}
}

// WorkflowProps returns the props of workflow i (without Batch, Glue, Lake
// and the file system), its steps' images made by image (nil: pulled from
// the registry as written; a stack passes batch.ImageFromRef, which grants
// pull on private ECR repositories). Durations are assumed valid (Validate
// checks them).
func (c *Compute) WorkflowProps(e *Environment, i int, image func(ref string) awsecs.ContainerImage) *workflow.Props {
	if image == nil {
		image = func(ref string) awsecs.ContainerImage {
			return awsecs.ContainerImage_FromRegistry(jsii.String(ref), nil)
		}
	}
	w := c.Workflows[i]
	timeout, _ := parseDuration(w.Timeout)
	p := &workflow.Props{
		Name: w.Name, Profiles: w.Profiles, Project: w.Project, MapConcurrency: w.MapConcurrency, MaxSamples: w.MaxSamples,
		SkipRestore: w.SkipRestore, RestoreTier: workflow.RestoreTier(w.RestoreTier), RestoreDays: w.RestoreDays,
		Timeout: timeout, LogRetentionDays: e.Logs.RetentionDays,
		StartOnSettled: e.EventGlue.StartWorkflowsOnSettled,
	}
	for _, s := range w.Steps {
		t, _ := parseDuration(s.Timeout)
		step := workflow.Step{
			Name: s.Name, Command: s.Command, VCPUs: s.VCPUs, MemoryMiB: s.MemoryMiB, GPUs: s.GPUs,
			Queue: s.Queue, Timeout: t, Environment: s.Environment,
		}
		for _, b := range s.Reads {
			step.Reads = append(step.Reads, datalake.BucketName(b))
		}
		if s.Image != "" {
			step.Image = image(s.Image)
		}
		p.Steps = append(p.Steps, step)
	}
	return p
}

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

func (c *Compute) validate(e *Environment) error {
	if !c.Enabled() {
		if c.LustreEnabled() || len(c.Environments) > 0 || len(c.Queues) > 0 || c.DefaultQueue != "" || c.Graviton || c.Nextflow != (Nextflow{}) {
			return e.fail("compute.workflows", "", "is empty: compute environments, queues, Lustre and Nextflow settings take effect only with a workflow or nextflow.enabled; add a workflow, set nextflow.enabled, or remove the settings")
		}
		return nil
	}
	for i, env := range c.Environments {
		if !slices.Contains([]string{string(batch.CPUSpot), string(batch.CPUOnDemand), string(batch.GPU), string(batch.Fargate)}, env.Kind) {
			return e.fail(fmt.Sprintf("compute.environments[%d].kind", i), env.Kind, "is not accepted; use cpu-spot, cpu-ondemand, gpu or fargate")
		}
	}
	bp := c.BatchProps()
	if err := bp.ValidateSettings(); err != nil {
		return &FieldError{File: e.File, Path: "compute", Msg: err.Error()}
	}
	switch c.Lustre.Mode {
	case "", LustreNone, LustrePersistent, LustrePerRun:
	default:
		return e.fail("compute.lustre.mode", c.Lustre.Mode, "is not accepted; use none, persistent or per-run")
	}
	if lp := c.LustreProps(e); lp != nil {
		if err := lp.ValidateSettings(); err != nil {
			return &FieldError{File: e.File, Path: "compute.lustre", Msg: err.Error()}
		}
	} else if c.Lustre != (Lustre{Mode: c.Lustre.Mode}) {
		return e.fail("compute.lustre.mode", c.Lustre.Mode, "is none but other lustre settings are given; set mode persistent or per-run, or remove them")
	}
	known := runs.ProfileNames()
	var names []string
	for i, w := range c.Workflows {
		at := fmt.Sprintf("compute.workflows[%d]", i)
		if slices.Contains(names, w.Name) {
			return e.fail(at+".name", w.Name, "is used by an earlier workflow; workflow names must be unique")
		}
		names = append(names, w.Name)
		if _, err := parseDuration(w.Timeout); err != nil {
			return e.fail(at+".timeout", w.Timeout, "is not a duration; write it like 72h or 90m")
		}
		for j, pr := range w.Profiles {
			if !slices.Contains(known, pr) {
				return e.fail(fmt.Sprintf("%s.profiles[%d]", at, j), pr, "is not an instrument profile; use one of %s", strings.Join(known, ", "))
			}
		}
		for j, s := range w.Steps {
			sat := fmt.Sprintf("%s.steps[%d]", at, j)
			if _, err := parseDuration(s.Timeout); err != nil {
				return e.fail(sat+".timeout", s.Timeout, "is not a duration; write it like 12h or 30m")
			}
			if err := validImage(s.Image); err != nil {
				return e.fail(sat+".image", s.Image, "%v", err)
			}
		}
		wp := c.WorkflowProps(e, i, nil)
		if err := wp.ValidateSettings(bp); err != nil {
			return &FieldError{File: e.File, Path: at, Msg: err.Error()}
		}
		if err := wp.ValidateTimeout(c.Lustre.Mode == LustrePerRun); err != nil {
			return &FieldError{File: e.File, Path: at + ".timeout", Msg: err.Error()}
		}
	}
	if n := c.Nextflow; n.Enabled {
		if err := validImage(n.Image); n.Image != "" && err != nil {
			return e.fail("compute.nextflow.image", n.Image, "%v", err)
		}
		queues := queueNames(bp)
		for _, q := range []struct{ path, name string }{{"headQueue", n.HeadQueue}, {"taskQueue", n.TaskQueue}} {
			if q.name != "" && !slices.Contains(queues, q.name) {
				return e.fail("compute.nextflow."+q.path, q.name, "is not a queue of compute.queues; use one of %s", strings.Join(queues, ", "))
			}
		}
		// "" is the default queue.
		if capacity, err := bp.Capacity(n.TaskQueue); err == nil && capacity.Fargate {
			return e.fail("compute.nextflow.taskQueue", n.TaskQueue, "is (or defaults to) a Fargate queue; Nextflow's tasks need a queue of EC2 environments (they use the hosts' /scratch): name one in compute.nextflow.taskQueue")
		}
	} else if n != (Nextflow{}) {
		return e.fail("compute.nextflow.enabled", "false", "is false but other nextflow settings are given; set it true or remove them")
	}
	return nil
}

func queueNames(bp *batch.Props) []string {
	var out []string
	for _, q := range bp.Queues {
		out = append(out, q.Name)
	}
	sort.Strings(out)
	return out
}

// validImage checks the shape of a container image reference: no spaces,
// a repository, and a tag or digest (a moving "latest" is refused: a
// rerun must run the same software).
func validImage(ref string) error {
	switch {
	case ref == "":
		return errors.New("is required: a container image such as public.ecr.aws/biocontainers/samtools:1.17--h00cdaf9_0")
	case strings.ContainsAny(ref, " \t\n"):
		return errors.New("contains white space; a container image reference has none")
	}
	name, digest, hasDigest := strings.Cut(ref, "@")
	if hasDigest {
		if !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
			return errors.New("has a digest that is not sha256:<64 hex digits>")
		}
		return nil
	}
	slash := strings.LastIndex(name, "/")
	colon := strings.LastIndex(name, ":")
	if colon <= slash || colon == len(name)-1 {
		return errors.New("has no tag; pin a version tag or a @sha256 digest so that reruns use the same software")
	}
	if name[colon+1:] == "latest" {
		return errors.New("uses the moving tag latest; pin a version tag or a @sha256 digest so that reruns use the same software")
	}
	return nil
}

// NextflowProps returns the Nextflow props (without queue, lake and log key).
func (c *Compute) NextflowProps() *batch.NextflowProps {
	n := c.Nextflow
	return &batch.NextflowProps{HeadQueue: n.HeadQueue, TaskQueue: n.TaskQueue, Image: n.Image}
}

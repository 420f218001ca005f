package cost

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/workflow"
)

// RunSize is the size of the run a per-run cost is for.
type RunSize struct {
	// Samples in the run's sample sheet: each step runs once per sample.
	Samples int
	// InputGB is the run's input data: what a restore from Glacier reads.
	InputGB float64
}

// DefaultRunSize is the run docs/COSTS.md prices: 24 samples, 500 GB.
var DefaultRunSize = RunSize{Samples: 24, InputGB: 500}

// StepCost is one step of a workflow, priced for one sample.
type StepCost struct {
	Name, Queue string
	Kind        batch.ComputeKind
	VCPUs       float64
	MemoryMiB   int
	GPUs        int
	Timeout     time.Duration
	// Runs on says where it is priced: "Fargate ARM64" or the instance type.
	RunsOn string
	// Hourly is the price of an hour of the step (Spot at the table's Spot
	// factor), volumes included.
	Hourly float64
	// PerSample is Hourly times the timeout: the most one sample's step
	// can cost (retries of reclaimed or failed hosts aside).
	PerSample float64
}

// RunCost is the upper bound of one run of a workflow.
type RunCost struct {
	Workflow       string
	Region         string
	Size           RunSize
	MapConcurrency int
	Steps          []StepCost
	// Compute is every step for every sample at its timeout.
	Compute float64
	// Hours bounds the run's wall-clock time: waves of MapConcurrency
	// samples, each the sum of the step timeouts, at most the workflow's
	// timeout.
	Hours float64
	// LustreGiB is the per-run file system's capacity, 0 without one;
	// Lustre its charge for Hours.
	LustreGiB int
	Lustre    float64
	// Transitions estimates the state transitions of the run; States is
	// their charge.
	Transitions int
	States      float64
	// Total is Compute + Lustre + States.
	Total float64
	// RestoreTier and Restore: reading InputGB back from Deep Archive when
	// the inputs are archived (not in Total: most runs start on fresh
	// data); "" and 0 with skipRestore.
	RestoreTier string
	Restore     float64
}

// PerRun prices one run of size of each workflow of env.
func PerRun(env *config.Environment, p *Prices, size RunSize) ([]RunCost, error) {
	if size.Samples < 1 {
		return nil, fmt.Errorf("cost: a run of %d samples; accepted: 1 or more", size.Samples)
	}
	if size.InputGB < 0 {
		return nil, fmt.Errorf("cost: a run of %g GB; accepted: 0 or more", size.InputGB)
	}
	region := env.Region
	if region == "" {
		region = DefaultRegion
	}
	if !p.Covers(region) {
		return nil, fmt.Errorf("cost: environment %s is in %s, which the price table does not cover (it covers %s)", env.Name, region, strings.Join(p.Regions, ", "))
	}
	c := &env.Compute
	bp := c.BatchProps()
	var out []RunCost
	for _, w := range c.Workflows {
		rc := RunCost{Workflow: w.Name, Region: region, Size: size, MapConcurrency: w.MapConcurrency}
		if rc.MapConcurrency == 0 {
			rc.MapConcurrency = workflow.DefaultMapConcurrency
		}
		var stepHours float64
		for _, s := range w.Steps {
			sc, err := priceStep(bp, s, p, region)
			if err != nil {
				return nil, fmt.Errorf("cost: workflow %s step %s: %w", w.Name, s.Name, err)
			}
			rc.Steps = append(rc.Steps, sc)
			rc.Compute += sc.PerSample * float64(size.Samples)
			stepHours += sc.Timeout.Hours()
		}
		waves := math.Ceil(float64(size.Samples) / float64(rc.MapConcurrency))
		rc.Hours = waves * stepHours
		limit := workflow.DefaultTimeout
		if w.Timeout != "" {
			d, err := time.ParseDuration(w.Timeout)
			if err != nil {
				return nil, fmt.Errorf("cost: workflow %s: timeout %q: %w", w.Name, w.Timeout, err)
			}
			limit = d
		}
		rc.Hours = math.Min(rc.Hours, limit.Hours())
		if c.Lustre.Mode == config.LustrePerRun {
			rc.LustreGiB = lustre.DefaultStorageCapacityGiB
			gb, err := p.Get("fsx.lustre.SCRATCH_2.gbmonth", region)
			if err != nil {
				return nil, err
			}
			rc.Lustre = float64(rc.LustreGiB) * gb * rc.Hours / p.HoursPerMonth
		}
		// Start, restore, file system, sample sheet, catalog and notify
		// states, and per sample the Map iteration with a submit and a
		// wait per step: an estimate, the definition has choices and
		// retries.
		rc.Transitions = 30 + size.Samples*(2+2*len(w.Steps))
		tp, err := p.Get("states.transitions.1k", region)
		if err != nil {
			return nil, err
		}
		rc.States = float64(rc.Transitions) / 1000 * tp
		rc.Total = rc.Compute + rc.Lustre + rc.States
		if !w.SkipRestore {
			rc.RestoreTier = w.RestoreTier
			if rc.RestoreTier == "" {
				rc.RestoreTier = string(workflow.RestoreBulk)
			}
			gb, err := p.Get("s3.DEEP_ARCHIVE.retrieval."+rc.RestoreTier+".gb", region)
			if err != nil {
				return nil, err
			}
			rc.Restore = size.InputGB * gb
		}
		out = append(out, rc)
	}
	return out, nil
}

// priceStep prices an hour of one step on the first compute environment of
// its queue.
func priceStep(bp *batch.Props, s config.WorkflowStep, p *Prices, region string) (StepCost, error) {
	sc := StepCost{Name: s.Name, Queue: s.Queue, VCPUs: s.VCPUs, MemoryMiB: s.MemoryMiB, GPUs: s.GPUs}
	if sc.VCPUs == 0 {
		sc.VCPUs = batch.DefaultJobVCPUs
	}
	sc.Timeout = batch.DefaultJobTimeout
	if s.Timeout != "" {
		d, err := time.ParseDuration(s.Timeout)
		if err != nil {
			return sc, fmt.Errorf("timeout %q: %w", s.Timeout, err)
		}
		sc.Timeout = d
	}
	if sc.Queue == "" {
		sc.Queue = bp.DefaultQueue
		if sc.Queue == "" && len(bp.Queues) > 0 {
			sc.Queue = bp.Queues[0].Name
		}
	}
	qi := slices.IndexFunc(bp.Queues, func(q batch.QueueSpec) bool { return q.Name == sc.Queue })
	if qi < 0 || len(bp.Queues[qi].Environments) == 0 {
		return sc, fmt.Errorf("queue %q is not one of the compute's queues", sc.Queue)
	}
	envName := bp.Queues[qi].Environments[0]
	ei := slices.IndexFunc(bp.Environments, func(e batch.EnvironmentSpec) bool { return e.Name == envName })
	if ei < 0 {
		return sc, fmt.Errorf("queue %q names environment %q, which does not exist", sc.Queue, envName)
	}
	e := bp.Environments[ei]
	sc.Kind = e.Kind
	if e.Kind == batch.Fargate {
		if sc.MemoryMiB == 0 {
			sc.MemoryMiB = int(sc.VCPUs * 2048)
		}
		v, err := p.Get("fargate.arm64.vcpu.hour", region)
		if err != nil {
			return sc, err
		}
		g, err := p.Get("fargate.arm64.gb.hour", region)
		if err != nil {
			return sc, err
		}
		sc.RunsOn = "Fargate ARM64"
		sc.Hourly = sc.VCPUs*v + float64(sc.MemoryMiB)/1024*g
		sc.PerSample = sc.Hourly * sc.Timeout.Hours()
		return sc, nil
	}
	if sc.MemoryMiB == 0 {
		sc.MemoryMiB = batch.DefaultJobMemoryMiB
	}
	typ, hourly, err := cheapestInstance(e, sc, p, region)
	if err != nil {
		return sc, err
	}
	root, scratch := e.RootVolumeGiB, e.ScratchVolumeGiB
	if root == 0 {
		root = batch.DefaultRootVolumeGiB
	}
	if scratch == 0 {
		scratch = batch.DefaultScratchVolumeGiB
	}
	ebs, err := p.Get("ebs.gp3.gbmonth", region)
	if err != nil {
		return sc, err
	}
	sc.RunsOn = typ
	if e.Kind == batch.CPUSpot {
		f, err := p.Get("ec2.spot.factor", region)
		if err != nil {
			return sc, err
		}
		hourly *= f
		sc.RunsOn += " Spot"
	}
	sc.Hourly = hourly + float64(root+scratch)*ebs/p.HoursPerMonth
	sc.PerSample = sc.Hourly * sc.Timeout.Hours()
	return sc, nil
}

// sizes are the instance sizes the batch package knows, small to large.
var sizes = []string{"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"}

// cheapestInstance returns the cheapest instance type of the environment
// that fits the step (the least Batch could place it on alone), and its
// on-demand hourly price.
func cheapestInstance(e batch.EnvironmentSpec, sc StepCost, p *Prices, region string) (string, float64, error) {
	types := e.InstanceTypes
	if len(types) == 0 {
		switch {
		case e.Kind == batch.GPU:
			types = batch.GPUFamilies
		case e.Graviton:
			types = batch.GravitonCPUFamilies
		default:
			types = batch.IntelCPUFamilies
		}
	}
	var candidates []string
	for _, t := range types {
		if strings.Contains(t, ".") {
			candidates = append(candidates, t)
			continue
		}
		for _, s := range sizes {
			candidates = append(candidates, t+"."+s)
		}
	}
	best, bestPrice := "", math.Inf(1)
	var missing []string
	for _, t := range candidates {
		spec, ok := batch.Instance(t)
		if !ok || !strings.Contains(t, ".") {
			continue
		}
		// Batch reserves a share of memory for the OS and the agent.
		if float64(spec.VCPUs) < sc.VCPUs || spec.MemoryMiB*94/100 < sc.MemoryMiB || spec.GPUs < sc.GPUs {
			continue
		}
		price, err := instancePrice(t, spec, p, region)
		if err != nil {
			missing = append(missing, t)
			continue
		}
		if price < bestPrice {
			best, bestPrice = t, price
		}
	}
	if best == "" {
		if len(missing) > 0 {
			return "", 0, fmt.Errorf("no price for the instance types that fit it (%s): add them to internal/cost/prices.json", strings.Join(missing, ", "))
		}
		return "", 0, fmt.Errorf("no instance type of %v fits %g vCPUs, %d MiB and %d GPUs", types, sc.VCPUs, sc.MemoryMiB, sc.GPUs)
	}
	return best, bestPrice, nil
}

// instancePrice prices an instance type from its own entry or, for the CPU
// families priced linearly, from the family's vCPU-hour.
func instancePrice(typ string, spec batch.InstanceSpec, p *Prices, region string) (float64, error) {
	if v, err := p.Get("ec2."+typ+".hour", region); err == nil {
		return v, nil
	}
	family, _, _ := strings.Cut(typ, ".")
	v, err := p.Get("ec2."+family+".vcpu.hour", region)
	if err != nil {
		return 0, err
	}
	return v * float64(spec.VCPUs), nil
}

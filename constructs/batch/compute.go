package batch

import (
	"fmt"
	"github.com/biolake/biolake/constructs/validation"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// ComputeKind is the kind of a compute environment.
type ComputeKind string

// Compute kinds.
const (
	// CPUSpot runs on EC2 Spot instances (allocation
	// SPOT_PRICE_CAPACITY_OPTIMIZED): cheapest, may be reclaimed (the job
	// definitions retry a reclaimed attempt).
	CPUSpot ComputeKind = "cpu-spot"
	// CPUOnDemand runs on EC2 on-demand instances.
	CPUOnDemand ComputeKind = "cpu-ondemand"
	// GPU runs on on-demand g5/g6 instances with the ECS GPU AMI
	// (ECS_AL2023_NVIDIA).
	GPU ComputeKind = "gpu"
	// Fargate runs on AWS Fargate (ARM64): no hosts, no GPUs, at most 16
	// vCPUs and 120 GiB per job.
	Fargate ComputeKind = "fargate"
)

// EC2 returns whether k runs on EC2 instances.
func (k ComputeKind) EC2() bool { return k == CPUSpot || k == CPUOnDemand || k == GPU }

var kinds = []ComputeKind{CPUSpot, CPUOnDemand, GPU, Fargate}

// Instance families and their defaults.
var (
	// IntelCPUFamilies are the default instance types of CPU environments.
	IntelCPUFamilies = []string{"m7i", "c7i", "r7i"}
	// GravitonCPUFamilies are the default instance types of CPU
	// environments with Graviton set (ARM64 images only).
	GravitonCPUFamilies = []string{"m7g", "c7g", "r7g"}
	// GPUFamilies are the default instance types of GPU environments.
	GPUFamilies = []string{"g5", "g6"}
)

// Volume sizes and limits (GiB).
const (
	DefaultRootVolumeGiB    = 50
	MinRootVolumeGiB        = 30 // the ECS AL2023 AMIs' snapshot size
	DefaultScratchVolumeGiB = 200
	MaxVolumeGiB            = 16384 // gp3
	// ScratchPath is where the scratch volume is mounted on the host and in
	// the containers of EC2 jobs.
	ScratchPath = "/scratch"
	// LustrePath is where the EC2 hosts mount FSx for Lustre (Props.Lustre):
	// a persistent file system at LustrePath itself, per-run file systems at
	// LustrePath/<file-system-id>.
	LustrePath = "/fsx"
	// LustreEnv is the environment variable that tells a job with
	// JobProps.Lustre where its file system is mounted.
	LustreEnv = "FSX_PATH"
	// reservedMemoryPercent of an instance's memory is left to the OS and
	// the ECS agent: a job may ask for the rest.
	reservedMemoryPercent = 6
)

// InstanceSpec is one instance type's size.
type InstanceSpec struct {
	VCPUs     int
	MemoryMiB int
	GPUs      int
	ARM64     bool
}

// instances is the table of the instance types environments may use: a
// family name (Batch picks sizes) or family.size.
var instances = func() map[string]InstanceSpec {
	out := map[string]InstanceSpec{}
	sizes := []struct {
		name  string
		vcpus int
	}{{"large", 2}, {"xlarge", 4}, {"2xlarge", 8}, {"4xlarge", 16}, {"8xlarge", 32}, {"12xlarge", 48}, {"16xlarge", 64}, {"24xlarge", 96}, {"48xlarge", 192}}
	add := func(family string, gibPerVCPU int, arm bool, maxVCPUs int, gpus map[string]int) {
		for _, s := range sizes {
			if s.vcpus > maxVCPUs || (gpus != nil && s.name == "large") {
				continue
			}
			spec := InstanceSpec{VCPUs: s.vcpus, MemoryMiB: s.vcpus * gibPerVCPU * 1024, ARM64: arm}
			if gpus != nil {
				spec.GPUs = gpus[s.name]
				if spec.GPUs == 0 {
					spec.GPUs = 1
				}
			}
			out[family+"."+s.name] = spec
		}
	}
	for _, f := range []struct {
		name string
		gib  int
	}{{"m", 4}, {"c", 2}, {"r", 8}} {
		add(f.name+"7i", f.gib, false, 192, nil)
		add(f.name+"7g", f.gib, true, 64, nil)
	}
	gpus := map[string]int{"12xlarge": 4, "24xlarge": 4, "48xlarge": 8}
	add("g5", 4, false, 192, gpus)
	add("g6", 4, false, 192, gpus)
	// Training- and large-model-class GPU instances: one size each.
	out["p4d.24xlarge"] = InstanceSpec{VCPUs: 96, MemoryMiB: 1152 * 1024, GPUs: 8}
	out["p5.48xlarge"] = InstanceSpec{VCPUs: 192, MemoryMiB: 2048 * 1024, GPUs: 8}
	return out
}()

// Instance returns the size of an instance type or the largest size of a
// family, and whether biolake knows it.
func Instance(typ string) (InstanceSpec, bool) {
	if s, ok := instances[typ]; ok {
		return s, true
	}
	var best InstanceSpec
	found := false
	for name, s := range instances {
		if strings.HasPrefix(name, typ+".") {
			found = true
			best.ARM64 = s.ARM64
			best.VCPUs = max(best.VCPUs, s.VCPUs)
			best.MemoryMiB = max(best.MemoryMiB, s.MemoryMiB)
			best.GPUs = max(best.GPUs, s.GPUs)
		}
	}
	return best, found
}

func knownInstanceTypes() string {
	fams := slices.Concat(IntelCPUFamilies, GravitonCPUFamilies, GPUFamilies)
	return "a family (" + strings.Join(fams, ", ") + ") or one of its sizes (e.g. m7g.4xlarge, g5.12xlarge), or p4d.24xlarge or p5.48xlarge"
}

// EnvironmentSpec is one compute environment.
type EnvironmentSpec struct {
	// Name of the environment, unique, letters and digits (it becomes part
	// of construct ids, which are API). Required.
	Name string
	// Kind of compute. Required.
	Kind ComputeKind
	// MaxVCPUs the environment runs at once, 1 to 4096. Default: 64.
	MaxVCPUs int
	// InstanceTypes of an EC2 environment: families or sizes from the
	// table Instance knows. Not for Fargate. Default: IntelCPUFamilies
	// (GravitonCPUFamilies with Graviton) for CPU kinds, GPUFamilies for GPU.
	InstanceTypes []string
	// Graviton picks the ARM64 (m7g/c7g/r7g) default instance types for a
	// CPU environment; its jobs' images must be ARM64. Default: false.
	Graviton bool
	// RootVolumeGiB of the instances' encrypted gp3 root volume, 30 to
	// 16384. EC2 only. Default: 50.
	RootVolumeGiB int
	// ScratchVolumeGiB of the instances' encrypted gp3 scratch volume,
	// mounted at /scratch on the host and in every EC2 job, 1 to 16384.
	// EC2 only. Default: 200.
	ScratchVolumeGiB int
}

// QueueSpec is one job queue in front of compute environments.
type QueueSpec struct {
	// Name of the queue, unique, letters and digits. Required.
	Name string
	// Priority among queues sharing environments: higher is scheduled
	// first, 0 to 1000. Default: 1.
	Priority int
	// Environments, by name, in the order the scheduler tries them; all
	// Fargate or all EC2. Required.
	Environments []string
}

// DefaultEnvironments returns Spot and on-demand CPU, GPU and Fargate
// environments; graviton picks ARM64 CPU instances.
func DefaultEnvironments(graviton bool) []EnvironmentSpec {
	return []EnvironmentSpec{
		{Name: "Spot", Kind: CPUSpot, MaxVCPUs: 256, Graviton: graviton},
		{Name: "OnDemand", Kind: CPUOnDemand, MaxVCPUs: 64, Graviton: graviton},
		{Name: "Gpu", Kind: GPU, MaxVCPUs: 32},
		{Name: "Fargate", Kind: Fargate, MaxVCPUs: 64},
	}
}

// DefaultQueues returns the queues of DefaultEnvironments: "High"
// (on-demand, priority 100), "Default" (Spot, then on-demand, priority 50),
// "Gpu" (priority 50) and "Fargate" (priority 10).
func DefaultQueues() []QueueSpec {
	return []QueueSpec{
		{Name: "High", Priority: 100, Environments: []string{"OnDemand"}},
		{Name: "Default", Priority: 50, Environments: []string{"Spot", "OnDemand"}},
		{Name: "Gpu", Priority: 50, Environments: []string{"Gpu"}},
		{Name: "Fargate", Priority: 10, Environments: []string{"Fargate"}},
	}
}

var namePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,39}$`)

func (e EnvironmentSpec) instanceTypes() []string {
	switch {
	case len(e.InstanceTypes) > 0:
		return e.InstanceTypes
	case e.Kind == GPU:
		return GPUFamilies
	case e.Kind == Fargate:
		return nil
	case e.Graviton:
		return GravitonCPUFamilies
	}
	return IntelCPUFamilies
}

func (e EnvironmentSpec) withDefaults() EnvironmentSpec {
	if e.MaxVCPUs == 0 {
		e.MaxVCPUs = DefaultMaxVCPUs
	}
	if e.Kind.EC2() {
		e.InstanceTypes = e.instanceTypes()
		if e.RootVolumeGiB == 0 {
			e.RootVolumeGiB = DefaultRootVolumeGiB
		}
		if e.ScratchVolumeGiB == 0 {
			e.ScratchVolumeGiB = DefaultScratchVolumeGiB
		}
	}
	return e
}

// validateCompute checks Environments and Queues.
func (p *Props) validateCompute() []error {
	if len(p.Environments) == 0 && len(p.Queues) == 0 {
		return nil
	}
	var errs []error
	// The field (Props.Environments[i], Props.Queues[i], ...) leads the
	// message; these checks compare several fields at once.
	bad := func(format string, a ...any) {
		errs = append(errs, &validation.Error{Problem: fmt.Sprintf(format, a...)})
	}
	if len(p.Environments) == 0 {
		bad("Props.Queues is set but Props.Environments is empty; accepted: environments for the queues, e.g. batch.DefaultEnvironments(false)")
	}
	if len(p.Queues) == 0 {
		bad("Props.Environments is set but Props.Queues is empty; accepted: at least one queue, e.g. batch.DefaultQueues()")
	}
	if p.Spot || p.MaxVCPUs != 0 {
		bad("Props.Spot and Props.MaxVCPUs configure the single Fargate queue and cannot be set with Props.Environments; accepted: a Fargate EnvironmentSpec")
	}
	envs := map[string]EnvironmentSpec{}
	for i, e := range p.Environments {
		at := fmt.Sprintf("Props.Environments[%d]", i)
		if !namePattern.MatchString(e.Name) {
			bad("%s.Name is %q; accepted: a letter then letters or digits, at most 40", at, e.Name)
		} else if _, dup := envs[e.Name]; dup {
			bad("%s.Name %q is used twice; accepted: unique names", at, e.Name)
		}
		envs[e.Name] = e
		if !slices.Contains(kinds, e.Kind) {
			bad("%s.Kind is %q; accepted: %q, %q, %q or %q", at, e.Kind, CPUSpot, CPUOnDemand, GPU, Fargate)
			continue
		}
		if e.MaxVCPUs < 0 || e.MaxVCPUs > MaxMaxVCPUs {
			bad("%s.MaxVCPUs is %d; accepted: 1 to %d, or 0 for the default %d", at, e.MaxVCPUs, MaxMaxVCPUs, DefaultMaxVCPUs)
		}
		if e.Kind == Fargate {
			if len(e.InstanceTypes) > 0 || e.Graviton || e.RootVolumeGiB != 0 || e.ScratchVolumeGiB != 0 {
				bad("%s (%q) is Fargate; InstanceTypes, Graviton, RootVolumeGiB and ScratchVolumeGiB apply to EC2 kinds only; accepted: leave them unset", at, e.Name)
			}
			continue
		}
		if e.Kind == GPU && e.Graviton {
			bad("%s (%q).Graviton is set on a GPU environment; accepted: Graviton on CPU kinds only (g5/g6 are x86_64)", at, e.Name)
		}
		if e.InstanceTypes != nil && len(e.InstanceTypes) == 0 {
			bad("%s (%q).InstanceTypes is empty; accepted: nil for the defaults, or %s", at, e.Name, knownInstanceTypes())
		}
		for _, it := range e.InstanceTypes {
			spec, ok := Instance(it)
			switch {
			case !ok:
				bad("%s (%q).InstanceTypes has %q; accepted: %s", at, e.Name, it, knownInstanceTypes())
			case e.Kind == GPU && spec.GPUs == 0:
				bad("%s (%q).InstanceTypes has %q, which has no GPU; accepted for a GPU environment: %s, p4d.24xlarge or p5.48xlarge", at, e.Name, it, strings.Join(GPUFamilies, ", "))
			case e.Kind != GPU && spec.GPUs > 0:
				bad("%s (%q).InstanceTypes has the GPU type %q in a CPU environment; accepted: a GPU environment for it", at, e.Name, it)
			case spec.ARM64 != e.Graviton && e.Kind != GPU:
				bad("%s (%q).InstanceTypes has %q (ARM64 %v) but Graviton is %v; accepted: one architecture per environment, Graviton set for m7g/c7g/r7g", at, e.Name, it, spec.ARM64, e.Graviton)
			}
		}
		for _, v := range []struct {
			field string
			n, lo int
		}{{"RootVolumeGiB", e.RootVolumeGiB, MinRootVolumeGiB}, {"ScratchVolumeGiB", e.ScratchVolumeGiB, 1}} {
			if v.n != 0 && (v.n < v.lo || v.n > MaxVolumeGiB) {
				bad("%s (%q).%s is %d; accepted: %d to %d, or 0 for the default", at, e.Name, v.field, v.n, v.lo, MaxVolumeGiB)
			}
		}
	}
	queues := map[string]bool{}
	for i, q := range p.Queues {
		at := fmt.Sprintf("Props.Queues[%d]", i)
		if !namePattern.MatchString(q.Name) {
			bad("%s.Name is %q; accepted: a letter then letters or digits, at most 40", at, q.Name)
		} else if queues[q.Name] {
			bad("%s.Name %q is used twice; accepted: unique names", at, q.Name)
		}
		queues[q.Name] = true
		if q.Priority < 0 || q.Priority > 1000 {
			bad("%s (%q).Priority is %d; accepted: 0 to 1000", at, q.Name, q.Priority)
		}
		if len(q.Environments) == 0 {
			bad("%s (%q).Environments is empty; accepted: names of Props.Environments", at, q.Name)
		}
		fargate, ec2 := false, false
		for _, n := range q.Environments {
			e, ok := envs[n]
			if !ok {
				bad("%s (%q).Environments names %q, which is not in Props.Environments; accepted: %s", at, q.Name, n, strings.Join(envNames(p.Environments), ", "))
				continue
			}
			fargate = fargate || e.Kind == Fargate
			ec2 = ec2 || e.Kind.EC2()
		}
		if fargate && ec2 {
			bad("%s (%q) mixes Fargate and EC2 environments; accepted: all Fargate or all EC2 (an AWS Batch rule)", at, q.Name)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(q.Environments)))) != len(q.Environments) {
			bad("%s (%q).Environments names an environment twice; accepted: each once", at, q.Name)
		}
	}
	if p.DefaultQueue != "" && !queues[p.DefaultQueue] {
		bad("Props.DefaultQueue is %q; accepted: one of Props.Queues (%s)", p.DefaultQueue, strings.Join(queueNames(p.Queues), ", "))
	}
	return errs
}

func envNames(es []EnvironmentSpec) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

func queueNames(qs []QueueSpec) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.Name
	}
	return out
}

// QueueCapacity is what the largest instance of a queue's environments
// gives one job.
type QueueCapacity struct {
	Fargate   bool
	VCPUs     int
	MemoryMiB int // less the share reserved for the OS and the ECS agent
	GPUs      int
}

// Capacity returns the capacity of the named queue ("" for the default
// queue), or an error when there is no such queue.
func (p *Props) Capacity(queue string) (QueueCapacity, error) {
	if len(p.Queues) == 0 {
		if queue != "" {
			return QueueCapacity{}, validation.New("", "queue", queue, `"": the batch has one Fargate queue (Props.Queues is empty)`)
		}
		return QueueCapacity{Fargate: true, VCPUs: 16, MemoryMiB: 122880}, nil
	}
	if queue == "" {
		queue = p.defaultQueue()
	}
	i := slices.IndexFunc(p.Queues, func(q QueueSpec) bool { return q.Name == queue })
	if i < 0 {
		return QueueCapacity{}, validation.New("", "queue", queue, "one of %s", strings.Join(queueNames(p.Queues), ", "))
	}
	var c QueueCapacity
	for _, n := range p.Queues[i].Environments {
		for _, e := range p.Environments {
			if e.Name != n {
				continue
			}
			e = e.withDefaults()
			if e.Kind == Fargate {
				return QueueCapacity{Fargate: true, VCPUs: 16, MemoryMiB: 122880}, nil
			}
			for _, it := range e.InstanceTypes {
				s, _ := Instance(it)
				c.VCPUs = max(c.VCPUs, s.VCPUs)
				c.MemoryMiB = max(c.MemoryMiB, s.MemoryMiB*(100-reservedMemoryPercent)/100)
				c.GPUs = max(c.GPUs, s.GPUs)
			}
		}
	}
	return c, nil
}

func (p *Props) defaultQueue() string {
	if p.DefaultQueue != "" {
		return p.DefaultQueue
	}
	if len(p.Queues) > 0 {
		return p.Queues[0].Name
	}
	return ""
}

// ValidateJob checks a job for the queue it names (JobProps.Queue) in the
// compute of p: the queue exists, a GPU job goes to a queue with GPUs, and
// the job's vCPUs, memory and GPUs fit the queue's largest instance type
// (or are a Fargate size on a Fargate queue). AddJob panics with the same
// errors.
func (p *Props) ValidateJob(jp *JobProps) error {
	if jp == nil {
		return validation.New("", "JobProps", validation.Raw("nil"), "props with Image set")
	}
	capacity, err := p.Capacity(jp.Queue)
	if err != nil {
		return validation.New("", "JobProps.Queue", jp.Queue, "%s", err.(*validation.Error).Accepted)
	}
	name := jp.Queue
	if name == "" {
		name = p.defaultQueue()
	}
	return jp.validateOn(name, capacity)
}

// validateOn checks jp for the queue named name, of the given capacity.
func (jp *JobProps) validateOn(name string, capacity QueueCapacity) error {
	errs := jp.common()
	bad := func(field string, value any, accepted string) {
		errs = append(errs, &validation.Error{Field: "JobProps." + field, Value: fmt.Sprintf("%s on queue %q", validation.Render(value), name), Accepted: accepted})
	}
	switch {
	case capacity.Fargate:
		errs = append(errs, jp.fargate()...)
		if jp.GPUs != 0 {
			bad("GPUs", jp.GPUs, "0 (Fargate has no GPUs): a queue with GPU environments")
		}
		if jp.Lustre {
			bad("Lustre", jp.Lustre, "false on a Fargate queue (Fargate cannot mount FSx for Lustre): a queue of EC2 environments")
		}
	default:
		vcpus := jp.VCPUs
		if vcpus == 0 {
			vcpus = DefaultJobVCPUs
		}
		if vcpus != float64(int(vcpus)) || vcpus < 1 || int(vcpus) > capacity.VCPUs {
			bad("VCPUs", jp.VCPUs, fmt.Sprintf("a whole number from 1 to %d (the queue's largest instance)", capacity.VCPUs))
		}
		if jp.MemoryMiB < 0 || jp.MemoryMiB > capacity.MemoryMiB {
			bad("MemoryMiB", jp.MemoryMiB, fmt.Sprintf("at most %d (the queue's largest instance less %d%% for the OS and ECS agent)", capacity.MemoryMiB, reservedMemoryPercent))
		}
		switch {
		case jp.GPUs < 0:
			bad("GPUs", jp.GPUs, "0 or more")
		case jp.GPUs > 0 && capacity.GPUs == 0:
			bad("GPUs", jp.GPUs, "0 on a CPU-only queue; submit GPU jobs to a queue of GPU environments")
		case jp.GPUs > capacity.GPUs:
			bad("GPUs", jp.GPUs, fmt.Sprintf("at most %d (the queue's largest instance)", capacity.GPUs))
		}
	}
	return validation.Join("", errs...)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

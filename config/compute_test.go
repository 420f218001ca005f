package config_test

import (
	"strings"
	"testing"

	"github.com/biolake/biolake/config"
)

// workflowYAML is one valid workflow with step s (indented as a list item
// of steps).
func workflowYAML(steps string) string {
	return "name: bad\ntags: {owner: lab}\ncompute:\n  workflows:\n    - name: wgs\n      steps:\n" + steps
}

const alignStep = "        - {name: Align, image: example.org/bwa:0.7.18, vcpus: 8, memoryMiB: 30000, queue: Default}\n"

func TestBadComputeConfig(t *testing.T) {
	const base = "name: bad\ntags: {owner: lab}\n"
	cases := []badCase{
		{"unknown queue", workflowYAML("        - {name: Align, image: example.org/bwa:0.7.18, queue: Fast}\n"),
			[]string{"bad.yaml: compute.workflows[0]", `Steps[0] ("Align")`, `"Fast"`, "Default", "Gpu"}},
		{"GPU step on a CPU-only queue", workflowYAML("        - {name: Call, image: example.org/caller:1.0, vcpus: 8, memoryMiB: 30000, gpus: 1, queue: Default}\n"),
			[]string{"compute.workflows[0]", "GPUs is 1", "CPU-only queue"}},
		{"memory beyond the instance types", workflowYAML("        - {name: Align, image: example.org/bwa:0.7.18, vcpus: 8, memoryMiB: 4000000, queue: Default}\n"),
			[]string{"compute.workflows[0]", "MemoryMiB is 4000000", "largest instance"}},
		{"no steps", base + "compute:\n  workflows:\n    - name: wgs\n", []string{"compute.workflows[0]", "Steps is empty", "at least one step"}},
		{"duplicate step names", workflowYAML(alignStep + alignStep), []string{"compute.workflows[0]", `Name is "Align": is used by an earlier step`}},
		{"duplicate workflow names", base + "compute:\n  workflows:\n    - {name: wgs, steps: [{name: A, image: example.org/a:1}]}\n    - {name: wgs, steps: [{name: B, image: example.org/b:1}]}\n",
			[]string{"compute.workflows[1].name", `"wgs"`, "unique"}},
		{"image without a tag", workflowYAML("        - {name: Align, image: example.org/bwa}\n"), []string{"compute.workflows[0].steps[0].image", "no tag"}},
		{"image on latest", workflowYAML("        - {name: Align, image: example.org/bwa:latest}\n"), []string{"steps[0].image", "latest"}},
		{"bad step timeout", workflowYAML("        - {name: Align, image: example.org/bwa:1, timeout: 12 hours}\n"), []string{"compute.workflows[0].steps[0].timeout", `"12 hours"`, "12h"}},
		{"unknown profile", base + "compute:\n  workflows:\n    - {name: wgs, profiles: [hiseq], steps: [{name: A, image: example.org/a:1}]}\n",
			[]string{"compute.workflows[0].profiles[0]", `"hiseq"`, "novaseq-x", "generic"}},
		{"bad workflow name", base + "compute:\n  workflows:\n    - {name: wgs-2, steps: [{name: A, image: example.org/a:1}]}\n", []string{"compute.workflows[0]", `Name is "wgs-2"`}},
		{"unknown lustre mode", workflowYAML(alignStep) + "  lustre: {mode: scratch}\n", []string{"compute.lustre.mode", `"scratch"`, "per-run"}},
		{"lustre capacity", workflowYAML(alignStep) + "  lustre: {mode: persistent, storageCapacityGiB: 1000}\n", []string{"compute.lustre", "StorageCapacityGiB", "1200"}},
		{"lustre settings with mode none", workflowYAML(alignStep) + "  lustre: {mode: none, throughputPerTiB: 500}\n", []string{"compute.lustre.mode", "none but other lustre settings"}},
		{"lustre without workflows", base + "compute:\n  lustre: {mode: per-run}\n", []string{"compute.workflows", "add a workflow"}},
		{"nextflow settings without workflows", base + "compute:\n  nextflow: {taskQueue: Default}\n", []string{"compute.workflows", "Nextflow settings take effect only"}},
		{"graviton without workflows", base + "compute:\n  graviton: true\n", []string{"compute.workflows", "remove the settings"}},
		{"unknown environment kind", workflowYAML(alignStep) + "  environments: [{name: Big, kind: cpu-reserved}]\n", []string{"compute.environments[0].kind", `"cpu-reserved"`, "cpu-spot"}},
		{"queue of an unknown environment", workflowYAML(alignStep) + "  environments: [{name: Spot, kind: cpu-spot}]\n  queues: [{name: Default, environments: [Spot, Big]}]\n",
			[]string{"bad.yaml: compute", `"Big"`}},
		{"nextflow with an unknown queue", base + "compute:\n  nextflow: {enabled: true, taskQueue: Huge}\n", []string{"compute.nextflow.taskQueue", `"Huge"`, "Default"}},
		{"nextflow tasks on Fargate", base + "compute:\n  nextflow: {enabled: true, taskQueue: Fargate}\n", []string{"compute.nextflow.taskQueue", `"Fargate"`, "EC2"}},
		{"nextflow settings while off", workflowYAML(alignStep) + "  nextflow: {headQueue: High}\n", []string{"compute.nextflow.enabled", "false but other nextflow settings"}},
		{"unknown bucket to read", workflowYAML("        - {name: Align, image: example.org/bwa:1, reads: [raw, scratch]}\n"), []string{"compute.workflows[0]", `Reads is "scratch"`, "curated"}},
		{"timeout shorter than the longest run", base + "compute:\n  lustre: {mode: per-run}\n  workflows:\n    - name: rnaseq\n      mapConcurrency: 4\n      maxSamples: 8\n      timeout: 24h\n      steps:\n" +
			"        - {name: Quantify, image: example.org/salmon:1.10.3, vcpus: 16, memoryMiB: 60000, queue: Default, timeout: 8h}\n",
			[]string{"compute.workflows[0].timeout", "Timeout is 24h", "restore 60h", "file system, links and mount 2h31m", "2 waves of the Map (maxSamples 8, 4 at once) x 24h3m",
				"Quantify 8h x 3 attempts", "export 12h", "deletion 1h1m", "= 124h8m", "at least 124h8m"}},
		{"maxSamples out of range", base + "compute:\n  workflows:\n    - {name: wgs, maxSamples: 5000, steps: [{name: A, image: example.org/a:1}]}\n",
			[]string{"compute.workflows[0]", "MaxSamples is 5000", "1 to 1000"}},
		{"misspelt step field", workflowYAML("        - {name: Align, image: example.org/bwa:1, cpus: 4}\n"), []string{"compute.workflows[0].steps[0].cpus", "not a known field", "vcpus"}},
	}
	checkBad(t, cases)
}

func TestComputeDefaults(t *testing.T) {
	env, err := config.Parse("environments/ok.yaml", []byte("name: ok\ntags: {owner: lab}\n"+
		"compute:\n  workflows:\n    - name: wgs\n      maxSamples: 10\n      timeout: 96h\n      steps:\n"+alignStep+
		"        - {name: Qc, image: example.org/qc@sha256:"+strings.Repeat("ab", 32)+", timeout: 90m, queue: Fargate}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := &env.Compute
	if !c.Enabled() || c.LustreEnabled() || c.LustreProps(env) != nil {
		t.Errorf("enabled %v, lustre %v", c.Enabled(), c.LustreEnabled())
	}
	bp := c.BatchProps()
	if len(bp.Environments) != 4 || len(bp.Queues) != 4 {
		t.Errorf("default compute: %d environments, %d queues, want 4 and 4", len(bp.Environments), len(bp.Queues))
	}
	wp := c.WorkflowProps(env, 0, nil)
	if wp.Timeout.Hours() != 96 || wp.MaxSamples != 10 || wp.Steps[1].Timeout.Minutes() != 90 || wp.LogRetentionDays != 365 || wp.Steps[0].Image == nil {
		t.Errorf("workflow props: timeout %s, step timeout %s, retention %d", wp.Timeout, wp.Steps[1].Timeout, wp.LogRetentionDays)
	}
}

func TestShippedComputeModes(t *testing.T) {
	for name, want := range map[string]string{"dev": config.LustreNone, "staging": config.LustrePerRun, "prod": config.LustrePersistent} {
		env, err := config.Load("../environments", name)
		if err != nil {
			t.Fatal(err)
		}
		if env.Compute.Lustre.Mode != want || !env.Compute.Enabled() {
			t.Errorf("%s: lustre mode %q (compute enabled %v), want %q", name, env.Compute.Lustre.Mode, env.Compute.Enabled(), want)
		}
	}
}

package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/workflow"
	"github.com/biolake/biolake/internal/assembly"
	"github.com/biolake/biolake/internal/sfnlocal"
)

// Kinds of the workflows without the event glue, synthesized by
// gluelessMachines in a test app (no environment uses them).
const (
	kindSolo       = "workflow without glue"
	kindSoloLustre = "workflow without glue, per-run Lustre"
)

// The glue-less test app's workflows: "solo" (two steps, started by a
// pattern on a bus of its own) and "solofsx" (a per-run file system,
// started directly).
var gluelessWorkflows = map[string]struct {
	kind  string
	steps []string
}{
	"solo":    {kindSolo, []string{"Count", "Report"}},
	"solofsx": {kindSoloLustre, []string{"Align"}},
}

// gluelessMachines synthesizes the glue-less test app and returns its
// state machines to execute, with their definitions by machine id.
func gluelessMachines(t *testing.T) ([]machine, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir), Context: &map[string]interface{}{secure.LogBucketPolicyFlag: true}})
	stack := awscdk.NewStack(app, jsii.String("Glueless"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-east-1")},
	})
	img := awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true})
	hpc := batch.New(stack, "Hpc", &batch.Props{Network: net, Environments: batch.DefaultEnvironments(false), Queues: batch.DefaultQueues()})
	fsx := lustre.New(stack, "Lustre", &lustre.Props{Network: net, Lake: lake, Mode: lustre.ModePerRun, ClientSecurityGroup: hpc.SecurityGroup})
	hpc.AttachLustre(fsx)
	step := func(name string) workflow.Step {
		return workflow.Step{Name: name, Image: img, VCPUs: 1, MemoryMiB: 2048, Queue: "Default"}
	}
	workflow.New(stack, "Solo", &workflow.Props{
		Name: "solo", Batch: hpc, Lake: lake, SkipRestore: true, Steps: []workflow.Step{step("Count"), step("Report")},
		StartBus:     awsevents.NewEventBus(stack, jsii.String("LabBus"), nil),
		StartPattern: &awsevents.EventPattern{Source: jsii.Strings("lab.sequencer"), DetailType: jsii.Strings("RunReady")},
	})
	workflow.New(stack, "SoloFsx", &workflow.Props{
		Name: "solofsx", Batch: hpc, Lake: lake, SkipRestore: true, Lustre: fsx, Steps: []workflow.Step{step("Align")},
	})
	app.Synth(nil)
	raw, err := os.ReadFile(filepath.Join(dir, "Glueless.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	var out []machine
	defs := map[string]string{}
	for id, r := range tpl.Resources {
		if r.Type != "AWS::StepFunctions::StateMachine" {
			continue
		}
		asl, err := assembly.RenderDefinition(r.Properties["DefinitionString"])
		if err != nil {
			t.Fatal(err)
		}
		kind, name := machineKind(asl)
		m := machine{id: "Glueless/" + id, kind: kind, workflow: name}
		switch kind {
		case kindWorkflow:
			w, ok := gluelessWorkflows[name]
			if !ok {
				t.Fatalf("glue-less app: workflow %q", name)
			}
			m.kind, m.steps = w.kind, w.steps
		case kindCleanup:
			m.steps = gluelessWorkflows[name].steps
		case kindStarter:
		default:
			t.Fatalf("glue-less app: %s is of kind %q", id, kind)
		}
		defs[m.id] = asl
		out = append(out, m)
	}
	if len(out) != 5 {
		t.Fatalf("glue-less app: %d state machines, want 5 (two workflows, two Starters, one cleanup)", len(out))
	}
	return out, defs
}

// gluelessSpecs are the documented paths of the workflows without glue.
func gluelessSpecs() []spec {
	samples := func(v any) func(map[string]any) {
		return func(in map[string]any) { in["samples"] = v }
	}
	var tooMany []string
	for i := 0; i <= workflow.DefaultMaxSamples; i++ {
		tooMany = append(tooMany, fmt.Sprintf("S%04d", i))
	}
	noCatalog := []string{workflow.StateRestore, workflow.StateListSamples, workflow.StateRecordResults, workflow.StateCatalog}
	start := []string{workflow.StatePartner, workflow.StatePrepare, workflow.StateHasSamples}
	noSamples := func(kind, path string, v any) spec {
		return spec{Kind: kind, Path: path, Status: "FAILED", Error: workflow.ErrNoSamples,
			States: []string{workflow.StateTakeSamples, workflow.StateCheckSamples, workflow.StateNoSamples, workflow.StateNotifyFailed, workflow.StateFailed},
			Not:    []string{workflow.StateMap, workflow.StateCreateFileSystem}, Topic: []string{"FAILED"}, input: samples(v)}
	}
	return []spec{
		{Kind: kindSolo, Path: "samples from the input", Status: "SUCCEEDED",
			States: join(start, []string{workflow.StateTakeSamples, workflow.StateCheckSamples, workflow.StateMap, "Run<first>", "Run<last>", workflow.StateNotify, workflow.StateSucceeded}),
			Not:    append([]string{workflow.StateOneItem}, noCatalog...), Topic: []string{"SUCCEEDED"}, input: samples([]string{"S1", "S2"})},
		{Kind: kindSolo, Path: "no samples in the input: the run is one item", Status: "SUCCEEDED",
			States: join(start, []string{workflow.StateOneItem, workflow.StateMap, "Run<first>", workflow.StateSucceeded}),
			Not:    append([]string{workflow.StateTakeSamples}, noCatalog...), Topic: []string{"SUCCEEDED"}},
		{Kind: kindSolo, Path: "smallest input (runId, bucket, prefix)", Status: "SUCCEEDED",
			States: []string{workflow.StatePartner, workflow.StateNoPartner, workflow.StatePrepare, workflow.StateOneItem, workflow.StateMap, workflow.StateSucceeded}, Topic: []string{"SUCCEEDED"},
			input: func(in map[string]any) {
				for k := range in {
					if k != "runId" && k != "bucket" && k != "prefix" {
						delete(in, k)
					}
				}
			}},
		noSamples(kindSolo, "samples empty", []string{}),
		noSamples(kindSolo, "samples not strings", []int{1, 2}),
		{Kind: kindSolo, Path: "more samples than maxSamples", Status: "FAILED", Error: workflow.ErrTooManySamples,
			States: []string{workflow.StateTakeSamples, workflow.StateCheckSamples, workflow.StateTooManySamples, workflow.StateNotifyFailed, workflow.StateFailed},
			Not:    []string{workflow.StateMap}, Topic: []string{"FAILED"}, input: samples(tooMany)},
		{Kind: kindSolo, Path: "step <step> fails", Status: "FAILED", Error: "States.TaskFailed",
			States: []string{workflow.StateMap, "Run<step>", workflow.StateStepFailed, workflow.StateNotifyFailed, workflow.StateFailed}, Topic: []string{"FAILED"},
			mocks: func(m mocks, step string) { m["Run"+step] = forever(sfnlocal.BatchJobFailed("biolake-"+step, 1)) }},

		{Kind: kindSoloLustre, Path: "success", Status: "SUCCEEDED",
			States: join(start, []string{workflow.StateOneItem, workflow.StateCreateFileSystem, workflow.StateMap, "Run<first>", workflow.StateExport, "Check" + workflow.PollExport},
				lustreEnd, []string{workflow.StateNotify, workflow.StateSucceeded}),
			Not: noCatalog, Topic: []string{"SUCCEEDED"}},
		{Kind: kindSoloLustre, Path: "step <step> fails: file system deleted", Status: "FAILED", Error: "States.TaskFailed",
			States: join([]string{workflow.StateMap, "Run<step>"}, lustreEnd, []string{workflow.StateNotifyFailed, workflow.StateFailed}), Not: []string{workflow.StateExport}, Topic: []string{"FAILED"},
			mocks: func(m mocks, step string) { m["Run"+step] = forever(sfnlocal.BatchJobFailed("biolake-"+step, 1)) }},
		noSamples(kindSoloLustre, "samples empty: no file system", []string{}),
	}
}

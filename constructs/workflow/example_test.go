package workflow_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/workflow"
)

// A two-step workflow on Spot CPU and GPU queues, started by RunIngested
// on the event glue's bus.
func Example() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{
		secure.LogBucketPolicyFlag: true,
		// Only for this example: skip compiling the Go handlers. A real app
		// leaves this out and gets them built at synth.
		"biolake:stubLambdaAssets": true,
	}})
	stack := awscdk.NewStack(app, jsii.String("Analysis"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", nil)
	img := awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil)
	glue := eventglue.New(stack, "EventGlue", &eventglue.Props{Lake: lake, Network: net, VerifierImage: img})
	hpc := batch.New(stack, "Hpc", &batch.Props{Network: net, Environments: batch.DefaultEnvironments(true), Queues: batch.DefaultQueues()})

	wf := workflow.New(stack, "RnaSeq", &workflow.Props{
		Name: "rnaseq", Batch: hpc, Glue: glue, Lake: lake, Project: "oncology",
		Steps: []workflow.Step{
			{Name: "Basecall", Image: img, VCPUs: 8, MemoryMiB: 30000, GPUs: 1, Queue: "Gpu"},
			{Name: "Align", Image: img, Command: []string{"align"}, VCPUs: 16, MemoryMiB: 60000, Queue: "Default"},
		},
	})
	fmt.Println(len(wf.Jobs), *wf.StateMachine.Node().Id(), workflow.DetailTypeWorkflowSucceeded)
	// Output: 2 StateMachine WorkflowSucceeded
}

// A workflow with a scratch FSx for Lustre file system per run: created and
// linked to the run's inputs before the steps, exported and deleted after.
// The Batch hosts mount it (AttachLustre) and the jobs find it at FSX_PATH.
func Example_perRunLustre() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{
		secure.LogBucketPolicyFlag: true,
		"biolake:stubLambdaAssets": true, // only for this example
	}})
	stack := awscdk.NewStack(app, jsii.String("Analysis"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", nil)
	img := awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil)
	glue := eventglue.New(stack, "EventGlue", &eventglue.Props{Lake: lake, Network: net, VerifierImage: img})
	hpc := batch.New(stack, "Hpc", &batch.Props{Network: net, Environments: batch.DefaultEnvironments(false), Queues: batch.DefaultQueues()})
	scratch := lustre.New(stack, "RunLustre", &lustre.Props{Network: net, Lake: lake, Mode: lustre.ModePerRun, ClientSecurityGroup: hpc.SecurityGroup})
	hpc.AttachLustre(scratch)

	wf := workflow.New(stack, "Wgs", &workflow.Props{
		Name: "wgs", Batch: hpc, Glue: glue, Lake: lake, Lustre: scratch,
		Steps: []workflow.Step{{Name: "Call", Image: img, VCPUs: 16, MemoryMiB: 60000, Queue: "Default"}},
	})
	fmt.Println(*wf.Starter.Node().Id(), len(wf.Alarms) > 0)
	// Output: Starter true
}

// A one-step workflow without the event glue: no restore, sample sheet or
// catalog; it starts on the lab's own "RunReady" events (their detail
// holds runId, bucket, prefix and, optionally, samples) or with
// StartExecution.
func Example_withoutGlue() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{secure.LogBucketPolicyFlag: true}})
	stack := awscdk.NewStack(app, jsii.String("Analysis"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", nil)
	img := awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil)
	hpc := batch.New(stack, "Hpc", &batch.Props{Network: net})

	wf := workflow.New(stack, "Count", &workflow.Props{
		Name: "count", Batch: hpc, Lake: lake, SkipRestore: true,
		Steps:        []workflow.Step{{Name: "Count", Image: img, VCPUs: 2, MemoryMiB: 4096}},
		StartBus:     awsevents.NewEventBus(stack, jsii.String("LabBus"), nil),
		StartPattern: &awsevents.EventPattern{Source: jsii.Strings("lab.sequencer"), DetailType: jsii.Strings("RunReady")},
	})
	fmt.Println(*wf.Rule.Node().Id(), *wf.StateMachine.Node().Id())
	// Output: StartRule StateMachine
}

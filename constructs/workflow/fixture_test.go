package workflow_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/workflow"
	"github.com/biolake/biolake/internal/assembly"
)

// One App, held to the cdk-nag packs: a stack with the network, the data
// lake, the event glue, HPC Batch compute, per-run FSx for Lustre and three
// workflows: "rnaseq" (restore, CPU, GPU and Fargate steps), "qc" (no
// restore, profiles, its own alarm topic), "wgs" (restore, a file system
// per run, EC2 steps) and "keyed" (every key supplied).
var (
	once   sync.Once
	asm    *cdktest.Assembly
	outdir string
	// workflows are the fixture's workflows by construct id.
	workflows = map[string]*workflow.Workflow{}
)

const stackName = "Analysis"

type template = cdktest.CfnTemplate

func image() awsecs.ContainerImage {
	return awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil)
}

func rnaseqSteps() []workflow.Step {
	return []workflow.Step{
		{Name: "Align", Image: image(), Command: []string{"align"}, VCPUs: 16, MemoryMiB: 60000, Queue: "Default"},
		{Name: "Basecall", Image: image(), VCPUs: 8, MemoryMiB: 30000, GPUs: 1, Queue: "Gpu"},
		{Name: "Report", Image: image(), VCPUs: 1, MemoryMiB: 2048, Queue: "Fargate", Reads: []datalake.BucketName{datalake.BucketResults}},
	}
}

func load(t *testing.T) template {
	t.Helper()
	once.Do(func() {
		asm = cdktest.Synth("", func(app awscdk.App) []awscdk.Stack {
			stack := awscdk.NewStack(app, jsii.String(stackName), nil)
			net := network.New(stack, "Network", nil)
			lake := datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true})
			glue := eventglue.New(stack, "EventGlue", &eventglue.Props{Lake: lake, Network: net, VerifierImage: image()})
			hpc := batch.New(stack, "Hpc", &batch.Props{Network: net, Environments: batch.DefaultEnvironments(false), Queues: batch.DefaultQueues()})
			fsx := lustre.New(stack, "Lustre", &lustre.Props{Network: net, Lake: lake, Mode: lustre.ModePerRun, ClientSecurityGroup: hpc.SecurityGroup})
			hpc.AttachLustre(fsx)
			workflows["RnaSeq"] = workflow.New(stack, "RnaSeq", &workflow.Props{Name: "rnaseq", Steps: rnaseqSteps(), Batch: hpc, Glue: glue, Lake: lake, Project: "oncology"})
			ops := awssns.NewTopic(stack, jsii.String("OpsTopic"), &awssns.TopicProps{
				MasterKey:  secure.NewKey(stack, "OpsKey", &secure.KeyProps{Services: []secure.Service{secure.ServiceSNS}}),
				EnforceSSL: jsii.Bool(true),
			})
			workflows["Qc"] = workflow.New(stack, "Qc", &workflow.Props{
				Name: "qc", Batch: hpc, Glue: glue, Lake: lake, SkipRestore: true, Profiles: []string{"novaseq-x"},
				Steps:      []workflow.Step{{Name: "FastQC", Image: image(), VCPUs: 2, MemoryMiB: 4096}},
				AlarmTopic: ops,
			})
			workflows["Wgs"] = workflow.New(stack, "Wgs", &workflow.Props{
				Name: "wgs", Batch: hpc, Glue: glue, Lake: lake, Lustre: fsx, LustreStorageGiB: 2400, StartOnSettled: true,
				Steps: []workflow.Step{
					{Name: "Align", Image: image(), VCPUs: 16, MemoryMiB: 60000, Queue: "Default"},
					{Name: "Call", Image: image(), VCPUs: 8, MemoryMiB: 30000, GPUs: 1, Queue: "Gpu"},
				},
			})
			// Every key of the workflow supplied.
			key := func(name string) awskms.IKey {
				return awskms.Key_FromKeyArn(stack, jsii.String("Lab"+name), jsii.String(suppliedKeys[name]))
			}
			workflow.New(stack, "Keyed", &workflow.Props{
				Name: "keyed", Batch: hpc, Glue: glue, Lake: lake, SkipRestore: true,
				Steps:  []workflow.Step{{Name: "Count", Image: image(), VCPUs: 1, MemoryMiB: 2048, Queue: "Fargate"}},
				LogKey: key("LogKey"), TopicKey: key("TopicKey"), QueueKey: key("QueueKey"),
			})
			return []awscdk.Stack{stack}
		})
		outdir = asm.Dir
	})
	asm.Check(t)
	return asm.Templates[stackName]
}

// definitions returns the ASL of every state machine, by logical id, with
// the CloudFormation tokens of its Fn::Join replaced by placeholders.
func definitions(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id, r := range load(t).Resources {
		if r.Type != "AWS::StepFunctions::StateMachine" {
			continue
		}
		out[id] = render(t, r.Properties["DefinitionString"])
	}
	return out
}

func render(t *testing.T, v any) string {
	t.Helper()
	asl, err := assembly.RenderDefinition(v)
	if err != nil {
		t.Fatal(err)
	}
	return asl
}

func parse(t *testing.T, asl string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(asl), &m); err != nil {
		t.Fatalf("definition is not JSON: %v\n%s", err, asl)
	}
	return m
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

package workflow_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/workflow"
)

// A lab that brings everything: its VPC (network.FromVpc), its buckets and
// key (datalake.FromBuckets) and its Batch job queue; a glue-less workflow
// runs on them, held to the cdk-nag packs.
var (
	labOnce sync.Once
	labAsm  *cdktest.Assembly
)

const (
	labStack    = "LabQueue"
	labQueueArn = "arn:aws:batch:eu-west-1:111122223333:job-queue/lab-genomics"
)

func loadLab(t *testing.T) *cdktest.Assembly {
	t.Helper()
	labOnce.Do(func() {
		labAsm = cdktest.Synth("", func(app awscdk.App) []awscdk.Stack {
			stack := awscdk.NewStack(app, jsii.String(labStack), nil)
			own := cdktest.BringYourOwn(stack, nil, false)
			queues := batch.FromJobQueues(stack, "LabBatch", &batch.FromJobQueuesProps{Queues: []batch.ExistingQueue{{
				Name: "Genomics", Platform: batch.PlatformEC2, VCPUs: 64, MemoryMiB: 240000,
				JobQueue: awsbatch.JobQueue_FromJobQueueArn(stack, jsii.String("LabJobQueue"), jsii.String(labQueueArn)),
			}}})
			workflow.New(stack, "Variants", &workflow.Props{
				Name: "variants", Batch: queues, Lake: own.Lake, SkipRestore: true,
				Steps: []workflow.Step{
					{Name: "Align", Image: image(), VCPUs: 32, MemoryMiB: 120000},
					{Name: "Call", Image: image(), Queue: "Genomics", VCPUs: 8, MemoryMiB: 30000},
				},
				StartPattern: &awsevents.EventPattern{Source: jsii.Strings("lab.sequencer"), DetailType: jsii.Strings("RunReady")},
			})
			return []awscdk.Stack{stack}
		})
	})
	labAsm.Check(t)
	return labAsm
}

// On the lab's own resources the workflow creates no compute environment,
// job queue, VPC or bucket; its job definitions are the EC2 ones of its
// steps, and cdk-nag finds nothing unsuppressed.
func TestWorkflowOnExistingJobQueue(t *testing.T) {
	a := loadLab(t)
	for _, typ := range []string{"AWS::Batch::ComputeEnvironment", "AWS::Batch::JobQueue", "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::LaunchTemplate", "AWS::S3::Bucket"} {
		if n := len(a.OfType(labStack, typ, "")); n != 0 {
			t.Errorf("%d %s created", n, typ)
		}
	}
	defs := a.OfType(labStack, "AWS::Batch::JobDefinition", "")
	if len(defs) != 2 {
		t.Fatalf("%d job definitions, want the 2 steps'", len(defs))
	}
	for path, d := range defs {
		if !strings.HasPrefix(path, "LabBatch/variants") {
			t.Errorf("job definition at %s, want under LabBatch/variants<Step>", path)
		}
		if c := js(d.Properties["PlatformCapabilities"]); strings.Contains(c, "FARGATE") {
			t.Errorf("%s: %s on an EC2 queue", path, c)
		}
	}
	a.NagGate(t, "/LabBatch/", "imported Batch queues")
}

// The state machine submits to the lab's queue, by its ARN, and its own
// steps' job definitions only; the steps' tasks name the same queue.
func TestWorkflowOnExistingJobQueueSubmits(t *testing.T) {
	a := loadLab(t)
	var submit []string
	for _, r := range a.OfType(labStack, "AWS::IAM::Policy", "Variants/StateMachine/Role") {
		for _, s := range cdktest.Statements(r.Properties["PolicyDocument"]) {
			if !cdktest.HasAction(s, "batch:SubmitJob") {
				continue
			}
			res, _ := s["Resource"].([]any)
			for _, x := range res {
				submit = append(submit, js(x))
			}
		}
	}
	var queues, defs int
	for _, r := range submit {
		switch {
		case r == `"`+labQueueArn+`"`:
			queues++
		case strings.Contains(r, "LabBatchvariantsAlignDefinition") || strings.Contains(r, "LabBatchvariantsCallDefinition"):
			defs++
		default:
			t.Errorf("batch:SubmitJob on %s: neither the lab's queue nor a step's job definition", r)
		}
	}
	if queues == 0 || defs != 2 {
		t.Errorf("batch:SubmitJob on %v: want the lab's queue %s and the 2 steps' definitions", submit, labQueueArn)
	}
	for path, r := range a.OfType(labStack, "AWS::StepFunctions::StateMachine", "Variants/StateMachine") {
		asl := render(t, r.Properties["DefinitionString"])
		if n := strings.Count(asl, `"JobQueue":"`+labQueueArn+`"`); n != 2 {
			t.Errorf("%s: %d steps submit to %s, want 2", path, n, labQueueArn)
		}
	}
}

// A step on a queue the importer does not have, or sized for EC2 on a
// Fargate queue, is refused before anything is built.
func TestWorkflowOnExistingJobQueueRefuses(t *testing.T) {
	_, stack := cdktest.NewStack("Lab")
	own := cdktest.BringYourOwn(stack, nil, false)
	queues := batch.FromJobQueues(stack, "LabBatch", &batch.FromJobQueuesProps{Queues: []batch.ExistingQueue{{
		Name: "Light", Platform: batch.PlatformFargate,
		JobQueue: awsbatch.JobQueue_FromJobQueueArn(stack, jsii.String("LabJobQueue"), jsii.String(labQueueArn)),
	}}})
	for name, c := range map[string]struct {
		steps []workflow.Step
		want  string
	}{
		"unknown queue": {[]workflow.Step{{Name: "Align", Image: image(), Queue: "Heavy"}}, `queue "Heavy" does not exist`},
		"ec2 size":      {[]workflow.Step{{Name: "Align", Image: image(), VCPUs: 32}}, "a Fargate size"},
	} {
		t.Run(name, func(t *testing.T) {
			msg, panicked := cdktest.Catch(func() {
				workflow.New(stack, "Wf", &workflow.Props{Name: "wf", Batch: queues, Lake: own.Lake, SkipRestore: true, Steps: c.steps})
			})
			if !panicked || !strings.Contains(msg, c.want) {
				t.Errorf("panicked %v with %q; want %q", panicked, msg, c.want)
			}
		})
	}
}

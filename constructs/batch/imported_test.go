package batch_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/validation"
)

const (
	heavyQueueArn = "arn:aws:batch:eu-west-1:111122223333:job-queue/lab-heavy"
	lightQueueArn = "arn:aws:batch:eu-west-1:111122223333:job-queue/lab-light"
)

func busybox() awsecs.ContainerImage {
	return awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil)
}

// buildExisting builds the "Existing" stack: a lab's EC2 queue (the
// default) and Fargate queue, imported, with one job on each and the
// lab's log key.
func buildExisting(app awscdk.App) {
	stack := awscdk.NewStack(app, jsii.String("Existing"), nil)
	im := batch.FromJobQueues(stack, "LabQueues", &batch.FromJobQueuesProps{
		Queues: []batch.ExistingQueue{
			{Name: "Light", Platform: batch.PlatformFargate, JobQueue: awsbatch.JobQueue_FromJobQueueArn(stack, jsii.String("Light"), jsii.String(lightQueueArn))},
			{Name: "Heavy", Platform: batch.PlatformEC2, VCPUs: 32, MemoryMiB: 120000,
				JobQueue: awsbatch.JobQueue_FromJobQueueArn(stack, jsii.String("Heavy"), jsii.String(heavyQueueArn))},
		},
		DefaultQueue: "Heavy",
		LogKey:       awskms.Key_FromKeyArn(stack, jsii.String("LabLogKey"), jsii.String(byoLogKeyArn)),
	})
	im.AddJob("Align", &batch.JobProps{Image: busybox(), VCPUs: 16, MemoryMiB: 64000})
	im.AddJob("Report", &batch.JobProps{Queue: "Light", Image: busybox(), VCPUs: 0.5})
}

// TestFromJobQueues: the imported queues create job definitions, roles
// and log groups only; the Fargate queue's definition has the FARGATE
// capability, the EC2 queue's the EC2 one and /scratch; the logs use the
// lab's key.
func TestFromJobQueues(t *testing.T) {
	load(t)
	for _, typ := range []string{"AWS::Batch::ComputeEnvironment", "AWS::Batch::JobQueue", "AWS::EC2::LaunchTemplate", "AWS::EC2::SecurityGroup", "AWS::KMS::Key", "AWS::EC2::VPC"} {
		if n := len(ofType(existing, typ)); n != 0 {
			t.Errorf("the Existing stack creates %d %s", n, typ)
		}
	}
	if n := len(ofType(existing, "AWS::Batch::JobDefinition")); n != 2 {
		t.Fatalf("%d job definitions, want 2", n)
	}
	align := only(t, existing, "AWS::Batch::JobDefinition", "LabQueuesAlign")
	if c := js(align["PlatformCapabilities"]); !strings.Contains(c, "EC2") || strings.Contains(c, "FARGATE") {
		t.Errorf("Align (EC2 queue) platform capabilities %s", c)
	}
	if v := js(align["ContainerProperties"]); !strings.Contains(v, `"/scratch"`) {
		t.Errorf("Align lacks the /scratch volume: %s", v)
	}
	report := only(t, existing, "AWS::Batch::JobDefinition", "LabQueuesReport")
	if c := js(report["PlatformCapabilities"]); c != `["FARGATE"]` {
		t.Errorf("Report (Fargate queue) platform capabilities %s", c)
	}
	if v := js(report["ContainerProperties"]); !strings.Contains(v, `"ARM64"`) {
		t.Errorf("Report is not an ARM64 Fargate job: %s", v)
	}
	groups := ofType(existing, "AWS::Logs::LogGroup")
	if len(groups) != 2 {
		t.Fatalf("%d log groups, want one per job", len(groups))
	}
	for id, g := range groups {
		if k := js(g["Properties"].(map[string]any)["KmsKeyId"]); !strings.Contains(k, byoLogKeyArn) {
			t.Errorf("%s is encrypted with %s, want the lab's key", id, k)
		}
	}
}

// The importer answers for its queues by name, "" being the default.
func TestFromJobQueuesLookups(t *testing.T) {
	_, stack := cdktest.NewStack("Lab")
	heavy := awsbatch.JobQueue_FromJobQueueArn(stack, jsii.String("Heavy"), jsii.String(heavyQueueArn))
	light := awsbatch.JobQueue_FromJobQueueArn(stack, jsii.String("Light"), jsii.String(lightQueueArn))
	var q batch.IQueue = batch.FromJobQueues(stack, "LabQueues", &batch.FromJobQueuesProps{Queues: []batch.ExistingQueue{
		{Name: "Light", Platform: batch.PlatformFargate, JobQueue: light},
		{Name: "Heavy", Platform: batch.PlatformEC2, VCPUs: 8, MemoryMiB: 30000, GPUs: 1, JobQueue: heavy},
	}})
	if q.JobQueueOf("") != light || q.JobQueueOf("Heavy") != heavy || q.JobQueueOf("Gpu") != nil {
		t.Errorf("JobQueueOf: the default is not the first queue, or a name maps wrongly")
	}
	if c, err := q.Capacity("Heavy"); err != nil || c != (batch.QueueCapacity{VCPUs: 8, MemoryMiB: 30000, GPUs: 1}) {
		t.Errorf("Capacity(Heavy) = %+v, %v", c, err)
	}
	if c, err := q.Capacity(""); err != nil || !c.Fargate {
		t.Errorf("Capacity(\"\") = %+v, %v; want the Fargate default", c, err)
	}
	if q.AttachedLustre() != nil {
		t.Error("an imported queue has a Lustre file system attached")
	}
	for name, c := range map[string]struct {
		jp   *batch.JobProps
		want string
	}{
		"unknown queue":   {&batch.JobProps{Queue: "Gpu", Image: busybox()}, `queue "Gpu" does not exist`},
		"fargate size":    {&batch.JobProps{Image: busybox(), VCPUs: 3}, "a Fargate size"},
		"too big for ec2": {&batch.JobProps{Queue: "Heavy", Image: busybox(), VCPUs: 16}, "a whole number from 1 to 8"},
		"gpus":            {&batch.JobProps{Queue: "Heavy", Image: busybox(), GPUs: 2}, "at most 1"},
		"lustre":          {&batch.JobProps{Queue: "Heavy", Image: busybox(), Lustre: true}, "JobProps.Lustre is true"},
	} {
		t.Run(name, func(t *testing.T) {
			msg, panicked := cdktest.Catch(func() { q.AddJob("Job", c.jp) })
			if !panicked || !strings.Contains(msg, c.want) {
				t.Errorf("AddJob: panicked %v with %q; want %q", panicked, msg, c.want)
			}
			if err := q.ValidateJob(c.jp); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ValidateJob: %v; want %q", err, c.want)
			}
		})
	}
}

func TestFromJobQueuesValidation(t *testing.T) {
	_, stack := cdktest.NewStack("Lab")
	heavy := awsbatch.JobQueue_FromJobQueueArn(stack, jsii.String("Heavy"), jsii.String(heavyQueueArn))
	ec2 := func(name string) batch.ExistingQueue {
		return batch.ExistingQueue{Name: name, Platform: batch.PlatformEC2, VCPUs: 8, MemoryMiB: 30000, JobQueue: heavy}
	}
	cases := []struct {
		name  string
		props *batch.FromJobQueuesProps
		want  []string
	}{
		{"nil props", nil, []string{"Lab/Queues", "FromJobQueuesProps with at least one queue"}},
		{"no queues", &batch.FromJobQueuesProps{}, []string{"Props.Queues is empty", "at least one existing job queue"}},
		{"nil queue", &batch.FromJobQueuesProps{Queues: []batch.ExistingQueue{{Name: "Heavy", Platform: batch.PlatformFargate}}},
			[]string{"Props.Queues[0].JobQueue is nil"}},
		{"bad name", &batch.FromJobQueuesProps{Queues: []batch.ExistingQueue{ec2("lab-heavy")}},
			[]string{`Props.Queues[0].Name is "lab-heavy"`, "a letter, then letters or digits"}},
		{"duplicate name", &batch.FromJobQueuesProps{Queues: []batch.ExistingQueue{ec2("Heavy"), ec2("Heavy")}},
			[]string{`Props.Queues[1].Name is "Heavy"`, "a name no other queue has"}},
		{"unknown default", &batch.FromJobQueuesProps{Queues: []batch.ExistingQueue{ec2("Heavy")}, DefaultQueue: "Light"},
			[]string{`Props.DefaultQueue is "Light"`, "the Name of one of Queues"}},
		{"no platform", &batch.FromJobQueuesProps{Queues: []batch.ExistingQueue{{Name: "Heavy", JobQueue: heavy}}},
			[]string{"Props.Queues[0].Platform", "batch.PlatformEC2 or batch.PlatformFargate"}},
		{"ec2 without sizes", &batch.FromJobQueuesProps{Queues: []batch.ExistingQueue{{Name: "Heavy", Platform: batch.PlatformEC2, JobQueue: heavy, GPUs: -1}}},
			[]string{"Props.Queues[0].VCPUs is 0", "Props.Queues[0].MemoryMiB is 0", "Props.Queues[0].GPUs is -1"}},
		{"fargate with sizes", &batch.FromJobQueuesProps{Queues: []batch.ExistingQueue{{Name: "Light", Platform: batch.PlatformFargate, JobQueue: heavy, VCPUs: 4}}},
			[]string{"Props.Queues[0] is VCPUs 4", "0 each on a Fargate queue"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got any
			func() {
				defer func() { got = recover() }()
				batch.FromJobQueues(stack, "Queues", c.props)
			}()
			err, ok := validation.Recover(got)
			if !ok {
				t.Fatalf("FromJobQueues did not panic with a validation error (got %v)", got)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

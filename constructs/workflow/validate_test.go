package workflow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/workflow"
)

func TestValidateSteps(t *testing.T) {
	hpc := &batch.Props{Network: &network.Network{}, Environments: batch.DefaultEnvironments(false), Queues: batch.DefaultQueues()}
	fargateOnly := &batch.Props{Network: &network.Network{}}
	step := func(mod func(*workflow.Step)) []workflow.Step {
		s := workflow.Step{Name: "Align", Image: image(), VCPUs: 4, MemoryMiB: 8192, Queue: "Default"}
		mod(&s)
		return []workflow.Step{s}
	}
	for _, c := range []struct {
		name  string
		steps []workflow.Step
		bp    *batch.Props
		want  string
	}{
		{"ok", rnaseqSteps(), hpc, ""},
		{"no batch props", rnaseqSteps(), nil, ""},
		{"no steps", nil, hpc, "Props.Steps is empty; accepted: at least one step"},
		{"duplicate", append(step(func(*workflow.Step) {}), step(func(*workflow.Step) {})...), hpc, `Props.Steps[1] ("Align").Name is "Align": is used by an earlier step`},
		{"bad name", step(func(s *workflow.Step) { s.Name = "align-1" }), hpc, `Name is "align-1"; accepted: a letter, then letters or digits`},
		{"unknown queue", step(func(s *workflow.Step) { s.Queue = "Huge" }), hpc, `Props.Steps[0] ("Align").Queue is "Huge"; accepted: one of High, Default, Gpu, Fargate`},
		{"gpu on cpu queue", step(func(s *workflow.Step) { s.GPUs = 1 }), hpc, `GPUs is 1 on queue "Default"; accepted: 0 on a CPU-only queue`},
		{"gpu on fargate", step(func(s *workflow.Step) { s.GPUs, s.Queue, s.VCPUs = 1, "Fargate", 1; s.MemoryMiB = 2048 }), hpc, "Fargate has no GPUs"},
		{"memory", step(func(s *workflow.Step) { s.MemoryMiB = 4 << 20 }), hpc, `MemoryMiB is 4194304 on queue "Default"; accepted: at most`},
		{"gpu memory", step(func(s *workflow.Step) { s.Queue, s.GPUs, s.MemoryMiB = "Gpu", 1, 800000 }), hpc, "accepted: at most 739246"},
		{"fargate size", step(func(s *workflow.Step) { s.Queue = "Fargate"; s.VCPUs = 3 }), hpc, "a Fargate size"},
		{"no image", step(func(s *workflow.Step) { s.Image = nil }), hpc, `Props.Steps[0] ("Align").Image is nil`},
		{"no image, no batch", step(func(s *workflow.Step) { s.Image = nil }), nil, `Props.Steps[0] ("Align").Image is nil`},
		{"timeout", step(func(s *workflow.Step) { s.Timeout = time.Second }), hpc, `Props.Steps[0] ("Align").Timeout is 1s`},
		{"queue on single fargate", step(func(*workflow.Step) {}), fargateOnly, "the batch has one Fargate queue"},
	} {
		err := workflow.ValidateSteps(c.steps, c.bp)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		case c.want != "":
			cdktest.ValidationErrors(t, err, "")
		}
	}
}

func TestValidateProps(t *testing.T) {
	ok := func(mod func(*workflow.Props)) error {
		p := &workflow.Props{Name: "rnaseq", Steps: rnaseqSteps()}
		mod(p)
		return p.Validate()
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", (*workflow.Props)(nil).Validate(), "Props is nil; accepted: props with Name, Steps"},
		{"missing constructs", ok(func(*workflow.Props) {}), "Props.Batch is nil"},
		{"restore without the glue", ok(func(*workflow.Props) {}), "Props.SkipRestore is false"},
		{"name", ok(func(p *workflow.Props) { p.Name = "rna seq" }), `Props.Name is "rna seq"`},
		{"fsx capacity without lustre", ok(func(p *workflow.Props) { p.LustreStorageGiB = 2400 }), "Props.LustreStorageGiB is 2400 without Props.Lustre"},
		{"tier", ok(func(p *workflow.Props) { p.RestoreTier = "Expedited" }), `Props.RestoreTier is "Expedited"`},
		{"days", ok(func(p *workflow.Props) { p.RestoreDays = 400 }), "Props.RestoreDays is 400"},
		{"map", ok(func(p *workflow.Props) { p.MapConcurrency = -1 }), "Props.MapConcurrency is -1"},
		{"retention", ok(func(p *workflow.Props) { p.LogRetentionDays = 2 }), "Props.LogRetentionDays is 2"},
		{"timeout", ok(func(p *workflow.Props) { p.Timeout = 400 * 24 * time.Hour }), "Props.Timeout is 9600h0m0s"},
		{"project", ok(func(p *workflow.Props) { p.Project = "a*b" }), `Props.Project is "a*b"`},
		{"profile", ok(func(p *workflow.Props) { p.Profiles = []string{""} }), "Props.Profiles[0] is empty"},
		{"steps", ok(func(p *workflow.Props) { p.Steps = nil }), "Props.Steps is empty"},
		{"topic and topic key", ok(func(p *workflow.Props) {
			_, stack := cdktest.NewStack("Keys")
			p.Topic = awssns.Topic_FromTopicArn(stack, jsii.String("Topic"), jsii.String("arn:aws:sns:eu-west-1:111122223333:notify"))
			p.TopicKey = awskms.Key_FromKeyArn(stack, jsii.String("Key"), jsii.String(suppliedKeys["TopicKey"]))
		}), "Props.TopicKey is set; accepted: either an existing topic (Topic) or TopicKey for the topic the construct creates, not both"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, c.err, c.want)
		}
		cdktest.ValidationErrors(t, c.err, "")
	}
}

// Props.Lustre must be a per-run construct, and its steps must be able to
// mount it (EC2 queues).
func TestValidateLustre(t *testing.T) {
	_, stack := cdktest.NewStack("Validate")
	var hpc *batch.Queue
	var persistent, perRun, other *lustre.Lustre
	cdktest.Must(t, "constructs", func() {
		net := network.New(stack, "Network", nil)
		lake := datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true})
		hpc = batch.New(stack, "Hpc", &batch.Props{Network: net, Environments: batch.DefaultEnvironments(false), Queues: batch.DefaultQueues()})
		persistent = lustre.New(stack, "Persistent", &lustre.Props{Network: net, Lake: lake, ClientSecurityGroup: hpc.SecurityGroup})
		perRun = lustre.New(stack, "PerRun", &lustre.Props{Network: net, Lake: lake, ClientSecurityGroup: hpc.SecurityGroup, Mode: lustre.ModePerRun})
		other = lustre.New(stack, "Other", &lustre.Props{Network: net, Lake: lake, ClientSecurityGroup: hpc.SecurityGroup, Mode: lustre.ModePerRun})
		hpc.AttachLustre(perRun)
	})
	ec2Steps := []workflow.Step{{Name: "Align", Image: image(), VCPUs: 16, MemoryMiB: 60000, Queue: "Default"}}
	props := func(mod func(*workflow.Props)) *workflow.Props {
		p := &workflow.Props{Name: "wgs", Steps: ec2Steps, Batch: hpc, SkipRestore: true, Lake: &datalake.DataLake{}, Lustre: perRun}
		mod(p)
		return p
	}
	if err := props(func(*workflow.Props) {}).Validate(); err != nil {
		t.Errorf("per-run Lustre with EC2 steps refused: %v", err)
	}
	for _, c := range []struct {
		name string
		mod  func(*workflow.Props)
		want string
	}{
		{"persistent", func(p *workflow.Props) { p.Lustre = persistent }, `Props.Lustre is a "persistent" construct; accepted: a lustre.ModePerRun construct`},
		{"fargate step", func(p *workflow.Props) { p.Steps = rnaseqSteps() }, `Props.Steps[2] ("Report"): Queue "Fargate" is a Fargate queue; accepted with Props.Lustre: an EC2 queue`},
		{"capacity", func(p *workflow.Props) { p.LustreStorageGiB = 1000 }, "Props.LustreStorageGiB is 1000; accepted: 1200 or a multiple of 2400"},
		{"not attached", func(p *workflow.Props) { p.Lustre = other }, "Props.Lustre is not attached to Props.Batch; accepted: the file system construct given to Batch.AttachLustre"},
	} {
		err := props(c.mod).Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// New refuses them with the construct's path.
	err := cdktest.CatchValidation(t, func() { workflow.New(stack, "Bad", props(func(p *workflow.Props) { p.Lustre = persistent })) })
	if msg := err.Error(); !strings.HasPrefix(msg, "Validate/Bad: ") || !strings.Contains(msg, "Props.Lustre") {
		t.Errorf("New: %s", msg)
	}
	cdktest.ValidationErrors(t, err, "Validate/Bad")
}

func TestStepReadsValidate(t *testing.T) {
	err := workflow.ValidateSteps([]workflow.Step{{Name: "A", Image: awsecs.ContainerImage_FromRegistry(jsii.String("x:1"), nil), Reads: []datalake.BucketName{"scratch"}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `Props.Steps[0] ("A").Reads is "scratch"; accepted: data buckets`) {
		t.Errorf("bad Reads: %v", err)
	}
}

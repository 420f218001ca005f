package batch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/network"
)

// buildHPC adds the "Hpc" stack: the default Spot, on-demand, GPU and
// Fargate environments (Graviton CPUs) and their queues, with a CPU job, a
// GPU job and a Fargate job, scoped to the data lake.
func buildHPC(app awscdk.App) {
	stack := awscdk.NewStack(app, jsii.String("Hpc"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true})
	envs := batch.DefaultEnvironments(true)
	envs[0].RootVolumeGiB, envs[0].ScratchVolumeGiB = 60, 500
	q := batch.New(stack, "Hpc", &batch.Props{Network: net, Environments: envs, Queues: batch.DefaultQueues(), DefaultQueue: "Default"})
	hpcQueue, hpcStack = q, stack
	q.AttachLustre(lustre.New(stack, "RunLustre", &lustre.Props{Network: net, Lake: lake, Mode: lustre.ModePerRun, ClientSecurityGroup: q.SecurityGroup}))
	busybox := awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil)
	align := q.AddJob("Align", &batch.JobProps{Image: busybox, VCPUs: 16, MemoryMiB: 60000, Timeout: 12 * time.Hour, Lustre: true})
	batch.GrantLake(align.JobRole, lake, []datalake.BucketName{datalake.BucketRaw, datalake.BucketCurated}, "", "workflows/")
	q.AddJob("Basecall", &batch.JobProps{Queue: "Gpu", Image: busybox, VCPUs: 8, MemoryMiB: 30000, GPUs: 1})
	q.AddJob("Small", &batch.JobProps{Queue: "Fargate", Image: busybox, VCPUs: 1})
	batch.NewNextflow(stack, "Nextflow", &batch.NextflowProps{Queue: q, Lake: lake})
	// Two images of one private ECR repository share its import.
	q.AddJob("Private", &batch.JobProps{Queue: "Default", Image: batch.ImageFromRef(stack, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/lab/qc:1.4.0")})
	q.AddJob("Pinned", &batch.JobProps{Queue: "Default", Image: batch.ImageFromRef(stack, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/lab/qc@sha256:"+strings.Repeat("0f", 32))})

	// A persistent file system mounted at boot.
	fsx := awscdk.NewStack(app, jsii.String("HpcFsx"), nil)
	fnet := network.New(fsx, "Network", nil)
	flake := datalake.New(fsx, "DataLake", &datalake.Props{DisableBackup: true})
	fq := batch.New(fsx, "Hpc", &batch.Props{Network: fnet, Environments: batch.DefaultEnvironments(false), Queues: batch.DefaultQueues()})
	fq.AttachLustre(lustre.New(fsx, "Lustre", &lustre.Props{Network: fnet, Lake: flake, ClientSecurityGroup: fq.SecurityGroup}))
	fq.AddJob("Call", &batch.JobProps{Image: busybox, VCPUs: 4, MemoryMiB: 8000, Lustre: true, Environment: map[string]string{"REF": "hg38"}})
}

func TestLaunchTemplates(t *testing.T) {
	load(t)
	lts := ofType(hpc, "AWS::EC2::LaunchTemplate")
	if len(lts) != 3 {
		t.Fatalf("%d launch templates, want 3 (Spot, OnDemand, Gpu)", len(lts))
	}
	for id, lt := range lts {
		d := lt["Properties"].(map[string]any)["LaunchTemplateData"].(map[string]any)
		md := d["MetadataOptions"].(map[string]any)
		if md["HttpTokens"] != "required" || md["HttpPutResponseHopLimit"] != 1.0 || md["HttpEndpoint"] != "enabled" {
			t.Errorf("%s: metadata options %s, want IMDSv2 only, hop limit 1 (containers must not reach the instance role; CT.EC2.PR.2)", id, js(md))
		}
		bdm := d["BlockDeviceMappings"].([]any)
		if len(bdm) != 2 {
			t.Fatalf("%s: %s", id, js(bdm))
		}
		for _, b := range bdm {
			ebs := b.(map[string]any)["Ebs"].(map[string]any)
			if ebs["Encrypted"] != true || ebs["VolumeType"] != "gp3" || !strings.Contains(js(ebs["KmsKeyId"]), "HpcVolumeKey") {
				t.Errorf("%s: volume %s, want encrypted gp3 with the volume key", id, js(b))
			}
		}
		if strings.HasPrefix(id, "HpcEnvSpotLaunchTemplate") &&
			(bdm[0].(map[string]any)["Ebs"].(map[string]any)["VolumeSize"] != 60.0 || bdm[1].(map[string]any)["Ebs"].(map[string]any)["VolumeSize"] != 500.0) {
			t.Errorf("%s: sizes %s, want 60 and 500 GiB", id, js(bdm))
		}
		if !strings.Contains(js(d["UserData"]), "mount") {
			t.Errorf("%s: user data does not mount the scratch volume", id)
		}
	}
}

func TestComputeEnvironments(t *testing.T) {
	load(t)
	byName := map[string]map[string]any{}
	for id, ce := range ofType(hpc, "AWS::Batch::ComputeEnvironment") {
		for _, n := range []string{"Spot", "OnDemand", "Gpu", "Fargate"} {
			if strings.HasPrefix(id, "HpcEnv"+n) {
				byName[n] = ce["Properties"].(map[string]any)["ComputeResources"].(map[string]any)
			}
		}
	}
	if len(byName) != 4 {
		t.Fatalf("environments %v", byName)
	}
	spot := byName["Spot"]
	if spot["Type"] != "SPOT" || spot["AllocationStrategy"] != "SPOT_PRICE_CAPACITY_OPTIMIZED" || spot["MaxvCpus"] != 256.0 ||
		js(spot["InstanceTypes"]) != `["m7g","c7g","r7g"]` || !strings.Contains(js(spot["LaunchTemplate"]), "LatestVersionNumber") {
		t.Errorf("spot %s", js(spot))
	}
	if od := byName["OnDemand"]; od["Type"] != "EC2" || js(od["InstanceTypes"]) != `["m7g","c7g","r7g"]` {
		t.Errorf("on-demand %s", js(od))
	}
	gpu := byName["Gpu"]
	if gpu["Type"] != "EC2" || js(gpu["InstanceTypes"]) != `["g5","g6"]` || !strings.Contains(js(gpu["Ec2Configuration"]), `"ImageType":"ECS_AL2023_NVIDIA"`) {
		t.Errorf("gpu %s", js(gpu))
	}
	if byName["Fargate"]["Type"] != "FARGATE" {
		t.Errorf("fargate %s", js(byName["Fargate"]))
	}
}

func TestQueuePriorities(t *testing.T) {
	load(t)
	want := map[string]struct {
		prio float64
		envs []string
	}{
		"High": {100, []string{"OnDemand"}}, "Default": {50, []string{"Spot", "OnDemand"}},
		"Gpu": {50, []string{"Gpu"}}, "Fargate": {10, []string{"Fargate"}},
	}
	seen := 0
	for id, jq := range ofType(hpc, "AWS::Batch::JobQueue") {
		for name, w := range want {
			if !strings.HasPrefix(id, "HpcQueue"+name) {
				continue
			}
			seen++
			p := jq["Properties"].(map[string]any)
			if p["Priority"] != w.prio {
				t.Errorf("%s: priority %v, want %v", name, p["Priority"], w.prio)
			}
			order := p["ComputeEnvironmentOrder"].([]any)
			if len(order) != len(w.envs) {
				t.Fatalf("%s: order %s", name, js(order))
			}
			for i, o := range order {
				o := o.(map[string]any)
				if o["Order"] != float64(i+1) || !strings.Contains(js(o["ComputeEnvironment"]), "HpcEnv"+w.envs[i]) {
					t.Errorf("%s: order[%d] = %s, want %s", name, i, js(o), w.envs[i])
				}
			}
		}
	}
	if seen != 4 {
		t.Errorf("%d queues", seen)
	}
}

func TestEC2Jobs(t *testing.T) {
	load(t)
	align := only(t, hpc, "AWS::Batch::JobDefinition", "HpcAlign")
	if js(align["PlatformCapabilities"]) != `["EC2"]` {
		t.Errorf("platform %s", js(align["PlatformCapabilities"]))
	}
	cp := align["ContainerProperties"].(map[string]any)
	if js(cp["ResourceRequirements"]) != `[{"Type":"MEMORY","Value":"60000"},{"Type":"VCPU","Value":"16"}]` ||
		!strings.Contains(js(cp["MountPoints"]), `"ContainerPath":"/scratch"`) {
		t.Errorf("container %s", js(cp))
	}
	rs := align["RetryStrategy"].(map[string]any)
	evals := js(rs["EvaluateOnExit"])
	if rs["Attempts"] != 3.0 || !strings.HasPrefix(evals, `[{"Action":"RETRY","OnStatusReason":"Host EC2*"}`) || !strings.HasSuffix(evals, `{"Action":"EXIT","OnReason":"*"}]`) {
		t.Errorf("retry strategy %s", js(rs))
	}
	if align["PropagateTags"] != true {
		t.Errorf("tags not propagated")
	}
	gpu := only(t, hpc, "AWS::Batch::JobDefinition", "HpcBasecall")
	if !strings.Contains(js(gpu), `{"Type":"GPU","Value":"1"}`) {
		t.Errorf("gpu job %s", js(gpu["ContainerProperties"]))
	}
	if small := only(t, hpc, "AWS::Batch::JobDefinition", "HpcSmall"); js(small["PlatformCapabilities"]) != `["FARGATE"]` {
		t.Errorf("fargate job %s", js(small))
	}
	// The job role reads raw and writes results, nothing else.
	pol := js(ofType(hpc, "AWS::IAM::Policy"))
	if !strings.Contains(pol, "HpcAlignJobRole") || !strings.Contains(pol, "DataLakeRaw") || !strings.Contains(pol, "workflows/*") {
		t.Errorf("job role policy %s", pol)
	}
}

func TestValidateCompute(t *testing.T) {
	net := &network.Network{}
	img := awsecs.ContainerImage_FromRegistry(jsii.String("busybox"), nil)
	hpc := &batch.Props{Network: net, Environments: batch.DefaultEnvironments(false), Queues: batch.DefaultQueues()}
	env := func(e batch.EnvironmentSpec) *batch.Props {
		return &batch.Props{Network: net, Environments: []batch.EnvironmentSpec{e}, Queues: []batch.QueueSpec{{Name: "Q", Environments: []string{e.Name}}}}
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"defaults", hpc.Validate(), ""},
		{"graviton", (&batch.Props{Network: net, Environments: batch.DefaultEnvironments(true), Queues: batch.DefaultQueues()}).Validate(), ""},
		{"no queues", (&batch.Props{Network: net, Environments: batch.DefaultEnvironments(false)}).Validate(), "Props.Queues is empty"},
		{"spot with envs", (&batch.Props{Network: net, Spot: true, Environments: hpc.Environments, Queues: hpc.Queues}).Validate(), "cannot be set with Props.Environments"},
		{"kind", env(batch.EnvironmentSpec{Name: "X", Kind: "tpu"}).Validate(), `Kind is "tpu"; accepted`},
		{"name", env(batch.EnvironmentSpec{Name: "a-b", Kind: batch.CPUSpot}).Validate(), `Name is "a-b"`},
		{"no instance types", env(batch.EnvironmentSpec{Name: "X", Kind: batch.CPUSpot, InstanceTypes: []string{}}).Validate(), "InstanceTypes is empty"},
		{"unknown type", env(batch.EnvironmentSpec{Name: "X", Kind: batch.CPUOnDemand, InstanceTypes: []string{"p3"}}).Validate(), `InstanceTypes has "p3"; accepted: a family`},
		{"p4d on gpu", env(batch.EnvironmentSpec{Name: "X", Kind: batch.GPU, InstanceTypes: []string{"p4d.24xlarge", "p5.48xlarge"}}).Validate(), ""},
		{"p5 job", env(batch.EnvironmentSpec{Name: "X", Kind: batch.GPU, InstanceTypes: []string{"p5.48xlarge"}}).ValidateJob(&batch.JobProps{Image: img, Queue: "Q", VCPUs: 96, MemoryMiB: 1 << 20, GPUs: 8}), ""},
		{"p4d job too big", env(batch.EnvironmentSpec{Name: "X", Kind: batch.GPU, InstanceTypes: []string{"p4d.24xlarge"}}).ValidateJob(&batch.JobProps{Image: img, Queue: "Q", VCPUs: 128, GPUs: 8}), "a whole number from 1 to 96"},
		{"gpu type on cpu", env(batch.EnvironmentSpec{Name: "X", Kind: batch.CPUOnDemand, InstanceTypes: []string{"g5"}}).Validate(), "GPU type \"g5\" in a CPU environment"},
		{"cpu type on gpu", env(batch.EnvironmentSpec{Name: "X", Kind: batch.GPU, InstanceTypes: []string{"m7i"}}).Validate(), "which has no GPU"},
		{"arch", env(batch.EnvironmentSpec{Name: "X", Kind: batch.CPUSpot, InstanceTypes: []string{"m7g"}}).Validate(), "ARM64 true) but Graviton is false"},
		{"fargate volumes", env(batch.EnvironmentSpec{Name: "X", Kind: batch.Fargate, ScratchVolumeGiB: 10}).Validate(), "apply to EC2 kinds only"},
		{"root", env(batch.EnvironmentSpec{Name: "X", Kind: batch.GPU, RootVolumeGiB: 8}).Validate(), "RootVolumeGiB is 8; accepted: 30 to 16384"},
		{"unknown env", (&batch.Props{Network: net, Environments: hpc.Environments, Queues: []batch.QueueSpec{{Name: "Q", Environments: []string{"Nope"}}}}).Validate(), `names "Nope", which is not in Props.Environments`},
		{"mixed", (&batch.Props{Network: net, Environments: hpc.Environments, Queues: []batch.QueueSpec{{Name: "Q", Environments: []string{"Spot", "Fargate"}}}}).Validate(), "mixes Fargate and EC2"},
		{"default queue", (&batch.Props{Network: net, Environments: hpc.Environments, Queues: hpc.Queues, DefaultQueue: "X"}).Validate(), `Props.DefaultQueue is "X"`},
		{"job ok", hpc.ValidateJob(&batch.JobProps{Image: img, Queue: "Gpu", VCPUs: 48, MemoryMiB: 180000, GPUs: 4}), ""},
		{"job default queue", hpc.ValidateJob(&batch.JobProps{Image: img, VCPUs: 3}), ""},
		{"job unknown queue", hpc.ValidateJob(&batch.JobProps{Image: img, Queue: "Nope"}), `JobProps.Queue is "Nope"; accepted: one of High, Default, Gpu, Fargate`},
		{"gpu on cpu queue", hpc.ValidateJob(&batch.JobProps{Image: img, Queue: "High", GPUs: 1}), `GPUs is 1 on queue "High"; accepted: 0 on a CPU-only queue`},
		{"too many gpus", hpc.ValidateJob(&batch.JobProps{Image: img, Queue: "Gpu", GPUs: 16}), "accepted: at most 8"},
		{"memory", hpc.ValidateJob(&batch.JobProps{Image: img, Queue: "High", MemoryMiB: 2 << 20}), "MemoryMiB is 2097152 on queue \"High\"; accepted: at most 1478492"},
		{"vcpus", hpc.ValidateJob(&batch.JobProps{Image: img, Queue: "High", VCPUs: 0.5}), "accepted: a whole number from 1 to 192"},
		{"fargate size", hpc.ValidateJob(&batch.JobProps{Image: img, Queue: "Fargate", VCPUs: 3}), "a Fargate size"},
		{"fargate gpu", hpc.ValidateJob(&batch.JobProps{Image: img, Queue: "Fargate", GPUs: 1}), "Fargate has no GPUs"},
		{"single queue named", (&batch.Props{Network: net}).ValidateJob(&batch.JobProps{Image: img, Queue: "Gpu"}), "the batch has one Fargate queue"},
	} {
		switch {
		case c.want == "" && c.err != nil:
			t.Errorf("%s: %v", c.name, c.err)
		case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, c.err, c.want)
		case c.want != "":
			cdktest.ValidationErrors(t, c.err, "")
		}
	}
}

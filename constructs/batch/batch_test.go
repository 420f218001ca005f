package batch_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/network"
)

const testDockerfile = "constructs/batch/testdata/Dockerfile"

// One App, held to the cdk-nag packs: a queue with two jobs, one from a
// registry image, one from a Dockerfile of the repository (staged only).
var (
	once     sync.Once
	outdir   string
	synthErr string
	tpl      map[string]any
	hpc      map[string]any
	hpcFsx   map[string]any
	byo      map[string]any
	existing map[string]any
	// The queues of "Batch" (single Fargate queue) and "Hpc" (the default
	// queues), and their stacks, for the Metric method tests.
	fargateQueue, hpcQueue *batch.Queue
	batchStack, hpcStack   awscdk.Stack
)

func load(t *testing.T) map[string]any {
	t.Helper()
	once.Do(func() {
		app := cdktest.NewApp(nil)
		nag.Apply(app)
		stack := awscdk.NewStack(app, jsii.String("Batch"), nil)
		synthErr, _ = cdktest.Catch(func() {
			net := network.New(stack, "Network", nil)
			q := batch.New(stack, "Queue", &batch.Props{Network: net})
			fargateQueue, batchStack = q, stack
			q.AddJob("Registry", &batch.JobProps{
				Image:       awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil),
				Command:     []string{"echo", "hello"},
				VCPUs:       0.5,
				Environment: map[string]string{"MODE": "test"},
				Timeout:     30 * time.Minute,
				Attempts:    2,
			})
			img, err := batch.RepoImage(testDockerfile)
			if err != nil {
				panic(err)
			}
			q.AddJob("Asset", &batch.JobProps{Image: img, VCPUs: 2, MemoryMiB: 8192})
			buildHPC(app)
			buildBYO(app)
			buildExisting(app)
			app.Synth(nil)
		})
		outdir = *app.Outdir()
		// BATCH_KEEP_ASSEMBLY=dir keeps a copy of the assembly to look at.
		if keep := os.Getenv("BATCH_KEEP_ASSEMBLY"); keep != "" && synthErr == "" {
			_ = os.CopyFS(keep, os.DirFS(outdir))
		}
		if synthErr == "" {
			for name, into := range map[string]*map[string]any{"Batch": &tpl, "Hpc": &hpc, "HpcFsx": &hpcFsx, "BYO": &byo, "Existing": &existing} {
				raw, err := os.ReadFile(filepath.Join(outdir, name+".template.json"))
				if err == nil {
					err = json.Unmarshal(raw, into)
				}
				if err != nil {
					synthErr = err.Error()
				}
			}
		}
	})
	if synthErr != "" {
		report, _ := os.ReadFile(filepath.Join(outdir, "validation-report.json"))
		t.Fatalf("synth: %s\n%s", synthErr, report)
	}
	return tpl
}

func ofType(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		if r.(map[string]any)["Type"] == typ {
			out[id] = r.(map[string]any)
		}
	}
	return out
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

func only(t *testing.T, tpl map[string]any, typ, prefix string) map[string]any {
	t.Helper()
	var found []map[string]any
	for id, r := range ofType(tpl, typ) {
		if strings.HasPrefix(id, prefix) {
			found = append(found, r["Properties"].(map[string]any))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s with prefix %s", len(found), typ, prefix)
	}
	return found[0]
}

func TestQueue(t *testing.T) {
	tpl := load(t)
	sg := only(t, tpl, "AWS::EC2::SecurityGroup", "QueueSecurityGroup")
	if got := js(sg["SecurityGroupEgress"]); got != `[{"CidrIp":"0.0.0.0/0","Description":"HTTPS to AWS APIs (interface and gateway endpoints, or NAT)","FromPort":443,"IpProtocol":"tcp","ToPort":443}]` {
		t.Errorf("egress %s", got)
	}
	if sg["SecurityGroupIngress"] != nil {
		t.Errorf("ingress %s", js(sg["SecurityGroupIngress"]))
	}
	ce := only(t, tpl, "AWS::Batch::ComputeEnvironment", "Queue")
	cr := ce["ComputeResources"].(map[string]any)
	if cr["Type"] != "FARGATE" || cr["MaxvCpus"] != 64.0 || !strings.Contains(js(cr["Subnets"]), "NetworkVpcprivateSubnet1") || len(cr["Subnets"].([]any)) != 2 {
		t.Errorf("compute environment %s", js(ce))
	}
	if ce["ServiceRole"] != nil {
		t.Errorf("service role %v: want the service-linked role", ce["ServiceRole"])
	}
	jq := only(t, tpl, "AWS::Batch::JobQueue", "Queue")
	if !strings.Contains(js(jq["JobStateTimeLimitActions"]), `"Reason":"MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"`) || len(jq["ComputeEnvironmentOrder"].([]any)) != 1 {
		t.Errorf("job queue %s", js(jq))
	}
}

func TestJobs(t *testing.T) {
	tpl := load(t)
	reg := only(t, tpl, "AWS::Batch::JobDefinition", "QueueRegistry")
	cp := reg["ContainerProperties"].(map[string]any)
	if js(reg["PlatformCapabilities"]) != `["FARGATE"]` || js(cp["RuntimePlatform"]) != `{"CpuArchitecture":"ARM64","OperatingSystemFamily":"LINUX"}` {
		t.Errorf("platform %s %s", js(reg["PlatformCapabilities"]), js(cp["RuntimePlatform"]))
	}
	if js(cp["ResourceRequirements"]) != `[{"Type":"MEMORY","Value":"1024"},{"Type":"VCPU","Value":"0.5"}]` ||
		js(cp["Command"]) != `["echo","hello"]` || js(cp["Environment"]) != `[{"Name":"MODE","Value":"test"}]` ||
		cp["ReadonlyRootFilesystem"] != true || js(cp["NetworkConfiguration"]) != `{"AssignPublicIp":"DISABLED"}` {
		t.Errorf("container %s", js(cp))
	}
	if js(reg["Timeout"]) != `{"AttemptDurationSeconds":1800}` {
		t.Errorf("timeout %s", js(reg["Timeout"]))
	}
	rs := reg["RetryStrategy"].(map[string]any)
	want := `[{"Action":"RETRY","OnStatusReason":"Host EC2*"},{"Action":"RETRY","OnReason":"CannotPullContainerError*"},` +
		`{"Action":"RETRY","OnReason":"ResourceInitializationError*"},{"Action":"EXIT","OnExitCode":"*"},{"Action":"EXIT","OnReason":"*"}]`
	if rs["Attempts"] != 2.0 || js(rs["EvaluateOnExit"]) != want {
		t.Errorf("retry strategy %s", js(rs))
	}
	lc := cp["LogConfiguration"].(map[string]any)
	if lc["LogDriver"] != "awslogs" {
		t.Errorf("logs %s", js(lc))
	}
	for id, lg := range ofType(tpl, "AWS::Logs::LogGroup") {
		if strings.HasPrefix(id, "Queue") && lg["Properties"].(map[string]any)["KmsKeyId"] == nil {
			t.Errorf("%s: log group without KMS key", id)
		}
	}
	asset := only(t, tpl, "AWS::Batch::JobDefinition", "QueueAsset")
	if img := js(asset["ContainerProperties"].(map[string]any)["Image"]); !strings.Contains(img, "cdk-hnb659fds-container-assets") {
		t.Errorf("asset image %s", img)
	}
	// Roles trust ECS tasks of this account only.
	for id, r := range ofType(tpl, "AWS::IAM::Role") {
		if strings.HasPrefix(id, "Queue") && !strings.Contains(js(r), `"aws:SourceAccount"`) {
			t.Errorf("%s: trust policy without aws:SourceAccount: %s", id, js(r))
		}
	}
}

// The Dockerfile is staged for linux/arm64 with the module root as context,
// without build output or node_modules.
func TestRepoImageAsset(t *testing.T) {
	load(t)
	raw, err := os.ReadFile(filepath.Join(outdir, "Batch.assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		DockerImages map[string]struct {
			Source struct {
				Directory, DockerFile, Platform string
			}
		}
	}
	if err := json.Unmarshal(raw, &m); err != nil || len(m.DockerImages) != 1 {
		t.Fatalf("docker images %v (%v)", m.DockerImages, err)
	}
	for _, img := range m.DockerImages {
		if img.Source.DockerFile != testDockerfile || img.Source.Platform != "linux/arm64" {
			t.Errorf("source %+v", img.Source)
		}
		dir := filepath.Join(outdir, img.Source.Directory)
		for _, want := range []string{"go.mod", testDockerfile} {
			if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
				t.Errorf("staged context lacks %s: %v", want, err)
			}
		}
		for _, gone := range []string{"node_modules", "build", "cdk.out", ".git"} {
			if _, err := os.Stat(filepath.Join(dir, gone)); err == nil {
				t.Errorf("staged context has %s", gone)
			}
		}
	}
}

func TestRepoImageErrors(t *testing.T) {
	for _, c := range []struct{ path, want string }{
		{"", "want a relative path inside the biolake module"},
		{"/etc/Dockerfile", "want a relative path"},
		{"../Dockerfile", "want a relative path"},
		{"docker/none/Dockerfile", "no Dockerfile in the module root"},
	} {
		if _, err := batch.RepoImage(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("RepoImage(%q) = %v, want %q", c.path, err, c.want)
		}
	}
}

// The verifier's Dockerfile, once it is in the repository, gives an image.
func TestVerifierImage(t *testing.T) {
	if _, err := os.Stat(filepath.Join("..", "..", batch.VerifierDockerfile)); err != nil {
		t.Skipf("%s is not there yet: %v", batch.VerifierDockerfile, err)
	}
	if img, err := batch.RepoImage(batch.VerifierDockerfile); err != nil || img == nil {
		t.Errorf("RepoImage(%q) = %v, %v", batch.VerifierDockerfile, img, err)
	}
}

func TestValidate(t *testing.T) {
	net := &network.Network{}
	img := awsecs.ContainerImage_FromRegistry(jsii.String("busybox"), nil)
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"ok", (&batch.Props{Network: net, MaxVCPUs: 4096}).Validate(), ""},
		{"nil", (*batch.Props)(nil).Validate(), "Props is nil; accepted: props with Network set"},
		{"no network", (&batch.Props{}).Validate(), "Props.Network is nil"},
		{"vcpus", (&batch.Props{Network: net, MaxVCPUs: 5000}).Validate(), "Props.MaxVCPUs is 5000; accepted: 1 to 4096"},
		{"volume key without EC2", (&batch.Props{Network: net, VolumeKey: awskms.Key_FromKeyArn(awscdk.NewStack(nil, jsii.String("Keys"), nil), jsii.String("Volume"), jsii.String(byoVolumeKeyArn))}).Validate(),
			"Props.VolumeKey is set; accepted: VolumeKey only together with an EC2 environment"},
		{"job ok", (&batch.JobProps{Image: img, VCPUs: 16, MemoryMiB: 122880, Timeout: time.Minute, Attempts: 10, LogRetentionDays: 3653}).Validate(), ""},
		{"job nil", (*batch.JobProps)(nil).Validate(), "JobProps is nil; accepted: props with Image set"},
		{"no image", (&batch.JobProps{}).Validate(), "JobProps.Image is nil"},
		{"job vcpus", (&batch.JobProps{Image: img, VCPUs: 3}).Validate(), "JobProps.VCPUs is 3; accepted: a Fargate size"},
		{"job memory", (&batch.JobProps{Image: img, MemoryMiB: 1024}).Validate(), "JobProps.MemoryMiB is 1024; accepted: for 1 vCPU, one of 2048, 3072"},
		{"job timeout", (&batch.JobProps{Image: img, Timeout: 30 * time.Second}).Validate(), "JobProps.Timeout is 30s; accepted: a whole number of seconds, at least 1m0s"},
		{"job attempts", (&batch.JobProps{Image: img, Attempts: 11}).Validate(), "JobProps.Attempts is 11; accepted: 1 to 10"},
		{"job retention", (&batch.JobProps{Image: img, LogRetentionDays: 2}).Validate(), "JobProps.LogRetentionDays is 2"},
		{"job env", (&batch.JobProps{Image: img, Environment: map[string]string{"AWS_BATCH_JOB_ID": "x"}}).Validate(), `JobProps.Environment key is "AWS_BATCH_JOB_ID"`},
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

func TestNagFindings(t *testing.T) {
	load(t)
	for _, line := range cdktest.NagReports(t, outdir, []string{"Batch", "Hpc", "HpcFsx", "BYO"}, "/Hpc/") {
		t.Log("suppressed:", line)
	}
}

func TestCfnLint(t *testing.T) {
	load(t)
	var files []string
	for _, stack := range []string{"Batch", "Hpc", "HpcFsx"} {
		files = append(files, filepath.Join(outdir, stack+".template.json"))
	}
	cdktest.CfnLint(t, files)
}

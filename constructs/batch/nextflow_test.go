package batch_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
)

func TestNextflowHead(t *testing.T) {
	load(t)
	def := only(t, hpc, "AWS::Batch::JobDefinition", "HpcNextflowHead")
	cp := def["ContainerProperties"].(map[string]any)
	if cp["Image"] != batch.DefaultNextflowImage {
		t.Errorf("head image %v, want %s", cp["Image"], batch.DefaultNextflowImage)
	}
	env := map[string]string{}
	for _, e := range cp["Environment"].([]any) {
		m := e.(map[string]any)
		env[m["Name"].(string)] = cdktest.Render(m["Value"])
	}
	for k, want := range map[string]string{
		"BIOLAKE_TASK_QUEUE": "<HpcQueueDefault",
		"BIOLAKE_TASK_ROLE":  "<NextflowTaskRole",
		"BIOLAKE_TASK_LOGS":  "<Ref:NextflowTaskLogGroup",
		"BIOLAKE_WORK_DIR":   "s3://<Ref:DataLakeResults",
		"BIOLAKE_OUTPUT_DIR": "s3://<Ref:DataLakeResults",
		"BIOLAKE_REGION":     "<Ref:AWS::Region>",
	} {
		if !strings.HasPrefix(env[k], want) {
			t.Errorf("head environment %s = %q, want it to start with %q", k, env[k], want)
		}
	}
	// Per-run file systems are not for Nextflow: only the scratch volume.
	if env["BIOLAKE_VOLUMES"] != "/scratch" {
		t.Errorf("task volumes %q, want /scratch", env["BIOLAKE_VOLUMES"])
	}
	if !strings.HasSuffix(env["BIOLAKE_WORK_DIR"], "/nextflow/work") {
		t.Errorf("work dir %q", env["BIOLAKE_WORK_DIR"])
	}
	// The head runs on the on-demand queue: it must not be reclaimed.
	if rp := cdktest.Get(def, "RetryStrategy", "Attempts"); rp != 1.0 {
		t.Errorf("head attempts %v, want 1 (a rerun is a -resume decision for the user)", rp)
	}
	// What the head job role may do.
	var doc string
	for id, p := range ofType(hpc, "AWS::IAM::Policy") {
		if strings.HasPrefix(id, "HpcNextflowHeadJobRole") {
			doc = cdktest.Render(cdktest.Get(p, "Properties", "PolicyDocument"))
		}
	}
	for _, want := range []string{
		`"Action":"iam:PassRole","Effect":"Allow","Resource":"<NextflowTaskRole`,
		`"Action":["batch:RegisterJobDefinition","batch:TagResource"]`,
		`:job-definition/nf-*"`,
		`"Action":"batch:SubmitJob"`,
		`"s3:PutObject"`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("head job policy lacks %s:\n%s", want, doc)
		}
	}
	for _, bad := range []string{`"batch:*"`, `"s3:*"`, `"iam:*"`, `"Action":"iam:PassRole","Effect":"Allow","Resource":"*"`} {
		if strings.Contains(doc, bad) {
			t.Errorf("head job policy has %s:\n%s", bad, doc)
		}
	}
}

// TestNextflowLauncher runs the head job's command with a fake nextflow:
// the awsbatch configuration is written from the environment, and the
// pipeline and its arguments are passed on.
func TestNextflowLauncher(t *testing.T) {
	load(t)
	def := only(t, hpc, "AWS::Batch::JobDefinition", "HpcNextflowHead")
	cmd := cdktest.Get(def, "ContainerProperties", "Command").([]any)
	if len(cmd) != 3 || cmd[0] != "sh" || cmd[1] != "-c" {
		t.Fatalf("head command %v, want sh -c <launcher>", cmd)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	_ = os.MkdirAll(bin, 0o755)
	fake := "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$HOME/args\"\n"
	if err := os.WriteFile(filepath.Join(bin, "nextflow"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(extra ...string) (string, error) {
		c := exec.Command("sh", "-c", cmd[2].(string))
		c.Env = append([]string{
			"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + dir,
			"BIOLAKE_TASK_QUEUE=arn:aws:batch:eu-west-1:111111111111:job-queue/q", "BIOLAKE_REGION=eu-west-1",
			"BIOLAKE_TASK_ROLE=arn:aws:iam::111111111111:role/task", "BIOLAKE_TASK_LOGS=/biolake/tasks",
			"BIOLAKE_WORK_DIR=s3://results/nextflow/work", "BIOLAKE_VOLUMES=/scratch,/fsx",
		}, extra...)
		out, err := c.CombinedOutput()
		return string(out), err
	}
	if out, err := run(); err == nil || !strings.Contains(out, "set NXF_PIPELINE") {
		t.Errorf("without NXF_PIPELINE: %v %s, want a failure that says to set it", err, out)
	}
	if out, err := run("NXF_PIPELINE=nf-core/rnaseq", "NXF_ARGS=-r 3.14.0 --outdir s3://results/nextflow/results/x"); err != nil {
		t.Fatalf("launcher: %v\n%s", err, out)
	}
	config, _ := os.ReadFile(filepath.Join(dir, ".nextflow", "config"))
	want := "process.executor = 'awsbatch'\nprocess.queue = 'arn:aws:batch:eu-west-1:111111111111:job-queue/q'\naws.region = 'eu-west-1'\n" +
		"aws.batch.jobRole = 'arn:aws:iam::111111111111:role/task'\naws.batch.logsGroup = '/biolake/tasks'\nworkDir = 's3://results/nextflow/work'\n" +
		"aws.batch.volumes = '/scratch,/fsx'\n"
	if string(config) != want {
		t.Errorf("config:\n%s\nwant:\n%s", config, want)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if string(args) != "run\nnf-core/rnaseq\n-r\n3.14.0\n--outdir\ns3://results/nextflow/results/x\n" {
		t.Errorf("nextflow arguments:\n%s", args)
	}
}

func TestNextflowValidate(t *testing.T) {
	err := (&batch.NextflowProps{}).Validate()
	if err == nil || !strings.Contains(err.Error(), "NextflowProps.Queue is nil") || !strings.Contains(err.Error(), "NextflowProps.Lake is nil") {
		t.Errorf("empty props: %v", err)
	}
	app, stack := cdktest.NewStack("Nf")
	_ = app
	msg, panicked := cdktest.Catch(func() {
		net := network.New(stack, "Network", nil)
		q := batch.New(stack, "Q", &batch.Props{Network: net, Environments: batch.DefaultEnvironments(false), Queues: batch.DefaultQueues()})
		batch.NewNextflow(stack, "Nextflow", &batch.NextflowProps{Queue: q, Lake: datalake.New(stack, "Lake", &datalake.Props{DisableBackup: true}), TaskQueue: "Fargate", HeadQueue: "Huge"})
	})
	for _, want := range []string{`NextflowProps.TaskQueue is "Fargate": a Fargate queue`, `NextflowProps.HeadQueue is "Huge"`, "High, Default, Gpu, Fargate"} {
		if !panicked || !strings.Contains(msg, want) {
			t.Errorf("bad queues: %s; want %q", msg, want)
		}
	}
}

func TestImageFromRef(t *testing.T) {
	load(t)
	for job, suffix := range map[string]string{"HpcPrivate": ":1.4.0", "HpcPinned": "@sha256:" + strings.Repeat("0f", 32)} {
		def := only(t, hpc, "AWS::Batch::JobDefinition", job)
		img := cdktest.Render(cdktest.Get(def, "ContainerProperties", "Image"))
		if img != "123456789012.dkr.ecr.eu-west-1.<Ref:AWS::URLSuffix>/lab/qc"+suffix {
			t.Errorf("%s image %q", job, img)
		}
	}
	// The execution roles may pull from that repository only.
	pulls := 0
	for id, p := range ofType(hpc, "AWS::IAM::Policy") {
		doc := cdktest.Render(cdktest.Get(p, "Properties", "PolicyDocument"))
		if strings.Contains(doc, "ecr:BatchGetImage") {
			pulls++
			if !strings.Contains(doc, `"Resource":"arn:aws:ecr:eu-west-1:123456789012:repository/lab/qc"`) {
				t.Errorf("%s: pull not scoped to the repository: %s", id, doc)
			}
		}
	}
	if pulls != 2 {
		t.Errorf("%d execution-role policies pull from ECR, want 2", pulls)
	}
	// Public images stay as written.
	def := only(t, hpc, "AWS::Batch::JobDefinition", "HpcNextflowHead")
	if img := cdktest.Get(def, "ContainerProperties", "Image"); img != batch.DefaultNextflowImage {
		t.Errorf("public image %v", img)
	}
}

package batch_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
)

const (
	byoLogKeyArn    = "arn:aws:kms:eu-west-1:111122223333:key/2e2e2e2e-1111-2222-3333-444455556666"
	byoVolumeKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/3e3e3e3e-1111-2222-3333-444455556666"
)

// buildBYO builds the "BYO" stack: a queue on a lab's own isolated VPC
// (only the logs endpoint exists; the construct may create the others),
// a job granted the lab's own buckets, logs encrypted with a supplied key,
// and an EC2 queue whose volumes use a supplied key.
func buildBYO(app awscdk.App) {
	stack := awscdk.NewStack(app, jsii.String("BYO"), nil)
	own := cdktest.BringYourOwn(stack, []network.Endpoint{network.EndpointLogs}, true)
	q := batch.New(stack, "Queue", &batch.Props{Network: own.Network})
	job := q.AddJob("Align", &batch.JobProps{
		Image:   awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil),
		Command: []string{"true"},
		LogKey:  awskms.Key_FromKeyArn(stack, jsii.String("LabLogKey"), jsii.String(byoLogKeyArn)),
	})
	batch.GrantLake(job.JobRole, own.Lake, []datalake.BucketName{datalake.BucketRaw}, "runs/", "workflows/align/")
	// EC2 compute with a supplied volume key.
	batch.New(stack, "Ec2Queue", &batch.Props{
		Network:      own.Network,
		Environments: []batch.EnvironmentSpec{{Name: "Spot", Kind: batch.CPUSpot, MaxVCPUs: 16}},
		Queues:       []batch.QueueSpec{{Name: "Default", Environments: []string{"Spot"}}},
		VolumeKey:    awskms.Key_FromKeyArn(stack, jsii.String("LabVolumeKey"), jsii.String(byoVolumeKeyArn)),
	})
}

// TestSuppliedVolumeKey: the EC2 queue of the BYO stack, given a volume
// key, creates none (TestBringYourOwn), and every volume of its launch
// template is encrypted with the supplied key.
func TestSuppliedVolumeKey(t *testing.T) {
	load(t)
	lts := ofType(byo, "AWS::EC2::LaunchTemplate")
	if len(lts) != 1 {
		t.Fatalf("%d launch templates in the BYO stack, want 1", len(lts))
	}
	for id, lt := range lts {
		bdm, _ := lt["Properties"].(map[string]any)["LaunchTemplateData"].(map[string]any)["BlockDeviceMappings"].([]any)
		if len(bdm) == 0 {
			t.Fatalf("%s has no volumes", id)
		}
		for _, b := range bdm {
			if ebs := b.(map[string]any)["Ebs"].(map[string]any); ebs["Encrypted"] != true || js(ebs["KmsKeyId"]) != `"`+byoVolumeKeyArn+`"` {
				t.Errorf("%s: volume %s, want encrypted with the supplied key", id, js(b))
			}
		}
	}
}

// TestBringYourOwn: the queue and job on existing resources create no VPC,
// subnet, bucket or key; the endpoints the queue requires are created (it
// was allowed to) except the one that exists; grants name the imported
// ARNs under their prefixes.
func TestBringYourOwn(t *testing.T) {
	load(t)
	for _, typ := range []string{"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::S3::Bucket", "AWS::KMS::Key"} {
		if n := len(ofType(byo, typ)); n != 0 {
			t.Errorf("the BYO stack creates %d %s", n, typ)
		}
	}
	var services []string
	for _, r := range ofType(byo, "AWS::EC2::VPCEndpoint") {
		p := r["Properties"].(map[string]any)
		if p["VpcId"] != cdktest.BYOVpcID || !strings.Contains(js(p["SubnetIds"]), cdktest.BYOSubnetA) {
			t.Errorf("endpoint outside the lab's VPC or subnets: %s", js(p))
		}
		if !strings.Contains(js(p["SecurityGroupIds"]), cdktest.BYOEndpointSG) {
			t.Errorf("endpoint not in the lab's endpoint security group: %s", js(p["SecurityGroupIds"]))
		}
		services = append(services, js(p["ServiceName"]))
	}
	if len(services) == 0 {
		t.Fatal("no endpoint created, though the queue requires several and creation was allowed")
	}
	for _, s := range services {
		if strings.Contains(s, ".logs") {
			t.Errorf("the logs endpoint exists already but was created again: %s", s)
		}
	}
	if !slices.ContainsFunc(services, func(s string) bool { return strings.Contains(s, ".ecr.dkr") }) {
		t.Errorf("no ecr.dkr endpoint among %v", services)
	}
	var doc string
	for _, r := range ofType(byo, "AWS::IAM::Policy") {
		doc += js(r["Properties"].(map[string]any)["PolicyDocument"])
	}
	for _, want := range []string{`arn:aws:s3:::lab-raw/runs/*`, `arn:aws:s3:::lab-results/workflows/align/*`, cdktest.BYODataKeyArn} {
		if !strings.Contains(doc, want) {
			t.Errorf("job policies lack %s:\n%s", want, doc)
		}
	}
	for _, not := range []string{`lab-raw/*"`, `lab-results/*"`, `lab-curated`} {
		if strings.Contains(doc, not) {
			t.Errorf("job policies have %s (broader than granted):\n%s", not, doc)
		}
	}
	var logs []string
	for _, r := range ofType(byo, "AWS::Logs::LogGroup") {
		logs = append(logs, js(r["Properties"].(map[string]any)["KmsKeyId"]))
	}
	if !slices.ContainsFunc(logs, func(s string) bool { return strings.Contains(s, byoLogKeyArn) }) {
		t.Errorf("no log group encrypted with the supplied key: %v", logs)
	}
}

package batch_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
)

// Bad calls on a queue panic with a validation error naming the queue, the
// call and what is accepted; nothing is synthesized.
func TestBadCalls(t *testing.T) {
	_, stack := cdktest.NewStack("Calls")
	net := network.New(stack, "Network", nil)
	fargate := batch.New(stack, "Fargate", &batch.Props{Network: net})
	img := awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:latest"), nil)
	job := fargate.AddJob("Ok", &batch.JobProps{Image: img})
	lake := datalake.New(stack, "Lake", &datalake.Props{DisableBackup: true})
	for _, c := range []struct {
		name, field, want string
		call              func()
	}{
		{"attach nil", "AttachLustre(l)", "AttachLustre(l) is nil; accepted: a *lustre.Lustre", func() { fargate.AttachLustre(nil) }},
		{"lustre job without file system", `AddJob("Align").Lustre`, "Lustre is true on queue \"\"; accepted: false on a Fargate queue",
			func() { fargate.AddJob("Align", &batch.JobProps{Image: img, Lustre: true}) }},
		{"bad job", `AddJob("Big").Attempts`, `AddJob("Big").Attempts is 11; accepted: 1 to 10`,
			func() { fargate.AddJob("Big", &batch.JobProps{Image: img, Attempts: 11}) }},
		{"grant without write prefix", "GrantLake(writePrefix)", `GrantLake(writePrefix) is ""; accepted: a prefix of the results bucket`,
			func() {
				batch.GrantLake(job.JobRole, lake, []datalake.BucketName{datalake.BucketRaw}, "", "")
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := cdktest.CatchValidation(t, c.call)
			path := "Calls/Fargate"
			if c.field == "GrantLake(writePrefix)" {
				path = *job.JobRole.Node().Path()
			}
			cdktest.HasField(t, err, path, c.field)
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
		})
	}
}

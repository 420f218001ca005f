package batch_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/network"
)

// A Fargate queue in the network's private subnets, with one ARM64 job.
// Grant the job what it needs on its JobRole; an image built from a
// Dockerfile of this repository comes from batch.RepoImage.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	net := network.New(stack, "Network", nil)

	q := batch.New(stack, "Batch", &batch.Props{Network: net, MaxVCPUs: 32})
	job := q.AddJob("Hello", &batch.JobProps{
		Image:     awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil),
		Command:   []string{"echo", "hello"},
		VCPUs:     0.25,
		MemoryMiB: 512,
	})
	fmt.Println(*q.JobQueue.Node().Id(), *job.Definition.Node().Id(), *job.JobRole.Node().Id())
	// Output: JobQueue Definition JobRole
}

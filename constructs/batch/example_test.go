package batch_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
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

// HPC compute: Spot and on-demand Graviton CPU, GPU (g5/g6) and Fargate
// environments behind prioritized queues; jobs name their queue.
func Example_hpc() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	net := network.New(stack, "Network", nil)

	envs := batch.DefaultEnvironments(true)
	envs[0].ScratchVolumeGiB = 1000 // Spot hosts get a 1 TiB encrypted /scratch
	hpc := batch.New(stack, "Hpc", &batch.Props{Network: net, Environments: envs, Queues: batch.DefaultQueues()})
	img := awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil)
	hpc.AddJob("Align", &batch.JobProps{Queue: "Default", Image: img, VCPUs: 16, MemoryMiB: 60000})
	hpc.AddJob("Basecall", &batch.JobProps{Queue: "Gpu", Image: img, VCPUs: 8, MemoryMiB: 30000, GPUs: 1})
	fmt.Println(len(hpc.Environments), len(hpc.JobQueues), *hpc.JobQueue.Node().Id())
	// Output: 4 4 QueueHigh
}

// A lab's existing job queues: an EC2 queue (the default) and a Fargate
// queue, imported by ARN. Jobs get definitions for their queue's platform,
// their roles and log groups; nothing else is created.
func ExampleFromJobQueues() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	arn := func(name string) *string {
		return jsii.String("arn:aws:batch:eu-west-1:111122223333:job-queue/" + name)
	}
	queues := batch.FromJobQueues(stack, "LabBatch", &batch.FromJobQueuesProps{
		Queues: []batch.ExistingQueue{
			{Name: "Genomics", Platform: batch.PlatformEC2, VCPUs: 64, MemoryMiB: 240000,
				JobQueue: awsbatch.JobQueue_FromJobQueueArn(stack, jsii.String("Genomics"), arn("lab-genomics"))},
			{Name: "Light", Platform: batch.PlatformFargate,
				JobQueue: awsbatch.JobQueue_FromJobQueueArn(stack, jsii.String("Light"), arn("lab-light"))},
		},
	})
	img := awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:1.36"), nil)
	queues.AddJob("Align", &batch.JobProps{Image: img, VCPUs: 32, MemoryMiB: 120000})
	queues.AddJob("Report", &batch.JobProps{Queue: "Light", Image: img, VCPUs: 0.5})
	capacity, _ := queues.Capacity("Light")
	fmt.Println(queues.DefaultQueue(), *queues.JobQueueOf("").JobQueueName(), capacity.Fargate)
	// Output: Genomics lab-genomics true
}

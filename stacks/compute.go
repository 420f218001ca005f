package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/workflow"
)

// ComputeStack holds the HPC side: AWS Batch compute environments and
// queues, FSx for Lustre (persistent, or the pieces for per-run file
// systems) and the secondary-analysis workflows started by RunIngested.
// With a persistent file system the stack is stateful and protected like
// the other stateful stacks (the file system cannot sit in a stack of its
// own: its security group and the compute's refer to each other).
type ComputeStack struct {
	awscdk.Stack
	Batch  *batch.Queue
	Lustre *lustre.Lustre
	// RunAgeCheck is the age check of per-run file systems (nil without
	// per-run Lustre).
	RunAgeCheck *lustre.RunAgeCheck
	Workflows   []*workflow.Workflow
	Nextflow    *batch.Nextflow
}

// NewComputeStack creates the stack, or returns nil when the environment
// defines no workflow and no Nextflow (no empty stacks).
func NewComputeStack(scope constructs.Construct, id string, env *config.Environment, sec *SecurityStack, ops *OperationsStack, net *NetworkStack, lake *DataLakeStack, glue *EventGlueStack) *ComputeStack {
	c := &env.Compute
	if !c.Enabled() {
		return nil
	}
	stateful := c.Lustre.Mode == config.LustrePersistent
	desc := "Batch compute, workflows"
	if c.LustreEnabled() {
		desc += ", FSx for Lustre (" + c.Lustre.Mode + ")"
	}
	if stateful {
		desc += " (stateful)"
	}
	s := &ComputeStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, desc, stateful))}

	bp := c.BatchProps()
	bp.Network = net.Network
	s.Batch = batch.New(s.Stack, "Batch", bp)
	if lp := c.LustreProps(env); lp != nil {
		lp.Network = net.Network
		lp.Lake = lake.Lake
		lp.ClientSecurityGroup = s.Batch.SecurityGroup
		lp.LogKey = sec.LogsKey
		s.Lustre = lustre.New(s.Stack, "Lustre", lp)
		s.Batch.AttachLustre(s.Lustre)
		if s.Lustre.Mode() == lustre.ModePerRun {
			// Per-run file systems alive past their workflow's timeout
			// (docs/OPERATIONS.md).
			s.RunAgeCheck = s.Lustre.AddRunAgeCheck(ops.Operations.Topic)
		}
	}
	for i := range c.Workflows {
		wp := c.WorkflowProps(env, i, func(ref string) awsecs.ContainerImage { return batch.ImageFromRef(s.Stack, ref) })
		wp.Batch = s.Batch
		wp.Glue = glue.Glue
		wp.Lake = lake.Lake
		wp.LogKey = sec.LogsKey
		wp.AlarmTopic = ops.Operations.Topic
		if s.Lustre != nil && s.Lustre.Mode() == lustre.ModePerRun {
			wp.Lustre = s.Lustre
		}
		wf := workflow.New(s.Stack, "Workflow"+wp.Name, wp)
		s.Workflows = append(s.Workflows, wf)
		// What a manual rerun starts (docs/WORKFLOWS.md).
		awscdk.NewCfnOutput(s.Stack, jsii.String("Workflow"+wp.Name+"StateMachine"), &awscdk.CfnOutputProps{
			Value:       wf.StateMachine.StateMachineArn(),
			Description: jsii.String("State machine of the " + wp.Name + " workflow (start a rerun with a RunIngested detail as input)"),
		})
	}
	if c.Nextflow.Enabled {
		np := c.NextflowProps()
		np.Queue = s.Batch
		np.Lake = lake.Lake
		np.LogKey = sec.LogsKey
		s.Nextflow = batch.NewNextflow(s.Stack, "Nextflow", np)
		// What `aws batch submit-job` and a workstation's nextflow.config
		// need (docs/NEXTFLOW.md).
		for _, o := range []struct{ id, value, desc string }{
			{"NextflowHeadJobDefinition", *s.Nextflow.Head.Definition.JobDefinitionArn(), "Nextflow head job definition (submit with NXF_PIPELINE and NXF_ARGS)"},
			{"NextflowHeadQueue", s.Nextflow.HeadQueueArn, "Job queue of the Nextflow head job"},
			{"NextflowTaskQueue", s.Nextflow.TaskQueueArn, "process.queue of Nextflow's awsbatch executor"},
			{"NextflowTaskRole", *s.Nextflow.TaskRole.RoleArn(), "aws.batch.jobRole of Nextflow's tasks"},
			{"NextflowTaskLogGroup", *s.Nextflow.TaskLogGroup.LogGroupName(), "aws.batch.logsGroup of Nextflow's tasks"},
			{"NextflowWorkDir", s.Nextflow.WorkDir, "Nextflow work directory (-w)"},
			{"NextflowOutputDir", s.Nextflow.OutputDir, "Where pipelines publish their results (--outdir)"},
		} {
			awscdk.NewCfnOutput(s.Stack, jsii.String(o.id), &awscdk.CfnOutputProps{Value: jsii.String(o.value), Description: jsii.String(o.desc)})
		}
	}
	return s
}

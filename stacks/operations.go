package stacks

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/observability"
)

// OperationsStack holds the environment's operations topic and its key.
// It comes right after Security, so that every later stack can name the
// topic: each alarm of the platform notifies it (observability.RouteAlarms
// on the Stage).
type OperationsStack struct {
	awscdk.Stack
	Operations *observability.Operations
}

// NewOperationsStack creates the stack. Its key is stateful (retained), so
// the stack is protected like the other stateful stacks.
func NewOperationsStack(scope constructs.Construct, id string, env *config.Environment) *OperationsStack {
	s := &OperationsStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, "operations topic that every alarm notifies, and its key (stateful)", true))}
	s.Operations = observability.New(s.Stack, "Operations", env.Observability.Props())
	awscdk.NewCfnOutput(s.Stack, jsii.String("OperationsTopic"), &awscdk.CfnOutputProps{
		Value:       s.Operations.Topic.TopicArn(),
		Description: jsii.String("Operations topic: every alarm of the environment (subscribe with aws sns subscribe)"),
	})
	return s
}

// DashboardStack holds the CloudWatch dashboard that follows a run. It
// comes last: it reads the metrics of every other stack.
type DashboardStack struct {
	awscdk.Stack
	Dashboard *observability.Dashboard
}

// NewDashboardStack creates the stack over the platform's stacks.
func NewDashboardStack(scope constructs.Construct, id string, env *config.Environment, p *Platform) *DashboardStack {
	s := &DashboardStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, "operations dashboard: a run from arrival to results", false))}
	props := &observability.DashboardProps{
		Bus:     p.EventGlue.Glue.Bus,
		Glue:    p.EventGlue.Glue,
		Buckets: p.DataLake.Lake.DataBuckets(),
	}
	if c := p.Compute; c != nil {
		for _, w := range c.Workflows {
			props.Workflows = append(props.Workflows, w)
		}
		props.Batch = append(props.Batch, observability.BatchQueues{Source: c.Batch, Queues: queueNames(c.Batch.JobQueues)})
	}
	props.Batch = append(props.Batch, observability.BatchQueues{Source: p.EventGlue.Glue.VerifyBatch, Queues: queueNames(p.EventGlue.Glue.VerifyBatch.JobQueues)})
	s.Dashboard = observability.NewDashboard(s.Stack, "Dashboard", props)
	return s
}

// watch creates the platform's alarms on every construct of p that has
// metrics worth waking someone for, each in its construct's stack, all
// notifying the operations topic.
func watch(env *config.Environment, p *Platform) {
	a := observability.NewAlarms(*p.Stage.Node().Path(), p.Operations.Operations.Topic, env.Observability.AlarmThresholds())
	g := p.EventGlue.Glue
	a.Integrity(g)
	a.Batch(g.VerifyBatch, queueNames(g.VerifyBatch.JobQueues))
	if in := p.Ingest; in != nil {
		if in.DataSync != nil {
			a.DataSync(in.DataSync)
		}
		if in.DataSync != nil && in.DataSync.DeadLetterQueue != nil {
			a.DeadLetters(in.DataSync, observability.AlarmDeadLetters, in.DataSync.DeadLetterQueue, "events the DataSync rules could not deliver to the platform bus")
		}
		if in.Transfer != nil {
			a.Transfer(in.Transfer)
		}
		if in.FileGateway != nil {
			a.FileGateway(in.FileGateway)
		}
	}
	if c := p.Compute; c != nil {
		a.Batch(c.Batch, queueNames(c.Batch.JobQueues))
		if c.Lustre != nil {
			a.Lustre(c.Lustre)
		}
	}
	a.Functions(p.Stage)
}

// queueNames lists the Batch queues by name, sorted; [""] for the single
// Fargate queue.
func queueNames[V any](queues map[string]V) []string {
	if len(queues) == 0 {
		return []string{""}
	}
	names := make([]string, 0, len(queues))
	for n := range queues {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

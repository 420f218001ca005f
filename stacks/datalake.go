package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/secure"
)

// DataLakeStack holds the data buckets, their keys, tiering, inventory and
// analysis, and the backup plan.
type DataLakeStack struct {
	awscdk.Stack
	Lake *datalake.DataLake
	// Replica is the stack in the replica region, nil without replication.
	Replica *ReplicaStack
}

// ReplicaStack holds the cross-region copy of the raw bucket and its key.
type ReplicaStack struct {
	awscdk.Stack
	Replica *datalake.Replica
}

// NewDataLakeStack creates the stack, and the replica's stack in the other
// region when the environment replicates raw data.
func NewDataLakeStack(scope constructs.Construct, id string, env *config.Environment, sec *SecurityStack) *DataLakeStack {
	props := env.DataLake.Props()
	props.AccessLogs = sec.AccessLogs
	s := &DataLakeStack{}
	if r := props.Replication; r != nil {
		sp := stackProps(env, "replica of raw instrument data in "+r.Region+" (stateful)", true)
		sp.Env = &awscdk.Environment{Account: jsii.String(env.Account), Region: jsii.String(r.Region)}
		rs := &ReplicaStack{Stack: awscdk.NewStack(scope, jsii.String(id+"Replica"), sp)}
		rs.Replica = datalake.NewReplica(rs.Stack, "Replica", &datalake.ReplicaProps{
			ObjectLockMode: secure.LockMode(env.DataLake.ObjectLock.Mode),
			ObjectLockDays: env.DataLake.ObjectLock.RetentionDays,
		})
		r.Replica = rs.Replica
		s.Replica = rs
	}
	s.Stack = awscdk.NewStack(scope, jsii.String(id), stackProps(env, "data lake buckets, tiering, inventory and backup (stateful)", true))
	if s.Replica != nil {
		s.Stack.AddDependency(s.Replica.Stack, jsii.String("the raw bucket replicates into the replica bucket"))
	}
	// Ground Truth's portal shows labelers the images of a job from the
	// results bucket (ml.labeling).
	props.LabelingPortalCORS = env.ML.Enabled && env.ML.Labeling != nil
	s.Lake = datalake.New(s.Stack, "DataLake", props)
	return s
}

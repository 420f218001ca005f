package lustre_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/network"
)

// One App held to the cdk-nag packs, synthesized once per test binary:
// "Persistent" (network, data lake with backup, PERSISTENT_2 500 MB/s/TiB,
// 2400 GiB), "Compute" (a PERSISTENT_2 file system in a stack apart from
// its lake's, which is in "Lake"), "Scratch" (a standing SCRATCH_2, lake
// without backup) and "PerRun" (ModePerRun with a workflow role).
type fixture struct {
	*cdktest.Assembly
	dir string
	l   map[string]*lustre.Lustre
}

type resource = cdktest.Resource

var (
	fxOnce sync.Once
	fx     fixture
)

var stackNames = []string{"Persistent", "Lake", "Compute", "Scratch", "PerRun"}

func clientSG(stack awscdk.Stack, net network.INetwork) awsec2.ISecurityGroup {
	return awsec2.NewSecurityGroup(stack, jsii.String("BatchSG"), &awsec2.SecurityGroupProps{
		Vpc: net.Vpc(), Description: jsii.String("Batch compute (test client)"), AllowAllOutbound: jsii.Bool(true),
	})
}

func load(t *testing.T) *fixture {
	t.Helper()
	fxOnce.Do(func() {
		fx.l = map[string]*lustre.Lustre{}
		a := cdktest.Synth("", func(app awscdk.App) []awscdk.Stack {
			ps := awscdk.NewStack(app, jsii.String("Persistent"), nil)
			net := network.New(ps, "Network", nil)
			lake := datalake.New(ps, "DataLake", nil)
			fx.l["Persistent"] = lustre.New(ps, "Lustre", &lustre.Props{
				Network: net, Lake: lake, ClientSecurityGroup: clientSG(ps, net),
				StorageCapacityGiB: 2400, ThroughputPerTiB: 500, BackupRetentionDays: 14, LogRetentionDays: 731,
			})

			ls := awscdk.NewStack(app, jsii.String("Lake"), nil)
			lnet := network.New(ls, "Network", nil)
			llake := datalake.New(ls, "DataLake", nil)
			cs := awscdk.NewStack(app, jsii.String("Compute"), nil)
			fx.l["Compute"] = lustre.New(cs, "Lustre", &lustre.Props{
				Network: lnet, Lake: llake, ClientSecurityGroup: clientSG(cs, lnet),
			})

			ss := awscdk.NewStack(app, jsii.String("Scratch"), nil)
			snet := network.New(ss, "Network", &network.Props{Profile: network.ProfileNAT})
			slake := datalake.New(ss, "DataLake", &datalake.Props{DisableBackup: true})
			fx.l["Scratch"] = lustre.New(ss, "Lustre", &lustre.Props{
				Network: snet, Lake: slake, ClientSecurityGroup: clientSG(ss, snet),
				DeploymentType: lustre.Scratch2, DataCompression: lustre.CompressionNone, RawPrefix: "runs/novaseq", ResultsPrefix: "hpc",
			})

			rs := awscdk.NewStack(app, jsii.String("PerRun"), nil)
			rnet := network.New(rs, "Network", nil)
			rlake := datalake.New(rs, "DataLake", &datalake.Props{DisableBackup: true})
			l := lustre.New(rs, "Lustre", &lustre.Props{
				Network: rnet, Lake: rlake, ClientSecurityGroup: clientSG(rs, rnet), Mode: lustre.ModePerRun,
			})
			role := awsiam.NewRole(rs, jsii.String("WorkflowRole"), &awsiam.RoleProps{
				AssumedBy: awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil),
			})
			l.GrantRunWorkflow(role)
			fx.l["PerRun"] = l
			return []awscdk.Stack{ps, ls, cs, ss, rs}
		})
		fx.Assembly, fx.dir = a, a.Dir
	})
	fx.Check(t)
	return &fx
}

// ofType returns the resources of typ in stack by logical id.
func (f *fixture) ofType(stack, typ string) map[string]resource {
	return f.OfTypeByID(stack, typ, "")
}

func (f *fixture) one(t *testing.T, stack, typ string) (string, resource) {
	t.Helper()
	rs := f.ofType(stack, typ)
	if len(rs) != 1 {
		t.Fatalf("%s: %d resources of %s, want 1", stack, len(rs), typ)
	}
	for id, r := range rs {
		return id, r
	}
	return "", resource{}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

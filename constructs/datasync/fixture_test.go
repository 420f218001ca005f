package datasync_test

import (
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/datasync"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
)

const (
	smbSecret     = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:biolake/datasync/core-AbCdEf"
	existingAgent = "arn:aws:datasync:eu-west-1:111122223333:agent/agent-0123456789abcdef0"
)

// isolatedSources: an NFS NovaSeq X with filters, bandwidth and a cron
// schedule, and an SMB MiSeq share.
func isolatedSources() []datasync.Source {
	return []datasync.Source{
		{
			Name: "novaseq1", Protocol: datasync.NFS, Server: "nas01.lab.example.com", Subdirectory: "/novaseq1/output",
			NFSVersion: "NFS4_1", Profile: "novaseq-x", Subfolder: "novaseq1", Schedule: "cron(0 */2 * * ? *)",
			Include: "/2*", Exclude: "*.tmp|*/Thumbnail_Images", BytesPerSecond: 100 << 20, Overwrite: datasync.OverwriteNever,
		},
		{
			Name: "miseq-core", Protocol: datasync.SMB, Server: "10.1.2.3", Subdirectory: "/MiSeqOutput",
			User: "svc-datasync", Domain: "CORP", PasswordSecretArn: smbSecret, Profile: "miseq", Subfolder: "core/miseq",
		},
	}
}

// One App held to the cdk-nag packs: "Isolated" (isolated network, agent
// activated from a stack parameter over private link, NFS and SMB sources,
// a platform bus) and "Existing" (NAT network, an existing agent, one NFS
// source with every default, no bus). Synthesized once per test binary.
type fixture struct {
	*cdktest.Assembly
	dir      string
	stacks   map[string]awscdk.Stack
	ds       map[string]*datasync.DataSync
	tpl      map[string]template
	logicals map[string]map[string]string
}

type (
	template = cdktest.CfnTemplate
	resource = cdktest.Resource
)

var (
	fxOnce sync.Once
	fx     fixture
)

func load(t *testing.T) *fixture {
	t.Helper()
	fxOnce.Do(func() {
		fx.ds = map[string]*datasync.DataSync{}
		a := cdktest.Synth("DATASYNC_KEEP_ASSEMBLY", func(app awscdk.App) []awscdk.Stack {
			iso := awscdk.NewStack(app, jsii.String("Isolated"), nil)
			net := network.New(iso, "Network", nil)
			lake := datalake.New(iso, "DataLake", nil)
			bus := awsevents.NewEventBus(iso, jsii.String("PlatformBus"), nil)
			fx.ds["Isolated"] = datasync.New(iso, "DataSync", &datasync.Props{
				Network:          net,
				Lake:             lake,
				ActivationKey:    datasync.ActivationKeyParameter,
				AgentCIDR:        "192.168.10.0/24",
				SupportChannel:   true,
				Sources:          isolatedSources(),
				Bus:              bus,
				LogRetentionDays: 731,
				ReportLevel:      datasync.ReportSuccessesAndErrors,
			})

			ex := awscdk.NewStack(app, jsii.String("Existing"), nil)
			enet := network.New(ex, "Network", &network.Props{Profile: network.ProfileNAT})
			elake := datalake.New(ex, "DataLake", &datalake.Props{DisableBackup: true})
			fx.ds["Existing"] = datasync.New(ex, "DataSync", &datasync.Props{
				Network:  enet,
				Lake:     elake,
				AgentArn: existingAgent,
				Sources: []datasync.Source{{
					Name: "nextseq", Protocol: datasync.NFS, Server: "nas02", Subdirectory: "/nextseq", Profile: "nextseq",
				}},
			})
			// A lab's own VPC (no DataSync endpoint yet: the construct may
			// create it), buckets and keys.
			byo := awscdk.NewStack(app, jsii.String("BYO"), nil)
			own := cdktest.BringYourOwn(byo, []network.Endpoint{network.EndpointLogs}, true)
			fx.ds["BYO"] = datasync.New(byo, "DataSync", &datasync.Props{
				Network:       own.Network,
				Lake:          own.Lake,
				ActivationKey: datasync.ActivationKeyParameter,
				AgentCIDR:     "192.168.10.0/24",
				Sources: []datasync.Source{{
					Name: "novaseq", Protocol: datasync.NFS, Server: "nas01", Subdirectory: "/novaseq", Profile: "novaseq-x",
				}},
				LogKey: awskms.Key_FromKeyArn(byo, jsii.String("LabLogKey"), jsii.String(byoLogKeyArn)),
			})
			// The lab's networks named on the network (network.OnPremises):
			// no AgentCIDR.
			op := awscdk.NewStack(app, jsii.String("OnPrem"), nil)
			onet := network.New(op, "Network", &network.Props{OnPremCIDRs: []string{"192.168.0.0/16", "172.20.0.0/16"}})
			olake := datalake.New(op, "DataLake", &datalake.Props{DisableBackup: true})
			fx.ds["OnPrem"] = datasync.New(op, "DataSync", &datasync.Props{
				Network:        onet,
				Lake:           olake,
				ActivationKey:  datasync.ActivationKeyParameter,
				SupportChannel: true,
				Sources:        []datasync.Source{nfsSource("aa")},
			})
			return []awscdk.Stack{iso, ex, byo, op}
		})
		fx.Assembly, fx.dir, fx.stacks, fx.tpl, fx.logicals = a, a.Dir, a.Stacks, a.Templates, a.Logical
	})
	fx.Check(t)
	return &fx
}

// res returns the resource at path (below the stack; "/Resource" may be
// left out) with its logical id.
func (f *fixture) res(t *testing.T, stack, path string) (string, resource) {
	t.Helper()
	return f.Res(t, stack, path)
}

// ofType returns the resources of typ whose path starts with prefix.
func (f *fixture) ofType(stack, typ, prefix string) map[string]resource {
	return f.OfType(stack, typ, prefix)
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = render(e)
		}
		return out
	case map[string]any:
		return []string{render(x)}
	}
	return nil
}

// Template helpers shared by the construct tests (cdktest).
var (
	render  = cdktest.Render
	resolve = cdktest.Resolve
	get     = cdktest.Get
)

package eventglue_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
)

// One App, held to the cdk-nag packs: "Glue" sets every prop, "Defaults"
// only the required ones (with a NAT network and a data lake without
// backup), and "SplitGlue" takes its data lake and network from another
// stack, "SplitLake". It is
// synthesized once per test binary; tests read the templates from its
// cloud assembly.
type fixture struct {
	*cdktest.Assembly
	dir      string
	stacks   map[string]awscdk.Stack
	glue     map[string]*eventglue.EventGlue
	lake     map[string]datalake.ILake
	tpl      map[string]template
	logicals map[string]map[string]string // stack -> construct path -> logical id
}

type (
	template = cdktest.CfnTemplate
	resource = cdktest.Resource
)

const testImage = "public.ecr.aws/docker/library/busybox:1.36"

var (
	fxOnce sync.Once
	fx     fixture
)

func image() awsecs.ContainerImage {
	return awsecs.ContainerImage_FromRegistry(jsii.String(testImage), nil)
}

// customProps are the props of the "Glue" stack.
func customProps(lake datalake.ILake, net network.INetwork) *eventglue.Props {
	return &eventglue.Props{
		Lake:             lake,
		Network:          net,
		LogRetentionDays: 731,
		LogLevel:         "debug",
		RunRules: []eventglue.RunRule{
			{Bucket: datalake.BucketRaw, Prefix: "runs/", Profile: "novaseq-x", Manifest: "manifest.sha256", Channel: eventglue.ChannelDataSync},
			{Bucket: datalake.BucketPartner, Prefix: "quarantine/", Profile: "generic", Markers: []string{"DONE"}, Manifest: "manifest.csv", Channel: eventglue.ChannelTransfer, Partnered: true},
			{Bucket: datalake.BucketShared, Prefix: "share/nextseq/", Profile: "nextseq", Channel: eventglue.ChannelFileGateway, SettleAfter: 6 * time.Hour},
			{Bucket: datalake.BucketRaw, Prefix: "miseq/", Profile: "miseq", Channel: eventglue.ChannelDataSync},
		},
		DeletionProtection:   true,
		ArchiveRetentionDays: 400,
		ReservedConcurrency:  eventglue.ReservedConcurrency{Ingest: 30, Verify: 12, Restore: 3},
		MapConcurrency:       25,
		MaxStreamBytes:       5 << 30,
		VerifyMemoryMB:       3008,
		RestoreTier:          eventglue.RestoreStandard,
		RestoreDays:          3,
		AlarmEmail:           "ops@example.org",
		VerifierImage:        image(),
	}
}

func load(t *testing.T) *fixture {
	t.Helper()
	fxOnce.Do(func() {
		fx.glue, fx.lake = map[string]*eventglue.EventGlue{}, map[string]datalake.ILake{}
		// EVENTGLUE_KEEP_ASSEMBLY=dir keeps a copy of the assembly to look at.
		a := cdktest.Synth("EVENTGLUE_KEEP_ASSEMBLY", func(app awscdk.App) []awscdk.Stack {
			build := func(name string, netProps *network.Props, lakeProps *datalake.Props, props func(datalake.ILake, network.INetwork) *eventglue.Props) awscdk.Stack {
				stack := awscdk.NewStack(app, jsii.String(name), nil)
				net := network.New(stack, "Network", netProps)
				lake := datalake.New(stack, "DataLake", lakeProps)
				fx.lake[name] = lake
				fx.glue[name] = eventglue.New(stack, "EventGlue", props(lake, net))
				return stack
			}
			custom := build("Glue", nil, nil, customProps)
			// The defaults, in a NAT network, next to a data lake without
			// backup (a dev sandbox).
			defaults := build("Defaults", &network.Props{Profile: network.ProfileNAT}, &datalake.Props{DisableBackup: true}, func(l datalake.ILake, n network.INetwork) *eventglue.Props {
				return &eventglue.Props{Lake: l, Network: n, VerifierImage: image()}
			})
			// The data lake and network in one stack, the glue in another.
			state := awscdk.NewStack(app, jsii.String("SplitLake"), nil)
			lake := datalake.New(state, "DataLake", nil)
			net := network.New(state, "Network", nil)
			glue := awscdk.NewStack(app, jsii.String("SplitGlue"), nil)
			fx.glue["SplitGlue"] = eventglue.New(glue, "EventGlue", &eventglue.Props{Lake: lake, Network: net, VerifierImage: image()})
			// A lab's own VPC (every endpoint exists; none may be created),
			// buckets and key, and every key of the glue supplied.
			byo := awscdk.NewStack(app, jsii.String("BYO"), nil)
			own := cdktest.BringYourOwn(byo, network.AllEndpoints(), false)
			fx.lake["BYO"] = own.Lake
			key := func(name string) awskms.IKey {
				return awskms.Key_FromKeyArn(byo, jsii.String("Lab"+name), jsii.String(byoKeyArns[name]))
			}
			fx.glue["BYO"] = eventglue.New(byo, "EventGlue", &eventglue.Props{Lake: own.Lake, Network: own.Network, VerifierImage: image(),
				LogKey: key("LogKey"), QueueKey: key("QueueKey"), BusKey: key("BusKey"), ArchiveKey: key("ArchiveKey"),
				AlarmKey: key("AlarmKey"), CatalogKey: key("CatalogKey")})
			return []awscdk.Stack{custom, defaults, state, glue, byo}
		})
		fx.Assembly, fx.dir, fx.stacks, fx.tpl, fx.logicals = a, a.Dir, a.Stacks, a.Templates, a.Logical
	})
	fx.Check(t)
	return &fx
}

// res returns the resource at path (below the stack; "/Resource" may be
// left out) of stack, with its logical id.
func (f *fixture) res(t *testing.T, stack, path string) (string, resource) {
	t.Helper()
	return f.Res(t, stack, path)
}

// ofType returns the resources of typ whose logical id starts with prefix.
func (f *fixture) ofType(stack, typ, prefix string) map[string]resource {
	return f.OfTypeByID(stack, typ, prefix)
}

// ref and getAtt are the JSON forms of CloudFormation references.
func ref(id string) map[string]any { return map[string]any{"Ref": id} }
func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

// render turns a value that may hold Fn::Join, Ref and Fn::GetAtt into a
// string, each reference written <Ref:id> or <id.attr>.
func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if j, ok := x["Fn::Join"].([]any); ok {
			var b strings.Builder
			for _, p := range j[1].([]any) {
				b.WriteString(render(p))
			}
			return b.String()
		}
		if r, ok := x["Ref"].(string); ok {
			return "<Ref:" + r + ">"
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok {
			return fmt.Sprintf("<%v.%v>", g[0], g[1])
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestNagFindings: zero unsuppressed findings of any level in any pack, a
// report from every pack for every stack, and the glue's suppressions
// logged for review (go test -v).
func TestNagFindings(t *testing.T) {
	load(t).NagGate(t, "/EventGlue/", "event glue")
}

// TestCfnLint runs cfn-lint with the repository's settings over the
// templates.
func TestCfnLint(t *testing.T) {
	cdktest.CfnLint(t, load(t).TemplateFiles())
}

// Template helpers shared by the construct tests (cdktest).
var (
	get = cdktest.Get
)

package filegateway_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/filegateway"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/network"
)

const gatewayARN = "arn:aws:storagegateway:eu-west-1:111122223333:gateway/sgw-12A3456B"

// customShares are the shares of the "Custom" stack.
func customShares() []filegateway.Share {
	return []filegateway.Share{
		{Name: "results-ro", Protocol: filegateway.SMB, Bucket: datalake.BucketResults, Prefix: "published", ReadOnly: true, SMBUsers: []string{"CORP\\jdoe", "@researchers"}},
		{Name: "lab-drop", Protocol: filegateway.NFS, Bucket: datalake.BucketShared, Prefix: "share/lab1/", ClientCIDRs: []string{"10.10.0.0/16", "192.168.5.0/24"}, Squash: filegateway.AllSquash},
		{Name: "lab-smb", Protocol: filegateway.SMB, Bucket: datalake.BucketShared, Prefix: "share/lab2/", SMBUsers: []string{"@lab2"}},
	}
}

// ec2CacheGiB is the cache disk of the "OnEC2" stack's gateway.
const ec2CacheGiB = 300

// One App, held to the cdk-nag packs: "Defaults" (nil shares, isolated
// network), "Custom" (SMB and NFS shares on three buckets, NAT network,
// reserved concurrency 1, client CIDRs from Props) and "OnEC2" (the
// custom shares on a gateway hosted on EC2 with default settings and a
// 300 GiB cache, isolated network).
type fixture struct {
	dir      string
	err      string
	stacks   map[string]awscdk.Stack
	gws      map[string]*filegateway.FileGateway
	tpl      map[string]template
	logicals map[string]map[string]string
}

type template struct {
	Resources  map[string]resource
	Parameters map[string]any
}

type resource struct {
	Type           string
	Properties     map[string]any
	DeletionPolicy string
	DependsOn      any
}

var (
	fxOnce sync.Once
	fx     fixture
)

func load(t *testing.T) *fixture {
	t.Helper()
	fxOnce.Do(func() {
		fx = fixture{stacks: map[string]awscdk.Stack{}, gws: map[string]*filegateway.FileGateway{}, tpl: map[string]template{}, logicals: map[string]map[string]string{}}
		app := cdktest.NewApp(nil)
		nag.Apply(app)
		msg, failed := cdktest.Catch(func() {
			def := awscdk.NewStack(app, jsii.String("Defaults"), nil)
			fx.stacks["Defaults"] = def
			fx.gws["Defaults"] = filegateway.New(def, "FileGateway", &filegateway.Props{
				Network:    network.New(def, "Network", nil),
				Lake:       datalake.New(def, "DataLake", nil),
				GatewayARN: gatewayARN,
			})
			cus := awscdk.NewStack(app, jsii.String("Custom"), nil)
			fx.stacks["Custom"] = cus
			fx.gws["Custom"] = filegateway.New(cus, "FileGateway", &filegateway.Props{
				Network:             network.New(cus, "Network", &network.Props{Profile: network.ProfileNAT}),
				Lake:                datalake.New(cus, "DataLake", &datalake.Props{DisableBackup: true}),
				GatewayARN:          gatewayARN,
				Shares:              customShares(),
				ClientCIDRs:         []string{"172.16.0.0/12"},
				LogRetentionDays:    731,
				ReservedConcurrency: 1,
			})
			ec2 := awscdk.NewStack(app, jsii.String("OnEC2"), nil)
			fx.stacks["OnEC2"] = ec2
			fx.gws["OnEC2"] = filegateway.New(ec2, "FileGateway", &filegateway.Props{
				Network:     network.New(ec2, "Network", nil),
				Lake:        datalake.New(ec2, "DataLake", &datalake.Props{DisableBackup: true}),
				EC2:         &filegateway.EC2Host{CacheDiskGiB: ec2CacheGiB},
				Shares:      customShares(),
				ClientCIDRs: []string{"172.16.0.0/12"},
			})
			for name, stack := range fx.stacks {
				fx.logicals[name] = logicalIDs(stack)
			}
			app.Synth(nil)
		})
		fx.dir = *app.Outdir()
		if failed {
			fx.err = msg
			return
		}
		if keep := os.Getenv("FILEGATEWAY_KEEP_ASSEMBLY"); keep != "" {
			_ = os.CopyFS(keep, os.DirFS(fx.dir))
		}
		for name := range fx.stacks {
			raw, err := os.ReadFile(filepath.Join(fx.dir, name+".template.json"))
			if err == nil {
				var tp template
				err = json.Unmarshal(raw, &tp)
				fx.tpl[name] = tp
			}
			if err != nil {
				fx.err = err.Error()
			}
		}
	})
	if fx.err != "" {
		report, _ := os.ReadFile(filepath.Join(fx.dir, "validation-report.json"))
		t.Fatalf("synth failed: %s\n%s", fx.err, report)
	}
	return &fx
}

// res returns the resource at path (below the stack; "/Resource" may be
// left out) of stack, with its logical id.
func (f *fixture) res(t *testing.T, stack, path string) (string, resource) {
	t.Helper()
	id, ok := f.logicals[stack][path]
	if !ok {
		id, ok = f.logicals[stack][path+"/Resource"]
	}
	if !ok {
		var near []string
		for p := range f.logicals[stack] {
			if strings.HasPrefix(p, path) {
				near = append(near, p)
			}
		}
		t.Fatalf("%s: no resource at %s (under it: %v)", stack, path, near)
	}
	r, ok := f.tpl[stack].Resources[id]
	if !ok {
		t.Fatalf("%s: %s (%s) is not in the template", stack, path, id)
	}
	return id, r
}

// ofType returns the resources of typ whose construct path starts with
// prefix, by path.
func (f *fixture) ofType(stack, typ, prefix string) map[string]resource {
	out := map[string]resource{}
	for path, id := range f.logicals[stack] {
		if r, ok := f.tpl[stack].Resources[id]; ok && r.Type == typ && strings.HasPrefix(path, prefix) {
			out[path] = r
		}
	}
	return out
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

// Template helpers shared by the construct tests (cdktest).
var (
	logicalIDs = cdktest.LogicalIDs
	render     = cdktest.Render
	resolve    = cdktest.Resolve
)

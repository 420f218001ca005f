package filegateway_test

import (
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/filegateway"
	"github.com/biolake/biolake/constructs/internal/cdktest"
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
// 300 GiB cache, isolated network) and "BYO" (a gateway on EC2 in a lab's
// imported VPC, on imported buckets, with every key supplied).
type fixture struct {
	*cdktest.Assembly
	dir      string
	stacks   map[string]awscdk.Stack
	gws      map[string]*filegateway.FileGateway
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
		fx.gws = map[string]*filegateway.FileGateway{}
		a := cdktest.Synth("FILEGATEWAY_KEEP_ASSEMBLY", func(app awscdk.App) []awscdk.Stack {
			def := awscdk.NewStack(app, jsii.String("Defaults"), nil)
			fx.gws["Defaults"] = filegateway.New(def, "FileGateway", &filegateway.Props{
				Network:    network.New(def, "Network", nil),
				Lake:       datalake.New(def, "DataLake", nil),
				GatewayARN: gatewayARN,
			})
			cus := awscdk.NewStack(app, jsii.String("Custom"), nil)
			fx.gws["Custom"] = filegateway.New(cus, "FileGateway", &filegateway.Props{
				Network:             network.New(cus, "Network", &network.Props{Profile: network.ProfileNAT}),
				Lake:                datalake.New(cus, "DataLake", &datalake.Props{DisableBackup: true}),
				GatewayARN:          gatewayARN,
				GatewayName:         "lab-gateway",
				Shares:              customShares(),
				ClientCIDRs:         []string{"172.16.0.0/12"},
				LogRetentionDays:    731,
				ReservedConcurrency: 1,
			})
			ec2 := awscdk.NewStack(app, jsii.String("OnEC2"), nil)
			fx.gws["OnEC2"] = filegateway.New(ec2, "FileGateway", &filegateway.Props{
				Network:     network.New(ec2, "Network", nil),
				Lake:        datalake.New(ec2, "DataLake", &datalake.Props{DisableBackup: true}),
				EC2:         &filegateway.EC2Host{CacheDiskGiB: ec2CacheGiB},
				Shares:      customShares(),
				ClientCIDRs: []string{"172.16.0.0/12"},
			})
			// A lab's own VPC, buckets and key, with every key of the
			// construct supplied. The VPC lacks the Storage Gateway
			// endpoint, which the network creates: the instance needs the
			// endpoint construct, not an imported one.
			byo := awscdk.NewStack(app, jsii.String("BYO"), nil)
			existing := slices.DeleteFunc(network.AllEndpoints(), func(e network.Endpoint) bool { return e == network.EndpointStorageGateway })
			own := cdktest.BringYourOwn(byo, existing, true)
			key := func(name string) awskms.IKey {
				return awskms.Key_FromKeyArn(byo, jsii.String("Lab"+name), jsii.String(byoKeyArns[name]))
			}
			fx.gws["BYO"] = filegateway.New(byo, "FileGateway", &filegateway.Props{
				Network:   own.Network,
				Lake:      own.Lake,
				EC2:       &filegateway.EC2Host{CacheDiskGiB: ec2CacheGiB},
				LogKey:    key("LogKey"),
				QueueKey:  key("QueueKey"),
				AlarmKey:  key("AlarmKey"),
				VolumeKey: key("VolumeKey"),
			})
			return []awscdk.Stack{def, cus, ec2, byo}
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

// ofType returns the resources of typ whose construct path starts with
// prefix, by path.
func (f *fixture) ofType(stack, typ, prefix string) map[string]resource {
	return f.OfType(stack, typ, prefix)
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

// Template helpers shared by the construct tests (cdktest).
var (
	render  = cdktest.Render
	resolve = cdktest.Resolve
)

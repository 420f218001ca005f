package transfer_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"golang.org/x/crypto/ssh"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/transfer"
)

// edKey returns a deterministic Ed25519 public key in authorized_keys form.
func edKey(seed byte, comment string) string {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed
	}
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(s).Public())
	if err != nil {
		panic(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if comment != "" {
		line += " " + comment
	}
	return line
}

// rsaKey returns a fresh RSA public key of bits in authorized_keys form.
func rsaKey(bits int) string {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	pub, _ := ssh.NewPublicKey(&k.PublicKey)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}

const (
	byoLogKeyArn    = "arn:aws:kms:eu-west-1:111122223333:key/1e1e1e1e-1111-2222-3333-444455556666"
	byoSecretKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/2e2e2e2e-1111-2222-3333-444455556666"
	existingSecret  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:biolake/transfer/beta-AbCdEf"
	certificate     = "arn:aws:acm:eu-west-1:111122223333:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// isolatedPartners are the partners of the "Isolated" stack: keys and a
// created secret, an existing secret (two CIDRs), keys only.
func isolatedPartners() []transfer.Partner {
	return []transfer.Partner{
		{Name: "acme", CIDRs: []string{"203.0.113.0/24"}, PublicKeys: []string{edKey(1, "sftp@acme.example")}, CreatePasswordSecret: true},
		{Name: "beta-labs", CIDRs: []string{"198.51.100.0/25", "198.51.100.128/26"}, PasswordSecretArn: existingSecret},
		{Name: "gamma", CIDRs: []string{"192.0.2.64/26"}, PublicKeys: []string{edKey(2, ""), edKey(3, "second key")}},
	}
}

// One App, held to the cdk-nag packs: "Isolated" (isolated network,
// VPC-internal endpoint, SFTP, three kinds of partners, every prop that
// applies) and "Public" (NAT network, internet-facing endpoint with Elastic
// IPs, SFTP and FTPS, the defaults otherwise). It is synthesized once per
// test binary; tests read the templates from its cloud assembly.
type fixture struct {
	*cdktest.Assembly
	dir      string
	stacks   map[string]awscdk.Stack
	servers  map[string]*transfer.Server
	tpl      map[string]template
	logicals map[string]map[string]string // stack -> construct path -> logical id
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
		fx.servers = map[string]*transfer.Server{}
		// TRANSFER_KEEP_ASSEMBLY=dir keeps a copy of the assembly to look at.
		a := cdktest.Synth("TRANSFER_KEEP_ASSEMBLY", func(app awscdk.App) []awscdk.Stack {
			iso := awscdk.NewStack(app, jsii.String("Isolated"), nil)
			net := network.New(iso, "Network", nil)
			lake := datalake.New(iso, "DataLake", nil)
			fx.servers["Isolated"] = transfer.New(iso, "PartnerTransfer", &transfer.Props{
				Network:             net,
				Lake:                lake,
				Partners:            isolatedPartners(),
				Protocols:           []transfer.Protocol{transfer.SFTP},
				Endpoint:            transfer.EndpointVPC,
				SecurityPolicy:      "TransferSecurityPolicy-2024-01",
				LogRetentionDays:    731,
				ReservedConcurrency: 7,
			})

			pub := awscdk.NewStack(app, jsii.String("Public"), nil)
			pnet := network.New(pub, "Network", &network.Props{Profile: network.ProfileNAT})
			plake := datalake.New(pub, "DataLake", &datalake.Props{DisableBackup: true})
			fx.servers["Public"] = transfer.New(pub, "PartnerTransfer", &transfer.Props{
				Network:        pnet,
				Lake:           plake,
				Partners:       []transfer.Partner{{Name: "delta", CIDRs: []string{"203.0.113.128/25"}, CreatePasswordSecret: true}},
				Protocols:      []transfer.Protocol{transfer.SFTP, transfer.FTPS},
				CertificateArn: certificate,
				Endpoint:       transfer.EndpointPublicVPC,
			})
			// A lab's own VPC (secretsmanager and ssm endpoints exist),
			// buckets and keys, a partner whose password secret the
			// server creates, and every key supplied: nothing of those is
			// created.
			byo := awscdk.NewStack(app, jsii.String("BYO"), nil)
			own := cdktest.BringYourOwn(byo, []network.Endpoint{network.EndpointSecretsManager, network.EndpointSSM}, false)
			fx.servers["BYO"] = transfer.New(byo, "PartnerTransfer", &transfer.Props{
				Network: own.Network,
				Lake:    own.Lake,
				Partners: []transfer.Partner{
					{Name: "acme", CIDRs: []string{"203.0.113.0/24"}, PublicKeys: []string{edKey(1, "")}},
					{Name: "beta", CIDRs: []string{"198.51.100.0/24"}, CreatePasswordSecret: true},
				},
				Protocols:         []transfer.Protocol{transfer.SFTP},
				Endpoint:          transfer.EndpointVPC,
				LogKey:            awskms.Key_FromKeyArn(byo, jsii.String("LabLogKey"), jsii.String(byoLogKeyArn)),
				PasswordSecretKey: awskms.Key_FromKeyArn(byo, jsii.String("LabSecretKey"), jsii.String(byoSecretKeyArn)),
			})
			return []awscdk.Stack{iso, pub, byo}
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

func ref(id string) map[string]any { return map[string]any{"Ref": id} }
func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

// strs turns a JSON array (or a single string) into strings.
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

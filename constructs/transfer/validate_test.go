package transfer_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/transfer"
)

// Real networks and a data lake for Validate (which reads the network's
// profile); built once, never synthesized.
var (
	depsOnce       sync.Once
	isoNet, natNet network.INetwork
	noSSMNet       network.INetwork
	depsLake       datalake.ILake
	depsApp        awscdk.App
	depsStack      awscdk.Stack
	depsErr        string
)

func deps(t *testing.T) (network.INetwork, network.INetwork, datalake.ILake) {
	t.Helper()
	depsOnce.Do(func() {
		depsErr, _ = cdktest.Catch(func() {
			depsApp, depsStack = cdktest.NewStack("Deps")
			isoNet = network.New(depsStack, "Iso", nil)
			natNet = network.New(depsStack, "Nat", &network.Props{Profile: network.ProfileNAT})
			noSSMNet = network.New(depsStack, "NoSsm", &network.Props{InterfaceEndpoints: []network.Endpoint{network.EndpointSecretsManager, network.EndpointLogs}})
			depsLake = datalake.New(depsStack, "Lake", &datalake.Props{DisableBackup: true})
		})
	})
	if depsErr != "" {
		t.Fatal(depsErr)
	}
	return isoNet, natNet, depsLake
}

func TestValidate(t *testing.T) {
	iso, nat, lake := deps(t)
	key := edKey(9, "ops@example.org")
	good := func() *transfer.Props {
		return &transfer.Props{Network: iso, Lake: lake, Partners: []transfer.Partner{
			{Name: "acme", CIDRs: []string{"203.0.113.0/24"}, PublicKeys: []string{key}},
		}}
	}
	require.NoError(t, good().Validate())

	weakRSA := rsaKey(1024)
	cases := []struct {
		name   string
		mutate func(p *transfer.Props)
		want   []string // substrings of the error: field, value, what is accepted
	}{
		{"nil network", func(p *transfer.Props) { p.Network = nil }, []string{"Props.Network is nil", "accepted: the network.INetwork"}},
		{"nil lake", func(p *transfer.Props) { p.Lake = nil }, []string{"Props.Lake is nil", "partner bucket"}},
		{"duplicate name", func(p *transfer.Props) {
			p.Partners = append(p.Partners, transfer.Partner{Name: "acme", CIDRs: []string{"198.51.100.0/24"}, CreatePasswordSecret: true})
		}, []string{`Props.Partners[1].Name is "acme"`, "case-insensitive", "share a home"}},
		{"duplicate name in another case", func(p *transfer.Props) {
			p.Partners = append(p.Partners, transfer.Partner{Name: "ACME", CIDRs: []string{"198.51.100.0/24"}, CreatePasswordSecret: true})
		}, []string{`Props.Partners[1].Name is "ACME"`, "lower-case", "Partners[0] is \"acme\""}},
		{"bad name: slash", func(p *transfer.Props) { p.Partners[0].Name = "acme/../x" }, []string{`Props.Partners[0].Name is "acme/../x"`, "3 to 32 lower-case letters"}},
		{"bad name: too short", func(p *transfer.Props) { p.Partners[0].Name = "ac" }, []string{`Name is "ac"`, "3 to 32"}},
		{"bad name: too long", func(p *transfer.Props) { p.Partners[0].Name = strings.Repeat("a", 33) }, []string{"Name is", "3 to 32"}},
		{"bad name: dot", func(p *transfer.Props) { p.Partners[0].Name = "acme.io" }, []string{`Name is "acme.io"`}},
		{"bad name: trailing dash", func(p *transfer.Props) { p.Partners[0].Name = "acme-" }, []string{`Name is "acme-"`}},
		{"bad name: leading digit", func(p *transfer.Props) { p.Partners[0].Name = "1acme" }, []string{`Name is "1acme"`}},
		{"invalid CIDR", func(p *transfer.Props) { p.Partners[0].CIDRs = []string{"203.0.113.0/33"} }, []string{`Props.Partners[0].CIDRs[0] is "203.0.113.0/33"`, "an IPv4 prefix such as"}},
		{"not a CIDR", func(p *transfer.Props) { p.Partners[0].CIDRs = []string{"acme.example.org"} }, []string{`CIDRs[0] is "acme.example.org"`}},
		{"IPv6 CIDR", func(p *transfer.Props) { p.Partners[0].CIDRs = []string{"2001:db8::/32"} }, []string{`CIDRs[0] is "2001:db8::/32"`, "IPv4-only"}},
		{"host bits", func(p *transfer.Props) { p.Partners[0].CIDRs = []string{"203.0.113.7/24"} }, []string{`CIDRs[0] is "203.0.113.7/24"`, `"203.0.113.0/24"`}},
		{"0.0.0.0/0", func(p *transfer.Props) { p.Partners[0].CIDRs = []string{"203.0.113.0/24", "0.0.0.0/0"} }, []string{`Props.Partners[0].CIDRs[1] is "0.0.0.0/0"`, "every address on the internet", `"acme"`}},
		{"duplicate CIDR", func(p *transfer.Props) { p.Partners[0].CIDRs = []string{"203.0.113.0/24", "203.0.113.0/24"} }, []string{`CIDRs[1] is "203.0.113.0/24"`, "each CIDR once"}},
		{"no CIDRs", func(p *transfer.Props) { p.Partners[0].CIDRs = nil }, []string{"Props.Partners[0].CIDRs is empty", "at least one network"}},
		{"neither key nor password", func(p *transfer.Props) { p.Partners[0].PublicKeys = nil }, []string{"Props.Partners[0].PublicKeys is empty", "PasswordSecretArn or CreatePasswordSecret", "no way to log in"}},
		{"existing and created secret", func(p *transfer.Props) {
			p.Partners[0].PasswordSecretArn, p.Partners[0].CreatePasswordSecret = existingSecret, true
		}, []string{"Props.Partners[0].PasswordSecretArn is", "not both"}},
		{"secret key without a created secret", func(p *transfer.Props) {
			p.Partners[0].PasswordSecretArn = existingSecret
			p.PasswordSecretKey = awskms.Key_FromKeyArn(depsStack, jsii.String("SecretKey"), jsii.String(byoSecretKeyArn))
		}, []string{"Props.PasswordSecretKey is set; accepted: PasswordSecretKey only together with a partner's CreatePasswordSecret"}},
		{"secret ARN without suffix", func(p *transfer.Props) {
			p.Partners[0].PasswordSecretArn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme"
		}, []string{"PasswordSecretArn is \"arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme\"", "6-character suffix"}},
		{"secret ARN of another service", func(p *transfer.Props) {
			p.Partners[0].PasswordSecretArn = "arn:aws:ssm:eu-west-1:111122223333:parameter/acme"
		}, []string{"PasswordSecretArn is"}},
		{"bad key", func(p *transfer.Props) { p.Partners[0].PublicKeys = []string{"ssh-ed25519 not-base64!"} }, []string{`Props.Partners[0].PublicKeys[0] is "ssh-ed25519 not-base64!"`, "authorized_keys form"}},
		{"private key pasted", func(p *transfer.Props) {
			p.Partners[0].PublicKeys = []string{"-----BEGIN OPENSSH PRIVATE KEY-----"}
		}, []string{"PublicKeys[0] is", "authorized_keys form"}},
		{"key with options", func(p *transfer.Props) { p.Partners[0].PublicKeys = []string{`from="10.0.0.0/8" ` + key} }, []string{"PublicKeys[0] is", "without authorized_keys options", "CIDRs"}},
		{"two keys in one entry", func(p *transfer.Props) { p.Partners[0].PublicKeys = []string{key + "\n" + edKey(8, "")} }, []string{"PublicKeys[0] is", "one key per entry"}},
		{"weak RSA key", func(p *transfer.Props) { p.Partners[0].PublicKeys = []string{weakRSA} }, []string{"PublicKeys[0] is", "at least 2048 bits", "has 1024"}},
		{"key shared by two partners", func(p *transfer.Props) {
			p.Partners = append(p.Partners, transfer.Partner{Name: "other", CIDRs: []string{"198.51.100.0/24"}, PublicKeys: []string{edKey(9, "copy")}})
		}, []string{"Props.Partners[1].PublicKeys[0] is", "already Partners[0].PublicKeys[0] (\"acme\")"}},
		{"FTP", func(p *transfer.Props) { p.Protocols = []transfer.Protocol{"FTP"} }, []string{`Props.Protocols[0] is "FTP"`, "clear text"}},
		{"unknown protocol", func(p *transfer.Props) { p.Protocols = []transfer.Protocol{"SCP"} }, []string{`Props.Protocols[0] is "SCP"`, "SFTP or FTPS"}},
		{"duplicate protocol", func(p *transfer.Props) { p.Protocols = []transfer.Protocol{transfer.SFTP, transfer.SFTP} }, []string{`Props.Protocols[1] is "SFTP"`, "each protocol once"}},
		{"FTPS without certificate", func(p *transfer.Props) { p.Protocols = []transfer.Protocol{transfer.FTPS} }, []string{`Props.CertificateArn is ""`, "FTPS is in Protocols"}},
		{"certificate without FTPS", func(p *transfer.Props) { p.CertificateArn = certificate }, []string{"Props.CertificateArn is \"arn:aws:acm", "only for FTPS"}},
		{"bad certificate ARN", func(p *transfer.Props) {
			p.Protocols, p.CertificateArn = []transfer.Protocol{transfer.FTPS}, "my-cert"
		}, []string{`Props.CertificateArn is "my-cert"`, "ACM certificate ARN"}},
		{"public endpoint in the isolated network", func(p *transfer.Props) { p.Endpoint = transfer.EndpointPublicVPC }, []string{`Props.Endpoint is "PublicVPC"`, `profile "nat"`, "VPN or Direct Connect"}},
		{"public endpoint without partner CIDRs", func(p *transfer.Props) { p.Network, p.Endpoint, p.Partners = nat, transfer.EndpointPublicVPC, nil }, []string{"Props.Partners is empty", "internet-facing security group"}},
		{"unknown endpoint", func(p *transfer.Props) { p.Endpoint = "PUBLIC" }, []string{`Props.Endpoint is "PUBLIC"`, `"VPC" or "PublicVPC"`}},
		{"isolated network without an SSM endpoint", func(p *transfer.Props) { p.Network = noSSMNet }, []string{"Props.Network is an isolated network without an SSM endpoint", "network.EndpointSSM", "id of the server it serves"}},
		{"old security policy", func(p *transfer.Props) { p.SecurityPolicy = "TransferSecurityPolicy-2018-11" }, []string{`Props.SecurityPolicy is "TransferSecurityPolicy-2018-11"`, "SHA-1"}},
		{"not a security policy", func(p *transfer.Props) { p.SecurityPolicy = "ELBSecurityPolicy-TLS13" }, []string{`Props.SecurityPolicy is "ELBSecurityPolicy-TLS13"`, "Transfer Family security policy name"}},
		{"bad retention", func(p *transfer.Props) { p.LogRetentionDays = 10 }, []string{"Props.LogRetentionDays is 10", "one of 1, 3, 5"}},
		{"negative concurrency", func(p *transfer.Props) { p.ReservedConcurrency = -1 }, []string{"Props.ReservedConcurrency is -1", "1 to 1000"}},
		{"too many CIDRs for the security group", func(p *transfer.Props) {
			for i := 0; i < 61; i++ {
				p.Partners[0].CIDRs = append(p.Partners[0].CIDRs, "10.0."+itoa(i)+".0/24")
			}
		}, []string{"Props.Partners is 62 distinct CIDRs", "at most 60"}},
		{"environment too large", func(p *transfer.Props) {
			for i := 0; i < 9; i++ {
				p.Partners = append(p.Partners, transfer.Partner{Name: "cro-" + itoa(i), CIDRs: []string{"10.1." + itoa(i) + ".0/24"}, PublicKeys: []string{rsaKey(4096)}})
			}
		}, []string{"bytes of the identity provider's environment", "4 KB", "Ed25519"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := good()
			tc.mutate(p)
			err := p.Validate()
			require.Error(t, err)
			msg := err.Error()
			// One error per case; an upper-case duplicate is both a bad
			// name and a duplicate.
			n, ok := map[string]int{"duplicate name in another case": 2}[tc.name]
			if !ok {
				n = 1
			}
			assert.Equal(t, n, len(cdktest.ValidationErrors(t, err, "")), "errors: %s", msg)
			for _, w := range tc.want {
				assert.Contains(t, msg, w)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestValidateAccepts(t *testing.T) {
	iso, nat, lake := deps(t)
	for name, p := range map[string]*transfer.Props{
		"no partners (nobody can log in yet)": {Network: iso, Lake: lake},
		"every prop": {Network: nat, Lake: lake, Endpoint: transfer.EndpointPublicVPC, Protocols: []transfer.Protocol{transfer.FTPS, transfer.SFTP},
			CertificateArn: certificate, SecurityPolicy: "TransferSecurityPolicy-FIPS-2024-01", LogRetentionDays: 3653, ReservedConcurrency: 50,
			Partners: []transfer.Partner{
				{Name: "acme", CIDRs: []string{"203.0.113.0/24", "198.51.100.7/32"}, PublicKeys: []string{edKey(1, ""), rsaKey(2048)}, CreatePasswordSecret: true},
				{Name: "b2b", CIDRs: []string{"192.0.2.0/24"}, PasswordSecretArn: existingSecret},
			}},
		"VPC endpoint in a NAT network": {Network: nat, Lake: lake, Partners: []transfer.Partner{{Name: "acme", CIDRs: []string{"10.9.0.0/16"}, CreatePasswordSecret: true}}},
	} {
		assert.NoError(t, p.Validate(), name)
	}
	assert.Error(t, (*transfer.Props)(nil).Validate())
}

// TestNewPanicsWithValidateErrors: New refuses bad props with the same
// errors, naming the construct path.
func TestNewPanicsWithValidateErrors(t *testing.T) {
	iso, _, lake := deps(t)
	p := &transfer.Props{Network: iso, Lake: lake, Partners: []transfer.Partner{{Name: "acme", CIDRs: []string{"0.0.0.0/0"}, CreatePasswordSecret: true}}}
	want := p.Validate()
	require.Error(t, want)
	err := cdktest.CatchValidation(t, func() {
		scope := awscdk.NewStack(depsApp, jsii.String("PanicStack"), nil)
		transfer.New(scope, "Sftp", p)
	})
	for i, e := range cdktest.ValidationErrors(t, err, "PanicStack/Sftp") {
		w := cdktest.ValidationErrors(t, want, "")[i]
		assert.Equal(t, w.Field, e.Field)
		assert.Equal(t, w.Error(), strings.TrimPrefix(e.Error(), "PanicStack/Sftp: "))
	}

	err = cdktest.CatchValidation(t, func() { transfer.New(depsStack, "NilProps", nil) })
	cdktest.HasField(t, err, *depsStack.Node().Path()+"/NilProps", "Props")
	assert.Contains(t, err.Error(), "Props is nil")
}

func TestNormalizePublicKey(t *testing.T) {
	k := edKey(4, "someone@laptop with spaces")
	n, err := transfer.NormalizePublicKey(k)
	require.NoError(t, err)
	assert.Equal(t, edKey(4, ""), n)
	_, err = transfer.NormalizePublicKey(rsaKey(2048) + " ok")
	assert.NoError(t, err)
}

package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/compliance"
	"github.com/biolake/biolake/internal/assembly"
	"github.com/biolake/biolake/stacks"
)

// onPremisesEnvs are staging with a link: a BGP VPN ("labvpn") and a
// Direct Connect gateway association ("labdx"). The shipped environments
// all use link none.
var onPremisesEnvs = map[string]string{
	"labvpn": "    link: vpn\n    cidrs: [192.0.2.0/24, 198.18.0.0/15]\n    vpn:\n      customerGatewayIP: 203.0.113.12\n      customerGatewayASN: 65010\n",
	"labdx":  "    link: directconnect\n    cidrs: [192.0.2.0/24]\n    directConnect:\n      gatewayId: 5f2b1c3e-0a4d-4b6f-9e1c-2d3e4f5a6b7c\n      connectionIds: [dxcon-fh6ayh1d, dxcon-ffzc6cbv]\n",
}

// TestOnPremisesLinks synthesizes a VPN and a Direct Connect environment:
// zero unsuppressed cdk-nag findings and no cfn-lint finding; the link's
// stack has the gateway, its attachment and route propagation, and the
// VPN or the association; the tunnel and connection alarms notify the operations
// topic; and the lab's networks reach only the DataSync and Storage
// Gateway endpoints' groups and the agent's and gateway's groups.
func TestOnPremisesLinks(t *testing.T) {
	raw, err := os.ReadFile("../environments/staging.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const from, to = "  onPremises:\n    link: none\n    cidrs: [192.0.2.0/24]\n", "  onPremises:\n"
	if !strings.Contains(string(raw), from) {
		t.Fatalf("staging.yaml has no network.onPremises block %q to replace", from)
	}
	ctx, err := cdkContext(map[string]any{"biolake:stubLambdaAssets": "true"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir), Context: &ctx})
	for name, block := range onPremisesEnvs {
		yaml := strings.Replace(string(raw), from, to+block, 1)
		yaml = strings.Replace(yaml, "name: staging", "name: "+name, 1)
		env, err := config.Parse(filepath.Join("environments", name+".yaml"), []byte(yaml))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		stacks.NewStage(app, env)
	}
	app.Synth(nil)
	a, err := assembly.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, env := range a.Stages {
		for e := range a.Errors[env] {
			t.Errorf("%s: error annotation: %s", env, a.Errors[env][e])
		}
		for _, st := range a.Stacks[env] {
			// cfn-lint over the stacks this link changes; the whole app is
			// linted by TestCfnLint.
			if strings.HasSuffix(st.Name, "-OnPremises") || strings.HasSuffix(st.Name, "-Network") || strings.HasSuffix(st.Name, "-Ingest") {
				files = append(files, st.TemplateFile)
			}
			for _, pack := range compliance.Packs() {
				rows, err := a.NagReport(st, pack)
				if err != nil {
					t.Errorf("%v", err)
				}
				for _, r := range rows {
					if r.Compliance == "Non-Compliant" {
						t.Errorf("%s: %s %s on %s", r.Stage, r.Level, r.Rule, r.Resource)
					}
				}
			}
		}
	}
	if bin, err := exec.LookPath("cfn-lint"); err == nil {
		rc, _ := filepath.Abs("../.cfnlintrc")
		out, err := exec.Command(bin, append([]string{"--config-file", rc, "--format", "parseable", "--"}, files...)...).CombinedOutput()
		if err != nil {
			t.Errorf("cfn-lint:\n%s", out)
		}
	}

	stack := func(env, id string) *assembly.Stack {
		for _, st := range a.Stacks[env] {
			if st.Name == env+"-"+id {
				return st
			}
		}
		t.Fatalf("%s has no stack %s", env, id)
		return nil
	}
	count := func(st *assembly.Stack, typ string) int { return len(st.Resources(typ)) }
	for env, want := range map[string]map[string]int{
		"labvpn": {"AWS::EC2::VPNGateway": 1, "AWS::EC2::VPCGatewayAttachment": 1, "AWS::EC2::VPNGatewayRoutePropagation": 1, "AWS::EC2::CustomerGateway": 1,
			"AWS::EC2::VPNConnection": 1, "AWS::EC2::VPNConnectionRoute": 0, "AWS::CloudWatch::Alarm": 2, "AWS::DirectConnect::DirectConnectGatewayAssociation": 0},
		"labdx": {"AWS::EC2::VPNGateway": 1, "AWS::EC2::VPCGatewayAttachment": 1, "AWS::EC2::VPNGatewayRoutePropagation": 1, "AWS::EC2::CustomerGateway": 0,
			"AWS::EC2::VPNConnection": 0, "AWS::CloudWatch::Alarm": 3, "AWS::DirectConnect::DirectConnectGatewayAssociation": 1},
	} {
		st := stack(env, "OnPremises")
		for typ, n := range want {
			if got := count(st, typ); got != n {
				t.Errorf("%s-OnPremises: %d %s, want %d", env, got, typ, n)
			}
		}
	}
	// The tunnel and connection alarms notify the operations topic (an
	// Operations stack output).
	for _, env := range []string{"labvpn", "labdx"} {
		for id, r := range stack(env, "OnPremises").Resources("AWS::CloudWatch::Alarm") {
			p := Props(r)
			if s := jsonOf(p["AlarmActions"]); !strings.Contains(s, "Operations") || !strings.Contains(jsonOf(p["OKActions"]), "Operations") {
				t.Errorf("%s alarm %s actions = %s, want the operations topic", env, id, s)
			}
		}
	}
	// The lab's networks: only on the DataSync and Storage Gateway
	// endpoints' groups (Network) and the agent's task group and the
	// gateway's group (Ingest).
	for _, id := range []string{"Network", "Ingest", "EventGlue", "Compute", "Security", "DataLake"} {
		st := stack("labvpn", id)
		for lid, r := range st.Resources("AWS::EC2::SecurityGroup") {
			rules := jsonOf(Props(r)["SecurityGroupIngress"])
			if !strings.Contains(rules, "192.0.2.0/24") && !strings.Contains(rules, "198.18.0.0/15") {
				continue
			}
			ok := (id == "Network" && (strings.HasPrefix(lid, "NetworkDataSyncEndpointSecurityGroup") || strings.HasPrefix(lid, "NetworkStorageGatewayEndpointSecurityGroup"))) ||
				(id == "Ingest" && (strings.HasPrefix(lid, "DataSyncTaskSecurityGroup") || strings.HasPrefix(lid, "FileGatewaySecurityGroup")))
			if !ok {
				t.Errorf("labvpn-%s %s admits the lab's networks: %s", id, lid, rules)
			}
			if id == "Network" && !strings.Contains(rules, "198.18.0.0/15") {
				t.Errorf("labvpn-%s %s does not admit the second lab network: %s", id, lid, rules)
			}
		}
		for lid, r := range st.Resources("AWS::EC2::SecurityGroupIngress") {
			if c, _ := Props(r)["CidrIp"].(string); c == "192.0.2.0/24" || c == "198.18.0.0/15" {
				t.Errorf("labvpn-%s %s admits %s outside the endpoints' and agent's groups", id, lid, c)
			}
		}
	}
}

package network_test

import (
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/validation"
)

// fixture is one App with a stack per case, synthesized once for the whole
// test binary. Every stack is built before the first synthesis: CDK refuses
// changes to the tree after it.
type fixture struct {
	tpl map[string]assertions.Template
	net map[string]*network.Network
}

var (
	fixtureOnce sync.Once
	shared      fixture
)

func getFixture(t *testing.T) fixture {
	t.Helper()
	fixtureOnce.Do(func() {
		app, isolated := cdktest.NewStack("Isolated")
		newStackIn := func(id string) awscdk.Stack { return awscdk.NewStack(app, jsii.String(id), nil) }
		shared.net = map[string]*network.Network{}
		shared.tpl = map[string]assertions.Template{}

		shared.net["Isolated"] = network.New(isolated, "Network", nil)
		// The default creates what constructs require, each endpoint once,
		// whichever stack the construct is in.
		workloads := newStackIn("Workloads")
		worker := constructs.NewConstruct(workloads, jsii.String("Worker"))
		shared.net["Isolated"].Require(worker, network.EndpointSecretsManager, network.EndpointLogs)
		shared.net["Isolated"].Require(isolated, network.EndpointLogs)

		nat := newStackIn("Nat")
		shared.net["Nat"] = network.New(nat, "Network", &network.Props{
			Profile: network.ProfileNAT, MaxAZs: 2, NATGateways: 2, InterfaceEndpoints: network.AllEndpoints(),
		})

		natNoEndpoints := newStackIn("NatNoEndpoints")
		shared.net["NatNoEndpoints"] = network.New(natNoEndpoints, "Network", &network.Props{
			Profile: network.ProfileNAT, DisableInterfaceEndpoints: true,
		})

		custom := newStackIn("Custom")
		key := awskms.NewKey(custom, jsii.String("OwnKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
		shared.net["Custom"] = network.New(custom, "Network", &network.Props{
			CIDR:                 "10.1.0.0/20",
			FlowLogRetentionDays: 30,
			InterfaceEndpoints:   []network.Endpoint{network.EndpointDataSync, network.EndpointKMS},
			LogKey:               key,
		})
		// Listed: nothing is added.
		shared.net["Custom"].Require(custom, network.EndpointKMS)

		// NAT with a list: an endpoint not listed is reached through NAT.
		natListed := newStackIn("NatListed")
		shared.net["NatListed"] = network.New(natListed, "Network", &network.Props{
			Profile: network.ProfileNAT, InterfaceEndpoints: []network.Endpoint{network.EndpointKMS},
		})
		shared.net["NatListed"].Require(natListed, network.EndpointSTS)
		shared.net["NatNoEndpoints"].Require(natNoEndpoints, network.EndpointSTS)

		for _, id := range []string{"Isolated", "Nat", "NatNoEndpoints", "Custom", "NatListed"} {
			shared.tpl[id] = cdktest.Template(t, awscdk.Stack_Of(shared.net[id]))
		}
	})
	if shared.tpl == nil || len(shared.tpl) != 5 {
		t.Fatal("fixture failed to synthesize (see the first failing test)")
	}
	return shared
}

// ---------- isolated profile ----------

func TestIsolatedProfile(t *testing.T) {
	f := getFixture(t)
	tpl := f.tpl["Isolated"]

	counts := []struct {
		typ  string
		want int
	}{
		{"AWS::EC2::NatGateway", 0},
		{"AWS::EC2::InternetGateway", 0},
		{"AWS::EC2::EIP", 0},
		{"AWS::EC2::Route", 0},
		{"AWS::EC2::Subnet", 2},
		{"AWS::EC2::FlowLog", 1},
		{"AWS::Logs::LogGroup", 1},
		{"AWS::KMS::Key", 1},
		{"Custom::VpcRestrictDefaultSG", 1},
		{"AWS::IAM::Policy", 0}, // no inline policies (HIPAA/NIST IAMNoInlinePolicy)
		{"AWS::EC2::SecurityGroup", 1},
		{"AWS::EC2::SecurityGroupIngress", 0},
		{"AWS::EC2::SecurityGroupEgress", 0},
	}
	for _, c := range counts {
		t.Run(c.typ, func(t *testing.T) { cdktest.Count(t, tpl, c.typ, c.want) })
	}

	cdktest.Has(t, tpl, "AWS::EC2::VPC", cdktest.Props{
		"CidrBlock": network.DefaultCIDR, "EnableDnsHostnames": true, "EnableDnsSupport": true,
	})
	for id, r := range cdktest.Resources(t, tpl, "AWS::EC2::Subnet") {
		if !strings.Contains(id, "private") {
			t.Errorf("subnet %s: want only subnets of the group named private", id)
		}
		if props(r)["MapPublicIpOnLaunch"] != false {
			t.Errorf("subnet %s: MapPublicIpOnLaunch = %v, want false", id, props(r)["MapPublicIpOnLaunch"])
		}
	}

	n := f.net["Isolated"]
	if n.Profile() != network.ProfileIsolated {
		t.Errorf("Profile() = %q, want %q", n.Profile(), network.ProfileIsolated)
	}
	if got := n.PrivateSubnets().SubnetType; got != awsec2.SubnetType_PRIVATE_ISOLATED {
		t.Errorf("PrivateSubnets().SubnetType = %v", got)
	}
	if got := len(*n.Vpc().SelectSubnets(n.PrivateSubnets()).SubnetIds); got != 2 {
		t.Errorf("PrivateSubnets selects %d subnets, want 2", got)
	}
}

// ---------- endpoints, both profiles ----------

func TestEndpoints(t *testing.T) {
	f := getFixture(t)
	all := make([]string, 0, 20)
	for _, e := range network.AllEndpoints() {
		all = append(all, string(e))
	}
	sort.Strings(all)

	cases := []struct {
		stack         string
		wantInterface []string
		wantCIDR      string
	}{
		{"Isolated", []string{"logs", "secretsmanager"}, network.DefaultCIDR},
		{"Nat", all, network.DefaultCIDR},
		{"NatNoEndpoints", nil, network.DefaultCIDR},
		{"Custom", []string{"datasync", "kms"}, "10.1.0.0/20"},
		{"NatListed", []string{"kms"}, network.DefaultCIDR},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			tpl := f.tpl[c.stack]
			var gateways, interfaces []string
			sgs := cdktest.Resources(t, tpl, "AWS::EC2::SecurityGroup")
			// The shared group, and one of its own for each endpoint that
			// on-premises clients reach (network.OnPremPorts).
			own := map[string]bool{}
			for _, e := range c.wantInterface {
				if network.OnPremPorts(network.Endpoint(e)) != nil {
					own[e] = true
				}
			}
			if len(sgs) != 1+len(own) {
				t.Fatalf("%d security groups, want %d (the endpoints' shared one, and one for each of %v)", len(sgs), 1+len(own), own)
			}
			var sgID string
			for id := range sgs {
				if strings.HasPrefix(id, "NetworkEndpointSecurityGroup") {
					sgID = id
				}
			}
			for id, r := range cdktest.Resources(t, tpl, "AWS::EC2::VPCEndpoint") {
				p := props(r)
				svc := serviceSuffix(t, p["ServiceName"])
				switch p["VpcEndpointType"] {
				case "Gateway":
					gateways = append(gateways, svc)
				case "Interface":
					interfaces = append(interfaces, svc)
					if p["PrivateDnsEnabled"] != true {
						t.Errorf("%s: PrivateDnsEnabled = %v, want true", id, p["PrivateDnsEnabled"])
					}
					if got := toJSON(p["SecurityGroupIds"]); own[svc] {
						if !strings.Contains(got, "SecurityGroup") || strings.Contains(got, sgID) {
							t.Errorf("%s: SecurityGroupIds = %s, want a group of its own", id, got)
						}
					} else if got != `[{"Fn::GetAtt":["`+sgID+`","GroupId"]}]` {
						t.Errorf("%s: SecurityGroupIds = %s, want only the shared group", id, got)
					}
					subnets := p["SubnetIds"].([]interface{})
					if len(subnets) != 2 {
						t.Errorf("%s: %d subnets, want 2", id, len(subnets))
					}
					for _, s := range subnets {
						if !strings.Contains(toJSON(s), "privateSubnet") {
							t.Errorf("%s: subnet %s is not a private one", id, toJSON(s))
						}
					}
				default:
					t.Errorf("%s: unexpected endpoint type %v", id, p["VpcEndpointType"])
				}
			}
			sort.Strings(gateways)
			sort.Strings(interfaces)
			if !slices.Equal(gateways, []string{"dynamodb", "s3"}) {
				t.Errorf("gateway endpoints = %v, want [dynamodb s3]", gateways)
			}
			if !slices.Equal(interfaces, c.wantInterface) {
				t.Errorf("interface endpoints = %v, want %v", interfaces, c.wantInterface)
			}

			// HTTPS in from the VPC CIDR only; no egress but CDK's
			// "disallow all" placeholder.
			sg := props(sgs[sgID])
			if got, want := toJSON(sg["SecurityGroupIngress"]),
				`[{"CidrIp":"`+c.wantCIDR+`","Description":"HTTPS from the VPC","FromPort":443,"IpProtocol":"tcp","ToPort":443}]`; got != want {
				t.Errorf("ingress = %s\nwant     %s", got, want)
			}
			egress, _ := sg["SecurityGroupEgress"].([]interface{})
			if len(egress) != 1 || !strings.Contains(toJSON(egress), `"CidrIp":"255.255.255.255/32"`) {
				t.Errorf("egress = %s, want only the disallow-all placeholder", toJSON(egress))
			}
		})
	}
}

// ---------- flow logs ----------

func TestFlowLogs(t *testing.T) {
	f := getFixture(t)
	cases := []struct {
		stack     string
		retention int
		ownKey    bool // the construct creates its key
	}{
		{"Isolated", 365, true},
		{"Nat", 365, true},
		{"Custom", 30, false},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			tpl := f.tpl[c.stack]
			cdktest.Has(t, tpl, "AWS::EC2::FlowLog", cdktest.Props{
				"ResourceType":       "VPC",
				"TrafficType":        "ALL",
				"LogDestinationType": "cloud-watch-logs",
			})
			groups := cdktest.Resources(t, tpl, "AWS::Logs::LogGroup")
			if len(groups) != 1 {
				t.Fatalf("%d log groups, want 1", len(groups))
			}
			for id, g := range groups {
				p := props(g)
				if p["KmsKeyId"] == nil {
					t.Errorf("%s: no KmsKeyId", id)
				}
				if p["RetentionInDays"] != float64(c.retention) {
					t.Errorf("%s: RetentionInDays = %v, want %d", id, p["RetentionInDays"], c.retention)
				}
				if g["DeletionPolicy"] != "Retain" || g["UpdateReplacePolicy"] != "Retain" {
					t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v, want Retain", id, g["DeletionPolicy"], g["UpdateReplacePolicy"])
				}
				keyID := toJSON(p["KmsKeyId"])
				wantKey := "NetworkFlowLogKey"
				if !c.ownKey {
					wantKey = "OwnKey"
				}
				if !strings.Contains(keyID, wantKey) {
					t.Errorf("%s: KmsKeyId = %s, want the %s key", id, keyID, wantKey)
				}
			}
			// VPC Flow Logs' documented role: streams and events on the
			// log group, DescribeLogGroups (no resource-level permissions);
			// CreateLogGroup left out (the group exists, see network.go).
			cdktest.Has(t, tpl, "AWS::IAM::ManagedPolicy", cdktest.Props{
				"PolicyDocument": cdktest.Like(cdktest.Props{
					"Statement": []interface{}{
						cdktest.Like(cdktest.Props{"Action": []interface{}{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}}),
						cdktest.Like(cdktest.Props{"Action": "logs:DescribeLogGroups", "Resource": "*"}),
					},
				}),
			})
			if !c.ownKey {
				cdktest.Count(t, tpl, "AWS::KMS::Key", 1) // only the caller's
				return
			}
			cdktest.Has(t, tpl, "AWS::KMS::Key", cdktest.Props{
				"EnableKeyRotation": true,
				"KeyPolicy": cdktest.Like(cdktest.Props{
					"Statement": cdktest.ArrayWith(cdktest.Like(cdktest.Props{
						"Sid":    "AllowCloudWatchLogs",
						"Effect": "Allow",
						"Action": []interface{}{"kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"},
						"Principal": cdktest.Props{"Service": cdktest.Props{
							"Fn::Join": []interface{}{"", []interface{}{"logs.", cdktest.Props{"Ref": "AWS::Region"}, ".amazonaws.com"}},
						}},
						"Condition": cdktest.Props{"ArnLike": cdktest.Props{
							"kms:EncryptionContext:aws:logs:arn": cdktest.Props{"Fn::Join": []interface{}{"", []interface{}{
								"arn:", cdktest.Props{"Ref": "AWS::Partition"},
								":logs:", cdktest.Props{"Ref": "AWS::Region"},
								":", cdktest.Props{"Ref": "AWS::AccountId"},
								":log-group:*",
							}}},
						}},
					})),
				}),
			})
		})
	}
}

// ---------- nat profile ----------

func TestNATProfile(t *testing.T) {
	f := getFixture(t)
	cases := []struct {
		stack string
		nat   int
	}{
		{"Nat", 2},
		{"NatNoEndpoints", 1}, // the default
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			tpl := f.tpl[c.stack]
			cdktest.Count(t, tpl, "AWS::EC2::NatGateway", c.nat)
			cdktest.Count(t, tpl, "AWS::EC2::InternetGateway", 1)
			cdktest.Count(t, tpl, "AWS::EC2::Subnet", 4)
			for id, r := range cdktest.Resources(t, tpl, "AWS::EC2::Subnet") {
				if props(r)["MapPublicIpOnLaunch"] != false {
					t.Errorf("subnet %s: MapPublicIpOnLaunch = %v, want false", id, props(r)["MapPublicIpOnLaunch"])
				}
			}
			n := f.net[c.stack]
			if n.Profile() != network.ProfileNAT {
				t.Errorf("Profile() = %q", n.Profile())
			}
			if got := n.PrivateSubnets().SubnetType; got != awsec2.SubnetType_PRIVATE_WITH_EGRESS {
				t.Errorf("PrivateSubnets().SubnetType = %v", got)
			}
		})
	}
}

// ---------- validation ----------

var validationCases = []struct {
	name   string
	props  *network.Props
	fields []string // the fields of the validation errors; none means valid
	want   []string // substrings of the message
}{
	{"nil is the secure default", nil, nil, nil},
	{"zero value", &network.Props{}, nil, nil},
	{"nat with defaults", &network.Props{Profile: network.ProfileNAT}, nil, nil},
	{"nat one per AZ", &network.Props{Profile: network.ProfileNAT, MaxAZs: 3, NATGateways: 3}, nil, nil},
	{"smallest CIDR", &network.Props{CIDR: "192.168.10.0/24", MaxAZs: 1}, nil, nil},
	{"endpoint subset", &network.Props{InterfaceEndpoints: []network.Endpoint{network.EndpointSTS}}, nil, nil},
	{"retention ten years", &network.Props{FlowLogRetentionDays: 3653}, nil, nil},

	{"unknown profile", &network.Props{Profile: "natt"}, []string{"Props.Profile"},
		[]string{`Props.Profile is "natt"; accepted: isolated or nat`}},
	{"MaxAZs too many", &network.Props{MaxAZs: 4}, []string{"Props.MaxAZs"}, []string{"Props.MaxAZs is 4; accepted: 1 to 3"}},
	{"MaxAZs negative", &network.Props{MaxAZs: -1}, []string{"Props.MaxAZs"}, []string{"Props.MaxAZs is -1; accepted: 1 to 3"}},
	{"NAT gateways above MaxAZs", &network.Props{Profile: network.ProfileNAT, NATGateways: 3}, []string{"Props.NATGateways"},
		[]string{"Props.NATGateways is 3; accepted: 1 to MaxAZs (2)"}},
	{"NAT gateways negative", &network.Props{Profile: network.ProfileNAT, NATGateways: -1}, []string{"Props.NATGateways"},
		[]string{"Props.NATGateways is -1; accepted: 1 to MaxAZs"}},
	{"NAT gateways with isolated", &network.Props{NATGateways: 1}, []string{"Props.NATGateways"},
		[]string{`Props.NATGateways is 1; accepted: 0 with Profile "isolated"`, `Profile "nat"`}},
	{"no endpoints with isolated", &network.Props{DisableInterfaceEndpoints: true}, []string{"Props.DisableInterfaceEndpoints"},
		[]string{"DisableInterfaceEndpoints is true", `true only with Profile "nat"`}},
	{"CIDR not a prefix", &network.Props{CIDR: "10.40.0.0"}, []string{"Props.CIDR"},
		[]string{`Props.CIDR is "10.40.0.0"; accepted: a /16../24 IPv4 prefix`}},
	{"CIDR IPv6", &network.Props{CIDR: "fd00::/56"}, []string{"Props.CIDR"}, []string{`Props.CIDR is "fd00::/56"; accepted: a /16../24 IPv4 prefix`}},
	{"CIDR too large", &network.Props{CIDR: "10.0.0.0/8"}, []string{"Props.CIDR"}, []string{`Props.CIDR is "10.0.0.0/8"; accepted: a /16../24 IPv4 prefix (this one is /8)`}},
	{"CIDR too small", &network.Props{CIDR: "10.0.0.0/28"}, []string{"Props.CIDR"}, []string{"this one is /28"}},
	{"CIDR host bits", &network.Props{CIDR: "10.40.1.0/16"}, []string{"Props.CIDR"}, []string{`without host bits set: did you mean "10.40.0.0/16"`}},
	{"retention not allowed", &network.Props{FlowLogRetentionDays: 42}, []string{"Props.FlowLogRetentionDays"},
		[]string{"Props.FlowLogRetentionDays is 42; accepted: a CloudWatch Logs retention", "365, 400"}},
	{"unknown endpoint", &network.Props{InterfaceEndpoints: []network.Endpoint{"s3"}}, []string{"Props.InterfaceEndpoints[0]"},
		[]string{`Props.InterfaceEndpoints[0] is "s3"; accepted: a known endpoint`, "datasync, storagegateway"}},
	{"duplicate endpoint", &network.Props{InterfaceEndpoints: []network.Endpoint{network.EndpointKMS, network.EndpointKMS}}, []string{"Props.InterfaceEndpoints[1]"},
		[]string{`Props.InterfaceEndpoints[1] is "kms"; accepted: each endpoint once`}},
	{"every problem reported", &network.Props{Profile: "natt", MaxAZs: 9, CIDR: "x"}, []string{"Props.Profile", "Props.MaxAZs", "Props.CIDR"},
		[]string{`Profile is "natt"`, "MaxAZs is 9", `CIDR is "x"`}},
}

// checkErr asserts that err is made of validation errors at path with
// exactly the fields given, and that its message has every want.
func checkErr(t *testing.T, err error, path string, fields, want []string) {
	t.Helper()
	var es validation.Errors
	var e *validation.Error
	var got []*validation.Error
	switch {
	case errors.As(err, &es):
		got = es
	case errors.As(err, &e):
		got = []*validation.Error{e}
	default:
		t.Fatalf("error %v (%T) is not a validation error", err, err)
	}
	var gotFields []string
	for _, e := range got {
		gotFields = append(gotFields, e.Field)
		if e.Path != path {
			t.Errorf("error %q has Path %q, want %q", e, e.Path, path)
		}
	}
	if !slices.Equal(gotFields, fields) {
		t.Errorf("fields %q, want %q", gotFields, fields)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\nwant it to contain %q", err, w)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range validationCases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if len(c.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			checkErr(t, err, "", c.fields, c.want)
		})
	}
}

// New panics with the same errors, with the construct path. A failed
// validation builds nothing, so every case can share one unsynthesized stack.
func TestNewPanicsOnInvalidProps(t *testing.T) {
	_, stack := cdktest.NewStack("Bad")
	for _, c := range validationCases {
		if len(c.fields) == 0 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			var r any
			func() {
				defer func() { r = recover() }()
				network.New(stack, "Network", c.props)
			}()
			err, ok := validation.Recover(r)
			if !ok {
				t.Fatalf("New panicked with %v, not a validation error", r)
			}
			if !strings.HasPrefix(err.Error(), "Bad/Network: ") {
				t.Errorf("message %q does not start with the construct path", err)
			}
			checkErr(t, err, "Bad/Network", c.fields, c.want)
		})
	}
}

// ---------- helpers ----------

func props(r map[string]interface{}) map[string]interface{} {
	p, _ := r["Properties"].(map[string]interface{})
	return p
}

func toJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// serviceSuffix returns "s3" for {"Fn::Join":["",["com.amazonaws.",{"Ref":"AWS::Region"},".s3"]]}.
func serviceSuffix(t *testing.T, v interface{}) string {
	t.Helper()
	s := toJSON(v)
	const marker = `{"Ref":"AWS::Region"},".`
	i := strings.Index(s, marker)
	if i < 0 {
		t.Fatalf("unexpected ServiceName %s", s)
	}
	suffix := strings.TrimSuffix(s[i+len(marker):], `"]]}`)
	if strings.Contains(s, `"aws.sagemaker."`) {
		// aws.sagemaker.<region>.studio is named sagemaker.studio.
		suffix = "sagemaker." + suffix
	}
	return suffix
}

// ---------- endpoint requirements ----------

func TestRequirementsRecorded(t *testing.T) {
	f := getFixture(t)
	n := f.net["Isolated"]
	if got := n.InterfaceEndpoints(); !slices.Equal(got, []network.Endpoint{network.EndpointLogs, network.EndpointSecretsManager}) {
		t.Errorf("InterfaceEndpoints() = %v, want [logs secretsmanager]", got)
	}
	want := []network.Requirement{
		{Construct: "Workloads/Worker", Endpoint: network.EndpointSecretsManager},
		{Construct: "Workloads/Worker", Endpoint: network.EndpointLogs},
		{Construct: "Isolated", Endpoint: network.EndpointLogs},
	}
	if got := n.Requirements(); !slices.Equal(got, want) {
		t.Errorf("Requirements() = %v, want %v", got, want)
	}
	for _, c := range []struct {
		net  string
		e    network.Endpoint
		want bool
	}{
		{"Isolated", network.EndpointKMS, true}, // created on demand
		{"Custom", network.EndpointKMS, true},
		{"Custom", network.EndpointSTS, false},
		{"NatNoEndpoints", network.EndpointLogs, false},
		{"NatListed", network.EndpointSTS, false},
	} {
		if got := f.net[c.net].Provides(c.e); got != c.want {
			t.Errorf("%s.Provides(%s) = %v, want %v", c.net, c.e, got, c.want)
		}
	}
}

// An isolated network with a list refuses a construct that calls a service
// it has no endpoint for, naming both; an unknown endpoint is refused too.
func TestRequireMissingEndpoint(t *testing.T) {
	cases := []struct {
		name     string
		endpoint network.Endpoint
		want     []string
		typed    bool
	}{
		{"not listed", network.EndpointSecretsManager, []string{`Stack/Network: Props.InterfaceEndpoints is "secretsmanager"`, `"Stack/Idp"`, `no "secretsmanager" interface endpoint`, "lists only logs, kms", `add "secretsmanager" to InterfaceEndpoints`}, true},
		{"unknown", network.Endpoint("s3"), []string{`Stack/Network: Require("Stack/Idp") is "s3"`, "accepted: one of datasync, storagegateway"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stack := cdktest.NewStack("Stack")
			n := network.New(stack, "Network", &network.Props{InterfaceEndpoints: []network.Endpoint{network.EndpointLogs, network.EndpointKMS}})
			idp := constructs.NewConstruct(stack, jsii.String("Idp"))
			var got any
			func() {
				defer func() { got = recover() }()
				n.Require(idp, network.EndpointLogs, c.endpoint)
			}()
			err, ok := got.(error)
			if !ok {
				t.Fatalf("Require did not panic with an error (got %v)", got)
			}
			var missing *network.MissingEndpointError
			if _, ok := validation.Recover(got); !ok {
				t.Errorf("validation.Recover does not recover %v", got)
			}
			if isMissing := errors.As(err, &missing); isMissing != c.typed {
				t.Errorf("errors.As(*MissingEndpointError) = %v, want %v", isMissing, c.typed)
			} else if isMissing && (missing.Endpoint != c.endpoint || missing.Construct != "Stack/Idp") {
				t.Errorf("error fields = %+v", missing)
			}
			if _, ok := validation.Recover(err); !ok {
				t.Errorf("error %v is not a validation error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

package hybrid_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/hybrid"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
)

// values returns the "Value"s of a tunnel option list.
func values(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, fmt.Sprint(e.(map[string]any)["Value"]))
	}
	return out
}

// TestVPNGateway: a BGP VPN has a virtual private gateway of the default
// ASN, attached to the VPC, whose routes propagate to the route tables of
// the private subnets and only those.
func TestVPNGateway(t *testing.T) {
	f := load(t)
	for stack, asn := range map[string]float64{"Vpn": 64512, "Static": 4200000001} {
		gwID, gw := f.one(t, stack, "AWS::EC2::VPNGateway")
		if gw.Properties["Type"] != "ipsec.1" || gw.Properties["AmazonSideAsn"] != asn {
			t.Errorf("%s gateway = %v", stack, gw.Properties)
		}
		_, att := f.Res(t, stack, "OnPremises/Attachment")
		vpcID, _ := f.Res(t, stack, "Network/Vpc")
		if render(att.Properties["VpcId"]) != "<Ref:"+vpcID+">" || render(att.Properties["VpnGatewayId"]) != "<"+gwID+".VPNGatewayId>" {
			t.Errorf("%s attachment = %v", stack, att.Properties)
		}
		_, prop := f.one(t, stack, "AWS::EC2::VPNGatewayRoutePropagation")
		var got, want []string
		for _, r := range prop.Properties["RouteTableIds"].([]any) {
			got = append(got, render(r))
		}
		for path, id := range f.Logical[stack] {
			if strings.HasPrefix(path, "Network/Vpc/private") && strings.HasSuffix(path, "/RouteTable") {
				want = append(want, "<Ref:"+id+">")
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if len(want) != 2 || !slices.Equal(got, want) {
			t.Errorf("%s route propagation to %v, want the private subnets' tables %v", stack, got, want)
		}
		if !strings.Contains(fmt.Sprint(prop.DependsOn), "Attachment") {
			t.Errorf("%s route propagation does not wait for the attachment: %v", stack, prop.DependsOn)
		}
	}
}

// TestVPNConnection: the customer gateway is the lab's device; the
// connection has two tunnels pinned to IKEv2, AES-256, SHA-2 and DH 14,
// 19-21, logging to the KMS-encrypted tunnel log group; keys come from the
// secret by dynamic reference, or from AWS.
func TestVPNConnection(t *testing.T) {
	f := load(t)
	cases := []struct {
		stack, ip  string
		asnKey     string
		asn        float64
		static     bool
		secretKeys bool
		retention  float64
	}{
		{"Vpn", "203.0.113.12", "BgpAsn", 65010, false, true, 365},
		{"Static", "198.51.100.7", "BgpAsnExtended", 4200000002, true, false, 731},
		{"BYO", "198.51.100.7", "BgpAsn", 65000, true, false, 365},
	}
	for _, c := range cases {
		cgwID, cgw := f.one(t, c.stack, "AWS::EC2::CustomerGateway")
		if cgw.Properties["IpAddress"] != c.ip || cgw.Properties[c.asnKey] != c.asn || cgw.Properties["Type"] != "ipsec.1" {
			t.Errorf("%s customer gateway = %v", c.stack, cgw.Properties)
		}
		_, conn := f.one(t, c.stack, "AWS::EC2::VPNConnection")
		gwID, _ := f.one(t, c.stack, "AWS::EC2::VPNGateway")
		if render(conn.Properties["CustomerGatewayId"]) != "<"+cgwID+".CustomerGatewayId>" || render(conn.Properties["VpnGatewayId"]) != "<"+gwID+".VPNGatewayId>" ||
			conn.Properties["StaticRoutesOnly"] != c.static {
			t.Errorf("%s connection = %v", c.stack, conn.Properties)
		}
		logID, logGroup := f.Res(t, c.stack, "OnPremises/TunnelLogGroup")
		if logGroup.Properties["KmsKeyId"] == nil || logGroup.Properties["RetentionInDays"] != c.retention || logGroup.DeletionPolicy != "Retain" {
			t.Errorf("%s tunnel log group = %v %s", c.stack, logGroup.Properties, logGroup.DeletionPolicy)
		}
		tunnels := conn.Properties["VpnTunnelOptionsSpecifications"].([]any)
		if len(tunnels) != 2 {
			t.Fatalf("%s: %d tunnels", c.stack, len(tunnels))
		}
		for i, tn := range tunnels {
			opt := tn.(map[string]any)
			for key, want := range map[string][]string{
				"IKEVersions":                {"ikev2"},
				"Phase1EncryptionAlgorithms": {"AES256-GCM-16", "AES256"},
				"Phase2EncryptionAlgorithms": {"AES256-GCM-16", "AES256"},
				"Phase1IntegrityAlgorithms":  {"SHA2-384", "SHA2-256"},
				"Phase2IntegrityAlgorithms":  {"SHA2-384", "SHA2-256"},
				"Phase1DHGroupNumbers":       {"14", "19", "20", "21"},
				"Phase2DHGroupNumbers":       {"14", "19", "20", "21"},
			} {
				if got := values(opt[key]); !slices.Equal(got, want) {
					t.Errorf("%s tunnel %d %s = %v, want %v", c.stack, i+1, key, got, want)
				}
			}
			if render(get(opt, "LogOptions", "CloudwatchLogOptions", "LogGroupArn")) != "<"+logID+".Arn>" || get(opt, "LogOptions", "CloudwatchLogOptions", "LogEnabled") != true {
				t.Errorf("%s tunnel %d logs = %v", c.stack, i+1, opt["LogOptions"])
			}
			psk, _ := opt["PreSharedKey"].(string)
			wantPSK := ""
			if c.secretKeys {
				wantPSK = fmt.Sprintf("{{resolve:secretsmanager:%s:SecretString:tunnel%d}}", pskSecret, i+1)
			}
			if psk != wantPSK {
				t.Errorf("%s tunnel %d PreSharedKey = %q, want %q", c.stack, i+1, psk, wantPSK)
			}
		}
	}
}

// TestStaticRoutes: a static VPN routes each of the lab's networks (the
// network's, or those given to the link); a BGP VPN has none.
func TestStaticRoutes(t *testing.T) {
	f := load(t)
	for stack, want := range map[string][]string{"Vpn": nil, "Static": labCIDRs, "BYO": labCIDRs} {
		connID, _ := f.one(t, stack, "AWS::EC2::VPNConnection")
		var got []string
		for _, r := range f.Templates[stack].Resources {
			if r.Type == "AWS::EC2::VPNConnectionRoute" {
				if render(r.Properties["VpnConnectionId"]) != "<"+connID+".VpnConnectionId>" {
					t.Errorf("%s route of another connection: %v", stack, r.Properties)
				}
				got = append(got, r.Properties["DestinationCidrBlock"].(string))
			}
		}
		sort.Strings(got)
		w := slices.Clone(want)
		sort.Strings(w)
		if !slices.Equal(got, w) {
			t.Errorf("%s static routes = %v, want %v", stack, got, w)
		}
	}
}

// TestTunnelAlarms: a warning when one tunnel is down (maximum of the
// tunnels' mean state below 1), critical when both are (below 0.01, or no
// data), on TunnelState of the connection; with a topic, both notify it.
func TestTunnelAlarms(t *testing.T) {
	f := load(t)
	for _, stack := range []string{"Vpn", "Static"} {
		connID, _ := f.one(t, stack, "AWS::EC2::VPNConnection")
		alarms := f.OfType(stack, "AWS::CloudWatch::Alarm", "OnPremises/")
		if len(alarms) != 2 {
			t.Fatalf("%s: %d alarms", stack, len(alarms))
		}
		for path, want := range map[string]struct {
			threshold float64
			periods   float64
			missing   string
			word      string
		}{
			"OnPremises/TunnelDownWarning/Resource":   {1, 3, "missing", "warning: one tunnel"},
			"OnPremises/TunnelsDownCritical/Resource": {0.01, 2, "breaching", "critical: both tunnels"},
		} {
			a, ok := alarms[path]
			if !ok {
				t.Fatalf("%s: no alarm %s", stack, path)
			}
			p := a.Properties
			if p["Namespace"] != "AWS/VPN" || p["MetricName"] != "TunnelState" || p["Statistic"] != "Maximum" || p["Period"] != 300.0 ||
				p["ComparisonOperator"] != "LessThanThreshold" || p["Threshold"] != want.threshold || p["EvaluationPeriods"] != want.periods ||
				p["TreatMissingData"] != want.missing || render(p["Dimensions"]) != `[{"Name":"VpnId","Value":"<`+connID+`.VpnConnectionId>"}]` {
				t.Errorf("%s %s = %v", stack, path, p)
			}
			if d, _ := p["AlarmDescription"].(string); !strings.Contains(d, want.word) {
				t.Errorf("%s %s description %q lacks %q", stack, path, d, want.word)
			}
			actions := render(p["AlarmActions"]) + render(p["OKActions"])
			topicID := f.Logical[stack]["Ops/Resource"]
			if stack == "Vpn" && strings.Count(actions, "<Ref:"+topicID+">") != 2 {
				t.Errorf("%s %s actions = %s, want the topic", stack, path, actions)
			}
			if stack == "Static" && actions != "nullnull" {
				t.Errorf("%s %s actions = %s, want none", stack, path, actions)
			}
		}
	}
	if fx.links["DirectConnect"].MetricTunnelState(nil) != nil {
		t.Error("Direct Connect link has a tunnel metric")
	}
	shape := cdktest.Shape(t, f.Stacks["Vpn"], f.links["Vpn"].MetricTunnelState(nil))
	connID, _ := f.one(t, "Vpn", "AWS::EC2::VPNConnection")
	if want := cdktest.Want("AWS/VPN", "TunnelState", "Minimum", 300, `{"VpnId":`+cdktest.GetAtt(connID, "VpnConnectionId")+`}`); shape != want {
		t.Errorf("MetricTunnelState = %+v, want %+v", shape, want)
	}
}

// TestDirectConnect: the gateway is associated with the existing Direct
// Connect gateway, after its attachment; no VPN or customer gateway.
func TestDirectConnect(t *testing.T) {
	f := load(t)
	gwID, _ := f.one(t, "DirectConnect", "AWS::EC2::VPNGateway")
	_, assoc := f.one(t, "DirectConnect", "AWS::DirectConnect::DirectConnectGatewayAssociation")
	if assoc.Properties["DirectConnectGatewayId"] != dxGateway || render(assoc.Properties["AssociatedGatewayId"]) != "<"+gwID+".VPNGatewayId>" ||
		!strings.Contains(fmt.Sprint(assoc.DependsOn), "Attachment") {
		t.Errorf("association = %v (depends on %v)", assoc.Properties, assoc.DependsOn)
	}
	for _, typ := range []string{"AWS::EC2::CustomerGateway", "AWS::EC2::VPNConnection", "AWS::EC2::VPNConnectionRoute"} {
		if n := f.count("DirectConnect", typ); n != 0 {
			t.Errorf("Direct Connect link has %d %s", n, typ)
		}
	}
	f.one(t, "DirectConnect", "AWS::EC2::VPNGatewayRoutePropagation")
	if l := fx.links["DirectConnect"]; l.Link() != hybrid.LinkDirectConnect || !slices.Equal(l.OnPremCIDRs(), labCIDRs[:1]) {
		t.Errorf("link %s %v", l.Link(), l.OnPremCIDRs())
	}
}

// TestDirectConnectAlarms: with two connections, a warning per connection
// on its ConnectionState (maximum below 1, or no data, for ten minutes)
// and a critical alarm when the best of them is down; with one, its alarm
// is critical and there is no second one.
func TestDirectConnectAlarms(t *testing.T) {
	f := load(t)
	alarms := f.OfType("DirectConnect", "AWS::CloudWatch::Alarm", "OnPremises/")
	if len(alarms) != 3 {
		t.Fatalf("%d alarms, want 3", len(alarms))
	}
	for i, id := range dxConnections {
		a, ok := alarms[fmt.Sprintf("OnPremises/DirectConnect/ConnectionDown%d/Resource", i)]
		if !ok {
			t.Fatalf("no alarm for %s in %v", id, alarms)
		}
		p := a.Properties
		if p["Namespace"] != "AWS/DX" || p["MetricName"] != "ConnectionState" || p["Statistic"] != "Maximum" || p["Period"] != 300.0 ||
			p["ComparisonOperator"] != "LessThanThreshold" || p["Threshold"] != 1.0 || p["EvaluationPeriods"] != 2.0 ||
			p["TreatMissingData"] != "breaching" || render(p["Dimensions"]) != `[{"Name":"ConnectionId","Value":"`+id+`"}]` {
			t.Errorf("%s alarm = %v", id, p)
		}
		if d, _ := p["AlarmDescription"].(string); !strings.Contains(d, "warning: the Direct Connect connection "+id) || !strings.Contains(d, "without redundancy") {
			t.Errorf("%s alarm description %q", id, d)
		}
	}
	all := alarms["OnPremises/DirectConnect/AllConnectionsDown/Resource"].Properties
	if d, _ := all["AlarmDescription"].(string); !strings.Contains(d, "critical: every Direct Connect connection") ||
		all["ComparisonOperator"] != "LessThanThreshold" || all["Threshold"] != 1.0 || all["TreatMissingData"] != "breaching" ||
		!strings.Contains(render(all["Metrics"]), `"Expression":"MAX([c0,c1])"`) {
		t.Errorf("all-down alarm = %v", all)
	}
	for _, id := range dxConnections {
		if !strings.Contains(render(all["Metrics"]), id) {
			t.Errorf("all-down alarm does not watch %s: %s", id, render(all["Metrics"]))
		}
	}
	l := f.links["DirectConnect"]
	if len(l.ConnectionDown) != 2 || l.AllConnectionsDown == nil {
		t.Errorf("fields: %d connection alarms, all-down %v", len(l.ConnectionDown), l.AllConnectionsDown)
	}
	shape := cdktest.Shape(t, f.Stacks["DirectConnect"], l.MetricConnectionState("dxcon-fh6ayh1d", nil))
	if want := cdktest.Want("AWS/DX", "ConnectionState", "Minimum", 300, `{"ConnectionId":"dxcon-fh6ayh1d"}`); shape != want {
		t.Errorf("MetricConnectionState = %+v, want %+v", shape, want)
	}

	_, stack := cdktest.NewStack("OneConnection")
	one := hybrid.New(stack, "OnPremises", &hybrid.Props{
		Network:       network.New(stack, "Network", &network.Props{OnPremCIDRs: labCIDRs[:1]}),
		Link:          hybrid.LinkDirectConnect,
		DirectConnect: &hybrid.DirectConnect{GatewayID: dxGateway, ConnectionIDs: dxConnections[:1]},
	})
	tpl := cdktest.Template(t, stack)
	cdktest.Count(t, tpl, "AWS::CloudWatch::Alarm", 1)
	if one.AllConnectionsDown != nil {
		t.Error("one connection has an all-down alarm")
	}
	for _, a := range cdktest.Resources(t, tpl, "AWS::CloudWatch::Alarm") {
		if d, _ := a["Properties"].(map[string]any)["AlarmDescription"].(string); !strings.Contains(d, "critical: the Direct Connect connection dxcon-fh6ayh1d") || !strings.Contains(d, "cannot reach the VPC") {
			t.Errorf("one connection's alarm description %q", d)
		}
	}
}

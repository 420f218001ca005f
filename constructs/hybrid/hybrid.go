package hybrid

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdirectconnect"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/alarm"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Tunnel options every VPN tunnel is pinned to: IKEv2 only; AES-256 (GCM
// or CBC) with SHA-2 integrity; Diffie-Hellman groups 14 (MODP 2048) and
// 19 to 21 (ECP 256 to 521) in both phases (perfect forward secrecy). AWS's
// defaults also accept IKEv1, AES-128, SHA-1 and groups 2, 5 and 22 to 24,
// which current guidance (NIST SP 800-77r1, RFC 8247) retires.
var (
	IKEVersions           = []string{"ikev2"}
	EncryptionAlgorithms  = []string{"AES256-GCM-16", "AES256"}
	IntegrityAlgorithms   = []string{"SHA2-384", "SHA2-256"}
	DHGroupNumbers        = []int{14, 19, 20, 21}
	TunnelLogOutputFormat = "json"
)

// Tunnels is the number of tunnels of a VPN connection.
const Tunnels = 2

// Hybrid is the lab's link to the VPC. Create it with New.
type Hybrid struct {
	constructs.Construct

	// VPNGateway is the virtual private gateway attached to the VPC; nil
	// with LinkNone.
	VPNGateway awsec2.CfnVPNGateway
	// Attachment attaches VPNGateway to the VPC.
	Attachment awsec2.CfnVPCGatewayAttachment
	// RoutePropagation propagates the link's routes to the private
	// subnets' route tables.
	RoutePropagation awsec2.CfnVPNGatewayRoutePropagation
	// CustomerGateway is the lab's VPN device (LinkVPN).
	CustomerGateway awsec2.CfnCustomerGateway
	// Connection is the VPN connection of two tunnels (LinkVPN).
	Connection awsec2.CfnVPNConnection
	// StaticRoutes are the VPN's routes to the lab's networks
	// (RoutingStatic), by CIDR.
	StaticRoutes map[string]awsec2.CfnVPNConnectionRoute
	// TunnelLogGroup receives the tunnels' IKE and IPsec logs (LinkVPN).
	TunnelLogGroup awslogs.ILogGroup
	// LogKey encrypts TunnelLogGroup.
	LogKey awskms.IKey
	// TunnelDownWarning fires when one tunnel is down (the link runs on
	// the other, without redundancy); TunnelsDownCritical when both are
	// (the lab is cut off). LinkVPN only.
	TunnelDownWarning, TunnelsDownCritical awscloudwatch.Alarm
	// GatewayAssociation associates VPNGateway with the Direct Connect
	// gateway (LinkDirectConnect).
	GatewayAssociation awsdirectconnect.CfnDirectConnectGatewayAssociation
	// ConnectionDown are the alarms of DirectConnect.ConnectionIDs by
	// connection id (LinkDirectConnect); AllConnectionsDown is the
	// critical alarm of two or more connections, nil otherwise.
	ConnectionDown     map[string]awscloudwatch.Alarm
	AllConnectionsDown awscloudwatch.Alarm

	p Props
}

// New creates the link of props.Link. It panics, naming the construct
// path, when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Hybrid {
	validation.Check(validation.PathOf(scope, id), props.Validate())
	h := &Hybrid{p: props.withDefaults(), StaticRoutes: map[string]awsec2.CfnVPNConnectionRoute{}}
	constructs.NewConstruct_Override(h, scope, jsii.String(id))
	switch h.p.Link {
	case LinkVPN:
		h.newGateway()
		h.newVPN()
	case LinkDirectConnect:
		h.newGateway()
		h.GatewayAssociation = awsdirectconnect.NewCfnDirectConnectGatewayAssociation(h, jsii.String("GatewayAssociation"), &awsdirectconnect.CfnDirectConnectGatewayAssociationProps{
			DirectConnectGatewayId: jsii.String(h.p.DirectConnect.GatewayID),
			AssociatedGatewayId:    h.VPNGateway.AttrVpnGatewayId(),
		})
		h.GatewayAssociation.AddResourceDependency(h.Attachment, jsii.String("the virtual private gateway must be attached to the VPC first"))
		h.newConnectionAlarms()
	}
	return h
}

// Link returns the link built (defaults applied).
func (h *Hybrid) Link() Link { return h.p.Link }

// OnPremCIDRs returns the lab's networks the link serves.
func (h *Hybrid) OnPremCIDRs() []string { return slices.Clone(h.p.OnPremCIDRs) }

// newGateway creates the virtual private gateway, attaches it to the VPC
// and propagates its routes to the private subnets' route tables.
func (h *Hybrid) newGateway() {
	vpc := h.p.Network.Vpc()
	h.VPNGateway = awsec2.NewCfnVPNGateway(h, jsii.String("Gateway"), &awsec2.CfnVPNGatewayProps{
		Type:          jsii.String("ipsec.1"),
		AmazonSideAsn: jsii.Number(float64(h.p.AmazonSideASN)),
	})
	h.Attachment = awsec2.NewCfnVPCGatewayAttachment(h, jsii.String("Attachment"), &awsec2.CfnVPCGatewayAttachmentProps{
		VpcId:        vpc.VpcId(),
		VpnGatewayId: h.VPNGateway.AttrVpnGatewayId(),
	})
	var tables []*string
	seen := map[string]bool{}
	for _, sn := range *vpc.SelectSubnets(h.p.Network.PrivateSubnets()).Subnets {
		id := sn.RouteTable().RouteTableId()
		if !seen[*id] {
			seen[*id] = true
			tables = append(tables, id)
		}
	}
	h.RoutePropagation = awsec2.NewCfnVPNGatewayRoutePropagation(h, jsii.String("RoutePropagation"), &awsec2.CfnVPNGatewayRoutePropagationProps{
		RouteTableIds: &tables,
		VpnGatewayId:  h.VPNGateway.AttrVpnGatewayId(),
	})
	// Routes propagate only from an attached gateway.
	h.RoutePropagation.AddResourceDependency(h.Attachment, jsii.String("the virtual private gateway must be attached to the VPC first"))
}

// newVPN creates the customer gateway, the VPN connection with pinned
// tunnel options and logs, its static routes and the tunnel alarms.
func (h *Hybrid) newVPN() {
	v := h.p.VPN
	c := constructs.Construct(h)
	cgw := &awsec2.CfnCustomerGatewayProps{
		Type:      jsii.String("ipsec.1"),
		IpAddress: jsii.String(v.CustomerGatewayIP),
	}
	if v.CustomerGatewayASN > maxBgpAsn {
		cgw.BgpAsnExtended = jsii.Number(float64(v.CustomerGatewayASN))
	} else {
		cgw.BgpAsn = jsii.Number(float64(v.CustomerGatewayASN))
	}
	h.CustomerGateway = awsec2.NewCfnCustomerGateway(c, jsii.String("CustomerGateway"), cgw)

	h.LogKey = h.p.LogKey
	if h.LogKey == nil {
		h.LogKey = secure.NewKey(c, "LogKey", &secure.KeyProps{
			Description: "biolake hybrid " + *c.Node().Path() + ": VPN tunnel logs",
			Services:    []secure.Service{secure.ServiceLogs},
		})
	}
	logGroup := awslogs.NewLogGroup(c, jsii.String("TunnelLogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: h.LogKey,
		Retention:     secure.RetentionDays(h.p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	h.TunnelLogGroup = logGroup

	var ike, enc1, enc2, int1, int2, dh1, dh2 []interface{}
	for _, v := range IKEVersions {
		ike = append(ike, &awsec2.CfnVPNConnection_IKEVersionsRequestListValueProperty{Value: jsii.String(v)})
	}
	for _, v := range EncryptionAlgorithms {
		enc1 = append(enc1, &awsec2.CfnVPNConnection_Phase1EncryptionAlgorithmsRequestListValueProperty{Value: jsii.String(v)})
		enc2 = append(enc2, &awsec2.CfnVPNConnection_Phase2EncryptionAlgorithmsRequestListValueProperty{Value: jsii.String(v)})
	}
	for _, v := range IntegrityAlgorithms {
		int1 = append(int1, &awsec2.CfnVPNConnection_Phase1IntegrityAlgorithmsRequestListValueProperty{Value: jsii.String(v)})
		int2 = append(int2, &awsec2.CfnVPNConnection_Phase2IntegrityAlgorithmsRequestListValueProperty{Value: jsii.String(v)})
	}
	for _, v := range DHGroupNumbers {
		dh1 = append(dh1, &awsec2.CfnVPNConnection_Phase1DHGroupNumbersRequestListValueProperty{Value: jsii.Number(float64(v))})
		dh2 = append(dh2, &awsec2.CfnVPNConnection_Phase2DHGroupNumbersRequestListValueProperty{Value: jsii.Number(float64(v))})
	}
	tunnels := make([]interface{}, Tunnels)
	for i := range tunnels {
		t := &awsec2.CfnVPNConnection_VpnTunnelOptionsSpecificationProperty{
			IkeVersions:                &ike,
			Phase1EncryptionAlgorithms: &enc1,
			Phase2EncryptionAlgorithms: &enc2,
			Phase1IntegrityAlgorithms:  &int1,
			Phase2IntegrityAlgorithms:  &int2,
			Phase1DhGroupNumbers:       &dh1,
			Phase2DhGroupNumbers:       &dh2,
			// AWS starts the IKE negotiation and restarts it after a dead
			// peer, so a tunnel comes back without waiting for the lab.
			StartupAction:    jsii.String("start"),
			DpdTimeoutAction: jsii.String("restart"),
			LogOptions: &awsec2.CfnVPNConnection_VpnTunnelLogOptionsSpecificationProperty{
				CloudwatchLogOptions: &awsec2.CfnVPNConnection_CloudwatchLogOptionsSpecificationProperty{
					LogEnabled:      jsii.Bool(true),
					LogGroupArn:     logGroup.LogGroupArn(),
					LogOutputFormat: jsii.String(TunnelLogOutputFormat),
				},
			},
		}
		if v.PreSharedKeySecretArn != "" {
			t.PreSharedKey = jsii.String(fmt.Sprintf("{{resolve:secretsmanager:%s:SecretString:tunnel%d}}", v.PreSharedKeySecretArn, i+1))
		}
		tunnels[i] = t
	}
	h.Connection = awsec2.NewCfnVPNConnection(c, jsii.String("Connection"), &awsec2.CfnVPNConnectionProps{
		Type:                           jsii.String("ipsec.1"),
		CustomerGatewayId:              h.CustomerGateway.AttrCustomerGatewayId(),
		VpnGatewayId:                   h.VPNGateway.AttrVpnGatewayId(),
		StaticRoutesOnly:               jsii.Bool(v.Routing == RoutingStatic),
		VpnTunnelOptionsSpecifications: &tunnels,
	})
	h.Connection.AddResourceDependency(h.Attachment, jsii.String("the virtual private gateway must be attached to the VPC first"))
	if v.Routing == RoutingStatic {
		for i, cidr := range h.p.OnPremCIDRs {
			r := awsec2.NewCfnVPNConnectionRoute(c, jsii.String(fmt.Sprintf("StaticRoute%d", i)), &awsec2.CfnVPNConnectionRouteProps{
				DestinationCidrBlock: jsii.String(cidr),
				VpnConnectionId:      h.Connection.AttrVpnConnectionId(),
			})
			h.StaticRoutes[cidr] = r
		}
	}

	// TunnelState with the VpnId dimension is the mean of the two tunnels:
	// 1 both up, 0.5 one down, 0 both down. Its Maximum over a period
	// below 1 means a tunnel stayed down the whole period.
	h.TunnelDownWarning = alarm.New(c, "TunnelDownWarning", alarm.Props{
		Metric:            h.MetricTunnelState(&awscloudwatch.MetricOptions{Statistic: jsii.String(alarm.Maximum)}),
		Means:             "warning: one tunnel of the on-premises VPN " + *c.Node().Path() + " is down, and the link runs on the other without redundancy",
		Check:             "the tunnel log group and the lab's VPN device (docs/NETWORK.md)",
		Topic:             h.p.AlarmTopic,
		Threshold:         1,
		Comparison:        awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		EvaluationPeriods: 3,
		TreatMissingData:  awscloudwatch.TreatMissingData_MISSING,
	})
	h.TunnelsDownCritical = alarm.New(c, "TunnelsDownCritical", alarm.Props{
		Metric:            h.MetricTunnelState(&awscloudwatch.MetricOptions{Statistic: jsii.String(alarm.Maximum)}),
		Means:             "critical: both tunnels of the on-premises VPN " + *c.Node().Path() + " are down (or report nothing), so the lab cannot reach the VPC",
		Check:             "the tunnel log group, the lab's VPN device and its internet uplink (docs/NETWORK.md)",
		Topic:             h.p.AlarmTopic,
		Threshold:         0.01,
		Comparison:        awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		EvaluationPeriods: 2,
		TreatMissingData:  awscloudwatch.TreatMissingData_BREACHING,
	})
	if h.p.AlarmTopic == nil {
		for _, a := range []awscloudwatch.Alarm{h.TunnelDownWarning, h.TunnelsDownCritical} {
			nag.Suppress(a, nag.InAllPacks("No Props.AlarmTopic was given: the app routes this alarm (a biolake stage sends every alarm of the stage to its operations topic), or reads it on the console.",
				"HIPAA.Security-CloudWatchAlarmAction", "NIST.800.53.R5-CloudWatchAlarmAction")...)
		}
	}
}

// newConnectionAlarms creates the alarms of the Direct Connect
// connections: ConnectionState's maximum over five minutes below 1 (or no
// data) for ten minutes.
func (h *Hybrid) newConnectionAlarms() {
	ids := h.p.DirectConnect.ConnectionIDs
	h.ConnectionDown = map[string]awscloudwatch.Alarm{}
	if len(ids) == 0 {
		return
	}
	c := constructs.NewConstruct(h, jsii.String("DirectConnect"))
	severity, means := "critical", "so the lab cannot reach the VPC"
	if len(ids) > 1 {
		severity, means = "warning", "and the link runs on the other connections without redundancy"
	}
	var alarms []awscloudwatch.Alarm
	metrics := map[string]awscloudwatch.IMetric{}
	for i, id := range ids {
		m := h.MetricConnectionState(id, &awscloudwatch.MetricOptions{Statistic: jsii.String(alarm.Maximum)})
		metrics[fmt.Sprintf("c%d", i)] = m
		a := alarm.New(c, fmt.Sprintf("ConnectionDown%d", i), alarm.Props{
			Metric:            m,
			Means:             severity + ": the Direct Connect connection " + id + " of " + *h.Node().Path() + " is down (or reports nothing), " + means,
			Check:             "the connection's state and its virtual interface's BGP status in the Direct Connect console, then the lab's router and the provider (docs/NETWORK.md)",
			Topic:             h.p.AlarmTopic,
			Threshold:         1,
			Comparison:        awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			EvaluationPeriods: 2,
			TreatMissingData:  awscloudwatch.TreatMissingData_BREACHING,
		})
		h.ConnectionDown[id] = a
		alarms = append(alarms, a)
	}
	if len(ids) > 1 {
		keys := make([]string, 0, len(metrics))
		for k := range metrics {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		h.AllConnectionsDown = alarm.New(c, "AllConnectionsDown", alarm.Props{
			Metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression:   jsii.String("MAX([" + strings.Join(keys, ",") + "])"),
				UsingMetrics: &metrics,
				Label:        jsii.String("Connections up (1 while one is)"),
				Period:       awscdk.Duration_Minutes(jsii.Number(5)),
			}),
			Means:             "critical: every Direct Connect connection of " + *h.Node().Path() + " (" + strings.Join(ids, ", ") + ") is down (or reports nothing), so the lab cannot reach the VPC",
			Check:             "the connections and their virtual interfaces in the Direct Connect console, the lab's routers and the provider (docs/NETWORK.md)",
			Topic:             h.p.AlarmTopic,
			Threshold:         1,
			Comparison:        awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			EvaluationPeriods: 2,
			TreatMissingData:  awscloudwatch.TreatMissingData_BREACHING,
		})
		alarms = append(alarms, h.AllConnectionsDown)
	}
	if h.p.AlarmTopic == nil {
		for _, a := range alarms {
			nag.Suppress(a, nag.InAllPacks("No Props.AlarmTopic was given: the app routes this alarm (a biolake stage sends every alarm of the stage to its operations topic), or reads it on the console.",
				"HIPAA.Security-CloudWatchAlarmAction", "NIST.800.53.R5-CloudWatchAlarmAction")...)
		}
	}
}

// MetricConnectionState is AWS/DX ConnectionState of Direct Connect
// connection id (ConnectionId): 1 up, 0 down. Statistic: Minimum; period:
// five minutes.
func (h *Hybrid) MetricConnectionState(id string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return alarm.Metric("AWS/DX", "ConnectionState", map[string]*string{"ConnectionId": jsii.String(id)}, opts, alarm.Minimum)
}

// MetricTunnelState is AWS/VPN TunnelState of the VPN connection (VpnId):
// the mean state of its tunnels, 1 all up (static routing: IPsec up; BGP:
// session established), 0.5 one down, 0 both down. Statistic: Minimum;
// period: five minutes. It returns nil unless the link is LinkVPN.
func (h *Hybrid) MetricTunnelState(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	if h.Connection == nil {
		return nil
	}
	return alarm.Metric("AWS/VPN", "TunnelState", map[string]*string{"VpnId": h.Connection.AttrVpnConnectionId()}, opts, alarm.Minimum)
}

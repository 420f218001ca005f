package cost

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/biolake/biolake/internal/assembly"
)

// Class says how a resource is billed.
type Class string

// Classes of resources.
const (
	// ClassFixed resources are billed for every hour they exist.
	ClassFixed Class = "fixed"
	// ClassUsage resources are billed only for what they store or process.
	ClassUsage Class = "usage"
	// ClassFree resources have no charge of their own.
	ClassFree Class = "free"
	// ClassUnpriced resources are of a type the model does not know, or
	// lack a price: listed, never counted as zero.
	ClassUnpriced Class = "unpriced"
)

// Item is one resource of a template, priced.
type Item struct {
	Stack     string // stack name, "<stage>-<id>"
	LogicalID string
	Type      string
	Region    string // the region its prices are of
	Class     Class
	// Quantity says what is counted, such as "2 AZ x 730 h x $0.0100".
	Quantity string
	// Monthly is the standing charge a month (ClassFixed), in the first
	// year for KMS keys.
	Monthly float64
	// Later is the standing charge a month once every KMS key has rotated
	// twice (equal to Monthly for everything else).
	Later float64
	// Note says what drives the line and how to lower it (fixed), which
	// usage prices apply (usage), or why it is not priced (unpriced).
	Note string
}

// Report is the fixed monthly cost of one stage (environment).
type Report struct {
	Stage string
	// Regions whose prices were used, sorted.
	Regions []string
	// Agnostic is true when some stack has no region and was priced as
	// DefaultRegion.
	Agnostic bool
	// PriceDate is the date of the price table.
	PriceDate string
	// Items are every resource, by stack then logical id.
	Items []Item
	// Fixed is the sum of the fixed items a month; Later the same once
	// every KMS key has rotated twice.
	Fixed, Later float64
	// Unpriced counts the unpriced items.
	Unpriced int
}

// Of returns the items of class c.
func (r *Report) Of(c Class) []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Class == c {
			out = append(out, it)
		}
	}
	return out
}

// ByStack returns the fixed monthly charge by stack name.
func (r *Report) ByStack() map[string]float64 {
	out := map[string]float64{}
	for _, it := range r.Items {
		if it.Class == ClassFixed {
			out[it.Stack] += it.Monthly
		}
	}
	return out
}

// Fixed prices every resource of stage in a.
func Fixed(a *assembly.Assembly, stage string, p *Prices) (*Report, error) {
	stacks, ok := a.Stacks[stage]
	if !ok {
		return nil, fmt.Errorf("cost: the assembly in %s has no stage %q; it has %s", a.Dir, stage, strings.Join(a.Stages, ", "))
	}
	r := &Report{Stage: stage, PriceDate: p.Date}
	regions := map[string]bool{}
	for _, st := range stacks {
		region, agnostic := stackRegion(st)
		r.Agnostic = r.Agnostic || agnostic
		if !p.Covers(region) {
			return nil, fmt.Errorf("cost: stack %s deploys to %s, which the price table (%s) does not cover; it covers %s: add the region's prices to internal/cost/prices.json (docs/COSTS.md says how)",
				st.Name, region, p.Date, strings.Join(p.Regions, ", "))
		}
		regions[region] = true
		items := PriceTemplate(st.Name, region, st.Template, p)
		r.Items = append(r.Items, items...)
	}
	for reg := range regions {
		r.Regions = append(r.Regions, reg)
	}
	sort.Strings(r.Regions)
	for _, it := range r.Items {
		switch it.Class {
		case ClassFixed:
			r.Fixed += it.Monthly
			r.Later += it.Later
		case ClassUnpriced:
			r.Unpriced++
		}
	}
	return r, nil
}

// PriceTemplate prices every resource of one template, sorted by logical id.
func PriceTemplate(stack, region string, template map[string]any, p *Prices) []Item {
	res, _ := template["Resources"].(map[string]any)
	ids := make([]string, 0, len(res))
	for id := range res {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	items := make([]Item, 0, len(ids))
	for _, id := range ids {
		m, _ := res[id].(map[string]any)
		typ, _ := m["Type"].(string)
		props, _ := m["Properties"].(map[string]any)
		it := Item{Stack: stack, LogicalID: id, Type: typ, Region: region}
		priceResource(&it, props, res, p)
		items = append(items, it)
		if e, ok := endpointItem(stack, id, region, m, p); ok {
			items = append(items, e)
		}
	}
	return items
}

// pricer fills in a fixed item's quantity, monthly charge and note.
type pricer func(it *Item, props map[string]any, all map[string]any, pc *priceCtx) error

// priceCtx gets prices of one region and remembers the first missing one.
type priceCtx struct {
	p      *Prices
	region string
}

func (c *priceCtx) get(key string) (float64, error) { return c.p.Get(key, c.region) }

func (c *priceCtx) hours() float64 { return c.p.HoursPerMonth }

// fixedTypes are the resource types with a standing charge.
var fixedTypes = map[string]pricer{
	"AWS::EC2::VPCEndpoint":           priceEndpoint,
	"AWS::EC2::NatGateway":            priceNAT,
	"AWS::EC2::VPNConnection":         priceVPN,
	"AWS::EC2::EIP":                   priceEIP,
	"AWS::Transfer::Server":           priceTransfer,
	"AWS::FSx::FileSystem":            priceFSx,
	"AWS::EC2::Instance":              priceInstance,
	"AWS::EC2::Volume":                priceVolume,
	"AWS::KMS::Key":                   priceKey,
	"AWS::SecretsManager::Secret":     priceSecret,
	"AWS::CloudWatch::Alarm":          priceAlarm,
	"AWS::CloudWatch::CompositeAlarm": priceCompositeAlarm,
	"AWS::CloudWatch::Dashboard":      priceDashboard,
	"AWS::Batch::ComputeEnvironment":  priceComputeEnvironment,
	"AWS::DynamoDB::Table":            priceTable,
}

// usageTypes have no standing charge; the value lists what they are billed
// for.
var usageTypes = map[string]string{
	"AWS::S3::Bucket":                     "storage per GB-month by class, requests, retrieval, inventory and storage class analysis per object (see Storage)",
	"AWS::Lambda::Function":               "requests ($0.20 a million) and GB-seconds (arm64 $0.0000133334)",
	"AWS::StepFunctions::StateMachine":    "state transitions ($0.025 per 1,000, Standard)",
	"AWS::Logs::LogGroup":                 "ingestion ($0.50/GB in us-east-1) and storage ($0.03/GB-month)",
	"AWS::Logs::MetricFilter":             "the custom metric it publishes ($0.30 a metric-month, prorated by the hours it has data; without a default value it publishes only when a log entry matches)",
	"AWS::EC2::FlowLog":                   "vended log ingestion into its log group",
	"AWS::CloudTrail::Trail":              "the first trail's copy of management events is free; data events $0.10 per 100,000, further management copies $2.00 per 100,000",
	"AWS::SQS::Queue":                     "requests ($0.40 a million)",
	"AWS::SNS::Topic":                     "publishes and deliveries",
	"AWS::Events::EventBus":               "custom events ($1.00 a million)",
	"AWS::Events::Rule":                   "events matched on custom buses (billed as events put)",
	"AWS::Events::Archive":                "archived events per GB and storage per GB-month",
	"AWS::Backup::BackupVault":            "backup storage per GB-month ($0.05 warm S3 backups); the model counts no charge for a vault lock (the AWS Backup pricing page lists none; not checked against a second source)",
	"AWS::DataSync::Task":                 "data copied ($0.0125/GB)",
	"AWS::DataSync::Agent":                "nothing for the agent itself (it runs on premises); its tasks bill per GB",
	"AWS::StorageGateway::NFSFileShare":   "data written to AWS ($0.01/GB, at most $125 a gateway a month)",
	"AWS::StorageGateway::SMBFileShare":   "data written to AWS ($0.01/GB, at most $125 a gateway a month)",
	"AWS::Transfer::Workflow":             "nothing of its own; its steps run in Lambda and S3",
	"AWS::Batch::JobQueue":                "nothing of its own; jobs bill as EC2 or Fargate (see Per run)",
	"AWS::Batch::JobDefinition":           "nothing of its own; jobs bill as EC2 or Fargate (see Per run)",
	"AWS::FSx::DataRepositoryAssociation": "nothing of its own; imports and exports are S3 requests",
	"AWS::Lambda::EventSourceMapping":     "nothing of its own; the function's invocations",
	"AWS::Athena::WorkGroup":              "queries ($5 per TB scanned, 10 MB at least a query; the workgroup's cutoff caps each); nothing while idle",
	"AWS::Glue::Database":                 "Data Catalog objects and requests (the first million of each a month are free); nothing while idle",
	"AWS::CodePipeline::Pipeline":         "action execution minutes of a V2 pipeline ($0.002 a minute after 100 free minutes a month; biolake's pipeline is V2); a V1 pipeline would bill $1.00 an active month instead",
	"AWS::CodeBuild::Project":             "build minutes (Linux on demand: $0.005 a minute small, $0.01 medium, $0.02 large; the pipeline's synth, which runs make test, is large)",
	"AWS::Glue::Table":                    "Data Catalog objects and requests (the first million of each a month are free; projected partitions are not stored); nothing while idle",
	"AWS::SageMaker::Domain":              "nothing of its own: Studio apps bill per instance-hour while they run (idle shutdown stops them), the home file system (EFS) per GB-month stored",
	"AWS::SageMaker::UserProfile":         "nothing of its own; the profile's apps bill per instance-hour while they run",
	"AWS::SageMaker::ModelPackageGroup":   "nothing of its own; model artifacts are S3 storage where the training job wrote them",
	"AWS::SageMaker::Pipeline":            "nothing while idle; each execution bills its processing and training jobs per instance-second (docs/ML.md gives per-run figures)",
	"AWS::SageMaker::FeatureGroup":        "offline store: S3 storage and requests under the ML prefix; online store (when enabled): writes, reads and GB-month stored; nothing while idle",
	"AWS::SageMaker::Workforce":           "nothing of its own; Ground Truth labeling jobs bill per object labeled ($0.08 each for the first 50,000 a month) and a private workforce's labelers are not paid through AWS",
	"AWS::SageMaker::Workteam":            "nothing of its own; its notifications bill as SNS",
	"AWS::Cognito::UserPool":              "monthly active users (the Plus plan: $0.02 for each user who signs in that month, no free tier); nothing while idle",
}

// freeTypes have no charge at all.
var freeTypes = map[string]bool{
	"AWS::IAM::Role": true, "AWS::IAM::Policy": true, "AWS::IAM::ManagedPolicy": true, "AWS::IAM::InstanceProfile": true,
	"AWS::EC2::VPC": true, "AWS::EC2::Subnet": true, "AWS::EC2::RouteTable": true, "AWS::EC2::Route": true,
	"AWS::EC2::SubnetRouteTableAssociation": true,
	// A virtual private gateway, a customer gateway, their routes and a
	// Direct Connect gateway association have no charge of their own (the
	// VPN connection, and Direct Connect port hours outside CloudFormation,
	// do).
	"AWS::EC2::VPNGateway": true, "AWS::EC2::CustomerGateway": true, "AWS::EC2::VPNGatewayRoutePropagation": true,
	"AWS::EC2::VPNConnectionRoute": true, "AWS::DirectConnect::DirectConnectGatewayAssociation": true, "AWS::EC2::InternetGateway": true, "AWS::EC2::VPCGatewayAttachment": true,
	"AWS::EC2::SecurityGroup": true, "AWS::EC2::SecurityGroupIngress": true, "AWS::EC2::SecurityGroupEgress": true,
	"AWS::EC2::LaunchTemplate": true, "AWS::KMS::Alias": true, "AWS::Lambda::Permission": true,
	"AWS::S3::BucketPolicy": true, "AWS::SQS::QueuePolicy": true, "AWS::SNS::TopicPolicy": true, "AWS::SNS::Subscription": true,
	"AWS::Logs::ResourcePolicy": true, "AWS::Backup::BackupPlan": true, "AWS::Backup::BackupSelection": true,
	"AWS::DataSync::LocationS3": true, "AWS::DataSync::LocationNFS": true, "AWS::DataSync::LocationSMB": true,
	"AWS::CDK::Metadata": true, "AWS::SSM::Parameter": true, "AWS::Athena::NamedQuery": true,
	// A user pool's app clients (without client-credentials grants),
	// groups and prefix domain have no charge of their own.
	"AWS::Cognito::UserPoolClient": true, "AWS::Cognito::UserPoolGroup": true, "AWS::Cognito::UserPoolDomain": true,
	// Lake Formation permissions, settings and registered locations have
	// no charge (its Storage API and governed tables do; biolake uses
	// neither): queries bill as Athena.
	"AWS::LakeFormation::DataLakeSettings": true, "AWS::LakeFormation::Resource": true, "AWS::LakeFormation::PrincipalPermissions": true,
	// Custom resources run their Lambda once per deployment.
	"Custom::VpcRestrictDefaultSG": true, "Custom::FileGatewayActivation": true, "Custom::S3AutoDeleteObjects": true,
	"AWS::CloudFormation::CustomResource": true,
}

// Types returns the resource types the model knows, by class: those with a
// standing charge, those billed by usage and those without a charge.
func Types() (fixed, usage, free []string) {
	for t := range fixedTypes {
		fixed = append(fixed, t)
	}
	for t := range usageTypes {
		usage = append(usage, t)
	}
	for t, ok := range freeTypes {
		if ok {
			free = append(free, t)
		}
	}
	sort.Strings(fixed)
	sort.Strings(usage)
	sort.Strings(free)
	return fixed, usage, free
}

// errUsage tells a pricer's caller the resource has no standing charge in
// this configuration (a PAY_PER_REQUEST table, a compute environment that
// scales to zero).
type errUsage struct{ note string }

func (e errUsage) Error() string { return e.note }

func priceResource(it *Item, props, all map[string]any, p *Prices) {
	if f, ok := fixedTypes[it.Type]; ok {
		it.Class = ClassFixed
		err := f(it, props, all, &priceCtx{p: p, region: it.Region})
		var u errUsage
		switch {
		case errors.As(err, &u):
			it.Class, it.Note, it.Quantity, it.Monthly, it.Later = ClassUsage, u.note, "", 0, 0
		case err != nil:
			it.Class, it.Note, it.Quantity, it.Monthly, it.Later = ClassUnpriced, err.Error(), "", 0, 0
		case it.Later == 0:
			it.Later = it.Monthly
		}
		return
	}
	if note, ok := usageTypes[it.Type]; ok {
		it.Class, it.Note = ClassUsage, note
		return
	}
	if freeTypes[it.Type] {
		it.Class = ClassFree
		return
	}
	it.Class = ClassUnpriced
	it.Note = "the cost model does not know this type: add it to internal/cost (fixed, usage or free)"
}

// ---------- pricers ----------

func priceEndpoint(it *Item, props, _ map[string]any, c *priceCtx) error {
	switch t, _ := props["VpcEndpointType"].(string); t {
	case "Gateway":
		return errUsage{"a gateway endpoint (S3, DynamoDB) has no charge"}
	case "Interface", "":
	default:
		return fmt.Errorf("VPC endpoint type %q is not priced (Interface and Gateway are)", t)
	}
	subnets, ok := props["SubnetIds"].([]any)
	if !ok || len(subnets) == 0 {
		return fmt.Errorf("an interface endpoint whose subnets are not a literal list: the number of zones it is billed for is unknown")
	}
	h, err := c.get("vpc.interfaceEndpoint.hour")
	if err != nil {
		return err
	}
	n := float64(len(subnets))
	it.Quantity = fmt.Sprintf("%d AZ x %.0f h x $%.4f", len(subnets), c.hours(), h)
	it.Monthly = n * c.hours() * h
	it.Note = "interface endpoint " + serviceName(props["ServiceName"]) + ", billed per zone; plus $0.01/GB processed. Lower: fewer zones, or a NAT profile without endpoints where the constructs allow it"
	return nil
}

// serviceName returns the last part of an endpoint's service name
// ("com.amazonaws.<region>.logs" -> "logs"), from a literal or a Fn::Join.
func serviceName(v any) string {
	switch s := v.(type) {
	case string:
		return s[strings.LastIndex(s, ".")+1:]
	case map[string]any:
		if j, ok := s["Fn::Join"].([]any); ok && len(j) == 2 {
			if parts, ok := j[1].([]any); ok && len(parts) > 0 {
				if last, ok := parts[len(parts)-1].(string); ok {
					return strings.TrimPrefix(last, ".")
				}
			}
		}
	}
	return "(service unknown)"
}

func hourly(it *Item, c *priceCtx, key string, count float64, what string) error {
	h, err := c.get(key)
	if err != nil {
		return err
	}
	it.Quantity = fmt.Sprintf("%g x %.0f h x $%.4f", count, c.hours(), h)
	it.Monthly = count * c.hours() * h
	it.Note = what
	return nil
}

func priceNAT(it *Item, _, _ map[string]any, c *priceCtx) error {
	return hourly(it, c, "vpc.natGateway.hour", 1, "NAT gateway; plus $0.045/GB processed (us-east-1). Lower: one NAT gateway (natGateways: 1) instead of one per zone, or the isolated profile")
}

func priceVPN(it *Item, _, _ map[string]any, c *priceCtx) error {
	return hourly(it, c, "vpn.connection.hour", 1, "Site-to-Site VPN connection (two tunnels), billed every hour it exists, up or down; plus data transfer out. Lower: network.onPremises.link none (internet with TLS), or directconnect where a Direct Connect link exists already")
}

func priceEIP(it *Item, _, _ map[string]any, c *priceCtx) error {
	return hourly(it, c, "vpc.publicIPv4.hour", 1, "public IPv4 address (of a NAT gateway or an internet-facing endpoint), billed since 2024-02. Lower: fewer NAT gateways")
}

// priceTransfer: a server is billed per enabled protocol until it is
// deleted; stopping it does not stop the billing
// (https://docs.aws.amazon.com/transfer/latest/APIReference/API_StopServer.html).
func priceTransfer(it *Item, props, _ map[string]any, c *priceCtx) error {
	protocols := 1 // SFTP when Protocols is absent
	if ps, ok := props["Protocols"].([]any); ok && len(ps) > 0 {
		protocols = len(ps)
	}
	h, err := c.get("transfer.protocol.hour")
	if err != nil {
		return err
	}
	it.Quantity = fmt.Sprintf("%d protocol x %.0f h x $%.2f", protocols, c.hours(), h)
	it.Monthly = float64(protocols) * c.hours() * h
	it.Note = "Transfer Family server, billed per enabled protocol every hour it exists, started or stopped; plus $0.04/GB transferred. Lower: no server where no partner uploads (transfer.partners empty)"
	return nil
}

func priceFSx(it *Item, props, _ map[string]any, c *priceCtx) error {
	if t, _ := props["FileSystemType"].(string); t != "LUSTRE" {
		return fmt.Errorf("FSx file system type %q is not priced (LUSTRE is)", t)
	}
	lc, _ := props["LustreConfiguration"].(map[string]any)
	dt, _ := lc["DeploymentType"].(string)
	if dt == "" {
		dt = "SCRATCH_1"
	}
	if st, _ := props["StorageType"].(string); st != "" && st != "SSD" {
		return fmt.Errorf("FSx for Lustre storage type %q is not priced (SSD is)", st)
	}
	key := "fsx.lustre." + dt
	if tp, ok := num(lc["PerUnitStorageThroughput"]); ok {
		key += fmt.Sprintf(".%g", tp)
	}
	key += ".gbmonth"
	price, err := c.get(key)
	if err != nil {
		return fmt.Errorf("FSx for Lustre %s: %w", dt, err)
	}
	gib, ok := num(props["StorageCapacity"])
	if !ok {
		return fmt.Errorf("FSx for Lustre with a StorageCapacity that is not a literal number")
	}
	it.Quantity = fmt.Sprintf("%g GiB x $%.3f", gib, price)
	it.Monthly = gib * price
	it.Note = fmt.Sprintf("persistent Lustre file system (%s), billed on capacity; plus backups ($0.05/GB-month). Lower: per-run file systems (compute.lustre.mode: per-run), a lower throughput tier or the least capacity (1200 GiB)", dt)
	if days, ok := num(lc["AutomaticBackupRetentionDays"]); ok && days > 0 {
		it.Note += fmt.Sprintf("; %g days of daily backups", days)
	}
	return nil
}

func priceInstance(it *Item, props, all map[string]any, c *priceCtx) error {
	typ, _ := props["InstanceType"].(string)
	if typ == "" {
		return fmt.Errorf("an instance whose type is not a literal string")
	}
	h, err := c.get("ec2." + typ + ".hour")
	if err != nil {
		return fmt.Errorf("instance type %s: %w", typ, err)
	}
	it.Monthly = c.hours() * h
	parts := []string{fmt.Sprintf("%s %.0f h x $%.4f", typ, c.hours(), h)}
	maps, _ := props["BlockDeviceMappings"].([]any)
	for _, m := range maps {
		ebs, _ := m.(map[string]any)["Ebs"].(map[string]any)
		if ebs == nil {
			continue
		}
		size, ok := num(ebs["VolumeSize"])
		if !ok {
			return fmt.Errorf("instance %s: a volume without a literal VolumeSize (its size comes from the AMI)", typ)
		}
		vt, _ := ebs["VolumeType"].(string)
		if vt == "" {
			vt = "gp2"
		}
		gb, err := c.get("ebs." + vt + ".gbmonth")
		if err != nil {
			return fmt.Errorf("instance %s: volume type %s: %w", typ, vt, err)
		}
		it.Monthly += size * gb
		parts = append(parts, fmt.Sprintf("%g GiB %s x $%.3f", size, vt, gb))
	}
	it.Quantity = strings.Join(parts, " + ")
	it.Note = "EC2 instance and its EBS volumes (the S3 File Gateway appliance). Lower: a smaller instance type or cache disk, or an existing gateway (fileGateway.gatewayArn)"
	return nil
}

func priceVolume(it *Item, props, _ map[string]any, c *priceCtx) error {
	size, ok := num(props["Size"])
	if !ok {
		return fmt.Errorf("a volume without a literal Size (from a snapshot)")
	}
	vt, _ := props["VolumeType"].(string)
	if vt == "" {
		vt = "gp2"
	}
	gb, err := c.get("ebs." + vt + ".gbmonth")
	if err != nil {
		return fmt.Errorf("volume type %s: %w", vt, err)
	}
	it.Quantity = fmt.Sprintf("%g GiB %s x $%.3f", size, vt, gb)
	it.Monthly = size * gb
	it.Note = "EBS volume. Lower: a smaller volume"
	return nil
}

func priceKey(it *Item, props, _ map[string]any, c *priceCtx) error {
	k, err := c.get("kms.key.month")
	if err != nil {
		return err
	}
	it.Quantity = fmt.Sprintf("1 key x $%.2f", k)
	it.Monthly, it.Later = k, k
	it.Note = "customer-managed KMS key; plus $0.03 per 10,000 requests beyond 20,000 free a month"
	if rot, _ := props["EnableKeyRotation"].(bool); rot {
		r, err := c.get("kms.rotation.month")
		if err != nil {
			return err
		}
		days := 365.0
		if d, ok := num(props["RotationPeriodInDays"]); ok {
			days = d
		}
		it.Later = k + 2*r
		it.Note += fmt.Sprintf("; rotation every %g days adds $%.2f a month at each of the first two rotations ($%.2f from day %g)", days, r, it.Later, 2*days)
	}
	it.Note += ". Lower: share keys between constructs (every construct takes a key in its props)"
	return nil
}

func priceSecret(it *Item, _, _ map[string]any, c *priceCtx) error {
	return monthly(it, c, "secretsmanager.secret.month", 1, "Secrets Manager secret (a partner's password hash); plus $0.05 per 10,000 API calls. Lower: key-only partners (createPasswordSecret: false)")
}

func monthly(it *Item, c *priceCtx, key string, count float64, what string) error {
	m, err := c.get(key)
	if err != nil {
		return err
	}
	it.Quantity = fmt.Sprintf("%g x $%.2f", count, m)
	it.Monthly = count * m
	it.Note = what
	return nil
}

func priceAlarm(it *Item, props, _ map[string]any, c *priceCtx) error {
	metrics := 1
	highRes := false
	if p, ok := num(props["Period"]); ok && p < 60 {
		highRes = true
	}
	if ms, ok := props["Metrics"].([]any); ok && len(ms) > 0 {
		metrics = 0
		for _, m := range ms {
			mm, _ := m.(map[string]any)
			stat, ok := mm["MetricStat"].(map[string]any)
			if !ok {
				continue
			}
			metrics++
			if p, ok := num(stat["Period"]); ok && p < 60 {
				highRes = true
			}
		}
		if metrics == 0 {
			metrics = 1 // a Metrics Insights query: one alarm metric
		}
	}
	key, kind := "cloudwatch.alarm.standard.month", "standard-resolution"
	if highRes {
		key, kind = "cloudwatch.alarm.highres.month", "high-resolution"
	}
	return monthly(it, c, key, float64(metrics), fmt.Sprintf("%s alarm, billed per metric it evaluates (10 alarm metrics a month are free per account)", kind))
}

func priceCompositeAlarm(it *Item, _, _ map[string]any, c *priceCtx) error {
	return monthly(it, c, "cloudwatch.alarm.composite.month", 1, "composite alarm")
}

func priceDashboard(it *Item, _, _ map[string]any, c *priceCtx) error {
	return monthly(it, c, "cloudwatch.dashboard.month", 1, "CloudWatch dashboard (3 are free per account)")
}

func priceComputeEnvironment(it *Item, props, _ map[string]any, c *priceCtx) error {
	cr, _ := props["ComputeResources"].(map[string]any)
	minv, _ := num(cr["MinvCpus"])
	if minv == 0 {
		return errUsage{"scales to zero (MinvCpus 0): instances and Fargate tasks bill only while jobs run (see Per run)"}
	}
	types, _ := cr["InstanceTypes"].([]any)
	if len(types) == 0 {
		return fmt.Errorf("a compute environment with MinvCpus %g and no instance types", minv)
	}
	family, _ := types[0].(string)
	family, _, _ = strings.Cut(family, ".")
	h, err := c.get("ec2." + family + ".vcpu.hour")
	if err != nil {
		return fmt.Errorf("compute environment with MinvCpus %g: %w", minv, err)
	}
	it.Quantity = fmt.Sprintf("%g vCPU x %.0f h x $%.4f (%s)", minv, c.hours(), h, family)
	it.Monthly = minv * c.hours() * h
	it.Note = "Batch keeps MinvCpus running whether jobs run or not. Lower: MinvCpus 0"
	return nil
}

func priceTable(it *Item, props, _ map[string]any, _ *priceCtx) error {
	if m, _ := props["BillingMode"].(string); m == "PAY_PER_REQUEST" {
		return errUsage{"on-demand table: writes $0.625 and reads $0.125 a million request units, storage $0.25/GB-month, point-in-time recovery per GB"}
	}
	return fmt.Errorf("a provisioned-capacity DynamoDB table is not priced (PAY_PER_REQUEST tables are usage)")
}

// num reads a JSON number (or a numeric string, as CloudFormation accepts).
func num(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case string:
		var f float64
		if _, err := fmt.Sscanf(n, "%g", &f); err == nil {
			return f, true
		}
	}
	return 0, false
}

// stackRegion returns the region whose prices apply to st: its own, or
// DefaultRegion (and true) for an environment-agnostic stack.
func stackRegion(st *assembly.Stack) (string, bool) {
	if st.Region == "" || st.Region == "unknown-region" || strings.Contains(st.Region, "${") {
		return DefaultRegion, true
	}
	return st.Region, false
}

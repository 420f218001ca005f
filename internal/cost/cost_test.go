package cost

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/internal/assembly"
)

func prices(t *testing.T) *Prices {
	t.Helper()
	p, err := LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.005 }

func subnets(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"Ref": "Subnet" + string(rune('A'+i))}
	}
	return out
}

// TestPriceResources prices one hand-made resource of each kind.
func TestPriceResources(t *testing.T) {
	p := prices(t)
	cases := []struct {
		name, region string
		typ          string
		props        map[string]any
		class        Class
		monthly      float64
		later        float64 // 0: same as monthly
		note         string  // a substring of the note
	}{
		{"interface endpoint, one zone", "us-east-1", "AWS::EC2::VPCEndpoint",
			map[string]any{"VpcEndpointType": "Interface", "ServiceName": "com.amazonaws.us-east-1.logs", "SubnetIds": subnets(1)}, ClassFixed, 7.30, 0, "interface endpoint logs"},
		{"interface endpoint, three zones", "us-east-1", "AWS::EC2::VPCEndpoint",
			map[string]any{"VpcEndpointType": "Interface", "ServiceName": map[string]any{"Fn::Join": []any{"", []any{"com.amazonaws.", map[string]any{"Ref": "AWS::Region"}, ".ecr.api"}}}, "SubnetIds": subnets(3)}, ClassFixed, 21.90, 0, "ecr.api"},
		{"interface endpoint, two zones in eu-west-1", "eu-west-1", "AWS::EC2::VPCEndpoint",
			map[string]any{"VpcEndpointType": "Interface", "SubnetIds": subnets(2)}, ClassFixed, 2 * 730 * 0.011, 0, "billed per zone"},
		{"interface endpoint, subnets from a token", "us-east-1", "AWS::EC2::VPCEndpoint",
			map[string]any{"VpcEndpointType": "Interface", "SubnetIds": map[string]any{"Fn::Split": []any{",", "x"}}}, ClassUnpriced, 0, 0, "number of zones"},
		{"gateway endpoint", "us-east-1", "AWS::EC2::VPCEndpoint", map[string]any{"VpcEndpointType": "Gateway"}, ClassUsage, 0, 0, "no charge"},
		{"NAT gateway", "us-east-1", "AWS::EC2::NatGateway", nil, ClassFixed, 32.85, 0, "NAT gateway"},
		{"NAT gateway in eu-west-1", "eu-west-1", "AWS::EC2::NatGateway", nil, ClassFixed, 35.04, 0, "NAT gateway"},
		{"Elastic IP", "us-east-1", "AWS::EC2::EIP", nil, ClassFixed, 3.65, 0, "public IPv4"},
		{"VPN connection", "us-east-1", "AWS::EC2::VPNConnection", map[string]any{"Type": "ipsec.1"}, ClassFixed, 36.50, 0, "Site-to-Site VPN connection"},
		{"VPN gateway", "us-east-1", "AWS::EC2::VPNGateway", nil, ClassFree, 0, 0, ""},
		{"customer gateway", "us-east-1", "AWS::EC2::CustomerGateway", nil, ClassFree, 0, 0, ""},
		{"Direct Connect gateway association", "us-east-1", "AWS::DirectConnect::DirectConnectGatewayAssociation", nil, ClassFree, 0, 0, ""},
		{"Transfer server, SFTP by default", "us-east-1", "AWS::Transfer::Server", map[string]any{}, ClassFixed, 219, 0, "per enabled protocol"},
		{"Transfer server, SFTP and FTPS", "us-east-1", "AWS::Transfer::Server", map[string]any{"Protocols": []any{"SFTP", "FTPS"}}, ClassFixed, 438, 0, "protocol"},
		{"Lustre PERSISTENT_2 250", "us-east-1", "AWS::FSx::FileSystem",
			map[string]any{"FileSystemType": "LUSTRE", "StorageCapacity": 2400.0, "LustreConfiguration": map[string]any{"DeploymentType": "PERSISTENT_2", "PerUnitStorageThroughput": 250.0, "AutomaticBackupRetentionDays": 14.0}}, ClassFixed, 504, 0, "14 days of daily backups"},
		{"Lustre SCRATCH_2", "us-east-1", "AWS::FSx::FileSystem",
			map[string]any{"FileSystemType": "LUSTRE", "StorageCapacity": 1200.0, "LustreConfiguration": map[string]any{"DeploymentType": "SCRATCH_2"}}, ClassFixed, 168, 0, "SCRATCH_2"},
		{"Lustre throughput not in the table", "us-east-1", "AWS::FSx::FileSystem",
			map[string]any{"FileSystemType": "LUSTRE", "StorageCapacity": 1200.0, "LustreConfiguration": map[string]any{"DeploymentType": "PERSISTENT_2", "PerUnitStorageThroughput": 40.0}}, ClassUnpriced, 0, 0, "fsx.lustre.PERSISTENT_2.40.gbmonth"},
		{"FSx for ONTAP", "us-east-1", "AWS::FSx::FileSystem", map[string]any{"FileSystemType": "ONTAP"}, ClassUnpriced, 0, 0, `"ONTAP" is not priced`},
		{"gateway instance with two volumes", "eu-west-1", "AWS::EC2::Instance",
			map[string]any{"InstanceType": "m5.xlarge", "BlockDeviceMappings": []any{
				map[string]any{"DeviceName": "/dev/xvda", "Ebs": map[string]any{"VolumeSize": 80.0, "VolumeType": "gp3"}},
				map[string]any{"DeviceName": "/dev/sdf", "Ebs": map[string]any{"VolumeSize": 150.0, "VolumeType": "gp3"}}}}, ClassFixed, 730*0.214 + 230*0.088, 0, "File Gateway"},
		{"instance type not in the table", "us-east-1", "AWS::EC2::Instance", map[string]any{"InstanceType": "x2iedn.32xlarge"}, ClassUnpriced, 0, 0, "x2iedn.32xlarge"},
		{"EBS volume", "us-east-1", "AWS::EC2::Volume", map[string]any{"Size": 100.0, "VolumeType": "gp3"}, ClassFixed, 8, 0, "EBS"},
		{"KMS key with rotation", "us-east-1", "AWS::KMS::Key", map[string]any{"EnableKeyRotation": true}, ClassFixed, 1, 3, "first two rotations"},
		{"KMS key without rotation", "us-east-1", "AWS::KMS::Key", map[string]any{}, ClassFixed, 1, 1, "customer-managed"},
		{"secret", "us-east-1", "AWS::SecretsManager::Secret", map[string]any{}, ClassFixed, 0.40, 0, "Secrets Manager"},
		{"standard alarm", "us-east-1", "AWS::CloudWatch::Alarm", map[string]any{"Period": 300.0}, ClassFixed, 0.10, 0, "standard-resolution"},
		{"high-resolution alarm", "us-east-1", "AWS::CloudWatch::Alarm", map[string]any{"Period": 10.0}, ClassFixed, 0.30, 0, "high-resolution"},
		{"metric-math alarm over two metrics", "us-east-1", "AWS::CloudWatch::Alarm", map[string]any{"Metrics": []any{
			map[string]any{"Id": "m1", "MetricStat": map[string]any{"Period": 60.0}},
			map[string]any{"Id": "m2", "MetricStat": map[string]any{"Period": 60.0}},
			map[string]any{"Id": "e1", "Expression": "m1+m2"}}}, ClassFixed, 0.20, 0, "per metric"},
		{"composite alarm", "us-east-1", "AWS::CloudWatch::CompositeAlarm", nil, ClassFixed, 0.50, 0, "composite"},
		{"dashboard", "us-east-1", "AWS::CloudWatch::Dashboard", nil, ClassFixed, 3, 0, "dashboard"},
		{"compute environment scaling to zero", "us-east-1", "AWS::Batch::ComputeEnvironment",
			map[string]any{"ComputeResources": map[string]any{"MinvCpus": 0.0, "InstanceTypes": []any{"m7i"}}}, ClassUsage, 0, 0, "scales to zero"},
		{"compute environment with standing vCPUs", "us-east-1", "AWS::Batch::ComputeEnvironment",
			map[string]any{"ComputeResources": map[string]any{"MinvCpus": 4.0, "InstanceTypes": []any{"m7i", "c7i"}}}, ClassFixed, 4 * 730 * 0.0504, 0, "MinvCpus"},
		{"on-demand table", "us-east-1", "AWS::DynamoDB::Table", map[string]any{"BillingMode": "PAY_PER_REQUEST"}, ClassUsage, 0, 0, "on-demand"},
		{"provisioned table", "us-east-1", "AWS::DynamoDB::Table", map[string]any{}, ClassUnpriced, 0, 0, "provisioned"},
		{"bucket", "us-east-1", "AWS::S3::Bucket", map[string]any{}, ClassUsage, 0, 0, "storage per GB-month"},
		{"trail", "us-east-1", "AWS::CloudTrail::Trail", map[string]any{}, ClassUsage, 0, 0, "first trail"},
		{"role", "us-east-1", "AWS::IAM::Role", map[string]any{}, ClassFree, 0, 0, ""},
		{"lake formation grant", "us-east-1", "AWS::LakeFormation::PrincipalPermissions", map[string]any{}, ClassFree, 0, 0, ""},
		{"lake formation location", "us-east-1", "AWS::LakeFormation::Resource", map[string]any{}, ClassFree, 0, 0, ""},
		{"unknown type", "us-east-1", "AWS::Foo::Bar", map[string]any{}, ClassUnpriced, 0, 0, "does not know this type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tpl := map[string]any{"Resources": map[string]any{"R": map[string]any{"Type": c.typ, "Properties": c.props}}}
			items := PriceTemplate("s-Stack", c.region, tpl, p)
			if len(items) != 1 {
				t.Fatalf("%d items, want 1", len(items))
			}
			it := items[0]
			if it.Class != c.class {
				t.Fatalf("class %s, want %s (note %q)", it.Class, c.class, it.Note)
			}
			if !near(it.Monthly, c.monthly) {
				t.Errorf("monthly %.4f, want %.4f (%s)", it.Monthly, c.monthly, it.Quantity)
			}
			later := c.later
			if later == 0 {
				later = c.monthly
			}
			if !near(it.Later, later) {
				t.Errorf("later %.4f, want %.4f", it.Later, later)
			}
			if !strings.Contains(it.Note, c.note) {
				t.Errorf("note %q lacks %q", it.Note, c.note)
			}
			if c.class == ClassFixed && it.Quantity == "" {
				t.Error("a fixed item without its quantity")
			}
		})
	}
}

func testAssembly() *assembly.Assembly {
	net := &assembly.Stack{Stage: "lab", Name: "lab-Network", Region: "eu-west-1", Template: map[string]any{"Resources": map[string]any{
		"Ep":   map[string]any{"Type": "AWS::EC2::VPCEndpoint", "Properties": map[string]any{"VpcEndpointType": "Interface", "SubnetIds": subnets(2)}},
		"Nat":  map[string]any{"Type": "AWS::EC2::NatGateway"},
		"Role": map[string]any{"Type": "AWS::IAM::Role"},
		"Odd":  map[string]any{"Type": "AWS::Foo::Bar"},
	}}}
	sec := &assembly.Stack{Stage: "lab", Name: "lab-Security", Region: "unknown-region", Template: map[string]any{"Resources": map[string]any{
		"Key": map[string]any{"Type": "AWS::KMS::Key", "Properties": map[string]any{"EnableKeyRotation": true}},
		"Bucket": map[string]any{"Type": "AWS::S3::Bucket", "Properties": map[string]any{"LifecycleConfiguration": map[string]any{"Rules": []any{
			map[string]any{"Id": "bcl", "Status": "Enabled", "TagFilters": []any{map[string]any{"Key": "biolake:data-class", "Value": "bcl"}},
				"Transitions": []any{map[string]any{"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 60.0}}},
			map[string]any{"Id": "off", "Status": "Disabled", "Transitions": []any{map[string]any{"StorageClass": "GLACIER", "TransitionInDays": 1.0}}},
			map[string]any{"Id": "reports", "Status": "Enabled", "ExpirationInDays": 100.0,
				"Transitions": []any{map[string]any{"StorageClass": "STANDARD_IA", "TransitionInDays": 30.0}}},
		}}}},
	}}}
	return &assembly.Assembly{Dir: "test", Stages: []string{"lab"}, Stacks: map[string][]*assembly.Stack{"lab": {net, sec}}}
}

// TestFixedSumsAStage: the stage's total is the sum of its fixed items in
// each stack's region; unknown types are counted apart, never as zero.
func TestFixedSumsAStage(t *testing.T) {
	p := prices(t)
	r, err := Fixed(testAssembly(), "lab", p)
	if err != nil {
		t.Fatal(err)
	}
	want := 2*730*0.011 + 730*0.048 + 1 // eu-west-1 endpoint and NAT, and a key priced as us-east-1
	if !near(r.Fixed, want) || !near(r.Later, want+2) {
		t.Errorf("fixed %.2f later %.2f, want %.2f and %.2f", r.Fixed, r.Later, want, want+2)
	}
	if r.Unpriced != 1 || r.Of(ClassUnpriced)[0].LogicalID != "Odd" {
		t.Errorf("unpriced = %d %v, want the unknown type", r.Unpriced, r.Of(ClassUnpriced))
	}
	if !r.Agnostic || strings.Join(r.Regions, ",") != "eu-west-1,us-east-1" {
		t.Errorf("regions %v agnostic %v", r.Regions, r.Agnostic)
	}
	if got := r.ByStack()["lab-Network"]; !near(got, 2*730*0.011+730*0.048) {
		t.Errorf("lab-Network %.2f", got)
	}
	if s := r.Summary(); !strings.Contains(s, "1 resources not priced") || !strings.Contains(s, "rotated twice") {
		t.Errorf("summary %q", s)
	}
	var b bytes.Buffer
	(&Full{Report: r}).WriteText(&b)
	for _, w := range []string{"lab-Network", "AWS::EC2::NatGateway", "Not priced: 1", "AWS::Foo::Bar", "Free: 1 resources (IAM::Role x1)"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("text report lacks %q:\n%s", w, b.String())
		}
	}

	if _, err := Fixed(testAssembly(), "prod", p); err == nil || !strings.Contains(err.Error(), `no stage "prod"; it has lab`) {
		t.Errorf("missing stage: %v", err)
	}
	a := testAssembly()
	a.Stacks["lab"][0].Region = "ap-south-2"
	if _, err := Fixed(a, "lab", p); err == nil || !strings.Contains(err.Error(), "ap-south-2, which the price table") {
		t.Errorf("uncovered region: %v", err)
	}
}

func TestStorageFromLifecycleRules(t *testing.T) {
	rules, err := Storage(testAssembly(), "lab", prices(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 {
		t.Fatalf("%d rules, want 2 (the disabled one left out): %+v", len(rules), rules)
	}
	bcl := rules[0]
	if bcl.Filter != "tag biolake:data-class=bcl" || bcl.Ladder() != "STANDARD $0.02300 -> day 60 DEEP_ARCHIVE $0.00099" {
		t.Errorf("bcl: filter %q ladder %q", bcl.Filter, bcl.Ladder())
	}
	// 60 days of Standard, 305 of Deep Archive, one transition per 1,000 objects.
	want := 1000*0.023*60/30.4167 + 1000*0.00099*305/30.4167 + 0.05
	if !near(bcl.YearPerTB, want) {
		t.Errorf("bcl a TB-year %.2f, want %.2f", bcl.YearPerTB, want)
	}
	rep := rules[1]
	want = 1000*0.023*30/30.4167 + 1000*0.0125*70/30.4167 + 0.01
	if rep.ExpireDays != 100 || !near(rep.YearPerTB, want) || !strings.HasSuffix(rep.Ladder(), "expires day 100") {
		t.Errorf("reports: %+v, want %.2f", rep, want)
	}
}

func TestPricesTable(t *testing.T) {
	p := prices(t)
	if _, err := p.Get("vpc.natGateway.hour", "sa-east-1"); err == nil || !strings.Contains(err.Error(), "no value for region sa-east-1") {
		t.Errorf("missing region: %v", err)
	}
	if _, err := p.Get("vpc.nope", "us-east-1"); err == nil || !strings.Contains(err.Error(), `no price "vpc.nope"`) {
		t.Errorf("missing key: %v", err)
	}
	for _, bad := range []struct{ json, want string }{
		{`{"date":"2026-12-02","currency":"USD","hoursPerMonth":730,"regions":["us-east-1","eu-west-1"],"about":"","prices":{"k":{"unit":"u","page":"p","checked":"","usd":{"us-east-1":1}}}}`, "k: no price for eu-west-1"},
		{`{"date":"","currency":"USD","hoursPerMonth":730,"regions":["us-east-1"],"prices":{}}`, "needs a date"},
		{`{"date":"2026-12-02","currency":"USD","hoursPerMonth":730,"regions":["us-east-1"],"prices":{},"extra":1}`, "unknown field"},
	} {
		if _, err := ParsePrices([]byte(bad.json)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParsePrices: %v, want %q", err, bad.want)
		}
	}
	// Every price names its page; the table says which were checked.
	checked := 0
	for _, k := range p.Keys() {
		if p.Prices[k].Checked != "" {
			checked++
		}
	}
	if checked == 0 {
		t.Error("no price says where it was checked")
	}
}

const envYAML = `name: lab
tags: {owner: team}
network: {profile: nat, maxAZs: 1, natGateways: 1, interfaceEndpoints: none}
compute:
  lustre: {mode: per-run}
  workflows:
    - name: wgs
      mapConcurrency: 4
      maxSamples: 4
      timeout: 87h
      steps:
        - {name: Align, image: "x:1", vcpus: 32, memoryMiB: 180000, gpus: 4, queue: Gpu, timeout: 2h}
        - {name: Qc, image: "x:1", vcpus: 4, memoryMiB: 16000, queue: Default, timeout: 1h}
        - {name: Count, image: "x:1", vcpus: 0.5, memoryMiB: 1024, queue: Fargate, timeout: 30m}
`

func TestPerRun(t *testing.T) {
	env, err := config.Parse("lab.yaml", []byte(envYAML))
	if err != nil {
		t.Fatal(err)
	}
	p := prices(t)
	runs, err := PerRun(env, p, RunSize{Samples: 10, InputGB: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	rc := runs[0]
	ebs := 250 * 0.08 / 730 // default root and scratch volumes, gp3
	// Align: 4 GPUs, 32 vCPUs, 180000 MiB -> g6.12xlarge (48 vCPU, 192 GiB, 4 GPU), the cheaper of g5/g6.
	align := rc.Steps[0]
	if align.RunsOn != "g6.12xlarge" || !near(align.Hourly, 4.6016+ebs) || !near(align.PerSample, 2*(4.6016+ebs)) {
		t.Errorf("Align: %+v", align)
	}
	// Qc: 4 vCPU, 16000 MiB on Spot -> m7i.xlarge is 16384 MiB less 6%: too small; c7i.2xlarge (16 GiB) too; m7i.2xlarge or r7i.xlarge fit.
	qc := rc.Steps[1]
	if qc.RunsOn != "m7i.2xlarge Spot" && qc.RunsOn != "r7i.xlarge Spot" {
		t.Errorf("Qc runs on %s", qc.RunsOn)
	}
	if !near(qc.Hourly, math.Min(8*0.0504, 4*0.06615)*0.4+ebs) {
		t.Errorf("Qc hourly %.4f", qc.Hourly)
	}
	count := rc.Steps[2]
	if count.RunsOn != "Fargate ARM64" || !near(count.Hourly, 0.5*0.03238+1*0.00356) {
		t.Errorf("Count: %+v", count)
	}
	wantCompute := 10 * (align.PerSample + qc.PerSample + count.PerSample)
	if !near(rc.Compute, wantCompute) {
		t.Errorf("compute %.2f, want %.2f", rc.Compute, wantCompute)
	}
	// 10 samples, 4 at a time: 3 waves of 3.5 h.
	if rc.Hours != 10.5 || rc.LustreGiB != 1200 || !near(rc.Lustre, 1200*0.14*10.5/730) {
		t.Errorf("hours %.1f lustre %d GiB $%.2f", rc.Hours, rc.LustreGiB, rc.Lustre)
	}
	if rc.Transitions != 30+10*8 || !near(rc.Total, rc.Compute+rc.Lustre+rc.States) {
		t.Errorf("transitions %d total %.2f", rc.Transitions, rc.Total)
	}
	if rc.RestoreTier != "Bulk" || !near(rc.Restore, 200*0.0025) {
		t.Errorf("restore %s %.2f", rc.RestoreTier, rc.Restore)
	}
	// The workflow timeout caps the wall clock.
	runs, err = PerRun(env, p, RunSize{Samples: 100})
	if err != nil || runs[0].Hours != 87 {
		t.Errorf("100 samples: %v hours %.1f, want 87 (the workflow timeout)", err, runs[0].Hours)
	}
	if _, err := PerRun(env, p, RunSize{Samples: 0}); err == nil || !strings.Contains(err.Error(), "accepted: 1 or more") {
		t.Errorf("0 samples: %v", err)
	}
}

func TestDiff(t *testing.T) {
	p := prices(t)
	base, err := Fixed(testAssembly(), "lab", p)
	if err != nil {
		t.Fatal(err)
	}
	a := testAssembly()
	res := a.Stacks["lab"][0].Template["Resources"].(map[string]any)
	delete(res, "Nat")
	res["Ep"].(map[string]any)["Properties"].(map[string]any)["SubnetIds"] = subnets(3)
	res["Srv"] = map[string]any{"Type": "AWS::Transfer::Server"}
	res["Odd2"] = map[string]any{"Type": "AWS::Foo::Baz"}
	head, err := Fixed(a, "lab", p)
	if err != nil {
		t.Fatal(err)
	}
	cmp := Diff(base, head)
	want := 730*0.011 - 730*0.048 + 219
	if !near(cmp.Delta(), want) {
		t.Errorf("delta %.2f, want %.2f", cmp.Delta(), want)
	}
	if len(cmp.Changes) != 3 || len(cmp.NewUnpriced) != 1 {
		t.Fatalf("changes %+v, new unpriced %+v", cmp.Changes, cmp.NewUnpriced)
	}
	var b bytes.Buffer
	cmp.WriteMarkdown(&b)
	for _, w := range []string{"### lab: +$191.99 a month", "| lab-Network | Nat | AWS::EC2::NatGateway |", "-$35.04", "+$219.00", "not priced: Odd2"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("markdown lacks %q:\n%s", w, b.String())
		}
	}
}

// TestTypesInOneClass: a known type is fixed, usage or free, never two of
// them, and the free list holds no type switched off.
func TestTypesInOneClass(t *testing.T) {
	fixed, usage, free := Types()
	seen := map[string]string{}
	for class, types := range map[string][]string{"fixed": fixed, "usage": usage, "free": free} {
		for _, typ := range types {
			if other, ok := seen[typ]; ok {
				t.Errorf("%s is both %s and %s", typ, other, class)
			}
			seen[typ] = class
		}
	}
	if len(free) != len(freeTypes) {
		t.Errorf("%d free types listed, %d in the table", len(free), len(freeTypes))
	}
	if len(fixed) < 14 || len(usage) < 20 {
		t.Errorf("fixed %d, usage %d types: the tables lost entries", len(fixed), len(usage))
	}
}

package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biolake/biolake/config"
)

const envDir = "../environments"

func TestShippedEnvironmentsLoad(t *testing.T) {
	names, err := config.Names(envDir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "dev,prod,staging" {
		t.Fatalf("environments = %v, want dev, prod, staging", names)
	}
	for _, n := range names {
		env, err := config.Load(envDir, n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if env.Name != n || env.Tags.Owner == "" {
			t.Errorf("%s: decoded %+v", n, env)
		}
	}
	dev, _ := config.Load(envDir, "dev")
	if dev.Account != "" || dev.AZContextKey() != "" {
		t.Errorf("dev must be environment-agnostic, got account %q", dev.Account)
	}
	for _, n := range []string{"staging", "prod"} {
		env, _ := config.Load(envDir, n)
		if env.Tier != config.TierProduction || !env.Protection.TerminationProtection ||
			env.DataLake.ObjectLock.Mode != "COMPLIANCE" || env.Network.MaxAZs < 2 ||
			env.Logs.RetentionDays <= dev.Logs.RetentionDays {
			t.Errorf("%s is not stricter than dev: %+v", n, env)
		}
	}
}

func TestDefaults(t *testing.T) {
	env, err := config.Parse("environments/min.yaml", []byte("name: min\ntags: {owner: lab}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if env.Tier != config.TierDevelopment || env.Tags.Project != "biolake" || env.Logs.RetentionDays != 365 ||
		env.Network.Profile != "isolated" || env.Network.MaxAZs != 2 || env.Network.CIDR != "10.40.0.0/16" ||
		!env.Audit.CloudTrailEnabled() || !env.Audit.DataEventsEnabled() ||
		env.DataLake.ObjectLock.Mode != "GOVERNANCE" || env.DataLake.ObjectLock.RetentionDays != 30 {
		t.Fatalf("defaults not applied: %+v", env)
	}
	nat, err := config.Parse("environments/n.yaml", []byte("name: n\ntags: {owner: lab}\nnetwork: {profile: nat}\n"))
	if err != nil || nat.Network.NATGateways != 1 {
		t.Fatalf("nat default: %v %+v", err, nat)
	}
}

func TestBadConfig(t *testing.T) {
	const ok = "name: bad\ntags:\n  owner: lab\n"
	prod := "name: bad\ntier: production\naccount: \"123456789012\"\nregion: eu-west-1\navailabilityZones: [eu-west-1a, eu-west-1b]\n" +
		"tags: {owner: lab}\nprotection: {terminationProtection: true}\ndataLake: {objectLock: {mode: COMPLIANCE}}\n"
	cases := []badCase{
		{"unknown top-level field", ok + "netwrk: {}\n", []string{"bad.yaml:4", "netwrk", "not a known field", "accepted fields here:", "network"}},
		{"misspelt nested field", ok + "network:\n  maxAZ: 2\n", []string{"bad.yaml:5", "network.maxAZ", "accepted fields here: cidr, interfaceEndpoints, maxAZs, natGateways, onPremises, profile"}},
		{"wrong type int", ok + "network: {maxAZs: two}\n", []string{"network.maxAZs", `"two"`, "whole number"}},
		{"wrong type bool", ok + "audit: {cloudTrail: yes please}\n", []string{"audit.cloudTrail", "true or false"}},
		{"wrong type string", ok + "account: 123456789012\n", []string{"account", "must be a string", "quote"}},
		{"list expected", ok + "availabilityZones: eu-west-1a\n", []string{"availabilityZones", "must be a list"}},
		{"duplicate key", ok + "tier: development\ntier: production\n", []string{"tier", "already defined"}},
		{"anchor", "name: bad\ntags: &t {owner: lab}\n", []string{"tags", "anchors and aliases"}},
		{"missing name", "tags: {owner: lab}\n", []string{"name", "is required", `"bad"`}},
		{"name mismatch", "name: other\ntags: {owner: lab}\n", []string{"name", `"other"`, `file's name "bad"`}},
		{"missing owner", "name: bad\n", []string{"tags.owner", "is required"}},
		{"bad tier", ok + "tier: prod\n", []string{"tier", `"prod"`, "development or production"}},
		{"athena cutoff below the minimum", ok + "analytics: {bytesScannedCutoffMB: 5}\n", []string{"analytics.bytesScannedCutoffMB", "5", "below Athena's minimum", "at least 10"}},
		{"bad account", ok + "account: \"12345\"\nregion: eu-west-1\n", []string{"account", `"12345"`, "12-digit"}},
		{"account without region", ok + "account: \"123456789012\"\n", []string{"region", "required when account is set"}},
		{"bad region", ok + "account: \"123456789012\"\nregion: europe\n", []string{"region", `"europe"`, "eu-west-1"}},
		{"missing zones", ok + "account: \"123456789012\"\nregion: eu-west-1\n", []string{"availabilityZones", "at least network.maxAZs (2)"}},
		{"foreign zone", ok + "account: \"123456789012\"\nregion: eu-west-1\navailabilityZones: [eu-west-1a, us-east-1b]\n", []string{"availabilityZones[1]", "us-east-1b", "not a zone of region"}},
		{"bad retention", ok + "logs: {retentionDays: 100}\n", []string{"logs.retentionDays", `"100"`, "365"}},
		{"bad profile", ok + "network: {profile: public}\n", []string{"network.profile", `"public"`, "isolated or nat"}},
		{"too many AZs", ok + "network: {maxAZs: 4}\n", []string{"network.maxAZs", "between 1 and 3"}},
		{"nat gateways on isolated", ok + "network: {natGateways: 1}\n", []string{"network.natGateways", "profile isolated"}},
		{"nat gateways beyond AZs", ok + "network: {profile: nat, maxAZs: 2, natGateways: 3}\n", []string{"network.natGateways", "between 1 and network.maxAZs (2)"}},
		{"bad interface endpoints", ok + "network: {profile: nat, interfaceEndpoints: all}\n", []string{"network.interfaceEndpoints", `"all"`, "required or none"}},
		{"no interface endpoints on isolated", ok + "network: {interfaceEndpoints: none}\n", []string{"network.interfaceEndpoints", "needs profile nat"}},
		{"bad cidr", ok + "network: {cidr: 10.40.0.1/16}\n", []string{"network.cidr", "10.40.0.1/16", "/16 to /24"}},
		{"cidr too large", ok + "network: {cidr: 10.0.0.0/8}\n", []string{"network.cidr", "/16 to /24"}},
		{"bad object lock mode", ok + "dataLake: {objectLock: {mode: governance}}\n", []string{"dataLake.objectLock.mode", `"governance"`, "GOVERNANCE or COMPLIANCE"}},
		{"negative object lock days", ok + "dataLake: {objectLock: {retentionDays: -1}}\n", []string{"dataLake.objectLock.retentionDays", `"-1"`, "between 1 and 36500"}},
		{"production without termination protection", strings.Replace(prod, "terminationProtection: true", "terminationProtection: false", 1), []string{"protection.terminationProtection", "production tier"}},
		{"production with governance lock", strings.Replace(prod, "COMPLIANCE", "GOVERNANCE", 1), []string{"dataLake.objectLock.mode", "COMPLIANCE in the production tier"}},
		{"production without account", "name: bad\ntier: production\ntags: {owner: lab}\nprotection: {terminationProtection: true}\ndataLake: {objectLock: {mode: COMPLIANCE}}\n", []string{"account", "production tier"}},
		{"two documents", ok + "---\nname: x\n", []string{"2 YAML documents"}},
		{"not yaml", "name: [unclosed\n", []string{"not valid YAML"}},
	}
	checkBad(t, cases)
	// The production example must itself be valid, so each case above fails
	// for the reason it names.
	if _, err := config.Parse("environments/bad.yaml", []byte(prod)); err != nil {
		t.Fatalf("production baseline rejected: %v", err)
	}
}

func TestUnknownEnvironment(t *testing.T) {
	for _, name := range []string{"nope", "Dev", "../dev", ""} {
		_, err := config.Load(envDir, name)
		if err == nil {
			t.Fatalf("%q accepted", name)
		}
		if !strings.Contains(err.Error(), "dev, prod, staging") {
			t.Errorf("%q: error %q does not list the defined environments", name, err)
		}
	}
}

func TestLoadFromDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lab.yaml"), []byte("name: lab\ntags: {owner: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(dir, "lab"); err != nil {
		t.Fatal(err)
	}
}

func TestBadDataLakeConfig(t *testing.T) {
	const base = "name: bad\ntags: {owner: lab}\n"
	acct := "account: \"123456789012\"\nregion: eu-west-1\navailabilityZones: [eu-west-1a, eu-west-1b]\n"
	cases := []badCase{
		{"transition below S3 minimum", base + "dataLake:\n  tiering:\n    results:\n      rules:\n        - {id: a, transitions: [{storageClass: STANDARD_IA, days: 10}]}\n",
			[]string{"bad.yaml: dataLake.tiering.results.rules[0].transitions[0].days", `"10"`, "30"}},
		{"tiers out of order", base + "dataLake:\n  tiering:\n    results:\n      rules:\n        - {id: a, transitions: [{storageClass: DEEP_ARCHIVE, days: 30}, {storageClass: GLACIER_IR, days: 200}]}\n",
			[]string{"dataLake.tiering.results.rules[0].transitions[1]"}},
		{"duplicate rule ids", base + "dataLake:\n  tiering:\n    curated:\n      rules:\n        - {id: a, expirationDays: 40}\n        - {id: a, expirationDays: 50}\n",
			[]string{"dataLake.tiering.curated.rules[1].id", `"a"`}},
		{"negative days", base + "dataLake:\n  tiering:\n    curated:\n      rules:\n        - {id: a, expirationDays: -5}\n",
			[]string{"dataLake.tiering.curated.rules[0].expirationDays", `"-5"`}},
		{"unknown bucket", base + "dataLake:\n  tiering:\n    scratch: {}\n", []string{"dataLake.tiering", "scratch"}},
		{"unknown storage class", base + "dataLake:\n  tiering:\n    curated:\n      rules:\n        - {id: a, transitions: [{storageClass: GLACIER_DEEP, days: 30}]}\n",
			[]string{"storageClass", "GLACIER_DEEP", "DEEP_ARCHIVE"}},
		{"unknown field in a rule", base + "dataLake:\n  tiering:\n    curated:\n      rules:\n        - {id: a, suffix: .bam}\n",
			[]string{"dataLake.tiering.curated.rules[0].suffix", "not a known field", "dataClass"}},
		{"replication without account", base + "dataLake: {replication: {region: us-west-2}}\n", []string{"dataLake.replication", "account and region"}},
		{"replication to the same region", base + acct + "dataLake: {replication: {region: eu-west-1}}\n", []string{"dataLake.replication.region", "must differ"}},
		{"replication to a bad region", base + acct + "dataLake: {replication: {region: mars}}\n", []string{"dataLake.replication.region", `"mars"`}},
	}
	checkBad(t, cases)
}

func TestBadEventGlueConfig(t *testing.T) {
	const base = "name: bad\ntags: {owner: lab}\n"
	cases := []badCase{
		{"unknown profile", base + "eventGlue:\n  runRules:\n    - {bucket: raw, prefix: runs/, profile: hiseq, channel: datasync}\n",
			[]string{"bad.yaml: eventGlue", "RunRules[0].Profile", `"hiseq"`, "novaseq-x"}},
		{"unknown bucket", base + "eventGlue:\n  runRules:\n    - {bucket: scratch, prefix: runs/, profile: miseq, channel: datasync}\n",
			[]string{"RunRules[0].Bucket", `"scratch"`, "raw"}},
		{"negative concurrency", base + "eventGlue: {reservedConcurrency: {verify: -1}}\n", []string{"ReservedConcurrency.Verify", "-1"}},
		{"bad restore tier", base + "eventGlue: {restoreTier: Fast}\n", []string{"RestoreTier", `"Fast"`, "Bulk"}},
		{"bad alarm email", base + "eventGlue: {alarmEmail: ops}\n", []string{"AlarmEmail", `"ops"`, "e-mail"}},
		{"misspelt field", base + "eventGlue: {mapConcurency: 3}\n", []string{"eventGlue.mapConcurency", "not a known field", "mapConcurrency"}},
		{"bad settle duration", base + "eventGlue:\n  runRules:\n    - {bucket: shared, prefix: drop/, profile: generic, markers: [DONE], channel: filegateway, settleAfter: soon}\n",
			[]string{"eventGlue.runRules[0].settleAfter", "soon", "6h"}},
		{"settle with a manifest", base + "eventGlue:\n  runRules:\n    - {bucket: shared, prefix: drop/, profile: generic, markers: [DONE], manifest: m.sha256, channel: filegateway, settleAfter: 6h}\n",
			[]string{"RunRules[0].SettleAfter", "6h0m0s", "0 with a Manifest"}},
		{"settle on datasync", base + "eventGlue:\n  runRules:\n    - {bucket: raw, prefix: runs/, profile: miseq, channel: datasync, settleAfter: 6h}\n",
			[]string{"RunRules[0].SettleAfter", "datasync channel"}},
		{"settle too short", base + "eventGlue:\n  runRules:\n    - {bucket: shared, prefix: drop/, profile: generic, markers: [DONE], channel: filegateway, settleAfter: 1m}\n",
			[]string{"RunRules[0].SettleAfter", "1m0s", "5m0s"}},
		{"start on settled without a settle rule", base + "eventGlue: {startWorkflowsOnSettled: true}\n",
			[]string{"eventGlue.startWorkflowsOnSettled", "no run rule has settleAfter"}},
	}
	checkBad(t, cases)
}

// TestSettleOptIn: a rule's settleAfter reaches the event glue, and
// startWorkflowsOnSettled every workflow.
func TestSettleOptIn(t *testing.T) {
	env, err := config.Parse("environments/s.yaml", []byte("name: s\ntags: {owner: lab}\n"+
		"eventGlue:\n  startWorkflowsOnSettled: true\n  runRules:\n    - {bucket: shared, prefix: drop/, profile: generic, markers: [DONE], channel: filegateway, settleAfter: 6h}\n"+
		"compute:\n  workflows:\n    - name: qc\n      steps: [{name: Qc, image: public.ecr.aws/x/qc:1, vcpus: 1, memoryMiB: 1024}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := env.EventGlue.Props(env).RunRules[0].SettleAfter; got != 6*time.Hour {
		t.Fatalf("settleAfter %v", got)
	}
	if !env.Compute.WorkflowProps(env, 0, nil).StartOnSettled {
		t.Fatal("StartOnSettled not passed to the workflow")
	}
}

func TestBadTransferConfig(t *testing.T) {
	const base = "name: bad\ntags: {owner: lab}\ntransfer:\n  partners:\n"
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEexn1qcfi5IkFugWbreBzdWwSYCCMC1y7axDXFKzzC4 x"
	cases := []badCase{
		{"two partners with the same home", base + "    - {name: acme, cidrs: [198.51.100.0/24], publicKeys: [\"" + key + "\"]}\n    - {name: ACME, cidrs: [198.51.100.0/24], publicKeys: [\"" + key + "\"]}\n",
			[]string{"bad.yaml: transfer", "Partners[1].Name"}},
		{"invalid CIDR", base + "    - {name: acme, cidrs: [198.51.100.0/33], publicKeys: [\"" + key + "\"]}\n", []string{"Partners[0].CIDRs[0]", "198.51.100.0/33"}},
		{"open to the world", base + "    - {name: acme, cidrs: [0.0.0.0/0], publicKeys: [\"" + key + "\"]}\n", []string{"Partners[0].CIDRs[0]", "0.0.0.0/0"}},
		{"no credentials", base + "    - {name: acme, cidrs: [198.51.100.0/24]}\n", []string{"Partners[0]", "key"}},
		{"bad key", base + "    - {name: acme, cidrs: [198.51.100.0/24], publicKeys: [\"ssh-rsa nonsense\"]}\n", []string{"Partners[0].PublicKeys[0]"}},
		{"FTPS without certificate", "name: bad\ntags: {owner: lab}\ntransfer:\n  protocols: [FTPS]\n  partners:\n    - {name: acme, cidrs: [198.51.100.0/24], createPasswordSecret: true}\n", []string{"CertificateArn"}},
		{"settings without partners", "name: bad\ntags: {owner: lab}\ntransfer: {endpoint: PublicVPC}\n", []string{"transfer.partners", "at least one partner"}},
	}
	checkBad(t, cases)
}

func TestBadDataSyncConfig(t *testing.T) {
	const base = "name: bad\ntags: {owner: lab}\nnetwork: {onPremises: {cidrs: [192.0.2.0/24]}}\ndataSync:\n"
	const nfs = "    - {name: nova, protocol: NFS, server: nas.lab.example, subdirectory: /x, profile: novaseq-x}\n"
	cases := []badCase{
		{"agent with neither ARN nor key", base + "  sources:\n" + nfs, []string{"bad.yaml: dataSync", "AgentArn"}},
		{"SMB without a secret", base + "  activationKey: PARAMETER\n  sources:\n    - {name: mi, protocol: SMB, server: s.lab.example, subdirectory: /x, user: u, profile: miseq}\n",
			[]string{"PasswordSecretArn"}},
		{"invalid schedule", base + "  activationKey: PARAMETER\n  sources:\n    - {name: nova, protocol: NFS, server: nas.lab.example, subdirectory: /x, profile: novaseq-x, schedule: every hour}\n",
			[]string{"Schedule", "every hour"}},
		{"old agent CIDR key", base + "  agentCIDR: 192.0.2.0/24\n  activationKey: PARAMETER\n  sources:\n" + nfs, []string{"dataSync.agentCIDR", "no longer accepted", "network.onPremises.cidrs"}},
		{"activation without the lab's networks", "name: bad\ntags: {owner: lab}\ndataSync:\n  activationKey: PARAMETER\n  sources:\n" + nfs, []string{"network.onPremises.cidrs", "is required with dataSync.activationKey"}},
		{"duplicate source names", base + "  activationKey: PARAMETER\n  sources:\n" + nfs + nfs, []string{"Sources[1].Name", "nova"}},
		{"agent without sources", base + "  activationKey: PARAMETER\n", []string{"dataSync.sources", "at least one source"}},
	}
	checkBad(t, cases)
}

func TestBadFileGatewayConfig(t *testing.T) {
	const base = "name: bad\ntags: {owner: lab}\nfileGateway:\n"
	const arn = "  gatewayArn: arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-12A3456B\n"
	cases := []badCase{
		{"shares without gateway", base + "  shares:\n    - {name: x, bucket: curated, readOnly: true}\n", []string{"fileGateway.gatewayArn", "is required"}},
		{"bad gateway ARN", base + "  gatewayArn: sgw-1\n", []string{"bad.yaml: fileGateway", "GatewayARN", "sgw-1"}},
		{"read-write curated share", base + arn + "  shares:\n    - {name: x, bucket: curated}\n", []string{"Shares[0]", "curated"}},
		{"share open to the world", base + arn + "  shares:\n    - {name: x, bucket: curated, readOnly: true, clientCIDRs: [0.0.0.0/0]}\n", []string{"Shares[0].ClientCIDRs", "0.0.0.0/0"}},
		{"SMB without users", base + arn + "  shares:\n    - {name: x, protocol: SMB, bucket: shared, prefix: share/}\n", []string{"Shares[0].SMBUsers"}},
		{"gateway ARN and EC2", base + arn + "  ec2: {cacheDiskGiB: 150}\n", []string{"fileGateway.ec2", "either an existing gateway (gatewayArn) or one hosted on EC2 (ec2), not both"}},
		{"old client CIDRs key", base + arn + "  clientCIDRs: [192.0.2.0/24]\n", []string{"fileGateway.clientCIDRs", "no longer accepted", "network.onPremises.cidrs"}},
		{"EC2 cache too small", base + "  ec2: {cacheDiskGiB: 100}\n", []string{"bad.yaml: fileGateway", "EC2.CacheDiskGiB is 100; accepted: 150 to 16384 GiB"}},
		{"EC2 cache missing", base + "  ec2: {instanceType: m5.xlarge}\n", []string{"EC2.CacheDiskGiB is 0"}},
		{"EC2 instance too small", base + "  ec2: {instanceType: t3.large, cacheDiskGiB: 150}\n", []string{`EC2.InstanceType is "t3.large"`, "at least 4 vCPUs and 16 GiB"}},
		{"EC2 unknown key", base + "  ec2: {cacheDiskGiB: 150, cacheDisk: 200}\n", []string{"cacheDisk"}},
	}
	checkBad(t, cases)
}

// TestBadOnPremisesConfig: each bad network.onPremises setting is refused
// at its YAML path with the value and what is accepted.
func TestBadOnPremisesConfig(t *testing.T) {
	const base = "name: bad\ntags: {owner: lab}\nnetwork:\n  cidr: 10.40.0.0/16\n  onPremises:\n"
	const vpn = "    link: vpn\n    cidrs: [192.168.0.0/16]\n    vpn:\n"
	cases := []badCase{
		{"lab network overlaps the VPC", base + "    cidrs: [192.168.0.0/16, 10.40.8.0/24]\n", []string{"network.onPremises.cidrs[1]", `"10.40.8.0/24"`, "does not overlap the VPC's CIDR 10.40.0.0/16"}},
		{"malformed lab network", base + "    cidrs: [192.168.0/16]\n", []string{"network.onPremises.cidrs[0]", "IPv4 prefix"}},
		{"lab network listed twice", base + "    cidrs: [192.168.0.0/16, 192.168.0.0/16]\n", []string{"network.onPremises.cidrs[1]", "listed twice"}},
		{"unknown link", base + "    link: ipsec\n", []string{"network.onPremises.link", `"ipsec"`, "none, vpn or directconnect"}},
		{"vpn without gateway IP", base + "    link: vpn\n", []string{"network.onPremises.vpn.customerGatewayIP", "is required"}},
		{"malformed gateway IP", base + vpn + "      customerGatewayIP: 203.0.113.300\n", []string{"network.onPremises.vpn.customerGatewayIP", `"203.0.113.300"`, "public IPv4 address"}},
		{"private gateway IP over the internet", base + vpn + "      customerGatewayIP: 192.168.1.1\n", []string{"network.onPremises.vpn.customerGatewayIP", `"192.168.1.1"`, "over the internet", "private-IP VPN over Direct Connect"}},
		{"invalid ASN", base + vpn + "      customerGatewayIP: 203.0.113.12\n      customerGatewayASN: 4294967295\n", []string{"network.onPremises.vpn.customerGatewayASN", `"4294967295"`, "1 to 4294967294"}},
		{"reserved ASN", base + vpn + "      customerGatewayIP: 203.0.113.12\n      customerGatewayASN: 65535\n", []string{"network.onPremises.vpn.customerGatewayASN", "reserved"}},
		{"public Amazon-side ASN", base + "    amazonSideASN: 16509\n", []string{"network.onPremises.amazonSideASN", `"16509"`, "64512 to 65534"}},
		{"unknown routing", base + vpn + "      customerGatewayIP: 203.0.113.12\n      routing: rip\n", []string{"network.onPremises.vpn.routing", `"rip"`, "bgp or static"}},
		{"static routing without networks", base + "    link: vpn\n    vpn: {customerGatewayIP: 203.0.113.12, routing: static}\n", []string{"network.onPremises.cidrs", "required with routing static"}},
		{"directconnect without gateway id", base + "    link: directconnect\n", []string{"network.onPremises.directConnect.gatewayId", "is required", "outside CloudFormation"}},
		{"directconnect bad gateway id", base + "    link: directconnect\n    directConnect: {gatewayId: dxgw-1}\n", []string{"network.onPremises.directConnect.gatewayId", `"dxgw-1"`, "UUID"}},
		{"directconnect bad connection id", base + "    link: directconnect\n    directConnect: {gatewayId: 5f2b1c3e-0a4d-4b6f-9e1c-2d3e4f5a6b7c, connectionIds: [dxcon-fh6ayh1d, dxlag-ffrz71kw]}\n", []string{"network.onPremises.directConnect.connectionIds[1]", `"dxlag-ffrz71kw"`, "dxcon-"}},
		{"directconnect connection twice", base + "    link: directconnect\n    directConnect: {gatewayId: 5f2b1c3e-0a4d-4b6f-9e1c-2d3e4f5a6b7c, connectionIds: [dxcon-fh6ayh1d, dxcon-fh6ayh1d]}\n", []string{"network.onPremises.directConnect.connectionIds[1]", "listed twice"}},
		{"vpn settings with another link", base + "    link: directconnect\n    directConnect: {gatewayId: 5f2b1c3e-0a4d-4b6f-9e1c-2d3e4f5a6b7c}\n    vpn: {customerGatewayIP: 203.0.113.12}\n", []string{"network.onPremises.vpn", "link vpn only"}},
		{"unknown field", base + "    vpn: {customerGatewayIp: 203.0.113.12}\n", []string{"network.onPremises.vpn.customerGatewayIp", "not a known field", "customerGatewayIP"}},
	}
	checkBad(t, cases)
	for _, good := range []string{
		base + "    link: vpn\n    cidrs: [192.168.0.0/16]\n    vpn: {customerGatewayIP: 203.0.113.12, customerGatewayASN: 65010, routing: static}\n",
		base + "    link: directconnect\n    directConnect: {gatewayId: 5f2b1c3e-0a4d-4b6f-9e1c-2d3e4f5a6b7c}\n",
		base + "    link: directconnect\n    directConnect: {gatewayId: 5f2b1c3e-0a4d-4b6f-9e1c-2d3e4f5a6b7c, connectionIds: [dxcon-fh6ayh1d]}\n",
		base + "    link: none\n    cidrs: [172.16.0.0/12]\n",
	} {
		env, err := config.Parse("environments/bad.yaml", []byte(good))
		if err != nil {
			t.Errorf("refused: %v\n%s", err, good)
			continue
		}
		if p := env.Network.OnPremises.Props(env); p.Link == "" || p.ValidateSettings() != nil {
			t.Errorf("props %+v: %v", p, p.ValidateSettings())
		}
	}
}

// badCase is an environment file that must be refused, and the substrings
// its error must contain.
type badCase struct {
	name, yaml string
	want       []string
}

// checkBad parses each case as environments/bad.yaml and checks that it is
// refused with an error naming the file and every wanted substring.
func checkBad(t *testing.T, cases []badCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("environments/bad.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.yaml)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "environments/bad.yaml") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestBadMLConfig(t *testing.T) {
	const base = "name: bad\ntags: {owner: lab}\nml:\n  enabled: true\n"
	cases := []badCase{
		{"invalid user-profile name", base + "  userProfiles: [jdoe, j_doe]\n", []string{"bad.yaml: ml", "UserProfiles[1]", "j_doe", "letters, digits and '-'"}},
		{"idle timeout below the minimum", base + "  idleTimeoutMinutes: 30\n", []string{"IdleTimeoutMinutes", "30", "60 to 525600"}},
		{"idle timeout above the maximum", base + "  idleTimeoutMinutes: 600000\n", []string{"IdleTimeoutMinutes", "600000", "60 to 525600"}},
		{"feature of an unknown type", base + "  featureGroup: {name: qc, recordIdentifier: id, eventTime: t, features: [{name: id, type: String}, {name: t, type: Date}]}\n",
			[]string{"FeatureGroup.Features[1].Type", "Integral, Fractional or String"}},
		{"unknown field", base + "  profiles: [jdoe]\n", []string{"ml.profiles"}},
		{"settings of a disabled domain", "name: bad\ntags: {owner: lab}\nml: {userProfiles: [jdoe]}\n", []string{"ml.enabled", "set it to true"}},
	}
	checkBad(t, cases)
	env, err := config.Parse("environments/ok.yaml", []byte("name: ok\ntags: {owner: lab}\nml: {enabled: true, userProfiles: [jdoe]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := env.ML.Props(env); p.DomainName != "biolake-ok" || p.ModelPackageGroupName != "biolake-ok-models" || len(p.UserProfiles) != 1 {
		t.Errorf("props %+v", p)
	}
}

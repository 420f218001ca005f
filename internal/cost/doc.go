package cost

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// NetworkChoice compares the two ways an environment's VPC reaches AWS
// services: an interface endpoint in each zone for every service its
// constructs call from the VPC, or NAT gateways (each with a public IPv4
// address) and no interface endpoints.
type NetworkChoice struct {
	Region string
	// Required are the endpoints the constructs require, sorted.
	Required []string
	AZs      int
	// Endpoints is their monthly charge in AZs zones.
	Endpoints float64
	// NAT1 is one NAT gateway and its address a month; NATPerAZ one in each
	// zone.
	NAT1, NATPerAZ float64
}

// CompareNetwork prices the two ways for the endpoints required (duplicates
// allowed) in azs zones of region.
func CompareNetwork(region string, required []string, azs int, p *Prices) (NetworkChoice, error) {
	c := NetworkChoice{Region: region, AZs: azs}
	for _, e := range required {
		if !slices.Contains(c.Required, e) {
			c.Required = append(c.Required, e)
		}
	}
	slices.Sort(c.Required)
	ep, err := p.Get("vpc.interfaceEndpoint.hour", region)
	if err != nil {
		return c, err
	}
	nat, err := p.Get("vpc.natGateway.hour", region)
	if err != nil {
		return c, err
	}
	ip, err := p.Get("vpc.publicIPv4.hour", region)
	if err != nil {
		return c, err
	}
	c.Endpoints = float64(len(c.Required)*azs) * ep * p.HoursPerMonth
	c.NAT1 = (nat + ip) * p.HoursPerMonth
	c.NATPerAZ = float64(azs) * c.NAT1
	return c, nil
}

// DocEnv is one environment of docs/COSTS.md.
type DocEnv struct {
	Full    *Full
	Profile string // the environment's network profile
	Network NetworkChoice
}

// WriteDoc writes docs/COSTS.md: how the figures are made, the table of
// each environment, what drives each line and how to lower it, and how to
// refresh the prices.
func WriteDoc(w io.Writer, p *Prices, envs []DocEnv) {
	fmt.Fprintf(w, `# Costs

<!-- Written by internal/cost from the synthesized app: go test ./test -run TestCostDoc -update. Do not edit by hand. -->

What each environment costs, estimated offline from its synthesized
templates and its environment file by `+"`internal/cost`"+` with the price
table `+"`internal/cost/prices.json`"+` (%s, on-demand list prices in USD, %g hours a
month, no free tier). Every resource is sorted into one of four classes:

- **fixed**: billed every hour it exists, idle or not; priced below, per month;
- **usage**: billed only for what it stores or processes (buckets, functions,
  queues, logs, on-demand tables, compute environments that scale to zero);
- **free**: no charge of its own (IAM, security groups, subnets, launch templates...);
- **not priced**: a type the model does not know; listed, never counted as zero.

`+"`make synth`"+` prints the fixed figure in its summary line; `+"`make cost ENV=NAME`"+`
itemizes it with the cost per run and the storage prices (`+"`MD=file.md`"+` also
writes it as Markdown for a CI comment; `+"`SAMPLES=`"+` and `+"`INPUT_GB=`"+` size the
run); `+"`make cost-diff BASE=path/to/base/cdk.out`"+` prints what a change adds a
month against the cloud assembly of the version before it.

The cost per run is an upper bound: every step of every sample runs for its
whole timeout on the cheapest instance type of its queue's first compute
environment that fits it alone (Spot at %.0f%% of on-demand, an estimate),
with its root and scratch volumes; plus the per-run FSx for Lustre file
system for the run's longest duration and the Step Functions transitions.
Data transfer, S3 requests and Lambda invocations of a run are cents and
left out.

| Environment | Fixed a month | Once every KMS key has rotated twice | Not priced |
|---|---:|---:|---:|
`, p.Date, p.HoursPerMonth, 100*p.Prices["ec2.spot.factor"].USD[DefaultRegion])
	for _, e := range envs {
		fmt.Fprintf(w, "| %s | $%.2f | $%.2f | %d |\n", e.Full.Stage, e.Full.Fixed, e.Full.Later, e.Full.Unpriced)
	}
	fmt.Fprintf(w, "\nKMS keys rotate yearly, and each of the first two rotations adds $1 a month to a key: the first column is "+
		"the first year's figure, the second the figure from the third year on.\n\n")

	fmt.Fprintf(w, "## Network: interface endpoints or NAT gateways\n\n")
	fmt.Fprintf(w, "Each construct declares the AWS services it calls from inside the VPC (`network.Network.Require`); "+
		"the network creates an interface endpoint for each, billed in every zone. The NAT profile can do without "+
		"them (`network.interfaceEndpoints: none`), paying for NAT gateways and their public addresses instead, "+
		"plus $0.045/GB processed against $0.01/GB through an endpoint.\n\n")
	fmt.Fprintf(w, "| Environment | Profile | Zones | Endpoints the constructs require | Endpoints a month | One NAT gateway | A NAT gateway per zone |\n|---|---|---:|---|---:|---:|---:|\n")
	for _, e := range envs {
		n := e.Network
		fmt.Fprintf(w, "| %s | %s | %d | %s (%d) | $%.2f | $%.2f | $%.2f |\n", e.Full.Stage, e.Profile, n.AZs, strings.Join(n.Required, ", "), len(n.Required), n.Endpoints, n.NAT1, n.NATPerAZ)
	}
	fmt.Fprintln(w)
	for _, e := range envs {
		if e.Full.Stage != "dev" {
			continue
		}
		n := e.Network
		cheaper := "NAT gateway"
		if n.Endpoints < n.NAT1 {
			cheaper = "interface endpoints"
		}
		fmt.Fprintf(w, "dev uses the %s profile: in its one zone, one NAT gateway with its address costs $%.2f a month against $%.2f for the %d "+
			"endpoints its constructs call, so the %s is cheaper at idle; it also lets jobs pull public container images (the smoke "+
			"workflow's image is on public.ecr.aws, Nextflow pipelines pull from public registries), which no interface endpoint "+
			"can reach. Its DataSync agent then activates over the public DataSync endpoint. staging and prod keep an endpoint "+
			"for every service they call: traffic to AWS APIs stays on the AWS network, as their tier asks.\n\n",
			e.Profile, n.NAT1, n.Endpoints, len(n.Required), cheaper)
		keys := int((e.Full.Later-e.Full.Fixed)/2 + 0.5)
		fmt.Fprintf(w, "dev's fixed cost is then $%.2f a month in its first year, $%.2f in the second and $%.2f from the third, as its %d KMS keys "+
			"rotate; supplying one key to several constructs lowers that.\n\n", e.Full.Fixed, e.Full.Fixed+float64(keys), e.Full.Later, keys)
	}

	for _, e := range envs {
		e.Full.WriteMarkdown(w, 2)
	}

	fmt.Fprintf(w, "## What drives each line and how to lower it\n\n")
	for _, l := range drivers {
		fmt.Fprintf(w, "- **%s**: %s\n", l[0], l[1])
	}
	fmt.Fprintf(w, `
Not in the fixed figures: the CloudWatch free tier (10 alarm metrics, 3
dashboards an account), Savings Plans and Reserved Instances, taxes, and
support plans. Storage figures start every object in S3 Standard on day 0;
DataSync writes instrument runs as STANDARD_IA (its location's storage
class), which costs less for the first days. Objects deleted or moved before
a class's minimum duration (30 days Standard-IA, 90 Glacier Instant and
Flexible Retrieval, 180 Deep Archive) are billed for the minimum.

## The price table and how to refresh it

`+"`internal/cost/prices.json`"+` holds %d prices for %s, dated %s. Each
entry names its unit, its AWS pricing page and, under `+"`checked`"+`, the page it
was compared with on that date (%d of them); entries with an empty `+"`checked`"+`
were taken from the AWS Price List API offer files without a second look.

To refresh it:

1. Download the offer file of each service for each region
   (`+"`https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<offer>/current/<region>/index.json`"+`,
   offers AmazonVPC, AmazonEC2, AWSTransfer, AmazonFSx, awskms,
   AWSSecretsManager, AmazonCloudWatch, AWSCloudTrail, AmazonS3, AWSLambda,
   AWSStepFunctions, AWSBackup), or read the pricing pages named in the table.
2. Update the `+"`usd`"+` values, set `+"`date`"+`, and say in `+"`checked`"+` what you compared each price with.
3. A region the environments newly use needs a value in every entry: the
   table refuses an entry that lacks one, and `+"`make cost`"+` refuses a stack
   in a region the table does not cover, rather than price it at zero.
4. Run `+"`go test ./internal/cost/ && go test ./test -run TestCostDoc -update`"+`
   and review the diff of this file.
`, len(p.Prices), strings.Join(p.Regions, ", "), p.Date, checkedCount(p))
}

func checkedCount(p *Prices) int {
	n := 0
	for _, e := range p.Prices {
		if e.Checked != "" {
			n++
		}
	}
	return n
}

// drivers say, per kind of fixed line, what drives it and how to lower it.
var drivers = [][2]string{
	{"Interface endpoints (AWS::EC2::VPCEndpoint)", "one per service the constructs call from the VPC, billed per zone (network.maxAZs). Lower: fewer zones; or, where internet egress is acceptable, `profile: nat` with `interfaceEndpoints: none`."},
	{"NAT gateways and their addresses (AWS::EC2::NatGateway, AWS::EC2::EIP)", "one per `network.natGateways`, each with a public IPv4 address. Lower: one NAT gateway for all zones (a zone outage then cuts the others' egress), or the isolated profile."},
	{"Site-to-Site VPN connection (AWS::EC2::VPNConnection)", "one per `network.onPremises.link: vpn`, billed every hour it exists, up or down, plus data transfer out; its gateways and routes are free. Direct Connect port hours are billed outside CloudFormation (docs/NETWORK.md). Lower: `link: none` where TLS over the internet is acceptable."},
	{"Transfer Family server (AWS::Transfer::Server)", "billed per enabled protocol every hour the server exists, even stopped. Lower: list partners (`transfer.partners`) only in environments where they upload; dev has none."},
	{"FSx for Lustre (AWS::FSx::FileSystem)", "capacity times the price of the deployment type and throughput tier, plus backups. Lower: `compute.lustre.mode: per-run` (a scratch file system only while a run lasts), a lower `throughputPerTiB`, the least capacity (1200 GiB)."},
	{"The S3 File Gateway instance (AWS::EC2::Instance)", "the instance type and its root and cache volumes. Lower: a smaller `fileGateway.ec2.instanceType` or `cacheDiskGiB`, or an existing gateway (`fileGateway.gatewayArn`)."},
	{"KMS keys (AWS::KMS::Key)", "$1 a month each; with yearly rotation each of the first two rotations adds $1. Lower: supply one key to several constructs (every construct takes a key in its props); keep rotation on."},
	{"Secrets (AWS::SecretsManager::Secret)", "one per partner with a password. Lower: key-only partners (`createPasswordSecret: false`)."},
	{"Alarms and dashboards (AWS::CloudWatch::*)", "per alarm metric; high-resolution alarms cost three times as much. The first 10 alarm metrics of an account are free."},
	{"Batch compute environments", "nothing while idle: every one scales to zero (MinvCpus 0). Jobs are the cost per run."},
}

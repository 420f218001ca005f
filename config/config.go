// Package config is biolake's typed environment configuration. Each
// environment is one YAML file in environments/ (dev, staging, prod, ...).
// Files are decoded strictly: an unknown field, a value of the wrong type, a
// missing required value or an unknown environment name stops the synth with
// an error that names the file, the field path, the bad value and what would
// be accepted. Only bin/ and this package know about environments; constructs
// take typed props.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/biolake/biolake/constructs/secure"
)

// Tier says how strictly an environment is protected.
type Tier string

const (
	// TierDevelopment allows a single AZ, GOVERNANCE-mode Object Lock and no
	// termination protection.
	TierDevelopment Tier = "development"
	// TierProduction requires an account and region, termination protection on
	// stateful stacks, at least two AZs and a year or more of log retention.
	TierProduction Tier = "production"
)

// Environment is one environment file.
type Environment struct {
	// Name of the environment; must equal the file name without .yaml. Required.
	Name string `yaml:"name"`
	// Tier: development or production. Default: development.
	Tier Tier `yaml:"tier"`
	// Account is the 12-digit AWS account id; empty makes the stacks
	// environment-agnostic (synth needs no account). Default: "".
	Account string `yaml:"account"`
	// Region, required when Account is set, for example eu-west-1. Default: "".
	Region string `yaml:"region"`
	// AvailabilityZones of Region to use, required when Account is set, so the
	// synth needs no lookup. At least network.maxAZs names. Default: none.
	AvailabilityZones []string `yaml:"availabilityZones"`
	// Tags are the cost-allocation tags put on every resource.
	Tags Tags `yaml:"tags"`
	// Protection of stateful resources.
	Protection Protection `yaml:"protection"`
	// Logs settings shared by every log group.
	Logs Logs `yaml:"logs"`
	// Audit trail settings.
	Audit Audit `yaml:"audit"`
	// Network (VPC) settings.
	Network Network `yaml:"network"`
	// DataLake holds the buckets' protection and tiering.
	DataLake DataLake `yaml:"dataLake"`
	// EventGlue holds the ingest, verify and restore handlers' settings.
	EventGlue EventGlue `yaml:"eventGlue"`
	// Transfer is the SFTP/FTPS server for partner CROs.
	Transfer Transfer `yaml:"transfer"`
	// DataSync syncs the lab's instrument shares into the raw bucket.
	DataSync DataSync `yaml:"dataSync"`
	// FileGateway shares the data lake with on-premises researchers.
	FileGateway FileGateway `yaml:"fileGateway"`
	// Compute holds Batch, FSx for Lustre and the workflows.
	Compute Compute `yaml:"compute"`
	// Analytics is the Athena workgroup and Glue tables over the catalog
	// and the inventories.
	Analytics Analytics `yaml:"analytics"`
	// Observability is the operations topic's subscriptions and the
	// alarm thresholds.
	Observability Observability `yaml:"observability"`
	// ML is the SageMaker AI domain (VpcOnly), its profiles and model
	// registry, in the Analytics stack.
	ML ML `yaml:"ml"`

	// File is the path the environment was read from (not a YAML field).
	File string `yaml:"-"`
}

// Tags are cost-allocation tags.
type Tags struct {
	// Project tag value. Default: "biolake".
	Project string `yaml:"project"`
	// Owner tag value: a team or contact. Required.
	Owner string `yaml:"owner"`
	// CostCenter tag value, added when set. Default: "".
	CostCenter string `yaml:"costCenter"`
}

// Protection of stateful resources.
type Protection struct {
	// TerminationProtection on stateful stacks. Default: false; required true
	// in the production tier.
	TerminationProtection bool `yaml:"terminationProtection"`
}

// Logs settings.
type Logs struct {
	// RetentionDays of every CloudWatch log group; one of the values
	// CloudWatch Logs accepts. Default: 365.
	RetentionDays int `yaml:"retentionDays"`
}

// Audit settings.
type Audit struct {
	// CloudTrail creates a trail for this environment. Turn it off where an
	// organization trail already records the account. Default: true.
	CloudTrail *bool `yaml:"cloudTrail"`
	// DataEvents records S3 data events on the data buckets. Default: true.
	DataEvents *bool `yaml:"dataEvents"`
}

// Network settings.
type Network struct {
	// Profile: isolated (private subnets and VPC endpoints only) or nat
	// (private subnets with NAT gateways). Default: isolated.
	Profile string `yaml:"profile"`
	// MaxAZs is the number of availability zones, 1 to 3. Default: 2.
	MaxAZs int `yaml:"maxAZs"`
	// NATGateways, nat profile only: 1 to maxAZs. Default: 1.
	NATGateways int `yaml:"natGateways"`
	// CIDR of the VPC, an IPv4 prefix from /16 to /24. Default: 10.40.0.0/16.
	CIDR string `yaml:"cidr"`
	// InterfaceEndpoints: required (an interface endpoint for each AWS
	// service the environment's constructs call from inside the VPC) or
	// none (every call leaves through the NAT gateways; profile nat only).
	// docs/COSTS.md compares the two. Default: required.
	InterfaceEndpoints string `yaml:"interfaceEndpoints"`
	// OnPremises is the link to the lab's network and the lab's networks
	// (see OnPremises). Default: link none, no networks.
	OnPremises OnPremises `yaml:"onPremises"`
}

// Values of Network.InterfaceEndpoints.
const (
	EndpointsRequired = "required"
	EndpointsNone     = "none"
)

// CloudTrailEnabled reports whether the environment creates its own trail.
func (a Audit) CloudTrailEnabled() bool { return a.CloudTrail == nil || *a.CloudTrail }

// DataEventsEnabled reports whether the trail records S3 data events.
func (a Audit) DataEventsEnabled() bool { return a.DataEvents == nil || *a.DataEvents }

var (
	namePattern    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	tagPattern     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$`)
)

// LogRetentionValues are the retention periods CloudWatch Logs accepts, in days.
var LogRetentionValues = secure.LogRetentionValues

// Names lists the environments defined in dir, sorted; the pipeline's
// file (PipelineName) is not an environment and is left out.
func Names(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("config: cannot list environments in %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() && n != PipelineName {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// Load reads, decodes, defaults and validates environment name from dir.
func Load(dir, name string) (*Environment, error) {
	names, err := Names(dir)
	if err != nil {
		return nil, err
	}
	if !namePattern.MatchString(name) {
		return nil, fmt.Errorf("config: environment name %q is not valid: use lower-case letters, digits and '-', starting with a letter, at most 20 characters; defined environments: %s", name, strings.Join(names, ", "))
	}
	if name == PipelineName {
		return nil, fmt.Errorf("config: %q is the delivery pipeline's file, not an environment: read it with LoadPipeline; defined environments: %s", name, strings.Join(names, ", "))
	}
	file := filepath.Join(dir, name+".yaml")
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config: unknown environment %q: there is no %s; defined environments: %s", name, file, strings.Join(names, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(file, data)
}

// Parse decodes, defaults and validates one environment file's content.
func Parse(file string, data []byte) (*Environment, error) {
	env := &Environment{}
	if err := decodeStrict(file, data, env); err != nil {
		return nil, err
	}
	env.File = file
	env.applyDefaults()
	if err := env.Validate(); err != nil {
		return nil, err
	}
	return env, nil
}

func (e *Environment) applyDefaults() {
	if e.Tier == "" {
		e.Tier = TierDevelopment
	}
	if e.Tags.Project == "" {
		e.Tags.Project = "biolake"
	}
	if e.Logs.RetentionDays == 0 {
		e.Logs.RetentionDays = 365
	}
	if e.Network.Profile == "" {
		e.Network.Profile = "isolated"
	}
	if e.Network.MaxAZs == 0 {
		e.Network.MaxAZs = 2
	}
	if e.Network.Profile == "nat" && e.Network.NATGateways == 0 {
		e.Network.NATGateways = 1
	}
	if e.Network.CIDR == "" {
		e.Network.CIDR = "10.40.0.0/16"
	}
	if e.Network.InterfaceEndpoints == "" {
		e.Network.InterfaceEndpoints = EndpointsRequired
	}
	if e.Network.OnPremises.Link == "" {
		e.Network.OnPremises.Link = "none"
	}
	e.DataLake.applyDefaults(e)
}

func (e *Environment) fail(path, value, format string, args ...any) error {
	return &FieldError{File: e.File, Path: path, Value: value, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks every field and the rules between fields. It returns the
// first problem found.
func (e *Environment) Validate() error {
	base := strings.TrimSuffix(filepath.Base(e.File), ".yaml")
	switch {
	case e.Name == "":
		return e.fail("name", "", "is required; set it to %q, the file's name", base)
	case e.Name != base:
		return e.fail("name", e.Name, "must equal the file's name %q", base)
	}
	if e.Tier != TierDevelopment && e.Tier != TierProduction {
		return e.fail("tier", string(e.Tier), "is not accepted; use development or production")
	}
	if e.Account != "" && !accountPattern.MatchString(e.Account) {
		return e.fail("account", e.Account, "must be a 12-digit AWS account id, or empty for an environment-agnostic synth")
	}
	if e.Account != "" && e.Region == "" {
		return e.fail("region", "", "is required when account is set, for example eu-west-1")
	}
	if e.Region != "" && !regionPattern.MatchString(e.Region) {
		return e.fail("region", e.Region, "is not an AWS region name such as eu-west-1 or us-east-1")
	}
	if e.Region != "" && e.Account == "" {
		return e.fail("account", "", "is required when region is set (or leave both empty for an environment-agnostic synth)")
	}
	if e.Account != "" && len(e.AvailabilityZones) < e.Network.MaxAZs {
		return e.fail("availabilityZones", strings.Join(e.AvailabilityZones, ","), "must list at least network.maxAZs (%d) zones of %s when account is set, so that synth needs no lookup", e.Network.MaxAZs, e.Region)
	}
	seenAZ := map[string]bool{}
	for i, az := range e.AvailabilityZones {
		if !strings.HasPrefix(az, e.Region) || len(az) <= len(e.Region) {
			return e.fail(fmt.Sprintf("availabilityZones[%d]", i), az, "is not a zone of region %q (for example %sa)", e.Region, e.Region)
		}
		if seenAZ[az] {
			return e.fail(fmt.Sprintf("availabilityZones[%d]", i), az, "is listed twice")
		}
		seenAZ[az] = true
	}
	if e.Tags.Owner == "" {
		return e.fail("tags.owner", "", "is required: the team or contact that owns this environment's cost")
	}
	for path, v := range map[string]string{"tags.project": e.Tags.Project, "tags.owner": e.Tags.Owner, "tags.costCenter": e.Tags.CostCenter} {
		if v != "" && !tagPattern.MatchString(v) {
			return e.fail(path, v, "is not a valid tag value: up to 256 letters, digits, spaces and _ . : / = + - @")
		}
	}
	if !containsInt(LogRetentionValues, e.Logs.RetentionDays) {
		return e.fail("logs.retentionDays", fmt.Sprint(e.Logs.RetentionDays), "is not a retention CloudWatch Logs accepts; use one of %s", intsList(LogRetentionValues))
	}
	if err := e.validateNetwork(); err != nil {
		return err
	}
	if err := e.validateOnPremises(); err != nil {
		return err
	}
	if err := e.DataLake.validate(e); err != nil {
		return err
	}
	if err := e.Transfer.validate(e); err != nil {
		return err
	}
	if err := e.FileGateway.validate(e); err != nil {
		return err
	}
	// DataSync before the event glue, whose run rules derive from its sources.
	if err := e.DataSync.validate(e); err != nil {
		return err
	}
	if err := e.EventGlue.validate(e); err != nil {
		return err
	}
	if err := e.Compute.validate(e); err != nil {
		return err
	}
	if err := e.Analytics.validate(e); err != nil {
		return err
	}
	if err := e.Observability.validate(e); err != nil {
		return err
	}
	if err := e.ML.validate(e); err != nil {
		return err
	}
	if e.Tier == TierProduction {
		switch {
		case e.Account == "":
			return e.fail("account", "", "is required in the production tier")
		case !e.Protection.TerminationProtection:
			return e.fail("protection.terminationProtection", "false", "must be true in the production tier")
		case e.Network.MaxAZs < 2:
			return e.fail("network.maxAZs", fmt.Sprint(e.Network.MaxAZs), "must be at least 2 in the production tier")
		case e.Logs.RetentionDays < 365:
			return e.fail("logs.retentionDays", fmt.Sprint(e.Logs.RetentionDays), "must be at least 365 in the production tier")
		}
	}
	return nil
}

func (e *Environment) validateNetwork() error {
	n := e.Network
	switch n.Profile {
	case "isolated":
		if n.NATGateways != 0 {
			return e.fail("network.natGateways", fmt.Sprint(n.NATGateways), "must be 0 or absent with profile isolated (it has no NAT gateways)")
		}
	case "nat":
		if n.NATGateways < 1 || n.NATGateways > n.MaxAZs {
			return e.fail("network.natGateways", fmt.Sprint(n.NATGateways), "must be between 1 and network.maxAZs (%d)", n.MaxAZs)
		}
	default:
		return e.fail("network.profile", n.Profile, "is not accepted; use isolated or nat")
	}
	if n.MaxAZs < 1 || n.MaxAZs > 3 {
		return e.fail("network.maxAZs", fmt.Sprint(n.MaxAZs), "must be between 1 and 3")
	}
	switch {
	case n.InterfaceEndpoints != EndpointsRequired && n.InterfaceEndpoints != EndpointsNone:
		return e.fail("network.interfaceEndpoints", n.InterfaceEndpoints, "is not accepted; use %s or %s", EndpointsRequired, EndpointsNone)
	case n.InterfaceEndpoints == EndpointsNone && n.Profile != "nat":
		return e.fail("network.interfaceEndpoints", n.InterfaceEndpoints, "needs profile nat: an isolated network reaches AWS services only through its interface endpoints; use %s", EndpointsRequired)
	}
	p, err := netip.ParsePrefix(n.CIDR)
	if err != nil || !p.Addr().Is4() || p.Bits() < 16 || p.Bits() > 24 || p.Masked() != p {
		return e.fail("network.cidr", n.CIDR, "must be an IPv4 network from /16 to /24 written with its network address, for example 10.40.0.0/16")
	}
	return nil
}

// StackEnv reports the account and region, empty for an environment-agnostic synth.
func (e *Environment) StackEnv() (account, region string) { return e.Account, e.Region }

// AZContextKey is the CDK context key that answers the VPC's availability
// zone lookup for this environment, or "" when it is environment-agnostic.
func (e *Environment) AZContextKey() string {
	if e.Account == "" {
		return ""
	}
	return fmt.Sprintf("availability-zones:account=%s:region=%s", e.Account, e.Region)
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func intsList(list []int) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

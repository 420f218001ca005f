package filegateway

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/validation"
)

// Protocol is the file protocol of a share.
type Protocol string

// Protocols.
const (
	NFS Protocol = "NFS"
	// SMB shares authenticate users against Active Directory (the gateway
	// must be joined to a domain); guest access is never enabled.
	SMB Protocol = "SMB"
)

// Squash maps the user ids of NFS clients.
type Squash string

// Squash settings. NoSquash (remote root is root on the share) is not
// offered.
const (
	// RootSquash maps root on a client to nobody (uid 65534).
	RootSquash Squash = "RootSquash"
	// AllSquash maps every client user to nobody.
	AllSquash Squash = "AllSquash"
)

// Defaults and limits.
const (
	DefaultLogRetentionDays    = 365
	DefaultReservedConcurrency = 2
	// MaxReservedConcurrency: Storage Gateway runs at most two refreshes
	// per share at a time, so more handlers would only be refused.
	MaxReservedConcurrency = 2
	// MaxClientCIDRs is the most entries of an NFS share's ClientList.
	MaxClientCIDRs = 100
	// MaxSMBUsers is the most entries of an SMB share's ValidUserList.
	MaxSMBUsers = 100
	// MaxShares: the handler's SHARES variable (about 250 bytes a share)
	// must fit in Lambda's 4 KB environment.
	MaxShares = 12
	// MinCacheDiskGiB is the smallest cache disk of an S3 File Gateway.
	MinCacheDiskGiB = 150
)

// Names of the default shares.
const (
	// DefaultCuratedShare is the read-only NFS share of the whole curated
	// bucket (prefix ""): curated data is what researchers read, and the
	// bucket holds nothing else they may not see.
	DefaultCuratedShare = "curated"
	// DefaultDropShare is the read-write NFS share of the shared bucket's
	// datalake.SharedGatewayPrefix ("share/"), where a lab drops files.
	DefaultDropShare = "drop"
)

// Share is one NFS or SMB file share of the gateway.
type Share struct {
	// Name of the share (FileShareName, and the construct id of its
	// resources): 3 to 32 lower-case letters, digits and '-', starting with
	// a letter, not ending with '-'; unique. Required; no default.
	Name string
	// Protocol is NFS or SMB. Default: NFS.
	Protocol Protocol
	// Bucket the share exports: one of the data lake's data buckets
	// (datalake.DataBucketNames). Required; no default.
	Bucket datalake.BucketName
	// Prefix the share exports, ending in "/" (added when missing); it must
	// not overlap another share's prefix in the same bucket. Default: ""
	// means datalake.SharedGatewayPrefix ("share/") on the shared bucket
	// and the whole bucket on the others.
	Prefix string
	// ReadOnly exports the share read-only, with a role that cannot write.
	// Only shares of the shared bucket may be read-write: the other buckets
	// are written only by their own channels (DataSync, Transfer Family,
	// the pipeline). Default: false.
	ReadOnly bool
	// ClientCIDRs are the networks allowed to mount an NFS share (IPv4
	// prefixes without host bits, never /0; at most 100). Not for SMB.
	// Default: Props.ClientCIDRs.
	ClientCIDRs []string
	// SMBUsers are the Active Directory users and groups ("DOMAIN\\user",
	// "@group") allowed on an SMB share; required for SMB, not for NFS.
	// Default: none.
	SMBUsers []string
	// Squash of an NFS share: RootSquash or AllSquash. Not for SMB.
	// Default: RootSquash.
	Squash Squash
}

// EC2Host hosts the gateway on an EC2 instance in the network's first
// private subnet, activated by a custom resource (see the package doc).
type EC2Host struct {
	// InstanceType of the gateway instance: one of InstanceTypes(), the
	// sizes of the families Storage Gateway recommends for a file gateway
	// (m4, m5, c4, c5, r3, i3) with at least 4 vCPUs and 16 GiB of memory,
	// the gateway's documented minimum, and EBS optimization. Default:
	// "m5.xlarge".
	InstanceType string
	// CacheDiskGiB is the size of the cache disk (one gp3 volume), from
	// MinCacheDiskGiB (150) to MaxCacheDiskGiB (16384: a gateway's cache
	// may grow to 64 TiB, but one gp3 volume holds at most 16 TiB).
	// Required; no default.
	CacheDiskGiB int
	// Timezone of the gateway (its maintenance window and scheduled tasks):
	// "GMT", or "GMT+h:mm"/"GMT-h:mm" with h up to 12. Default: "GMT".
	Timezone string
}

// DefaultInstanceType of EC2Host.InstanceType.
const DefaultInstanceType = "m5.xlarge"

// MaxCacheDiskGiB is the largest cache disk: one gp3 EBS volume holds at
// most 16 TiB.
const MaxCacheDiskGiB = 16384

// MaxGatewayIngressRules is how many inbound rules the gateway's security
// group may get: the default quota of rules per security group is 60.
const MaxGatewayIngressRules = 60

// instanceTypes are the accepted gateway instance types: vCPUs and GiB.
var instanceTypes = map[string][2]float64{
	"m4.xlarge": {4, 16}, "m4.2xlarge": {8, 32}, "m4.4xlarge": {16, 64}, "m4.10xlarge": {40, 160}, "m4.16xlarge": {64, 256},
	"m5.xlarge": {4, 16}, "m5.2xlarge": {8, 32}, "m5.4xlarge": {16, 64}, "m5.8xlarge": {32, 128}, "m5.12xlarge": {48, 192}, "m5.16xlarge": {64, 256}, "m5.24xlarge": {96, 384},
	"c4.4xlarge": {16, 30}, "c4.8xlarge": {36, 60},
	"c5.2xlarge": {8, 16}, "c5.4xlarge": {16, 32}, "c5.9xlarge": {36, 72}, "c5.12xlarge": {48, 96}, "c5.18xlarge": {72, 144}, "c5.24xlarge": {96, 192},
	"r3.xlarge": {4, 30.5}, "r3.2xlarge": {8, 61}, "r3.4xlarge": {16, 122},
	"i3.xlarge": {4, 30.5}, "i3.2xlarge": {8, 61}, "i3.4xlarge": {16, 122}, "i3.8xlarge": {32, 244}, "i3.16xlarge": {64, 488},
}

// InstanceTypes returns the accepted EC2Host.InstanceType values, sorted.
func InstanceTypes() []string {
	out := make([]string, 0, len(instanceTypes))
	for t := range instanceTypes {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

var timezoneRE = regexp.MustCompile(`^GMT([+-](1[0-2]|[0-9]):(00|30|45))?$`)

// Props configures a FileGateway.
type Props struct {
	// Network holds the cache-refresh handler (and its VPC CIDR is the
	// default client list). Required; no default.
	Network network.INetwork
	// Lake holds the buckets the shares export and the data key. Required;
	// no default.
	Lake datalake.ILake
	// GatewayARN is the ARN of an activated S3 File Gateway
	// (arn:aws:storagegateway:REGION:ACCOUNT:gateway/sgw-XXXXXXXX) that
	// gets the shares. Either GatewayARN or EC2 is required, not both.
	// Default: "".
	GatewayARN string
	// GatewayName is the name of the existing gateway (GatewayARN), for
	// MetricCacheDirty and MetricUploadBacklog: Storage Gateway publishes a
	// gateway's metrics under both its id and its name. Ignored with EC2,
	// whose gateway biolake names. Default: "" (those methods return nil
	// for an existing gateway).
	GatewayName string
	// EC2 creates the gateway on an EC2 instance in the network's VPC and
	// activates it, instead of an existing GatewayARN. The network must
	// have the Storage Gateway interface endpoint
	// (network.EndpointStorageGateway). Default: nil.
	EC2 *EC2Host
	// Shares of the gateway. Default: DefaultShares().
	Shares []Share
	// ClientCIDRs is the NFS client list of shares that give none, and on
	// a gateway hosted on EC2 the networks its security group admits to
	// SMB shares. Default: the network's on-premises CIDRs
	// ([network.OnPremises]: the lab's networks that reach the VPC over
	// VPN or Direct Connect); with none, the network's VPC CIDR.
	ClientCIDRs []string
	// LogKey encrypts the audit log group and the handler's log group; its
	// key policy must let CloudWatch Logs use it. Default: a new key with
	// rotation on.
	LogKey awskms.IKey
	// LogRetentionDays of both log groups, one of the values CloudWatch
	// Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400,
	// 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653). Default: 365.
	LogRetentionDays int
	// ReservedConcurrency of the cache-refresh handler, 1 or 2 (Storage
	// Gateway runs at most two refreshes per share at once). Default: 2.
	ReservedConcurrency int
	// AlarmTopic receives the alarms on the dead-letter queues. Either an
	// existing topic or AlarmKey for the one the construct creates, not
	// both. Default: a new KMS-encrypted, TLS-only topic.
	AlarmTopic awssns.ITopic
	// AlarmKey encrypts the alarm topic the construct creates (not with
	// AlarmTopic); an imported key's policy must let CloudWatch alarms
	// (cloudwatch.amazonaws.com) call kms:Decrypt and kms:GenerateDataKey*
	// for this account's topics, as secure.ServiceSNS does, since CDK cannot
	// edit an imported key's policy. Default: nil, and the construct
	// creates a key with rotation on.
	AlarmKey awskms.IKey
	// QueueKey encrypts the cache-refresh queue and its dead-letter queue;
	// an imported key's policy must let EventBridge (events.amazonaws.com)
	// call kms:GenerateDataKey* and kms:Decrypt for this account, as
	// secure.ServiceEvents does, since CDK cannot edit an imported key's
	// policy. Default: nil, and the construct creates a key with rotation
	// on.
	QueueKey awskms.IKey
	// VolumeKey encrypts the root and cache volumes of the EC2 gateway
	// instance (only with EC2). CloudFormation launches the instance with
	// the deploying principal's credentials, so an imported key needs no
	// service statement: its policy must let that principal's IAM
	// permissions use it (the account statement of a default key policy).
	// Default: nil, and the construct creates a key with rotation on.
	VolumeKey awskms.IKey
}

// DefaultShares returns the shares of nil Props.Shares: DefaultCuratedShare
// (NFS, read-only, the whole curated bucket) and DefaultDropShare (NFS,
// read-write, the shared bucket's "share/"), both with RootSquash and the
// default client list.
func DefaultShares() []Share {
	return []Share{
		{Name: DefaultCuratedShare, Protocol: NFS, Bucket: datalake.BucketCurated, ReadOnly: true, Squash: RootSquash},
		{Name: DefaultDropShare, Protocol: NFS, Bucket: datalake.BucketShared, Prefix: datalake.SharedGatewayPrefix, Squash: RootSquash},
	}
}

var retentions = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	nameRE       = regexp.MustCompile(`^[a-z][a-z0-9-]{1,30}[a-z0-9]$`)
	gatewayARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:storagegateway:[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]:[0-9]{12}:gateway/sgw-[0-9A-Fa-f]{8}$`)
	smbUserRE    = regexp.MustCompile(`^@?([A-Za-z0-9][A-Za-z0-9._-]{0,63}\\)?[A-Za-z0-9][A-Za-z0-9._ $-]{0,103}$`)
)

// maxSharesEnv is how much of Lambda's 4 KB environment SHARES may take.
const maxSharesEnv = 3800

type raw = validation.Raw

func badFunc(errs *[]error) func(field string, value any, accepted string, args ...any) {
	return validation.Collector("", errs)
}

// Validate checks p and returns every problem, joined; each names the
// field, the bad value and what is accepted. New panics with the same
// errors.
func (p *Props) Validate() error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Network, Lake, and GatewayARN or EC2 set")
	}
	var errs []error
	bad := badFunc(&errs)
	if p.Network == nil {
		bad("Network", raw("nil"), "the network.INetwork whose VPC holds the cache-refresh handler")
	}
	if p.Lake == nil {
		bad("Lake", raw("nil"), "the datalake.ILake whose buckets the shares export")
	}
	if err := p.ValidateSettings(); err != nil {
		errs = append(errs, err)
	}
	return validation.Join("", errs...)
}

// ValidateSettings checks every setting except the required constructs
// (Network, Lake), so a config layer can check an environment file before
// any construct exists. Validate calls it.
func (p *Props) ValidateSettings() error {
	var errs []error
	bad := badFunc(&errs)
	if p.AlarmTopic != nil && p.AlarmKey != nil {
		errs = append(errs, validation.New("", "Props.AlarmKey", validation.Raw("set"),
			"either an existing topic (AlarmTopic) or AlarmKey for the topic the construct creates, not both"))
	}
	if p.VolumeKey != nil && p.EC2 == nil {
		errs = append(errs, validation.New("", "Props.VolumeKey", validation.Raw("set"),
			"VolumeKey only together with EC2 (it encrypts the volumes of the gateway instance the construct creates; an existing gateway (GatewayARN) has its own)"))
	}
	switch {
	case p.EC2 != nil && p.GatewayARN != "":
		bad("GatewayARN", p.GatewayARN, "either an existing gateway (GatewayARN) or EC2, not both")
	case p.EC2 != nil:
		errs = append(errs, p.validateEC2()...)
	case p.GatewayARN == "":
		bad("GatewayARN", "", "the ARN of an activated S3 File Gateway, such as arn:aws:storagegateway:eu-west-1:111122223333:gateway/sgw-12A3456B, or EC2 to host and activate one on EC2")
	case !gatewayARNRE.MatchString(p.GatewayARN):
		bad("GatewayARN", p.GatewayARN, "a gateway ARN such as arn:aws:storagegateway:eu-west-1:111122223333:gateway/sgw-12A3456B")
	}
	if d := p.LogRetentionDays; d != 0 && !slices.Contains(retentions, d) {
		bad("LogRetentionDays", d, "one of %v, or 0 for the default %d", retentions, DefaultLogRetentionDays)
	}
	if n := p.ReservedConcurrency; n < 0 || n > MaxReservedConcurrency {
		bad("ReservedConcurrency", n, "1 or %d, or 0 for the default %d: Storage Gateway runs at most two refreshes per share at once, more handlers would be refused", MaxReservedConcurrency, DefaultReservedConcurrency)
	}
	errs = append(errs, validateCIDRs("ClientCIDRs", p.ClientCIDRs)...)
	if p.Shares != nil && len(p.Shares) == 0 {
		bad("Shares", raw("empty"), "at least one share, or nil for DefaultShares()")
	}
	if len(p.Shares) > MaxShares {
		bad("Shares", raw(fmt.Sprintf("%d shares", len(p.Shares))), "at most %d: the cache-refresh handler's share mapping must fit in Lambda's 4 KB environment", MaxShares)
	}
	envBytes := 2
	for _, s := range p.Shares {
		envBytes += len(`{"bucket":"","prefix":"","fileShareArn":""},`) + 63 + len(s.Prefix) + 1 + 90
	}
	if envBytes > maxSharesEnv {
		bad("Shares", raw(fmt.Sprintf("about %d bytes of the handler's environment", envBytes)), "at most %d bytes (Lambda's environment holds 4 KB): fewer shares or shorter prefixes", maxSharesEnv)
	}
	errs = append(errs, validateShares(p.Shares)...)
	return validation.Join("", errs...)
}

func validateShares(shares []Share) []error {
	var errs []error
	bad := badFunc(&errs)
	names := map[string]int{}
	type loc struct {
		i      int
		prefix string
	}
	byBucket := map[datalake.BucketName][]loc{}
	for i, s := range shares {
		f := func(field string) string { return fmt.Sprintf("Shares[%d].%s", i, field) }
		if !nameRE.MatchString(s.Name) {
			bad(f("Name"), s.Name, "3 to 32 lower-case letters, digits and '-', starting with a letter and not ending with '-'")
		} else if j, dup := names[s.Name]; dup {
			bad(f("Name"), s.Name, "a name no other share has (Shares[%d] is %q too)", j, s.Name)
		} else {
			names[s.Name] = i
		}
		proto := s.protocol()
		if proto != NFS && proto != SMB {
			bad(f("Protocol"), string(s.Protocol), "%q or %q, or empty for %q", NFS, SMB, NFS)
		}
		if !slices.Contains(datalake.DataBucketNames(), s.Bucket) {
			bad(f("Bucket"), string(s.Bucket), "one of the data buckets %v", datalake.DataBucketNames())
			continue
		}
		if !s.ReadOnly && s.Bucket != datalake.BucketShared {
			bad(f("ReadOnly"), false, "true for a share of the %s bucket: only the %s bucket may be written through the gateway (%s is written only by its own channel: DataSync, Transfer Family or the pipeline)",
				s.Bucket, datalake.BucketShared, s.Bucket)
		}
		prefix, err := s.prefix()
		if err != nil {
			bad(f("Prefix"), s.Prefix, "a key prefix such as %q (%v)", datalake.SharedGatewayPrefix, err)
		} else {
			for _, o := range byBucket[s.Bucket] {
				if strings.HasPrefix(prefix, o.prefix) || strings.HasPrefix(o.prefix, prefix) {
					bad(f("Prefix"), prefix, "a prefix that does not overlap Shares[%d]'s %q in bucket %s (an object would be in two shares)", o.i, o.prefix, s.Bucket)
				}
			}
			byBucket[s.Bucket] = append(byBucket[s.Bucket], loc{i, prefix})
		}
		switch proto {
		case NFS:
			errs = append(errs, validateCIDRs(f("ClientCIDRs"), s.ClientCIDRs)...)
			if len(s.SMBUsers) > 0 {
				bad(f("SMBUsers"), s.SMBUsers, "none for an NFS share (NFS clients are allowed by ClientCIDRs)")
			}
			if s.Squash != "" && s.Squash != RootSquash && s.Squash != AllSquash {
				bad(f("Squash"), string(s.Squash), "%q or %q, or empty for %q (NoSquash would make root on any client root on the share)", RootSquash, AllSquash, RootSquash)
			}
		case SMB:
			if len(s.ClientCIDRs) > 0 {
				bad(f("ClientCIDRs"), s.ClientCIDRs, "none for an SMB share (SMB users are allowed by SMBUsers)")
			}
			if s.Squash != "" {
				bad(f("Squash"), string(s.Squash), "empty for an SMB share (squash is an NFS setting)")
			}
			if len(s.SMBUsers) == 0 {
				bad(f("SMBUsers"), raw("empty"), "at least one Active Directory user or group (\"DOMAIN\\\\user\", \"@group\"): guest access is never enabled")
			}
			if len(s.SMBUsers) > MaxSMBUsers {
				bad(f("SMBUsers"), raw(fmt.Sprintf("%d entries", len(s.SMBUsers))), "at most %d", MaxSMBUsers)
			}
			for j, u := range s.SMBUsers {
				if !smbUserRE.MatchString(u) {
					bad(f(fmt.Sprintf("SMBUsers[%d]", j)), u, "a user (\"jdoe\", \"CORP\\\\jdoe\") or group (\"@researchers\") name")
				}
			}
		}
	}
	return errs
}

func validateCIDRs(field string, cidrs []string) []error {
	var errs []error
	bad := badFunc(&errs)
	if len(cidrs) > MaxClientCIDRs {
		bad(field, raw(fmt.Sprintf("%d entries", len(cidrs))), "at most %d (the limit of a share's client list)", MaxClientCIDRs)
	}
	seen := map[netip.Prefix]bool{}
	for j, c := range cidrs {
		f := fmt.Sprintf("%s[%d]", field, j)
		pfx, err := netip.ParsePrefix(c)
		switch {
		case err != nil || !pfx.Addr().Is4():
			bad(f, c, "an IPv4 prefix such as \"10.20.0.0/16\"")
		case pfx.Bits() == 0:
			bad(f, c, "the clients' own networks; %s would let any address mount the share", c)
		case pfx.Masked() != pfx:
			bad(f, c, "a prefix without host bits, such as %q", pfx.Masked().String())
		case seen[pfx]:
			bad(f, c, "each CIDR once")
		}
		if err == nil {
			seen[pfx] = true
		}
	}
	return errs
}

func (s Share) protocol() Protocol {
	if s.Protocol == "" {
		return NFS
	}
	return s.Protocol
}

// prefix returns the effective prefix of s.
func (s Share) prefix() (string, error) {
	if s.Prefix == "" {
		if s.Bucket == datalake.BucketShared {
			return datalake.SharedGatewayPrefix, nil
		}
		return "", nil
	}
	return datalake.NormalizePrefix(s.Prefix)
}

func (p *Props) withDefaults() Props {
	out := *p
	if out.Shares == nil {
		out.Shares = DefaultShares()
	}
	shares := make([]Share, len(out.Shares))
	for i, s := range out.Shares {
		s.Protocol = s.protocol()
		s.Prefix, _ = s.prefix()
		if s.Protocol == NFS && s.Squash == "" {
			s.Squash = RootSquash
		}
		shares[i] = s
	}
	out.Shares = shares
	if out.LogRetentionDays == 0 {
		out.LogRetentionDays = DefaultLogRetentionDays
	}
	if out.ReservedConcurrency == 0 {
		out.ReservedConcurrency = DefaultReservedConcurrency
	}
	if p.EC2 != nil {
		h := *p.EC2
		if h.InstanceType == "" {
			h.InstanceType = DefaultInstanceType
		}
		if h.Timezone == "" {
			h.Timezone = "GMT"
		}
		out.EC2 = &h
	}
	return out
}

// validateEC2 checks the EC2 host settings.
func (p *Props) validateEC2() []error {
	var errs []error
	bad := badFunc(&errs)
	h := p.EC2
	if t := h.InstanceType; t != "" {
		if _, ok := instanceTypes[t]; !ok {
			bad("EC2.InstanceType", t, "one of %s, or empty for %q: the file gateway families Storage Gateway recommends, with at least 4 vCPUs and 16 GiB of memory",
				strings.Join(InstanceTypes(), ", "), DefaultInstanceType)
		}
	}
	if n := h.CacheDiskGiB; n < MinCacheDiskGiB || n > MaxCacheDiskGiB {
		bad("EC2.CacheDiskGiB", n, "%d to %d GiB: a file gateway needs a cache of at least %d GiB, and one gp3 volume holds at most 16 TiB",
			MinCacheDiskGiB, MaxCacheDiskGiB, MinCacheDiskGiB)
	}
	if tz := h.Timezone; tz != "" && !timezoneRE.MatchString(tz) {
		bad("EC2.Timezone", tz, "\"GMT\", or \"GMT+h:mm\"/\"GMT-h:mm\" with h up to 12 and mm 00, 30 or 45, such as \"GMT+1:00\"; or empty for \"GMT\"")
	}
	shares := p.Shares
	if shares == nil {
		shares = DefaultShares()
	}
	nfs, smb := clientNetworks(shares, p.ClientCIDRs, "VPC")
	if n := 1 + len(nfs)*len(nfsPorts)*2 + len(smb); n > MaxGatewayIngressRules {
		bad("EC2", raw(fmt.Sprintf("a gateway security group of %d inbound rules (%d NFS client networks x 6, %d SMB client networks, HTTP for activation)", n, len(nfs), len(smb))),
			"at most %d inbound rules (the default quota of a security group): fewer distinct client CIDRs", MaxGatewayIngressRules)
	}
	return errs
}

// nfsPorts are the ports an NFS client reaches the gateway on, TCP and
// UDP: portmapper, NFS and mountd.
var nfsPorts = []int{111, 2049, 20048}

// smbPort is the TCP port SMB clients reach the gateway on.
const smbPort = 445

// clientNetworks returns the distinct networks that reach the gateway over
// NFS and over SMB, in order of appearance; vpc stands for the VPC's CIDR
// (the default client list).
func clientNetworks(shares []Share, defaults []string, vpc string) (nfs, smb []string) {
	if len(defaults) == 0 {
		defaults = []string{vpc}
	}
	add := func(list []string, cidrs []string) []string {
		for _, c := range cidrs {
			if !slices.Contains(list, c) {
				list = append(list, c)
			}
		}
		return list
	}
	for _, s := range shares {
		if s.protocol() == SMB {
			smb = add(smb, defaults)
			continue
		}
		if len(s.ClientCIDRs) > 0 {
			nfs = add(nfs, s.ClientCIDRs)
		} else {
			nfs = add(nfs, defaults)
		}
	}
	return nfs, smb
}

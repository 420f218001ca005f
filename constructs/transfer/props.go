package transfer

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"golang.org/x/crypto/ssh"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Protocol is a file transfer protocol the server speaks. Plain FTP is not
// one: it sends passwords in clear text.
type Protocol string

// Protocols.
const (
	SFTP Protocol = "SFTP"
	// FTPS is FTP over TLS (explicit, port 21, passive ports 8192-8200). It
	// needs Props.CertificateArn and a password: there is no key
	// authentication over FTPS.
	FTPS Protocol = "FTPS"
)

// EndpointType says where the server's endpoint is.
type EndpointType string

// Endpoint types. Both are Transfer Family "VPC" endpoints in the network's
// VPC, behind a security group that lets in only the partners' CIDRs.
const (
	// EndpointVPC is internal: the endpoint sits in the network's private
	// subnets and has no internet path (the isolated profile has none at
	// all), so partners reach it over a site-to-site VPN or Direct Connect
	// into the VPC. Works with either network profile.
	EndpointVPC EndpointType = "VPC"
	// EndpointPublicVPC is internet-facing: the endpoint sits in the
	// network's public subnets with one Elastic IP per subnet (partners can
	// allow-list those addresses). It needs a network with profile nat.
	EndpointPublicVPC EndpointType = "PublicVPC"
)

// Defaults and limits of Props.
const (
	// DefaultSecurityPolicy is the pinned Transfer Family security policy
	// (SSH and TLS algorithms). It is the policy the Transfer Family API
	// gives new servers; CloudFormation would otherwise give the 2018-11
	// policy.
	DefaultSecurityPolicy      = "TransferSecurityPolicy-2024-01"
	DefaultLogRetentionDays    = 365
	DefaultReservedConcurrency = 10
	// IdentityProviderMemoryMB gives the identity provider 0.58 vCPU: one
	// argon2id check with the parameters of cmd/biolake-passwd takes about
	// 100 ms there.
	IdentityProviderMemoryMB = 1024
	// MaxSecurityGroupRules is the default limit of inbound rules per
	// security group: partner CIDRs times ports (1 for SFTP, 2 more for
	// FTPS) must fit in it.
	MaxSecurityGroupRules = 60
	// maxPartnersEnv is how much of Lambda's 4 KB environment the PARTNERS
	// variable may take (the other variables need the rest).
	maxPartnersEnv = 3300
	// secretArnEstimate is the length a created secret's ARN is counted
	// with before it exists.
	secretArnEstimate = 110
)

// Partner is a CRO that uploads over the server. Its username is its name
// and its home is <partner bucket>/quarantine/<name>/.
type Partner struct {
	// Name is the partner's username and home directory: 3 to 32 lower-case
	// letters, digits and '-', starting with a letter and not ending with
	// '-'. Names are compared case-insensitively, so no two partners share
	// a home. Required; no default.
	Name string
	// CIDRs are the networks the partner connects from (IPv4 prefixes
	// without host bits, never /0). The identity provider checks
	// the source address against them and, for the server's security group,
	// they are the only addresses let in. Required: at least one; no
	// default.
	CIDRs []string
	// PublicKeys are the partner's SSH public keys in authorized_keys form
	// ("ssh-ed25519 AAAA... comment"; RSA of 2048 bits or more, ECDSA or
	// Ed25519, no options). They allow key authentication over SFTP. They
	// are public and travel in the identity provider's environment (without
	// their comments). Default: none.
	PublicKeys []string
	// PasswordSecretArn is the full ARN of an existing Secrets Manager
	// secret whose string value is the partner's password hash (argon2id or
	// bcrypt, made by cmd/biolake-passwd). Not together with
	// CreatePasswordSecret. Default: "" (no existing secret).
	PasswordSecretArn string
	// CreatePasswordSecret makes the construct create an empty,
	// KMS-encrypted secret for the partner's password hash, which an
	// operator fills with `aws secretsmanager put-secret-value` (see the
	// package doc). Until then password logins of the partner fail. Not
	// together with PasswordSecretArn. Default: false.
	CreatePasswordSecret bool
}

// Props configures a Server.
type Props struct {
	// Network places the server endpoint and the identity provider.
	// Required; no default.
	Network network.INetwork
	// Lake holds the partner bucket the homes are in. Required; no default.
	Lake datalake.ILake
	// Partners are the users of the server, each with a home of its own.
	// Default: none (nobody can log in).
	Partners []Partner
	// Protocols the server speaks, without duplicates: SFTP, FTPS. Default:
	// [SFTP].
	Protocols []Protocol
	// CertificateArn is the ACM certificate of the FTPS endpoint; required
	// with FTPS and only with FTPS. Default: "".
	CertificateArn string
	// Endpoint is EndpointVPC (internal, reached over VPN or Direct
	// Connect) or EndpointPublicVPC (internet-facing with Elastic IPs).
	// Default: EndpointVPC.
	Endpoint EndpointType
	// SecurityPolicy names the Transfer Family security policy. Old
	// policies (2018-11, 2020-06) are refused. Default:
	// DefaultSecurityPolicy ("TransferSecurityPolicy-2024-01").
	SecurityPolicy string
	// LogKey encrypts the server's structured log group and the identity
	// provider's log group; its key policy must let CloudWatch Logs use it.
	// Default: nil, and the construct creates a key with rotation on.
	LogKey awskms.IKey
	// PasswordSecretKey encrypts the password-hash secrets the construct
	// creates (partners with CreatePasswordSecret; not without one).
	// Secrets Manager uses it on the callers' behalf (kms:ViaService), so an
	// imported key needs no service statement: its policy must let this
	// account's IAM policies grant its use (the account statement of a
	// default key policy), since CDK cannot edit an imported key's policy.
	// Default: nil, and the construct creates a key with rotation on.
	PasswordSecretKey awskms.IKey
	// LogRetentionDays of both log groups, one of the values CloudWatch
	// Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400,
	// 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653). Default: 365.
	LogRetentionDays int
	// ReservedConcurrency reserves concurrent executions for the identity
	// provider (one per login in progress), which also caps what a flood of
	// login attempts can cost. Default: 10.
	ReservedConcurrency int
}

// weakPolicies are security policies that still allow SHA-1, CBC ciphers or
// small DH groups.
var weakPolicies = []string{
	"TransferSecurityPolicy-2018-11", "TransferSecurityPolicy-2020-06",
	"TransferSecurityPolicy-FIPS-2020-06", "TransferSecurityPolicy-Restricted-2018-11",
	"TransferSecurityPolicy-Restricted-2020-06",
}

var (
	nameRE      = regexp.MustCompile(`^[a-z][a-z0-9-]{1,30}[a-z0-9]$`)
	policyRE    = regexp.MustCompile(`^TransferSecurityPolicy-[A-Za-z0-9-]{4,60}$`)
	secretArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	certArnRE   = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$`)
)

// keyTypes are the SSH public key types Transfer Family accepts.
var keyTypes = []string{ssh.KeyAlgoED25519, ssh.KeyAlgoRSA, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521}

// raw prints without quotes in an error.
type raw = validation.Raw

// Validate checks p and returns every problem, joined; each names the
// construct, the field, the bad value and what is accepted. New panics with
// the same errors.
func (p *Props) Validate() error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Network and Lake set")
	}
	var errs []error
	bad := badFunc(&errs)
	if p.Network == nil {
		bad("Network", raw("nil"), "the network.INetwork whose VPC holds the server endpoint and the identity provider")
	}
	if p.Lake == nil {
		bad("Lake", raw("nil"), "the datalake.ILake whose partner bucket holds the partners' homes")
	}
	if p.Endpoint == EndpointPublicVPC && p.Network != nil && p.Network.Profile() != network.ProfileNAT {
		bad("Endpoint", string(p.Endpoint), "%q only with a network of profile %q (which has public subnets); the %q profile has no internet path, so use %q and let partners in over VPN or Direct Connect",
			EndpointVPC, network.ProfileNAT, p.Network.Profile(), EndpointVPC)
	}
	if p.Network != nil && p.Network.Profile() == network.ProfileIsolated && p.Network.Vpc() != nil &&
		!p.Network.Provides(network.EndpointSSM) {
		bad("Network", raw("an isolated network without an SSM endpoint"), "an isolated network with network.EndpointSSM in InterfaceEndpoints: "+
			"the identity provider reads the id of the server it serves from a Systems Manager parameter and has no other way to reach it")
	}
	if err := p.ValidateSettings(); err != nil {
		errs = append(errs, err)
	}
	return validation.Join("", errs...)
}

func badFunc(errs *[]error) func(field string, value any, accepted string, args ...any) {
	return validation.Collector("", errs)
}

// ValidateSettings checks every setting except the required constructs
// (Network, Lake), so a config layer can check an environment file before
// any construct exists. Validate calls it.
func (p *Props) ValidateSettings() error {
	var errs []error
	bad := badFunc(&errs)
	if p.PasswordSecretKey != nil && !slices.ContainsFunc(p.Partners, func(pt Partner) bool { return pt.CreatePasswordSecret }) {
		errs = append(errs, validation.New("", "Props.PasswordSecretKey", validation.Raw("set"),
			"PasswordSecretKey only together with a partner's CreatePasswordSecret (it encrypts the secrets the construct creates; existing secrets (PasswordSecretArn) keep their own keys)"))
	}

	protocols := p.Protocols
	if len(protocols) == 0 {
		protocols = []Protocol{SFTP}
	}
	seenProto := map[Protocol]bool{}
	for i, pr := range p.Protocols {
		field := fmt.Sprintf("Protocols[%d]", i)
		switch {
		case strings.EqualFold(string(pr), "FTP"):
			bad(field, string(pr), "%s or %s; plain FTP sends passwords and data in clear text and is never enabled", SFTP, FTPS)
		case pr != SFTP && pr != FTPS:
			bad(field, string(pr), "%s or %s", SFTP, FTPS)
		case seenProto[pr]:
			bad(field, string(pr), "each protocol once")
		}
		seenProto[pr] = true
	}
	ftps := slices.Contains(protocols, FTPS)
	switch {
	case ftps && p.CertificateArn == "":
		bad("CertificateArn", "", "the ARN of an ACM certificate for the FTPS endpoint (FTPS is in Protocols)")
	case !ftps && p.CertificateArn != "":
		bad("CertificateArn", p.CertificateArn, "\"\" unless Protocols has FTPS (the certificate is only for FTPS)")
	case p.CertificateArn != "" && !certArnRE.MatchString(p.CertificateArn):
		bad("CertificateArn", p.CertificateArn, "an ACM certificate ARN such as arn:aws:acm:eu-west-1:111122223333:certificate/1234abcd-...")
	}

	switch p.Endpoint {
	case "", EndpointVPC, EndpointPublicVPC:
	default:
		bad("Endpoint", string(p.Endpoint), "%q or %q, or empty for %q", EndpointVPC, EndpointPublicVPC, EndpointVPC)
	}

	if sp := p.SecurityPolicy; sp != "" {
		switch {
		case slices.Contains(weakPolicies, sp):
			bad("SecurityPolicy", sp, "a current policy such as %q; %s still allows SHA-1, CBC or small Diffie-Hellman groups", DefaultSecurityPolicy, sp)
		case !policyRE.MatchString(sp):
			bad("SecurityPolicy", sp, "a Transfer Family security policy name such as %q, or empty for it", DefaultSecurityPolicy)
		}
	}
	if d := p.LogRetentionDays; d != 0 && !secure.IsLogRetention(d) {
		bad("LogRetentionDays", d, "one of %s, or 0 for the default %d", validation.List(secure.LogRetentionValues), DefaultLogRetentionDays)
	}
	if n := p.ReservedConcurrency; n < 0 || n > 1000 {
		bad("ReservedConcurrency", n, "1 to 1000 executions, or 0 for the default %d", DefaultReservedConcurrency)
	}

	errs = append(errs, validatePartners(p.Partners)...)

	// The security group lets in each partner CIDR on each port.
	cidrs := map[string]bool{}
	for _, pt := range p.Partners {
		for _, c := range pt.CIDRs {
			if pfx, err := netip.ParsePrefix(c); err == nil {
				cidrs[pfx.Masked().String()] = true
			}
		}
	}
	if p.Endpoint == EndpointPublicVPC && len(cidrs) == 0 {
		bad("Partners", raw("empty"), "at least one partner with CIDRs when Endpoint is %q: the internet-facing security group lets in partner CIDRs only", EndpointPublicVPC)
	}
	ports := 0
	if slices.Contains(protocols, SFTP) {
		ports++ // 22
	}
	if ftps {
		ports += 2 // 21, and 8192-8200 for passive data connections
	}
	if n := len(cidrs) * ports; n > MaxSecurityGroupRules {
		bad("Partners", raw(fmt.Sprintf("%d distinct CIDRs", len(cidrs))), "at most %d CIDRs with these protocols: each CIDR takes %d inbound rules of the server's security group, which holds %d",
			MaxSecurityGroupRules/ports, ports, MaxSecurityGroupRules)
	}
	if n := partnersEnvSize(p.Partners); n > maxPartnersEnv {
		bad("Partners", raw(fmt.Sprintf("%d bytes of the identity provider's environment", n)), "at most %d bytes (Lambda's environment holds 4 KB): fewer or shorter public keys (an Ed25519 key is about 80 bytes, an RSA-4096 key about 720), or fewer CIDRs", maxPartnersEnv)
	}
	return validation.Join("", errs...)
}

func validatePartners(partners []Partner) []error {
	var errs []error
	bad := badFunc(&errs)
	names := map[string]int{}
	keys := map[string]string{}
	for i, pt := range partners {
		f := func(field string) string { return fmt.Sprintf("Partners[%d].%s", i, field) }
		if !nameRE.MatchString(pt.Name) {
			bad(f("Name"), pt.Name, "3 to 32 lower-case letters, digits and '-', starting with a letter and not ending with '-' (it is the username and the home directory)")
		}
		if j, dup := names[strings.ToLower(pt.Name)]; dup {
			bad(f("Name"), pt.Name, "a name no other partner has (names are case-insensitive; Partners[%d] is %q): two partners would share a home", j, partners[j].Name)
		} else {
			names[strings.ToLower(pt.Name)] = i
		}
		if len(pt.CIDRs) == 0 {
			bad(f("CIDRs"), raw("empty"), "at least one network the partner connects from, such as \"203.0.113.0/24\"")
		}
		seen := map[netip.Prefix]bool{}
		for j, c := range pt.CIDRs {
			field := f(fmt.Sprintf("CIDRs[%d]", j))
			pfx, err := netip.ParsePrefix(c)
			switch {
			case err != nil:
				bad(field, c, "an IPv4 prefix such as \"203.0.113.0/24\"")
			case !pfx.Addr().Is4():
				bad(field, c, "an IPv4 prefix such as \"203.0.113.0/24\" (the endpoint and the network's VPC are IPv4-only)")
			case pfx.Bits() == 0:
				bad(field, c, "the partner's own networks; %s would let every address on the internet try to log in as %q", c, pt.Name)
			case pfx.Masked() != pfx:
				bad(field, c, "a prefix without host bits, such as %q", pfx.Masked().String())
			case seen[pfx]:
				bad(field, c, "each CIDR once")
			}
			seen[pfx] = true
		}
		if len(pt.PublicKeys) == 0 && pt.PasswordSecretArn == "" && !pt.CreatePasswordSecret {
			bad(f("PublicKeys"), raw("empty"), "SSH public keys, PasswordSecretArn or CreatePasswordSecret (or keys and a password): partner %q has no way to log in", pt.Name)
		}
		if pt.PasswordSecretArn != "" && pt.CreatePasswordSecret {
			bad(f("PasswordSecretArn"), pt.PasswordSecretArn, "either an existing secret (PasswordSecretArn) or CreatePasswordSecret, not both")
		}
		if pt.PasswordSecretArn != "" && !secretArnRE.MatchString(pt.PasswordSecretArn) {
			bad(f("PasswordSecretArn"), pt.PasswordSecretArn, "the full ARN of a Secrets Manager secret, with the 6-character suffix Secrets Manager adds (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf)")
		}
		for j, k := range pt.PublicKeys {
			field := f(fmt.Sprintf("PublicKeys[%d]", j))
			norm, err := NormalizePublicKey(k)
			if err != nil {
				bad(field, abbreviate(k), "%v", err)
				continue
			}
			if other, dup := keys[norm]; dup {
				bad(field, abbreviate(k), "a key no other login uses (it is already %s): a key must identify one partner", other)
				continue
			}
			keys[norm] = fmt.Sprintf("Partners[%d].PublicKeys[%d] (%q)", i, j, pt.Name)
		}
	}
	return errs
}

// NormalizePublicKey parses an authorized_keys line and returns it as
// "<type> <base64>" without its comment, or says why it is not accepted:
// not a key, options before it, a certificate, a DSA key, RSA below 2048
// bits.
func NormalizePublicKey(line string) (string, error) {
	if strings.ContainsAny(strings.TrimSpace(line), "\r\n") {
		return "", errors.New("one key per entry (the value spans lines)")
	}
	pub, _, options, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	switch {
	case err != nil:
		return "", errors.New("an SSH public key in authorized_keys form, such as \"ssh-ed25519 AAAAC3Nza... user@host\"")
	case len(options) > 0:
		return "", fmt.Errorf("a key without authorized_keys options (%s); restrict source addresses with CIDRs", strings.Join(options, ","))
	case len(strings.TrimSpace(string(rest))) > 0:
		return "", errors.New("one key per entry")
	case !slices.Contains(keyTypes, pub.Type()):
		return "", fmt.Errorf("a key of type %s (Transfer Family does not take %s)", strings.Join(keyTypes, ", "), pub.Type())
	}
	if ck, ok := pub.(ssh.CryptoPublicKey); ok && pub.Type() == ssh.KeyAlgoRSA {
		if rk, ok := ck.CryptoPublicKey().(interface{ Size() int }); ok && rk.Size()*8 < 2048 {
			return "", fmt.Errorf("an RSA key of at least 2048 bits (this one has %d)", rk.Size()*8)
		}
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))), nil
}

// partnersEnvSize estimates the length of the PARTNERS variable.
func partnersEnvSize(partners []Partner) int {
	n := 2
	for _, pt := range partners {
		n += len(`{"name":"","cidrs":[],"publicKeys":[],"secretArn":""},`) + len(pt.Name)
		for _, c := range pt.CIDRs {
			n += len(c) + 3
		}
		for _, k := range pt.PublicKeys {
			if norm, err := NormalizePublicKey(k); err == nil {
				n += len(norm) + 3
			} else {
				n += len(k) + 3
			}
		}
		switch {
		case pt.PasswordSecretArn != "":
			n += len(pt.PasswordSecretArn)
		case pt.CreatePasswordSecret:
			n += secretArnEstimate
		}
	}
	return n
}

// abbreviate shortens a key for an error message.
func abbreviate(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:24] + "..." + s[len(s)-12:]
}

// withDefaults returns a copy of p with defaults filled in.
func (p *Props) withDefaults() Props {
	r := *p
	if len(r.Protocols) == 0 {
		r.Protocols = []Protocol{SFTP}
	}
	if r.Endpoint == "" {
		r.Endpoint = EndpointVPC
	}
	if r.SecurityPolicy == "" {
		r.SecurityPolicy = DefaultSecurityPolicy
	}
	if r.LogRetentionDays == 0 {
		r.LogRetentionDays = DefaultLogRetentionDays
	}
	if r.ReservedConcurrency == 0 {
		r.ReservedConcurrency = DefaultReservedConcurrency
	}
	return r
}

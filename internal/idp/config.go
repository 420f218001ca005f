package idp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// Partner is one partner as the identity provider sees it (one element of
// the PARTNERS environment variable):
//
//	{"name":"acme","cidrs":["203.0.113.0/24"],"publicKeys":["ssh-ed25519 AAAA..."],"secretArn":"arn:aws:secretsmanager:..."}
//
// The username is the name. CIDRs lists the source networks the partner may
// connect from (at least one). PublicKeys allow SSH key authentication over
// SFTP; SecretArn names the Secrets Manager secret whose string value is the
// partner's password hash (argon2id or bcrypt, see HashPassword). A partner
// needs keys, a secret, or both.
type Partner struct {
	Name       string   `json:"name"`
	CIDRs      []string `json:"cidrs"`
	PublicKeys []string `json:"publicKeys,omitempty"`
	SecretArn  string   `json:"secretArn,omitempty"`
}

// ParsePartners decodes the PARTNERS JSON array strictly (unknown fields are
// errors) and checks each partner: a well-formed lower-case name, no name
// twice, at least one CIDR, each a valid prefix without host bits and not a
// /0, keys or a secret, and a secret ARN that looks like one.
func ParsePartners(raw []byte) ([]Partner, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var ps []Partner
	if err := dec.Decode(&ps); err != nil {
		return nil, fmt.Errorf("partners: not a JSON array of {name, cidrs, publicKeys, secretArn}: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("partners: trailing data after the JSON array")
	}
	seen := map[string]bool{}
	var errs []error
	for i, p := range ps {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("partners[%d] (%q): %s", i, p.Name, fmt.Sprintf(format, args...)))
		}
		if n, ok := NormalizeUsername(p.Name); !ok || n != p.Name {
			bad("name is not %d..%d lower-case letters, digits and '-' starting with a letter", MinUsername, MaxUsername)
		}
		if seen[p.Name] {
			bad("name appears twice")
		}
		seen[p.Name] = true
		if len(p.CIDRs) == 0 {
			bad("cidrs is empty; at least one source network is required")
		}
		for _, c := range p.CIDRs {
			if _, err := ParseCIDR(c); err != nil {
				bad("%v", err)
			}
		}
		if len(p.PublicKeys) == 0 && p.SecretArn == "" {
			bad("has neither publicKeys nor secretArn, so it could never log in")
		}
		for j, k := range p.PublicKeys {
			if strings.TrimSpace(k) == "" || strings.ContainsAny(k, "\r\n") {
				bad("publicKeys[%d] is empty or spans lines", j)
			}
		}
		if p.SecretArn != "" && !strings.HasPrefix(p.SecretArn, "arn:") {
			bad("secretArn %q is not an ARN", p.SecretArn)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ps, nil
}

// ParseCIDR parses a partner source network: an IPv4 or IPv6 prefix with no
// host bits set and a length above 0 (0.0.0.0/0 and ::/0 would let anyone
// in).
func ParseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("CIDR %q is not an IP prefix such as 203.0.113.0/24", s)
	}
	if p.Bits() == 0 {
		return netip.Prefix{}, fmt.Errorf("CIDR %q would accept every address; name the partner's own networks", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("CIDR %q has host bits set; did you mean %q?", s, p.Masked().String())
	}
	return p, nil
}

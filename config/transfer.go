package config

import (
	"github.com/biolake/biolake/constructs/transfer"
)

// Transfer settings: the SFTP/FTPS server for partner CROs. The server is
// created when at least one partner is listed.
type Transfer struct {
	// Partners who upload; each gets a home under quarantine/<name>/ of the
	// partner bucket. Default: none (no server).
	Partners []Partner `yaml:"partners"`
	// Protocols: SFTP and/or FTPS (FTPS needs certificateArn). Default: [SFTP].
	Protocols []string `yaml:"protocols"`
	// CertificateArn of an ACM certificate, required for FTPS. Default: "".
	CertificateArn string `yaml:"certificateArn"`
	// Endpoint: VPC (reachable over VPN/Direct Connect) or PublicVPC (Elastic
	// IPs, port 22 open to the partners' CIDRs only). Default: VPC.
	Endpoint string `yaml:"endpoint"`
	// SecurityPolicy of the server. Default: the pinned current policy.
	SecurityPolicy string `yaml:"securityPolicy"`
	// ReservedConcurrency of the identity provider. Default: 10.
	ReservedConcurrency int `yaml:"reservedConcurrency"`
}

// Partner is one CRO.
type Partner struct {
	// Name: lower-case letters, digits and '-', 3 to 32 characters. Required.
	Name string `yaml:"name"`
	// CIDRs the partner connects from (IPv4; never 0.0.0.0/0). Required.
	CIDRs []string `yaml:"cidrs"`
	// PublicKeys for SSH key authentication (OpenSSH format). Default: none.
	PublicKeys []string `yaml:"publicKeys"`
	// PasswordSecretArn of an existing secret holding the password hash.
	// Default: "".
	PasswordSecretArn string `yaml:"passwordSecretArn"`
	// CreatePasswordSecret creates an empty secret for the password hash,
	// which an operator fills (see cmd/biolake-passwd). Default: false.
	CreatePasswordSecret bool `yaml:"createPasswordSecret"`
}

// Enabled reports whether the environment has a Transfer server.
func (t *Transfer) Enabled() bool { return len(t.Partners) > 0 }

// Props returns the Transfer construct's props (without the network, data
// lake and logs key).
func (t *Transfer) Props(e *Environment) *transfer.Props {
	p := &transfer.Props{
		CertificateArn:      t.CertificateArn,
		Endpoint:            transfer.EndpointType(t.Endpoint),
		SecurityPolicy:      t.SecurityPolicy,
		LogRetentionDays:    e.Logs.RetentionDays,
		ReservedConcurrency: t.ReservedConcurrency,
	}
	for _, pr := range t.Protocols {
		p.Protocols = append(p.Protocols, transfer.Protocol(pr))
	}
	for _, pt := range t.Partners {
		p.Partners = append(p.Partners, transfer.Partner{
			Name: pt.Name, CIDRs: pt.CIDRs, PublicKeys: pt.PublicKeys,
			PasswordSecretArn: pt.PasswordSecretArn, CreatePasswordSecret: pt.CreatePasswordSecret,
		})
	}
	return p
}

func (t *Transfer) validate(e *Environment) error {
	if !t.Enabled() {
		if len(t.Protocols) > 0 || t.CertificateArn != "" || t.Endpoint != "" {
			return e.fail("transfer.partners", "", "is empty, so no server is created; list at least one partner or remove the other transfer settings")
		}
		return nil
	}
	if err := t.Props(e).ValidateSettings(); err != nil {
		return &FieldError{File: e.File, Path: "transfer", Msg: err.Error()}
	}
	return nil
}

package config

import (
	"errors"
	"regexp"
	"strings"

	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/constructs/validation"
)

// MLLabeling is the SageMaker Ground Truth private workforce
// (ml.labeling): who signs labelers in, the work teams, and the networks
// the labeling portal is open to. It needs ml.enabled. A Cognito
// workforce bills $0.02 a month per labeler who signs in that month (the
// Plus feature plan, for threat protection) and nothing idle; the teams'
// topics bill per message; labeling jobs bill per object labeled
// (docs/ML.md).
type MLLabeling struct {
	// Type: cognito (a user pool biolake creates holds the labelers'
	// accounts, MFA required) or oidc (the lab's OpenID Connect provider).
	// Required.
	Type string `yaml:"type"`
	// WorkforceName of the private workforce (one per account and
	// region). Default: biolake-<env>-labeling.
	WorkforceName string `yaml:"workforceName"`
	// Cognito settings, with type cognito. Default: the domain prefix
	// <workforceName>-<account id>.
	Cognito *MLLabelingCognito `yaml:"cognito"`
	// OIDC is the lab's provider; required with type oidc.
	OIDC *MLLabelingOIDC `yaml:"oidc"`
	// SourceCIDRs restrict the labeling portal to these IPv4 networks, at
	// most 10; [] opens it to the internet behind sign-in. Default:
	// network.onPremises.cidrs when listed, else open.
	SourceCIDRs []string `yaml:"sourceCidrs"`
	// Teams are the work teams, at least one. Required.
	Teams []MLLabelingTeam `yaml:"teams"`
}

// MLLabelingCognito is the user pool's setting.
type MLLabelingCognito struct {
	// DomainPrefix of the pool's sign-in domain, unique in the region.
	// Default: <workforceName>-<account id>.
	DomainPrefix string `yaml:"domainPrefix"`
}

// MLLabelingOIDC is the lab's OpenID Connect provider.
type MLLabelingOIDC struct {
	// Issuer and the endpoints: https URLs. Required.
	Issuer                string `yaml:"issuer"`
	AuthorizationEndpoint string `yaml:"authorizationEndpoint"`
	TokenEndpoint         string `yaml:"tokenEndpoint"`
	UserInfoEndpoint      string `yaml:"userInfoEndpoint"`
	LogoutEndpoint        string `yaml:"logoutEndpoint"`
	JwksURI               string `yaml:"jwksUri"`
	// ClientID of the labeling portal's app at the provider: letters,
	// digits, '_' and '+' (CloudFormation refuses others). Required.
	ClientID string `yaml:"clientId"`
	// ClientSecretArn of the Secrets Manager secret holding the client
	// secret (never the secret itself). Required.
	ClientSecretArn string `yaml:"clientSecretArn"`
	// ClientSecretField is the JSON key of the secret's value holding the
	// client secret. Default: "" (the whole secret string).
	ClientSecretField string `yaml:"clientSecretField"`
	// Scope asked of the provider. Default: Ground Truth's ("openid").
	Scope string `yaml:"scope"`
}

// MLLabelingTeam is one work team.
type MLLabelingTeam struct {
	// Name of the team. Required.
	Name string `yaml:"name"`
	// Description shown to the job's creator. Default: "Labelers of ..."
	Description string `yaml:"description"`
	// Groups whose members make the team (Cognito groups biolake creates,
	// or the provider's groups), 1 to 10. Required.
	Groups []string `yaml:"groups"`
}

// Props returns the labeling construct's props (without the lake and the
// key, which the stack wires): workforce biolake-<env>-labeling, the
// portal restricted to the lab's networks unless sourceCidrs says
// otherwise.
func (l *MLLabeling) Props(e *Environment) *ml.LabelingProps {
	p := &ml.LabelingProps{
		Type:          ml.WorkforceType(l.Type),
		WorkforceName: l.WorkforceName,
		SourceCIDRs:   l.SourceCIDRs,
	}
	if p.WorkforceName == "" {
		p.WorkforceName = "biolake-" + e.Name + "-labeling"
	}
	if l.SourceCIDRs == nil {
		p.SourceCIDRs = e.Network.OnPremises.CIDRs
	}
	if c := l.Cognito; c != nil {
		p.Cognito = &ml.CognitoWorkforce{DomainPrefix: c.DomainPrefix}
	}
	if o := l.OIDC; o != nil {
		p.OIDC = &ml.OIDCWorkforce{
			Issuer: o.Issuer, AuthorizationEndpoint: o.AuthorizationEndpoint, TokenEndpoint: o.TokenEndpoint,
			UserInfoEndpoint: o.UserInfoEndpoint, LogoutEndpoint: o.LogoutEndpoint, JwksURI: o.JwksURI,
			ClientID: o.ClientID, ClientSecretArn: o.ClientSecretArn, ClientSecretField: o.ClientSecretField, Scope: o.Scope,
		}
	}
	for _, t := range l.Teams {
		p.Teams = append(p.Teams, ml.Team{Name: t.Name, Description: t.Description, Groups: t.Groups})
	}
	return p
}

// validateLabeling checks ml.labeling: refused without ml.enabled; the
// construct's checks reported at this file's field paths.
func (m *ML) validateLabeling(e *Environment) error {
	l := m.Labeling
	if l == nil {
		return nil
	}
	if !m.Enabled {
		return e.fail("ml.labeling", "", "needs ml.enabled: true (labeling jobs write under the domain's ML prefix); set it or remove ml.labeling")
	}
	err := l.Props(e).ValidateSettings()
	if err == nil {
		return nil
	}
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return &FieldError{File: e.File, Path: "ml.labeling", Msg: err.Error()}
	}
	path := "ml.labeling." + labelingYAMLPath(strings.TrimPrefix(ve.Field, "Props."))
	value := strings.Trim(ve.Value, `"`)
	msg := strings.TrimPrefix(ve.Problem+"; accepted: "+ve.Accepted, "; ")
	if l.SourceCIDRs == nil && strings.HasPrefix(path, "ml.labeling.sourceCidrs") {
		// The default came from network.onPremises.cidrs.
		msg += " (the default is network.onPremises.cidrs; set ml.labeling.sourceCidrs to choose the portal's networks)"
	}
	return &FieldError{File: e.File, Path: path, Value: value, Msg: msg}
}

// labelingYAMLNames are the construct's field names whose YAML key is not
// the name with its first letter in lower case.
var labelingYAMLNames = map[string]string{"OIDC": "oidc", "JwksURI": "jwksUri", "ClientID": "clientId", "SourceCIDRs": "sourceCidrs"}

var labelingIndexRE = regexp.MustCompile(`^([A-Za-z]+)(\[[0-9]+\])?$`)

// labelingYAMLPath turns a construct field path (Teams[0].Groups[1]) into
// this file's (teams[0].groups[1]).
func labelingYAMLPath(field string) string {
	parts := strings.Split(field, ".")
	for i, part := range parts {
		m := labelingIndexRE.FindStringSubmatch(part)
		if m == nil {
			continue
		}
		name, ok := labelingYAMLNames[m[1]]
		if !ok {
			name = strings.ToLower(m[1][:1]) + m[1][1:]
		}
		parts[i] = name + m[2]
	}
	return strings.Join(parts, ".")
}

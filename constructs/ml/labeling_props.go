package ml

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/validation"
)

// WorkforceType says who signs the labelers in to the labeling portal.
type WorkforceType string

// Workforce types Ground Truth offers for a private workforce.
const (
	// WorkforceCognito: an Amazon Cognito user pool the construct creates
	// holds the labelers' accounts (MFA required, no self sign-up).
	WorkforceCognito WorkforceType = "cognito"
	// WorkforceOIDC: the lab's own OpenID Connect identity provider signs
	// labelers in; its groups make the teams.
	WorkforceOIDC WorkforceType = "oidc"
)

// CognitoWorkforce configures the user pool of a Cognito workforce.
type CognitoWorkforce struct {
	// DomainPrefix of the user pool's sign-in domain
	// (<prefix>.auth.<region>.amazoncognito.com), unique in the region
	// across AWS accounts: lower-case letters, digits and '-', at most 63,
	// not starting or ending with '-', without "aws", "amazon" or
	// "cognito". Default: the workforce name in lower case, "-" and the
	// account id.
	DomainPrefix string
}

// OIDCWorkforce is the lab's OpenID Connect identity provider. Ground
// Truth signs labelers in with it and reads their groups from the
// "sagemaker:groups" claim (docs/ML.md).
type OIDCWorkforce struct {
	// Issuer, AuthorizationEndpoint, TokenEndpoint, UserInfoEndpoint,
	// LogoutEndpoint and JwksURI are the provider's URLs: https only, at
	// most 500 characters each. Required; no default.
	Issuer                string
	AuthorizationEndpoint string
	TokenEndpoint         string
	UserInfoEndpoint      string
	LogoutEndpoint        string
	JwksURI               string
	// ClientID of the app registered at the provider for the labeling
	// portal: letters, digits, '_' and '+' (CloudFormation's workforce
	// schema refuses other characters, such as the '-' of a GUID).
	// Required; no default.
	ClientID string
	// ClientSecretArn is the ARN of the Secrets Manager secret that holds
	// the client secret. The template holds a dynamic reference to it,
	// never the secret. Required; no default.
	ClientSecretArn string
	// ClientSecretField is the JSON key of the secret's value that holds
	// the client secret. Default: "" (the whole secret string is the
	// client secret).
	ClientSecretField string
	// Scope asked of the provider. Default: "" (Ground Truth's default,
	// "openid").
	Scope string
}

// Team is a work team: the labelers of one or more groups, to whom a
// labeling job sends its tasks.
type Team struct {
	// Name of the team: letters, digits and '-', starting and ending with
	// a letter or digit, at most 63. Required; no default.
	Name string
	// Description shown to the job's creator, at most 200 characters.
	// Default: "Labelers of " and the groups.
	Description string
	// Groups whose members make the team: with Cognito, the user pool's
	// groups (the construct creates them; a labeler is added to one with
	// aws cognito-idp admin-add-user-to-group); with OIDC, the provider's
	// groups. 1 to 10, without duplicates. Required; no default.
	Groups []string
}

// LabelingProps configures Labeling.
type LabelingProps struct {
	// Lake holds the results bucket: labeling jobs read their manifests
	// and data under MLPrefix + "labeling/input/" and write under
	// MLPrefix + "labeling/output/". Required; no default.
	Lake datalake.ILake
	// Key encrypts the teams' notification topics. SageMaker publishes to
	// them, so the construct adds a statement for sagemaker.amazonaws.com
	// of this account to the key's policy; a key imported by ARN keeps its
	// own policy, which must allow it. Default: nil, and the construct
	// creates a key with rotation on.
	Key awskms.IKey
	// MLPrefix is the ML prefix of the results bucket (the domain's
	// Props.MLPrefix). Default: "ml/".
	MLPrefix string
	// Type of the private workforce: cognito or oidc. Required; no default.
	Type WorkforceType
	// WorkforceName of the private workforce (one per account and
	// region): letters, digits and '-', starting with a letter or digit,
	// at most 63. Default: the construct path with '-' for other
	// characters.
	WorkforceName string
	// Cognito settings, with Type cognito only. Default: the defaults of
	// CognitoWorkforce.
	Cognito *CognitoWorkforce
	// OIDC is the identity provider; required with Type oidc, refused
	// otherwise.
	OIDC *OIDCWorkforce
	// Teams of the workforce, 1 to 25 (a region's quota of work teams),
	// names without duplicates. Required; no default.
	Teams []Team
	// SourceCIDRs restrict the labeling portal to these IPv4 networks
	// (the lab's), 1 to 10: workers elsewhere get "Not Found". Default:
	// none, and the portal is open to the internet behind sign-in (with
	// Cognito, MFA).
	SourceCIDRs []string
}

// Labeling limits and prefixes.
const (
	// MaxTeams is the work-team quota of an account and region.
	MaxTeams = 25
	// MaxTeamGroups is how many member definitions a team takes.
	MaxTeamGroups = 10
	// MaxSourceCIDRs is how many CIDRs a workforce's allow list takes.
	MaxSourceCIDRs = 10
	// LabelingInputPrefix, under the ML prefix, holds labeling jobs'
	// manifests and data objects.
	LabelingInputPrefix = LabelingPrefix + "input/"
	// LabelingOutputPrefix, under the ML prefix, holds what labeling jobs
	// write.
	LabelingOutputPrefix = LabelingPrefix + "output/"
)

var (
	// workforceRE is SageMaker's pattern for workforce names.
	workforceRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9\-]){0,62}$`)
	// domainPrefixRE is Cognito's pattern for a prefix domain.
	domainPrefixRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$`)
	// groupRE is the pattern of Cognito group and OIDC group names.
	groupRE = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,63}$`)
	// secretArnRE is a Secrets Manager secret's ARN.
	secretArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$`)
	// clientIDRE is the client id the AWS::SageMaker::Workforce schema
	// accepts (the SageMaker API takes any printable ASCII; CloudFormation
	// refuses a '-').
	clientIDRE = regexp.MustCompile(`^[\w+]+$`)
)

// resolvedLabeling are the labeling props with defaults applied.
type resolvedLabeling struct {
	LabelingProps
	cognito CognitoWorkforce
}

// ValidateSettings checks every setting but Lake and Key (a config layer
// checks an environment file with it) and returns every problem, joined.
func (p *LabelingProps) ValidateSettings() error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Lake, Type and Teams set")
	}
	var errs []error
	bad := validation.Collector("", &errs)
	if p.MLPrefix != "" {
		if _, err := datalake.NormalizePrefix(p.MLPrefix); err != nil || strings.Contains(p.MLPrefix, "://") {
			bad("MLPrefix", p.MLPrefix, "a key prefix inside the results bucket, such as %q: no leading \"/\", no \"..\", \"*\", \"?\" or \"s3://\"", DefaultMLPrefix)
		}
	}
	if p.WorkforceName != "" && !workforceRE.MatchString(p.WorkforceName) {
		bad("WorkforceName", p.WorkforceName, "letters, digits and '-', starting with a letter or digit, at most 63")
	}
	switch p.Type {
	case WorkforceCognito:
		if p.OIDC != nil {
			bad("OIDC", validation.Raw("set"), "no OIDC settings with Type cognito (the user pool signs labelers in); remove them or set Type oidc")
		}
		if c := p.Cognito; c != nil && c.DomainPrefix != "" {
			d := c.DomainPrefix
			if !domainPrefixRE.MatchString(d) || strings.Contains(d, "aws") || strings.Contains(d, "amazon") || strings.Contains(d, "cognito") {
				bad("Cognito.DomainPrefix", d, "lower-case letters, digits and '-', at most 63, not starting or ending with '-', without \"aws\", \"amazon\" or \"cognito\"")
			}
		}
	case WorkforceOIDC:
		if p.Cognito != nil {
			bad("Cognito", validation.Raw("set"), "no Cognito settings with Type oidc (the lab's provider signs labelers in); remove them or set Type cognito")
		}
		if p.OIDC == nil {
			bad("OIDC", validation.Raw("nil"), "the identity provider's issuer, endpoints, client id and client secret ARN (Type oidc)")
		} else {
			p.OIDC.validate(bad)
		}
	default:
		bad("Type", string(p.Type), "%q (a user pool the construct creates) or %q (the lab's OpenID Connect provider)", WorkforceCognito, WorkforceOIDC)
	}
	switch n := len(p.Teams); {
	case n == 0:
		bad("Teams", validation.Raw("[]"), "at least one work team with a name and groups")
	case n > MaxTeams:
		bad("Teams", validation.Raw(fmt.Sprintf("%d teams", n)), "at most %d work teams (the quota of an account and region)", MaxTeams)
	}
	seen := map[string]bool{}
	for i, t := range p.Teams {
		f := fmt.Sprintf("Teams[%d]", i)
		switch {
		case !nameRE.MatchString(t.Name):
			bad(f+".Name", t.Name, "a work team name: letters, digits and '-', starting and ending with a letter or digit, at most 63 (such as \"histology\")")
		case seen[strings.ToLower(t.Name)]:
			bad(f+".Name", t.Name, "a team name not listed before (names are compared ignoring case)")
		}
		seen[strings.ToLower(t.Name)] = true
		if len(t.Description) > 200 || strings.TrimSpace(t.Description) != t.Description {
			bad(f+".Description", t.Description, "at most 200 characters, without leading or trailing spaces")
		}
		if len(t.Groups) == 0 || len(t.Groups) > MaxTeamGroups {
			bad(f+".Groups", validation.Raw(fmt.Sprintf("%d groups", len(t.Groups))), "1 to %d groups whose members make the team", MaxTeamGroups)
		}
		groups := map[string]bool{}
		for j, g := range t.Groups {
			gf := fmt.Sprintf("%s.Groups[%d]", f, j)
			switch {
			case !groupRE.MatchString(g):
				bad(gf, g, "a group name: 1 to 63 letters, digits, punctuation or symbols, no spaces")
			case groups[g]:
				bad(gf, g, "a group not listed before in this team")
			}
			groups[g] = true
		}
	}
	if len(p.SourceCIDRs) > MaxSourceCIDRs {
		bad("SourceCIDRs", validation.Raw(fmt.Sprintf("%d networks", len(p.SourceCIDRs))), "at most %d networks (what a workforce's allow list takes)", MaxSourceCIDRs)
	}
	for i, c := range p.SourceCIDRs {
		pre, err := netip.ParsePrefix(c)
		if err != nil || !pre.Addr().Is4() || pre.Masked() != pre {
			bad(fmt.Sprintf("SourceCIDRs[%d]", i), c, "an IPv4 network in CIDR notation with no host bits set, such as \"192.0.2.0/24\"")
		}
	}
	return validation.Join("", errs...)
}

// validate checks the provider's settings.
func (o *OIDCWorkforce) validate(bad func(field string, value any, accepted string, args ...any)) {
	for _, u := range []struct{ field, value string }{
		{"OIDC.Issuer", o.Issuer}, {"OIDC.AuthorizationEndpoint", o.AuthorizationEndpoint},
		{"OIDC.TokenEndpoint", o.TokenEndpoint}, {"OIDC.UserInfoEndpoint", o.UserInfoEndpoint},
		{"OIDC.LogoutEndpoint", o.LogoutEndpoint}, {"OIDC.JwksURI", o.JwksURI},
	} {
		if !httpsURL(u.value) {
			bad(u.field, u.value, "an https:// URL of the identity provider with a host and no spaces, at most 500 characters (such as \"https://login.lab.example/oauth2\")")
		}
	}
	if !clientIDRE.MatchString(o.ClientID) || len(o.ClientID) > 1024 {
		bad("OIDC.ClientID", o.ClientID, "the client id the provider gave the labeling portal: 1 to 1024 letters, digits, '_' and '+' (what CloudFormation's AWS::SageMaker::Workforce accepts: no '-')")
	}
	if !secretArnRE.MatchString(o.ClientSecretArn) {
		bad("OIDC.ClientSecretArn", o.ClientSecretArn, "the ARN of a Secrets Manager secret holding the client secret, such as \"arn:aws:secretsmanager:eu-west-1:111122223333:secret:labeling/oidc-AbCdEf\" (never the secret itself)")
	}
	if strings.ContainsAny(o.ClientSecretField, ": \t{}") {
		bad("OIDC.ClientSecretField", o.ClientSecretField, "a JSON key of the secret's value, without ':', spaces or braces, or \"\" for the whole secret string")
	}
	if len(o.Scope) > 255 || strings.ContainsAny(o.Scope, "\t\n") {
		bad("OIDC.Scope", o.Scope, "space-separated scopes, at most 255 characters, or \"\" for Ground Truth's default")
	}
}

// httpsURL reports whether s is an https URL with a host and no spaces,
// at most 500 characters (SageMaker's limit for the provider's URLs).
func httpsURL(s string) bool {
	if s == "" || len(s) > 500 || strings.ContainsAny(s, " \t\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}

// validateLabeling checks p at path and returns it with defaults, or the
// validation errors.
func validateLabeling(path string, p *LabelingProps) (*resolvedLabeling, error) {
	if p == nil {
		return nil, validation.New(path, "Props", validation.Raw("nil"), "props with Lake, Type and Teams set")
	}
	var errs []error
	if err := p.ValidateSettings(); err != nil {
		errs = append(errs, err)
	}
	if p.Lake == nil {
		errs = append(errs, validation.New("", "Props.Lake", validation.Raw("nil"), "the datalake.ILake whose results bucket holds the labeling prefixes"))
	} else if err := datalake.RequireBuckets("", "Props.Lake", p.Lake, datalake.BucketResults); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, validation.Join(path, errs...)
	}
	r := &resolvedLabeling{LabelingProps: *p}
	if r.MLPrefix == "" {
		r.MLPrefix = DefaultMLPrefix
	}
	r.MLPrefix, _ = datalake.NormalizePrefix(r.MLPrefix)
	if r.WorkforceName == "" {
		r.WorkforceName = shortName(path)
	}
	if p.Cognito != nil {
		r.cognito = *p.Cognito
	}
	return r, nil
}

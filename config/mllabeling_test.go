package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/ml"
)

const labelingBase = "name: bad\ntags: {owner: lab}\nnetwork:\n  onPremises: {cidrs: [192.0.2.0/24]}\nml:\n  enabled: true\n  labeling:\n"

const oidcYAML = `    type: oidc
    oidc:
      issuer: https://login.lab.example
      authorizationEndpoint: https://login.lab.example/authorize
      tokenEndpoint: https://login.lab.example/token
      userInfoEndpoint: https://login.lab.example/userinfo
      logoutEndpoint: https://login.lab.example/logout
      jwksUri: https://login.lab.example/keys
      clientId: labeling_portal
      clientSecretArn: arn:aws:secretsmanager:eu-west-1:111122223333:secret:labeling-AbCdEf
    teams: [{name: imaging, groups: [lab-imaging]}]
`

// TestBadLabelingConfig: each bad ml.labeling stops the synth at its
// YAML path, with the bad value and what is accepted.
func TestBadLabelingConfig(t *testing.T) {
	cognito := "    type: cognito\n    teams: [{name: histology, groups: [pathologists]}]\n"
	cases := []badCase{
		{"labeling without the domain", "name: bad\ntags: {owner: lab}\nml:\n  labeling:\n" + cognito, []string{"ml.labeling", "needs ml.enabled: true"}},
		{"unknown workforce type", labelingBase + "    type: mturk\n    teams: [{name: a, groups: [g]}]\n", []string{"ml.labeling.type", "mturk", `"cognito"`, `"oidc"`}},
		{"unknown field", labelingBase + cognito + "    team: []\n", []string{"ml.labeling.team", "accepted fields"}},
		{"no teams", labelingBase + "    type: cognito\n", []string{"ml.labeling.teams", "at least one work team"}},
		{"team name", labelingBase + "    type: cognito\n    teams: [{name: cell_counting, groups: [g]}]\n", []string{"ml.labeling.teams[0].name", "cell_counting", "letters, digits and '-'"}},
		{"team without groups", labelingBase + "    type: cognito\n    teams: [{name: cells}]\n", []string{"ml.labeling.teams[0].groups", "1 to 10 groups"}},
		{"group with a space", labelingBase + "    type: cognito\n    teams: [{name: cells, groups: [ok, \"cell counters\"]}]\n", []string{"ml.labeling.teams[0].groups[1]", "cell counters", "no spaces"}},
		{"CIDR with host bits", labelingBase + cognito + "    sourceCidrs: [10.1.2.3/16]\n", []string{"ml.labeling.sourceCidrs[0]", "10.1.2.3/16", "no host bits"}},
		{"domain prefix", labelingBase + cognito + "    cognito: {domainPrefix: AWS-Lab}\n", []string{"ml.labeling.cognito.domainPrefix", "AWS-Lab"}},
		{"http issuer", labelingBase + replace(oidcYAML, "issuer: https://", "issuer: http://"), []string{"ml.labeling.oidc.issuer", "http://login.lab.example", "https://"}},
		{"bad JWKS URI", labelingBase + replace(oidcYAML, "jwksUri: https://login.lab.example/keys", "jwksUri: keys"), []string{"ml.labeling.oidc.jwksUri", "https://"}},
		{"secret in the file", labelingBase + replace(oidcYAML, "clientSecretArn: arn:aws:secretsmanager:eu-west-1:111122223333:secret:labeling-AbCdEf", "clientSecretArn: hunter2"), []string{"ml.labeling.oidc.clientSecretArn", "Secrets Manager secret"}},
		{"OIDC with cognito settings", labelingBase + oidcYAML + "    cognito: {domainPrefix: lab}\n", []string{"ml.labeling.cognito", "no Cognito settings with Type oidc"}},
		{"eleven lab networks by default", "name: bad\ntags: {owner: lab}\nnetwork:\n  onPremises: {cidrs: [10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/16, 10.4.0.0/16, 10.5.0.0/16, 10.6.0.0/16, 10.7.0.0/16, 10.8.0.0/16, 10.9.0.0/16, 10.10.0.0/16, 10.11.0.0/16]}\nml:\n  enabled: true\n  labeling:\n" + cognito,
			[]string{"ml.labeling.sourceCidrs", "at most 10", "network.onPremises.cidrs"}},
	}
	checkBad(t, cases)
}

func replace(s, old, new string) string { return strings.Replace(s, old, new, 1) }

// TestLabelingProps: the defaults (workforce name from the environment,
// the portal restricted to the lab's networks) and an explicit open
// portal.
func TestLabelingProps(t *testing.T) {
	env, err := config.Parse("environments/ok.yaml", []byte("name: ok\ntags: {owner: lab}\nnetwork:\n  onPremises: {cidrs: [192.0.2.0/24]}\nml:\n  enabled: true\n  labeling:\n    type: cognito\n    teams: [{name: histology, description: Slides, groups: [pathologists, residents]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := env.ML.Labeling.Props(env)
	if p.Type != ml.WorkforceCognito || p.WorkforceName != "biolake-ok-labeling" || !slices.Equal(p.SourceCIDRs, []string{"192.0.2.0/24"}) ||
		len(p.Teams) != 1 || p.Teams[0].Description != "Slides" || !slices.Equal(p.Teams[0].Groups, []string{"pathologists", "residents"}) {
		t.Errorf("props %+v", p)
	}
	open, err := config.Parse("environments/ok.yaml", []byte("name: ok\ntags: {owner: lab}\nnetwork:\n  onPremises: {cidrs: [192.0.2.0/24]}\nml:\n  enabled: true\n  labeling:\n"+oidcYAML+"    sourceCidrs: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	op := open.ML.Labeling.Props(open)
	if len(op.SourceCIDRs) != 0 || op.OIDC == nil || op.OIDC.JwksURI != "https://login.lab.example/keys" || op.OIDC.ClientID != "labeling_portal" {
		t.Errorf("props %+v, OIDC %+v", op, op.OIDC)
	}
}

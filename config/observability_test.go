package config_test

import (
	"testing"

	"github.com/biolake/biolake/config"
)

func TestBadObservabilityConfig(t *testing.T) {
	const base = "name: bad\ntags: {owner: lab}\n"
	cases := []badCase{
		{"bad email", base + "observability: {emails: [ops]}\n", []string{"bad.yaml: observability", "Emails", `"ops"`, "e-mail"}},
		{"email with a name", base + "observability: {emails: [\"Ops <ops@example.org>\"]}\n", []string{"Emails", "plain e-mail"}},
		{"email twice", base + "observability: {emails: [ops@example.org, ops@example.org]}\n", []string{"Emails", "each address once"}},
		{"http webhook", base + "observability: {webhooks: [\"http://hooks.example.org/x\"]}\n", []string{"Webhooks", "https://"}},
		{"webhook with credentials", base + "observability: {webhooks: [\"https://u:p@hooks.example.org/x\"]}\n", []string{"Webhooks", "https://"}},
		{"auth failures too high", base + "observability: {thresholds: {transferAuthFailures: 20000}}\n", []string{"Thresholds.TransferAuthFailures", "20000", "1 to 10000"}},
		{"free storage percent", base + "observability: {thresholds: {freeStoragePercent: 95}}\n", []string{"Thresholds.FreeStoragePercent", "95", "1 to 90"}},
		{"cache dirty percent", base + "observability: {thresholds: {cacheDirtyPercent: 150}}\n", []string{"Thresholds.CacheDirtyPercent", "150"}},
		{"negative backlog", base + "observability: {thresholds: {uploadBacklogGiB: -1}}\n", []string{"Thresholds.UploadBacklogGiB", "-1", "at least 1"}},
		{"negative lambda errors", base + "observability: {thresholds: {lambdaErrors: -3}}\n", []string{"Thresholds.LambdaErrors", "-3"}},
		{"negative throttles", base + "observability: {thresholds: {lambdaThrottles: -1}}\n", []string{"Thresholds.LambdaThrottles"}},
		{"misspelt threshold", base + "observability: {thresholds: {lambdaError: 2}}\n", []string{"observability.thresholds.lambdaError", "not a known field", "lambdaErrors"}},
		{"misspelt field", base + "observability: {email: [ops@example.org]}\n", []string{"observability.email", "not a known field", "emails"}},
		{"slack channel by name", base + "observability: {slack: [{name: ops, workspaceId: T0123ABCD, channelId: \"#ops\"}]}\n", []string{"bad.yaml: observability", "Slack[0].ChannelID", "not the channel's #name"}},
		{"slack misspelt", base + "observability: {slack: [{name: ops, workspace: T0123ABCD, channelId: C0123}]}\n", []string{"observability.slack[0].workspace", "not a known field", "workspaceId"}},
		{"teams ids", base + "observability: {teams: [{name: ops, teamId: x, tenantId: y, channelId: \"19:a@thread.tacv2\"}]}\n", []string{"Teams[0].TeamID", "Teams[0].TenantID", "Teams[0].ChannelID", "URL-encoded"}},
		{"wrong type", base + "observability: {thresholds: {cacheDirtyPercent: high}}\n", []string{"observability.thresholds.cacheDirtyPercent", "high"}},
	}
	checkBad(t, cases)
}

func TestObservabilityConfig(t *testing.T) {
	env, err := config.Parse("environments/o.yaml", []byte("name: o\ntags: {owner: lab}\nobservability:\n  emails: [ops@example.org]\n  webhooks: [\"https://hooks.example.org/sns\"]\n  slack: [{name: ops, workspaceId: T0123ABCD, channelId: C0123ABCDEF}]\n  teams: [{name: ops-teams, teamId: 0f0e0d0c-0b0a-0908-0706-050403020100, tenantId: 1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d, channelId: \"19%3aab%40thread.tacv2\"}]\n  thresholds: {transferAuthFailures: 5, freeStoragePercent: 20}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := env.Observability.Props()
	if len(p.Emails) != 1 || p.Emails[0] != "ops@example.org" || len(p.Webhooks) != 1 ||
		len(p.Slack) != 1 || p.Slack[0].ChannelID != "C0123ABCDEF" || len(p.Teams) != 1 || p.Teams[0].ChannelID != "19%3aab%40thread.tacv2" {
		t.Errorf("props %+v", p)
	}
	th := env.Observability.AlarmThresholds()
	if th.TransferAuthFailures != 5 || th.FreeStoragePercent != 20 || th.CacheDirtyPercent != 0 {
		t.Errorf("thresholds %+v (unset ones stay 0 for the construct's defaults)", th)
	}
	none, err := config.Parse("environments/n.yaml", []byte("name: n\ntags: {owner: lab}\n"))
	if err != nil || len(none.Observability.Props().Emails) != 0 {
		t.Fatalf("no observability section: %v %+v", err, none.Observability)
	}
}

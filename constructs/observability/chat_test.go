package observability_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/observability"
)

var (
	chatOnce sync.Once
	chatFx   *cdktest.Assembly
)

const (
	teamID   = "0f0e0d0c-0b0a-0908-0706-050403020100"
	tenantID = "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"
)

// chatFixture: an operations topic posting to a Slack and a Teams
// channel, in an App held to the cdk-nag packs.
func chatFixture(t *testing.T) *cdktest.Assembly {
	t.Helper()
	chatOnce.Do(func() {
		chatFx = cdktest.Synth("OBSERVABILITY_KEEP_ASSEMBLY", func(app awscdk.App) []awscdk.Stack {
			stack := awscdk.NewStack(app, jsii.String("Chat"), nil)
			observability.New(stack, "Operations", &observability.Props{
				Slack: []observability.SlackChannel{{Name: "biolake-ops", WorkspaceID: "T0123ABCD", ChannelID: "C0123ABCDEF"}},
				Teams: []observability.TeamsChannel{{Name: "biolake-ops-teams", TeamID: strings.ToUpper(teamID), TenantID: tenantID, ChannelID: "19%3a0123abcd%40thread.tacv2"}},
			})
			return []awscdk.Stack{stack}
		})
	})
	chatFx.Check(t)
	return chatFx
}

// Both channels get the operations topic, the read-only role and the
// read-only guardrail (without one, Chatbot applies AdministratorAccess as
// the guardrail), and log errors only.
func TestChatChannels(t *testing.T) {
	a := chatFixture(t)
	topicID, _ := a.Res(t, "Chat", "Operations/Topic")
	roleID, role := a.Res(t, "Chat", "Operations/ChatRole")
	guardID, guard := a.Res(t, "Chat", "Operations/ChatGuardrail")

	slack := a.OfType("Chat", "AWS::Chatbot::SlackChannelConfiguration", "")
	teams := a.OfType("Chat", "AWS::Chatbot::MicrosoftTeamsChannelConfiguration", "")
	if len(slack) != 1 || len(teams) != 1 {
		t.Fatalf("%d Slack and %d Teams configurations, want 1 and 1", len(slack), len(teams))
	}
	for _, r := range []cdktest.Resource{only(slack), only(teams)} {
		p := r.Properties
		if got := cdktest.Render(p["SnsTopicArns"]); got != `["<Ref:`+topicID+`>"]` {
			t.Errorf("SnsTopicArns %s, want the operations topic", got)
		}
		if got := cdktest.Render(p["IamRoleArn"]); got != "<"+roleID+".Arn>" {
			t.Errorf("IamRoleArn %s, want the chat role", got)
		}
		if got := cdktest.Render(p["GuardrailPolicies"]); got != `["<Ref:`+guardID+`>"]` {
			t.Errorf("GuardrailPolicies %s, want only the read-only guardrail", got)
		}
		if p["LoggingLevel"] != "ERROR" {
			t.Errorf("LoggingLevel %v", p["LoggingLevel"])
		}
	}
	sp := only(slack).Properties
	if sp["SlackWorkspaceId"] != "T0123ABCD" || sp["SlackChannelId"] != "C0123ABCDEF" || sp["ConfigurationName"] != "biolake-ops" {
		t.Errorf("Slack configuration %v", sp)
	}
	tp := only(teams).Properties
	if tp["TeamId"] != teamID || tp["TeamsTenantId"] != tenantID || tp["TeamsChannelId"] != "19%3a0123abcd%40thread.tacv2" {
		t.Errorf("Teams configuration %v", tp)
	}

	// The role: assumed by Chatbot for this account only; it and the
	// guardrail allow the CloudWatch reads and nothing else.
	trust := cdktest.Statements(role.Properties["AssumeRolePolicyDocument"])
	if len(trust) != 1 || !slices.Equal(cdktest.ServicePrincipal(trust[0]), []string{"chatbot.amazonaws.com"}) || !strings.Contains(cdktest.Render(trust[0]["Condition"]), "aws:SourceAccount") {
		t.Errorf("trust policy %s", cdktest.Render(trust))
	}
	if n := len(a.OfType("Chat", "AWS::IAM::Policy", "")); n != 0 || role.Properties["Policies"] != nil {
		t.Errorf("the chat role has %d inline policies, want only the guardrail", n)
	}
	if got := cdktest.Render(role.Properties["ManagedPolicyArns"]); got != `["<Ref:`+guardID+`>"]` {
		t.Errorf("the chat role's managed policies %s, want only the guardrail", got)
	}
	var guardActions []string
	for _, s := range cdktest.Statements(guard.Properties["PolicyDocument"]) {
		if s["Effect"] != "Allow" {
			t.Errorf("guardrail statement %v", s)
		}
		guardActions = append(guardActions, actions(s)...)
	}
	for what, acts := range map[string][]string{"guardrail": guardActions} {
		if len(acts) == 0 {
			t.Errorf("%s allows nothing", what)
		}
		for _, act := range acts {
			if !strings.HasPrefix(act, "cloudwatch:Describe") && !strings.HasPrefix(act, "cloudwatch:Get") && !strings.HasPrefix(act, "cloudwatch:List") || strings.Contains(act, "*") {
				t.Errorf("%s allows %s: want CloudWatch reads only, named one by one", what, act)
			}
		}
	}
}

func TestChatNagFindings(t *testing.T) {
	chatFixture(t).NagGate(t, "/Operations/", "operations chat")
}

func TestChatCfnLint(t *testing.T) {
	cdktest.CfnLint(t, chatFixture(t).TemplateFiles())
}

// No channel, no role and no guardrail.
func TestChatNone(t *testing.T) {
	_, stack := cdktest.NewStack("NoChat")
	o := observability.New(stack, "Operations", &observability.Props{Emails: []string{"ops@example.org"}})
	if o.ChatRole != nil || len(o.Chat) != 0 {
		t.Errorf("chat resources without channels")
	}
	tpl := cdktest.Template(t, stack)
	cdktest.Count(t, tpl, "AWS::IAM::Role", 0)
	cdktest.Count(t, tpl, "AWS::IAM::ManagedPolicy", 0)
}

func TestChatValidate(t *testing.T) {
	slack := func(c observability.SlackChannel) observability.Props {
		return observability.Props{Slack: []observability.SlackChannel{c}}
	}
	teams := func(c observability.TeamsChannel) observability.Props {
		return observability.Props{Teams: []observability.TeamsChannel{c}}
	}
	okSlack := observability.SlackChannel{Name: "ops", WorkspaceID: "T0123ABCD", ChannelID: "C0123ABCDEF"}
	okTeams := observability.TeamsChannel{Name: "ops-teams", TeamID: teamID, TenantID: tenantID, ChannelID: "19%3a0123abcd%40thread.tacv2"}
	with := func(f func(*observability.SlackChannel)) observability.SlackChannel { c := okSlack; f(&c); return c }
	withT := func(f func(*observability.TeamsChannel)) observability.TeamsChannel { c := okTeams; f(&c); return c }
	for _, tc := range []struct {
		name  string
		props observability.Props
		field string
		says  string
	}{
		{"slack name", slack(with(func(c *observability.SlackChannel) { c.Name = "ops channel" })), "Props.Slack[0].Name", "letters, digits"},
		{"slack no name", slack(with(func(c *observability.SlackChannel) { c.Name = "" })), "Props.Slack[0].Name", "configuration name"},
		{"workspace lower case", slack(with(func(c *observability.SlackChannel) { c.WorkspaceID = "t0123abcd" })), "Props.Slack[0].WorkspaceID", "T0123ABCD"},
		{"channel by name", slack(with(func(c *observability.SlackChannel) { c.ChannelID = "#ops" })), "Props.Slack[0].ChannelID", "not the channel's #name"},
		{"team not uuid", teams(withT(func(c *observability.TeamsChannel) { c.TeamID = "ops" })), "Props.Teams[0].TeamID", "UUID"},
		{"tenant not uuid", teams(withT(func(c *observability.TeamsChannel) { c.TenantID = teamID + "0" })), "Props.Teams[0].TenantID", "UUID"},
		{"teams channel decoded", teams(withT(func(c *observability.TeamsChannel) { c.ChannelID = "19:0123abcd@thread.tacv2" })), "Props.Teams[0].ChannelID", "URL-encoded"},
		{"same name twice", observability.Props{Slack: []observability.SlackChannel{okSlack}, Teams: []observability.TeamsChannel{withT(func(c *observability.TeamsChannel) { c.Name = okSlack.Name })}}, "Props.Teams[0].Name", "not used by another channel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stack := cdktest.NewStack("Bad")
			err := cdktest.CatchValidation(t, func() { observability.New(stack, "Operations", &tc.props) })
			cdktest.HasField(t, err, "Bad/Operations", tc.field)
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
		})
	}
	good := observability.Props{Slack: []observability.SlackChannel{okSlack}, Teams: []observability.TeamsChannel{okTeams}}
	if err := good.Validate(); err != nil {
		t.Errorf("valid channels refused: %v", err)
	}
}

func only(m map[string]cdktest.Resource) cdktest.Resource {
	for _, r := range m {
		return r
	}
	return cdktest.Resource{}
}

func actions(s map[string]any) []string {
	var out []string
	switch a := s["Action"].(type) {
	case string:
		out = append(out, a)
	case []any:
		for _, x := range a {
			out = append(out, x.(string))
		}
	}
	return out
}

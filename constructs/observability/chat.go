package observability

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awschatbot"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/nag"
)

// SlackChannel is a Slack channel the operations topic posts to through
// AWS Chatbot. The workspace must be authorized once in the Chatbot
// console (an OAuth step CloudFormation cannot do); the console then
// shows its workspace id.
type SlackChannel struct {
	// Name of the Chatbot configuration: letters, digits, '-' and '_', at
	// most 128, unique in the account. Required; no default.
	Name string
	// WorkspaceID is the Slack workspace (team) id, such as T0123ABCD.
	// Required; no default.
	WorkspaceID string
	// ChannelID is the Slack channel id, such as C0123ABCDEF (a private
	// channel must invite @aws first). Required; no default.
	ChannelID string
}

// TeamsChannel is a Microsoft Teams channel the operations topic posts to
// through AWS Chatbot. The team must be authorized once in the Chatbot
// console, which shows the team and tenant ids.
type TeamsChannel struct {
	// Name of the Chatbot configuration: letters, digits, '-' and '_', at
	// most 128, unique in the account. Required; no default.
	Name string
	// TeamID and TenantID are UUIDs. Required; no default.
	TeamID, TenantID string
	// ChannelID is the channel's id as Teams copies it, URL-encoded, such
	// as 19%3a0123abcd%40thread.tacv2. Required; no default.
	ChannelID string
}

// Patterns of the Chatbot API (botocore's model of it).
var (
	chatConfigNameRE = regexp.MustCompile(`^[A-Za-z0-9-_]{1,128}$`)
	slackTeamRE      = regexp.MustCompile(`^[0-9A-Z]{1,255}$`)
	slackChannelRE   = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)
	uuidRE           = regexp.MustCompile(`^[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$`)
	teamsChannelRE   = regexp.MustCompile(`^[a-zA-Z0-9-_=+/.,]*%3[aA][a-zA-Z0-9-_=+/.,]*%40[a-zA-Z0-9-_=+/.,]*$`)
)

// chatAlarmActions and chatMetricActions are what the channel role and its
// guardrail allow: what Chatbot reads to show an alarm (its state, history
// and metric chart). Nothing else can be run from the channel.
var chatAlarmActions = []string{
	"cloudwatch:DescribeAlarms",
	"cloudwatch:DescribeAlarmHistory",
}

var chatMetricActions = []string{
	"cloudwatch:GetMetricData",
	"cloudwatch:GetMetricStatistics",
	"cloudwatch:GetMetricWidgetImage",
	"cloudwatch:ListMetrics",
}

// validateChat checks the chat channels, adding problems through bad.
func validateChat(slack []SlackChannel, teams []TeamsChannel, bad func(field string, value any, accepted string, args ...any)) {
	names := map[string]bool{}
	name := func(field, n string) {
		switch {
		case !chatConfigNameRE.MatchString(n):
			bad(field+".Name", n, "a Chatbot configuration name: letters, digits, '-' and '_', at most 128 (such as biolake-prod-ops)")
		case names[n]:
			bad(field+".Name", n, "a configuration name not used by another channel")
		}
		names[n] = true
	}
	for i, c := range slack {
		f := fmt.Sprintf("Slack[%d]", i)
		name(f, c.Name)
		if !slackTeamRE.MatchString(c.WorkspaceID) {
			bad(f+".WorkspaceID", c.WorkspaceID, "the Slack workspace id the Chatbot console shows after authorizing the workspace: capital letters and digits, such as T0123ABCD")
		}
		if !slackChannelRE.MatchString(c.ChannelID) {
			bad(f+".ChannelID", c.ChannelID, "a Slack channel id: letters and digits, such as C0123ABCDEF (not the channel's #name)")
		}
	}
	for i, c := range teams {
		f := fmt.Sprintf("Teams[%d]", i)
		name(f, c.Name)
		if !uuidRE.MatchString(c.TeamID) {
			bad(f+".TeamID", c.TeamID, "the team's UUID from the Chatbot console, such as 0f0e0d0c-0b0a-0908-0706-050403020100")
		}
		if !uuidRE.MatchString(c.TenantID) {
			bad(f+".TenantID", c.TenantID, "the tenant's UUID from the Chatbot console")
		}
		if !teamsChannelRE.MatchString(c.ChannelID) || len(c.ChannelID) > 255 {
			bad(f+".ChannelID", c.ChannelID, "the channel id as Teams copies it, URL-encoded, such as 19%%3a0123abcd%%40thread.tacv2")
		}
	}
}

// addChat creates the Chatbot channel configurations and, when there is
// one, their role and guardrail: read-only CloudWatch, so a channel shows
// alarms and can run nothing.
func (o *Operations) addChat(slack []SlackChannel, teams []TeamsChannel) {
	if len(slack)+len(teams) == 0 {
		return
	}
	stack := awscdk.Stack_Of(o)
	alarms := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadAlarms"),
		Actions:   jsii.Strings(chatAlarmActions...),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: jsii.String("*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})),
	})
	metrics := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("ReadMetrics"),
		Actions: jsii.Strings(chatMetricActions...),
		// CloudWatch's metric reads take no resource.
		Resources: jsii.Strings("*"),
	})
	// One managed policy is both the role's permissions and the channels'
	// guardrail (the upper bound of what anyone in the channel can do).
	guard := awsiam.NewManagedPolicy(o, jsii.String("ChatGuardrail"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Guardrail and permissions of the biolake operations chat channels: read alarms and metrics only"),
		Statements:  &[]awsiam.PolicyStatement{alarms, metrics},
	})
	role := awsiam.NewRole(o, jsii.String("ChatRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("chatbot.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()}},
		}),
		Description:     jsii.String("AWS Chatbot channels of " + *o.Node().Path() + ": read alarms and their metrics"),
		ManagedPolicies: &[]awsiam.IManagedPolicy{guard},
	})
	nag.Suppress(guard, nag.Rule{ID: "AwsSolutions-IAM5", Reason: "Chatbot shows any alarm of the account's environment stacks (alarm:*, read only), and CloudWatch's metric reads (GetMetricData, GetMetricStatistics, GetMetricWidgetImage, ListMetrics) have no resource type, so they take \"*\"; no write or other service is allowed.",
		AppliesTo: []string{"Resource::*", "Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*"}})
	o.ChatRole = role
	guards := jsii.Strings(*guard.ManagedPolicyArn())
	topics := jsii.Strings(*o.Topic.TopicArn())
	for i, c := range slack {
		o.Chat = append(o.Chat, awschatbot.NewCfnSlackChannelConfiguration(o, jsii.String(fmt.Sprintf("Slack%d", i)), &awschatbot.CfnSlackChannelConfigurationProps{
			ConfigurationName: jsii.String(c.Name),
			SlackWorkspaceId:  jsii.String(c.WorkspaceID),
			SlackChannelId:    jsii.String(c.ChannelID),
			IamRoleArn:        role.RoleArn(),
			GuardrailPolicies: guards,
			SnsTopicArns:      &[]interface{}{o.Topic.TopicArn()},
			LoggingLevel:      jsii.String("ERROR"),
		}))
	}
	for i, c := range teams {
		o.Chat = append(o.Chat, awschatbot.NewCfnMicrosoftTeamsChannelConfiguration(o, jsii.String(fmt.Sprintf("Teams%d", i)), &awschatbot.CfnMicrosoftTeamsChannelConfigurationProps{
			ConfigurationName: jsii.String(c.Name),
			TeamId:            jsii.String(strings.ToLower(c.TeamID)),
			TeamsTenantId:     jsii.String(strings.ToLower(c.TenantID)),
			TeamsChannelId:    jsii.String(c.ChannelID),
			IamRoleArn:        role.RoleArn(),
			GuardrailPolicies: guards,
			SnsTopicArns:      topics,
			LoggingLevel:      jsii.String("ERROR"),
		}))
	}
}

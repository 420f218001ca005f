package config

import (
	"github.com/biolake/biolake/constructs/observability"
	"github.com/biolake/biolake/constructs/validation"
)

// Observability settings: who the operations topic notifies, and the
// alarm thresholds that depend on the site.
type Observability struct {
	// Emails subscribed to the operations topic (each confirms from the
	// mail AWS sends). Default: none.
	Emails []string `yaml:"emails"`
	// Webhooks: HTTPS endpoints subscribed to the operations topic.
	// Default: none.
	Webhooks []string `yaml:"webhooks"`
	// Slack channels the topic posts to through AWS Chatbot (authorize
	// the workspace once in the Chatbot console first). Default: none.
	Slack []ChatSlack `yaml:"slack"`
	// Teams channels the topic posts to through AWS Chatbot (authorize
	// the team once in the Chatbot console first). Default: none.
	Teams []ChatTeams `yaml:"teams"`
	// Thresholds of the alarms. Default: those of constructs/observability.
	Thresholds AlarmThresholds `yaml:"thresholds"`
}

// ChatSlack is a Slack channel of the operations topic.
type ChatSlack struct {
	// Name of the Chatbot configuration, unique in the account. Required.
	Name string `yaml:"name"`
	// WorkspaceID: the Slack workspace id (T0123ABCD). Required.
	WorkspaceID string `yaml:"workspaceId"`
	// ChannelID: the Slack channel id (C0123ABCDEF). Required.
	ChannelID string `yaml:"channelId"`
}

// ChatTeams is a Microsoft Teams channel of the operations topic.
type ChatTeams struct {
	// Name of the Chatbot configuration, unique in the account. Required.
	Name string `yaml:"name"`
	// TeamID and TenantID: UUIDs from the Chatbot console. Required.
	TeamID   string `yaml:"teamId"`
	TenantID string `yaml:"tenantId"`
	// ChannelID: the channel id as Teams copies it, URL-encoded. Required.
	ChannelID string `yaml:"channelId"`
}

// AlarmThresholds are observability.Thresholds in the environment file;
// 0 or absent takes the default.
type AlarmThresholds struct {
	// TransferAuthFailures: refused SFTP/FTPS logins in five minutes. Default: 10.
	TransferAuthFailures int `yaml:"transferAuthFailures"`
	// FreeStoragePercent: a persistent Lustre file system alarms below
	// this share of free capacity. Default: 10.
	FreeStoragePercent int `yaml:"freeStoragePercent"`
	// CacheDirtyPercent of the File Gateway cache. Default: 80.
	CacheDirtyPercent int `yaml:"cacheDirtyPercent"`
	// UploadBacklogGiB of the File Gateway. Default: 100.
	UploadBacklogGiB int `yaml:"uploadBacklogGiB"`
	// LambdaErrors of one function in five minutes. Default: 1.
	LambdaErrors int `yaml:"lambdaErrors"`
	// LambdaThrottles of one function in five minutes. Default: 1.
	LambdaThrottles int `yaml:"lambdaThrottles"`
}

// Props returns the operations topic's props (without a supplied key).
func (o *Observability) Props() *observability.Props {
	p := &observability.Props{Emails: o.Emails, Webhooks: o.Webhooks}
	for _, c := range o.Slack {
		p.Slack = append(p.Slack, observability.SlackChannel{Name: c.Name, WorkspaceID: c.WorkspaceID, ChannelID: c.ChannelID})
	}
	for _, c := range o.Teams {
		p.Teams = append(p.Teams, observability.TeamsChannel{Name: c.Name, TeamID: c.TeamID, TenantID: c.TenantID, ChannelID: c.ChannelID})
	}
	return p
}

// AlarmThresholds returns the thresholds for observability.NewAlarms.
func (o *Observability) AlarmThresholds() *observability.Thresholds {
	t := o.Thresholds
	return &observability.Thresholds{
		TransferAuthFailures: t.TransferAuthFailures, FreeStoragePercent: t.FreeStoragePercent,
		CacheDirtyPercent: t.CacheDirtyPercent, UploadBacklogGiB: t.UploadBacklogGiB,
		LambdaErrors: t.LambdaErrors, LambdaThrottles: t.LambdaThrottles,
	}
}

func (o *Observability) validate(e *Environment) error {
	if err := validation.Join("", o.Props().Validate(), o.AlarmThresholds().Validate()); err != nil {
		return &FieldError{File: e.File, Path: "observability", Msg: err.Error()}
	}
	return nil
}

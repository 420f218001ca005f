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
	// Thresholds of the alarms. Default: those of constructs/observability.
	Thresholds AlarmThresholds `yaml:"thresholds"`
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
	return &observability.Props{Emails: o.Emails, Webhooks: o.Webhooks}
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

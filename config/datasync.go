package config

import (
	"github.com/biolake/biolake/constructs/datasync"
)

// DataSync settings: the lab's file servers synced into the raw bucket. The
// agent and tasks are created when at least one source is listed.
type DataSync struct {
	// AgentArn of an agent that is already activated. Default: "".
	AgentArn string `yaml:"agentArn"`
	// ActivationKey of a new agent (single use; from the agent's console),
	// or PARAMETER to ask for it as a stack parameter at deploy time.
	// Default: "".
	ActivationKey string `yaml:"activationKey"`
	// AgentCIDR is no longer accepted: the agent's networks are
	// network.onPremises.cidrs. Kept only to refuse it by name.
	AgentCIDR string `yaml:"agentCIDR"`
	// SupportChannel opens TCP 22 from the agent to the endpoint for AWS
	// Support. Default: false.
	SupportChannel bool `yaml:"supportChannel"`
	// ReportLevel of task reports: ERRORS_ONLY or SUCCESSES_AND_ERRORS.
	// Default: the construct's.
	ReportLevel string `yaml:"reportLevel"`
	// Sources are the instrument shares. Default: none (no DataSync).
	Sources []DataSyncSource `yaml:"sources"`
}

// DataSyncSource is one NFS or SMB share.
type DataSyncSource struct {
	Name              string `yaml:"name"`
	Protocol          string `yaml:"protocol"`
	Server            string `yaml:"server"`
	Subdirectory      string `yaml:"subdirectory"`
	NFSVersion        string `yaml:"nfsVersion"`
	SMBVersion        string `yaml:"smbVersion"`
	User              string `yaml:"user"`
	Domain            string `yaml:"domain"`
	PasswordSecretArn string `yaml:"passwordSecretArn"`
	// Profile: novaseq-x, novaseq-6000, nextseq, miseq or generic.
	Profile  string   `yaml:"profile"`
	Markers  []string `yaml:"markers"`
	Manifest string   `yaml:"manifest"`
	// Subfolder under runs/ of the raw bucket. Default: none (runs/).
	Subfolder string `yaml:"subfolder"`
	// Schedule: cron(...) or rate(...), at most hourly. Default: rate(1 hour).
	Schedule       string `yaml:"schedule"`
	Include        string `yaml:"include"`
	Exclude        string `yaml:"exclude"`
	BytesPerSecond int64  `yaml:"bytesPerSecond"`
	// Overwrite: ALWAYS or NEVER. Default: ALWAYS.
	Overwrite string `yaml:"overwrite"`
}

// Enabled reports whether the environment syncs any lab share.
func (d *DataSync) Enabled() bool { return len(d.Sources) > 0 }

// Props returns the DataSync construct's props (without network, data lake,
// bus and logs key).
func (d *DataSync) Props(e *Environment) *datasync.Props {
	p := &datasync.Props{
		AgentArn:         d.AgentArn,
		ActivationKey:    d.ActivationKey,
		SupportChannel:   d.SupportChannel,
		ReportLevel:      d.ReportLevel,
		LogRetentionDays: e.Logs.RetentionDays,
	}
	for _, s := range d.Sources {
		p.Sources = append(p.Sources, datasync.Source{
			Name: s.Name, Protocol: datasync.Protocol(s.Protocol), Server: s.Server, Subdirectory: s.Subdirectory,
			NFSVersion: s.NFSVersion, SMBVersion: s.SMBVersion, User: s.User, Domain: s.Domain,
			PasswordSecretArn: s.PasswordSecretArn, Profile: s.Profile, Markers: s.Markers, Manifest: s.Manifest,
			Subfolder: s.Subfolder, Schedule: s.Schedule, Include: s.Include, Exclude: s.Exclude,
			BytesPerSecond: s.BytesPerSecond, Overwrite: datasync.OverwriteMode(s.Overwrite),
		})
	}
	return p
}

func (d *DataSync) validate(e *Environment) error {
	if !d.Enabled() {
		if d.AgentArn != "" || d.ActivationKey != "" {
			return e.fail("dataSync.sources", "", "is empty, so no agent or task is created; list at least one source or remove the agent settings")
		}
		return nil
	}
	if err := d.Props(e).ValidateSettings(); err != nil {
		return &FieldError{File: e.File, Path: "dataSync", Msg: err.Error()}
	}
	return nil
}

package config

import (
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/filegateway"
)

// FileGateway settings: NFS/SMB shares of the data lake for on-premises
// researchers through an existing S3 File Gateway, and the cache refresh
// when new objects land. Created when gatewayArn is set.
type FileGateway struct {
	// GatewayARN of an activated S3 File Gateway. Default: "" (none).
	GatewayARN string `yaml:"gatewayArn"`
	// Shares to create. Default: a read-only NFS share of the curated
	// bucket and a read-write NFS drop share on shared/share/.
	Shares []FileShare `yaml:"shares"`
	// ClientCIDRs allowed on NFS shares that list none. Default: the VPC's CIDR.
	ClientCIDRs []string `yaml:"clientCIDRs"`
	// ReservedConcurrency of the cache-refresh handler, 1 or 2. Default: 2.
	ReservedConcurrency int `yaml:"reservedConcurrency"`
}

// FileShare is one share.
type FileShare struct {
	Name string `yaml:"name"`
	// Protocol: NFS or SMB. Default: NFS.
	Protocol string `yaml:"protocol"`
	// Bucket: raw, partner, shared, curated or results. Required.
	Bucket string `yaml:"bucket"`
	Prefix string `yaml:"prefix"`
	// ReadOnly share; read-write shares are accepted on the shared bucket only.
	ReadOnly    bool     `yaml:"readOnly"`
	ClientCIDRs []string `yaml:"clientCIDRs"`
	SMBUsers    []string `yaml:"smbUsers"`
	// Squash: RootSquash or AllSquash. Default: RootSquash.
	Squash string `yaml:"squash"`
}

// Enabled reports whether the environment has File Gateway shares.
func (f *FileGateway) Enabled() bool { return f.GatewayARN != "" }

// Props returns the construct's props (without network, data lake, logs
// key and alarm topic).
func (f *FileGateway) Props(e *Environment) *filegateway.Props {
	p := &filegateway.Props{
		GatewayARN:          f.GatewayARN,
		ClientCIDRs:         f.ClientCIDRs,
		LogRetentionDays:    e.Logs.RetentionDays,
		ReservedConcurrency: f.ReservedConcurrency,
	}
	for _, s := range f.Shares {
		p.Shares = append(p.Shares, filegateway.Share{
			Name: s.Name, Protocol: filegateway.Protocol(s.Protocol), Bucket: datalake.BucketName(s.Bucket), Prefix: s.Prefix,
			ReadOnly: s.ReadOnly, ClientCIDRs: s.ClientCIDRs, SMBUsers: s.SMBUsers, Squash: filegateway.Squash(s.Squash),
		})
	}
	return p
}

func (f *FileGateway) validate(e *Environment) error {
	if !f.Enabled() {
		if len(f.Shares) > 0 || len(f.ClientCIDRs) > 0 {
			return e.fail("fileGateway.gatewayArn", "", "is required with shares: the ARN of an activated S3 File Gateway")
		}
		return nil
	}
	if err := f.Props(e).ValidateSettings(); err != nil {
		return &FieldError{File: e.File, Path: "fileGateway", Msg: err.Error()}
	}
	return nil
}

package config

import (
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/filegateway"
)

// FileGateway settings: NFS/SMB shares of the data lake for on-premises
// researchers through an S3 File Gateway, and the cache refresh when new
// objects land. The gateway is an existing one (gatewayArn) or one hosted
// on EC2 in the VPC and activated at deploy time (ec2), never both.
// Created when either is set.
type FileGateway struct {
	// GatewayARN of an activated S3 File Gateway. Default: "" (none).
	GatewayARN string `yaml:"gatewayArn"`
	// GatewayName of the existing gateway (gatewayArn), as Storage Gateway
	// shows it: its cache and upload-backlog metrics carry it, so the
	// alarms on them need it. Default: "" (no such alarms).
	GatewayName string `yaml:"gatewayName"`
	// EC2 hosts the gateway on an EC2 instance instead. Default: none.
	EC2 *FileGatewayEC2 `yaml:"ec2"`
	// Shares to create. Default: a read-only NFS share of the curated
	// bucket and a read-write NFS drop share on shared/share/.
	Shares []FileShare `yaml:"shares"`
	// ClientCIDRs is no longer accepted: the clients of shares that list
	// none are network.onPremises.cidrs (or, with none, the VPC's CIDR).
	// Kept only to refuse it by name.
	ClientCIDRs []string `yaml:"clientCIDRs"`
	// ReservedConcurrency of the cache-refresh handler, 1 or 2. Default: 2.
	ReservedConcurrency int `yaml:"reservedConcurrency"`
}

// FileGatewayEC2 is a gateway hosted on EC2.
type FileGatewayEC2 struct {
	// InstanceType of the gateway instance (see filegateway.InstanceTypes).
	// Default: m5.xlarge.
	InstanceType string `yaml:"instanceType"`
	// CacheDiskGiB is the size of the cache disk, 150 to 16384. Required.
	CacheDiskGiB int `yaml:"cacheDiskGiB"`
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

// Enabled reports whether the environment has File Gateway shares: an
// existing gateway or one hosted on EC2.
func (f *FileGateway) Enabled() bool { return f.GatewayARN != "" || f.EC2 != nil }

// Props returns the construct's props (without network, data lake, logs
// key and alarm topic).
func (f *FileGateway) Props(e *Environment) *filegateway.Props {
	p := &filegateway.Props{
		GatewayARN:          f.GatewayARN,
		GatewayName:         f.GatewayName,
		LogRetentionDays:    e.Logs.RetentionDays,
		ReservedConcurrency: f.ReservedConcurrency,
	}
	if f.EC2 != nil {
		p.EC2 = &filegateway.EC2Host{InstanceType: f.EC2.InstanceType, CacheDiskGiB: f.EC2.CacheDiskGiB}
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
		if len(f.Shares) > 0 {
			return e.fail("fileGateway.gatewayArn", "", "is required with shares: the ARN of an activated S3 File Gateway, or an ec2 block to host one on EC2")
		}
		return nil
	}
	if f.GatewayARN != "" && f.EC2 != nil {
		return e.fail("fileGateway.ec2", "", "is set together with fileGateway.gatewayArn %q; accepted: either an existing gateway (gatewayArn) or one hosted on EC2 (ec2), not both", f.GatewayARN)
	}
	if err := f.Props(e).ValidateSettings(); err != nil {
		return &FieldError{File: e.File, Path: "fileGateway", Msg: err.Error()}
	}
	return nil
}

package filegateway_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/filegateway"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
)

// keyScope holds the imported keys and topics of the validation tests.
var keyScope = sync.OnceValue(func() awscdk.Stack { return awscdk.NewStack(nil, jsii.String("Keys"), nil) })

func testKey(id string) awskms.IKey {
	return awskms.Key_FromKeyArn(keyScope(), jsii.String(id), jsii.String("arn:aws:kms:eu-west-1:111122223333:key/0f0f0f0f-1111-2222-3333-444455556666"))
}

func TestValidate(t *testing.T) {
	ok := func() *filegateway.Props {
		return &filegateway.Props{Network: &network.Network{}, Lake: &datalake.DataLake{}, GatewayARN: gatewayARN}
	}
	with := func(f func(p *filegateway.Props)) *filegateway.Props { p := ok(); f(p); return p }
	onEC2 := func(f func(h *filegateway.EC2Host)) *filegateway.Props {
		p := ok()
		p.GatewayARN = ""
		p.EC2 = &filegateway.EC2Host{CacheDiskGiB: filegateway.MinCacheDiskGiB}
		if f != nil {
			f(p.EC2)
		}
		return p
	}
	nfs := func(name string, b datalake.BucketName, prefix string, ro bool) filegateway.Share {
		return filegateway.Share{Name: name, Bucket: b, Prefix: prefix, ReadOnly: ro}
	}
	assert.NoError(t, ok().Validate())
	assert.NoError(t, onEC2(nil).Validate())
	assert.NoError(t, onEC2(func(h *filegateway.EC2Host) {
		h.InstanceType = "c5.2xlarge"
		h.CacheDiskGiB = 16384
		h.Timezone = "GMT-9:30"
	}).Validate())
	for _, typ := range filegateway.InstanceTypes() {
		assert.NoError(t, onEC2(func(h *filegateway.EC2Host) { h.InstanceType = typ }).Validate(), typ)
	}
	assert.NoError(t, with(func(p *filegateway.Props) { p.Shares = customShares(); p.ReservedConcurrency = 1 }).Validate())
	assert.NoError(t, with(func(p *filegateway.Props) {
		p.Shares = []filegateway.Share{nfs("aa1", datalake.BucketShared, "share/a", false), nfs("bb1", datalake.BucketShared, "share/b/", false), nfs("cc1", datalake.BucketCurated, "x/", true)}
	}).Validate())

	for _, tc := range []struct {
		name  string
		props *filegateway.Props
		want  []string // substrings of the error
	}{
		{"nil props", nil, []string{"Props is nil", "GatewayARN"}},
		{"no network, no lake", with(func(p *filegateway.Props) { p.Network, p.Lake = nil, nil }), []string{"Props.Network is nil", "Props.Lake is nil"}},
		{"missing gateway ARN", with(func(p *filegateway.Props) { p.GatewayARN = "" }), []string{`Props.GatewayARN is ""; accepted: the ARN of an activated S3 File Gateway`}},
		{"bad gateway ARN", with(func(p *filegateway.Props) {
			p.GatewayARN = "arn:aws:storagegateway:eu-west-1:111122223333:share/share-1A2B3C4D"
		}), []string{`Props.GatewayARN is "arn:aws:storagegateway:eu-west-1:111122223333:share/share-1A2B3C4D"; accepted: a gateway ARN`}},
		{"neither ARN nor EC2", with(func(p *filegateway.Props) { p.GatewayARN = "" }), []string{`Props.GatewayARN is ""`, "or EC2 to host and activate one on EC2"}},
		{"EC2 and ARN", with(func(p *filegateway.Props) { p.EC2 = &filegateway.EC2Host{CacheDiskGiB: 150} }), []string{`Props.GatewayARN is "` + gatewayARN + `"; accepted: either an existing gateway (GatewayARN) or EC2, not both`}},
		{"cache too small", onEC2(func(h *filegateway.EC2Host) { h.CacheDiskGiB = 100 }), []string{"Props.EC2.CacheDiskGiB is 100; accepted: 150 to 16384 GiB"}},
		{"cache missing", onEC2(func(h *filegateway.EC2Host) { h.CacheDiskGiB = 0 }), []string{"Props.EC2.CacheDiskGiB is 0; accepted: 150 to 16384 GiB"}},
		{"cache over one volume", onEC2(func(h *filegateway.EC2Host) { h.CacheDiskGiB = 65536 }), []string{"Props.EC2.CacheDiskGiB is 65536", "one gp3 volume holds at most 16 TiB"}},
		{"instance too small", onEC2(func(h *filegateway.EC2Host) { h.InstanceType = "m5.large" }), []string{`Props.EC2.InstanceType is "m5.large"; accepted: one of c4.4xlarge, c4.8xlarge, c5.12xlarge`, "m5.xlarge", `or empty for "m5.xlarge"`, "at least 4 vCPUs and 16 GiB"}},
		{"c5.xlarge has 8 GiB", onEC2(func(h *filegateway.EC2Host) { h.InstanceType = "c5.xlarge" }), []string{`Props.EC2.InstanceType is "c5.xlarge"`}},
		{"not an instance type", onEC2(func(h *filegateway.EC2Host) { h.InstanceType = "big" }), []string{`Props.EC2.InstanceType is "big"`}},
		{"bad timezone", onEC2(func(h *filegateway.EC2Host) { h.Timezone = "Europe/Berlin" }), []string{`Props.EC2.Timezone is "Europe/Berlin"; accepted: "GMT", or "GMT+h:mm"`}},
		{"too many security group rules", func() *filegateway.Props {
			p := onEC2(nil)
			for i := range 10 {
				p.ClientCIDRs = append(p.ClientCIDRs, fmt.Sprintf("10.%d.0.0/16", i))
			}
			return p
		}(), []string{"Props.EC2 is a gateway security group of 61 inbound rules (10 NFS client networks x 6, 0 SMB client networks, HTTP for activation); accepted: at most 60 inbound rules"}},
		{"retention", with(func(p *filegateway.Props) { p.LogRetentionDays = 42 }), []string{"Props.LogRetentionDays is 42"}},
		{"concurrency", with(func(p *filegateway.Props) { p.ReservedConcurrency = 5 }), []string{"Props.ReservedConcurrency is 5; accepted: 1 or 2"}},
		{"empty shares", with(func(p *filegateway.Props) { p.Shares = []filegateway.Share{} }), []string{"Props.Shares is empty"}},
		{"duplicate names", with(func(p *filegateway.Props) {
			p.Shares = []filegateway.Share{nfs("same", datalake.BucketShared, "share/a/", false), nfs("same", datalake.BucketShared, "share/b/", false)}
		}), []string{`Props.Shares[1].Name is "same"; accepted: a name no other share has`}},
		{"bad name", with(func(p *filegateway.Props) {
			p.Shares = []filegateway.Share{nfs("Bad_Name", datalake.BucketShared, "", false)}
		}), []string{`Shares[0].Name is "Bad_Name"`}},
		{"overlapping prefixes", with(func(p *filegateway.Props) {
			p.Shares = []filegateway.Share{nfs("outer", datalake.BucketShared, "share/", false), nfs("inner", datalake.BucketShared, "share/lab1/", false)}
		}), []string{`Props.Shares[1].Prefix is "share/lab1/"; accepted: a prefix that does not overlap Shares[0]'s "share/"`}},
		{"default prefix overlaps", with(func(p *filegateway.Props) {
			p.Shares = []filegateway.Share{nfs("whole", datalake.BucketCurated, "", true), nfs("part", datalake.BucketCurated, "x/", true)}
		}), []string{`Shares[1].Prefix is "x/"`}},
		{"bad prefix", with(func(p *filegateway.Props) {
			p.Shares = []filegateway.Share{nfs("pp1", datalake.BucketShared, "a/../b", false)}
		}), []string{`Shares[0].Prefix is "a/../b"`}},
		{"bad CIDR", with(func(p *filegateway.Props) {
			s := nfs("cc1", datalake.BucketShared, "", false)
			s.ClientCIDRs = []string{"10.0.0.1/8", "nonsense", "2001:db8::/32"}
			p.Shares = []filegateway.Share{s}
		}), []string{`Shares[0].ClientCIDRs[0] is "10.0.0.1/8"; accepted: a prefix without host bits, such as "10.0.0.0/8"`, `ClientCIDRs[1] is "nonsense"`, `ClientCIDRs[2] is "2001:db8::/32"`}},
		{"0.0.0.0/0 refused", with(func(p *filegateway.Props) { p.ClientCIDRs = []string{"0.0.0.0/0"} }), []string{`Props.ClientCIDRs[0] is "0.0.0.0/0"; accepted: the clients' own networks`}},
		{"SMB without users", with(func(p *filegateway.Props) {
			p.Shares = []filegateway.Share{{Name: "smb1", Protocol: filegateway.SMB, Bucket: datalake.BucketShared}}
		}), []string{"Shares[0].SMBUsers is empty; accepted: at least one Active Directory user or group", "guest access is never enabled"}},
		{"SMB with NFS settings", with(func(p *filegateway.Props) {
			p.Shares = []filegateway.Share{{Name: "smb1", Protocol: filegateway.SMB, Bucket: datalake.BucketShared, SMBUsers: []string{"bad,user"}, ClientCIDRs: []string{"10.0.0.0/8"}, Squash: filegateway.RootSquash}}
		}), []string{"Shares[0].ClientCIDRs", "Shares[0].Squash", `Shares[0].SMBUsers[0] is "bad,user"`}},
		{"NFS with users, NoSquash", with(func(p *filegateway.Props) {
			p.Shares = []filegateway.Share{{Name: "nn1", Bucket: datalake.BucketShared, SMBUsers: []string{"x"}, Squash: "NoSquash"}}
		}), []string{"Shares[0].SMBUsers", `Shares[0].Squash is "NoSquash"`}},
		{"bad protocol", with(func(p *filegateway.Props) {
			p.Shares = []filegateway.Share{{Name: "nn1", Protocol: "AFP", Bucket: datalake.BucketShared}}
		}), []string{`Shares[0].Protocol is "AFP"`}},
		{"read-write curated refused", with(func(p *filegateway.Props) {
			p.Shares = []filegateway.Share{nfs("cur", datalake.BucketCurated, "", false)}
		}),
			[]string{"Props.Shares[0].ReadOnly is false; accepted: true for a share of the curated bucket"}},
		{"unknown bucket", with(func(p *filegateway.Props) {
			p.Shares = []filegateway.Share{nfs("xx1", datalake.BucketAnalytics, "", true)}
		}), []string{`Shares[0].Bucket is "analytics"`}},
		{"alarm topic and alarm key", with(func(p *filegateway.Props) {
			p.AlarmTopic = awssns.Topic_FromTopicArn(keyScope(), jsii.String("Topic"), jsii.String("arn:aws:sns:eu-west-1:111122223333:alarms"))
			p.AlarmKey = testKey("Alarm")
		}), []string{"Props.AlarmKey is set; accepted: either an existing topic (AlarmTopic) or AlarmKey for the topic the construct creates, not both"}},
		{"volume key without EC2", with(func(p *filegateway.Props) { p.VolumeKey = testKey("Volume") }),
			[]string{"Props.VolumeKey is set; accepted: VolumeKey only together with EC2"}},
		{"too many shares", with(func(p *filegateway.Props) {
			for i := range filegateway.MaxShares + 1 {
				p.Shares = append(p.Shares, nfs("s"+strings.Repeat("x", i+2), datalake.BucketShared, "share/"+strings.Repeat("y", i+1)+"/", false))
			}
		}), []string{"Props.Shares is 13 shares; accepted: at most 12"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.props.Validate()
			if !assert.Error(t, err) {
				return
			}
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			cdktest.HasField(t, err, "", strings.SplitN(tc.want[0], " is ", 2)[0])
		})
	}
}

// TestValidateSettings: the settings alone, as a config layer checks them.
func TestValidateSettings(t *testing.T) {
	p := &filegateway.Props{GatewayARN: gatewayARN}
	assert.NoError(t, p.ValidateSettings())
	p.GatewayARN = "sgw-12A3456B"
	assert.ErrorContains(t, p.ValidateSettings(), "Props.GatewayARN")
	p = &filegateway.Props{EC2: &filegateway.EC2Host{CacheDiskGiB: 150}}
	assert.NoError(t, p.ValidateSettings())
	p.EC2.CacheDiskGiB = 149
	assert.ErrorContains(t, p.ValidateSettings(), "Props.EC2.CacheDiskGiB is 149")
}

package filegateway_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/filegateway"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
)

const ec2Stack = "OnEC2"

func TestEC2Instance(t *testing.T) {
	f := load(t)
	_, inst := f.res(t, ec2Stack, "FileGateway/Gateway/Instance")
	require.Equal(t, "AWS::EC2::Instance", inst.Type)
	p := inst.Properties

	// The AMI comes from the public SSM parameter, resolved at deploy time.
	param := strings.TrimSuffix(strings.TrimPrefix(render(p["ImageId"]), "<Ref:"), ">")
	raw, err := json.Marshal(f.tpl[ec2Stack].Parameters[param])
	require.NoError(t, err)
	assert.JSONEq(t, `{"Type":"AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>","Default":"/aws/service/storagegateway/ami/FILE_S3/latest"}`, string(raw))

	assert.Equal(t, filegateway.DefaultInstanceType, p["InstanceType"])
	assert.Equal(t, true, p["Monitoring"], "detailed monitoring")
	assert.Equal(t, true, p["EbsOptimized"])
	assert.Equal(t, true, p["DisableApiTermination"], "termination protection")
	assert.Regexp(t, `^<Ref:NetworkVpcprivateSubnet1Subnet[0-9A-F]+>$`, render(p["SubnetId"]), "the first private subnet")
	assert.Nil(t, p["NetworkInterfaces"])

	// IMDSv2 required, through the instance's launch template.
	ltID := strings.Split(strings.TrimPrefix(render(p["LaunchTemplate"].(map[string]any)["Version"]), "<"), ".")[0]
	lt := f.tpl[ec2Stack].Resources[ltID]
	require.Equal(t, "AWS::EC2::LaunchTemplate", lt.Type)
	assert.Equal(t, `{"MetadataOptions":{"HttpTokens":"required"}}`, render(lt.Properties["LaunchTemplateData"]))

	// Root and cache volumes: gp3, encrypted with the construct's key.
	keyID, key := f.res(t, ec2Stack, "FileGateway/Gateway/VolumeKey")
	assert.Equal(t, "AWS::KMS::Key", key.Type)
	assert.Equal(t, true, key.Properties["EnableKeyRotation"])
	want := fmt.Sprintf(`[{"DeviceName":"/dev/xvda","Ebs":{"DeleteOnTermination":true,"Encrypted":true,"KmsKeyId":"<%[1]s.Arn>","VolumeSize":80,"VolumeType":"gp3"}},`+
		`{"DeviceName":"/dev/sdf","Ebs":{"DeleteOnTermination":true,"Encrypted":true,"KmsKeyId":"<%[1]s.Arn>","VolumeSize":%[2]d,"VolumeType":"gp3"}}]`, keyID, ec2CacheGiB)
	assert.Equal(t, want, render(p["BlockDeviceMappings"]))
	assert.Len(t, f.ofType(ec2Stack, "AWS::EC2::Instance", "FileGateway/"), 1)
	assert.Empty(t, f.ofType("Defaults", "AWS::EC2::Instance", "FileGateway/"), "no instance for an existing gateway")
}

// rule renders a security group rule for comparison.
func rule(r map[string]any) string {
	peer := ""
	for _, k := range []string{"CidrIp", "SourceSecurityGroupId", "DestinationSecurityGroupId"} {
		if v, ok := r[k]; ok {
			peer = render(v)
		}
	}
	return fmt.Sprintf("%v %v-%v %s", r["IpProtocol"], r["FromPort"], r["ToPort"], peer)
}

func TestEC2SecurityGroups(t *testing.T) {
	f := load(t)
	gwID, gw := f.res(t, ec2Stack, "FileGateway/Gateway/SecurityGroup")
	hID, handler := f.res(t, ec2Stack, "FileGateway/Gateway/ActivationSecurityGroup")
	// The Storage Gateway endpoint's own group (no other endpoint sees
	// the gateway's control ports).
	epID, _ := f.res(t, ec2Stack, "Network/StorageGatewayEndpointSecurityGroup")
	gwRef, hRef, epRef := "<"+gwID+".GroupId>", "<"+hID+".GroupId>", "<"+epID+".GroupId>"

	var in, out, hIn, hOut, epIn []string
	collect := func(rules any, into *[]string) {
		list, _ := rules.([]any)
		for _, r := range list {
			*into = append(*into, rule(r.(map[string]any)))
		}
	}
	collect(gw.Properties["SecurityGroupIngress"], &in)
	collect(gw.Properties["SecurityGroupEgress"], &out)
	collect(handler.Properties["SecurityGroupIngress"], &hIn)
	collect(handler.Properties["SecurityGroupEgress"], &hOut)
	for _, typ := range []string{"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"} {
		for _, r := range f.tpl[ec2Stack].Resources {
			if r.Type != typ {
				continue
			}
			group := render(r.Properties["GroupId"])
			switch {
			case group == gwRef && typ == "AWS::EC2::SecurityGroupIngress":
				in = append(in, rule(r.Properties))
			case group == gwRef:
				out = append(out, rule(r.Properties))
			case group == hRef && typ == "AWS::EC2::SecurityGroupIngress":
				hIn = append(hIn, rule(r.Properties))
			case group == hRef:
				hOut = append(hOut, rule(r.Properties))
			case group == epRef && typ == "AWS::EC2::SecurityGroupIngress":
				epIn = append(epIn, rule(r.Properties))
			}
		}
	}
	// NFS from the NFS share's client CIDRs, SMB from the default client
	// list (Props.ClientCIDRs), HTTP from the activation handler only.
	var wantIn []string
	for _, cidr := range []string{"10.10.0.0/16", "192.168.5.0/24"} {
		for _, port := range []int{111, 2049, 20048} {
			wantIn = append(wantIn, fmt.Sprintf("tcp %d-%d %s", port, port, cidr), fmt.Sprintf("udp %d-%d %s", port, port, cidr))
		}
	}
	wantIn = append(wantIn, "tcp 445-445 172.16.0.0/12", "tcp 80-80 "+hRef)
	assert.ElementsMatch(t, wantIn, in)
	assert.ElementsMatch(t, []string{"tcp 443-443 0.0.0.0/0", "tcp 1026-1028 " + epRef, "tcp 1031-1031 " + epRef, "tcp 2222-2222 " + epRef}, out)
	assert.Empty(t, hIn, "nothing reaches the handlers")
	assert.ElementsMatch(t, []string{"tcp 443-443 0.0.0.0/0", "tcp 80-80 " + gwRef}, hOut)
	// The endpoints accept the gateway's control ports from the gateway only.
	assert.ElementsMatch(t, []string{"tcp 1026-1028 " + gwRef, "tcp 1031-1031 " + gwRef, "tcp 2222-2222 " + gwRef}, epIn)
}

func TestEC2Activation(t *testing.T) {
	f := load(t)
	crID, cr := f.res(t, ec2Stack, "FileGateway/Gateway/Activation/Default")
	assert.Equal(t, "Custom::FileGatewayActivation", cr.Type)
	instID, _ := f.res(t, ec2Stack, "FileGateway/Gateway/Instance")
	epID, _ := f.res(t, ec2Stack, "Network/Vpc/StorageGatewayEndpoint")
	onEventID, _ := f.res(t, ec2Stack, "FileGateway/Gateway/Provider/framework-onEvent")
	p := cr.Properties
	assert.Equal(t, "<"+onEventID+".Arn>", render(p["ServiceToken"]))
	assert.Equal(t, "<Ref:"+instID+">", render(p["InstanceId"]))
	assert.Equal(t, "<"+instID+".PrivateIp>", render(p["InstanceIp"]))
	assert.Equal(t, "<Ref:AWS::Region>", render(p["Region"]))
	assert.Equal(t, "GMT", p["Timezone"])
	assert.Equal(t, fmt.Sprint(ec2CacheGiB), p["CacheDiskGiB"])
	assert.Regexp(t, `^biolake-OnEC2FileGateway[0-9A-F]{8}$`, p["GatewayName"])
	// The Storage Gateway endpoint's DNS entries; the handler picks the
	// regional name.
	assert.Equal(t, "<"+epID+".DnsEntries>", render(p["VpcEndpoint"]))

	// Both handlers: the Go handler, in the VPC with their own group.
	hsgID, _ := f.res(t, ec2Stack, "FileGateway/Gateway/ActivationSecurityGroup")
	for entry, path := range map[string]string{"onEvent": "FileGateway/Gateway/ActivationOnEvent", "isComplete": "FileGateway/Gateway/ActivationIsComplete"} {
		_, fn := f.res(t, ec2Stack, path)
		fp := fn.Properties
		assert.Equal(t, "provided.al2023", fp["Runtime"], entry)
		assert.Equal(t, `{"Variables":{"ENTRY":"`+entry+`","LOG_LEVEL":"info"}}`, render(fp["Environment"]), entry)
		assert.Equal(t, `["<`+hsgID+`.GroupId>"]`, render(cdktest.Get(fp, "VpcConfig", "SecurityGroupIds")), entry)
		assert.Regexp(t, `^\["<Ref:NetworkVpcprivateSubnet1Subnet[0-9A-F]+>","<Ref:NetworkVpcprivateSubnet2Subnet[0-9A-F]+>"\]$`, render(cdktest.Get(fp, "VpcConfig", "SubnetIds")), entry)
		_, lg := f.res(t, ec2Stack, path+"LogGroup")
		assert.Regexp(t, `^<FileGatewayLogKey[0-9A-F]+\.Arn>$`, render(lg.Properties["KmsKeyId"]), entry)
		assert.Equal(t, float64(filegateway.DefaultLogRetentionDays), lg.Properties["RetentionInDays"], entry)
	}

	// The waiter polls every 30 s for an hour and logs ALL events, without
	// execution data, to an encrypted log group; so do the framework's
	// functions.
	_, sm := f.res(t, ec2Stack, "FileGateway/Gateway/Provider/waiter-state-machine")
	def := render(sm.Properties["DefinitionString"])
	assert.Contains(t, def, `"IntervalSeconds":30,"MaxAttempts":120,"BackoffRate":1`)
	wlID, wl := f.res(t, ec2Stack, "FileGateway/Gateway/WaiterLogs")
	assert.Equal(t, `{"Destinations":[{"CloudWatchLogsLogGroup":{"LogGroupArn":"<`+wlID+`.Arn>"}}],"IncludeExecutionData":false,"Level":"ALL"}`, render(sm.Properties["LoggingConfiguration"]))
	assert.Regexp(t, `^<FileGatewayLogKey[0-9A-F]+\.Arn>$`, render(wl.Properties["KmsKeyId"]))
	plID, pl := f.res(t, ec2Stack, "FileGateway/Gateway/ProviderLogs")
	assert.Regexp(t, `^<FileGatewayLogKey[0-9A-F]+\.Arn>$`, render(pl.Properties["KmsKeyId"]))
	_, fw := f.res(t, ec2Stack, "FileGateway/Gateway/Provider/framework-onEvent")
	assert.Equal(t, `{"ApplicationLogLevel":"INFO","LogFormat":"JSON","LogGroup":"<Ref:`+plID+`>"}`, render(fw.Properties["LoggingConfig"]))

	// The activation waits for the network rules that let the handlers reach
	// the instance and the instance reach the endpoint.
	deps := dependsOn(cr)
	for _, r := range []string{"FileGateway/Gateway/SecurityGroup", "FileGateway/Gateway/ActivationSecurityGroup", "FileGateway/Gateway/EndpointIngress0"} {
		id, _ := f.res(t, ec2Stack, r)
		assert.Contains(t, deps, id)
	}
	assert.NotEmpty(t, crID)
}

func dependsOn(r resource) []string {
	switch d := r.DependsOn.(type) {
	case string:
		return []string{d}
	case []any:
		var out []string
		for _, x := range d {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

// statements renders the statements of a role's default policy as
// "action,action on resource" lines.
func statements(t *testing.T, f *fixture, path string) []string {
	t.Helper()
	_, pol := f.res(t, ec2Stack, path+"/ServiceRole/DefaultPolicy")
	var out []string
	for _, s := range cdktest.Get(pol.Properties, "PolicyDocument", "Statement").([]any) {
		st := s.(map[string]any)
		require.Equal(t, "Allow", st["Effect"])
		var actions []string
		switch a := st["Action"].(type) {
		case string:
			actions = []string{a}
		case []any:
			for _, x := range a {
				actions = append(actions, x.(string))
			}
		}
		sort.Strings(actions)
		line := strings.Join(actions, ",") + " on " + render(st["Resource"])
		if c, ok := st["Condition"]; ok {
			line += " if " + render(c)
		}
		out = append(out, line)
	}
	return out
}

func TestEC2HandlerLeastPrivilege(t *testing.T) {
	f := load(t)
	gateways := "arn:<Ref:AWS::Partition>:storagegateway:<Ref:AWS::Region>:<Ref:AWS::AccountId>:gateway/*"
	// The functions reach only the gateway they activate, tagged with its
	// name: not every gateway of the account.
	_, cr := f.res(t, ec2Stack, "FileGateway/Gateway/Activation/Default")
	name := render(cr.Properties["GatewayName"])
	require.True(t, strings.HasPrefix(name, "biolake-"), name)
	own := ` if {"StringEquals":{"aws:ResourceTag/biolake:gateway-name":"` + name + `"}}`
	assert.ElementsMatch(t, []string{
		"storagegateway:ListGateways,xray:PutTelemetryRecords,xray:PutTraceSegments on *",
		"storagegateway:DeleteGateway,storagegateway:DescribeCache on " + gateways + own,
	}, statements(t, f, "FileGateway/Gateway/ActivationOnEvent"))
	assert.ElementsMatch(t, []string{
		"storagegateway:ListGateways,xray:PutTelemetryRecords,xray:PutTraceSegments on *",
		`storagegateway:ActivateGateway on * if {"StringEquals":{"aws:RequestTag/biolake:gateway-name":"` + name + `"}}`,
		"storagegateway:AddCache,storagegateway:ListLocalDisks on " + gateways + own,
	}, statements(t, f, "FileGateway/Gateway/ActivationIsComplete"))
}

func TestEC2SharesUseActivation(t *testing.T) {
	f := load(t)
	crID, _ := f.res(t, ec2Stack, "FileGateway/Gateway/Activation/Default")
	attr := "<" + crID + ".GatewayARN>"
	for _, s := range customShares() {
		_, r := f.res(t, ec2Stack, "FileGateway/"+s.Name+"/FileShare")
		assert.Equal(t, attr, render(r.Properties["GatewayARN"]), s.Name)
		assert.Contains(t, dependsOn(r), crID, "%s waits for the activation", s.Name)
		_, role := f.res(t, ec2Stack, "FileGateway/"+s.Name+"/Role")
		assert.Contains(t, render(role.Properties["AssumeRolePolicyDocument"]), `"aws:SourceArn":"`+attr+`"`, s.Name)
	}
	gw := f.gws[ec2Stack]
	require.NotNil(t, gw.EC2)
	assert.Nil(t, f.gws["Defaults"].EC2)
	assert.Equal(t, gatewayARN, f.gws["Defaults"].GatewayARN)
	assert.True(t, strings.HasPrefix(gw.GatewayARN, "${Token["), "the activated ARN is a token: %s", gw.GatewayARN)
}

// TestEC2NeedsEndpoint: without the Storage Gateway endpoint the gateway
// could not be activated over private link. An isolated network refuses the
// construct (it calls Storage Gateway from the VPC); a NAT network with an
// endpoint list that leaves it out is refused by New.
func TestEC2NeedsEndpoint(t *testing.T) {
	cases := []struct {
		name    string
		profile network.Profile
		want    []string
	}{
		{"isolated", network.ProfileIsolated, []string{`NoEndpoint/Network: Props.InterfaceEndpoints is "storagegateway": "NoEndpoint/FileGateway" calls storagegateway`, `no "storagegateway" interface endpoint`}},
		{"nat", network.ProfileNAT, []string{`NoEndpoint/FileGateway: Props.EC2 is set: the network "NoEndpoint/Network" has no Storage Gateway interface endpoint`, "network.EndpointStorageGateway"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := cdktest.NewApp(nil)
			err := cdktest.CatchValidation(t, func() {
				stack := awscdk.NewStack(app, jsii.String("NoEndpoint"), nil)
				filegateway.New(stack, "FileGateway", &filegateway.Props{
					Network: network.New(stack, "Network", &network.Props{Profile: c.profile, InterfaceEndpoints: []network.Endpoint{network.EndpointSTS}}),
					Lake:    datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true}),
					EC2:     &filegateway.EC2Host{CacheDiskGiB: 150},
				})
			})
			msg := err.Error()
			for _, w := range c.want {
				assert.Contains(t, msg, w)
			}
		})
	}
}

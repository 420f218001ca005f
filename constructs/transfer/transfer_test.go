package transfer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/constructs/transfer"
	"github.com/biolake/biolake/internal/idp"
)

func TestServer(t *testing.T) {
	f := load(t)
	fnID, _ := f.res(t, "Isolated", "PartnerTransfer/IdentityProvider")
	logID, _ := f.res(t, "Isolated", "PartnerTransfer/LogGroup")
	sgID, _ := f.res(t, "Isolated", "PartnerTransfer/ServerSecurityGroup")
	wfID, _ := f.res(t, "Isolated", "PartnerTransfer/Workflow")
	wfRoleID, _ := f.res(t, "Isolated", "PartnerTransfer/WorkflowRole")
	logRoleID, _ := f.res(t, "Isolated", "PartnerTransfer/LoggingRole")
	vpcID, _ := f.res(t, "Isolated", "Network/Vpc")
	sub1, _ := f.res(t, "Isolated", "Network/Vpc/privateSubnet1/Subnet")
	sub2, _ := f.res(t, "Isolated", "Network/Vpc/privateSubnet2/Subnet")

	_, srv := f.res(t, "Isolated", "PartnerTransfer/Server")
	want := map[string]any{
		"Domain":       "S3",
		"EndpointType": "VPC",
		"EndpointDetails": map[string]any{
			"VpcId":            ref(vpcID),
			"SubnetIds":        []any{ref(sub1), ref(sub2)},
			"SecurityGroupIds": []any{getAtt(sgID, "GroupId")},
		},
		"IdentityProviderType": "AWS_LAMBDA",
		"LoggingRole":          getAtt(logRoleID, "Arn"),
		"IdentityProviderDetails": map[string]any{
			"Function":                  getAtt(fnID, "Arn"),
			"SftpAuthenticationMethods": "PUBLIC_KEY_OR_PASSWORD",
		},
		"Protocols":                 []any{"SFTP"},
		"SecurityPolicyName":        "TransferSecurityPolicy-2024-01",
		"StructuredLogDestinations": []any{getAtt(logID, "Arn")},
		"ProtocolDetails":           map[string]any{"SetStatOption": "ENABLE_NO_OP"},
		"WorkflowDetails": map[string]any{"OnUpload": []any{map[string]any{
			"WorkflowId": getAtt(wfID, "WorkflowId"), "ExecutionRole": getAtt(wfRoleID, "Arn"),
		}}},
	}
	assert.JSONEq(t, asJSON(want), asJSON(srv.Properties), "the whole server")
	assert.Nil(t, get(srv.Properties, "Certificate"))

	// The internet-facing server: public subnets, one Elastic IP each, FTPS
	// with its certificate.
	_, pub := f.res(t, "Public", "PartnerTransfer/Server")
	p1, _ := f.res(t, "Public", "Network/Vpc/publicSubnet1/Subnet")
	p2, _ := f.res(t, "Public", "Network/Vpc/publicSubnet2/Subnet")
	e1, eip1 := f.res(t, "Public", "PartnerTransfer/ElasticIp1")
	e2, _ := f.res(t, "Public", "PartnerTransfer/ElasticIp2")
	assert.Equal(t, "VPC", pub.Properties["EndpointType"])
	assert.JSONEq(t, asJSON([]any{ref(p1), ref(p2)}), asJSON(get(pub.Properties, "EndpointDetails", "SubnetIds")))
	assert.JSONEq(t, asJSON([]any{getAtt(e1, "AllocationId"), getAtt(e2, "AllocationId")}), asJSON(get(pub.Properties, "EndpointDetails", "AddressAllocationIds")))
	assert.Equal(t, "vpc", eip1.Properties["Domain"])
	assert.Equal(t, "Retain", eip1.DeletionPolicy, "partners allow-list the addresses")
	assert.Equal(t, []string{"SFTP", "FTPS"}, strs(pub.Properties["Protocols"]))
	assert.Equal(t, certificate, pub.Properties["Certificate"])
	assert.Equal(t, "ENFORCED", get(pub.Properties, "ProtocolDetails", "TlsSessionResumptionMode"))
	assert.Equal(t, transfer.DefaultSecurityPolicy, pub.Properties["SecurityPolicyName"])
	assert.Len(t, f.ofType("Isolated", "AWS::EC2::EIP", "PartnerTransfer/"), 0)
	for _, stack := range []string{"Isolated", "Public"} {
		for _, r := range f.ofType(stack, "AWS::Transfer::Server", "") {
			assert.NotContains(t, strs(r.Properties["Protocols"]), "FTP", "never plain FTP")
		}
	}
}

// TestSecurityGroup: the endpoint lets in each partner CIDR on the enabled
// protocols' ports and nothing else; the identity provider only talks HTTPS
// out.
func TestSecurityGroup(t *testing.T) {
	f := load(t)
	ingress := func(stack string) []string {
		_, sg := f.res(t, stack, "PartnerTransfer/ServerSecurityGroup")
		var out []string
		for _, r := range get(sg.Properties, "SecurityGroupIngress").([]any) {
			m := r.(map[string]any)
			out = append(out, fmt.Sprintf("%v %v-%v %v", m["IpProtocol"], m["FromPort"], m["ToPort"], m["CidrIp"]))
		}
		egress := render(get(sg.Properties, "SecurityGroupEgress"))
		assert.Contains(t, egress, "255.255.255.255/32", "%s: no outbound (CDK's placeholder rule)", stack)
		return sorted(out)
	}
	assert.Equal(t, []string{
		"tcp 22-22 192.0.2.64/26", "tcp 22-22 198.51.100.0/25", "tcp 22-22 198.51.100.128/26", "tcp 22-22 203.0.113.0/24",
	}, ingress("Isolated"))
	assert.Equal(t, []string{
		"tcp 21-21 203.0.113.128/25", "tcp 22-22 203.0.113.128/25", "tcp 8192-8200 203.0.113.128/25",
	}, ingress("Public"))

	_, fsg := f.res(t, "Isolated", "PartnerTransfer/IdentityProviderSecurityGroup")
	assert.Nil(t, fsg.Properties["SecurityGroupIngress"])
	assert.JSONEq(t, `[{"CidrIp":"0.0.0.0/0","Description":"HTTPS to AWS APIs (the Secrets Manager interface endpoint, or NAT)","FromPort":443,"IpProtocol":"tcp","ToPort":443}]`,
		asJSON(fsg.Properties["SecurityGroupEgress"]))
}

func TestLogging(t *testing.T) {
	f := load(t)
	keyID, _ := f.res(t, "Isolated", "PartnerTransfer/LogKey")
	_, lg := f.res(t, "Isolated", "PartnerTransfer/LogGroup")
	assert.JSONEq(t, asJSON(getAtt(keyID, "Arn")), asJSON(lg.Properties["KmsKeyId"]))
	assert.EqualValues(t, 731, lg.Properties["RetentionInDays"])
	assert.Equal(t, "Retain", lg.DeletionPolicy)
	_, fnLog := f.res(t, "Isolated", "PartnerTransfer/IdentityProviderLogGroup")
	assert.JSONEq(t, asJSON(getAtt(keyID, "Arn")), asJSON(fnLog.Properties["KmsKeyId"]))
	assert.EqualValues(t, 731, fnLog.Properties["RetentionInDays"])
	_, pubLog := f.res(t, "Public", "PartnerTransfer/LogGroup")
	assert.EqualValues(t, transfer.DefaultLogRetentionDays, pubLog.Properties["RetentionInDays"])
	// The key lets CloudWatch Logs of this account and region use it.
	_, key := f.res(t, "Isolated", "PartnerTransfer/LogKey")
	assert.Contains(t, asJSON(key.Properties["KeyPolicy"]), "kms:EncryptionContext:aws:logs:arn")
	assert.Equal(t, true, key.Properties["EnableKeyRotation"])
}

// Workflow executions are logged only through a logging role on the
// server: the role, trusted by Transfer Family of this account, may write
// to the server's /aws/transfer/<server id> log group, which the construct
// creates encrypted and with retention.
func TestWorkflowLogging(t *testing.T) {
	f := load(t)
	srvID, srv := f.res(t, "Isolated", "PartnerTransfer/Server")
	roleID, role := f.res(t, "Isolated", "PartnerTransfer/LoggingRole")
	assert.JSONEq(t, asJSON(getAtt(roleID, "Arn")), asJSON(srv.Properties["LoggingRole"]))
	trust := asJSON(role.Properties["AssumeRolePolicyDocument"])
	for _, want := range []string{`"transfer.amazonaws.com"`, `"aws:SourceAccount"`, `:server/*"`} {
		assert.Contains(t, trust, want)
	}
	keyID, _ := f.res(t, "Isolated", "PartnerTransfer/LogKey")
	_, lg := f.res(t, "Isolated", "PartnerTransfer/WorkflowLogGroup")
	assert.Equal(t, "/aws/transfer/<"+srvID+".ServerId>", cdktest.Render(lg.Properties["LogGroupName"]))
	assert.JSONEq(t, asJSON(getAtt(keyID, "Arn")), asJSON(lg.Properties["KmsKeyId"]))
	assert.EqualValues(t, 731, lg.Properties["RetentionInDays"])
	_, pol := f.res(t, "Isolated", "PartnerTransfer/LoggingPolicy")
	doc := cdktest.Render(pol.Properties["PolicyDocument"])
	for _, a := range []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:CreateLogGroup"} {
		assert.Contains(t, doc, a)
	}
	assert.Contains(t, doc, "log-group:/aws/transfer/<"+srvID+".ServerId>:log-stream:*")
	assert.NotContains(t, doc, `"Resource":"*"`)
}

func TestIdentityProvider(t *testing.T) {
	f := load(t)
	_, fn := f.res(t, "Isolated", "PartnerTransfer/IdentityProvider")
	sgID, _ := f.res(t, "Isolated", "PartnerTransfer/IdentityProviderSecurityGroup")
	sub1, _ := f.res(t, "Isolated", "Network/Vpc/privateSubnet1/Subnet")
	sub2, _ := f.res(t, "Isolated", "Network/Vpc/privateSubnet2/Subnet")
	p := fn.Properties
	assert.Equal(t, "provided.al2023", p["Runtime"])
	assert.Equal(t, []string{"arm64"}, strs(p["Architectures"]))
	assert.Equal(t, "bootstrap", p["Handler"])
	assert.EqualValues(t, transfer.IdentityProviderMemoryMB, p["MemorySize"])
	assert.EqualValues(t, 10, p["Timeout"])
	assert.EqualValues(t, 7, p["ReservedConcurrentExecutions"])
	assert.JSONEq(t, asJSON(map[string]any{"SecurityGroupIds": []any{getAtt(sgID, "GroupId")}, "SubnetIds": []any{ref(sub1), ref(sub2)}}), asJSON(p["VpcConfig"]))
	_, pfn := f.res(t, "Public", "PartnerTransfer/IdentityProvider")
	assert.EqualValues(t, transfer.DefaultReservedConcurrency, pfn.Properties["ReservedConcurrentExecutions"])
	// In the NAT network, the private subnets with egress.
	psub, _ := f.res(t, "Public", "Network/Vpc/privateSubnet1/Subnet")
	assert.Contains(t, asJSON(get(pfn.Properties, "VpcConfig", "SubnetIds")), psub)
}

// TestEnvironmentReachesTheHandler: the environment the construct gives the
// function is what lambdas/transferidp and internal/idp accept, and a login
// gets the home and session policy of its partner.
func TestEnvironmentReachesTheHandler(t *testing.T) {
	f := load(t)
	_, fn := f.res(t, "Isolated", "PartnerTransfer/IdentityProvider")
	env := get(fn.Properties, "Environment", "Variables").(map[string]any)
	bucketID, _ := f.res(t, "Isolated", "DataLake/Partner")
	keyID, _ := f.res(t, "Isolated", "DataLake/DataKey")
	roleID, _ := f.res(t, "Isolated", "PartnerTransfer/AccessRole")
	secretID, _ := f.res(t, "Isolated", "PartnerTransfer/Partners/acme")
	assert.JSONEq(t, asJSON(ref(bucketID)), asJSON(env["PARTNER_BUCKET"]))
	assert.JSONEq(t, asJSON(getAtt(keyID, "Arn")), asJSON(env["DATA_KEY_ARN"]))
	assert.JSONEq(t, asJSON(getAtt(roleID, "Arn")), asJSON(env["ACCESS_ROLE_ARN"]))
	assert.Equal(t, "quarantine/", env["HOME_PREFIX"])
	assert.Equal(t, "60", env["SECRET_CACHE_SECONDS"])

	// Deploy-time values stand in for the references.
	acmeArn := "arn:aws:secretsmanager:eu-west-1:111122223333:secret:PartnerTransferPartnersacme-XyZ123"
	partnersJSON := strings.ReplaceAll(render(env["PARTNERS"]), "<Ref:"+secretID+">", acmeArn)
	partners, err := idp.ParsePartners([]byte(partnersJSON))
	require.NoError(t, err, partnersJSON)
	require.Len(t, partners, 3)
	assert.Equal(t, idp.Partner{Name: "acme", CIDRs: []string{"203.0.113.0/24"}, PublicKeys: []string{strings.TrimSuffix(edKey(1, "sftp@acme.example"), " sftp@acme.example")}, SecretArn: acmeArn}, partners[0])
	assert.Equal(t, idp.Partner{Name: "beta-labs", CIDRs: []string{"198.51.100.0/25", "198.51.100.128/26"}, SecretArn: existingSecret}, partners[1])
	assert.Equal(t, idp.Partner{Name: "gamma", CIDRs: []string{"192.0.2.64/26"}, PublicKeys: []string{edKey(2, ""), strings.TrimSuffix(edKey(3, "second key"), " second key")}}, partners[2])
	assert.NotContains(t, partnersJSON, "sftp@acme.example", "key comments stay out")
	assert.Less(t, len(partnersJSON), 4096)

	// The served server's id comes from the parameter the construct
	// writes once the server exists.
	srvID, _ := f.res(t, "Isolated", "PartnerTransfer/Server")
	_, param := f.res(t, "Isolated", "PartnerTransfer/ServerIdParameter")
	assert.Equal(t, param.Properties["Name"], env["SERVER_ID_PARAMETER"], "the function reads the parameter the construct writes")
	assert.JSONEq(t, asJSON(getAtt(srvID, "ServerId")), asJSON(param.Properties["Value"]))
	assert.Equal(t, "String", param.Properties["Type"])
	assert.Regexp(t, `^/biolake/transfer/IsolatedPartnerTransfer[0-9A-F]{8}/server-id$`, env["SERVER_ID_PARAMETER"])
	ssmClient := &fakeParameter{name: env["SERVER_ID_PARAMETER"].(string), value: "s-0123456789abcdef0"}

	h, err := idp.NewHandler(idp.Config{
		Bucket: "biolake-partner-bucket", HomePrefix: env["HOME_PREFIX"].(string),
		RoleArn: "arn:aws:iam::111122223333:role/access", DataKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/k", Partners: partners,
		Server: &idp.ParameterServer{SSM: ssmClient, Name: env["SERVER_ID_PARAMETER"].(string)},
	}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	raw, _ := json.Marshal(map[string]string{"username": "gamma", "protocol": "SFTP", "serverId": "s-0123456789abcdef0", "sourceIp": "192.0.2.70"})
	resp, err := h.Handle(context.Background(), raw)
	require.NoError(t, err)
	assert.Equal(t, `[{"Entry":"/","Target":"/biolake-partner-bucket/quarantine/gamma"}]`, resp.HomeDirectoryDetails)
	assert.Equal(t, "LOGICAL", resp.HomeDirectoryType)
	assert.Len(t, resp.PublicKeys, 2)
	assert.Contains(t, resp.Policy, `"s3:prefix":["quarantine/gamma/*","quarantine/gamma"]`)
	assert.Contains(t, resp.Policy, `"Resource":"arn:aws:s3:::biolake-partner-bucket/quarantine/gamma/*"`)
	assert.NotContains(t, resp.Policy, "Delete")

	raw, _ = json.Marshal(map[string]string{"username": "gamma", "protocol": "SFTP", "serverId": "s-0fedcba9876543210", "sourceIp": "192.0.2.70"})
	resp, err = h.Handle(context.Background(), raw)
	require.NoError(t, err)
	assert.Empty(t, resp.Role, "a request of another server is refused")
}

// TestNoDependencyCycle: the server refers to the function, the parameter
// to the server; neither the function, nor its role and policies, nor the
// server may refer back, or CloudFormation refuses the template. The
// function reads the parameter by a name fixed at synth.
func TestNoDependencyCycle(t *testing.T) {
	f := load(t)
	for _, stack := range []string{"Isolated", "Public"} {
		srvID, srv := f.res(t, stack, "PartnerTransfer/Server")
		paramID, _ := f.res(t, stack, "PartnerTransfer/ServerIdParameter")
		for _, path := range []string{"PartnerTransfer/IdentityProvider", "PartnerTransfer/IdentityProvider/ServiceRole", "PartnerTransfer/IdentityProvider/ServiceRole/DefaultPolicy"} {
			_, r := f.res(t, stack, path)
			whole := asJSON(r)
			assert.NotContains(t, whole, srvID, "%s %s refers to the server", stack, path)
			assert.NotContains(t, whole, paramID, "%s %s refers to the parameter", stack, path)
		}
		assert.NotContains(t, asJSON(srv), paramID)
	}
	// The function may read exactly that parameter.
	_, fnPolicy := f.res(t, "Isolated", "PartnerTransfer/IdentityProvider/ServiceRole/DefaultPolicy")
	_, fn := f.res(t, "Isolated", "PartnerTransfer/IdentityProvider")
	name := get(fn.Properties, "Environment", "Variables", "SERVER_ID_PARAMETER").(string)
	var found bool
	for _, s := range statements(fnPolicy.Properties["PolicyDocument"]) {
		if s["Sid"] == "ReadServerId" {
			found = true
			assert.Equal(t, []string{"ssm:GetParameter"}, strs(s["Action"]))
			assert.Equal(t, "arn:<Ref:AWS::Partition>:ssm:<Ref:AWS::Region>:<Ref:AWS::AccountId>:parameter"+name, render(s["Resource"]))
		}
	}
	assert.True(t, found, "ReadServerId statement")
}

// fakeParameter serves one Systems Manager parameter.
type fakeParameter struct{ name, value string }

func (f *fakeParameter) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	if aws.ToString(in.Name) != f.name {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("no parameter " + aws.ToString(in.Name))}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(f.value)}}, nil
}

func TestLambdaPermission(t *testing.T) {
	f := load(t)
	fnID, _ := f.res(t, "Isolated", "PartnerTransfer/IdentityProvider")
	srvID, _ := f.res(t, "Isolated", "PartnerTransfer/Server")
	perms := f.ofType("Isolated", "AWS::Lambda::Permission", "PartnerTransfer/")
	require.Len(t, perms, 1, "one permission: Transfer Family for this server")
	for _, p := range perms {
		assert.JSONEq(t, asJSON(map[string]any{
			"Action":        "lambda:InvokeFunction",
			"FunctionName":  getAtt(fnID, "Arn"),
			"Principal":     "transfer.amazonaws.com",
			"SourceArn":     getAtt(srvID, "Arn"),
			"SourceAccount": ref("AWS::AccountId"),
		}), asJSON(p.Properties))
	}
}

// statements returns the statements of a policy document.
func statements(doc any) []map[string]any {
	var out []map[string]any
	for _, s := range get(doc, "Statement").([]any) {
		out = append(out, s.(map[string]any))
	}
	return out
}

func TestRoles(t *testing.T) {
	f := load(t)
	bucketID, _ := f.res(t, "Isolated", "DataLake/Partner")
	keyID, _ := f.res(t, "Isolated", "DataLake/DataKey")
	wfID, _ := f.res(t, "Isolated", "PartnerTransfer/Workflow")
	policyID, _ := f.res(t, "Isolated", "PartnerTransfer/AccessPolicy")
	wfPolicyID, _ := f.res(t, "Isolated", "PartnerTransfer/WorkflowPolicy")

	// The access role: Transfer Family of this account only.
	_, role := f.res(t, "Isolated", "PartnerTransfer/AccessRole")
	assert.JSONEq(t, `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"transfer.amazonaws.com"},
		"Condition":{"StringEquals":{"aws:SourceAccount":{"Ref":"AWS::AccountId"}},
		"ArnLike":{"aws:SourceArn":[{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":transfer:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":user/*"]]},
			{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":transfer:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":server/*"]]}]}}}],"Version":"2012-10-17"}`,
		asJSON(role.Properties["AssumeRolePolicyDocument"]))
	assert.JSONEq(t, asJSON([]any{ref(policyID)}), asJSON(role.Properties["ManagedPolicyArns"]))
	assert.Nil(t, role.Properties["Policies"], "no inline policy")
	_, policy := f.res(t, "Isolated", "PartnerTransfer/AccessPolicy")
	var got []string
	for _, s := range statements(policy.Properties["PolicyDocument"]) {
		got = append(got, fmt.Sprintf("%s %v %s %s", s["Sid"], strs(s["Action"]), render(s["Resource"]), render(s["Condition"])))
	}
	assert.Equal(t, []string{
		fmt.Sprintf(`ListQuarantine [s3:ListBucket] <%s.Arn> {"StringLike":{"s3:prefix":["quarantine/*"]}}`, bucketID),
		fmt.Sprintf(`UploadToQuarantine [s3:GetObject s3:PutObject] <%s.Arn>/quarantine/* null`, bucketID),
		fmt.Sprintf(`BucketKeyThroughS3 [kms:Decrypt kms:GenerateDataKey] <%s.Arn> {"StringEquals":{"kms:ViaService":"s3.<Ref:AWS::Region>.amazonaws.com"}}`, keyID),
	}, got)

	// The workflow role: this workflow only, tags only.
	_, wfRole := f.res(t, "Isolated", "PartnerTransfer/WorkflowRole")
	assert.JSONEq(t, asJSON(map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}, "ArnLike": map[string]any{"aws:SourceArn": getAtt(wfID, "Arn")}}),
		asJSON(get(wfRole.Properties, "AssumeRolePolicyDocument", "Statement", 0, "Condition")))
	assert.Equal(t, "transfer.amazonaws.com", get(wfRole.Properties, "AssumeRolePolicyDocument", "Statement", 0, "Principal", "Service"))
	assert.JSONEq(t, asJSON([]any{ref(wfPolicyID)}), asJSON(wfRole.Properties["ManagedPolicyArns"]))
	_, wfPolicy := f.res(t, "Isolated", "PartnerTransfer/WorkflowPolicy")
	st := statements(wfPolicy.Properties["PolicyDocument"])
	require.Len(t, st, 1)
	assert.Equal(t, []string{"s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"}, strs(st[0]["Action"]))
	assert.Equal(t, fmt.Sprintf("<%s.Arn>/quarantine/*", bucketID), render(st[0]["Resource"]))

	// The identity provider reads exactly the partners' secrets.
	secretID, _ := f.res(t, "Isolated", "PartnerTransfer/Partners/acme")
	secretKeyID, _ := f.res(t, "Isolated", "PartnerTransfer/PasswordSecretKey")
	_, fnPolicy := f.res(t, "Isolated", "PartnerTransfer/IdentityProvider/ServiceRole/DefaultPolicy")
	got = nil
	for _, s := range statements(fnPolicy.Properties["PolicyDocument"]) {
		got = append(got, fmt.Sprintf("%v %v %s %s", s["Sid"], strs(s["Action"]), strings.Join(strs(s["Resource"]), ","), render(s["Condition"])))
	}
	assert.Equal(t, []string{
		"<nil> [xray:PutTelemetryRecords xray:PutTraceSegments] * null",
		fmt.Sprintf("ReadPasswordHashes [secretsmanager:GetSecretValue] %s,<Ref:%s> null", existingSecret, secretID),
		"ReadServerId [ssm:GetParameter] " + render(get(fnPolicy.Properties, "PolicyDocument", "Statement", 2, "Resource")) + " null",
		fmt.Sprintf(`DecryptCreatedSecrets [kms:Decrypt] <%s.Arn> {"StringEquals":{"kms:ViaService":"secretsmanager.<Ref:AWS::Region>.amazonaws.com"}}`, secretKeyID),
		fmt.Sprintf(`DecryptExistingSecrets [kms:Decrypt] * {"StringEquals":{"kms:EncryptionContext:SecretARN":[%q],"kms:ViaService":"secretsmanager.<Ref:AWS::Region>.amazonaws.com"}}`, existingSecret),
	}, got)

	// No "*" action, no delete, anywhere in the construct's policies.
	for _, stack := range []string{"Isolated", "Public"} {
		for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
			for path, r := range f.ofType(stack, typ, "PartnerTransfer/") {
				for _, s := range statements(r.Properties["PolicyDocument"]) {
					for _, a := range strs(s["Action"]) {
						assert.NotContains(t, a, "*", "%s %s: wildcard action", stack, path)
						assert.NotContains(t, a, "Delete", "%s %s: data must never be lost", stack, path)
					}
					assert.Equal(t, "Allow", s["Effect"])
				}
			}
		}
	}
}

func TestWorkflow(t *testing.T) {
	f := load(t)
	_, wf := f.res(t, "Isolated", "PartnerTransfer/Workflow")
	step := func(name, state string) string {
		return fmt.Sprintf(`[{"Type":"TAG","TagStepDetails":{"Name":%q,"SourceFileLocation":"${original.file}",
			"Tags":[{"Key":"biolake:channel","Value":"transfer"},{"Key":"biolake:state","Value":%q}]}}]`, name, state)
	}
	assert.JSONEq(t, step("tag-upload", "quarantine"), asJSON(wf.Properties["Steps"]))
	assert.JSONEq(t, step("tag-workflow-failure", "workflow-failed"), asJSON(wf.Properties["OnExceptionSteps"]))
	assert.Len(t, f.ofType("Isolated", "AWS::Transfer::Workflow", ""), 1)
	// No step writes anywhere or invokes anything: no COPY, CUSTOM, DELETE.
	assert.NotRegexp(t, `"Type":"(COPY|CUSTOM|DELETE|DECRYPT)"`, asJSON(wf.Properties))
}

func TestSecrets(t *testing.T) {
	f := load(t)
	keyID, key := f.res(t, "Isolated", "PartnerTransfer/PasswordSecretKey")
	assert.Equal(t, true, key.Properties["EnableKeyRotation"])
	secrets := f.ofType("Isolated", "AWS::SecretsManager::Secret", "")
	require.Len(t, secrets, 1, "only acme asked for a created secret")
	for path, s := range secrets {
		assert.Equal(t, "PartnerTransfer/Partners/acme", path)
		assert.JSONEq(t, asJSON(getAtt(keyID, "Arn")), asJSON(s.Properties["KmsKeyId"]))
		assert.Nil(t, s.Properties["SecretString"], "never a password in a template")
		assert.Nil(t, s.Properties["GenerateSecretString"], "created empty")
		assert.Nil(t, s.Properties["Name"], "no hard-coded physical name")
		assert.Equal(t, "Retain", s.DeletionPolicy)
		assert.JSONEq(t, `[{"Key":"biolake:partner","Value":"acme"}]`, asJSON(s.Properties["Tags"]))
	}
	srv := f.servers["Isolated"]
	assert.Equal(t, []string{"acme", "beta-labs"}, sorted(keys(srv.PartnerSecrets)))
	require.NotNil(t, srv.SecretKey)
	assert.Len(t, f.ofType("Public", "AWS::SecretsManager::Secret", ""), 1)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestExposed: the fields a stack wires into other constructs are set.
func TestExposed(t *testing.T) {
	f := load(t)
	for name, s := range f.servers {
		assert.NotNil(t, s.Server, name)
		assert.NotNil(t, s.IdentityProvider, name)
		assert.NotNil(t, s.Workflow, name)
		assert.NotNil(t, s.WorkflowRole, name)
		assert.NotNil(t, s.AccessRole, name)
		assert.NotNil(t, s.LogGroup, name)
		assert.NotNil(t, s.SecurityGroup, name)
		assert.NotNil(t, s.ServerID(), name)
		assert.NotNil(t, s.Arn(), name)
	}
	assert.Len(t, f.servers["Public"].ElasticIPs, 2)
	assert.Empty(t, f.servers["Isolated"].ElasticIPs)
}

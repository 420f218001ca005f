package filegateway_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/constructs/filegateway"
)

const (
	nfsType = "AWS::StorageGateway::NFSFileShare"
	smbType = "AWS::StorageGateway::SMBFileShare"
)

// share returns the file share resource of share name in stack.
func (f *fixture) share(t *testing.T, stack, name string) resource {
	t.Helper()
	_, r := f.res(t, stack, "FileGateway/"+name+"/FileShare")
	return r
}

func TestDefaultShares(t *testing.T) {
	f := load(t)
	auditID, _ := f.res(t, "Defaults", "FileGateway/AuditLogs")
	common := func(t *testing.T, r resource) {
		p := r.Properties
		assert.Equal(t, gatewayARN, p["GatewayARN"])
		assert.Equal(t, true, p["KMSEncrypted"])
		assert.Regexp(t, `^<DataLakeDataKey[0-9A-F]+\.Arn>$`, render(p["KMSKey"]))
		assert.Equal(t, "bucket-owner-full-control", p["ObjectACL"])
		assert.Equal(t, false, p["RequesterPays"])
		assert.Equal(t, true, p["GuessMIMETypeEnabled"])
		assert.Equal(t, "arn:<Ref:AWS::Partition>:logs:<Ref:AWS::Region>:<Ref:AWS::AccountId>:log-group:<Ref:"+auditID+">", render(p["AuditDestinationARN"]))
		assert.Equal(t, "RootSquash", p["Squash"])
		// The default client list is the VPC's CIDR.
		assert.Regexp(t, `^\["<NetworkVpc[0-9A-F]+\.CidrBlock>"\]$`, render(p["ClientList"]))
	}

	curated := f.share(t, "Defaults", filegateway.DefaultCuratedShare)
	assert.Equal(t, nfsType, curated.Type)
	common(t, curated)
	p := curated.Properties
	assert.Regexp(t, `^<DataLakeCurated[0-9A-F]+\.Arn>$`, render(p["LocationARN"]), "the whole curated bucket")
	assert.Equal(t, true, p["ReadOnly"])
	assert.Equal(t, "{}", p["NotificationPolicy"])
	assert.Equal(t, "curated", p["FileShareName"])
	roleID, _ := f.res(t, "Defaults", "FileGateway/curated/Role")
	assert.Equal(t, "<"+roleID+".Arn>", render(p["Role"]))

	drop := f.share(t, "Defaults", filegateway.DefaultDropShare)
	assert.Equal(t, nfsType, drop.Type)
	common(t, drop)
	p = drop.Properties
	assert.Regexp(t, `^<DataLakeShared[0-9A-F]+\.Arn>/share/$`, render(p["LocationARN"]))
	assert.Equal(t, false, p["ReadOnly"])
	assert.Equal(t, "S3_INTELLIGENT_TIERING", p["DefaultStorageClass"])
	assert.JSONEq(t, `{"Upload":{"SettlingTimeInSeconds":60}}`, p["NotificationPolicy"].(string))
	assert.Len(t, f.ofType("Defaults", nfsType, "FileGateway/"), 2)
	assert.Len(t, f.ofType("Defaults", smbType, "FileGateway/"), 0)
}

func TestCustomShares(t *testing.T) {
	f := load(t)
	smb := f.share(t, "Custom", "results-ro")
	assert.Equal(t, smbType, smb.Type)
	p := smb.Properties
	assert.Equal(t, "ActiveDirectory", p["Authentication"], "no guest access")
	assert.Equal(t, []any{"CORP\\jdoe", "@researchers"}, p["ValidUserList"])
	assert.Equal(t, true, p["AccessBasedEnumeration"])
	assert.Equal(t, true, p["ReadOnly"])
	assert.Equal(t, true, p["KMSEncrypted"])
	assert.NotEmpty(t, p["AuditDestinationARN"])
	assert.Regexp(t, `^<DataLakeResults[0-9A-F]+\.Arn>/published/$`, render(p["LocationARN"]), "a trailing / is added")
	assert.Nil(t, p["ClientList"])
	assert.Nil(t, p["Squash"])

	nfs := f.share(t, "Custom", "lab-drop")
	assert.Equal(t, nfsType, nfs.Type)
	assert.Equal(t, []any{"10.10.0.0/16", "192.168.5.0/24"}, nfs.Properties["ClientList"])
	assert.Equal(t, "AllSquash", nfs.Properties["Squash"])
	assert.Regexp(t, `^<DataLakeShared[0-9A-F]+\.Arn>/share/lab1/$`, render(nfs.Properties["LocationARN"]))

	lab2 := f.share(t, "Custom", "lab-smb")
	assert.Equal(t, false, lab2.Properties["ReadOnly"])
	assert.Equal(t, []any{"@lab2"}, lab2.Properties["ValidUserList"])
	// Each share waits for its role and policy.
	for _, name := range []string{"results-ro", "lab-drop", "lab-smb"} {
		r := f.share(t, "Custom", name)
		assert.Len(t, r.DependsOn, 2, name)
	}
}

// policy returns the statements of a share's managed policy.
func (f *fixture) policy(t *testing.T, stack, name string) []map[string]any {
	t.Helper()
	_, r := f.res(t, stack, "FileGateway/"+name+"/Policy")
	var out []map[string]any
	for _, s := range r.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		out = append(out, s.(map[string]any))
	}
	return out
}

func actions(st map[string]any) []string {
	switch a := st["Action"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

func TestShareRoles(t *testing.T) {
	f := load(t)
	for _, c := range []struct {
		stack, name, objects string
		readOnly             bool
	}{
		{"Defaults", "curated", `^<DataLakeCurated[0-9A-F]+\.Arn>/\*$`, true},
		{"Defaults", "drop", `^<DataLakeShared[0-9A-F]+\.Arn>/share/\*$`, false},
		{"Custom", "results-ro", `^<DataLakeResults[0-9A-F]+\.Arn>/published/\*$`, true},
		{"Custom", "lab-drop", `^<DataLakeShared[0-9A-F]+\.Arn>/share/lab1/\*$`, false},
	} {
		t.Run(c.stack+"/"+c.name, func(t *testing.T) {
			_, role := f.res(t, c.stack, "FileGateway/"+c.name+"/Role")
			trust := render(role.Properties["AssumeRolePolicyDocument"])
			assert.Contains(t, trust, `"Service":"storagegateway.amazonaws.com"`)
			assert.Contains(t, trust, `"aws:SourceAccount":"<Ref:AWS::AccountId>"`)
			assert.Contains(t, trust, `"aws:SourceArn":"`+gatewayARN+`"`)
			assert.Nil(t, role.Properties["Policies"], "no inline policy")
			assert.Nil(t, role.Properties["ManagedPolicyArns"], "no AWS managed policy")

			var all []string
			for _, st := range f.policy(t, c.stack, c.name) {
				acts := actions(st)
				all = append(all, acts...)
				res := render(st["Resource"])
				for _, a := range acts {
					assert.NotContains(t, a, "*", "no wildcard actions")
					if strings.HasPrefix(a, "s3:") && strings.Contains(a, "Object") || a == "s3:AbortMultipartUpload" {
						assert.Regexp(t, c.objects, res, "%s is limited to the share's prefix", a)
					}
					if a == "s3:ListBucket" {
						prefix := strings.TrimSuffix(strings.TrimPrefix(c.objects[strings.Index(c.objects, ">")+1:], "/"), `\*$`)
						if prefix != "" {
							assert.Contains(t, render(st["Condition"]), "s3:prefix", "listing limited to the prefix")
						}
					}
					if strings.HasPrefix(a, "kms:") {
						assert.Contains(t, render(st["Condition"]), "kms:ViaService")
					}
				}
			}
			assert.Contains(t, all, "s3:GetObject")
			// The bucket-level actions the File Gateway guide lists for a
			// share's role, read-only shares included.
			assert.Contains(t, all, "s3:ListBucketVersions")
			assert.Contains(t, all, "s3:ListBucketMultipartUploads")
			assert.NotContains(t, all, "s3:DeleteObjectVersion", "versions are never destroyed through a share")
			writes := slices.ContainsFunc(all, func(a string) bool {
				return strings.Contains(a, "Put") || strings.Contains(a, "Delete") || a == "kms:GenerateDataKey" || a == "kms:Encrypt" || a == "s3:AbortMultipartUpload"
			})
			assert.Equal(t, !c.readOnly, writes, "write actions: %v", all)
		})
	}
}

func TestCacheRefreshFunction(t *testing.T) {
	f := load(t)
	for stack, reserved := range map[string]float64{"Defaults": 2, "Custom": 1} {
		_, fn := f.res(t, stack, "FileGateway/CacheRefresh")
		p := fn.Properties
		assert.Equal(t, "provided.al2023", p["Runtime"])
		assert.Equal(t, []any{"arm64"}, p["Architectures"])
		assert.Equal(t, "bootstrap", p["Handler"])
		assert.Equal(t, reserved, p["ReservedConcurrentExecutions"])
		assert.NotNil(t, p["VpcConfig"], "in the VPC")
		sgID, _ := f.res(t, stack, "FileGateway/FunctionSecurityGroup")
		assert.Contains(t, render(p["VpcConfig"]), "<"+sgID+".GroupId>")
		env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		shares := render(env["SHARES"])
		for name, fs := range f.gws[stack].Shares {
			id, _ := f.res(t, stack, "FileGateway/"+name+"/FileShare")
			assert.Contains(t, shares, `"fileShareArn":"<`+id+`.FileShareARN>"`, name)
			assert.Contains(t, shares, `"prefix":"`+fs.Settings.Prefix+`"`, name)
		}
		// RefreshCache only, on the shares only.
		_, pol := f.res(t, stack, "FileGateway/CacheRefresh/ServiceRole/DefaultPolicy")
		for _, st := range pol.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			s := st.(map[string]any)
			if slices.Contains(actions(s), "storagegateway:RefreshCache") {
				assert.Len(t, actions(s), 1)
				assert.Equal(t, len(f.gws[stack].Shares), strings.Count(render(s["Resource"]), ".FileShareARN>"))
			}
		}
		assert.Contains(t, render(pol.Properties), "storagegateway:RefreshCache")
		_, lg := f.res(t, stack, "FileGateway/CacheRefreshLogGroup")
		assert.NotNil(t, lg.Properties["KmsKeyId"])
	}
}

func TestQueueRulesAlarms(t *testing.T) {
	f := load(t)
	for stack, maxConc := range map[string]any{"Defaults": float64(2), "Custom": nil} {
		qID, q := f.res(t, stack, "FileGateway/CacheRefreshQueue")
		dlqID, _ := f.res(t, stack, "FileGateway/CacheRefreshDeadLetterQueue")
		evDLQID, _ := f.res(t, stack, "FileGateway/EventsDeadLetterQueue")
		assert.NotNil(t, q.Properties["KmsMasterKeyId"])
		assert.Equal(t, float64(360), q.Properties["VisibilityTimeout"])
		assert.Equal(t, `{"deadLetterTargetArn":"<`+dlqID+`.Arn>","maxReceiveCount":10}`, render(q.Properties["RedrivePolicy"]))

		esms := f.ofType(stack, "AWS::Lambda::EventSourceMapping", "FileGateway/")
		require.Len(t, esms, 1)
		for _, e := range esms {
			assert.Equal(t, "<"+qID+".Arn>", render(e.Properties["EventSourceArn"]))
			assert.Equal(t, []any{"ReportBatchItemFailures"}, e.Properties["FunctionResponseTypes"])
			assert.Equal(t, float64(100), e.Properties["BatchSize"])
			assert.Equal(t, float64(60), e.Properties["MaximumBatchingWindowInSeconds"])
			if maxConc == nil {
				assert.Nil(t, e.Properties["ScalingConfig"])
			} else {
				assert.Equal(t, map[string]any{"MaximumConcurrency": maxConc}, e.Properties["ScalingConfig"])
			}
		}

		rules := f.ofType(stack, "AWS::Events::Rule", "FileGateway/")
		patterns := map[string]string{}
		for path, r := range rules {
			targets := r.Properties["Targets"].([]any)
			require.Len(t, targets, 1)
			tg := render(targets[0])
			assert.Contains(t, tg, `"Arn":"<`+qID+`.Arn>"`)
			assert.Contains(t, tg, `"DeadLetterConfig":{"Arn":"<`+evDLQID+`.Arn>"}`)
			patterns[path] = render(r.Properties["EventPattern"])
		}
		for path, pat := range patterns {
			assert.Contains(t, pat, `"detail-type":["Object Created"]`, path)
			assert.Contains(t, pat, `"source":["aws.s3"]`, path)
		}
		// The queue lets each rule in, and only it.
		qp := f.ofType(stack, "AWS::SQS::QueuePolicy", "FileGateway/CacheRefreshQueue")
		require.Len(t, qp, 1)
		for _, r := range qp {
			assert.Equal(t, len(rules), strings.Count(render(r.Properties), `"aws:SourceArn"`))
		}

		alarms := f.ofType(stack, "AWS::CloudWatch::Alarm", "FileGateway/")
		assert.Len(t, alarms, 2)
		for path, a := range alarms {
			assert.Len(t, a.Properties["AlarmActions"], 1, path)
			assert.Equal(t, "ApproximateNumberOfMessagesVisible", a.Properties["MetricName"], path)
		}

		_, audit := f.res(t, stack, "FileGateway/AuditLogs")
		assert.NotNil(t, audit.Properties["KmsKeyId"])
		assert.Equal(t, "Retain", audit.DeletionPolicy)
	}
	// Defaults: the curated rule takes the whole bucket, the shared rule share/.
	var pats []string
	for _, r := range f.ofType("Defaults", "AWS::Events::Rule", "FileGateway/") {
		pats = append(pats, render(r.Properties["EventPattern"]))
	}
	sorted(pats)
	require.Len(t, pats, 2)
	joined := strings.Join(pats, "\n")
	assert.Contains(t, joined, `"object":{"key":[{"prefix":"share/"}]}`)
	assert.Equal(t, 1, strings.Count(joined, `"object"`), "the curated share exports the whole bucket: no key filter")
	_, audit := f.res(t, "Custom", "FileGateway/AuditLogs")
	assert.Equal(t, float64(731), audit.Properties["RetentionInDays"])
}

func TestSharesAPI(t *testing.T) {
	f := load(t)
	g := f.gws["Defaults"]
	assert.Equal(t, gatewayARN, g.GatewayARN)
	require.NotNil(t, g.Share("drop"))
	assert.Equal(t, "share/", g.Share("drop").Settings.Prefix)
	assert.Equal(t, filegateway.RootSquash, g.Share("drop").Settings.Squash)
	assert.Nil(t, g.Share("nope"))
	b, _ := json.Marshal(filegateway.DefaultShares())
	assert.Contains(t, string(b), `"Name":"curated"`)
}

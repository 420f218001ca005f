package test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/biolake/biolake/internal/iamproof"
	"github.com/biolake/biolake/internal/idp"
)

// The AWS services' part of the permission proof: for each service that
// acts in the account on the platform's behalf (CloudWatch alarms and
// EventBridge publishing to topics and queues, EventBridge using the bus
// key, FSx's S3-access roles and Auto Scaling using keys through S3 and
// EC2, Transfer Family's logging, workflow and access roles, File Gateway's
// share roles, VPC Flow Logs, DataSync locations, AWS Backup), a table of
// what the service's documentation requires (the page named in each row),
// checked against the synthesized identity, trust, key and resource
// policies. Each row finds its cases in the templates (every alarm, every
// rule target, every share), so a new one is covered.

// serviceRow is one documented requirement.
type serviceRow struct {
	name string
	doc  string
	// requests builds the row's requests in an environment; none where
	// the environment has no such resource.
	requests func(p *proof) ([]iamproof.Request, error)
}

// proof is one environment under proof.
type proof struct {
	t *testing.T
	e *iamproof.Env
}

func (p *proof) resolve(r *iamproof.Resource, v any) string {
	x, err := p.e.Resolve(r.Stack, v)
	if err != nil {
		p.t.Fatalf("%s: %v", r, err)
	}
	if x == nil {
		return ""
	}
	return fmt.Sprint(x)
}

// service is a service principal making a request on behalf of source
// (aws:SourceArn, aws:SourceAccount).
func (p *proof) service(name, source, account string) (*iamproof.Principal, map[string][]string) {
	ctx := map[string][]string{"aws:SourceAccount": {account}}
	if source != "" {
		ctx["aws:SourceArn"] = []string{source}
	}
	return p.e.Service(name), ctx
}

// serviceRole is a role that exists only in the deployed account (a
// service-linked role), making a request with the key policy's grant alone.
func (p *proof) serviceRole(arn string) (*iamproof.Principal, map[string][]string) {
	pr := *p.e.Service("iam")
	pr.ARN, pr.Label = arn, arn[strings.LastIndex(arn, "/")+1:]
	return &pr, map[string][]string{
		"aws:PrincipalArn":          {arn},
		"aws:PrincipalType":         {"AssumedRole"},
		"aws:PrincipalIsAWSService": {"false"},
	}
}

func merge(ms ...map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func req(pr *iamproof.Principal, call, action, resource string, ctx map[string][]string) iamproof.Request {
	return iamproof.Request{Principal: pr, Call: call, Action: action, Resource: resource, Context: ctx}
}

// keyOf returns the ARN of the key of an encrypted topic or queue ("" when
// it has none).
func (p *proof) keyOf(r *iamproof.Resource) string {
	if r == nil {
		return ""
	}
	return p.resolve(r, r.Properties["KmsMasterKeyId"])
}

// publish is a service's delivery to a topic or queue (arn) on behalf of
// source: the send, and the target's key with the encryption context SNS
// and SQS use.
func (p *proof) publish(service, source, arn, why string) []iamproof.Request {
	target := p.e.ByARN(arn)
	if target == nil {
		return nil
	}
	pr, ctx := p.service(service, source, target.Account())
	var rs []iamproof.Request
	var kctx map[string][]string
	switch target.Type {
	case "AWS::SNS::Topic":
		rs = append(rs, req(pr, why, "sns:Publish", arn, ctx))
		kctx = map[string][]string{"kms:EncryptionContext:aws:sns:topicArn": {arn}}
	case "AWS::SQS::Queue":
		rs = append(rs, req(pr, why, "sqs:SendMessage", arn, ctx))
		kctx = map[string][]string{"kms:EncryptionContext:aws:sqs:arn": {arn}}
	default:
		return nil
	}
	if key := p.keyOf(target); strings.HasPrefix(key, "arn:") {
		kmsCtx := merge(ctx, kctx)
		if service == "events.amazonaws.com" && target.Type == "AWS::SNS::Topic" {
			// The SNS guide: aws:SourceAccount, aws:SourceArn and
			// aws:SourceOrgID are not supported in the key policy for
			// EventBridge publishing to an encrypted topic; the request to
			// KMS carries only the encryption context.
			kmsCtx = kctx
		}
		for _, a := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
			rs = append(rs, req(pr, why+" (SSE-KMS)", a, key, kmsCtx))
		}
	}
	return rs
}

// assume is service assuming role (by ARN) on behalf of source.
func (p *proof) assume(service, source, role, why string) iamproof.Request {
	r := p.e.ByARN(role)
	acct := ""
	if r != nil {
		acct = r.Account()
	}
	pr, ctx := p.service(service, source, acct)
	return req(pr, why, "sts:AssumeRole", role, ctx)
}

func (p *proof) role(arn string) *iamproof.Principal {
	r := p.e.ByARN(arn)
	if r == nil {
		p.t.Fatalf("role %s is not in the environment", arn)
	}
	pr, err := p.e.Role(strings.TrimPrefix(r.Stack.Name, p.e.Name+"-") + "/" + r.ID)
	if err != nil {
		p.t.Fatal(err)
	}
	return pr
}

var serviceRows = []serviceRow{
	{
		name: "CloudWatch alarms publish to their topics",
		doc:  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html, https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, a := range p.e.Resources("AWS::CloudWatch::Alarm") {
				alarm := a.ARN
				if alarm == "" {
					alarm = fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", a.Region(), a.Account(), a.ID)
				}
				for _, prop := range []string{"AlarmActions", "OKActions"} {
					v, err := p.e.Resolve(a.Stack, a.Properties[prop])
					if err != nil {
						return nil, err
					}
					l, _ := v.([]any)
					for _, topic := range l {
						rs = append(rs, p.publish("cloudwatch.amazonaws.com", alarm, fmt.Sprint(topic), "alarm "+a.ID+" "+prop)...)
					}
				}
			}
			return rs, nil
		},
	},
	{
		name: "EventBridge delivers to rule targets, dead-letter queues and the bus's dead-letter queue",
		doc:  "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html, https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, r := range p.e.Resources("AWS::Events::Rule") {
				v, err := p.e.Resolve(r.Stack, r.Properties["Targets"])
				if err != nil {
					return nil, err
				}
				targets, _ := v.([]any)
				for _, tg := range targets {
					m, _ := tg.(map[string]any)
					if m["RoleArn"] != nil {
						continue // delivered with a role, not as the service
					}
					rs = append(rs, p.publish("events.amazonaws.com", r.ARN, fmt.Sprint(m["Arn"]), "rule "+r.ID+" target")...)
					if dlq, ok := m["DeadLetterConfig"].(map[string]any); ok {
						rs = append(rs, p.publish("events.amazonaws.com", r.ARN, fmt.Sprint(dlq["Arn"]), "rule "+r.ID+" dead-letter queue")...)
					}
				}
			}
			for _, b := range p.e.Resources("AWS::Events::EventBus") {
				if dlq := p.resolve(b, cfnGet(b.Properties, "DeadLetterConfig", "Arn")); dlq != "" {
					rs = append(rs, p.publish("events.amazonaws.com", b.ARN, dlq, "bus "+b.ID+" dead-letter queue")...)
				}
			}
			return rs, nil
		},
	},
	{
		name: "EventBridge uses the bus key (DescribeKey without an encryption context)",
		doc:  "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-event-bus-cmkey.html",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, b := range p.e.Resources("AWS::Events::EventBus") {
				key := p.resolve(b, b.Properties["KmsKeyIdentifier"])
				if key == "" {
					continue
				}
				pr, ctx := p.service("events.amazonaws.com", b.ARN, b.Account())
				data := merge(ctx, map[string][]string{"kms:EncryptionContext:aws:events:event-bus:arn": {b.ARN}})
				rs = append(rs,
					req(pr, "bus "+b.ID, "kms:GenerateDataKey", key, data),
					req(pr, "bus "+b.ID, "kms:Decrypt", key, data),
					req(pr, "bus "+b.ID, "kms:DescribeKey", key, ctx))
			}
			return rs, nil
		},
	},
	{
		name: "FSx for Lustre's S3-access service-linked roles use the data key through S3",
		doc:  "https://docs.aws.amazon.com/fsx/latest/LustreGuide/s3-server-side-encryption-support.html",
		requests: func(p *proof) ([]iamproof.Request, error) {
			if len(p.e.Resources("AWS::FSx::DataRepositoryAssociation")) == 0 && !hasRunPolicy(p.e) {
				return nil, nil
			}
			keyRes, err := p.e.Lookup("DataLakeDataKey")
			if err != nil {
				return nil, err
			}
			slr := fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_%s", keyRes.Account(), proofFileSystemID)
			pr, ctx := p.serviceRole(slr)
			var rs []iamproof.Request
			for _, b := range []string{"DataLakeRaw", "DataLakeResults"} {
				bucket, err := p.e.ARN(b)
				if err != nil {
					return nil, err
				}
				kctx := merge(ctx, map[string][]string{
					"kms:ViaService":                   {"s3." + keyRes.Region() + ".amazonaws.com"},
					"kms:CallerAccount":                {keyRes.Account()},
					"kms:EncryptionContext:aws:s3:arn": {bucket},
				})
				for _, a := range []string{"kms:Decrypt", "kms:GenerateDataKey"} {
					rs = append(rs, req(pr, "FSx import/export "+b, a, keyRes.ARN, kctx))
				}
			}
			return rs, nil
		},
	},
	{
		name: "EC2 Auto Scaling launches Batch instances with encrypted volumes",
		doc:  "https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html, https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, lt := range p.e.Resources("AWS::EC2::LaunchTemplate") {
				v, err := p.e.Resolve(lt.Stack, cfnGet(lt.Properties, "LaunchTemplateData", "BlockDeviceMappings"))
				if err != nil {
					return nil, err
				}
				bdm, _ := v.([]any)
				seen := map[string]bool{}
				for _, b := range bdm {
					key, _ := cfnGet(b, "Ebs", "KmsKeyId").(string)
					if key == "" || seen[key] {
						continue
					}
					seen[key] = true
					slr := fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling", lt.Account())
					pr, ctx := p.serviceRole(slr)
					via := merge(ctx, map[string][]string{"kms:ViaService": {"ec2." + lt.Region() + ".amazonaws.com"}, "kms:CallerAccount": {lt.Account()}})
					for _, a := range []string{"kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:DescribeKey"} {
						rs = append(rs, req(pr, "launch template "+lt.ID, a, key, via))
					}
					rs = append(rs, req(pr, "launch template "+lt.ID, "kms:CreateGrant", key, merge(via, map[string][]string{"kms:GrantIsForAWSResource": {"true"}})))
				}
			}
			return rs, nil
		},
	},
	{
		name: "VPC Flow Logs publish to their log group",
		doc:  "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, fl := range p.e.Resources("AWS::EC2::FlowLog") {
				roleArn := p.resolve(fl, fl.Properties["DeliverLogsPermissionArn"])
				if roleArn == "" {
					continue
				}
				source := fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-flow-log/fl-0123456789abcdef0", fl.Region(), fl.Account())
				rs = append(rs, p.assume("vpc-flow-logs.amazonaws.com", source, roleArn, "flow log "+fl.ID))
				role := p.role(roleArn)
				group := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", fl.Region(), fl.Account(), p.resolve(fl, fl.Properties["LogGroupName"]))
				rs = append(rs,
					req(role, "flow log "+fl.ID, "logs:CreateLogStream", group+":log-stream:eni-0123456789abcdef0-all", nil),
					req(role, "flow log "+fl.ID, "logs:PutLogEvents", group+":log-stream:eni-0123456789abcdef0-all", nil),
					req(role, "flow log "+fl.ID, "logs:DescribeLogStreams", group+":*", nil),
					req(role, "flow log "+fl.ID, "logs:DescribeLogGroups", "*", nil))
			}
			return rs, nil
		},
	},
	{
		name: "Transfer Family logs workflow executions with the server's logging role",
		doc:  "https://docs.aws.amazon.com/transfer/latest/userguide/monitoring.html, https://docs.aws.amazon.com/transfer/latest/userguide/API_LoggingConfiguration.html",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, s := range p.e.Resources("AWS::Transfer::Server") {
				roleArn := p.resolve(s, s.Properties["LoggingRole"])
				if roleArn == "" {
					return nil, fmt.Errorf("%s has no LoggingRole: workflow executions would not be logged", s)
				}
				rs = append(rs, p.assume("transfer.amazonaws.com", s.ARN, roleArn, "server "+s.ID+" logging"))
				role := p.role(roleArn)
				id := s.ARN[strings.LastIndex(s.ARN, "/")+1:]
				group := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/transfer/%s", s.Region(), s.Account(), id)
				for _, a := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
					rs = append(rs, req(role, "server "+s.ID+" workflow logs", a, group+":log-stream:w-0123456789abcdef0", nil))
				}
				rs = append(rs, req(role, "server "+s.ID+" workflow logs", "logs:DescribeLogStreams", group+":*", nil))
				// The workflow's execution role, assumed by Transfer Family.
				v, err := p.e.Resolve(s.Stack, cfnGet(s.Properties, "WorkflowDetails", "OnUpload"))
				if err != nil {
					return nil, err
				}
				l, _ := v.([]any)
				for _, w := range l {
					exec, _ := cfnGet(w, "ExecutionRole").(string)
					wf, _ := cfnGet(w, "WorkflowId").(string)
					rs = append(rs, p.assume("transfer.amazonaws.com", fmt.Sprintf("arn:aws:transfer:%s:%s:workflow/%s", s.Region(), s.Account(), wf), exec, "server "+s.ID+" workflow"))
				}
			}
			return rs, nil
		},
	},
	{
		name: "S3 File Gateway shares reach their bucket and prefix with their roles",
		doc:  "https://docs.aws.amazon.com/filegateway/latest/files3/grant-access-s3.html",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, typ := range []string{"AWS::StorageGateway::NFSFileShare", "AWS::StorageGateway::SMBFileShare"} {
				for _, fs := range p.e.Resources(typ) {
					roleArn := p.resolve(fs, fs.Properties["Role"])
					gateway := p.resolve(fs, fs.Properties["GatewayARN"])
					rs = append(rs, p.assume("storagegateway.amazonaws.com", gateway, roleArn, "share "+fs.ID))
					role := p.role(roleArn)
					loc := p.resolve(fs, fs.Properties["LocationARN"])
					bucket, prefix, _ := strings.Cut(strings.TrimPrefix(loc, "arn:aws:s3:::"), "/")
					bucketArn := "arn:aws:s3:::" + bucket
					list := map[string][]string{"s3:prefix": {prefix}}
					for _, a := range []string{"s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucketMultipartUploads"} {
						rs = append(rs, req(role, "share "+fs.ID, a, bucketArn, nil))
					}
					for _, a := range []string{"s3:ListBucket", "s3:ListBucketVersions"} {
						rs = append(rs, req(role, "share "+fs.ID, a, bucketArn, list))
					}
					obj := bucketArn + "/" + prefix + "dir/file.txt"
					actions := []string{"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl"}
					if ro, _ := fs.Properties["ReadOnly"].(bool); !ro {
						actions = append(actions, "s3:PutObject", "s3:PutObjectAcl", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
					}
					for _, a := range actions {
						rs = append(rs, req(role, "share "+fs.ID, a, obj, nil))
					}
				}
			}
			return rs, nil
		},
	},
	{
		name: "DataSync reaches its S3 locations with their roles",
		doc:  "https://docs.aws.amazon.com/datasync/latest/userguide/create-s3-location.html",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, l := range p.e.Resources("AWS::DataSync::LocationS3") {
				roleArn := p.resolve(l, cfnGet(l.Properties, "S3Config", "BucketAccessRoleArn"))
				bucketArn := p.resolve(l, l.Properties["S3BucketArn"])
				sub := strings.Trim(p.resolve(l, l.Properties["Subdirectory"]), "/")
				rs = append(rs, p.assume("datasync.amazonaws.com", fmt.Sprintf("arn:aws:datasync:%s:%s:location/loc-0123456789abcdef0", l.Region(), l.Account()), roleArn, "location "+l.ID))
				role := p.role(roleArn)
				for _, a := range []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"} {
					rs = append(rs, req(role, "location "+l.ID, a, bucketArn, nil))
				}
				obj := bucketArn + "/" + sub + "/run1/file.bcl"
				for _, a := range []string{"s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:GetObjectTagging", "s3:PutObjectTagging"} {
					rs = append(rs, req(role, "location "+l.ID, a, obj, nil))
				}
			}
			return rs, nil
		},
	},
	{
		name: "CloudTrail delivers to its bucket, key and log group",
		doc:  "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, tr := range p.e.Resources("AWS::CloudTrail::Trail") {
				trail := tr.ARN
				if trail == "" {
					trail = fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", tr.Region(), tr.Account(), tr.Name)
				}
				pr, ctx := p.service("cloudtrail.amazonaws.com", trail, tr.Account())
				bucket := "arn:aws:s3:::" + p.resolve(tr, tr.Properties["S3BucketName"])
				rs = append(rs,
					req(pr, "trail "+tr.ID, "s3:GetBucketAcl", bucket, ctx),
					req(pr, "trail "+tr.ID, "s3:PutObject", bucket+"/AWSLogs/"+tr.Account()+"/CloudTrail/"+tr.Region()+"/2026/01/01/log.json.gz",
						merge(ctx, map[string][]string{"s3:x-amz-acl": {"bucket-owner-full-control"}})))
				if key := p.resolve(tr, tr.Properties["KMSKeyId"]); key != "" {
					rs = append(rs,
						req(pr, "trail "+tr.ID+" (SSE-KMS)", "kms:GenerateDataKey", key, merge(ctx, map[string][]string{"kms:EncryptionContext:aws:cloudtrail:arn": {trail}})),
						req(pr, "trail "+tr.ID+" (SSE-KMS)", "kms:DescribeKey", key, ctx))
				}
				if roleArn := p.resolve(tr, tr.Properties["CloudWatchLogsRoleArn"]); roleArn != "" {
					rs = append(rs, p.assume("cloudtrail.amazonaws.com", trail, roleArn, "trail "+tr.ID+" logs"))
					group := strings.TrimSuffix(p.resolve(tr, tr.Properties["CloudWatchLogsLogGroupArn"]), ":*")
					role := p.role(roleArn)
					for _, a := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
						rs = append(rs, req(role, "trail "+tr.ID+" logs", a, group+":log-stream:"+tr.Account()+"_CloudTrail_"+tr.Region(), nil))
					}
				}
			}
			return rs, nil
		},
	},
	{
		name: "S3 delivers inventory and storage class analysis reports",
		doc:  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/configure-inventory.html, https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html#example-bucket-policies-s3-inventory-1",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, b := range p.e.Resources("AWS::S3::Bucket") {
				var dests []any
				v, err := p.e.Resolve(b.Stack, b.Properties["InventoryConfigurations"])
				if err != nil {
					return nil, err
				}
				inv, _ := v.([]any)
				for _, c := range inv {
					dests = append(dests, cfnGet(c, "Destination"))
				}
				v, err = p.e.Resolve(b.Stack, b.Properties["AnalyticsConfigurations"])
				if err != nil {
					return nil, err
				}
				an, _ := v.([]any)
				for _, c := range an {
					dests = append(dests, cfnGet(c, "StorageClassAnalysis", "DataExport", "Destination", "S3BucketDestination"))
				}
				for _, d := range dests {
					dest, _ := cfnGet(d, "BucketArn").(string)
					if dest == "" {
						continue
					}
					prefix, _ := cfnGet(d, "Prefix").(string)
					pr, ctx := p.service("s3.amazonaws.com", b.ARN, b.Account())
					rs = append(rs, req(pr, "report of "+b.ID, "s3:PutObject", dest+"/"+strings.Trim(prefix, "/")+"/data/report.parquet",
						merge(ctx, map[string][]string{"s3:x-amz-acl": {"bucket-owner-full-control"}})))
					if dr := p.e.ByARN(dest); dr != nil {
						key, _ := cfnGet(p.resolveAny(dr, dr.Properties["BucketEncryption"]), "ServerSideEncryptionConfiguration").([]any)
						for _, k := range key {
							if arn, _ := cfnGet(k, "ServerSideEncryptionByDefault", "KMSMasterKeyID").(string); arn != "" {
								rs = append(rs, req(pr, "report of "+b.ID+" (SSE-KMS)", "kms:GenerateDataKey", arn, ctx))
							}
						}
					}
				}
			}
			return rs, nil
		},
	},
	{
		name: "S3 replicates with its replication role",
		doc:  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, b := range p.e.Resources("AWS::S3::Bucket") {
				roleArn := p.resolve(b, cfnGet(b.Properties, "ReplicationConfiguration", "Role"))
				if roleArn == "" {
					continue
				}
				rs = append(rs, p.assume("s3.amazonaws.com", b.ARN, roleArn, "replication of "+b.ID))
				role := p.role(roleArn)
				rs = append(rs,
					req(role, "replication of "+b.ID, "s3:GetReplicationConfiguration", b.ARN, nil),
					req(role, "replication of "+b.ID, "s3:ListBucket", b.ARN, nil))
				for _, a := range []string{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"} {
					rs = append(rs, req(role, "replication of "+b.ID, a, b.ARN+"/runs/r1/file.bcl", nil))
				}
				v, err := p.e.Resolve(b.Stack, cfnGet(b.Properties, "ReplicationConfiguration", "Rules"))
				if err != nil {
					return nil, err
				}
				rules, _ := v.([]any)
				for _, r := range rules {
					dest, _ := cfnGet(r, "Destination", "Bucket").(string)
					for _, a := range []string{"s3:ReplicateObject", "s3:ReplicateTags"} {
						rs = append(rs, req(role, "replication of "+b.ID+" to "+dest, a, dest+"/runs/r1/file.bcl", nil))
					}
				}
			}
			return rs, nil
		},
	},
	{
		name: "Transfer Family partner sessions list, upload to and read back their home",
		doc:  "https://docs.aws.amazon.com/transfer/latest/userguide/requirements-roles.html, https://docs.aws.amazon.com/transfer/latest/userguide/users-policies-session.html",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			servers := p.e.Resources("AWS::Transfer::Server")
			for _, fn := range p.e.Resources("AWS::Lambda::Function") {
				env, _ := p.resolveAny(fn, cfnGet(fn.Properties, "Environment", "Variables")).(map[string]any)
				roleArn, _ := env["ACCESS_ROLE_ARN"].(string)
				if roleArn == "" || len(servers) == 0 {
					continue
				}
				bucket, _ := env["PARTNER_BUCKET"].(string)
				home, _ := env["HOME_PREFIX"].(string)
				key, _ := env["DATA_KEY_ARN"].(string)
				var partners []struct {
					Name string `json:"name"`
				}
				if err := json.Unmarshal([]byte(fmt.Sprint(env["PARTNERS"])), &partners); err != nil {
					return nil, fmt.Errorf("%s PARTNERS: %w", fn, err)
				}
				rs = append(rs, p.assume("transfer.amazonaws.com", servers[0].ARN, roleArn, "partner sessions"))
				role := p.role(roleArn)
				bucketArn := "arn:aws:s3:::" + bucket
				for _, pt := range partners {
					// A session's permissions are those both the role and
					// the session policy the identity provider returns
					// allow: each request is checked against both.
					session := *role
					session.Label = role.Label + " with " + pt.Name + "'s session policy"
					var doc map[string]any
					if err := json.Unmarshal([]byte(idp.SessionPolicy("aws", bucket, home, pt.Name, key)), &doc); err != nil {
						return nil, err
					}
					session.Policies = []iamproof.Policy{{Name: "session policy of " + pt.Name, Document: doc}}
					dir := home + pt.Name
					for _, pr := range []*iamproof.Principal{role, &session} {
						rs = append(rs,
							req(pr, pt.Name+" lists its home", "s3:ListBucket", bucketArn, map[string][]string{"s3:prefix": {dir}}),
							req(pr, pt.Name+" lists its home", "s3:ListBucket", bucketArn, map[string][]string{"s3:prefix": {dir + "/"}}),
							req(pr, pt.Name+" uploads", "s3:PutObject", bucketArn+"/"+dir+"/run1/file.fastq.gz", nil),
							req(pr, pt.Name+" reads back", "s3:GetObject", bucketArn+"/"+dir+"/run1/file.fastq.gz", nil))
					}
				}
			}
			return rs, nil
		},
	},
	{
		name: "SageMaker AI assumes the domain's execution role: Studio reads curated data, writes under ml/ of results, Feature Store writes its offline store",
		doc:  "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html, https://docs.aws.amazon.com/sagemaker/latest/dg/feature-store-adding-policies.html",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, d := range p.e.Resources("AWS::SageMaker::Domain") {
				roleArn := p.resolve(d, cfnGet(d.Properties, "DefaultUserSettings", "ExecutionRole"))
				rs = append(rs, p.assume("sagemaker.amazonaws.com", "", roleArn, "domain "+d.ID))
				role := p.role(roleArn)
				keyRes, err := p.e.Lookup("DataLakeDataKey")
				if err != nil {
					return nil, err
				}
				for _, c := range []struct{ bucket, key, action string }{
					{"DataLakeCurated", "runs/run1/sample1.bam", "s3:GetObject"},
					{"DataLakeResults", "workflows/germline/run1/sample1.vcf.gz", "s3:GetObject"},
					{"DataLakeResults", "ml/experiments/model.tar.gz", "s3:PutObject"},
				} {
					bucket, err := p.e.ARN(c.bucket)
					if err != nil {
						return nil, err
					}
					rs = append(rs, req(role, "Studio "+c.action, c.action, bucket+"/"+c.key, nil))
					kctx := map[string][]string{
						"kms:ViaService":                   {"s3." + keyRes.Region() + ".amazonaws.com"},
						"kms:CallerAccount":                {keyRes.Account()},
						"kms:EncryptionContext:aws:s3:arn": {bucket},
					}
					kms := "kms:Decrypt"
					if c.action == "s3:PutObject" {
						kms = "kms:GenerateDataKey"
					}
					rs = append(rs, req(role, "Studio "+c.action+" ("+c.bucket+")", kms, keyRes.ARN, kctx))
				}
			}
			for _, fg := range p.e.Resources("AWS::SageMaker::FeatureGroup") {
				role := p.role(p.resolve(fg, fg.Properties["RoleArn"]))
				uri := strings.TrimPrefix(p.resolve(fg, cfnGet(fg.Properties, "OfflineStoreConfig", "S3StorageConfig", "S3Uri")), "s3://")
				bucket := "arn:aws:s3:::" + uri[:strings.Index(uri, "/")]
				obj := "arn:aws:s3:::" + uri + "data/year=2026/part-0.parquet"
				rs = append(rs, req(role, "offline store "+fg.ID, "s3:PutObject", obj, nil),
					req(role, "offline store "+fg.ID, "s3:PutObjectAcl", obj, nil),
					req(role, "offline store "+fg.ID, "s3:GetBucketAcl", bucket, nil))
			}
			return rs, nil
		},
	},
	{
		name: "AWS Backup assumes its role",
		doc:  "https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html",
		requests: func(p *proof) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			for _, s := range p.e.Resources("AWS::Backup::BackupSelection") {
				roleArn := p.resolve(s, cfnGet(s.Properties, "BackupSelection", "IamRoleArn"))
				if roleArn != "" {
					rs = append(rs, p.assume("backup.amazonaws.com", "", roleArn, "backup selection "+s.ID))
				}
			}
			return rs, nil
		},
	},
}

// resolveAny resolves v in r's stack (nil when it cannot be).
func (p *proof) resolveAny(r *iamproof.Resource, v any) any {
	x, err := p.e.Resolve(r.Stack, v)
	if err != nil {
		p.t.Fatalf("%s: %v", r, err)
	}
	return x
}

func hasRunPolicy(e *iamproof.Env) bool {
	for _, r := range e.Resources("AWS::IAM::ManagedPolicy") {
		if strings.HasPrefix(r.ID, "LustreRunPolicy") {
			return true
		}
	}
	return false
}

// cfnGet walks map keys of a template value.
func cfnGet(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestServicePermissions(t *testing.T) {
	s := synthAll(t)
	total := 0
	rowsUsed := map[string]bool{}
	for _, env := range s.Envs {
		p := &proof{t: t, e: proofEnv(t, s, env)}
		var reqs []iamproof.Request
		counts := map[string]int{}
		for _, row := range serviceRows {
			rs, err := row.requests(p)
			if err != nil {
				t.Errorf("%s: %s: %v", env, row.name, err)
				continue
			}
			counts[row.name] = len(rs)
			if len(rs) > 0 {
				rowsUsed[row.name] = true
			}
			reqs = append(reqs, rs...)
		}
		rep, err := iamproof.Evaluate(reqs)
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		for _, d := range rep.Denied() {
			t.Errorf("%s: %s", env, d)
		}
		names := make([]string, 0, len(counts))
		for n := range counts {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			t.Logf("%s: %-90s %3d requests", env, n, counts[n])
		}
		total += rep.Checked
	}
	// Every row applies somewhere: a row that never finds its resources
	// proves nothing.
	for _, row := range serviceRows {
		if !rowsUsed[row.name] {
			t.Errorf("row %q (%s) found nothing to check in any environment", row.name, row.doc)
		}
	}
	t.Logf("AWS services: %d requests checked in %d environments", total, len(s.Envs))
}

package test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/biolake/biolake/internal/iamproof"
)

// The state machines' part of the permission proof: every Task of every
// state machine of every environment, read from the rendered Amazon States
// Language (so a new Task is covered without a change here), is mapped to
// the permissions AWS documents for its integration, with the Task's own
// resources, and evaluated against the state machine's role and the
// resources' policies. A Task whose integration the mapping does not know
// fails the test.

// Placeholder ids of resources a state machine creates at run time.
const (
	proofFileSystemID  = "fs-0123456789abcdef0"
	proofAssociationID = "dra-0123456789abcdef0"
	proofTaskID        = "task-0123456789abcdef0"
	proofJobID         = "00000000-0000-0000-0000-000000000000"
)

// smTask is one Task state of a state machine, its Parameters resolved.
type smTask struct {
	env     *iamproof.Env
	role    *iamproof.Principal
	sm      *iamproof.Resource
	name    string
	params  map[string]any
	account string
	region  string
	// runTags are the tags the state machine's own fsx:createFileSystem
	// puts on the file systems it creates (the resource tags its later
	// calls on them carry).
	runTags map[string]string
}

func (t *smTask) arn(service, rest string) string {
	return "arn:aws:" + service + ":" + t.region + ":" + t.account + ":" + rest
}

func (t *smTask) req(call, action, resource string, ctx map[string][]string) iamproof.Request {
	return iamproof.Request{Principal: t.role, Call: t.sm.ID + " " + t.name + ": " + call, Action: action, Resource: resource, Context: ctx}
}

func (t *smTask) str(key string) string {
	v, _ := t.params[key].(string)
	return v
}

// integrations maps a Task's Resource (after "arn:<partition>:states:::")
// to the requests AWS documents for it.
var integrations = map[string]struct {
	doc      string
	requests func(t *smTask) ([]iamproof.Request, error)
}{
	"lambda:invoke": {
		doc: "https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html",
		requests: func(t *smTask) ([]iamproof.Request, error) {
			return []iamproof.Request{t.req("lambda:invoke", "lambda:InvokeFunction", t.str("FunctionName"), nil)}, nil
		},
	},
	"lambda:invoke.waitForTaskToken": {
		doc: "https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html",
		requests: func(t *smTask) ([]iamproof.Request, error) {
			return []iamproof.Request{t.req("lambda:invoke.waitForTaskToken", "lambda:InvokeFunction", t.str("FunctionName"), nil)}, nil
		},
	},
	// Run a Job (.sync): SubmitJob, DescribeJobs and TerminateJob, and the
	// rule Step Functions manages to learn that a job ended; tags on the
	// submission need batch:TagResource on the job.
	"batch:submitJob.sync": {
		doc: "https://docs.aws.amazon.com/step-functions/latest/dg/batch-iam.html",
		requests: func(t *smTask) ([]iamproof.Request, error) {
			job := t.arn("batch", "job/"+proofJobID)
			rule := t.arn("events", "rule/StepFunctionsGetEventsForBatchJobsRule")
			rs := []iamproof.Request{
				t.req("batch:submitJob.sync", "batch:SubmitJob", t.str("JobDefinition"), nil),
				t.req("batch:submitJob.sync", "batch:SubmitJob", t.str("JobQueue"), nil),
				t.req("batch:submitJob.sync", "batch:DescribeJobs", "*", nil),
				t.req("batch:submitJob.sync", "batch:TerminateJob", job, nil),
				t.req("batch:submitJob.sync (managed rule)", "events:PutTargets", rule, nil),
				t.req("batch:submitJob.sync (managed rule)", "events:PutRule", rule, nil),
				t.req("batch:submitJob.sync (managed rule)", "events:DescribeRule", rule, nil),
			}
			if _, tagged := t.params["Tags"]; tagged {
				rs = append(rs, t.req("batch:submitJob.sync (tags)", "batch:TagResource", job, nil))
			}
			return rs, nil
		},
	},
	// Publishing to an SSE-KMS topic also needs the topic's key, used by
	// SNS with the topic's ARN as encryption context.
	"sns:publish": {
		doc: "https://docs.aws.amazon.com/step-functions/latest/dg/sns-iam.html, https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html",
		requests: func(t *smTask) ([]iamproof.Request, error) {
			topic := t.str("TopicArn")
			rs := []iamproof.Request{t.req("sns:publish", "sns:Publish", topic, nil)}
			tr := t.env.ByARN(topic)
			if tr == nil {
				return nil, fmt.Errorf("topic %s is not a resource of the environment", topic)
			}
			if k := tr.Properties["KmsMasterKeyId"]; k != nil {
				key, err := t.env.Resolve(tr.Stack, k)
				if err != nil {
					return nil, err
				}
				ctx := map[string][]string{
					"kms:ViaService":                         {"sns." + t.region + ".amazonaws.com"},
					"kms:CallerAccount":                      {t.account},
					"kms:EncryptionContext:aws:sns:topicArn": {topic},
				}
				for _, a := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
					rs = append(rs, t.req("sns:publish (SSE-KMS)", a, fmt.Sprint(key), ctx))
				}
			}
			return rs, nil
		},
	},
	"dynamodb:putItem": {
		doc: "https://docs.aws.amazon.com/step-functions/latest/dg/dynamo-iam.html",
		requests: func(t *smTask) ([]iamproof.Request, error) {
			name := t.str("TableName")
			for _, r := range t.env.Resources("AWS::DynamoDB::Table") {
				if r.Name == name {
					return []iamproof.Request{t.req("dynamodb:putItem", "dynamodb:PutItem", r.ARN, nil)}, nil
				}
			}
			return nil, fmt.Errorf("table %s is not a resource of the environment", name)
		},
	},
	"events:putEvents": {
		doc: "https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-iam.html",
		requests: func(t *smTask) ([]iamproof.Request, error) {
			var rs []iamproof.Request
			entries, _ := t.params["Entries"].([]any)
			for _, e := range entries {
				bus, _ := e.(map[string]any)["EventBusName"].(string)
				if !strings.HasPrefix(bus, "arn:") {
					bus = t.arn("events", "event-bus/"+bus)
				}
				rs = append(rs, t.req("events:putEvents", "events:PutEvents", bus, nil))
			}
			if len(rs) == 0 {
				return nil, fmt.Errorf("events:putEvents without Entries")
			}
			return rs, nil
		},
	},
}

// sdkCall is what an aws-sdk integration's API action needs besides the
// action itself and its dependent actions from the Service Authorization
// Reference: the resources the action is authorized on, and what else
// AWS documents for it.
type sdkCall struct {
	doc string
	// requests returns the action's requests with their resources and
	// context keys.
	requests func(t *smTask, action string) []iamproof.Request
}

// tagContext turns an aws-sdk call's Tags ([{"Key","Value"}], values from
// paths unknown) into aws:RequestTag/... and aws:TagKeys.
func tagContext(params map[string]any) map[string][]string {
	ctx := map[string][]string{}
	tags, _ := params["Tags"].([]any)
	for _, tg := range tags {
		m, _ := tg.(map[string]any)
		k := fmt.Sprint(m["Key"])
		v := "value-from-the-execution"
		if s, ok := m["Value"].(string); ok {
			v = s
		}
		ctx["aws:RequestTag/"+k] = []string{v}
		ctx["aws:TagKeys"] = append(ctx["aws:TagKeys"], k)
	}
	return ctx
}

func (t *smTask) fileSystem() string { return t.arn("fsx", "file-system/"+proofFileSystemID) }

// onRunFileSystem is a request on the run's file system, which carries the
// tags the state machine created it with.
func (t *smTask) onRunFileSystem(action string) iamproof.Request {
	ctx := map[string][]string{}
	for k, v := range t.runTags {
		ctx["aws:ResourceTag/"+k] = []string{v}
	}
	return t.req("aws-sdk:fsx:"+action, action, t.fileSystem(), ctx)
}

// fsxServiceLinkedRoles: FSx creates its service-linked roles with the
// caller's permissions: AWSServiceRoleForAmazonFSx for a file system, and
// for data repository associations the S3-access role, to which it also
// attaches its policy (https://docs.aws.amazon.com/fsx/latest/LustreGuide/using-service-linked-roles.html,
// https://docs.aws.amazon.com/fsx/latest/LustreGuide/setting-up.html).
func (t *smTask) fsxServiceLinkedRole(service, name string, actions ...string) []iamproof.Request {
	role := "arn:aws:iam::" + t.account + ":role/aws-service-role/" + service + "/" + name
	var rs []iamproof.Request
	for _, a := range actions {
		var ctx map[string][]string
		if a == "iam:CreateServiceLinkedRole" {
			ctx = map[string][]string{"iam:AWSServiceName": {service}}
		}
		rs = append(rs, t.req("service-linked role "+name, a, role, ctx))
	}
	return rs
}

var sdkCalls = map[string]sdkCall{
	"states:StartExecution": {doc: "https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html",
		requests: func(t *smTask, a string) []iamproof.Request {
			return []iamproof.Request{t.req("aws-sdk:sfn:startExecution", a, t.str("StateMachineArn"), nil)}
		}},
	// CreateFileSystem: tagged on creation (fsx:TagResource too), the EC2
	// look-ups of the subnet, security groups and VPC it checks with the
	// caller's permissions, and FSx's service-linked role.
	"fsx:CreateFileSystem": {doc: "https://docs.aws.amazon.com/fsx/latest/LustreGuide/supported-iam-actions-tagging.html, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonfsx.html",
		requests: func(t *smTask, a string) []iamproof.Request {
			ctx := tagContext(t.params)
			rs := []iamproof.Request{
				t.req("aws-sdk:fsx:createFileSystem", a, t.fileSystem(), ctx),
				t.req("aws-sdk:fsx:createFileSystem (tags)", "fsx:TagResource", t.fileSystem(), ctx),
			}
			for _, ec2 := range []string{"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeVpcs", "ec2:DescribeNetworkInterfaces"} {
				rs = append(rs, t.req("aws-sdk:fsx:createFileSystem (network look-ups)", ec2, "*", nil))
			}
			return append(rs, t.fsxServiceLinkedRole("fsx.amazonaws.com", "AWSServiceRoleForAmazonFSx", "iam:CreateServiceLinkedRole")...)
		}},
	"fsx:CreateDataRepositoryAssociation": {doc: "https://docs.aws.amazon.com/fsx/latest/LustreGuide/setting-up.html",
		requests: func(t *smTask, a string) []iamproof.Request {
			ctx := tagContext(t.params)
			dra := t.arn("fsx", "association/"+proofFileSystemID+"/"+proofAssociationID)
			rs := []iamproof.Request{
				t.req("aws-sdk:fsx:createDataRepositoryAssociation", a, dra, ctx),
				t.req("aws-sdk:fsx:createDataRepositoryAssociation (tags)", "fsx:TagResource", dra, ctx),
				t.onRunFileSystem(a),
			}
			return append(rs, t.fsxServiceLinkedRole("s3.data-source.lustre.fsx.amazonaws.com", "AWSServiceRoleForFSxS3Access_"+proofFileSystemID,
				"iam:CreateServiceLinkedRole", "iam:AttachRolePolicy", "iam:PutRolePolicy")...)
		}},
	"fsx:CreateDataRepositoryTask": {doc: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonfsx.html",
		requests: func(t *smTask, a string) []iamproof.Request {
			ctx := tagContext(t.params)
			task := t.arn("fsx", "task/"+proofTaskID)
			return []iamproof.Request{
				t.req("aws-sdk:fsx:createDataRepositoryTask", a, task, ctx),
				t.req("aws-sdk:fsx:createDataRepositoryTask (tags)", "fsx:TagResource", task, ctx),
				t.onRunFileSystem(a),
			}
		}},
	"fsx:DeleteFileSystem": {doc: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonfsx.html",
		requests: func(t *smTask, a string) []iamproof.Request { return []iamproof.Request{t.onRunFileSystem(a)} }},
	// GetResources: no resource-level permissions.
	"tag:GetResources": {doc: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonresourcegroupstaggingapi.html",
		requests: func(t *smTask, a string) []iamproof.Request { return []iamproof.Request{t.req("aws-sdk", a, "*", nil)} }},
	"fsx:DescribeFileSystems": {doc: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonfsx.html",
		requests: func(t *smTask, a string) []iamproof.Request { return []iamproof.Request{t.req("aws-sdk", a, "*", nil)} }},
	"fsx:DescribeDataRepositoryAssociations": {doc: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonfsx.html",
		requests: func(t *smTask, a string) []iamproof.Request { return []iamproof.Request{t.req("aws-sdk", a, "*", nil)} }},
	"fsx:DescribeDataRepositoryTasks": {doc: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonfsx.html",
		requests: func(t *smTask, a string) []iamproof.Request { return []iamproof.Request{t.req("aws-sdk", a, "*", nil)} }},
}

// sdkPrefixes are the IAM prefixes of aws-sdk service names that differ.
var sdkPrefixes = map[string]string{"sfn": "states", "resourcegroupstaggingapi": "tag"}

// taskRequests maps one Task to its requests.
func taskRequests(t *smTask, resource string) ([]iamproof.Request, error) {
	if strings.HasPrefix(resource, "arn:aws:lambda:") {
		// A Lambda function's ARN as the Resource: invoked directly.
		return []iamproof.Request{t.req("lambda", "lambda:InvokeFunction", resource, nil)}, nil
	}
	_, integ, ok := strings.Cut(resource, ":states:::")
	if !ok {
		return nil, fmt.Errorf("Resource %q is neither a Lambda function nor a Step Functions integration", resource)
	}
	if in, ok := integrations[integ]; ok {
		return in.requests(t)
	}
	sdk, ok := strings.CutPrefix(integ, "aws-sdk:")
	if !ok {
		return nil, fmt.Errorf("integration %q is not in the proof's mapping (test/proof_statemachines_test.go): add what AWS documents for it", integ)
	}
	service, api, _ := strings.Cut(sdk, ":")
	if p, ok := sdkPrefixes[service]; ok {
		service = p
	}
	action := service + ":" + strings.ToUpper(api[:1]) + api[1:]
	call, ok := sdkCalls[action]
	if !ok {
		return nil, fmt.Errorf("aws-sdk integration %q (%s) is not in the proof's mapping (test/proof_statemachines_test.go): add its resources", integ, action)
	}
	rs := call.requests(t, action)
	// The dependent actions the Service Authorization Reference lists.
	info, err := iamproof.Describe([]string{action})
	if err != nil {
		return nil, err
	}
	for _, dep := range info[action].DependentActions {
		rs = append(rs, t.req(integ+" (dependent action)", dep, "*", nil))
	}
	return rs, nil
}

// configRequests are what the state machine's own configuration needs:
// log delivery when logging is on
// (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html) and
// X-Ray when tracing is (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-xray-tracing.html).
func configRequests(t *smTask) []iamproof.Request {
	var rs []iamproof.Request
	if t.sm.Properties["LoggingConfiguration"] != nil {
		for _, a := range []string{"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
			"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"} {
			rs = append(rs, t.req("logging", a, "*", nil))
		}
	}
	if tc, _ := t.sm.Properties["TracingConfiguration"].(map[string]any); tc != nil && tc["Enabled"] == true {
		for _, a := range []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"} {
			rs = append(rs, t.req("tracing", a, "*", nil))
		}
	}
	return rs
}

// walkTasks calls fn for every Task of states, Map and Parallel bodies
// included.
func walkTasks(states map[string]any, fn func(name string, st map[string]any)) {
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st, _ := states[n].(map[string]any)
		switch st["Type"] {
		case "Task":
			fn(n, st)
		case "Map":
			for _, k := range []string{"ItemProcessor", "Iterator"} {
				if p, ok := st[k].(map[string]any); ok {
					inner, _ := p["States"].(map[string]any)
					walkTasks(inner, fn)
				}
			}
		case "Parallel":
			branches, _ := st["Branches"].([]any)
			for _, b := range branches {
				inner, _ := b.(map[string]any)["States"].(map[string]any)
				walkTasks(inner, fn)
			}
		}
	}
}

// stateMachineRequests returns the requests of every state machine of e.
func stateMachineRequests(t *testing.T, e *iamproof.Env) (reqs []iamproof.Request, tasks int) {
	t.Helper()
	// The tags every file system created by a state machine of e carries
	// (the literal ones: biolake:managed-by=workflow).
	envRunTags := map[string]string{}
	for _, sm := range e.Resources("AWS::StepFunctions::StateMachine") {
		def, err := e.Resolve(sm.Stack, sm.Properties["DefinitionString"])
		if err != nil {
			continue // reported below
		}
		var asl map[string]any
		if json.Unmarshal([]byte(fmt.Sprint(def)), &asl) != nil {
			continue
		}
		states, _ := asl["States"].(map[string]any)
		walkTasks(states, func(name string, st map[string]any) {
			if r, _ := st["Resource"].(string); strings.HasSuffix(r, ":aws-sdk:fsx:createFileSystem") {
				params, _ := st["Parameters"].(map[string]any)
				tags := map[string][]string{}
				for k, v := range tagContext(params) {
					if tag, ok := strings.CutPrefix(k, "aws:RequestTag/"); ok {
						tags[tag] = v
					}
				}
				for k, v := range tags {
					if prev, seen := envRunTags[k]; !seen || prev == v[0] {
						envRunTags[k] = v[0]
					}
				}
			}
		})
	}
	for _, sm := range e.Resources("AWS::StepFunctions::StateMachine") {
		role, err := e.StateMachineRole(strings.TrimPrefix(sm.Stack.Name, e.Name+"-") + "/" + sm.ID)
		if err != nil {
			t.Errorf("%s: %v", sm, err)
			continue
		}
		def, err := e.Resolve(sm.Stack, sm.Properties["DefinitionString"])
		if err != nil {
			t.Errorf("%s: %v", sm, err)
			continue
		}
		var asl map[string]any
		if err := json.Unmarshal([]byte(fmt.Sprint(def)), &asl); err != nil {
			t.Errorf("%s: the resolved definition is not JSON: %v", sm, err)
			continue
		}
		states, _ := asl["States"].(map[string]any)
		base := &smTask{env: e, role: role, sm: sm, account: sm.Account(), region: sm.Region(), runTags: map[string]string{}}
		// A state machine that acts on file systems it did not create (a
		// workflow's cleanup, which finds them by tag) acts on those the
		// environment's workflows created, with their tags.
		for k, v := range envRunTags {
			base.runTags[k] = v
		}
		// The tags of the file systems the state machine creates.
		walkTasks(states, func(name string, st map[string]any) {
			if r, _ := st["Resource"].(string); strings.HasSuffix(r, ":aws-sdk:fsx:createFileSystem") {
				params, _ := st["Parameters"].(map[string]any)
				for k, v := range tagContext(params) {
					if tag, ok := strings.CutPrefix(k, "aws:RequestTag/"); ok {
						base.runTags[tag] = v[0]
					}
				}
			}
		})
		reqs = append(reqs, configRequests(base)...)
		walkTasks(states, func(name string, st map[string]any) {
			tasks++
			task := *base
			task.name = name
			task.params, _ = st["Parameters"].(map[string]any)
			resource, _ := st["Resource"].(string)
			rs, err := taskRequests(&task, resource)
			if err != nil {
				t.Errorf("%s %s: %v", sm, name, err)
				return
			}
			reqs = append(reqs, rs...)
		})
	}
	return reqs, tasks
}

// TestStateMachinePermissions: every Task of every state machine is allowed
// what its integration needs.
func TestStateMachinePermissions(t *testing.T) {
	s := synthAll(t)
	total := 0
	for _, env := range s.Envs {
		e := proofEnv(t, s, env)
		reqs, tasks := stateMachineRequests(t, e)
		rep, err := iamproof.Evaluate(reqs)
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		for _, d := range rep.Denied() {
			t.Errorf("%s: %s", env, d)
		}
		t.Logf("%s: %d Tasks of %d state machines, %d requests checked", env, tasks, len(e.Resources("AWS::StepFunctions::StateMachine")), rep.Checked)
		total += rep.Checked
	}
	t.Logf("state machines: %d requests checked in %d environments", total, len(s.Envs))
}

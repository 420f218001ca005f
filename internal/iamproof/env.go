package iamproof

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/biolake/biolake/internal/assembly"
)

// Placeholder account and region of environment-agnostic stacks.
const (
	DefaultAccount = "123456789012"
	DefaultRegion  = "us-east-1"
	partition      = "aws"
)

// Env is one synthesized environment (a Stage) with every resource of its
// stacks indexed and every reference resolvable. Build it with New or
// FromAssembly.
type Env struct {
	// Name is the Stage's name.
	Name   string
	Stacks []*assembly.Stack

	resources []*Resource
	byStack   map[*assembly.Stack]map[string]*Resource
	byID      map[string][]*Resource
	byHuman   map[string][]*Resource
	byARN     map[string]*Resource
	byRef     map[string]*Resource
}

// Resource is one resource of a template with its placeholder identity.
type Resource struct {
	Stack *assembly.Stack
	// ID is the logical id.
	ID   string
	Type string
	// Properties are the template's, unresolved.
	Properties map[string]any
	// Ref is what {"Ref": ID} resolves to; ARN is the resource's ARN ("" for
	// a type without one).
	Ref, ARN string
	// Name is the physical name placeholder (bucket, table, role name).
	Name string

	name string
	env  *Env
}

// Account and Region of the resource's stack.
func (r *Resource) Account() string { return stackAccount(r.Stack) }

// Region of the resource's stack.
func (r *Resource) Region() string { return stackRegion(r.Stack) }

// String names the resource as "<stack>/<logical id>".
func (r *Resource) String() string { return r.Stack.Name + "/" + r.ID }

func stackAccount(st *assembly.Stack) string {
	if st.Account == "" || strings.HasPrefix(st.Account, "unknown") {
		return DefaultAccount
	}
	return st.Account
}

func stackRegion(st *assembly.Stack) string {
	if st.Region == "" || strings.HasPrefix(st.Region, "unknown") {
		return DefaultRegion
	}
	return st.Region
}

// FromAssembly returns the Env of stage in a.
func FromAssembly(a *assembly.Assembly, stage string) (*Env, error) {
	stacks, ok := a.Stacks[stage]
	if !ok {
		return nil, fmt.Errorf("iamproof: the assembly has no stage %q (it has %v)", stage, a.Stages)
	}
	return New(stage, stacks)
}

var cdkHash = regexp.MustCompile(`^(.+)[0-9A-F]{8}$`)

// New indexes the stacks of one stage.
func New(stage string, stacks []*assembly.Stack) (*Env, error) {
	e := &Env{Name: stage, Stacks: stacks, byStack: map[*assembly.Stack]map[string]*Resource{},
		byID: map[string][]*Resource{}, byHuman: map[string][]*Resource{}, byARN: map[string]*Resource{}, byRef: map[string]*Resource{}}
	for _, st := range stacks {
		e.byStack[st] = map[string]*Resource{}
		for id, r := range st.Resources("") {
			typ, _ := r["Type"].(string)
			props, _ := r["Properties"].(map[string]any)
			res := &Resource{Stack: st, ID: id, Type: typ, Properties: props, env: e}
			e.byStack[st][id] = res
			e.byID[id] = append(e.byID[id], res)
			if m := cdkHash.FindStringSubmatch(id); m != nil {
				e.byHuman[m[1]] = append(e.byHuman[m[1]], res)
			}
			e.resources = append(e.resources, res)
		}
	}
	sort.Slice(e.resources, func(i, j int) bool { return e.resources[i].String() < e.resources[j].String() })
	// Names first (they may come from properties that reference other
	// resources' names), then Ref and ARN, which derive from them.
	for _, r := range e.resources {
		if err := e.identify(r, map[*Resource]bool{}); err != nil {
			return nil, err
		}
	}
	for _, r := range e.resources {
		if r.ARN != "" {
			e.byARN[r.ARN] = r
		}
		if r.Ref != "" {
			e.byRef[r.Ref] = r
		}
	}
	return e, nil
}

// Resources returns the resources of type typ ("" for all), sorted by stack
// and logical id.
func (e *Env) Resources(typ string) []*Resource {
	var out []*Resource
	for _, r := range e.resources {
		if typ == "" || r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Lookup finds a resource by logical id, "<stack id>/<logical id>" (stack id
// as in the stack name "<stage>-<stack id>"), or logical id without CDK's
// hash suffix. It fails when none or more than one match.
func (e *Env) Lookup(ref string) (*Resource, error) {
	stack, id := "", ref
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		stack, id = ref[:i], ref[i+1:]
	}
	var cands []*Resource
	for _, r := range append(append([]*Resource{}, e.byID[id]...), e.byHuman[id]...) {
		if stack == "" || r.Stack.Name == stack || r.Stack.Name == e.Name+"-"+stack {
			cands = append(cands, r)
		}
	}
	switch len(cands) {
	case 1:
		return cands[0], nil
	case 0:
		return nil, fmt.Errorf("iamproof: environment %s has no resource %q (give a logical id, <stack id>/<logical id>, or a logical id without its 8-character hash)", e.Name, ref)
	}
	var names []string
	for _, c := range cands {
		names = append(names, c.String())
	}
	return nil, fmt.Errorf("iamproof: environment %s: %q names %d resources (%s): qualify it with the stack id", e.Name, ref, len(cands), strings.Join(names, ", "))
}

// ARN returns the resolved ARN of the resource ref names (see Lookup).
func (e *Env) ARN(ref string) (string, error) {
	r, err := e.Lookup(ref)
	if err != nil {
		return "", err
	}
	if r.ARN == "" {
		return "", fmt.Errorf("iamproof: %s (%s) has no ARN", r, r.Type)
	}
	return r.ARN, nil
}

// PhysicalName returns the resolved physical name of the resource ref
// names: the bucket, table, bus, queue, function or role name.
func (e *Env) PhysicalName(ref string) (string, error) {
	r, err := e.Lookup(ref)
	if err != nil {
		return "", err
	}
	return r.name, nil
}

// ByARN returns the resource whose resolved ARN is arn, or nil. An S3
// object ARN gives its bucket; a log group ARN with or without ":*" gives
// the log group.
func (e *Env) ByARN(arn string) *Resource {
	if r := e.byARN[arn]; r != nil {
		return r
	}
	if b, ok := strings.CutPrefix(arn, "arn:"+partition+":s3:::"); ok {
		if i := strings.Index(b, "/"); i >= 0 {
			return e.byARN["arn:"+partition+":s3:::"+b[:i]]
		}
	}
	if r := e.byARN[arn+":*"]; r != nil {
		return r
	}
	return nil
}

// Label rewrites a resolved string for people: every ARN and name of a
// resource of the environment becomes "<logical id>", so that
// "arn:aws:s3:::dev-datalake-datalakeraw1f82835b/runs/*" reads
// "<DataLakeRaw1F82835B>/runs/*".
func (e *Env) Label(s string) string {
	type pair struct{ from, to string }
	var pairs []pair
	for _, r := range e.resources {
		if r.ARN != "" {
			pairs = append(pairs, pair{r.ARN, "<" + r.ID + ">"})
		}
		if r.Ref != "" && r.Ref != r.ARN && len(r.Ref) > 8 {
			pairs = append(pairs, pair{r.Ref, "<" + r.ID + ">"})
		}
	}
	// Longest first, so an ARN wins over a name inside it.
	sort.Slice(pairs, func(i, j int) bool { return len(pairs[i].from) > len(pairs[j].from) })
	for _, p := range pairs {
		s = strings.ReplaceAll(s, p.from, p.to)
	}
	return s
}

// identify gives r its placeholder name, Ref and ARN.
func (e *Env) identify(r *Resource, busy map[*Resource]bool) error {
	if r.name != "" || busy[r] {
		return nil
	}
	busy[r] = true
	name, err := e.physicalName(r, busy)
	if err != nil {
		return err
	}
	r.name, r.Name = name, name
	r.Ref, r.ARN = e.refAndARN(r)
	return nil
}

// nameProperty is the property that carries a user-given physical name.
var nameProperty = map[string]string{
	"AWS::S3::Bucket":                  "BucketName",
	"AWS::IAM::Role":                   "RoleName",
	"AWS::IAM::ManagedPolicy":          "ManagedPolicyName",
	"AWS::IAM::InstanceProfile":        "InstanceProfileName",
	"AWS::Lambda::Function":            "FunctionName",
	"AWS::SNS::Topic":                  "TopicName",
	"AWS::SQS::Queue":                  "QueueName",
	"AWS::DynamoDB::Table":             "TableName",
	"AWS::Events::EventBus":            "Name",
	"AWS::Events::Rule":                "Name",
	"AWS::Events::Archive":             "ArchiveName",
	"AWS::StepFunctions::StateMachine": "StateMachineName",
	"AWS::Batch::JobDefinition":        "JobDefinitionName",
	"AWS::Batch::JobQueue":             "JobQueueName",
	"AWS::Batch::ComputeEnvironment":   "ComputeEnvironmentName",
	"AWS::SecretsManager::Secret":      "Name",
	"AWS::Logs::LogGroup":              "LogGroupName",
	"AWS::KMS::Alias":                  "AliasName",
	"AWS::CloudTrail::Trail":           "TrailName",
	"AWS::CloudWatch::Alarm":           "AlarmName",
	"AWS::Backup::BackupVault":         "BackupVaultName",
	"AWS::SSM::Parameter":              "Name",
}

func (e *Env) physicalName(r *Resource, busy map[*Resource]bool) (string, error) {
	if p, ok := nameProperty[r.Type]; ok {
		if v, ok := r.Properties[p]; ok {
			got, err := e.resolve(r.Stack, v, busy)
			if err != nil {
				return "", fmt.Errorf("iamproof: %s %s: %w", r, p, err)
			}
			if s, ok := got.(string); ok && s != "" {
				return s, nil
			}
		}
	}
	base := strings.ToLower(r.Stack.Name + "-" + r.ID)
	switch r.Type {
	case "AWS::S3::Bucket":
		if len(base) > 63 {
			base = base[len(base)-63:]
		}
		return strings.Trim(base, "-"), nil
	case "AWS::KMS::Key":
		return "key-" + strings.ToLower(r.ID), nil
	}
	name := r.Stack.Name + "-" + r.ID
	if len(name) > 64 {
		name = name[len(name)-64:]
	}
	return strings.Trim(name, "-"), nil
}

// refAndARN gives the placeholder Ref value and ARN of a resource, in the
// shapes CloudFormation documents for each type.
func (e *Env) refAndARN(r *Resource) (ref, arn string) {
	n, a, reg := r.name, r.Account(), r.Region()
	arnOf := func(service, rest string) string {
		return "arn:" + partition + ":" + service + ":" + reg + ":" + a + ":" + rest
	}
	switch r.Type {
	case "AWS::S3::Bucket":
		return n, "arn:" + partition + ":s3:::" + n
	case "AWS::IAM::Role":
		return n, "arn:" + partition + ":iam::" + a + ":role/" + n
	case "AWS::IAM::ManagedPolicy":
		arn := "arn:" + partition + ":iam::" + a + ":policy/" + n
		return arn, arn
	case "AWS::IAM::InstanceProfile":
		return n, "arn:" + partition + ":iam::" + a + ":instance-profile/" + n
	case "AWS::Lambda::Function":
		return n, arnOf("lambda", "function:"+n)
	case "AWS::KMS::Key":
		return n, arnOf("kms", "key/"+n)
	case "AWS::KMS::Alias":
		return n, arnOf("kms", strings.TrimPrefix(n, "arn:"))
	case "AWS::SNS::Topic":
		arn := arnOf("sns", n)
		return arn, arn
	case "AWS::SQS::Queue":
		return "https://sqs." + reg + ".amazonaws.com/" + a + "/" + n, arnOf("sqs", n)
	case "AWS::DynamoDB::Table":
		return n, arnOf("dynamodb", "table/"+n)
	case "AWS::Events::EventBus":
		return n, arnOf("events", "event-bus/"+n)
	case "AWS::Events::Rule":
		arn := arnOf("events", "rule/"+n)
		if bus, ok := r.Properties["EventBusName"]; ok {
			if b, err := e.resolve(r.Stack, bus, map[*Resource]bool{}); err == nil {
				if s, ok := b.(string); ok && s != "default" && s != "" {
					s = s[strings.LastIndex(s, "/")+1:]
					arn = arnOf("events", "rule/"+s+"/"+n)
				}
			}
		}
		return n, arn
	case "AWS::Events::Archive":
		return n, arnOf("events", "archive/"+n)
	case "AWS::StepFunctions::StateMachine":
		arn := arnOf("states", "stateMachine:"+n)
		return arn, arn
	case "AWS::Batch::JobDefinition":
		arn := arnOf("batch", "job-definition/"+n+":1")
		return arn, arn
	case "AWS::Batch::JobQueue":
		arn := arnOf("batch", "job-queue/"+n)
		return arn, arn
	case "AWS::Batch::ComputeEnvironment":
		arn := arnOf("batch", "compute-environment/"+n)
		return arn, arn
	case "AWS::Batch::SchedulingPolicy":
		arn := arnOf("batch", "scheduling-policy/"+n)
		return arn, arn
	case "AWS::SecretsManager::Secret":
		arn := arnOf("secretsmanager", "secret:"+n+"-AbCdEf")
		return arn, arn
	case "AWS::Logs::LogGroup":
		return n, arnOf("logs", "log-group:"+n+":*")
	case "AWS::CloudTrail::Trail":
		return n, arnOf("cloudtrail", "trail/"+n)
	case "AWS::CloudWatch::Alarm":
		return n, arnOf("cloudwatch", "alarm:"+n)
	case "AWS::Backup::BackupVault":
		return n, arnOf("backup", "backup-vault:"+n)
	case "AWS::SSM::Parameter":
		// A name with a leading "/" gives parameter/<name without it>.
		return n, arnOf("ssm", "parameter/"+strings.TrimPrefix(n, "/"))
	case "AWS::Backup::BackupPlan":
		return n, arnOf("backup", "backup-plan:"+n)
	case "AWS::DataSync::LocationS3", "AWS::DataSync::LocationNFS", "AWS::DataSync::LocationSMB":
		arn := arnOf("datasync", "location/loc-"+strings.ToLower(r.ID))
		return arn, arn
	case "AWS::DataSync::Task":
		arn := arnOf("datasync", "task/task-"+strings.ToLower(r.ID))
		return arn, arn
	case "AWS::DataSync::Agent":
		arn := arnOf("datasync", "agent/agent-"+strings.ToLower(r.ID))
		return arn, arn
	case "AWS::StorageGateway::NFSFileShare", "AWS::StorageGateway::SMBFileShare":
		arn := arnOf("storagegateway", "share/share-"+strings.ToLower(r.ID))
		return arn, arn
	case "AWS::Transfer::Server":
		id := "s-" + strings.ToLower(r.ID)
		return id, arnOf("transfer", "server/"+id)
	case "AWS::Transfer::Workflow":
		id := "w-" + strings.ToLower(r.ID)
		return id, arnOf("transfer", "workflow/"+id)
	case "AWS::FSx::FileSystem":
		id := "fs-" + strings.ToLower(r.ID)
		return id, arnOf("fsx", "file-system/"+id)
	case "AWS::FSx::DataRepositoryAssociation":
		id := "dra-" + strings.ToLower(r.ID)
		return id, arnOf("fsx", "association/"+id)
	case "AWS::EC2::Instance":
		id := "i-" + strings.ToLower(r.ID)
		return id, arnOf("ec2", "instance/"+id)
	case "AWS::EC2::SecurityGroup":
		id := "sg-" + strings.ToLower(r.ID)
		return id, arnOf("ec2", "security-group/"+id)
	case "AWS::EC2::VPC":
		id := "vpc-" + strings.ToLower(r.ID)
		return id, arnOf("ec2", "vpc/"+id)
	case "AWS::EC2::Subnet":
		id := "subnet-" + strings.ToLower(r.ID)
		return id, arnOf("ec2", "subnet/"+id)
	case "AWS::EC2::LaunchTemplate":
		id := "lt-" + strings.ToLower(r.ID)
		return id, arnOf("ec2", "launch-template/"+id)
	case "AWS::EC2::VPCEndpoint":
		id := "vpce-" + strings.ToLower(r.ID)
		return id, arnOf("ec2", "vpc-endpoint/"+id)
	}
	return n, ""
}

// getAtt resolves Fn::GetAtt [id, attr] of resource r.
func (e *Env) getAtt(r *Resource, attr string) (any, error) {
	switch attr {
	case "Arn", "TopicArn", "QueueArn", "EventBusArn", "JobQueueArn", "JobDefinitionArn", "ComputeEnvironmentArn",
		"StateMachineArn", "LocationArn", "TaskArn", "AgentArn", "FileShareARN", "ResourceARN", "BackupVaultArn", "BackupPlanArn", "WorkflowArn":
		if r.ARN != "" {
			return r.ARN, nil
		}
	case "Name", "TopicName", "QueueName", "BucketName", "StateMachineName", "BackupVaultName":
		return r.name, nil
	case "QueueUrl":
		return r.Ref, nil
	case "KeyId", "RoleId", "GroupId", "ServerId", "WorkflowId", "BackupPlanId", "Id", "AllocationId", "VpcId", "SubnetId":
		return r.Ref, nil
	case "DomainName", "RegionalDomainName":
		return r.name + ".s3." + r.Region() + ".amazonaws.com", nil
	case "DnsEntries":
		// "<hosted zone>:<DNS name>", as an interface endpoint lists them.
		id := strings.ToLower(r.ID)
		return []any{"Z00000000000000:" + id + "." + r.Region() + ".vpce.amazonaws.com",
			"Z00000000000000:" + id + "-" + r.Region() + "a." + r.Region() + ".vpce.amazonaws.com"}, nil
	case "NetworkInterfaceIds", "SecurityGroupIds", "Ipv6CidrBlocks", "CidrBlockAssociations":
		return []any{strings.ToLower(r.ID) + "." + attr + ".0"}, nil
	case "StreamArn":
		return r.ARN + "/stream/2020-01-01T00:00:00.000", nil
	case "GatewayARN":
		// A Storage Gateway's ARN (a gateway activated by a custom
		// resource), so that trust policies' ArnLike on it can match.
		return "arn:" + partition + ":storagegateway:" + r.Region() + ":" + r.Account() + ":gateway/sgw-" + strings.ToUpper(fmt.Sprintf("%08x", len(r.ID)*2654435761%4294967296)), nil
	}
	// Any other attribute gets a stable placeholder naming it.
	return strings.ToLower(r.ID) + "." + attr, nil
}

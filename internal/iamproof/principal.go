package iamproof

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Principal is who makes a request: a role with its effective identity
// policies, or an AWS service.
type Principal struct {
	// Label names the principal in reports: "<stack>/<role logical id>",
	// with the function, state machine or job it serves, or the service.
	Label string
	// ARN is the role's ARN, or the service principal ("events.amazonaws.com").
	ARN string
	// Account is the role's account (the environment's for a service).
	Account string
	// Role is the role resource; nil for a service.
	Role *Resource
	// Policies are the effective identity policies (none for a service).
	Policies []Policy

	env *Env
}

// IsService reports whether p is a service principal.
func (p *Principal) IsService() bool { return p.Role == nil }

// Env is the environment the principal belongs to.
func (p *Principal) Env() *Env { return p.env }

// Policy is one resolved policy document.
type Policy struct {
	// Name identifies the policy in reports: "<stack>/<logical id>" for a
	// policy resource, "<stack>/<role>/<PolicyName>" for a role's inline
	// policy, "aws:<name>" for an AWS managed policy, "<stack>/<logical id>
	// (<kind>)" for a resource policy.
	Name string
	// Document is the resolved policy document.
	Document map[string]any
	// AWSManaged is true for a policy taken from ManagedPolicies.
	AWSManaged bool
}

// ManagedPolicies are the AWS managed policies the proof knows, by ARN
// suffix after "arn:aws:iam::aws:policy/", as AWS documents them in the AWS
// Managed Policy Reference
// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/). A role
// with a managed policy not in this table cannot be proven: resolving it
// fails and names the policy, so that its documented statements are added
// here rather than guessed.
var ManagedPolicies = map[string]map[string]any{
	// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
	"service-role/AWSLambdaBasicExecutionRole": {
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":   "Allow",
			"Action":   []any{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": "*",
		}},
	},
	// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html (v3)
	"service-role/AWSLambdaVPCAccessExecutionRole": {
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":    "AWSLambdaVPCAccessExecutionPermissions",
			"Effect": "Allow",
			"Action": []any{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
				"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
				"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"},
			"Resource": "*",
		}},
	},
}

// Service returns a service principal, such as "cloudwatch.amazonaws.com",
// in e's account.
func (e *Env) Service(service string) *Principal {
	acct := DefaultAccount
	if len(e.Stacks) > 0 {
		acct = stackAccount(e.Stacks[0])
	}
	return &Principal{Label: service, ARN: service, Account: acct, env: e}
}

// Role returns the role ref names (see Lookup) with its effective identity
// policies.
func (e *Env) Role(ref string) (*Principal, error) {
	r, err := e.Lookup(ref)
	if err != nil {
		return nil, err
	}
	return e.rolePrincipal(r, "")
}

// FunctionRole returns the execution role of the Lambda function ref names.
func (e *Env) FunctionRole(ref string) (*Principal, error) {
	return e.roleOf(ref, "AWS::Lambda::Function", "function", "Role")
}

// StateMachineRole returns the role of the state machine ref names.
func (e *Env) StateMachineRole(ref string) (*Principal, error) {
	return e.roleOf(ref, "AWS::StepFunctions::StateMachine", "state machine", "RoleArn")
}

// JobRole returns the job role (the container's credentials) of the Batch
// job definition ref names.
func (e *Env) JobRole(ref string) (*Principal, error) {
	return e.roleOf(ref, "AWS::Batch::JobDefinition", "job", "ContainerProperties", "JobRoleArn")
}

// JobExecutionRole returns the execution role (image pull, logs, secrets)
// of the Batch job definition ref names.
func (e *Env) JobExecutionRole(ref string) (*Principal, error) {
	return e.roleOf(ref, "AWS::Batch::JobDefinition", "job", "ContainerProperties", "ExecutionRoleArn")
}

func (e *Env) roleOf(ref, typ, kind string, path ...string) (*Principal, error) {
	r, err := e.Lookup(ref)
	if err != nil {
		return nil, err
	}
	if r.Type != typ {
		return nil, fmt.Errorf("iamproof: %s is a %s, not a %s", r, r.Type, typ)
	}
	var v any = r.Properties
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	if v == nil {
		return nil, fmt.Errorf("iamproof: %s %s has no %s", kind, r, strings.Join(path, "."))
	}
	arn, err := e.Resolve(r.Stack, v)
	if err != nil {
		return nil, fmt.Errorf("iamproof: %s %s: %w", kind, r, err)
	}
	role := e.ByARN(fmt.Sprint(arn))
	if role == nil || role.Type != "AWS::IAM::Role" {
		return nil, fmt.Errorf("iamproof: %s %s: its role %v is not a role of environment %s", kind, r, arn, e.Name)
	}
	return e.rolePrincipal(role, kind+" "+r.ID)
}

func (e *Env) rolePrincipal(r *Resource, serves string) (*Principal, error) {
	if r.Type != "AWS::IAM::Role" {
		return nil, fmt.Errorf("iamproof: %s is a %s, not an AWS::IAM::Role", r, r.Type)
	}
	label := r.String()
	if serves != "" {
		label += " (" + serves + ")"
	}
	p := &Principal{Label: label, ARN: r.ARN, Account: r.Account(), Role: r, env: e}
	// Inline policies of the role itself.
	inline, err := e.Resolve(r.Stack, r.Properties["Policies"])
	if err != nil {
		return nil, fmt.Errorf("iamproof: %s Policies: %w", r, err)
	}
	il, _ := inline.([]any)
	for _, ip := range il {
		m, _ := ip.(map[string]any)
		doc, _ := m["PolicyDocument"].(map[string]any)
		p.Policies = append(p.Policies, Policy{Name: fmt.Sprintf("%s/%v", r, m["PolicyName"]), Document: doc})
	}
	// Managed policies by ARN: the environment's own and AWS's.
	mp, err := e.Resolve(r.Stack, r.Properties["ManagedPolicyArns"])
	if err != nil {
		return nil, fmt.Errorf("iamproof: %s ManagedPolicyArns: %w", r, err)
	}
	ml, _ := mp.([]any)
	seen := map[string]bool{}
	for _, m := range ml {
		arn := fmt.Sprint(m)
		if name, ok := strings.CutPrefix(arn, "arn:"+partition+":iam::aws:policy/"); ok {
			doc, ok := ManagedPolicies[name]
			if !ok {
				return nil, fmt.Errorf("iamproof: %s: the AWS managed policy %s is not in iamproof.ManagedPolicies; add its documented statements (AWS Managed Policy Reference) to prove this role", r, arn)
			}
			p.Policies = append(p.Policies, Policy{Name: "aws:" + name[strings.LastIndex(name, "/")+1:], Document: cloneDoc(doc), AWSManaged: true})
			continue
		}
		pr := e.byARN[arn]
		if pr == nil || pr.Type != "AWS::IAM::ManagedPolicy" {
			return nil, fmt.Errorf("iamproof: %s: managed policy %s is not a policy of environment %s", r, arn, e.Name)
		}
		seen[pr.String()] = true
		doc, err := e.policyDocument(pr, "PolicyDocument")
		if err != nil {
			return nil, err
		}
		p.Policies = append(p.Policies, Policy{Name: pr.String(), Document: doc})
	}
	// Policies that name the role in their Roles.
	for _, pr := range e.resources {
		if (pr.Type != "AWS::IAM::Policy" && pr.Type != "AWS::IAM::ManagedPolicy") || seen[pr.String()] {
			continue
		}
		roles, err := e.Resolve(pr.Stack, pr.Properties["Roles"])
		if err != nil {
			return nil, fmt.Errorf("iamproof: %s Roles: %w", pr, err)
		}
		rl, _ := roles.([]any)
		for _, name := range rl {
			if fmt.Sprint(name) == r.Ref || fmt.Sprint(name) == r.ARN {
				doc, err := e.policyDocument(pr, "PolicyDocument")
				if err != nil {
					return nil, err
				}
				p.Policies = append(p.Policies, Policy{Name: pr.String(), Document: doc})
				break
			}
		}
	}
	sort.SliceStable(p.Policies, func(i, j int) bool { return p.Policies[i].Name < p.Policies[j].Name })
	return p, nil
}

// policyDocument resolves the policy document property prop of r; a JSON
// string (as AWS::Logs::ResourcePolicy has) is decoded.
func (e *Env) policyDocument(r *Resource, prop string) (map[string]any, error) {
	v, err := e.Resolve(r.Stack, r.Properties[prop])
	if err != nil {
		return nil, fmt.Errorf("iamproof: %s %s: %w", r, prop, err)
	}
	if s, ok := v.(string); ok {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, fmt.Errorf("iamproof: %s %s is not a JSON policy: %w", r, prop, err)
		}
		return m, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("iamproof: %s has no %s", r, prop)
	}
	return m, nil
}

func cloneDoc(doc map[string]any) map[string]any {
	b, _ := json.Marshal(doc)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

package iamproof

import (
	"fmt"
	"strings"
)

// ResourcePolicy returns the resource policy that governs requests on arn,
// merged into one document when several policy resources apply (two
// AWS::SNS::TopicPolicy resources naming one topic), and the names of the
// resources it came from. It returns nil when the resource has no policy, or
// is not a resource of the environment (an AWS resource outside the
// templates). It knows bucket policies (for the bucket and its objects), key
// policies, topic and queue policies, event bus policies, secret policies,
// Lambda permissions (as the function's policy), CloudWatch Logs resource
// policies (for every log group of the account) and a role's trust policy
// (the resource of sts:AssumeRole).
func (e *Env) ResourcePolicy(arn string) (*Policy, error) {
	r := e.ByARN(arn)
	if r == nil {
		return nil, nil
	}
	var docs []map[string]any
	var from []string
	add := func(pr *Resource, prop string) error {
		d, err := e.policyDocument(pr, prop)
		if err != nil {
			return err
		}
		docs = append(docs, d)
		from = append(from, pr.String())
		return nil
	}
	// each visits the policy resources of type typ whose property prop
	// (a value or a list) names r by one of names.
	each := func(typ, prop string, names ...string) error {
		for _, pr := range e.Resources(typ) {
			v, err := e.Resolve(pr.Stack, pr.Properties[prop])
			if err != nil {
				return fmt.Errorf("iamproof: %s %s: %w", pr, prop, err)
			}
			vals, ok := v.([]any)
			if !ok {
				vals = []any{v}
			}
			for _, x := range vals {
				if contains(names, fmt.Sprint(x)) {
					docProp := "PolicyDocument"
					switch typ {
					case "AWS::SecretsManager::ResourcePolicy":
						docProp = "ResourcePolicy"
					case "AWS::Events::EventBusPolicy":
						docProp = "Statement"
					}
					if typ == "AWS::Events::EventBusPolicy" && pr.Properties["Statement"] == nil {
						return fmt.Errorf("iamproof: %s: an EventBusPolicy without Statement (the Principal/Action form) is not supported", pr)
					}
					if docProp == "Statement" {
						st, err := e.Resolve(pr.Stack, pr.Properties["Statement"])
						if err != nil {
							return err
						}
						docs = append(docs, map[string]any{"Version": "2012-10-17", "Statement": []any{st}})
						from = append(from, pr.String())
					} else if err := add(pr, docProp); err != nil {
						return err
					}
					break
				}
			}
		}
		return nil
	}
	var err error
	switch r.Type {
	case "AWS::S3::Bucket":
		err = each("AWS::S3::BucketPolicy", "Bucket", r.Ref, r.ARN)
	case "AWS::KMS::Key":
		if r.Properties["KeyPolicy"] != nil {
			err = add(r, "KeyPolicy")
		}
	case "AWS::SNS::Topic":
		err = each("AWS::SNS::TopicPolicy", "Topics", r.ARN)
	case "AWS::SQS::Queue":
		err = each("AWS::SQS::QueuePolicy", "Queues", r.Ref, r.ARN)
	case "AWS::Events::EventBus":
		if r.Properties["Policy"] != nil {
			err = add(r, "Policy")
		}
		if err == nil {
			err = each("AWS::Events::EventBusPolicy", "EventBusName", r.Ref, r.ARN)
		}
	case "AWS::SecretsManager::Secret":
		err = each("AWS::SecretsManager::ResourcePolicy", "SecretId", r.Ref, r.ARN)
	case "AWS::IAM::Role":
		err = add(r, "AssumeRolePolicyDocument")
	case "AWS::Lambda::Function":
		var st []any
		st, err = e.lambdaPermissions(r)
		if len(st) > 0 {
			docs = append(docs, map[string]any{"Version": "2012-10-17", "Statement": st})
			from = append(from, r.String()+" permissions")
		}
	case "AWS::Logs::LogGroup":
		for _, pr := range e.Resources("AWS::Logs::ResourcePolicy") {
			if err = add(pr, "PolicyDocument"); err != nil {
				break
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, nil
	}
	merged := map[string]any{"Version": "2012-10-17"}
	var statements []any
	for _, d := range docs {
		switch s := d["Statement"].(type) {
		case []any:
			statements = append(statements, s...)
		case map[string]any:
			statements = append(statements, s)
		}
	}
	merged["Statement"] = statements
	return &Policy{Name: strings.Join(from, "+"), Document: merged}, nil
}

// lambdaPermissions renders the AWS::Lambda::Permission resources of fn as
// the statements of its resource policy.
func (e *Env) lambdaPermissions(fn *Resource) ([]any, error) {
	var out []any
	for _, pr := range e.Resources("AWS::Lambda::Permission") {
		v, err := e.Resolve(pr.Stack, pr.Properties)
		if err != nil {
			return nil, fmt.Errorf("iamproof: %s: %w", pr, err)
		}
		m := v.(map[string]any)
		target := fmt.Sprint(m["FunctionName"])
		if target != fn.Ref && target != fn.ARN && !strings.HasPrefix(target, fn.ARN+":") {
			continue
		}
		principal := fmt.Sprint(m["Principal"])
		st := map[string]any{"Sid": pr.ID, "Effect": "Allow", "Action": m["Action"], "Resource": fn.ARN}
		if strings.Contains(principal, ".amazonaws.com") {
			st["Principal"] = map[string]any{"Service": principal}
		} else {
			st["Principal"] = map[string]any{"AWS": principal}
		}
		cond := map[string]any{}
		if s, ok := m["SourceArn"]; ok {
			cond["ArnLike"] = map[string]any{"aws:SourceArn": s}
		}
		if s, ok := m["SourceAccount"]; ok {
			cond["StringEquals"] = map[string]any{"aws:SourceAccount": s}
		}
		if len(cond) > 0 {
			st["Condition"] = cond
		}
		out = append(out, st)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s && x != "" {
			return true
		}
	}
	return false
}

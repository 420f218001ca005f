package test

import (
	"fmt"
	"strings"

	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/internal/iamproof"
)

// The ML deployment flow's part of the permission proof: the SageMaker and
// Application Auto Scaling calls of its aws-sdk Tasks, with the resources
// they act on (the names the flow gives at run time, for version 7 of the
// registry's group and an event id starting 3f1c9a7e) and what else AWS
// documents for them.

func init() {
	sdkPrefixes["applicationautoscaling"] = "application-autoscaling"
	sm := "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemakerai.html"
	tagged := "https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_id-based-policy-examples.html#api-access-policy (tagging on create needs sagemaker:AddTags)"
	for action, c := range map[string]sdkCall{
		"sagemaker:DescribeModelPackage": {doc: sm, requests: func(t *smTask, a string) []iamproof.Request {
			return []iamproof.Request{t.req("aws-sdk:sagemaker", a, t.mlPackage(), nil)}
		}},
		// CreateModel from a versioned package: the package is read, the
		// model role passed, the tags added.
		"sagemaker:CreateModel": {doc: sm + ", " + tagged + ", https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-pass-role",
			requests: func(t *smTask, a string) []iamproof.Request {
				model := t.mlArn("model/" + t.mlName())
				rs := t.mlTagged("aws-sdk:sagemaker:createModel", a, model)
				rs = append(rs, t.req("aws-sdk:sagemaker:createModel (package)", "sagemaker:DescribeModelPackage", t.mlPackage(), nil))
				return append(rs, t.req("aws-sdk:sagemaker:createModel (pass role)", "iam:PassRole", t.str("ExecutionRoleArn"),
					map[string][]string{"iam:PassedToService": {"sagemaker.amazonaws.com"}}))
			}},
		// A volume key: SageMaker creates a grant on it for the instances.
		"sagemaker:CreateEndpointConfig": {doc: sm + ", " + tagged + ", https://docs.aws.amazon.com/sagemaker/latest/dg/encryption-at-rest-nbi.html",
			requests: func(t *smTask, a string) []iamproof.Request {
				rs := t.mlTagged("aws-sdk:sagemaker:createEndpointConfig", a, t.mlArn("endpoint-config/"+t.mlName()))
				if k := t.str("KmsKeyId"); k != "" {
					rs = append(rs, t.req("aws-sdk:sagemaker:createEndpointConfig (volume key)", "kms:DescribeKey", k, nil),
						t.req("aws-sdk:sagemaker:createEndpointConfig (volume key)", "kms:CreateGrant", k, map[string][]string{"kms:GrantIsForAWSResource": {"true"}}))
				}
				return rs
			}},
		"sagemaker:CreateEndpoint": {doc: sm + ", " + tagged, requests: func(t *smTask, a string) []iamproof.Request {
			rs := t.mlTagged("aws-sdk:sagemaker:createEndpoint", a, t.mlEndpointArn())
			return append(rs, t.req("aws-sdk:sagemaker:createEndpoint", a, t.mlArn("endpoint-config/"+t.mlName()), nil))
		}},
		// A blue/green update with auto-rollback reads its alarm.
		"sagemaker:UpdateEndpoint": {doc: sm + ", https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html",
			requests: func(t *smTask, a string) []iamproof.Request {
				rs := []iamproof.Request{
					t.req("aws-sdk:sagemaker:updateEndpoint", a, t.mlEndpointArn(), nil),
					t.req("aws-sdk:sagemaker:updateEndpoint", a, t.mlArn("endpoint-config/"+t.mlName()), nil),
				}
				dc, _ := t.params["DeploymentConfig"].(map[string]any)
				ar, _ := dc["AutoRollbackConfiguration"].(map[string]any)
				alarms, _ := ar["Alarms"].([]any)
				for _, al := range alarms {
					n := fmt.Sprint(al.(map[string]any)["AlarmName"])
					rs = append(rs, t.req("aws-sdk:sagemaker:updateEndpoint (rollback alarm)", "cloudwatch:DescribeAlarms", t.arn("cloudwatch", "alarm:"+n), nil))
				}
				return rs
			}},
		"sagemaker:DescribeEndpoint": {doc: sm, requests: func(t *smTask, a string) []iamproof.Request {
			return []iamproof.Request{t.req("aws-sdk:sagemaker", a, t.mlEndpointArn(), nil)}
		}},
		"sagemaker:DeleteEndpoint": {doc: sm, requests: func(t *smTask, a string) []iamproof.Request {
			return []iamproof.Request{t.req("aws-sdk:sagemaker", a, t.mlEndpointArn(), nil)}
		}},
		"sagemaker:DeleteEndpointConfig": {doc: sm, requests: func(t *smTask, a string) []iamproof.Request {
			return []iamproof.Request{t.req("aws-sdk:sagemaker", a, t.mlArn("endpoint-config/"+t.mlName()), nil)}
		}},
		"sagemaker:DeleteModel": {doc: sm, requests: func(t *smTask, a string) []iamproof.Request {
			return []iamproof.Request{t.req("aws-sdk:sagemaker", a, t.mlArn("model/"+t.mlName()), nil)}
		}},
		// The first registration creates Application Auto Scaling's
		// service-linked role for SageMaker endpoints.
		"application-autoscaling:RegisterScalableTarget": {doc: "https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html",
			requests: func(t *smTask, a string) []iamproof.Request {
				role := "arn:aws:iam::" + t.account + ":role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
				return []iamproof.Request{
					t.req("aws-sdk:applicationautoscaling", a, "*", nil),
					t.req("aws-sdk:applicationautoscaling (service-linked role)", "iam:CreateServiceLinkedRole", role,
						map[string][]string{"iam:AWSServiceName": {"sagemaker.application-autoscaling.amazonaws.com"}}),
				}
			}},
		// Target tracking creates and deletes its alarms with the caller's
		// permissions.
		"application-autoscaling:PutScalingPolicy": {doc: "https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html",
			requests: func(t *smTask, a string) []iamproof.Request {
				alarm := t.arn("cloudwatch", "alarm:TargetTracking-endpoint/"+t.mlEndpoint()+"/variant/AllTraffic-AlarmHigh-0a1b2c3d")
				rs := []iamproof.Request{t.req("aws-sdk:applicationautoscaling", a, "*", nil)}
				for _, ca := range []string{"cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"} {
					rs = append(rs, t.req("aws-sdk:applicationautoscaling (target tracking alarms)", ca, alarm, nil))
				}
				return rs
			}},
	} {
		sdkCalls[action] = c
	}
}

func (t *smTask) mlArn(resource string) string { return t.arn("sagemaker", resource) }

// mlEndpoint is the endpoint the flow keeps, from its state machine's
// metadata.
func (t *smTask) mlEndpoint() string {
	res, _ := t.sm.Stack.Template["Resources"].(map[string]any)
	r, _ := res[t.sm.ID].(map[string]any)
	md, _ := r["Metadata"].(map[string]any)
	e, _ := md[ml.EndpointCostMetadata].(map[string]any)
	return fmt.Sprint(e["EndpointName"])
}

func (t *smTask) mlEndpointArn() string {
	return t.mlArn("endpoint/" + strings.ToLower(t.mlEndpoint()))
}

// mlName is the name of the model and endpoint config the flow creates.
func (t *smTask) mlName() string { return strings.ToLower(t.mlEndpoint()) + "-v7-3f1c9a7e" }

// mlPackage is version 7 of the environment's model package group.
func (t *smTask) mlPackage() string {
	for _, g := range t.env.Resources("AWS::SageMaker::ModelPackageGroup") {
		return t.mlArn(fmt.Sprintf("model-package/%v/7", g.Properties["ModelPackageGroupName"]))
	}
	return t.mlArn("model-package/none/7")
}

// mlTagged is a create request on resource and, with tags, sagemaker:AddTags.
func (t *smTask) mlTagged(call, action, resource string) []iamproof.Request {
	ctx := tagContext(t.params)
	rs := []iamproof.Request{t.req(call, action, resource, ctx)}
	if len(ctx) > 0 {
		rs = append(rs, t.req(call+" (tags)", "sagemaker:AddTags", resource, ctx))
	}
	return rs
}

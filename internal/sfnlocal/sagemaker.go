package sfnlocal

import "fmt"

// SageMaker and Application Auto Scaling responses of the aws-sdk
// integrations, as the SageMaker API Reference shapes them.

// SageMakerARN is the ARN of a SageMaker resource ("endpoint/name").
func SageMakerARN(resource string) string {
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:%s", Partition, Region, Account, resource)
}

// DescribeModelPackage is DescribeModelPackage's result for version of
// group with approval status (Approved, Rejected, PendingManualApproval).
func DescribeModelPackage(group string, version int, status string) Answer {
	return Result(map[string]any{
		"ModelPackageName":      group,
		"ModelPackageGroupName": group,
		"ModelPackageVersion":   version,
		"ModelPackageArn":       SageMakerARN(fmt.Sprintf("model-package/%s/%d", group, version)),
		"ModelPackageStatus":    "Completed",
		"ModelApprovalStatus":   status,
		"CreationTime":          "2026-12-01T10:00:00Z",
		"InferenceSpecification": map[string]any{
			"Containers": []any{map[string]any{
				"Image":        Account + ".dkr.ecr." + Region + ".amazonaws.com/qc-model:1",
				"ModelDataUrl": "s3://results-bucket/ml/models/qc/model.tar.gz",
			}},
			"SupportedContentTypes":      []any{"text/csv"},
			"SupportedResponseMIMETypes": []any{"text/csv"},
		},
	})
}

// CreateModel is CreateModel's result.
func CreateModel(name string) Answer {
	return Result(map[string]any{"ModelArn": SageMakerARN("model/" + name)})
}

// CreateEndpointConfig is CreateEndpointConfig's result.
func CreateEndpointConfig(name string) Answer {
	return Result(map[string]any{"EndpointConfigArn": SageMakerARN("endpoint-config/" + name)})
}

// CreateEndpoint is CreateEndpoint's (and UpdateEndpoint's) result.
func CreateEndpoint(name string) Answer {
	return Result(map[string]any{"EndpointArn": SageMakerARN("endpoint/" + name)})
}

// DescribeEndpoint is DescribeEndpoint's result: the endpoint on config,
// in status (Creating, Updating, InService, Failed, ...).
func DescribeEndpoint(name, config, status string) Answer {
	r := map[string]any{
		"EndpointName":       name,
		"EndpointArn":        SageMakerARN("endpoint/" + name),
		"EndpointConfigName": config,
		"EndpointStatus":     status,
		"CreationTime":       "2026-12-01T10:00:00Z",
		"LastModifiedTime":   "2026-12-01T10:05:00Z",
		"ProductionVariants": []any{map[string]any{"VariantName": "AllTraffic", "CurrentWeight": 1, "DesiredWeight": 1}},
	}
	if status == "Failed" {
		r["FailureReason"] = "The primary container for production variant AllTraffic did not pass the ping health check."
	}
	return Result(r)
}

// EndpointNotFound is the error of DescribeEndpoint for an endpoint that
// does not exist (SageMaker's ValidationException).
func EndpointNotFound(name string) Answer {
	return Fail("SageMaker.SageMakerException", fmt.Sprintf("Could not find endpoint \"%s\". (Service: SageMaker, Status Code: 400, Request ID: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b)", name))
}

// SageMakerEmpty is the empty result of DeleteEndpoint,
// DeleteEndpointConfig and DeleteModel.
func SageMakerEmpty() Answer { return Result(map[string]any{}) }

// RegisterScalableTarget is RegisterScalableTarget's result.
func RegisterScalableTarget(resourceID string) Answer {
	return Result(map[string]any{"ScalableTargetARN": fmt.Sprintf("arn:%s:application-autoscaling:%s:%s:scalable-target/056f0a1b2c3d4e5f6a7b8c9d0e1f2a3b", Partition, Region, Account)})
}

// PutScalingPolicy is PutScalingPolicy's result for a target tracking
// policy (with the two alarms it creates).
func PutScalingPolicy(endpoint, policy string) Answer {
	arn := fmt.Sprintf("arn:%s:autoscaling:%s:%s:scalingPolicy:0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d:resource/sagemaker/endpoint/%s/variant/AllTraffic:policyName/%s", Partition, Region, Account, endpoint, policy)
	al := func(kind string) map[string]any {
		n := fmt.Sprintf("TargetTracking-endpoint/%s/variant/AllTraffic-Alarm%s-0a1b2c3d", endpoint, kind)
		return map[string]any{"AlarmName": n, "AlarmARN": fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", Partition, Region, Account, n)}
	}
	return Result(map[string]any{"PolicyARN": arn, "Alarms": []any{al("High"), al("Low")}})
}

package ml

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/alarm"
	"github.com/biolake/biolake/constructs/internal/nag"
)

// Actions of the deployment's roles. No wildcard actions.
var (
	// imagePullActions on the inference images' repositories.
	imagePullActions = []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}
	// endpointNetworkActions: SageMaker attaches a real-time endpoint's
	// network interfaces in the VPC with the model's execution role
	// (https://docs.aws.amazon.com/sagemaker/latest/dg/host-vpc.html);
	// the EC2 API gives them no resource-level permissions but the
	// subnets' and security group's.
	endpointNetworkActions = []string{"ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
		"ec2:DeleteNetworkInterfacePermission", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
		"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"}
	endpointLogActions = []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
	// endpointVolumeKeyActions: the flow's role lets SageMaker encrypt the
	// endpoint's volumes with the ML key through a grant.
	endpointVolumeKeyActions = []string{"kms:DescribeKey", "kms:CreateGrant"}
)

// newModelRole creates the execution role of the models: read the model
// artifacts under MLPrefix+ModelsPrefix of the results bucket, pull the
// inference images, write captured data and the endpoint's logs and
// metrics; in the VPC, manage the endpoint's network interfaces.
func (d *Deployment) newModelRole() {
	p := d.p
	stack := awscdk.Stack_Of(d)
	role := awsiam.NewRole(d, jsii.String("ModelRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()}},
		}),
		Description: jsii.String("Models of the endpoint " + p.EndpointName + ": read " + p.MLPrefix + ModelsPrefix + " of results, pull the inference image"),
	})
	d.ModelRole = role
	p.Lake.GrantRead(role, datalake.BucketResults, p.MLPrefix+ModelsPrefix)
	if p.capture() {
		p.Lake.GrantWrite(role, datalake.BucketResults, p.MLPrefix+DataCapturePrefix+p.EndpointName+"/")
	}
	repos := p.ImageRepositoryArns
	if len(repos) == 0 {
		repos = []string{*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ecr"), Resource: jsii.String("repository"), ResourceName: jsii.String("*")})}
	}
	add(role, imagePullActions, repos, nil)
	// GetAuthorizationToken takes no resource.
	add(role, []string{"ecr:GetAuthorizationToken"}, []string{"*"}, nil)
	logGroup := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/sagemaker/Endpoints/%s", *stack.Partition(), *stack.Region(), *stack.Account(), p.EndpointName)
	add(role, endpointLogActions, []string{logGroup, logGroup + ":log-stream:*"}, nil)
	add(role, []string{"cloudwatch:PutMetricData"}, []string{"*"}, map[string]*map[string]interface{}{
		"StringLike": {"cloudwatch:namespace": []string{"/aws/sagemaker/Endpoints", "AWS/SageMaker"}},
	})
	if p.Mode == RealTime {
		add(role, endpointNetworkActions, []string{"*"}, nil)
	}
	nag.SuppressDeferred(role, nag.InAllPacks("The model role's policy holds the grants of the models prefix, the images and the endpoint's logs to this one role; "+
		"inline, it lives and dies with the role.", "HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(role, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The model role reads the objects under the models prefix of results (and writes under the endpoint's data capture prefix): object ARNs of a prefix end in /*; " +
			"ecr:GetAuthorizationToken, cloudwatch:PutMetricData (limited to SageMaker's namespaces) and the EC2 network-interface calls SageMaker makes for a VPC endpoint " +
			"take no resource; the inference images come from the listed ECR repositories (by default this account's); the endpoint's log streams are named by SageMaker.",
		AppliesToRegex: append([]string{
			`/^Resource::\*$/`,
			`/^Resource::<.+\.Arn>\/.*\*$/`,
			`/^Resource::arn:<AWS::Partition>:s3:::<.+>\/.*\*$/`,
			`/^Resource::arn:` + nag.ArnScope + `:ecr:` + nag.RegionScope + `:` + nag.AccountScope + `:repository\/.*\*$/`,
			`/^Resource::arn:` + nag.ArnScope + `:logs:` + nag.RegionScope + `:` + nag.AccountScope + `:log-group:\/aws\/sagemaker\/Endpoints\/.+:log-stream:\*$/`,
		}, nag.ImportedObjectsRegex...),
	})
}

// grantFlow lets the flow's role do what its Tasks do beyond the
// actions CDK derives from them: pass the model role to SageMaker, the ML
// key for the endpoint's volumes, tag what it creates, the topic's key,
// the service-linked role of Application Auto Scaling and the alarms its
// target tracking policy creates.
func (d *Deployment) grantFlow(sm awsstepfunctions.StateMachine, stack awscdk.Stack) {
	p := d.p
	role := sm.Role()
	add(role, []string{"iam:PassRole"}, []string{*d.ModelRole.RoleArn()}, map[string]*map[string]interface{}{
		"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"},
	})
	name := lower(p.EndpointName)
	add(role, []string{"sagemaker:AddTags"}, []string{
		d.sagemakerArn("model/" + name + "-v*"), d.sagemakerArn("endpoint-config/" + name + "-v*"), d.sagemakerArn("endpoint/" + name),
	}, nil)
	// CreateModel from a versioned package reads the package.
	add(role, []string{"sagemaker:DescribeModelPackage"}, []string{d.sagemakerArn("model-package/" + p.Registry.ModelPackageGroupName() + "/*")}, nil)
	if p.Mode == RealTime {
		add(role, endpointVolumeKeyActions[:1], []string{*p.Key.KeyArn()}, nil)
		add(role, endpointVolumeKeyActions[1:], []string{*p.Key.KeyArn()}, map[string]*map[string]interface{}{
			"Bool": {"kms:GrantIsForAWSResource": "true"},
		})
		// Blue/green updates read the rollback alarm.
		add(role, []string{"cloudwatch:DescribeAlarms"}, []string{*d.errorsAlarm.AlarmArn()}, nil)
		// RegisterScalableTarget creates Application Auto Scaling's role
		// for SageMaker endpoints the first time; target tracking creates
		// and deletes its alarms with the caller's permissions
		// (https://docs.aws.amazon.com/autoscaling/application/userguide/security-iam-awsmanpol.html).
		slr := fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
			*stack.Partition(), *stack.Account())
		add(role, []string{"iam:CreateServiceLinkedRole"}, []string{slr}, map[string]*map[string]interface{}{
			"StringEquals": {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"},
		})
		alarms := fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:TargetTracking-endpoint/%s/*", *stack.Partition(), *stack.Region(), *stack.Account(), p.EndpointName)
		add(role, []string{"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"}, []string{alarms}, nil)
		add(role, []string{"cloudwatch:DescribeAlarms"}, []string{alarms}, nil)
	} else {
		add(role, []string{"cloudwatch:DescribeAlarms"}, []string{*d.errorsAlarm.AlarmArn()}, nil)
	}
	if key := d.Topic.MasterKey(); key != nil {
		add(role, []string{"kms:GenerateDataKey", "kms:Decrypt"}, []string{*key.KeyArn()}, map[string]*map[string]interface{}{
			"StringEquals": {"kms:ViaService": "sns." + *stack.Region() + ".amazonaws.com"},
		})
	}
	nag.SuppressDeferred(role, nag.InAllPacks("The flow's policy, generated by CDK from its Tasks and the grants above, lives and dies with the role.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(role, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The flow names its models and endpoint configs <endpoint>-v<version>-<suffix> at run time (model/<endpoint>-v*, endpoint-config/<endpoint>-v*); " +
			"package versions are numbered by SageMaker under the group; Application Auto Scaling's RegisterScalableTarget and PutScalingPolicy take no " +
			"resource before the target exists (\"*\"); target tracking names its alarms TargetTracking-endpoint/<endpoint>/...; X-Ray and log delivery take no resource.",
		AppliesToRegex: []string{
			`/^Resource::\*$/`,
			`/^Resource::arn:` + nag.ArnScope + `:sagemaker:` + nag.RegionScope + `:` + nag.AccountScope + `:(model|endpoint-config)\/[a-z0-9-]+-v\*$/`,
			`/^Resource::arn:` + nag.ArnScope + `:sagemaker:` + nag.RegionScope + `:` + nag.AccountScope + `:model-package\/[A-Za-z0-9-]+\/\*$/`,
			`/^Resource::arn:` + nag.ArnScope + `:cloudwatch:` + nag.RegionScope + `:` + nag.AccountScope + `:alarm:TargetTracking-endpoint\/.+\/\*$/`,
		},
	})
}

// MetricEndpointErrors is the number of requests the endpoint answered
// with a 5XX error: the model's container failed (ModelError) or
// SageMaker did (AWS/SageMaker Invocation5XXErrors, dimensions
// EndpointName and VariantName). Default: Sum over alarm.Period.
func (d *Deployment) MetricEndpointErrors(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return d.endpointMetric("Invocation5XXErrors", opts)
}

// MetricEndpointClientErrors is the number of requests the endpoint
// answered with a 4XX error (AWS/SageMaker Invocation4XXErrors, dimensions
// EndpointName and VariantName). Default: Sum over alarm.Period.
func (d *Deployment) MetricEndpointClientErrors(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return d.endpointMetric("Invocation4XXErrors", opts)
}

// MetricInvocations is the number of requests the endpoint received
// (AWS/SageMaker Invocations). Default: Sum over alarm.Period.
func (d *Deployment) MetricInvocations(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return d.endpointMetric("Invocations", opts)
}

func (d *Deployment) endpointMetric(name string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return alarm.Metric("AWS/SageMaker", name, map[string]*string{
		"EndpointName": jsii.String(d.p.EndpointName),
		"VariantName":  jsii.String(VariantName),
	}, opts, alarm.Sum)
}

// MetricDeploymentsFailed is the number of failed executions of the flow
// (AWS/States ExecutionsFailed). Default: Sum over alarm.Period.
func (d *Deployment) MetricDeploymentsFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return d.StateMachine.MetricFailed(alarm.Options(opts, alarm.Sum))
}

// MetricDeadLetters is the number of approvals waiting in the dead-letter
// queue (AWS/SQS ApproximateNumberOfMessagesVisible). Default: Maximum over
// alarm.Period.
func (d *Deployment) MetricDeadLetters(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return d.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(alarm.Options(opts, alarm.Maximum))
}

// GrantStart lets grantee start the flow by hand (with a Model Package
// State Change event as input), to redeploy a version.
func (d *Deployment) GrantStart(grantee awsiam.IGrantable) awsiam.Grant {
	return d.StateMachine.GrantStartExecution(grantee)
}

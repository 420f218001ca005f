package ml

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/validation"
)

// Actions of the pipeline's roles. No wildcard actions.
var (
	// processingJobActions and trainingJobActions on the jobs the
	// pipeline starts (named pipelines-<execution>-<step>-<suffix>):
	// create them with their tags, follow and stop them.
	processingJobActions = []string{"sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob", "sagemaker:AddTags"}
	trainingJobActions   = []string{"sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob", "sagemaker:AddTags"}
	// pipelineRegistryActions register a model version in the group.
	pipelineRegistryGroupActions   = []string{"sagemaker:CreateModelPackage"}
	pipelineRegistryPackageActions = []string{"sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage"}
	// jobLogActions on the jobs' log groups.
	jobLogActions = []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
	// eniActions let SageMaker place a job's network interfaces in the
	// VPC (condition ec2:Vpc); the Describe calls take no resource.
	eniActions      = []string{"ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"}
	eniDescribe     = []string{"ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"}
	ecrPullActions  = []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}
	ecrTokenActions = []string{"ecr:GetAuthorizationToken"}
	// volumeKeyActions on the ML key: SageMaker encrypts the jobs'
	// volumes with it through grants for AWS resources.
	volumeKeyActions = []string{"kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"}
	// startActions let a scientist run the pipeline and follow its runs.
	startPipelineActions  = []string{"sagemaker:StartPipelineExecution", "sagemaker:DescribePipeline", "sagemaker:ListPipelineExecutions"}
	startExecutionActions = []string{"sagemaker:DescribePipelineExecution", "sagemaker:DescribePipelineDefinitionForExecution", "sagemaker:ListPipelineExecutionSteps",
		"sagemaker:ListPipelineParametersForExecution", "sagemaker:StopPipelineExecution"}
)

// grantRoles gives each role only what it does.
//
// Execution role: create, follow, stop and tag the pipeline's processing
// and training jobs, pass the two job roles to SageMaker (and to no other
// service), register a model version in the group, read the evaluation
// reports (the condition reads its property file).
//
// Processing role: read curated data (CuratedPrefix), Athena's query
// results, the code, the features and the models; write features and
// evaluation reports only.
//
// Training role: read features and checkpoints; write models and
// checkpoints only.
//
// Both job roles: their jobs' logs, the network interfaces of their jobs
// in the VPC, their images, and the ML key for their volumes.
func (pl *Pipeline) grantRoles() {
	p := pl.p
	lake := p.Lake
	ml := p.MLPrefix
	role, proc, train := pl.Role, pl.ProcessingRole, pl.TrainingRole

	add(role, processingJobActions, []string{pl.arn("processing-job/pipelines-*")}, nil)
	add(role, trainingJobActions, []string{pl.arn("training-job/pipelines-*")}, nil)
	group := strings.ToLower(p.Registry.ModelPackageGroupName())
	add(role, pipelineRegistryGroupActions, []string{p.Registry.ModelPackageGroupArn()}, nil)
	add(role, pipelineRegistryPackageActions, []string{pl.arn("model-package/" + group + "/*")}, nil)
	add(role, []string{"iam:PassRole"}, []string{*proc.RoleArn(), *train.RoleArn()}, map[string]*map[string]interface{}{
		"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"},
	})
	lake.GrantRead(role, datalake.BucketResults, ml+EvaluationPrefix)

	lake.GrantRead(proc, datalake.BucketCurated, p.CuratedPrefix)
	lake.GrantRead(proc, datalake.BucketAthenaResults, p.QueryResultsPrefix)
	for _, prefix := range []string{CodePrefix, FeaturesPrefix, ModelsPrefix} {
		lake.GrantRead(proc, datalake.BucketResults, ml+prefix)
	}
	lake.GrantWrite(proc, datalake.BucketResults, ml+FeaturesPrefix)
	lake.GrantWrite(proc, datalake.BucketResults, ml+EvaluationPrefix)

	lake.GrantRead(train, datalake.BucketResults, ml+FeaturesPrefix)
	lake.GrantReadWrite(train, datalake.BucketResults, ml+CheckpointsPrefix)
	lake.GrantWrite(train, datalake.BucketResults, ml+ModelsPrefix)

	s := awscdk.Stack_Of(pl)
	vpc := fmt.Sprintf("arn:%s:ec2:%s:%s:vpc/%s", *s.Partition(), *s.Region(), *s.Account(), *p.Network.Vpc().VpcId())
	for _, j := range []struct {
		role   awsiam.Role
		logs   string
		images []string
	}{
		{proc, "ProcessingJobs", []string{p.Processing.Image}},
		{train, "TrainingJobs", []string{p.Training.Image}},
	} {
		logGroup := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/sagemaker/%s", *s.Partition(), *s.Region(), *s.Account(), j.logs)
		add(j.role, jobLogActions, []string{logGroup, logGroup + ":log-stream:*"}, nil)
		add(j.role, eniActions, []string{"*"}, map[string]*map[string]interface{}{"ArnEquals": {"ec2:Vpc": vpc}})
		add(j.role, eniDescribe, []string{"*"}, nil)
		var repos []string
		for _, img := range j.images {
			region, account, repo := ecrRepository(img)
			repos = append(repos, fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", *s.Partition(), region, account, repo))
		}
		add(j.role, ecrPullActions, repos, nil)
		add(j.role, ecrTokenActions, []string{"*"}, nil)
		add(j.role, volumeKeyActions, []string{*p.Key.KeyArn()}, nil)
		add(j.role, []string{"kms:CreateGrant"}, []string{*p.Key.KeyArn()}, map[string]*map[string]interface{}{
			"Bool": {"kms:GrantIsForAWSResource": "true"},
		})
	}

	for _, r := range []awsiam.Role{role, proc, train} {
		nag.SuppressDeferred(r, nag.InAllPacks("The role's policy holds the grants of the lake's prefixes, the key and the jobs to this one role; "+
			"inline, it lives and dies with the role and cannot be attached elsewhere.",
			"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
		nag.SuppressDeferred(r, nag.Rule{
			ID: "AwsSolutions-IAM5",
			Reason: "Object ARNs of a prefix of the lake end in /* (read and write actions listed one by one; each role reaches only the " +
				"prefixes its jobs read or write); SageMaker names the jobs a pipeline starts pipelines-<execution id>-<step>-<suffix> and " +
				"numbers model versions under the group; the jobs' log groups are SageMaker's /aws/sagemaker/ProcessingJobs and TrainingJobs " +
				"with one stream per job; ec2:Describe* and ecr:GetAuthorizationToken take no resource, and the network-interface calls " +
				"are limited to the network's VPC by the ec2:Vpc condition.",
			AppliesToRegex: append([]string{
				`/^Resource::<.+\.Arn>\/.*\*$/`,
				`/^Resource::arn:<AWS::Partition>:s3:::<.+>\/.*\*$/`,
				`/^Resource::\*$/`,
				`/^Resource::arn:` + nag.ArnScope + `:sagemaker:` + nag.RegionScope + `:` + nag.AccountScope + `:(processing|training)-job\/pipelines-\*$/`,
				`/^Resource::arn:` + nag.ArnScope + `:sagemaker:` + nag.RegionScope + `:` + nag.AccountScope + `:model-package\/[a-z0-9-]+\/\*$/`,
				`/^Resource::arn:` + nag.ArnScope + `:logs:` + nag.RegionScope + `:` + nag.AccountScope + `:log-group:\/aws\/sagemaker\/(ProcessingJobs|TrainingJobs):log-stream:\*$/`,
				// An imported bucket's name as the lab wrote it.
				`/^Resource::arn:(aws|aws-cn|aws-us-gov|<AWS::Partition>):s3:::[A-Za-z0-9][A-Za-z0-9.-]*\/.*\*$/`,
			}, nag.ImportedObjectsRegex...),
		})
	}
}

// GrantStartExecution lets grantee (a scientist's role) start the
// pipeline, follow its executions and stop them: aws sagemaker
// start-pipeline-execution and the describe and list calls of its runs,
// on this pipeline only.
func (pl *Pipeline) GrantStartExecution(grantee awsiam.IGrantable) awsiam.Grant {
	if grantee == nil {
		panic(validation.New(*pl.Node().Path(), "GrantStartExecution(grantee)", validation.Raw("nil"), "a role or other grantable"))
	}
	arn := pl.PipelineArn()
	g := awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{Grantee: grantee, Actions: jsii.Strings(startPipelineActions...), ResourceArns: jsii.Strings(arn)})
	return g.Combine(awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee: grantee, Actions: jsii.Strings(startExecutionActions...), ResourceArns: jsii.Strings(arn + "/execution/*"),
	}))
}

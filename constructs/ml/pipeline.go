package ml

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/alarm"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/ml/pipelinedef"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/validation"
)

// Pipeline metrics: SageMaker Pipelines publishes them per pipeline.
const (
	PipelineNamespace       = "AWS/Sagemaker/ModelBuildingPipeline"
	PipelineExecutionFailed = "ExecutionFailed"
	PipelineDimension       = "PipelineName"
)

// PipelineEndpoints are the interface endpoints the pipeline's jobs call
// from the network: none. The jobs run with network isolation, SageMaker
// pulls their images and ships their logs outside the VPC, and their S3
// inputs and outputs go through the S3 gateway endpoint every biolake
// network has. The pipeline itself runs in SageMaker, outside the VPC.
var PipelineEndpoints = []network.Endpoint{}

// Pipeline is a SageMaker model-building pipeline over the lake: feature
// engineering, training, evaluation, a condition on a metric, and
// registration in the model registry pending manual approval. Create it
// with NewPipeline.
type Pipeline struct {
	constructs.Construct

	// Pipeline is the AWS::SageMaker::Pipeline.
	Pipeline awssagemaker.CfnPipeline
	// Definition is the pipeline definition, with CloudFormation tokens
	// in its strings.
	Definition *pipelinedef.Definition
	// Role is the pipeline's execution role: it starts the jobs (passing
	// only the two job roles), registers models and reads evaluation
	// reports.
	Role awsiam.Role
	// ProcessingRole runs feature engineering and evaluation.
	ProcessingRole awsiam.Role
	// TrainingRole runs training.
	TrainingRole awsiam.Role
	// SecurityGroup is the jobs' group: traffic between its members
	// (distributed jobs), HTTPS out; nothing else in.
	SecurityGroup awsec2.SecurityGroup
	// FailedAlarm fires on a failed execution.
	FailedAlarm awscloudwatch.Alarm

	p *pipelineResolved
}

// NewPipeline creates the pipeline, its roles, security group and alarm.
// It panics, naming the construct path, when props are invalid.
func NewPipeline(scope constructs.Construct, id string, props *PipelineProps) *Pipeline {
	path := validation.PathOf(scope, id)
	p, err := validatePipeline(path, props)
	validation.Check(path, err)
	pl := &Pipeline{p: p}
	constructs.NewConstruct_Override(pl, scope, jsii.String(id))
	var c constructs.Construct = pl
	stack := awscdk.Stack_Of(c)
	p.Network.Require(pl, PipelineEndpoints...)

	sg := awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              p.Network.Vpc(),
		Description:      jsii.String("SageMaker pipeline jobs: traffic between the instances of a job, HTTPS out"),
		AllowAllOutbound: jsii.Bool(false),
	})
	// Instances of one distributed job talk to each other over TCP; with
	// inter-container encryption through IPsec too (UDP 500, ESP).
	// ESP has no ports (awsec2.Port_Esp writes 50 as the port range).
	esp := awsec2.NewPort(&awsec2.PortProps{Protocol: awsec2.Protocol_ESP, StringRepresentation: jsii.String("ESP")})
	for _, port := range []awsec2.Port{awsec2.Port_AllTcp(), awsec2.Port_Udp(jsii.Number(500)), esp} {
		sg.AddIngressRule(sg, port, jsii.String("Between the instances of a distributed job"), jsii.Bool(false))
		sg.AddEgressRule(sg, port, jsii.String("Between the instances of a distributed job"), jsii.Bool(false))
	}
	sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS to S3 through the gateway endpoint"), jsii.Bool(false))
	pl.SecurityGroup = sg

	sagemaker := func(id, description string) awsiam.Role {
		return awsiam.NewRole(c, jsii.String(id), &awsiam.RoleProps{
			AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), &awsiam.ServicePrincipalOpts{
				Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()}},
			}),
			Description: jsii.String(description),
		})
	}
	pl.ProcessingRole = sagemaker("ProcessingRole", "SageMaker pipeline "+path+": feature engineering and evaluation jobs")
	pl.TrainingRole = sagemaker("TrainingRole", "SageMaker pipeline "+path+": training jobs")
	pl.Role = sagemaker("ExecutionRole", "SageMaker pipeline "+path+": starts its jobs and registers models")
	pl.grantRoles()

	pl.Definition = pipelinedef.ModelBuilding(pl.spec())
	body, err := pl.Definition.Render()
	if err != nil {
		panic(err) // the types always marshal
	}
	pl.Pipeline = awssagemaker.NewCfnPipeline(c, jsii.String("Pipeline"), &awssagemaker.CfnPipelineProps{
		PipelineName:        jsii.String(p.PipelineName),
		PipelineDescription: jsii.String("biolake " + path + ": features, training, evaluation and registration in " + p.Registry.ModelPackageGroupName()),
		RoleArn:             pl.Role.RoleArn(),
		PipelineDefinition:  map[string]interface{}{"PipelineDefinitionBody": string(body)},
	})
	// The policies must exist before an execution can start.
	pl.Pipeline.Node().AddDependency(pl.Role, pl.ProcessingRole, pl.TrainingRole)

	pl.FailedAlarm = alarm.New(c, "ExecutionFailedAlarm", alarm.Props{
		Metric: pl.MetricExecutionFailed(nil),
		Means:  "an execution of the SageMaker pipeline " + p.PipelineName + " failed",
		Check:  "aws sagemaker list-pipeline-executions --pipeline-name " + p.PipelineName + ", then the failed step's reason (docs/ML.md)",
	})
	// A biolake stage sends every alarm to its operations topic (the
	// Operations construct's RouteAlarms aspect).
	nag.Suppress(pl.FailedAlarm, nag.InAllPacks("The app routes this alarm: a biolake stage sends every alarm of the stage to its operations topic.",
		"HIPAA.Security-CloudWatchAlarmAction", "NIST.800.53.R5-CloudWatchAlarmAction")...)
	return pl
}

// spec is the definition's input: the lake's locations, the roles, keys
// and network, the jobs' sizes.
func (pl *Pipeline) spec() pipelinedef.Spec {
	p := pl.p
	lake := p.Lake
	results := "s3://" + *lake.Bucket(datalake.BucketResults).BucketName() + "/" + p.MLPrefix
	uri := func(bucket datalake.BucketName, prefix string) string {
		return strings.TrimSuffix("s3://"+*lake.Bucket(bucket).BucketName()+"/"+prefix, "/")
	}
	job := func(j PipelineJob) pipelinedef.Job {
		return pipelinedef.Job{
			Image: j.Image, InstanceType: j.InstanceType, InstanceCount: j.InstanceCount,
			VolumeSizeGB: j.VolumeSizeGB, MaxRuntimeSeconds: int(j.MaxRuntime.Seconds()),
		}
	}
	s := pipelinedef.Spec{
		CuratedURI:            uri(datalake.BucketCurated, p.CuratedPrefix),
		QueryResultsURI:       uri(datalake.BucketAthenaResults, p.QueryResultsPrefix),
		FeatureCodeURI:        results + CodePrefix + "features",
		EvaluationCodeURI:     results + CodePrefix + "evaluation",
		FeaturesURI:           results + strings.TrimSuffix(FeaturesPrefix, "/"),
		ModelsURI:             results + strings.TrimSuffix(ModelsPrefix, "/"),
		CheckpointsURI:        results + strings.TrimSuffix(CheckpointsPrefix, "/"),
		EvaluationURI:         results + strings.TrimSuffix(EvaluationPrefix, "/"),
		ProcessingRoleArn:     *pl.ProcessingRole.RoleArn(),
		TrainingRoleArn:       *pl.TrainingRole.RoleArn(),
		VolumeKeyArn:          *p.Key.KeyArn(),
		Subnets:               p.subnets,
		SecurityGroupID:       *pl.SecurityGroup.SecurityGroupId(),
		Processing:            job(p.Processing),
		Training:              job(p.Training.PipelineJob),
		Spot:                  p.Training.Spot,
		MaxWaitSeconds:        int(p.Training.MaxWait.Seconds()),
		HyperParameters:       p.Training.HyperParameters,
		InferenceImage:        p.InferenceImage,
		ContentType:           p.ContentType,
		Metric:                p.Metric.Path,
		Comparison:            p.Metric.Comparison,
		Threshold:             p.Metric.Threshold,
		ModelPackageGroupName: p.Registry.ModelPackageGroupName(),
	}
	if key := lake.Key(datalake.BucketResults); key != nil {
		s.OutputKeyArn = *key.KeyArn()
	}
	for _, t := range p.JobTags {
		s.Tags = append(s.Tags, pipelinedef.Tag{Key: t.Key, Value: t.Value})
	}
	return s
}

// PipelineName is the pipeline's name.
func (pl *Pipeline) PipelineName() string { return pl.p.PipelineName }

// PipelineArn is the pipeline's ARN (SageMaker writes the name in lower
// case in its ARNs).
func (pl *Pipeline) PipelineArn() string {
	return pl.arn("pipeline/" + strings.ToLower(pl.p.PipelineName))
}

func (pl *Pipeline) arn(resource string) string {
	s := awscdk.Stack_Of(pl)
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:%s", *s.Partition(), *s.Region(), *s.Account(), resource)
}

// MetricExecutionFailed counts the pipeline's failed executions (Sum per
// five minutes by default).
func (pl *Pipeline) MetricExecutionFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return alarm.Metric(PipelineNamespace, PipelineExecutionFailed, map[string]*string{PipelineDimension: jsii.String(pl.p.PipelineName)}, opts, alarm.Sum)
}

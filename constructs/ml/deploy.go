package ml

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/alarm"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// ModelPackageStateChange is the detail type of the events SageMaker sends
// to the default bus (source aws.sagemaker) when a model package is
// created or its approval status changes; the detail carries
// ModelPackageGroupName, ModelPackageArn, ModelPackageVersion and
// ModelApprovalStatus
// (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-model-package).
const ModelPackageStateChange = "SageMaker Model Package State Change"

// States of the deployment flow. They are API: the tests and
// docs/ML.md name them.
const (
	StateReadApproval         = "ReadApproval"
	StateDescribePackage      = "DescribeModelPackage"
	StateIsApproved           = "IsPackageApproved"
	StateIgnored              = "DeploymentIgnored"
	StateNameResources        = "NameModelAndConfig"
	StateCreateModel          = "CreateModel"
	StateCreateConfig         = "CreateEndpointConfig"
	StateFindEndpoint         = "FindEndpoint"
	StateEndpointExists       = "EndpointExists"
	StateCreateEndpoint       = "CreateEndpoint"
	StateCanUpdate            = "IsEndpointInService"
	StateUpdateEndpoint       = "UpdateEndpoint"
	StateWaitEndpoint         = "WaitForEndpoint"
	StateDescribeEndpoint     = "DescribeEndpoint"
	StateCheckEndpoint        = "CheckEndpoint"
	StateCountPolls           = "CountEndpointPolls"
	StateRegisterScaling      = "RegisterScalableTarget"
	StatePutScalingPolicy     = "PutScalingPolicy"
	StateNotifyDeployed       = "NotifyDeployed"
	StateDeployed             = "Deployed"
	StateRolledBack           = "EndpointRolledBack"
	StateDeleteFailedEndpoint = "DeleteFailedEndpoint"
	StateDeleteNewConfig      = "DeleteNewEndpointConfig"
	StateDeleteNewModel       = "DeleteNewModel"
	StateNeedsAttention       = "EndpointNeedsAttention"
	StateNotifyFailed         = "NotifyDeploymentFailed"
	StateFailed               = "DeploymentFailed"
)

// Outcomes the flow publishes ("outcome" of the message).
const (
	OutcomeCreated     = "CREATED"
	OutcomeUpdated     = "UPDATED"
	OutcomeRolledBack  = "ROLLED_BACK"
	OutcomeAttention   = "NEEDS_ATTENTION"
	OutcomeNotScaled   = "DEPLOYED_NOT_SCALED"
	OutcomeNotDeployed = "NOT_DEPLOYED"
)

// Timing of the flow.
const (
	// EndpointPollInterval is the wait between DescribeEndpoint calls.
	EndpointPollInterval = time.Minute
	// EndpointTimeout bounds the wait for an endpoint to be InService (or
	// fail): creation, or a blue/green update with its baking period.
	EndpointTimeout = 90 * time.Minute
	// BakingPeriod is how long the old fleet stays after a blue/green
	// update while the endpoint's error alarm is watched (auto-rollback).
	BakingPeriod = 10 * time.Minute
	// DeploymentTimeout bounds one execution.
	DeploymentTimeout = EndpointTimeout + 30*time.Minute
)

// Errors the flow retries.
var (
	// SageMakerRetryErrors: throttling and transient errors of the
	// SageMaker API through the aws-sdk integration.
	SageMakerRetryErrors = []string{"SageMaker.ThrottlingException", "SageMaker.InternalFailureException", "SageMaker.ServiceUnavailableException"}
	// ScalingRetryErrors of the Application Auto Scaling API.
	ScalingRetryErrors = []string{"ApplicationAutoScaling.ConcurrentUpdateException", "ApplicationAutoScaling.InternalServiceException"}
	// TopicRetryErrors of SNS.
	TopicRetryErrors = []string{"SNS.InternalErrorException", "SNS.ThrottledException", "SNS.KMSThrottlingException"}
)

// DeploymentEndpoints are the interface endpoints a real-time endpoint in
// the network reaches: ECR (the inference image) and CloudWatch Logs; the
// model artifacts come through the S3 gateway endpoint.
var DeploymentEndpoints = []network.Endpoint{network.EndpointECRAPI, network.EndpointECRDocker, network.EndpointLogs}

// Deployment deploys each approved version of a model package group to
// one SageMaker endpoint: an EventBridge rule on the group's approvals
// starts a Step Functions flow that creates the model and an endpoint
// config, creates or updates (blue/green, auto-rollback on the endpoint's
// error alarm) the endpoint, waits for it, registers its autoscaling and,
// when the deployment fails, leaves the endpoint on its previous config
// and deletes what it created. Create it with NewDeployment.
type Deployment struct {
	constructs.Construct

	// StateMachine is the deployment flow.
	StateMachine awsstepfunctions.StateMachine
	// Rule starts StateMachine on approvals of the registry's versions.
	Rule awsevents.Rule
	// DeadLetterQueue holds the approvals the rule could not deliver.
	DeadLetterQueue awssqs.Queue
	// ModelRole is the execution role of every model the flow creates: it
	// reads MLPrefix+ModelsPrefix of the results bucket, pulls the
	// inference images and writes captured data.
	ModelRole awsiam.Role
	// SecurityGroup of real-time endpoints: HTTPS out, nothing in. Nil
	// for a serverless endpoint.
	SecurityGroup awsec2.SecurityGroup
	// Topic receives what each deployment did.
	Topic awssns.ITopic
	// Alarms: the endpoint's 5XX and 4XX errors, failed, timed-out and
	// aborted executions of the flow, dead letters.
	Alarms []awscloudwatch.Alarm

	p            *deployResolved
	errorsAlarm  awscloudwatch.Alarm
	opsKey       awskms.IKey
	sagemakerArn func(resource string) string
}

// NewDeployment creates the rule, the flow and its roles. It panics,
// naming the construct path, when props are invalid.
func NewDeployment(scope constructs.Construct, id string, props *DeploymentProps) *Deployment {
	path := validation.PathOf(scope, id)
	p, err := validateDeployment(path, props)
	validation.Check(path, err)
	d := &Deployment{p: p}
	constructs.NewConstruct_Override(d, scope, jsii.String(id))
	var c constructs.Construct = d
	stack := awscdk.Stack_Of(c)
	d.sagemakerArn = func(resource string) string {
		return fmt.Sprintf("arn:%s:sagemaker:%s:%s:%s", *stack.Partition(), *stack.Region(), *stack.Account(), resource)
	}
	if p.Mode == RealTime {
		p.Network.Require(d, DeploymentEndpoints...)
	}

	d.opsKey = p.OpsKey
	if d.opsKey == nil {
		d.opsKey = secure.NewKey(c, "OpsKey", &secure.KeyProps{
			Description: "biolake ml deployment " + path + ": log group, topic and dead-letter queue",
			Services:    []secure.Service{secure.ServiceLogs, secure.ServiceSNS, secure.ServiceEvents},
		})
	}
	d.Topic = p.Topic
	if d.Topic == nil {
		t := awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
			DisplayName: jsii.String("biolake ml deployment " + p.EndpointName),
			MasterKey:   d.opsKey,
			EnforceSSL:  jsii.Bool(true),
		})
		secure.AllowAlarms(t)
		d.Topic = t
	}
	alarmTopic := p.AlarmTopic
	if alarmTopic == nil {
		alarmTopic = d.Topic
	}

	d.newModelRole()
	if p.Mode == RealTime {
		d.SecurityGroup = awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc:              p.Network.Vpc(),
			Description:      jsii.String("SageMaker endpoint " + p.EndpointName + ": HTTPS out (image, model artifacts, captured data), nothing in"),
			AllowAllOutbound: jsii.Bool(false),
		})
		d.SecurityGroup.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS to AWS APIs (interface endpoints, S3 gateway endpoint, NAT)"), jsii.Bool(false))
	}

	// The endpoint's alarms come first: a blue/green update rolls back
	// when the errors alarm fires during its baking period.
	d.errorsAlarm = alarm.New(c, "EndpointErrorsAlarm", alarm.Props{
		Metric: d.MetricEndpointErrors(nil),
		Means:  "the ML endpoint " + p.EndpointName + " answered requests with 5XX errors (the model or SageMaker failed)",
		Check:  "the endpoint's logs (/aws/sagemaker/Endpoints/" + p.EndpointName + "); a deployment in progress rolls back on this alarm",
		Topic:  alarmTopic,
	})
	d.Alarms = append(d.Alarms, d.errorsAlarm, alarm.New(c, "EndpointClientErrorsAlarm", alarm.Props{
		Metric:    d.MetricEndpointClientErrors(nil),
		Threshold: ClientErrorsThreshold,
		Means:     fmt.Sprintf("the ML endpoint %s refused %d or more requests with 4XX errors in %s", p.EndpointName, ClientErrorsThreshold, alarm.Period),
		Check:     "what the clients send against the model's input format (a new model version may expect another)",
		Topic:     alarmTopic,
	}))

	d.newStateMachine()
	d.newRule(path)
	d.Alarms = append(d.Alarms,
		alarm.New(c, "FailedAlarm", alarm.Props{
			Metric: d.MetricDeploymentsFailed(nil),
			Means:  "a deployment of an approved model to " + p.EndpointName + " failed",
			Check:  "the deployment topic's message says what was rolled back; the execution's history says why",
			Topic:  alarmTopic,
		}),
		alarm.New(c, "TimedOutAlarm", alarm.Props{
			Metric: d.StateMachine.MetricTimedOut(alarm.Options(nil, alarm.Sum)),
			Means:  fmt.Sprintf("a deployment to %s ran past %s and was stopped: the endpoint may be left changing, with the new model and config", p.EndpointName, DeploymentTimeout),
			Check:  "aws sagemaker describe-endpoint for its status; the execution's history for the last state",
			Topic:  alarmTopic,
		}),
		alarm.New(c, "AbortedAlarm", alarm.Props{
			Metric: d.StateMachine.MetricAborted(alarm.Options(nil, alarm.Sum)),
			Means:  "a deployment to " + p.EndpointName + " was stopped by hand before it could roll back",
			Check:  "aws sagemaker describe-endpoint for its status; delete the execution's model and endpoint config if the endpoint does not use them",
			Topic:  alarmTopic,
		}),
		alarm.New(c, "DeadLettersAlarm", alarm.Props{
			Metric: d.MetricDeadLetters(nil),
			Means:  "approvals of models EventBridge could not deliver to the deployment flow of " + p.EndpointName + " wait in its dead-letter queue",
			Check:  "the queue's messages; start the flow by hand with each (aws stepfunctions start-execution)",
			Topic:  alarmTopic,
		}))
	return d
}

// ClientErrorsThreshold is the number of 4XX answers in alarm.Period that
// raises the client errors alarm.
const ClientErrorsThreshold = 10

// EndpointName is the endpoint's fixed name.
func (d *Deployment) EndpointName() string { return d.p.EndpointName }

// Mode is the endpoint's mode.
func (d *Deployment) Mode() EndpointMode { return d.p.Mode }

// tags returns Props.Tags in SageMaker's form, sorted by key.
func (d *Deployment) tags() []interface{} {
	keys := make([]string, 0, len(d.p.Tags))
	for k := range d.p.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]interface{}, 0, len(keys))
	for _, k := range keys {
		out = append(out, map[string]interface{}{"Key": k, "Value": d.p.Tags[k]})
	}
	return out
}

// withTags adds Tags to params when there are any (SageMaker refuses an
// empty list? It accepts one; an absent key keeps requests short).
func (d *Deployment) withTags(params map[string]interface{}) map[string]interface{} {
	if t := d.tags(); len(t) > 0 {
		params["Tags"] = t
	}
	return params
}

func (d *Deployment) call(scope constructs.Construct, id, comment, service, action, iamAction string, resources []string, params map[string]interface{}, selector map[string]interface{}, resultPath *string) awsstepfunctionstasks.CallAwsService {
	props := &awsstepfunctionstasks.CallAwsServiceProps{
		Comment:      jsii.String(comment),
		Service:      jsii.String(service),
		Action:       jsii.String(action),
		IamAction:    jsii.String(iamAction),
		IamResources: jsii.Strings(resources...),
		Parameters:   &params,
		ResultPath:   resultPath,
	}
	if selector != nil {
		props.ResultSelector = &selector
	}
	t := awsstepfunctionstasks.NewCallAwsService(scope, jsii.String(id), props)
	errs := SageMakerRetryErrors
	if service == "applicationautoscaling" {
		errs = ScalingRetryErrors
	}
	t.AddRetry(&awsstepfunctions.RetryProps{
		Errors:         jsii.Strings(errs...),
		Interval:       awscdk.Duration_Seconds(jsii.Number(5)),
		MaxAttempts:    jsii.Number(5),
		BackoffRate:    jsii.Number(2),
		JitterStrategy: awsstepfunctions.JitterType_FULL,
	})
	return t
}

func str(path string) *string { return awsstepfunctions.JsonPath_StringAt(jsii.String(path)) }

func isStatus(status string) awsstepfunctions.Condition {
	return awsstepfunctions.Condition_StringEquals(jsii.String("$.endpoint.EndpointStatus"), jsii.String(status))
}

// newStateMachine builds the flow:
//
//	ReadApproval (the event's package ARN; names and defaults)
//	-> DescribeModelPackage -> IsPackageApproved? no (rejected or changed since) -> DeploymentIgnored
//	-> NameModelAndConfig (<endpoint>-v<version>-<8 hex>)
//	-> CreateModel (from the package; model role; real-time: private subnets, own security group, network isolation)
//	-> CreateEndpointConfig (variant from config; real-time: volume key, data capture)
//	-> FindEndpoint (DescribeEndpoint) -> EndpointExists?
//	     absent -> CreateEndpoint
//	     present and InService -> UpdateEndpoint (blue/green, auto-rollback on the errors alarm)
//	     present, not InService -> DeleteNewEndpointConfig ...
//	-> WaitForEndpoint / DescribeEndpoint / CheckEndpoint (bounded loop):
//	     InService on the new config -> [real-time: RegisterScalableTarget -> PutScalingPolicy] -> NotifyDeployed -> Deployed
//	     InService on another config (SageMaker rolled the update back) -> EndpointRolledBack -> DeleteNewEndpointConfig
//	     Failed, first endpoint -> DeleteFailedEndpoint -> DeleteNewEndpointConfig
//	     Creating, Updating, SystemUpdating, RollingBack -> wait again (until EndpointTimeout)
//	     otherwise (UpdateRollbackFailed, OutOfService, timeout) -> EndpointNeedsAttention -> NotifyDeploymentFailed
//	DeleteNewEndpointConfig -> DeleteNewModel -> NotifyDeploymentFailed -> DeploymentFailed
func (d *Deployment) newStateMachine() {
	p := d.p
	c := constructs.NewConstruct(d, jsii.String("Flow"))
	stack := awscdk.Stack_Of(d)
	name := p.EndpointName
	endpointArn := d.sagemakerArn("endpoint/" + lower(name))
	configArns := d.sagemakerArn("endpoint-config/" + lower(name) + "-v*")
	modelArns := d.sagemakerArn("model/" + lower(name) + "-v*")
	packageArns := d.sagemakerArn("model-package/" + p.Registry.ModelPackageGroupName() + "/*")

	failed := awsstepfunctions.NewFail(c, jsii.String(StateFailed), &awsstepfunctions.FailProps{
		Comment:   jsii.String("The deployment failed; the endpoint is on its previous config (or gone when it was the first), and the topic was told"),
		ErrorPath: jsii.String("$.failure.Error"),
		CausePath: jsii.String("$.failure.Cause"),
	})
	message := func(outcome interface{}) *map[string]interface{} {
		return &map[string]interface{}{
			"endpoint":         name,
			"modelPackageArn":  str("$.packageArn"),
			"outcome":          outcome,
			"model":            str("$.names.model"),
			"endpointConfig":   str("$.names.config"),
			"previousConfig":   str("$.deploy.previousConfig"),
			"error":            str("$.failure.Error"),
			"cause":            str("$.failure.Cause"),
			"executionId":      str("$$.Execution.Id"),
			"endpointStatus.$": "$.endpoint.EndpointStatus",
		}
	}
	notifyFailed := awsstepfunctionstasks.NewSnsPublish(c, jsii.String(StateNotifyFailed), &awsstepfunctionstasks.SnsPublishProps{
		Topic:      d.Topic,
		Subject:    jsii.String("biolake ml: deployment to " + name + " failed"),
		Message:    awsstepfunctions.TaskInput_FromObject(message(str("$.deploy.outcome"))),
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	retryTopic(notifyFailed)
	notifyFailed.AddCatch(failed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.notifyFailure")})
	notifyFailed.Next(failed)
	// outcome sets $.deploy.outcome before the failure notification.
	outcome := func(id, comment, value string, next awsstepfunctions.IChainable) awsstepfunctions.Pass {
		ps := awsstepfunctions.NewPass(c, jsii.String(id), &awsstepfunctions.PassProps{
			Comment:    jsii.String(comment),
			Result:     awsstepfunctions.Result_FromString(jsii.String(value)),
			ResultPath: jsii.String("$.deploy.outcome"),
		})
		ps.Next(next)
		return ps
	}
	catchTo := func(t awsstepfunctions.TaskStateBase, next awsstepfunctions.IChainable) {
		t.AddCatch(next, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.failure")})
	}

	// Clean-up of what this execution created, newest first.
	deleteModel := d.call(c, StateDeleteNewModel, "Delete the model this deployment created", "sagemaker", "deleteModel", "sagemaker:DeleteModel",
		[]string{modelArns}, map[string]interface{}{"ModelName.$": "$.names.model"}, nil, awsstepfunctions.JsonPath_DISCARD())
	deleteModel.AddCatch(notifyFailed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.cleanupFailure")})
	deleteModel.Next(notifyFailed)
	deleteConfig := d.call(c, StateDeleteNewConfig, "Delete the endpoint config this deployment created", "sagemaker", "deleteEndpointConfig", "sagemaker:DeleteEndpointConfig",
		[]string{configArns}, map[string]interface{}{"EndpointConfigName.$": "$.names.config"}, nil, awsstepfunctions.JsonPath_DISCARD())
	deleteConfig.AddCatch(notifyFailed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.cleanupFailure")})
	deleteConfig.Next(deleteModel)
	notDeployedConfig := outcome("ConfigNotDeployed", "Nothing was deployed: delete the new endpoint config and model", OutcomeNotDeployed, deleteConfig)
	notDeployedModel := outcome("ModelNotDeployed", "Nothing was deployed: delete the new model", OutcomeNotDeployed, deleteModel)
	notDeployed := outcome("PackageNotDeployed", "Nothing was created", OutcomeNotDeployed, notifyFailed)

	deleteEndpoint := d.call(c, StateDeleteFailedEndpoint, "The first endpoint failed: delete it", "sagemaker", "deleteEndpoint", "sagemaker:DeleteEndpoint",
		[]string{endpointArn}, map[string]interface{}{"EndpointName": name}, nil, awsstepfunctions.JsonPath_DISCARD())
	deleteEndpoint.AddCatch(notifyFailed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.cleanupFailure")})
	deleteEndpoint.Next(deleteConfig)
	endpointFailure := func(id, comment, value string, next awsstepfunctions.IChainable) awsstepfunctions.Pass {
		ps := awsstepfunctions.NewPass(c, jsii.String(id), &awsstepfunctions.PassProps{
			Comment: jsii.String(comment),
			Parameters: &map[string]interface{}{
				"Error":   "EndpointNotDeployed",
				"Cause.$": "States.Format('endpoint {} is {} on config {}', $.endpoint.EndpointName, $.endpoint.EndpointStatus, $.endpoint.EndpointConfigName)",
			},
			ResultPath: jsii.String("$.failure"),
		})
		ps.Next(outcome(id+"Outcome", comment, value, next))
		return ps
	}
	rolledBack := endpointFailure(StateRolledBack, "SageMaker rolled the update back: the endpoint serves its previous config", OutcomeRolledBack, deleteConfig)
	firstFailed := endpointFailure("FirstEndpointFailed", "The first endpoint failed: it is deleted", OutcomeRolledBack, deleteEndpoint)
	attention := endpointFailure(StateNeedsAttention, "The endpoint is in a state the flow cannot undo (UpdateRollbackFailed, OutOfService) or still changing after the timeout: the new model and config are kept for an operator", OutcomeAttention, notifyFailed)

	// Success.
	succeed := awsstepfunctions.NewSucceed(c, jsii.String(StateDeployed), nil)
	notifyDeployed := awsstepfunctionstasks.NewSnsPublish(c, jsii.String(StateNotifyDeployed), &awsstepfunctionstasks.SnsPublishProps{
		Topic:      d.Topic,
		Subject:    jsii.String("biolake ml: model deployed to " + name),
		Message:    awsstepfunctions.TaskInput_FromObject(message(str("$.deploy.kind"))),
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	retryTopic(notifyDeployed)
	// The endpoint serves the new model: a failed notification does not
	// undo it, and the execution still succeeds.
	notifyDeployed.AddCatch(succeed, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.notifyFailure")})
	notifyDeployed.Next(succeed)
	var onInService awsstepfunctions.IChainable = notifyDeployed
	resourceID := "endpoint/" + name + "/variant/" + VariantName
	if p.Mode == RealTime {
		notScaled := outcome("EndpointNotScaled", "The endpoint serves the new model but its autoscaling could not be registered", OutcomeNotScaled, notifyFailed)
		register := d.call(c, StateRegisterScaling, "Autoscaling bounds of the endpoint's variant", "applicationautoscaling", "registerScalableTarget",
			"application-autoscaling:RegisterScalableTarget", []string{"*"},
			map[string]interface{}{
				"ServiceNamespace":  "sagemaker",
				"ResourceId":        resourceID,
				"ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
				"MinCapacity":       p.MinInstances,
				"MaxCapacity":       p.MaxInstances,
			}, nil, awsstepfunctions.JsonPath_DISCARD())
		catchTo(register, notScaled)
		put := d.call(c, StatePutScalingPolicy, "Target tracking on invocations per instance", "applicationautoscaling", "putScalingPolicy",
			"application-autoscaling:PutScalingPolicy", []string{"*"},
			map[string]interface{}{
				"PolicyName":        name + "-invocations",
				"ServiceNamespace":  "sagemaker",
				"ResourceId":        resourceID,
				"ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
				"PolicyType":        "TargetTrackingScaling",
				"TargetTrackingScalingPolicyConfiguration": map[string]interface{}{
					"TargetValue":                   p.InvocationsPerInstance,
					"PredefinedMetricSpecification": map[string]interface{}{"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
					"ScaleInCooldown":               300,
					"ScaleOutCooldown":              60,
				},
			}, nil, awsstepfunctions.JsonPath_DISCARD())
		catchTo(put, notScaled)
		register.Next(put)
		put.Next(notifyDeployed)
		onInService = register
	}

	// The wait for the endpoint.
	maxPolls := int(EndpointTimeout / EndpointPollInterval)
	wait := awsstepfunctions.NewWait(c, jsii.String(StateWaitEndpoint), &awsstepfunctions.WaitProps{
		Time: awsstepfunctions.WaitTime_Duration(awscdk.Duration_Seconds(jsii.Number(EndpointPollInterval.Seconds()))),
	})
	describe := d.call(c, StateDescribeEndpoint, "The endpoint's status and config", "sagemaker", "describeEndpoint", "sagemaker:DescribeEndpoint",
		[]string{endpointArn}, map[string]interface{}{"EndpointName": name},
		map[string]interface{}{"EndpointName.$": "$.EndpointName", "EndpointStatus.$": "$.EndpointStatus", "EndpointConfigName.$": "$.EndpointConfigName"},
		jsii.String("$.endpoint"))
	catchTo(describe, attention)
	count := awsstepfunctions.NewPass(c, jsii.String(StateCountPolls), &awsstepfunctions.PassProps{
		Parameters: &map[string]interface{}{"count.$": "States.MathAdd($.poll.count, 1)"},
		ResultPath: jsii.String("$.poll"),
	})
	count.Next(wait)
	wait.Next(describe)
	onNewConfig := awsstepfunctions.Condition_StringEqualsJsonPath(jsii.String("$.endpoint.EndpointConfigName"), jsii.String("$.names.config"))
	changing := awsstepfunctions.Condition_Or(isStatus("Creating"), isStatus("Updating"), isStatus("SystemUpdating"), isStatus("RollingBack"))
	check := awsstepfunctions.NewChoice(c, jsii.String(StateCheckEndpoint), &awsstepfunctions.ChoiceProps{
		Comment: jsii.String(fmt.Sprintf("InService on the new config: deployed; on another: rolled back; Failed first endpoint: delete it; still changing: poll again (at most %d times)", maxPolls)),
	}).
		When(awsstepfunctions.Condition_And(isStatus("InService"), onNewConfig), onInService, nil).
		When(isStatus("InService"), rolledBack, nil).
		When(awsstepfunctions.Condition_And(isStatus("Failed"), awsstepfunctions.Condition_StringEquals(jsii.String("$.deploy.kind"), jsii.String(OutcomeCreated))), firstFailed, nil).
		When(awsstepfunctions.Condition_And(changing, awsstepfunctions.Condition_NumberLessThan(jsii.String("$.poll.count"), jsii.Number(float64(maxPolls)))), count, nil).
		Otherwise(attention)
	describe.Next(check)
	startPolls := awsstepfunctions.NewPass(c, jsii.String("StartEndpointPolls"), &awsstepfunctions.PassProps{
		Result:     awsstepfunctions.Result_FromObject(&map[string]interface{}{"count": 0}),
		ResultPath: jsii.String("$.poll"),
	})
	startPolls.Next(wait)

	// Create or update.
	create := d.call(c, StateCreateEndpoint, "The first endpoint, on the new config", "sagemaker", "createEndpoint", "sagemaker:CreateEndpoint",
		[]string{endpointArn, configArns}, d.withTags(map[string]interface{}{"EndpointName": name, "EndpointConfigName.$": "$.names.config"}), nil, awsstepfunctions.JsonPath_DISCARD())
	catchTo(create, notDeployedConfig)
	create.Next(startPolls)
	asCreated := awsstepfunctions.NewPass(c, jsii.String("FirstEndpoint"), &awsstepfunctions.PassProps{
		Result:     awsstepfunctions.Result_FromObject(&map[string]interface{}{"kind": OutcomeCreated, "previousConfig": "none", "outcome": OutcomeCreated}),
		ResultPath: jsii.String("$.deploy"),
	})
	asCreated.Next(create)
	update := d.call(c, StateUpdateEndpoint, fmt.Sprintf("Blue/green update: all traffic at once, the old fleet kept %s while the errors alarm is watched, rolled back when it fires", BakingPeriod),
		"sagemaker", "updateEndpoint", "sagemaker:UpdateEndpoint", []string{endpointArn, configArns},
		map[string]interface{}{
			"EndpointName":         name,
			"EndpointConfigName.$": "$.names.config",
			"DeploymentConfig": map[string]interface{}{
				"BlueGreenUpdatePolicy": map[string]interface{}{
					"TrafficRoutingConfiguration":      map[string]interface{}{"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
					"TerminationWaitInSeconds":         int(BakingPeriod.Seconds()),
					"MaximumExecutionTimeoutInSeconds": int((EndpointTimeout - 10*time.Minute).Seconds()),
				},
				"AutoRollbackConfiguration": map[string]interface{}{
					"Alarms": []interface{}{map[string]interface{}{"AlarmName": d.errorsAlarm.AlarmName()}},
				},
			},
		}, nil, awsstepfunctions.JsonPath_DISCARD())
	catchTo(update, notDeployedConfig)
	update.Next(startPolls)
	asUpdated := awsstepfunctions.NewPass(c, jsii.String("ExistingEndpoint"), &awsstepfunctions.PassProps{
		Parameters: &map[string]interface{}{"kind": OutcomeUpdated, "previousConfig.$": "$.existing.EndpointConfigName", "outcome": OutcomeUpdated},
		ResultPath: jsii.String("$.deploy"),
	})
	asUpdated.Next(update)
	busy := awsstepfunctions.NewPass(c, jsii.String("EndpointBusy"), &awsstepfunctions.PassProps{
		Comment: jsii.String("The endpoint is not InService (another deployment runs, or it failed): it is left as it is"),
		Parameters: &map[string]interface{}{
			"Error":   "EndpointNotInService",
			"Cause.$": "States.Format('endpoint {} is {}', $.existing.EndpointName, $.existing.EndpointStatus)",
		},
		ResultPath: jsii.String("$.failure"),
	})
	busy.Next(notDeployedConfig)
	canUpdate := awsstepfunctions.NewChoice(c, jsii.String(StateCanUpdate), nil).
		When(awsstepfunctions.Condition_StringEquals(jsii.String("$.existing.EndpointStatus"), jsii.String("InService")), asUpdated, nil).
		Otherwise(busy)
	lookupFailed := awsstepfunctions.NewChoice(c, jsii.String(StateEndpointExists), &awsstepfunctions.ChoiceProps{
		Comment: jsii.String("DescribeEndpoint failed: the endpoint does not exist yet (SageMaker's ValidationException 'Could not find endpoint'), or the call failed"),
	}).
		When(awsstepfunctions.Condition_StringMatches(jsii.String("$.failure.Cause"), jsii.String("*Could not find endpoint*")), asCreated, nil).
		Otherwise(notDeployedConfig)
	find := d.call(c, StateFindEndpoint, "Is there an endpoint to update?", "sagemaker", "describeEndpoint", "sagemaker:DescribeEndpoint",
		[]string{endpointArn}, map[string]interface{}{"EndpointName": name},
		map[string]interface{}{"EndpointName.$": "$.EndpointName", "EndpointStatus.$": "$.EndpointStatus", "EndpointConfigName.$": "$.EndpointConfigName"},
		jsii.String("$.existing"))
	catchTo(find, lookupFailed)
	find.Next(canUpdate)

	// The endpoint config.
	variant := map[string]interface{}{"VariantName": VariantName, "ModelName.$": "$.names.model"}
	configParams := map[string]interface{}{"EndpointConfigName.$": "$.names.config"}
	if p.Mode == RealTime {
		variant["InstanceType"] = p.InstanceType
		variant["InitialInstanceCount"] = p.InitialInstances
		// SageMaker refuses a volume key for instance types with local
		// NVMe storage, which the instance encrypts in hardware.
		if !LocalStorage(p.InstanceType) {
			configParams["KmsKeyId"] = p.Key.KeyArn()
		}
	} else {
		variant["ServerlessConfig"] = map[string]interface{}{"MemorySizeInMB": p.MemorySizeMB, "MaxConcurrency": p.MaxConcurrency}
	}
	configParams["ProductionVariants"] = []interface{}{variant}
	if p.capture() {
		capture := map[string]interface{}{
			"EnableCapture":             true,
			"InitialSamplingPercentage": p.SamplingPercentage,
			"DestinationS3Uri":          "s3://" + *p.Lake.Bucket(datalake.BucketResults).BucketName() + "/" + p.MLPrefix + DataCapturePrefix + name,
			"CaptureOptions":            []interface{}{map[string]interface{}{"CaptureMode": "Input"}, map[string]interface{}{"CaptureMode": "Output"}},
		}
		if k := p.Lake.Key(datalake.BucketResults); k != nil {
			capture["KmsKeyId"] = k.KeyArn()
		}
		configParams["DataCaptureConfig"] = capture
	}
	createConfig := d.call(c, StateCreateConfig, "The endpoint config of the new model", "sagemaker", "createEndpointConfig", "sagemaker:CreateEndpointConfig",
		[]string{configArns}, d.withTags(configParams), nil, awsstepfunctions.JsonPath_DISCARD())
	catchTo(createConfig, notDeployedModel)
	createConfig.Next(find)

	// The model.
	modelParams := map[string]interface{}{
		"ModelName.$":      "$.names.model",
		"ExecutionRoleArn": d.ModelRole.RoleArn(),
		"Containers":       []interface{}{map[string]interface{}{"ModelPackageName.$": "$.packageArn"}},
	}
	if p.Mode == RealTime {
		modelParams["EnableNetworkIsolation"] = true
		modelParams["VpcConfig"] = map[string]interface{}{
			"Subnets":          *privateSubnets(p.Network).SubnetIds,
			"SecurityGroupIds": []interface{}{d.SecurityGroup.SecurityGroupId()},
		}
	}
	createModel := d.call(c, StateCreateModel, "The model of the approved package", "sagemaker", "createModel", "sagemaker:CreateModel",
		[]string{modelArns}, d.withTags(modelParams), nil, awsstepfunctions.JsonPath_DISCARD())
	catchTo(createModel, notDeployed)
	createModel.Next(createConfig)

	names := awsstepfunctions.NewPass(c, jsii.String(StateNameResources), &awsstepfunctions.PassProps{
		Comment: jsii.String("Names of the new model and endpoint config: <endpoint>-v<version>-<first 8 hex digits of the event id>, unique per approval"),
		Parameters: &map[string]interface{}{
			"model.$":  "States.Format('" + lower(name) + "-v{}-{}', $.package.version, $.suffix)",
			"config.$": "States.Format('" + lower(name) + "-v{}-{}', $.package.version, $.suffix)",
		},
		ResultPath: jsii.String("$.names"),
	})
	names.Next(createModel)
	ignored := awsstepfunctions.NewSucceed(c, jsii.String(StateIgnored), &awsstepfunctions.SucceedProps{
		Comment: jsii.String("The package is not (or no longer) Approved: nothing to deploy"),
	})
	approved := awsstepfunctions.NewChoice(c, jsii.String(StateIsApproved), &awsstepfunctions.ChoiceProps{
		Comment: jsii.String("Re-read: the package may have been rejected since the event"),
	}).
		When(awsstepfunctions.Condition_StringEquals(jsii.String("$.package.status"), jsii.String("Approved")), names, nil).
		Otherwise(ignored)
	describePackage := d.call(c, StateDescribePackage, "The package's approval status now, and its version", "sagemaker", "describeModelPackage", "sagemaker:DescribeModelPackage",
		[]string{packageArns}, map[string]interface{}{"ModelPackageName.$": "$.packageArn"},
		map[string]interface{}{"status.$": "$.ModelApprovalStatus", "version.$": "$.ModelPackageVersion"}, jsii.String("$.package"))
	catchTo(describePackage, notDeployed)
	describePackage.Next(approved)
	read := awsstepfunctions.NewPass(c, jsii.String(StateReadApproval), &awsstepfunctions.PassProps{
		Comment: jsii.String("The approved package, from the " + ModelPackageStateChange + " event"),
		Parameters: &map[string]interface{}{
			"packageArn.$": "$.detail.ModelPackageArn",
			// The event's id is a UUID: its first 8 hex digits make the
			// names unique per approval.
			"suffix.$": "States.ArrayGetItem(States.StringSplit($.id, '-'), 0)",
			"names":    map[string]interface{}{"model": "none", "config": "none"},
			"deploy":   map[string]interface{}{"kind": "none", "previousConfig": "none", "outcome": OutcomeNotDeployed},
			"failure":  map[string]interface{}{"Error": "none", "Cause": "none"},
			"endpoint": map[string]interface{}{"EndpointName": name, "EndpointStatus": "none", "EndpointConfigName": "none"},
		},
	})
	read.Next(describePackage)

	logGroup := awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: d.opsKey,
		Retention:     secure.RetentionDays(p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	sm := awsstepfunctions.NewStateMachine(c, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		Comment:          jsii.String("biolake ml deployment: deploy approved versions of " + p.Registry.ModelPackageGroupName() + " to the " + string(p.Mode) + " endpoint " + name),
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromChainable(read),
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
		Timeout:          awscdk.Duration_Seconds(jsii.Number(DeploymentTimeout.Seconds())),
		TracingEnabled:   jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logGroup,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
	})
	d.StateMachine = sm
	// The standing cost of the endpoint the flow keeps, for the cost tool
	// (internal/cost): the endpoint is created at run time, not by
	// CloudFormation.
	sm.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String(EndpointCostMetadata), d.costMetadata())
	d.grantFlow(sm, stack)
}

// EndpointCostMetadata is the template metadata key, on the flow's state
// machine, that describes the endpoint it keeps: name, mode, instance type
// and minimum instances (real-time).
const EndpointCostMetadata = "biolake:sagemakerEndpoint"

func (d *Deployment) costMetadata() map[string]interface{} {
	m := map[string]interface{}{"EndpointName": d.p.EndpointName, "Mode": string(d.p.Mode)}
	if d.p.Mode == RealTime {
		m["InstanceType"] = d.p.InstanceType
		m["MinInstances"] = d.p.MinInstances
		m["MaxInstances"] = d.p.MaxInstances
	} else {
		m["MemorySizeMB"] = d.p.MemorySizeMB
		m["MaxConcurrency"] = d.p.MaxConcurrency
	}
	return m
}

func retryTopic(t awsstepfunctions.TaskStateBase) {
	t.AddRetry(&awsstepfunctions.RetryProps{
		Errors:         jsii.Strings(TopicRetryErrors...),
		Interval:       awscdk.Duration_Seconds(jsii.Number(5)),
		MaxAttempts:    jsii.Number(5),
		BackoffRate:    jsii.Number(2),
		JitterStrategy: awsstepfunctions.JitterType_FULL,
	})
}

// newRule starts the flow on approvals of the registry's versions, with
// retries and a dead-letter queue.
func (d *Deployment) newRule(path string) {
	p := d.p
	dlq := awssqs.NewQueue(d, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: d.opsKey,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
		RedriveAllowPolicy:  secure.DeadLetterRedrive(),
	})
	d.DeadLetterQueue = dlq
	nag.SuppressDeferred(dlq, nag.Rule{ID: "AwsSolutions-SQS3", Reason: "This queue is itself a dead-letter queue: model approvals EventBridge could not deliver to the deployment flow."})
	d.Rule = awsevents.NewRule(d, jsii.String("ApprovalRule"), &awsevents.RuleProps{
		Description: jsii.String("Approved versions of " + p.Registry.ModelPackageGroupName() + " start the deployment to " + p.EndpointName),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.sagemaker"),
			DetailType: jsii.Strings(ModelPackageStateChange),
			Detail: &map[string]interface{}{
				"ModelPackageGroupName": []string{p.Registry.ModelPackageGroupName()},
				"ModelApprovalStatus":   []string{"Approved"},
			},
		},
	})
	d.Rule.AddTarget(awseventstargets.NewSfnStateMachine(d.StateMachine, &awseventstargets.SfnStateMachineProps{
		DeadLetterQueue: dlq,
		RetryAttempts:   jsii.Number(185),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
	}))
	nag.SuppressDeferred(d.StateMachine.Node().FindChild(jsii.String("EventsRole")), nag.InAllPacks("The role EventBridge assumes to start the deployment flow; its policy, generated by CDK, "+
		"allows states:StartExecution on this state machine only and lives and dies with the role.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	_ = path
}

// lower is s in lower case: SageMaker stores endpoint, config and model
// names as given but their ARNs in lower case.
func lower(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
	return string(b)
}

// LocalStorage reports whether instance type t has local NVMe instance
// storage, encrypted by the instance's hardware: SageMaker refuses a
// KmsKeyId in the endpoint config of such a type
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html,
// KmsKeyId). They are the "d" families (ml.m5d, ml.c6gd, ml.g4dn, ml.p4d,
// ...) and the GPU and Trainium families whose instances all carry NVMe
// storage.
func LocalStorage(t string) bool {
	fam, _, ok := splitInstanceType(t)
	if !ok {
		return false
	}
	f := strings.TrimPrefix(fam, "ml.")
	for _, g := range []string{"g5", "g6", "g6e", "g7e", "p5", "p5e", "p5en", "trn1", "trn1n", "trn2", "dl1"} {
		if f == g {
			return true
		}
	}
	base, _, _ := strings.Cut(f, "-")
	return strings.HasSuffix(base, "d") || strings.HasSuffix(base, "dn") || strings.HasSuffix(base, "de")
}

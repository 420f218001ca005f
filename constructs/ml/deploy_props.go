package ml

import (
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// EndpointMode is how an endpoint runs: on instances that bill every hour,
// or serverless (billed per request, nothing while idle).
type EndpointMode string

// Endpoint modes.
const (
	// RealTime: a production variant on InitialInstanceCount instances of
	// InstanceType, scaled between MinInstances and MaxInstances, in the
	// network's private subnets, with network isolation, the volume
	// encrypted with Props.Key and data capture.
	RealTime EndpointMode = "real-time"
	// Serverless: a serverless variant of MemorySizeMB and MaxConcurrency.
	// SageMaker offers serverless endpoints no VPC, no network isolation,
	// no data capture and no volume key
	// (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html,
	// "Feature exclusions"): the model runs in SageMaker's network.
	Serverless EndpointMode = "serverless"
)

// Limits of a deployment's settings.
const (
	// MinServerlessMemoryMB, MaxServerlessMemoryMB and
	// ServerlessMemoryStepMB: a serverless variant's memory (1024 to 6144
	// MB in 1024 MB steps).
	MinServerlessMemoryMB  = 1024
	MaxServerlessMemoryMB  = 6144
	ServerlessMemoryStepMB = 1024
	// MaxServerlessConcurrency is the most concurrent invocations a
	// serverless variant takes (SageMaker's API maximum; an account's
	// quota may be lower).
	MaxServerlessConcurrency = 200
	// MaxEndpointNameLength leaves room, within SageMaker's 63 characters,
	// for the "-v<version>-<8 hex>" of the models and endpoint configs a
	// deployment names after the endpoint.
	MaxEndpointNameLength = 40
	// Defaults.
	DefaultInstanceType          = "ml.m5.large"
	DefaultServerlessMemoryMB    = 2048
	DefaultServerlessConcurrency = 5
	DefaultSamplingPercentage    = 10
	// DefaultInvocationsPerInstance is the target of the scaling policy:
	// invocations a minute per instance (SageMakerVariantInvocationsPerInstance).
	DefaultInvocationsPerInstance = 100
	// VariantName is the one production variant of every endpoint config
	// a deployment creates: blue/green updates need the same name.
	VariantName = "AllTraffic"
)

// DeploymentProps configures a Deployment.
type DeploymentProps struct {
	// Registry is the model package group whose approved versions are
	// deployed (*Domain implements it). Required; no default.
	Registry Registry
	// Network places real-time endpoints in its private subnets, with a
	// security group of their own. Required; no default.
	Network network.INetwork
	// Lake holds the results bucket: models are read from MLPrefix +
	// ModelsPrefix and requests are captured under MLPrefix +
	// DataCapturePrefix, encrypted with the bucket's key. Required; no
	// default.
	Lake datalake.ILake
	// Key encrypts real-time endpoints' storage volumes (the ML key).
	// Required; no default.
	Key awskms.IKey
	// EndpointName of the endpoint: fixed, so alarms and clients name it.
	// Letters, digits and '-', starting and ending with a letter or digit,
	// at most 40. Required; no default.
	EndpointName string
	// Mode is RealTime or Serverless. Default: Serverless (nothing billed
	// while idle).
	Mode EndpointMode
	// InstanceType of a real-time variant, one SageMaker offers for
	// endpoints. Default: DefaultInstanceType (ml.m5.large).
	InstanceType string
	// InitialInstances a real-time variant starts with, between
	// MinInstances and MaxInstances. Default: MinInstances.
	InitialInstances int
	// MinInstances and MaxInstances bound autoscaling of a real-time
	// variant (1 or more, min <= max). Default: 1 and MinInstances.
	MinInstances int
	MaxInstances int
	// InvocationsPerInstance is the target tracking value: invocations a
	// minute per instance. Default: DefaultInvocationsPerInstance (100).
	InvocationsPerInstance int
	// MemorySizeMB of a serverless variant: 1024 to 6144 in steps of 1024.
	// Default: DefaultServerlessMemoryMB (2048).
	MemorySizeMB int
	// MaxConcurrency of a serverless variant: 1 to 200. Default:
	// DefaultServerlessConcurrency (5).
	MaxConcurrency int
	// SamplingPercentage of requests a real-time endpoint captures, 0 to
	// 100; 0 turns data capture off. Default: DefaultSamplingPercentage
	// (10). Use DisableDataCapture for 0.
	SamplingPercentage int
	// DisableDataCapture turns data capture off. Default: false.
	DisableDataCapture bool
	// MLPrefix is the results bucket's ML prefix (Props.MLPrefix of the
	// domain). Default: DefaultMLPrefix ("ml/").
	MLPrefix string
	// ImageRepositoryArns are the ECR repositories the models' inference
	// images come from: the model role pulls from these only. Default:
	// this account's repositories in the stack's region.
	ImageRepositoryArns []string
	// Tags are put on every model, endpoint config and endpoint the
	// deployment creates (cost allocation). Default: none.
	Tags map[string]string
	// Topic receives what each deployment did. Default: a topic the
	// construct creates, encrypted with OpsKey.
	Topic awssns.ITopic
	// AlarmTopic receives the alarms' notifications. Default: Topic.
	AlarmTopic awssns.ITopic
	// OpsKey encrypts the flow's log group, its topic and its dead-letter
	// queue. Default: a key the construct creates.
	OpsKey awskms.IKey
	// LogRetentionDays of the flow's log group. Default: 365.
	LogRetentionDays int
}

var endpointNameRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,39}$`)

// ValidateSettings checks every setting but Registry, Network, Lake and
// Key (a config layer checks an environment file with it) and returns
// every problem, joined.
func (p *DeploymentProps) ValidateSettings() error {
	if p == nil {
		return validation.New("", "DeploymentProps", validation.Raw("nil"), "props with Registry, Network, Lake, Key and EndpointName set")
	}
	var errs []error
	bad := validation.Collector("", &errs)
	if !endpointNameRE.MatchString(p.EndpointName) {
		bad("EndpointName", p.EndpointName, "an endpoint name: letters, digits and '-', starting and ending with a letter or digit, at most %d (room for the models' version suffix)", MaxEndpointNameLength)
	}
	switch p.Mode {
	case "", Serverless:
		if m := p.MemorySizeMB; m != 0 && (m < MinServerlessMemoryMB || m > MaxServerlessMemoryMB || m%ServerlessMemoryStepMB != 0) {
			bad("MemorySizeMB", m, "1024, 2048, 3072, 4096, 5120 or 6144 (MB), or 0 for %d", DefaultServerlessMemoryMB)
		}
		if c := p.MaxConcurrency; c < 0 || c > MaxServerlessConcurrency {
			bad("MaxConcurrency", c, "1 to %d concurrent invocations, or 0 for %d", MaxServerlessConcurrency, DefaultServerlessConcurrency)
		}
		if p.InstanceType != "" || p.InitialInstances != 0 || p.MinInstances != 0 || p.MaxInstances != 0 {
			bad("Mode", string(Serverless), "real-time when InstanceType or instance counts are set (a serverless endpoint has none)")
		}
	case RealTime:
		if t := p.InstanceType; t != "" {
			if msg := CheckInstanceType(UseHosting, t); msg != "" {
				bad("InstanceType", t, "%s", msg)
			}
		}
		minI, maxI := p.MinInstances, p.MaxInstances
		if minI < 0 {
			bad("MinInstances", minI, "1 or more, or 0 for 1")
		}
		if minI == 0 {
			minI = 1
		}
		if maxI < 0 {
			bad("MaxInstances", maxI, "MinInstances or more, or 0 for MinInstances")
		}
		if maxI == 0 {
			maxI = minI
		}
		if p.MaxInstances > 0 && minI > maxI {
			bad("MinInstances", minI, "at most MaxInstances (%d): min capacity above max", maxI)
		}
		if i := p.InitialInstances; i != 0 && (i < minI || i > maxI) {
			bad("InitialInstances", i, "between MinInstances and MaxInstances (%d..%d)", minI, maxI)
		}
		if v := p.InvocationsPerInstance; v < 0 {
			bad("InvocationsPerInstance", v, "a positive number of invocations a minute per instance, or 0 for %d", DefaultInvocationsPerInstance)
		}
		if p.MemorySizeMB != 0 || p.MaxConcurrency != 0 {
			bad("Mode", string(RealTime), "serverless when MemorySizeMB or MaxConcurrency is set (a real-time endpoint has instances)")
		}
	default:
		bad("Mode", string(p.Mode), "%q or %q", RealTime, Serverless)
	}
	if s := p.SamplingPercentage; s < 0 || s > 100 {
		bad("SamplingPercentage", s, "0 to 100 (percent of requests captured), or 0 for %d", DefaultSamplingPercentage)
	}
	if p.MLPrefix != "" {
		if _, err := datalake.NormalizePrefix(p.MLPrefix); err != nil {
			bad("MLPrefix", p.MLPrefix, "a key prefix inside the results bucket, such as %q", DefaultMLPrefix)
		}
	}
	if d := p.LogRetentionDays; d != 0 && !secure.IsLogRetention(d) {
		bad("LogRetentionDays", d, "a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 365, ... 3653 days), or 0 for 365")
	}
	for k := range p.Tags {
		if k == "" || len(k) > 128 {
			bad("Tags", k, "tag keys of 1 to 128 characters")
		}
	}
	if len(errs) > 0 {
		return validation.Join("", errs...)
	}
	return nil
}

// deployResolved are the props with defaults applied.
type deployResolved struct {
	DeploymentProps
}

func validateDeployment(path string, props *DeploymentProps) (*deployResolved, error) {
	if err := props.ValidateSettings(); err != nil {
		return nil, validation.Join(path, err)
	}
	var errs []error
	bad := validation.Collector(path, &errs)
	if props.Registry == nil {
		bad("DeploymentProps.Registry", validation.Raw("nil"), "the model registry whose approved versions are deployed (*ml.Domain)")
	}
	if props.Network == nil {
		bad("DeploymentProps.Network", validation.Raw("nil"), "the network whose private subnets hold real-time endpoints")
	} else if props.Mode == RealTime && privateSubnets(props.Network) == nil {
		bad("DeploymentProps.Network", validation.Raw("no private subnets"), "a network with private (not public) subnets for the endpoint")
	}
	if props.Lake == nil {
		bad("DeploymentProps.Lake", validation.Raw("nil"), "the data lake whose results bucket holds the models and captured data")
	} else if err := datalake.RequireBuckets("", "DeploymentProps.Lake", props.Lake, datalake.BucketResults); err != nil {
		errs = append(errs, err)
	}
	if props.Key == nil {
		bad("DeploymentProps.Key", validation.Raw("nil"), "the ML key that encrypts endpoints' storage volumes")
	}
	if len(errs) > 0 {
		return nil, validation.Join(path, errs...)
	}
	r := &deployResolved{DeploymentProps: *props}
	if r.Mode == "" {
		r.Mode = Serverless
	}
	if r.Mode == RealTime {
		if r.InstanceType == "" {
			r.InstanceType = DefaultInstanceType
		}
		if r.MinInstances == 0 {
			r.MinInstances = 1
		}
		if r.MaxInstances == 0 {
			r.MaxInstances = r.MinInstances
		}
		if r.InitialInstances == 0 {
			r.InitialInstances = r.MinInstances
		}
		if r.InvocationsPerInstance == 0 {
			r.InvocationsPerInstance = DefaultInvocationsPerInstance
		}
	} else {
		if r.MemorySizeMB == 0 {
			r.MemorySizeMB = DefaultServerlessMemoryMB
		}
		if r.MaxConcurrency == 0 {
			r.MaxConcurrency = DefaultServerlessConcurrency
		}
	}
	if r.SamplingPercentage == 0 {
		r.SamplingPercentage = DefaultSamplingPercentage
	}
	if r.MLPrefix == "" {
		r.MLPrefix = DefaultMLPrefix
	}
	r.MLPrefix, _ = datalake.NormalizePrefix(r.MLPrefix)
	if r.LogRetentionDays == 0 {
		r.LogRetentionDays = 365
	}
	return r, nil
}

// capture reports whether the endpoint captures data: real-time only.
func (r *deployResolved) capture() bool { return r.Mode == RealTime && !r.DisableDataCapture }

package pipelinedef

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// node is one shape of the schema: it checks a decoded JSON value.
type node interface {
	check(c *checker, at, step string, v any)
}

func (c *checker) value(at, step string, v any, n node) { n.check(c, at, step, v) }

// obj is an object with only the fields listed, the required ones present.
type obj struct {
	fields   map[string]node
	required []string
}

func (o obj) check(c *checker, at, step string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.bad(at, "is %s; accepted: an object", kind(v))
		return
	}
	allowed := sortedKeys(o.fields)
	c.fields(at, m, allowed, o.required)
	for _, k := range sortedKeys(m) {
		if f, ok := o.fields[k]; ok && f != nil {
			f.check(c, at+"."+k, step, m[k])
		}
	}
}

// arr is an array of item.
type arr struct{ item node }

func (a arr) check(c *checker, at, step string, v any) {
	list, ok := v.([]any)
	if !ok {
		c.bad(at, "is %s; accepted: an array", kind(v))
		return
	}
	for i, e := range list {
		a.item.check(c, fmt.Sprintf("%s[%d]", at, i), step, e)
	}
}

// arg is an argument value: a literal of its type, a Get, or (for
// strings) a Std:Join.
type arg ParameterType

const (
	str     = arg(String)
	integer = arg(Integer)
	boolean = arg(Boolean)
	number  = arg(Float)
)

func (a arg) check(c *checker, at, step string, v any) {
	if m, ok := v.(map[string]any); ok {
		switch {
		case len(m) == 1 && m["Get"] != nil:
			c.getRef(at, step, m["Get"])
			return
		case len(m) == 1 && m["Std:Join"] != nil && a == str:
			joinFunc.check(c, at+".Std:Join", step, m["Std:Join"])
			return
		}
		c.bad(at, "is %s; accepted: a %s, {\"Get\": ...}%s", show(v), ParameterType(a), map[bool]string{true: " or {\"Std:Join\": ...}"}[a == str])
		return
	}
	if !literalOf(ParameterType(a), v) {
		c.bad(at, "is %s; accepted: a %s or {\"Get\": ...}", show(v), ParameterType(a))
	}
}

func (c *checker) getRef(at, step string, g any) {
	s, ok := g.(string)
	if !ok || s == "" {
		c.bad(at+".Get", "is %s; accepted: a reference such as \"Parameters.Name\"", show(g))
		return
	}
	c.gets = append(c.gets, ref{at: at, from: step, target: s})
}

// lit is a literal of a type, no Get.
type lit ParameterType

func (l lit) check(c *checker, at, _ string, v any) {
	if !literalOf(ParameterType(l), v) {
		c.bad(at, "is %s; accepted: a %s", show(v), ParameterType(l))
	}
}

// enum is one of a list of strings, or a Get when get is set.
type enum struct {
	values []string
	get    bool
}

func (e enum) check(c *checker, at, step string, v any) {
	if m, ok := v.(map[string]any); ok && e.get && len(m) == 1 && m["Get"] != nil {
		c.getRef(at, step, m["Get"])
		return
	}
	if s, ok := v.(string); !ok || !slices.Contains(e.values, s) {
		c.bad(at, "is %s; accepted: %s", show(v), strings.Join(e.values, ", "))
	}
}

// strMap is an object of string arguments with any keys.
type strMap struct{}

func (strMap) check(c *checker, at, step string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.bad(at, "is %s; accepted: an object of strings", kind(v))
		return
	}
	for _, k := range sortedKeys(m) {
		str.check(c, at+"."+k, step, m[k])
	}
}

// nested are a Condition's branches, checked as steps by collect.
type nested struct{}

func (nested) check(*checker, string, string, any) {}

// joinFunc is Std:Join's argument.
var joinFunc = obj{fields: map[string]node{"On": lit(String), "Values": arr{joinValue{}}}, required: []string{"On", "Values"}}

type joinValue struct{}

func (joinValue) check(c *checker, at, step string, v any) {
	switch v.(type) {
	case string, json.Number, bool:
		return
	}
	if m, ok := v.(map[string]any); ok && len(m) == 1 && m["Get"] != nil {
		c.getRef(at, step, m["Get"])
		return
	}
	c.bad(at, "is %s; accepted: a string, number, boolean or {\"Get\": ...}", show(v))
}

// condValue is a value compared by a condition: an argument of any type
// or a Std:JsonGet on a property file.
type condValue struct{}

func (condValue) check(c *checker, at, step string, v any) {
	switch v.(type) {
	case string, json.Number, bool:
		return
	}
	m, ok := v.(map[string]any)
	switch {
	case ok && len(m) == 1 && m["Get"] != nil:
		c.getRef(at, step, m["Get"])
	case ok && len(m) == 1 && m["Std:JsonGet"] != nil:
		jsonGetFunc.check(c, at+".Std:JsonGet", step, m["Std:JsonGet"])
	case ok && len(m) == 1 && m["Std:Join"] != nil:
		joinFunc.check(c, at+".Std:Join", step, m["Std:Join"])
	default:
		c.bad(at, "is %s; accepted: a literal, {\"Get\": ...}, {\"Std:JsonGet\": ...} or {\"Std:Join\": ...}", show(v))
	}
}

var jsonGetFunc = obj{fields: map[string]node{"PropertyFile": propertyFileRef{}, "Path": nonEmpty{}}, required: []string{"PropertyFile", "Path"}}

// propertyFileRef is {"Get": "Steps.<step>.PropertyFiles.<file>"}.
type propertyFileRef struct{}

func (propertyFileRef) check(c *checker, at, step string, v any) {
	m, ok := v.(map[string]any)
	s, _ := m["Get"].(string)
	if !ok || len(m) != 1 || !strings.HasPrefix(s, "Steps.") || !strings.Contains(s, ".PropertyFiles.") {
		c.bad(at, "is %s; accepted: {\"Get\": \"Steps.<step>.PropertyFiles.<file>\"}", show(v))
		return
	}
	c.getRef(at, step, s)
}

type nonEmpty struct{}

func (nonEmpty) check(c *checker, at, _ string, v any) {
	if s, ok := v.(string); !ok || s == "" {
		c.bad(at, "is %s; accepted: a non-empty string", show(v))
	}
}

// condition is one of a Condition step's conditions.
type condition struct{ inOr bool }

var binaryTypes = []string{"Equals", "NotEquals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo"}

func (cd condition) check(c *checker, at, step string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.bad(at, "is %s; accepted: a condition object", kind(v))
		return
	}
	t, _ := m["Type"].(string)
	switch {
	case slices.Contains(binaryTypes, t):
		obj{fields: map[string]node{"Type": nil, "LeftValue": condValue{}, "RightValue": condValue{}}, required: []string{"Type", "LeftValue", "RightValue"}}.check(c, at, step, v)
	case t == "In" || t == "NotIn":
		obj{fields: map[string]node{"Type": nil, "Value": condValue{}, "In": arr{condValue{}}}, required: []string{"Type", "Value", "In"}}.check(c, at, step, v)
	case t == "Or" && !cd.inOr:
		obj{fields: map[string]node{"Type": nil, "Conditions": arr{condition{inOr: true}}}, required: []string{"Type", "Conditions"}}.check(c, at, step, v)
	default:
		accepted := append(slices.Clone(binaryTypes), "In", "NotIn")
		if !cd.inOr {
			accepted = append(accepted, "Or")
		}
		c.bad(at+".Type", "is %s; accepted: %s", show(m["Type"]), strings.Join(accepted, ", "))
	}
}

func o(required []string, fields map[string]node) obj { return obj{fields: fields, required: required} }

var (
	tag  = o([]string{"Key", "Value"}, map[string]node{"Key": str, "Value": str})
	vpc  = o([]string{"SecurityGroupIds", "Subnets"}, map[string]node{"SecurityGroupIds": arr{str}, "Subnets": arr{str}})
	tags = arr{tag}

	retryPolicy = o([]string{"ExceptionType"}, map[string]node{
		"ExceptionType":   enum{values: []string{"Step.SERVICE_FAULT", "Step.THROTTLING", "SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR", "SageMaker.RESOURCE_LIMIT", "Emr.RESOURCE_LIMIT"}},
		"IntervalSeconds": lit(Integer), "BackoffRate": lit(Float), "ExpireAfterMin": lit(Integer), "MaxAttempts": lit(Integer),
	})

	propertyFile = o([]string{"PropertyFileName", "OutputName", "FilePath"}, map[string]node{
		"PropertyFileName": nameLit{}, "OutputName": nonEmpty{}, "FilePath": nonEmpty{},
	})

	processingArgs = o([]string{"AppSpecification", "ProcessingResources", "RoleArn"}, map[string]node{
		"AppSpecification": o([]string{"ImageUri"}, map[string]node{"ImageUri": str, "ContainerEntrypoint": arr{str}, "ContainerArguments": arr{str}}),
		"Environment":      strMap{},
		"ExperimentConfig": o(nil, map[string]node{"ExperimentName": str, "TrialComponentDisplayName": str, "TrialName": str}),
		"NetworkConfig": o(nil, map[string]node{
			"EnableInterContainerTrafficEncryption": boolean, "EnableNetworkIsolation": boolean, "VpcConfig": vpc,
		}),
		"ProcessingInputs": arr{o([]string{"InputName", "S3Input"}, map[string]node{
			"InputName": str,
			"S3Input": o([]string{"S3Uri", "S3DataType"}, map[string]node{
				"LocalPath": str, "S3CompressionType": str, "S3DataDistributionType": str, "S3DataType": str, "S3InputMode": str, "S3Uri": str,
			}),
		})},
		"ProcessingOutputConfig": o([]string{"Outputs"}, map[string]node{
			"KmsKeyId": str,
			"Outputs": arr{o([]string{"OutputName", "S3Output"}, map[string]node{
				"OutputName": str,
				"S3Output":   o([]string{"S3Uri", "S3UploadMode"}, map[string]node{"LocalPath": str, "S3UploadMode": str, "S3Uri": str}),
			})},
		}),
		"ProcessingResources": o([]string{"ClusterConfig"}, map[string]node{
			"ClusterConfig": o([]string{"InstanceCount", "InstanceType", "VolumeSizeInGB"}, map[string]node{
				"InstanceCount": integer, "InstanceType": str, "VolumeKmsKeyId": str, "VolumeSizeInGB": integer,
			}),
		}),
		"RoleArn":           str,
		"StoppingCondition": o([]string{"MaxRuntimeInSeconds"}, map[string]node{"MaxRuntimeInSeconds": integer}),
		"Tags":              tags,
	})

	trainingArgs = o([]string{"AlgorithmSpecification", "OutputDataConfig", "ResourceConfig", "RoleArn", "StoppingCondition"}, map[string]node{
		"AlgorithmSpecification": o([]string{"TrainingInputMode"}, map[string]node{
			"AlgorithmName": str, "EnableSageMakerMetricsTimeSeries": boolean, "TrainingImage": str, "TrainingInputMode": str,
			"MetricDefinitions": arr{o([]string{"Name", "Regex"}, map[string]node{"Name": str, "Regex": str})},
		}),
		"CheckpointConfig": o([]string{"S3Uri"}, map[string]node{"LocalPath": str, "S3Uri": str}),
		"DebugHookConfig": o(nil, map[string]node{
			"CollectionConfigurations": arr{o(nil, map[string]node{"CollectionName": str, "CollectionParameters": strMap{}})},
			"HookParameters":           strMap{}, "LocalPath": str, "S3OutputPath": str,
		}),
		"DebugRuleConfigurations": arr{o(nil, map[string]node{
			"InstanceType": str, "LocalPath": str, "RuleConfigurationName": str, "RuleEvaluatorImage": str,
			"RuleParameters": strMap{}, "S3OutputPath": str, "VolumeSizeInGB": integer,
		})},
		"EnableInterContainerTrafficEncryption": boolean,
		"EnableManagedSpotTraining":             boolean,
		"EnableNetworkIsolation":                boolean,
		"HyperParameters":                       strMap{},
		"InputDataConfig": arr{o([]string{"ChannelName", "DataSource"}, map[string]node{
			"ChannelName": str, "CompressionType": str, "ContentType": str, "InputMode": str, "RecordWrapperType": str,
			"DataSource": o(nil, map[string]node{
				"FileSystemDataSource": o(nil, map[string]node{"DirectoryPath": str, "FileSystemAccessMode": str, "FileSystemId": str, "FileSystemType": str}),
				"S3DataSource":         o([]string{"S3DataType", "S3Uri"}, map[string]node{"AttributeNames": arr{str}, "S3DataDistributionType": str, "S3DataType": str, "S3Uri": str}),
			}),
			"ShuffleConfig": o([]string{"Seed"}, map[string]node{"Seed": integer}),
		})},
		"OutputDataConfig": o([]string{"S3OutputPath"}, map[string]node{"KmsKeyId": str, "S3OutputPath": str}),
		"ResourceConfig": o([]string{"VolumeSizeInGB"}, map[string]node{
			"InstanceCount": integer, "InstanceType": str, "VolumeKmsKeyId": str, "VolumeSizeInGB": integer,
		}),
		"RoleArn":                 str,
		"StoppingCondition":       o(nil, map[string]node{"MaxRuntimeInSeconds": integer, "MaxWaitTimeInSeconds": integer}),
		"Tags":                    tags,
		"TensorBoardOutputConfig": o([]string{"S3OutputPath"}, map[string]node{"LocalPath": str, "S3OutputPath": str}),
		"VpcConfig":               vpc,
	})

	metricsSource = o([]string{"ContentType", "S3Uri"}, map[string]node{"ContentType": str, "ContentDigest": str, "S3Uri": str})

	registerArgs = o([]string{"InferenceSpecification", "ModelPackageGroupName"}, map[string]node{
		"CertifyForMarketplace": boolean,
		"InferenceSpecification": o([]string{"Containers"}, map[string]node{
			"Containers": arr{o([]string{"Image"}, map[string]node{
				"ContainerHostname": str, "Image": str, "ImageDigest": str, "ModelDataUrl": str, "ProductId": str,
			})},
			"SupportedContentTypes":                   arr{str},
			"SupportedRealtimeInferenceInstanceTypes": arr{str},
			"SupportedResponseMIMETypes":              arr{str},
			"SupportedTransformInstanceTypes":         arr{str},
		}),
		"ModelApprovalStatus":     enum{values: []string{"Approved", "Rejected", "PendingManualApproval"}, get: true},
		"ModelPackageDescription": str,
		"ModelPackageGroupName":   str,
		"ModelMetrics": o(nil, map[string]node{
			"ModelQuality":     o(nil, map[string]node{"Statistics": metricsSource, "Constraints": metricsSource}),
			"ModelDataQuality": o(nil, map[string]node{"Statistics": metricsSource, "Constraints": metricsSource}),
			"Bias":             o(nil, map[string]node{"Report": metricsSource}),
			"Explainability":   o(nil, map[string]node{"Report": metricsSource}),
		}),
	})

	failArgs = o(nil, map[string]node{"ErrorMessage": str})

	conditionArgs = o([]string{"Conditions"}, map[string]node{
		"Conditions": arr{condition{}},
		"IfSteps":    nested{},
		"ElseSteps":  nested{},
	})
)

// nameLit is a literal name: 1 to 64 letters, digits, '-' and '_'.
type nameLit struct{}

func (nameLit) check(c *checker, at, _ string, v any) {
	if s, ok := v.(string); !ok || !nameRE.MatchString(s) {
		c.bad(at, "is %s; accepted: 1 to 64 letters, digits, '-' or '_'", show(v))
	}
}

package pipelinedef

// The arguments of the steps ModelBuilding writes: the SageMaker API's
// requests (CreateProcessingJob, CreateTrainingJob, CreateModelPackage)
// without the job's name, which the pipeline gives. Fields holding `any`
// take a literal or a run-time value (Get, JoinFunc).

// Tag is a cost-allocation tag of a job.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// VpcConfig places a job's network interfaces.
type VpcConfig struct {
	SecurityGroupIds []string `json:"SecurityGroupIds"`
	Subnets          []string `json:"Subnets"`
}

// ProcessingArgs are a Processing step's arguments.
type ProcessingArgs struct {
	AppSpecification       AppSpecification       `json:"AppSpecification"`
	Environment            map[string]any         `json:"Environment,omitempty"`
	NetworkConfig          NetworkConfig          `json:"NetworkConfig"`
	ProcessingInputs       []ProcessingInput      `json:"ProcessingInputs"`
	ProcessingOutputConfig ProcessingOutputConfig `json:"ProcessingOutputConfig"`
	ProcessingResources    ProcessingResources    `json:"ProcessingResources"`
	RoleArn                string                 `json:"RoleArn"`
	StoppingCondition      ProcessingStopping     `json:"StoppingCondition"`
	Tags                   []Tag                  `json:"Tags,omitempty"`
}

// AppSpecification is the container a processing job runs.
type AppSpecification struct {
	ImageUri            string   `json:"ImageUri"`
	ContainerEntrypoint []string `json:"ContainerEntrypoint,omitempty"`
	ContainerArguments  []string `json:"ContainerArguments,omitempty"`
}

// NetworkConfig of a processing job.
type NetworkConfig struct {
	EnableInterContainerTrafficEncryption bool      `json:"EnableInterContainerTrafficEncryption"`
	EnableNetworkIsolation                bool      `json:"EnableNetworkIsolation"`
	VpcConfig                             VpcConfig `json:"VpcConfig"`
}

// ProcessingInput is one input a processing job downloads.
type ProcessingInput struct {
	InputName string  `json:"InputName"`
	S3Input   S3Input `json:"S3Input"`
}

// S3Input is where an input comes from and where the job finds it.
type S3Input struct {
	LocalPath              string `json:"LocalPath"`
	S3DataDistributionType string `json:"S3DataDistributionType"`
	S3DataType             string `json:"S3DataType"`
	S3InputMode            string `json:"S3InputMode"`
	S3Uri                  any    `json:"S3Uri"`
}

// ProcessingOutputConfig lists the outputs and their key.
type ProcessingOutputConfig struct {
	KmsKeyId string             `json:"KmsKeyId,omitempty"`
	Outputs  []ProcessingOutput `json:"Outputs"`
}

// ProcessingOutput is one directory a processing job uploads.
type ProcessingOutput struct {
	OutputName string   `json:"OutputName"`
	S3Output   S3Output `json:"S3Output"`
}

// S3Output is where an output goes.
type S3Output struct {
	LocalPath    string `json:"LocalPath"`
	S3UploadMode string `json:"S3UploadMode"`
	S3Uri        any    `json:"S3Uri"`
}

// ProcessingResources are a processing job's instances.
type ProcessingResources struct {
	ClusterConfig ClusterConfig `json:"ClusterConfig"`
}

// ClusterConfig sizes a processing job.
type ClusterConfig struct {
	InstanceCount  int    `json:"InstanceCount"`
	InstanceType   string `json:"InstanceType"`
	VolumeKmsKeyId string `json:"VolumeKmsKeyId,omitempty"`
	VolumeSizeInGB int    `json:"VolumeSizeInGB"`
}

// ProcessingStopping bounds a processing job's run time.
type ProcessingStopping struct {
	MaxRuntimeInSeconds int `json:"MaxRuntimeInSeconds"`
}

// TrainingArgs are a Training step's arguments.
type TrainingArgs struct {
	AlgorithmSpecification                AlgorithmSpecification `json:"AlgorithmSpecification"`
	CheckpointConfig                      *CheckpointConfig      `json:"CheckpointConfig,omitempty"`
	EnableInterContainerTrafficEncryption bool                   `json:"EnableInterContainerTrafficEncryption"`
	EnableManagedSpotTraining             bool                   `json:"EnableManagedSpotTraining"`
	EnableNetworkIsolation                bool                   `json:"EnableNetworkIsolation"`
	HyperParameters                       map[string]string      `json:"HyperParameters,omitempty"`
	InputDataConfig                       []Channel              `json:"InputDataConfig"`
	OutputDataConfig                      OutputDataConfig       `json:"OutputDataConfig"`
	ResourceConfig                        ResourceConfig         `json:"ResourceConfig"`
	RoleArn                               string                 `json:"RoleArn"`
	StoppingCondition                     TrainingStopping       `json:"StoppingCondition"`
	Tags                                  []Tag                  `json:"Tags,omitempty"`
	VpcConfig                             VpcConfig              `json:"VpcConfig"`
}

// AlgorithmSpecification is the training image.
type AlgorithmSpecification struct {
	TrainingImage     string `json:"TrainingImage"`
	TrainingInputMode string `json:"TrainingInputMode"`
}

// CheckpointConfig is where a training job keeps checkpoints (a spot job
// resumes from them).
type CheckpointConfig struct {
	LocalPath string `json:"LocalPath"`
	S3Uri     any    `json:"S3Uri"`
}

// Channel is one training input.
type Channel struct {
	ChannelName string     `json:"ChannelName"`
	ContentType string     `json:"ContentType,omitempty"`
	DataSource  DataSource `json:"DataSource"`
}

// DataSource of a channel.
type DataSource struct {
	S3DataSource S3DataSource `json:"S3DataSource"`
}

// S3DataSource is a channel's S3 location.
type S3DataSource struct {
	S3DataDistributionType string `json:"S3DataDistributionType"`
	S3DataType             string `json:"S3DataType"`
	S3Uri                  any    `json:"S3Uri"`
}

// OutputDataConfig is where the model artifacts go and their key.
type OutputDataConfig struct {
	KmsKeyId     string `json:"KmsKeyId,omitempty"`
	S3OutputPath any    `json:"S3OutputPath"`
}

// ResourceConfig sizes a training job.
type ResourceConfig struct {
	InstanceCount  int    `json:"InstanceCount"`
	InstanceType   string `json:"InstanceType"`
	VolumeKmsKeyId string `json:"VolumeKmsKeyId,omitempty"`
	VolumeSizeInGB int    `json:"VolumeSizeInGB"`
}

// TrainingStopping bounds a training job's run time and, with spot
// training, its wait for capacity too.
type TrainingStopping struct {
	MaxRuntimeInSeconds  int `json:"MaxRuntimeInSeconds"`
	MaxWaitTimeInSeconds int `json:"MaxWaitTimeInSeconds,omitempty"`
}

// ConditionArgs are a Condition step's arguments: the steps of IfSteps
// run when every condition holds, those of ElseSteps otherwise.
type ConditionArgs struct {
	Conditions []Comparison `json:"Conditions"`
	IfSteps    []Step       `json:"IfSteps"`
	ElseSteps  []Step       `json:"ElseSteps"`
}

// Comparison is a binary condition.
type Comparison struct {
	Type       string `json:"Type"`
	LeftValue  any    `json:"LeftValue"`
	RightValue any    `json:"RightValue"`
}

// Comparisons a Condition step accepts between two values.
var Comparisons = []string{"Equals", "NotEquals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo"}

// RegisterModelArgs are a RegisterModel step's arguments.
type RegisterModelArgs struct {
	InferenceSpecification  InferenceSpecification `json:"InferenceSpecification"`
	ModelApprovalStatus     string                 `json:"ModelApprovalStatus"`
	ModelMetrics            ModelMetrics           `json:"ModelMetrics"`
	ModelPackageDescription string                 `json:"ModelPackageDescription,omitempty"`
	ModelPackageGroupName   string                 `json:"ModelPackageGroupName"`
}

// InferenceSpecification is the container a registered model runs in.
type InferenceSpecification struct {
	Containers                 []InferenceContainer `json:"Containers"`
	SupportedContentTypes      []string             `json:"SupportedContentTypes"`
	SupportedResponseMIMETypes []string             `json:"SupportedResponseMIMETypes"`
}

// InferenceContainer is an image and the model artifacts it loads.
type InferenceContainer struct {
	Image        string `json:"Image"`
	ModelDataUrl any    `json:"ModelDataUrl"`
}

// ModelMetrics point at the evaluation report.
type ModelMetrics struct {
	ModelQuality ModelQuality `json:"ModelQuality"`
}

// ModelQuality holds the report's statistics.
type ModelQuality struct {
	Statistics MetricsSource `json:"Statistics"`
}

// MetricsSource is a metrics file in S3.
type MetricsSource struct {
	ContentType string `json:"ContentType"`
	S3Uri       any    `json:"S3Uri"`
}

// FailArgs are a Fail step's arguments.
type FailArgs struct {
	ErrorMessage any `json:"ErrorMessage"`
}

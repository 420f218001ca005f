package pipelinedef

import "strings"

// Step, parameter, input and output names of the model-building pipeline.
// They are API: executions, the console and docs/ML.md name them.
const (
	StepFeatures = "Features"
	StepTrain    = "Train"
	StepEvaluate = "Evaluate"
	StepCheck    = "CheckMetric"
	StepRegister = "Register"
	StepFail     = "MetricBelowThreshold"

	ParamCuratedInput      = "CuratedInput"
	ParamQueryResultsInput = "QueryResultsInput"
	ParamFeatureCode       = "FeatureCode"
	ParamEvaluationCode    = "EvaluationCode"
	ParamMetricThreshold   = "MetricThreshold"

	// ReportFile is the evaluation report the evaluation code writes to
	// its "evaluation" output, and ReportPropertyFile its property file.
	ReportFile         = "evaluation.json"
	ReportPropertyFile = "EvaluationReport"

	// CodeEntry is the file the processing jobs run from their code
	// prefix: python3 <code prefix>/main.py.
	CodeEntry = "main.py"
)

// Local paths inside the processing containers.
const (
	LocalCode         = "/opt/ml/processing/input/code"
	LocalCurated      = "/opt/ml/processing/input/curated"
	LocalQueryResults = "/opt/ml/processing/input/query-results"
	LocalModel        = "/opt/ml/processing/input/model"
	LocalTest         = "/opt/ml/processing/input/test"
	LocalTrainOut     = "/opt/ml/processing/output/train"
	LocalTestOut      = "/opt/ml/processing/output/test"
	LocalEvaluation   = "/opt/ml/processing/output/evaluation"
	LocalCheckpoints  = "/opt/ml/checkpoints"
)

// Job sizes a processing or training job.
type Job struct {
	// Image is the container image URI (ECR).
	Image string
	// InstanceType such as ml.m5.xlarge, InstanceCount instances of it.
	InstanceType  string
	InstanceCount int
	// VolumeSizeGB is each instance's storage volume.
	VolumeSizeGB int
	// MaxRuntimeSeconds stops the job after this long.
	MaxRuntimeSeconds int
}

// Spec is what ModelBuilding needs: locations as s3:// URIs without a
// trailing "/" (bucket names may be CloudFormation tokens), roles, keys and
// the network as ARNs and ids, job sizes, and the metric the condition
// checks.
type Spec struct {
	// CuratedURI and QueryResultsURI are the defaults of the
	// CuratedInput and QueryResultsInput parameters: what feature
	// engineering reads.
	CuratedURI, QueryResultsURI string
	// FeatureCodeURI and EvaluationCodeURI are the defaults of the
	// FeatureCode and EvaluationCode parameters: prefixes holding main.py.
	FeatureCodeURI, EvaluationCodeURI string
	// FeaturesURI, ModelsURI, CheckpointsURI and EvaluationURI are where
	// the jobs write; each run writes under its execution id (training
	// jobs under their own job name).
	FeaturesURI, ModelsURI, CheckpointsURI, EvaluationURI string
	// ProcessingRoleArn runs feature engineering and evaluation,
	// TrainingRoleArn the training job.
	ProcessingRoleArn, TrainingRoleArn string
	// OutputKeyArn encrypts what the jobs write to S3 (the results
	// bucket's key); "" for SSE-S3.
	OutputKeyArn string
	// VolumeKeyArn encrypts the jobs' storage volumes.
	VolumeKeyArn string
	// Subnets and SecurityGroupID place every job.
	Subnets         []string
	SecurityGroupID string
	// Processing sizes feature engineering and evaluation; Training the
	// training job.
	Processing, Training Job
	// Spot runs training on spot capacity, waiting at most
	// MaxWaitSeconds (>= Training.MaxRuntimeSeconds) in all.
	Spot           bool
	MaxWaitSeconds int
	// HyperParameters are the training job's (the image's algorithm
	// settings, such as XGBoost's num_round).
	HyperParameters map[string]string
	// InferenceImage is the image the registered model runs in.
	InferenceImage string
	// ContentType is what the model takes and returns (text/csv, ...).
	ContentType string
	// Metric is the path of the metric in the evaluation report
	// ("metrics.auc.value"), Comparison one of Comparisons, Threshold the
	// default of the MetricThreshold parameter.
	Metric     string
	Comparison string
	Threshold  float64
	// ModelPackageGroupName is the registry's group.
	ModelPackageGroupName string
	// Tags go on every job the pipeline starts, in this order.
	Tags []Tag
}

// ModelBuilding returns the model-building pipeline of s: Features
// (Processing) → Train → Evaluate (Processing) → CheckMetric (Condition)
// → Register (pending manual approval) or MetricBelowThreshold (Fail).
func ModelBuilding(s Spec) *Definition {
	exec := ExecutionID()
	vpc := VpcConfig{SecurityGroupIds: []string{s.SecurityGroupID}, Subnets: s.Subnets}
	network := NetworkConfig{EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: true, VpcConfig: vpc}
	input := func(name string, uri any, local string) ProcessingInput {
		return ProcessingInput{InputName: name, S3Input: S3Input{
			LocalPath: local, S3DataDistributionType: "FullyReplicated", S3DataType: "S3Prefix", S3InputMode: "File", S3Uri: uri,
		}}
	}
	output := func(name, local string, uri any) ProcessingOutput {
		return ProcessingOutput{OutputName: name, S3Output: S3Output{LocalPath: local, S3UploadMode: "EndOfJob", S3Uri: uri}}
	}
	processing := func(inputs []ProcessingInput, outputs []ProcessingOutput) ProcessingArgs {
		return ProcessingArgs{
			AppSpecification: AppSpecification{
				ImageUri:            s.Processing.Image,
				ContainerEntrypoint: []string{"python3", LocalCode + "/" + CodeEntry},
			},
			NetworkConfig:          network,
			ProcessingInputs:       inputs,
			ProcessingOutputConfig: ProcessingOutputConfig{KmsKeyId: s.OutputKeyArn, Outputs: outputs},
			ProcessingResources: ProcessingResources{ClusterConfig: ClusterConfig{
				InstanceCount: s.Processing.InstanceCount, InstanceType: s.Processing.InstanceType,
				VolumeKmsKeyId: s.VolumeKeyArn, VolumeSizeInGB: s.Processing.VolumeSizeGB,
			}},
			RoleArn:           s.ProcessingRoleArn,
			StoppingCondition: ProcessingStopping{MaxRuntimeInSeconds: s.Processing.MaxRuntimeSeconds},
			Tags:              s.Tags,
		}
	}

	featureStep := Step{
		Name:        StepFeatures,
		Type:        Processing,
		Description: "Feature engineering: curated data and Athena query results to train and test features",
		Arguments: processing(
			[]ProcessingInput{
				input("code", Param(ParamFeatureCode), LocalCode),
				input("curated", Param(ParamCuratedInput), LocalCurated),
				input("query-results", Param(ParamQueryResultsInput), LocalQueryResults),
			},
			[]ProcessingOutput{
				output("train", LocalTrainOut, Join("/", s.FeaturesURI, exec, "train")),
				output("test", LocalTestOut, Join("/", s.FeaturesURI, exec, "test")),
			}),
	}

	train := TrainingArgs{
		AlgorithmSpecification:                AlgorithmSpecification{TrainingImage: s.Training.Image, TrainingInputMode: "File"},
		EnableInterContainerTrafficEncryption: true,
		EnableManagedSpotTraining:             s.Spot,
		EnableNetworkIsolation:                true,
		HyperParameters:                       s.HyperParameters,
		InputDataConfig: []Channel{{ChannelName: "train", ContentType: s.ContentType, DataSource: DataSource{S3DataSource: S3DataSource{
			S3DataDistributionType: "FullyReplicated", S3DataType: "S3Prefix",
			S3Uri: Prop(StepFeatures, "ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"),
		}}}},
		OutputDataConfig: OutputDataConfig{KmsKeyId: s.OutputKeyArn, S3OutputPath: s.ModelsURI},
		ResourceConfig: ResourceConfig{
			InstanceCount: s.Training.InstanceCount, InstanceType: s.Training.InstanceType,
			VolumeKmsKeyId: s.VolumeKeyArn, VolumeSizeInGB: s.Training.VolumeSizeGB,
		},
		RoleArn:           s.TrainingRoleArn,
		StoppingCondition: TrainingStopping{MaxRuntimeInSeconds: s.Training.MaxRuntimeSeconds},
		Tags:              s.Tags,
		VpcConfig:         vpc,
	}
	if s.Spot {
		train.StoppingCondition.MaxWaitTimeInSeconds = s.MaxWaitSeconds
		train.CheckpointConfig = &CheckpointConfig{LocalPath: LocalCheckpoints, S3Uri: Join("/", s.CheckpointsURI, exec)}
	}
	trainStep := Step{Name: StepTrain, Type: Training, Description: "Training on the train features", Arguments: train}

	evaluation := Join("/", s.EvaluationURI, exec)
	evalStep := Step{
		Name:        StepEvaluate,
		Type:        Processing,
		Description: "Evaluation of the model on the test features: writes " + ReportFile,
		Arguments: processing(
			[]ProcessingInput{
				input("code", Param(ParamEvaluationCode), LocalCode),
				input("model", Prop(StepTrain, "ModelArtifacts.S3ModelArtifacts"), LocalModel),
				input("test", Prop(StepFeatures, "ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"), LocalTest),
			},
			[]ProcessingOutput{output("evaluation", LocalEvaluation, evaluation)}),
		PropertyFiles: []PropertyFile{{PropertyFileName: ReportPropertyFile, OutputName: "evaluation", FilePath: ReportFile}},
	}

	register := Step{
		Name:        StepRegister,
		Type:        RegisterModel,
		Description: "Registration in " + s.ModelPackageGroupName + ", pending manual approval",
		Arguments: RegisterModelArgs{
			InferenceSpecification: InferenceSpecification{
				Containers:                 []InferenceContainer{{Image: s.InferenceImage, ModelDataUrl: Prop(StepTrain, "ModelArtifacts.S3ModelArtifacts")}},
				SupportedContentTypes:      []string{s.ContentType},
				SupportedResponseMIMETypes: []string{s.ContentType},
			},
			ModelApprovalStatus: "PendingManualApproval",
			ModelMetrics: ModelMetrics{ModelQuality: ModelQuality{Statistics: MetricsSource{
				ContentType: "application/json",
				S3Uri:       Join("/", Prop(StepEvaluate, "ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"), ReportFile),
			}}},
			ModelPackageGroupName: s.ModelPackageGroupName,
		},
	}
	fail := Step{
		Name: StepFail,
		Type: Fail,
		Arguments: FailArgs{ErrorMessage: Join(" ",
			"The evaluation metric", s.Metric, "of", ReportFile, "is not", comparisonWords(s.Comparison),
			"the MetricThreshold", Param(ParamMetricThreshold), "; the model was not registered.")},
	}
	check := Step{
		Name:        StepCheck,
		Type:        Condition,
		Description: "Registers the model when " + s.Metric + " of the evaluation report is " + comparisonWords(s.Comparison) + " MetricThreshold",
		Arguments: ConditionArgs{
			Conditions: []Comparison{{
				Type:       s.Comparison,
				LeftValue:  JSONGet(StepEvaluate, ReportPropertyFile, s.Metric),
				RightValue: Param(ParamMetricThreshold),
			}},
			IfSteps:   []Step{register},
			ElseSteps: []Step{fail},
		},
	}

	return &Definition{
		Version: Version,
		Parameters: []Parameter{
			{Name: ParamCuratedInput, Type: String, DefaultValue: s.CuratedURI},
			{Name: ParamQueryResultsInput, Type: String, DefaultValue: s.QueryResultsURI},
			{Name: ParamFeatureCode, Type: String, DefaultValue: s.FeatureCodeURI},
			{Name: ParamEvaluationCode, Type: String, DefaultValue: s.EvaluationCodeURI},
			{Name: ParamMetricThreshold, Type: Float, DefaultValue: s.Threshold},
		},
		Steps: []Step{featureStep, trainStep, evalStep, check},
	}
}

// comparisonWords says a comparison in words: "greater than or equal to".
func comparisonWords(c string) string {
	var b strings.Builder
	for i, r := range c {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}

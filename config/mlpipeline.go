package config

import (
	"errors"
	"strings"
	"time"

	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/constructs/validation"
)

// MLPipeline is the model-building pipeline (ml.pipeline): feature
// engineering, training, evaluation and registration in the domain's
// model registry. The pipeline bills nothing while idle; each run bills
// its jobs' instance time (docs/ML.md gives figures).
type MLPipeline struct {
	// CuratedPrefix is what feature engineering reads of the curated
	// bucket by default (a run may give another). Default: "" (all).
	CuratedPrefix string `yaml:"curatedPrefix"`
	// Processing sizes feature engineering and evaluation.
	Processing MLJob `yaml:"processing"`
	// Training sizes training.
	Training MLTraining `yaml:"training"`
	// InferenceImage is the image registered models run in (ECR URI).
	// Default: training.image.
	InferenceImage string `yaml:"inferenceImage"`
	// ContentType the model takes and returns. Default: text/csv.
	ContentType string `yaml:"contentType"`
	// Metric decides registration.
	Metric MLMetric `yaml:"metric"`
}

// MLJob sizes a processing or training job.
type MLJob struct {
	// Image is an ECR image URI. Required.
	Image string `yaml:"image"`
	// InstanceType such as ml.m5.large. Default: ml.m5.large
	// (processing), ml.m5.xlarge (training).
	InstanceType string `yaml:"instanceType"`
	// InstanceCount: 1 to 100. Default: 1.
	InstanceCount int `yaml:"instanceCount"`
	// VolumeSizeGB: 1 to 16384. Default: 30.
	VolumeSizeGB int `yaml:"volumeSizeGB"`
	// MaxRuntimeMinutes stops the job after this long (processing at
	// most 7 days, training 28). Default: 60.
	MaxRuntimeMinutes int `yaml:"maxRuntimeMinutes"`
}

// MLTraining is the training job: the fields of MLJob (the strict
// decoder reads no inline structs), spot and its wait.
type MLTraining struct {
	// Image is an ECR image URI. Required.
	Image string `yaml:"image"`
	// InstanceType. Default: ml.m5.xlarge.
	InstanceType string `yaml:"instanceType"`
	// InstanceCount: 1 to 100. Default: 1.
	InstanceCount int `yaml:"instanceCount"`
	// VolumeSizeGB: 1 to 16384. Default: 30.
	VolumeSizeGB int `yaml:"volumeSizeGB"`
	// MaxRuntimeMinutes: at most 28 days. Default: 60.
	MaxRuntimeMinutes int `yaml:"maxRuntimeMinutes"`
	// Spot trains on managed spot capacity. Default: false.
	Spot bool `yaml:"spot"`
	// HyperParameters of the image's algorithm, as strings
	// ({num_round: "100"}). Default: none.
	HyperParameters map[string]string `yaml:"hyperParameters"`
	// MaxWaitMinutes bounds a spot job, waiting included: required with
	// spot, at least maxRuntimeMinutes. Default: none.
	MaxWaitMinutes int `yaml:"maxWaitMinutes"`
}

// MLMetric is the condition on the evaluation report.
type MLMetric struct {
	// Path of the metric in evaluation.json ("metrics.auc.value").
	// Required.
	Path string `yaml:"path"`
	// Comparison of the metric with the threshold. Default:
	// GreaterThanOrEqualTo.
	Comparison string `yaml:"comparison"`
	// Threshold the metric is compared with. Default: 0.
	Threshold float64 `yaml:"threshold"`
}

// Props returns the pipeline construct's props (without the network, the
// lake, the registry and the key, which the stack wires): pipeline
// biolake-<env>-models, the environment's cost tags on every job.
func (m *MLPipeline) Props(e *Environment) *ml.PipelineProps {
	job := func(j MLJob) ml.PipelineJob {
		return ml.PipelineJob{
			Image: j.Image, InstanceType: j.InstanceType, InstanceCount: j.InstanceCount,
			VolumeSizeGB: j.VolumeSizeGB, MaxRuntime: time.Duration(j.MaxRuntimeMinutes) * time.Minute,
		}
	}
	p := &ml.PipelineProps{
		PipelineName:  "biolake-" + e.Name + "-model-building",
		CuratedPrefix: m.CuratedPrefix,
		Processing:    job(m.Processing),
		Training: ml.PipelineTraining{PipelineJob: job(MLJob{Image: m.Training.Image, InstanceType: m.Training.InstanceType, InstanceCount: m.Training.InstanceCount,
			VolumeSizeGB: m.Training.VolumeSizeGB, MaxRuntimeMinutes: m.Training.MaxRuntimeMinutes}), Spot: m.Training.Spot, HyperParameters: m.Training.HyperParameters, MaxWait: time.Duration(m.Training.MaxWaitMinutes) * time.Minute},
		InferenceImage: m.InferenceImage,
		ContentType:    m.ContentType,
		Metric:         ml.MetricCondition{Path: m.Metric.Path, Comparison: m.Metric.Comparison, Threshold: m.Metric.Threshold},
		JobTags:        []ml.JobTag{{Key: "project", Value: e.Tags.Project}, {Key: "environment", Value: e.Name}, {Key: "owner", Value: e.Tags.Owner}},
	}
	if e.Tags.CostCenter != "" {
		p.JobTags = append(p.JobTags, ml.JobTag{Key: "cost-center", Value: e.Tags.CostCenter})
	}
	return p
}

// pipelineFields maps the construct's fields to their YAML paths.
var pipelineFields = map[string]string{
	"CuratedPrefix":  "curatedPrefix",
	"InferenceImage": "inferenceImage",
	"ContentType":    "contentType",
	"PipelineName":   "",
	"JobTags":        "",
	"Metric":         "metric",
	"Processing":     "processing",
	"Training":       "training",
}

var pipelineSubfields = map[string]string{
	"Image": "image", "InstanceType": "instanceType", "InstanceCount": "instanceCount", "VolumeSizeGB": "volumeSizeGB",
	"MaxRuntime": "maxRuntimeMinutes", "MaxWait": "maxWaitMinutes", "HyperParameters": "hyperParameters", "Path": "path", "Comparison": "comparison", "Threshold": "threshold",
}

// yamlPath is the YAML path under ml.pipeline of a construct field
// ("Props.Training.MaxWait" -> "ml.pipeline.training.maxWaitMinutes").
func yamlPath(field string) string {
	f := strings.TrimPrefix(field, "Props.")
	head, rest, _ := strings.Cut(f, ".")
	path := "ml.pipeline"
	if y, ok := pipelineFields[head]; ok && y != "" {
		path += "." + y
	} else if !ok {
		path += "." + f
		return path
	}
	if rest != "" {
		if y, ok := pipelineSubfields[rest]; ok {
			path += "." + y
		} else {
			path += "." + rest
		}
	}
	return path
}

// validate checks the pipeline's settings, each error at its YAML path.
func (m *MLPipeline) validate(e *Environment) error {
	err := m.Props(e).ValidateSettings()
	if err == nil {
		return nil
	}
	var es validation.Errors
	var one *validation.Error
	switch {
	case errors.As(err, &es):
	case errors.As(err, &one):
		es = validation.Errors{one}
	default:
		return &FieldError{File: e.File, Path: "ml.pipeline", Msg: err.Error()}
	}
	// The first problem, like the rest of the file's checks, at its YAML
	// path, with what is accepted. Durations are the construct's (the
	// file writes minutes), so their value is left out.
	v := es[0]
	msg := v.Problem
	if v.Accepted != "" {
		if msg != "" {
			msg += "; "
		}
		msg += "accepted: " + v.Accepted
	}
	path := yamlPath(v.Field)
	value := strings.Trim(v.Value, `"`)
	if strings.HasSuffix(path, "Minutes") {
		value = ""
	}
	return &FieldError{File: e.File, Path: path, Value: value, Msg: msg}
}

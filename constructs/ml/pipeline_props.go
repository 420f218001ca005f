package ml

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/ml/pipelinedef"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/validation"
)

// PipelineJob sizes the pipeline's processing jobs (feature engineering
// and evaluation) or its training job.
type PipelineJob struct {
	// Image is the container image: an ECR image URI
	// <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@sha256:digest],
	// such as a SageMaker framework image. Required; no default.
	Image string
	// InstanceType: one SageMaker offers for the job's use
	// (CheckInstanceType). Default: ml.m5.large (processing),
	// ml.m5.xlarge (training).
	InstanceType string
	// InstanceCount: 1 to 100. Default: 1.
	InstanceCount int
	// VolumeSizeGB of each instance's storage volume: 1 to 16384.
	// Default: 30.
	VolumeSizeGB int
	// MaxRuntime stops the job after this long, in whole seconds: up to 7
	// days for processing, 28 days for training. Default: 1 hour.
	MaxRuntime time.Duration
}

// PipelineTraining is the training job: a PipelineJob on spot capacity
// or on demand.
type PipelineTraining struct {
	PipelineJob
	// Spot runs training on managed spot capacity, resuming from
	// checkpoints (under the ML prefix's checkpoints/) when interrupted.
	// Default: false (on demand).
	Spot bool
	// MaxWait is how long a spot job may take in all, waiting for
	// capacity included: at least MaxRuntime, and required with Spot
	// (only with Spot). Default: none.
	MaxWait time.Duration
	// HyperParameters of the training image's algorithm (XGBoost's
	// num_round and objective, ...): at most 100, keys of 1 to 256
	// characters, values at most 2500. Default: none.
	HyperParameters map[string]string
}

// MetricCondition is the condition on the evaluation report that decides
// whether the model is registered.
type MetricCondition struct {
	// Path of the metric in the report, a JSON path without "$."
	// ("metrics.auc.value", "regression_metrics.mse.value"). Required.
	Path string
	// Comparison of the metric with Threshold: GreaterThan,
	// GreaterThanOrEqualTo, LessThan, LessThanOrEqualTo, Equals or
	// NotEquals (the metric on the left). Default: GreaterThanOrEqualTo.
	Comparison string
	// Threshold is the default of the MetricThreshold parameter (an
	// execution may give another); a finite number. Default: 0.
	Threshold float64
}

// JobTag is a tag the pipeline puts on every job it starts.
type JobTag struct {
	// Key: 1 to 128 characters. Value: at most 256.
	Key, Value string
}

// PipelineProps configures a model-building pipeline.
type PipelineProps struct {
	// Network places every job in its private subnets, with a security
	// group the construct creates. Required; no default.
	Network network.INetwork
	// Lake holds the curated bucket (read), the athenaResults bucket
	// (Athena query results, read) and the results bucket (the ML
	// prefix). Required; no default.
	Lake datalake.ILake
	// Registry is the model package group models are registered in.
	// Required; no default.
	Registry Registry
	// Key encrypts the jobs' storage volumes (the ML key). Its key
	// policy must let this account's IAM policies grant its use.
	// Required; no default.
	Key awskms.IKey
	// MLPrefix is the prefix of the results bucket the jobs write under
	// (features/, models/, checkpoints/, evaluation/) and read code from
	// (code/). Default: "ml/".
	MLPrefix string
	// CuratedPrefix is the default of the CuratedInput parameter: the
	// prefix of the curated bucket feature engineering reads. Default: ""
	// (the whole bucket).
	CuratedPrefix string
	// QueryResultsPrefix is where the Athena workgroup writes query
	// results in the athenaResults bucket: feature engineering reads it.
	// Default: "athena/" (the analytics construct's default).
	QueryResultsPrefix string
	// PipelineName: letters, digits and '-', starting and ending with a
	// letter or digit, at most 63. Default: the construct path with '-'
	// for other characters.
	PipelineName string
	// Processing sizes feature engineering and evaluation. Image required.
	Processing PipelineJob
	// Training sizes training. Image required.
	Training PipelineTraining
	// InferenceImage is the image a registered model runs in (ECR URI).
	// Default: Training.Image.
	InferenceImage string
	// ContentType the model takes and returns (a MIME type). Default:
	// "text/csv".
	ContentType string
	// Metric decides registration. Path required.
	Metric MetricCondition
	// JobTags go on every processing and training job (cost allocation:
	// the jobs are not CloudFormation resources, so stack tags do not
	// reach them). Keys unique. Default: none.
	JobTags []JobTag
}

// Pipeline defaults and limits.
const (
	DefaultProcessingInstanceType = "ml.m5.large"
	DefaultTrainingInstanceType   = "ml.m5.xlarge"
	DefaultVolumeSizeGB           = 30
	DefaultMaxRuntime             = time.Hour
	DefaultQueryResultsPrefix     = "athena/"
	DefaultContentType            = "text/csv"
	DefaultComparison             = "GreaterThanOrEqualTo"
	MaxInstanceCount              = 100
	MaxVolumeSizeGB               = 16384
	// MaxProcessingRuntime and MaxTrainingRuntime are the longest
	// stopping conditions SageMaker accepts.
	MaxProcessingRuntime = 7 * 24 * time.Hour
	MaxTrainingRuntime   = 28 * 24 * time.Hour
	// CheckpointsPrefix holds spot training's checkpoints, under the ML
	// prefix.
	CheckpointsPrefix = "checkpoints/"
)

var (
	// ecrImageRE is an ECR image URI: registry, repository, tag or digest.
	ecrImageRE = regexp.MustCompile(`^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})?$`)
	// metricPathRE is a JSON path of the report without "$.".
	metricPathRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$`)
	mimeRE       = regexp.MustCompile(`^[a-z]+/[a-z0-9.+-]+$`)
)

const imageForm = "an ECR image URI <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@sha256:<digest>], such as 141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

// ValidateSettings checks every setting but Network, Lake, Registry and
// Key (a config layer checks an environment file with it before any
// construct exists) and returns every problem, joined. Fields are named
// as in PipelineProps ("Training.MaxWait").
func (p *PipelineProps) ValidateSettings() error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Network, Lake, Registry, Key, Processing.Image, Training.Image and Metric.Path set")
	}
	var errs []error
	bad := validation.Collector("", &errs)
	job := func(f string, j PipelineJob, use InstanceUse, maxRuntime time.Duration) {
		switch {
		case j.Image == "":
			bad(f+".Image", validation.Raw(`""`), imageForm)
		case !ecrImageRE.MatchString(j.Image):
			bad(f+".Image", j.Image, imageForm)
		}
		if j.InstanceType != "" {
			if msg := CheckInstanceType(use, j.InstanceType); msg != "" {
				bad(f+".InstanceType", j.InstanceType, "%s", msg)
			}
		}
		if j.InstanceCount < 0 || j.InstanceCount > MaxInstanceCount {
			bad(f+".InstanceCount", j.InstanceCount, "1 to %d, or 0 for 1", MaxInstanceCount)
		}
		if j.VolumeSizeGB < 0 || j.VolumeSizeGB > MaxVolumeSizeGB {
			bad(f+".VolumeSizeGB", j.VolumeSizeGB, "1 to %d GB, or 0 for %d", MaxVolumeSizeGB, DefaultVolumeSizeGB)
		}
		if r := j.MaxRuntime; r < 0 || r > maxRuntime || r%time.Second != 0 {
			bad(f+".MaxRuntime", validation.Raw(r.String()), "whole seconds from 1s to %s, or 0 for %s", maxRuntime, DefaultMaxRuntime)
		}
	}
	job("Processing", p.Processing, UseProcessing, MaxProcessingRuntime)
	job("Training", p.Training.PipelineJob, UseTraining, MaxTrainingRuntime)
	runtime := p.Training.MaxRuntime
	if runtime == 0 {
		runtime = DefaultMaxRuntime
	}
	switch w := p.Training.MaxWait; {
	case p.Training.Spot && w == 0:
		bad("Training.MaxWait", validation.Raw("0s"), "a maximum wait with Spot (spot training needs one): at least Training.MaxRuntime (%s)", runtime)
	case !p.Training.Spot && w != 0:
		bad("Training.MaxWait", validation.Raw(w.String()), "0 without Spot: only spot training waits for capacity")
	case p.Training.Spot && (w < runtime || w%time.Second != 0):
		bad("Training.MaxWait", validation.Raw(w.String()), "whole seconds, at least Training.MaxRuntime (%s): the wait includes the run", runtime)
	}
	if n := len(p.Training.HyperParameters); n > 100 {
		bad("Training.HyperParameters", validation.Raw(fmt.Sprint(n)+" entries"), "at most 100")
	}
	for _, k := range slices.Sorted(maps.Keys(p.Training.HyperParameters)) {
		if v := p.Training.HyperParameters[k]; k == "" || len(k) > 256 || len(v) > 2500 {
			bad("Training.HyperParameters["+strconv.Quote(k)+"]", v, "a key of 1 to 256 characters and a value of at most 2500")
		}
	}
	if p.InferenceImage != "" && !ecrImageRE.MatchString(p.InferenceImage) {
		bad("InferenceImage", p.InferenceImage, imageForm)
	}
	if p.ContentType != "" && !mimeRE.MatchString(p.ContentType) {
		bad("ContentType", p.ContentType, "a MIME type such as %q or \"application/json\"", DefaultContentType)
	}
	if !metricPathRE.MatchString(p.Metric.Path) {
		bad("Metric.Path", p.Metric.Path, "the path of the metric in the evaluation report without \"$.\", such as \"metrics.auc.value\"")
	}
	if c := p.Metric.Comparison; c != "" && !slices.Contains(pipelinedef.Comparisons, c) {
		bad("Metric.Comparison", c, "one of %s", validation.List(pipelinedef.Comparisons))
	}
	if t := p.Metric.Threshold; math.IsNaN(t) || math.IsInf(t, 0) {
		bad("Metric.Threshold", t, "a finite number")
	}
	if p.PipelineName != "" && !nameRE.MatchString(p.PipelineName) {
		bad("PipelineName", p.PipelineName, "letters, digits and '-', starting and ending with a letter or digit, at most 63")
	}
	for f, v := range map[string]string{"MLPrefix": p.MLPrefix, "CuratedPrefix": p.CuratedPrefix, "QueryResultsPrefix": p.QueryResultsPrefix} {
		if v == "" {
			continue
		}
		if _, err := datalake.NormalizePrefix(v); err != nil || strings.Contains(v, "://") {
			bad(f, v, "a key prefix inside the bucket, such as \"ml/\": no leading \"/\", no \"..\", \"*\", \"?\" or \"s3://\"")
		}
	}
	keys := map[string]bool{}
	for i, t := range p.JobTags {
		f := fmt.Sprintf("JobTags[%d]", i)
		switch {
		case t.Key == "" || len(t.Key) > 128 || strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			bad(f+".Key", t.Key, "1 to 128 characters, not starting with \"aws:\"")
		case keys[t.Key]:
			bad(f+".Key", t.Key, "a key not listed before")
		case len(t.Value) > 256:
			bad(f+".Value", t.Value, "at most 256 characters")
		}
		keys[t.Key] = true
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return validation.Join("", errs...)
}

// pipelineResolved are the props with defaults applied.
type pipelineResolved struct {
	PipelineProps
	subnets []string
}

func validatePipeline(path string, p *PipelineProps) (*pipelineResolved, error) {
	if p == nil {
		return nil, validation.New(path, "Props", validation.Raw("nil"), "props with Network, Lake, Registry, Key, Processing.Image, Training.Image and Metric.Path set")
	}
	var errs []error
	if err := p.ValidateSettings(); err != nil {
		errs = append(errs, err)
	}
	bad := validation.Collector("", &errs)
	r := &pipelineResolved{PipelineProps: *p}
	if p.Network == nil {
		bad("Network", validation.Raw("nil"), "the network.INetwork whose private subnets hold the jobs")
	} else if sel := privateSubnets(p.Network); sel == nil {
		bad("Network", validation.Raw(*p.Network.Node().Path()), "a network with private subnets: the jobs run in private subnets only, and this network's workload subnets are missing or public")
	} else {
		for _, s := range *sel.SubnetIds {
			r.subnets = append(r.subnets, *s)
		}
	}
	if p.Lake == nil {
		bad("Lake", validation.Raw("nil"), "the datalake.ILake with the curated, athenaResults and results buckets")
	} else if err := datalake.RequireBuckets("", "Props.Lake", p.Lake, datalake.BucketCurated, datalake.BucketAthenaResults, datalake.BucketResults); err != nil {
		errs = append(errs, err)
	}
	if p.Registry == nil {
		bad("Registry", validation.Raw("nil"), "the model registry (a *Domain or another Registry) models are registered in")
	}
	if p.Key == nil {
		bad("Key", validation.Raw("nil"), "the KMS key that encrypts the jobs' volumes (the ML key)")
	}
	if len(errs) > 0 {
		return nil, validation.Join(path, errs...)
	}
	defaults := func(j *PipelineJob, instanceType string) {
		if j.InstanceType == "" {
			j.InstanceType = instanceType
		}
		if j.InstanceCount == 0 {
			j.InstanceCount = 1
		}
		if j.VolumeSizeGB == 0 {
			j.VolumeSizeGB = DefaultVolumeSizeGB
		}
		if j.MaxRuntime == 0 {
			j.MaxRuntime = DefaultMaxRuntime
		}
	}
	defaults(&r.Processing, DefaultProcessingInstanceType)
	defaults(&r.Training.PipelineJob, DefaultTrainingInstanceType)
	if r.MLPrefix == "" {
		r.MLPrefix = DefaultMLPrefix
	}
	if r.QueryResultsPrefix == "" {
		r.QueryResultsPrefix = DefaultQueryResultsPrefix
	}
	r.MLPrefix, _ = datalake.NormalizePrefix(r.MLPrefix)
	r.QueryResultsPrefix, _ = datalake.NormalizePrefix(r.QueryResultsPrefix)
	r.CuratedPrefix, _ = datalake.NormalizePrefix(r.CuratedPrefix)
	if r.PipelineName == "" {
		r.PipelineName = shortName(path)
	}
	if r.InferenceImage == "" {
		r.InferenceImage = r.Training.Image
	}
	if r.ContentType == "" {
		r.ContentType = DefaultContentType
	}
	if r.Metric.Comparison == "" {
		r.Metric.Comparison = DefaultComparison
	}
	r.JobTags = slices.Clone(p.JobTags)
	return r, nil
}

// ecrRepository returns the region, account and repository of an ECR
// image URI.
func ecrRepository(image string) (region, account, repository string) {
	m := ecrImageRE.FindStringSubmatch(image)
	if m == nil {
		return "", "", ""
	}
	return m[2], m[1], m[3]
}

package config_test

import (
	"testing"
	"time"

	"github.com/biolake/biolake/config"
)

const pipelineBase = "name: bad\ntags: {owner: lab, costCenter: cc-7}\nml:\n  enabled: true\n  pipeline:\n" +
	"    processing: {image: 141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3}\n" +
	"    metric: {path: metrics.auc.value, threshold: 0.7}\n"

const trainingImage = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"

// TestBadMLPipelineConfig: each bad setting of ml.pipeline fails at its
// YAML path, saying what is accepted.
func TestBadMLPipelineConfig(t *testing.T) {
	cases := []badCase{
		{"unknown instance family", pipelineBase + "    training: {image: " + trainingImage + ", instanceType: ml.zz9.large}\n",
			[]string{"bad.yaml: ml.pipeline.training.instanceType", `"ml.zz9.large"`, "ml.zz9 is not one", "ml.m5"}},
		{"spot without a max wait", pipelineBase + "    training: {image: " + trainingImage + ", spot: true}\n",
			[]string{"bad.yaml: ml.pipeline.training.maxWaitMinutes", "a maximum wait with Spot"}},
		{"max wait below the run time", pipelineBase + "    training: {image: " + trainingImage + ", spot: true, maxRuntimeMinutes: 120, maxWaitMinutes: 60}\n",
			[]string{"ml.pipeline.training.maxWaitMinutes", "at least"}},
		{"run time too long", pipelineBase + "    training: {image: " + trainingImage + ", maxRuntimeMinutes: 50000}\n",
			[]string{"ml.pipeline.training.maxRuntimeMinutes", "672h"}},
		{"image not in ECR", pipelineBase + "    training: {image: python:3.12}\n",
			[]string{"ml.pipeline.training.image", `"python:3.12"`, "an ECR image URI"}},
		{"no training", pipelineBase, []string{"ml.pipeline.training.image", "an ECR image URI"}},
		{"unknown comparison", "name: bad\ntags: {owner: lab}\nml:\n  enabled: true\n  pipeline:\n" +
			"    processing: {image: " + trainingImage + "}\n    training: {image: " + trainingImage + "}\n    metric: {path: auc, comparison: Above}\n",
			[]string{"ml.pipeline.metric.comparison", `"Above"`, "GreaterThanOrEqualTo"}},
		{"unknown field", pipelineBase + "    trainig: {}\n", []string{"ml.pipeline.trainig", "not a known field", "training"}},
		{"threshold not a number", pipelineBase + "    training: {image: " + trainingImage + "}\n    contentType: csv\n", []string{"ml.pipeline.contentType", "a MIME type"}},
		{"pipeline of a disabled domain", "name: bad\ntags: {owner: lab}\nml:\n  pipeline: {curatedPrefix: x/}\n", []string{"ml.enabled", "set it to true"}},
	}
	checkBad(t, cases)
}

// TestMLPipelineProps: the environment's tags on every job, minutes as
// durations, the pipeline named after the environment.
func TestMLPipelineProps(t *testing.T) {
	env, err := config.Parse("environments/ok.yaml", []byte("name: ok\ntags: {owner: lab, costCenter: cc-7}\nml:\n  enabled: true\n  pipeline:\n"+
		"    processing: {image: "+trainingImage+"}\n"+
		"    training: {image: "+trainingImage+", spot: true, maxRuntimeMinutes: 90, maxWaitMinutes: 180}\n"+
		"    metric: {path: metrics.auc.value, threshold: 0.7}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := env.ML.Pipeline.Props(env)
	if p.PipelineName != "biolake-ok-model-building" || p.Training.MaxRuntime != 90*time.Minute || p.Training.MaxWait != 3*time.Hour || !p.Training.Spot || p.Metric.Threshold != 0.7 {
		t.Errorf("props %+v", p)
	}
	var tags []string
	for _, tg := range p.JobTags {
		tags = append(tags, tg.Key+"="+tg.Value)
	}
	if got := join(tags); got != "project=biolake environment=ok owner=lab cost-center=cc-7" {
		t.Errorf("job tags %s", got)
	}
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}

package pipelinedef_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/ml/pipelinedef"
)

var update = flag.Bool("update", false, "rewrite testdata/modelbuilding.json")

// spec is the fixed input of the golden file.
func spec() pipelinedef.Spec {
	return pipelinedef.Spec{
		CuratedURI:        "s3://lab-curated/projects/qc",
		QueryResultsURI:   "s3://lab-athena-results/athena",
		FeatureCodeURI:    "s3://lab-results/ml/code/features",
		EvaluationCodeURI: "s3://lab-results/ml/code/evaluation",
		FeaturesURI:       "s3://lab-results/ml/features",
		ModelsURI:         "s3://lab-results/ml/models",
		CheckpointsURI:    "s3://lab-results/ml/checkpoints",
		EvaluationURI:     "s3://lab-results/ml/evaluation",
		ProcessingRoleArn: "arn:aws:iam::111122223333:role/processing",
		TrainingRoleArn:   "arn:aws:iam::111122223333:role/training",
		OutputKeyArn:      "arn:aws:kms:eu-west-1:111122223333:key/results",
		VolumeKeyArn:      "arn:aws:kms:eu-west-1:111122223333:key/ml",
		Subnets:           []string{"subnet-0a", "subnet-0b"},
		SecurityGroupID:   "sg-0jobs",
		Processing: pipelinedef.Job{
			Image: "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", InstanceType: "ml.m5.large",
			InstanceCount: 1, VolumeSizeGB: 30, MaxRuntimeSeconds: 3600,
		},
		Training: pipelinedef.Job{
			Image: "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1", InstanceType: "ml.m5.xlarge",
			InstanceCount: 1, VolumeSizeGB: 30, MaxRuntimeSeconds: 7200,
		},
		Spot:                  true,
		HyperParameters:       map[string]string{"objective": "binary:logistic", "num_round": "100"},
		MaxWaitSeconds:        14400,
		InferenceImage:        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
		ContentType:           "text/csv",
		Metric:                "metrics.auc.value",
		Comparison:            "GreaterThanOrEqualTo",
		Threshold:             0.75,
		ModelPackageGroupName: "biolake-dev-models",
		Tags:                  []pipelinedef.Tag{{Key: "project", Value: "biolake"}, {Key: "owner", Value: "lab"}, {Key: "costCenter", Value: "cc-42"}},
	}
}

func render(t *testing.T, s pipelinedef.Spec) []byte {
	t.Helper()
	b, err := pipelinedef.ModelBuilding(s).Render()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGolden: the rendered definition of the fixed input is the golden
// file (go test ./constructs/ml/pipelinedef -update rewrites it), renders
// the same bytes every time, and parses as the schema version it declares.
func TestGolden(t *testing.T) {
	got := render(t, spec())
	if again := render(t, spec()); !bytes.Equal(got, again) {
		t.Fatal("two renders of the same definition differ")
	}
	if err := pipelinedef.Validate(got); err != nil {
		t.Fatalf("rendered definition does not parse:\n%v", err)
	}
	file := filepath.Join("testdata", "modelbuilding.json")
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("rendered definition differs from %s at line %d:\n got: %s\nwant: %s\n(run with -update to accept)", file, i+1, g, w)
			}
		}
	}
}

// decode returns the golden definition as generic JSON.
func decode(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(render(t, spec())))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// at walks m along keys (string keys, int indexes).
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %q", path, k)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no element %d", path, k)
			}
			v = l[k]
		}
	}
	return v
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// steps returns every step, nested ones included, by name.
func steps(t *testing.T, d map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	var walk func([]any)
	walk = func(list []any) {
		for _, s := range list {
			m := s.(map[string]any)
			out[m["Name"].(string)] = m
			if m["Type"] == "Condition" {
				args := m["Arguments"].(map[string]any)
				for _, b := range []string{"IfSteps", "ElseSteps"} {
					walk(args[b].([]any))
				}
			}
		}
	}
	walk(d["Steps"].([]any))
	return out
}

// TestStepsAndOrder: the steps, their types and the data flow between
// them: features feed training and evaluation, the model feeds evaluation
// and registration, the report feeds the condition, whose branches are
// registration and the Fail step.
func TestStepsAndOrder(t *testing.T) {
	d := decode(t)
	if d["Version"] != "2020-12-01" {
		t.Errorf("Version = %v", d["Version"])
	}
	var top []string
	for _, s := range d["Steps"].([]any) {
		m := s.(map[string]any)
		top = append(top, m["Name"].(string)+":"+m["Type"].(string))
	}
	if got, want := strings.Join(top, " "), "Features:Processing Train:Training Evaluate:Processing CheckMetric:Condition"; got != want {
		t.Errorf("top-level steps %s, want %s", got, want)
	}
	all := steps(t, d)
	flows := []struct {
		step string
		path []any
		want string
	}{
		{"Train", []any{"Arguments", "InputDataConfig", 0, "DataSource", "S3DataSource", "S3Uri"}, `{"Get":"Steps.Features.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}`},
		{"Evaluate", []any{"Arguments", "ProcessingInputs", 1, "S3Input", "S3Uri"}, `{"Get":"Steps.Train.ModelArtifacts.S3ModelArtifacts"}`},
		{"Evaluate", []any{"Arguments", "ProcessingInputs", 2, "S3Input", "S3Uri"}, `{"Get":"Steps.Features.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"}`},
		{"CheckMetric", []any{"Arguments", "Conditions", 0}, `{"LeftValue":{"Std:JsonGet":{"Path":"metrics.auc.value","PropertyFile":{"Get":"Steps.Evaluate.PropertyFiles.EvaluationReport"}}},"RightValue":{"Get":"Parameters.MetricThreshold"},"Type":"GreaterThanOrEqualTo"}`},
		{"CheckMetric", []any{"Arguments", "IfSteps", 0, "Name"}, `"Register"`},
		{"CheckMetric", []any{"Arguments", "ElseSteps", 0, "Name"}, `"MetricBelowThreshold"`},
		{"Register", []any{"Arguments", "ModelApprovalStatus"}, `"PendingManualApproval"`},
		{"Register", []any{"Arguments", "ModelPackageGroupName"}, `"biolake-dev-models"`},
		{"Register", []any{"Arguments", "InferenceSpecification", "Containers", 0, "ModelDataUrl"}, `{"Get":"Steps.Train.ModelArtifacts.S3ModelArtifacts"}`},
		{"Register", []any{"Arguments", "ModelMetrics", "ModelQuality", "Statistics", "S3Uri"}, `{"Std:Join":{"On":"/","Values":[{"Get":"Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"},"evaluation.json"]}}`},
		{"Evaluate", []any{"PropertyFiles", 0}, `{"FilePath":"evaluation.json","OutputName":"evaluation","PropertyFileName":"EvaluationReport"}`},
		{"Features", []any{"Arguments", "ProcessingOutputConfig", "Outputs", 0, "S3Output", "S3Uri"}, `{"Std:Join":{"On":"/","Values":["s3://lab-results/ml/features",{"Get":"Execution.PipelineExecutionId"},"train"]}}`},
		{"Evaluate", []any{"Arguments", "ProcessingOutputConfig", "Outputs", 0, "S3Output", "S3Uri"}, `{"Std:Join":{"On":"/","Values":["s3://lab-results/ml/evaluation",{"Get":"Execution.PipelineExecutionId"}]}}`},
		{"Train", []any{"Arguments", "OutputDataConfig", "S3OutputPath"}, `"s3://lab-results/ml/models"`},
	}
	for _, f := range flows {
		s, ok := all[f.step]
		if !ok {
			t.Fatalf("no step %s", f.step)
		}
		if got := js(at(t, s, f.path...)); got != f.want {
			t.Errorf("%s %v = %s, want %s", f.step, f.path, got, f.want)
		}
	}
	msg := js(at(t, all["MetricBelowThreshold"], "Arguments", "ErrorMessage"))
	if !strings.Contains(msg, "metrics.auc.value") || !strings.Contains(msg, "Parameters.MetricThreshold") {
		t.Errorf("Fail message %s does not name the metric and the threshold", msg)
	}
}

// TestJobsIsolatedEncryptedTagged: every job runs in the VPC's subnets
// with its own security group, network isolation and inter-container
// encryption on, volumes and S3 output encrypted, the cost tags set.
func TestJobsIsolatedEncryptedTagged(t *testing.T) {
	all := steps(t, decode(t))
	const tags = `[{"Key":"project","Value":"biolake"},{"Key":"owner","Value":"lab"},{"Key":"costCenter","Value":"cc-42"}]`
	const vpc = `{"SecurityGroupIds":["sg-0jobs"],"Subnets":["subnet-0a","subnet-0b"]}`
	for _, name := range []string{"Features", "Evaluate"} {
		a := all[name]["Arguments"]
		checks := map[string]string{
			js(at(t, a, "NetworkConfig", "VpcConfig")):                             vpc,
			js(at(t, a, "NetworkConfig", "EnableNetworkIsolation")):                "true",
			js(at(t, a, "NetworkConfig", "EnableInterContainerTrafficEncryption")): "true",
			js(at(t, a, "ProcessingResources", "ClusterConfig", "VolumeKmsKeyId")): `"arn:aws:kms:eu-west-1:111122223333:key/ml"`,
			js(at(t, a, "ProcessingOutputConfig", "KmsKeyId")):                     `"arn:aws:kms:eu-west-1:111122223333:key/results"`,
			js(at(t, a, "Tags")):    tags,
			js(at(t, a, "RoleArn")): `"arn:aws:iam::111122223333:role/processing"`,
			js(at(t, a, "ProcessingResources", "ClusterConfig", "InstanceType")): `"ml.m5.large"`,
		}
		for got, want := range checks {
			if got != want {
				t.Errorf("%s: %s, want %s", name, got, want)
			}
		}
	}
	a := all["Train"]["Arguments"]
	for path, want := range map[string]string{
		"VpcConfig":                             vpc,
		"EnableNetworkIsolation":                "true",
		"EnableInterContainerTrafficEncryption": "true",
		"EnableManagedSpotTraining":             "true",
		"HyperParameters":                       `{"num_round":"100","objective":"binary:logistic"}`,
		"InputDataConfig":                       `[{"ChannelName":"train","ContentType":"text/csv","DataSource":{"S3DataSource":{"S3DataDistributionType":"FullyReplicated","S3DataType":"S3Prefix","S3Uri":{"Get":"Steps.Features.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}}}}]`,
		"Tags":                                  tags,
		"RoleArn":                               `"arn:aws:iam::111122223333:role/training"`,
		"StoppingCondition":                     `{"MaxRuntimeInSeconds":7200,"MaxWaitTimeInSeconds":14400}`,
		"OutputDataConfig":                      `{"KmsKeyId":"arn:aws:kms:eu-west-1:111122223333:key/results","S3OutputPath":"s3://lab-results/ml/models"}`,
		"ResourceConfig":                        `{"InstanceCount":1,"InstanceType":"ml.m5.xlarge","VolumeKmsKeyId":"arn:aws:kms:eu-west-1:111122223333:key/ml","VolumeSizeInGB":30}`,
		"CheckpointConfig":                      `{"LocalPath":"/opt/ml/checkpoints","S3Uri":{"Std:Join":{"On":"/","Values":["s3://lab-results/ml/checkpoints",{"Get":"Execution.PipelineExecutionId"}]}}}`,
	} {
		if got := js(at(t, a, path)); got != want {
			t.Errorf("Train %s = %s, want %s", path, got, want)
		}
	}

	// On-demand training: no wait time, no checkpoints.
	s := spec()
	s.Spot = false
	var d map[string]any
	if err := json.Unmarshal(render(t, s), &d); err != nil {
		t.Fatal(err)
	}
	a = steps(t, d)["Train"]["Arguments"]
	if got := js(at(t, a, "StoppingCondition")); got != `{"MaxRuntimeInSeconds":7200}` {
		t.Errorf("on-demand StoppingCondition = %s", got)
	}
	if c := at(t, a, "CheckpointConfig"); c != nil {
		t.Errorf("on-demand CheckpointConfig = %s, want none", js(c))
	}
}

// TestNoOutputKey: a results bucket without a key (SSE-S3) leaves the
// output keys out; volumes stay encrypted.
func TestNoOutputKey(t *testing.T) {
	s := spec()
	s.OutputKeyArn = ""
	b := render(t, s)
	if err := pipelinedef.Validate(b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"KmsKeyId"`) {
		t.Error("KmsKeyId rendered without an output key")
	}
	if got := strings.Count(string(b), `"VolumeKmsKeyId"`); got != 3 {
		t.Errorf("%d VolumeKmsKeyId, want 3 (every job)", got)
	}
}

package pipelinedef_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/ml/pipelinedef"
)

// step returns the step called name of d (nested ones included).
func step(d map[string]any, name string) map[string]any {
	var find func([]any) map[string]any
	find = func(list []any) map[string]any {
		for _, s := range list {
			m := s.(map[string]any)
			if m["Name"] == name {
				return m
			}
			if m["Type"] == "Condition" {
				args := m["Arguments"].(map[string]any)
				for _, b := range []string{"IfSteps", "ElseSteps"} {
					if f := find(args[b].([]any)); f != nil {
						return f
					}
				}
			}
		}
		return nil
	}
	return find(d["Steps"].([]any))
}

func args(d map[string]any, name string) map[string]any {
	return step(d, name)["Arguments"].(map[string]any)
}

// TestValidateRefuses: each check of the parser, shown to fail on the
// golden definition with one thing broken, naming where.
func TestValidateRefuses(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(d map[string]any)
		want   []string
	}{
		{"unknown version", func(d map[string]any) { d["Version"] = "2023-01-01" }, []string{"$.Version", `"2023-01-01"`, "2020-12-01"}},
		{"no version", func(d map[string]any) { delete(d, "Version") }, []string{"$.Version: is missing"}},
		{"unknown top-level field", func(d map[string]any) { d["PipelineExperimentConfig"] = map[string]any{} }, []string{"$", `unknown field "PipelineExperimentConfig"`}},
		{"no steps", func(d map[string]any) { delete(d, "Steps") }, []string{`missing required field "Steps"`}},
		{"unknown step type", func(d map[string]any) { step(d, "Train")["Type"] = "Trainer" }, []string{"$.Steps[1].Type", `"Trainer"`, "not a step type"}},
		{"unsupported step type", func(d map[string]any) { step(d, "Train")["Type"] = "Transform" }, []string{"$.Steps[1].Type", "does not support"}},
		{"unknown step field", func(d map[string]any) { step(d, "Train")["CacheConfig"] = map[string]any{"Enabled": true} }, []string{"$.Steps[1]", `unknown field "CacheConfig"`}},
		{"step without arguments", func(d map[string]any) { delete(step(d, "Train"), "Arguments") }, []string{"$.Steps[1]", `missing required field "Arguments"`}},
		{"unknown argument", func(d map[string]any) { args(d, "Train")["EnableNetworkIsolated"] = true }, []string{"$.Steps[1].Arguments", `unknown field "EnableNetworkIsolated"`}},
		{"missing required argument", func(d map[string]any) { delete(args(d, "Features"), "RoleArn") }, []string{"$.Steps[0].Arguments", `missing required field "RoleArn"`}},
		{"missing nested required field", func(d map[string]any) {
			delete(args(d, "Train")["ResourceConfig"].(map[string]any), "VolumeSizeInGB")
		}, []string{"$.Steps[1].Arguments.ResourceConfig", `"VolumeSizeInGB"`}},
		{"wrong value type", func(d map[string]any) { args(d, "Train")["EnableNetworkIsolation"] = "true" }, []string{"$.Steps[1].Arguments.EnableNetworkIsolation", "accepted: a Boolean"}},
		{"integer as float", func(d map[string]any) {
			args(d, "Train")["StoppingCondition"].(map[string]any)["MaxRuntimeInSeconds"] = json.Number("7200.5")
		}, []string{"MaxRuntimeInSeconds", "accepted: a Integer"}},
		{"dangling parameter Get", func(d map[string]any) {
			args(d, "Features")["ProcessingInputs"].([]any)[0].(map[string]any)["S3Input"].(map[string]any)["S3Uri"] = map[string]any{"Get": "Parameters.Nope"}
		}, []string{"$.Steps[0].Arguments.ProcessingInputs[0].S3Input.S3Uri", `"Parameters.Nope"`, "no declared parameter"}},
		{"dangling step Get", func(d map[string]any) {
			args(d, "Evaluate")["ProcessingInputs"].([]any)[1].(map[string]any)["S3Input"].(map[string]any)["S3Uri"] = map[string]any{"Get": "Steps.Training.ModelArtifacts.S3ModelArtifacts"}
		}, []string{`"Steps.Training.ModelArtifacts.S3ModelArtifacts"`, "names no step"}},
		{"property a step type lacks", func(d map[string]any) {
			args(d, "Evaluate")["ProcessingInputs"].([]any)[1].(map[string]any)["S3Input"].(map[string]any)["S3Uri"] = map[string]any{"Get": "Steps.Train.ProcessingOutputConfig.Outputs"}
		}, []string{"a Training step has no property \"ProcessingOutputConfig\""}},
		{"unknown execution variable", func(d map[string]any) {
			args(d, "Train")["CheckpointConfig"].(map[string]any)["S3Uri"] = map[string]any{"Get": "Execution.Id"}
		}, []string{`"Execution.Id"`, "no execution variable"}},
		{"dangling property file", func(d map[string]any) {
			c := args(d, "CheckMetric")["Conditions"].([]any)[0].(map[string]any)
			c["LeftValue"].(map[string]any)["Std:JsonGet"].(map[string]any)["PropertyFile"] = map[string]any{"Get": "Steps.Evaluate.PropertyFiles.Report"}
		}, []string{`"Steps.Evaluate.PropertyFiles.Report"`, "names no property file", "EvaluationReport"}},
		{"JsonGet without a path", func(d map[string]any) {
			c := args(d, "CheckMetric")["Conditions"].([]any)[0].(map[string]any)
			delete(c["LeftValue"].(map[string]any)["Std:JsonGet"].(map[string]any), "Path")
		}, []string{"Std:JsonGet", `missing required field "Path"`}},
		{"DependsOn naming no step", func(d map[string]any) { step(d, "Train")["DependsOn"] = []any{"Feature"} }, []string{"$.Steps[1].DependsOn[0]", `"Feature" names no step`}},
		{"DependsOn itself", func(d map[string]any) { step(d, "Train")["DependsOn"] = []any{"Train"} }, []string{"$.Steps[1].DependsOn[0]", "itself"}},
		{"cycle", func(d map[string]any) { step(d, "Features")["DependsOn"] = []any{"Evaluate"} }, []string{"cycle", "Features -> Evaluate"}},
		{"branch naming a step", func(d map[string]any) { args(d, "CheckMetric")["IfSteps"] = []any{"Register"} }, []string{"$.Steps[3].Arguments.IfSteps[0]", `the string "Register"`, "whole step object"}},
		{"branch holding no step", func(d map[string]any) {
			args(d, "CheckMetric")["ElseSteps"] = []any{map[string]any{"Name": "Stop", "Type": "Halt", "Arguments": map[string]any{}}}
		}, []string{"$.Steps[3].Arguments.ElseSteps[0].Type", `"Halt"`}},
		{"nested condition", func(d map[string]any) {
			inner := map[string]any{"Name": "Inner", "Type": "Condition", "Arguments": map[string]any{"Conditions": []any{}}}
			args(d, "CheckMetric")["ElseSteps"] = []any{inner}
		}, []string{"ElseSteps[0].Type", "a Condition's branches hold"}},
		{"duplicate step name", func(d map[string]any) { step(d, "MetricBelowThreshold")["Name"] = "Train" }, []string{"ElseSteps[0].Name", `"Train" names another step`}},
		{"bad step name", func(d map[string]any) { step(d, "Train")["Name"] = "train model" }, []string{"$.Steps[1].Name", "letters, digits"}},
		{"unknown comparison", func(d map[string]any) {
			args(d, "CheckMetric")["Conditions"].([]any)[0].(map[string]any)["Type"] = "AtLeast"
		}, []string{"Conditions[0].Type", `"AtLeast"`, "GreaterThanOrEqualTo"}},
		{"condition without right value", func(d map[string]any) {
			delete(args(d, "CheckMetric")["Conditions"].([]any)[0].(map[string]any), "RightValue")
		}, []string{"Conditions[0]", `missing required field "RightValue"`}},
		{"parameter of unknown type", func(d map[string]any) {
			d["Parameters"].([]any)[4].(map[string]any)["Type"] = "Double"
		}, []string{"$.Parameters[4].Type", `"Double"`}},
		{"default of the wrong type", func(d map[string]any) {
			d["Parameters"].([]any)[4].(map[string]any)["DefaultValue"] = "0.75"
		}, []string{"$.Parameters[4].DefaultValue", "accepted: a Float"}},
		{"duplicate parameter", func(d map[string]any) {
			d["Parameters"].([]any)[1].(map[string]any)["Name"] = "CuratedInput"
		}, []string{"$.Parameters[1].Name", "declared twice"}},
		{"unknown parameter field", func(d map[string]any) {
			d["Parameters"].([]any)[0].(map[string]any)["EnumValues"] = []any{"a"}
		}, []string{"$.Parameters[0]", `unknown field "EnumValues"`}},
		{"bad approval status", func(d map[string]any) { args(d, "Register")["ModelApprovalStatus"] = "Pending" }, []string{"ModelApprovalStatus", "PendingManualApproval"}},
		{"property file of a training step", func(d map[string]any) { step(d, "Train")["PropertyFiles"] = []any{} }, []string{"$.Steps[1]", `unknown field "PropertyFiles"`}},
		{"Get with other keys", func(d map[string]any) {
			args(d, "Train")["RoleArn"] = map[string]any{"Get": "Parameters.CuratedInput", "Default": "x"}
		}, []string{"$.Steps[1].Arguments.RoleArn", "accepted: a String"}},
		{"Join inside an integer", func(d map[string]any) {
			args(d, "Train")["ResourceConfig"].(map[string]any)["InstanceCount"] = map[string]any{"Std:Join": map[string]any{"On": "", "Values": []any{"1"}}}
		}, []string{"InstanceCount", "accepted: a Integer"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := decode(t)
			c.break_(d)
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			err = pipelinedef.Validate(b)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestValidateRefusesDocuments: input that is not one JSON object.
func TestValidateRefusesDocuments(t *testing.T) {
	for in, want := range map[string]string{
		``:                                       "not JSON",
		`[]`:                                     "accepted: a JSON object",
		`{"Version":"2020-12-01","Steps":[]} {}`: "data after",
		`{"Version":"2020-12-01","Steps":{}}`:    "$.Steps: is an object",
	} {
		err := pipelinedef.Validate([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%q) = %v, want an error saying %q", in, err, want)
		}
	}
	if err := pipelinedef.Validate([]byte(`{"Version":"2020-12-01","Steps":[]}`)); err != nil {
		t.Errorf("the smallest definition is refused: %v", err)
	}
}

// FuzzValidate: the parser never panics on any input.
func FuzzValidate(f *testing.F) {
	b, _ := pipelinedef.ModelBuilding(spec()).Render()
	f.Add(b)
	f.Add([]byte(`{"Version":"2020-12-01","Steps":[{"Name":"a","Type":"Condition","Arguments":{"Conditions":[{"Type":"Or","Conditions":[{}]}],"IfSteps":[1]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = pipelinedef.Validate(data)
	})
}

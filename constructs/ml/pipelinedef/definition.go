// Package pipelinedef is the SageMaker Model Building Pipeline definition
// (schema version 2020-12-01) in Go types, rendered to the JSON that
// AWS::SageMaker::Pipeline and CreatePipeline take, and a strict parser of
// that JSON (Validate). It imports no CDK, so its tests run in
// milliseconds; constructs/ml fills in CloudFormation tokens.
//
// ModelBuilding builds biolake's pipeline: feature engineering
// (Processing) → training → evaluation (Processing, with a property file)
// → a condition on a metric of the evaluation report → registration in a
// model package group pending manual approval, or a Fail step.
//
//	def := pipelinedef.ModelBuilding(spec)
//	body, err := def.Render()
//	err = pipelinedef.Validate(body)
package pipelinedef

import (
	"bytes"
	"encoding/json"
)

// Version is the schema version every definition declares.
const Version = "2020-12-01"

// Definition is a pipeline definition.
type Definition struct {
	Version    string      `json:"Version"`
	Metadata   *Metadata   `json:"Metadata,omitempty"`
	Parameters []Parameter `json:"Parameters,omitempty"`
	Steps      []Step      `json:"Steps"`
}

// Metadata is free text the definition carries (names 1 to 128 letters,
// digits, '-' and '_'; values at most 1024 characters).
type Metadata map[string]string

// ParameterType is the type of a pipeline parameter.
type ParameterType string

// Parameter types.
const (
	String  ParameterType = "String"
	Integer ParameterType = "Integer"
	Float   ParameterType = "Float"
	Boolean ParameterType = "Boolean"
)

// Parameter is a pipeline parameter: a value given when an execution
// starts, DefaultValue otherwise.
type Parameter struct {
	Name         string        `json:"Name"`
	Type         ParameterType `json:"Type"`
	DefaultValue any           `json:"DefaultValue,omitempty"`
}

// StepType is the type of a step.
type StepType string

// Step types ModelBuilding uses and Validate checks.
const (
	Processing    StepType = "Processing"
	Training      StepType = "Training"
	Condition     StepType = "Condition"
	RegisterModel StepType = "RegisterModel"
	Fail          StepType = "Fail"
)

// Step is one step. Arguments is the request of the job the step starts
// (CreateProcessingJob without its name, ...) or the step's own arguments
// (Condition, Fail).
type Step struct {
	Name          string         `json:"Name"`
	Type          StepType       `json:"Type"`
	Description   string         `json:"Description,omitempty"`
	DependsOn     []string       `json:"DependsOn,omitempty"`
	Arguments     any            `json:"Arguments"`
	PropertyFiles []PropertyFile `json:"PropertyFiles,omitempty"`
}

// PropertyFile names a JSON file a Processing step writes to one of its
// outputs, so that later steps read values of it (JSONGet).
type PropertyFile struct {
	PropertyFileName string `json:"PropertyFileName"`
	OutputName       string `json:"OutputName"`
	FilePath         string `json:"FilePath"`
}

// Get is a reference to a value known at run time: "Parameters.<name>",
// "Execution.<variable>" or "Steps.<step>.<property path>".
type Get struct {
	Get string `json:"Get"`
}

// Param refers to the pipeline parameter name.
func Param(name string) Get { return Get{"Parameters." + name} }

// Prop refers to a property of step (a member of the Describe response of
// the job it ran, such as "ModelArtifacts.S3ModelArtifacts").
func Prop(step, path string) Get { return Get{"Steps." + step + "." + path} }

// ExecutionID refers to the id of the running execution.
func ExecutionID() Get { return Get{"Execution.PipelineExecutionId"} }

// JoinFunc is Std:Join: Values joined with On.
type JoinFunc struct {
	Join JoinArgs `json:"Std:Join"`
}

// JoinArgs are the arguments of Std:Join.
type JoinArgs struct {
	On     string `json:"On"`
	Values []any  `json:"Values"`
}

// Join joins values (strings, numbers, Get) with on at run time.
func Join(on string, values ...any) JoinFunc {
	return JoinFunc{JoinArgs{On: on, Values: values}}
}

// JSONGetFunc is Std:JsonGet: the value at Path of a property file.
type JSONGetFunc struct {
	JSONGet JSONGetArgs `json:"Std:JsonGet"`
}

// JSONGetArgs are the arguments of Std:JsonGet.
type JSONGetArgs struct {
	PropertyFile Get    `json:"PropertyFile"`
	Path         string `json:"Path"`
}

// JSONGet reads path (a JSONPath without its "$.", such as
// "metrics.auc.value") of the property file file of step.
func JSONGet(step, file, path string) JSONGetFunc {
	return JSONGetFunc{JSONGetArgs{PropertyFile: Prop(step, "PropertyFiles."+file), Path: path}}
}

// Render returns the definition as indented JSON: struct fields in their
// declared order and map keys sorted, so the same definition always
// renders the same bytes. HTML characters are not escaped.
func (d *Definition) Render() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

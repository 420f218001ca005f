package config

import (
	"errors"
	"strings"

	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/constructs/validation"
)

// MLDeployment deploys each approved version of the model registry to one
// SageMaker endpoint (constructs/ml Deployment). A serverless endpoint
// bills per request and nothing while idle; a real-time endpoint bills
// MinInstances instance-hours every hour it exists (docs/COSTS.md shows
// the standing charge).
type MLDeployment struct {
	// EndpointName of the endpoint, fixed so that alarms and clients name
	// it: letters, digits and '-', at most 40. Default: biolake-<env>-model.
	EndpointName string `yaml:"endpointName"`
	// Mode: serverless or real-time. Default: serverless.
	Mode string `yaml:"mode"`
	// InstanceType of a real-time endpoint (one SageMaker offers for
	// endpoints). Default: ml.m5.large.
	InstanceType string `yaml:"instanceType"`
	// InitialInstances of a real-time endpoint, MinInstances to
	// MaxInstances. Default: MinInstances.
	InitialInstances int `yaml:"initialInstances"`
	// MinInstances and MaxInstances bound a real-time endpoint's
	// autoscaling. Default: 1 and MinInstances.
	MinInstances int `yaml:"minInstances"`
	MaxInstances int `yaml:"maxInstances"`
	// InvocationsPerInstance is the scaling target: invocations a minute
	// per instance. Default: 100.
	InvocationsPerInstance int `yaml:"invocationsPerInstance"`
	// MemorySizeMB of a serverless endpoint: 1024 to 6144 in steps of
	// 1024. Default: 2048.
	MemorySizeMB int `yaml:"memorySizeMB"`
	// MaxConcurrency of a serverless endpoint: 1 to 200. Default: 5.
	MaxConcurrency int `yaml:"maxConcurrency"`
	// SamplingPercentage of requests a real-time endpoint captures to
	// ml/data-capture/ of the results bucket, 1 to 100. Default: 10.
	SamplingPercentage int `yaml:"samplingPercentage"`
	// DisableDataCapture turns data capture off. Default: false.
	DisableDataCapture bool `yaml:"disableDataCapture"`
}

// deploymentFields maps DeploymentProps fields to their YAML names.
var deploymentFields = map[string]string{
	"EndpointName": "endpointName", "Mode": "mode", "InstanceType": "instanceType", "InitialInstances": "initialInstances",
	"MinInstances": "minInstances", "MaxInstances": "maxInstances", "InvocationsPerInstance": "invocationsPerInstance",
	"MemorySizeMB": "memorySizeMB", "MaxConcurrency": "maxConcurrency", "SamplingPercentage": "samplingPercentage",
}

// Props returns the deployment's props (without the registry, network,
// lake and key, which the stack wires), tagged with the environment's
// cost tags.
func (m *MLDeployment) Props(e *Environment) *ml.DeploymentProps {
	name := m.EndpointName
	if name == "" {
		name = "biolake-" + e.Name + "-model"
	}
	tags := map[string]string{"project": e.Tags.Project, "environment": e.Name, "owner": e.Tags.Owner}
	if e.Tags.CostCenter != "" {
		tags["cost-center"] = e.Tags.CostCenter
	}
	return &ml.DeploymentProps{
		EndpointName:           name,
		Mode:                   ml.EndpointMode(m.Mode),
		InstanceType:           m.InstanceType,
		InitialInstances:       m.InitialInstances,
		MinInstances:           m.MinInstances,
		MaxInstances:           m.MaxInstances,
		InvocationsPerInstance: m.InvocationsPerInstance,
		MemorySizeMB:           m.MemorySizeMB,
		MaxConcurrency:         m.MaxConcurrency,
		SamplingPercentage:     m.SamplingPercentage,
		DisableDataCapture:     m.DisableDataCapture,
		LogRetentionDays:       e.Logs.RetentionDays,
		Tags:                   tags,
	}
}

// validateDeployment refuses ml.deployment without a domain and reports
// the first bad setting at its YAML path.
func (m *ML) validateDeployment(e *Environment) error {
	d := m.Deployment
	if d == nil {
		return nil
	}
	if !m.Enabled {
		return e.fail("ml.deployment", "", "needs ml.enabled: true (the model registry whose approved versions it deploys is the domain's); set it or remove ml.deployment")
	}
	err := d.Props(e).ValidateSettings()
	if err == nil {
		return nil
	}
	var es validation.Errors
	var ve *validation.Error
	switch {
	case errors.As(err, &es) && len(es) > 0:
		ve = es[0]
	case errors.As(err, &ve):
	default:
		return &FieldError{File: e.File, Path: "ml.deployment", Msg: err.Error()}
	}
	field := strings.TrimPrefix(ve.Field, "Props.")
	path := "ml.deployment"
	if y, ok := deploymentFields[field]; ok {
		path += "." + y
	}
	msg := ve.Problem
	if msg == "" {
		msg = "is not accepted; accepted: " + ve.Accepted
	}
	return &FieldError{File: e.File, Path: path, Value: strings.Trim(ve.Value, `"`), Msg: msg}
}

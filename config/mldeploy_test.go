package config_test

import (
	"testing"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/ml"
)

func TestBadMLDeploymentConfig(t *testing.T) {
	const base = "name: bad\ntags: {owner: lab}\nml:\n  enabled: true\n  deployment:\n"
	cases := []badCase{
		{"without a domain", "name: bad\ntags: {owner: lab}\nml:\n  deployment: {mode: serverless}\n", []string{"bad.yaml: ml.deployment", "needs ml.enabled: true"}},
		{"misspelt field", base + "    instanceTyp: ml.m5.large\n", []string{"ml.deployment.instanceTyp", "not a known field", "instanceType"}},
		{"unknown instance family", base + "    mode: real-time\n    instanceType: ml.zz9.large\n", []string{"ml.deployment.instanceType", "ml.zz9.large", "ml.zz9 is not one", "ml.m5"}},
		{"min above max", base + "    mode: real-time\n    minInstances: 3\n    maxInstances: 2\n", []string{"ml.deployment.minInstances", "3", "min capacity above max"}},
		{"initial outside bounds", base + "    mode: real-time\n    maxInstances: 2\n    initialInstances: 4\n", []string{"ml.deployment.initialInstances", "4", "1..2"}},
		{"serverless memory", base + "    memorySizeMB: 3000\n", []string{"ml.deployment.memorySizeMB", "3000", "1024, 2048"}},
		{"serverless concurrency", base + "    maxConcurrency: 500\n", []string{"ml.deployment.maxConcurrency", "500", "1 to 200"}},
		{"sampling", base + "    mode: real-time\n    samplingPercentage: 150\n", []string{"ml.deployment.samplingPercentage", "150", "0 to 100"}},
		{"endpoint name", base + "    endpointName: my_model\n", []string{"ml.deployment.endpointName", "my_model", "letters, digits and '-'"}},
		{"unknown mode", base + "    mode: batch\n", []string{"ml.deployment.mode", "batch", "real-time"}},
		{"wrong type", base + "    minInstances: one\n", []string{"ml.deployment.minInstances", "whole number"}},
	}
	checkBad(t, cases)
}

func TestMLDeploymentProps(t *testing.T) {
	env, err := config.Parse("environments/d.yaml", []byte("name: d\ntags: {owner: lab, costCenter: cc-1}\nml:\n  enabled: true\n  deployment: {mode: real-time, minInstances: 1, maxInstances: 3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := env.ML.Deployment.Props(env)
	if p.EndpointName != "biolake-d-model" || p.Mode != ml.RealTime || p.MaxInstances != 3 ||
		p.Tags["cost-center"] != "cc-1" || p.Tags["environment"] != "d" || p.Tags["project"] != "biolake" || p.Tags["owner"] != "lab" {
		t.Errorf("props = %+v", p)
	}
}

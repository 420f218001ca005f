package cost

import (
	"strings"
	"testing"
)

// TestEndpointStandingCost: a real-time endpoint kept by a deployment flow
// bills its minimum instances every hour; a serverless one nothing idle;
// an instance type without a price is listed, never counted as zero.
func TestEndpointStandingCost(t *testing.T) {
	p := prices(t)
	flow := func(md map[string]any) map[string]any {
		return map[string]any{"Type": "AWS::StepFunctions::StateMachine", "Properties": map[string]any{}, "Metadata": map[string]any{EndpointMetadata: md}}
	}
	tpl := map[string]any{"Resources": map[string]any{
		"RealTime":   flow(map[string]any{"EndpointName": "qc", "Mode": "real-time", "InstanceType": "ml.m5.large", "MinInstances": float64(2), "MaxInstances": float64(4)}),
		"Serverless": flow(map[string]any{"EndpointName": "qc-dev", "Mode": "serverless", "MemorySizeMB": float64(2048), "MaxConcurrency": float64(5)}),
		"Unknown":    flow(map[string]any{"EndpointName": "big", "Mode": "real-time", "InstanceType": "ml.p5.48xlarge", "MinInstances": float64(1)}),
	}}
	items := PriceTemplate("s", "us-east-1", tpl, p)
	byID := map[string]Item{}
	for _, it := range items {
		byID[it.LogicalID] = it
	}
	if len(items) != 6 {
		t.Fatalf("%d items, want 3 state machines and 3 endpoints: %+v", len(items), items)
	}
	rt := byID["RealTime (endpoint qc)"]
	if rt.Class != ClassFixed || rt.Type != EndpointType || rt.Monthly != 2*730*0.115 || !strings.Contains(rt.Quantity, "2 x ml.m5.large x 730 h") || !strings.Contains(rt.Note, "up to 4") {
		t.Errorf("real-time = %+v", rt)
	}
	if sl := byID["Serverless (endpoint qc-dev)"]; sl.Class != ClassUsage || sl.Monthly != 0 || !strings.Contains(sl.Note, "nothing while idle") {
		t.Errorf("serverless = %+v", sl)
	}
	if u := byID["Unknown (endpoint big)"]; u.Class != ClassUnpriced || !strings.Contains(u.Note, "sagemaker.hosting.ml.p5.48xlarge.hour") {
		t.Errorf("unpriced = %+v", u)
	}
	if eu := PriceTemplate("s", "eu-west-1", tpl, p); eu[1].LogicalID != "RealTime (endpoint qc)" || eu[1].Monthly != 2*730*0.128 {
		t.Errorf("eu-west-1 = %+v", eu)
	}
}

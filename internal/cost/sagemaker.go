package cost

import (
	"fmt"
)

// EndpointMetadata is the template metadata key (on an ML deployment's
// state machine, constructs/ml.EndpointCostMetadata) that describes the
// SageMaker endpoint the flow keeps: the endpoint is created at run time,
// not by CloudFormation, so the template holds no resource for it.
const EndpointMetadata = "biolake:sagemakerEndpoint"

// EndpointType is the type of the items the model adds for those
// endpoints.
const EndpointType = "AWS::SageMaker::Endpoint"

// endpointItem prices the endpoint that resource (logical id id) keeps,
// or returns false when it keeps none: a real-time endpoint bills its
// minimum instances every hour, a serverless one nothing while idle.
func endpointItem(stack, id, region string, resource map[string]any, p *Prices) (Item, bool) {
	md, _ := resource["Metadata"].(map[string]any)
	e, ok := md[EndpointMetadata].(map[string]any)
	if !ok {
		return Item{}, false
	}
	name, _ := e["EndpointName"].(string)
	it := Item{Stack: stack, LogicalID: id + " (endpoint " + name + ")", Type: EndpointType, Region: region}
	switch mode, _ := e["Mode"].(string); mode {
	case "serverless":
		it.Class = ClassUsage
		it.Note = fmt.Sprintf("serverless endpoint %s (%v MB): nothing while idle; billed per second of inference by memory size and per GB processed", name, e["MemorySizeMB"])
	case "real-time":
		typ, _ := e["InstanceType"].(string)
		n, ok := num(e["MinInstances"])
		if typ == "" || !ok {
			it.Class, it.Note = ClassUnpriced, "a real-time endpoint without a literal instance type and minimum instance count"
			return it, true
		}
		h, err := p.Get("sagemaker.hosting."+typ+".hour", region)
		if err != nil {
			it.Class, it.Note = ClassUnpriced, fmt.Sprintf("real-time endpoint %s on %s: %v", name, typ, err)
			return it, true
		}
		it.Class = ClassFixed
		it.Quantity = fmt.Sprintf("%g x %s x %.0f h x $%.4f", n, typ, p.HoursPerMonth, h)
		it.Monthly = n * p.HoursPerMonth * h
		it.Later = it.Monthly
		it.Note = fmt.Sprintf("real-time SageMaker endpoint %s, created by the deployment flow on the first approved model: its minimum instances bill every hour "+
			"(autoscaling adds up to %v); plus data processed. Lower: ml.deployment.mode serverless, a smaller instance type, or fewer minInstances", name, e["MaxInstances"])
	default:
		it.Class, it.Note = ClassUnpriced, fmt.Sprintf("endpoint %s of unknown mode %v", name, e["Mode"])
	}
	return it, true
}

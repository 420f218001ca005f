package batch

import "github.com/biolake/biolake/constructs/network"

// Endpoints returns the interface endpoints the compute of p calls from
// inside the VPC: ECR (image pulls) and CloudWatch Logs (the awslogs driver)
// for every job, and the three ECS endpoints the container agent of EC2
// hosts talks to
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html).
// New requires them of Props.Network.
func (p *Props) Endpoints() []network.Endpoint {
	eps := []network.Endpoint{network.EndpointECRAPI, network.EndpointECRDocker, network.EndpointLogs}
	for _, e := range p.Environments {
		if e.Kind.EC2() {
			return append(eps, network.EndpointECS, network.EndpointECSAgent, network.EndpointECSTelemetry)
		}
	}
	return eps
}

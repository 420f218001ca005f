// Package ml is the platform's SageMaker AI side: a domain in VpcOnly mode
// on the network's private subnets (no internet path of SageMaker's own),
// IAM authentication, its storage encrypted with a customer-managed key,
// the interface endpoints Studio calls required from the network
// (SageMaker API, runtime and Studio, STS, CloudWatch Logs; Athena with
// Props.Query), a security group that lets the apps reach the domain's
// file system (NFS) and each other and nothing in, user profiles, idle
// shutdown of JupyterLab and Code Editor apps, a model package group (the
// model registry) and an optional feature group whose offline store lies
// in the lake.
//
// Every profile and space runs with one execution role: it reads the
// curated and results buckets, writes only under the ML prefix of the
// results bucket ("ml/"), uses the domain's key through grants for AWS
// resources, and queries Athena through the workgroup when Props.Query is
// set (analytics.GrantQuery).
//
//	d := ml.New(stack, "ML", &ml.Props{
//		Network:      net,
//		Lake:         lake,
//		UserProfiles: []string{"jdoe"},
//		Query:        a, // *analytics.Analytics
//	})
//	d.GrantOpenStudio(scientistRole, "jdoe")
//
// A domain, its profiles, the model registry and an offline-only feature
// group have no idle charge: apps bill while they run (idle shutdown
// stops them), the home file system (EFS) and the offline store per GB.
// The interface endpoints bill per zone in networks that create them.
// How a scientist opens Studio is in docs/ANALYTICS.md.
//
// NewDeployment deploys each approved version of the registry to one
// endpoint (real-time in the private subnets, or serverless) through a
// Step Functions flow that rolls a failed deployment back; docs/ML.md
// says how to approve a version and what the flow does.
// NewLabeling adds a SageMaker Ground Truth private workforce (a Cognito
// user pool with MFA, or the lab's OIDC provider), its work teams, and
// the role labeling jobs run with, held to MLPrefix + "labeling/" of the
// results bucket; GrantStartLabelingJob lets a scientist start jobs for
// those teams only. docs/ML.md describes adding labelers and starting
// jobs.
package ml

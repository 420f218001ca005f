package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/analytics"
	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/constructs/ml"
)

// AnalyticsStack holds the Glue database and tables over the catalog export
// and the inventories, the Athena workgroup and its named queries, and
// (with ml.enabled) the SageMaker AI domain, its profiles and model
// registry. They hold no data of their own (the tables are metadata over
// the lake; the domain's key is in the Security stack, its offline feature
// store in the lake, and SageMaker keeps the home file system when the
// domain is deleted), so the stack is stateless.
type AnalyticsStack struct {
	awscdk.Stack
	Analytics *analytics.Analytics
	// ML is the SageMaker domain; nil when ml.enabled is false.
	ML *ml.Domain
	// Pipeline is the model-building pipeline; nil without ml.pipeline.
	Pipeline *ml.Pipeline
	// MLDeployment deploys approved models; nil without ml.deployment.
	MLDeployment *ml.Deployment
	// Labeling is the Ground Truth workforce and its teams; nil without
	// ml.labeling.
	Labeling *ml.Labeling
}

// NewAnalyticsStack creates the stack over the data lake's buckets, with
// the domain in the network's private subnets.
func NewAnalyticsStack(scope constructs.Construct, id string, env *config.Environment, sec *SecurityStack, net *NetworkStack, lake *DataLakeStack) *AnalyticsStack {
	s := &AnalyticsStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, "Athena workgroup, Glue tables, named queries and the SageMaker domain over the lake", false))}
	props := env.Analytics.Props(env)
	props.Lake = lake.Lake
	// The verify handler exports the catalog under this prefix.
	props.Catalog.Prefix = eventglue.CatalogPrefix
	if c := env.Analytics.CostAndUsageReport; c != nil {
		// The payer account's bucket: imported by name, read by GrantQuery.
		props.CostReport = &analytics.CostReport{
			Bucket:     awss3.Bucket_FromBucketName(s.Stack, jsii.String("CostReportBucket"), jsii.String(c.Bucket)),
			Prefix:     c.Prefix,
			ExportName: c.ExportName,
			ProjectTag: c.ProjectTag,
		}
		if c.KMSKeyArn != "" {
			props.CostReport.Key = awskms.Key_FromKeyArn(s.Stack, jsii.String("CostReportKey"), jsii.String(c.KMSKeyArn))
		}
	}
	s.Analytics = analytics.New(s.Stack, "Analytics", props)
	if env.ML.Enabled {
		mp := env.ML.Props(env)
		mp.Network, mp.Lake, mp.Key, mp.Query = net.Network, lake.Lake, sec.MLKey, s.Analytics
		s.ML = ml.New(s.Stack, "ML", mp)
		if pc := env.ML.Pipeline; pc != nil {
			pp := pc.Props(env)
			pp.Network, pp.Lake, pp.Registry, pp.Key = net.Network, lake.Lake, s.ML, s.ML.Key
			s.Pipeline = ml.NewPipeline(s.Stack, "ModelPipeline", pp)
		}
		if d := env.ML.Deployment; d != nil {
			// Approved model versions deploy to the endpoint; its key is
			// the domain's (the ML key).
			dp := d.Props(env)
			dp.Registry, dp.Network, dp.Lake, dp.Key, dp.MLPrefix = s.ML, net.Network, lake.Lake, sec.MLKey, s.ML.MLPrefix()
			s.MLDeployment = ml.NewDeployment(s.Stack, "MLDeployment", dp)
		}
	}
	if l := env.ML.Labeling; env.ML.Enabled && l != nil {
		// Jobs read and write under the domain's ML prefix; the teams'
		// topics are encrypted with the ML key (its policy gains a
		// statement for SageMaker of this account).
		lp := l.Props(env)
		lp.Lake, lp.Key, lp.MLPrefix = lake.Lake, sec.MLKey, s.ML.MLPrefix()
		s.Labeling = ml.NewLabeling(s.Stack, "Labeling", lp)
	}
	return s
}

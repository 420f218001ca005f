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
)

// AnalyticsStack holds the Glue database and tables over the catalog export
// and the inventories, the Athena workgroup and its named queries. They
// hold no data of their own (the tables are metadata over the lake), so
// the stack is stateless.
type AnalyticsStack struct {
	awscdk.Stack
	Analytics *analytics.Analytics
}

// NewAnalyticsStack creates the stack over the data lake's buckets.
func NewAnalyticsStack(scope constructs.Construct, id string, env *config.Environment, lake *DataLakeStack) *AnalyticsStack {
	s := &AnalyticsStack{Stack: awscdk.NewStack(scope, jsii.String(id), stackProps(env, "Athena workgroup, Glue tables and named queries over the catalog and the inventories", false))}
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
	return s
}

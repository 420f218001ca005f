package analytics

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/validation"
)

// Actions GrantQuery grants.
var (
	// queryActions on the workgroup: run, watch, stop and read queries,
	// and read the named queries.
	queryActions = []string{
		"athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution",
		"athena:BatchGetQueryExecution", "athena:ListQueryExecutions", "athena:GetQueryResults",
		"athena:GetQueryResultsStream", "athena:GetQueryRuntimeStatistics", "athena:GetWorkGroup",
		"athena:GetNamedQuery", "athena:BatchGetNamedQuery", "athena:ListNamedQueries",
	}
	// catalogActions on the catalog, the database and its tables: read
	// the metadata (partitions are projected, so none are stored).
	catalogActions = []string{
		"glue:GetDatabase", "glue:GetTable", "glue:GetTables",
		"glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
	}
	readObjects = []string{"s3:GetObject"}
	// listBucket is limited to the location's prefix; the bucket actions
	// carry no s3:prefix key, so they are granted without the condition.
	listBucket    = []string{"s3:ListBucket"}
	readBucket    = []string{"s3:GetBucketLocation"}
	resultObjects = []string{"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}
	resultBucket  = []string{"s3:GetBucketLocation", "s3:ListBucketMultipartUploads"}
	decrypt       = []string{"kms:Decrypt"}
	encrypt       = []string{"kms:Decrypt", "kms:GenerateDataKey"}
)

// GrantQuery lets grantee run queries through the workgroup (and only
// it: the workgroup's configuration is enforced), read the database's
// tables, read the objects of the tables' locations (and nothing else of
// their buckets) and the query results prefix, write query results, and
// use the locations' and results' KMS keys through S3.
func (a *Analytics) GrantQuery(grantee awsiam.IGrantable) awsiam.Grant {
	if grantee == nil {
		panic(validation.New(*a.Node().Path(), "GrantQuery(grantee)", validation.Raw("nil"), "a role or other grantable"))
	}
	stack := awscdk.Stack_Of(a)
	arn := func(service, resource, name string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String(service), Resource: jsii.String(resource), ResourceName: jsii.String(name)})
	}
	viaS3 := map[string]*map[string]interface{}{
		"StringEquals": {"kms:ViaService": "s3." + *stack.Region() + ".amazonaws.com"},
	}
	add := func(actions []string, resources []string, conditions map[string]*map[string]interface{}) awsiam.Grant {
		o := &awsiam.GrantOnPrincipalOptions{Grantee: grantee, Actions: jsii.Strings(actions...), ResourceArns: jsii.Strings(resources...)}
		if conditions != nil {
			o.Conditions = &conditions
		}
		return awsiam.Grant_AddToPrincipal(o)
	}
	g := add(queryActions, []string{a.WorkGroupArn()}, nil)
	catalog := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("glue"), Resource: jsii.String("catalog")})
	g = g.Combine(add(catalogActions, []string{catalog, arn("glue", "database", a.p.DatabaseName), arn("glue", "table", a.p.DatabaseName+"/*")}, nil))

	location := func(l Location, objects, bucket, keyActions []string) {
		g = g.Combine(add(objects, []string{*l.Bucket.ArnForObjects(jsii.String(l.Prefix + "*"))}, nil))
		g = g.Combine(add(listBucket, []string{*l.Bucket.BucketArn()}, map[string]*map[string]interface{}{
			"StringLike": {"s3:prefix": []string{l.Prefix, l.Prefix + "*"}},
		}))
		g = g.Combine(add(bucket, []string{*l.Bucket.BucketArn()}, nil))
		if l.Key != nil {
			g = g.Combine(add(keyActions, []string{*l.Key.KeyArn()}, viaS3))
		}
	}
	for _, l := range a.locations {
		location(l, readObjects, readBucket, decrypt)
	}
	location(a.p.QueryResults, resultObjects, resultBucket, encrypt)
	return g
}

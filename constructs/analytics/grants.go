package analytics

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslakeformation"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/nag"
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
	// dataAccess lets Athena obtain Lake Formation's credentials for a
	// registered location on the caller's behalf (Lake Formation mode).
	dataAccess = []string{"lakeformation:GetDataAccess"}
)

// GrantQuery lets grantee run queries through the workgroup (and only
// it: the workgroup's configuration is enforced), read the database's
// tables, read the objects of the tables' locations (and nothing else of
// their buckets; the Cost and Usage Report's prefix when configured) and
// the query results prefix, write query results, and use the locations'
// and results' KMS keys through S3.
//
// With Props.LakeFormation the grantee must be a role (or a user): its ARN
// is granted DESCRIBE and SELECT on every table of the database in Lake
// Formation, and its policy allows lakeformation:GetDataAccess, which has
// no resource-level permissions ("*"); Lake Formation then decides which
// tables it reads.
func (a *Analytics) GrantQuery(grantee awsiam.IGrantable) awsiam.Grant {
	if grantee == nil {
		panic(validation.New(*a.Node().Path(), "GrantQuery(grantee)", validation.Raw("nil"), "a role or other grantable"))
	}
	g := a.grantWorkGroup(grantee)
	for _, l := range a.locations {
		g = g.Combine(a.grantLocation(grantee, l, readObjects, readBucket, decrypt))
	}
	if a.p.lf != nil {
		g = g.Combine(a.grantLakeFormation(grantee))
	}
	return g
}

// GrantWorkGroup lets grantee run queries through the workgroup, read the
// database's metadata and write and read query results, but reads no
// table's data itself: in Lake Formation mode, what it may select is what
// Lake Formation grants it (a LakeFormation.SampleMetadataReaders entry:
// its columns only), and its policy allows lakeformation:GetDataAccess.
// Without Lake Formation it can query no table's data; use GrantQuery.
func (a *Analytics) GrantWorkGroup(grantee awsiam.IGrantable) awsiam.Grant {
	if grantee == nil {
		panic(validation.New(*a.Node().Path(), "GrantWorkGroup(grantee)", validation.Raw("nil"), "a role or other grantable"))
	}
	g := a.grantWorkGroup(grantee)
	if a.p.lf != nil {
		g = g.Combine(grantDataAccess(grantee))
	}
	return g
}

// grantDataAccess allows grantee lakeformation:GetDataAccess, which takes
// no resource, and records why the "*" stands on the grantee's policy (a
// construct of this app; a grantee outside the construct tree has no
// policy here to record it on).
func grantDataAccess(grantee awsiam.IGrantable) awsiam.Grant {
	g := addToPrincipal(grantee, dataAccess, []string{"*"}, nil)
	if c, ok := grantee.(constructs.IConstruct); ok {
		nag.SuppressDeferred(c, nag.Rule{
			ID: "AwsSolutions-IAM5",
			Reason: "lakeformation:GetDataAccess has no resource-level permissions (\"*\" is the only resource it takes); " +
				"Lake Formation decides which registered locations the credentials it vends reach, from the grants on the tables.",
			AppliesTo: []string{"Resource::*"},
		})
	}
	return g
}

// grantWorkGroup is the part of both grants: the workgroup, the catalog
// metadata and the results prefix.
func (a *Analytics) grantWorkGroup(grantee awsiam.IGrantable) awsiam.Grant {
	stack := awscdk.Stack_Of(a)
	arn := func(service, resource, name string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String(service), Resource: jsii.String(resource), ResourceName: jsii.String(name)})
	}
	g := addToPrincipal(grantee, queryActions, []string{a.WorkGroupArn()}, nil)
	catalog := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("glue"), Resource: jsii.String("catalog")})
	g = g.Combine(addToPrincipal(grantee, catalogActions, []string{catalog, arn("glue", "database", a.p.DatabaseName), arn("glue", "table", a.p.DatabaseName+"/*")}, nil))
	return g.Combine(a.grantLocation(grantee, a.p.QueryResults, resultObjects, resultBucket, encrypt))
}

// grantLocation lets grantee use objects under l's prefix, list that
// prefix only, use the bucket actions, and use l's key through S3.
func (a *Analytics) grantLocation(grantee awsiam.IGrantable, l Location, objects, bucket, keyActions []string) awsiam.Grant {
	stack := awscdk.Stack_Of(a)
	viaS3 := map[string]*map[string]interface{}{
		"StringEquals": {"kms:ViaService": "s3." + *stack.Region() + ".amazonaws.com"},
	}
	g := addToPrincipal(grantee, objects, []string{*l.Bucket.ArnForObjects(jsii.String(l.Prefix + "*"))}, nil)
	g = g.Combine(addToPrincipal(grantee, listBucket, []string{*l.Bucket.BucketArn()}, map[string]*map[string]interface{}{
		"StringLike": {"s3:prefix": []string{l.Prefix, l.Prefix + "*"}},
	}))
	g = g.Combine(addToPrincipal(grantee, bucket, []string{*l.Bucket.BucketArn()}, nil))
	if l.Key != nil {
		g = g.Combine(addToPrincipal(grantee, keyActions, []string{*l.Key.KeyArn()}, viaS3))
	}
	return g
}

// grantLakeFormation grants grantee's role DESCRIBE and SELECT on every
// table of the database (once per principal) and GetDataAccess.
func (a *Analytics) grantLakeFormation(grantee awsiam.IGrantable) awsiam.Grant {
	principal := principalArnOf(grantee)
	if principal == "" {
		panic(validation.New(*a.Node().Path(), "GrantQuery(grantee)", validation.Raw(fmt.Sprintf("%T", grantee)),
			"a role or user: with Props.LakeFormation its ARN is the Lake Formation principal granted SELECT"))
	}
	g := grantDataAccess(grantee)
	id := "QueryPermissions" + *awscdk.Names_NodeUniqueId(grantee.(constructs.IConstruct).Node())
	if a.Node().TryFindChild(jsii.String(id)) == nil {
		stack := awscdk.Stack_Of(a)
		pp := awslakeformation.NewCfnPrincipalPermissions(a, jsii.String(id), &awslakeformation.CfnPrincipalPermissionsProps{
			Catalog:   stack.Account(),
			Principal: &awslakeformation.CfnPrincipalPermissions_DataLakePrincipalProperty{DataLakePrincipalIdentifier: jsii.String(principal)},
			Resource: &awslakeformation.CfnPrincipalPermissions_ResourceProperty{
				Table: &awslakeformation.CfnPrincipalPermissions_TableResourceProperty{
					CatalogId:     stack.Account(),
					DatabaseName:  jsii.String(a.p.DatabaseName),
					TableWildcard: map[string]interface{}{},
				},
			},
			Permissions:                jsii.Strings("DESCRIBE", "SELECT"),
			PermissionsWithGrantOption: jsii.Strings(),
		})
		pp.Node().AddDependency(a.LakeFormationSettings)
		for _, t := range a.Tables {
			pp.Node().AddDependency(t)
		}
	}
	return g
}

// principalArnOf is the ARN of grantee when it is a role or a user, or "".
func principalArnOf(grantee awsiam.IGrantable) string {
	switch p := grantee.(type) {
	case awsiam.IRole:
		return *p.RoleArn()
	case awsiam.IUser:
		return *p.UserArn()
	}
	return ""
}

func addToPrincipal(grantee awsiam.IGrantable, actions []string, resources []string, conditions map[string]*map[string]interface{}) awsiam.Grant {
	o := &awsiam.GrantOnPrincipalOptions{Grantee: grantee, Actions: jsii.Strings(actions...), ResourceArns: jsii.Strings(resources...)}
	if conditions != nil {
		o.Conditions = &conditions
	}
	return awsiam.Grant_AddToPrincipal(o)
}

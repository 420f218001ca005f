package analytics_test

import (
	"fmt"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/analytics"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/secure"
)

// Athena over a data lake: the catalog export in the curated bucket, the
// inventories of the data buckets, results in the athena-results bucket,
// and a role that may query through the workgroup.
func Example() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{secure.LogBucketPolicyFlag: true}})
	stack := awscdk.NewStack(app, jsii.String("Lab"), nil)
	lake := datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true})

	a := analytics.New(stack, "Analytics", &analytics.Props{
		Lake:               lake,          // any datalake.ILake, such as datalake.FromBuckets
		BytesScannedCutoff: 1_000_000_000, // 1 GB a query
	})
	role := awsiam.NewRole(stack, jsii.String("Scientist"), &awsiam.RoleProps{AssumedBy: awsiam.NewAccountRootPrincipal()})
	a.GrantQuery(role)

	var queries []string
	for id := range a.NamedQueries {
		queries = append(queries, id)
	}
	sort.Strings(queries)
	fmt.Println(a.DatabaseName(), a.WorkGroupName(), len(a.Tables))
	fmt.Println(queries)
	// Output:
	// lab_analytics Lab-Analytics 8
	// [integrity_failures run_restore_list runs_per_instrument_week storage_by_class_and_age]
}

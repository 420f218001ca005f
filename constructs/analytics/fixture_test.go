package analytics_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/biolake/biolake/constructs/analytics"
	"github.com/biolake/biolake/constructs/datalake"
)

// lakeProps are the props biolake's stack passes for a lake: the catalog in
// the curated bucket, the inventories of every data bucket, results in the
// athena-results bucket.
func lakeProps(lake *datalake.DataLake) *analytics.Props {
	var sources []analytics.InventorySource
	for _, b := range datalake.DataBucketNames() {
		sources = append(sources, analytics.InventorySource{Name: string(b), Bucket: lake.Bucket(b)})
	}
	return &analytics.Props{
		LakeBuckets:  append(lake.DataBuckets(), lake.Analytics, lake.AthenaResults),
		Catalog:      analytics.Location{Bucket: lake.Curated, Key: lake.DataKey},
		Inventory:    &analytics.Inventory{Destination: analytics.Location{Bucket: lake.Analytics, Key: lake.AnalyticsKey}, Sources: sources},
		QueryResults: analytics.Location{Bucket: lake.AthenaResults, Key: lake.DataKey},
		Archive: []analytics.ArchiveRule{
			{Source: "raw", DataClass: "bcl", Days: 30, StorageClass: "DEEP_ARCHIVE"},
		},
		Workflows: []analytics.Workflow{{Name: "smoke", Project: "biolake"}},
	}
}

func newLake(scope constructs.Construct) *datalake.DataLake {
	return datalake.New(scope, "DataLake", &datalake.Props{DisableBackup: true})
}

var _ = awscdk.Stack_Of

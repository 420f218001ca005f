// Package analytics puts SQL over what the platform records: a Glue
// database with tables over the run and object catalog that the catalog
// exporter writes as Parquet and over the S3 Inventory reports of the lake's
// buckets (one table per bucket and an inventory view over all of them), all
// with partition projection, so no crawler runs and a new day's partition is
// visible at once; an Athena workgroup that enforces its configuration
// (engine version pinned, results encrypted with the lake's KMS key, a
// bytes-scanned cutoff per query, CloudWatch metrics); and the named queries
// a lab uses from day one (package athenasql holds their SQL, proven with
// DuckDB over Parquet written by the product's own exporters).
//
// The locations are a bucket, its key and a prefix each (Location); a
// datalake.ILake in Props.Lake gives them all. Every table lies in the lake
// (Props.LakeBuckets), except the one the lab names on purpose: the Cost
// and Usage Report (Props.CostReport, a CUR 2.0 export in the payer
// account's bucket), which adds the cost_and_usage table and the "Cost by
// project" query.
//
// Props.LakeFormation puts the database under Lake Formation permissions:
// the lake locations are registered with a role of the construct, new
// tables get no IAMAllowedPrincipals grant, administrators are added, and
// readers get SELECT on named columns only.
//
// GrantQuery lets a role run queries through the workgroup, reading only the
// tables' locations and writing only the results prefix. Athena and Glue
// have no idle charge: queries bill per byte scanned.
//
//	a := analytics.New(stack, "Analytics", &analytics.Props{Lake: lake})
//	a.GrantQuery(scientistRole)
//
// How a scientist runs the queries is in docs/ANALYTICS.md.
package analytics

package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/biolake/biolake/constructs/analytics"
	"github.com/biolake/biolake/constructs/analytics/athenasql"
	"github.com/biolake/biolake/constructs/datalake"
)

// Analytics settings: the Athena workgroup over the catalog export and the
// inventories (Athena and Glue have no idle charge: queries bill per byte
// scanned).
type Analytics struct {
	// BytesScannedCutoffMB cancels a query that scans more than this many
	// megabytes (10^6 bytes), at least 10 (Athena's minimum). At $5 per TB
	// scanned, 10000 MB caps a query at $0.05. Default: 10000.
	BytesScannedCutoffMB int64 `yaml:"bytesScannedCutoffMB"`
	// CostAndUsageReport is where the lab's Cost and Usage Report (a CUR
	// 2.0 export of AWS Data Exports, Parquet) is delivered; with it the
	// database gets the cost_and_usage table and the "Cost by project"
	// query. Default: none (no cost table, no cost query).
	CostAndUsageReport *CostAndUsageReport `yaml:"costAndUsageReport"`
	// LakeFormation governs the database with Lake Formation permissions.
	// Default: off.
	LakeFormation AnalyticsLakeFormation `yaml:"lakeFormation"`
}

// CostAndUsageReport is a CUR 2.0 export: its files lie under
// s3://<bucket>/<prefix><exportName>/data/BILLING_PERIOD=YYYY-MM/.
type CostAndUsageReport struct {
	// Bucket the export is delivered to, usually in the payer
	// (management) account; its owner must let the query roles read it
	// (docs/ANALYTICS.md). Required.
	Bucket string `yaml:"bucket"`
	// Prefix is the export's S3 prefix, ending in "/". Default: "" (the
	// bucket's root).
	Prefix string `yaml:"prefix"`
	// ExportName is the export's name (the report name). Required.
	ExportName string `yaml:"exportName"`
	// KMSKeyArn is the key the bucket is encrypted with, when SSE-KMS.
	// Default: "" (SSE-S3).
	KMSKeyArn string `yaml:"kmsKeyArn"`
	// ProjectTag is the cost-allocation tag "Cost by project" groups by.
	// Default: "project".
	ProjectTag string `yaml:"projectTag"`
}

// AnalyticsLakeFormation turns Lake Formation permissions on.
type AnalyticsLakeFormation struct {
	// Enabled puts the database under Lake Formation. Default: false.
	Enabled bool `yaml:"enabled"`
	// Admins are IAM role or user ARNs made data lake administrators
	// (added to the account's list). Required when enabled.
	Admins []string `yaml:"admins"`
	// SampleMetadataReaders get SELECT on the listed columns only.
	// Default: none.
	SampleMetadataReaders []SampleMetadataReader `yaml:"sampleMetadataReaders"`
}

// SampleMetadataReader is one principal's column-level SELECT.
type SampleMetadataReader struct {
	// Principal is an IAM role or user ARN. Required.
	Principal string `yaml:"principal"`
	// Table: runs or objects. Default: runs.
	Table string `yaml:"table"`
	// Columns of the table the principal may select. Required.
	Columns []string `yaml:"columns"`
}

// DefaultBytesScannedCutoffMB is the default of Analytics.BytesScannedCutoffMB.
const DefaultBytesScannedCutoffMB = 10_000

var kmsKeyArn = regexp.MustCompile(`^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)

func (a *Analytics) validate(e *Environment) error {
	if a.BytesScannedCutoffMB != 0 && a.BytesScannedCutoffMB*1_000_000 < analytics.MinBytesScannedCutoff {
		return e.fail("analytics.bytesScannedCutoffMB", fmt.Sprint(a.BytesScannedCutoffMB), "is below Athena's minimum; use at least 10 (10 MB), or leave it out for %d", DefaultBytesScannedCutoffMB)
	}
	if c := a.CostAndUsageReport; c != nil {
		const f = "analytics.costAndUsageReport."
		switch {
		case !analytics.IsBucketName(c.Bucket):
			return e.fail(f+"bucket", c.Bucket, "is not an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', beginning and ending with a letter or digit")
		case c.Prefix != "" && (!strings.HasSuffix(c.Prefix, "/") || strings.HasPrefix(c.Prefix, "/") || strings.Contains(c.Prefix, "://") || strings.ContainsAny(c.Prefix, "*?") || slices.Contains(strings.Split(c.Prefix, "/"), "..")):
			return e.fail(f+"prefix", c.Prefix, "must be the export's S3 prefix ending in \"/\" (such as \"cur/\"), without a leading \"/\", \"..\", \"*\", \"?\" or \"s3://\"; leave it out for the bucket's root")
		case !analytics.IsExportName(c.ExportName):
			return e.fail(f+"exportName", c.ExportName, "must be the export's name: letters, digits and ! - _ . * ' ( ), 1 to 128")
		case c.KMSKeyArn != "" && !kmsKeyArn.MatchString(c.KMSKeyArn):
			return e.fail(f+"kmsKeyArn", c.KMSKeyArn, "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or left out for SSE-S3")
		}
		if c.ProjectTag != "" {
			if _, err := athenasql.CostTagKey(c.ProjectTag); err != nil {
				return e.fail(f+"projectTag", c.ProjectTag, "must be a tag key: letters, digits, spaces and _ . : / = + - @, 1 to 128")
			}
		}
	}
	lf := a.LakeFormation
	if !lf.Enabled {
		if len(lf.Admins)+len(lf.SampleMetadataReaders) > 0 {
			return e.fail("analytics.lakeFormation.enabled", "false", "must be true when admins or sampleMetadataReaders are set (they take effect only in Lake Formation mode)")
		}
		return nil
	}
	if len(lf.Admins) == 0 {
		return e.fail("analytics.lakeFormation.admins", "", "needs at least one IAM role or user ARN when enabled (the data lake administrators who grant and revoke once IAM alone no longer suffices)")
	}
	for i, arn := range lf.Admins {
		if !analytics.IsPrincipalArn(arn) {
			return e.fail(fmt.Sprintf("analytics.lakeFormation.admins[%d]", i), arn, "is not an IAM role or user ARN, such as arn:aws:iam::123456789012:role/DataLakeAdmin")
		}
	}
	for i, r := range lf.SampleMetadataReaders {
		f := fmt.Sprintf("analytics.lakeFormation.sampleMetadataReaders[%d].", i)
		if !analytics.IsPrincipalArn(r.Principal) {
			return e.fail(f+"principal", r.Principal, "is not an IAM role or user ARN, such as arn:aws:iam::123456789012:role/SampleCurator")
		}
		table := r.Table
		if table == "" {
			table = athenasql.TableRuns
		}
		cols := analytics.TableColumns(table)
		if cols == nil {
			return e.fail(f+"table", r.Table, "is not accepted; use %s or %s", athenasql.TableRuns, athenasql.TableObjects)
		}
		if len(r.Columns) == 0 {
			return e.fail(f+"columns", "", "needs at least one column of the %s table", table)
		}
		for j, c := range r.Columns {
			if !slices.Contains(cols, c) {
				return e.fail(fmt.Sprintf("%scolumns[%d]", f, j), c, "is not a column of the %s table; its columns are %s", table, strings.Join(cols, ", "))
			}
		}
	}
	return nil
}

// Props returns the analytics props of this environment, without the lake's
// buckets and keys or the cost report's bucket (the stack wires them):
// database biolake_<env>, workgroup biolake-<env>, the cutoff, the
// lifecycle transitions to archive classes of the data buckets, the
// workflows' projects and the Lake Formation settings.
func (a *Analytics) Props(e *Environment) *analytics.Props {
	mb := a.BytesScannedCutoffMB
	if mb == 0 {
		mb = DefaultBytesScannedCutoffMB
	}
	p := &analytics.Props{
		DatabaseName:       "biolake_" + strings.ReplaceAll(e.Name, "-", "_"),
		WorkGroupName:      "biolake-" + e.Name,
		BytesScannedCutoff: mb * 1_000_000,
		ResultsSource:      string(datalake.BucketResults),
	}
	tiering := e.DataLake.Props().Tiering
	for _, b := range datalake.DataBucketNames() {
		for _, r := range tiering.Effective(b).Rules {
			for _, t := range r.Transitions {
				if t.StorageClass == datalake.Glacier || t.StorageClass == datalake.DeepArchive {
					p.Archive = append(p.Archive, analytics.ArchiveRule{Source: string(b), Prefix: r.Prefix, DataClass: r.DataClass, Days: t.Days, StorageClass: string(t.StorageClass)})
				}
			}
		}
	}
	for _, w := range e.Compute.Workflows {
		project := w.Project
		if project == "" {
			project = w.Name
		}
		p.Workflows = append(p.Workflows, analytics.Workflow{Name: w.Name, Project: project})
	}
	if lf := a.LakeFormation; lf.Enabled {
		p.LakeFormation = &analytics.LakeFormation{Admins: append([]string(nil), lf.Admins...)}
		for _, r := range lf.SampleMetadataReaders {
			p.LakeFormation.SampleMetadataReaders = append(p.LakeFormation.SampleMetadataReaders,
				analytics.ColumnReader{Principal: r.Principal, Table: r.Table, Columns: append([]string(nil), r.Columns...)})
		}
	}
	return p
}

package analytics

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"

	"github.com/biolake/biolake/constructs/analytics/athenasql"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/validation"
	"github.com/biolake/biolake/internal/catalogexport"
)

// Location is a prefix of a bucket and the key that encrypts it.
type Location struct {
	// Bucket holds the data. Required.
	Bucket awss3.IBucket
	// Key encrypts the bucket (SSE-KMS); GrantQuery lets the grantee use it
	// through S3. Required for QueryResults. Default: nil (SSE-S3).
	Key awskms.IKey
	// Prefix under which the data lies, ending in "/"; no leading "/", no
	// "..", "*" or "?". Default: per field.
	Prefix string
}

// InventorySource is one bucket whose S3 Inventory is queried.
type InventorySource struct {
	// Name of the bucket in the lake ("raw"): the reports lie under
	// Inventory.Destination.Prefix + Name, and the table is named
	// "inventory_" + Name. Lower-case letters, digits and _, starting with
	// a letter. Required.
	Name string
	// Bucket is the inventoried bucket: its physical name is part of the
	// reports' path. Required.
	Bucket awss3.IBucket
}

// Inventory says where the S3 Inventory reports of the lake's buckets are
// delivered: Destination.Prefix + <source name> + "/" + <bucket's physical
// name> + "/" + ConfigID + "/" (the layout of datalake.InventoryPrefix).
type Inventory struct {
	// Destination is the bucket the reports are delivered to (the lake's
	// analytics bucket) and its key. Prefix default: datalake.InventoryPrefix.
	Destination Location
	// ConfigID is the inventory configuration's id. Default:
	// datalake.InventoryID.
	ConfigID string
	// Fields are the optional fields the inventory lists. Default:
	// datalake.InventoryFields.
	Fields []string
	// Sources are the inventoried buckets. Required: at least one.
	Sources []InventorySource
}

// ArchiveRule is one lifecycle transition of current versions to an
// archive class (GLACIER or DEEP_ARCHIVE), for the "Archived next month"
// query.
type ArchiveRule = athenasql.ArchiveRule

// Workflow maps a workflow to its cost-allocation project, for the
// "Results per workflow and project" query.
type Workflow = athenasql.Workflow

// CostReport is where the lab's Cost and Usage Report is delivered: a CUR
// 2.0 export of AWS Data Exports in Parquet, whose files lie under
// Prefix + ExportName + "/data/BILLING_PERIOD=YYYY-MM/". The bucket is
// usually the payer (management) account's, outside the lake: it is read
// only because it is configured here, and its owner must let the query
// roles read it (docs/ANALYTICS.md has the bucket policy).
type CostReport struct {
	// Bucket the export is delivered to, usually imported by name
	// (awss3.Bucket_FromBucketName). Required.
	Bucket awss3.IBucket
	// Key encrypts the bucket, when it uses SSE-KMS with a customer
	// managed key; GrantQuery lets the grantee decrypt with it through S3.
	// Default: nil (SSE-S3).
	Key awskms.IKey
	// Prefix is the export's S3 prefix, ending in "/" (no leading "/",
	// no "..", "*" or "?"). Default: "" (the export lies at the bucket's
	// root).
	Prefix string
	// ExportName is the export's name (the report name in the Billing
	// console): letters, digits and ! - _ . * ' ( ), at most 128.
	// Required.
	ExportName string
	// ProjectTag is the cost-allocation tag the "Cost by project" query
	// groups by; it must be activated in the Billing console. Default:
	// "project" (the tag every biolake resource carries).
	ProjectTag string
}

// LakeFormation turns on Lake Formation permissions over the database:
// the tables' lake locations are registered with a role of the construct,
// new tables of the database get no IAMAllowedPrincipals grant, and
// readers get column-level SELECT. IAM alone no longer gives access to a
// table; docs/ANALYTICS.md says what changes and what a lab does once.
type LakeFormation struct {
	// Admins are the IAM role or user ARNs made data lake administrators
	// (added to the account's list, never replacing it). The role
	// CloudFormation deploys with is added when the stack uses the default
	// synthesizer. Required: at least one.
	Admins []string
	// SampleMetadataReaders get SELECT on only the listed columns of a
	// table. Default: none.
	SampleMetadataReaders []ColumnReader
}

// ColumnReader is one principal's column-level SELECT on one table.
type ColumnReader struct {
	// Principal is an IAM role or user ARN
	// (arn:aws:iam::123456789012:role/name). Required.
	Principal string
	// Table is the table: "runs" (the runs' metadata) or "objects".
	// Default: "runs".
	Table string
	// Columns the principal may select; each a column of the table.
	// Required: at least one.
	Columns []string
}

// Props configure the analytics construct.
type Props struct {
	// Lake, when set, gives the locations left empty: Catalog in its
	// curated bucket, Inventory of its data buckets in its analytics
	// bucket, QueryResults in its athena-results bucket, each with the
	// bucket's key, and LakeBuckets every bucket it has. The lake must
	// have the curated, analytics and athena-results buckets. Default:
	// nil (every location is given).
	Lake datalake.ILake
	// LakeBuckets are the buckets tables may lie in. Every location's
	// bucket must be one of them, so GrantQuery never reaches outside the
	// lake. Default: none (not checked).
	LakeBuckets []awss3.IBucket
	// Catalog is where the catalog exporter writes runs/ and objects/
	// (the curated bucket). Prefix default: catalogexport.DefaultPrefix
	// ("catalog/"). Required.
	Catalog Location
	// Inventory of the lake's buckets. Required.
	Inventory *Inventory
	// QueryResults is where the workgroup writes query results (the
	// athena-results bucket), encrypted with SSE-KMS and Key. Prefix
	// default: "athena/". Bucket and Key are required.
	QueryResults Location
	// BytesScannedCutoff cancels a query that scans more bytes, at least
	// 10000000 (10 MB, Athena's minimum). Default: 10000000000 (10 GB,
	// $0.05 a query at $5 per TB).
	BytesScannedCutoff int64
	// EngineVersion pins the workgroup's Athena engine. Default:
	// "Athena engine version 3".
	EngineVersion string
	// DatabaseName of the Glue database: lower-case letters, digits and _,
	// at most 255. Default: the construct path in lower case with "_"
	// for other characters ("dev_analytics_analytics").
	DatabaseName string
	// WorkGroupName of the Athena workgroup: letters, digits, ".", "_" and
	// "-", at most 128. Default: the construct path with "-" for other
	// characters.
	WorkGroupName string
	// ProjectionStart is the first day (YYYY-MM-DD) partition projection
	// lists. Default: "2024-01-01".
	ProjectionStart string
	// Archive rules of the lifecycle policy; without any, the "Archived
	// next month" query is not created. Default: none.
	Archive []ArchiveRule
	// Workflows and their projects; without any, the "Results per
	// workflow and project" query is not created. Default: none.
	Workflows []Workflow
	// ResultsSource is the inventory source of the results bucket.
	// Default: "results".
	ResultsSource string
	// WorkflowPrefix is where workflows write in the results bucket.
	// Default: "workflows/".
	WorkflowPrefix string
	// CostReport, when set, adds the cost_and_usage table over the lab's
	// Cost and Usage Report and the "Cost by project" query. Its bucket
	// need not be one of LakeBuckets: it is the one location outside the
	// lake a table may have, because it is named here. Default: nil (no
	// cost table, no cost query).
	CostReport *CostReport
	// LakeFormation, when set, governs the database with Lake Formation
	// permissions. Default: nil (IAM permissions only).
	LakeFormation *LakeFormation
}

// Defaults and limits.
const (
	DefaultBytesScannedCutoff int64 = 10_000_000_000
	// MinBytesScannedCutoff is Athena's minimum cutoff.
	MinBytesScannedCutoff  int64 = 10_000_000
	DefaultEngineVersion         = "Athena engine version 3"
	DefaultResultsPrefix         = "athena/"
	DefaultProjectionStart       = "2024-01-01"
)

// EngineVersions are the engine versions accepted.
var EngineVersions = []string{"Athena engine version 3"}

var (
	sourceName   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	databaseName = regexp.MustCompile(`^[a-z0-9_]{1,255}$`)
	workGroup    = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,128}$`)
	dateValue    = regexp.MustCompile(`^20[0-9]{2}-[01][0-9]-[0-3][0-9]$`)
	// bucketName is an S3 bucket name: 3 to 63 lower-case letters, digits,
	// dots and hyphens, beginning and ending with a letter or digit.
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	exportName = regexp.MustCompile(`^[0-9A-Za-z!_.*'()-]{1,128}$`)
	// principalArn is an IAM role or user ARN, the principals Lake
	// Formation grants to here.
	principalArn = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
)

// Lake Formation tables a ColumnReader may name.
var columnTables = map[string]func() []athenasql.Column{
	athenasql.TableRuns:    athenasql.RunColumns,
	athenasql.TableObjects: athenasql.ObjectColumns,
}

// resolved are the props with defaults applied and prefixes normalised.
type resolved struct {
	Props
	inv     Inventory
	queries []athenasql.Query
	invCols []athenasql.Column
	// cost is CostReport with defaults; nil without one.
	cost *CostReport
	// lf is LakeFormation with defaults; nil without it.
	lf *LakeFormation
}

// validate checks p and returns it with defaults, or the validation errors.
func validate(path string, p *Props, defaultName string) (*resolved, error) {
	var errs []error
	bad := validation.Collector(path, &errs)
	if p == nil {
		return nil, validation.New(path, "Props", validation.Raw("nil"), "props with Catalog, Inventory and QueryResults")
	}
	r := &resolved{Props: *p}
	if p.Lake != nil {
		if err := datalake.RequireBuckets(path, "Props.Lake", p.Lake, datalake.BucketCurated, datalake.BucketAnalytics, datalake.BucketAthenaResults); err != nil {
			return nil, err
		}
		r.fromLake(p.Lake)
	}
	lake := map[string]bool{}
	for _, b := range r.LakeBuckets {
		if b != nil {
			lake[*b.BucketName()] = true
		}
	}
	location := func(field string, l *Location, def string, keyRequired bool) {
		if l.Bucket == nil {
			bad(field+".Bucket", validation.Raw("nil"), "the bucket the data lies in")
			return
		}
		if len(lake) > 0 && !lake[*l.Bucket.BucketName()] {
			bad(field+".Bucket", *l.Bucket.Node().Path(), "a bucket of Props.LakeBuckets: a table outside the lake would let GrantQuery read it")
		}
		if keyRequired && l.Key == nil {
			bad(field+".Key", validation.Raw("nil"), "the KMS key results are encrypted with (SSE-KMS)")
		}
		if l.Prefix == "" {
			l.Prefix = def
		}
		norm, err := datalake.NormalizePrefix(l.Prefix)
		if err != nil || strings.Contains(l.Prefix, "://") {
			bad(field+".Prefix", l.Prefix, "a key prefix inside the bucket, such as %q: no leading \"/\", no \"..\", \"*\", \"?\" or \"s3://\"", def)
			return
		}
		l.Prefix = norm
	}
	location("Catalog", &r.Catalog, catalogexport.DefaultPrefix, false)
	location("QueryResults", &r.QueryResults, DefaultResultsPrefix, true)

	if r.Inventory == nil {
		bad("Inventory", validation.Raw("nil"), "the inventory's destination and sources")
	} else {
		r.inv = *r.Inventory
		location("Inventory.Destination", &r.inv.Destination, datalake.InventoryPrefix, false)
		if r.inv.ConfigID == "" {
			r.inv.ConfigID = datalake.InventoryID
		}
		if !regexp.MustCompile(`^[a-zA-Z0-9._-]{1,64}$`).MatchString(r.inv.ConfigID) {
			bad("Inventory.ConfigID", r.inv.ConfigID, "an S3 inventory id: letters, digits, '.', '_' and '-', at most 64")
		}
		if r.inv.Fields == nil {
			r.inv.Fields = datalake.InventoryFields
		}
		cols, err := athenasql.InventoryColumns(r.inv.Fields)
		if err != nil {
			bad("Inventory.Fields", strings.Join(r.inv.Fields, ","), "S3 Inventory optional fields (%s) including those the queries read (%s)", strings.Join(athenasql.InventoryFieldNames(), ", "), err)
		}
		r.invCols = cols
		if len(r.inv.Sources) == 0 {
			bad("Inventory.Sources", validation.Raw("[]"), "at least one inventoried bucket")
		}
		seen := map[string]bool{}
		for i, s := range r.inv.Sources {
			f := fmt.Sprintf("Inventory.Sources[%d]", i)
			if !sourceName.MatchString(s.Name) {
				bad(f+".Name", s.Name, "lower-case letters, digits and _, starting with a letter, at most 63 (it names the table inventory_<name>)")
			} else if seen[s.Name] {
				bad(f+".Name", s.Name, "a name not listed before")
			}
			seen[s.Name] = true
			if s.Bucket == nil {
				bad(f+".Bucket", validation.Raw("nil"), "the inventoried bucket")
			} else if len(lake) > 0 && !lake[*s.Bucket.BucketName()] {
				bad(f+".Bucket", *s.Bucket.Node().Path(), "a bucket of Props.LakeBuckets: a table outside the lake would let GrantQuery read it")
			}
		}
		if p.ResultsSource != "" && !seen[p.ResultsSource] {
			bad("ResultsSource", p.ResultsSource, "the name of an inventory source")
		}
	}

	switch {
	case r.BytesScannedCutoff == 0:
		r.BytesScannedCutoff = DefaultBytesScannedCutoff
	case r.BytesScannedCutoff < MinBytesScannedCutoff:
		bad("BytesScannedCutoff", r.BytesScannedCutoff, "at least %d (10 MB, Athena's minimum), or 0 for the default %d", MinBytesScannedCutoff, DefaultBytesScannedCutoff)
	}
	if r.EngineVersion == "" {
		r.EngineVersion = DefaultEngineVersion
	}
	if !slices.Contains(EngineVersions, r.EngineVersion) {
		bad("EngineVersion", r.EngineVersion, "%s", strings.Join(EngineVersions, ", "))
	}
	if r.DatabaseName == "" {
		r.DatabaseName = strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(defaultName, "_"))
	}
	if !databaseName.MatchString(r.DatabaseName) {
		bad("DatabaseName", r.DatabaseName, "lower-case letters, digits and _, at most 255")
	}
	if r.WorkGroupName == "" {
		r.WorkGroupName = regexp.MustCompile(`[^A-Za-z0-9._-]+`).ReplaceAllString(defaultName, "-")
	}
	if !workGroup.MatchString(r.WorkGroupName) {
		bad("WorkGroupName", r.WorkGroupName, "letters, digits, '.', '_' and '-', at most 128")
	}
	if r.ProjectionStart == "" {
		r.ProjectionStart = DefaultProjectionStart
	}
	if !dateValue.MatchString(r.ProjectionStart) {
		bad("ProjectionStart", r.ProjectionStart, "a day as YYYY-MM-DD, such as %q", DefaultProjectionStart)
	}
	for i, a := range r.Archive {
		f := fmt.Sprintf("Archive[%d]", i)
		if r.Inventory != nil && !slices.ContainsFunc(r.Inventory.Sources, func(s InventorySource) bool { return s.Name == a.Source }) {
			bad(f+".Source", a.Source, "the name of an inventory source")
		}
		if !slices.Contains(athenasql.ArchiveClasses, a.StorageClass) {
			bad(f+".StorageClass", a.StorageClass, "%s", strings.Join(athenasql.ArchiveClasses, " or "))
		}
		if a.Days < 0 {
			bad(f+".Days", a.Days, "0 or more")
		}
		if _, err := datalake.NormalizePrefix(a.Prefix); err != nil {
			bad(f+".Prefix", a.Prefix, "a key prefix or \"\"")
		}
	}
	r.validateCostReport(bad)
	r.validateLakeFormation(bad)
	if len(errs) == 0 {
		qs, err := athenasql.Queries(athenasql.Params{Archive: r.Archive, Workflows: r.Workflows, ResultsSource: r.ResultsSource, WorkflowPrefix: r.WorkflowPrefix,
			CostReport: r.cost != nil, ProjectTag: r.costProjectTag()})
		if err != nil {
			bad("WorkflowPrefix", r.WorkflowPrefix, "a key prefix ending in \"/\" (%s)", err)
		}
		r.queries = qs
	}
	return r, validation.Join(path, errs...)
}

// fromLake fills the locations left empty from lake.
func (r *resolved) fromLake(lake datalake.ILake) {
	loc := func(name datalake.BucketName) Location {
		return Location{Bucket: lake.Bucket(name), Key: lake.Key(name)}
	}
	if r.Catalog.Bucket == nil {
		prefix := r.Catalog.Prefix
		r.Catalog = loc(datalake.BucketCurated)
		r.Catalog.Prefix = prefix
	}
	if r.QueryResults.Bucket == nil {
		prefix := r.QueryResults.Prefix
		r.QueryResults = loc(datalake.BucketAthenaResults)
		r.QueryResults.Prefix = prefix
	}
	if r.Inventory == nil {
		inv := &Inventory{Destination: loc(datalake.BucketAnalytics)}
		for _, b := range datalake.DataBucketNames() {
			if lake.Has(b) {
				inv.Sources = append(inv.Sources, InventorySource{Name: string(b), Bucket: lake.Bucket(b)})
			}
		}
		r.Inventory = inv
	}
	if r.LakeBuckets == nil {
		for _, b := range datalake.AllBuckets() {
			if lake.Has(b) {
				r.LakeBuckets = append(r.LakeBuckets, lake.Bucket(b))
			}
		}
	}
}

func (r *resolved) costProjectTag() string {
	if r.cost == nil {
		return ""
	}
	return r.cost.ProjectTag
}

// validateCostReport checks CostReport and applies its defaults. Its
// bucket is exempt from the LakeBuckets rule: naming it here is what lets a
// table read outside the lake.
func (r *resolved) validateCostReport(bad func(field string, value any, accepted string, args ...any)) {
	if r.CostReport == nil {
		return
	}
	c := *r.CostReport
	n := len(c.Prefix)
	switch {
	case c.Bucket == nil:
		bad("CostReport.Bucket", validation.Raw("nil"), "the bucket the Cost and Usage Report is delivered to (awss3.Bucket_FromBucketName)")
	case !isToken(*c.Bucket.BucketName()) && !IsBucketName(*c.Bucket.BucketName()):
		bad("CostReport.Bucket", *c.Bucket.BucketName(), "an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', beginning and ending with a letter or digit")
	}
	if _, err := datalake.NormalizePrefix(c.Prefix); err != nil || (n > 0 && c.Prefix[n-1] != '/') || strings.Contains(c.Prefix, "://") {
		bad("CostReport.Prefix", c.Prefix, "the export's S3 prefix ending in \"/\" (\"cur/\"), or \"\" for the bucket's root: no leading \"/\", no \"..\", \"*\", \"?\" or \"s3://\"")
	}
	if !exportName.MatchString(c.ExportName) {
		bad("CostReport.ExportName", c.ExportName, "the export's name: letters, digits and ! - _ . * ' ( ), 1 to 128")
	}
	if c.ProjectTag == "" {
		c.ProjectTag = athenasql.DefaultProjectTag
	}
	if _, err := athenasql.CostTagKey(c.ProjectTag); err != nil {
		bad("CostReport.ProjectTag", c.ProjectTag, "a tag key: letters, digits, spaces and _ . : / = + - @, 1 to 128")
	}
	r.cost = &c
}

// validateLakeFormation checks LakeFormation and applies its defaults.
func (r *resolved) validateLakeFormation(bad func(field string, value any, accepted string, args ...any)) {
	if r.LakeFormation == nil {
		return
	}
	lf := *r.LakeFormation
	if len(lf.Admins) == 0 {
		bad("LakeFormation.Admins", validation.Raw("[]"), "at least one IAM role or user ARN to make a data lake administrator (who can grant and revoke once IAM alone no longer suffices)")
	}
	for i, a := range lf.Admins {
		if !isToken(a) && !principalArn.MatchString(a) {
			bad(fmt.Sprintf("LakeFormation.Admins[%d]", i), a, "an IAM role or user ARN, such as arn:aws:iam::123456789012:role/DataLakeAdmin")
		}
	}
	lf.SampleMetadataReaders = append([]ColumnReader(nil), lf.SampleMetadataReaders...)
	for i := range lf.SampleMetadataReaders {
		c := &lf.SampleMetadataReaders[i]
		f := fmt.Sprintf("LakeFormation.SampleMetadataReaders[%d]", i)
		if !isToken(c.Principal) && !principalArn.MatchString(c.Principal) {
			bad(f+".Principal", c.Principal, "an IAM role or user ARN, such as arn:aws:iam::123456789012:role/SampleCurator")
		}
		if c.Table == "" {
			c.Table = athenasql.TableRuns
		}
		cols, ok := columnTables[c.Table]
		if !ok {
			bad(f+".Table", c.Table, "%s or %s", athenasql.TableRuns, athenasql.TableObjects)
			continue
		}
		if len(c.Columns) == 0 {
			bad(f+".Columns", validation.Raw("[]"), "at least one column of the %s table", c.Table)
		}
		var names []string
		for _, col := range cols() {
			names = append(names, col.Name)
		}
		seen := map[string]bool{}
		for j, col := range c.Columns {
			switch {
			case !slices.Contains(names, col):
				bad(fmt.Sprintf("%s.Columns[%d]", f, j), col, "a column of the %s table: %s", c.Table, strings.Join(names, ", "))
			case seen[col]:
				bad(fmt.Sprintf("%s.Columns[%d]", f, j), col, "a column not listed before")
			}
			seen[col] = true
		}
	}
	r.lf = &lf
}

// isToken reports whether s is an unresolved CDK token (a bucket name or
// ARN known only at deploy time), which cannot be checked at synth.
func isToken(s string) bool { return *awscdk.Token_IsUnresolved(s) }

// IsPrincipalArn reports whether s is an IAM role or user ARN, the
// principals LakeFormation grants to.
func IsPrincipalArn(s string) bool { return principalArn.MatchString(s) }

// IsBucketName reports whether s is a valid S3 bucket name.
func IsBucketName(s string) bool { return bucketName.MatchString(s) && !strings.Contains(s, "..") }

// IsExportName reports whether s is a valid AWS Data Exports export name.
func IsExportName(s string) bool { return exportName.MatchString(s) }

// TableColumns lists the columns of a table a ColumnReader may name, in
// order, or nil for another table.
func TableColumns(table string) []string {
	cols, ok := columnTables[table]
	if !ok {
		return nil
	}
	var out []string
	for _, c := range cols() {
		out = append(out, c.Name)
	}
	return out
}

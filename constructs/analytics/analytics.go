package analytics

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsathena"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslakeformation"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/analytics/athenasql"
	"github.com/biolake/biolake/constructs/validation"
)

// Analytics is the Glue database, its tables and view, the Athena workgroup
// and the named queries. Create it with New.
type Analytics struct {
	constructs.Construct

	// Database is the Glue database.
	Database awsglue.CfnDatabase
	// WorkGroup is the Athena workgroup.
	WorkGroup awsathena.CfnWorkGroup
	// Tables are the Glue tables and the inventory view, by name.
	Tables map[string]awsglue.CfnTable
	// NamedQueries by query id ("storage_by_class_and_age").
	NamedQueries map[string]awsathena.CfnNamedQuery

	// DataAccessRole is the role Lake Formation assumes to read the
	// registered locations; nil without Props.LakeFormation.
	DataAccessRole awsiam.Role
	// LakeFormationSettings adds the admins; nil without
	// Props.LakeFormation.
	LakeFormationSettings awslakeformation.CfnDataLakeSettings

	p *resolved
	// locations are the S3 locations of the tables, for GrantQuery.
	locations []Location
}

// New creates the database, tables, workgroup and named queries. It panics
// with a validation error when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Analytics {
	path := validation.PathOf(scope, id)
	p, err := validate(path, props, path)
	validation.Check(path, err)

	a := &Analytics{p: p, Tables: map[string]awsglue.CfnTable{}, NamedQueries: map[string]awsathena.CfnNamedQuery{}}
	constructs.NewConstruct_Override(a, scope, jsii.String(id))
	stack := awscdk.Stack_Of(a)

	input := &awsglue.CfnDatabase_DatabaseInputProperty{
		Name:        jsii.String(p.DatabaseName),
		Description: jsii.String("biolake " + path + ": the run and object catalog, S3 Inventory of the lake's buckets (partition projection, no crawler)"),
	}
	if p.lf != nil {
		// No IAMAllowedPrincipals grant on the tables created in this
		// database: Lake Formation permissions govern them.
		input.CreateTableDefaultPermissions = []interface{}{}
	}
	a.Database = awsglue.NewCfnDatabase(a, jsii.String("Database"), &awsglue.CfnDatabaseProps{
		CatalogId:     stack.Account(),
		DatabaseInput: input,
	})

	// The catalog export: runs/ and objects/, partitioned by day.
	catalog := func(name, dir string, cols []athenasql.Column, doc string) {
		loc := Location{Bucket: p.Catalog.Bucket, Key: p.Catalog.Key, Prefix: p.Catalog.Prefix + dir + "/"}
		root := s3URL(loc)
		a.table(name, doc, cols, root, map[string]*string{
			"projection.dt.type":          jsii.String("date"),
			"projection.dt.format":        jsii.String("yyyy-MM-dd"),
			"projection.dt.range":         jsii.String(p.ProjectionStart + ",NOW"),
			"projection.dt.interval":      jsii.String("1"),
			"projection.dt.interval.unit": jsii.String("DAYS"),
			"storage.location.template":   jsii.String(root + "dt=${dt}/"),
		}, "dt", false)
		a.locations = append(a.locations, loc)
	}
	catalog(athenasql.TableRuns, "runs", athenasql.RunColumns(), "One row per verified run, written by the catalog export (internal/catalogexport.RunRow)")
	catalog(athenasql.TableObjects, "objects", athenasql.ObjectColumns(), "One row per object version of a verified run, written by the catalog export (internal/catalogexport.ObjectRow)")

	// One table per inventoried bucket, over the reports' hive/ symlinks
	// (each dt=YYYY-MM-DD-HH-MM/symlink.txt lists that day's Parquet files).
	var sources []string
	for _, s := range p.inv.Sources {
		dest := p.inv.Destination
		loc := Location{Bucket: dest.Bucket, Key: dest.Key,
			Prefix: dest.Prefix + s.Name + "/" + *s.Bucket.BucketName() + "/" + p.inv.ConfigID + "/"}
		root := s3URL(loc) + "hive/"
		a.table(athenasql.InventoryTablePrefix+s.Name, "Daily S3 Inventory (Parquet, every version) of the "+s.Name+" bucket", p.invCols, root, map[string]*string{
			"projection.dt.type":   jsii.String("date"),
			"projection.dt.format": jsii.String("yyyy-MM-dd-HH-mm"),
			"projection.dt.range":  jsii.String(p.ProjectionStart + "-00-00,NOW"),
			// S3 names a report's partition by the hour it was written
			// (dt=YYYY-MM-DD-HH-00), not always midnight: project hours.
			"projection.dt.interval":      jsii.String("1"),
			"projection.dt.interval.unit": jsii.String("HOURS"),
			"storage.location.template":   jsii.String(root + "dt=${dt}/"),
		}, "dt", true)
		a.locations = append(a.locations, loc)
		sources = append(sources, s.Name)
	}
	a.inventoryView(sources)
	if p.cost != nil {
		a.costTable()
	}
	if p.lf != nil {
		a.lakeFormation()
	}

	res := p.QueryResults
	a.WorkGroup = awsathena.NewCfnWorkGroup(a, jsii.String("WorkGroup"), &awsathena.CfnWorkGroupProps{
		Name:                   jsii.String(p.WorkGroupName),
		Description:            jsii.String("biolake " + path + ": queries over the catalog and the inventories; configuration enforced"),
		State:                  jsii.String("ENABLED"),
		RecursiveDeleteOption:  jsii.Bool(true),
		WorkGroupConfiguration: a.workGroupConfiguration(res),
	})
	for _, q := range p.queries {
		nq := awsathena.NewCfnNamedQuery(a, jsii.String(queryID(q.ID)), &awsathena.CfnNamedQueryProps{
			Name:        jsii.String(q.Name),
			Description: jsii.String(truncate(q.Description, 1024)),
			Database:    jsii.String(p.DatabaseName),
			WorkGroup:   a.WorkGroup.Ref(),
			QueryString: jsii.String(q.SQL),
		})
		nq.Node().AddDependency(a.Database)
		a.NamedQueries[q.ID] = nq
	}
	return a
}

// workGroupConfiguration enforces the engine, the results location and
// encryption, the cutoff and the metrics.
func (a *Analytics) workGroupConfiguration(res Location) *awsathena.CfnWorkGroup_WorkGroupConfigurationProperty {
	return &awsathena.CfnWorkGroup_WorkGroupConfigurationProperty{
		EnforceWorkGroupConfiguration:   jsii.Bool(true),
		PublishCloudWatchMetricsEnabled: jsii.Bool(true),
		BytesScannedCutoffPerQuery:      jsii.Number(float64(a.p.BytesScannedCutoff)),
		RequesterPaysEnabled:            jsii.Bool(false),
		EngineVersion:                   &awsathena.CfnWorkGroup_EngineVersionProperty{SelectedEngineVersion: jsii.String(a.p.EngineVersion)},
		ResultConfiguration: &awsathena.CfnWorkGroup_ResultConfigurationProperty{
			OutputLocation:      jsii.String(s3URL(res)),
			ExpectedBucketOwner: awscdk.Stack_Of(a).Account(),
			EncryptionConfiguration: &awsathena.CfnWorkGroup_EncryptionConfigurationProperty{
				EncryptionOption: jsii.String("SSE_KMS"),
				KmsKey:           res.Key.KeyArn(),
			},
		},
	}
}

// table creates one external Parquet table partitioned by dt with partition
// projection; symlink reads the location's symlink.txt files (S3 Inventory).
func (a *Analytics) table(name, doc string, cols []athenasql.Column, location string, projection map[string]*string, partition string, symlink bool) {
	params := map[string]*string{
		"classification":     jsii.String("parquet"),
		"projection.enabled": jsii.String("true"),
		"EXTERNAL":           jsii.String("TRUE"),
	}
	for k, v := range projection {
		params[k] = v
	}
	input := "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
	output := "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
	if symlink {
		input = "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
		output = "org.apache.hadoop.hive.ql.io.IgnoreKeyTextOutputFormat"
	}
	t := awsglue.NewCfnTable(a, jsii.String(tableID(name)), &awsglue.CfnTableProps{
		CatalogId:    awscdk.Stack_Of(a).Account(),
		DatabaseName: a.Database.Ref(),
		TableInput: &awsglue.CfnTable_TableInputProperty{
			Name:          jsii.String(name),
			Description:   jsii.String(doc),
			TableType:     jsii.String("EXTERNAL_TABLE"),
			Parameters:    params,
			PartitionKeys: []*awsglue.CfnTable_ColumnProperty{{Name: jsii.String(partition), Type: jsii.String("string")}},
			StorageDescriptor: &awsglue.CfnTable_StorageDescriptorProperty{
				Columns:      glueColumns(cols),
				Location:     jsii.String(location),
				InputFormat:  jsii.String(input),
				OutputFormat: jsii.String(output),
				SerdeInfo: &awsglue.CfnTable_SerdeInfoProperty{
					SerializationLibrary: jsii.String("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"),
				},
			},
		},
	})
	a.Tables[name] = t
}

// costTable is the table over the CUR 2.0 export: Parquet under
// <prefix><export>/data/BILLING_PERIOD=YYYY-MM/, the billing period
// projected month by month from ProjectionStart's month.
func (a *Analytics) costTable() {
	c := a.p.cost
	loc := Location{Bucket: c.Bucket, Key: c.Key, Prefix: c.Prefix + c.ExportName + "/data/"}
	root := s3URL(loc)
	a.table(athenasql.TableCostAndUsage, "The Cost and Usage Report (CUR 2.0, AWS Data Exports, Parquet) of export "+c.ExportName+", by billing period", athenasql.CostColumns(), root, map[string]*string{
		"projection." + athenasql.CostPartition + ".type":          jsii.String("date"),
		"projection." + athenasql.CostPartition + ".format":        jsii.String("yyyy-MM"),
		"projection." + athenasql.CostPartition + ".range":         jsii.String(a.p.ProjectionStart[:7] + ",NOW"),
		"projection." + athenasql.CostPartition + ".interval":      jsii.String("1"),
		"projection." + athenasql.CostPartition + ".interval.unit": jsii.String("MONTHS"),
		"storage.location.template":                                jsii.String(root + "BILLING_PERIOD=${" + athenasql.CostPartition + "}/"),
	}, athenasql.CostPartition, false)
	a.locations = append(a.locations, loc)
}

// inventoryView is the inventory view: a Trino view stored in Glue the way
// Athena stores one (CREATE VIEW), whose SQL is athenasql.InventoryViewSQL,
// the text the DuckDB test runs.
func (a *Analytics) inventoryView(sources []string) {
	var cols []map[string]string
	glue := []athenasql.Column{}
	for _, c := range athenasql.InventoryViewColumns(a.p.invCols) {
		cols = append(cols, map[string]string{"name": c.Name, "type": c.Type})
		glue = append(glue, athenasql.Column{Name: c.Name, Type: hiveType(c.Type)})
	}
	view, err := json.Marshal(map[string]any{
		"originalSql":  athenasql.InventoryViewSQL(sources, a.p.invCols),
		"catalog":      "awsdatacatalog",
		"schema":       a.p.DatabaseName,
		"columns":      cols,
		"runAsInvoker": false,
	})
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	t := awsglue.NewCfnTable(a, jsii.String("InventoryView"), &awsglue.CfnTableProps{
		CatalogId:    awscdk.Stack_Of(a).Account(),
		DatabaseName: a.Database.Ref(),
		TableInput: &awsglue.CfnTable_TableInputProperty{
			Name:             jsii.String(athenasql.ViewInventory),
			Description:      jsii.String("Every inventory table, with the bucket's name in the lake as source"),
			TableType:        jsii.String("VIRTUAL_VIEW"),
			Parameters:       map[string]*string{"presto_view": jsii.String("true"), "comment": jsii.String("Presto View")},
			ViewOriginalText: jsii.String("/* Presto View: " + base64.StdEncoding.EncodeToString(view) + " */"),
			ViewExpandedText: jsii.String("/* Presto View */"),
			StorageDescriptor: &awsglue.CfnTable_StorageDescriptorProperty{
				Columns:   glueColumns(glue),
				SerdeInfo: &awsglue.CfnTable_SerdeInfoProperty{},
			},
		},
	})
	for _, s := range sources {
		t.Node().AddDependency(a.Tables[athenasql.InventoryTablePrefix+s])
	}
	a.Tables[athenasql.ViewInventory] = t
}

func hiveType(trino string) string {
	switch trino {
	case "varchar":
		return "string"
	case "timestamp(3)":
		return "timestamp"
	}
	return trino
}

func glueColumns(cols []athenasql.Column) []*awsglue.CfnTable_ColumnProperty {
	out := make([]*awsglue.CfnTable_ColumnProperty, len(cols))
	for i, c := range cols {
		out[i] = &awsglue.CfnTable_ColumnProperty{Name: jsii.String(c.Name), Type: jsii.String(c.Type)}
	}
	return out
}

func s3URL(l Location) string { return "s3://" + *l.Bucket.BucketName() + "/" + l.Prefix }

// tableID and queryID are the construct ids: CamelCase of the name.
func tableID(name string) string { return camel(name) + "Table" }
func queryID(id string) string   { return camel(id) + "Query" }

func camel(s string) string {
	var b strings.Builder
	for _, p := range strings.Split(s, "_") {
		if p != "" {
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// DatabaseName is the Glue database's name.
func (a *Analytics) DatabaseName() string { return a.p.DatabaseName }

// WorkGroupName is the Athena workgroup's name.
func (a *Analytics) WorkGroupName() string { return a.p.WorkGroupName }

// WorkGroupArn is the workgroup's ARN.
func (a *Analytics) WorkGroupArn() string {
	return *awscdk.Stack_Of(a).FormatArn(&awscdk.ArnComponents{Service: jsii.String("athena"), Resource: jsii.String("workgroup"), ResourceName: jsii.String(a.p.WorkGroupName)})
}

// MetricProcessedBytes is the bytes the workgroup's queries scanned
// (AWS/Athena ProcessedBytes; sum over 5 minutes unless opts say
// otherwise).
func (a *Analytics) MetricProcessedBytes(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return a.metric("ProcessedBytes", "Sum", map[string]*string{"QueryState": jsii.String("SUCCEEDED"), "QueryType": jsii.String("DML")}, opts)
}

// MetricFailedQueries counts the workgroup's failed queries (AWS/Athena
// TotalExecutionTime samples of FAILED queries; sample count over 5
// minutes unless opts say otherwise). Queries cancelled by the bytes-scanned
// cutoff count here.
func (a *Analytics) MetricFailedQueries(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return a.metric("TotalExecutionTime", "SampleCount", map[string]*string{"QueryState": jsii.String("FAILED"), "QueryType": jsii.String("DML")}, opts)
}

func (a *Analytics) metric(name, stat string, dims map[string]*string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	dims["WorkGroup"] = jsii.String(a.p.WorkGroupName)
	mp := &awscloudwatch.MetricProps{Namespace: jsii.String("AWS/Athena"), MetricName: jsii.String(name), DimensionsMap: &dims, Statistic: jsii.String(stat)}
	if opts != nil {
		if opts.Statistic != nil {
			mp.Statistic = opts.Statistic
		}
		mp.Period, mp.Label, mp.Unit, mp.Color, mp.Account, mp.Region = opts.Period, opts.Label, opts.Unit, opts.Color, opts.Account, opts.Region
	}
	return awscloudwatch.NewMetric(mp)
}

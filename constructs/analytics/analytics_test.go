package analytics_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/constructs/analytics"
	"github.com/biolake/biolake/constructs/analytics/athenasql"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// One synthesized stack for the assertion tests: the lake, the analytics
// construct and a role granted GrantQuery.
var (
	synthOnce sync.Once
	synthTpl  map[string]any
	synthA    *analytics.Analytics
	synthErr  string
)

func synth(t *testing.T) (map[string]any, *analytics.Analytics) {
	t.Helper()
	synthOnce.Do(func() {
		synthErr, _ = cdktest.Catch(func() {
			app, stack := cdktest.NewStack("Analytics")
			lake := newLake(stack)
			synthA = analytics.New(stack, "Analytics", lakeProps(lake))
			role := awsiam.NewRole(stack, jsii.String("Scientist"), &awsiam.RoleProps{AssumedBy: awsiam.NewAccountRootPrincipal()})
			synthA.GrantQuery(role)
			asm := app.Synth(nil)
			synthTpl = asm.GetStackArtifact(stack.ArtifactId()).Template().(map[string]any)
		})
	})
	if synthErr != "" {
		t.Fatal(synthErr)
	}
	return synthTpl, synthA
}

func resources(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		m := r.(map[string]any)
		if m["Type"] == typ {
			out[id] = m["Properties"].(map[string]any)
		}
	}
	return out
}

func TestWorkGroupEnforcedAndEncrypted(t *testing.T) {
	tpl, a := synth(t)
	wgs := resources(tpl, "AWS::Athena::WorkGroup")
	require.Len(t, wgs, 1)
	for _, wg := range wgs {
		assert.Equal(t, a.WorkGroupName(), wg["Name"])
		assert.Equal(t, "Analytics-Analytics", a.WorkGroupName())
		c := wg["WorkGroupConfiguration"].(map[string]any)
		assert.Equal(t, true, c["EnforceWorkGroupConfiguration"])
		assert.Equal(t, true, c["PublishCloudWatchMetricsEnabled"])
		assert.EqualValues(t, analytics.DefaultBytesScannedCutoff, c["BytesScannedCutoffPerQuery"])
		assert.Equal(t, "Athena engine version 3", cdktest.Get(c, "EngineVersion", "SelectedEngineVersion"))
		enc := cdktest.Get(c, "ResultConfiguration", "EncryptionConfiguration").(map[string]any)
		assert.Equal(t, "SSE_KMS", enc["EncryptionOption"])
		assert.Contains(t, cdktest.Render(enc["KmsKey"]), "DataLakeDataKey")
		out := cdktest.Render(cdktest.Get(c, "ResultConfiguration", "OutputLocation"))
		assert.Contains(t, out, "DataLakeAthenaResults")
		assert.True(t, strings.HasSuffix(out, "/athena/"), out)
	}
}

func TestTablesSchemaAndProjection(t *testing.T) {
	tpl, a := synth(t)
	tables := map[string]map[string]any{}
	for _, r := range resources(tpl, "AWS::Glue::Table") {
		in := r["TableInput"].(map[string]any)
		tables[in["Name"].(string)] = in
	}
	want := []string{"runs", "objects", "inventory"}
	for _, b := range datalake.DataBucketNames() {
		want = append(want, "inventory_"+string(b))
	}
	assert.ElementsMatch(t, want, keys(tables))
	assert.Equal(t, "analytics_analytics", a.DatabaseName())

	cols := func(in map[string]any) []athenasql.Column {
		var out []athenasql.Column
		for _, c := range cdktest.Get(in, "StorageDescriptor", "Columns").([]any) {
			m := c.(map[string]any)
			out = append(out, athenasql.Column{Name: m["Name"].(string), Type: m["Type"].(string)})
		}
		return out
	}
	assert.Equal(t, athenasql.RunColumns(), cols(tables["runs"]))
	assert.Equal(t, athenasql.ObjectColumns(), cols(tables["objects"]))
	inv, err := athenasql.InventoryColumns(datalake.InventoryFields)
	require.NoError(t, err)
	assert.Equal(t, inv, cols(tables["inventory_raw"]))

	// Every partitioned table projects its partitions: no crawler.
	for name, in := range tables {
		if in["TableType"] == "VIRTUAL_VIEW" {
			continue
		}
		p := in["Parameters"].(map[string]any)
		assert.Equal(t, "true", p["projection.enabled"], name)
		assert.Equal(t, "date", p["projection.dt.type"], name)
		loc := cdktest.Render(cdktest.Get(in, "StorageDescriptor", "Location"))
		assert.Equal(t, loc+"dt=${dt}/", cdktest.Render(p["storage.location.template"]), name)
		assert.Equal(t, []any{map[string]any{"Name": "dt", "Type": "string"}}, in["PartitionKeys"], name)
	}
	runs := cdktest.Render(cdktest.Get(tables["runs"], "StorageDescriptor", "Location"))
	assert.Contains(t, runs, "DataLakeCurated")
	assert.True(t, strings.HasSuffix(runs, "/catalog/runs/"), runs)
	raw := cdktest.Render(cdktest.Get(tables["inventory_raw"], "StorageDescriptor", "Location"))
	assert.Contains(t, raw, "DataLakeAnalytics")
	assert.Contains(t, raw, "/inventory/raw/")
	assert.Contains(t, raw, "DataLakeRaw")
	assert.True(t, strings.HasSuffix(raw, "/biolake-daily/hive/"), raw)
	assert.Equal(t, "yyyy-MM-dd-HH-mm", tables["inventory_raw"]["Parameters"].(map[string]any)["projection.dt.format"])
	assert.Equal(t, "HOURS", tables["inventory_raw"]["Parameters"].(map[string]any)["projection.dt.interval.unit"], "a report's dt has the hour it was written")
	assert.Equal(t, "DAYS", tables["runs"]["Parameters"].(map[string]any)["projection.dt.interval.unit"])
	assert.Equal(t, "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat", cdktest.Get(tables["inventory_raw"], "StorageDescriptor", "InputFormat"))

	// The view is a Trino view whose SQL is the one the DuckDB test runs.
	view := tables["inventory"]
	assert.Equal(t, "VIRTUAL_VIEW", view["TableType"])
	text := view["ViewOriginalText"].(string)
	require.True(t, strings.HasPrefix(text, "/* Presto View: ") && strings.HasSuffix(text, " */"), text)
	raw64, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(text, "/* Presto View: "), " */"))
	require.NoError(t, err)
	var v struct {
		OriginalSQL string              `json:"originalSql"`
		Schema      string              `json:"schema"`
		Columns     []map[string]string `json:"columns"`
	}
	require.NoError(t, json.Unmarshal(raw64, &v))
	var names []string
	for _, b := range datalake.DataBucketNames() {
		names = append(names, string(b))
	}
	assert.Equal(t, athenasql.InventoryViewSQL(names, inv), v.OriginalSQL)
	assert.Equal(t, a.DatabaseName(), v.Schema)
	assert.Len(t, v.Columns, len(inv)+2)
}

func TestNamedQueries(t *testing.T) {
	tpl, a := synth(t)
	nqs := resources(tpl, "AWS::Athena::NamedQuery")
	assert.Len(t, nqs, len(athenasql.QueryIDs())-1, "every query file but the cost report's, with archive rules and workflows configured")
	assert.Len(t, a.NamedQueries, len(nqs))
	for id, q := range nqs {
		assert.Equal(t, a.DatabaseName(), q["Database"], id)
		assert.Contains(t, cdktest.Render(q["WorkGroup"]), "AnalyticsWorkGroup", id)
		assert.NotContains(t, q["QueryString"], "{{", id)
	}
}

// TestGrantQueryReach: the grant reaches the workgroup, the database and
// the tables' prefixes only; no wildcard action, no whole-bucket object ARN.
func TestGrantQueryReach(t *testing.T) {
	tpl, _ := synth(t)
	var stmts []map[string]any
	for _, p := range resources(tpl, "AWS::IAM::Policy") {
		stmts = append(stmts, cdktest.Statements(p["PolicyDocument"])...)
	}
	require.NotEmpty(t, stmts)
	objectPrefixes := map[string]bool{}
	for _, s := range stmts {
		for _, act := range asStrings(s["Action"]) {
			assert.NotContains(t, act, "*", "wildcard action %s", act)
		}
		res := cdktest.Render(s["Resource"])
		assert.NotContains(t, res, `"*"`, "wildcard resource in %v", s)
		if cdktest.HasAction(s, "s3:GetObject") {
			for _, r := range asList(s["Resource"]) {
				rs := cdktest.Render(r)
				i := strings.Index(rs, "/")
				require.True(t, i > 0 && strings.HasSuffix(rs, "*"), rs)
				objectPrefixes[rs[i:]] = true
			}
		}
		if strings.HasPrefix(asStrings(s["Action"])[0], "kms:") {
			assert.NotNil(t, cdktest.Get(s, "Condition", "StringEquals", "kms:ViaService"), "KMS only through S3: %v", s)
		}
	}
	var got []string
	for p := range objectPrefixes {
		got = append(got, p)
	}
	assert.Contains(t, got, "/catalog/runs/*")
	assert.Contains(t, got, "/catalog/objects/*")
	assert.Contains(t, got, "/athena/*")
	for _, p := range got {
		assert.NotEqual(t, "/*", p, "a whole bucket")
	}
}

func TestMetrics(t *testing.T) {
	_, a := synth(t)
	m := a.MetricProcessedBytes(nil)
	assert.Equal(t, "AWS/Athena", *m.Namespace())
	assert.Equal(t, "ProcessedBytes", *m.MetricName())
	assert.Equal(t, "Analytics-Analytics", (*m.Dimensions())["WorkGroup"])
	f := a.MetricFailedQueries(nil)
	assert.Equal(t, "FAILED", (*f.Dimensions())["QueryState"])
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func asStrings(v any) []string {
	var out []string
	for _, x := range asList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

var _ = awscdk.Stack_Of

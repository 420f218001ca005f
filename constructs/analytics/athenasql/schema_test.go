package athenasql_test

import (
	"database/sql"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/biolake/biolake/constructs/analytics/athenasql"
	"github.com/biolake/biolake/constructs/datalake"
)

// glueType is the Glue type of a column as DuckDB reads it from Parquet.
func glueType(duck string) string {
	switch duck {
	case "VARCHAR":
		return "string"
	case "BIGINT":
		return "bigint"
	case "BOOLEAN":
		return "boolean"
	case "DOUBLE":
		return "double"
	case "MAP(VARCHAR, VARCHAR)":
		return "map<string,string>"
	case "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_MS":
		return "timestamp"
	}
	return "unknown " + duck
}

// describe returns the columns of a view as DuckDB reads the files, the
// Hive partition dt left out.
func describe(t *testing.T, db *sql.DB, view string) []athenasql.Column {
	t.Helper()
	rs, err := db.Query("DESCRIBE " + view)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []athenasql.Column
	for rs.Next() {
		var name, typ string
		var null, key, def, extra sql.NullString
		if err := rs.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			t.Fatal(err)
		}
		if name != "dt" && name != "BILLING_PERIOD" {
			out = append(out, athenasql.Column{Name: name, Type: glueType(typ)})
		}
	}
	return out
}

// TestTablesMatchTheFiles fails when the Glue tables' columns drift from
// the Parquet files: the catalog exporter's (RunRow, ObjectRow) and the
// S3 Inventory fixture's, itself held to datalake.InventoryFields.
func TestTablesMatchTheFiles(t *testing.T) {
	invCols, err := athenasql.InventoryColumns(datalake.InventoryFields)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	f := newFixture(t, today)
	writeCUR(t, f.dir, today)
	db := openDB(t, f, []string{"raw"}, invCols)
	for _, c := range []struct {
		view string
		want []athenasql.Column
	}{
		{"runs", athenasql.RunColumns()},
		{"objects", athenasql.ObjectColumns()},
		{"inventory_raw", invCols},
		{athenasql.TableCostAndUsage, athenasql.CostColumns()},
	} {
		got := describe(t, db, c.view)
		if !sameColumns(got, c.want) {
			t.Errorf("%s: the files have columns\n  %v\nthe table declares\n  %v", c.view, got, c.want)
		}
	}
}

// sameColumns compares by name (Athena reads Parquet columns by name).
func sameColumns(a, b []athenasql.Column) bool {
	m := func(cs []athenasql.Column) map[string]string {
		out := map[string]string{}
		for _, c := range cs {
			out[c.Name] = c.Type
		}
		return out
	}
	return len(a) == len(b) && reflect.DeepEqual(m(a), m(b))
}

func TestInventoryColumns(t *testing.T) {
	if _, err := athenasql.InventoryColumns(append([]string{"Bogus"}, datalake.InventoryFields...)); err == nil || !strings.Contains(err.Error(), `"Bogus"`) {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := athenasql.InventoryColumns([]string{"Size"}); err == nil || !strings.Contains(err.Error(), "the named queries read it") {
		t.Errorf("missing field: %v", err)
	}
	if _, err := athenasql.InventoryColumns(append(datalake.InventoryFields, "Size")); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate field: %v", err)
	}
}

func TestQueriesParams(t *testing.T) {
	qs, err := athenasql.Queries(athenasql.Params{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, q := range qs {
		ids = append(ids, q.ID)
		if strings.Contains(q.SQL, "{{") {
			t.Errorf("%s: placeholder left in\n%s", q.ID, q.SQL)
		}
	}
	// Without lifecycle rules, workflows or a cost report, their queries
	// are left out.
	if want := []string{"storage_by_class_and_age", "runs_per_instrument_week", "integrity_failures", "run_restore_list"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("queries %v, want %v", ids, want)
	}
	_, err = athenasql.Queries(athenasql.Params{Archive: []athenasql.ArchiveRule{{Source: "raw", Days: 30, StorageClass: "GLACIER_IR"}}})
	if err == nil || !strings.Contains(err.Error(), `"GLACIER_IR" is not an archive class`) {
		t.Errorf("GLACIER_IR: %v", err)
	}
	qs, err = athenasql.Queries(athenasql.Params{Workflows: []athenasql.Workflow{{Name: "o'brien", Project: "p"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(qs[len(qs)-1].SQL, "('o''brien', 'p')") {
		t.Errorf("quotes not doubled:\n%s", qs[len(qs)-1].SQL)
	}
}

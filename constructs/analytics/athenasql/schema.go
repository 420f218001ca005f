// Package athenasql is the SQL side of constructs/analytics: the Glue table
// schemas (derived from the Go types that write the Parquet files), the
// inventory view and the named queries, rendered from .sql files embedded in
// the package. It has no CDK dependency, so the test that runs every query
// with DuckDB over Parquet written by the product's own exporters links
// quickly.
//
// The queries are written in the common subset of Athena (Trino) SQL and
// DuckDB; docs/ANALYTICS.md lists the functions avoided and why.
package athenasql

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/biolake/biolake/internal/catalogexport"
)

// Column is one column of a Glue table, with its Hive type (string, bigint,
// boolean, timestamp) as Athena's DDL and the Glue API spell it.
type Column struct {
	Name string
	Type string
}

// hiveTypes are the Glue (Hive) types of the exporter's column kinds.
var hiveTypes = map[string]string{"string": "string", "int64": "bigint", "timestamp-millis": "timestamp"}

// ColumnsOf derives the columns of a Parquet file written from rows of type
// t from the exporter's own schema of t (its parquet tags), so the table
// and the files have one source.
func ColumnsOf(t reflect.Type) ([]Column, error) {
	cols, err := catalogexport.ColumnsOf(t)
	if err != nil {
		return nil, fmt.Errorf("athenasql: %w", err)
	}
	out := make([]Column, len(cols))
	for i, c := range cols {
		typ, ok := hiveTypes[c.Kind]
		if !ok {
			return nil, fmt.Errorf("athenasql: %v.%s: column kind %q has no Glue type here", t, c.Name, c.Kind)
		}
		out[i] = Column{Name: c.Name, Type: typ}
	}
	return out, nil
}

func mustColumns(t reflect.Type) []Column {
	c, err := ColumnsOf(t)
	if err != nil {
		panic(err)
	}
	return c
}

// RunColumns are the columns of the runs table: catalogexport.RunRow.
func RunColumns() []Column { return mustColumns(reflect.TypeFor[catalogexport.RunRow]()) }

// ObjectColumns are the columns of the objects table: catalogexport.ObjectRow.
func ObjectColumns() []Column { return mustColumns(reflect.TypeFor[catalogexport.ObjectRow]()) }

// Table names in the database.
const (
	TableRuns    = "runs"
	TableObjects = "objects"
	// ViewInventory is the union of the inventory tables, one per
	// inventoried bucket, with a source column naming the bucket.
	ViewInventory = "inventory"
	// InventoryTablePrefix + source name is the table of one bucket's
	// inventory.
	InventoryTablePrefix = "inventory_"
)

// inventoryBase are the columns of an S3 Inventory report that lists every
// version (IncludeObjectVersions ALL), before any optional field.
var inventoryBase = []Column{
	{"bucket", "string"}, {"key", "string"}, {"version_id", "string"},
	{"is_latest", "boolean"}, {"is_delete_marker", "boolean"},
}

// inventoryOptional maps each optional field of an S3 Inventory
// configuration to its column in the Parquet report (Amazon S3 User Guide,
// "Inventory list").
var inventoryOptional = map[string]Column{
	"Size":                         {"size", "bigint"},
	"LastModifiedDate":             {"last_modified_date", "timestamp"},
	"StorageClass":                 {"storage_class", "string"},
	"ETag":                         {"e_tag", "string"},
	"IsMultipartUploaded":          {"is_multipart_uploaded", "boolean"},
	"ReplicationStatus":            {"replication_status", "string"},
	"EncryptionStatus":             {"encryption_status", "string"},
	"ObjectLockRetainUntilDate":    {"object_lock_retain_until_date", "timestamp"},
	"ObjectLockMode":               {"object_lock_mode", "string"},
	"ObjectLockLegalHoldStatus":    {"object_lock_legal_hold_status", "string"},
	"IntelligentTieringAccessTier": {"intelligent_tiering_access_tier", "string"},
	"BucketKeyStatus":              {"bucket_key_status", "string"},
	"ChecksumAlgorithm":            {"checksum_algorithm", "string"},
	"ObjectOwner":                  {"object_owner", "string"},
}

// requiredInventoryFields are the optional fields the named queries read.
var requiredInventoryFields = []string{"Size", "LastModifiedDate", "StorageClass", "ETag", "IntelligentTieringAccessTier"}

// InventoryColumns returns the columns of an inventory report with the
// given optional fields (datalake.InventoryFields in biolake's lake). A
// field without a known column, or a missing field the queries need, is an
// error.
func InventoryColumns(fields []string) ([]Column, error) {
	cols := append([]Column(nil), inventoryBase...)
	seen := map[string]bool{}
	for _, f := range fields {
		c, ok := inventoryOptional[f]
		if !ok {
			return nil, fmt.Errorf("inventory field %q has no known Parquet column", f)
		}
		if seen[f] {
			return nil, fmt.Errorf("inventory field %q is listed twice", f)
		}
		seen[f] = true
		cols = append(cols, c)
	}
	for _, f := range requiredInventoryFields {
		if !seen[f] {
			return nil, fmt.Errorf("inventory field %q is missing: the named queries read it", f)
		}
	}
	return cols, nil
}

// InventoryFieldNames lists the optional inventory fields that have a known
// column, sorted.
func InventoryFieldNames() []string {
	var out []string
	for f := range inventoryOptional {
		out = append(out, f)
	}
	sortStrings(out)
	return out
}

// prestoType is the Trino type of a Hive column type, as a view's columns
// are declared.
func prestoType(hive string) string {
	switch hive {
	case "string":
		return "varchar"
	case "timestamp":
		return "timestamp(3)"
	}
	return hive
}

// InventoryViewSQL is the SELECT of the inventory view: every inventory
// table, its rows labelled with the source (bucket) name, and its dt
// partition. The DuckDB test creates the view from the same text.
func InventoryViewSQL(sources []string, cols []Column) string {
	names := make([]string, 0, len(cols)+1)
	for _, c := range cols {
		names = append(names, c.Name)
	}
	names = append(names, "dt")
	list := strings.Join(names, ", ")
	parts := make([]string, len(sources))
	for i, s := range sources {
		parts[i] = fmt.Sprintf("SELECT '%s' AS source, %s FROM %s%s", s, list, InventoryTablePrefix, s)
	}
	return strings.Join(parts, "\nUNION ALL\n")
}

// InventoryViewColumns are the view's columns with their Trino types, in
// order: source, the inventory columns, dt.
func InventoryViewColumns(cols []Column) []Column {
	out := []Column{{"source", "varchar"}}
	for _, c := range cols {
		out = append(out, Column{c.Name, prestoType(c.Type)})
	}
	return append(out, Column{"dt", "varchar"})
}

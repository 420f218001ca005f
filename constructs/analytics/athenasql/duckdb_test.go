package athenasql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/parquet-go/parquet-go"

	"github.com/biolake/biolake/constructs/analytics/athenasql"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/catalogexport"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/runs"
)

// dirS3 is the exporter's S3 writing under a local directory: one file per
// key (the fixture's files fit one part, so only PutObject is called).
type dirS3 struct{ root string }

func (d dirS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	p := filepath.Join(d.root, *in.Bucket, filepath.FromSlash(*in.Key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	_, err = io.Copy(f, in.Body)
	return &s3.PutObjectOutput{}, err
}

var errMultipart = errors.New("dirS3: multipart upload not expected for fixture files")

func (dirS3) CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	return nil, errMultipart
}
func (dirS3) UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	return nil, errMultipart
}
func (dirS3) CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	return nil, errMultipart
}
func (dirS3) AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return nil, errMultipart
}

// store is the catalog the exporter reads.
type store struct {
	runs    map[string]catalog.Run
	objects map[string][]catalog.Object
}

func (s *store) GetRun(_ context.Context, id string) (catalog.Run, bool, error) {
	r, ok := s.runs[id]
	return r, ok, nil
}

func (s *store) Objects(_ context.Context, id string, fn func(catalog.Object) error) error {
	for _, o := range s.objects[id] {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// invRow is one row of an S3 Inventory report in Parquet with every version
// and the optional fields of datalake.InventoryFields (TestFixtureIsInventoryShaped
// holds it to them).
type invRow struct {
	Bucket                       string    `parquet:"bucket"`
	Key                          string    `parquet:"key"`
	VersionID                    string    `parquet:"version_id,optional"`
	IsLatest                     bool      `parquet:"is_latest"`
	IsDeleteMarker               bool      `parquet:"is_delete_marker"`
	Size                         *int64    `parquet:"size,optional"`
	LastModifiedDate             time.Time `parquet:"last_modified_date,timestamp(millisecond)"`
	StorageClass                 string    `parquet:"storage_class,optional"`
	ETag                         string    `parquet:"e_tag,optional"`
	ChecksumAlgorithm            string    `parquet:"checksum_algorithm,optional"`
	IsMultipartUploaded          bool      `parquet:"is_multipart_uploaded,optional"`
	ReplicationStatus            string    `parquet:"replication_status,optional"`
	EncryptionStatus             string    `parquet:"encryption_status,optional"`
	BucketKeyStatus              string    `parquet:"bucket_key_status,optional"`
	ObjectLockRetainUntilDate    time.Time `parquet:"object_lock_retain_until_date,optional,timestamp(millisecond)"`
	ObjectLockMode               string    `parquet:"object_lock_mode,optional"`
	ObjectLockLegalHoldStatus    string    `parquet:"object_lock_legal_hold_status,optional"`
	IntelligentTieringAccessTier string    `parquet:"intelligent_tiering_access_tier,optional"`
}

const (
	rawBucket     = "lab-raw"
	resultsBucket = "lab-results"
)

// fixture is the lake the queries run over: a catalog export of three
// runs and two buckets' inventories, dated relative to today.
type fixture struct {
	dir   string
	today time.Time
	runs  []catalog.Run
}

func day(t time.Time, d int) time.Time { return t.AddDate(0, 0, d) }

func newFixture(t *testing.T, today time.Time) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), today: today}
	noon := today.Add(12 * time.Hour)
	obj := func(run, key, version string, size int64, class, etag string, role runs.Role, verify string, at time.Time) catalog.Object {
		o := catalog.Object{RunID: run, Bucket: rawBucket, Key: key, VersionID: version, ETag: etag, Size: size, Role: role,
			DataClass: class, EventTime: at, RecordedAt: at}
		o.VerifyID = verify
		if verify != "" {
			o.VerifiedAt, o.Method, o.SHA256 = at.Add(time.Hour), "manifest", "00"
		}
		return o
	}
	st := &store{runs: map[string]catalog.Run{}, objects: map[string][]catalog.Object{}}
	addRun := func(id, profile, prefix, verify string, verified time.Time, objs ...catalog.Object) {
		r := catalog.Run{RunID: id, State: runs.StateVerified, Bucket: rawBucket, Prefix: prefix, Profile: profile,
			Channel: events.ChannelDataSync, CreatedAt: verified.Add(-2 * time.Hour), CompletedAt: verified.Add(-time.Hour),
			VerifiedAt: verified, VerifyID: verify, VerifiedPrefix: prefix, Received: int64(len(objs))}
		for _, o := range objs {
			r.Bytes += o.Size
		}
		st.runs[id], st.objects[id] = r, objs
		f.runs = append(f.runs, r)
	}
	a, b, c := "runs/novaseqx/RUN_A/", "runs/miseq/RUN_B/", "runs/novaseqx/RUN_C/"
	before := day(noon, -11)
	addRun("RUN_A", "novaseq-x", a, "va", day(noon, -10),
		obj("RUN_A", a+"Data/L001.cbcl", "a1v", 100, "bcl", "e1", runs.RoleData, "va", before),
		obj("RUN_A", a+"fastq/S1.fastq.gz", "a2v", 200, "fastq", "e2", runs.RoleData, "va", before),
		obj("RUN_A", a+"SampleSheet.csv", "a3v", 10, "", "e3", runs.RoleData, "va", before),   // gone from the inventory
		obj("RUN_A", a+"SampleSheet.csv", "a3old", 9, "", "e3o", runs.RoleData, "", before),   // never verified: not checked
		obj("RUN_A", a+"Data/L002.cbcl", "a4v", 50, "bcl", "e4", runs.RoleData, "va", before), // size differs
		obj("RUN_A", a+"RTAComplete.txt", "a5v", 1, "", "e5", runs.RoleMarker, "va", before),  // a marker: not checked
		obj("RUN_A", a+"late.txt", "a6v", 1, "", "e6", runs.RoleData, "va", noon),             // newer than the inventory
		obj("RUN_A", a+"Data/L003.cbcl", "a7v", 70, "bcl", "e7", runs.RoleData, "va", before), // ETag differs
		obj("RUN_A", a+"Data/L004.cbcl", "a8v", 80, "bcl", "e8", runs.RoleData, "va", before),
	)
	addRun("RUN_B", "miseq", b, "vb", day(noon, -3),
		obj("RUN_B", b+"x.cbcl", "b1v", 300, "bcl", "eb1", runs.RoleData, "vb", day(noon, -10)),
		obj("RUN_B", b+"y.cbcl", "b2v", 30, "bcl", "eb2", runs.RoleData, "vb", day(noon, -5)),
		obj("RUN_B", b+"z.fastq.gz", "b3v", 20, "fastq", "eb3", runs.RoleData, "vb", day(noon, -5)),
	)
	addRun("RUN_C", "novaseq-x", c, "vc", day(noon, -2),
		obj("RUN_C", c+"w.cbcl", "c1v", 40, "bcl", "ec1", runs.RoleData, "vc", day(noon, -2)),
	)
	exp := &catalogexport.Exporter{Store: st, S3: dirS3{f.dir}, Bucket: "curated", Now: func() time.Time { return noon }}
	for _, r := range f.runs {
		if _, err := exp.ExportRun(context.Background(), r.RunID); err != nil {
			t.Fatal(err)
		}
	}

	size := func(n int64) *int64 { return &n }
	inv := func(key, version string, n int64, class, etag string, age int) invRow {
		return invRow{Bucket: rawBucket, Key: key, VersionID: version, IsLatest: true, Size: size(n),
			LastModifiedDate: day(noon, -age), StorageClass: class, ETag: etag, EncryptionStatus: "SSE-KMS"}
	}
	it := inv(a+"Data/L004.cbcl", "a8v", 80, "INTELLIGENT_TIERING", "e8", 400)
	it.IntelligentTieringAccessTier = "DEEP_ARCHIVE_ACCESS"
	old := inv(b+"x.cbcl", "b1old", 300, "STANDARD_IA", "eb0", 20)
	old.IsLatest = false
	marker := invRow{Bucket: rawBucket, Key: b + "gone.txt", VersionID: "dm1", IsLatest: true, IsDeleteMarker: true, LastModifiedDate: day(noon, -1)}
	latest := []invRow{
		inv(a+"Data/L001.cbcl", "a1v", 100, "DEEP_ARCHIVE", "e1", 40),
		inv(a+"fastq/S1.fastq.gz", "a2v", 200, "STANDARD_IA", "e2", 40),
		inv(a+"Data/L002.cbcl", "a4v", 999, "STANDARD_IA", "e4", 11),
		inv(a+"Data/L003.cbcl", "a7v", 70, "STANDARD_IA", "e7-changed", 11),
		it,
		inv(b+"x.cbcl", "b1v", 300, "STANDARD_IA", "eb1", 10),
		inv(b+"y.cbcl", "b2v", 30, "STANDARD_IA", "eb2", 5),
		inv(b+"z.fastq.gz", "b3v", 20, "STANDARD_IA", "eb3", 5),
		inv(c+"w.cbcl", "c1v", 40, "STANDARD_IA", "ec1", 2),
		old, marker,
	}
	// The day before: an object since deleted, and a report of the raw
	// bucket that is not the latest; neither may be counted.
	stale := []invRow{inv("stale/object", "s1", 1_000_000, "STANDARD", "es", 30)}
	f.writeInventory(t, "raw", day(today, -1), latest)
	f.writeInventory(t, "raw", day(today, -2), stale)

	res := func(key, version string, n int64, current bool) invRow {
		return invRow{Bucket: resultsBucket, Key: key, VersionID: version, IsLatest: current, Size: size(n),
			LastModifiedDate: day(noon, -1), StorageClass: "STANDARD", ETag: "r", EncryptionStatus: "SSE-KMS"}
	}
	f.writeInventory(t, "results", day(today, -1), []invRow{
		res("workflows/smoke/RUN_A/S1/out.txt", "r1", 5, true),
		res("workflows/smoke/RUN_A/S1/out.txt", "r0", 3, false),
		res("workflows/smoke/RUN_A/S2/out.txt", "r2", 7, true),
		res("workflows/smoke/RUN_B/S1/out.txt", "r3", 11, true),
		res("workflows/rnaseq/RUN_B/x.bam", "r4", 13, true),
		res("workflows/orphan/RUN_C/y", "r5", 17, true),
		res("other/file", "r6", 19, true),
	})
	return f
}

// inventoryDir is where the fixture keeps a source's reports: one
// directory per dt partition, as the report's hive/dt=.../ symlink lists
// its data files.
func (f *fixture) inventoryDir(source string) string {
	return filepath.Join(f.dir, "analytics", datalake.InventoryPrefix+source, "lab-"+source, datalake.InventoryID, "hive")
}

func (f *fixture) writeInventory(t *testing.T, source string, d time.Time, rows []invRow) {
	t.Helper()
	dir := filepath.Join(f.inventoryDir(source), "dt="+d.Format("2006-01-02")+"-01-00")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := parquet.WriteFile(filepath.Join(dir, "report.parquet"), rows); err != nil {
		t.Fatal(err)
	}
}

// openDB opens DuckDB with the Glue tables as views over the fixture's
// files: read_parquet with Hive partitions (dt kept a string, as in Glue)
// in place of each table name.
func openDB(t *testing.T, f *fixture, sources []string, invCols []athenasql.Column) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	read := func(glob string) string {
		return fmt.Sprintf("SELECT * FROM read_parquet('%s', hive_partitioning = true, hive_types_autocast = false)", filepath.ToSlash(glob))
	}
	stmts := []string{
		"SET TimeZone = 'UTC'",
		"CREATE VIEW runs AS " + read(filepath.Join(f.dir, "curated", catalogexport.DefaultPrefix, "runs", "*", "*.parquet")),
		"CREATE VIEW objects AS " + read(filepath.Join(f.dir, "curated", catalogexport.DefaultPrefix, "objects", "*", "*.parquet")),
	}
	for _, s := range sources {
		stmts = append(stmts, "CREATE VIEW "+athenasql.InventoryTablePrefix+s+" AS "+read(filepath.Join(f.inventoryDir(s), "*", "*.parquet")))
	}
	stmts = append(stmts, "CREATE VIEW inventory AS "+athenasql.InventoryViewSQL(sources, invCols))
	if _, err := os.Stat(curDir(f.dir)); err == nil {
		stmts = append(stmts, "CREATE VIEW "+athenasql.TableCostAndUsage+" AS "+read(filepath.Join(curDir(f.dir), "*", "*.parquet")))
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return db
}

// rows runs q and renders each row as its values joined by " | " (NULL for
// null, dates as YYYY-MM-DD).
func rows(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rs, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		s := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				s[i] = "NULL"
			case time.Time:
				s[i] = x.UTC().Format("2006-01-02")
			default:
				s[i] = fmt.Sprint(x)
			}
		}
		out = append(out, strings.Join(s, " | "))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// params are the lifecycle rules and workflows of the fixture's lake.
var params = athenasql.Params{
	Archive: []athenasql.ArchiveRule{
		{Source: "raw", DataClass: "bcl", Days: 30, StorageClass: "DEEP_ARCHIVE"},
		{Source: "raw", DataClass: "fastq", Days: 730, StorageClass: "DEEP_ARCHIVE"},
		{Source: "raw", Prefix: "runs/miseq/", Days: 35, StorageClass: "GLACIER"},
	},
	Workflows:  []athenasql.Workflow{{Name: "smoke", Project: "biolake"}, {Name: "rnaseq", Project: "oncology"}},
	CostReport: true,
}

// TestNamedQueries runs every named query with DuckDB over Parquet written
// by the catalog exporter and an S3 Inventory-shaped fixture, and checks the
// rows. Every query file must have a case here.
func TestNamedQueries(t *testing.T) {
	invCols, err := athenasql.InventoryColumns(datalake.InventoryFields)
	if err != nil {
		t.Fatal(err)
	}
	probe, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	var todayS string
	if err := probe.QueryRow("SET TimeZone = 'UTC'; SELECT CAST(current_date AS varchar)").Scan(&todayS); err != nil {
		t.Fatal(err)
	}
	probe.Close()
	today, err := time.Parse("2006-01-02", todayS)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, today)
	writeCUR(t, f.dir, today)
	db := openDB(t, f, []string{"raw", "results"}, invCols)

	queries, err := athenasql.Queries(params)
	if err != nil {
		t.Fatal(err)
	}

	// Runs per week: Monday of each run's verification day.
	weekly := map[string]int{}
	for _, r := range f.runs {
		d := r.VerifiedAt.UTC().Truncate(24 * time.Hour)
		monday := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		weekly[monday.Format("2006-01-02")+" | "+r.Profile]++
	}
	var wantWeekly []string
	for k := range weekly {
		wantWeekly = append(wantWeekly, k)
	}
	sort.Strings(wantWeekly) // by week, then profile, as the query orders
	bytesOf := map[string]int64{"RUN_A": 0, "RUN_B": 0, "RUN_C": 0}
	objsOf := map[string]int64{}
	for _, r := range f.runs {
		bytesOf[r.RunID], objsOf[r.RunID] = r.Bytes, r.Received
	}
	for i, k := range wantWeekly {
		week, profile, _ := strings.Cut(k, " | ")
		var n, objs, b int64
		for _, r := range f.runs {
			d := r.VerifiedAt.UTC().Truncate(24 * time.Hour)
			if r.Profile == profile && d.AddDate(0, 0, -((int(d.Weekday())+6)%7)).Format("2006-01-02") == week {
				n, objs, b = n+1, objs+objsOf[r.RunID], b+bytesOf[r.RunID]
			}
		}
		wantWeekly[i] = fmt.Sprintf("%s | %s | %d | %d | %d", profile, week, n, objs, b)
	}

	cases := map[string]struct {
		args []any
		want []string
	}{
		"storage_by_class_and_age": {want: []string{
			"raw | lab-raw | DEEP_ARCHIVE | 30 | 1 | 100 | 0",
			"raw | lab-raw | INTELLIGENT_TIERING | 365 | 1 | 80 | 0",
			"raw | lab-raw | STANDARD_IA | 0 | 7 | 1759 | 0",
			"raw | lab-raw | STANDARD_IA | 30 | 1 | 200 | 0",
			"results | lab-results | STANDARD | 0 | 7 | 75 | 0",
		}},
		"runs_per_instrument_week": {want: wantWeekly},
		"integrity_failures": {want: []string{
			"RUN_A | lab-raw | runs/novaseqx/RUN_A/Data/L002.cbcl | a4v | size changed | 50 | 999 | e4 | e4",
			"RUN_A | lab-raw | runs/novaseqx/RUN_A/Data/L003.cbcl | a7v | etag changed | 70 | 70 | e7 | e7-changed",
			"RUN_A | lab-raw | runs/novaseqx/RUN_A/SampleSheet.csv | a3v | missing | 10 | NULL | e3 | NULL",
		}},
		"archived_next_month": {want: []string{
			"raw | lab-raw | DEEP_ARCHIVE | bcl | 5 | 1439 | 19",
			"raw | lab-raw | GLACIER | bcl | 2 | 330 | 25",
			"raw | lab-raw | GLACIER | fastq | 1 | 20 | 30",
		}},
		"run_restore_list": {args: []any{"RUN_A"}, want: []string{
			"lab-raw | runs/novaseqx/RUN_A/Data/L001.cbcl | a1v | 100 | DEEP_ARCHIVE | NULL",
			"lab-raw | runs/novaseqx/RUN_A/Data/L004.cbcl | a8v | 80 | INTELLIGENT_TIERING | DEEP_ARCHIVE_ACCESS",
		}},
		"results_per_workflow": {want: []string{
			"orphan |  | 1 | 1 | 17",
			"rnaseq | oncology | 1 | 1 | 13",
			"smoke | biolake | 2 | 3 | 23",
		}},
		"cost_by_project": {want: costByProject(today)},
	}
	seen := map[string]bool{}
	for _, q := range queries {
		seen[q.ID] = true
		c, ok := cases[q.ID]
		if !ok {
			t.Errorf("query %s has no case in TestNamedQueries", q.ID)
			continue
		}
		t.Run(q.ID, func(t *testing.T) {
			got := rows(t, db, q.SQL, c.args...)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("rows:\n  got  %s\n  want %s\nquery:\n%s", strings.Join(got, "\n       "), strings.Join(c.want, "\n       "), q.SQL)
			}
		})
	}
	for _, id := range athenasql.QueryIDs() {
		if !seen[id] {
			t.Errorf("query %s was not rendered for the fixture's params", id)
		}
	}
}

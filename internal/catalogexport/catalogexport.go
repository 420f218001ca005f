// Package catalogexport writes the catalog (internal/catalog) as Parquet to
// the catalog bucket, Hive-partitioned by date for Athena:
//
//	<prefix>runs/dt=YYYY-MM-DD/<runId>.parquet          one row: the run (RunRow)
//	<prefix>objects/dt=YYYY-MM-DD/<runId>-<n>.parquet   its objects (ObjectRow), n = 0, 1, ...
//
// dt is the day (UTC) the run was verified (else completed, else created);
// <runId> is path-escaped ("acme/batch7" becomes "acme%2Fbatch7") so every
// file sits directly in its partition. The Athena DDL is in docs/CATALOG.md.
//
// Streaming, bounded memory: objects are read from the catalog page by page
// (a DynamoDB Query, not an S3 List), encoded in row groups of RowsPerGroup
// rows (GZIP-compressed, PLAIN-encoded columns; see parquet.go for why the
// writer is biolake's own and how it is checked), and uploaded in PartSize
// parts while they are written; a new file starts every RowsPerFile rows.
// Memory is about one row group plus one part, whatever the size of the run.
//
// Idempotency: an export writes the same keys each time (a run's objects only
// grow, so a later export has at least as many files and overwrites them
// all), so a retried export replaces the earlier one.
package catalogexport

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/biolake/biolake/internal/catalog"
)

// RunRow is one run, as written to <prefix>runs/. Times are UTC
// milliseconds; optional columns are null when unknown.
type RunRow struct {
	RunID           string    `parquet:"run_id"`
	State           string    `parquet:"state"`
	Bucket          string    `parquet:"bucket"`
	Prefix          string    `parquet:"prefix"`
	Profile         string    `parquet:"profile"`
	Channel         string    `parquet:"channel"`
	Partner         string    `parquet:"partner,optional"`
	ManifestKey     string    `parquet:"manifest_key,optional"`
	ObjectCount     int64     `parquet:"object_count"`
	TotalBytes      int64     `parquet:"total_bytes"`
	ExpectedObjects int64     `parquet:"expected_objects"`
	CreatedAt       time.Time `parquet:"created_at,optional,timestamp(millisecond)"`
	CompletedAt     time.Time `parquet:"completed_at,optional,timestamp(millisecond)"`
	VerifiedAt      time.Time `parquet:"verified_at,optional,timestamp(millisecond)"`
	VerifyID        string    `parquet:"verify_id,optional"`
	VerifiedPrefix  string    `parquet:"verified_prefix,optional"`
	ExportedAt      time.Time `parquet:"exported_at,timestamp(millisecond)"`
}

// ObjectRow is one object version of a run, as written to <prefix>objects/.
type ObjectRow struct {
	RunID        string    `parquet:"run_id"`
	Bucket       string    `parquet:"bucket"`
	Key          string    `parquet:"key"`
	VersionID    string    `parquet:"version_id"`
	Sequencer    string    `parquet:"sequencer,optional"`
	ETag         string    `parquet:"etag,optional"`
	Size         int64     `parquet:"size"`
	Role         string    `parquet:"role"`
	DataClass    string    `parquet:"data_class,optional"`
	EventTime    time.Time `parquet:"event_time,optional,timestamp(millisecond)"`
	RecordedAt   time.Time `parquet:"recorded_at,optional,timestamp(millisecond)"`
	VerifiedAt   time.Time `parquet:"verified_at,optional,timestamp(millisecond)"`
	VerifyID     string    `parquet:"verify_id,optional"`
	VerifyMethod string    `parquet:"verify_method,optional"`
	SHA256       string    `parquet:"sha256,optional"`
	MD5          string    `parquet:"md5,optional"`
	CRC32C       string    `parquet:"crc32c,optional"`
}

// RunRowOf converts a run record.
func RunRowOf(r catalog.Run, exportedAt time.Time) RunRow {
	mk := r.ManifestKey
	if r.VerifiedManifestKey != "" {
		mk = r.VerifiedManifestKey
	}
	return RunRow{
		RunID: r.RunID, State: r.State, Bucket: r.Bucket, Prefix: r.Prefix, Profile: r.Profile, Channel: string(r.Channel),
		Partner: r.Partner, ManifestKey: mk, ObjectCount: r.Received, TotalBytes: r.Bytes, ExpectedObjects: r.Expected,
		CreatedAt: r.CreatedAt, CompletedAt: r.CompletedAt, VerifiedAt: r.VerifiedAt, VerifyID: r.VerifyID,
		VerifiedPrefix: r.VerifiedPrefix, ExportedAt: exportedAt.UTC(),
	}
}

// ObjectRowOf converts an object record.
func ObjectRowOf(o catalog.Object) ObjectRow {
	return ObjectRow{
		RunID: o.RunID, Bucket: o.Bucket, Key: o.Key, VersionID: o.VersionID, Sequencer: o.Sequencer, ETag: o.ETag,
		Size: o.Size, Role: o.Role.String(), DataClass: o.DataClass, EventTime: o.EventTime, RecordedAt: o.RecordedAt,
		VerifiedAt: o.VerifiedAt, VerifyID: o.VerifyID, VerifyMethod: o.Method, SHA256: o.SHA256, MD5: o.MD5, CRC32C: o.CRC32C,
	}
}

// Store is what the Exporter reads of the catalog.
type Store interface {
	GetRun(ctx context.Context, runID string) (catalog.Run, bool, error)
	Objects(ctx context.Context, runID string, fn func(catalog.Object) error) error
}

// Defaults.
const (
	DefaultPrefix       = "catalog/"
	DefaultRowsPerFile  = 250_000
	DefaultRowsPerGroup = 20_000
	DefaultPartSize     = 8 << 20
)

// Exporter writes runs to the catalog bucket. Build it once per process.
type Exporter struct {
	Store Store
	S3    UploadAPI
	// Bucket is the catalog bucket (required).
	Bucket string
	// Prefix under which runs/ and objects/ are written. Default "catalog/".
	Prefix string
	// RowsPerFile starts a new objects file every so many rows. Default 250000.
	RowsPerFile int
	// RowsPerGroup bounds a Parquet row group (held in memory). Default 20000.
	RowsPerGroup int64
	// PartSize is the multipart upload part size (at least 5 MiB for S3).
	// Default 8 MiB.
	PartSize int
	// Now defaults to time.Now.
	Now func() time.Time
}

// ErrRunNotFound is returned by ExportRun for a run the catalog lacks.
type ErrRunNotFound struct{ RunID string }

func (e *ErrRunNotFound) Error() string {
	return fmt.Sprintf("catalogexport: run %q is not in the catalog", e.RunID)
}

// ErrWrite is a failure to encode or upload a file.
type ErrWrite struct {
	Key string
	Err error
}

func (e *ErrWrite) Error() string { return fmt.Sprintf("catalogexport: write %s: %v", e.Key, e.Err) }

func (e *ErrWrite) Unwrap() error { return e.Err }

// Partition returns the dt= value of a run.
func Partition(r catalog.Run) string {
	t := r.VerifiedAt
	if t.IsZero() {
		t = r.CompletedAt
	}
	if t.IsZero() {
		t = r.CreatedAt
	}
	return t.UTC().Format("2006-01-02")
}

// FileName returns the path-escaped run id used in file names.
func FileName(runID string) string {
	return strings.ReplaceAll(url.PathEscape(runID), "+", "%2B")
}

// ExportRun writes the run's file and its objects' files and returns the
// keys written.
func (e *Exporter) ExportRun(ctx context.Context, runID string) ([]string, error) {
	if e.Bucket == "" {
		return nil, &ErrWrite{Key: "", Err: fmt.Errorf("no catalog bucket configured")}
	}
	run, found, err := e.Store.GetRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, &ErrRunNotFound{RunID: runID}
	}
	dt := Partition(run)
	name := FileName(runID)
	var keys []string

	runKey := fmt.Sprintf("%sruns/dt=%s/%s.parquet", e.prefix(), dt, name)
	if err := e.writeRun(ctx, runKey, RunRowOf(run, e.now())); err != nil {
		return keys, err
	}
	keys = append(keys, runKey)

	// Objects: a file every RowsPerFile rows; rows written in small batches.
	var (
		file  *objectFile
		batch []ObjectRow
		n     int
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := file.w.Write(batch); err != nil {
			return &ErrWrite{Key: file.key, Err: err}
		}
		batch = batch[:0]
		return nil
	}
	err = e.Store.Objects(ctx, runID, func(o catalog.Object) error {
		if file == nil {
			key := fmt.Sprintf("%sobjects/dt=%s/%s-%d.parquet", e.prefix(), dt, name, len(keys)-1)
			f, err := e.openObjects(ctx, key)
			if err != nil {
				return err
			}
			file = f
		}
		batch = append(batch, ObjectRowOf(o))
		n++
		if len(batch) == 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
		if n%e.rowsPerFile() == 0 {
			if err := flush(); err != nil {
				return err
			}
			if err := file.close(); err != nil {
				return err
			}
			keys = append(keys, file.key)
			file = nil
		}
		return nil
	})
	if err == nil && file != nil {
		if err = flush(); err == nil {
			if err = file.close(); err == nil {
				keys = append(keys, file.key)
				file = nil
			}
		}
	}
	if file != nil {
		file.abort()
	}
	if err != nil {
		return keys, err
	}
	return keys, nil
}

type objectFile struct {
	key string
	up  *uploadWriter
	w   *fileWriter[ObjectRow]
}

func (e *Exporter) openObjects(ctx context.Context, key string) (*objectFile, error) {
	up := newUploadWriter(ctx, e.S3, e.Bucket, key, e.partSize())
	w, err := newFileWriter[ObjectRow](up, int(e.rowsPerGroup()), createdBy)
	if err != nil {
		up.Abort()
		return nil, &ErrWrite{Key: key, Err: err}
	}
	return &objectFile{key: key, up: up, w: w}, nil
}

func (f *objectFile) close() error {
	if err := f.w.Close(); err != nil {
		f.up.Abort()
		return &ErrWrite{Key: f.key, Err: err}
	}
	if err := f.up.Close(); err != nil {
		return &ErrWrite{Key: f.key, Err: err}
	}
	return nil
}

func (f *objectFile) abort() { f.up.Abort() }

// createdBy is the Parquet files' created_by.
const createdBy = "biolake catalogexport"

func (e *Exporter) writeRun(ctx context.Context, key string, row RunRow) error {
	up := newUploadWriter(ctx, e.S3, e.Bucket, key, e.partSize())
	w, err := newFileWriter[RunRow](up, 1, createdBy)
	if err == nil {
		_, err = w.Write([]RunRow{row})
	}
	if err != nil {
		up.Abort()
		return &ErrWrite{Key: key, Err: err}
	}
	if err := w.Close(); err != nil {
		up.Abort()
		return &ErrWrite{Key: key, Err: err}
	}
	if err := up.Close(); err != nil {
		return &ErrWrite{Key: key, Err: err}
	}
	return nil
}

func (e *Exporter) prefix() string {
	if e.Prefix != "" {
		return e.Prefix
	}
	return DefaultPrefix
}

func (e *Exporter) rowsPerFile() int {
	if e.RowsPerFile > 0 {
		return e.RowsPerFile
	}
	return DefaultRowsPerFile
}

func (e *Exporter) rowsPerGroup() int64 {
	if e.RowsPerGroup > 0 {
		return e.RowsPerGroup
	}
	return DefaultRowsPerGroup
}

func (e *Exporter) partSize() int {
	if e.PartSize > 0 {
		return e.PartSize
	}
	return DefaultPartSize
}

func (e *Exporter) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

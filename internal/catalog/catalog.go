// Package catalog is the run and object catalog kept in one DynamoDB table,
// behind the Store interface, with a DynamoDB implementation (Dynamo) and an
// in-memory one with the same semantics (Mem) for fast tests.
//
// Items:
//
//	run record     pk=RUN#<runId>  sk=RUN
//	object record  pk=RUN#<runId>  sk=OBJ#<key>#<versionId>
//
// (keys whose sort key would pass DynamoDB's 1024-byte limit use
// OBJ#sha256:<hex of key>#<versionId>; the key is always an attribute.)
//
// Idempotency: Record writes the object record with attribute_not_exists(pk)
// and applies the object's change to the run record (count it, add a marker,
// set the manifest's expected count) in the same TransactWriteItems, so the
// change happens exactly once per object version, however often its event is
// delivered, and a crash cannot separate the two writes. Completion is then
// claimed with a conditional update (state RECEIVING -> COMPLETE) that exactly
// one caller wins.
//
// Calls per data object: one TransactWriteItems (2 items written) and one
// strongly consistent GetItem; 0 S3 calls. Once per run: one UpdateItem to
// claim completion, one to mark RunIngested published, one to mark
// DatasetReceived published.
package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/runs"
)

// Object is an object record.
type Object struct {
	RunID     string
	Bucket    string
	Key       string
	VersionID string
	Sequencer string
	ETag      string
	Size      int64
	Role      runs.Role
	// IdempotencyKey is bucket|key|versionId|sequencer.
	IdempotencyKey string
	EventTime      time.Time
	RecordedAt     time.Time
}

// RunInit holds the run attributes set when the run record is created (and
// left alone afterwards).
type RunInit struct {
	RunID     string
	Bucket    string
	Prefix    string
	Profile   string
	Channel   events.Channel
	Partner   string
	FirstKey  string
	FirstIdem string
	At        time.Time
}

// Change is what an object changes on its run record. Exactly one of
// Data, Marker, Manifest applies, following the object's role.
type Change struct {
	// Data: count the object and add Bytes.
	Data  bool
	Bytes int64
	// Marker: the marker file name seen.
	Marker string
	// Manifest: the manifest was read (or failed to be).
	Manifest *ManifestInfo
}

// ManifestInfo is the outcome of reading a manifest.
type ManifestInfo struct {
	Key string
	// Expected is the number of data objects listed.
	Expected int64
	// Error is set (and Expected ignored) when the manifest is unusable.
	Error string
}

// Run is a run record.
type Run struct {
	RunID     string
	State     string
	Bucket    string
	Prefix    string
	Profile   string
	Channel   events.Channel
	Partner   string
	FirstKey  string
	FirstIdem string
	CreatedAt time.Time
	// Markers seen, sorted.
	Markers       []string
	ManifestKey   string
	ManifestRead  bool
	ManifestError string
	Expected      int64
	Received      int64
	Bytes         int64
	ClaimedBy     string
	CompletedAt   time.Time
	// Announced is true once DatasetReceived has been published.
	Announced bool
}

// Progress returns the completeness inputs of r.
func (r Run) Progress() runs.Progress {
	return runs.Progress{Markers: r.Markers, ManifestRead: r.ManifestRead, Expected: r.Expected, Received: r.Received}
}

// Store is the catalog as the ingest handler uses it.
type Store interface {
	// Record writes obj and applies ch to its run (creating the run record
	// from init when absent) atomically, once per object version. It returns
	// duplicate true, and changes nothing, when obj was already recorded.
	Record(ctx context.Context, obj Object, init RunInit, ch Change) (duplicate bool, err error)
	// GetRun reads a run record (strongly consistent); found false when absent.
	GetRun(ctx context.Context, runID string) (run Run, found bool, err error)
	// Claim moves a run from RECEIVING to COMPLETE, recording claimant and
	// at. It returns false when the run was not RECEIVING.
	Claim(ctx context.Context, runID, claimant string, at time.Time) (won bool, err error)
	// MarkPublished moves a run from COMPLETE to PUBLISHED.
	MarkPublished(ctx context.Context, runID string) error
	// MarkAnnounced records that DatasetReceived was published.
	MarkAnnounced(ctx context.Context, runID string) error
}

// ErrConflict is returned when a write kept conflicting with concurrent
// writes to the same run; the caller should retry later (the SQS message is
// redelivered).
type ErrConflict struct {
	RunID string
	Err   error
}

func (e *ErrConflict) Error() string {
	return fmt.Sprintf("catalog: run %q: conflicting concurrent writes: %v", e.RunID, e.Err)
}

func (e *ErrConflict) Unwrap() error { return e.Err }

// ErrStore wraps any other failure of the underlying store.
type ErrStore struct {
	Op  string
	Err error
}

func (e *ErrStore) Error() string { return fmt.Sprintf("catalog: %s: %v", e.Op, e.Err) }

func (e *ErrStore) Unwrap() error { return e.Err }

// Key prefixes and fixed sort key.
const (
	runPrefix = "RUN#"
	objPrefix = "OBJ#"
	runSK     = "RUN"
	maxSK     = 1024
)

// RunPK is the partition key of a run's items.
func RunPK(runID string) string { return runPrefix + runID }

// ObjectSK is the sort key of an object record.
func ObjectSK(key, versionID string) string {
	sk := objPrefix + key + "#" + versionID
	if len(sk) <= maxSK {
		return sk
	}
	h := sha256.Sum256([]byte(key))
	return objPrefix + "sha256:" + hex.EncodeToString(h[:]) + "#" + versionID
}

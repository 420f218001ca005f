// Package catalog is the run and object catalog kept in one DynamoDB table,
// behind the Store (ingest) and VerifyStore (verify flow) interfaces, with a
// DynamoDB implementation (Dynamo) and an in-memory one with the same
// semantics (Mem) for fast tests.
//
// Items:
//
//	run record       pk=RUN#<runId>          sk=RUN
//	object record    pk=RUN#<runId>          sk=OBJ#<key>#<versionId>
//	pending run      pk=PENDING              sk=<runId>
//	DataSync success pk=DATASYNC#<bucket>    sk=PREFIX#<key prefix>
//
// A pending run is Ready without a manifest and waits for independent
// evidence: a DataSync success for a location (bucket and key prefix)
// holding it that ended after its markers arrived, or the end of its rule's
// settle window. The DataSync success item keeps the latest successful
// task execution per location.
//
// (keys whose sort key would pass DynamoDB's 1024-byte limit use
// OBJ#sha256:<hex of key>#<versionId>; the key is always an attribute.)
// The restore helper (internal/restore) keeps its own items in the same
// table under pk=RESTORE#... and pk=RESTOREOBJ#...; see docs/CATALOG.md.
//
// Run states: RECEIVING -> COMPLETE (completion claimed, RunCompleted being
// sent) -> PUBLISHED (RunCompleted sent) -> VERIFIED (every file matched its
// manifest; RunIngested sent by the claimant).
//
// Idempotency: Record writes the object record with attribute_not_exists(pk)
// and applies the object's change to the run record (count it, add a marker,
// set the manifest's expected count) in the same TransactWriteItems, so the
// change happens exactly once per object version, however often its event is
// delivered, and a crash cannot separate the two writes. A duplicate gets the
// stored record back (ReturnValuesOnConditionCheckFailure ALL_OLD, no extra
// call), so the caller can finish work the first delivery left undone (a
// failed tagging). Completion is then claimed with a conditional update
// (state RECEIVING -> COMPLETE) that exactly one caller wins; verification
// likewise (COMPLETE/PUBLISHED -> VERIFIED, only while verifiedAt is absent).
//
// Calls per data object: one TransactWriteItems (2 items written) and one
// strongly consistent GetItem; 0 S3 calls. Once per run: one UpdateItem to
// claim completion, one to mark RunCompleted published, one to mark
// DatasetReceived published. The verify flow: one UpdateItem per verified
// object, one GetItem, one UpdateItem to claim VERIFIED, one to mark
// RunIngested published, and one paginated Query of the run's objects (for
// the Parquet export).
package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
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
	// DataClass is the object's data class (internal/dataclass), "" for
	// none; the ingest handler tags the object with it.
	DataClass string
	// IdempotencyKey is bucket|key|versionId|sequencer.
	IdempotencyKey string
	EventTime      time.Time
	RecordedAt     time.Time
	// TagError is set when tagging the object with its data class failed;
	// a redelivery of its event retries and clears it.
	TagError string

	// Verification, set by the verify flow (MarkObjectVerified).
	Verification
}

// Verification is what the verify flow records on an object version that
// matched its manifest.
type Verification struct {
	// VerifyID identifies the verify flow execution (VerifyRun) that checked
	// the object.
	VerifyID   string
	VerifiedAt time.Time
	// Method: "stored" (S3's stored checksum or ETag), "streamed" (hashed by
	// the verify Lambda) or "batch" (hashed by the Batch verifier).
	Method string
	// Expected digests from the manifest, hex; "" when not given.
	SHA256 string
	MD5    string
	CRC32C string
}

// ObjectVerification names an object version and its Verification.
type ObjectVerification struct {
	RunID     string
	Bucket    string
	Key       string
	VersionID string
	Size      int64
	Verification
}

// VerifiedClaim is what ClaimVerified records on the run.
type VerifiedClaim struct {
	RunID    string
	VerifyID string
	At       time.Time
	// Prefix is where the verified data is (the accepted/ prefix for
	// partner data), ManifestKey its manifest there.
	Prefix      string
	ManifestKey string
}

// Recorded is the outcome of Store.Record.
type Recorded struct {
	// Duplicate is true when the object version was already recorded
	// (nothing was changed).
	Duplicate bool
	// Prior is the stored object record of a duplicate, when the store
	// returned it.
	Prior *Object
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
	// Marker: the marker file name seen, and MarkerAt when S3 created it
	// (the event's time; the recording time when the event had none).
	Marker   string
	MarkerAt time.Time
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
	// Evidence is what the completion claim rested on: manifest, datasync
	// or settled.
	Evidence events.Verification
	// MarkersAt is the latest creation time of a marker object (the
	// DataSync evidence must have ended after it); zero before any.
	MarkersAt time.Time
	// LastObjectAt is when the latest new object of the run was recorded
	// (a settle window counts from it).
	LastObjectAt time.Time
	// PendingSince is set when the run was put in the pending index to
	// wait for independent evidence.
	PendingSince time.Time
	// Announced is true once DatasetReceived has been published.
	Announced bool

	// Set by ClaimVerified.
	VerifiedAt     time.Time
	VerifyID       string
	VerifiedPrefix string
	// VerifiedManifestKey is the manifest's key under VerifiedPrefix.
	VerifiedManifestKey string
	// IngestedPublished is true once RunIngested has been published.
	IngestedPublished bool
}

// Progress returns the completeness inputs of r.
func (r Run) Progress() runs.Progress {
	return runs.Progress{Markers: r.Markers, ManifestRead: r.ManifestRead, Expected: r.Expected, Received: r.Received}
}

// markerTime is when a marker object was created: ch.MarkerAt, else the
// object's event time, else when it was recorded.
func markerTime(ch Change, obj Object) time.Time {
	for _, t := range []time.Time{ch.MarkerAt, obj.EventTime, obj.RecordedAt} {
		if !t.IsZero() {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Store is the catalog as the ingest handler uses it.
type Store interface {
	// Record writes obj and applies ch to its run (creating the run record
	// from init when absent) atomically, once per object version. It
	// returns Duplicate true (with the stored record in Prior), and changes
	// nothing, when obj was already recorded.
	Record(ctx context.Context, obj Object, init RunInit, ch Change) (Recorded, error)
	// GetRun reads a run record (strongly consistent); found false when absent.
	GetRun(ctx context.Context, runID string) (run Run, found bool, err error)
	// HasObject reports whether an object version is recorded (a strongly
	// consistent read), so that a redelivered manifest is not read again.
	HasObject(ctx context.Context, runID, key, versionID string) (bool, error)
	// Claim moves a run from RECEIVING to COMPLETE, recording claimant,
	// evidence and at. It returns false when the run was not RECEIVING.
	Claim(ctx context.Context, runID, claimant string, evidence events.Verification, at time.Time) (won bool, err error)
	// AddPending puts a run in the pending index and records PendingSince
	// on its run record (idempotent).
	AddPending(ctx context.Context, p Pending) error
	// RemovePending takes a run out of the pending index (idempotent).
	RemovePending(ctx context.Context, runID string) error
	// Pending calls fn for every pending run, reading the index page by
	// page; it stops at fn's first error and returns it.
	Pending(ctx context.Context, fn func(Pending) error) error
	// PutDataSyncSuccess records a successful DataSync task execution for
	// a location, keeping the latest per location.
	PutDataSyncSuccess(ctx context.Context, s DataSyncSuccess) error
	// DataSyncSuccesses returns the latest successful task execution of
	// every location in bucket.
	DataSyncSuccesses(ctx context.Context, bucket string) ([]DataSyncSuccess, error)
	// MarkPublished moves a run from COMPLETE to PUBLISHED.
	MarkPublished(ctx context.Context, runID string) error
	// MarkAnnounced records that DatasetReceived was published.
	MarkAnnounced(ctx context.Context, runID string) error
	// SetTagError records (reason != "") or clears (reason == "") a failure
	// to tag an object version with its data class.
	SetTagError(ctx context.Context, runID, key, versionID, reason string) error
}

// Pending is a run in the pending index: Ready, without a manifest,
// waiting for independent evidence.
type Pending struct {
	RunID   string
	Bucket  string
	Prefix  string
	Channel events.Channel
	// Since is when it was added.
	Since time.Time
}

// DataSyncSuccess is the latest successful DataSync task execution of a
// location: its S3 bucket and key prefix ("" or ending in "/").
type DataSyncSuccess struct {
	Bucket string
	Prefix string
	// EndedAt is when the execution reached SUCCESS (the event's time).
	EndedAt      time.Time
	ExecutionARN string
}

// Covers reports whether the location holds the run folder runPrefix of
// bucket.
func (s DataSyncSuccess) Covers(bucket, runPrefix string) bool {
	return s.Bucket == bucket && strings.HasPrefix(runPrefix, s.Prefix)
}

// VerifyStore is the catalog as the verify flow uses it.
type VerifyStore interface {
	// GetRun reads a run record (strongly consistent); found false when absent.
	GetRun(ctx context.Context, runID string) (run Run, found bool, err error)
	// MarkObjectVerified records v on its object version's record (creating
	// a minimal record when the ingest handler has not written one).
	// Idempotent: the last write wins.
	MarkObjectVerified(ctx context.Context, v ObjectVerification) error
	// ClaimVerified moves a run from COMPLETE or PUBLISHED to VERIFIED while
	// it has no verifiedAt, recording c. It returns false when the run was
	// not in such a state (absent, RECEIVING, or already verified).
	ClaimVerified(ctx context.Context, c VerifiedClaim) (won bool, err error)
	// MarkIngestedPublished records that RunIngested was published.
	MarkIngestedPublished(ctx context.Context, runID string) error
	// Objects calls fn for every object record of a run, in sort-key order,
	// reading the catalog page by page (a Query, not an S3 List). It stops
	// at fn's first error and returns it.
	Objects(ctx context.Context, runID string, fn func(Object) error) error
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

// ObjectSKPrefix begins every object record's sort key.
const ObjectSKPrefix = objPrefix

// ObjectSK is the sort key of an object record.
func ObjectSK(key, versionID string) string {
	sk := objPrefix + key + "#" + versionID
	if len(sk) <= maxSK {
		return sk
	}
	h := sha256.Sum256([]byte(key))
	return objPrefix + "sha256:" + hex.EncodeToString(h[:]) + "#" + versionID
}

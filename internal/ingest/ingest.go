// Package ingest is the ingest handler: for each S3 "Object Created" event it
// finds the run the object belongs to, records the object in the catalog
// exactly once, tags a data object with its data class, and announces the run
// (DatasetReceived) when its first object is recorded and completes it
// (RunCompleted) when the last needed one is. RunCompleted means "all files
// arrived", not "verified": it starts the verify flow (internal/verify),
// whose FinalizeRun emits RunIngested, the event processing starts on.
//
// Idempotency: every event is delivered at least once, late, out of order and
// in duplicate. The object record is written with a condition on its key
// (pk=RUN#<runId>, sk=OBJ#<key>#<versionId>) in the same transaction as the
// change to the run record, so each object version changes the run once.
// Completion is claimed with a conditional update (RECEIVING -> COMPLETE)
// that exactly one event wins; the claim records the winner's idempotency key
// (bucket|key|versionId|sequencer), so if publishing fails the redelivered
// event (a duplicate for the catalog) finds its claim and publishes again.
// RunCompleted is therefore published once, except when publishing succeeded
// and the next write failed, where a redelivery publishes it again: consumers
// dedupe on runId (the verify state machine names its execution by it).
//
// Tagging: a data object whose key has a data class (internal/dataclass,
// Handler.Classes) gets the object tag biolake:data-class=<class> with one
// PutObjectTagging on the recorded version, on the first delivery only. When
// tagging fails, the failure is noted on the object record and the event is
// retried; the redelivery (a duplicate) gets the record back from the
// conditional write at no extra cost, sees the note, tags and clears it. A
// crash between the catalog write and the tagging leaves the object untagged
// (it then stays in the bucket's default storage class; S3 Inventory finds
// such objects).
//
// Keys: event keys are form-decoded (internal/s3event). When decoding is
// ambiguous (the raw key holds '+' or '%XX' and differs from the decoded
// one), the handler asks S3 which of the two holds the object version
// (HeadObject of the decoded key, then, on NoSuchKey, of the raw key once),
// logs which one matched, and records, reads and tags that key, so the
// catalog is the same whichever way an object's events arrive. When
// neither exists any more the decoded key is recorded.
//
// Completion needs evidence (docs/EVENTS.md, "How a run is verified"): a
// run is Ready when its markers, at least one data object and, for a
// profile with a manifest, the manifest and every object it lists have
// arrived; with a manifest that is the evidence ("manifest"). A Ready run
// without one goes into the catalog's pending index and is completed by
// this handler when independent evidence arrives: a DataSync "Task
// Execution State Change" event (state SUCCESS, the execution verified its
// transfer, its location holds the run, it ended after the run's markers
// were created) for runs of the datasync channel ("datasync"), or, for
// other channels whose rule opts in (SettleAfter), a scheduled sweep that
// finds no new object for the settle window ("settled"). Manifests and
// checksum lists are never counted as data (runs.IsChecksumList).
//
// Per data object: one TransactWriteItems (2 items), one GetItem, one
// PutObjectTagging when it has a data class, one HeadObject when its key is
// ambiguous, 0 S3 List calls. Per manifest version: one streaming GetObject
// (a redelivery finds the object recorded and reads nothing).
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/dataclass"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/handler"
	"github.com/biolake/biolake/internal/manifest"
	"github.com/biolake/biolake/internal/runs"
	"github.com/biolake/biolake/internal/s3event"
)

// GetObjectAPI is the S3 method that reads manifests.
type GetObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// HeadObjectAPI is the S3 method that finds which key an ambiguous event
// names.
type HeadObjectAPI interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// S3API is what the handler reads of S3.
type S3API interface {
	GetObjectAPI
	HeadObjectAPI
}

// PutObjectTaggingAPI is the one S3 method tagging needs.
type PutObjectTaggingAPI interface {
	PutObjectTagging(ctx context.Context, in *s3.PutObjectTaggingInput, opts ...func(*s3.Options)) (*s3.PutObjectTaggingOutput, error)
}

// Handler handles SQS batches of S3 events. Build it once per process.
type Handler struct {
	Store     catalog.Store
	Resolver  *runs.Resolver
	Publisher bus.Publisher
	S3        S3API
	// DataSync describes the task executions whose success is a run's
	// evidence; nil: DataSync events are logged and skipped.
	DataSync DataSyncAPI
	// Tagger tags data objects with their data class; nil disables tagging.
	Tagger PutObjectTaggingAPI
	// Classes are the data classes; nil means dataclass.Defaults(), an
	// empty map tags nothing.
	Classes dataclass.Classes
	Logger  *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// Concurrency is the number of records of a batch handled at once.
	// Default 8.
	Concurrency int
	// ManifestMaxLineBytes bounds a manifest line. Default
	// manifest.DefaultMaxLineBytes.
	ManifestMaxLineBytes int
}

// ErrManifestRead is a failure to read a manifest from S3 (retried).
type ErrManifestRead struct {
	Bucket, Key string
	Err         error
}

func (e *ErrManifestRead) Error() string {
	return fmt.Sprintf("ingest: read manifest s3://%s/%s: %v", e.Bucket, e.Key, e.Err)
}

func (e *ErrManifestRead) Unwrap() error { return e.Err }

// ErrKeyLookup is a failure to ask S3 which key an ambiguous event names
// (retried).
type ErrKeyLookup struct {
	Bucket, Key string
	Err         error
}

func (e *ErrKeyLookup) Error() string {
	return fmt.Sprintf("ingest: look up s3://%s/%s: %v", e.Bucket, e.Key, e.Err)
}

func (e *ErrKeyLookup) Unwrap() error { return e.Err }

// ErrTagging is a failure to tag an object with its data class (retried).
type ErrTagging struct {
	Bucket, Key, VersionID string
	Err                    error
}

func (e *ErrTagging) Error() string {
	return fmt.Sprintf("ingest: tag s3://%s/%s (version %s): %v", e.Bucket, e.Key, e.VersionID, e.Err)
}

func (e *ErrTagging) Unwrap() error { return e.Err }

// Handle handles a batch and reports the records that failed, so that SQS
// redelivers only those (the event source mapping must enable
// ReportBatchItemFailures). It never returns an error for a bad record and
// never panics.
func (h *Handler) Handle(ctx context.Context, ev lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
	conc := h.Concurrency
	if conc <= 0 {
		conc = 8
	}
	b := handler.SQSBatch{Op: "ingest", Concurrency: conc, Handle: h.HandleMessage}
	return b.Run(ctx, handler.Logger(ctx, h.logger()), ev), nil
}

// HandleMessage handles one message body (EventBridge event or S3
// notification). A nil error means the message may be deleted: it was
// handled, or it is of a kind the handler skips (not an object creation, a
// key outside every run).
func (h *Handler) HandleMessage(ctx context.Context, log *slog.Logger, body []byte) (err error) {
	defer handler.Recover("ingest", &err)
	if log == nil {
		log = h.logger()
	}
	switch kind := peekKind(body); kind {
	case kindDataSync:
		return h.handleDataSync(ctx, log, body)
	case kindSchedule:
		var ev struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(body, &ev) // peekKind decoded it already
		return h.sweep(ctx, log, ev.ID)
	}
	objs, err := s3event.ParseEvent(body)
	if err != nil {
		var unsupported *s3event.ErrUnsupportedEvent
		if errors.As(err, &unsupported) {
			log.Info("skipped event", "reason", err.Error())
			return nil
		}
		return err
	}
	var errs []error
	for _, o := range objs {
		if err := h.handleObject(ctx, log, o); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

func (h *Handler) handleObject(ctx context.Context, log *slog.Logger, o s3event.Object) error {
	if o.Ambiguous() {
		var err error
		if o, err = h.resolveKey(ctx, log, o); err != nil {
			return err
		}
	}
	loc, err := h.Resolver.ResolveIn(o.Bucket, o.Key)
	if err != nil {
		var nr *runs.ErrNotInRun
		if errors.As(err, &nr) {
			log.Warn("object is in no run; skipped", "bucket", o.Bucket, "key", o.Key, "reason", nr.Reason)
			return nil
		}
		return err
	}
	log = log.With("runId", loc.RunID, "key", o.Key, "role", loc.Role.String())
	if loc.Role == runs.RoleIgnore {
		log.Debug("folder placeholder skipped")
		return nil
	}
	now := h.now()
	idem := o.IdempotencyKey()
	rec := catalog.Object{
		RunID: loc.RunID, Bucket: o.Bucket, Key: o.Key, VersionID: o.VersionID, Sequencer: o.Sequencer,
		ETag: o.ETag, Size: o.Size, Role: loc.Role, IdempotencyKey: idem, EventTime: o.EventTime, RecordedAt: now,
	}
	init := catalog.RunInit{
		RunID: loc.RunID, Bucket: o.Bucket, Prefix: loc.RunPrefix, Profile: loc.Profile.Name,
		Channel: loc.Channel, Partner: loc.Partner, FirstKey: o.Key, FirstIdem: idem, At: now,
	}
	var ch catalog.Change
	switch loc.Role {
	case runs.RoleData:
		ch = catalog.Change{Data: true, Bytes: o.Size}
		if h.Tagger != nil {
			if class, ok := dataclass.ClassOf(o.Key, h.Classes); ok {
				rec.DataClass = class
			}
		}
	case runs.RoleMarker:
		ch = catalog.Change{Marker: loc.RelPath, MarkerAt: o.EventTime}
	case runs.RoleManifest:
		// Read once per manifest version: a redelivery finds it recorded
		// (the record and the count it carries are written together).
		seen, err := h.Store.HasObject(ctx, loc.RunID, o.Key, o.VersionID)
		if err != nil {
			return err
		}
		if seen {
			log.Debug("manifest already read; duplicate event", "idem", idem)
			return h.advance(ctx, log, loc, idem, now)
		}
		info, err := h.readManifest(ctx, log, o, loc)
		if err != nil {
			return err
		}
		ch = catalog.Change{Manifest: info}
	case runs.RoleChecksums:
		log.Info("manifest or checksum list other than the profile's; recorded, not counted as data")
	}
	recorded, err := h.Store.Record(ctx, rec, init, ch)
	if err != nil {
		return err
	}
	var tagErr error
	switch {
	case !recorded.Duplicate && rec.DataClass != "":
		tagErr = h.tag(ctx, log, rec, false)
	case recorded.Duplicate && recorded.Prior != nil && recorded.Prior.TagError != "" && recorded.Prior.DataClass != "":
		// The first delivery failed to tag: retry.
		tagErr = h.tag(ctx, log, *recorded.Prior, true)
	}
	if recorded.Duplicate {
		log.Debug("duplicate event", "idem", idem)
	}
	return joinErrs(h.advance(ctx, log, loc, idem, now), tagErr)
}

// joinErrs returns nil, the one non-nil error as is (so errorType names it),
// or errors.Join of several.
func joinErrs(errs ...error) error {
	var nonNil []error
	for _, err := range errs {
		if err != nil {
			nonNil = append(nonNil, err)
		}
	}
	if len(nonNil) == 1 {
		return nonNil[0]
	}
	return errors.Join(nonNil...)
}

// tag sets the data-class tag on an object version. A failure is noted on
// the object record (for the redelivery) and returned.
func (h *Handler) tag(ctx context.Context, log *slog.Logger, obj catalog.Object, retry bool) error {
	in := &s3.PutObjectTaggingInput{
		Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String(dataclass.Tag), Value: aws.String(obj.DataClass)}}},
	}
	if obj.VersionID != "" && obj.VersionID != s3event.NullVersion {
		in.VersionId = aws.String(obj.VersionID)
	}
	if _, err := h.Tagger.PutObjectTagging(ctx, in); err != nil {
		if serr := h.Store.SetTagError(ctx, obj.RunID, obj.Key, obj.VersionID, truncate(err.Error(), 500)); serr != nil {
			log.Error("could not note the tagging failure", "error", serr.Error())
		}
		return &ErrTagging{Bucket: obj.Bucket, Key: obj.Key, VersionID: obj.VersionID, Err: err}
	}
	log.Debug("tagged", "dataClass", obj.DataClass)
	if retry {
		return h.Store.SetTagError(ctx, obj.RunID, obj.Key, obj.VersionID, "")
	}
	return nil
}

// advance announces and completes the run as far as the catalog says it can.
func (h *Handler) advance(ctx context.Context, log *slog.Logger, loc runs.Location, idem string, now time.Time) error {
	// Even for a duplicate: the first delivery may have died before it
	// announced or completed the run.
	run, found, err := h.Store.GetRun(ctx, loc.RunID)
	if err != nil {
		return err
	}
	if !found {
		return &catalog.ErrStore{Op: "get run " + loc.RunID, Err: errors.New("run record missing after write")}
	}
	if !run.Announced && run.FirstIdem == idem {
		if err := h.announce(ctx, log, run); err != nil {
			return err
		}
	}
	switch {
	case run.State == runs.StateReceiving && run.ManifestError == "" && loc.Profile.Ready(run.Progress()):
		ev, err := h.evidence(ctx, log, loc, run, now)
		if err != nil || ev == "" {
			return err
		}
		return h.claim(ctx, log, run, idem, ev, now)
	case run.State == runs.StateComplete && run.ClaimedBy == idem:
		// Our earlier delivery claimed the run but did not finish publishing.
		return h.complete(ctx, log, run)
	default:
		if log.Enabled(ctx, slog.LevelDebug) {
			log.Debug("recorded", "state", run.State, "missing", loc.Profile.Missing(run.Progress()))
		}
	}
	return nil
}

func (h *Handler) announce(ctx context.Context, log *slog.Logger, run catalog.Run) error {
	ev := &events.DatasetReceived{
		SchemaVersion: events.SchemaVersion, RunID: run.RunID, Channel: run.Channel, Bucket: run.Bucket,
		Prefix: run.Prefix, Profile: run.Profile, FirstKey: run.FirstKey, ReceivedAt: run.CreatedAt, Partner: run.Partner,
	}
	if err := h.Publisher.Publish(ctx, ev); err != nil {
		return err
	}
	log.Info("run announced", "event", events.DetailTypeDatasetReceived)
	return h.Store.MarkAnnounced(ctx, run.RunID)
}

// claim claims the run's completion on evidence ev and, if won, publishes
// RunCompleted.
func (h *Handler) claim(ctx context.Context, log *slog.Logger, run catalog.Run, claimant string, ev events.Verification, now time.Time) error {
	won, err := h.Store.Claim(ctx, run.RunID, claimant, ev, now)
	if err != nil || !won {
		return err
	}
	// Read back the counts as of the claim.
	if run, _, err = h.Store.GetRun(ctx, run.RunID); err != nil {
		return err
	}
	return h.complete(ctx, log, run)
}

func (h *Handler) complete(ctx context.Context, log *slog.Logger, run catalog.Run) error {
	ev := &events.RunCompleted{
		SchemaVersion: events.SchemaVersion, RunID: run.RunID, Channel: run.Channel, Bucket: run.Bucket,
		Prefix: run.Prefix, Profile: run.Profile, ObjectCount: run.Received, TotalBytes: run.Bytes,
		CompletedAt: run.CompletedAt, Partner: run.Partner, Evidence: run.Evidence,
	}
	if run.Evidence == events.VerifiedByManifest {
		// The manifest is what the verify flow checks the run against; a
		// run completed on other evidence has none to compare.
		ev.ManifestKey = run.ManifestKey
	}
	if err := h.Publisher.Publish(ctx, ev); err != nil {
		return err
	}
	log.Info("run completed", "event", events.DetailTypeRunCompleted, "evidence", run.Evidence, "objects", run.Received, "bytes", run.Bytes)
	if err := h.Store.MarkPublished(ctx, run.RunID); err != nil {
		return err
	}
	if !run.PendingSince.IsZero() {
		return h.Store.RemovePending(ctx, run.RunID)
	}
	return nil
}

// readManifest streams a manifest from S3 and counts its data entries. A
// manifest that cannot be parsed is a permanent failure: it is reported
// (IntegrityFailed, reason unreadable) and recorded on the run, which then
// stays RECEIVING until a good manifest version arrives. S3 errors are
// returned (the event is retried).
func (h *Handler) readManifest(ctx context.Context, log *slog.Logger, o s3event.Object, loc runs.Location) (*catalog.ManifestInfo, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key)}
	if o.VersionID != "" && o.VersionID != s3event.NullVersion {
		in.VersionId = aws.String(o.VersionID)
	}
	out, err := h.S3.GetObject(ctx, in)
	if err != nil {
		return nil, &ErrManifestRead{Bucket: o.Bucket, Key: o.Key, Err: err}
	}
	defer out.Body.Close()
	mr := manifest.NewReader(out.Body, manifest.Options{MaxLineBytes: h.ManifestMaxLineBytes})
	var expected int64
	for {
		e, err := mr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if isManifestError(err) {
				log.Error("manifest unusable", handler.ErrAttrs(err)...)
				fail := &events.IntegrityFailed{
					SchemaVersion: events.SchemaVersion, RunID: loc.RunID, Bucket: o.Bucket, Key: o.Key,
					VersionID: versionOrEmpty(o.VersionID), Reason: events.FailureUnreadable, DetectedAt: h.now(),
					Detail: truncate(err.Error(), 1000),
				}
				// Published before the catalog write: a retry may publish it
				// twice, never zero times.
				if perr := h.Publisher.Publish(ctx, fail); perr != nil {
					return nil, perr
				}
				return &catalog.ManifestInfo{Key: o.Key, Error: truncate(err.Error(), 1000)}, nil
			}
			return nil, &ErrManifestRead{Bucket: o.Bucket, Key: o.Key, Err: err}
		}
		if loc.Profile.RoleOf(e.Path) == runs.RoleData {
			expected++
		}
	}
	return &catalog.ManifestInfo{Key: o.Key, Expected: expected}, nil
}

func isManifestError(err error) bool {
	var m *manifest.ErrMalformedManifest
	var p *manifest.ErrInvalidPath
	var d *manifest.ErrDuplicatePath
	var l *manifest.ErrLineTooLong
	return errors.As(err, &m) || errors.As(err, &p) || errors.As(err, &d) || errors.As(err, &l)
}

func versionOrEmpty(v string) string {
	if v == s3event.NullVersion {
		return ""
	}
	return v
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

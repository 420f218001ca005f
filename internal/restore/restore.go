// Package restore is the restore helper of the processing workflow: it
// brings a run's archived inputs (S3 Glacier Flexible Retrieval, Glacier Deep
// Archive, or the Intelligent-Tiering Archive and Deep Archive Access tiers)
// back to readable storage and tells the waiting Step Functions task when
// they all are. One Lambda handles two inputs:
//
//  1. A Step Functions task with .waitForTaskToken: {"taskToken","runId",
//     "bucket","keys":[...] or "prefix","tier":"Bulk|Standard","days":N,
//     "executionId"?}. Every object is looked at (HeadObject; with a prefix,
//     ListObjectsV2 first, and objects listed in a storage class that is
//     never archived are not looked at). For each archived object that is not
//     restored, the run's round records it as pending, then asks for its
//     restore (RestoreObject; RestoreAlreadyInProgress is fine). If nothing
//     is pending the task is told of success at once (SendTaskSuccess).
//  2. S3 "Object Restore Completed" events from EventBridge, through SQS
//     (partial batch responses). Each marks its object restored for every
//     run waiting for it, once, and counts the run down; whoever brings a
//     run to 0 (an event, or the task when the last restore completed while
//     it was still asking) claims completion, publishes RestoreCompleted and
//     calls SendTaskSuccess with {"runId","restored":N}.
//
// An object that cannot be restored (RestoreObject fails with anything but
// RestoreAlreadyInProgress or a throttling or server error, or the object is
// missing) fails the task: SendTaskFailure with error "ErrRestoreFailed" and
// a JSON cause {"runId","bucket","key","versionId","reason"}.
//
// Catalog items (the catalog table, see docs/CATALOG.md):
//
//	restore record  pk=RESTORE#<runId>                          sk=RESTORE
//	object item     pk=RESTOREOBJ#<bucket>|<key>|<versionId>    sk=RUN#<runId>
//
// The object items are keyed by object so that an event, which names only
// the object, finds the runs waiting for it with a Query (no scan, no index).
//
// Idempotency: a task invocation works in a round identified by a hash of its
// task token; a duplicate invocation (same token) continues the round, a
// retried task state (new token) starts a new one. Object items are written
// with a condition on (runId, key, version, round), together with the count
// (one transaction), so each object is counted once per round; marking
// restored is conditional on the item being pending, in one transaction with
// the count-down. Completion is claimed by a conditional update (WAITING with
// pending <= 0 -> COMPLETING, recording the claimant); RestoreCompleted is
// published by the claimant and marked published, and a redelivered event or
// retried task with the same claimant finishes a completion that failed
// half-way. A crash between publishing and marking may publish it twice
// (consumers dedupe on runId and executionId). The race "restore completes
// while the task is still recording it" is closed by recording an object
// before asking for its restore, and by looking again (HeadObject) at objects
// whose restore someone else had started.
//
// Restore expiry: restored copies of Glacier objects expire after "days"
// (RESTORE_DAYS, default 7); the workflow must read them before (S3 emits
// "Object Restore Expired", which this helper ignores). Objects restored from
// Intelligent-Tiering archive tiers move back to the Frequent Access tier and
// do not expire ("days" is not sent for them). A restore that never
// completes is caught by the task state's TimeoutSeconds (set it: Bulk from
// Deep Archive takes up to 48 hours).
package restore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/handler"
	"github.com/biolake/biolake/internal/s3event"
	"github.com/biolake/biolake/internal/s3read"
)

// One-method interfaces over the SDK.
type (
	HeadObjectAPI interface {
		HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	}
	RestoreObjectAPI interface {
		RestoreObject(ctx context.Context, in *s3.RestoreObjectInput, opts ...func(*s3.Options)) (*s3.RestoreObjectOutput, error)
	}
	ListObjectsV2API interface {
		ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	}
	SendTaskSuccessAPI interface {
		SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	}
	SendTaskFailureAPI interface {
		SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	}
)

// S3API is what the Handler needs of an *s3.Client.
type S3API interface {
	HeadObjectAPI
	RestoreObjectAPI
	ListObjectsV2API
}

// SFNAPI is what the Handler needs of an *sfn.Client.
type SFNAPI interface {
	SendTaskSuccessAPI
	SendTaskFailureAPI
}

// Defaults.
const (
	DefaultTier = "Bulk"
	DefaultDays = 7
	// MaxDays is the most days a restored copy stays (S3 documents no
	// maximum; a year bounds what a forgotten restore costs).
	MaxDays            = 365
	DefaultConcurrency = 16
	// MaxKeys bounds "keys" (a Step Functions payload is 256 KiB anyway).
	MaxKeys = 10000
	// ErrorName is the error of SendTaskFailure.
	ErrorName = "ErrRestoreFailed"
)

// Handler handles both inputs. Build it once per process.
type Handler struct {
	S3        S3API
	SFN       SFNAPI
	Store     Store
	Publisher bus.Publisher
	Logger    *slog.Logger
	// Tier and Days are the defaults of task inputs without them. Defaults
	// Bulk and 7.
	Tier string
	Days int32
	// Concurrency bounds the S3 calls in flight. Default 16.
	Concurrency int
	// Now defaults to time.Now.
	Now func() time.Time
}

// TaskInput is the Step Functions task's input.
type TaskInput struct {
	TaskToken string   `json:"taskToken"`
	RunID     string   `json:"runId"`
	Bucket    string   `json:"bucket"`
	Keys      []string `json:"keys,omitempty"`
	Prefix    string   `json:"prefix,omitempty"`
	Tier      string   `json:"tier,omitempty"`
	Days      int32    `json:"days,omitempty"`
	// ExecutionID is the requesting execution ($$.Execution.Id), carried
	// into RestoreCompleted; "unknown" when not given.
	ExecutionID string `json:"executionId,omitempty"`
}

// TaskOutput is the Lambda's answer to a task input (Step Functions waits for
// the token, not for this).
type TaskOutput struct {
	RunID string `json:"runId"`
	// Objects looked at, Archived among them, Pending waited for, Requested
	// restores asked for by this call, InProgress restores found running.
	Objects    int `json:"objects"`
	Archived   int `json:"archived"`
	Pending    int `json:"pending"`
	Requested  int `json:"requested"`
	InProgress int `json:"inProgress"`
	// Completed: the task was told of success by this call.
	Completed bool `json:"completed"`
	// Failed: the task was told of failure by this call.
	Failed bool `json:"failed"`
}

// SuccessOutput is SendTaskSuccess's output: the task state's result.
type SuccessOutput struct {
	RunID    string `json:"runId"`
	Restored int64  `json:"restored"`
}

// ErrInvalidInput is an input that is neither a task input nor an SQS event,
// or a task input with bad fields.
type ErrInvalidInput struct{ Reason string }

func (e *ErrInvalidInput) Error() string { return "restore: invalid input: " + e.Reason }

// ErrS3 is an S3 failure worth retrying.
type ErrS3 struct {
	Op, Key string
	Err     error
}

func (e *ErrS3) Error() string { return fmt.Sprintf("restore: %s %s: %v", e.Op, e.Key, e.Err) }

func (e *ErrS3) Unwrap() error { return e.Err }

// ErrSFN is a Step Functions failure worth retrying.
type ErrSFN struct {
	Op  string
	Err error
}

func (e *ErrSFN) Error() string { return fmt.Sprintf("restore: %s: %v", e.Op, e.Err) }

func (e *ErrSFN) Unwrap() error { return e.Err }

// ErrRestoreFailed describes an object that cannot be restored; it is sent
// as the task's failure (error "ErrRestoreFailed", cause its JSON).
type ErrRestoreFailed struct {
	RunID     string `json:"runId"`
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
	Reason    string `json:"reason"`
}

func (e *ErrRestoreFailed) Error() string {
	return fmt.Sprintf("restore: run %q: s3://%s/%s cannot be restored: %s", e.RunID, e.Bucket, e.Key, e.Reason)
}

// Handle detects the input (an SQS event has "Records", a task input
// "taskToken") and returns an SQSEventResponse or a TaskOutput.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	in, sqs, err := ParseInput(raw)
	if err != nil {
		h.logger(ctx).Error("bad input", handler.ErrAttrs(err)...)
		return nil, err
	}
	if sqs != nil {
		return h.HandleSQS(ctx, *sqs), nil
	}
	out, err := h.HandleTask(ctx, *in)
	if err != nil {
		h.logger(ctx).With("runId", in.RunID).Error("task failed", handler.ErrAttrs(err)...)
		return nil, err
	}
	return out, nil
}

// MaxInputBytes is the largest input ParseInput accepts.
const MaxInputBytes = 6 << 20

// ParseInput tells a task input from an SQS event and decodes it; the task
// input strictly (unknown fields, bad keys, both or neither of keys and
// prefix, a bad tier or days are errors).
func ParseInput(b []byte) (*TaskInput, *lambdaevents.SQSEvent, error) {
	if len(b) > MaxInputBytes {
		return nil, nil, &ErrInvalidInput{Reason: fmt.Sprintf("%d bytes, more than %d", len(b), MaxInputBytes)}
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil || probe == nil {
		return nil, nil, &ErrInvalidInput{Reason: "not a JSON object"}
	}
	switch {
	case probe["Records"] != nil:
		var ev lambdaevents.SQSEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			return nil, nil, &ErrInvalidInput{Reason: "SQS event: " + err.Error()}
		}
		return nil, &ev, nil
	case probe["taskToken"] != nil:
		var in TaskInput
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, nil, &ErrInvalidInput{Reason: "task input: " + err.Error()}
		}
		if dec.More() {
			return nil, nil, &ErrInvalidInput{Reason: "task input: trailing data"}
		}
		if err := in.validate(); err != nil {
			return nil, nil, err
		}
		return &in, nil, nil
	}
	return nil, nil, &ErrInvalidInput{Reason: `neither an SQS event ("Records") nor a task input ("taskToken")`}
}

func (in *TaskInput) validate() error {
	bad := func(f string, a ...any) error { return &ErrInvalidInput{Reason: fmt.Sprintf(f, a...)} }
	switch {
	case in.TaskToken == "" || len(in.TaskToken) > 4096:
		return bad("taskToken is empty or longer than 4096 bytes")
	case strings.TrimSpace(in.RunID) == "" || len(in.RunID) > 255:
		return bad("runId is empty or longer than 255 bytes")
	case !bucketOK(in.Bucket):
		return bad("bucket %q is not a bucket name", in.Bucket)
	case (len(in.Keys) > 0) == (in.Prefix != ""):
		return bad("give exactly one of keys and prefix")
	case len(in.Keys) > MaxKeys:
		return bad("%d keys, more than %d", len(in.Keys), MaxKeys)
	case ValidateTierDays(in.Tier, in.Days) != nil:
		return bad("%v", ValidateTierDays(in.Tier, in.Days))
	case len(in.ExecutionID) > 2048:
		return bad("executionId longer than 2048 bytes")
	}
	for i, k := range in.Keys {
		if err := s3event.CheckKey(k); err != nil {
			return bad("keys[%d]: %v", i, err)
		}
	}
	if in.Prefix != "" {
		if err := s3event.CheckKey(in.Prefix); err != nil {
			return bad("prefix: %v", err)
		}
	}
	return nil
}

func bucketOK(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// RequestID is the round id of a task token.
func RequestID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:16])
}

// object is one object of a task, after HeadObject.
type object struct {
	ref        ObjectRef
	archived   bool
	inProgress bool // a restore is running
	restored   bool // a restored copy is readable
	intTier    bool // Intelligent-Tiering archive tier: no Days
	err        error
	failure    string // permanent: cannot be restored
}

// HandleTask handles a Step Functions task input; see the package doc.
func (h *Handler) HandleTask(ctx context.Context, in TaskInput) (TaskOutput, error) {
	out := TaskOutput{RunID: in.RunID}
	if err := in.validate(); err != nil {
		return out, err
	}
	tier, days := in.Tier, in.Days
	if tier == "" {
		tier = h.tier()
	}
	if days == 0 {
		days = h.days()
	}
	exec := in.ExecutionID
	if exec == "" {
		exec = "unknown"
	}
	req := RequestID(in.TaskToken)
	log := h.logger(ctx).With("runId", in.RunID, "round", req)
	rec, err := h.Store.Begin(ctx, Record{RunID: in.RunID, Request: req, TaskToken: in.TaskToken, Bucket: in.Bucket,
		Tier: tier, Days: days, ExecutionID: exec, CreatedAt: h.now()})
	if err != nil {
		return out, err
	}
	switch rec.State {
	case StateFailed, StateDone:
		log.Info("round already finished", "state", rec.State)
		return out, nil
	case StateCompleting:
		return out, h.finish(ctx, log, rec, "task:"+req, &out)
	}

	objs, err := h.look(ctx, in)
	if err != nil {
		return out, err
	}
	out.Objects = len(objs)
	var toRestore, recheck []*object
	for _, o := range objs {
		if o.failure != "" {
			return out, h.fail(ctx, log, rec, &ErrRestoreFailed{RunID: in.RunID, Bucket: in.Bucket, Key: o.ref.Key, VersionID: o.ref.VersionID, Reason: o.failure}, &out)
		}
		if !o.archived {
			continue
		}
		out.Archived++
		if o.restored {
			continue
		}
		// Record before asking, so that no completion event can come first.
		if _, err := h.Store.AddPending(ctx, in.RunID, req, o.ref, h.now()); err != nil {
			return out, err
		}
		out.Pending++
		if o.inProgress {
			out.InProgress++
			recheck = append(recheck, o)
		} else {
			toRestore = append(toRestore, o)
		}
	}
	// Ask for the restores.
	results := h.each(ctx, toRestore, func(o *object) {
		rin := &s3.RestoreObjectInput{
			Bucket: aws.String(o.ref.Bucket), Key: aws.String(o.ref.Key),
			RestoreRequest: &s3types.RestoreRequest{GlacierJobParameters: &s3types.GlacierJobParameters{Tier: s3types.Tier(tier)}},
		}
		if !o.intTier {
			rin.RestoreRequest.Days = aws.Int32(days)
		}
		if o.ref.VersionID != s3event.NullVersion {
			rin.VersionId = aws.String(o.ref.VersionID)
		}
		_, err := h.S3.RestoreObject(ctx, rin)
		switch code := apiCode(err); {
		case err == nil:
		case code == "RestoreAlreadyInProgress":
			o.inProgress = true
		case code == "ObjectAlreadyInActiveTierError":
			o.restored = true
		case permanent(err):
			o.failure = "RestoreObject: " + truncate(err.Error(), 500)
		default:
			o.err = &ErrS3{Op: "RestoreObject", Key: o.ref.Key, Err: err}
		}
	})
	for _, o := range results {
		switch {
		case o.err != nil:
			return out, o.err
		case o.failure != "":
			return out, h.fail(ctx, log, rec, &ErrRestoreFailed{RunID: in.RunID, Bucket: in.Bucket, Key: o.ref.Key, VersionID: o.ref.VersionID, Reason: o.failure}, &out)
		case o.restored:
			if _, err := h.Store.MarkRestored(ctx, in.RunID, req, o.ref, h.now()); err != nil {
				return out, err
			}
		case o.inProgress:
			recheck = append(recheck, o)
		default:
			out.Requested++
		}
	}
	// Restores someone else started may have completed before we recorded
	// them (their event found no item of ours): look again.
	rechecked := h.each(ctx, recheck, func(o *object) {
		again := h.head(ctx, o.ref.Bucket, o.ref.Key, o.ref.VersionID)
		if again.err != nil {
			o.err = again.err
			return
		}
		o.restored = !again.archived || again.restored
	})
	for _, o := range rechecked {
		if o.err != nil {
			return out, o.err
		}
		if o.restored {
			if _, err := h.Store.MarkRestored(ctx, in.RunID, req, o.ref, h.now()); err != nil {
				return out, err
			}
		}
	}
	if err := h.Store.Ready(ctx, in.RunID, req); err != nil {
		return out, err
	}
	log.Info("restores requested", "objects", out.Objects, "archived", out.Archived, "pending", out.Pending,
		"requested", out.Requested, "inProgress", out.InProgress)
	done, err := h.tryComplete(ctx, log, in.RunID, req, "task:"+req, &out)
	out.Completed = done
	return out, err
}

// look lists the task's objects and looks at each.
func (h *Handler) look(ctx context.Context, in TaskInput) ([]*object, error) {
	var objs []*object
	if len(in.Keys) > 0 {
		seen := map[string]bool{}
		for _, k := range in.Keys {
			if !seen[k] {
				seen[k] = true
				objs = append(objs, &object{ref: ObjectRef{Bucket: in.Bucket, Key: k}})
			}
		}
	} else {
		var token *string
		for {
			page, err := h.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(in.Bucket), Prefix: aws.String(in.Prefix), ContinuationToken: token})
			if err != nil {
				return nil, &ErrS3{Op: "ListObjectsV2", Key: in.Prefix, Err: err}
			}
			for _, c := range page.Contents {
				k := aws.ToString(c.Key)
				if strings.HasSuffix(k, "/") {
					continue
				}
				o := &object{ref: ObjectRef{Bucket: in.Bucket, Key: k}}
				switch c.StorageClass {
				case s3types.ObjectStorageClassGlacier, s3types.ObjectStorageClassDeepArchive, s3types.ObjectStorageClassIntelligentTiering, "":
				default:
					o.ref.VersionID = "-" // never archived: not looked at
				}
				objs = append(objs, o)
			}
			if !aws.ToBool(page.IsTruncated) {
				break
			}
			token = page.NextContinuationToken
		}
	}
	return h.each(ctx, objs, func(o *object) {
		if o.ref.VersionID == "-" {
			o.ref.VersionID = s3event.NullVersion
			return
		}
		*o = h.head(ctx, o.ref.Bucket, o.ref.Key, "")
	}), firstErr(objs)
}

func firstErr(objs []*object) error {
	for _, o := range objs {
		if o.err != nil {
			return o.err
		}
	}
	return nil
}

// head looks at one object version.
func (h *Handler) head(ctx context.Context, bucket, key, version string) object {
	o := object{ref: ObjectRef{Bucket: bucket, Key: key, VersionID: version}}
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" && version != s3event.NullVersion {
		in.VersionId = aws.String(version)
	}
	out, err := h.S3.HeadObject(ctx, in)
	if err != nil {
		if s3read.IsNotFound(err) {
			o.failure = "object not found"
		} else {
			o.err = &ErrS3{Op: "HeadObject", Key: key, Err: err}
		}
		return o
	}
	if o.ref.VersionID == "" {
		o.ref.VersionID = aws.ToString(out.VersionId)
		if o.ref.VersionID == "" {
			o.ref.VersionID = s3event.NullVersion
		}
	}
	restore := aws.ToString(out.Restore)
	o.inProgress = strings.Contains(restore, `ongoing-request="true"`)
	switch out.StorageClass {
	case s3types.StorageClassGlacier, s3types.StorageClassDeepArchive:
		o.archived = true
		o.restored = strings.Contains(restore, `ongoing-request="false"`)
	case s3types.StorageClassIntelligentTiering:
		switch out.ArchiveStatus {
		case s3types.ArchiveStatusArchiveAccess, s3types.ArchiveStatusDeepArchiveAccess:
			o.archived, o.intTier = true, true
		}
	}
	if o.restored {
		o.inProgress = false
	}
	return o
}

// each runs f on every object with bounded concurrency and returns objs.
func (h *Handler) each(ctx context.Context, objs []*object, f func(o *object)) []*object {
	sem := make(chan struct{}, h.concurrency())
	var wg sync.WaitGroup
	for _, o := range objs {
		if ctx.Err() != nil {
			o.err = ctx.Err()
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(o *object) {
			defer wg.Done()
			defer func() { <-sem }()
			f(o)
		}(o)
	}
	wg.Wait()
	return objs
}

// fail claims the round's failure and tells the task.
func (h *Handler) fail(ctx context.Context, log *slog.Logger, rec Record, cause *ErrRestoreFailed, out *TaskOutput) error {
	won, err := h.Store.ClaimFailure(ctx, rec.RunID, rec.Request, "task:"+rec.Request)
	if err != nil {
		return err
	}
	if !won {
		return nil
	}
	b, _ := json.Marshal(cause)
	_, err = h.SFN.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(rec.TaskToken), Error: aws.String(ErrorName), Cause: aws.String(truncate(string(b), 32000))})
	if err != nil && !taskGone(err) {
		return &ErrSFN{Op: "SendTaskFailure", Err: err}
	}
	log.Error("restore failed", "errorType", ErrorName, "key", cause.Key, "reason", cause.Reason)
	out.Failed = true
	return nil
}

// tryComplete claims completion when the round waits for nothing more, and
// finishes a completion this claimant left half-done.
func (h *Handler) tryComplete(ctx context.Context, log *slog.Logger, runID, req, claimant string, out *TaskOutput) (bool, error) {
	rec, found, err := h.Store.Get(ctx, runID)
	if err != nil || !found || rec.Request != req {
		return false, err
	}
	switch {
	case rec.State == StateWaiting && rec.Pending <= 0:
		won, err := h.Store.ClaimSuccess(ctx, runID, req, claimant)
		if err != nil || !won {
			return false, err
		}
		rec.State, rec.ClaimedBy = StateCompleting, claimant
		return true, h.finish(ctx, log, rec, claimant, out)
	case rec.State == StateCompleting && rec.ClaimedBy == claimant:
		return true, h.finish(ctx, log, rec, claimant, out)
	}
	return false, nil
}

// finish publishes RestoreCompleted (once) and tells the task.
func (h *Handler) finish(ctx context.Context, log *slog.Logger, rec Record, claimant string, out *TaskOutput) error {
	if rec.ClaimedBy != claimant {
		return nil
	}
	if !rec.Published {
		ev := &events.RestoreCompleted{SchemaVersion: events.SchemaVersion, RunID: rec.RunID, Bucket: rec.Bucket,
			ExecutionID: rec.ExecutionID, RestoredObjects: rec.Restored, CompletedAt: h.now(), Tier: rec.Tier}
		if ev.ExecutionID == "" {
			ev.ExecutionID = "unknown"
		}
		if err := h.Publisher.Publish(ctx, ev); err != nil {
			return err
		}
		if err := h.Store.MarkPublished(ctx, rec.RunID, rec.Request); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(SuccessOutput{RunID: rec.RunID, Restored: rec.Restored})
	_, err := h.SFN.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(rec.TaskToken), Output: aws.String(string(b))})
	if err != nil {
		if !taskGone(err) {
			return &ErrSFN{Op: "SendTaskSuccess", Err: err}
		}
		log.Warn("the task is gone (timed out, or told before); not told again", "error", err.Error())
	}
	log.Info("restore completed", "event", events.DetailTypeRestoreCompleted, "restored", rec.Restored, "claimant", claimant)
	if out != nil {
		out.Completed = true
	}
	return h.Store.Finish(ctx, rec.RunID, rec.Request)
}

// HandleSQS handles a batch of S3 restore events, reporting the records that
// failed (the event source mapping must enable ReportBatchItemFailures).
func (h *Handler) HandleSQS(ctx context.Context, ev lambdaevents.SQSEvent) lambdaevents.SQSEventResponse {
	b := handler.SQSBatch{Op: "restore", Concurrency: h.concurrency(), Handle: h.HandleMessage}
	return b.Run(ctx, h.logger(ctx), ev)
}

// HandleMessage handles one restore event; nil means it may be deleted.
func (h *Handler) HandleMessage(ctx context.Context, log *slog.Logger, body []byte) (err error) {
	defer handler.Recover("restore", &err)
	if log == nil {
		log = h.logger(ctx)
	}
	r, err := s3event.ParseRestoreCompleted(body)
	if err != nil {
		var ue *s3event.ErrUnsupportedEvent
		if errors.As(err, &ue) {
			log.Info("skipped event", "reason", err.Error())
			return nil
		}
		return err
	}
	// The event's key is form-decoded; an object stored under the raw key
	// (an event whose key was not encoded) is waited for under that one.
	var ref ObjectRef
	var waiters []Waiter
	for i, key := range r.Candidates() {
		ref = ObjectRef{Bucket: r.Bucket, Key: key, VersionID: r.VersionID}
		if waiters, err = h.Store.Waiters(ctx, ref); err != nil {
			return err
		}
		if len(waiters) > 0 {
			if i > 0 {
				log.Info("restored object matched by the event's raw key", "key", key, "decodedKey", r.Key)
			}
			r.Key = key
			break
		}
	}
	if len(waiters) == 0 {
		log.Info("restore of an object no run waits for; skipped", "bucket", r.Bucket, "key", r.Key)
		return nil
	}
	var errs []error
	for _, w := range waiters {
		wlog := log.With("runId", w.RunID, "key", r.Key)
		if w.State == ObjPending {
			if _, err := h.Store.MarkRestored(ctx, w.RunID, w.Request, ref, h.now()); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		// Even for a duplicate: the first delivery may have died half-way.
		if _, err := h.tryComplete(ctx, wlog, w.RunID, w.Request, "event:"+r.IdempotencyKey(), nil); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// apiCode returns an S3 error's code, "" for nil or a non-API error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// permanent reports whether a RestoreObject error will not go away by
// retrying: an S3 answer with a 4xx status (or a client fault) other than
// throttling and timeouts.
func permanent(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable":
		return false
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		st := re.HTTPStatusCode()
		return st >= 400 && st < 500 && st != 429
	}
	return ae.ErrorFault() == smithy.FaultClient
}

// taskGone reports a task token Step Functions no longer accepts.
func taskGone(err error) bool {
	var to *sfntypes.TaskTimedOut
	var dne *sfntypes.TaskDoesNotExist
	var it *sfntypes.InvalidToken
	return errors.As(err, &to) || errors.As(err, &dne) || errors.As(err, &it)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func (h *Handler) tier() string {
	if h.Tier != "" {
		return h.Tier
	}
	return DefaultTier
}

func (h *Handler) days() int32 {
	if h.Days > 0 {
		return h.Days
	}
	return DefaultDays
}

func (h *Handler) concurrency() int {
	if h.Concurrency > 0 {
		return h.Concurrency
	}
	return DefaultConcurrency
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) logger(ctx context.Context) *slog.Logger {
	l := h.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return handler.Logger(ctx, l)
}

// ValidateTierDays checks a restore's tier (empty: the default) and days
// (0: the default): Bulk or Standard (Deep Archive has no Expedited tier)
// and 1 to MaxDays. The constructs check their props against the same
// values (constructs/archive).
func ValidateTierDays(tier string, days int32) error {
	switch {
	case tier != "" && tier != "Bulk" && tier != "Standard":
		return fmt.Errorf("tier %q: want Bulk or Standard", tier)
	case days < 0 || days > MaxDays:
		return fmt.Errorf("days %d: want 1 to %d", days, MaxDays)
	}
	return nil
}

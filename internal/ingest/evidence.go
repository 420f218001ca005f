package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/runs"
	"github.com/biolake/biolake/internal/s3event"
	"github.com/biolake/biolake/internal/s3read"
)

// DataSyncAPI is what the handler asks DataSync about a successful task
// execution: did it verify its transfer of the whole location, and which
// S3 location did it write to.
type DataSyncAPI interface {
	DescribeTaskExecution(ctx context.Context, in *datasync.DescribeTaskExecutionInput, opts ...func(*datasync.Options)) (*datasync.DescribeTaskExecutionOutput, error)
	DescribeTask(ctx context.Context, in *datasync.DescribeTaskInput, opts ...func(*datasync.Options)) (*datasync.DescribeTaskOutput, error)
	DescribeLocationS3(ctx context.Context, in *datasync.DescribeLocationS3Input, opts ...func(*datasync.Options)) (*datasync.DescribeLocationS3Output, error)
}

// EventBridge sources and detail-types of the evidence events.
const (
	// DataSyncSource and DataSyncDetailType: a DataSync task execution's
	// state change (https://docs.aws.amazon.com/datasync/latest/userguide/events.html);
	// the detail is {"State": "SUCCESS"} and resources[0] the execution ARN.
	DataSyncSource     = "aws.datasync"
	DataSyncDetailType = "DataSync Task Execution State Change"
	// ScheduleSource and ScheduleDetailType: an EventBridge schedule's
	// event, which starts a sweep of the pending runs.
	ScheduleSource     = "aws.events"
	ScheduleDetailType = "Scheduled Event"
)

// ErrDataSync is a failure to describe a DataSync task execution, task or
// location (retried).
type ErrDataSync struct {
	Op, ARN string
	Err     error
}

func (e *ErrDataSync) Error() string {
	return fmt.Sprintf("ingest: datasync %s %s: %v", e.Op, e.ARN, e.Err)
}

func (e *ErrDataSync) Unwrap() error { return e.Err }

type messageKind int

const (
	kindS3 messageKind = iota
	kindDataSync
	kindSchedule
)

// peekKind tells DataSync and schedule events from S3 events (anything it
// does not recognise is left to the S3 event parser).
func peekKind(body []byte) messageKind {
	var top struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
	}
	if json.Unmarshal(body, &top) != nil {
		return kindS3
	}
	switch {
	case top.Source == DataSyncSource && top.DetailType == DataSyncDetailType:
		return kindDataSync
	case top.Source == ScheduleSource && top.DetailType == ScheduleDetailType:
		return kindSchedule
	}
	return kindS3
}

// resolveKey finds which of an ambiguous object's candidate keys holds its
// version: HeadObject of the decoded key, then, on NoSuchKey, of the raw
// key once. It logs the match; when neither exists any more the decoded
// key is kept.
func (h *Handler) resolveKey(ctx context.Context, log *slog.Logger, o s3event.Object) (s3event.Object, error) {
	cands := o.Candidates()
	for i, key := range cands {
		in := &s3.HeadObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(key)}
		if o.VersionID != "" && o.VersionID != s3event.NullVersion {
			in.VersionId = aws.String(o.VersionID)
		}
		_, err := h.S3.HeadObject(ctx, in)
		if err == nil {
			if i == 0 {
				log.Debug("object found under the decoded key", "key", key, "rawKey", o.RawKey)
			} else {
				log.Info("object found under the event's raw key, not the decoded one", "key", key, "decodedKey", cands[0])
			}
			o.Key = key
			return o, nil
		}
		if !s3read.IsNotFound(err) {
			return o, &ErrKeyLookup{Bucket: o.Bucket, Key: key, Err: err}
		}
	}
	log.Warn("object found under neither the decoded nor the raw key (deleted since?); recorded under the decoded key",
		"key", cands[0], "rawKey", o.RawKey)
	return o, nil
}

// evidence returns what completes a Ready run now ("" for nothing yet). A
// run with a manifest has it; one without goes into the pending index and,
// on the datasync channel, is checked against the DataSync successes
// recorded so far (the DataSync event handler checks the pending runs
// after recording a success, so one of the two sees the other).
func (h *Handler) evidence(ctx context.Context, log *slog.Logger, loc runs.Location, run catalog.Run, now time.Time) (events.Verification, error) {
	if loc.Profile.Manifest != "" {
		return events.VerifiedByManifest, nil
	}
	if loc.Channel != events.ChannelDataSync && loc.SettleAfter == 0 {
		log.Warn("run has its markers and data but no manifest, and neither DataSync nor a settle window vouches for it: "+
			"it waits; add a manifest to its rule (or opt the rule in to a settle window)", "channel", loc.Channel)
		return "", nil
	}
	if !run.PendingSince.IsZero() {
		log.Debug("run waits for independent evidence", "channel", loc.Channel, "pendingSince", run.PendingSince)
		return "", nil
	}
	if err := h.Store.AddPending(ctx, catalog.Pending{RunID: run.RunID, Bucket: run.Bucket, Prefix: run.Prefix, Channel: run.Channel, Since: now}); err != nil {
		return "", err
	}
	if loc.Channel != events.ChannelDataSync {
		log.Info("run waits for its settle window", "settleAfter", loc.SettleAfter.String())
		return "", nil
	}
	ok, err := h.dataSyncVouches(ctx, run)
	if err != nil || ok {
		return events.VerifiedByDataSync, err
	}
	log.Info("run waits for a successful DataSync task execution of its location")
	return "", nil
}

// dataSyncVouches reports whether a recorded DataSync success covers the
// run and ended at or after its markers were created.
func (h *Handler) dataSyncVouches(ctx context.Context, run catalog.Run) (bool, error) {
	dss, err := h.Store.DataSyncSuccesses(ctx, run.Bucket)
	if err != nil {
		return false, err
	}
	for _, ds := range dss {
		if ds.Covers(run.Bucket, run.Prefix) && !ds.EndedAt.Before(run.MarkersAt) {
			return true, nil
		}
	}
	return false, nil
}

// dataSyncEvent is an EventBridge "DataSync Task Execution State Change".
type dataSyncEvent struct {
	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	Resources []string  `json:"resources"`
	Detail    struct {
		State string `json:"State"`
	} `json:"detail"`
}

// handleDataSync records a successful, verified task execution of a whole
// S3 location as evidence, and completes the pending datasync runs it
// vouches for.
func (h *Handler) handleDataSync(ctx context.Context, log *slog.Logger, body []byte) error {
	var ev dataSyncEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return &s3event.ErrMalformedEvent{Reason: "DataSync event", Err: err}
	}
	if ev.Detail.State != string(dstypes.TaskExecutionStatusSuccess) {
		log.Debug("DataSync task execution state change skipped", "state", ev.Detail.State)
		return nil
	}
	if len(ev.Resources) != 1 || !strings.Contains(ev.Resources[0], "/execution/") {
		return &s3event.ErrMalformedEvent{Reason: fmt.Sprintf("DataSync event resources %q: want one task execution ARN", ev.Resources)}
	}
	execARN := ev.Resources[0]
	log = log.With("taskExecutionArn", execARN)
	if h.DataSync == nil {
		log.Warn("DataSync event received but the handler has no DataSync client; skipped")
		return nil
	}
	ds, why, err := h.describeSuccess(ctx, execARN, ev.Time)
	if err != nil {
		return err
	}
	if why != "" {
		log.Info("DataSync task execution is no evidence for runs: "+why, "state", ev.Detail.State)
		return nil
	}
	if err := h.Store.PutDataSyncSuccess(ctx, ds); err != nil {
		return err
	}
	log.Info("DataSync task execution recorded as evidence", "bucket", ds.Bucket, "prefix", ds.Prefix, "endedAt", ds.EndedAt)
	claimant := "datasync:" + execARN
	var errs []error
	err = h.Store.Pending(ctx, func(p catalog.Pending) error {
		if p.Channel != events.ChannelDataSync || !ds.Covers(p.Bucket, p.Prefix) {
			return nil
		}
		if err := h.settle(ctx, log.With("runId", p.RunID), p, claimant, func(run catalog.Run, _ runs.Location) bool {
			return !ds.EndedAt.Before(run.MarkersAt)
		}, events.VerifiedByDataSync); err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	return joinErrs(append(errs, err)...)
}

// describeSuccess asks DataSync whether the execution verified what it
// transferred of its whole location, and which S3 location that is. why
// says why it is no evidence ("" when it is).
func (h *Handler) describeSuccess(ctx context.Context, execARN string, eventTime time.Time) (ds catalog.DataSyncSuccess, why string, err error) {
	exec, err := h.DataSync.DescribeTaskExecution(ctx, &datasync.DescribeTaskExecutionInput{TaskExecutionArn: aws.String(execARN)})
	if err != nil {
		return ds, "", &ErrDataSync{Op: "DescribeTaskExecution", ARN: execARN, Err: err}
	}
	switch {
	case exec.Status != dstypes.TaskExecutionStatusSuccess:
		return ds, fmt.Sprintf("its status is %s", exec.Status), nil
	case exec.Options != nil && exec.Options.VerifyMode == dstypes.VerifyModeNone:
		return ds, "it did not verify its transfer (VerifyMode NONE)", nil
	case len(exec.Includes) > 0 || exec.ManifestConfig != nil:
		return ds, "it transferred part of its location only (include filters or a transfer manifest)", nil
	}
	taskARN := execARN[:strings.Index(execARN, "/execution/")]
	task, err := h.DataSync.DescribeTask(ctx, &datasync.DescribeTaskInput{TaskArn: aws.String(taskARN)})
	if err != nil {
		return ds, "", &ErrDataSync{Op: "DescribeTask", ARN: taskARN, Err: err}
	}
	locARN := aws.ToString(task.DestinationLocationArn)
	loc, err := h.DataSync.DescribeLocationS3(ctx, &datasync.DescribeLocationS3Input{LocationArn: aws.String(locARN)})
	if err != nil {
		var ire *dstypes.InvalidRequestException
		if errors.As(err, &ire) {
			return ds, "its destination is not an S3 location", nil
		}
		return ds, "", &ErrDataSync{Op: "DescribeLocationS3", ARN: locARN, Err: err}
	}
	bucket, prefix, ok := parseLocationURI(aws.ToString(loc.LocationUri))
	if !ok {
		return ds, fmt.Sprintf("its destination %q is not s3://BUCKET/PREFIX", aws.ToString(loc.LocationUri)), nil
	}
	ended := eventTime
	if exec.EndTime != nil {
		ended = *exec.EndTime
	}
	if ended.IsZero() {
		return ds, "it has no end time", nil
	}
	return catalog.DataSyncSuccess{Bucket: bucket, Prefix: prefix, EndedAt: ended.UTC(), ExecutionARN: execARN}, "", nil
}

// parseLocationURI splits a DataSync S3 location URI, s3://BUCKET/PREFIX,
// into the bucket and a key prefix that is "" or ends in "/".
func parseLocationURI(uri string) (bucket, prefix string, ok bool) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", false
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" || strings.ContainsAny(bucket, ":|") {
		return "", "", false // an access point or outpost: not a bucket name
	}
	prefix = strings.TrimLeft(prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return bucket, prefix, true
}

// Sweep completes the pending runs whose settle window has passed with no
// new object (rules with SettleAfter), finishes completions whose
// publishing failed, and drops runs that left RECEIVING from the index. A
// scheduled EventBridge rule starts it through the queue.
func (h *Handler) Sweep(ctx context.Context, log *slog.Logger) error {
	return h.sweep(ctx, log, "")
}

// sweep is Sweep for the schedule event eventID. Its claims name the event,
// so that a redelivery of the same event finishes a completion it claimed
// and a concurrent sweep of another event does not publish it twice.
func (h *Handler) sweep(ctx context.Context, log *slog.Logger, eventID string) error {
	if log == nil {
		log = h.logger()
	}
	now := h.now()
	var errs []error
	n := 0
	err := h.Store.Pending(ctx, func(p catalog.Pending) error {
		n++
		claimant := "settled:" + p.RunID + ":" + eventID
		if err := h.settle(ctx, log.With("runId", p.RunID), p, claimant, func(run catalog.Run, loc runs.Location) bool {
			return p.Channel != events.ChannelDataSync && loc.SettleAfter > 0 && !now.Before(run.LastObjectAt.Add(loc.SettleAfter))
		}, events.VerifiedBySettled); err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	log.Info("swept pending runs", "pending", n, "failed", len(errs))
	return joinErrs(append(errs, err)...)
}

// settle completes a pending run on evidence ev when it is still RECEIVING,
// Ready and ok says the evidence holds; finishes publishing a completion
// claimant made earlier; and drops a run that left RECEIVING otherwise.
func (h *Handler) settle(ctx context.Context, log *slog.Logger, p catalog.Pending, claimant string, ok func(catalog.Run, runs.Location) bool, ev events.Verification) error {
	run, found, err := h.Store.GetRun(ctx, p.RunID)
	if err != nil {
		return err
	}
	switch {
	case !found:
		return h.Store.RemovePending(ctx, p.RunID)
	case run.State == runs.StateComplete && run.ClaimedBy == claimant:
		return h.complete(ctx, log, run)
	case run.State != runs.StateReceiving:
		return h.Store.RemovePending(ctx, p.RunID)
	}
	loc, err := h.Resolver.ResolveIn(run.Bucket, run.Prefix+"_")
	if err != nil || loc.RunID != run.RunID {
		log.Warn("pending run's prefix is under no run rule any more; left pending", "prefix", run.Prefix)
		return nil
	}
	if !loc.Profile.Ready(run.Progress()) || !ok(run, loc) {
		return nil
	}
	return h.claim(ctx, log, run, claimant, ev, h.now())
}

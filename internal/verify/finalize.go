package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/runs"
)

// FinalizeInput is FinalizeRun's input, as the state machine builds it:
// {"action":"finalize","run":<VerifyRun output>,"large":[<Map results>]}.
type FinalizeInput struct {
	Run   VerifyOutput  `json:"run"`
	Large []LargeResult `json:"large"`
}

// LargeResult is one Map result: the Batch job's success, {"bucket","key",
// "ok":true}, or the Catch's {"bucket","key","ok":false,"error":...}, where
// error is a string or the Catch's {"Error","Cause"} object (a Batch job's
// Cause is its description as JSON, holding the container's exit code).
//
// The state machine may also put the Catch's Error and Cause side by side:
// {"bucket","key","ok":false,"error":"States.TaskFailed","cause":"<job JSON>"}.
type LargeResult struct {
	Bucket string          `json:"bucket"`
	Key    string          `json:"key"`
	OK     *bool           `json:"ok"`
	Error  json.RawMessage `json:"error,omitempty"`
	Cause  json.RawMessage `json:"cause,omitempty"`
}

// FinalizeOutput is FinalizeRun's summary.
type FinalizeOutput struct {
	RunID    string `json:"runId"`
	VerifyID string `json:"verifyId"`
	// Passed: every file matched its manifest.
	Passed bool `json:"passed"`
	// Checked counts manifest entries, Failed those that failed (small and
	// large), FailureEvents the IntegrityFailed events published.
	Checked       int `json:"checked"`
	Failed        int `json:"failed"`
	FailureEvents int `json:"failureEvents"`
	// LargeVerified counts the Batch verifier's matches.
	LargeVerified int `json:"largeVerified"`
	// Published: this call published RunIngested.
	Published bool `json:"published"`
	// AlreadyVerified: another flow had verified the run; nothing was done.
	AlreadyVerified bool `json:"alreadyVerified"`
	// Prefix is where the verified data is (accepted/ for partner data).
	Prefix string `json:"prefix,omitempty"`
	// Accepted counts the objects copied to the accepted prefix (the
	// manifest included).
	Accepted int `json:"accepted"`
	// CatalogKeys are the Parquet objects written to the catalog bucket.
	CatalogKeys []string `json:"catalogKeys,omitempty"`
}

// ErrRunNotFound is returned by Finalize when the catalog has no record of
// the run.
type ErrRunNotFound struct{ RunID string }

func (e *ErrRunNotFound) Error() string {
	return fmt.Sprintf("verify: run %q is not in the catalog", e.RunID)
}

// ErrRunState is returned by Finalize when the run is in no state that can
// become VERIFIED (it is still RECEIVING), or when the catalog's record of
// this flow's verified objects disagrees with VerifyRun's count.
type ErrRunState struct {
	RunID, State, Reason string
}

func (e *ErrRunState) Error() string {
	return fmt.Sprintf("verify: run %q in state %s: %s", e.RunID, e.State, e.Reason)
}

// ErrIntegrityFailed is returned by Finalize, after it published the
// IntegrityFailed events, when files of the run failed verification: the
// execution ends in its integrity Fail state. Not worth a retry.
type ErrIntegrityFailed struct {
	RunID string
	// Failed counts the failing objects, Events the IntegrityFailed events
	// published (at most MaxFailureEvents).
	Failed, Events int
}

func (e *ErrIntegrityFailed) Error() string {
	return fmt.Sprintf("verify: run %q: %d objects failed verification (%d IntegrityFailed events published)", e.RunID, e.Failed, e.Events)
}

// ErrExport is a failure to write the catalog export (retried).
type ErrExport struct {
	RunID string
	Err   error
}

func (e *ErrExport) Error() string {
	return fmt.Sprintf("verify: export catalog of run %q: %v", e.RunID, e.Err)
}

func (e *ErrExport) Unwrap() error { return e.Err }

// Finalize joins VerifyRun's outcome with the Batch verifier's results and
// publishes RunIngested (exactly once per run) or IntegrityFailed events; see
// the package doc.
func (v *Verifier) Finalize(ctx context.Context, in FinalizeInput) (FinalizeOutput, error) {
	rc := in.Run.Run
	out := FinalizeOutput{RunID: rc.RunID, VerifyID: in.Run.VerifyID, Checked: in.Run.Summary.Checked}
	if err := rc.Validate(); err != nil {
		return out, &ErrInvalidRequest{Reason: "run.run: " + err.Error()}
	}
	if in.Run.VerifyID == "" {
		return out, &ErrInvalidRequest{Reason: "run.verifyId is empty"}
	}
	log := v.logger().With("runId", rc.RunID, "verifyId", in.Run.VerifyID)

	// Join the Batch results to the large objects.
	type rkey struct{ bucket, key string }
	results := make(map[rkey]*LargeResult, len(in.Large))
	for i := range in.Large {
		r := &in.Large[i]
		k := rkey{r.Bucket, r.Key}
		if prev, ok := results[k]; ok && (prev.OK == nil || !*prev.OK) {
			continue // a failure wins over a later success
		}
		results[k] = r
	}
	failures := append([]ObjectResult(nil), in.Run.Results...)
	failed := in.Run.Summary.Failed
	if failed < len(failures) {
		failed = len(failures)
	}
	var largeOK []LargeObject
	for _, l := range in.Run.Large {
		r, ok := results[rkey{l.Bucket, l.Key}]
		delete(results, rkey{l.Bucket, l.Key})
		if ok && r.OK != nil && *r.OK {
			largeOK = append(largeOK, l)
			continue
		}
		failed++
		failures = append(failures, largeFailure(l, r))
	}
	for k := range results {
		log.Warn("Batch result for an object VerifyRun did not list; ignored", "bucket", k.bucket, "key", k.key)
	}
	if failed == 0 && rc.ManifestKey == "" && strings.HasPrefix(rc.Prefix, v.quarantine()) {
		failed++
		failures = append(failures, ObjectResult{Bucket: rc.Bucket, Key: rc.Prefix, Reason: events.FailureUnreadable,
			Detail: "partner dataset has no manifest: nothing can be verified, so nothing is accepted"})
	}
	out.Failed = failed
	verifiedBy, unverified := verifiedBy(&rc)
	if failed == 0 && unverified != nil {
		return out, unverified
	}

	if failed > 0 {
		for _, f := range failures {
			if out.FailureEvents >= v.maxFailures() {
				break
			}
			ev := &events.IntegrityFailed{
				SchemaVersion: events.SchemaVersion, RunID: rc.RunID, Bucket: f.Bucket, Key: f.Key, VersionID: f.VersionID,
				Reason: f.Reason, DetectedAt: v.now(), Algorithm: f.Algorithm, Expected: f.Expected, Actual: f.Actual, Detail: f.Detail,
			}
			if !ev.Reason.Valid() {
				ev.Reason = events.FailureUnreadable
			}
			if err := v.Publisher.Publish(ctx, ev); err != nil {
				return out, err
			}
			out.FailureEvents++
		}
		if failed > out.FailureEvents {
			log.Warn("more failures than events published", "failed", failed, "published", out.FailureEvents)
		}
		log.Info("run failed verification", "failed", failed, "events", out.FailureEvents)
		return out, &ErrIntegrityFailed{RunID: rc.RunID, Failed: failed, Events: out.FailureEvents}
	}

	// Every file matched. Record the Batch verifier's matches.
	for _, l := range largeOK {
		err := v.Store.MarkObjectVerified(ctx, catalog.ObjectVerification{
			RunID: rc.RunID, Bucket: l.Bucket, Key: l.Key, VersionID: versionOrNull(l.VersionID), Size: l.Size,
			Verification: catalog.Verification{VerifyID: in.Run.VerifyID, VerifiedAt: v.now(), Method: MethodBatch,
				SHA256: l.Expected["sha256"], MD5: l.Expected["md5"], CRC32C: l.Expected["crc32c"]},
		})
		if err != nil {
			return out, err
		}
		out.LargeVerified++
	}
	out.Passed = true

	run, found, err := v.Store.GetRun(ctx, rc.RunID)
	if err != nil {
		return out, err
	}
	if !found {
		return out, &ErrRunNotFound{RunID: rc.RunID}
	}
	mine := run.State == runs.StateVerified && run.VerifyID == in.Run.VerifyID
	if run.State == runs.StateVerified && !mine {
		out.AlreadyVerified, out.Prefix = true, run.VerifiedPrefix
		log.Info("run already verified by another flow; nothing published", "by", run.VerifyID)
		return out, nil
	}
	if !mine {
		if run.State != runs.StateComplete && run.State != runs.StatePublished {
			return out, &ErrRunState{RunID: rc.RunID, State: run.State, Reason: "only a COMPLETE or PUBLISHED run can be verified"}
		}
		claim := catalog.VerifiedClaim{RunID: rc.RunID, VerifyID: in.Run.VerifyID, At: v.now(), Prefix: rc.Prefix, ManifestKey: rc.ManifestKey}
		if strings.HasPrefix(rc.Prefix, v.quarantine()) {
			dst := v.accepted() + strings.TrimPrefix(rc.Prefix, v.quarantine())
			n, err := v.accept(ctx, in.Run, out.LargeVerified, dst)
			out.Accepted = n
			if err != nil {
				return out, err
			}
			claim.Prefix = dst
			claim.ManifestKey = dst + strings.TrimPrefix(rc.ManifestKey, rc.Prefix)
			log.Info("accepted", "objects", n, "to", dst)
		}
		won, err := v.Store.ClaimVerified(ctx, claim)
		if err != nil {
			return out, err
		}
		if run, _, err = v.Store.GetRun(ctx, rc.RunID); err != nil {
			return out, err
		}
		if !won && run.VerifyID != in.Run.VerifyID {
			if run.State == runs.StateVerified {
				out.AlreadyVerified, out.Prefix = true, run.VerifiedPrefix
				log.Info("another flow verified the run first; nothing published", "by", run.VerifyID)
				return out, nil
			}
			return out, &ErrRunState{RunID: rc.RunID, State: run.State, Reason: "the claim to VERIFIED failed"}
		}
	}
	out.Prefix = run.VerifiedPrefix
	if !run.IngestedPublished {
		ev := &events.RunIngested{
			SchemaVersion: events.SchemaVersion, RunID: rc.RunID, Channel: rc.Channel, Bucket: rc.Bucket,
			Prefix: run.VerifiedPrefix, Profile: rc.Profile, ObjectCount: rc.ObjectCount, TotalBytes: rc.TotalBytes,
			VerifiedAt: run.VerifiedAt, ManifestKey: run.VerifiedManifestKey, Partner: rc.Partner, VerifiedBy: verifiedBy,
		}
		if err := v.Publisher.Publish(ctx, ev); err != nil {
			return out, err
		}
		out.Published = true
		log.Info("run ingested", append([]any{"event", events.DetailTypeRunIngested, "verifiedBy", ev.VerifiedBy, "prefix", ev.Prefix, "objects", ev.ObjectCount},
			emfAttrs(time.Now(), ev.ObjectCount, ev.TotalBytes)...)...)
		if err := v.Store.MarkIngestedPublished(ctx, rc.RunID); err != nil {
			return out, err
		}
	}
	if v.Exporter != nil {
		keys, err := v.Exporter.ExportRun(ctx, rc.RunID)
		if err != nil {
			return out, &ErrExport{RunID: rc.RunID, Err: err}
		}
		out.CatalogKeys = keys
	}
	return out, nil
}

// accept copies the object versions this flow verified (read back from the
// catalog with a Query, not an S3 List) and the manifest version read, from
// the run's prefix to dst.
func (v *Verifier) accept(ctx context.Context, vo VerifyOutput, largeVerified int, dst string) (int, error) {
	rc := vo.Run
	var objs []entryInfo
	err := v.Store.Objects(ctx, rc.RunID, func(o catalog.Object) error {
		if o.VerifyID == vo.VerifyID && strings.HasPrefix(o.Key, rc.Prefix) {
			objs = append(objs, entryInfo{key: o.Key, versionID: o.VersionID, size: o.Size})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if want := vo.Summary.Passed + largeVerified; len(objs) != want {
		return 0, &ErrRunState{RunID: rc.RunID, State: "-", Reason: fmt.Sprintf("the catalog lists %d objects verified by %s, VerifyRun and Batch %d", len(objs), vo.VerifyID, want)}
	}
	if rc.ManifestKey != "" {
		in := &s3.HeadObjectInput{Bucket: aws.String(rc.Bucket), Key: aws.String(rc.ManifestKey)}
		if vo.ManifestVersionID != "" {
			in.VersionId = aws.String(vo.ManifestVersionID)
		}
		head, err := v.S3.HeadObject(ctx, in)
		if err != nil {
			return 0, &ErrS3{Op: "HeadObject", Key: rc.ManifestKey, Err: err}
		}
		objs = append(objs, entryInfo{key: rc.ManifestKey, versionID: vo.ManifestVersionID, size: aws.ToInt64(head.ContentLength)})
	}
	return v.copyAll(ctx, rc.Bucket, objs, rc.Prefix, dst, v.concurrency())
}

// Exit codes of biolake-verify, as the Batch job reports them.
const (
	exitIO       = 1
	exitUsage    = 2
	exitMismatch = 3
)

// largeFailure describes a large object whose Batch check failed or is
// missing.
func largeFailure(l LargeObject, r *LargeResult) ObjectResult {
	f := ObjectResult{Bucket: l.Bucket, Key: l.Key, VersionID: l.VersionID, Reason: events.FailureUnreadable}
	if len(l.Expected) == 1 {
		for a, h := range l.Expected {
			f.Algorithm, f.Expected = a, h
		}
	}
	switch {
	case r == nil:
		f.Detail = "no Batch verifier result for this object"
		return f
	case r.OK == nil:
		f.Detail = "Batch verifier result without \"ok\""
		return f
	}
	name, cause := parseError(r.Error)
	if len(r.Cause) > 0 {
		if _, c := parseError(r.Cause); c != "" {
			cause = c
		}
	}
	code, reason := exitCode(cause)
	switch code {
	case exitMismatch:
		f.Reason = events.FailureMismatch
		f.Detail = "Batch verifier: checksum differs from the manifest"
	case exitIO:
		f.Detail = "Batch verifier: could not read the object"
	case exitUsage:
		f.Detail = "Batch verifier: usage error (bad job command)"
	default:
		f.Detail = "Batch verifier failed"
		if name != "" {
			f.Detail += ": " + name
		}
	}
	if reason != "" {
		f.Detail += " (" + reason + ")"
	} else if code == 0 && cause != "" {
		f.Detail += ": " + cause
	}
	f.Detail = truncate(f.Detail, maxDetail)
	return f
}

// parseError reads a Map result's error: a string, or {"Error","Cause"}.
func parseError(raw json.RawMessage) (name, cause string) {
	if len(raw) == 0 {
		return "", ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return "", s
	}
	var obj struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.Error, obj.Cause
	}
	return "", truncate(string(raw), maxDetail)
}

// exitCode finds the container exit code in a Batch job description (the
// Cause of a failed batch:submitJob.sync task), 0 when there is none.
func exitCode(cause string) (int, string) {
	var job struct {
		StatusReason string `json:"StatusReason"`
		Container    *struct {
			ExitCode *int   `json:"ExitCode"`
			Reason   string `json:"Reason"`
		} `json:"Container"`
		Attempts []struct {
			Container *struct {
				ExitCode *int   `json:"ExitCode"`
				Reason   string `json:"Reason"`
			} `json:"Container"`
		} `json:"Attempts"`
	}
	if !strings.HasPrefix(strings.TrimSpace(cause), "{") || json.Unmarshal([]byte(cause), &job) != nil {
		return 0, ""
	}
	if job.Container != nil && job.Container.ExitCode != nil {
		return *job.Container.ExitCode, job.Container.Reason
	}
	for i := len(job.Attempts) - 1; i >= 0; i-- {
		if c := job.Attempts[i].Container; c != nil && c.ExitCode != nil {
			return *c.ExitCode, c.Reason
		}
	}
	return 0, job.StatusReason
}

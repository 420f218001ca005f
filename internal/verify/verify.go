// Package verify is the logic of the verify Step Functions flow, which checks
// a completed run's files against its manifest before anything processes
// them:
//
//	RunCompleted ──> VerifyRun ──> Map over "large" (Batch: biolake-verify -s3 ...)
//	                                      └──> FinalizeRun ──> RunIngested | IntegrityFailed...
//
// VerifyRun (Verifier.VerifyRun, Lambda input: the RunCompleted detail)
// streams the manifest (a run without one is verified by its RunCompleted
// evidence, datasync or settled, or refused with ErrUnverified) and asks S3
// for each listed object's stored checksums
// and size (HeadObject with ChecksumMode ENABLED). A stored full-object
// SHA-256 or CRC-32C the manifest also gives is compared directly; an MD5 is
// compared with the ETag when the ETag is one (single part, not SSE-KMS or
// SSE-C). Otherwise the object version is streamed once through every
// algorithm the manifest gives (internal/checksum, bounded memory, resumed
// after a broken connection), when it is at most MaxStreamBytes and the run's
// stream budget allows; larger objects are returned in "large" for the Batch
// verifier. Each object version that matched is recorded in the catalog
// (catalog.VerifyStore.MarkObjectVerified) under the flow's verifyId.
//
// FinalizeRun (Verifier.Finalize, Lambda input {"action":"finalize",...})
// joins VerifyRun's outcome with the Batch results. Any failure: one
// IntegrityFailed per failing or missing object (at most MaxFailureEvents;
// the rest are counted), nothing claimed, and the typed error
// ErrIntegrityFailed (so the execution fails; no retry repeats the events). All
// passed: for partner data (the run's prefix under QuarantinePrefix) the
// verified versions and the manifest are copied to the same keys under
// AcceptedPrefix (never deleted from quarantine), then the run record is
// claimed COMPLETE/PUBLISHED -> VERIFIED with a conditional update; the one
// winner publishes RunIngested and marks it published. Last, the run and its
// objects are exported to the catalog bucket as Parquet (Exporter).
//
// Idempotency: VerifyRun only reads S3 and writes verification attributes
// (last write wins), so a retry is harmless. FinalizeRun's claim is
// conditional on the run not being verified yet, and records the verifyId:
// a retry of the same flow (same verifyId) that finds VERIFIED but RunIngested
// not marked published publishes again (so a publish failure is retried; a
// crash between publishing and marking may publish twice, consumers dedupe on
// runId), while any other flow finds the run verified and publishes nothing.
// Copies rewrite the same versions to the same keys. IntegrityFailed events
// may repeat when FinalizeRun is retried after publishing some.
//
// Limits: VerifyRun's output must fit a Step Functions payload (256 KiB)
// together with the Map's results, which FinalizeRun's input carries too. It
// lists at most MaxLargeObjects (default 1000) large objects and keeps its
// output plus the Map results' estimated size under MaxPayloadBytes (default
// 240 KiB); beyond either it fails with ErrTooManyLargeObjects. Failures are
// listed up to MaxFailureEvents (default 100) and counted beyond.
//
// Errors are typed, so Step Functions Retry/Catch can match errorType:
// ErrIntegrityFailed, ErrInvalidRequest, ErrManifest, ErrS3, ErrTooManyLargeObjects, ErrUnverified,
// ErrRunNotFound, ErrRunState, catalog.ErrStore, catalog.ErrConflict,
// bus.ErrPublish, ErrExport, and the events package's parse errors.
package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/checksum"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/manifest"
	"github.com/biolake/biolake/internal/s3read"
)

// One-method interfaces over the S3 client.
type (
	HeadObjectAPI interface {
		HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	}
	GetObjectAPI interface {
		GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	}
	CopyObjectAPI interface {
		CopyObject(ctx context.Context, in *s3.CopyObjectInput, opts ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	}
	GetObjectTaggingAPI interface {
		GetObjectTagging(ctx context.Context, in *s3.GetObjectTaggingInput, opts ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error)
	}
	CreateMultipartUploadAPI interface {
		CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	}
	UploadPartCopyAPI interface {
		UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, opts ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error)
	}
	CompleteMultipartUploadAPI interface {
		CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	}
	AbortMultipartUploadAPI interface {
		AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	}
)

// S3API is what the Verifier needs of an *s3.Client.
type S3API interface {
	HeadObjectAPI
	GetObjectAPI
	CopyObjectAPI
	GetObjectTaggingAPI
	CreateMultipartUploadAPI
	UploadPartCopyAPI
	CompleteMultipartUploadAPI
	AbortMultipartUploadAPI
}

// Exporter writes a verified run and its objects to the catalog bucket
// (internal/catalogexport) and returns the keys written.
type Exporter interface {
	ExportRun(ctx context.Context, runID string) ([]string, error)
}

// Defaults.
const (
	DefaultMaxStreamBytes    = 2 << 30
	DefaultStreamBudget      = 64 << 30
	DefaultMaxLargeObjects   = 1000
	DefaultMaxPayloadBytes   = 240 << 10
	DefaultMaxFailureEvents  = 100
	DefaultConcurrency       = 16
	DefaultStreamConcurrency = 2
	// deadlineMargin: no new stream starts when the invocation has less
	// time left than this; the object goes to the Batch verifier.
	deadlineMargin = 2 * time.Minute
	// maxDetail bounds the detail text of a failure.
	maxDetail = 300
)

// Verifier runs both steps of the flow. Build it once per process.
type Verifier struct {
	S3        S3API
	Store     catalog.VerifyStore
	Publisher bus.Publisher
	// Exporter, when set, writes the verified run to the catalog bucket.
	Exporter Exporter
	Logger   *slog.Logger
	// QuarantinePrefix and AcceptedPrefix: a run under QuarantinePrefix
	// that passes is copied under AcceptedPrefix. Defaults "quarantine/"
	// and "accepted/".
	QuarantinePrefix string
	AcceptedPrefix   string
	// Concurrency is the number of objects checked at once. Default 16.
	Concurrency int
	// StreamConcurrency bounds the objects streamed at once. Default 2.
	StreamConcurrency int
	// MaxStreamBytes: objects that must be streamed and are larger go to
	// the Batch verifier ("large"). Default 2 GiB.
	MaxStreamBytes int64
	// StreamBudget bounds the bytes one VerifyRun streams (a Lambda has 15
	// minutes); past it objects go to "large" whatever their size.
	// Default 64 GiB.
	StreamBudget int64
	// MaxLargeObjects bounds "large". Default 1000.
	MaxLargeObjects int
	// MaxPayloadBytes bounds VerifyRun's output plus the estimated Map
	// results (Step Functions' limit is 256 KiB). Default 240 KiB.
	MaxPayloadBytes int
	// MaxFailureEvents bounds the failures listed and the IntegrityFailed
	// events of one run (the rest are counted and logged). Default 100.
	MaxFailureEvents int
	// CopyPartBytes is the part size of multipart copies, and objects larger
	// than it are copied in parts. Default 5 GiB (CopyObject's limit).
	CopyPartBytes int64
	// Now defaults to time.Now.
	Now func() time.Time
	// NewVerifyID defaults to a timestamp and 64 random bits.
	NewVerifyID func() string
}

// ObjectResult is the outcome of one object that failed verification.
type ObjectResult struct {
	Bucket    string                  `json:"bucket"`
	Key       string                  `json:"key"`
	VersionID string                  `json:"versionId,omitempty"`
	OK        bool                    `json:"ok"`
	Reason    events.IntegrityFailure `json:"reason,omitempty"`
	Algorithm string                  `json:"algorithm,omitempty"`
	Expected  string                  `json:"expected,omitempty"`
	Actual    string                  `json:"actual,omitempty"`
	Detail    string                  `json:"detail,omitempty"`
}

// LargeObject is an object for the Batch verifier: the Map state's item.
// The container command is
//
//	biolake-verify -s3 s3://BUCKET/KEY -version-id VID -expect sha256=HEX[,md5=HEX...]
type LargeObject struct {
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"versionId"`
	// Expected maps algorithm (sha256, md5, crc32c) to hex digest.
	Expected map[string]string `json:"expected"`
	Size     int64             `json:"size"`
	// ExpectArg is Expected as biolake-verify's -expect argument
	// ("sha256=HEX[,md5=HEX...]"), and S3URI is "s3://BUCKET/KEY": the
	// container command's arguments, ready to use (ASL cannot build them).
	ExpectArg string `json:"expectArg"`
	S3URI     string `json:"s3Uri"`
}

// Summary counts VerifyRun's outcomes.
type Summary struct {
	// Checked is the number of manifest entries checked.
	Checked int `json:"checked"`
	// Passed counts entries verified here (stored checksum or streamed).
	Passed           int   `json:"passed"`
	Failed           int   `json:"failed"`
	ByStoredChecksum int   `json:"byStoredChecksum"`
	Streamed         int   `json:"streamed"`
	StreamedBytes    int64 `json:"streamedBytes"`
	// Large is len(large): entries left to the Batch verifier.
	Large int `json:"large"`
	// FailuresListed is len(results); Failed may be larger.
	FailuresListed int `json:"failuresListed"`
}

// VerifyOutput is VerifyRun's output (and FinalizeRun's input "run").
type VerifyOutput struct {
	// Run is the RunCompleted detail verified.
	Run events.RunCompleted `json:"run"`
	// VerifyID identifies this flow's verification in the catalog.
	VerifyID string `json:"verifyId"`
	// ManifestVersionID is the manifest version read ("" when none).
	ManifestVersionID string  `json:"manifestVersionId,omitempty"`
	Summary           Summary `json:"summary"`
	// Results lists the small objects that failed (first MaxFailureEvents);
	// objects that passed are recorded in the catalog, not listed.
	Results []ObjectResult `json:"results"`
	// Large lists the objects for the Batch verifier; never null.
	Large []LargeObject `json:"large"`
}

// ErrManifest is returned when the manifest cannot be used.
type ErrManifest struct {
	Key string
	Err error
}

func (e *ErrManifest) Error() string { return fmt.Sprintf("verify: manifest %s: %v", e.Key, e.Err) }

func (e *ErrManifest) Unwrap() error { return e.Err }

// ErrS3 is an S3 failure that is worth retrying.
type ErrS3 struct {
	Op, Key string
	Err     error
}

func (e *ErrS3) Error() string { return fmt.Sprintf("verify: %s %s: %v", e.Op, e.Key, e.Err) }

func (e *ErrS3) Unwrap() error { return e.Err }

// ErrUnverified is returned for a run that has no manifest and no
// independent evidence (RunCompleted's evidence neither datasync nor
// settled): nothing shows it whole, so it is never announced as ingested.
type ErrUnverified struct {
	RunID    string
	Evidence events.Verification
}

func (e *ErrUnverified) Error() string {
	ev := string(e.Evidence)
	if ev == "" {
		ev = "none"
	}
	return fmt.Sprintf("verify: run %q has no manifest and its evidence is %s, not datasync or settled: nothing shows it whole, so it is not announced", e.RunID, ev)
}

// verifiedBy is how a completed run is verified: against its manifest when
// it has one, else by its evidence (datasync or settled); any other run is
// *ErrUnverified.
func verifiedBy(rc *events.RunCompleted) (events.Verification, error) {
	if rc.ManifestKey != "" {
		return events.VerifiedByManifest, nil
	}
	switch rc.Evidence {
	case events.VerifiedByDataSync, events.VerifiedBySettled:
		return rc.Evidence, nil
	}
	return "", &ErrUnverified{RunID: rc.RunID, Evidence: rc.Evidence}
}

// ErrInvalidRequest is an input missing fields or holding bad values.
type ErrInvalidRequest struct {
	Reason string
}

func (e *ErrInvalidRequest) Error() string { return "verify: invalid request: " + e.Reason }

// ErrTooManyLargeObjects is returned by VerifyRun when the objects left to
// the Batch verifier do not fit a Step Functions payload: more than
// MaxLargeObjects, or an output (with the Map results' estimated size)
// over MaxPayloadBytes. Raise MAX_STREAM_BYTES (up to what a Lambda streams
// in 15 minutes) or split the run.
type ErrTooManyLargeObjects struct {
	RunID string
	Count int
	Limit int
	// Bytes is the estimated payload, when that was the limit hit.
	Bytes, MaxBytes int
}

func (e *ErrTooManyLargeObjects) Error() string {
	if e.Bytes > 0 {
		return fmt.Sprintf("verify: run %q: %d large objects make a %d-byte payload, more than %d", e.RunID, e.Count, e.Bytes, e.MaxBytes)
	}
	return fmt.Sprintf("verify: run %q: more than %d objects need the Batch verifier", e.RunID, e.Limit)
}

// VerifyRun checks every entry of the run's manifest (see the package doc)
// and returns the failures and the objects left to the Batch verifier.
func (v *Verifier) VerifyRun(ctx context.Context, rc *events.RunCompleted) (VerifyOutput, error) {
	out := VerifyOutput{Results: []ObjectResult{}, Large: []LargeObject{}}
	if rc == nil {
		return out, &ErrInvalidRequest{Reason: "no run"}
	}
	out.Run = *rc
	if err := rc.Validate(); err != nil {
		return out, &ErrInvalidRequest{Reason: err.Error()}
	}
	if !strings.HasSuffix(rc.Prefix, "/") {
		return out, &ErrInvalidRequest{Reason: "prefix must end in '/'"}
	}
	if rc.ManifestKey != "" && !strings.HasPrefix(rc.ManifestKey, rc.Prefix) {
		return out, &ErrInvalidRequest{Reason: "manifest key is not under the run prefix"}
	}
	out.VerifyID = v.newVerifyID()
	log := v.logger().With("runId", rc.RunID, "verifyId", out.VerifyID)
	if rc.ManifestKey == "" {
		ev, err := verifiedBy(rc)
		if err != nil {
			return out, err
		}
		log.Info("run has no manifest; nothing to compare: it was verified by its evidence", "evidence", ev)
		return out, nil
	}
	man, err := v.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(rc.Bucket), Key: aws.String(rc.ManifestKey)})
	if err != nil {
		if s3read.IsNotFound(err) {
			return out, &ErrManifest{Key: rc.ManifestKey, Err: err}
		}
		return out, &ErrS3{Op: "GetObject", Key: rc.ManifestKey, Err: err}
	}
	defer man.Body.Close()
	out.ManifestVersionID = aws.ToString(man.VersionId)

	var (
		mu        sync.Mutex
		wg        sync.WaitGroup
		fatal     error
		budget    atomic.Int64
		streamSem = make(chan struct{}, v.streams())
	)
	budget.Store(v.streamBudget())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		if fatal == nil {
			fatal = err
			cancel()
		}
	}
	work := make(chan manifest.Entry)
	for i := 0; i < v.concurrency(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range work {
				o := v.check(ctx, rc, e, streamSem, &budget)
				if o.err == nil && o.verified != nil {
					o.err = v.Store.MarkObjectVerified(ctx, catalog.ObjectVerification{
						RunID: rc.RunID, Bucket: rc.Bucket, Key: o.info.key, VersionID: versionOrNull(o.info.versionID), Size: o.info.size,
						Verification: catalog.Verification{VerifyID: out.VerifyID, VerifiedAt: v.now(), Method: o.verified.method,
							SHA256: e.SHA256, MD5: e.MD5, CRC32C: e.CRC32C},
					})
				}
				mu.Lock()
				switch {
				case o.err != nil:
					fail(o.err)
				case o.failure != nil:
					out.Summary.Failed++
					if len(out.Results) < v.maxFailures() {
						out.Results = append(out.Results, *o.failure)
					}
				case o.large != nil:
					if len(out.Large) >= v.maxLarge() {
						fail(&ErrTooManyLargeObjects{RunID: rc.RunID, Count: len(out.Large) + 1, Limit: v.maxLarge()})
					} else {
						out.Large = append(out.Large, *o.large)
					}
				default:
					out.Summary.Passed++
					if o.verified.method == MethodStreamed {
						out.Summary.Streamed++
						out.Summary.StreamedBytes += o.info.size
					} else {
						out.Summary.ByStoredChecksum++
					}
				}
				out.Summary.Checked++
				mu.Unlock()
			}
		}()
	}
	mr := manifest.NewReader(man.Body, manifest.Options{})
	var merr error
	for ctx.Err() == nil {
		e, err := mr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			merr = err
			break
		}
		select {
		case work <- e:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if fatal != nil {
		return out, fatal
	}
	if merr != nil {
		if isManifestError(merr) {
			return out, &ErrManifest{Key: rc.ManifestKey, Err: merr}
		}
		return out, &ErrS3{Op: "read", Key: rc.ManifestKey, Err: merr}
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	out.Summary.Large = len(out.Large)
	out.Summary.FailuresListed = len(out.Results)
	if n, err := payloadEstimate(out); err != nil || n > v.maxPayload() {
		return out, &ErrTooManyLargeObjects{RunID: rc.RunID, Count: len(out.Large), Limit: v.maxLarge(), Bytes: n, MaxBytes: v.maxPayload()}
	}
	log.Info("verify run", "checked", out.Summary.Checked, "passed", out.Summary.Passed, "failed", out.Summary.Failed,
		"streamed", out.Summary.Streamed, "streamedBytes", out.Summary.StreamedBytes, "large", len(out.Large))
	return out, nil
}

// payloadEstimate is the size of FinalizeRun's input: out, the Map results
// (one {"bucket","key","ok":false,"error":...} per large object, allowing
// 512 bytes of error) and the envelope.
func payloadEstimate(out VerifyOutput) (int, error) {
	b, err := json.Marshal(out)
	if err != nil {
		return 0, err
	}
	n := len(b) + 64
	for _, l := range out.Large {
		n += len(l.Bucket) + len(l.Key) + 40 + 512
	}
	return n, nil
}

// Verification methods recorded in the catalog.
const (
	MethodStored   = "stored"
	MethodStreamed = "streamed"
	MethodBatch    = "batch"
)

type entryInfo struct {
	key       string
	versionID string
	size      int64
}

type verified struct{ method string }

type outcome struct {
	info     entryInfo
	failure  *ObjectResult
	large    *LargeObject
	verified *verified
	err      error // retryable, stops the run
}

func (v *Verifier) check(ctx context.Context, rc *events.RunCompleted, e manifest.Entry, streamSem chan struct{}, budget *atomic.Int64) outcome {
	key := rc.Prefix + e.Path
	out := outcome{info: entryInfo{key: key}}
	fail := func(reason events.IntegrityFailure, algo, expected, actual, detail string) outcome {
		out.failure = &ObjectResult{
			Bucket: rc.Bucket, Key: key, VersionID: out.info.versionID, Reason: reason, Algorithm: algo,
			Expected: expected, Actual: actual, Detail: truncate(detail, maxDetail),
		}
		return out
	}
	head, err := v.S3.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(rc.Bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		if s3read.IsNotFound(err) {
			return fail(events.FailureMissing, "", "", "", "listed in the manifest (line "+fmt.Sprint(e.Line)+") but not in S3")
		}
		out.err = &ErrS3{Op: "HeadObject", Key: key, Err: err}
		return out
	}
	out.info.versionID = aws.ToString(head.VersionId)
	out.info.size = aws.ToInt64(head.ContentLength)
	if e.Size >= 0 && e.Size != out.info.size {
		return fail(events.FailureSize, "", fmt.Sprint(e.Size), fmt.Sprint(out.info.size), "size differs from the manifest")
	}

	type expect struct {
		algo checksum.Algorithm
		hex  string
	}
	var wants []expect
	for _, w := range []expect{{checksum.SHA256, e.SHA256}, {checksum.MD5, e.MD5}, {checksum.CRC32C, e.CRC32C}} {
		if w.hex != "" {
			wants = append(wants, w)
		}
	}
	if len(wants) == 0 {
		return fail(events.FailureUnreadable, "", "", "", "manifest entry has no digest")
	}
	decided := false
	for _, w := range wants {
		exp, err := checksum.DecodeHex(w.algo, w.hex)
		if err != nil {
			return fail(events.FailureUnreadable, string(w.algo), w.hex, "", err.Error())
		}
		var c checksum.Comparison
		switch w.algo {
		case checksum.SHA256:
			c, err = checksum.Compare(checksum.Stored{Algorithm: w.algo, Value: aws.ToString(head.ChecksumSHA256), Type: string(head.ChecksumType)}, exp)
		case checksum.CRC32C:
			c, err = checksum.Compare(checksum.Stored{Algorithm: w.algo, Value: aws.ToString(head.ChecksumCRC32C), Type: string(head.ChecksumType)}, exp)
		case checksum.MD5:
			kms := head.ServerSideEncryption == types.ServerSideEncryptionAwsKms || head.ServerSideEncryption == types.ServerSideEncryptionAwsKmsDsse || aws.ToString(head.SSECustomerAlgorithm) != ""
			c, err = checksum.CompareETag(aws.ToString(head.ETag), kms, exp)
		}
		if err != nil {
			continue // a stored value we cannot parse: stream instead
		}
		switch c.Verdict {
		case checksum.Mismatch:
			return fail(events.FailureMismatch, string(w.algo), w.hex, fmt.Sprintf("%x", c.Actual), "stored checksum differs from the manifest")
		case checksum.Match:
			decided = true
		}
	}
	if decided {
		out.verified = &verified{MethodStored}
		return out
	}

	// Stream once through every algorithm the manifest gives, or leave it
	// to the Batch verifier.
	toBatch := func() outcome {
		exp := make(map[string]string, len(wants))
		var arg []string
		for _, w := range wants {
			exp[string(w.algo)] = w.hex
			arg = append(arg, string(w.algo)+"="+w.hex)
		}
		out.large = &LargeObject{Bucket: rc.Bucket, Key: key, VersionID: out.info.versionID, Expected: exp, Size: out.info.size,
			ExpectArg: strings.Join(arg, ","), S3URI: "s3://" + rc.Bucket + "/" + key}
		return out
	}
	if out.info.size > v.maxStream() {
		return toBatch()
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < deadlineMargin {
		return toBatch()
	}
	if budget.Add(-out.info.size) < 0 {
		budget.Add(out.info.size)
		return toBatch()
	}
	select {
	case streamSem <- struct{}{}:
	case <-ctx.Done():
		out.err = ctx.Err()
		return out
	}
	defer func() { <-streamSem }()
	r, err := s3read.Open(ctx, v.S3, rc.Bucket, key, out.info.versionID, -1)
	if err != nil {
		var nf *s3read.ErrNotFound
		if errors.As(err, &nf) {
			return fail(events.FailureMissing, "", "", "", "object vanished between HeadObject and GetObject")
		}
		out.err = &ErrS3{Op: "GetObject", Key: key, Err: err}
		return out
	}
	defer r.Close()
	algos := make([]checksum.Algorithm, len(wants))
	for i, w := range wants {
		algos[i] = w.algo
	}
	sum, err := checksum.Sum(ctx, r, algos, checksum.Options{})
	if err != nil {
		out.err = &ErrS3{Op: "read", Key: key, Err: err}
		return out
	}
	if sum.Size != out.info.size {
		return fail(events.FailureSize, "", fmt.Sprint(out.info.size), fmt.Sprint(sum.Size), "streamed size differs from HeadObject")
	}
	for _, w := range wants {
		if got := sum.Hex(w.algo); got != w.hex {
			return fail(events.FailureMismatch, string(w.algo), w.hex, got, "streamed checksum differs from the manifest")
		}
	}
	out.verified = &verified{MethodStreamed}
	return out
}

func isManifestError(err error) bool {
	var me *manifest.ErrMalformedManifest
	var pe *manifest.ErrInvalidPath
	var de *manifest.ErrDuplicatePath
	var le *manifest.ErrLineTooLong
	return errors.As(err, &me) || errors.As(err, &pe) || errors.As(err, &de) || errors.As(err, &le)
}

// versionOrNull is the catalog's version id for an object: "null" when S3
// gave none (an unversioned bucket), as the ingest handler records it.
func versionOrNull(v string) string {
	if v == "" {
		return "null"
	}
	return v
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func (v *Verifier) newVerifyID() string {
	if v.NewVerifyID != nil {
		return v.NewVerifyID()
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return v.now().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

func (v *Verifier) concurrency() int {
	if v.Concurrency > 0 {
		return v.Concurrency
	}
	return DefaultConcurrency
}

func (v *Verifier) streams() int {
	if v.StreamConcurrency > 0 {
		return v.StreamConcurrency
	}
	return DefaultStreamConcurrency
}

func (v *Verifier) maxStream() int64 {
	if v.MaxStreamBytes > 0 {
		return v.MaxStreamBytes
	}
	return DefaultMaxStreamBytes
}

func (v *Verifier) streamBudget() int64 {
	if v.StreamBudget > 0 {
		return v.StreamBudget
	}
	return DefaultStreamBudget
}

func (v *Verifier) maxLarge() int {
	if v.MaxLargeObjects > 0 {
		return v.MaxLargeObjects
	}
	return DefaultMaxLargeObjects
}

func (v *Verifier) maxPayload() int {
	if v.MaxPayloadBytes > 0 {
		return v.MaxPayloadBytes
	}
	return DefaultMaxPayloadBytes
}

func (v *Verifier) maxFailures() int {
	if v.MaxFailureEvents > 0 {
		return v.MaxFailureEvents
	}
	return DefaultMaxFailureEvents
}

func (v *Verifier) quarantine() string {
	if v.QuarantinePrefix != "" {
		return v.QuarantinePrefix
	}
	return "quarantine/"
}

func (v *Verifier) accepted() string {
	if v.AcceptedPrefix != "" {
		return v.AcceptedPrefix
	}
	return "accepted/"
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now().UTC()
	}
	return time.Now().UTC()
}

func (v *Verifier) logger() *slog.Logger {
	if v.Logger != nil {
		return v.Logger
	}
	return slog.New(slog.DiscardHandler)
}

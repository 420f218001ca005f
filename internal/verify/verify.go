// Package verify checks a run's objects against its manifest and, for
// partner data, copies a dataset that passed from quarantine to accepted.
//
// For each manifest entry the verifier asks S3 for the object's stored
// checksums (HeadObject with ChecksumMode ENABLED). A stored full-object
// SHA-256 (or CRC-32C) that the manifest also gives is compared directly; an
// MD5 is compared with the ETag when the ETag is one (single-part, not
// SSE-KMS/SSE-C). Otherwise (nothing comparable stored, or a composite
// multipart checksum) the object is streamed once through every algorithm
// the manifest gives (internal/checksum, bounded memory). A mismatch, a size
// difference, a missing object or an unreadable one is published as
// IntegrityFailed.
//
// When every entry passed and the run's prefix is under the quarantine
// prefix, each object (and the manifest) is copied to the same key under the
// accepted prefix with CopyObject (multipart UploadPartCopy above 5 GiB).
// Nothing is ever deleted. Copies are idempotent: a rerun copies the same
// source versions again.
//
// Errors are typed: *ErrIntegrityFailed (some objects failed; the Result
// says which), *ErrManifest (the manifest is unusable), *ErrS3 (an S3 call
// failed; retry).
package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/checksum"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/manifest"
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
	CreateMultipartUploadAPI
	UploadPartCopyAPI
	CompleteMultipartUploadAPI
	AbortMultipartUploadAPI
}

// Request names the run to verify; RequestFrom builds it from RunIngested.
type Request struct {
	RunID       string
	Bucket      string
	Prefix      string // run folder prefix, ending in "/"
	ManifestKey string // "" when the run has no manifest
}

// RequestFrom returns the Request for a RunIngested event.
func RequestFrom(ev *events.RunIngested) Request {
	return Request{RunID: ev.RunID, Bucket: ev.Bucket, Prefix: ev.Prefix, ManifestKey: ev.ManifestKey}
}

// Verifier verifies runs. Build it once per process.
type Verifier struct {
	S3        S3API
	Publisher bus.Publisher
	Logger    *slog.Logger
	// QuarantinePrefix and AcceptedPrefix: a run under QuarantinePrefix
	// that passes is copied under AcceptedPrefix. Defaults "quarantine/"
	// and "accepted/".
	QuarantinePrefix string
	AcceptedPrefix   string
	// Concurrency is the number of objects checked at once. Default 16.
	Concurrency int
	// StreamConcurrency bounds the objects streamed at once. Default 2.
	StreamConcurrency int
	// MaxStreamBytes: objects that must be streamed and are larger are not
	// hashed here but listed in Result.Deferred (for the Batch verifier).
	// 0: no limit.
	MaxStreamBytes int64
	// MaxFailureEvents bounds the IntegrityFailed events of one run (the
	// rest are counted and logged). Default 100.
	MaxFailureEvents int
	// CopyPartBytes is the part size of multipart copies, and objects larger
	// than it are copied in parts. Default 5 GiB (CopyObject's limit).
	CopyPartBytes int64
	// Now defaults to time.Now.
	Now func() time.Time
}

// Result is the outcome of Verify.
type Result struct {
	RunID string `json:"runId"`
	// Checked is the number of manifest entries checked.
	Checked int `json:"checked"`
	// ByStoredChecksum and Streamed say how entries were decided.
	ByStoredChecksum int   `json:"byStoredChecksum"`
	Streamed         int   `json:"streamed"`
	StreamedBytes    int64 `json:"streamedBytes"`
	Failed           int   `json:"failed"`
	// Failures holds the first MaxFailureEvents failures.
	Failures []events.IntegrityFailed `json:"failures,omitempty"`
	// Deferred lists keys too large to stream here.
	Deferred []string `json:"deferred,omitempty"`
	// Accepted is the number of objects copied to the accepted prefix.
	Accepted int `json:"accepted"`
	// AcceptedPrefix is where they were copied, "" when not.
	AcceptedPrefix string `json:"acceptedPrefix,omitempty"`
	// Passed: no failure and nothing deferred.
	Passed bool `json:"passed"`
}

// ErrIntegrityFailed is returned when objects failed verification.
type ErrIntegrityFailed struct {
	RunID  string
	Failed int
}

func (e *ErrIntegrityFailed) Error() string {
	return fmt.Sprintf("verify: run %q: %d objects failed verification", e.RunID, e.Failed)
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

// ErrInvalidRequest is a request missing fields.
type ErrInvalidRequest struct {
	Reason string
}

func (e *ErrInvalidRequest) Error() string { return "verify: invalid request: " + e.Reason }

// Verify checks every entry of the run's manifest, publishes IntegrityFailed
// for each failure, and accepts partner data that passed.
func (v *Verifier) Verify(ctx context.Context, req Request) (Result, error) {
	res := Result{RunID: req.RunID}
	if req.RunID == "" || req.Bucket == "" || !strings.HasSuffix(req.Prefix, "/") {
		return res, &ErrInvalidRequest{Reason: "runId, bucket and a prefix ending in '/' are required"}
	}
	log := v.logger().With("runId", req.RunID)
	if req.ManifestKey == "" {
		log.Info("run has no manifest; nothing to verify")
		res.Passed = true
		return res, nil
	}
	if !strings.HasPrefix(req.ManifestKey, req.Prefix) {
		return res, &ErrInvalidRequest{Reason: "manifest key is not under the run prefix"}
	}
	man, err := v.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(req.Bucket), Key: aws.String(req.ManifestKey)})
	if err != nil {
		return res, &ErrS3{Op: "GetObject", Key: req.ManifestKey, Err: err}
	}
	defer man.Body.Close()

	var (
		mu        sync.Mutex
		wg        sync.WaitGroup
		fatal     error
		accepted  []entryInfo
		streamSem = make(chan struct{}, v.streams())
	)
	work := make(chan manifest.Entry)
	workers := v.Concurrency
	if workers <= 0 {
		workers = 16
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range work {
				out := v.check(ctx, req, e, streamSem)
				mu.Lock()
				switch {
				case out.err != nil:
					if fatal == nil {
						fatal = out.err
						cancel()
					}
				case out.failure != nil:
					res.Failed++
					if len(res.Failures) < v.maxFailures() {
						res.Failures = append(res.Failures, *out.failure)
					}
				case out.deferred:
					res.Deferred = append(res.Deferred, out.info.key)
				default:
					if out.streamed {
						res.Streamed++
						res.StreamedBytes += out.info.size
					} else {
						res.ByStoredChecksum++
					}
					accepted = append(accepted, out.info)
				}
				res.Checked++
				mu.Unlock()
			}
		}()
	}
	mr := manifest.NewReader(man.Body, manifest.Options{})
	var merr error
	for {
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
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if fatal != nil {
		return res, fatal
	}
	if merr != nil {
		var me *manifest.ErrMalformedManifest
		var pe *manifest.ErrInvalidPath
		var de *manifest.ErrDuplicatePath
		var le *manifest.ErrLineTooLong
		if errors.As(merr, &me) || errors.As(merr, &pe) || errors.As(merr, &de) || errors.As(merr, &le) {
			return res, &ErrManifest{Key: req.ManifestKey, Err: merr}
		}
		return res, &ErrS3{Op: "read", Key: req.ManifestKey, Err: merr}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}

	for i := range res.Failures {
		if err := v.Publisher.Publish(ctx, &res.Failures[i]); err != nil {
			return res, err
		}
	}
	if res.Failed > len(res.Failures) {
		log.Warn("more failures than events published", "failed", res.Failed, "published", len(res.Failures))
	}
	res.Passed = res.Failed == 0 && len(res.Deferred) == 0
	log.Info("verified", "checked", res.Checked, "failed", res.Failed, "streamed", res.Streamed, "deferred", len(res.Deferred))
	if res.Failed > 0 {
		return res, &ErrIntegrityFailed{RunID: req.RunID, Failed: res.Failed}
	}
	if res.Passed && strings.HasPrefix(req.Prefix, v.quarantine()) {
		dst := v.accepted() + strings.TrimPrefix(req.Prefix, v.quarantine())
		manHead, err := v.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(req.Bucket), Key: aws.String(req.ManifestKey)})
		if err != nil {
			return res, &ErrS3{Op: "HeadObject", Key: req.ManifestKey, Err: err}
		}
		accepted = append(accepted, entryInfo{key: req.ManifestKey, versionID: aws.ToString(manHead.VersionId), size: aws.ToInt64(manHead.ContentLength)})
		n, err := v.copyAll(ctx, req.Bucket, accepted, req.Prefix, dst, workers)
		res.Accepted = n
		if err != nil {
			return res, err
		}
		res.AcceptedPrefix = dst
		log.Info("accepted", "objects", res.Accepted, "to", dst)
	}
	return res, nil
}

type entryInfo struct {
	key       string
	versionID string
	size      int64
}

type outcome struct {
	info     entryInfo
	failure  *events.IntegrityFailed
	streamed bool
	deferred bool
	err      error // retryable, stops the run
}

func (v *Verifier) check(ctx context.Context, req Request, e manifest.Entry, streamSem chan struct{}) outcome {
	key := req.Prefix + e.Path
	out := outcome{info: entryInfo{key: key}}
	fail := func(reason events.IntegrityFailure, algo, expected, actual, detail string) outcome {
		out.failure = &events.IntegrityFailed{
			SchemaVersion: events.SchemaVersion, RunID: req.RunID, Bucket: req.Bucket, Key: key,
			VersionID: out.info.versionID, Reason: reason, DetectedAt: v.now(), Algorithm: algo,
			Expected: expected, Actual: actual, Detail: detail,
		}
		return out
	}
	head, err := v.S3.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(req.Bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		if isNotFound(err) {
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

	// Decide from stored checksums where possible.
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
			// A stored value we cannot parse: fall back to streaming.
			continue
		}
		switch c.Verdict {
		case checksum.Mismatch:
			return fail(events.FailureMismatch, string(w.algo), w.hex, fmt.Sprintf("%x", c.Actual), "stored checksum differs from the manifest")
		case checksum.Match:
			decided = true
		}
	}
	if decided {
		return out
	}

	// Stream once through every algorithm the manifest gives.
	if v.MaxStreamBytes > 0 && out.info.size > v.MaxStreamBytes {
		out.deferred = true
		return out
	}
	select {
	case streamSem <- struct{}{}:
	case <-ctx.Done():
		out.err = ctx.Err()
		return out
	}
	defer func() { <-streamSem }()
	in := &s3.GetObjectInput{Bucket: aws.String(req.Bucket), Key: aws.String(key)}
	if out.info.versionID != "" {
		in.VersionId = aws.String(out.info.versionID)
	}
	obj, err := v.S3.GetObject(ctx, in)
	if err != nil {
		if isNotFound(err) {
			return fail(events.FailureMissing, "", "", "", "object vanished between HeadObject and GetObject")
		}
		out.err = &ErrS3{Op: "GetObject", Key: key, Err: err}
		return out
	}
	defer obj.Body.Close()
	algos := make([]checksum.Algorithm, len(wants))
	for i, w := range wants {
		algos[i] = w.algo
	}
	sum, err := checksum.Sum(ctx, obj.Body, algos, checksum.Options{})
	if err != nil {
		out.err = &ErrS3{Op: "read", Key: key, Err: err}
		return out
	}
	out.streamed = true
	if sum.Size != out.info.size {
		return fail(events.FailureSize, "", fmt.Sprint(out.info.size), fmt.Sprint(sum.Size), "streamed size differs from HeadObject")
	}
	for _, w := range wants {
		if got := sum.Hex(w.algo); got != w.hex {
			return fail(events.FailureMismatch, string(w.algo), w.hex, got, "streamed checksum differs from the manifest")
		}
	}
	return out
}

// copyAll copies every object from under prefix to under dst with a few
// workers, and returns how many were copied.
func (v *Verifier) copyAll(ctx context.Context, bucket string, objs []entryInfo, prefix, dst string, workers int) (int, error) {
	var (
		mu     sync.Mutex
		copied int
		first  error
		wg     sync.WaitGroup
	)
	ch := make(chan entryInfo)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range ch {
				err := v.copy(ctx, bucket, o, dst+strings.TrimPrefix(o.key, prefix))
				mu.Lock()
				if err != nil && first == nil {
					first = err
				} else if err == nil {
					copied++
				}
				mu.Unlock()
			}
		}()
	}
	for _, o := range objs {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			break
		}
		ch <- o
	}
	close(ch)
	wg.Wait()
	return copied, first
}

// copy copies one object version to dst in the same bucket, in parts when
// it is larger than CopyPartBytes.
func (v *Verifier) copy(ctx context.Context, bucket string, src entryInfo, dst string) error {
	source := url.PathEscape(bucket) + "/" + escapeKey(src.key)
	if src.versionID != "" && src.versionID != "null" {
		source += "?versionId=" + url.QueryEscape(src.versionID)
	}
	part := v.CopyPartBytes
	if part <= 0 {
		part = 5 << 30
	}
	if src.size <= part {
		_, err := v.S3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(dst), CopySource: aws.String(source),
			MetadataDirective: types.MetadataDirectiveCopy,
		})
		if err != nil {
			return &ErrS3{Op: "CopyObject", Key: src.key, Err: err}
		}
		return nil
	}
	up, err := v.S3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(dst)})
	if err != nil {
		return &ErrS3{Op: "CreateMultipartUpload", Key: dst, Err: err}
	}
	abort := func(err error) error {
		_, _ = v.S3.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(dst), UploadId: up.UploadId})
		return err
	}
	var parts []types.CompletedPart
	for n, off := int32(1), int64(0); off < src.size; n, off = n+1, off+part {
		end := min(off+part, src.size) - 1
		p, err := v.S3.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: aws.String(bucket), Key: aws.String(dst), UploadId: up.UploadId, PartNumber: aws.Int32(n),
			CopySource: aws.String(source), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		})
		if err != nil {
			return abort(&ErrS3{Op: "UploadPartCopy", Key: dst, Err: err})
		}
		cp := types.CompletedPart{PartNumber: aws.Int32(n)}
		if p.CopyPartResult != nil {
			cp.ETag = p.CopyPartResult.ETag
		}
		parts = append(parts, cp)
	}
	_, err = v.S3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(dst), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return abort(&ErrS3{Op: "CompleteMultipartUpload", Key: dst, Err: err})
	}
	return nil
}

// escapeKey URL-encodes each segment of a key for x-amz-copy-source.
func escapeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		// '+' as %2B: it means '+' whether the server decodes '+' as a space
		// or not.
		parts[i] = strings.ReplaceAll(url.PathEscape(p), "+", "%2B")
	}
	return strings.Join(parts, "/")
}

func isNotFound(err error) bool {
	var nf *types.NotFound
	var nsk *types.NoSuchKey
	if errors.As(err, &nf) || errors.As(err, &nsk) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NotFound", "NoSuchKey", "404":
			return true
		}
	}
	return false
}

func (v *Verifier) streams() int {
	if v.StreamConcurrency > 0 {
		return v.StreamConcurrency
	}
	return 2
}

func (v *Verifier) maxFailures() int {
	if v.MaxFailureEvents > 0 {
		return v.MaxFailureEvents
	}
	return 100
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

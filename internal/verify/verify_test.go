package verify

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/handler"
	"github.com/biolake/biolake/internal/runs"
)

const bucket = "partner"

// fakeS3 is gofakes3 behind the real SDK client, with stored checksums that
// tests inject (gofakes3 keeps none) and call counts.
type fakeS3 struct {
	*s3.Client
	mu      sync.Mutex
	stored  map[string]*s3.HeadObjectOutput // key -> checksum fields to add
	calls   map[string]int
	parts   []*s3.UploadPartCopyInput
	created []*s3.CreateMultipartUploadInput
	copies  []*s3.CopyObjectInput
}

func (f *fakeS3) inc(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
}

func (f *fakeS3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, o ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.inc("HeadObject")
	out, err := f.Client.HeadObject(ctx, in, o...)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.stored[aws.ToString(in.Key)]; ok && in.ChecksumMode == types.ChecksumModeEnabled {
		out.ChecksumSHA256, out.ChecksumCRC32C, out.ChecksumType = s.ChecksumSHA256, s.ChecksumCRC32C, s.ChecksumType
		if s.ETag != nil {
			out.ETag = s.ETag
		}
		out.ServerSideEncryption = s.ServerSideEncryption
	}
	return out, nil
}

func (f *fakeS3) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.inc("GetObject")
	return f.Client.GetObject(ctx, in, o...)
}

func (f *fakeS3) CopyObject(ctx context.Context, in *s3.CopyObjectInput, o ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	f.inc("CopyObject")
	f.mu.Lock()
	f.copies = append(f.copies, in)
	f.mu.Unlock()
	return f.Client.CopyObject(ctx, in, o...)
}

func (f *fakeS3) GetObjectTagging(_ context.Context, in *s3.GetObjectTaggingInput, _ ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error) {
	f.inc("GetObjectTagging")
	return &s3.GetObjectTaggingOutput{TagSet: []types.Tag{{Key: aws.String("biolake:data-class"), Value: aws.String("alignment")}}}, nil
}

// gofakes3 has no UploadPartCopy: record the multipart copy calls instead.
func (f *fakeS3) CreateMultipartUpload(_ context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	f.inc("CreateMultipartUpload")
	f.mu.Lock()
	f.created = append(f.created, in)
	f.mu.Unlock()
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String("up-1")}, nil
}

func (f *fakeS3) UploadPartCopy(_ context.Context, in *s3.UploadPartCopyInput, _ ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	f.inc("UploadPartCopy")
	f.mu.Lock()
	f.parts = append(f.parts, in)
	f.mu.Unlock()
	return &s3.UploadPartCopyOutput{CopyPartResult: &types.CopyPartResult{ETag: aws.String(fmt.Sprint("e", aws.ToInt32(in.PartNumber)))}}, nil
}

func (f *fakeS3) CompleteMultipartUpload(_ context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	f.inc("CompleteMultipartUpload")
	return &s3.CompleteMultipartUploadOutput{}, nil
}

func newFake(t *testing.T) *fakeS3 {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(srv.URL),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider("k", "s", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	_, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	return &fakeS3{Client: client, stored: map[string]*s3.HeadObjectOutput{}, calls: map[string]int{}}
}

func (f *fakeS3) put(t *testing.T, key string, body []byte) {
	t.Helper()
	_, err := f.Client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	require.NoError(t, err)
}

func (f *fakeS3) get(t *testing.T, key string) ([]byte, error) {
	t.Helper()
	out, err := f.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func sha(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
func sha64(b []byte) string {
	h := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(h[:])
}

// dataset is a partner dataset: files and a CSV manifest.
type dataset struct {
	prefix string
	files  map[string][]byte
	order  []string
}

func newDataset() dataset {
	d := dataset{prefix: "quarantine/acme/batch 7/", files: map[string][]byte{}}
	for i, rel := range []string{"s1/R1.fastq.gz", "s1/R2.fastq.gz", "sample 02+x%/Échantillon_样本.bam", "notes.txt"} {
		d.files[rel] = bytes.Repeat([]byte(fmt.Sprint(i, rel)), 1000*(i+1))
		d.order = append(d.order, rel)
	}
	return d
}

func (d dataset) manifest(edit func(rel string, size *int, sum *string)) []byte {
	var b strings.Builder
	b.WriteString("path,size,sha256\n")
	for _, rel := range d.order {
		size, sum := len(d.files[rel]), sha(d.files[rel])
		if edit != nil {
			edit(rel, &size, &sum)
		}
		fmt.Fprintf(&b, "%q,%d,%s\n", rel, size, sum)
	}
	return []byte(b.String())
}

func (d dataset) upload(t *testing.T, f *fakeS3, man []byte) *events.RunCompleted {
	for rel, body := range d.files {
		f.put(t, d.prefix+rel, body)
	}
	f.put(t, d.prefix+"manifest.csv", man)
	var total int64
	for _, b := range d.files {
		total += int64(len(b))
	}
	return &events.RunCompleted{
		SchemaVersion: "1", RunID: "acme/batch 7", Channel: events.ChannelTransfer, Bucket: bucket, Prefix: d.prefix,
		Profile: "generic", ObjectCount: int64(len(d.files)), TotalBytes: total, CompletedAt: t0,
		ManifestKey: d.prefix + "manifest.csv", Partner: "acme",
	}
}

var t0 = time.Date(2024, 6, 8, 0, 0, 0, 0, time.UTC)

// completed records a run in the catalog as the ingest handler leaves it:
// its objects recorded (unversioned: version "null"), state COMPLETE.
func completed(t *testing.T, st *catalog.Mem, rc *events.RunCompleted, keys ...string) {
	t.Helper()
	ctx := context.Background()
	init := catalog.RunInit{RunID: rc.RunID, Bucket: rc.Bucket, Prefix: rc.Prefix, Profile: rc.Profile, Channel: rc.Channel, Partner: rc.Partner, FirstKey: "k", FirstIdem: "i", At: t0}
	if len(keys) == 0 {
		keys = []string{rc.Prefix + "first"}
	}
	for _, k := range keys {
		_, err := st.Record(ctx, catalog.Object{RunID: rc.RunID, Bucket: rc.Bucket, Key: k, VersionID: "null", Role: runs.RoleData}, init, catalog.Change{Data: true})
		require.NoError(t, err)
	}
	won, err := st.Claim(ctx, rc.RunID, "c", rc.Evidence, t0)
	require.NoError(t, err)
	require.True(t, won)
}

type fakeExporter struct {
	calls []string
	err   error
}

func (e *fakeExporter) ExportRun(_ context.Context, runID string) ([]string, error) {
	e.calls = append(e.calls, runID)
	if e.err != nil {
		return nil, e.err
	}
	return []string{"catalog/runs/dt=2024-06-08/x.parquet"}, nil
}

type fixture struct {
	f     *fakeS3
	v     *Verifier
	pub   *bus.Recorder
	store *catalog.Mem
	exp   *fakeExporter
}

func newFixture(t *testing.T) *fixture {
	f := newFake(t)
	pub := &bus.Recorder{}
	st := catalog.NewMem()
	exp := &fakeExporter{}
	n := 0
	v := &Verifier{S3: f, Store: st, Publisher: pub, Exporter: exp, Now: func() time.Time { return t0 },
		NewVerifyID: func() string { n++; return fmt.Sprint("vid-", n) }}
	return &fixture{f: f, v: v, pub: pub, store: st, exp: exp}
}

// flow runs VerifyRun, "the Map" (results given by batch), and Finalize.
func (x *fixture) flow(t *testing.T, rc *events.RunCompleted, batch func(LargeObject) LargeResult) (VerifyOutput, FinalizeOutput, error) {
	t.Helper()
	vo, err := x.v.VerifyRun(context.Background(), rc)
	if err != nil {
		return vo, FinalizeOutput{}, err
	}
	// The output goes through Step Functions as JSON.
	b, err := json.Marshal(map[string]any{"action": "finalize", "run": vo, "large": mapResults(vo, batch)})
	require.NoError(t, err)
	req, err := ParseRequest(b)
	require.NoError(t, err)
	require.NotNil(t, req.Finalize)
	fo, err := x.v.Finalize(context.Background(), *req.Finalize)
	return vo, fo, err
}

func mapResults(vo VerifyOutput, batch func(LargeObject) LargeResult) []LargeResult {
	out := []LargeResult{}
	for _, l := range vo.Large {
		if batch != nil {
			out = append(out, batch(l))
		}
	}
	return out
}

func okResult(l LargeObject) LargeResult {
	ok := true
	return LargeResult{Bucket: l.Bucket, Key: l.Key, OK: &ok}
}

func TestPassStreamedAndAccepted(t *testing.T) {
	x := newFixture(t)
	d := newDataset()
	rc := d.upload(t, x.f, d.manifest(nil))
	completed(t, x.store, rc)
	vo, fo, err := x.flow(t, rc, okResult)
	require.NoError(t, err)
	assert.Equal(t, Summary{Checked: 4, Passed: 4, Streamed: 4, StreamedBytes: rc.TotalBytes}, vo.Summary)
	assert.Empty(t, vo.Results)
	assert.NotNil(t, vo.Results, "[] not null")
	assert.NotNil(t, vo.Large, "[] not null: the Map's ItemsPath needs an array")
	assert.Equal(t, FinalizeOutput{RunID: rc.RunID, VerifyID: "vid-1", Passed: true, Checked: 4, Published: true,
		Prefix: "accepted/acme/batch 7/", Accepted: 5, CatalogKeys: []string{"catalog/runs/dt=2024-06-08/x.parquet"}}, fo)
	for rel, body := range d.files {
		got, err := x.f.get(t, "accepted/acme/batch 7/"+rel)
		require.NoError(t, err, rel)
		assert.Equal(t, body, got, rel)
		_, err = x.f.get(t, d.prefix+rel)
		assert.NoError(t, err, "never deleted from quarantine")
	}
	_, err = x.f.get(t, "accepted/acme/batch 7/manifest.csv")
	assert.NoError(t, err)
	for _, c := range x.f.copies {
		assert.Equal(t, types.TaggingDirectiveCopy, c.TaggingDirective, "the data-class tag goes along")
	}

	ri := x.pub.Of(events.DetailTypeRunIngested)
	require.Len(t, ri, 1)
	assert.Equal(t, &events.RunIngested{SchemaVersion: "1", RunID: rc.RunID, Channel: events.ChannelTransfer, Bucket: bucket,
		Prefix: "accepted/acme/batch 7/", Profile: "generic", ObjectCount: 4, TotalBytes: rc.TotalBytes, VerifiedAt: t0,
		ManifestKey: "accepted/acme/batch 7/manifest.csv", Partner: "acme", VerifiedBy: events.VerifiedByManifest}, ri[0])
	run, _, _ := x.store.GetRun(context.Background(), rc.RunID)
	assert.Equal(t, runs.StateVerified, run.State)
	assert.True(t, run.IngestedPublished)
	var verified []string
	require.NoError(t, x.store.Objects(context.Background(), rc.RunID, func(o catalog.Object) error {
		if o.VerifyID == "vid-1" {
			verified = append(verified, o.Key)
			assert.Equal(t, MethodStreamed, o.Method)
			assert.Len(t, o.SHA256, 64)
		}
		return nil
	}))
	assert.Len(t, verified, 4)

	// A retry of FinalizeRun (same flow) publishes nothing more; a whole
	// second flow finds the run verified.
	b, _ := json.Marshal(map[string]any{"action": "finalize", "run": vo, "large": []any{}})
	req, err := ParseRequest(b)
	require.NoError(t, err)
	fo, err = x.v.Finalize(context.Background(), *req.Finalize)
	require.NoError(t, err)
	assert.False(t, fo.Published)
	_, fo, err = x.flow(t, rc, okResult)
	require.NoError(t, err)
	assert.True(t, fo.AlreadyVerified)
	assert.False(t, fo.Published)
	assert.Equal(t, "accepted/acme/batch 7/", fo.Prefix)
	assert.Len(t, x.pub.Of(events.DetailTypeRunIngested), 1, "exactly once")
	assert.Empty(t, x.pub.Of(events.DetailTypeIntegrityFailed))
}

func TestStoredChecksums(t *testing.T) {
	x := newFixture(t)
	d := newDataset()
	rc := d.upload(t, x.f, d.manifest(nil))
	for rel, body := range d.files {
		x.f.stored[d.prefix+rel] = &s3.HeadObjectOutput{ChecksumSHA256: aws.String(sha64(body)), ChecksumType: types.ChecksumTypeFullObject}
	}
	// One multipart object: composite checksum, must be streamed.
	x.f.stored[d.prefix+"notes.txt"] = &s3.HeadObjectOutput{ChecksumSHA256: aws.String(sha64([]byte("parts")) + "-3"), ChecksumType: types.ChecksumTypeComposite}
	vo, err := x.v.VerifyRun(context.Background(), rc)
	require.NoError(t, err)
	assert.Equal(t, 3, vo.Summary.ByStoredChecksum)
	assert.Equal(t, 1, vo.Summary.Streamed)
	assert.Equal(t, 2, x.f.calls["GetObject"]) // the manifest and notes.txt
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(d dataset, f *fakeS3) []byte // returns the manifest
		reason events.IntegrityFailure
		algo   string
		gets   int // GetObject calls, the manifest's included
	}{
		{"streamed mismatch", func(d dataset, f *fakeS3) []byte {
			return d.manifest(func(rel string, _ *int, sum *string) {
				if rel == "s1/R2.fastq.gz" {
					*sum = sha([]byte("other"))
				}
			})
		}, events.FailureMismatch, "sha256", 5},
		{"stored mismatch", func(d dataset, f *fakeS3) []byte {
			f.stored[d.prefix+"s1/R2.fastq.gz"] = &s3.HeadObjectOutput{ChecksumSHA256: aws.String(sha64([]byte("other")))}
			return d.manifest(nil)
		}, events.FailureMismatch, "sha256", 4},
		{"size", func(d dataset, f *fakeS3) []byte {
			return d.manifest(func(rel string, size *int, _ *string) {
				if rel == "s1/R2.fastq.gz" {
					*size++
				}
			})
		}, events.FailureSize, "", 4},
		{"missing", func(d dataset, f *fakeS3) []byte {
			m := d.manifest(nil)
			return append(m, []byte(`"s1/R3.fastq.gz",1,`+sha([]byte("x"))+"\n")...)
		}, events.FailureMissing, "", 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := newFixture(t)
			d := newDataset()
			rc := d.upload(t, x.f, tc.edit(d, x.f))
			completed(t, x.store, rc)
			vo, fo, err := x.flow(t, rc, okResult)
			var ie *ErrIntegrityFailed
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, 1, ie.Failed)
			assert.Equal(t, 1, ie.Events)
			assert.Equal(t, 1, vo.Summary.Failed)
			require.Len(t, vo.Results, 1)
			assert.False(t, vo.Results[0].OK)
			assert.False(t, fo.Passed)
			assert.Equal(t, 1, fo.Failed)
			assert.Zero(t, fo.Accepted)
			assert.Zero(t, x.f.calls["CopyObject"], "nothing accepted")
			evs := x.pub.Of(events.DetailTypeIntegrityFailed)
			require.Len(t, evs, 1)
			fe := evs[0].(*events.IntegrityFailed)
			assert.Equal(t, tc.reason, fe.Reason)
			assert.Equal(t, tc.algo, fe.Algorithm)
			assert.Equal(t, "acme/batch 7", fe.RunID)
			assert.Equal(t, tc.gets, x.f.calls["GetObject"])
			assert.Empty(t, x.pub.Of(events.DetailTypeRunIngested))
			run, _, _ := x.store.GetRun(context.Background(), rc.RunID)
			assert.Equal(t, runs.StateComplete, run.State)
			assert.Empty(t, x.exp.calls)
		})
	}
}

// TestLargeObjects: objects over MaxStreamBytes go to the Batch verifier;
// its results decide.
func TestLargeObjects(t *testing.T) {
	d := newDataset()
	setup := func(t *testing.T) (*fixture, *events.RunCompleted) {
		x := newFixture(t)
		rc := d.upload(t, x.f, d.manifest(nil))
		rc.Prefix = "runs/batch7/" // not partner data: no copy
		rc.ManifestKey = rc.Prefix + "manifest.csv"
		for rel, body := range d.files {
			x.f.put(t, rc.Prefix+rel, body)
		}
		x.f.put(t, rc.ManifestKey, d.manifest(nil))
		completed(t, x.store, rc)
		x.v.MaxStreamBytes = int64(len(d.files["s1/R2.fastq.gz"]))
		return x, rc
	}
	t.Run("all match", func(t *testing.T) {
		x, rc := setup(t)
		vo, fo, err := x.flow(t, rc, okResult)
		require.NoError(t, err)
		require.Len(t, vo.Large, 2)
		for _, l := range vo.Large {
			assert.Len(t, l.Expected["sha256"], 64)
			assert.Equal(t, "sha256="+l.Expected["sha256"], l.ExpectArg)
			assert.Equal(t, "s3://"+bucket+"/"+l.Key, l.S3URI)
			assert.Greater(t, l.Size, x.v.MaxStreamBytes)
		}
		assert.Equal(t, 2, vo.Summary.Streamed)
		assert.True(t, fo.Passed)
		assert.Equal(t, 2, fo.LargeVerified)
		assert.Equal(t, "runs/batch7/", fo.Prefix)
		require.Len(t, x.pub.Of(events.DetailTypeRunIngested), 1)
		methods := map[string]int{}
		require.NoError(t, x.store.Objects(context.Background(), rc.RunID, func(o catalog.Object) error {
			methods[o.Method]++
			return nil
		}))
		assert.Equal(t, map[string]int{"": 1, MethodStreamed: 2, MethodBatch: 2}, methods)
	})
	t.Run("one mismatch, one missing result", func(t *testing.T) {
		x, rc := setup(t)
		i := 0
		_, fo, err := x.flow(t, rc, func(l LargeObject) LargeResult {
			i++
			if i == 1 {
				no := false
				cause, _ := json.Marshal(`{"JobId":"j","StatusReason":"Essential container in task exited","Attempts":[{"Container":{"ExitCode":3}}]}`)
				return LargeResult{Bucket: l.Bucket, Key: l.Key, OK: &no, Error: json.RawMessage(`{"Error":"States.TaskFailed","Cause":` + string(cause) + `}`)}
			}
			return LargeResult{Bucket: "other", Key: "unknown", OK: new(bool)}
		})
		var ie *ErrIntegrityFailed
		require.ErrorAs(t, err, &ie)
		assert.False(t, fo.Passed)
		assert.Equal(t, 2, fo.Failed)
		evs := x.pub.Of(events.DetailTypeIntegrityFailed)
		require.Len(t, evs, 2)
		reasons := map[events.IntegrityFailure]string{}
		for _, e := range evs {
			reasons[e.(*events.IntegrityFailed).Reason] = e.(*events.IntegrityFailed).Detail
		}
		assert.Contains(t, reasons[events.FailureMismatch], "checksum differs")
		assert.Contains(t, reasons[events.FailureUnreadable], "no Batch verifier result")
		assert.Empty(t, x.pub.Of(events.DetailTypeRunIngested))
	})
	t.Run("stream budget sends the rest to Batch", func(t *testing.T) {
		x, rc := setup(t)
		x.v.MaxStreamBytes = 1 << 30
		x.v.StreamBudget = int64(len(d.files["s1/R1.fastq.gz"]))
		x.v.Concurrency = 1
		vo, err := x.v.VerifyRun(context.Background(), rc)
		require.NoError(t, err)
		assert.Equal(t, 1, vo.Summary.Streamed)
		assert.Len(t, vo.Large, 3)
	})
	t.Run("too many", func(t *testing.T) {
		x, rc := setup(t)
		x.v.MaxLargeObjects = 1
		_, err := x.v.VerifyRun(context.Background(), rc)
		var tm *ErrTooManyLargeObjects
		require.ErrorAs(t, err, &tm)
		assert.Equal(t, 1, tm.Limit)
		x.v.MaxLargeObjects = 0
		x.v.MaxPayloadBytes = 1500
		_, err = x.v.VerifyRun(context.Background(), rc)
		require.ErrorAs(t, err, &tm)
		assert.Greater(t, tm.Bytes, 1500)
	})
}

func TestLargeFailure(t *testing.T) {
	l := LargeObject{Bucket: "b", Key: "k", VersionID: "v", Expected: map[string]string{"sha256": "aa"}}
	no := false
	job := func(code int) json.RawMessage {
		c, _ := json.Marshal(fmt.Sprintf(`{"Container":{"ExitCode":%d,"Reason":"r"}}`, code))
		return json.RawMessage(`{"Error":"States.TaskFailed","Cause":` + string(c) + `}`)
	}
	tests := []struct {
		name   string
		r      *LargeResult
		reason events.IntegrityFailure
		detail string
	}{
		{"no result", nil, events.FailureUnreadable, "no Batch verifier result"},
		{"no ok", &LargeResult{Bucket: "b", Key: "k"}, events.FailureUnreadable, "without \"ok\""},
		{"mismatch", &LargeResult{OK: &no, Error: job(3)}, events.FailureMismatch, "differs"},
		{"io", &LargeResult{OK: &no, Error: job(1)}, events.FailureUnreadable, "could not read"},
		{"usage", &LargeResult{OK: &no, Error: job(2)}, events.FailureUnreadable, "usage error"},
		{"string error", &LargeResult{OK: &no, Error: json.RawMessage(`"States.Timeout"`)}, events.FailureUnreadable, "States.Timeout"},
		{"timeout object", &LargeResult{OK: &no, Error: json.RawMessage(`{"Error":"States.Timeout","Cause":"took too long"}`)}, events.FailureUnreadable, "States.Timeout"},
		{"garbage", &LargeResult{OK: &no, Error: json.RawMessage(`[1,2]`)}, events.FailureUnreadable, "[1,2]"},
		{"error and cause side by side", &LargeResult{OK: &no, Error: json.RawMessage(`"States.TaskFailed"`), Cause: json.RawMessage(`"{\"Attempts\":[{\"Container\":{\"ExitCode\":3}}]}"`)}, events.FailureMismatch, "differs"},
	}
	for _, tc := range tests {
		f := largeFailure(l, tc.r)
		assert.Equal(t, tc.reason, f.Reason, tc.name)
		assert.Contains(t, f.Detail, tc.detail, tc.name)
		assert.Equal(t, "sha256", f.Algorithm, tc.name)
		assert.Equal(t, "v", f.VersionID, tc.name)
	}
}

// TestPublishFailureIsRetried: RunIngested fails to publish after the claim;
// the state machine's retry (same verifyId) publishes it.
func TestPublishFailureIsRetried(t *testing.T) {
	x := newFixture(t)
	d := newDataset()
	rc := d.upload(t, x.f, d.manifest(nil))
	completed(t, x.store, rc)
	fails := 1
	x.pub.Fail = func(ev events.Event) error {
		if ev.DetailType() == events.DetailTypeRunIngested && fails > 0 {
			fails--
			return &bus.ErrPublish{DetailType: ev.DetailType(), Code: "ThrottlingException"}
		}
		return nil
	}
	vo, _, err := x.flow(t, rc, okResult)
	var pe *bus.ErrPublish
	require.ErrorAs(t, err, &pe)
	run, _, _ := x.store.GetRun(context.Background(), rc.RunID)
	assert.Equal(t, runs.StateVerified, run.State)
	assert.False(t, run.IngestedPublished)
	fo, err := x.v.Finalize(context.Background(), FinalizeInput{Run: vo})
	require.NoError(t, err)
	assert.True(t, fo.Published)
	assert.Zero(t, fo.Accepted, "copied before the claim; not again")
	assert.Len(t, x.pub.Of(events.DetailTypeRunIngested), 1)

	// Export failures are typed and retried.
	x.exp.err = fmt.Errorf("AccessDenied")
	_, err = x.v.Finalize(context.Background(), FinalizeInput{Run: vo})
	var ee *ErrExport
	require.ErrorAs(t, err, &ee)
	assert.Len(t, x.pub.Of(events.DetailTypeRunIngested), 1)
}

func TestMD5ByETag(t *testing.T) {
	x := newFixture(t)
	body := []byte("hello fastq")
	x.f.put(t, "runs/r1/a.fq", body)
	m := md5.Sum(body)
	x.f.put(t, "runs/r1/manifest.md5", []byte(hex.EncodeToString(m[:])+"  a.fq\n"))
	rc := &events.RunCompleted{SchemaVersion: "1", RunID: "r1", Channel: events.ChannelDataSync, Bucket: bucket, Prefix: "runs/r1/",
		Profile: "miseq", ObjectCount: 1, TotalBytes: int64(len(body)), CompletedAt: t0, ManifestKey: "runs/r1/manifest.md5"}
	completed(t, x.store, rc)
	vo, fo, err := x.flow(t, rc, okResult)
	require.NoError(t, err)
	assert.Equal(t, 1, vo.Summary.ByStoredChecksum)
	assert.Equal(t, 1, x.f.calls["GetObject"])
	assert.True(t, fo.Passed)
	assert.Zero(t, fo.Accepted, "not under quarantine/: nothing copied")
	assert.Equal(t, "runs/r1/", x.pub.Of(events.DetailTypeRunIngested)[0].(*events.RunIngested).Prefix)

	// Under SSE-KMS the ETag is no MD5: streamed.
	x.f.stored["runs/r1/a.fq"] = &s3.HeadObjectOutput{ServerSideEncryption: types.ServerSideEncryptionAwsKms}
	vo, err = x.v.VerifyRun(context.Background(), rc)
	require.NoError(t, err)
	assert.Equal(t, 1, vo.Summary.Streamed)
}

func TestEdgeCases(t *testing.T) {
	x := newFixture(t)
	ctx := context.Background()
	base := events.RunCompleted{SchemaVersion: "1", RunID: "r", Channel: events.ChannelDataSync, Bucket: bucket, Prefix: "runs/r/", Profile: "miseq", CompletedAt: t0,
		Evidence: events.VerifiedByDataSync}

	// No manifest and no evidence: never announced, whichever step sees it.
	for _, ev := range []events.Verification{""} {
		un := base
		un.RunID, un.Evidence = "unverified"+string(ev), ev
		completed(t, x.store, &un)
		_, err := x.v.VerifyRun(ctx, &un)
		var uv *ErrUnverified
		require.ErrorAs(t, err, &uv, "evidence %q", ev)
		_, err = x.v.Finalize(ctx, FinalizeInput{Run: VerifyOutput{Run: un, VerifyID: "v-un", Results: []ObjectResult{}, Large: []LargeObject{}}, Large: []LargeResult{}})
		require.ErrorAs(t, err, &uv, "evidence %q", ev)
		assert.Contains(t, uv.Error(), "not announced")
	}
	assert.Empty(t, x.pub.Events())
	// "manifest" without a manifest key is an invalid request.
	bad := base
	bad.RunID, bad.Evidence = "badmanifest", events.VerifiedByManifest
	_, err := x.v.VerifyRun(ctx, &bad)
	var badReq *ErrInvalidRequest
	require.ErrorAs(t, err, &badReq)

	// No manifest, DataSync evidence: nothing to compare; RunIngested
	// follows, saying how the run was verified.
	rc := base
	completed(t, x.store, &rc)
	_, fo, err := x.flow(t, &rc, okResult)
	require.NoError(t, err)
	assert.True(t, fo.Passed)
	require.Len(t, x.pub.Of(events.DetailTypeRunIngested), 1)
	assert.Equal(t, events.VerifiedByDataSync, x.pub.Of(events.DetailTypeRunIngested)[0].(*events.RunIngested).VerifiedBy)

	// Partner data without a manifest is never accepted, even settled.
	p := base
	p.RunID, p.Prefix, p.Channel, p.Evidence = "acme/x", "quarantine/acme/x/", events.ChannelTransfer, events.VerifiedBySettled
	completed(t, x.store, &p)
	_, fo, err = x.flow(t, &p, okResult)
	var ie *ErrIntegrityFailed
	require.ErrorAs(t, err, &ie)
	assert.False(t, fo.Passed)
	require.Len(t, x.pub.Of(events.DetailTypeIntegrityFailed), 1)

	// No run record; a run still RECEIVING.
	nr := base
	nr.RunID = "ghost"
	_, _, err = x.flow(t, &nr, okResult)
	var rnf *ErrRunNotFound
	require.ErrorAs(t, err, &rnf)
	rcv := base
	rcv.RunID = "receiving"
	_, err = x.store.Record(ctx, catalog.Object{RunID: "receiving", Key: "runs/receiving/a", VersionID: "null"}, catalog.RunInit{RunID: "receiving"}, catalog.Change{Data: true})
	require.NoError(t, err)
	_, _, err = x.flow(t, &rcv, okResult)
	var rs *ErrRunState
	require.ErrorAs(t, err, &rs)

	for _, bad := range []*events.RunCompleted{nil, {}, {SchemaVersion: "1", RunID: "r", Channel: "datasync", Bucket: bucket, Prefix: "x", Profile: "p", CompletedAt: t0},
		{SchemaVersion: "1", RunID: "r", Channel: "datasync", Bucket: bucket, Prefix: "a/", Profile: "p", CompletedAt: t0, ManifestKey: "b/m"}} {
		_, err := x.v.VerifyRun(ctx, bad)
		var ir *ErrInvalidRequest
		assert.ErrorAs(t, err, &ir)
	}
	_, err = x.v.Finalize(ctx, FinalizeInput{})
	var ir *ErrInvalidRequest
	assert.ErrorAs(t, err, &ir)

	x.f.put(t, "runs/bad/manifest.sha256", []byte("zz  ../etc/passwd\n"))
	bm := base
	bm.Prefix, bm.ManifestKey = "runs/bad/", "runs/bad/manifest.sha256"
	_, err = x.v.VerifyRun(ctx, &bm)
	var me *ErrManifest
	assert.ErrorAs(t, err, &me)
	gone := base
	gone.Prefix, gone.ManifestKey = "runs/gone/", "runs/gone/m.sha256"
	_, err = x.v.VerifyRun(ctx, &gone)
	assert.ErrorAs(t, err, &me)
}

func TestMultipartCopy(t *testing.T) {
	x := newFixture(t)
	x.v.CopyPartBytes = 1000
	err := x.v.copy(context.Background(), bucket, entryInfo{key: "quarantine/a b/c+d.bam", versionID: "v1", size: 2500}, "accepted/a b/c+d.bam")
	require.NoError(t, err)
	require.Len(t, x.f.parts, 3)
	var ranges []string
	for _, p := range x.f.parts {
		ranges = append(ranges, aws.ToString(p.CopySourceRange))
		assert.Equal(t, "partner/quarantine/a%20b/c%2Bd.bam?versionId=v1", aws.ToString(p.CopySource))
	}
	assert.Equal(t, []string{"bytes=0-999", "bytes=1000-1999", "bytes=2000-2499"}, ranges)
	assert.Equal(t, 1, x.f.calls["CompleteMultipartUpload"])
	require.Len(t, x.f.created, 1)
	assert.Equal(t, "biolake%3Adata-class=alignment", aws.ToString(x.f.created[0].Tagging), "tags copied")
}

func TestHandle(t *testing.T) {
	x := newFixture(t)
	d := newDataset()
	rc := d.upload(t, x.f, d.manifest(nil))
	completed(t, x.store, rc)
	detail, err := json.Marshal(rc)
	require.NoError(t, err)
	out, err := x.v.Handle(context.Background(), detail)
	require.NoError(t, err)
	vo, ok := out.(VerifyOutput)
	require.True(t, ok)
	b, err := json.Marshal(vo)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"large":[]`)
	fin, _ := json.Marshal(map[string]any{"action": "finalize", "run": json.RawMessage(b), "large": []any{}})
	out, err = x.v.Handle(context.Background(), fin)
	require.NoError(t, err)
	assert.True(t, out.(FinalizeOutput).Passed)
	_, err = x.v.Handle(context.Background(), []byte(`{"action":"nope"}`))
	var ui *ErrUnsupportedInput
	assert.ErrorAs(t, err, &ui)
	assert.Equal(t, "ErrUnsupportedInput", handler.ErrorType(err))
}

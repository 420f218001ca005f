package verify

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
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
	"github.com/biolake/biolake/internal/events"
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
	created int
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
	return f.Client.CopyObject(ctx, in, o...)
}

// gofakes3 has no UploadPartCopy: record the multipart copy calls instead.
func (f *fakeS3) CreateMultipartUpload(_ context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	f.inc("CreateMultipartUpload")
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

func (d dataset) upload(t *testing.T, f *fakeS3, man []byte) Request {
	for rel, body := range d.files {
		f.put(t, d.prefix+rel, body)
	}
	f.put(t, d.prefix+"manifest.csv", man)
	return Request{RunID: "acme/batch 7", Bucket: bucket, Prefix: d.prefix, ManifestKey: d.prefix + "manifest.csv"}
}

func newVerifier(f *fakeS3) (*Verifier, *bus.Recorder) {
	pub := &bus.Recorder{}
	return &Verifier{S3: f, Publisher: pub, Now: func() time.Time { return time.Date(2024, 6, 8, 0, 0, 0, 0, time.UTC) }}, pub
}

func TestPassStreamedAndAccepted(t *testing.T) {
	f := newFake(t)
	d := newDataset()
	req := d.upload(t, f, d.manifest(nil))
	v, pub := newVerifier(f)
	res, err := v.Verify(context.Background(), req)
	require.NoError(t, err)
	assert.True(t, res.Passed)
	assert.Equal(t, 4, res.Checked)
	assert.Equal(t, 4, res.Streamed)
	assert.Equal(t, 5, res.Accepted) // 4 files and the manifest
	assert.Equal(t, "accepted/acme/batch 7/", res.AcceptedPrefix)
	assert.Empty(t, pub.Events())
	for rel, body := range d.files {
		got, err := f.get(t, "accepted/acme/batch 7/"+rel)
		require.NoError(t, err, rel)
		assert.Equal(t, body, got, rel)
		// Never deleted from quarantine.
		_, err = f.get(t, d.prefix+rel)
		assert.NoError(t, err)
	}
	_, err = f.get(t, "accepted/acme/batch 7/manifest.csv")
	assert.NoError(t, err)
	assert.Equal(t, 5, f.calls["CopyObject"])

	// A rerun is idempotent.
	res, err = v.Verify(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, 5, res.Accepted)
}

func TestStoredChecksums(t *testing.T) {
	f := newFake(t)
	d := newDataset()
	req := d.upload(t, f, d.manifest(nil))
	for rel, body := range d.files {
		f.stored[d.prefix+rel] = &s3.HeadObjectOutput{ChecksumSHA256: aws.String(sha64(body)), ChecksumType: types.ChecksumTypeFullObject}
	}
	// One multipart object: composite checksum, must be streamed.
	f.stored[d.prefix+"notes.txt"] = &s3.HeadObjectOutput{ChecksumSHA256: aws.String(sha64([]byte("parts")) + "-3"), ChecksumType: types.ChecksumTypeComposite}
	v, _ := newVerifier(f)
	v.AcceptedPrefix = "ok/"
	res, err := v.Verify(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, 3, res.ByStoredChecksum)
	assert.Equal(t, 1, res.Streamed)
	assert.Equal(t, 2, f.calls["GetObject"]) // the manifest and notes.txt
	assert.Equal(t, "ok/acme/batch 7/", res.AcceptedPrefix)
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
			f := newFake(t)
			d := newDataset()
			req := d.upload(t, f, tc.edit(d, f))
			v, pub := newVerifier(f)
			res, err := v.Verify(context.Background(), req)
			var ie *ErrIntegrityFailed
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, 1, ie.Failed)
			assert.False(t, res.Passed)
			assert.Zero(t, res.Accepted)
			assert.Zero(t, f.calls["CopyObject"], "nothing accepted")
			evs := pub.Of(events.DetailTypeIntegrityFailed)
			require.Len(t, evs, 1)
			fe := evs[0].(*events.IntegrityFailed)
			assert.Equal(t, tc.reason, fe.Reason)
			assert.Equal(t, tc.algo, fe.Algorithm)
			assert.Equal(t, "acme/batch 7", fe.RunID)
			assert.Equal(t, tc.gets, f.calls["GetObject"])
			_, err = f.get(t, "accepted/acme/batch 7/notes.txt")
			assert.Error(t, err)
		})
	}
}

func TestMD5ByETag(t *testing.T) {
	f := newFake(t)
	body := []byte("hello fastq")
	f.put(t, "runs/r1/a.fq", body)
	m := md5.Sum(body)
	f.put(t, "runs/r1/manifest.md5", []byte(hex.EncodeToString(m[:])+"  a.fq\n"))
	v, _ := newVerifier(f)
	res, err := v.Verify(context.Background(), Request{RunID: "r1", Bucket: bucket, Prefix: "runs/r1/", ManifestKey: "runs/r1/manifest.md5"})
	require.NoError(t, err)
	assert.Equal(t, 1, res.ByStoredChecksum)
	assert.Equal(t, 1, f.calls["GetObject"])
	assert.Zero(t, res.Accepted, "not under quarantine/: nothing copied")

	// Under SSE-KMS the ETag is no MD5: streamed.
	f.stored["runs/r1/a.fq"] = &s3.HeadObjectOutput{ServerSideEncryption: types.ServerSideEncryptionAwsKms}
	res, err = v.Verify(context.Background(), Request{RunID: "r1", Bucket: bucket, Prefix: "runs/r1/", ManifestKey: "runs/r1/manifest.md5"})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Streamed)
}

func TestDeferredAndEdgeCases(t *testing.T) {
	f := newFake(t)
	d := newDataset()
	req := d.upload(t, f, d.manifest(nil))
	v, _ := newVerifier(f)
	v.MaxStreamBytes = int64(len(d.files["s1/R2.fastq.gz"]))
	bigger := 0
	for _, b := range d.files {
		if int64(len(b)) > v.MaxStreamBytes {
			bigger++
		}
	}
	require.Equal(t, 2, bigger)
	res, err := v.Verify(context.Background(), req)
	require.NoError(t, err)
	assert.False(t, res.Passed)
	assert.Len(t, res.Deferred, 2)
	assert.Zero(t, res.Accepted)

	v.MaxStreamBytes = 0
	res, err = v.Verify(context.Background(), Request{RunID: "r", Bucket: bucket, Prefix: "runs/r/"})
	require.NoError(t, err)
	assert.True(t, res.Passed)

	for _, bad := range []Request{{}, {RunID: "r", Bucket: bucket, Prefix: "x"}, {RunID: "r", Bucket: bucket, Prefix: "a/", ManifestKey: "b/m"}} {
		_, err := v.Verify(context.Background(), bad)
		var ir *ErrInvalidRequest
		assert.ErrorAs(t, err, &ir)
	}

	f.put(t, "runs/bad/manifest.sha256", []byte("zz  ../etc/passwd\n"))
	_, err = v.Verify(context.Background(), Request{RunID: "bad", Bucket: bucket, Prefix: "runs/bad/", ManifestKey: "runs/bad/manifest.sha256"})
	var me *ErrManifest
	assert.ErrorAs(t, err, &me)

	_, err = v.Verify(context.Background(), Request{RunID: "gone", Bucket: bucket, Prefix: "runs/gone/", ManifestKey: "runs/gone/m.sha256"})
	var se *ErrS3
	assert.ErrorAs(t, err, &se)
}

func TestMultipartCopy(t *testing.T) {
	f := newFake(t)
	v, _ := newVerifier(f)
	v.CopyPartBytes = 1000
	err := v.copy(context.Background(), bucket, entryInfo{key: "quarantine/a b/c+d.bam", versionID: "v1", size: 2500}, "accepted/a b/c+d.bam")
	require.NoError(t, err)
	require.Len(t, f.parts, 3)
	var ranges []string
	for _, p := range f.parts {
		ranges = append(ranges, aws.ToString(p.CopySourceRange))
		assert.Equal(t, "partner/quarantine/a%20b/c%2Bd.bam?versionId=v1", aws.ToString(p.CopySource))
	}
	assert.Equal(t, []string{"bytes=0-999", "bytes=1000-1999", "bytes=2000-2499"}, ranges)
	assert.Equal(t, 1, f.calls["CompleteMultipartUpload"])
}

func TestIsNotFound(t *testing.T) {
	assert.True(t, isNotFound(&types.NotFound{}))
	assert.True(t, isNotFound(fmt.Errorf("x: %w", &types.NoSuchKey{})))
	assert.False(t, isNotFound(errors.New("x")))
}

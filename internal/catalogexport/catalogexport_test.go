package catalogexport

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/runs"
)

const bucket = "catalog"

var t0 = time.Date(2024, 6, 8, 23, 59, 59, 0, time.UTC)

// countingS3 is gofakes3 behind the SDK client, counting calls.
type countingS3 struct {
	*s3.Client
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingS3) inc(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
}

func (c *countingS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	c.inc("PutObject")
	return c.Client.PutObject(ctx, in, o...)
}

func (c *countingS3) UploadPart(ctx context.Context, in *s3.UploadPartInput, o ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	c.inc("UploadPart")
	return c.Client.UploadPart(ctx, in, o...)
}

func (c *countingS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, o ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return c.Client.ListObjectsV2(ctx, in, o...)
}

func newS3(t *testing.T) *countingS3 {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider("k", "s", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	_, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	return &countingS3{Client: client, calls: map[string]int{}}
}

func read[T any](t *testing.T, c *countingS3, key string) []T {
	t.Helper()
	out, err := c.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	require.NoError(t, err, key)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	require.NoError(t, err)
	rows, err := parquet.Read[T](bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err, key)
	return rows
}

// seed records a verified partner run with n data objects.
func seed(t *testing.T, n int) *catalog.Mem {
	st := catalog.NewMem()
	ctx := context.Background()
	init := catalog.RunInit{RunID: "acme/batch 7", Bucket: "partner", Prefix: "quarantine/acme/batch 7/", Profile: "generic",
		Channel: events.ChannelTransfer, Partner: "acme", FirstKey: "k", FirstIdem: "i", At: t0.Add(-time.Hour)}
	for i := 0; i < n; i++ {
		o := catalog.Object{RunID: init.RunID, Bucket: "partner", Key: fmt.Sprintf("quarantine/acme/batch 7/s%04d.fastq.gz", i),
			VersionID: fmt.Sprint("v", i), Sequencer: fmt.Sprintf("%018X", i), ETag: "e", Size: int64(i), Role: runs.RoleData,
			DataClass: "fastq", RecordedAt: t0.Add(-time.Hour), EventTime: t0.Add(-time.Hour)}
		_, err := st.Record(ctx, o, init, catalog.Change{Data: true, Bytes: int64(i)})
		require.NoError(t, err)
		if i%2 == 0 {
			require.NoError(t, st.MarkObjectVerified(ctx, catalog.ObjectVerification{RunID: o.RunID, Bucket: o.Bucket, Key: o.Key, VersionID: o.VersionID,
				Verification: catalog.Verification{VerifyID: "vid", VerifiedAt: t0, Method: "streamed", SHA256: strings.Repeat("a", 64)}}))
		}
	}
	_, err := st.Claim(ctx, init.RunID, "c", events.VerifiedByManifest, t0.Add(-time.Minute))
	require.NoError(t, err)
	_, err = st.ClaimVerified(ctx, catalog.VerifiedClaim{RunID: init.RunID, VerifyID: "vid", At: t0, Prefix: "accepted/acme/batch 7/", ManifestKey: "accepted/acme/batch 7/manifest.csv"})
	require.NoError(t, err)
	return st
}

func TestExportRun(t *testing.T) {
	c := newS3(t)
	st := seed(t, 2500)
	e := &Exporter{Store: st, S3: c, Bucket: bucket, RowsPerFile: 1000, RowsPerGroup: 300, Now: func() time.Time { return t0 }}
	keys, err := e.ExportRun(context.Background(), "acme/batch 7")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"catalog/runs/dt=2024-06-08/acme%2Fbatch%207.parquet",
		"catalog/objects/dt=2024-06-08/acme%2Fbatch%207-0.parquet",
		"catalog/objects/dt=2024-06-08/acme%2Fbatch%207-1.parquet",
		"catalog/objects/dt=2024-06-08/acme%2Fbatch%207-2.parquet",
	}, keys)

	rr := read[RunRow](t, c, keys[0])
	require.Len(t, rr, 1)
	assert.Equal(t, RunRow{RunID: "acme/batch 7", State: "VERIFIED", Bucket: "partner", Prefix: "quarantine/acme/batch 7/", Profile: "generic",
		Channel: "transfer", Partner: "acme", ManifestKey: "accepted/acme/batch 7/manifest.csv", ObjectCount: 2500, TotalBytes: 2500 * 2499 / 2,
		CreatedAt: t0.Add(-time.Hour), CompletedAt: t0.Add(-time.Minute), VerifiedAt: t0, VerifyID: "vid",
		VerifiedPrefix: "accepted/acme/batch 7/", ExportedAt: t0}, normRun(rr[0]))

	var all []ObjectRow
	for i, k := range keys[1:] {
		rows := read[ObjectRow](t, c, k)
		assert.Len(t, rows, []int{1000, 1000, 500}[i], k)
		all = append(all, rows...)
	}
	require.Len(t, all, 2500)
	for i, r := range all {
		assert.Equal(t, fmt.Sprintf("quarantine/acme/batch 7/s%04d.fastq.gz", i), r.Key)
		assert.EqualValues(t, i, r.Size)
		assert.Equal(t, "fastq", r.DataClass)
		assert.Equal(t, "data", r.Role)
		if i%2 == 0 {
			assert.Equal(t, "vid", r.VerifyID)
			assert.Equal(t, strings.Repeat("a", 64), r.SHA256)
			assert.Equal(t, t0, r.VerifiedAt.UTC())
		} else {
			assert.Empty(t, r.VerifyID)
			assert.True(t, r.VerifiedAt.IsZero())
		}
	}
	assert.Zero(t, c.calls["UploadPart"], "small files: one PutObject each")
	assert.Equal(t, 4, c.calls["PutObject"])

	// Idempotent: a second export writes the same keys.
	keys2, err := e.ExportRun(context.Background(), "acme/batch 7")
	require.NoError(t, err)
	assert.Equal(t, keys, keys2)
}

func normRun(r RunRow) RunRow {
	for _, p := range []*time.Time{&r.CreatedAt, &r.CompletedAt, &r.VerifiedAt, &r.ExportedAt} {
		*p = p.UTC()
	}
	return r
}

// TestMultipart: a file larger than a part goes up in parts (bounded memory)
// and reads back whole.
func TestMultipart(t *testing.T) {
	c := newS3(t)
	st := seed(t, 3000)
	e := &Exporter{Store: st, S3: c, Bucket: bucket, Prefix: "cat/", PartSize: 5 << 20, RowsPerGroup: 500}
	// Make rows big enough to pass one 5 MiB part.
	big := &bigStore{Mem: st}
	e.Store = big
	keys, err := e.ExportRun(context.Background(), "acme/batch 7")
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.True(t, strings.HasPrefix(keys[1], "cat/objects/dt=2024-06-08/"))
	assert.GreaterOrEqual(t, c.calls["UploadPart"], 2)
	rows := read[ObjectRow](t, c, keys[1])
	require.Len(t, rows, 3000)
	assert.Len(t, rows[2999].CRC32C, 4000)
}

// bigStore pads CRC32C with random hex so that files are large even
// compressed.
type bigStore struct{ *catalog.Mem }

func (b *bigStore) Objects(ctx context.Context, runID string, fn func(catalog.Object) error) error {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 2000)
	return b.Mem.Objects(ctx, runID, func(o catalog.Object) error {
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		o.CRC32C = hex.EncodeToString(buf)
		return fn(o)
	})
}

type failingS3 struct {
	*countingS3
	failPart bool
	aborted  int
}

func (f *failingS3) UploadPart(ctx context.Context, in *s3.UploadPartInput, o ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	if f.failPart {
		return nil, errors.New("SlowDown")
	}
	return f.countingS3.UploadPart(ctx, in, o...)
}

func (f *failingS3) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, o ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	f.aborted++
	return f.countingS3.AbortMultipartUpload(ctx, in, o...)
}

func TestErrors(t *testing.T) {
	c := newS3(t)
	st := seed(t, 10)
	_, err := (&Exporter{Store: st, S3: c}).ExportRun(context.Background(), "acme/batch 7")
	var we *ErrWrite
	require.ErrorAs(t, err, &we, "no bucket")
	_, err = (&Exporter{Store: st, S3: c, Bucket: bucket}).ExportRun(context.Background(), "nope")
	var nf *ErrRunNotFound
	require.ErrorAs(t, err, &nf)
	_, err = (&Exporter{Store: st, S3: c, Bucket: "missing-bucket"}).ExportRun(context.Background(), "acme/batch 7")
	require.ErrorAs(t, err, &we)

	f := &failingS3{countingS3: c, failPart: true}
	_, err = (&Exporter{Store: &bigStore{Mem: seed(t, 3000)}, S3: f, Bucket: bucket, PartSize: 5 << 20}).ExportRun(context.Background(), "acme/batch 7")
	require.ErrorAs(t, err, &we)
	assert.Contains(t, err.Error(), "SlowDown")
	assert.Equal(t, 1, f.aborted)
}

func TestPartitionAndName(t *testing.T) {
	assert.Equal(t, "2024-06-08", Partition(catalog.Run{VerifiedAt: t0, CompletedAt: t0.Add(48 * time.Hour)}))
	assert.Equal(t, "2024-06-10", Partition(catalog.Run{CompletedAt: t0.Add(48 * time.Hour)}))
	assert.Equal(t, "2024-06-07", Partition(catalog.Run{CreatedAt: t0.Add(-24 * time.Hour)}))
	assert.Equal(t, "acme%2Fb%2B1%20x", FileName("acme/b+1 x"))
}

package samples

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/mototest"
)

// TestSamplesCallsOnMoto runs the samples handler as lambdas/samples wires
// it on moto_server, with the data lake's layout (a versioned raw bucket,
// a run under runs/<source>/), through its paths: a sheet whose first read
// breaks in the middle (s3read resumes with the version id and a range), a
// run with the second sheet name only (the first is missing), and a run
// with no sheet. Its AWS calls are recorded for the permission proof
// (test/testdata/awscalls/samples.json).
func TestSamplesCallsOnMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	rec := mototest.Record("samples")
	ctx := context.Background()
	setup := s3.NewFromConfig(mototest.Config(), func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint); o.UsePathStyle = true })
	raw := mototest.Name("samples-raw")
	rec.Name(raw, "raw")
	_, err := setup.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(raw)})
	require.NoError(t, err)
	_, err = setup.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(raw),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	require.NoError(t, err)
	const (
		v1Run = "runs/novaseqx/20260102_NB501234_0101_AHXXXXXXXX/"
		nfRun = "runs/novaseqx/20260103_LH00123_0043_B22ABCDEF/"
		noRun = "runs/novaseqx/20260104_LH00123_0044_A22ABCXYZ/"
	)
	for key, body := range map[string][]byte{
		v1Run + "SampleSheet.csv": testdata(t, "illumina_v1.csv"),
		nfRun + "samplesheet.csv": testdata(t, "nfcore.csv"),
		noRun + "RunInfo.xml":     []byte("<RunInfo/>"),
	} {
		_, err := setup.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(raw), Key: aws.String(key), Body: bytes.NewReader(body)})
		require.NoError(t, err)
	}

	// The handler's client: the first read of v1Run's sheet breaks after
	// 64 bytes.
	client := s3.NewFromConfig(mototest.Config(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		o.HTTPClient = mototest.BreakingClient(func(r *http.Request) bool {
			return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/SampleSheet.csv") && strings.Contains(r.URL.Path, "AHXXXXXXXX")
		}, 64)
	})
	h := &Handler{S3: client, Logger: quietLogger()}
	for run, want := range map[string]int{v1Run: 4, nfRun: 3, noRun: 1} {
		b, err := json.Marshal(Input{RunID: strings.Split(run, "/")[2], Bucket: raw, Prefix: run})
		require.NoError(t, err)
		out, err := h.Handle(rec.Context(ctx), b)
		require.NoError(t, err, run)
		assert.Len(t, out.Samples, want, run)
	}
	var resumed bool
	for _, c := range rec.Calls() {
		resumed = resumed || (c.Op == "S3.GetObject" && c.Versioned)
	}
	assert.True(t, resumed, "the broken read was resumed with the version id: %v", rec.Calls())
}

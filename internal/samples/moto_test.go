package samples

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// TestMotoHandle runs the handler through a real S3 client against
// moto_server.
func TestMotoHandle(t *testing.T) {
	ctx := context.Background()
	endpoint := mototest.Endpoint(t)
	client := s3.NewFromConfig(mototest.Config(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
	bucket := fmt.Sprintf("biolake-samples-%d", os.Getpid())
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	put := func(key string, body []byte) {
		t.Helper()
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
		require.NoError(t, err)
	}
	const (
		v1Run = "20260102_NB501234_0101_AHXXXXXXXX"
		nfRun = "20260103_LH00123_0043_B22ABCDEF"
		noRun = "20260104_LH00123_0044_A22ABCXYZ"
	)
	put("runs/nextseq/"+v1Run+"/SampleSheet.csv", testdata(t, "illumina_v1.csv"))
	put("runs/nextseq/"+v1Run+"/samplesheet.csv", testdata(t, "nfcore.csv"))
	put("runs/novaseqx/"+nfRun+"/samplesheet.csv", testdata(t, "nfcore.csv"))
	put("runs/novaseqx/"+noRun+"/RunInfo.xml", []byte("<RunInfo/>"))

	h := &Handler{S3: client, Logger: quietLogger()}
	call := func(h *Handler, run, prefix string) (string, error) {
		raw, err := json.Marshal(Input{RunID: run, Bucket: bucket, Prefix: prefix})
		require.NoError(t, err)
		out, err := h.Handle(ctx, raw)
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(out)
		require.NoError(t, err)
		return string(b), nil
	}

	got, err := call(h, v1Run, "runs/nextseq/"+v1Run+"/")
	require.NoError(t, err)
	assert.JSONEq(t, `{"samples":["PT-001_T","PT-001_N","PT-002_T","PT-002_N"],"source":"s3://`+bucket+`/runs/nextseq/`+v1Run+`/SampleSheet.csv"}`, got)

	got, err = call(h, nfRun, "runs/novaseqx/"+nfRun+"/")
	require.NoError(t, err)
	assert.JSONEq(t, `{"samples":["CONTROL_REP1","TREATMENT_REP1","TREATMENT_REP2"],"source":"s3://`+bucket+`/runs/novaseqx/`+nfRun+`/samplesheet.csv"}`, got)

	got, err = call(h, noRun, "runs/novaseqx/"+noRun+"/")
	require.NoError(t, err)
	assert.JSONEq(t, `{"samples":["`+noRun+`"],"source":""}`, got)

	_, err = call(&Handler{S3: client, Logger: quietLogger(), MaxSheetBytes: 1000}, v1Run, "runs/nextseq/"+v1Run+"/")
	var big *ErrSampleSheetTooLarge
	require.ErrorAs(t, err, &big)
	assert.Equal(t, int64(len(testdata(t, "illumina_v1.csv"))), big.Size, "the size comes from S3's Content-Length")

	_, err = h.Handle(ctx, json.RawMessage(`{"runId":"r","bucket":"`+bucket+`-missing","prefix":"runs/r/"}`))
	var st *ErrStorage
	require.ErrorAs(t, err, &st, "a missing bucket is not a missing sheet")
}

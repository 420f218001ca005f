package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/s3read"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, map[string]any, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	var m map[string]any
	if out.Len() > 0 {
		require.NoError(t, json.Unmarshal(out.Bytes(), &m), out.String())
	}
	return code, m, errb.String()
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	require.NoError(t, os.WriteFile(p, []byte("123456789"), 0o600))

	code, m, _ := runCLI(t, "", "-algos", "sha256,md5,crc32c,crc64nvme", p)
	require.Equal(t, 0, code)
	assert.EqualValues(t, 9, m["size"])
	d := m["digests"].(map[string]any)
	assert.Equal(t, "ae8b14860a799888", d["crc64nvme"].(map[string]any)["hex"])
	assert.Equal(t, "4waSgw==", d["crc32c"].(map[string]any)["base64"])
	assert.Equal(t, "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225", d["sha256"].(map[string]any)["hex"])
	assert.Nil(t, m["stats"])

	code, m, _ = runCLI(t, "123456789", "-stats", "-")
	require.Equal(t, 0, code)
	assert.Contains(t, m["digests"], "sha256")
	st := m["stats"].(map[string]any)
	assert.Greater(t, st["peakRssKiB"].(float64), 0.0)

	code, m, _ = runCLI(t, "123456789", "-algos", "sha256", "-expect", "md5=25f9e794323b453885f5181f1b624d0b", "-")
	assert.Equal(t, 0, code)
	assert.Equal(t, true, m["match"])
	assert.Contains(t, m["digests"], "md5")

	code, m, _ = runCLI(t, "12345678", "-expect", "crc32c=e3069283", "-")
	assert.Equal(t, 3, code)
	assert.Equal(t, false, m["match"])
	assert.Equal(t, []any{"crc32c"}, m["mismatched"])
}

func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"a", "b"},
		{"-algos", "sha1", "-"},
		{"-expect", "sha256", "-"},
		{"-expect", "sha256=abc", "-"},
		{"-chunk", "0", "-"},
		{"-nope", "-"},
	} {
		code, _, stderr := runCLI(t, "", args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.NotEmpty(t, stderr)
	}
	code, _, stderr := runCLI(t, "", filepath.Join(t.TempDir(), "missing"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no such file")
}

func TestVMHWM(t *testing.T) {
	n, err := vmHWM(strings.NewReader("Name:\tx\nVmPeak:\t  100 kB\nVmHWM:\t    4242 kB\n"))
	require.NoError(t, err)
	assert.EqualValues(t, 4242, n)
	_, err = vmHWM(strings.NewReader("Name: x\n"))
	assert.Error(t, err)
}

func fakeS3(t *testing.T) *s3.Client {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider("k", "s", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	ctx := context.Background()
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lake-raw")})
	require.NoError(t, err)
	_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake-raw"), Key: aws.String("runs/r 1/a+b.fastq.gz"), Body: strings.NewReader("123456789")})
	require.NoError(t, err)
	prev := newS3
	newS3 = func(context.Context) (s3read.GetObjectAPI, error) { return client, nil }
	t.Cleanup(func() { newS3 = prev })
	return client
}

func TestRunS3(t *testing.T) {
	fakeS3(t)
	const sha = "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"match", []string{"-s3", "s3://lake-raw/runs/r 1/a+b.fastq.gz", "-expect", "sha256=" + sha}, 0},
		{"match two", []string{"-s3", "s3://lake-raw/runs/r 1/a+b.fastq.gz", "-version-id", "", "-expect", "sha256=" + sha + ",md5=25f9e794323b453885f5181f1b624d0b"}, 0},
		{"mismatch", []string{"-s3", "s3://lake-raw/runs/r 1/a+b.fastq.gz", "-expect", "md5=00000000000000000000000000000000"}, 3},
		{"missing key", []string{"-s3", "s3://lake-raw/runs/r 1/none", "-expect", "sha256=" + sha}, 1},
		{"missing bucket", []string{"-s3", "s3://lake-nope/k", "-expect", "sha256=" + sha}, 1},
		{"no key", []string{"-s3", "s3://lake-raw/"}, 2},
		{"not s3", []string{"-s3", "https://lake-raw/k"}, 2},
		{"bad bucket", []string{"-s3", "s3://Lake_Raw/k"}, 2},
		{"file and s3", []string{"-s3", "s3://lake-raw/k", "f"}, 2},
		{"version without s3", []string{"-version-id", "v", "-"}, 2},
		{"bad expect", []string{"-s3", "s3://lake-raw/k", "-expect", "sha256=zz"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, m, stderr := runCLI(t, "", tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			if tc.code == 0 || tc.code == 3 {
				assert.Equal(t, "s3://lake-raw/runs/r 1/a+b.fastq.gz", m["file"])
				assert.EqualValues(t, 9, m["size"])
				assert.Equal(t, tc.code == 0, m["match"])
			} else {
				assert.NotEmpty(t, stderr)
			}
		})
	}
}

func FuzzParseS3URL(f *testing.F) {
	f.Add("s3://lake-raw/runs/r 1/a+b.fastq.gz")
	f.Add("s3://b/")
	f.Add("s3:///k")
	f.Fuzz(func(t *testing.T, u string) {
		b, k, err := parseS3URL(u)
		if err != nil {
			return
		}
		if b == "" || k == "" || "s3://"+b+"/"+k != u {
			t.Fatalf("%q parsed as %q %q", u, b, k)
		}
	})
}

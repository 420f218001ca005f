package samples

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/handler"
)

const (
	testBucket = "biolake-raw"
	testRun    = "20260101_LH00123_0042_A22ABCDEF"
	testPrefix = "runs/novaseqx/" + testRun + "/"
)

// fakeObject is one object of fakeS3.
type fakeObject struct {
	body []byte
	// hideLength leaves ContentLength unset, as for a streamed answer.
	hideLength bool
	// breakAfter, when > 0, makes the first body fail after that many bytes.
	breakAfter int
}

// fakeS3 is a GetObject over a map of keys, counting calls and bytes served.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string]*fakeObject
	errs    map[string]error // key -> GetObject error
	calls   []string         // keys asked for, in order
	served  int              // body bytes read by the caller
	// resumeErr fails GetObjects with a Range.
	resumeErr error
}

func newFakeS3() *fakeS3 {
	return &fakeS3{objects: map[string]*fakeObject{}, errs: map[string]error{}}
}

func (f *fakeS3) put(key string, body []byte) *fakeObject {
	o := &fakeObject{body: body}
	f.objects[key] = o
	return o
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := aws.ToString(in.Key)
	f.calls = append(f.calls, key)
	if aws.ToString(in.Bucket) != testBucket {
		return nil, &types.NoSuchBucket{}
	}
	if err := f.errs[key]; err != nil {
		return nil, err
	}
	o, ok := f.objects[key]
	if !ok {
		return nil, &types.NoSuchKey{}
	}
	body := o.body
	if r := aws.ToString(in.Range); r != "" {
		if f.resumeErr != nil {
			return nil, f.resumeErr
		}
		var off int
		if _, err := fmt.Sscanf(r, "bytes=%d-", &off); err != nil || off > len(body) {
			return nil, fmt.Errorf("fake: bad range %q", r)
		}
		body = body[off:]
	}
	out := &s3.GetObjectOutput{ETag: aws.String(`"etag"`)}
	if !o.hideLength {
		out.ContentLength = aws.Int64(int64(len(body)))
	}
	var rd io.Reader = bytes.NewReader(body)
	if o.breakAfter > 0 && in.Range == nil {
		rd = io.MultiReader(io.LimitReader(bytes.NewReader(body), int64(o.breakAfter)), errReader{io.ErrUnexpectedEOF})
	}
	out.Body = io.NopCloser(&countingReader{r: rd, f: f})
	return out, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type countingReader struct {
	r io.Reader
	f *fakeS3
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.f.mu.Lock()
	c.f.served += n
	c.f.mu.Unlock()
	return n, err
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
}

func input() Input { return Input{RunID: testRun, Bucket: testBucket, Prefix: testPrefix} }

func TestSamplesSheetFoundUnderFirstName(t *testing.T) {
	f := newFakeS3()
	f.put(testPrefix+"SampleSheet.csv", testdata(t, "illumina_v2.csv"))
	f.put(testPrefix+"samplesheet.csv", testdata(t, "nfcore.csv"))
	h := &Handler{S3: f, Logger: quietLogger()}
	out, err := h.Samples(context.Background(), input())
	require.NoError(t, err)
	assert.Equal(t, Output{
		Samples: []string{"LIB-0001", "LIB-0002", "LIB-0003", "LIB-0004.rerun"},
		Source:  "s3://" + testBucket + "/" + testPrefix + "SampleSheet.csv",
	}, out)
	assert.Equal(t, []string{testPrefix + "SampleSheet.csv"}, f.calls, "the second name is not read when the first exists")
}

func TestSamplesSheetFoundUnderSecondName(t *testing.T) {
	f := newFakeS3()
	f.put(testPrefix+"samplesheet.csv", testdata(t, "nfcore.csv"))
	f.put("runs/novaseqx/other/SampleSheet.csv", testdata(t, "illumina_v1.csv"))
	h := &Handler{S3: f, Logger: quietLogger()}
	out, err := h.Samples(context.Background(), input())
	require.NoError(t, err)
	assert.Equal(t, Output{
		Samples: []string{"CONTROL_REP1", "TREATMENT_REP1", "TREATMENT_REP2"},
		Source:  "s3://" + testBucket + "/" + testPrefix + "samplesheet.csv",
	}, out)
	assert.Equal(t, []string{testPrefix + "SampleSheet.csv", testPrefix + "samplesheet.csv"}, f.calls)
}

func TestSamplesNoSheetRunIsOneItem(t *testing.T) {
	f := newFakeS3()
	f.put(testPrefix+"RunInfo.xml", []byte("<RunInfo/>"))
	f.put(testPrefix+"Data/SampleSheet.csv", []byte("sample\nNESTED\n")) // not directly under the prefix
	h := &Handler{S3: f, Logger: quietLogger()}
	out, err := h.Samples(context.Background(), input())
	require.NoError(t, err)
	assert.Equal(t, Output{Samples: []string{testRun}, Source: ""}, out)
	b, err := json.Marshal(out)
	require.NoError(t, err)
	assert.JSONEq(t, `{"samples":["`+testRun+`"],"source":""}`, string(b))
	assert.Equal(t, []string{testPrefix + "SampleSheet.csv", testPrefix + "samplesheet.csv"}, f.calls)
}

func TestSamplesNoSheetAndRunIDNotAnItem(t *testing.T) {
	in := input()
	in.RunID = "run 7/a"
	_, err := (&Handler{S3: newFakeS3(), Logger: quietLogger()}).Samples(context.Background(), in)
	var bad *ErrBadInput
	require.ErrorAs(t, err, &bad)
	assert.Contains(t, err.Error(), `runId "run 7/a": the run has no sample sheet`)
}

func TestSamplesStorageErrors(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}
	for name, setup := range map[string]func(f *fakeS3){
		"access denied on the first name": func(f *fakeS3) {
			f.errs[testPrefix+"SampleSheet.csv"] = denied
			f.put(testPrefix+"samplesheet.csv", []byte("sample\nS1\n"))
		},
		"access denied on the second name": func(f *fakeS3) {
			f.errs[testPrefix+"samplesheet.csv"] = denied
		},
		"no such bucket": func(f *fakeS3) {},
		"stream broken and resume denied": func(f *fakeS3) {
			f.put(testPrefix+"SampleSheet.csv", testdata(t, "illumina_v1.csv")).breakAfter = 100
			f.resumeErr = denied
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeS3()
			setup(f)
			in := input()
			if name == "no such bucket" {
				in.Bucket = "missing-bucket"
			}
			_, err := (&Handler{S3: f, Logger: quietLogger()}).Samples(context.Background(), in)
			var st *ErrStorage
			require.ErrorAs(t, err, &st)
			assert.Equal(t, "ErrStorage", handler.ErrorType(err))
			assert.Equal(t, "GetObject", st.Op)
			if name != "no such bucket" {
				assert.ErrorIs(t, err, denied)
			}
			if name == "access denied on the first name" {
				assert.Equal(t, []string{testPrefix + "SampleSheet.csv"}, f.calls, "a storage error on the first name stops the search")
			}
		})
	}
}

func TestSamplesStreamResumed(t *testing.T) {
	f := newFakeS3()
	f.put(testPrefix+"SampleSheet.csv", testdata(t, "illumina_v1.csv")).breakAfter = 700
	out, err := (&Handler{S3: f, Logger: quietLogger()}).Samples(context.Background(), input())
	require.NoError(t, err)
	assert.Equal(t, []string{"PT-001_T", "PT-001_N", "PT-002_T", "PT-002_N"}, out.Samples)
	assert.Len(t, f.calls, 2, "one GetObject and one ranged resume")
}

func TestSamplesTooLarge(t *testing.T) {
	sheet := testdata(t, "illumina_v1.csv")
	limit := int64(len(sheet) - 1)
	t.Run("size known", func(t *testing.T) {
		f := newFakeS3()
		f.put(testPrefix+"SampleSheet.csv", sheet)
		_, err := (&Handler{S3: f, Logger: quietLogger(), MaxSheetBytes: limit}).Samples(context.Background(), input())
		var big *ErrSampleSheetTooLarge
		require.ErrorAs(t, err, &big)
		assert.Equal(t, int64(len(sheet)), big.Size)
		assert.Equal(t, limit, big.Limit)
		assert.Equal(t, fmt.Sprintf("samples: sample sheet s3://%s/%sSampleSheet.csv is %d bytes, more than the limit of %d bytes", testBucket, testPrefix, len(sheet), limit), err.Error())
		assert.Zero(t, f.served, "nothing is read of a sheet known to be too large")
	})
	t.Run("size unknown", func(t *testing.T) {
		f := newFakeS3()
		f.put(testPrefix+"SampleSheet.csv", sheet).hideLength = true
		_, err := (&Handler{S3: f, Logger: quietLogger(), MaxSheetBytes: limit}).Samples(context.Background(), input())
		var big *ErrSampleSheetTooLarge
		require.ErrorAs(t, err, &big)
		assert.Equal(t, int64(-1), big.Size)
		assert.Contains(t, err.Error(), fmt.Sprintf("is more than the limit of %d bytes", limit))
		assert.LessOrEqual(t, int64(f.served), limit+1, "reading stops one byte past the limit")
	})
	t.Run("unknown size, huge stream", func(t *testing.T) {
		f := newFakeS3()
		huge := []byte("sample\n" + strings.Repeat("S1\n", 2<<20)) // 6 MiB
		f.put(testPrefix+"SampleSheet.csv", huge).hideLength = true
		_, err := (&Handler{S3: f, Logger: quietLogger(), MaxSheetBytes: 1 << 20}).Samples(context.Background(), input())
		var big *ErrSampleSheetTooLarge
		require.ErrorAs(t, err, &big)
		assert.LessOrEqual(t, f.served, 1<<20+1)
	})
	t.Run("exactly the limit", func(t *testing.T) {
		for _, hide := range []bool{false, true} {
			f := newFakeS3()
			f.put(testPrefix+"SampleSheet.csv", sheet).hideLength = hide
			out, err := (&Handler{S3: f, Logger: quietLogger(), MaxSheetBytes: int64(len(sheet))}).Samples(context.Background(), input())
			require.NoError(t, err)
			assert.Len(t, out.Samples, 4)
		}
	})
	t.Run("default limit", func(t *testing.T) {
		f := newFakeS3()
		f.put(testPrefix+"SampleSheet.csv", make([]byte, DefaultMaxSheetBytes+1))
		_, err := (&Handler{S3: f, Logger: quietLogger()}).Samples(context.Background(), input())
		var big *ErrSampleSheetTooLarge
		require.ErrorAs(t, err, &big)
		assert.Equal(t, int64(10<<20), big.Limit)
	})
}

func TestSamplesInvalidSheet(t *testing.T) {
	f := newFakeS3()
	f.put(testPrefix+"SampleSheet.csv", []byte("[Data]\nLane,Sample_ID\n1,S1\n1,PATIENT SMITH\n"))
	var logs bytes.Buffer
	h := &Handler{S3: f, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	_, err := h.Handle(context.Background(), json.RawMessage(`{"runId":"`+testRun+`","bucket":"`+testBucket+`","prefix":"`+testPrefix+`"}`))
	var inv *ErrSampleSheetInvalid
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, "s3://"+testBucket+"/"+testPrefix+"SampleSheet.csv", inv.Source)
	assert.Equal(t, 4, inv.Line)
	assert.Equal(t, `samples: sample sheet s3://`+testBucket+`/`+testPrefix+`SampleSheet.csv: line 4: "PATIENT SMITH": bad sample id: `+idRule, err.Error())
	assert.Contains(t, logs.String(), `"errorType":"ErrSampleSheetInvalid"`)
	assert.Contains(t, logs.String(), `"line":4`)
	assert.NotContains(t, logs.String(), "SMITH", "sheet content is not logged")
	assert.Equal(t, []string{testPrefix + "SampleSheet.csv"}, f.calls, "an invalid first sheet is not skipped for the second")
}

func TestSamplesLimits(t *testing.T) {
	t.Run("too many samples", func(t *testing.T) {
		f := newFakeS3()
		f.put(testPrefix+"samplesheet.csv", testdata(t, "nfcore.csv"))
		_, err := (&Handler{S3: f, Logger: quietLogger(), MaxSamples: 2}).Samples(context.Background(), input())
		var many *ErrTooManySamples
		require.ErrorAs(t, err, &many)
		assert.Equal(t, ErrTooManySamples{Source: "s3://" + testBucket + "/" + testPrefix + "samplesheet.csv", Count: 3, Limit: 2}, *many)
		assert.Equal(t, "ErrTooManySamples", handler.ErrorType(err))
	})
	t.Run("output over the payload limit", func(t *testing.T) {
		// 5000 ids of 100 characters are within MaxSamples but make a
		// 500 KiB output, over Step Functions' 256 KiB.
		var b strings.Builder
		b.WriteString("sample\n")
		for i := 0; i < DefaultMaxSamples; i++ {
			fmt.Fprintf(&b, "%0100d\n", i)
		}
		f := newFakeS3()
		f.put(testPrefix+"samplesheet.csv", []byte(b.String()))
		_, err := (&Handler{S3: f, Logger: quietLogger()}).Samples(context.Background(), input())
		var many *ErrTooManySamples
		require.ErrorAs(t, err, &many)
		assert.Equal(t, DefaultMaxSamples, many.Count)
		assert.Equal(t, DefaultMaxPayloadBytes, many.MaxBytes)
		assert.Greater(t, many.Bytes, 500_000)
		assert.Contains(t, err.Error(), "5000 samples make a")
	})
	t.Run("largest default output fits", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("sample\n")
		for i := 0; i < DefaultMaxSamples; i++ {
			fmt.Fprintf(&b, "SAMPLE_%05d\n", i)
		}
		f := newFakeS3()
		f.put(testPrefix+"samplesheet.csv", []byte(b.String()))
		out, err := (&Handler{S3: f, Logger: quietLogger()}).Samples(context.Background(), input())
		require.NoError(t, err)
		assert.Len(t, out.Samples, DefaultMaxSamples)
		assert.Equal(t, "SAMPLE_04999", out.Samples[DefaultMaxSamples-1])
	})
}

func TestHandleBadInput(t *testing.T) {
	for _, tc := range []struct{ name, raw, reason string }{
		{"not JSON", `runs/x/`, "want a JSON object"},
		{"not an object", `["a"]`, "want a JSON object"},
		{"wrong type", `{"runId":7,"bucket":"b","prefix":"p/"}`, "want a JSON object"},
		{"null", `null`, "missing runId, bucket, prefix"},
		{"empty object", `{}`, "missing runId, bucket, prefix"},
		{"no runId", `{"bucket":"b","prefix":"p/"}`, "missing runId"},
		{"blank bucket", `{"runId":"r","bucket":"  ","prefix":"p/"}`, "missing bucket"},
		{"no prefix", `{"runId":"r","bucket":"b"}`, "missing prefix"},
		{"prefix without slash", `{"runId":"r","bucket":"b","prefix":"runs/r"}`, `prefix "runs/r": want the run's folder, ending in "/"`},
		{"bucket as URL", `{"runId":"r","bucket":"s3://b","prefix":"p/"}`, `bucket "s3://b": want a bucket name`},
		{"prefix too long", `{"runId":"r","bucket":"b","prefix":"` + strings.Repeat("p", 1020) + `/"}`, "over S3's 1024-byte key limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeS3()
			var logs bytes.Buffer
			h := &Handler{S3: f, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
			out, err := h.Handle(context.Background(), json.RawMessage(tc.raw))
			var bad *ErrBadInput
			require.ErrorAs(t, err, &bad)
			assert.Contains(t, err.Error(), tc.reason)
			assert.Equal(t, "ErrBadInput", handler.ErrorType(err))
			assert.Nil(t, out.Samples)
			assert.Empty(t, f.calls, "nothing is read for bad input")
			assert.Contains(t, logs.String(), `"errorType":"ErrBadInput"`)
		})
	}
}

func TestHandleIgnoresOtherFieldsAndLogsCounts(t *testing.T) {
	f := newFakeS3()
	f.put(testPrefix+"SampleSheet.csv", testdata(t, "illumina_v1.csv"))
	var logs bytes.Buffer
	h := &Handler{S3: f, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	out, err := h.Handle(context.Background(), json.RawMessage(`{"runId":"`+testRun+`","bucket":"`+testBucket+`","prefix":"`+testPrefix+`","executionId":"arn:x"}`))
	require.NoError(t, err)
	b, err := json.Marshal(out)
	require.NoError(t, err)
	assert.JSONEq(t, `{"samples":["PT-001_T","PT-001_N","PT-002_T","PT-002_N"],"source":"s3://`+testBucket+`/`+testPrefix+`SampleSheet.csv"}`, string(b))
	var entry map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &entry))
	assert.Equal(t, map[string]any{"runId": testRun, "count": float64(4), "format": "illumina-v1", "source": out.Source},
		map[string]any{"runId": entry["runId"], "count": entry["count"], "format": entry["format"], "source": entry["source"]})
	assert.NotContains(t, logs.String(), "PT-001", "sample ids are not logged")
}

func TestBoundedReader(t *testing.T) {
	for _, tc := range []struct {
		size, limit int
		over        bool
	}{{0, 0, false}, {1, 0, true}, {10, 10, false}, {11, 10, true}, {5000, 4096, true}, {4096, 4096, false}} {
		br := &boundedReader{r: bytes.NewReader(make([]byte, tc.size)), n: int64(tc.limit)}
		b, err := io.ReadAll(br)
		if tc.over {
			assert.ErrorIs(t, err, errOverLimit, "%+v", tc)
			assert.LessOrEqual(t, len(b), tc.limit)
		} else {
			assert.NoError(t, err, "%+v", tc)
			assert.Len(t, b, tc.size)
		}
		assert.Equal(t, tc.over, br.over, "%+v", tc)
	}
	boom := errors.New("reset")
	br := &boundedReader{r: &failingReader{data: []byte("abc"), err: boom}, n: 100}
	_, err := io.ReadAll(br)
	assert.ErrorIs(t, err, boom)
	assert.ErrorIs(t, br.err, boom)
	assert.False(t, br.over)
}

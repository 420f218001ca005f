package s3read

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flaky serves one object; each body breaks after breakAfter bytes until
// breaks runs out.
type flaky struct {
	data       []byte
	version    string
	breakAfter int
	breaks     int
	calls      []*s3.GetObjectInput
	failOpen   error
}

type brokenBody struct {
	r    io.Reader
	left int
}

func (b *brokenBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errors.New("connection reset by peer")
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= n
	return n, err
}

func (f *flaky) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.calls = append(f.calls, in)
	if f.failOpen != nil {
		return nil, f.failOpen
	}
	if v := aws.ToString(in.VersionId); v != "" && v != f.version {
		return nil, &types.NoSuchKey{}
	}
	off := 0
	if rg := aws.ToString(in.Range); rg != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
		if err != nil {
			return nil, err
		}
		off = n
	}
	var body io.Reader = bytes.NewReader(f.data[off:])
	if f.breaks > 0 {
		f.breaks--
		body = &brokenBody{r: body, left: f.breakAfter}
	}
	out := &s3.GetObjectOutput{Body: io.NopCloser(body), ContentLength: aws.Int64(int64(len(f.data) - off)), ETag: aws.String(`"e"`)}
	if f.version != "" {
		out.VersionId = aws.String(f.version)
	}
	return out, nil
}

func TestResume(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10000)
	tests := []struct {
		name     string
		version  string
		breaks   int
		resumes  int
		wantErr  bool
		pinByTag bool
	}{
		{"no break", "v1", 0, -1, false, false},
		{"three breaks", "v1", 3, -1, false, false},
		{"unversioned: pinned by ETag", "", 2, -1, false, true},
		{"too many breaks", "v1", 10, 2, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &flaky{data: data, version: tc.version, breakAfter: 30001, breaks: tc.breaks}
			r, err := Open(context.Background(), f, "b", "k", tc.version, tc.resumes)
			require.NoError(t, err)
			got, err := io.ReadAll(r)
			require.NoError(t, r.Close())
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, data, got)
			assert.Equal(t, tc.breaks, r.Resumed)
			for i, in := range f.calls[1:] {
				assert.Equal(t, fmt.Sprintf("bytes=%d-", 30001*(i+1)), aws.ToString(in.Range))
				if tc.pinByTag {
					assert.Equal(t, `"e"`, aws.ToString(in.IfMatch))
				} else {
					assert.Equal(t, tc.version, aws.ToString(in.VersionId))
				}
			}
			assert.Equal(t, tc.version, r.VersionID())
			assert.EqualValues(t, len(data), r.Size())
		})
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(context.Background(), &flaky{version: "v1"}, "b", "k", "v2", -1)
	var nf *ErrNotFound
	require.ErrorAs(t, err, &nf)
	boom := errors.New("boom")
	_, err = Open(context.Background(), &flaky{failOpen: boom}, "b", "k", "", -1)
	assert.ErrorIs(t, err, boom)
	assert.True(t, IsNotFound(&types.NotFound{}))
	assert.False(t, IsNotFound(boom))
}

// Package s3read streams one S3 object version with GetObject and resumes
// after a broken connection: a read error in the middle of the body reopens
// the object at the offset reached (Range: bytes=N-), pinned to the version
// (or, for an unversioned object, the ETag) of the first response, so the
// bytes read are those of one object version however often the stream
// breaks. Memory use is what the caller's reads use; nothing is buffered.
package s3read

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// GetObjectAPI is the one S3 method a Reader needs.
type GetObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// DefaultResumes is the default number of times a Reader reopens the object.
const DefaultResumes = 5

// Reader reads an object version. It is not safe for concurrent use.
type Reader struct {
	ctx     context.Context
	client  GetObjectAPI
	bucket  string
	key     string
	version string // pinned version id, "" when the object has none
	etag    string // pinned ETag when there is no version id
	size    int64  // ContentLength of the first response, -1 when unknown
	body    io.ReadCloser
	off     int64
	resumes int
	// Resumed counts the reopenings, for logs.
	Resumed int
}

// ErrNotFound is returned by Open for a missing object or version.
type ErrNotFound struct {
	Bucket, Key, VersionID string
	Err                    error
}

func (e *ErrNotFound) Error() string {
	return fmt.Sprintf("s3read: s3://%s/%s (version %q) not found: %v", e.Bucket, e.Key, e.VersionID, e.Err)
}

func (e *ErrNotFound) Unwrap() error { return e.Err }

// Open starts reading s3://bucket/key at versionID ("" or "null" for the
// current version of an unversioned object). resumes < 0 means
// DefaultResumes. Errors: *ErrNotFound, or the S3 error.
func Open(ctx context.Context, client GetObjectAPI, bucket, key, versionID string, resumes int) (*Reader, error) {
	if resumes < 0 {
		resumes = DefaultResumes
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := client.GetObject(ctx, in)
	if err != nil {
		if IsNotFound(err) {
			return nil, &ErrNotFound{Bucket: bucket, Key: key, VersionID: versionID, Err: err}
		}
		return nil, err
	}
	r := &Reader{ctx: ctx, client: client, bucket: bucket, key: key, body: out.Body, resumes: resumes, size: -1}
	r.version = aws.ToString(out.VersionId)
	if r.version == "" {
		r.version = versionID
	}
	r.etag = aws.ToString(out.ETag)
	if out.ContentLength != nil {
		r.size = *out.ContentLength
	}
	return r, nil
}

// VersionID returns the version read ("" when the object has none).
func (r *Reader) VersionID() string { return r.version }

// Size returns the object's size from the first response, -1 when unknown.
func (r *Reader) Size() int64 { return r.size }

// Read implements io.Reader, reopening the object after a read error.
func (r *Reader) Read(p []byte) (int, error) {
	for {
		n, err := r.body.Read(p)
		r.off += int64(n)
		if err == nil || err == io.EOF {
			if err == io.EOF && r.size >= 0 && r.off < r.size {
				err = io.ErrUnexpectedEOF // a body cut short: resume
			} else {
				return n, err
			}
		}
		if r.ctx.Err() != nil || r.resumes == 0 {
			return n, err
		}
		if n > 0 {
			// Hand over what was read; the next Read resumes.
			r.reopenLater(err)
			return n, nil
		}
		if rerr := r.reopen(err); rerr != nil {
			return 0, rerr
		}
	}
}

// reopenLater swaps the body for one that fails at once, so that the next
// Read goes through reopen.
func (r *Reader) reopenLater(cause error) {
	r.body.Close()
	r.body = io.NopCloser(errReader{cause})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func (r *Reader) reopen(cause error) error {
	r.body.Close()
	r.resumes--
	r.Resumed++
	in := &s3.GetObjectInput{
		Bucket: aws.String(r.bucket), Key: aws.String(r.key),
		Range: aws.String(fmt.Sprintf("bytes=%d-", r.off)),
	}
	if r.version != "" {
		in.VersionId = aws.String(r.version)
	} else if r.etag != "" {
		in.IfMatch = aws.String(r.etag)
	}
	out, err := r.client.GetObject(r.ctx, in)
	if err != nil {
		r.body = io.NopCloser(errReader{err})
		return fmt.Errorf("s3read: resume s3://%s/%s at byte %d after %v: %w", r.bucket, r.key, r.off, cause, err)
	}
	r.body = out.Body
	return nil
}

// Close closes the current body.
func (r *Reader) Close() error { return r.body.Close() }

// IsNotFound reports whether err is S3's answer for a missing key or version.
func IsNotFound(err error) bool {
	var nf *types.NotFound
	var nsk *types.NoSuchKey
	if errors.As(err, &nf) || errors.As(err, &nsk) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NotFound", "NoSuchKey", "NoSuchVersion", "404":
			return true
		}
	}
	return false
}

package catalogexport

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// UploadAPI is what the Exporter needs of an *s3.Client: PutObject for a
// file smaller than one part, multipart upload otherwise.
type UploadAPI interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, in *s3.UploadPartInput, opts ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

const contentType = "application/vnd.apache.parquet"

// uploadWriter uploads what is written to it, one part at a time: memory is
// one part. A file that fits one part is sent with a single PutObject.
type uploadWriter struct {
	ctx      context.Context
	api      UploadAPI
	bucket   string
	key      string
	partSize int
	buf      []byte
	uploadID *string
	parts    []types.CompletedPart
	err      error
	done     bool
}

func newUploadWriter(ctx context.Context, api UploadAPI, bucket, key string, partSize int) *uploadWriter {
	return &uploadWriter{ctx: ctx, api: api, bucket: bucket, key: key, partSize: partSize, buf: make([]byte, 0, partSize)}
}

func (u *uploadWriter) Write(p []byte) (int, error) {
	if u.err != nil {
		return 0, u.err
	}
	written := 0
	for len(p) > 0 {
		n := min(len(p), u.partSize-len(u.buf))
		u.buf = append(u.buf, p[:n]...)
		p, written = p[n:], written+n
		if len(u.buf) == u.partSize {
			if err := u.sendPart(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

func (u *uploadWriter) sendPart() error {
	if u.uploadID == nil {
		out, err := u.api.CreateMultipartUpload(u.ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(u.bucket), Key: aws.String(u.key), ContentType: aws.String(contentType),
		})
		if err != nil {
			u.err = fmt.Errorf("CreateMultipartUpload: %w", err)
			return u.err
		}
		u.uploadID = out.UploadId
	}
	n := int32(len(u.parts) + 1)
	out, err := u.api.UploadPart(u.ctx, &s3.UploadPartInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: u.uploadID, PartNumber: aws.Int32(n),
		Body: bytes.NewReader(u.buf), ContentLength: aws.Int64(int64(len(u.buf))),
	})
	if err != nil {
		u.err = fmt.Errorf("UploadPart %d: %w", n, err)
		u.Abort()
		return u.err
	}
	u.parts = append(u.parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
	u.buf = u.buf[:0]
	return nil
}

// Close uploads what is left and completes the upload.
func (u *uploadWriter) Close() error {
	if u.err != nil {
		return u.err
	}
	if u.done {
		return nil
	}
	u.done = true
	if u.uploadID == nil {
		_, err := u.api.PutObject(u.ctx, &s3.PutObjectInput{
			Bucket: aws.String(u.bucket), Key: aws.String(u.key), ContentType: aws.String(contentType),
			Body: bytes.NewReader(u.buf), ContentLength: aws.Int64(int64(len(u.buf))),
		})
		if err != nil {
			u.err = fmt.Errorf("PutObject: %w", err)
		}
		return u.err
	}
	if len(u.buf) > 0 {
		if err := u.sendPart(); err != nil {
			return err
		}
	}
	_, err := u.api.CompleteMultipartUpload(u.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: u.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts},
	})
	if err != nil {
		u.err = fmt.Errorf("CompleteMultipartUpload: %w", err)
		u.Abort()
	}
	return u.err
}

// Abort abandons a multipart upload (best effort).
func (u *uploadWriter) Abort() {
	if u.uploadID == nil || u.done && u.err == nil {
		return
	}
	_, _ = u.api.AbortMultipartUpload(context.WithoutCancel(u.ctx), &s3.AbortMultipartUploadInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: u.uploadID,
	})
	u.uploadID = nil
}

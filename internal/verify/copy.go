package verify

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// copyAll copies every object from under prefix to under dst with a few
// workers, and returns how many were copied.
func (v *Verifier) copyAll(ctx context.Context, bucket string, objs []entryInfo, prefix, dst string, workers int) (int, error) {
	var (
		mu     sync.Mutex
		copied int
		first  error
		wg     sync.WaitGroup
	)
	ch := make(chan entryInfo)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range ch {
				err := v.copy(ctx, bucket, o, dst+strings.TrimPrefix(o.key, prefix))
				mu.Lock()
				if err != nil && first == nil {
					first = err
				} else if err == nil {
					copied++
				}
				mu.Unlock()
			}
		}()
	}
	for _, o := range objs {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			break
		}
		ch <- o
	}
	close(ch)
	wg.Wait()
	return copied, first
}

// copy copies one object version to dst in the same bucket, in parts when
// it is larger than CopyPartBytes. CopyObject copies metadata and tags (the
// data-class tag); a multipart copy copies the tags explicitly.
func (v *Verifier) copy(ctx context.Context, bucket string, src entryInfo, dst string) error {
	source := url.PathEscape(bucket) + "/" + escapeKey(src.key)
	if src.versionID != "" && src.versionID != "null" {
		source += "?versionId=" + url.QueryEscape(src.versionID)
	}
	part := v.CopyPartBytes
	if part <= 0 {
		part = 5 << 30
	}
	if src.size <= part {
		_, err := v.S3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(dst), CopySource: aws.String(source),
			MetadataDirective: types.MetadataDirectiveCopy, TaggingDirective: types.TaggingDirectiveCopy,
		})
		if err != nil {
			return &ErrS3{Op: "CopyObject", Key: src.key, Err: err}
		}
		return nil
	}
	create := &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(dst)}
	tin := &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(src.key)}
	if src.versionID != "" && src.versionID != "null" {
		tin.VersionId = aws.String(src.versionID)
	}
	tags, err := v.S3.GetObjectTagging(ctx, tin)
	if err != nil {
		return &ErrS3{Op: "GetObjectTagging", Key: src.key, Err: err}
	}
	if len(tags.TagSet) > 0 {
		q := url.Values{}
		for _, t := range tags.TagSet {
			q.Set(aws.ToString(t.Key), aws.ToString(t.Value))
		}
		create.Tagging = aws.String(q.Encode())
	}
	up, err := v.S3.CreateMultipartUpload(ctx, create)
	if err != nil {
		return &ErrS3{Op: "CreateMultipartUpload", Key: dst, Err: err}
	}
	abort := func(err error) error {
		_, _ = v.S3.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(dst), UploadId: up.UploadId})
		return err
	}
	var parts []types.CompletedPart
	for n, off := int32(1), int64(0); off < src.size; n, off = n+1, off+part {
		end := min(off+part, src.size) - 1
		p, err := v.S3.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: aws.String(bucket), Key: aws.String(dst), UploadId: up.UploadId, PartNumber: aws.Int32(n),
			CopySource: aws.String(source), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		})
		if err != nil {
			return abort(&ErrS3{Op: "UploadPartCopy", Key: dst, Err: err})
		}
		cp := types.CompletedPart{PartNumber: aws.Int32(n)}
		if p.CopyPartResult != nil {
			cp.ETag = p.CopyPartResult.ETag
		}
		parts = append(parts, cp)
	}
	_, err = v.S3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(dst), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return abort(&ErrS3{Op: "CompleteMultipartUpload", Key: dst, Err: err})
	}
	return nil
}

// escapeKey URL-encodes each segment of a key for x-amz-copy-source.
func escapeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		// '+' as %2B: it means '+' whether the server decodes '+' as a space
		// or not.
		parts[i] = strings.ReplaceAll(url.PathEscape(p), "+", "%2B")
	}
	return strings.Join(parts, "/")
}

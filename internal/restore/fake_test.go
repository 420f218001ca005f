package restore

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// fakeObject is an object in the fake bucket.
type fakeObject struct {
	class    s3types.StorageClass
	archive  s3types.ArchiveStatus // Intelligent-Tiering
	restore  string                // x-amz-restore
	version  string
	missing  bool
	restores []*s3.RestoreObjectInput
}

// fakeS3 serves HeadObject, RestoreObject and ListObjectsV2 from a map.
type fakeS3 struct {
	mu         sync.Mutex
	objects    map[string]*fakeObject
	restoreErr map[string]error
	headErr    error
	heads      int
	lists      int
	// onHead runs before each HeadObject answer (to change state mid-task).
	onHead func(key string, n int)
}

func newS3() *fakeS3 {
	return &fakeS3{objects: map[string]*fakeObject{}, restoreErr: map[string]error{}}
}

func (f *fakeS3) put(key string, o *fakeObject) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o.version == "" {
		o.version = "v-" + key
	}
	f.objects[key] = o
}

func (f *fakeS3) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.mu.Lock()
	f.heads++
	n := f.heads
	hook := f.onHead
	f.mu.Unlock()
	if hook != nil {
		hook(aws.ToString(in.Key), n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.headErr != nil {
		return nil, f.headErr
	}
	o, ok := f.objects[aws.ToString(in.Key)]
	if !ok || o.missing {
		return nil, &smithy.GenericAPIError{Code: "NotFound", Message: "Not Found"}
	}
	out := &s3.HeadObjectOutput{StorageClass: o.class, ArchiveStatus: o.archive, VersionId: aws.String(o.version)}
	if o.restore != "" {
		out.Restore = aws.String(o.restore)
	}
	return out, nil
}

func (f *fakeS3) RestoreObject(_ context.Context, in *s3.RestoreObjectInput, _ ...func(*s3.Options)) (*s3.RestoreObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := aws.ToString(in.Key)
	if err := f.restoreErr[k]; err != nil {
		return nil, err
	}
	o := f.objects[k]
	o.restores = append(o.restores, in)
	if strings.Contains(o.restore, "true") {
		return nil, &smithy.GenericAPIError{Code: "RestoreAlreadyInProgress", Message: "in progress"}
	}
	o.restore = `ongoing-request="true"`
	return &s3.RestoreObjectOutput{}, nil
}

func (f *fakeS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	var keys []string
	for k := range f.objects {
		if strings.HasPrefix(k, aws.ToString(in.Prefix)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	start := 0
	if t := aws.ToString(in.ContinuationToken); t != "" {
		fmt.Sscan(t, &start)
	}
	end := min(start+2, len(keys)) // pages of 2
	out := &s3.ListObjectsV2Output{IsTruncated: aws.Bool(end < len(keys))}
	if end < len(keys) {
		out.NextContinuationToken = aws.String(fmt.Sprint(end))
	}
	for _, k := range keys[start:end] {
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(k), StorageClass: s3types.ObjectStorageClass(f.objects[k].class)})
	}
	return out, nil
}

// complete finishes a running restore, as S3 does hours later.
func (f *fakeS3) complete(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.objects[key]
	if o.class == s3types.StorageClassIntelligentTiering {
		o.archive, o.restore = "", ""
		return
	}
	o.restore = `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`
}

// fakeSFN records the task outcomes.
type fakeSFN struct {
	mu         sync.Mutex
	successes  []*sfn.SendTaskSuccessInput
	failures   []*sfn.SendTaskFailureInput
	successErr []error
	closed     map[string]bool // tokens told already: Step Functions rejects them
}

func (f *fakeSFN) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.successErr) > 0 {
		err := f.successErr[0]
		f.successErr = f.successErr[1:]
		if err != nil {
			return nil, err
		}
	}
	if f.closed[aws.ToString(in.TaskToken)] {
		return nil, &sfntypes.TaskTimedOut{Message: aws.String("Task Timed Out")}
	}
	if f.closed == nil {
		f.closed = map[string]bool{}
	}
	f.closed[aws.ToString(in.TaskToken)] = true
	f.successes = append(f.successes, in)
	return &sfn.SendTaskSuccessOutput{}, nil
}

func (f *fakeSFN) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, in)
	return &sfn.SendTaskFailureOutput{}, nil
}

package ingest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/url"
	"strings"
	"sync"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/biolake/biolake/internal/dataclass"
)

// genObject is one object of a generated run folder.
type genObject struct {
	Key       string
	Size      int64
	ETag      string
	VersionID string
	Sequencer string
	Body      []byte // only for the manifest
}

// genRun is a generated NovaSeq-X-like run folder.
type genRun struct {
	Bucket   string
	RunID    string
	Prefix   string
	Data     []genObject
	Markers  []genObject
	Manifest genObject
}

// All returns every object in the order an instrument writes them: data,
// then the manifest, then the markers.
func (g genRun) All() []genObject {
	out := append([]genObject(nil), g.Data...)
	out = append(out, g.Manifest)
	return append(out, g.Markers...)
}

func (g genRun) TotalBytes() int64 {
	var n int64
	for _, o := range g.Data {
		n += o.Size
	}
	return n
}

// generateRun makes a run folder of about nData data files under
// "runs/<runID>/": lanes, cycles and tiles of base calls, InterOp, thumbnails,
// and FASTQs whose names hold spaces, '+', '%' and non-ASCII letters.
func generateRun(rng *rand.Rand, bucket, runID string, nData int) genRun {
	g := genRun{Bucket: bucket, RunID: runID, Prefix: "runs/" + runID + "/"}
	seq := int64(0x00617F0829000000)
	obj := func(rel string) genObject {
		seq += int64(rng.Intn(1000) + 1)
		size := int64(rng.Intn(1<<20) + 1)
		sum := md5.Sum([]byte(rel))
		return genObject{
			Key: g.Prefix + rel, Size: size, ETag: hex.EncodeToString(sum[:]),
			VersionID: fmt.Sprintf("v%016x", rng.Uint64()), Sequencer: fmt.Sprintf("%018X", seq),
		}
	}
	var rels []string
	rels = append(rels, "RunInfo.xml", "RunParameters.xml", "SampleSheet.csv", "InterOp/Tile Metrics+Out%.bin", "InterOp/ErrorMetricsOut.bin")
	for s := 1; s <= 4; s++ {
		rels = append(rels,
			fmt.Sprintf("Analysis/1/Data/fastq/Sample %02d+A%%20_S%d_L001_R1_001.fastq.gz", s, s),
			fmt.Sprintf("Analysis/1/Data/fastq/Échantillon_样本_%02d_S%d_L001_R2_001.fastq.gz", s, s),
		)
	}
	rels = append(rels, "Analysis/1/CopyComplete.txt") // nested: data, not the marker
	for lane := 1; len(rels) < nData; lane++ {
		for cycle := 1; cycle <= 150 && len(rels) < nData; cycle++ {
			for _, surface := range []int{1, 2} {
				rels = append(rels, fmt.Sprintf("Data/Intensities/BaseCalls/L%03d/C%d.1/L%03d_%d.cbcl", lane, cycle, lane, surface))
			}
		}
		rels = append(rels, fmt.Sprintf("Thumbnail_Images/L%03d/C1.1/s_%d_1101_green.jpg", lane, lane))
	}
	rels = rels[:nData]
	var man strings.Builder
	man.WriteString("# sha256 of every data file of " + runID + "\n")
	for _, rel := range rels {
		o := obj(rel)
		g.Data = append(g.Data, o)
		h := sha256.Sum256([]byte(o.Key))
		man.WriteString(hex.EncodeToString(h[:]) + "  " + rel + "\n")
	}
	for _, m := range []string{"RTAComplete.txt", "RunCompletionStatus.xml", "CopyComplete.txt"} {
		g.Markers = append(g.Markers, obj(m))
	}
	g.Manifest = obj("manifest.sha256")
	g.Manifest.Body = []byte(man.String())
	g.Manifest.Size = int64(len(g.Manifest.Body))
	return g
}

// s3Escape URL-encodes a key as S3 event notifications do ('+' for space).
func s3Escape(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.QueryEscape(p)
	}
	return strings.Join(parts, "/")
}

// eventBridgeBody is an EventBridge "Object Created" event for o, its key
// form-encoded as S3 encodes it.
func eventBridgeBody(bucket string, o genObject, at time.Time) string {
	return eventBridgeBodyKey(bucket, o, s3Escape(o.Key), at)
}

// eventBridgeBodyKey is an EventBridge "Object Created" event for o whose
// detail.object.key is key.
func eventBridgeBodyKey(bucket string, o genObject, key string, at time.Time) string {
	ev := map[string]any{
		"version": "0", "id": "id-" + o.Sequencer, "detail-type": "Object Created", "source": "aws.s3",
		"account": "123456789012", "time": at.Format(time.RFC3339), "region": "eu-west-1",
		"resources": []string{"arn:aws:s3:::" + bucket},
		"detail": map[string]any{
			"version": "0", "bucket": map[string]any{"name": bucket},
			"object":     map[string]any{"key": key, "size": o.Size, "etag": o.ETag, "version-id": o.VersionID, "sequencer": o.Sequencer},
			"request-id": "req", "requester": "123456789012", "reason": "PutObject",
		},
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

// notificationBody is an S3 event notification for o (URL-encoded key).
func notificationBody(bucket string, o genObject, at time.Time) string {
	ev := map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1",
		"eventTime": at.Format(time.RFC3339Nano), "eventName": "ObjectCreated:Put",
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "bucket": map[string]any{"name": bucket},
			"object": map[string]any{"key": s3Escape(o.Key), "size": o.Size, "eTag": o.ETag, "versionId": o.VersionID, "sequencer": o.Sequencer},
		},
	}}}
	b, _ := json.Marshal(ev)
	return string(b)
}

// messages returns one SQS message per object, alternating EventBridge and
// S3 notification bodies.
func messages(g genRun, objs []genObject, at time.Time) []lambdaevents.SQSMessage {
	out := make([]lambdaevents.SQSMessage, len(objs))
	for i, o := range objs {
		body := eventBridgeBody(g.Bucket, o, at)
		if i%2 == 1 {
			body = notificationBody(g.Bucket, o, at)
		}
		out[i] = lambdaevents.SQSMessage{MessageId: fmt.Sprintf("m-%s-%d", o.Sequencer, i), Body: body}
	}
	return out
}

// fakeS3 serves GetObject from memory, records PutObjectTagging, and counts
// calls.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string][]byte // bucket/key -> body
	calls   int               // GetObject
	err     error
	heads   int // HeadObject
	headErr error

	tagCalls    int
	tagErr      error
	tags        map[string]map[string]string // key -> tag set
	tagVersions map[string]string            // key -> version id tagged
}

func (f *fakeS3) PutObjectTagging(_ context.Context, in *s3.PutObjectTaggingInput, _ ...func(*s3.Options)) (*s3.PutObjectTaggingOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tagCalls++
	if f.tagErr != nil {
		return nil, f.tagErr
	}
	if f.tags == nil {
		f.tags, f.tagVersions = map[string]map[string]string{}, map[string]string{}
	}
	set := map[string]string{}
	for _, t := range in.Tagging.TagSet {
		set[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	f.tags[aws.ToString(in.Key)] = set
	f.tagVersions[aws.ToString(in.Key)] = aws.ToString(in.VersionId)
	return &s3.PutObjectTaggingOutput{}, nil
}

// tagsByKey returns key -> data-class tag value.
func (f *fakeS3) tagsByKey() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, set := range f.tags {
		out[k] = set[dataclass.Tag]
	}
	return out
}

// classified returns key -> data class of the run's data objects that have
// one (default classes).
func (g genRun) classified() map[string]string {
	out := map[string]string{}
	for _, o := range g.Data {
		if c, ok := dataclass.ClassOf(o.Key, nil); ok {
			out[o.Key] = c
		}
	}
	return out
}

// HeadObject answers for the objects put (any version), NotFound for others.
func (f *fakeS3) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.heads++
	if f.headErr != nil {
		return nil, f.headErr
	}
	b, ok := f.objects[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)]
	if !ok {
		return nil, &s3types.NotFound{}
	}
	return &s3.HeadObjectOutput{ContentLength: aws.Int64(int64(len(b))), VersionId: in.VersionId}, nil
}

// putRun puts every object of g (data and markers with empty bodies).
func (f *fakeS3) putRun(g genRun) {
	for _, o := range g.All() {
		if o.Body == nil {
			f.put(g.Bucket, o.Key, []byte{})
		}
	}
	f.put(g.Bucket, g.Manifest.Key, g.Manifest.Body)
}

func (f *fakeS3) put(bucket, key string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.objects == nil {
		f.objects = map[string][]byte{}
	}
	f.objects[bucket+"/"+key] = body
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	b, ok := f.objects[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)]
	if !ok {
		return nil, fmt.Errorf("NoSuchKey: %s", aws.ToString(in.Key))
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b)), ContentLength: aws.Int64(int64(len(b)))}, nil
}

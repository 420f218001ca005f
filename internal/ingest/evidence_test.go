package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/events"
)

const (
	taskARN = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
	locARN  = "arn:aws:datasync:eu-west-1:123456789012:location/loc-0123456789abcdef0"
)

// fakeDataSync answers for one task writing to one S3 location.
type fakeDataSync struct {
	uri      string
	verify   dstypes.VerifyMode
	includes []dstypes.FilterRule
	endTime  *time.Time
	calls    int
}

func (f *fakeDataSync) DescribeTaskExecution(_ context.Context, in *datasync.DescribeTaskExecutionInput, _ ...func(*datasync.Options)) (*datasync.DescribeTaskExecutionOutput, error) {
	f.calls++
	return &datasync.DescribeTaskExecutionOutput{
		TaskExecutionArn: in.TaskExecutionArn, Status: dstypes.TaskExecutionStatusSuccess,
		Options: &dstypes.Options{VerifyMode: f.verify}, Includes: f.includes, EndTime: f.endTime,
	}, nil
}

func (f *fakeDataSync) DescribeTask(_ context.Context, in *datasync.DescribeTaskInput, _ ...func(*datasync.Options)) (*datasync.DescribeTaskOutput, error) {
	f.calls++
	if aws.ToString(in.TaskArn) != taskARN {
		return nil, &dstypes.InvalidRequestException{Message: aws.String("no such task")}
	}
	return &datasync.DescribeTaskOutput{TaskArn: in.TaskArn, DestinationLocationArn: aws.String(locARN)}, nil
}

func (f *fakeDataSync) DescribeLocationS3(_ context.Context, in *datasync.DescribeLocationS3Input, _ ...func(*datasync.Options)) (*datasync.DescribeLocationS3Output, error) {
	f.calls++
	return &datasync.DescribeLocationS3Output{LocationArn: in.LocationArn, LocationUri: aws.String(f.uri)}, nil
}

// dataSyncMessage is the EventBridge event of a task execution's state
// change, as the DataSync construct forwards it to the platform bus.
func dataSyncMessage(state string, at time.Time) lambdaevents.SQSMessage {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "ds-" + state + at.Format("150405"), "detail-type": DataSyncDetailType, "source": DataSyncSource,
		"account": "123456789012", "time": at.Format(time.RFC3339), "region": "eu-west-1",
		"resources": []string{taskARN + "/execution/exec-0123456789abcdef0"},
		"detail":    map[string]any{"State": state},
	})
	return lambdaevents.SQSMessage{MessageId: "ds-" + state + at.String(), Body: string(b)}
}

func scheduleMessage(at time.Time) lambdaevents.SQSMessage {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "sched-" + at.Format(time.RFC3339), "detail-type": ScheduleDetailType, "source": ScheduleSource,
		"account": "123456789012", "time": at.Format(time.RFC3339), "region": "eu-west-1",
		"resources": []string{"arn:aws:events:eu-west-1:123456789012:rule/sweep"}, "detail": map[string]any{},
	})
	return lambdaevents.SQSMessage{MessageId: "sched-" + at.String(), Body: string(b)}
}

// dataSyncRun is a run without a manifest on the DataSync channel whose
// markers S3 created at markersAt.
func dataSyncRun(t *testing.T, f *fixture, markersAt time.Time) (genRun, []lambdaevents.SQSMessage) {
	f.h.Resolver = mustRules(t, `[{"prefix":"runs/","profile":"novaseq-x","channel":"datasync"}]`)
	g := generateRun(rand.New(rand.NewSource(5)), "raw", "240101_LH1_0002_BBBB", 12)
	f.s3.putRun(g)
	msgs := messages(g, g.Data, markersAt.Add(-time.Minute))
	return g, append(msgs, messages(g, g.Markers, markersAt)...)
}

// TestDataSyncEvidence: a run without a manifest is complete only when a
// successful, verified DataSync task execution of a location holding it
// ended after its markers were created, whichever arrives first.
func TestDataSyncEvidence(t *testing.T) {
	markersAt := t0.Add(time.Hour)
	for _, tc := range []struct {
		name  string
		first string // "run" or "datasync"
		ended time.Time
		uri   string
		mut   func(*fakeDataSync)
		want  bool
	}{
		{"run first", "run", markersAt.Add(time.Minute), "s3://raw/runs/", nil, true},
		{"evidence first", "datasync", markersAt.Add(time.Minute), "s3://raw/runs/", nil, true},
		{"whole bucket location", "run", markersAt.Add(time.Minute), "s3://raw/", nil, true},
		{"ended before the markers", "run", markersAt.Add(-time.Minute), "s3://raw/runs/", nil, false},
		{"ended before the markers, evidence first", "datasync", markersAt.Add(-time.Minute), "s3://raw/runs/", nil, false},
		{"another location", "run", markersAt.Add(time.Minute), "s3://raw/other/", nil, false},
		{"another bucket", "run", markersAt.Add(time.Minute), "s3://curated/runs/", nil, false},
		{"not verified", "run", markersAt.Add(time.Minute), "s3://raw/runs/", func(d *fakeDataSync) { d.verify = dstypes.VerifyModeNone }, false},
		{"part of the location", "run", markersAt.Add(time.Minute), "s3://raw/runs/", func(d *fakeDataSync) {
			d.includes = []dstypes.FilterRule{{FilterType: dstypes.FilterTypeSimplePattern, Value: aws.String("/x")}}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			ds := &fakeDataSync{uri: tc.uri, verify: dstypes.VerifyModePointInTimeConsistent}
			if tc.mut != nil {
				tc.mut(ds)
			}
			f.h.DataSync = ds
			// One record at a time: the run's data events are delivered
			// before its markers, so the count is exact. Within a batch
			// handled concurrently, a run whose evidence came first
			// completes when its markers are recorded and may count fewer
			// objects than were still in flight (docs/EVENTS.md).
			f.h.Concurrency = 1
			g, run := dataSyncRun(t, f, markersAt)
			evidence := []lambdaevents.SQSMessage{dataSyncMessage("TRANSFERRING", tc.ended.Add(-time.Minute)), dataSyncMessage("SUCCESS", tc.ended)}
			if tc.first == "run" {
				require.Empty(t, f.deliver(t, run))
				assert.Empty(t, f.pub.Of(events.DetailTypeRunCompleted), "no evidence yet")
				require.Empty(t, f.deliver(t, evidence))
			} else {
				require.Empty(t, f.deliver(t, evidence))
				require.Empty(t, f.deliver(t, run))
			}
			// A redelivered SUCCESS changes nothing.
			require.Empty(t, f.deliver(t, evidence[1:]))
			rc := f.pub.Of(events.DetailTypeRunCompleted)
			if !tc.want {
				assert.Empty(t, rc)
				return
			}
			require.Len(t, rc, 1)
			got := rc[0].(*events.RunCompleted)
			assert.Equal(t, events.VerifiedByDataSync, got.Evidence)
			assert.Empty(t, got.ManifestKey)
			assert.EqualValues(t, len(g.Data), got.ObjectCount)
			var pending int
			require.NoError(t, f.store.Pending(context.Background(), func(p catalog.Pending) error { pending++; return nil }))
			assert.Zero(t, pending, "the completed run left the pending index")
		})
	}
}

// TestSettleWindow: a rule on another channel that opts in to a settle
// window completes a Ready run without a manifest when no new object has
// arrived for the window; a new object restarts it.
func TestSettleWindow(t *testing.T) {
	f := newFixture(t, nil)
	f.h.Resolver = mustRules(t, `[{"prefix":"drop/","profile":"generic","markers":["DONE"],"channel":"filegateway","settleAfterSeconds":3600}]`)
	now := t0
	f.h.Now = func() time.Time { return now }
	g := genRun{Bucket: "shared"}
	objs := []genObject{
		{Key: "drop/d1/DONE", VersionID: "null", Sequencer: "01"},
		{Key: "drop/d1/a.csv", Size: 5, VersionID: "null", Sequencer: "02"},
		{Key: "drop/d1/b.csv", Size: 7, VersionID: "null", Sequencer: "03"},
	}
	msgs := messages(g, objs, t0)
	require.Empty(t, f.deliver(t, msgs[:2]))
	now = t0.Add(59 * time.Minute)
	require.Empty(t, f.deliver(t, msgs[2:])) // the window restarts
	now = t0.Add(90 * time.Minute)
	require.Empty(t, f.deliver(t, []lambdaevents.SQSMessage{scheduleMessage(now)}))
	assert.Empty(t, f.pub.Of(events.DetailTypeRunCompleted), "31 minutes since the last object")
	now = t0.Add(59*time.Minute + time.Hour)
	require.Empty(t, f.deliver(t, []lambdaevents.SQSMessage{scheduleMessage(now), scheduleMessage(now.Add(time.Second))}))
	rc := f.pub.Of(events.DetailTypeRunCompleted)
	require.Len(t, rc, 1)
	got := rc[0].(*events.RunCompleted)
	assert.Equal(t, events.VerifiedBySettled, got.Evidence)
	assert.EqualValues(t, 2, got.ObjectCount)
	assert.EqualValues(t, 12, got.TotalBytes)
}

// TestAmbiguousKeys: an object whose key holds '+', '%', spaces and
// accents is recorded under its real key whether its event carries the key
// encoded (as S3 does) or not, and the handler logs when the raw key
// matched.
func TestAmbiguousKeys(t *testing.T) {
	g := genRun{Bucket: "raw", RunID: "r1", Prefix: "runs/r1/"}
	keys := []string{"runs/r1/Logs/run+log 2026+11+28 (copy).txt", "runs/r1/Logs/100%done.txt", "runs/r1/Logs/métriques_é.csv", "runs/r1/Logs/a%2Bb.txt"}
	var objs []genObject
	for i, k := range keys {
		objs = append(objs, genObject{Key: k, Size: int64(i + 1), VersionID: fmt.Sprintf("v%d", i), Sequencer: fmt.Sprintf("%02d", i)})
	}
	deliveries := map[string]func(genObject) string{
		"encoded":      func(o genObject) string { return eventBridgeBody(g.Bucket, o, t0) },
		"plain":        func(o genObject) string { return eventBridgeBodyKey(g.Bucket, o, o.Key, t0) },
		"notification": func(o genObject) string { return notificationBody(g.Bucket, o, t0) },
	}
	var want map[string]bool
	for name, body := range deliveries {
		f := newFixture(t, nil)
		for _, o := range objs {
			f.s3.put(g.Bucket, o.Key, []byte("x"))
		}
		var msgs []lambdaevents.SQSMessage
		for i, o := range objs {
			msgs = append(msgs, lambdaevents.SQSMessage{MessageId: fmt.Sprint(i), Body: body(o)})
		}
		require.Empty(t, f.deliver(t, msgs), name)
		_, got := f.store.Snapshot()
		keys := map[string]bool{}
		for _, o := range got {
			keys[o.Key] = true
		}
		if want == nil {
			want = keys
			for _, k := range []string{"runs/r1/Logs/run+log 2026+11+28 (copy).txt", "runs/r1/Logs/100%done.txt", "runs/r1/Logs/métriques_é.csv", "runs/r1/Logs/a%2Bb.txt"} {
				assert.True(t, keys[k], "%s: %s recorded", name, k)
			}
		}
		assert.Equal(t, want, keys, name)
		if name == "plain" {
			assert.Contains(t, f.logs.String(), "object found under the event's raw key")
		}
	}

	// A failing HeadObject fails the record alone; it is retried.
	f := newFixture(t, nil)
	f.s3.headErr = errors.New("SlowDown")
	failed := f.deliver(t, []lambdaevents.SQSMessage{
		{MessageId: "amb", Body: eventBridgeBody(g.Bucket, objs[0], t0)},
		{MessageId: "ok", Body: eventBridgeBody(g.Bucket, genObject{Key: "runs/r1/plain.txt", VersionID: "v9", Sequencer: "09"}, t0)},
	})
	require.Len(t, failed, 1)
	assert.Equal(t, "amb", failed[0].MessageId)
	assert.True(t, strings.Contains(f.logs.String(), "ErrKeyLookup"))
}

// TestDataSyncEventsAreChecked: malformed DataSync events fail alone with a
// typed error; other states are skipped.
func TestDataSyncEventsAreChecked(t *testing.T) {
	f := newFixture(t, nil)
	f.h.DataSync = &fakeDataSync{uri: "s3://raw/runs/"}
	bad := dataSyncMessage("SUCCESS", t0)
	bad.Body = strings.Replace(bad.Body, "/execution/", "/x/", 1)
	failed := f.deliver(t, []lambdaevents.SQSMessage{bad, dataSyncMessage("ERROR", t0)})
	require.Len(t, failed, 1)
	assert.Contains(t, f.logs.String(), "ErrMalformedEvent")
	for uri, want := range map[string][2]string{
		"s3://raw/runs/": {"raw", "runs/"}, "s3://raw/runs": {"raw", "runs/"}, "s3://raw/": {"raw", ""}, "s3://raw": {"raw", ""},
		"s3://raw//runs/x/": {"raw", "runs/x/"},
	} {
		b, p, ok := parseLocationURI(uri)
		assert.True(t, ok, uri)
		assert.Equal(t, want, [2]string{b, p}, uri)
	}
	for _, uri := range []string{"", "raw/runs/", "s3:///runs/", "s3://arn:aws:s3:eu-west-1:1:accesspoint/ap/runs/"} {
		_, _, ok := parseLocationURI(uri)
		assert.False(t, ok, uri)
	}
}

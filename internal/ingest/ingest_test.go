package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/dataclass"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/runs"
)

var t0 = time.Date(2024, 6, 7, 12, 0, 0, 0, time.UTC)

type fixture struct {
	h     *Handler
	store *catalog.Mem
	pub   *bus.Recorder
	s3    *fakeS3
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func resolver(t testing.TB) *runs.Resolver {
	t.Helper()
	r, err := runs.NewResolver([]runs.Rule{
		{Prefix: "runs/", Profile: runs.NovaSeqX.WithManifest("manifest.sha256"), Channel: events.ChannelDataSync},
		{Prefix: "miseq/", Profile: runs.MiSeq, Channel: events.ChannelFileGateway},
	})
	require.NoError(t, err)
	return r
}

func newFixture(t testing.TB, store catalog.Store) *fixture {
	f := &fixture{pub: &bus.Recorder{}, s3: &fakeS3{}, logs: &syncBuffer{}}
	if store == nil {
		f.store = catalog.NewMem()
		store = f.store
	}
	f.h = &Handler{
		Store: store, Resolver: resolver(t), Publisher: f.pub, S3: f.s3, Tagger: f.s3,
		Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Now:    func() time.Time { return t0 },
	}
	return f
}

// deliver hands msgs to Handle in batches of 10 and returns the messages
// reported as failed.
func (f *fixture) deliver(t testing.TB, msgs []lambdaevents.SQSMessage) []lambdaevents.SQSMessage {
	t.Helper()
	byID := map[string]lambdaevents.SQSMessage{}
	var failed []lambdaevents.SQSMessage
	for i := 0; i < len(msgs); i += 10 {
		batch := msgs[i:min(i+10, len(msgs))]
		for _, m := range batch {
			byID[m.MessageId] = m
		}
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: fmt.Sprintf("req-%d", i)})
		resp, err := f.h.Handle(ctx, lambdaevents.SQSEvent{Records: batch})
		require.NoError(t, err)
		for _, fl := range resp.BatchItemFailures {
			failed = append(failed, byID[fl.ItemIdentifier])
		}
	}
	return failed
}

// normalized returns the catalog state without the fields that depend on
// delivery order (which object came first, which event claimed).
func normalized(m *catalog.Mem) (map[string]catalog.Run, map[string]catalog.Object) {
	rs, os := m.Snapshot()
	for k, r := range rs {
		r.FirstKey, r.FirstIdem, r.ClaimedBy = "", "", ""
		rs[k] = r
	}
	return rs, os
}

// TestReplay delivers a generated run in random order, every event twice,
// the completion marker first: exactly one RunCompleted (and no RunIngested:
// that is the verify flow's), one DatasetReceived, the same catalog as
// in-order delivery, and one tagging per classified data object.
func TestReplay(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	g := generateRun(rng, "biolake-raw", "20240607_LH00123_0042_A22CJKLLT3", 3000)

	// In order, once each.
	inOrder := newFixture(t, nil)
	inOrder.s3.put(g.Bucket, g.Manifest.Key, g.Manifest.Body)
	require.Empty(t, inOrder.deliver(t, messages(g, g.All(), t0)))
	require.Len(t, inOrder.pub.Of(events.DetailTypeRunCompleted), 1)

	// Shuffled, duplicated, CopyComplete.txt first.
	f := newFixture(t, nil)
	f.s3.put(g.Bucket, g.Manifest.Key, g.Manifest.Body)
	msgs := messages(g, g.All(), t0)
	dups := make([]lambdaevents.SQSMessage, 0, 2*len(msgs))
	for _, m := range msgs {
		d := m
		d.MessageId += "-dup"
		dups = append(dups, m, d)
	}
	rng.Shuffle(len(dups), func(i, j int) { dups[i], dups[j] = dups[j], dups[i] })
	for i, m := range dups {
		if strings.Contains(m.Body, "/CopyComplete.txt") && !strings.Contains(m.Body, "Analysis") {
			dups[0], dups[i] = dups[i], dups[0]
			break
		}
	}
	require.Contains(t, dups[0].Body, g.RunID+"/CopyComplete.txt")
	f.h.Concurrency = 4
	require.Empty(t, f.deliver(t, dups))

	ingested := f.pub.Of(events.DetailTypeRunCompleted)
	require.Len(t, ingested, 1)
	ri := ingested[0].(*events.RunCompleted)
	assert.Equal(t, &events.RunCompleted{
		SchemaVersion: "1", RunID: g.RunID, Channel: events.ChannelDataSync, Bucket: g.Bucket, Prefix: g.Prefix,
		Profile: "novaseq-x", ObjectCount: int64(len(g.Data)), TotalBytes: g.TotalBytes(), CompletedAt: t0,
		ManifestKey: g.Manifest.Key, Evidence: events.VerifiedByManifest,
	}, ri)
	assert.Len(t, f.pub.Of(events.DetailTypeDatasetReceived), 1)
	assert.Empty(t, f.pub.Of(events.DetailTypeRunIngested), "RunIngested means verified: only the verify flow emits it")
	assert.Len(t, f.pub.Events(), 2)

	wantRuns, wantObjs := normalized(inOrder.store)
	gotRuns, gotObjs := normalized(f.store)
	assert.Equal(t, wantRuns, gotRuns)
	assert.Equal(t, len(wantObjs), len(gotObjs))
	assert.Equal(t, wantObjs, gotObjs)
	run := gotRuns[g.RunID]
	assert.Equal(t, runs.StatePublished, run.State)
	assert.True(t, run.Announced)
	assert.EqualValues(t, len(g.Data), run.Expected)

	// Every key decoded the same from both event formats: the catalog holds
	// exactly the generated keys.
	var keys, want []string
	for _, o := range gotObjs {
		keys = append(keys, o.Key)
	}
	for _, o := range g.All() {
		want = append(want, o.Key)
	}
	sort.Strings(keys)
	sort.Strings(want)
	assert.Equal(t, want, keys)

	// Calls: one Record and one GetRun per delivery (but the manifest's
	// duplicate, which finds it recorded and is not read again), one
	// GetObject per run, one PutObjectTagging per classified data object
	// (first delivery only), no S3 List.
	calls := f.store.Calls()
	assert.Equal(t, len(dups)-1, calls["Record"])
	assert.Equal(t, 2, calls["HasObject"])
	assert.Equal(t, len(dups)+1, calls["GetRun"]) // +1: read back after the claim
	// Records of one batch are handled concurrently, so two of them may both
	// see the run complete (or not yet announced) and both try the
	// conditional update; one wins and publishes, as the event counts above
	// show. The attempts are bounded by the deliveries.
	for _, op := range []string{"Claim", "MarkPublished", "MarkAnnounced"} {
		assert.GreaterOrEqual(t, calls[op], 1, op)
		assert.LessOrEqual(t, calls[op], len(dups), op)
	}
	assert.Zero(t, calls["SetTagError"])
	assert.Equal(t, 1, f.s3.calls, "the manifest is read once per run, not once per delivery")
	classified := g.classified()
	require.Greater(t, len(classified), 100, "the generated run has BCL and FASTQ data")
	assert.Equal(t, len(classified), f.s3.tagCalls)
	assert.Equal(t, classified, f.s3.tagsByKey())
	for _, o := range gotObjs {
		assert.Equal(t, classified[o.Key], o.DataClass, o.Key)
	}

	// Logs are JSON with the run and request ids.
	var line map[string]any
	for _, l := range strings.Split(f.logs.String(), "\n") {
		if strings.Contains(l, "run completed") {
			require.NoError(t, json.Unmarshal([]byte(l), &line))
		}
	}
	assert.Equal(t, g.RunID, line["runId"])
	assert.NotEmpty(t, line["requestId"])
	assert.NotEmpty(t, line["messageId"])
}

// TestConcurrentLambdas delivers the duplicated events from several
// concurrent "Lambdas" sharing the catalog.
func TestConcurrentLambdas(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	g := generateRun(rng, "raw", "240101_LH00001_0001_AAAAAAAAA", 1500)
	store := catalog.NewMem()
	pub := &bus.Recorder{}
	s3 := &fakeS3{}
	s3.put(g.Bucket, g.Manifest.Key, g.Manifest.Body)
	msgs := messages(g, g.All(), t0)
	msgs = append(msgs, msgs...)
	rng.Shuffle(len(msgs), func(i, j int) { msgs[i], msgs[j] = msgs[j], msgs[i] })
	var wg sync.WaitGroup
	const lambdas = 6
	for w := 0; w < lambdas; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			f := newFixture(t, store)
			f.h.Publisher, f.h.S3 = pub, s3
			var mine []lambdaevents.SQSMessage
			for i := w; i < len(msgs); i += lambdas {
				mine = append(mine, msgs[i])
			}
			assert.Empty(t, f.deliver(t, mine))
		}(w)
	}
	wg.Wait()
	require.Len(t, pub.Of(events.DetailTypeRunCompleted), 1)
	require.Len(t, pub.Of(events.DetailTypeDatasetReceived), 1)
	assert.EqualValues(t, len(g.Data), pub.Of(events.DetailTypeRunCompleted)[0].(*events.RunCompleted).ObjectCount)
}

// TestPublishFailureIsRetried: the event that wins the claim fails to
// publish; its redelivery (a catalog duplicate) publishes.
func TestPublishFailureIsRetried(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	g := generateRun(rng, "raw", "run-pub", 50)
	f := newFixture(t, nil)
	f.s3.put(g.Bucket, g.Manifest.Key, g.Manifest.Body)
	fails := 1
	f.pub.Fail = func(ev events.Event) error {
		if ev.DetailType() == events.DetailTypeRunCompleted && fails > 0 {
			fails--
			return errors.New("EventBridge throttled")
		}
		return nil
	}
	failed := f.deliver(t, messages(g, g.All(), t0))
	require.Len(t, failed, 1)
	assert.Empty(t, f.pub.Of(events.DetailTypeRunCompleted))
	run, _, _ := f.store.GetRun(context.Background(), g.RunID)
	assert.Equal(t, runs.StateComplete, run.State)

	// Redelivery of the failed message, twice.
	assert.Empty(t, f.deliver(t, failed))
	assert.Empty(t, f.deliver(t, failed))
	assert.Len(t, f.pub.Of(events.DetailTypeRunCompleted), 1)
	run, _, _ = f.store.GetRun(context.Background(), g.RunID)
	assert.Equal(t, runs.StatePublished, run.State)
}

// TestAnnounceFailureIsRetried: the first object's DatasetReceived fails to
// publish; the redelivery announces.
func TestAnnounceFailureIsRetried(t *testing.T) {
	f := newFixture(t, nil)
	fails := 1
	f.pub.Fail = func(ev events.Event) error {
		if ev.DetailType() == events.DetailTypeDatasetReceived && fails > 0 {
			fails--
			return errors.New("down")
		}
		return nil
	}
	g := generateRun(rand.New(rand.NewSource(1)), "raw", "run-ann", 3)
	msgs := messages(g, g.Data, t0)
	failed := f.deliver(t, msgs[:1])
	require.Len(t, failed, 1)
	assert.Empty(t, f.deliver(t, msgs[1:]), "later objects do not announce")
	assert.Empty(t, f.pub.Of(events.DetailTypeDatasetReceived))
	assert.Empty(t, f.deliver(t, failed))
	assert.Len(t, f.pub.Of(events.DetailTypeDatasetReceived), 1)
}

// TestBadManifest: an unusable manifest is reported and blocks completion
// until a good version arrives.
func TestBadManifest(t *testing.T) {
	g := generateRun(rand.New(rand.NewSource(5)), "raw", "run-man", 20)
	f := newFixture(t, nil)
	bad := append([]byte(nil), g.Manifest.Body...)
	bad = append(bad, []byte(strings.Repeat("a", 64)+"  ../escape\n")...)
	f.s3.put(g.Bucket, g.Manifest.Key, bad)
	require.Empty(t, f.deliver(t, messages(g, g.All(), t0)))
	fails := f.pub.Of(events.DetailTypeIntegrityFailed)
	require.Len(t, fails, 1)
	inf := fails[0].(*events.IntegrityFailed)
	assert.Equal(t, events.FailureUnreadable, inf.Reason)
	assert.Equal(t, g.Manifest.Key, inf.Key)
	assert.Contains(t, inf.Detail, "line 22")
	assert.Empty(t, f.pub.Of(events.DetailTypeRunCompleted))
	run, _, _ := f.store.GetRun(context.Background(), g.RunID)
	assert.NotEmpty(t, run.ManifestError)

	// A corrected manifest, as a new version.
	good := g.Manifest
	good.VersionID, good.Sequencer = "v-good", "00617F08FFFFFFFFFF"
	f.s3.put(g.Bucket, good.Key, g.Manifest.Body)
	require.Empty(t, f.deliver(t, messages(g, []genObject{good}, t0)))
	assert.Len(t, f.pub.Of(events.DetailTypeRunCompleted), 1)
}

// TestMarkersOnlyProfile: a MiSeq run completes on its marker.
// TestMarkersAloneNeverComplete: a run of a profile without a manifest on
// a channel that gives no evidence (file gateway, no settle window) is
// never complete, markers first or last; a run with no data object never
// is, whatever its markers say.
func TestMarkersAloneNeverComplete(t *testing.T) {
	f := newFixture(t, nil)
	g := genRun{Bucket: "fg"}
	objs := []genObject{
		{Key: "miseq/240101_M1_0001_000000000-ABCDE/RTAComplete.txt", Size: 0, VersionID: "null", Sequencer: "01"},
		{Key: "miseq/240101_M1_0001_000000000-ABCDE/RunInfo.xml", Size: 3, VersionID: "null", Sequencer: "02"},
		{Key: "miseq/240101_M1_0001_000000000-ABCDE/Manifest.md5", Size: 3, VersionID: "null", Sequencer: "03"},
	}
	msgs := messages(g, objs, t0)
	require.Empty(t, f.deliver(t, msgs[:1]))
	assert.Empty(t, f.pub.Of(events.DetailTypeRunCompleted), "markers with no data object")
	require.Empty(t, f.deliver(t, msgs[1:]))
	assert.Empty(t, f.pub.Of(events.DetailTypeRunCompleted), "no manifest and no evidence")
	require.NoError(t, f.h.Sweep(context.Background(), nil))
	assert.Empty(t, f.pub.Of(events.DetailTypeRunCompleted), "no settle window")
	run, _, err := f.store.GetRun(context.Background(), "240101_M1_0001_000000000-ABCDE")
	require.NoError(t, err)
	assert.Equal(t, runs.StateReceiving, run.State)
	assert.EqualValues(t, 1, run.Received, "Manifest.md5 is not data")
	assert.Contains(t, f.logs.String(), "neither DataSync nor a settle window vouches for it")

	// Defaults as the ingest handler had them: markers-first delivery of a
	// run without a manifest on the DataSync channel, no DataSync evidence.
	f = newFixture(t, nil)
	f.h.Resolver = mustRules(t, `[{"prefix":"runs/","profile":"novaseq-x","channel":"datasync"}]`)
	gr := generateRun(rand.New(rand.NewSource(3)), "raw", "240101_LH1_0001_AAAA", 20)
	f.s3.putRun(gr)
	all := append(append([]genObject(nil), gr.Markers...), gr.Data...)
	all = append(all, gr.Manifest)
	require.Empty(t, f.deliver(t, messages(gr, all, t0)))
	assert.Empty(t, f.pub.Of(events.DetailTypeRunCompleted))
	run, _, err = f.store.GetRun(context.Background(), gr.RunID)
	require.NoError(t, err)
	assert.EqualValues(t, len(gr.Data), run.Received, "manifest.sha256 without a manifest rule is still not data")
	assert.False(t, run.PendingSince.IsZero(), "waits in the pending index for DataSync")
}

func mustRules(t testing.TB, js string) *runs.Resolver {
	t.Helper()
	r, err := runs.ParseRules([]byte(js))
	require.NoError(t, err)
	return r
}

// panicStore panics on Record.
type panicStore struct{ catalog.Store }

func (panicStore) Record(context.Context, catalog.Object, catalog.RunInit, catalog.Change) (catalog.Recorded, error) {
	panic("boom")
}

// TestTaggingFailureIsRetried: tagging fails on the first delivery; the
// object is recorded and counted once, the failure noted, and the
// redelivery (a catalog duplicate) tags and clears the note. Duplicates of a
// tagged object never tag again.
func TestTaggingFailureIsRetried(t *testing.T) {
	f := newFixture(t, nil)
	g := generateRun(rand.New(rand.NewSource(9)), "raw", "run-tag", 30)
	var fq genObject
	for _, o := range g.Data {
		if strings.HasSuffix(o.Key, ".fastq.gz") {
			fq = o
			break
		}
	}
	require.NotEmpty(t, fq.Key)
	f.s3.tagErr = errors.New("AccessDenied")
	msgs := messages(g, []genObject{fq}, t0)
	failed := f.deliver(t, msgs)
	require.Len(t, failed, 1)
	assert.Contains(t, f.logs.String(), `"errorType":"ErrTagging"`)
	_, objs := f.store.Snapshot()
	require.Len(t, objs, 1)
	for _, o := range objs {
		assert.Equal(t, "fastq", o.DataClass)
		assert.Contains(t, o.TagError, "AccessDenied")
	}
	f.s3.tagErr = nil
	assert.Empty(t, f.deliver(t, failed))
	assert.Equal(t, map[string]string{fq.Key: "fastq"}, f.s3.tagsByKey())
	assert.Equal(t, 2, f.s3.tagCalls)
	// The tagged version, with its version id.
	assert.Equal(t, fq.VersionID, f.s3.tagVersions[fq.Key])
	rs, objs := f.store.Snapshot()
	for _, o := range objs {
		assert.Empty(t, o.TagError)
	}
	assert.EqualValues(t, 1, rs[g.RunID].Received)
	assert.Empty(t, f.deliver(t, failed))
	assert.Equal(t, 2, f.s3.tagCalls, "a tagged object's duplicate does not tag")

	// No Tagger: nothing tagged, nothing classified.
	f2 := newFixture(t, nil)
	f2.h.Tagger = nil
	assert.Empty(t, f2.deliver(t, msgs))
	assert.Zero(t, f2.s3.tagCalls)
	// Empty classes: nothing tagged.
	f3 := newFixture(t, nil)
	f3.h.Classes = dataclass.Classes{}
	assert.Empty(t, f3.deliver(t, msgs))
	assert.Zero(t, f3.s3.tagCalls)
}

func TestBadRecordsFailAlone(t *testing.T) {
	golden := func(name string) string {
		b, err := os.ReadFile("testdata/" + name)
		require.NoError(t, err)
		return string(b)
	}
	good := golden("object_created.json")
	msgs := []lambdaevents.SQSMessage{
		{MessageId: "good", Body: good},
		{MessageId: "not-json", Body: "{"},
		{MessageId: "nul-key", Body: strings.Replace(good, "RunInfo.xml", `Run\u0000Info.xml`, 1)},
		{MessageId: "deleted", Body: strings.Replace(good, "Object Created", "Object Deleted", 1)},
		{MessageId: "outside", Body: strings.Replace(good, "runs/", "tmp/", 1)},
		{MessageId: "folder", Body: strings.Replace(good, "RunInfo.xml", "Logs/", 1)},
		{MessageId: "test-event", Body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"raw"}`},
		{MessageId: "manifest-s3-down", Body: strings.Replace(good, "RunInfo.xml", "manifest.sha256", 1)},
	}
	f := newFixture(t, nil)
	f.s3.err = errors.New("SlowDown")
	resp, err := f.h.Handle(context.Background(), lambdaevents.SQSEvent{Records: msgs})
	require.NoError(t, err)
	var ids []string
	for _, fl := range resp.BatchItemFailures {
		ids = append(ids, fl.ItemIdentifier)
	}
	assert.ElementsMatch(t, []string{"not-json", "nul-key", "manifest-s3-down"}, ids)
	assert.Contains(t, f.logs.String(), `"errorType":"ErrMalformedEvent"`)
	assert.Contains(t, f.logs.String(), `"errorType":"ErrInvalidKey"`)
	assert.Contains(t, f.logs.String(), `"errorType":"ErrManifestRead"`)
	_, objs := f.store.Snapshot()
	assert.Len(t, objs, 1)

	// A panic fails its record only.
	pf := newFixture(t, panicStore{catalog.NewMem()})
	resp, err = pf.h.Handle(context.Background(), lambdaevents.SQSEvent{Records: msgs[:2]})
	require.NoError(t, err)
	assert.Len(t, resp.BatchItemFailures, 2)
	assert.Contains(t, pf.logs.String(), `"errorType":"ErrPanic"`)
}

// TestGoldenSQSEvent decodes a whole SQS event as Lambda delivers it.
func TestGoldenSQSEvent(t *testing.T) {
	b, err := os.ReadFile("testdata/sqs_event.json")
	require.NoError(t, err)
	var ev lambdaevents.SQSEvent
	require.NoError(t, json.Unmarshal(b, &ev))
	f := newFixture(t, nil)
	resp, err := f.h.Handle(context.Background(), ev)
	require.NoError(t, err)
	assert.Empty(t, resp.BatchItemFailures)
	rs, objs := f.store.Snapshot()
	require.Len(t, objs, 2)
	run := rs["20240607_LH00123_0042_A22CJKLLT3"]
	assert.EqualValues(t, 1, run.Received)
	assert.Equal(t, []string{"RTAComplete.txt"}, run.Markers)
	keys := map[string]bool{}
	for _, o := range objs {
		keys[o.Key] = true
	}
	assert.True(t, keys["runs/20240607_LH00123_0042_A22CJKLLT3/Analysis/1/Data/fastq/Sample 01+A_S1_L001_R1_001.fastq.gz"], keys)
}

func BenchmarkHandle(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	var msgs []lambdaevents.SQSMessage
	for r := 0; len(msgs) < 20000; r++ {
		g := generateRun(rng, "raw", fmt.Sprintf("run%04d", r), 1000)
		msgs = append(msgs, messages(g, g.Data, t0)...)
	}
	f := newFixture(b, nil)
	f.h.Logger = slog.New(slog.DiscardHandler)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%(len(msgs)/10) == 0 {
			b.StopTimer()
			f.h.Store = catalog.NewMem() // keep the catalog size bounded
			b.StartTimer()
		}
		j := (i * 10) % len(msgs)
		resp, err := f.h.Handle(context.Background(), lambdaevents.SQSEvent{Records: msgs[j : j+10]})
		if err != nil || len(resp.BatchItemFailures) > 0 {
			b.Fatal(err, resp)
		}
	}
	b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "events/s")
}

package restore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/handler"
	"github.com/biolake/biolake/internal/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

var t0 = time.Date(2024, 6, 9, 3, 0, 0, 0, time.UTC)

const bucket = "biolake-prod-raw"

type fixture struct {
	h   *Handler
	s3  *fakeS3
	sfn *fakeSFN
	pub *bus.Recorder
	st  Store
}

func newFixture(st Store) *fixture {
	x := &fixture{s3: newS3(), sfn: &fakeSFN{}, pub: &bus.Recorder{}, st: st}
	x.h = &Handler{S3: x.s3, SFN: x.sfn, Store: st, Publisher: x.pub, Now: func() time.Time { return t0 },
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
	if _, onMoto := st.(*Dynamo); onMoto {
		// moto is not linearizable under concurrent writes to one item (an
		// ADD can be lost under load); the in-memory store runs the same
		// scenarios with the handler's concurrency.
		x.h.Concurrency = 1
	}
	return x
}

func task(token string, keys ...string) TaskInput {
	return TaskInput{TaskToken: token, RunID: "run-1", Bucket: bucket, Keys: keys, ExecutionID: "arn:aws:states:eu-west-1:1:execution:p:run-1"}
}

// restoreEvent is the SQS message of an EventBridge restore-completed event.
var eventSeq atomic.Int64

func restoreEvent(key, version string) lambdaevents.SQSMessage {
	id := fmt.Sprint("ev-", eventSeq.Add(1))
	ev := map[string]any{
		"version": "0", "id": id, "detail-type": "Object Restore Completed", "source": "aws.s3", "account": "1",
		"time": "2024-06-09T03:00:00Z", "region": "eu-west-1", "resources": []string{},
		"detail": map[string]any{"version": "0", "bucket": map[string]any{"name": bucket},
			"object":              map[string]any{"key": key, "size": 1, "etag": "e", "version-id": version},
			"restore-expiry-time": "2024-06-16T00:00:00Z", "source-storage-class": "GLACIER"},
	}
	b, _ := json.Marshal(ev)
	return lambdaevents.SQSMessage{MessageId: id, Body: string(b)}
}

func (x *fixture) deliver(t *testing.T, msgs ...lambdaevents.SQSMessage) []string {
	t.Helper()
	b, err := json.Marshal(lambdaevents.SQSEvent{Records: msgs})
	require.NoError(t, err)
	out, err := x.h.Handle(context.Background(), b)
	require.NoError(t, err)
	var failed []string
	for _, f := range out.(lambdaevents.SQSEventResponse).BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

func (x *fixture) runTask(t *testing.T, in TaskInput) (TaskOutput, error) {
	t.Helper()
	b, err := json.Marshal(in)
	require.NoError(t, err)
	out, err := x.h.Handle(context.Background(), b)
	if err != nil {
		return TaskOutput{}, err
	}
	return out.(TaskOutput), nil
}

// stores runs f with the in-memory store and with DynamoDB on moto.
func stores(t *testing.T, f func(t *testing.T, st Store)) {
	t.Run("mem", func(t *testing.T) { f(t, NewMem()) })
	t.Run("dynamo", func(t *testing.T) { f(t, motoStore(t)) })
}

func motoStore(t *testing.T) *Dynamo {
	endpoint := mototest.Endpoint(t)
	client := dynamodb.NewFromConfig(mototest.Config(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	table := mototest.Name("restore")
	_, err := client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	})
	require.NoError(t, err)
	return &Dynamo{Client: client, Table: table}
}

func TestNothingArchived(t *testing.T) {
	stores(t, func(t *testing.T, st Store) {
		x := newFixture(st)
		x.s3.put("runs/r/a.fastq.gz", &fakeObject{class: s3types.StorageClassStandardIa})
		x.s3.put("runs/r/b.bam", &fakeObject{class: s3types.StorageClassGlacierIr})
		x.s3.put("runs/r/c.cbcl", &fakeObject{class: s3types.StorageClassGlacier, restore: `ongoing-request="false", expiry-date="x"`})
		out, err := x.runTask(t, task("tok-1", "runs/r/a.fastq.gz", "runs/r/b.bam", "runs/r/c.cbcl", "runs/r/a.fastq.gz"))
		require.NoError(t, err)
		assert.Equal(t, TaskOutput{RunID: "run-1", Objects: 3, Archived: 1, Completed: true}, out)
		require.Len(t, x.sfn.successes, 1)
		assert.JSONEq(t, `{"runId":"run-1","restored":0}`, aws.ToString(x.sfn.successes[0].Output))
		assert.Equal(t, "tok-1", aws.ToString(x.sfn.successes[0].TaskToken))
		rc := x.pub.Of(events.DetailTypeRestoreCompleted)
		require.Len(t, rc, 1)
		assert.Equal(t, "arn:aws:states:eu-west-1:1:execution:p:run-1", rc[0].(*events.RestoreCompleted).ExecutionID)
		// A duplicate invocation: nothing more.
		_, err = x.runTask(t, task("tok-1", "runs/r/a.fastq.gz"))
		require.NoError(t, err)
		assert.Len(t, x.sfn.successes, 1)
		assert.Len(t, x.pub.Of(events.DetailTypeRestoreCompleted), 1)
	})
}

// TestRestoreAndEvents: a mix of archived objects; the task asks for the
// restores, events come in duplicated and out of order, the last one
// completes the task exactly once.
func TestRestoreAndEvents(t *testing.T) {
	stores(t, func(t *testing.T, st Store) {
		x := newFixture(st)
		x.s3.put("runs/r/g1.cbcl", &fakeObject{class: s3types.StorageClassGlacier})
		x.s3.put("runs/r/g2 b+c.cbcl", &fakeObject{class: s3types.StorageClassDeepArchive})
		x.s3.put("runs/r/busy.cbcl", &fakeObject{class: s3types.StorageClassGlacier, restore: `ongoing-request="true"`})
		x.s3.put("runs/r/it.fastq.gz", &fakeObject{class: s3types.StorageClassIntelligentTiering, archive: s3types.ArchiveStatusDeepArchiveAccess})
		x.s3.put("runs/r/hot.fastq.gz", &fakeObject{class: s3types.StorageClassIntelligentTiering})
		x.s3.put("runs/r/std.txt", &fakeObject{class: s3types.StorageClassStandard})
		keys := []string{"runs/r/g1.cbcl", "runs/r/g2 b+c.cbcl", "runs/r/busy.cbcl", "runs/r/it.fastq.gz", "runs/r/hot.fastq.gz", "runs/r/std.txt"}
		in := task("tok-1", keys...)
		in.Tier, in.Days = "Standard", 3
		out, err := x.runTask(t, in)
		require.NoError(t, err)
		assert.Equal(t, TaskOutput{RunID: "run-1", Objects: 6, Archived: 4, Pending: 4, Requested: 3, InProgress: 1}, out)
		assert.Empty(t, x.sfn.successes)
		g1 := x.s3.objects["runs/r/g1.cbcl"].restores
		require.Len(t, g1, 1)
		assert.EqualValues(t, 3, aws.ToInt32(g1[0].RestoreRequest.Days))
		assert.Equal(t, s3types.TierStandard, g1[0].RestoreRequest.GlacierJobParameters.Tier)
		assert.Equal(t, "v-runs/r/g1.cbcl", aws.ToString(g1[0].VersionId))
		it := x.s3.objects["runs/r/it.fastq.gz"].restores
		require.Len(t, it, 1)
		assert.Nil(t, it[0].RestoreRequest.Days, "no Days for Intelligent-Tiering archive tiers")
		assert.Empty(t, x.s3.objects["runs/r/busy.cbcl"].restores)

		// A duplicate task invocation counts nothing twice.
		out, err = x.runTask(t, in)
		require.NoError(t, err)
		assert.Equal(t, 0, out.Requested)
		rec, _, err := st.Get(context.Background(), "run-1")
		require.NoError(t, err)
		assert.EqualValues(t, 4, rec.Pending)
		assert.Equal(t, StateWaiting, rec.State)

		// Events: an unrelated object, duplicates, all four.
		assert.Empty(t, x.deliver(t, restoreEvent("runs/other/x", "v"), restoreEvent("runs/r/g1.cbcl", "v-runs/r/g1.cbcl"),
			restoreEvent("runs/r/g1.cbcl", "v-runs/r/g1.cbcl")))
		assert.Empty(t, x.deliver(t, restoreEvent("runs/r/it.fastq.gz", "v-runs/r/it.fastq.gz"), restoreEvent("runs/r/busy.cbcl", "v-runs/r/busy.cbcl")))
		assert.Empty(t, x.sfn.successes)
		assert.Empty(t, x.pub.Events())
		// Its key unencoded: decoded, "g2 b c.cbcl" has no waiter; the
		// raw key, tried next, has.
		last := restoreEvent("runs/r/g2 b+c.cbcl", "v-runs/r/g2 b+c.cbcl")
		assert.Empty(t, x.deliver(t, last))
		assert.Empty(t, x.deliver(t, last))
		require.Len(t, x.sfn.successes, 1)
		assert.JSONEq(t, `{"runId":"run-1","restored":4}`, aws.ToString(x.sfn.successes[0].Output))
		rc := x.pub.Of(events.DetailTypeRestoreCompleted)
		require.Len(t, rc, 1)
		assert.Equal(t, &events.RestoreCompleted{SchemaVersion: "1", RunID: "run-1", Bucket: bucket,
			ExecutionID: "arn:aws:states:eu-west-1:1:execution:p:run-1", RestoredObjects: 4, CompletedAt: t0, Tier: "Standard"}, rc[0])
		// Encoded as S3 sends it: the decoded key matches first.
		assert.Empty(t, x.deliver(t, restoreEvent("runs/r/g2+b%2Bc.cbcl", "v-runs/r/g2 b+c.cbcl")))
		assert.Len(t, x.sfn.successes, 1)
		rec, _, _ = st.Get(context.Background(), "run-1")
		assert.Equal(t, StateDone, rec.State)
		assert.EqualValues(t, 4, rec.Restored)
		assert.Empty(t, x.sfn.failures)

		// A later task (a new token: a new round) restores again.
		x.s3.put("runs/r/g1.cbcl", &fakeObject{class: s3types.StorageClassGlacier})
		out, err = x.runTask(t, task("tok-2", "runs/r/g1.cbcl"))
		require.NoError(t, err)
		assert.Equal(t, 1, out.Pending)
		assert.Empty(t, x.deliver(t, restoreEvent("runs/r/g1.cbcl", "v-runs/r/g1.cbcl")))
		require.Len(t, x.sfn.successes, 2)
		assert.Equal(t, "tok-2", aws.ToString(x.sfn.successes[1].TaskToken))
	})
}

// TestRestoreCompletesWhileRecording: a restore someone else started
// completes between the task's HeadObject and its record; the event finds no
// waiter, the task's second look sees it restored.
func TestRestoreCompletesWhileRecording(t *testing.T) {
	stores(t, func(t *testing.T, st Store) {
		x := newFixture(st)
		x.s3.put("runs/r/busy.cbcl", &fakeObject{class: s3types.StorageClassGlacier, restore: `ongoing-request="true"`})
		x.s3.onHead = func(key string, n int) {
			if n == 2 { // the second look
				x.s3.complete(key)
			}
		}
		out, err := x.runTask(t, task("tok-1", "runs/r/busy.cbcl"))
		require.NoError(t, err)
		assert.True(t, out.Completed)
		require.Len(t, x.sfn.successes, 1)
		assert.JSONEq(t, `{"runId":"run-1","restored":1}`, aws.ToString(x.sfn.successes[0].Output))
		assert.Empty(t, x.deliver(t, restoreEvent("runs/r/busy.cbcl", "v-runs/r/busy.cbcl")))
		assert.Len(t, x.sfn.successes, 1)
	})
}

func TestFailures(t *testing.T) {
	stores(t, func(t *testing.T, st Store) {
		x := newFixture(st)
		x.s3.put("runs/r/ok.cbcl", &fakeObject{class: s3types.StorageClassGlacier})
		x.s3.put("runs/r/bad.cbcl", &fakeObject{class: s3types.StorageClassGlacier})
		x.s3.restoreErr["runs/r/bad.cbcl"] = &smithy.GenericAPIError{Code: "InvalidObjectState", Message: "nope", Fault: smithy.FaultClient}
		out, err := x.runTask(t, task("tok-1", "runs/r/ok.cbcl", "runs/r/bad.cbcl"))
		require.NoError(t, err)
		assert.True(t, out.Failed)
		require.Len(t, x.sfn.failures, 1)
		assert.Equal(t, "ErrRestoreFailed", aws.ToString(x.sfn.failures[0].Error))
		var cause ErrRestoreFailed
		require.NoError(t, json.Unmarshal([]byte(aws.ToString(x.sfn.failures[0].Cause)), &cause))
		assert.Equal(t, "runs/r/bad.cbcl", cause.Key)
		assert.Contains(t, cause.Reason, "InvalidObjectState")
		// Events later change nothing.
		assert.Empty(t, x.deliver(t, restoreEvent("runs/r/ok.cbcl", "v-runs/r/ok.cbcl")))
		assert.Empty(t, x.sfn.successes)
		rec, _, _ := st.Get(context.Background(), "run-1")
		assert.Equal(t, StateFailed, rec.State)

		// A missing object fails the task too.
		y := newFixture(st)
		_, err = y.runTask(t, TaskInput{TaskToken: "tok-m", RunID: "run-2", Bucket: bucket, Keys: []string{"runs/r/none"}})
		require.NoError(t, err)
		require.Len(t, y.sfn.failures, 1)
		assert.Contains(t, aws.ToString(y.sfn.failures[0].Cause), "object not found")

		// Throttling is retried by Step Functions: an error, no verdict.
		z := newFixture(st)
		z.s3.put("runs/r/t.cbcl", &fakeObject{class: s3types.StorageClassGlacier})
		z.s3.restoreErr["runs/r/t.cbcl"] = &smithy.GenericAPIError{Code: "SlowDown", Message: "slow", Fault: smithy.FaultServer}
		_, err = z.runTask(t, TaskInput{TaskToken: "tok-t", RunID: "run-3", Bucket: bucket, Keys: []string{"runs/r/t.cbcl"}})
		var se *ErrS3
		require.ErrorAs(t, err, &se)
		assert.Empty(t, z.sfn.failures)
		z.s3.headErr = errors.New("connection reset")
		_, err = z.runTask(t, TaskInput{TaskToken: "tok-t2", RunID: "run-3", Bucket: bucket, Keys: []string{"runs/r/t.cbcl"}})
		require.ErrorAs(t, err, &se)
	})
}

// TestSendTaskSuccessRetried: the completing event's SendTaskSuccess is
// throttled; its redelivery finishes without publishing twice. A timed-out
// task is not an error.
func TestSendTaskSuccessRetried(t *testing.T) {
	stores(t, func(t *testing.T, st Store) {
		x := newFixture(st)
		x.s3.put("runs/r/g.cbcl", &fakeObject{class: s3types.StorageClassGlacier})
		_, err := x.runTask(t, task("tok-1", "runs/r/g.cbcl"))
		require.NoError(t, err)
		x.sfn.successErr = []error{errors.New("ThrottlingException"), &sfntypes.TaskTimedOut{Message: aws.String("gone")}}
		msg := restoreEvent("runs/r/g.cbcl", "v-runs/r/g.cbcl")
		assert.Equal(t, []string{msg.MessageId}, x.deliver(t, msg))
		assert.Len(t, x.pub.Of(events.DetailTypeRestoreCompleted), 1)
		// Another event's delivery does not take over the claim.
		assert.Empty(t, x.deliver(t, restoreEvent("runs/r/g.cbcl", "v-runs/r/g.cbcl")))
		rec, _, _ := st.Get(context.Background(), "run-1")
		assert.Equal(t, StateCompleting, rec.State)
		assert.Empty(t, x.deliver(t, msg))
		rec, _, _ = st.Get(context.Background(), "run-1")
		assert.Equal(t, StateDone, rec.State)
		assert.Len(t, x.pub.Of(events.DetailTypeRestoreCompleted), 1)
	})
}

func TestPrefix(t *testing.T) {
	x := newFixture(NewMem())
	x.s3.put("runs/r/a.cbcl", &fakeObject{class: s3types.StorageClassGlacier})
	x.s3.put("runs/r/b.cbcl", &fakeObject{class: s3types.StorageClassStandard})
	x.s3.put("runs/r/c.cbcl", &fakeObject{class: s3types.StorageClassStandardIa})
	x.s3.put("runs/r/d/", &fakeObject{class: s3types.StorageClassStandard})
	x.s3.put("runs/r/e.fastq.gz", &fakeObject{class: s3types.StorageClassIntelligentTiering, archive: s3types.ArchiveStatusArchiveAccess})
	x.s3.put("runs/other/x", &fakeObject{class: s3types.StorageClassGlacier})
	out, err := x.runTask(t, TaskInput{TaskToken: "tok", RunID: "run-1", Bucket: bucket, Prefix: "runs/r/"})
	require.NoError(t, err)
	assert.Equal(t, TaskOutput{RunID: "run-1", Objects: 4, Archived: 2, Pending: 2, Requested: 2}, out)
	assert.Equal(t, 3, x.s3.lists, "paginated")
	assert.Equal(t, 2, x.s3.heads, "objects listed in a never-archived class are not looked at")
}

func TestParseInput(t *testing.T) {
	good := `{"taskToken":"t","runId":"r","bucket":"biolake-raw","keys":["a b/c"],"tier":"Bulk","days":7,"executionId":"arn:x"}`
	in, sqs, err := ParseInput([]byte(good))
	require.NoError(t, err)
	assert.Nil(t, sqs)
	assert.Equal(t, &TaskInput{TaskToken: "t", RunID: "r", Bucket: "biolake-raw", Keys: []string{"a b/c"}, Tier: "Bulk", Days: 7, ExecutionID: "arn:x"}, in)
	_, sqs, err = ParseInput([]byte(`{"Records":[{"messageId":"m","body":"{}","eventSource":"aws:sqs"}]}`))
	require.NoError(t, err)
	require.Len(t, sqs.Records, 1)

	var ii *ErrInvalidInput
	for name, bad := range map[string]string{
		"not json":     `{`,
		"array":        `[]`,
		"neither":      `{"runId":"r"}`,
		"unknown":      `{"taskToken":"t","runId":"r","bucket":"biolake-raw","keys":["a"],"extra":1}`,
		"both":         `{"taskToken":"t","runId":"r","bucket":"biolake-raw","keys":["a"],"prefix":"p/"}`,
		"none":         `{"taskToken":"t","runId":"r","bucket":"biolake-raw"}`,
		"tier":         `{"taskToken":"t","runId":"r","bucket":"biolake-raw","keys":["a"],"tier":"Expedited"}`,
		"days":         `{"taskToken":"t","runId":"r","bucket":"biolake-raw","keys":["a"],"days":400}`,
		"bucket":       `{"taskToken":"t","runId":"r","bucket":"Bad_Bucket","keys":["a"]}`,
		"key":          `{"taskToken":"t","runId":"r","bucket":"biolake-raw","keys":["a\u0000"]}`,
		"empty key":    `{"taskToken":"t","runId":"r","bucket":"biolake-raw","keys":[""]}`,
		"blank run":    `{"taskToken":"t","runId":" ","bucket":"biolake-raw","keys":["a"]}`,
		"bad records":  `{"Records":{}}`,
		"trailing":     `{"taskToken":"t","runId":"r","bucket":"biolake-raw","keys":["a"]} {}`,
		"token number": `{"taskToken":1}`,
	} {
		_, _, err := ParseInput([]byte(bad))
		assert.ErrorAs(t, err, &ii, name)
	}
	x := newFixture(NewMem())
	_, err = x.h.Handle(context.Background(), []byte(`{"nope":1}`))
	assert.ErrorAs(t, err, &ii)
	assert.Equal(t, "ErrInvalidInput", handler.ErrorType(err))
}

func TestBadMessages(t *testing.T) {
	x := newFixture(NewMem())
	failed := x.deliver(t,
		lambdaevents.SQSMessage{MessageId: "bad", Body: "{"},
		lambdaevents.SQSMessage{MessageId: "created", Body: `{"detail-type":"Object Created","source":"aws.s3","detail":{}}`},
		restoreEvent("runs/x/unknown", "v"))
	assert.Equal(t, []string{"bad"}, failed)
}

func TestPermanent(t *testing.T) {
	assert.True(t, permanent(&smithy.GenericAPIError{Code: "InvalidObjectState", Fault: smithy.FaultClient}))
	assert.False(t, permanent(&smithy.GenericAPIError{Code: "SlowDown", Fault: smithy.FaultClient}))
	assert.False(t, permanent(&smithy.GenericAPIError{Code: "InternalError", Fault: smithy.FaultServer}))
	assert.False(t, permanent(errors.New("dial tcp: timeout")))
	assert.Equal(t, "RestoreAlreadyInProgress", apiCode(fmt.Errorf("x: %w", &smithy.GenericAPIError{Code: "RestoreAlreadyInProgress"})))
	assert.True(t, taskGone(&sfntypes.InvalidToken{}))
	assert.False(t, taskGone(errors.New("x")))
}

func FuzzParseInput(f *testing.F) {
	f.Add([]byte(`{"taskToken":"t","runId":"r","bucket":"biolake-raw","keys":["a b/c"],"tier":"Bulk","days":7}`))
	f.Add([]byte(`{"taskToken":"t","runId":"r","bucket":"biolake-raw","prefix":"runs/r/"}`))
	f.Add([]byte(`{"Records":[{"messageId":"m","body":"{}"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, sqs, err := ParseInput(b)
		if err != nil {
			var ii *ErrInvalidInput
			if !errors.As(err, &ii) {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		if (in == nil) == (sqs == nil) {
			t.Fatal("want exactly one of task and SQS event")
		}
		if in != nil && in.validate() != nil {
			t.Fatal("accepted an invalid task")
		}
	})
}

// panicStore panics on Waiters for one key.
type panicStore struct {
	Store
	key string
}

func (s panicStore) Waiters(ctx context.Context, o ObjectRef) ([]Waiter, error) {
	if o.Key == s.key {
		var m map[string]int
		m[o.Key]++ // a bug: assignment to entry in nil map
	}
	return s.Store.Waiters(ctx, o)
}

// TestHandleSQSPanic: a panic while handling one record of three fails that
// record alone, as an ErrPanic logged with its stack.
func TestHandleSQSPanic(t *testing.T) {
	x := newFixture(panicStore{Store: NewMem(), key: "runs/r/b"})
	var logs bytes.Buffer
	x.h.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	a, b, c := restoreEvent("runs/r/a", "v"), restoreEvent("runs/r/b", "v"), restoreEvent("runs/r/c", "v")
	assert.Equal(t, []string{b.MessageId}, x.deliver(t, a, b, c))
	var failed map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var m map[string]any
		require.NoError(t, json.Unmarshal(l, &m))
		if m["msg"] == "record failed" {
			require.Nil(t, failed, "one record failed")
			failed = m
		}
	}
	require.NotNil(t, failed, logs.String())
	assert.Equal(t, b.MessageId, failed["messageId"])
	assert.Equal(t, "ErrPanic", failed["errorType"])
	assert.Equal(t, "restore: panic: assignment to entry in nil map", failed["error"])
	assert.Contains(t, failed["stack"], "restore.panicStore.Waiters")
	// The other two were handled: no run waits for them.
	assert.Equal(t, 2, strings.Count(logs.String(), "restore of an object no run waits for"))
}

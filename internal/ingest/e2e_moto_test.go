package ingest

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/dataclass"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/mototest"
	"github.com/biolake/biolake/internal/runs"
)

// e2eMoto is the AWS side of the end-to-end test: real SDK clients on
// moto_server.
type e2eMoto struct {
	s3     *s3.Client
	ddb    *dynamodb.Client
	eb     *eventbridge.Client
	sqs    *sqs.Client
	table  string
	bucket string
	bus    string
	queue  string // URL
}

func newE2EMoto(t *testing.T) *e2eMoto {
	t.Helper()
	ctx := context.Background()
	endpoint := mototest.Endpoint(t)
	cfg := mototest.Config()
	m := &e2eMoto{
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}),
		eb:  eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(endpoint) }),
		sqs: sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) }),
	}
	m.ddb, m.table = motoCatalog(t, "ingest-e2e")
	m.bucket = mototest.Name("biolake-raw-e2e")
	m.bus = mototest.Name("biolake-e2e")

	_, err := m.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(m.bucket)})
	require.NoError(t, err)
	_, err = m.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(m.bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
	})
	require.NoError(t, err)

	q, err := m.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(mototest.Name("biolake-e2e-events"))})
	require.NoError(t, err)
	m.queue = aws.ToString(q.QueueUrl)
	attrs, err := m.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	require.NoError(t, err)
	queueARN := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	require.NotEmpty(t, queueARN)

	_, err = m.eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(m.bus)})
	require.NoError(t, err)
	rule := "ingest-to-queue"
	_, err = m.eb.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(rule), EventBusName: aws.String(m.bus), State: ebtypes.RuleStateEnabled,
		EventPattern: aws.String(`{"source":["` + events.SourceIngest + `"]}`),
	})
	require.NoError(t, err)
	out, err := m.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String(rule), EventBusName: aws.String(m.bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(queueARN)}},
	})
	require.NoError(t, err)
	require.Zero(t, out.FailedEntryCount)
	return m
}

// upload PUTs every object of g (data bodies are their keys, so the
// generated manifest's sha256 lines are right) and sets each object's size,
// ETag and version id from S3.
func (m *e2eMoto) upload(t *testing.T, g *genRun) {
	t.Helper()
	ctx := context.Background()
	put := func(o *genObject, body []byte) {
		out, err := m.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(m.bucket), Key: aws.String(o.Key), Body: strings.NewReader(string(body)),
		})
		require.NoError(t, err, o.Key)
		require.NotEmpty(t, aws.ToString(out.VersionId), "versioned bucket: %s", o.Key)
		o.Size = int64(len(body))
		o.ETag = strings.Trim(aws.ToString(out.ETag), `"`)
		o.VersionID = aws.ToString(out.VersionId)
	}
	for i := range g.Data {
		put(&g.Data[i], []byte(g.Data[i].Key))
	}
	for i := range g.Markers {
		put(&g.Markers[i], []byte("done\n"))
	}
	put(&g.Manifest, g.Manifest.Body)
}

// received drains the queue for up to limit and returns the EventBridge
// events delivered to it, by detail-type. It stops early once want events
// are in and a further receive comes back empty.
func (m *e2eMoto) received(t *testing.T, want int, limit time.Duration) map[string][]events.Event {
	t.Helper()
	ctx := context.Background()
	got := map[string][]events.Event{}
	n := 0
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		out, err := m.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(m.queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		require.NoError(t, err)
		for _, msg := range out.Messages {
			env, ev, err := events.ParseEnvelope([]byte(aws.ToString(msg.Body)))
			require.NoError(t, err, aws.ToString(msg.Body))
			got[env.DetailType] = append(got[env.DetailType], ev)
			n++
			_, err = m.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(m.queue), ReceiptHandle: msg.ReceiptHandle})
			require.NoError(t, err)
		}
		if len(out.Messages) == 0 && n >= want {
			break
		}
	}
	return got
}

// TestE2EIngestOnMoto runs the ingest handler end to end on moto_server with
// real SDK clients: objects PUT to a versioned S3 bucket, their "Object
// Created" events (EventBridge form, plain keys) delivered through
// Handler.Handle in SQS batches of 10, shuffled, every event twice and the
// completion markers first; the catalog in DynamoDB, data-class tags in S3,
// and DatasetReceived/RunCompleted put on a custom EventBridge bus whose rule
// forwards source biolake.ingest to an SQS queue, read back from it.
func TestE2EIngestOnMoto(t *testing.T) {
	start := time.Now()
	m := newE2EMoto(t)
	ctx := context.Background()

	// 60 data objects: moto's TransactWriteItems gets slower as the table
	// grows (about 30 ms a call at 250 items), so this stays small.
	rng := rand.New(rand.NewSource(7))
	g := generateRun(rng, m.bucket, "20240607_LH00123_0042_A22CJKLLT3", 60)
	m.upload(t, &g)
	var bytes int64
	for _, o := range g.Data {
		bytes += o.Size
	}

	// Every event twice, shuffled, then one copy of each completion marker
	// moved to the front.
	var msgs []lambdaevents.SQSMessage
	for copy := 0; copy < 2; copy++ {
		for _, o := range g.All() {
			msgs = append(msgs, lambdaevents.SQSMessage{
				MessageId: fmt.Sprintf("m-%d-%s", copy, o.Sequencer), Body: eventBridgeBody(m.bucket, o, t0),
			})
		}
	}
	rng.Shuffle(len(msgs), func(i, j int) { msgs[i], msgs[j] = msgs[j], msgs[i] })
	var first, rest []lambdaevents.SQSMessage
	markers := map[string]bool{}
	for _, o := range g.Markers {
		markers[fmt.Sprintf("m-0-%s", o.Sequencer)] = true
	}
	for _, msg := range msgs {
		if markers[msg.MessageId] {
			first = append(first, msg)
		} else {
			rest = append(rest, msg)
		}
	}
	msgs = append(first, rest...)

	f := newFixture(t, catalog.NewDynamo(m.ddb, m.table))
	f.h.S3, f.h.Tagger = m.s3, m.s3
	f.h.Publisher = &bus.EventBridge{Client: m.eb, BusName: m.bus}
	f.h.Concurrency = 1 // moto is not linearizable under concurrent writes
	require.Empty(t, f.deliver(t, msgs), "batch item failures; logs:\n%s", f.logs.String())

	// The catalog.
	run, found, err := f.h.Store.GetRun(ctx, g.RunID)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, runs.StatePublished, run.State)
	assert.EqualValues(t, len(g.Data), run.Received)
	assert.Equal(t, bytes, run.Bytes)
	versions := map[string]string{}
	for _, o := range g.All() {
		versions[o.Key] = o.VersionID
	}
	recorded := 0
	require.NoError(t, catalog.NewDynamo(m.ddb, m.table).Objects(ctx, g.RunID, func(o catalog.Object) error {
		recorded++
		assert.Equal(t, versions[o.Key], o.VersionID, o.Key)
		return nil
	}))
	assert.Equal(t, len(g.All()), recorded, "one record per object version")

	// The events, as a subscriber of the bus gets them.
	got := m.received(t, 2, 10*time.Second)
	require.Len(t, got[events.DetailTypeRunCompleted], 1, "RunCompleted on the queue")
	require.Len(t, got[events.DetailTypeDatasetReceived], 1, "DatasetReceived on the queue")
	assert.Len(t, got, 2, "no other detail-types: %v", got)
	rc := got[events.DetailTypeRunCompleted][0].(*events.RunCompleted)
	assert.Equal(t, g.RunID, rc.RunID)
	assert.Equal(t, m.bucket, rc.Bucket)
	assert.Equal(t, g.Prefix, rc.Prefix)
	assert.EqualValues(t, len(g.Data), rc.ObjectCount)
	assert.Equal(t, bytes, rc.TotalBytes)
	assert.Equal(t, g.Manifest.Key, rc.ManifestKey)
	dr := got[events.DetailTypeDatasetReceived][0].(*events.DatasetReceived)
	assert.Equal(t, g.RunID, dr.RunID)
	assert.Equal(t, events.ChannelDataSync, dr.Channel)

	// The tags, on the recorded versions: every classified data object has
	// its class, the others (and markers, manifest) none.
	classified := g.classified()
	require.NotEmpty(t, classified)
	seen := map[string]bool{}
	for _, o := range g.All() {
		out, err := m.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{
			Bucket: aws.String(m.bucket), Key: aws.String(o.Key), VersionId: aws.String(o.VersionID),
		})
		require.NoError(t, err, o.Key)
		tags := map[string]string{}
		for _, tg := range out.TagSet {
			tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		if class, ok := classified[o.Key]; ok {
			assert.Equal(t, map[string]string{dataclass.Tag: class}, tags, o.Key)
			seen[class] = true
		} else {
			assert.Empty(t, tags, o.Key)
		}
	}
	assert.True(t, seen[dataclass.FASTQ] && seen[dataclass.BCL], "classes seen: %v", seen)
	t.Logf("objects %d (%d classified), deliveries %d, %s", len(g.All()), len(classified), len(msgs), time.Since(start).Round(time.Millisecond))
}

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
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/mototest"
	"github.com/biolake/biolake/internal/runs"
)

// TestIngestCallsOnMoto runs the ingest handler as lambdas/ingest wires it
// (S3, DynamoDB and EventBridge clients) on moto_server, with the data
// lake's layout and the rules the event glue gives it: a DataSync run under
// the raw bucket's runs/<source>/ and a partner dataset under the partner
// bucket's quarantine/<partner>/, each object's "Object Created" event
// delivered twice. Its AWS calls are recorded for the permission proof
// (test/testdata/awscalls/ingest.json).
func TestIngestCallsOnMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	rec := mototest.Record("ingest")
	ctx := context.Background()
	cfg := mototest.Config()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint); o.UsePathStyle = true })
	ebc := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(endpoint) })
	ddb, table := motoCatalog(t, "ingest-calls")
	raw, partner, busName := mototest.Name("ingest-raw"), mototest.Name("ingest-partner"), mototest.Name("ingest-bus")
	for name, role := range map[string]string{raw: "raw", partner: "partner", table: "catalog", busName: "bus"} {
		rec.Name(name, role)
	}
	for _, b := range []string{raw, partner} {
		_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		require.NoError(t, err)
		_, err = s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
		require.NoError(t, err)
	}
	_, err := ebc.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(busName)})
	require.NoError(t, err)

	rules, err := runs.NewResolver([]runs.Rule{
		{Bucket: raw, Prefix: "runs/novaseqx/", Profile: runs.NovaSeqX.WithManifest("manifest.sha256"), Channel: events.ChannelDataSync},
		{Bucket: raw, Prefix: "runs/miseq/", Profile: runs.MiSeq, Channel: events.ChannelDataSync},
		{Bucket: partner, Prefix: "quarantine/", Profile: runs.Generic("", "manifest.sha256"), Channel: events.ChannelTransfer, Partnered: true},
	})
	require.NoError(t, err)

	// The DataSync run, moved under runs/novaseqx/, and a partner dataset.
	g := generateRun(rand.New(rand.NewSource(11)), raw, "20240607_LH00123_0042_A22CJKLLT3", 12)
	relocate := func(objs []genObject, from, to string) {
		for i := range objs {
			objs[i].Key = to + strings.TrimPrefix(objs[i].Key, from)
		}
	}
	relocate(g.Data, "runs/", "runs/novaseqx/")
	relocate(g.Markers, "runs/", "runs/novaseqx/")
	g.Manifest.Key = "runs/novaseqx/" + strings.TrimPrefix(g.Manifest.Key, "runs/")
	p := generateRun(rand.New(rand.NewSource(12)), partner, "dataset-7", 6)
	p.Markers = nil
	relocate(p.Data, "runs/", "quarantine/acme-cro/")
	p.Manifest.Key = "quarantine/acme-cro/" + strings.TrimPrefix(p.Manifest.Key, "runs/")
	var man strings.Builder
	for _, o := range p.Data {
		man.WriteString(fmt.Sprintf("%064x  %s\n", 0, strings.TrimPrefix(o.Key, "quarantine/acme-cro/dataset-7/")))
	}
	p.Manifest.Body = []byte(man.String())

	// A MiSeq run without a manifest: complete on DataSync's evidence.
	ms := generateRun(rand.New(rand.NewSource(13)), raw, "240101_M00001_0001_000000000-ABCDE", 4)
	relocate(ms.Data, "runs/", "runs/miseq/")
	ms.Markers = []genObject{ms.Markers[0]}
	ms.Markers[0].Key = "runs/miseq/240101_M00001_0001_000000000-ABCDE/RTAComplete.txt"
	ms.Manifest.Key = "runs/miseq/240101_M00001_0001_000000000-ABCDE/manifest.sha256" // a checksum list: not data

	var msgs []lambdaevents.SQSMessage
	for _, run := range []struct {
		bucket string
		g      *genRun
	}{{raw, &g}, {partner, &p}, {raw, &ms}} {
		put := func(o *genObject, body []byte) {
			out, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(run.bucket), Key: aws.String(o.Key), Body: strings.NewReader(string(body))})
			require.NoError(t, err, o.Key)
			o.Size, o.VersionID = int64(len(body)), aws.ToString(out.VersionId)
			o.ETag = strings.Trim(aws.ToString(out.ETag), `"`)
		}
		for i := range run.g.Data {
			put(&run.g.Data[i], []byte(run.g.Data[i].Key))
		}
		for i := range run.g.Markers {
			put(&run.g.Markers[i], []byte("done\n"))
		}
		put(&run.g.Manifest, run.g.Manifest.Body)
		for copy := 0; copy < 2; copy++ {
			for _, o := range run.g.All() {
				msgs = append(msgs, lambdaevents.SQSMessage{MessageId: fmt.Sprintf("m-%d-%s-%s", copy, run.bucket, o.Sequencer), Body: eventBridgeBody(run.bucket, o, t0)})
			}
		}
	}

	f := newFixture(t, catalog.NewDynamo(ddb, table))
	f.h.Resolver = rules
	f.h.S3, f.h.Tagger = s3c, s3c
	f.h.Publisher = &bus.EventBridge{Client: ebc, BusName: busName}
	f.h.DataSync = &fakeDataSync{uri: "s3://" + raw + "/runs/miseq/", verify: "ONLY_FILES_TRANSFERRED"}
	f.h.Concurrency = 1
	msgs = append(msgs, dataSyncMessage("SUCCESS", t0.Add(time.Hour)))
	// One event with its key unencoded: the decoded key is missing (a 404,
	// thanks to s3:ListBucket), the raw key holds the object.
	for _, o := range g.Data {
		if strings.Contains(o.Key, "Sample 01+A") {
			msgs = append(msgs, lambdaevents.SQSMessage{MessageId: "plain-key", Body: eventBridgeBodyKey(raw, o, o.Key, t0)})
		}
	}
	for i := 0; i < len(msgs); i += 10 {
		resp, err := f.h.Handle(rec.Context(ctx), lambdaevents.SQSEvent{Records: msgs[i:min(i+10, len(msgs))]})
		require.NoError(t, err)
		require.Empty(t, resp.BatchItemFailures, "logs:\n%s", f.logs.String())
	}
	for _, id := range []string{g.RunID, "acme-cro/dataset-7", ms.RunID} {
		run, found, err := f.h.Store.GetRun(ctx, id)
		require.NoError(t, err)
		require.True(t, found, id)
		assert.Equal(t, runs.StatePublished, run.State, id)
	}
	ops := rec.Ops()
	for _, op := range []string{"S3.GetObject", "S3.HeadObject", "S3.PutObjectTagging", "DynamoDB.TransactWriteItems", "DynamoDB.Query", "DynamoDB.DeleteItem", "EventBridge.PutEvents"} {
		assert.True(t, ops[op], "the scenario made no %s call (recorded: %v)", op, ops)
	}
}

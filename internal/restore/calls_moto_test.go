package restore

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/mototest"
)

// TestRestoreCallsOnMoto runs the restore handler as lambdas/restore wires
// it (S3, Step Functions, DynamoDB and EventBridge clients) on moto_server,
// through its documented paths: a task naming a run prefix with archived
// objects (ListObjectsV2, HeadObject, RestoreObject), the restore-completed
// event that finishes it (Query, SendTaskSuccess, PutEvents), and a task
// naming a missing object (SendTaskFailure). Its AWS calls are recorded for
// the permission proof (test/testdata/awscalls/restore.json), and every
// operation of the handler's AWS interfaces must have been made.
func TestRestoreCallsOnMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	rec := mototest.Record("restore")
	ctx := context.Background()
	cfg := mototest.Config()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint); o.UsePathStyle = true })
	sfnc := sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(endpoint) })
	ebc := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(endpoint) })
	store := motoStore(t)
	raw, busName := mototest.Name("restore-raw"), mototest.Name("restore-bus")
	rec.Name(raw, "raw")
	rec.Name(store.Table, "catalog")
	rec.Name(busName, "bus")

	_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(raw)})
	require.NoError(t, err)
	_, err = s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(raw),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	require.NoError(t, err)
	_, err = ebc.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(busName)})
	require.NoError(t, err)
	// A run as DataSync lays it out: one archived object, one readable.
	prefix := "runs/novaseqx/20240607_LH00123_0042_A22CJKLLT3/"
	versions := map[string]string{}
	for key, class := range map[string]s3types.StorageClass{
		prefix + "Data/L001.cbcl":   s3types.StorageClassDeepArchive,
		prefix + "RunInfo.xml":      s3types.StorageClassStandardIa,
		prefix + "SampleSheet.csv":  s3types.StorageClassStandardIa,
		prefix + "manifest.sha256":  s3types.StorageClassStandardIa,
		prefix + "CopyComplete.txt": s3types.StorageClassStandardIa,
	} {
		out, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(raw), Key: aws.String(key), Body: strings.NewReader(key), StorageClass: class})
		require.NoError(t, err, key)
		versions[key] = aws.ToString(out.VersionId)
	}

	h := &Handler{
		S3: s3c, SFN: sfnc, Store: store,
		Publisher: &bus.EventBridge{Client: ebc, BusName: busName},
		Logger:    slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		Tier:      DefaultTier, Days: DefaultDays,
	}
	invoke := func(v any) any {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		out, err := h.Handle(rec.Context(ctx), b)
		require.NoError(t, err)
		return out
	}

	// The task: the run's prefix, one object archived.
	out := invoke(TaskInput{TaskToken: "token-prefix", RunID: "run-prefix", Bucket: raw, Prefix: prefix, ExecutionID: "arn:aws:states:us-east-1:123456789012:execution:wf:run-prefix"})
	assert.Equal(t, TaskOutput{RunID: "run-prefix", Objects: 5, Archived: 1, Pending: 1, Requested: 1}, out)

	// S3 reports the restore done.
	key := prefix + "Data/L001.cbcl"
	ev := restoreEvent(key, versions[key])
	ev.Body = strings.Replace(ev.Body, `"name":"`+bucket+`"`, `"name":"`+raw+`"`, 1)
	resp := invoke(lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{ev}})
	assert.Empty(t, resp.(lambdaevents.SQSEventResponse).BatchItemFailures)

	// A task naming a missing object fails.
	out = invoke(TaskInput{TaskToken: "token-missing", RunID: "run-missing", Bucket: raw, Keys: []string{prefix + "missing.cbcl"}})
	assert.Equal(t, "run-missing", out.(TaskOutput).RunID)

	ops := rec.Ops()
	for _, op := range []string{"S3.ListObjectsV2", "S3.HeadObject", "S3.RestoreObject", "SFN.SendTaskSuccess", "SFN.SendTaskFailure",
		"DynamoDB.GetItem", "DynamoDB.UpdateItem", "DynamoDB.TransactWriteItems", "DynamoDB.Query", "EventBridge.PutEvents"} {
		assert.True(t, ops[op], "the scenario made no %s call (recorded: %v)", op, ops)
	}
}

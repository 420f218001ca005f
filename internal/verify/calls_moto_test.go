package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/catalogexport"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/mototest"
	"github.com/biolake/biolake/internal/runs"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// TestVerifyCallsOnMoto runs the verify handler as lambdas/verify wires it
// (S3, DynamoDB, EventBridge, the Parquet catalog export) on moto_server,
// with the data lake's layout, through the state machine's two actions
// (verify, finalize) on: a partner dataset in quarantine/<partner>/ that
// passes and is copied to accepted/ (CopyObject, and a multipart copy with
// its tags), with a catalog export to the curated bucket's catalog/; a
// DataSync run under runs/<source>/ whose manifest names a missing object
// and an object whose checksum does not match (IntegrityFailed). Its AWS
// calls are recorded for the permission proof
// (test/testdata/awscalls/verify.json).
func TestVerifyCallsOnMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	rec := mototest.Record("verify")
	ctx := context.Background()
	cfg := mototest.Config()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint); o.UsePathStyle = true })
	ebc := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(endpoint) })
	ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	raw, partner, curated := mototest.Name("verify-raw"), mototest.Name("verify-partner"), mototest.Name("verify-curated")
	table, busName := mototest.Name("verify-catalog"), mototest.Name("verify-bus")
	for name, role := range map[string]string{raw: "raw", partner: "partner", curated: "curated", table: "catalog", busName: "bus"} {
		rec.Name(name, role)
	}
	for _, b := range []string{raw, partner, curated} {
		_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		require.NoError(t, err)
		_, err = s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
		require.NoError(t, err)
	}
	_, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table), BillingMode: dtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: dtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: dtypes.ScalarAttributeTypeS},
		},
		KeySchema: []dtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: dtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: dtypes.KeyTypeRange},
		},
	})
	require.NoError(t, err)
	_, err = ebc.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(busName)})
	require.NoError(t, err)
	store := catalog.NewDynamo(ddb, table)

	// upload puts the files and a CSV manifest (edit changes its lines),
	// records the run in the catalog as ingest leaves it, and returns its
	// RunCompleted.
	upload := func(bucket, runID, prefix, profile string, channel events.Channel, partnerName string, files map[string][]byte, edit map[string]string) *events.RunCompleted {
		var man strings.Builder
		man.WriteString("path,size,sha256\n")
		var total int64
		init := catalog.RunInit{RunID: runID, Bucket: bucket, Prefix: prefix, Profile: profile, Channel: channel, Partner: partnerName, FirstKey: "k", FirstIdem: "i", At: t0}
		for _, rel := range sortedKeys(files) {
			body := files[rel]
			sum := sha(body)
			if e, ok := edit[rel]; ok {
				sum = e
			}
			fmt.Fprintf(&man, "%q,%d,%s\n", rel, len(body), sum)
			total += int64(len(body))
			if body == nil {
				continue // listed, never uploaded
			}
			out, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + rel), Body: bytes.NewReader(body)})
			require.NoError(t, err)
			_, err = s3c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(prefix + rel), VersionId: out.VersionId,
				Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("biolake:data-class"), Value: aws.String("fastq")}}}})
			require.NoError(t, err)
			_, err = store.Record(ctx, catalog.Object{RunID: runID, Bucket: bucket, Key: prefix + rel, VersionID: aws.ToString(out.VersionId), Size: int64(len(body)), Role: runs.RoleData}, init, catalog.Change{Data: true})
			require.NoError(t, err)
		}
		_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + "manifest.csv"), Body: strings.NewReader(man.String())})
		require.NoError(t, err)
		won, err := store.Claim(ctx, runID, "c", events.VerifiedByManifest, t0)
		require.NoError(t, err)
		require.True(t, won)
		return &events.RunCompleted{SchemaVersion: "1", RunID: runID, Channel: channel, Bucket: bucket, Prefix: prefix, Profile: profile,
			ObjectCount: int64(len(files)), TotalBytes: total, CompletedAt: t0, ManifestKey: prefix + "manifest.csv", Partner: partnerName,
			Evidence: events.VerifiedByManifest}
	}

	v := &Verifier{
		S3: s3c, Store: store, Publisher: &bus.EventBridge{Client: ebc, BusName: busName},
		Exporter:         &catalogexport.Exporter{Store: store, S3: s3c, Bucket: curated, Prefix: "catalog/", Now: func() time.Time { return t0 }},
		QuarantinePrefix: "quarantine/", AcceptedPrefix: "accepted/",
		Concurrency: 2, CopyPartBytes: 5 << 20, Now: func() time.Time { return t0 },
	}
	flow := func(rc *events.RunCompleted) (FinalizeOutput, error) {
		rctx := rec.Context(ctx)
		vo, err := v.VerifyRun(rctx, rc)
		require.NoError(t, err)
		b, err := json.Marshal(map[string]any{"action": "finalize", "run": vo, "large": []any{}})
		require.NoError(t, err)
		req, err := ParseRequest(b)
		require.NoError(t, err)
		return v.Finalize(rctx, *req.Finalize)
	}

	// The partner dataset passes: copied to accepted/ (the BAM in parts,
	// as it is larger than CopyPartBytes), exported to the catalog.
	fo, err := flow(upload(partner, "acme-cro/batch-7", "quarantine/acme-cro/batch-7/", "generic", events.ChannelTransfer, "acme-cro", map[string][]byte{
		"s1/R1.fastq.gz": bytes.Repeat([]byte("ACGT"), 1000),
		"s1/R2.fastq.gz": bytes.Repeat([]byte("TGCA"), 1000),
		"s1/aln.bam":     bytes.Repeat([]byte("B"), 11<<20),
	}, nil))
	require.NoError(t, err)
	assert.True(t, fo.Passed, "%+v", fo)
	assert.Equal(t, "accepted/acme-cro/batch-7/", fo.Prefix)
	assert.NotEmpty(t, fo.CatalogKeys)

	// The DataSync run fails: one object missing, one corrupt.
	fo, err = flow(upload(raw, "20240607_LH00123_0042_A22CJKLLT3", "runs/novaseqx/20240607_LH00123_0042_A22CJKLLT3/", "novaseq-x", events.ChannelDataSync, "", map[string][]byte{
		"RunInfo.xml":             []byte("<RunInfo/>"),
		"Data/L001.cbcl":          bytes.Repeat([]byte("C"), 4000),
		"Data/L002.cbcl":          nil,
		"SampleSheet.csv":         []byte("[Data]\nSample_ID\nS1\n"),
		"InterOp/ErrorMetricsOut": []byte("e"),
	}, map[string]string{"Data/L001.cbcl": sha([]byte("not it"))}))
	assert.False(t, fo.Passed, "%+v", fo)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 objects failed verification")

	ops := rec.Ops()
	for _, op := range []string{"S3.HeadObject", "S3.GetObject", "S3.CopyObject", "S3.GetObjectTagging", "S3.CreateMultipartUpload",
		"S3.UploadPartCopy", "S3.CompleteMultipartUpload", "S3.PutObject", "DynamoDB.GetItem", "DynamoDB.UpdateItem", "DynamoDB.Query", "EventBridge.PutEvents"} {
		assert.True(t, ops[op], "the scenario made no %s call (recorded: %v)", op, ops)
	}
}

func sortedKeys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

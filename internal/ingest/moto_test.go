package ingest

import (
	"context"
	"errors"
	"math/rand"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/dataclass"
	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/mototest"
	"github.com/biolake/biolake/internal/runs"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// countingDynamo counts DynamoDB calls and items written.
type countingDynamo struct {
	catalog.DynamoAPI
	mu     sync.Mutex
	calls  map[string]int
	writes int // items written by successful calls
}

func (c *countingDynamo) count(op string, items int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
	if err == nil {
		c.writes += items
	}
}

func (c *countingDynamo) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	out, err := c.DynamoAPI.TransactWriteItems(ctx, in, o...)
	c.count("TransactWriteItems", len(in.TransactItems), err)
	return out, err
}

func (c *countingDynamo) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := c.DynamoAPI.GetItem(ctx, in, o...)
	c.count("GetItem", 0, err)
	return out, err
}

func (c *countingDynamo) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.DynamoAPI.Query(ctx, in, o...)
	c.count("Query", 0, err)
	return out, err
}

func (c *countingDynamo) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := c.DynamoAPI.UpdateItem(ctx, in, o...)
	c.count("UpdateItem", 1, err)
	return out, err
}

func motoCatalog(t *testing.T, name string) (*dynamodb.Client, string) {
	endpoint := mototest.Endpoint(t)
	client := dynamodb.NewFromConfig(mototest.Config(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	table := mototest.Name(name)
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
	return client, table
}

// TestTagRetryOnMoto: the duplicate's conditional write returns the stored
// record (ALL_OLD) with the tagging failure noted, and the redelivery tags.
func TestTagRetryOnMoto(t *testing.T) {
	client, table := motoCatalog(t, "ingest-tag")
	f := newFixture(t, catalog.NewDynamo(client, table))
	g := generateRun(rand.New(rand.NewSource(4)), "raw", "run-tag", 10)
	var fq genObject
	for _, o := range g.Data {
		if c, _ := dataclass.ClassOf(o.Key, nil); c == "fastq" {
			fq = o
			break
		}
	}
	require.NotEmpty(t, fq.Key)
	f.s3.tagErr = errors.New("SlowDown")
	failed := f.deliver(t, messages(g, []genObject{fq}, t0))
	require.Len(t, failed, 1)
	f.s3.tagErr = nil
	require.Empty(t, f.deliver(t, failed))
	require.Empty(t, f.deliver(t, failed))
	assert.Equal(t, 2, f.s3.tagCalls, "failed, retried, then no more")
	assert.Equal(t, map[string]string{fq.Key: "fastq"}, f.s3.tagsByKey())
	out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: catalog.RunPK(g.RunID)}, "sk": &types.AttributeValueMemberS{Value: catalog.ObjectSK(fq.Key, fq.VersionID)},
	}})
	require.NoError(t, err)
	assert.NotContains(t, out.Item, "tagError")
	assert.Equal(t, &types.AttributeValueMemberS{Value: "fastq"}, out.Item["dataClass"])
}

// TestReplayOnMoto replays a duplicated, shuffled run against the DynamoDB
// store on moto_server and counts the DynamoDB calls per object.
func TestReplayOnMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	client := dynamodb.NewFromConfig(mototest.Config(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	table := mototest.Name("ingest")
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
	counter := &countingDynamo{DynamoAPI: client, calls: map[string]int{}}

	rng := rand.New(rand.NewSource(11))
	g := generateRun(rng, "raw", "20240607_LH00123_0042_A22CJKLLT3", 100)
	f := newFixture(t, catalog.NewDynamo(counter, table))
	f.h.Concurrency = 1 // moto is not linearizable under concurrent writes
	f.s3.put(g.Bucket, g.Manifest.Key, g.Manifest.Body)
	msgs := messages(g, g.All(), t0)
	msgs = append(msgs, msgs...)
	rng.Shuffle(len(msgs), func(i, j int) { msgs[i], msgs[j] = msgs[j], msgs[i] })
	require.Empty(t, f.deliver(t, msgs))

	require.Len(t, f.pub.Of(events.DetailTypeRunCompleted), 1)
	assert.Len(t, f.pub.Of(events.DetailTypeDatasetReceived), 1)
	run, found, err := f.h.Store.GetRun(context.Background(), g.RunID)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, runs.StatePublished, run.State)
	assert.EqualValues(t, len(g.Data), run.Received)
	assert.Equal(t, g.TotalBytes(), run.Bytes)

	objects := len(g.All())
	deliveries := len(msgs)
	t.Logf("objects %d, deliveries %d, calls %v, items written %d", objects, deliveries, counter.calls, counter.writes)
	// The manifest's second delivery finds it recorded: no transaction, no
	// second read of the manifest.
	assert.Equal(t, deliveries-1, counter.calls["TransactWriteItems"], "one transaction per delivery but the manifest's duplicate")
	assert.Equal(t, deliveries+2+2, counter.calls["GetItem"]) // +1 after the claim, +1 above, +1 per manifest delivery (HasObject)
	assert.Equal(t, 3, counter.calls["UpdateItem"])           // claim, published, announced
	// Items written: 2 per first delivery of an object (duplicates write
	// nothing), plus the 3 once-per-run updates.
	assert.Equal(t, 2*objects+3, counter.writes)
	assert.Equal(t, 1, f.s3.calls, "S3 is read only for the manifest, once per run")
	assert.Equal(t, len(g.classified()), f.s3.tagCalls, "one PutObjectTagging per classified data object, none for duplicates")
	assert.Equal(t, g.classified(), f.s3.tagsByKey())
	assert.Zero(t, counter.calls["Query"])
}

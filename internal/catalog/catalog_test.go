package catalog

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/mototest"
	"github.com/biolake/biolake/internal/runs"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

var t0 = time.Date(2024, 6, 7, 12, 0, 0, 0, time.UTC)

func obj(run, key, version string) Object {
	return Object{
		RunID: run, Bucket: "raw", Key: key, VersionID: version, Sequencer: "00A1",
		ETag: "e", Size: 10, Role: runs.RoleData,
		IdempotencyKey: "raw|" + key + "|" + version + "|00A1", RecordedAt: t0, EventTime: t0,
	}
}

func initFor(run, key string) RunInit {
	return RunInit{RunID: run, Bucket: "raw", Prefix: "runs/" + run + "/", Profile: "novaseq-x",
		Channel: events.ChannelDataSync, FirstKey: key, FirstIdem: "raw|" + key + "|v1|00A1", At: t0}
}

// contract checks the Store semantics every implementation must have.
// workers > 1 also checks concurrent writers (moto_server is not linearizable
// under concurrent requests: it loses ADD updates, so its run uses 1).
func contract(t *testing.T, newStore func(t *testing.T) Store, workers int) {
	ctx := context.Background()

	t.Run("record, duplicate, versions", func(t *testing.T) {
		st := newStore(t)
		_, found, err := st.GetRun(ctx, "r1")
		require.NoError(t, err)
		assert.False(t, found)

		dup, err := st.Record(ctx, obj("r1", "runs/r1/a", "v1"), initFor("r1", "runs/r1/a"), Change{Data: true, Bytes: 10})
		require.NoError(t, err)
		assert.False(t, dup.Duplicate)
		dup, err = st.Record(ctx, obj("r1", "runs/r1/a", "v1"), initFor("r1", "runs/r1/a"), Change{Data: true, Bytes: 10})
		require.NoError(t, err)
		assert.True(t, dup.Duplicate)
		dup, err = st.Record(ctx, obj("r1", "runs/r1/a", "v2"), initFor("r1", "runs/r1/b"), Change{Data: true, Bytes: 5})
		require.NoError(t, err)
		assert.False(t, dup.Duplicate)

		r, found, err := st.GetRun(ctx, "r1")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, Run{
			RunID: "r1", State: runs.StateReceiving, Bucket: "raw", Prefix: "runs/r1/", Profile: "novaseq-x",
			Channel: events.ChannelDataSync, FirstKey: "runs/r1/a", FirstIdem: "raw|runs/r1/a|v1|00A1", CreatedAt: t0,
			Received: 2, Bytes: 15, LastObjectAt: t0,
		}, r)
	})

	t.Run("markers and manifest", func(t *testing.T) {
		st := newStore(t)
		for i, m := range []string{"RTAComplete.txt", "CopyComplete.txt", "RTAComplete.txt"} {
			o := obj("r2", "runs/r2/"+m, fmt.Sprint("v", i))
			o.Role = runs.RoleMarker
			// The latest marker is not the last recorded.
			at := t0.Add([]time.Duration{time.Minute, 3 * time.Minute, 2 * time.Minute}[i])
			dup, err := st.Record(ctx, o, initFor("r2", o.Key), Change{Marker: m, MarkerAt: at})
			require.NoError(t, err)
			assert.False(t, dup.Duplicate)
		}
		mo := obj("r2", "runs/r2/manifest.sha256", "v1")
		mo.Role = runs.RoleManifest
		_, err := st.Record(ctx, mo, initFor("r2", mo.Key), Change{Manifest: &ManifestInfo{Key: mo.Key, Error: "line 3: bad"}})
		require.NoError(t, err)
		r, _, err := st.GetRun(ctx, "r2")
		require.NoError(t, err)
		assert.Equal(t, []string{"CopyComplete.txt", "RTAComplete.txt"}, r.Markers)
		assert.Equal(t, t0.Add(3*time.Minute), r.MarkersAt)
		assert.False(t, r.ManifestRead)
		assert.Equal(t, "line 3: bad", r.ManifestError)
		assert.Equal(t, "runs/r2/RTAComplete.txt", r.FirstKey)

		mo.VersionID = "v2"
		_, err = st.Record(ctx, mo, initFor("r2", mo.Key), Change{Manifest: &ManifestInfo{Key: mo.Key, Expected: 42}})
		require.NoError(t, err)
		r, _, err = st.GetRun(ctx, "r2")
		require.NoError(t, err)
		assert.True(t, r.ManifestRead)
		assert.EqualValues(t, 42, r.Expected)
		assert.Empty(t, r.ManifestError)
		assert.Equal(t, "runs/r2/manifest.sha256", r.ManifestKey)
		assert.Equal(t, runs.Progress{Markers: []string{"CopyComplete.txt", "RTAComplete.txt"}, ManifestRead: true, Expected: 42}, r.Progress())
	})

	t.Run("claim once, publish, announce", func(t *testing.T) {
		st := newStore(t)
		won, err := st.Claim(ctx, "nope", "x", events.VerifiedByManifest, t0)
		require.NoError(t, err)
		assert.False(t, won)

		_, err = st.Record(ctx, obj("r3", "runs/r3/a", "v1"), initFor("r3", "runs/r3/a"), Change{Data: true})
		require.NoError(t, err)
		var wins atomic.Int32
		var wg sync.WaitGroup
		claim := func(i int) {
			won, err := st.Claim(ctx, "r3", fmt.Sprint("c", i), events.VerifiedByManifest, t0.Add(time.Minute))
			assert.NoError(t, err)
			if won {
				wins.Add(1)
			}
		}
		for i := 0; i < 8; i++ {
			if workers == 1 {
				claim(i)
				continue
			}
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				claim(i)
			}(i)
		}
		wg.Wait()
		assert.EqualValues(t, 1, wins.Load())
		r, _, err := st.GetRun(ctx, "r3")
		require.NoError(t, err)
		assert.Equal(t, runs.StateComplete, r.State)
		assert.True(t, strings.HasPrefix(r.ClaimedBy, "c"))
		assert.Equal(t, t0.Add(time.Minute), r.CompletedAt)

		require.NoError(t, st.MarkPublished(ctx, "r3"))
		require.NoError(t, st.MarkPublished(ctx, "r3"))
		require.NoError(t, st.MarkAnnounced(ctx, "r3"))
		r, _, err = st.GetRun(ctx, "r3")
		require.NoError(t, err)
		assert.Equal(t, runs.StatePublished, r.State)
		assert.True(t, r.Announced)
		won, err = st.Claim(ctx, "r3", "late", events.VerifiedByDataSync, t0)
		require.NoError(t, err)
		assert.False(t, won)
	})

	t.Run("long keys and odd characters", func(t *testing.T) {
		st := newStore(t)
		long := "runs/r4/" + strings.Repeat("é", 600)
		for _, k := range []string{long, "runs/r4/a#b#c", "runs/r4/a b+c%d", "runs/r4/样本/ß"} {
			dup, err := st.Record(ctx, obj("r4", k, "null"), initFor("r4", k), Change{Data: true, Bytes: 1})
			require.NoError(t, err, k)
			assert.False(t, dup.Duplicate, k)
			dup, err = st.Record(ctx, obj("r4", k, "null"), initFor("r4", k), Change{Data: true, Bytes: 1})
			require.NoError(t, err, k)
			assert.True(t, dup.Duplicate, k)
		}
		r, _, err := st.GetRun(ctx, "r4")
		require.NoError(t, err)
		assert.EqualValues(t, 4, r.Received)
	})

	t.Run("duplicate returns the stored record; tag errors", func(t *testing.T) {
		st := newStore(t)
		o := obj("r6", "runs/r6/a.fastq.gz", "v1")
		o.DataClass = "fastq"
		rec, err := st.Record(ctx, o, initFor("r6", o.Key), Change{Data: true, Bytes: 10})
		require.NoError(t, err)
		assert.False(t, rec.Duplicate)
		assert.Nil(t, rec.Prior)
		require.NoError(t, st.SetTagError(ctx, "r6", o.Key, "v1", "AccessDenied"))
		rec, err = st.Record(ctx, o, initFor("r6", o.Key), Change{Data: true, Bytes: 10})
		require.NoError(t, err)
		require.True(t, rec.Duplicate)
		require.NotNil(t, rec.Prior)
		assert.Equal(t, "AccessDenied", rec.Prior.TagError)
		assert.Equal(t, "fastq", rec.Prior.DataClass)
		assert.Equal(t, o.IdempotencyKey, rec.Prior.IdempotencyKey)
		require.NoError(t, st.SetTagError(ctx, "r6", o.Key, "v1", ""))
		rec, err = st.Record(ctx, o, initFor("r6", o.Key), Change{Data: true, Bytes: 10})
		require.NoError(t, err)
		require.NotNil(t, rec.Prior)
		assert.Empty(t, rec.Prior.TagError)
		// Unknown objects: no error, nothing written.
		require.NoError(t, st.SetTagError(ctx, "r6", "runs/r6/none", "v1", "x"))
	})

	t.Run("verify: objects, claim once, publish", func(t *testing.T) {
		st := newStore(t)
		vs := st.(VerifyStore)
		won, err := vs.ClaimVerified(ctx, VerifiedClaim{RunID: "r7", VerifyID: "x", At: t0})
		require.NoError(t, err)
		assert.False(t, won, "no run record")
		keys := []string{"runs/r7/b", "runs/r7/a", "runs/r7/c#1"}
		for _, k := range keys {
			_, err := st.Record(ctx, obj("r7", k, "v1"), initFor("r7", k), Change{Data: true, Bytes: 10})
			require.NoError(t, err)
		}
		won, err = vs.ClaimVerified(ctx, VerifiedClaim{RunID: "r7", VerifyID: "x", At: t0})
		require.NoError(t, err)
		assert.False(t, won, "RECEIVING runs cannot be verified")
		won, err = st.Claim(ctx, "r7", "c", events.VerifiedBySettled, t0)
		require.NoError(t, err)
		require.True(t, won)

		at := t0.Add(time.Hour)
		require.NoError(t, vs.MarkObjectVerified(ctx, ObjectVerification{RunID: "r7", Bucket: "raw", Key: "runs/r7/a", VersionID: "v1", Size: 10,
			Verification: Verification{VerifyID: "vid-1", VerifiedAt: at, Method: "stored", SHA256: strings.Repeat("a", 64)}}))
		// A version the ingest handler never recorded gets a minimal record.
		require.NoError(t, vs.MarkObjectVerified(ctx, ObjectVerification{RunID: "r7", Bucket: "raw", Key: "runs/r7/z", VersionID: "v9", Size: 3,
			Verification: Verification{VerifyID: "vid-1", VerifiedAt: at, Method: "batch", MD5: strings.Repeat("b", 32)}}))
		var got []Object
		require.NoError(t, vs.Objects(ctx, "r7", func(o Object) error { got = append(got, o); return nil }))
		require.Len(t, got, 4)
		var order []string
		for _, o := range got {
			order = append(order, o.Key)
		}
		assert.Equal(t, []string{"runs/r7/a", "runs/r7/b", "runs/r7/c#1", "runs/r7/z"}, order)
		assert.Equal(t, "vid-1", got[0].VerifyID)
		assert.Equal(t, at, got[0].VerifiedAt)
		assert.Equal(t, "stored", got[0].Method)
		assert.Equal(t, strings.Repeat("a", 64), got[0].SHA256)
		assert.Equal(t, "00A1", got[0].Sequencer)
		assert.Empty(t, got[1].VerifyID)
		assert.Equal(t, runs.RoleData, got[3].Role)
		assert.EqualValues(t, 3, got[3].Size)
		assert.Equal(t, "batch", got[3].Method)

		var wins atomic.Int32
		for i := 0; i < 4; i++ {
			won, err := vs.ClaimVerified(ctx, VerifiedClaim{RunID: "r7", VerifyID: fmt.Sprint("v", i), At: at, Prefix: "runs/r7/", ManifestKey: "runs/r7/m"})
			require.NoError(t, err)
			if won {
				wins.Add(1)
			}
		}
		assert.EqualValues(t, 1, wins.Load())
		r, _, err := vs.GetRun(ctx, "r7")
		require.NoError(t, err)
		assert.Equal(t, runs.StateVerified, r.State)
		assert.Equal(t, "v0", r.VerifyID)
		assert.Equal(t, at, r.VerifiedAt)
		assert.Equal(t, "runs/r7/", r.VerifiedPrefix)
		assert.Equal(t, "runs/r7/m", r.VerifiedManifestKey)
		assert.False(t, r.IngestedPublished)
		require.NoError(t, vs.MarkIngestedPublished(ctx, "r7"))
		r, _, err = vs.GetRun(ctx, "r7")
		require.NoError(t, err)
		assert.True(t, r.IngestedPublished)
		// The ingest handler's late MarkPublished leaves VERIFIED alone.
		require.NoError(t, st.MarkPublished(ctx, "r7"))
		r, _, _ = vs.GetRun(ctx, "r7")
		assert.Equal(t, runs.StateVerified, r.State)

		stop := fmt.Errorf("stop")
		n := 0
		err = vs.Objects(ctx, "r7", func(Object) error { n++; return stop })
		assert.Equal(t, stop, err)
		assert.Equal(t, 1, n)
		require.NoError(t, vs.Objects(ctx, "nope", func(Object) error { t.Fatal("called"); return nil }))
	})

	t.Run("concurrent records count each object once", func(t *testing.T) {
		st := newStore(t)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					k := fmt.Sprintf("runs/r5/f%02d", i)
					_, err := st.Record(ctx, obj("r5", k, "v"), initFor("r5", k), Change{Data: true, Bytes: 2})
					assert.NoError(t, err)
				}
			}()
		}
		wg.Wait()
		r, _, err := st.GetRun(ctx, "r5")
		require.NoError(t, err)
		assert.EqualValues(t, 25, r.Received)
		assert.EqualValues(t, 50, r.Bytes)
	})
}

// evidenceContract checks the pending index, the DataSync successes, the
// claim's evidence and HasObject.
func evidenceContract(t *testing.T, st Store) {
	ctx := context.Background()
	o := obj("e1", "runs/e1/a.bcl", "v1")
	has, err := st.HasObject(ctx, "e1", o.Key, "v1")
	require.NoError(t, err)
	assert.False(t, has)
	_, err = st.Record(ctx, o, initFor("e1", o.Key), Change{Data: true, Bytes: 10})
	require.NoError(t, err)
	has, err = st.HasObject(ctx, "e1", o.Key, "v1")
	require.NoError(t, err)
	assert.True(t, has)
	has, err = st.HasObject(ctx, "e1", o.Key, "v2")
	require.NoError(t, err)
	assert.False(t, has)

	p := Pending{RunID: "e1", Bucket: "raw", Prefix: "runs/e1/", Channel: events.ChannelDataSync, Since: t0}
	require.NoError(t, st.AddPending(ctx, p))
	later := p
	later.Since = t0.Add(time.Hour)
	require.NoError(t, st.AddPending(ctx, later)) // idempotent: the first stays
	require.NoError(t, st.AddPending(ctx, Pending{RunID: "e0", Bucket: "raw", Prefix: "runs/e0/", Channel: events.ChannelFileGateway, Since: t0}))
	var got []Pending
	require.NoError(t, st.Pending(ctx, func(p Pending) error { got = append(got, p); return nil }))
	assert.Equal(t, []Pending{{RunID: "e0", Bucket: "raw", Prefix: "runs/e0/", Channel: events.ChannelFileGateway, Since: t0}, p}, got)
	r, _, err := st.GetRun(ctx, "e1")
	require.NoError(t, err)
	assert.Equal(t, t0, r.PendingSince)
	require.NoError(t, st.RemovePending(ctx, "e0"))
	require.NoError(t, st.RemovePending(ctx, "e0"))
	got = nil
	require.NoError(t, st.Pending(ctx, func(p Pending) error { got = append(got, p); return nil }))
	assert.Equal(t, []Pending{p}, got)

	for _, ds := range []DataSyncSuccess{
		{Bucket: "raw", Prefix: "runs/", EndedAt: t0.Add(time.Hour), ExecutionARN: "arn:2"},
		{Bucket: "raw", Prefix: "runs/", EndedAt: t0, ExecutionARN: "arn:1"}, // older: ignored
		{Bucket: "raw", Prefix: "", EndedAt: t0, ExecutionARN: "arn:3"},
		{Bucket: "other", Prefix: "runs/", EndedAt: t0, ExecutionARN: "arn:4"},
	} {
		require.NoError(t, st.PutDataSyncSuccess(ctx, ds))
	}
	dss, err := st.DataSyncSuccesses(ctx, "raw")
	require.NoError(t, err)
	assert.Equal(t, []DataSyncSuccess{
		{Bucket: "raw", Prefix: "", EndedAt: t0, ExecutionARN: "arn:3"},
		{Bucket: "raw", Prefix: "runs/", EndedAt: t0.Add(time.Hour), ExecutionARN: "arn:2"},
	}, dss)
	assert.True(t, dss[1].Covers("raw", "runs/e1/"))
	assert.False(t, dss[1].Covers("other", "runs/e1/"))
	assert.False(t, dss[1].Covers("raw", "drop/e1/"))

	won, err := st.Claim(ctx, "e1", "c", events.VerifiedByDataSync, t0)
	require.NoError(t, err)
	assert.True(t, won)
	r, _, err = st.GetRun(ctx, "e1")
	require.NoError(t, err)
	assert.Equal(t, events.VerifiedByDataSync, r.Evidence)
}

func TestMem(t *testing.T) {
	evidenceContract(t, NewMem())
	contract(t, func(t *testing.T) Store { return NewMem() }, 4)
}

// counting wraps a DynamoAPI and counts calls per operation.
type counting struct {
	DynamoAPI
	mu    sync.Mutex
	calls map[string]int
}

func (c *counting) inc(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[op]++
}

func (c *counting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.inc("TransactWriteItems")
	return c.DynamoAPI.TransactWriteItems(ctx, in, o...)
}

func (c *counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.inc("GetItem")
	return c.DynamoAPI.GetItem(ctx, in, o...)
}

func (c *counting) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.inc("Query")
	return c.DynamoAPI.Query(ctx, in, o...)
}

func (c *counting) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.inc("DeleteItem")
	return c.DynamoAPI.DeleteItem(ctx, in, o...)
}

func (c *counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.inc("UpdateItem")
	return c.DynamoAPI.UpdateItem(ctx, in, o...)
}

// motoTable creates a fresh table in moto and returns a client for it.
func motoTable(t *testing.T) (*dynamodb.Client, string) {
	endpoint := mototest.Endpoint(t)
	client := dynamodb.NewFromConfig(mototest.Config(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
	table := mototest.Name("catalog")
	_, err := client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
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

func TestDynamoOnMoto(t *testing.T) {
	client, table := motoTable(t)
	evidenceContract(t, NewDynamo(client, table))
	contract(t, func(t *testing.T) Store {
		client, table := motoTable(t)
		return NewDynamo(client, table)
	}, 1)
}

// TestDynamoCallsPerObject counts DynamoDB calls for one data object and its
// duplicate delivery.
func TestDynamoCallsPerObject(t *testing.T) {
	client, table := motoTable(t)
	c := &counting{DynamoAPI: client}
	st := NewDynamo(c, table)
	ctx := context.Background()
	_, err := st.Record(ctx, obj("r", "runs/r/a", "v"), initFor("r", "runs/r/a"), Change{Data: true, Bytes: 1})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"TransactWriteItems": 1}, c.calls)
	dup, err := st.Record(ctx, obj("r", "runs/r/a", "v"), initFor("r", "runs/r/a"), Change{Data: true, Bytes: 1})
	require.NoError(t, err)
	assert.True(t, dup.Duplicate)
	assert.Equal(t, map[string]int{"TransactWriteItems": 2}, c.calls)
}

// TestDynamoObjectsPaginates reads object records over several Query pages.
func TestDynamoObjectsPaginates(t *testing.T) {
	client, table := motoTable(t)
	c := &counting{DynamoAPI: client}
	st := NewDynamo(c, table)
	st.PageLimit = 40
	ctx := context.Background()
	pad := "p"
	const n = 130
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("runs/rp/%s/%05d", pad, i)
		_, err := st.Record(ctx, obj("rp", k, "v"), initFor("rp", k), Change{Data: true, Bytes: 1})
		require.NoError(t, err)
	}
	seen := 0
	require.NoError(t, st.Objects(ctx, "rp", func(o Object) error {
		assert.Equal(t, fmt.Sprintf("runs/rp/%s/%05d", pad, seen), o.Key)
		seen++
		return nil
	}))
	assert.Equal(t, n, seen)
	assert.Equal(t, 4, c.calls["Query"], "paginated")
}

package restore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Restore record states.
const (
	// StateRequesting: the task is finding archived objects and asking for
	// their restore; pending counts the objects being waited for so far.
	StateRequesting = "REQUESTING"
	// StateWaiting: every restore was asked for; the event (or the task)
	// that sees pending reach 0 claims completion.
	StateWaiting = "WAITING"
	// StateCompleting: completion claimed (claimedBy); RestoreCompleted and
	// SendTaskSuccess are being sent.
	StateCompleting = "COMPLETING"
	// StateDone: the task was told of success.
	StateDone = "DONE"
	// StateFailed: the task was told of failure (ErrRestoreFailed).
	StateFailed = "FAILED"
)

// Object states.
const (
	ObjPending  = "PENDING"
	ObjRestored = "RESTORED"
)

// Record is a run's restore record (pk=RESTORE#<runId>, sk=RESTORE).
type Record struct {
	RunID string
	// Request identifies the round: a hash of the task token, so a retried
	// task state (a new token) starts a new round and a duplicate
	// invocation (the same token) continues its own.
	Request     string
	TaskToken   string
	State       string
	Pending     int64
	Restored    int64
	Total       int64
	Bucket      string
	Tier        string
	Days        int32
	ExecutionID string
	ClaimedBy   string
	Published   bool
	CreatedAt   time.Time
}

// ObjectRef names an object version.
type ObjectRef struct {
	Bucket, Key, VersionID string
}

// Waiter is a run waiting for (or done waiting for) an object's restore.
type Waiter struct {
	RunID   string
	Request string
	State   string
}

// Store keeps restore records in the catalog table.
type Store interface {
	// Begin starts a round for r (when the run has no record, or a record
	// of another round) and returns the current record.
	Begin(ctx context.Context, r Record) (Record, error)
	// Get reads a run's record (strongly consistent).
	Get(ctx context.Context, runID string) (Record, bool, error)
	// AddPending records that the round waits for o (once per round and
	// object version) and counts it. added is false for a repeat.
	// *ErrSuperseded when the round is no longer current or requesting.
	AddPending(ctx context.Context, runID, request string, o ObjectRef, at time.Time) (added bool, err error)
	// Ready moves the round from REQUESTING to WAITING (idempotent).
	Ready(ctx context.Context, runID, request string) error
	// MarkRestored marks o restored for the round and counts it down, once.
	MarkRestored(ctx context.Context, runID, request string, o ObjectRef, at time.Time) (changed bool, err error)
	// Waiters lists the runs that recorded o (a Query on the object's key).
	Waiters(ctx context.Context, o ObjectRef) ([]Waiter, error)
	// ClaimSuccess moves the round from WAITING with pending <= 0 to
	// COMPLETING, recording claimant; false when not so.
	ClaimSuccess(ctx context.Context, runID, request, claimant string) (bool, error)
	// ClaimFailure moves the round from REQUESTING or WAITING to FAILED.
	ClaimFailure(ctx context.Context, runID, request, claimant string) (bool, error)
	// MarkPublished records that RestoreCompleted was published.
	MarkPublished(ctx context.Context, runID, request string) error
	// Finish moves the round from COMPLETING to DONE.
	Finish(ctx context.Context, runID, request string) error
}

// ErrSuperseded is returned when a newer round (a retried task) replaced the
// one being worked on.
type ErrSuperseded struct{ RunID, Request string }

func (e *ErrSuperseded) Error() string {
	return fmt.Sprintf("restore: run %q: round %s was superseded by a newer task", e.RunID, e.Request)
}

// ErrStore wraps a failure of the underlying store.
type ErrStore struct {
	Op  string
	Err error
}

func (e *ErrStore) Error() string { return fmt.Sprintf("restore: %s: %v", e.Op, e.Err) }

func (e *ErrStore) Unwrap() error { return e.Err }

// Keys.
const (
	recordPrefix = "RESTORE#"
	recordSK     = "RESTORE"
	objectPrefix = "RESTOREOBJ#"
	runSKPrefix  = "RUN#"
)

// RecordPK is the partition key of a run's restore record.
func RecordPK(runID string) string { return recordPrefix + runID }

// ObjectPK is the partition key of an object's restore items: one item per
// run waiting for it (sk=RUN#<runId>).
func ObjectPK(o ObjectRef) string {
	return objectPrefix + o.Bucket + "|" + o.Key + "|" + o.VersionID
}

// ---- in memory ----

// Mem is an in-memory Store with Dynamo's semantics, for tests.
type Mem struct {
	mu      sync.Mutex
	records map[string]*Record
	objects map[string]map[string]*memObj // object pk -> runId -> item
	Calls   map[string]int
}

type memObj struct {
	request, state string
}

// NewMem returns an empty Mem.
func NewMem() *Mem {
	return &Mem{records: map[string]*Record{}, objects: map[string]map[string]*memObj{}, Calls: map[string]int{}}
}

func (m *Mem) Begin(_ context.Context, r Record) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls["Begin"]++
	cur, ok := m.records[r.RunID]
	if !ok || cur.Request != r.Request {
		r.State, r.Pending, r.Restored, r.Total, r.ClaimedBy, r.Published = StateRequesting, 0, 0, 0, "", false
		r.CreatedAt = r.CreatedAt.UTC()
		m.records[r.RunID] = &r
		return r, nil
	}
	return *cur, nil
}

func (m *Mem) Get(_ context.Context, runID string) (Record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls["Get"]++
	r, ok := m.records[runID]
	if !ok {
		return Record{}, false, nil
	}
	return *r, true, nil
}

func (m *Mem) AddPending(_ context.Context, runID, request string, o ObjectRef, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls["AddPending"]++
	items := m.objects[ObjectPK(o)]
	if it, ok := items[runID]; ok && it.request == request {
		return false, nil
	}
	r, ok := m.records[runID]
	if !ok || r.Request != request || r.State != StateRequesting {
		return false, &ErrSuperseded{RunID: runID, Request: request}
	}
	if items == nil {
		items = map[string]*memObj{}
		m.objects[ObjectPK(o)] = items
	}
	items[runID] = &memObj{request: request, state: ObjPending}
	r.Pending++
	r.Total++
	return true, nil
}

func (m *Mem) Ready(_ context.Context, runID, request string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls["Ready"]++
	r, ok := m.records[runID]
	if !ok || r.Request != request || r.State == StateFailed {
		return &ErrSuperseded{RunID: runID, Request: request}
	}
	if r.State == StateRequesting {
		r.State = StateWaiting
	}
	return nil
}

func (m *Mem) MarkRestored(_ context.Context, runID, request string, o ObjectRef, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls["MarkRestored"]++
	it, ok := m.objects[ObjectPK(o)][runID]
	if !ok || it.request != request || it.state != ObjPending {
		return false, nil
	}
	r, ok := m.records[runID]
	if !ok || r.Request != request {
		return false, nil
	}
	it.state = ObjRestored
	r.Pending--
	r.Restored++
	return true, nil
}

func (m *Mem) Waiters(_ context.Context, o ObjectRef) ([]Waiter, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls["Waiters"]++
	var out []Waiter
	for run, it := range m.objects[ObjectPK(o)] {
		out = append(out, Waiter{RunID: run, Request: it.request, State: it.state})
	}
	return out, nil
}

func (m *Mem) ClaimSuccess(_ context.Context, runID, request, claimant string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls["ClaimSuccess"]++
	r, ok := m.records[runID]
	if !ok || r.Request != request || r.State != StateWaiting || r.Pending > 0 {
		return false, nil
	}
	r.State, r.ClaimedBy = StateCompleting, claimant
	return true, nil
}

func (m *Mem) ClaimFailure(_ context.Context, runID, request, claimant string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls["ClaimFailure"]++
	r, ok := m.records[runID]
	if !ok || r.Request != request || (r.State != StateRequesting && r.State != StateWaiting) {
		return false, nil
	}
	r.State, r.ClaimedBy = StateFailed, claimant
	return true, nil
}

func (m *Mem) MarkPublished(_ context.Context, runID, request string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls["MarkPublished"]++
	if r, ok := m.records[runID]; ok && r.Request == request {
		r.Published = true
	}
	return nil
}

func (m *Mem) Finish(_ context.Context, runID, request string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls["Finish"]++
	if r, ok := m.records[runID]; ok && r.Request == request && r.State == StateCompleting {
		r.State = StateDone
	}
	return nil
}

// ---- DynamoDB ----

// DynamoAPI is what Dynamo needs of a *dynamodb.Client.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Dynamo is the DynamoDB Store, in the catalog table.
type Dynamo struct {
	Client DynamoAPI
	Table  string
	// MaxAttempts bounds the tries of a write that conflicts with
	// concurrent writes to the same record. Default 8.
	MaxAttempts int
}

const (
	aPK, aSK                  = "pk", "sk"
	aType, aRunID, aRequest   = "type", "runId", "request"
	aToken, aState            = "taskToken", "state"
	aPending, aRestored       = "pending", "restored"
	aTotal, aBucket, aTier    = "total", "bucket", "tier"
	aDays, aExecution         = "days", "executionId"
	aClaimedBy, aPublished    = "claimedBy", "published"
	aCreatedAt, aUpdatedAt    = "createdAt", "updatedAt"
	aKey, aVersionID          = "key", "versionId"
	aRequestedAt, aRestoredAt = "requestedAt", "restoredAt"
)

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func nv(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
func tv(t time.Time) types.AttributeValue { return sv(t.UTC().Format(time.RFC3339Nano)) }

func recordKey(runID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{aPK: sv(RecordPK(runID)), aSK: sv(recordSK)}
}

func objectKey(o ObjectRef, runID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{aPK: sv(ObjectPK(o)), aSK: sv(runSKPrefix + runID)}
}

func (d *Dynamo) attempts() int {
	if d.MaxAttempts > 0 {
		return d.MaxAttempts
	}
	return 8
}

// retry runs op again after DynamoDB transaction conflicts (several events
// count down one record at once), with jittered backoff.
func (d *Dynamo) retry(ctx context.Context, op string, f func() error) error {
	var err error
	for i := 0; i < d.attempts(); i++ {
		err = f()
		if !isConflict(err) {
			break
		}
		t := time.NewTimer(time.Duration(rand.Int64N(int64(20*time.Millisecond) << i)))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if err != nil {
		return &ErrStore{Op: op, Err: err}
	}
	return nil
}

func isConflict(err error) bool {
	var tc *types.TransactionConflictException
	if errors.As(err, &tc) {
		return true
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			if aws.ToString(r.Code) == "TransactionConflict" {
				return true
			}
		}
	}
	return false
}

// cancelled returns, for a cancelled transaction, which items failed their
// condition.
func cancelled(err error) (failed []bool, ok bool) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil, false
	}
	for _, r := range tce.CancellationReasons {
		failed = append(failed, aws.ToString(r.Code) == "ConditionalCheckFailed")
	}
	return failed, true
}

func isCCF(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// Begin implements Store: a conditional UpdateItem that starts a round
// unless this one is current, then a consistent GetItem.
func (d *Dynamo) Begin(ctx context.Context, r Record) (Record, error) {
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(d.Table),
		Key:       recordKey(r.RunID),
		UpdateExpression: aws.String("SET #type = :type, #runId = :runId, #request = :request, #taskToken = :token, #state = :requesting, " +
			"#pending = :zero, #restored = :zero, #total = :zero, #bucket = :bucket, #tier = :tier, #days = :days, " +
			"#executionId = :exec, #createdAt = :now, #updatedAt = :now REMOVE #claimedBy, #published"),
		ConditionExpression: aws.String("attribute_not_exists(#pk) OR #request <> :request"),
		ExpressionAttributeNames: map[string]string{
			"#pk": aPK, "#type": aType, "#runId": aRunID, "#request": aRequest, "#taskToken": aToken, "#state": aState,
			"#pending": aPending, "#restored": aRestored, "#total": aTotal, "#bucket": aBucket, "#tier": aTier, "#days": aDays,
			"#executionId": aExecution, "#createdAt": aCreatedAt, "#updatedAt": aUpdatedAt, "#claimedBy": aClaimedBy, "#published": aPublished,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":type": sv("RESTORE"), ":runId": sv(r.RunID), ":request": sv(r.Request), ":token": sv(r.TaskToken),
			":requesting": sv(StateRequesting), ":zero": nv(0), ":bucket": sv(r.Bucket), ":tier": sv(r.Tier),
			":days": nv(int64(r.Days)), ":exec": sv(r.ExecutionID), ":now": tv(r.CreatedAt),
		},
	}
	err := d.retry(ctx, "begin restore "+r.RunID, func() error {
		_, err := d.Client.UpdateItem(ctx, in)
		if isCCF(err) {
			return nil // this round is current
		}
		return err
	})
	if err != nil {
		return Record{}, err
	}
	rec, found, err := d.Get(ctx, r.RunID)
	if err != nil {
		return Record{}, err
	}
	if !found {
		return Record{}, &ErrStore{Op: "begin restore " + r.RunID, Err: errors.New("record missing after write")}
	}
	return rec, nil
}

// Get implements Store.
func (d *Dynamo) Get(ctx context.Context, runID string) (Record, bool, error) {
	out, err := d.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(d.Table), Key: recordKey(runID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Record{}, false, &ErrStore{Op: "get restore " + runID, Err: err}
	}
	if len(out.Item) == 0 {
		return Record{}, false, nil
	}
	item := out.Item
	str := func(k string) string {
		if v, ok := item[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	var errs []error
	num := func(k string) int64 {
		v, ok := item[k].(*types.AttributeValueMemberN)
		if !ok {
			return 0
		}
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			errs = append(errs, err)
		}
		return n
	}
	r := Record{
		RunID: str(aRunID), Request: str(aRequest), TaskToken: str(aToken), State: str(aState),
		Pending: num(aPending), Restored: num(aRestored), Total: num(aTotal), Bucket: str(aBucket), Tier: str(aTier),
		Days: int32(num(aDays)), ExecutionID: str(aExecution), ClaimedBy: str(aClaimedBy),
	}
	if v, ok := item[aPublished].(*types.AttributeValueMemberBOOL); ok {
		r.Published = v.Value
	}
	if c := str(aCreatedAt); c != "" {
		t, err := time.Parse(time.RFC3339Nano, c)
		if err != nil {
			errs = append(errs, err)
		}
		r.CreatedAt = t
	}
	if err := errors.Join(errs...); err != nil {
		return Record{}, false, &ErrStore{Op: "decode restore " + runID, Err: err}
	}
	return r, true, nil
}

// AddPending implements Store with one TransactWriteItems: the object item
// (conditional on not being this round's already) and the count.
func (d *Dynamo) AddPending(ctx context.Context, runID, request string, o ObjectRef, at time.Time) (bool, error) {
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{
			TableName: aws.String(d.Table),
			Item: map[string]types.AttributeValue{
				aPK: sv(ObjectPK(o)), aSK: sv(runSKPrefix + runID), aType: sv("RESTOREOBJ"), aRunID: sv(runID),
				aRequest: sv(request), aState: sv(ObjPending), aBucket: sv(o.Bucket), aKey: sv(o.Key),
				aVersionID: sv(o.VersionID), aRequestedAt: tv(at),
			},
			ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #request <> :request"),
			ExpressionAttributeNames:  map[string]string{"#pk": aPK, "#request": aRequest},
			ExpressionAttributeValues: map[string]types.AttributeValue{":request": sv(request)},
		}},
		{Update: &types.Update{
			TableName:                 aws.String(d.Table),
			Key:                       recordKey(runID),
			UpdateExpression:          aws.String("ADD #pending :one, #total :one"),
			ConditionExpression:       aws.String("#request = :request AND #state = :requesting"),
			ExpressionAttributeNames:  map[string]string{"#pending": aPending, "#total": aTotal, "#request": aRequest, "#state": aState},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": nv(1), ":request": sv(request), ":requesting": sv(StateRequesting)},
		}},
	}}
	added := true
	err := d.retry(ctx, "add pending "+runID, func() error {
		_, err := d.Client.TransactWriteItems(ctx, in)
		if failed, ok := cancelled(err); ok && !isConflict(err) {
			switch {
			case len(failed) > 0 && failed[0]:
				added = false
				return nil
			case len(failed) > 1 && failed[1]:
				return &ErrSuperseded{RunID: runID, Request: request}
			}
		}
		return err
	})
	var sup *ErrSuperseded
	if errors.As(err, &sup) {
		return false, sup
	}
	return added, err
}

// Ready implements Store.
func (d *Dynamo) Ready(ctx context.Context, runID, request string) error {
	_, err := d.update(ctx, "ready "+runID, recordKey(runID), "SET #state = :waiting",
		"#request = :request AND #state = :requesting",
		map[string]types.AttributeValue{":waiting": sv(StateWaiting), ":request": sv(request), ":requesting": sv(StateRequesting)})
	if err != nil {
		return err
	}
	r, found, err := d.Get(ctx, runID)
	if err != nil {
		return err
	}
	if !found || r.Request != request || r.State == StateFailed || r.State == StateRequesting {
		return &ErrSuperseded{RunID: runID, Request: request}
	}
	return nil
}

// MarkRestored implements Store with one TransactWriteItems.
func (d *Dynamo) MarkRestored(ctx context.Context, runID, request string, o ObjectRef, at time.Time) (bool, error) {
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                 aws.String(d.Table),
			Key:                       objectKey(o, runID),
			UpdateExpression:          aws.String("SET #state = :restored, #restoredAt = :at"),
			ConditionExpression:       aws.String("#state = :pending AND #request = :request"),
			ExpressionAttributeNames:  map[string]string{"#state": aState, "#restoredAt": aRestoredAt, "#request": aRequest},
			ExpressionAttributeValues: map[string]types.AttributeValue{":restored": sv(ObjRestored), ":at": tv(at), ":pending": sv(ObjPending), ":request": sv(request)},
		}},
		{Update: &types.Update{
			TableName:                 aws.String(d.Table),
			Key:                       recordKey(runID),
			UpdateExpression:          aws.String("ADD #pending :minus, #restored :one"),
			ConditionExpression:       aws.String("#request = :request"),
			ExpressionAttributeNames:  map[string]string{"#pending": aPending, "#restored": aRestored, "#request": aRequest},
			ExpressionAttributeValues: map[string]types.AttributeValue{":minus": nv(-1), ":one": nv(1), ":request": sv(request)},
		}},
	}}
	changed := true
	err := d.retry(ctx, "mark restored "+runID, func() error {
		_, err := d.Client.TransactWriteItems(ctx, in)
		if _, ok := cancelled(err); ok && !isConflict(err) {
			changed = false // already restored, or another round
			return nil
		}
		return err
	})
	return changed && err == nil, err
}

// Waiters implements Store with a paginated Query on the object's key.
func (d *Dynamo) Waiters(ctx context.Context, o ObjectRef) ([]Waiter, error) {
	var out []Waiter
	var start map[string]types.AttributeValue
	for {
		page, err := d.Client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(d.Table),
			KeyConditionExpression:    aws.String("#pk = :pk"),
			ExpressionAttributeNames:  map[string]string{"#pk": aPK},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(ObjectPK(o))},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, &ErrStore{Op: "query waiters", Err: err}
		}
		for _, it := range page.Items {
			w := Waiter{}
			if v, ok := it[aRunID].(*types.AttributeValueMemberS); ok {
				w.RunID = v.Value
			}
			if v, ok := it[aRequest].(*types.AttributeValueMemberS); ok {
				w.Request = v.Value
			}
			if v, ok := it[aState].(*types.AttributeValueMemberS); ok {
				w.State = v.Value
			}
			out = append(out, w)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		start = page.LastEvaluatedKey
	}
}

// ClaimSuccess implements Store.
func (d *Dynamo) ClaimSuccess(ctx context.Context, runID, request, claimant string) (bool, error) {
	return d.update(ctx, "claim success "+runID, recordKey(runID), "SET #state = :completing, #claimedBy = :claimant",
		"#request = :request AND #state = :waiting AND #pending <= :zero",
		map[string]types.AttributeValue{":completing": sv(StateCompleting), ":claimant": sv(claimant), ":request": sv(request),
			":waiting": sv(StateWaiting), ":zero": nv(0)})
}

// ClaimFailure implements Store.
func (d *Dynamo) ClaimFailure(ctx context.Context, runID, request, claimant string) (bool, error) {
	return d.update(ctx, "claim failure "+runID, recordKey(runID), "SET #state = :failed, #claimedBy = :claimant",
		"#request = :request AND (#state = :requesting OR #state = :waiting)",
		map[string]types.AttributeValue{":failed": sv(StateFailed), ":claimant": sv(claimant), ":request": sv(request),
			":requesting": sv(StateRequesting), ":waiting": sv(StateWaiting)})
}

// MarkPublished implements Store.
func (d *Dynamo) MarkPublished(ctx context.Context, runID, request string) error {
	_, err := d.update(ctx, "mark published "+runID, recordKey(runID), "SET #published = :true", "#request = :request",
		map[string]types.AttributeValue{":true": &types.AttributeValueMemberBOOL{Value: true}, ":request": sv(request)})
	return err
}

// Finish implements Store.
func (d *Dynamo) Finish(ctx context.Context, runID, request string) error {
	_, err := d.update(ctx, "finish "+runID, recordKey(runID), "SET #state = :done", "#request = :request AND #state = :completing",
		map[string]types.AttributeValue{":done": sv(StateDone), ":request": sv(request), ":completing": sv(StateCompleting)})
	return err
}

// update runs a conditional UpdateItem; false, nil when the condition failed.
func (d *Dynamo) update(ctx context.Context, op string, key map[string]types.AttributeValue, update, cond string, values map[string]types.AttributeValue) (bool, error) {
	nm := map[string]string{}
	for _, n := range []string{"#state", "#request", "#pending", "#claimedBy", "#published"} {
		if containsName(update, n) || containsName(cond, n) {
			nm[n] = map[string]string{"#state": aState, "#request": aRequest, "#pending": aPending, "#claimedBy": aClaimedBy, "#published": aPublished}[n]
		}
	}
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(d.Table), Key: key, UpdateExpression: aws.String(update), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: nm, ExpressionAttributeValues: values,
	}
	ok := true
	err := d.retry(ctx, op, func() error {
		_, err := d.Client.UpdateItem(ctx, in)
		if isCCF(err) {
			ok = false
			return nil
		}
		return err
	})
	return ok && err == nil, err
}

func containsName(expr, name string) bool {
	for i := 0; i+len(name) <= len(expr); i++ {
		if expr[i:i+len(name)] == name {
			end := i + len(name)
			if end == len(expr) || !isNameChar(expr[end]) {
				return true
			}
		}
	}
	return false
}

func isNameChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

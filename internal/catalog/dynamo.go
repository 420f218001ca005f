package catalog

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/runs"
)

// TransactWriteItemsAPI is the one DynamoDB method Record needs.
type TransactWriteItemsAPI interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// GetItemAPI is the one DynamoDB method GetRun needs.
type GetItemAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// UpdateItemAPI is the one DynamoDB method Claim, MarkPublished and
// MarkAnnounced need.
type UpdateItemAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// DynamoAPI is what Dynamo needs of a *dynamodb.Client.
type DynamoAPI interface {
	TransactWriteItemsAPI
	GetItemAPI
	UpdateItemAPI
}

// Dynamo is the DynamoDB Store.
type Dynamo struct {
	Client DynamoAPI
	Table  string
	// MaxAttempts bounds the tries of a write that conflicts with concurrent
	// writes to the same run record. Default 6.
	MaxAttempts int
	// BaseDelay is the first backoff between conflicting tries (full jitter,
	// doubling). Default 25ms.
	BaseDelay time.Duration
	// Sleep waits between tries; default honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewDynamo returns a Dynamo Store over client and table.
func NewDynamo(client DynamoAPI, table string) *Dynamo {
	return &Dynamo{Client: client, Table: table}
}

// Attribute names.
const (
	aPK            = "pk"
	aSK            = "sk"
	aType          = "type"
	aRunID         = "runId"
	aState         = "state"
	aBucket        = "bucket"
	aPrefix        = "prefix"
	aProfile       = "profile"
	aChannel       = "channel"
	aPartner       = "partner"
	aFirstKey      = "firstKey"
	aFirstIdem     = "firstIdem"
	aCreatedAt     = "createdAt"
	aUpdatedAt     = "updatedAt"
	aMarkers       = "markers"
	aManifestKey   = "manifestKey"
	aManifestRead  = "manifestRead"
	aManifestError = "manifestError"
	aExpected      = "expected"
	aReceived      = "received"
	aBytes         = "bytes"
	aClaimedBy     = "claimedBy"
	aCompletedAt   = "completedAt"
	aAnnounced     = "announced"
	aKey           = "key"
	aVersionID     = "versionId"
	aSequencer     = "sequencer"
	aETag          = "etag"
	aSize          = "size"
	aRole          = "role"
	aIdem          = "idem"
	aEventTime     = "eventTime"
	aRecordedAt    = "recordedAt"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
func b(v bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: v} }
func ts(t time.Time) types.AttributeValue {
	return s(t.UTC().Format(time.RFC3339Nano))
}

func runKey(runID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{aPK: s(RunPK(runID)), aSK: s(runSK)}
}

// expr builds expressions with a placeholder for every attribute name.
type expr struct {
	names  map[string]string
	values map[string]types.AttributeValue
}

func newExpr() *expr {
	return &expr{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

func (e *expr) n(attr string) string {
	p := "#" + attr
	e.names[p] = attr
	return p
}

func (e *expr) v(name string, v types.AttributeValue) string {
	p := ":" + name
	e.values[p] = v
	return p
}

// Record implements Store with one TransactWriteItems: a conditional Put of
// the object record and an Update of the run record.
func (d *Dynamo) Record(ctx context.Context, obj Object, init RunInit, ch Change) (bool, error) {
	item := map[string]types.AttributeValue{
		aPK:         s(RunPK(obj.RunID)),
		aSK:         s(ObjectSK(obj.Key, obj.VersionID)),
		aType:       s("OBJ"),
		aRunID:      s(obj.RunID),
		aBucket:     s(obj.Bucket),
		aKey:        s(obj.Key),
		aVersionID:  s(obj.VersionID),
		aSequencer:  s(obj.Sequencer),
		aSize:       n(obj.Size),
		aRole:       s(obj.Role.String()),
		aIdem:       s(obj.IdempotencyKey),
		aRecordedAt: ts(obj.RecordedAt),
	}
	if obj.ETag != "" {
		item[aETag] = s(obj.ETag)
	}
	if !obj.EventTime.IsZero() {
		item[aEventTime] = ts(obj.EventTime)
	}

	e := newExpr()
	setIfAbsent := func(attr string, v types.AttributeValue) string {
		return e.n(attr) + " = if_not_exists(" + e.n(attr) + ", " + e.v(attr, v) + ")"
	}
	set := []string{
		setIfAbsent(aType, s("RUN")),
		setIfAbsent(aRunID, s(init.RunID)),
		setIfAbsent(aState, s(runs.StateReceiving)),
		setIfAbsent(aBucket, s(init.Bucket)),
		setIfAbsent(aPrefix, s(init.Prefix)),
		setIfAbsent(aProfile, s(init.Profile)),
		setIfAbsent(aChannel, s(string(init.Channel))),
		setIfAbsent(aFirstKey, s(init.FirstKey)),
		setIfAbsent(aFirstIdem, s(init.FirstIdem)),
		setIfAbsent(aCreatedAt, ts(init.At)),
		e.n(aUpdatedAt) + " = " + e.v("now", ts(obj.RecordedAt)),
	}
	if init.Partner != "" {
		set = append(set, setIfAbsent(aPartner, s(init.Partner)))
	}
	var add, remove []string
	switch {
	case ch.Data:
		add = append(add, e.n(aReceived)+" "+e.v("one", n(1)), e.n(aBytes)+" "+e.v("size", n(ch.Bytes)))
	case ch.Marker != "":
		add = append(add, e.n(aMarkers)+" "+e.v("marker", &types.AttributeValueMemberSS{Value: []string{ch.Marker}}))
	case ch.Manifest != nil:
		set = append(set, e.n(aManifestKey)+" = "+e.v("mk", s(ch.Manifest.Key)))
		if ch.Manifest.Error != "" {
			set = append(set, e.n(aManifestError)+" = "+e.v("merr", s(ch.Manifest.Error)))
		} else {
			set = append(set, e.n(aManifestRead)+" = "+e.v("true", b(true)), e.n(aExpected)+" = "+e.v("expected", n(ch.Manifest.Expected)))
			remove = append(remove, e.n(aManifestError))
		}
	}
	update := "SET " + join(set)
	if len(add) > 0 {
		update += " ADD " + join(add)
	}
	if len(remove) > 0 {
		update += " REMOVE " + join(remove)
	}
	in := &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{
				TableName:           aws.String(d.Table),
				Item:                item,
				ConditionExpression: aws.String("attribute_not_exists(#pk)"),
				ExpressionAttributeNames: map[string]string{
					"#pk": aPK,
				},
			}},
			{Update: &types.Update{
				TableName:                 aws.String(d.Table),
				Key:                       runKey(obj.RunID),
				UpdateExpression:          aws.String(update),
				ExpressionAttributeNames:  e.names,
				ExpressionAttributeValues: e.values,
			}},
		},
	}
	var dup bool
	err := d.retry(ctx, obj.RunID, func() (bool, error) {
		_, err := d.Client.TransactWriteItems(ctx, in)
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) {
			reasons := tce.CancellationReasons
			if len(reasons) > 0 && aws.ToString(reasons[0].Code) == "ConditionalCheckFailed" {
				dup = true
				return false, nil
			}
			for _, r := range reasons {
				if aws.ToString(r.Code) == "TransactionConflict" {
					return true, err
				}
			}
		}
		return false, err
	})
	if err != nil {
		return false, err
	}
	return dup, nil
}

func join(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += ", "
		}
		out += p
	}
	return out
}

// retry runs op until it succeeds, fails without asking for a retry, or
// MaxAttempts is reached (then *ErrConflict). op returns (retry, err).
func (d *Dynamo) retry(ctx context.Context, runID string, op func() (bool, error)) error {
	max := d.MaxAttempts
	if max <= 0 {
		max = 6
	}
	base := d.BaseDelay
	if base <= 0 {
		base = 25 * time.Millisecond
	}
	sleep := d.Sleep
	if sleep == nil {
		sleep = func(ctx context.Context, dur time.Duration) error {
			t := time.NewTimer(dur)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	var last error
	for attempt := 0; attempt < max; attempt++ {
		again, err := op()
		if err == nil {
			return nil
		}
		var tce *types.TransactionConflictException
		if !again && !errors.As(err, &tce) {
			return &ErrStore{Op: "write run " + runID, Err: err}
		}
		last = err
		if attempt < max-1 {
			if serr := sleep(ctx, time.Duration(rand.Int64N(int64(base<<attempt)))); serr != nil {
				return serr
			}
		}
	}
	return &ErrConflict{RunID: runID, Err: last}
}

// GetRun implements Store with a strongly consistent GetItem.
func (d *Dynamo) GetRun(ctx context.Context, runID string) (Run, bool, error) {
	out, err := d.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(d.Table),
		Key:            runKey(runID),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Run{}, false, &ErrStore{Op: "get run " + runID, Err: err}
	}
	if len(out.Item) == 0 {
		return Run{}, false, nil
	}
	r, err := decodeRun(out.Item)
	if err != nil {
		return Run{}, false, &ErrStore{Op: "decode run " + runID, Err: err}
	}
	return r, true, nil
}

func decodeRun(item map[string]types.AttributeValue) (Run, error) {
	var r Run
	var errs []error
	str := func(k string) string {
		if v, ok := item[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	num := func(k string) int64 {
		v, ok := item[k].(*types.AttributeValueMemberN)
		if !ok {
			return 0
		}
		x, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			errs = append(errs, err)
		}
		return x
	}
	tm := func(k string) time.Time {
		v := str(k)
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			errs = append(errs, err)
		}
		return t
	}
	boolean := func(k string) bool {
		v, ok := item[k].(*types.AttributeValueMemberBOOL)
		return ok && v.Value
	}
	r.RunID = str(aRunID)
	r.State = str(aState)
	r.Bucket = str(aBucket)
	r.Prefix = str(aPrefix)
	r.Profile = str(aProfile)
	r.Channel = events.Channel(str(aChannel))
	r.Partner = str(aPartner)
	r.FirstKey = str(aFirstKey)
	r.FirstIdem = str(aFirstIdem)
	r.CreatedAt = tm(aCreatedAt)
	if ss, ok := item[aMarkers].(*types.AttributeValueMemberSS); ok {
		r.Markers = append([]string(nil), ss.Value...)
		sort.Strings(r.Markers)
	}
	r.ManifestKey = str(aManifestKey)
	r.ManifestRead = boolean(aManifestRead)
	r.ManifestError = str(aManifestError)
	r.Expected = num(aExpected)
	r.Received = num(aReceived)
	r.Bytes = num(aBytes)
	r.ClaimedBy = str(aClaimedBy)
	r.CompletedAt = tm(aCompletedAt)
	r.Announced = boolean(aAnnounced)
	return r, errors.Join(errs...)
}

// Claim implements Store with an UpdateItem conditional on state RECEIVING.
func (d *Dynamo) Claim(ctx context.Context, runID, claimant string, at time.Time) (bool, error) {
	e := newExpr()
	update := "SET " + e.n(aState) + " = " + e.v("complete", s(runs.StateComplete)) + ", " +
		e.n(aClaimedBy) + " = " + e.v("claimant", s(claimant)) + ", " +
		e.n(aCompletedAt) + " = " + e.v("at", ts(at))
	cond := e.n(aState) + " = " + e.v("receiving", s(runs.StateReceiving))
	return d.conditionalUpdate(ctx, runID, "claim", update, cond, e)
}

// MarkPublished implements Store.
func (d *Dynamo) MarkPublished(ctx context.Context, runID string) error {
	e := newExpr()
	update := "SET " + e.n(aState) + " = " + e.v("published", s(runs.StatePublished))
	cond := e.n(aState) + " = " + e.v("complete", s(runs.StateComplete))
	_, err := d.conditionalUpdate(ctx, runID, "mark published", update, cond, e)
	return err
}

// MarkAnnounced implements Store.
func (d *Dynamo) MarkAnnounced(ctx context.Context, runID string) error {
	e := newExpr()
	update := "SET " + e.n(aAnnounced) + " = " + e.v("true", b(true))
	cond := "attribute_exists(" + e.n(aPK) + ")"
	_, err := d.conditionalUpdate(ctx, runID, "mark announced", update, cond, e)
	return err
}

// conditionalUpdate returns false, nil when the condition failed.
func (d *Dynamo) conditionalUpdate(ctx context.Context, runID, op, update, cond string, e *expr) (bool, error) {
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.Table),
		Key:                       runKey(runID),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  e.names,
		ExpressionAttributeValues: e.values,
	}
	ok := true
	err := d.retry(ctx, runID, func() (bool, error) {
		_, err := d.Client.UpdateItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			ok = false
			return false, nil
		}
		return false, err
	})
	if err != nil {
		var se *ErrStore
		if errors.As(err, &se) {
			se.Op = op + " " + runID
		}
		return false, err
	}
	return ok, nil
}

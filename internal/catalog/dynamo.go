package catalog

import (
	"context"
	"errors"
	"fmt"
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

// QueryAPI is the one DynamoDB method Objects needs.
type QueryAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// DeleteItemAPI is the one DynamoDB method RemovePending needs.
type DeleteItemAPI interface {
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// DynamoAPI is what Dynamo needs of a *dynamodb.Client.
type DynamoAPI interface {
	TransactWriteItemsAPI
	GetItemAPI
	UpdateItemAPI
	QueryAPI
	DeleteItemAPI
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
	// PageLimit caps the items of one Query page (0: DynamoDB's 1 MB page).
	PageLimit int32
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
	aDataClass     = "dataClass"
	aTagError      = "tagError"
	aVerifyID      = "verifyId"
	aVerifiedAt    = "verifiedAt"
	aMethod        = "verifyMethod"
	aSHA256        = "sha256"
	aMD5           = "md5"
	aCRC32C        = "crc32c"
	aVerPrefix     = "verifiedPrefix"
	aVerManifest   = "verifiedManifestKey"
	aIngestedPub   = "ingestedPublished"
	aEvidence      = "evidence"
	aMarkerTimes   = "markerTimes"
	aLastObjectAt  = "lastObjectAt"
	aPendingSince  = "pendingSince"
	aSince         = "since"
	aEndedAt       = "endedAt"
	aEndedAtNs     = "endedAtNs"
	aExecutionARN  = "executionArn"
)

// Partition keys of the evidence items.
const (
	pendingPK      = "PENDING"
	dataSyncPrefix = "DATASYNC#"
	dsPrefixSK     = "PREFIX#"
)

// nanos renders t as zero-padded Unix nanoseconds, so that the strings of a
// string set sort (and compare) as the times do.
func nanos(t time.Time) string { return fmt.Sprintf("%020d", t.UTC().UnixNano()) }

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
func (d *Dynamo) Record(ctx context.Context, obj Object, init RunInit, ch Change) (Recorded, error) {
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
	if obj.DataClass != "" {
		item[aDataClass] = s(obj.DataClass)
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
		e.n(aLastObjectAt) + " = " + e.v("now", ts(obj.RecordedAt)),
	}
	if init.Partner != "" {
		set = append(set, setIfAbsent(aPartner, s(init.Partner)))
	}
	var add, remove []string
	switch {
	case ch.Data:
		add = append(add, e.n(aReceived)+" "+e.v("one", n(1)), e.n(aBytes)+" "+e.v("size", n(ch.Bytes)))
	case ch.Marker != "":
		add = append(add, e.n(aMarkers)+" "+e.v("marker", &types.AttributeValueMemberSS{Value: []string{ch.Marker}}),
			e.n(aMarkerTimes)+" "+e.v("markerAt", &types.AttributeValueMemberSS{Value: []string{nanos(markerTime(ch, obj))}}))
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
				// A duplicate gets the stored record back in the
				// cancellation reason, at no extra cost.
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
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
	var rec Recorded
	err := d.retry(ctx, obj.RunID, func() (bool, error) {
		_, err := d.Client.TransactWriteItems(ctx, in)
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) {
			reasons := tce.CancellationReasons
			if len(reasons) > 0 && aws.ToString(reasons[0].Code) == "ConditionalCheckFailed" {
				rec.Duplicate = true
				if len(reasons[0].Item) > 0 {
					if prior, derr := decodeObject(reasons[0].Item); derr == nil {
						rec.Prior = &prior
					}
				}
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
		return Recorded{}, err
	}
	return rec, nil
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
	r.Evidence = events.Verification(str(aEvidence))
	if ss, ok := item[aMarkerTimes].(*types.AttributeValueMemberSS); ok {
		for _, v := range ss.Value {
			ns, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if t := time.Unix(0, ns).UTC(); t.After(r.MarkersAt) {
				r.MarkersAt = t
			}
		}
	}
	r.LastObjectAt = tm(aLastObjectAt)
	r.PendingSince = tm(aPendingSince)
	r.Announced = boolean(aAnnounced)
	r.VerifiedAt = tm(aVerifiedAt)
	r.VerifyID = str(aVerifyID)
	r.VerifiedPrefix = str(aVerPrefix)
	r.VerifiedManifestKey = str(aVerManifest)
	r.IngestedPublished = boolean(aIngestedPub)
	return r, errors.Join(errs...)
}

// attrReader reads typed attributes of an item and collects decode errors.
type attrReader struct {
	item map[string]types.AttributeValue
	errs []error
}

func (a *attrReader) str(k string) string {
	if v, ok := a.item[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func (a *attrReader) num(k string) int64 {
	v, ok := a.item[k].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	x, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		a.errs = append(a.errs, err)
	}
	return x
}

func (a *attrReader) tm(k string) time.Time {
	v := a.str(k)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		a.errs = append(a.errs, err)
	}
	return t
}

// decodeObject decodes an object record.
func decodeObject(item map[string]types.AttributeValue) (Object, error) {
	a := &attrReader{item: item}
	o := Object{
		RunID: a.str(aRunID), Bucket: a.str(aBucket), Key: a.str(aKey), VersionID: a.str(aVersionID),
		Sequencer: a.str(aSequencer), ETag: a.str(aETag), Size: a.num(aSize), DataClass: a.str(aDataClass),
		IdempotencyKey: a.str(aIdem), EventTime: a.tm(aEventTime), RecordedAt: a.tm(aRecordedAt),
		TagError: a.str(aTagError),
		Verification: Verification{
			VerifyID: a.str(aVerifyID), VerifiedAt: a.tm(aVerifiedAt), Method: a.str(aMethod),
			SHA256: a.str(aSHA256), MD5: a.str(aMD5), CRC32C: a.str(aCRC32C),
		},
	}
	o.Role = runs.ParseRole(a.str(aRole))
	return o, errors.Join(a.errs...)
}

// SetTagError implements Store with an UpdateItem of the object record.
func (d *Dynamo) SetTagError(ctx context.Context, runID, key, versionID, reason string) error {
	e := newExpr()
	update := "REMOVE " + e.n(aTagError)
	if reason != "" {
		update = "SET " + e.n(aTagError) + " = " + e.v("reason", s(reason))
	}
	cond := "attribute_exists(" + e.n(aPK) + ")"
	_, err := d.conditionalUpdateKey(ctx, runID, "set tag error", objectKey(runID, key, versionID), update, cond, e)
	return err
}

func objectKey(runID, key, versionID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{aPK: s(RunPK(runID)), aSK: s(ObjectSK(key, versionID))}
}

// MarkObjectVerified implements VerifyStore with one UpdateItem that sets the
// verification and, when the record is absent, its base attributes.
func (d *Dynamo) MarkObjectVerified(ctx context.Context, v ObjectVerification) error {
	e := newExpr()
	setIfAbsent := func(attr string, val types.AttributeValue) string {
		return e.n(attr) + " = if_not_exists(" + e.n(attr) + ", " + e.v(attr, val) + ")"
	}
	set := []string{
		setIfAbsent(aType, s("OBJ")),
		setIfAbsent(aRunID, s(v.RunID)),
		setIfAbsent(aBucket, s(v.Bucket)),
		setIfAbsent(aKey, s(v.Key)),
		setIfAbsent(aVersionID, s(v.VersionID)),
		setIfAbsent(aSize, n(v.Size)),
		setIfAbsent(aRole, s(runs.RoleData.String())),
		e.n(aVerifyID) + " = " + e.v("vid", s(v.VerifyID)),
		e.n(aVerifiedAt) + " = " + e.v("vat", ts(v.VerifiedAt)),
		e.n(aMethod) + " = " + e.v("method", s(v.Method)),
	}
	var remove []string
	for _, dg := range []struct{ attr, val string }{{aSHA256, v.SHA256}, {aMD5, v.MD5}, {aCRC32C, v.CRC32C}} {
		if dg.val != "" {
			set = append(set, e.n(dg.attr)+" = "+e.v(dg.attr, s(dg.val)))
		} else {
			remove = append(remove, e.n(dg.attr))
		}
	}
	update := "SET " + join(set)
	if len(remove) > 0 {
		update += " REMOVE " + join(remove)
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.Table),
		Key:                       objectKey(v.RunID, v.Key, v.VersionID),
		UpdateExpression:          aws.String(update),
		ExpressionAttributeNames:  e.names,
		ExpressionAttributeValues: e.values,
	}
	err := d.retry(ctx, v.RunID, func() (bool, error) {
		_, err := d.Client.UpdateItem(ctx, in)
		return false, err
	})
	var se *ErrStore
	if errors.As(err, &se) {
		se.Op = "mark verified " + v.RunID + " " + v.Key
	}
	return err
}

// ClaimVerified implements VerifyStore with an UpdateItem conditional on
// state COMPLETE or PUBLISHED and no verifiedAt.
func (d *Dynamo) ClaimVerified(ctx context.Context, c VerifiedClaim) (bool, error) {
	e := newExpr()
	update := "SET " + e.n(aState) + " = " + e.v("verified", s(runs.StateVerified)) + ", " +
		e.n(aVerifiedAt) + " = " + e.v("at", ts(c.At)) + ", " +
		e.n(aVerifyID) + " = " + e.v("vid", s(c.VerifyID)) + ", " +
		e.n(aVerPrefix) + " = " + e.v("prefix", s(c.Prefix)) + ", " +
		e.n(aUpdatedAt) + " = " + e.v("now", ts(c.At))
	if c.ManifestKey != "" {
		update += ", " + e.n(aVerManifest) + " = " + e.v("mk", s(c.ManifestKey))
	}
	cond := "(" + e.n(aState) + " = " + e.v("complete", s(runs.StateComplete)) + " OR " +
		e.n(aState) + " = " + e.v("published", s(runs.StatePublished)) + ") AND attribute_not_exists(" + e.n(aVerifiedAt) + ")"
	return d.conditionalUpdate(ctx, c.RunID, "claim verified", update, cond, e)
}

// MarkIngestedPublished implements VerifyStore.
func (d *Dynamo) MarkIngestedPublished(ctx context.Context, runID string) error {
	e := newExpr()
	update := "SET " + e.n(aIngestedPub) + " = " + e.v("true", b(true))
	cond := e.n(aState) + " = " + e.v("verified", s(runs.StateVerified))
	_, err := d.conditionalUpdate(ctx, runID, "mark ingested published", update, cond, e)
	return err
}

// Objects implements VerifyStore with a paginated, strongly consistent Query
// on pk=RUN#<runId> and sk beginning with OBJ#.
func (d *Dynamo) Objects(ctx context.Context, runID string, fn func(Object) error) error {
	var start map[string]types.AttributeValue
	var limit *int32
	if d.PageLimit > 0 {
		limit = aws.Int32(d.PageLimit)
	}
	for {
		out, err := d.Client.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(d.Table),
			KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :obj)"),
			ExpressionAttributeNames: map[string]string{
				"#pk": aPK, "#sk": aSK,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": s(RunPK(runID)), ":obj": s(objPrefix),
			},
			ConsistentRead:    aws.Bool(true),
			ExclusiveStartKey: start,
			Limit:             limit,
		})
		if err != nil {
			return &ErrStore{Op: "query objects of " + runID, Err: err}
		}
		for _, item := range out.Items {
			o, err := decodeObject(item)
			if err != nil {
				return &ErrStore{Op: "decode object of " + runID, Err: err}
			}
			if err := fn(o); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		start = out.LastEvaluatedKey
	}
}

// Claim implements Store with an UpdateItem conditional on state RECEIVING.
func (d *Dynamo) Claim(ctx context.Context, runID, claimant string, evidence events.Verification, at time.Time) (bool, error) {
	e := newExpr()
	update := "SET " + e.n(aState) + " = " + e.v("complete", s(runs.StateComplete)) + ", " +
		e.n(aClaimedBy) + " = " + e.v("claimant", s(claimant)) + ", " +
		e.n(aEvidence) + " = " + e.v("evidence", s(string(evidence))) + ", " +
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

// conditionalUpdate updates the run record and returns false, nil when the
// condition failed.
func (d *Dynamo) conditionalUpdate(ctx context.Context, runID, op, update, cond string, e *expr) (bool, error) {
	return d.conditionalUpdateKey(ctx, runID, op, runKey(runID), update, cond, e)
}

func (d *Dynamo) conditionalUpdateKey(ctx context.Context, runID, op string, key map[string]types.AttributeValue, update, cond string, e *expr) (bool, error) {
	if len(e.values) == 0 {
		e.values = nil // DynamoDB rejects an empty map
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.Table),
		Key:                       key,
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

// HasObject implements Store with a strongly consistent GetItem of the
// object record's key only.
func (d *Dynamo) HasObject(ctx context.Context, runID, key, versionID string) (bool, error) {
	out, err := d.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(d.Table),
		Key:                      objectKey(runID, key, versionID),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#pk"),
		ExpressionAttributeNames: map[string]string{"#pk": aPK},
	})
	if err != nil {
		return false, &ErrStore{Op: "get object " + runID + " " + key, Err: err}
	}
	return len(out.Item) > 0, nil
}

// AddPending implements Store: an UpdateItem of the pending item (its
// attributes set once), then one of the run record (pendingSince set once).
func (d *Dynamo) AddPending(ctx context.Context, p Pending) error {
	e := newExpr()
	setIfAbsent := func(attr string, v types.AttributeValue) string {
		return e.n(attr) + " = if_not_exists(" + e.n(attr) + ", " + e.v(attr, v) + ")"
	}
	update := "SET " + join([]string{
		setIfAbsent(aType, s("PENDING")), setIfAbsent(aRunID, s(p.RunID)), setIfAbsent(aBucket, s(p.Bucket)),
		setIfAbsent(aPrefix, s(p.Prefix)), setIfAbsent(aChannel, s(string(p.Channel))), setIfAbsent(aSince, ts(p.Since)),
	})
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.Table),
		Key:                       map[string]types.AttributeValue{aPK: s(pendingPK), aSK: s(p.RunID)},
		UpdateExpression:          aws.String(update),
		ExpressionAttributeNames:  e.names,
		ExpressionAttributeValues: e.values,
	}
	if err := d.retry(ctx, p.RunID, func() (bool, error) {
		_, err := d.Client.UpdateItem(ctx, in)
		return false, err
	}); err != nil {
		return err
	}
	e = newExpr()
	_, err := d.conditionalUpdate(ctx, p.RunID, "mark pending",
		"SET "+e.n(aPendingSince)+" = if_not_exists("+e.n(aPendingSince)+", "+e.v("since", ts(p.Since))+")",
		"attribute_exists("+e.n(aPK)+")", e)
	return err
}

// RemovePending implements Store with a DeleteItem.
func (d *Dynamo) RemovePending(ctx context.Context, runID string) error {
	_, err := d.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(d.Table),
		Key:       map[string]types.AttributeValue{aPK: s(pendingPK), aSK: s(runID)},
	})
	if err != nil {
		return &ErrStore{Op: "remove pending " + runID, Err: err}
	}
	return nil
}

// Pending implements Store with a paginated, strongly consistent Query on
// pk=PENDING.
func (d *Dynamo) Pending(ctx context.Context, fn func(Pending) error) error {
	return d.query(ctx, "query pending runs", pendingPK, func(item map[string]types.AttributeValue) error {
		a := &attrReader{item: item}
		p := Pending{RunID: a.str(aRunID), Bucket: a.str(aBucket), Prefix: a.str(aPrefix), Channel: events.Channel(a.str(aChannel)), Since: a.tm(aSince)}
		if err := errors.Join(a.errs...); err != nil {
			return &ErrStore{Op: "decode pending run", Err: err}
		}
		return fn(p)
	})
}

// PutDataSyncSuccess implements Store with an UpdateItem conditional on the
// stored execution having ended earlier (an older success is ignored).
func (d *Dynamo) PutDataSyncSuccess(ctx context.Context, ds DataSyncSuccess) error {
	e := newExpr()
	update := "SET " + join([]string{
		e.n(aType) + " = " + e.v("type", s("DATASYNC")),
		e.n(aBucket) + " = " + e.v("bucket", s(ds.Bucket)),
		e.n(aPrefix) + " = " + e.v("prefix", s(ds.Prefix)),
		e.n(aEndedAt) + " = " + e.v("endedAt", ts(ds.EndedAt)),
		e.n(aEndedAtNs) + " = " + e.v("ns", n(ds.EndedAt.UnixNano())),
		e.n(aExecutionARN) + " = " + e.v("arn", s(ds.ExecutionARN)),
	})
	cond := "attribute_not_exists(" + e.n(aEndedAtNs) + ") OR " + e.n(aEndedAtNs) + " < :ns"
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.Table),
		Key:                       map[string]types.AttributeValue{aPK: s(dataSyncPrefix + ds.Bucket), aSK: s(dsPrefixSK + ds.Prefix)},
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  e.names,
		ExpressionAttributeValues: e.values,
	}
	return d.retry(ctx, "datasync "+ds.Bucket, func() (bool, error) {
		_, err := d.Client.UpdateItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return false, nil // a later success is recorded already
		}
		return false, err
	})
}

// DataSyncSuccesses implements Store with a strongly consistent Query on
// pk=DATASYNC#<bucket>.
func (d *Dynamo) DataSyncSuccesses(ctx context.Context, bucket string) ([]DataSyncSuccess, error) {
	var out []DataSyncSuccess
	err := d.query(ctx, "query datasync successes of "+bucket, dataSyncPrefix+bucket, func(item map[string]types.AttributeValue) error {
		a := &attrReader{item: item}
		ds := DataSyncSuccess{Bucket: a.str(aBucket), Prefix: a.str(aPrefix), EndedAt: a.tm(aEndedAt), ExecutionARN: a.str(aExecutionARN)}
		if err := errors.Join(a.errs...); err != nil {
			return &ErrStore{Op: "decode datasync success", Err: err}
		}
		out = append(out, ds)
		return nil
	})
	return out, err
}

// query calls fn for every item of partition pk, page by page.
func (d *Dynamo) query(ctx context.Context, op, pk string, fn func(map[string]types.AttributeValue) error) error {
	var start map[string]types.AttributeValue
	var limit *int32
	if d.PageLimit > 0 {
		limit = aws.Int32(d.PageLimit)
	}
	for {
		out, err := d.Client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(d.Table),
			KeyConditionExpression:    aws.String("#pk = :pk"),
			ExpressionAttributeNames:  map[string]string{"#pk": aPK},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk)},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
			Limit:                     limit,
		})
		if err != nil {
			return &ErrStore{Op: op, Err: err}
		}
		for _, item := range out.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		start = out.LastEvaluatedKey
	}
}

package catalog

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/events"
)

// scripted is a DynamoAPI that returns queued errors, for error paths moto
// cannot produce on demand.
type scripted struct {
	txErrs  []error
	updErrs []error
	getOut  *dynamodb.GetItemOutput
	getErr  error
	txIn    []*dynamodb.TransactWriteItemsInput

	queryItems []map[string]types.AttributeValue
	queryErr   error
}

func (s *scripted) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	s.txIn = append(s.txIn, in)
	if len(s.txErrs) == 0 {
		return &dynamodb.TransactWriteItemsOutput{}, nil
	}
	err := s.txErrs[0]
	s.txErrs = s.txErrs[1:]
	return nil, err
}

func (s *scripted) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if len(s.updErrs) == 0 {
		return &dynamodb.UpdateItemOutput{}, nil
	}
	err := s.updErrs[0]
	s.updErrs = s.updErrs[1:]
	return nil, err
}

func (s *scripted) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return s.getOut, s.getErr
}

func (s *scripted) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if s.queryErr != nil {
		return nil, s.queryErr
	}
	return &dynamodb.QueryOutput{Items: s.queryItems}, nil
}

func (s *scripted) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return &dynamodb.DeleteItemOutput{}, nil
}

func cancelled(codes ...string) error {
	var rs []types.CancellationReason
	for _, c := range codes {
		rs = append(rs, types.CancellationReason{Code: aws.String(c)})
	}
	return &types.TransactionCanceledException{Message: aws.String("cancelled"), CancellationReasons: rs}
}

func noSleep(context.Context, time.Duration) error { return nil }

func TestDynamoErrorPaths(t *testing.T) {
	ctx := context.Background()
	o, in := obj("r", "runs/r/a", "v"), initFor("r", "runs/r/a")

	// Conflicts are retried, then succeed.
	s := &scripted{txErrs: []error{cancelled("None", "TransactionConflict"), cancelled("TransactionConflict", "None")}}
	d := &Dynamo{Client: s, Table: "t", Sleep: noSleep}
	dup, err := d.Record(ctx, o, in, Change{Data: true})
	require.NoError(t, err)
	assert.False(t, dup.Duplicate)
	assert.Len(t, s.txIn, 3)

	// Conflicts forever: ErrConflict after MaxAttempts.
	s = &scripted{txErrs: []error{cancelled("None", "TransactionConflict"), cancelled("None", "TransactionConflict"), cancelled("None", "TransactionConflict")}}
	d = &Dynamo{Client: s, Table: "t", Sleep: noSleep, MaxAttempts: 3}
	_, err = d.Record(ctx, o, in, Change{Data: true})
	var ce *ErrConflict
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "r", ce.RunID)

	// Duplicate.
	s = &scripted{txErrs: []error{cancelled("ConditionalCheckFailed", "None")}}
	dup, err = (&Dynamo{Client: s, Table: "t", Sleep: noSleep}).Record(ctx, o, in, Change{Data: true})
	require.NoError(t, err)
	assert.True(t, dup.Duplicate)

	// Other failures are ErrStore, not retried.
	s = &scripted{txErrs: []error{errors.New("network down")}}
	_, err = (&Dynamo{Client: s, Table: "t", Sleep: noSleep}).Record(ctx, o, in, Change{Data: true})
	var se *ErrStore
	require.ErrorAs(t, err, &se)
	assert.Len(t, s.txIn, 1)

	// Claim lost on condition; UpdateItem conflict retried.
	s = &scripted{updErrs: []error{&types.TransactionConflictException{Message: aws.String("busy")}, &types.ConditionalCheckFailedException{Message: aws.String("no")}}}
	won, err := (&Dynamo{Client: s, Table: "t", Sleep: noSleep}).Claim(ctx, "r", "me", events.VerifiedByManifest, t0)
	require.NoError(t, err)
	assert.False(t, won)

	s = &scripted{updErrs: []error{errors.New("boom")}}
	err = (&Dynamo{Client: s, Table: "t", Sleep: noSleep}).MarkPublished(ctx, "r")
	require.ErrorAs(t, err, &se)
	assert.Contains(t, err.Error(), "mark published r")

	// Context cancelled while backing off.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	s = &scripted{txErrs: []error{cancelled("None", "TransactionConflict")}}
	_, err = (&Dynamo{Client: s, Table: "t"}).Record(cctx, o, in, Change{Data: true})
	assert.ErrorIs(t, err, context.Canceled)

	// Objects: query errors and undecodable items are ErrStore; fn's error
	// is returned as is.
	err = (&Dynamo{Client: &scripted{queryErr: errors.New("x")}, Table: "t"}).Objects(ctx, "r", func(Object) error { return nil })
	require.ErrorAs(t, err, &se)
	badObj := []map[string]types.AttributeValue{{"size": &types.AttributeValueMemberN{Value: "x"}}}
	err = (&Dynamo{Client: &scripted{queryItems: badObj}, Table: "t"}).Objects(ctx, "r", func(Object) error { return nil })
	require.ErrorAs(t, err, &se)
	stop := errors.New("stop")
	good := []map[string]types.AttributeValue{{"key": &types.AttributeValueMemberS{Value: "k"}}}
	err = (&Dynamo{Client: &scripted{queryItems: good}, Table: "t"}).Objects(ctx, "r", func(Object) error { return stop })
	assert.Equal(t, stop, err)

	// GetRun errors and bad items.
	_, _, err = (&Dynamo{Client: &scripted{getErr: errors.New("x")}, Table: "t"}).GetRun(ctx, "r")
	require.ErrorAs(t, err, &se)
	bad := &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{"received": &types.AttributeValueMemberN{Value: "x"}}}
	_, _, err = (&Dynamo{Client: &scripted{getOut: bad}, Table: "t"}).GetRun(ctx, "r")
	require.ErrorAs(t, err, &se)
	_, found, err := (&Dynamo{Client: &scripted{getOut: &dynamodb.GetItemOutput{}}, Table: "t"}).GetRun(ctx, "r")
	require.NoError(t, err)
	assert.False(t, found)
}

func TestObjectSK(t *testing.T) {
	assert.Equal(t, "OBJ#runs/r/a#v1", ObjectSK("runs/r/a", "v1"))
	long := ObjectSK(string(make([]byte, 2000)), "v1")
	assert.LessOrEqual(t, len(long), 1024)
	assert.Contains(t, long, "OBJ#sha256:")
	assert.NotEqual(t, long, ObjectSK(string(make([]byte, 2001)), "v1"))
	assert.Equal(t, "RUN#x", RunPK("x"))
}

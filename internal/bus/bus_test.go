package bus

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/events"
)

type fakeEB struct {
	in  *eventbridge.PutEventsInput
	out *eventbridge.PutEventsOutput
	err error
}

func (f *fakeEB) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.in = in
	if f.out == nil {
		f.out = &eventbridge.PutEventsOutput{}
	}
	return f.out, f.err
}

func valid() *events.RunCompleted {
	return &events.RunCompleted{SchemaVersion: "1", RunID: "r", Channel: events.ChannelDataSync, Bucket: "b", Prefix: "runs/r/", Profile: "miseq", CompletedAt: time.Unix(0, 0).UTC()}
}

func TestEventBridge(t *testing.T) {
	f := &fakeEB{}
	p := &EventBridge{Client: f, BusName: "biolake"}
	require.NoError(t, p.Publish(context.Background(), valid()))
	e := f.in.Entries[0]
	assert.Equal(t, "biolake.ingest", aws.ToString(e.Source))
	assert.Equal(t, "RunCompleted", aws.ToString(e.DetailType))
	assert.Equal(t, "biolake", aws.ToString(e.EventBusName))
	ev, err := events.Parse("RunCompleted", []byte(aws.ToString(e.Detail)))
	require.NoError(t, err)
	assert.Equal(t, valid(), ev)

	var pe *ErrPublish
	f = &fakeEB{err: errors.New("down")}
	assert.ErrorAs(t, (&EventBridge{Client: f}).Publish(context.Background(), valid()), &pe)
	f = &fakeEB{out: &eventbridge.PutEventsOutput{FailedEntryCount: 1, Entries: []types.PutEventsResultEntry{{ErrorCode: aws.String("ThrottlingException")}}}}
	err = (&EventBridge{Client: f}).Publish(context.Background(), valid())
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), "ThrottlingException")
	var inv *events.ErrInvalidEvent
	assert.ErrorAs(t, (&EventBridge{Client: &fakeEB{}}).Publish(context.Background(), &events.RunIngested{}), &inv)
}

func TestRecorder(t *testing.T) {
	r := &Recorder{}
	require.NoError(t, r.Publish(context.Background(), valid()))
	assert.Len(t, r.Of("RunCompleted"), 1)
	assert.Empty(t, r.Of("DatasetReceived"))
	r.Fail = func(events.Event) error { return errors.New("no") }
	assert.Error(t, r.Publish(context.Background(), valid()))
	assert.Len(t, r.Events(), 1)
	assert.Error(t, r.Publish(context.Background(), &events.RunIngested{}))
}

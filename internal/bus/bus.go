// Package bus publishes biolake's events (internal/events) to EventBridge,
// behind the one-method Publisher interface, with a Recorder fake for tests.
package bus

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/biolake/biolake/internal/events"
)

// Publisher puts one event on the bus.
type Publisher interface {
	Publish(ctx context.Context, ev events.Event) error
}

// PutEventsAPI is the one EventBridge method EventBridge needs.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// EventBridge publishes to an event bus.
type EventBridge struct {
	Client PutEventsAPI
	// BusName is the event bus name or ARN ("" for the default bus).
	BusName string
	// Resources are ARNs attached to every event (optional).
	Resources []string
}

// ErrPublish is returned when an event could not be put on the bus.
type ErrPublish struct {
	DetailType string
	Code       string
	Err        error
}

func (e *ErrPublish) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("bus: publish %s: %v", e.DetailType, e.Err)
	}
	return fmt.Sprintf("bus: publish %s: entry failed: %s", e.DetailType, e.Code)
}

func (e *ErrPublish) Unwrap() error { return e.Err }

// Publish validates ev and puts it on the bus.
func (p *EventBridge) Publish(ctx context.Context, ev events.Event) error {
	source, detailType, detail, err := events.Marshal(ev)
	if err != nil {
		return err
	}
	entry := types.PutEventsRequestEntry{
		Source:     aws.String(source),
		DetailType: aws.String(detailType),
		Detail:     aws.String(string(detail)),
		Resources:  p.Resources,
	}
	if p.BusName != "" {
		entry.EventBusName = aws.String(p.BusName)
	}
	out, err := p.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry}})
	if err != nil {
		return &ErrPublish{DetailType: detailType, Err: err}
	}
	if out.FailedEntryCount > 0 {
		code := "unknown"
		if len(out.Entries) > 0 {
			code = aws.ToString(out.Entries[0].ErrorCode) + ": " + aws.ToString(out.Entries[0].ErrorMessage)
		}
		return &ErrPublish{DetailType: detailType, Code: code}
	}
	return nil
}

// Recorder is a Publisher that keeps what it is given. Fail, when set, is
// called first and its error returned instead of recording.
type Recorder struct {
	mu     sync.Mutex
	events []events.Event
	Fail   func(ev events.Event) error
}

// Publish records ev after validating it.
func (r *Recorder) Publish(_ context.Context, ev events.Event) error {
	if err := ev.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail != nil {
		if err := r.Fail(ev); err != nil {
			return err
		}
	}
	r.events = append(r.events, ev)
	return nil
}

// Events returns the recorded events.
func (r *Recorder) Events() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.events...)
}

// Of returns the recorded events of one detail-type.
func (r *Recorder) Of(detailType string) []events.Event {
	var out []events.Event
	for _, e := range r.Events() {
		if e.DetailType() == detailType {
			out = append(out, e)
		}
	}
	return out
}

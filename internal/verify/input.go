package verify

import (
	"encoding/json"
	"fmt"

	"github.com/biolake/biolake/internal/events"
)

// ErrUnsupportedInput is an input that is not a RunIngested event.
type ErrUnsupportedInput struct {
	DetailType string
}

func (e *ErrUnsupportedInput) Error() string {
	return fmt.Sprintf("verify: input is a %q event, want RunIngested", e.DetailType)
}

// ParseInput decodes the verify Lambda's input: an EventBridge RunIngested
// event (rule target) or a RunIngested detail (Step Functions task input),
// both strictly (events.Parse).
func ParseInput(b []byte) (Request, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil || probe == nil {
		return Request{}, &events.ErrMalformedEvent{DetailType: events.DetailTypeRunIngested, Err: fmt.Errorf("input is not a JSON object")}
	}
	var ev events.Event
	var err error
	if _, ok := probe["detail-type"]; ok {
		_, ev, err = events.ParseEnvelope(b)
	} else {
		ev, err = events.Parse(events.DetailTypeRunIngested, b)
	}
	if err != nil {
		return Request{}, err
	}
	ri, ok := ev.(*events.RunIngested)
	if !ok {
		return Request{}, &ErrUnsupportedInput{DetailType: ev.DetailType()}
	}
	return RequestFrom(ri), nil
}

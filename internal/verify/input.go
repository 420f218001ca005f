package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/biolake/biolake/internal/events"
)

// Actions of the verify Lambda.
const (
	ActionVerify   = "verify"
	ActionFinalize = "finalize"
)

// MaxInputBytes is the largest input ParseRequest accepts (Step Functions
// payloads are at most 256 KiB).
const MaxInputBytes = 1 << 20

// Request is a parsed input of the verify Lambda: exactly one of Completed
// (VerifyRun) and Finalize (FinalizeRun) is set.
type Request struct {
	Action    string
	Completed *events.RunCompleted
	Finalize  *FinalizeInput
}

// ErrUnsupportedInput is an input that is neither a RunCompleted event nor a
// finalize request.
type ErrUnsupportedInput struct {
	DetailType string
	Action     string
}

func (e *ErrUnsupportedInput) Error() string {
	if e.Action != "" {
		return fmt.Sprintf("verify: unknown action %q (want %q or %q)", e.Action, ActionVerify, ActionFinalize)
	}
	return fmt.Sprintf("verify: input is a %q event, want %s", e.DetailType, events.DetailTypeRunCompleted)
}

// ParseRequest decodes the verify Lambda's input, told apart by "action":
//
//   - absent or "verify": VerifyRun. The rest of the object is a
//     RunCompleted detail (the state machine's $.detail), parsed strictly
//     (events.Parse); a whole EventBridge RunCompleted event is accepted too.
//   - "finalize": FinalizeRun, {"action":"finalize","run":{...},"large":[...]}.
//
// Errors: *ErrUnsupportedInput, *ErrInvalidRequest, and events'
// *ErrMalformedEvent, *ErrInvalidEvent, *ErrUnsupportedVersion.
func ParseRequest(b []byte) (Request, error) {
	if len(b) > MaxInputBytes {
		return Request{}, &ErrInvalidRequest{Reason: fmt.Sprintf("input is %d bytes, more than %d", len(b), MaxInputBytes)}
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil || probe == nil {
		return Request{}, &events.ErrMalformedEvent{DetailType: events.DetailTypeRunCompleted, Err: errors.New("input is not a JSON object")}
	}
	action := ActionVerify
	if raw, ok := probe["action"]; ok {
		if err := json.Unmarshal(raw, &action); err != nil {
			return Request{}, &ErrInvalidRequest{Reason: "action is not a string"}
		}
	}
	switch action {
	case ActionVerify:
		if _, ok := probe["action"]; ok {
			delete(probe, "action")
			b, _ = json.Marshal(probe) // re-encoding a decoded map cannot fail
		}
		var ev events.Event
		var err error
		if _, ok := probe["detail-type"]; ok {
			_, ev, err = events.ParseEnvelope(b)
		} else {
			ev, err = events.Parse(events.DetailTypeRunCompleted, b)
		}
		if err != nil {
			return Request{}, err
		}
		rc, ok := ev.(*events.RunCompleted)
		if !ok {
			return Request{}, &ErrUnsupportedInput{DetailType: ev.DetailType()}
		}
		return Request{Action: ActionVerify, Completed: rc}, nil
	case ActionFinalize:
		fi, err := parseFinalize(b)
		if err != nil {
			return Request{}, err
		}
		return Request{Action: ActionFinalize, Finalize: fi}, nil
	}
	return Request{}, &ErrUnsupportedInput{Action: action}
}

func parseFinalize(b []byte) (*FinalizeInput, error) {
	var top struct {
		Action string          `json:"action"`
		Run    json.RawMessage `json:"run"`
		Large  json.RawMessage `json:"large"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&top); err != nil {
		return nil, &ErrInvalidRequest{Reason: "finalize input: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ErrInvalidRequest{Reason: "finalize input: trailing data"}
	}
	if len(top.Run) == 0 || string(top.Run) == "null" {
		return nil, &ErrInvalidRequest{Reason: "finalize input: run is missing"}
	}
	var fi FinalizeInput
	if err := json.Unmarshal(top.Run, &fi.Run); err != nil {
		return nil, &ErrInvalidRequest{Reason: "finalize input: run: " + err.Error()}
	}
	if len(top.Large) > 0 && string(top.Large) != "null" {
		if err := json.Unmarshal(top.Large, &fi.Large); err != nil {
			return nil, &ErrInvalidRequest{Reason: "finalize input: large: " + err.Error()}
		}
	}
	if err := fi.Run.Run.Validate(); err != nil {
		return nil, &ErrInvalidRequest{Reason: "finalize input: run.run: " + err.Error()}
	}
	if fi.Run.VerifyID == "" {
		return nil, &ErrInvalidRequest{Reason: "finalize input: run.verifyId is empty"}
	}
	for i, r := range fi.Large {
		if r.Bucket == "" || r.Key == "" {
			return nil, &ErrInvalidRequest{Reason: fmt.Sprintf("finalize input: large[%d]: bucket and key are required", i)}
		}
	}
	for i, l := range fi.Run.Large {
		if l.Bucket == "" || l.Key == "" {
			return nil, &ErrInvalidRequest{Reason: fmt.Sprintf("finalize input: run.large[%d]: bucket and key are required", i)}
		}
	}
	return &fi, nil
}

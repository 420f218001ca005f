// Package s3event decodes S3 "Object Created" events as they reach biolake's
// handlers: EventBridge events (source aws.s3, detail-type "Object Created"),
// classic S3 event notifications ({"Records": [...]}), and either of these
// wrapped in an SNS notification, each possibly the body of an SQS message.
//
// Object keys: S3 event notifications and S3 EventBridge events both carry
// keys form-encoded ('+' for space, %XX for other bytes), and both are
// decoded so (AWS's Lambda Powertools decodes detail.object.key of S3
// EventBridge events with unquote_plus too). An EventBridge key that is not
// valid form-encoding (a bare '%', as in "100%done.txt") cannot have been
// encoded and is taken as it is. Decoding is ambiguous for a key delivered
// unencoded that holds '+' or '%XX': Object.RawKey keeps the key as it
// arrived, and Object.Candidates lists the decoded key, then the raw one,
// so a handler that finds no object under the decoded key (NoSuchKey) tries
// the raw key once. Keys that are not valid UTF-8 or hold NUL or control
// characters are rejected.
//
// Idempotency: every delivery of the same S3 event carries the same bucket,
// key, version id and sequencer; Object.IdempotencyKey joins them, and handlers
// make their writes conditional on it.
//
// Errors are typed (ErrMalformedEvent, ErrInvalidKey, ErrUnsupportedEvent) so
// that a Lambda's errorType names them.
package s3event

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// NullVersion is the version id S3 gives objects in buckets that never had
// versioning enabled; events for such objects carry no version id.
const NullVersion = "null"

// MaxKeyBytes is S3's limit on the length of an object key, in UTF-8 bytes.
const MaxKeyBytes = 1024

// MaxBodyBytes is the largest message body ParseEvent accepts.
const MaxBodyBytes = 1 << 20

// Object is one created S3 object, as told by an event.
type Object struct {
	Bucket string
	// Key is the decoded object key, usable in S3 API calls.
	Key string
	// RawKey is the key as it appeared in the event. When it differs from
	// Key and is itself an acceptable key, the object may be stored under
	// RawKey (an event whose key was not encoded): see Candidates.
	RawKey    string
	Size      int64
	ETag      string
	VersionID string // NullVersion when the event had none
	Sequencer string
	// Reason is the S3 operation: PutObject, POST Object, CopyObject,
	// CompleteMultipartUpload (EventBridge names; notification event names
	// are mapped to these).
	Reason string
	// EventTime is when S3 emitted the event (zero when absent).
	EventTime time.Time
	Region    string
	// EventID is the EventBridge event id, or the notification's
	// x-amz-request-id; for logs only.
	EventID string
}

// Candidates returns the keys the object may be stored under, most likely
// first: Key, then RawKey when it differs from Key and passes CheckKey.
// Handlers that call S3 with the key try the second on NoSuchKey for the
// first, once, and log which one matched.
func (o Object) Candidates() []string {
	return candidates(o.Key, o.RawKey)
}

// Ambiguous reports whether the object may be stored under a key other
// than Key (len(Candidates()) > 1).
func (o Object) Ambiguous() bool { return len(o.Candidates()) > 1 }

func candidates(key, raw string) []string {
	if raw == "" || raw == key || CheckKey(raw) != nil {
		return []string{key}
	}
	return []string{key, raw}
}

// IdempotencyKey is bucket|key|versionId|sequencer. It is unambiguous: bucket
// names, version ids and sequencers cannot contain '|', so only the key can.
func (o Object) IdempotencyKey() string {
	v := o.VersionID
	if v == "" {
		v = NullVersion
	}
	return o.Bucket + "|" + o.Key + "|" + v + "|" + o.Sequencer
}

// ErrMalformedEvent is returned when a message is not a recognisable,
// well-formed S3 event.
type ErrMalformedEvent struct {
	Reason string
	Err    error
}

func (e *ErrMalformedEvent) Error() string {
	if e.Err != nil {
		return "s3event: malformed event: " + e.Reason + ": " + e.Err.Error()
	}
	return "s3event: malformed event: " + e.Reason
}

func (e *ErrMalformedEvent) Unwrap() error { return e.Err }

// ErrInvalidKey is returned by DecodeKey for a key that cannot be decoded or
// that biolake does not accept.
type ErrInvalidKey struct {
	// Raw is the key as given, quoted when printed.
	Raw    string
	Reason string
}

func (e *ErrInvalidKey) Error() string {
	r := e.Raw
	if len(r) > 200 {
		r = r[:200] + "..."
	}
	return fmt.Sprintf("s3event: invalid object key %q: %s", r, e.Reason)
}

// ErrUnsupportedEvent is returned for a well-formed event that is not an
// object creation (a deletion, a restore, a lifecycle transition, ...).
// Handlers usually acknowledge and skip such events.
type ErrUnsupportedEvent struct {
	Source string
	Kind   string // detail-type or eventName
}

func (e *ErrUnsupportedEvent) Error() string {
	return fmt.Sprintf("s3event: unsupported event %q from %q", e.Kind, e.Source)
}

// DecodeKey returns the object key of an event. With encoded set raw is
// form-decoded ('+' meaning space, %XX a byte); otherwise raw is taken as
// is. Either way the key must be non-empty, at most MaxKeyBytes, valid
// UTF-8, and free of NUL and other control characters (C0, DEL, C1); else
// *ErrInvalidKey. Event parsers use DecodeEventKey.
func DecodeKey(raw string, encoded bool) (string, error) {
	key := raw
	if encoded {
		var err error
		key, err = url.QueryUnescape(raw)
		if err != nil {
			return "", &ErrInvalidKey{Raw: raw, Reason: "bad URL encoding"}
		}
	}
	if err := CheckKey(key); err != nil {
		return "", &ErrInvalidKey{Raw: raw, Reason: err.Error()}
	}
	return key, nil
}

// DecodeEventKey decodes the key of an S3 event, which is form-encoded in
// both formats (see the package doc). For an S3 event notification
// (lenient false) a key that is not valid form-encoding is an
// *ErrInvalidKey. For an EventBridge event (lenient true) such a key, or one
// whose decoding is not an acceptable key while the raw one is, cannot have
// been encoded and is returned as it is.
func DecodeEventKey(raw string, lenient bool) (string, error) {
	key, err := DecodeKey(raw, true)
	if err == nil || !lenient {
		return key, err
	}
	if CheckKey(raw) == nil {
		return raw, nil
	}
	return "", err
}

// CheckKey reports why a decoded key is not acceptable, or nil.
func CheckKey(key string) error {
	switch {
	case key == "":
		return errors.New("empty")
	case len(key) > MaxKeyBytes:
		return fmt.Errorf("longer than %d bytes", MaxKeyBytes)
	case !utf8.ValidString(key):
		return errors.New("not valid UTF-8")
	}
	for i, r := range key {
		if r == 0 {
			return fmt.Errorf("NUL at byte %d", i)
		}
		if unicode.IsControl(r) {
			return fmt.Errorf("control character %U at byte %d", r, i)
		}
	}
	return nil
}

// ParseEvent decodes a message body (an SQS message body, or a Lambda event
// payload) into the objects it announces as created. It accepts an EventBridge
// S3 "Object Created" event, an S3 event notification, and either wrapped in
// an SNS notification. An S3 test event yields no objects and no error.
//
// Errors: *ErrMalformedEvent, *ErrInvalidKey, *ErrUnsupportedEvent. A
// notification with several records fails whole if one record is bad; S3
// sends one record per notification.
func ParseEvent(body []byte) ([]Object, error) {
	return parse(body, 0)
}

func parse(body []byte, depth int) ([]Object, error) {
	if len(body) > MaxBodyBytes {
		return nil, &ErrMalformedEvent{Reason: fmt.Sprintf("body is %d bytes, more than %d", len(body), MaxBodyBytes)}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, &ErrMalformedEvent{Reason: "not a JSON object", Err: err}
	}
	if top == nil {
		return nil, &ErrMalformedEvent{Reason: "not a JSON object"}
	}
	switch {
	case has(top, "detail-type"):
		o, err := parseEventBridge(top)
		if err != nil {
			return nil, err
		}
		return []Object{o}, nil
	case has(top, "Records"):
		return parseNotification(top["Records"])
	case has(top, "Event") && has(top, "Bucket"):
		var ev string
		_ = json.Unmarshal(top["Event"], &ev)
		if ev == "s3:TestEvent" {
			return nil, nil
		}
		return nil, &ErrUnsupportedEvent{Source: "aws:s3", Kind: ev}
	case has(top, "Type") && has(top, "Message"):
		if depth > 0 {
			return nil, &ErrMalformedEvent{Reason: "nested SNS envelope"}
		}
		var typ, msg string
		if json.Unmarshal(top["Type"], &typ) != nil || typ != "Notification" {
			return nil, &ErrMalformedEvent{Reason: "SNS envelope is not a Notification"}
		}
		if err := json.Unmarshal(top["Message"], &msg); err != nil {
			return nil, &ErrMalformedEvent{Reason: "SNS Message is not a string", Err: err}
		}
		return parse([]byte(msg), depth+1)
	}
	return nil, &ErrMalformedEvent{Reason: "neither an EventBridge event nor an S3 notification"}
}

func has(m map[string]json.RawMessage, k string) bool {
	v, ok := m[k]
	return ok && string(v) != "null"
}

// ebDetail is the detail of an EventBridge S3 event.
type ebDetail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       *string `json:"key"`
		Size      *int64  `json:"size"`
		ETag      string  `json:"etag"`
		VersionID string  `json:"version-id"`
		Sequencer string  `json:"sequencer"`
	} `json:"object"`
	RequestID string `json:"request-id"`
	Reason    string `json:"reason"`
}

func parseEventBridge(top map[string]json.RawMessage) (Object, error) {
	var source, detailType, id, region, tm string
	for k, p := range map[string]*string{"source": &source, "detail-type": &detailType, "id": &id, "region": &region, "time": &tm} {
		if v, ok := top[k]; ok {
			if err := json.Unmarshal(v, p); err != nil {
				return Object{}, &ErrMalformedEvent{Reason: "EventBridge field " + k + " is not a string", Err: err}
			}
		}
	}
	if source != "aws.s3" {
		return Object{}, &ErrUnsupportedEvent{Source: source, Kind: detailType}
	}
	if detailType != "Object Created" {
		return Object{}, &ErrUnsupportedEvent{Source: source, Kind: detailType}
	}
	var d ebDetail
	if err := json.Unmarshal(top["detail"], &d); err != nil {
		return Object{}, &ErrMalformedEvent{Reason: "bad detail", Err: err}
	}
	o := Object{
		Bucket:    d.Bucket.Name,
		ETag:      d.Object.ETag,
		VersionID: d.Object.VersionID,
		Sequencer: d.Object.Sequencer,
		Reason:    d.Reason,
		Region:    region,
		EventID:   id,
	}
	if tm != "" {
		t, err := time.Parse(time.RFC3339Nano, tm)
		if err != nil {
			return Object{}, &ErrMalformedEvent{Reason: "bad time", Err: err}
		}
		o.EventTime = t
	}
	return finish(o, d.Object.Key, d.Object.Size, true)
}

// finish checks the fields common to both formats and decodes the key
// (leniently for EventBridge: see DecodeEventKey).
func finish(o Object, key *string, size *int64, lenient bool) (Object, error) {
	var missing []string
	if o.Bucket == "" {
		missing = append(missing, "bucket name")
	}
	if key == nil {
		missing = append(missing, "object key")
	}
	if size == nil {
		missing = append(missing, "object size")
	}
	if o.Sequencer == "" {
		missing = append(missing, "object sequencer")
	}
	if len(missing) > 0 {
		return Object{}, &ErrMalformedEvent{Reason: "missing " + strings.Join(missing, ", ")}
	}
	if *size < 0 {
		return Object{}, &ErrMalformedEvent{Reason: "negative object size"}
	}
	if strings.ContainsRune(o.Bucket, '|') || strings.ContainsRune(o.VersionID, '|') || strings.ContainsRune(o.Sequencer, '|') {
		return Object{}, &ErrMalformedEvent{Reason: "'|' in bucket, version id or sequencer"}
	}
	k, err := DecodeEventKey(*key, lenient)
	if err != nil {
		return Object{}, err
	}
	o.Key, o.RawKey, o.Size = k, *key, *size
	if o.VersionID == "" {
		o.VersionID = NullVersion
	}
	return o, nil
}

// s3Record is one record of an S3 event notification.
type s3Record struct {
	EventSource      string `json:"eventSource"`
	AWSRegion        string `json:"awsRegion"`
	EventTime        string `json:"eventTime"`
	EventName        string `json:"eventName"`
	ResponseElements struct {
		RequestID string `json:"x-amz-request-id"`
	} `json:"responseElements"`
	S3 struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       *string `json:"key"`
			Size      *int64  `json:"size"`
			ETag      string  `json:"eTag"`
			VersionID string  `json:"versionId"`
			Sequencer string  `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// reasons maps notification event names to EventBridge reasons.
var reasons = map[string]string{
	"ObjectCreated:Put":                     "PutObject",
	"ObjectCreated:Post":                    "POST Object",
	"ObjectCreated:Copy":                    "CopyObject",
	"ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
}

func parseNotification(raw json.RawMessage) ([]Object, error) {
	var recs []s3Record
	if err := json.Unmarshal(raw, &recs); err != nil {
		return nil, &ErrMalformedEvent{Reason: "bad Records", Err: err}
	}
	if len(recs) == 0 {
		return nil, &ErrMalformedEvent{Reason: "no Records"}
	}
	out := make([]Object, 0, len(recs))
	for i, r := range recs {
		if r.EventSource != "aws:s3" {
			return nil, &ErrUnsupportedEvent{Source: r.EventSource, Kind: r.EventName}
		}
		reason, ok := reasons[r.EventName]
		if !ok {
			if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
				return nil, &ErrUnsupportedEvent{Source: r.EventSource, Kind: r.EventName}
			}
			reason = strings.TrimPrefix(r.EventName, "ObjectCreated:")
		}
		o := Object{
			Bucket:    r.S3.Bucket.Name,
			ETag:      r.S3.Object.ETag,
			VersionID: r.S3.Object.VersionID,
			Sequencer: r.S3.Object.Sequencer,
			Reason:    reason,
			Region:    r.AWSRegion,
			EventID:   r.ResponseElements.RequestID,
		}
		if r.EventTime != "" {
			t, err := time.Parse(time.RFC3339Nano, r.EventTime)
			if err != nil {
				return nil, &ErrMalformedEvent{Reason: fmt.Sprintf("record %d: bad eventTime", i), Err: err}
			}
			o.EventTime = t
		}
		o, err := finish(o, r.S3.Object.Key, r.S3.Object.Size, false)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

package s3event

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Restored is one object whose restore from an archive tier completed, as
// told by an S3 "Object Restore Completed" event.
type Restored struct {
	Bucket string
	// Key is the decoded object key.
	Key string
	// RawKey is the key as it appeared in the event (see Object.RawKey).
	RawKey string
	// VersionID is NullVersion when the event had none.
	VersionID string
	// ExpiryTime is when the restored copy expires (zero for objects that
	// came back from an Intelligent-Tiering archive tier, which do not).
	ExpiryTime time.Time
	// SourceStorageClass is GLACIER, DEEP_ARCHIVE or INTELLIGENT_TIERING.
	SourceStorageClass string
	// EventID is the EventBridge event id (or the notification's request
	// id): the same for every delivery of one event.
	EventID   string
	EventTime time.Time
}

// IdempotencyKey is bucket|key|versionId|eventId.
func (r Restored) IdempotencyKey() string {
	return r.Bucket + "|" + r.Key + "|" + r.VersionID + "|" + r.EventID
}

// ParseRestoreCompleted decodes a message body (an SQS message body or a
// Lambda payload) holding an S3 "Object Restore Completed" event: an
// EventBridge event (source aws.s3), or an S3 event notification whose one
// record is ObjectRestore:Completed (keys form-encoded in both: see
// DecodeEventKey), either possibly inside an SNS notification.
//
// Errors: *ErrMalformedEvent, *ErrInvalidKey, and *ErrUnsupportedEvent for a
// well-formed event of another kind (handlers skip those).
func ParseRestoreCompleted(body []byte) (Restored, error) {
	return parseRestore(body, 0)
}

type ebRestoreDetail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       *string `json:"key"`
		VersionID string  `json:"version-id"`
	} `json:"object"`
	RestoreExpiryTime  string `json:"restore-expiry-time"`
	SourceStorageClass string `json:"source-storage-class"`
}

func parseRestore(body []byte, depth int) (Restored, error) {
	if len(body) > MaxBodyBytes {
		return Restored{}, &ErrMalformedEvent{Reason: fmt.Sprintf("body is %d bytes, more than %d", len(body), MaxBodyBytes)}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return Restored{}, &ErrMalformedEvent{Reason: "not a JSON object", Err: err}
	}
	switch {
	case has(top, "detail-type"):
		var source, detailType, id, tm string
		for k, p := range map[string]*string{"source": &source, "detail-type": &detailType, "id": &id, "time": &tm} {
			if v, ok := top[k]; ok {
				if err := json.Unmarshal(v, p); err != nil {
					return Restored{}, &ErrMalformedEvent{Reason: "EventBridge field " + k + " is not a string", Err: err}
				}
			}
		}
		if source != "aws.s3" || detailType != "Object Restore Completed" {
			return Restored{}, &ErrUnsupportedEvent{Source: source, Kind: detailType}
		}
		var d ebRestoreDetail
		if err := json.Unmarshal(top["detail"], &d); err != nil {
			return Restored{}, &ErrMalformedEvent{Reason: "bad detail", Err: err}
		}
		r := Restored{Bucket: d.Bucket.Name, VersionID: d.Object.VersionID, SourceStorageClass: d.SourceStorageClass, EventID: id}
		var err error
		if r.EventTime, err = optTime(tm); err != nil {
			return Restored{}, err
		}
		if r.ExpiryTime, err = optTime(d.RestoreExpiryTime); err != nil {
			return Restored{}, err
		}
		return finishRestore(r, d.Object.Key, true)
	case has(top, "Records"):
		var recs []struct {
			EventSource      string `json:"eventSource"`
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
					VersionID string  `json:"versionId"`
					Sequencer string  `json:"sequencer"`
				} `json:"object"`
			} `json:"s3"`
			GlacierEventData struct {
				RestoreEventData struct {
					LifecycleRestorationExpiryTime string `json:"lifecycleRestorationExpiryTime"`
					LifecycleRestoreStorageClass   string `json:"lifecycleRestoreStorageClass"`
				} `json:"restoreEventData"`
			} `json:"glacierEventData"`
		}
		if err := json.Unmarshal(top["Records"], &recs); err != nil {
			return Restored{}, &ErrMalformedEvent{Reason: "bad Records", Err: err}
		}
		if len(recs) != 1 {
			return Restored{}, &ErrMalformedEvent{Reason: fmt.Sprintf("%d Records; want 1", len(recs))}
		}
		rec := recs[0]
		if rec.EventSource != "aws:s3" || rec.EventName != "ObjectRestore:Completed" {
			return Restored{}, &ErrUnsupportedEvent{Source: rec.EventSource, Kind: rec.EventName}
		}
		rd := rec.GlacierEventData.RestoreEventData
		r := Restored{Bucket: rec.S3.Bucket.Name, VersionID: rec.S3.Object.VersionID, SourceStorageClass: rd.LifecycleRestoreStorageClass,
			EventID: rec.ResponseElements.RequestID + "/" + rec.S3.Object.Sequencer}
		var err error
		if r.EventTime, err = optTime(rec.EventTime); err != nil {
			return Restored{}, err
		}
		if r.ExpiryTime, err = optTime(rd.LifecycleRestorationExpiryTime); err != nil {
			return Restored{}, err
		}
		return finishRestore(r, rec.S3.Object.Key, false)
	case has(top, "Type") && has(top, "Message"):
		if depth > 0 {
			return Restored{}, &ErrMalformedEvent{Reason: "nested SNS envelope"}
		}
		var typ, msg string
		if json.Unmarshal(top["Type"], &typ) != nil || typ != "Notification" {
			return Restored{}, &ErrMalformedEvent{Reason: "SNS envelope is not a Notification"}
		}
		if err := json.Unmarshal(top["Message"], &msg); err != nil {
			return Restored{}, &ErrMalformedEvent{Reason: "SNS Message is not a string", Err: err}
		}
		return parseRestore([]byte(msg), depth+1)
	case has(top, "Event") && has(top, "Bucket"):
		return Restored{}, &ErrUnsupportedEvent{Source: "aws:s3", Kind: "s3:TestEvent"}
	}
	return Restored{}, &ErrMalformedEvent{Reason: "neither an EventBridge event nor an S3 notification"}
}

func optTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &ErrMalformedEvent{Reason: "bad time", Err: err}
	}
	return t, nil
}

// Candidates returns the keys the restored object may be stored under (see
// Object.Candidates).
func (r Restored) Candidates() []string { return candidates(r.Key, r.RawKey) }

func finishRestore(r Restored, key *string, lenient bool) (Restored, error) {
	var missing []string
	if r.Bucket == "" {
		missing = append(missing, "bucket name")
	}
	if key == nil {
		missing = append(missing, "object key")
	}
	if len(missing) > 0 {
		return Restored{}, &ErrMalformedEvent{Reason: "missing " + strings.Join(missing, ", ")}
	}
	if strings.ContainsRune(r.Bucket, '|') || strings.ContainsRune(r.VersionID, '|') {
		return Restored{}, &ErrMalformedEvent{Reason: "'|' in bucket or version id"}
	}
	k, err := DecodeEventKey(*key, lenient)
	if err != nil {
		return Restored{}, err
	}
	r.Key, r.RawKey = k, *key
	if r.VersionID == "" {
		r.VersionID = NullVersion
	}
	return r, nil
}

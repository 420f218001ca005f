package s3event

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRestoreCompleted(t *testing.T) {
	b, err := os.ReadFile("testdata/eventbridge_restore_completed.json")
	require.NoError(t, err)
	r, err := ParseRestoreCompleted(b)
	require.NoError(t, err)
	assert.Equal(t, Restored{
		Bucket: "biolake-prod-raw", Key: "runs/20230101_A00123_0001_BHXXXXDSX2/Data/Intensities/BaseCalls/L001/C1.1/L001_1 copy+1%.cbcl",
		RawKey:    "runs/20230101_A00123_0001_BHXXXXDSX2/Data/Intensities/BaseCalls/L001/C1.1/L001_1 copy+1%.cbcl",
		VersionID: "IYV3p45BhgBnTqAFlxTIpUfM6i8BQ8a5", ExpiryTime: time.Date(2024, 6, 16, 0, 0, 0, 0, time.UTC),
		SourceStorageClass: "DEEP_ARCHIVE", EventID: "8a2e1f3b-7f6c-4e8e-9f0a-2b1c3d4e5f60", EventTime: time.Date(2024, 6, 9, 3, 0, 0, 0, time.UTC),
	}, r)

	notif := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2024-06-09T03:00:00.000Z","eventName":"ObjectRestore:Completed",
	  "responseElements":{"x-amz-request-id":"R1"},"s3":{"bucket":{"name":"raw"},"object":{"key":"runs/a+b/c%2Bd.bam","sequencer":"0A"}},
	  "glacierEventData":{"restoreEventData":{"lifecycleRestorationExpiryTime":"2024-06-16T00:00:00.000Z","lifecycleRestoreStorageClass":"GLACIER"}}}]}`
	r, err = ParseRestoreCompleted([]byte(notif))
	require.NoError(t, err)
	assert.Equal(t, "runs/a b/c+d.bam", r.Key)
	assert.Equal(t, []string{"runs/a b/c+d.bam", "runs/a+b/c%2Bd.bam"}, r.Candidates())
	// An EventBridge key is form-decoded too.
	eb := strings.Replace(string(b), "L001_1 copy+1%.cbcl", "L001_1+copy%2B1%25.cbcl", 1)
	r2, err := ParseRestoreCompleted([]byte(eb))
	require.NoError(t, err)
	assert.Equal(t, "runs/20230101_A00123_0001_BHXXXXDSX2/Data/Intensities/BaseCalls/L001/C1.1/L001_1 copy+1%.cbcl", r2.Key)
	assert.Equal(t, NullVersion, r.VersionID)
	assert.Equal(t, "GLACIER", r.SourceStorageClass)
	assert.Equal(t, "raw|runs/a b/c+d.bam|null|R1/0A", r.IdempotencyKey())

	sns := `{"Type":"Notification","Message":` + quote(notif) + `}`
	_, err = ParseRestoreCompleted([]byte(sns))
	require.NoError(t, err)

	var ue *ErrUnsupportedEvent
	var me *ErrMalformedEvent
	var ke *ErrInvalidKey
	tests := []struct {
		name string
		body string
		want any
	}{
		{"object created", strings.Replace(string(b), "Object Restore Completed", "Object Created", 1), &ue},
		{"restore initiated", strings.Replace(notif, "ObjectRestore:Completed", "ObjectRestore:Post", 1), &ue},
		{"other source", strings.Replace(string(b), `"aws.s3"`, `"biolake.ingest"`, 1), &ue},
		{"test event", `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"raw"}`, &ue},
		{"not json", `{`, &me},
		{"null", `null`, &me},
		{"no key", strings.Replace(string(b), `"key"`, `"kee"`, 1), &me},
		{"no bucket", strings.Replace(string(b), `"name": "biolake-prod-raw"`, `"name": ""`, 1), &me},
		{"bad expiry", strings.Replace(string(b), "2024-06-16T00:00:00Z", "soon", 1), &me},
		{"two records", `{"Records":[{},{}]}`, &me},
		{"pipe", strings.Replace(string(b), "IYV3p45", "IY|V", 1), &me},
		{"control in key", strings.Replace(string(b), "L001_1 copy", `L001\u0001`, 1), &ke},
		{"nested sns", `{"Type":"Notification","Message":` + quote(sns) + `}`, &me},
		{"neither", `{"a":1}`, &me},
	}
	for _, tc := range tests {
		_, err := ParseRestoreCompleted([]byte(tc.body))
		require.Error(t, err, tc.name)
		assert.True(t, errors.As(err, tc.want), "%s: %T %v", tc.name, err, err)
	}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func FuzzParseRestoreCompleted(f *testing.F) {
	b, err := os.ReadFile("testdata/eventbridge_restore_completed.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRestore:Completed","s3":{"bucket":{"name":"b"},"object":{"key":"a%20b+c"}}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRestoreCompleted(body)
		if err != nil {
			var ue *ErrUnsupportedEvent
			var me *ErrMalformedEvent
			var ke *ErrInvalidKey
			if !errors.As(err, &ue) && !errors.As(err, &me) && !errors.As(err, &ke) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if r.Bucket == "" || r.VersionID == "" || CheckKey(r.Key) != nil {
			t.Fatalf("accepted a bad event: %+v", r)
		}
	})
}

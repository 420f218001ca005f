package s3event

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestDecodeKey(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		encoded bool
		want    string
		wantErr string // substring of the error; "" for success
	}{
		{"plain", "runs/r1/a.fastq.gz", false, "runs/r1/a.fastq.gz", ""},
		{"plain keeps plus", "a+b", false, "a+b", ""},
		{"plain keeps percent", "100%/x%41", false, "100%/x%41", ""},
		{"plain space", "a b", false, "a b", ""},
		{"plain unicode", "Läufe/样本/ß.bam", false, "Läufe/样本/ß.bam", ""},
		{"encoded plus is space", "red+flower.jpg", true, "red flower.jpg", ""},
		{"encoded %2B is plus", "c%2B%2B/x", true, "c++/x", ""},
		{"encoded percent", "100%25", true, "100%", ""},
		{"encoded slash", "a%2Fb", true, "a/b", ""},
		{"encoded colon equals", "dt%3D2024-01-01/10%3A47", true, "dt=2024-01-01/10:47", ""},
		{"encoded utf8", "%C3%A9t%C3%A9", true, "été", ""},
		{"encoded raw unicode", "été", true, "été", ""},
		{"empty", "", false, "", "empty"},
		{"empty encoded", "", true, "", "empty"},
		{"bad escape", "a%zz", true, "", "URL encoding"},
		{"truncated escape", "a%2", true, "", "URL encoding"},
		{"nul plain", "a\x00b", false, "", "NUL"},
		{"nul encoded", "a%00b", true, "", "NUL"},
		{"newline", "a\nb", false, "", "control"},
		{"tab encoded", "a%09b", true, "", "control"},
		{"del", "a\x7fb", false, "", "control"},
		{"c1 control", "a\u0085b", false, "", "control"},
		{"invalid utf8 plain", "a\xffb", false, "", "UTF-8"},
		{"invalid utf8 encoded", "a%FFb", true, "", "UTF-8"},
		{"overlong utf8", "%C0%AF", true, "", "UTF-8"},
		{"too long", strings.Repeat("a", MaxKeyBytes+1), false, "", "longer"},
		{"max length", strings.Repeat("a", MaxKeyBytes), false, strings.Repeat("a", MaxKeyBytes), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeKey(tc.raw, tc.encoded)
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
				return
			}
			var ik *ErrInvalidKey
			require.ErrorAs(t, err, &ik)
			assert.Equal(t, tc.raw, ik.Raw)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Empty(t, got)
		})
	}
}

func TestParseGolden(t *testing.T) {
	tests := []struct {
		file string
		want []Object
	}{
		{"eventbridge_object_created.json", []Object{{
			Bucket:    "biolake-dev-raw",
			Key:       "runs/20240607_LH00123_0042_A22CJKLLT3/Data/Intensities/BaseCalls/L001/C1.1/s_1_1101 copy+1%.cbcl",
			RawKey:    "runs/20240607_LH00123_0042_A22CJKLLT3/Data/Intensities/BaseCalls/L001/C1.1/s_1_1101 copy+1%.cbcl",
			Size:      5242880,
			ETag:      "b1946ac92492d2347c6235b4d2611184",
			VersionID: "IYV3p45BhgBnTqAFlxTIpUfM6i8BQ8a5",
			Sequencer: "00617F08299329D189",
			Reason:    "PutObject",
			EventTime: time.Date(2024, 6, 7, 12, 0, 1, 0, time.UTC),
			Region:    "eu-west-1",
			EventID:   "17793124-05d4-b198-2fde-7ededc63b103",
		}}},
		{"eventbridge_unversioned.json", []Object{{
			Bucket: "biolake-dev-raw", Key: "runs/r1/CopyComplete.txt", RawKey: "runs/r1/CopyComplete.txt",
			Size: 0, ETag: "d41d8cd98f00b204e9800998ecf8427e", VersionID: NullVersion, Sequencer: "00617F0829A1B2C3D4",
			Reason: "CompleteMultipartUpload", EventTime: time.Date(2024, 6, 7, 12, 0, 2, 0, time.UTC), Region: "eu-west-1",
			EventID: "2d7e5cf0-45a2-4a02-9a2e-6b1b6ed2b2a1",
		}}},
		{"s3_notification.json", []Object{{
			Bucket: "biolake-dev-partner", Key: "quarantine/acme/batch 7/sample 01_R1+é.fastq.gz",
			RawKey: "quarantine/acme/batch+7/sample+01_R1%2B%C3%A9.fastq.gz",
			Size:   1024, ETag: "d41d8cd98f00b204e9800998ecf8427e", VersionID: "096fKKXTRTtl3on89fVO.nfljtsv6qko",
			Sequencer: "0055AED6DCD90281E5", Reason: "PutObject",
			EventTime: time.Date(2024, 6, 7, 12, 0, 1, 123e6, time.UTC), Region: "eu-west-1", EventID: "C3D13FE58DE4C810",
		}}},
		{"s3_test_event.json", nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseEvent(golden(t, tc.file))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	// SNS-wrapped notification decodes to the same object.
	a, err := ParseEvent(golden(t, "s3_notification.json"))
	require.NoError(t, err)
	b, err := ParseEvent(golden(t, "sns_wrapped_notification.json"))
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

// TestEventBridgeKeysAreDecoded: detail.object.key of an S3 EventBridge
// event is form-encoded like a notification's key, and decodes the same;
// a key that cannot be form-encoding is taken as it is; Candidates offers
// the raw key where the decoding is ambiguous.
func TestEventBridgeKeysAreDecoded(t *testing.T) {
	eb := string(golden(t, "eventbridge_unversioned.json"))
	notif := string(golden(t, "s3_notification.json"))
	tests := []struct {
		name, raw, key string
		candidates     []string
	}{
		{"plus and parentheses", "Logs/run+log+2026%2B11%2B28+%28copy%29.txt", "Logs/run log 2026+11+28 (copy).txt",
			[]string{"Logs/run log 2026+11+28 (copy).txt", "Logs/run+log+2026%2B11%2B28+%28copy%29.txt"}},
		{"percent", "Logs/100%25done.txt", "Logs/100%done.txt", []string{"Logs/100%done.txt", "Logs/100%25done.txt"}},
		{"accents", "Logs/m%C3%A9triques_%C3%A9.csv", "Logs/métriques_é.csv", []string{"Logs/métriques_é.csv", "Logs/m%C3%A9triques_%C3%A9.csv"}},
		{"plain unambiguous", "Data/L001/C1.1/L001_1.cbcl", "Data/L001/C1.1/L001_1.cbcl", []string{"Data/L001/C1.1/L001_1.cbcl"}},
		{"unencoded bare percent", "Logs/100%done.txt", "Logs/100%done.txt", []string{"Logs/100%done.txt"}},
		{"unencoded plus", "Logs/a+b.txt", "Logs/a b.txt", []string{"Logs/a b.txt", "Logs/a+b.txt"}},
		{"unencoded space", "Logs/a b.txt", "Logs/a b.txt", []string{"Logs/a b.txt"}},
		{"decodes to a control character", "Logs/a%09b.txt", "Logs/a%09b.txt", []string{"Logs/a%09b.txt"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := ParseEvent([]byte(strings.Replace(eb, `"runs/r1/CopyComplete.txt"`, strconv.Quote(tc.raw), 1)))
			require.NoError(t, err)
			require.Len(t, objs, 1)
			assert.Equal(t, tc.key, objs[0].Key)
			assert.Equal(t, tc.raw, objs[0].RawKey)
			assert.Equal(t, tc.candidates, objs[0].Candidates())
			assert.Equal(t, len(tc.candidates) > 1, objs[0].Ambiguous())
		})
	}
	// The same encoded key decodes the same from both formats.
	raw := "Logs/run+log+2026%2B11%2B28+%28copy%29.txt"
	a, err := ParseEvent([]byte(strings.Replace(eb, `"runs/r1/CopyComplete.txt"`, strconv.Quote(raw), 1)))
	require.NoError(t, err)
	b, err := ParseEvent([]byte(strings.Replace(notif, "quarantine/acme/batch+7/sample+01_R1%2B%C3%A9.fastq.gz", raw, 1)))
	require.NoError(t, err)
	assert.Equal(t, a[0].Key, b[0].Key)
	// A notification key is always encoded: a bad escape is an error there.
	_, err = ParseEvent([]byte(strings.Replace(notif, "quarantine/acme/batch+7/sample+01_R1%2B%C3%A9.fastq.gz", "Logs/100%done.txt", 1)))
	var ik *ErrInvalidKey
	assert.ErrorAs(t, err, &ik)
	// Neither decodable nor acceptable as it is.
	_, err = ParseEvent([]byte(strings.Replace(eb, `"runs/r1/CopyComplete.txt"`, `"a%zz\u0001"`, 1)))
	assert.ErrorAs(t, err, &ik)
}

func TestIdempotencyKey(t *testing.T) {
	objs, err := ParseEvent(golden(t, "eventbridge_unversioned.json"))
	require.NoError(t, err)
	assert.Equal(t, "biolake-dev-raw|runs/r1/CopyComplete.txt|null|00617F0829A1B2C3D4", objs[0].IdempotencyKey())
	o := Object{Bucket: "b", Key: "a|b", Sequencer: "s"}
	assert.Equal(t, "b|a|b|null|s", o.IdempotencyKey())
	// Same event delivered twice gives the same key; a new sequencer does not.
	again, _ := ParseEvent(golden(t, "eventbridge_unversioned.json"))
	assert.Equal(t, objs[0].IdempotencyKey(), again[0].IdempotencyKey())
	o2 := objs[0]
	o2.Sequencer = "00617F0829A1B2C3FF"
	assert.NotEqual(t, objs[0].IdempotencyKey(), o2.IdempotencyKey())
}

func TestParseErrors(t *testing.T) {
	eb := string(golden(t, "eventbridge_object_created.json"))
	notif := string(golden(t, "s3_notification.json"))
	tests := []struct {
		name     string
		body     string
		wantType string
	}{
		{"empty", ``, "ErrMalformedEvent"},
		{"not json", `hello`, "ErrMalformedEvent"},
		{"null", `null`, "ErrMalformedEvent"},
		{"array", `[]`, "ErrMalformedEvent"},
		{"unrelated object", `{"a":1}`, "ErrMalformedEvent"},
		{"too big", `{"x":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, "ErrMalformedEvent"},
		{"deleted", string(golden(t, "eventbridge_object_deleted.json")), "ErrUnsupportedEvent"},
		{"other source", strings.Replace(eb, `"aws.s3"`, `"aws.ec2"`, 1), "ErrUnsupportedEvent"},
		{"detail not object", strings.Replace(eb, `"detail": {`, `"detail": 5, "x": {`, 1), "ErrMalformedEvent"},
		{"source not string", strings.Replace(eb, `"aws.s3"`, `7`, 1), "ErrMalformedEvent"},
		{"bad time", strings.Replace(eb, `"2024-06-07T12:00:01Z"`, `"noon"`, 1), "ErrMalformedEvent"},
		{"no key", strings.Replace(eb, `"key":`, `"kez":`, 1), "ErrMalformedEvent"},
		{"no size", strings.Replace(eb, `"size":`, `"sise":`, 1), "ErrMalformedEvent"},
		{"negative size", strings.Replace(eb, `"size": 5242880`, `"size": -1`, 1), "ErrMalformedEvent"},
		{"size string", strings.Replace(eb, `"size": 5242880`, `"size": "5"`, 1), "ErrMalformedEvent"},
		{"no bucket", strings.Replace(eb, `"name": "biolake-dev-raw"`, `"name": ""`, 1), "ErrMalformedEvent"},
		{"no sequencer", strings.Replace(eb, `"sequencer"`, `"seq"`, 1), "ErrMalformedEvent"},
		{"pipe in version", strings.Replace(eb, `IYV3p45B`, `IYV|p45B`, 1), "ErrMalformedEvent"},
		{"nul in key", strings.Replace(eb, `copy+1%`, `copy\u0000`, 1), "ErrInvalidKey"},
		{"bad escape in notification", strings.Replace(notif, `%2B`, `%ZZ`, 1), "ErrInvalidKey"},
		{"control in notification", strings.Replace(notif, `%2B`, `%1B`, 1), "ErrInvalidKey"},
		{"empty records", `{"Records":[]}`, "ErrMalformedEvent"},
		{"records not array", `{"Records":{}}`, "ErrMalformedEvent"},
		{"removed", strings.Replace(notif, `ObjectCreated:Put`, `ObjectRemoved:Delete`, 1), "ErrUnsupportedEvent"},
		{"other service record", strings.Replace(notif, `"aws:s3"`, `"aws:sqs"`, 1), "ErrUnsupportedEvent"},
		{"not a test event", `{"Event":"s3:Other","Bucket":"b"}`, "ErrUnsupportedEvent"},
		{"sns not notification", `{"Type":"SubscriptionConfirmation","Message":"{}"}`, "ErrMalformedEvent"},
		{"sns message not string", `{"Type":"Notification","Message":{}}`, "ErrMalformedEvent"},
		{"nested sns", `{"Type":"Notification","Message":"{\"Type\":\"Notification\",\"Message\":\"{}\"}"}`, "ErrMalformedEvent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := ParseEvent([]byte(tc.body))
			require.Error(t, err)
			assert.Nil(t, objs)
			assert.Equal(t, tc.wantType, typeName(err), err.Error())
		})
	}
}

func typeName(err error) string {
	var m *ErrMalformedEvent
	var k *ErrInvalidKey
	var u *ErrUnsupportedEvent
	switch {
	case errors.As(err, &m):
		return "ErrMalformedEvent"
	case errors.As(err, &k):
		return "ErrInvalidKey"
	case errors.As(err, &u):
		return "ErrUnsupportedEvent"
	}
	return "other"
}

func TestNotificationReasons(t *testing.T) {
	notif := string(golden(t, "s3_notification.json"))
	for name, want := range map[string]string{
		"ObjectCreated:Put":                     "PutObject",
		"ObjectCreated:Post":                    "POST Object",
		"ObjectCreated:Copy":                    "CopyObject",
		"ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
		"ObjectCreated:Future":                  "Future",
	} {
		objs, err := ParseEvent([]byte(strings.Replace(notif, "ObjectCreated:Put", name, 1)))
		require.NoError(t, err, name)
		assert.Equal(t, want, objs[0].Reason, name)
	}
}

func FuzzDecodeKey(f *testing.F) {
	for _, s := range []string{"a", "a+b", "%2B", "%C3%A9", "a%00", "%", "%zz", "\xff", "été/样本 1+%25"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, encoded bool) {
		key, err := DecodeKey(raw, encoded)
		if err != nil {
			var ik *ErrInvalidKey
			if !errors.As(err, &ik) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if key != "" {
				t.Fatal("key returned with an error")
			}
			return
		}
		if CheckKey(key) != nil {
			t.Fatalf("accepted key fails CheckKey: %q", key)
		}
		if !encoded && key != raw {
			t.Fatalf("plain key changed: %q -> %q", raw, key)
		}
	})
}

// FuzzDecodeEventKey: never panics, returns a typed error or an acceptable
// key, and a lenient (EventBridge) key is the form-decoding of raw or raw
// itself.
func FuzzDecodeEventKey(f *testing.F) {
	for _, s := range []string{"a", "a+b", "%2B", "%C3%A9", "a%00", "%", "100%done", "%zz", "\xff", "été/样本 1+%25", "Logs/run+log+2026%2B11%2B28+%28copy%29.txt"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, lenient bool) {
		key, err := DecodeEventKey(raw, lenient)
		if err != nil {
			var ik *ErrInvalidKey
			if !errors.As(err, &ik) || key != "" {
				t.Fatalf("bad error %T %v (key %q)", err, err, key)
			}
			if lenient && CheckKey(raw) == nil {
				t.Fatalf("lenient decoding refused an acceptable raw key %q", raw)
			}
			return
		}
		if CheckKey(key) != nil {
			t.Fatalf("accepted key fails CheckKey: %q", key)
		}
		if dec, derr := DecodeKey(raw, true); derr == nil {
			if key != dec {
				t.Fatalf("decodable key %q gave %q, want %q", raw, key, dec)
			}
		} else if !lenient || key != raw {
			t.Fatalf("undecodable key %q gave %q (lenient %v)", raw, key, lenient)
		}
		for _, c := range candidates(key, raw) {
			if CheckKey(c) != nil {
				t.Fatalf("candidate %q fails CheckKey", c)
			}
		}
	})
}

func FuzzParseEvent(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		objs, err := ParseEvent(body)
		if err != nil {
			if objs != nil {
				t.Fatal("objects returned with an error")
			}
			return
		}
		for _, o := range objs {
			if CheckKey(o.Key) != nil || o.Bucket == "" || o.Sequencer == "" || o.VersionID == "" || o.Size < 0 {
				t.Fatalf("accepted bad object %+v", o)
			}
		}
	})
}

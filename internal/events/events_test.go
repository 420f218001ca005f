package events

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2024, 6, 7, 12, 0, 0, 0, time.UTC)

const execARN = "arn:aws:states:eu-west-1:123456789012:execution:RnaSeqStateMachine:0123456789abcdef0123456789abcdef"

// full returns an example of each event with every field set.
func full() []Event {
	return []Event{
		&DatasetReceived{SchemaVersion: SchemaVersion, RunID: "r1", Channel: ChannelDataSync, Bucket: "b", Prefix: "runs/r1/", Profile: "novaseq-x", FirstKey: "runs/r1/RunInfo.xml", ReceivedAt: t0, Partner: "acme"},
		&RunCompleted{SchemaVersion: SchemaVersion, RunID: "r1", Channel: ChannelTransfer, Bucket: "b", Prefix: "runs/r1/", Profile: "generic", ObjectCount: 3, TotalBytes: 10, CompletedAt: t0, ManifestKey: "runs/r1/manifest.csv", Partner: "acme", Evidence: VerifiedByManifest},
		&RunIngested{SchemaVersion: SchemaVersion, RunID: "acme/r1", Channel: ChannelTransfer, Bucket: "b", Prefix: "accepted/acme/r1/", Profile: "generic", ObjectCount: 3, TotalBytes: 10, VerifiedAt: t0, ManifestKey: "accepted/acme/r1/manifest.csv", Partner: "acme", VerifiedBy: VerifiedByManifest},
		&IntegrityFailed{SchemaVersion: SchemaVersion, RunID: "r1", Bucket: "b", Key: "k", Reason: FailureMismatch, DetectedAt: t0, VersionID: "v", Algorithm: "sha256", Expected: "aa", Actual: "bb", Detail: "d"},
		&RestoreCompleted{SchemaVersion: SchemaVersion, RunID: "r1", Bucket: "b", ExecutionID: "arn:x", RestoredObjects: 2, CompletedAt: t0, Tier: "Bulk"},
		&WorkflowSucceeded{SchemaVersion: SchemaVersion, Workflow: "rnaseq", Project: "oncology", RunID: "acme/r1", Partner: "acme", OutputURI: "s3://results/workflows/rnaseq/acme/r1/", ExecutionID: execARN},
	}
}

// minimal returns an example of each event with only required fields set.
func minimal() []Event {
	return []Event{
		&DatasetReceived{SchemaVersion: SchemaVersion, RunID: "r1", Channel: ChannelDataSync, Bucket: "b", Prefix: "runs/r1/", Profile: "novaseq-x", FirstKey: "runs/r1/RunInfo.xml", ReceivedAt: t0},
		&RunCompleted{SchemaVersion: SchemaVersion, RunID: "r1", Channel: ChannelFileGateway, Bucket: "b", Prefix: "runs/r1/", Profile: "miseq", CompletedAt: t0},
		&RunIngested{SchemaVersion: SchemaVersion, RunID: "r1", Channel: ChannelFileGateway, Bucket: "b", Prefix: "runs/r1/", Profile: "miseq", VerifiedAt: t0},
		&IntegrityFailed{SchemaVersion: SchemaVersion, RunID: "r1", Bucket: "b", Key: "k", Reason: FailureMissing, DetectedAt: t0},
		&RestoreCompleted{SchemaVersion: SchemaVersion, RunID: "r1", Bucket: "b", ExecutionID: "arn:x", CompletedAt: t0},
		&WorkflowSucceeded{SchemaVersion: SchemaVersion, Workflow: "qc", Project: "qc", RunID: "r1", Partner: PartnerNone, OutputURI: "s3://results/workflows/qc/r1/", ExecutionID: execARN},
	}
}

func TestSourcesAndDetailTypes(t *testing.T) {
	want := map[string]string{
		DetailTypeDatasetReceived:   SourceIngest,
		DetailTypeRunCompleted:      SourceIngest,
		DetailTypeRunIngested:       SourceVerify,
		DetailTypeIntegrityFailed:   SourceVerify,
		DetailTypeRestoreCompleted:  SourceRestore,
		DetailTypeWorkflowSucceeded: SourceWorkflow,
	}
	require.Len(t, DetailTypes, len(want))
	for _, ev := range full() {
		assert.Equal(t, want[ev.DetailType()], ev.Source(), ev.DetailType())
		z, err := New(ev.DetailType())
		require.NoError(t, err)
		assert.IsType(t, ev, z)
	}
}

func TestGoldenParse(t *testing.T) {
	for _, dt := range DetailTypes {
		t.Run(dt, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", dt+".json"))
			require.NoError(t, err)
			ev, err := Parse(dt, b)
			require.NoError(t, err)
			assert.Equal(t, dt, ev.DetailType())
			// Round trip: marshal and compare with the golden JSON.
			_, _, out, err := Marshal(ev)
			require.NoError(t, err)
			assert.JSONEq(t, string(b), string(out))
		})
	}
}

func TestParseEnvelope(t *testing.T) {
	b, err := os.ReadFile("testdata/envelope_RunCompleted.json")
	require.NoError(t, err)
	env, ev, err := ParseEnvelope(b)
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", env.Region)
	rc, ok := ev.(*RunCompleted)
	require.True(t, ok)
	assert.EqualValues(t, 3126, rc.ObjectCount)

	b, err = os.ReadFile("testdata/envelope_RunIngested.json")
	require.NoError(t, err)
	_, ev, err = ParseEnvelope(b)
	require.NoError(t, err)
	ri, ok := ev.(*RunIngested)
	require.True(t, ok)
	assert.Equal(t, "biolake.verify", ri.Source())
	assert.False(t, ri.VerifiedAt.IsZero())

	// RunIngested no longer comes from ingest, nor RunCompleted from verify.
	var me *ErrMalformedEvent
	bad := strings.Replace(string(b), `"source": "biolake.verify"`, `"source": "biolake.ingest"`, 1)
	_, _, err = ParseEnvelope([]byte(bad))
	assert.ErrorAs(t, err, &me)
	b, err = os.ReadFile("testdata/envelope_RunCompleted.json")
	require.NoError(t, err)
	bad = strings.Replace(string(b), `"source": "biolake.ingest"`, `"source": "biolake.verify"`, 1)
	_, _, err = ParseEnvelope([]byte(bad))
	assert.ErrorAs(t, err, &me)
	_, _, err = ParseEnvelope([]byte(`{`))
	assert.ErrorAs(t, err, &me)
}

// TestRunIngestedIsNotRunCompleted: the two details are not interchangeable
// (completedAt vs verifiedAt), so a rule target wired to the wrong one fails
// loudly.
func TestRunIngestedIsNotRunCompleted(t *testing.T) {
	rc, err := os.ReadFile("testdata/RunCompleted.json")
	require.NoError(t, err)
	_, err = Parse(DetailTypeRunIngested, rc)
	var me *ErrMalformedEvent
	assert.ErrorAs(t, err, &me)
	ri, err := os.ReadFile("testdata/RunIngested.json")
	require.NoError(t, err)
	_, err = Parse(DetailTypeRunCompleted, ri)
	assert.ErrorAs(t, err, &me)
}

func TestRoundTrip(t *testing.T) {
	for _, set := range [][]Event{full(), minimal()} {
		for _, ev := range set {
			src, dt, detail, err := Marshal(ev)
			require.NoError(t, err, ev.DetailType())
			assert.Equal(t, ev.Source(), src)
			got, err := Parse(dt, detail)
			require.NoError(t, err, string(detail))
			assert.Equal(t, ev, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	golden := func(dt string) map[string]any {
		b, err := os.ReadFile(filepath.Join("testdata", dt+".json"))
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	enc := func(m map[string]any) []byte {
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	with := func(dt string, f func(m map[string]any)) []byte {
		m := golden(dt)
		f(m)
		return enc(m)
	}
	tests := []struct {
		name       string
		detailType string
		detail     []byte
		wantType   string // error type name
		missing    []string
		invalid    []string
	}{
		{"unknown detail-type", "RunExploded", []byte(`{}`), "ErrUnknownDetailType", nil, nil},
		{"empty detail-type", "", []byte(`{}`), "ErrUnknownDetailType", nil, nil},
		{"not json", DetailTypeRunIngested, []byte(`nope`), "ErrMalformedEvent", nil, nil},
		{"empty", DetailTypeRunIngested, nil, "ErrMalformedEvent", nil, nil},
		{"array", DetailTypeRunIngested, []byte(`[]`), "ErrMalformedEvent", nil, nil},
		{"null", DetailTypeRunIngested, []byte(`null`), "ErrMalformedEvent", nil, nil},
		{"truncated", DetailTypeRunIngested, []byte(`{"schemaVersion":"1"`), "ErrMalformedEvent", nil, nil},
		{"trailing", DetailTypeRunIngested, append(enc(golden(DetailTypeRunIngested)), []byte(` {}`)...), "ErrMalformedEvent", nil, nil},
		{"unknown field", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { m["runID"] = "x" }), "ErrMalformedEvent", nil, nil},
		{"duplicate field", DetailTypeRestoreCompleted, []byte(`{"schemaVersion":"1","runId":"a","runId":"b","bucket":"b","executionId":"e","restoredObjects":1,"completedAt":"2024-01-01T00:00:00Z"}`), "ErrMalformedEvent", nil, nil},
		{"case-folded field", DetailTypeRestoreCompleted, []byte(`{"schemaVersion":"1","RUNID":"a","bucket":"b","executionId":"e","restoredObjects":1,"completedAt":"2024-01-01T00:00:00Z"}`), "ErrMalformedEvent", nil, nil},
		{"wrong type", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { m["objectCount"] = "3" }), "ErrMalformedEvent", nil, nil},
		{"bad time", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { m["verifiedAt"] = "yesterday" }), "ErrMalformedEvent", nil, nil},
		{"completed: missing completedAt", DetailTypeRunCompleted, with(DetailTypeRunCompleted, func(m map[string]any) { delete(m, "completedAt") }), "ErrInvalidEvent", []string{"completedAt"}, nil},
		{"completed: bad channel", DetailTypeRunCompleted, with(DetailTypeRunCompleted, func(m map[string]any) { m["channel"] = "ftp" }), "ErrInvalidEvent", nil, []string{"channel"}},
		{"ingested: missing verifiedAt", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { delete(m, "verifiedAt") }), "ErrInvalidEvent", []string{"verifiedAt"}, nil},
		{"ingested: negative bytes", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { m["totalBytes"] = -5 }), "ErrInvalidEvent", nil, []string{"totalBytes"}},
		{"too big", DetailTypeRunIngested, []byte(`{"x":"` + strings.Repeat("a", MaxDetailSize) + `"}`), "ErrMalformedEvent", nil, nil},
		{"version 2", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { m["schemaVersion"] = "2" }), "ErrUnsupportedVersion", nil, nil},
		{"no version", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { delete(m, "schemaVersion") }), "ErrInvalidEvent", []string{"schemaVersion"}, nil},
		{"missing runId and bucket", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { delete(m, "runId"); delete(m, "bucket") }), "ErrInvalidEvent", []string{"runId", "bucket"}, nil},
		{"missing objectCount", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { delete(m, "objectCount") }), "ErrInvalidEvent", []string{"objectCount"}, nil},
		{"null objectCount", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { m["objectCount"] = nil }), "ErrInvalidEvent", []string{"objectCount"}, nil},
		{"blank runId", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { m["runId"] = "  " }), "ErrInvalidEvent", []string{"runId"}, nil},
		{"negative count", DetailTypeRunIngested, with(DetailTypeRunIngested, func(m map[string]any) { m["objectCount"] = -1 }), "ErrInvalidEvent", nil, []string{"objectCount"}},
		{"bad channel", DetailTypeDatasetReceived, with(DetailTypeDatasetReceived, func(m map[string]any) { m["channel"] = "email" }), "ErrInvalidEvent", nil, []string{"channel"}},
		{"bad reason", DetailTypeIntegrityFailed, with(DetailTypeIntegrityFailed, func(m map[string]any) { m["reason"] = "meh" }), "ErrInvalidEvent", nil, []string{"reason"}},
		{"missing key", DetailTypeIntegrityFailed, with(DetailTypeIntegrityFailed, func(m map[string]any) { delete(m, "key") }), "ErrInvalidEvent", []string{"key"}, nil},
		{"bad tier", DetailTypeRestoreCompleted, with(DetailTypeRestoreCompleted, func(m map[string]any) { m["tier"] = "Fast" }), "ErrInvalidEvent", nil, []string{"tier"}},
		{"missing executionId", DetailTypeRestoreCompleted, with(DetailTypeRestoreCompleted, func(m map[string]any) { delete(m, "executionId") }), "ErrInvalidEvent", []string{"executionId"}, nil},
		{"workflow: missing partner", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { delete(m, "partner") }), "ErrInvalidEvent", []string{"partner"}, nil},
		{"workflow: blank partner", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { m["partner"] = "" }), "ErrInvalidEvent", []string{"partner"}, nil},
		{"workflow: missing workflow and project", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { delete(m, "workflow"); delete(m, "project") }), "ErrInvalidEvent", []string{"workflow", "project"}, nil},
		{"workflow: null executionId", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { m["executionId"] = nil }), "ErrInvalidEvent", []string{"executionId"}, nil},
		{"workflow: missing runId", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { delete(m, "runId") }), "ErrInvalidEvent", []string{"runId"}, nil},
		{"workflow: missing outputUri", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { delete(m, "outputUri") }), "ErrInvalidEvent", []string{"outputUri"}, nil},
		{"workflow: bad name", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) {
			m["workflow"] = "rna-seq"
			m["outputUri"] = "s3://biolake-prod-results/workflows/rna-seq/acme/batch7/"
		}), "ErrInvalidEvent", nil, []string{"workflow"}},
		{"workflow: name too long", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) {
			m["workflow"] = "a" + strings.Repeat("1", 32)
			m["outputUri"] = "s3://biolake-prod-results/workflows/a" + strings.Repeat("1", 32) + "/acme/batch7/"
		}), "ErrInvalidEvent", nil, []string{"workflow"}},
		{"workflow: project too long", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { m["project"] = strings.Repeat("p", 257) }), "ErrInvalidEvent", nil, []string{"project"}},
		{"workflow: outputUri not s3", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { m["outputUri"] = "https://example.com/workflows/rnaseq/acme/batch7/" }), "ErrInvalidEvent", nil, []string{"outputUri"}},
		{"workflow: outputUri without bucket", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { m["outputUri"] = "s3:///workflows/rnaseq/acme/batch7/" }), "ErrInvalidEvent", nil, []string{"outputUri"}},
		{"workflow: outputUri of another workflow", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { m["outputUri"] = "s3://biolake-prod-results/workflows/qc/acme/batch7/" }), "ErrInvalidEvent", nil, []string{"outputUri"}},
		{"workflow: outputUri of another run", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { m["outputUri"] = "s3://biolake-prod-results/workflows/rnaseq/acme/batch8/" }), "ErrInvalidEvent", nil, []string{"outputUri"}},
		{"workflow: outputUri without trailing slash", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { m["outputUri"] = "s3://biolake-prod-results/workflows/rnaseq/acme/batch7" }), "ErrInvalidEvent", nil, []string{"outputUri"}},
		{"workflow: missing runId, outputUri outside workflows/", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) {
			delete(m, "runId")
			m["outputUri"] = "s3://biolake-prod-results/results/rnaseq/"
		}), "ErrInvalidEvent", []string{"runId"}, []string{"outputUri"}},
		{"workflow: executionId not an ARN", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { m["executionId"] = "unknown" }), "ErrInvalidEvent", nil, []string{"executionId"}},
		{"workflow: executionId of a state machine", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) {
			m["executionId"] = "arn:aws:states:eu-west-1:123456789012:stateMachine:RnaSeqStateMachine"
		}), "ErrInvalidEvent", nil, []string{"executionId"}},
		{"workflow: unknown field", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { m["completedAt"] = "2024-06-09T03:00:00Z" }), "ErrMalformedEvent", nil, nil},
		{"workflow: version 2", DetailTypeWorkflowSucceeded, with(DetailTypeWorkflowSucceeded, func(m map[string]any) { m["schemaVersion"] = "2" }), "ErrUnsupportedVersion", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Parse(tc.detailType, tc.detail)
			require.Error(t, err)
			assert.Nil(t, ev)
			assert.Equal(t, tc.wantType, errorTypeName(err), err.Error())
			var inv *ErrInvalidEvent
			if errors.As(err, &inv) {
				assert.ElementsMatch(t, tc.missing, inv.Missing, err.Error())
				assert.ElementsMatch(t, tc.invalid, inv.Invalid, err.Error())
				for _, f := range append(tc.missing, tc.invalid...) {
					assert.Contains(t, err.Error(), f)
				}
			}
		})
	}
}

// errorTypeName mirrors how aws-lambda-go names an error's type (errorType).
func errorTypeName(err error) string {
	switch err.(type) {
	case *ErrUnknownDetailType:
		return "ErrUnknownDetailType"
	case *ErrMalformedEvent:
		return "ErrMalformedEvent"
	case *ErrInvalidEvent:
		return "ErrInvalidEvent"
	case *ErrUnsupportedVersion:
		return "ErrUnsupportedVersion"
	}
	return "other"
}

func TestValidateNamesMissingFields(t *testing.T) {
	for _, dt := range DetailTypes {
		ev, err := New(dt)
		require.NoError(t, err)
		err = ev.Validate()
		var inv *ErrInvalidEvent
		require.ErrorAs(t, err, &inv)
		assert.NotContains(t, inv.Missing, "schemaVersion", "New sets the version")
		// Every string/time field required by the schema is named.
		for _, f := range requiredFields(dt) {
			switch f {
			case "schemaVersion", "objectCount", "totalBytes", "restoredObjects":
				continue
			}
			assert.Contains(t, inv.Missing, f, dt)
		}
	}
}

// TestVerification: evidence and verifiedBy take the three kinds only, and
// "manifest" needs the manifest's key.
func TestVerification(t *testing.T) {
	base := RunIngested{SchemaVersion: SchemaVersion, RunID: "r1", Channel: ChannelDataSync, Bucket: "b", Prefix: "runs/r1/", Profile: "miseq", VerifiedAt: t0}
	for _, v := range Verifications {
		ri := base
		ri.VerifiedBy = v
		rc := RunCompleted{SchemaVersion: SchemaVersion, RunID: "r1", Channel: ChannelDataSync, Bucket: "b", Prefix: "runs/r1/", Profile: "miseq", CompletedAt: t0, Evidence: v}
		if v == VerifiedByManifest {
			var inv *ErrInvalidEvent
			require.ErrorAs(t, ri.Validate(), &inv)
			assert.Equal(t, []string{"manifestKey"}, inv.Missing)
			require.ErrorAs(t, rc.Validate(), &inv)
			assert.Equal(t, []string{"manifestKey"}, inv.Missing)
			ri.ManifestKey, rc.ManifestKey = "runs/r1/manifest.sha256", "runs/r1/manifest.sha256"
		}
		assert.NoError(t, ri.Validate(), v)
		assert.NoError(t, rc.Validate(), v)
		_, _, detail, err := Marshal(ri)
		require.NoError(t, err)
		got, err := Parse(DetailTypeRunIngested, detail)
		require.NoError(t, err)
		assert.Equal(t, v, got.(*RunIngested).VerifiedBy)
	}
	bad := base
	bad.VerifiedBy = "checked"
	var inv *ErrInvalidEvent
	require.ErrorAs(t, bad.Validate(), &inv)
	assert.Equal(t, []string{"verifiedBy"}, inv.Invalid)
	_, err := Parse(DetailTypeRunCompleted, []byte(`{"schemaVersion":"1","runId":"r1","channel":"datasync","bucket":"b","prefix":"runs/r1/","profile":"miseq","objectCount":1,"totalBytes":1,"completedAt":"2024-06-07T12:00:00Z","evidence":"markers"}`))
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, []string{"evidence"}, inv.Invalid)
}

func TestMarshalInvalid(t *testing.T) {
	_, _, _, err := Marshal(&RunIngested{})
	var inv *ErrInvalidEvent
	assert.ErrorAs(t, err, &inv)
	_, _, _, err = Marshal(nil)
	assert.ErrorAs(t, err, &inv)
}

func FuzzParse(f *testing.F) {
	for _, dt := range DetailTypes {
		b, err := os.ReadFile(filepath.Join("testdata", dt+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(dt, b)
	}
	f.Add("RunIngested", []byte(`{"schemaVersion":null}`))
	f.Fuzz(func(t *testing.T, dt string, detail []byte) {
		ev, err := Parse(dt, detail)
		if err == nil {
			if ev == nil {
				t.Fatal("nil event without error")
			}
			if err := ev.Validate(); err != nil {
				t.Fatalf("parsed event does not validate: %v", err)
			}
		}
	})
}

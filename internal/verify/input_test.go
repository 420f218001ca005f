package verify

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/events"
)

func TestParseRequest(t *testing.T) {
	detail, err := os.ReadFile("../events/testdata/RunCompleted.json")
	require.NoError(t, err)
	req, err := ParseRequest(detail)
	require.NoError(t, err)
	assert.Equal(t, ActionVerify, req.Action)
	require.NotNil(t, req.Completed)
	assert.Equal(t, "runs/20240607_LH00123_0042_A22CJKLLT3/manifest.sha256", req.Completed.ManifestKey)

	env, err := os.ReadFile("../events/testdata/envelope_RunCompleted.json")
	require.NoError(t, err)
	req, err = ParseRequest(env)
	require.NoError(t, err)
	assert.Equal(t, "20240607_LH00123_0042_A22CJKLLT3", req.Completed.RunID)

	withAction := strings.Replace(string(detail), "{", `{"action":"verify",`, 1)
	req, err = ParseRequest([]byte(withAction))
	require.NoError(t, err)
	assert.Equal(t, "biolake-dev-raw", req.Completed.Bucket)

	// RunIngested is the verify flow's output, not its input.
	ri, err := os.ReadFile("../events/testdata/RunIngested.json")
	require.NoError(t, err)
	_, err = ParseRequest(ri)
	var me *events.ErrMalformedEvent
	assert.ErrorAs(t, err, &me)
	renv, err := os.ReadFile("../events/testdata/envelope_RunIngested.json")
	require.NoError(t, err)
	_, err = ParseRequest(renv)
	var ui *ErrUnsupportedInput
	assert.ErrorAs(t, err, &ui)

	var rc events.RunCompleted
	require.NoError(t, json.Unmarshal(detail, &rc))
	fin := map[string]any{"action": "finalize", "run": VerifyOutput{Run: rc, VerifyID: "v", Results: []ObjectResult{}, Large: []LargeObject{{Bucket: "b", Key: "k"}}},
		"large": []map[string]any{{"bucket": "b", "key": "k", "ok": false, "error": map[string]string{"Error": "States.TaskFailed", "Cause": "x"}}}}
	b, _ := json.Marshal(fin)
	req, err = ParseRequest(b)
	require.NoError(t, err)
	require.NotNil(t, req.Finalize)
	assert.Equal(t, "v", req.Finalize.Run.VerifyID)
	require.Len(t, req.Finalize.Large, 1)
	assert.False(t, *req.Finalize.Large[0].OK)

	var ir *ErrInvalidRequest
	for name, bad := range map[string]string{
		"no run":          `{"action":"finalize"}`,
		"null run":        `{"action":"finalize","run":null}`,
		"unknown field":   `{"action":"finalize","run":{},"extra":1}`,
		"bad run":         `{"action":"finalize","run":{"run":{}}}`,
		"no verifyId":     `{"action":"finalize","run":{"run":` + string(detail) + `}}`,
		"large not array": `{"action":"finalize","run":{"run":` + string(detail) + `,"verifyId":"v"},"large":{}}`,
		"large no key":    `{"action":"finalize","run":{"run":` + string(detail) + `,"verifyId":"v"},"large":[{"bucket":"b"}]}`,
		"action number":   `{"action":1}`,
		"too big":         `{"x":"` + strings.Repeat("a", MaxInputBytes) + `"}`,
	} {
		_, err := ParseRequest([]byte(bad))
		assert.ErrorAs(t, err, &ir, name)
	}
	_, err = ParseRequest([]byte(`{"action":"explode"}`))
	assert.ErrorAs(t, err, &ui)
	for _, bad := range []string{``, `null`, `[]`, `{"detail-type":"RunCompleted"}`, `{"runId":"x","extra":1}`} {
		_, err := ParseRequest([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, p := range []string{"../events/testdata/envelope_RunCompleted.json", "../events/testdata/RunCompleted.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"action":"finalize","run":{"run":{"schemaVersion":"1","runId":"r","channel":"datasync","bucket":"b","prefix":"p/","profile":"x","objectCount":1,"totalBytes":2,"completedAt":"2024-01-01T00:00:00Z"},"verifyId":"v","large":[{"bucket":"b","key":"k"}]},"large":[{"bucket":"b","key":"k","ok":false,"error":{"Error":"e","Cause":"{\"Container\":{\"ExitCode\":3}}"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := ParseRequest(b)
		if err != nil {
			return
		}
		switch {
		case req.Completed != nil:
			if req.Completed.RunID == "" || req.Completed.Bucket == "" {
				t.Fatalf("accepted input without run or bucket: %+v", req)
			}
		case req.Finalize != nil:
			if req.Finalize.Run.VerifyID == "" {
				t.Fatal("finalize without verifyId")
			}
			for _, l := range req.Finalize.Run.Large {
				largeFailure(l, nil) // must not panic
			}
			for i := range req.Finalize.Large {
				largeFailure(LargeObject{}, &req.Finalize.Large[i])
			}
		default:
			t.Fatal("no request")
		}
	})
}

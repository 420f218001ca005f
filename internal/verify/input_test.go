package verify

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/events"
)

func TestParseInput(t *testing.T) {
	env, err := os.ReadFile("../events/testdata/envelope_RunIngested.json")
	require.NoError(t, err)
	req, err := ParseInput(env)
	require.NoError(t, err)
	assert.Equal(t, Request{RunID: "20240607_LH00123_0042_A22CJKLLT3", Bucket: "biolake-dev-raw", Prefix: "runs/20240607_LH00123_0042_A22CJKLLT3/"}, req)

	detail, err := os.ReadFile("../events/testdata/RunIngested.json")
	require.NoError(t, err)
	req, err = ParseInput(detail)
	require.NoError(t, err)
	assert.Equal(t, "runs/20240607_LH00123_0042_A22CJKLLT3/manifest.sha256", req.ManifestKey)

	other, err := os.ReadFile("../events/testdata/IntegrityFailed.json")
	require.NoError(t, err)
	_, err = ParseInput(other)
	var me *events.ErrMalformedEvent
	assert.ErrorAs(t, err, &me, "an IntegrityFailed detail is not a RunIngested detail")

	fenv := `{"version":"0","id":"1","detail-type":"IntegrityFailed","source":"biolake.verify","account":"1","time":"2024-06-08T08:15:00Z","region":"eu-west-1","resources":[],"detail":` + string(other) + `}`
	_, err = ParseInput([]byte(fenv))
	var ui *ErrUnsupportedInput
	assert.ErrorAs(t, err, &ui)

	for _, bad := range []string{``, `null`, `[]`, `{"detail-type":"RunIngested"}`, `{"runId":"x","extra":1}`} {
		_, err := ParseInput([]byte(bad))
		assert.Error(t, err, bad)
	}
	_, err = ParseInput([]byte(`[]`))
	assert.ErrorAs(t, err, &me)
}

func FuzzParseInput(f *testing.F) {
	for _, p := range []string{"../events/testdata/envelope_RunIngested.json", "../events/testdata/RunIngested.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := ParseInput(b)
		if err == nil && (req.RunID == "" || req.Bucket == "") {
			t.Fatalf("accepted input without run or bucket: %+v", req)
		}
	})
}

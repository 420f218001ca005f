package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, map[string]any, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	var m map[string]any
	if out.Len() > 0 {
		require.NoError(t, json.Unmarshal(out.Bytes(), &m), out.String())
	}
	return code, m, errb.String()
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	require.NoError(t, os.WriteFile(p, []byte("123456789"), 0o600))

	code, m, _ := runCLI(t, "", "-algos", "sha256,md5,crc32c,crc64nvme", p)
	require.Equal(t, 0, code)
	assert.EqualValues(t, 9, m["size"])
	d := m["digests"].(map[string]any)
	assert.Equal(t, "ae8b14860a799888", d["crc64nvme"].(map[string]any)["hex"])
	assert.Equal(t, "4waSgw==", d["crc32c"].(map[string]any)["base64"])
	assert.Equal(t, "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225", d["sha256"].(map[string]any)["hex"])
	assert.Nil(t, m["stats"])

	code, m, _ = runCLI(t, "123456789", "-stats", "-")
	require.Equal(t, 0, code)
	assert.Contains(t, m["digests"], "sha256")
	st := m["stats"].(map[string]any)
	assert.Greater(t, st["peakRssKiB"].(float64), 0.0)

	code, m, _ = runCLI(t, "123456789", "-algos", "sha256", "-expect", "md5=25f9e794323b453885f5181f1b624d0b", "-")
	assert.Equal(t, 0, code)
	assert.Equal(t, true, m["match"])
	assert.Contains(t, m["digests"], "md5")

	code, m, _ = runCLI(t, "12345678", "-expect", "crc32c=e3069283", "-")
	assert.Equal(t, 3, code)
	assert.Equal(t, false, m["match"])
	assert.Equal(t, []any{"crc32c"}, m["mismatched"])
}

func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"a", "b"},
		{"-algos", "sha1", "-"},
		{"-expect", "sha256", "-"},
		{"-expect", "sha256=abc", "-"},
		{"-chunk", "0", "-"},
		{"-nope", "-"},
	} {
		code, _, stderr := runCLI(t, "", args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.NotEmpty(t, stderr)
	}
	code, _, stderr := runCLI(t, "", filepath.Join(t.TempDir(), "missing"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no such file")
}

func TestVMHWM(t *testing.T) {
	n, err := vmHWM(strings.NewReader("Name:\tx\nVmPeak:\t  100 kB\nVmHWM:\t    4242 kB\n"))
	require.NoError(t, err)
	assert.EqualValues(t, 4242, n)
	_, err = vmHWM(strings.NewReader("Name: x\n"))
	assert.Error(t, err)
}

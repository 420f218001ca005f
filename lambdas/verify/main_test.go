package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadSettings(t *testing.T) {
	s, err := loadSettings(env(map[string]string{"QUARANTINE_PREFIX": "in/", "ACCEPTED_PREFIX": "ok/", "VERIFY_CONCURRENCY": "4", "STREAM_CONCURRENCY": "1", "MAX_STREAM_BYTES": "1073741824", "LOG_LEVEL": "warn"}))
	require.NoError(t, err)
	assert.Equal(t, settings{Quarantine: "in/", Accepted: "ok/", Concurrency: 4, StreamConcurrency: 1, MaxStreamBytes: 1 << 30, Level: 4}, s)
	_, err = loadSettings(env(nil))
	require.NoError(t, err)
	for name, m := range map[string]map[string]string{
		"no slash":    {"QUARANTINE_PREFIX": "in"},
		"absolute":    {"ACCEPTED_PREFIX": "/ok/"},
		"same":        {"QUARANTINE_PREFIX": "x/", "ACCEPTED_PREFIX": "x/"},
		"level":       {"LOG_LEVEL": "loud"},
		"concurrency": {"VERIFY_CONCURRENCY": "0"},
		"max":         {"MAX_STREAM_BYTES": "-1"},
	} {
		_, err := loadSettings(env(m))
		assert.Error(t, err, name)
	}
}

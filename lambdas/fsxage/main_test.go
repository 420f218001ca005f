package main

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadSettings(t *testing.T) {
	s, err := loadSettings(env(map[string]string{"ENVIRONMENT": "staging", "LOG_LEVEL": "debug"}))
	require.NoError(t, err)
	assert.Equal(t, "staging", s.Environment)
	assert.Equal(t, slog.LevelDebug, s.Level)

	for name, m := range map[string]map[string]string{
		"no environment":    {},
		"blank environment": {"ENVIRONMENT": "  "},
		"bad level":         {"ENVIRONMENT": "staging", "LOG_LEVEL": "loud"},
	} {
		_, err := loadSettings(env(m))
		assert.Error(t, err, name)
	}
}

package main

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadSettings(t *testing.T) {
	s, err := loadSettings(env(map[string]string{"ENTRY": "isComplete", "LOG_LEVEL": "debug"}))
	require.NoError(t, err)
	assert.Equal(t, "isComplete", s.Entry)
	assert.Equal(t, slog.LevelDebug, s.Level)

	s, err = loadSettings(env(map[string]string{"ENTRY": "onEvent"}))
	require.NoError(t, err)
	assert.Equal(t, slog.LevelInfo, s.Level)

	for name, m := range map[string]map[string]string{
		"no entry":  {},
		"bad entry": {"ENTRY": "onDelete"},
		"bad level": {"ENTRY": "onEvent", "LOG_LEVEL": "loud"},
	} {
		_, err := loadSettings(env(m))
		assert.Error(t, err, name)
	}
}

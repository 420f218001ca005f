package main

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadSettings(t *testing.T) {
	s, err := loadSettings(env(map[string]string{}))
	require.NoError(t, err)
	assert.Equal(t, settings{Level: slog.LevelInfo}, s)
	for lv, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		s, err := loadSettings(env(map[string]string{"LOG_LEVEL": lv}))
		require.NoError(t, err, lv)
		assert.Equal(t, want, s.Level, lv)
	}
	_, err = loadSettings(env(map[string]string{"LOG_LEVEL": "loud"}))
	assert.EqualError(t, err, `LOG_LEVEL "loud": want debug, info, warn or error`)
}

package main

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const shares = `[{"bucket":"biolake-shared","prefix":"share/","fileShareArn":"arn:aws:storagegateway:eu-west-1:111122223333:share/share-1A2B3C4D"}]`

func TestLoadSettings(t *testing.T) {
	s, err := loadSettings(env(map[string]string{"SHARES": shares, "LOG_LEVEL": "debug"}))
	require.NoError(t, err)
	assert.Equal(t, slog.LevelDebug, s.Level)
	sh, ok := s.Shares.Lookup("biolake-shared", "share/a/b")
	assert.True(t, ok)
	assert.Equal(t, "share/", sh.Prefix)

	for name, m := range map[string]map[string]string{
		"no shares":  {},
		"bad shares": {"SHARES": `[{"bucket":"x"}]`},
		"bad level":  {"SHARES": shares, "LOG_LEVEL": "loud"},
	} {
		_, err := loadSettings(env(m))
		assert.Error(t, err, name)
	}
}

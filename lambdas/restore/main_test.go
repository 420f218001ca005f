package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadSettings(t *testing.T) {
	s, err := loadSettings(env(map[string]string{"CATALOG_TABLE": "cat", "EVENT_BUS_NAME": "b", "RESTORE_TIER": "Standard", "RESTORE_DAYS": "3", "LOG_LEVEL": "debug"}))
	require.NoError(t, err)
	assert.Equal(t, settings{Table: "cat", BusName: "b", Tier: "Standard", Days: 3, Level: -4}, s)
	s, err = loadSettings(env(map[string]string{"CATALOG_TABLE": "cat"}))
	require.NoError(t, err)
	assert.Equal(t, "Bulk", s.Tier)
	assert.EqualValues(t, 7, s.Days)
	for name, m := range map[string]map[string]string{
		"no table":  {},
		"tier":      {"CATALOG_TABLE": "c", "RESTORE_TIER": "Expedited"},
		"days":      {"CATALOG_TABLE": "c", "RESTORE_DAYS": "0"},
		"days text": {"CATALOG_TABLE": "c", "RESTORE_DAYS": "week"},
		"level":     {"CATALOG_TABLE": "c", "LOG_LEVEL": "loud"},
	} {
		_, err := loadSettings(env(m))
		assert.Error(t, err, name)
	}
}

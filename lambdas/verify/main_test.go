package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadSettings(t *testing.T) {
	s, err := loadSettings(env(map[string]string{"CATALOG_TABLE": "cat", "QUARANTINE_PREFIX": "in/", "ACCEPTED_PREFIX": "ok/", "VERIFY_CONCURRENCY": "4",
		"STREAM_CONCURRENCY": "1", "MAX_STREAM_BYTES": "1073741824", "STREAM_BUDGET_BYTES": "1000", "LOG_LEVEL": "warn",
		"CATALOG_BUCKET": "lake-catalog", "CATALOG_PREFIX": "cat/", "EVENT_BUS_NAME": "biolake"}))
	require.NoError(t, err)
	assert.Equal(t, settings{Table: "cat", BusName: "biolake", Quarantine: "in/", Accepted: "ok/", Concurrency: 4, StreamConcurrency: 1,
		MaxStreamBytes: 1 << 30, StreamBudget: 1000, CatalogBucket: "lake-catalog", CatalogPrefix: "cat/", Level: 4}, s)
	_, err = loadSettings(env(map[string]string{"CATALOG_TABLE": "cat"}))
	require.NoError(t, err)
	for name, m := range map[string]map[string]string{
		"no table":    {},
		"no slash":    {"CATALOG_TABLE": "c", "QUARANTINE_PREFIX": "in"},
		"absolute":    {"CATALOG_TABLE": "c", "ACCEPTED_PREFIX": "/ok/"},
		"same":        {"CATALOG_TABLE": "c", "QUARANTINE_PREFIX": "x/", "ACCEPTED_PREFIX": "x/"},
		"nested":      {"CATALOG_TABLE": "c", "ACCEPTED_PREFIX": "quarantine/ok/"},
		"level":       {"CATALOG_TABLE": "c", "LOG_LEVEL": "loud"},
		"concurrency": {"CATALOG_TABLE": "c", "VERIFY_CONCURRENCY": "0"},
		"huge conc":   {"CATALOG_TABLE": "c", "STREAM_CONCURRENCY": "100000"},
		"max":         {"CATALOG_TABLE": "c", "MAX_STREAM_BYTES": "-1"},
		"budget":      {"CATALOG_TABLE": "c", "STREAM_BUDGET_BYTES": "x"},
		"cat prefix":  {"CATALOG_TABLE": "c", "CATALOG_PREFIX": "catalog"},
	} {
		_, err := loadSettings(env(m))
		assert.Error(t, err, name)
	}
}

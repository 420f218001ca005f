package main

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/dataclass"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadSettings(t *testing.T) {
	rules := `[{"prefix":"runs/","profile":"novaseq-x","manifest":"manifest.sha256","channel":"datasync"}]`
	s, err := loadSettings(env(map[string]string{"CATALOG_TABLE": "cat", "RUN_RULES": rules, "LOG_LEVEL": "debug", "BATCH_CONCURRENCY": "4", "EVENT_BUS_NAME": "biolake"}))
	require.NoError(t, err)
	assert.Equal(t, "cat", s.Table)
	assert.Equal(t, slog.LevelDebug, s.Level)
	assert.Equal(t, 4, s.Concurrency)
	assert.Equal(t, "biolake", s.BusName)
	loc, err := s.Resolver.Resolve("runs/r/CopyComplete.txt")
	require.NoError(t, err)
	assert.Equal(t, "r", loc.RunID)
	assert.Equal(t, dataclass.Defaults(), s.Classes)

	s, err = loadSettings(env(map[string]string{"CATALOG_TABLE": "cat", "RUN_RULES": rules, "DATA_CLASSES": `{"vcf":[".vcf.gz"]}`}))
	require.NoError(t, err)
	assert.Equal(t, dataclass.Classes{"vcf": {".vcf.gz"}}, s.Classes)

	for name, m := range map[string]map[string]string{
		"no table":        {"RUN_RULES": rules},
		"no rules":        {"CATALOG_TABLE": "cat"},
		"bad rules":       {"CATALOG_TABLE": "cat", "RUN_RULES": "[{}]"},
		"bad level":       {"CATALOG_TABLE": "cat", "RUN_RULES": rules, "LOG_LEVEL": "loud"},
		"bad concurrency": {"CATALOG_TABLE": "cat", "RUN_RULES": rules, "BATCH_CONCURRENCY": "0"},
		"bad line":        {"CATALOG_TABLE": "cat", "RUN_RULES": rules, "MANIFEST_MAX_LINE_BYTES": "x"},
		"bad classes":     {"CATALOG_TABLE": "cat", "RUN_RULES": rules, "DATA_CLASSES": `{"vcf":[".VCF"]}`},
		"classes array":   {"CATALOG_TABLE": "cat", "RUN_RULES": rules, "DATA_CLASSES": `[".vcf"]`},
	} {
		_, err := loadSettings(env(m))
		assert.Error(t, err, name)
	}
}

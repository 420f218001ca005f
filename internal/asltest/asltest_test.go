package asltest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// One valid and two invalid definitions in one run: only the valid one is
// accepted, and each invalid one is named.
func TestValidate(t *testing.T) {
	bin, _ := filepath.Abs("../../node_modules/.bin/asl-validator")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("asl-validator is not installed (npm ci): %v", err)
		}
		t.Skipf("asl-validator is not installed (npm ci): %v", err)
	}
	invalid, err := Validate(bin, t.TempDir(), map[string]string{
		"pass":     `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
		"no-end":   `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`,
		"not-json": `{"StartAt":`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := invalid["pass"]; ok {
		t.Errorf("a valid definition was reported invalid: %s", invalid["pass"])
	}
	for _, name := range []string{"no-end", "not-json"} {
		if _, ok := invalid[name]; !ok {
			t.Errorf("%s was not reported invalid", name)
		}
	}
	if !strings.Contains(invalid["no-end"], "MISSING_TERMINAL_STATE") || strings.Contains(invalid["no-end"], "not-json") {
		t.Errorf("the report of no-end lacks the validator's message: %s", invalid["no-end"])
	}
	if _, err := Validate(bin, t.TempDir(), nil); err == nil {
		t.Error("no definitions: no error")
	}
}

package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCfnLint runs cfn-lint over every synthesized template of every
// environment: zero errors and zero warnings. Rules switched off are listed,
// each with its reason, in ../.cfnlintrc.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint is not installed: pip install cfn-lint (see README, Prerequisites)")
	}
	var files []string
	for _, s := range gated(t) {
		for _, env := range s.Envs {
			for _, st := range s.Stacks[env] {
				files = append(files, st.TemplateFile)
			}
		}
	}
	rc, err := filepath.Abs("../.cfnlintrc")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rc); err != nil {
		t.Fatalf("missing %s: %v", rc, err)
	}
	// Schemas of types cfn-lint 1.51.0 knows in an older form; each says
	// why in its description.
	schemas, err := filepath.Abs("testdata/cfn-schemas")
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--config-file", rc, "--format", "parseable", "--registry-schemas", schemas, "--"}, files...)
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint found problems in %d templates:\n%s", len(files), strings.TrimSpace(string(out)))
	}
}

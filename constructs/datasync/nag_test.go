package datasync_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// TestNagFindings: zero unsuppressed findings of any level in any pack, a
// report from every pack for every stack, and the construct's suppressions
// logged for review (go test -v).
func TestNagFindings(t *testing.T) {
	f := load(t)
	var names []string
	for name := range f.stacks {
		names = append(names, name)
	}
	lines := cdktest.NagReports(t, f.dir, names, "/DataSync/")
	t.Logf("suppressed findings of the datasync construct (%d):\n%s", len(lines), strings.Join(lines, "\n"))
}

// TestCfnLint runs cfn-lint with the repository's settings over the
// templates.
func TestCfnLint(t *testing.T) {
	f := load(t)
	var files []string
	for name := range f.stacks {
		files = append(files, filepath.Join(f.dir, name+".template.json"))
	}
	cdktest.CfnLint(t, files)
}

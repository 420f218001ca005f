package filegateway_test

import (
	"path/filepath"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// TestNagFindings: zero unsuppressed findings of any level in any pack, a
// report from every pack for every stack, and the construct's suppressions
// logged for review (go test -v).
func TestNagFindings(t *testing.T) {
	load(t).NagGate(t, "/FileGateway/", "file gateway")
}

// TestCfnLint runs cfn-lint with the repository's settings over the
// templates.
func TestCfnLint(t *testing.T) {
	f := load(t)
	files := f.TemplateFiles()
	// cfn-lint 1.51.0 does not know the file share types yet: see the
	// schemas' description.
	schemas, _ := filepath.Abs("testdata/cfn-schemas")
	cdktest.CfnLint(t, files, "--registry-schemas", schemas)
}

package ml_test

import (
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// TestNagFindings: zero unsuppressed findings of any level in any pack, a
// report from every pack for every stack, and the construct's suppressions
// logged for review (go test -v).
func TestNagFindings(t *testing.T) {
	load(t).NagGate(t, "/ML/", "ml")
}

// TestCfnLint runs cfn-lint with the repository's settings over the
// templates.
func TestCfnLint(t *testing.T) {
	cdktest.CfnLint(t, load(t).TemplateFiles())
}

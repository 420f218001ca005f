package cdktest

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/nag"
)

// NagReports checks the cdk-nag CSV reports that a synth into dir wrote for
// each top-level stack in stacks (files <pack>--<stack>-NagReport.csv): a
// report from every pack for every stack, and no unsuppressed finding of
// any level. It returns the suppressed findings whose resource path
// contains owner ("/DataSync/", say) as "rule  path  reason" lines, sorted,
// for the caller to log for review.
func NagReports(t testing.TB, dir string, stacks []string, owner string) []string {
	t.Helper()
	stageless := regexp.MustCompile(`^[^/]+/`)
	suppressed := map[string]bool{}
	for _, name := range stacks {
		for _, pack := range nag.Packs {
			file := filepath.Join(dir, pack+"--"+name+"-NagReport.csv")
			fh, err := os.Open(file)
			if err != nil {
				t.Errorf("%s: no %s report: %v", name, pack, err)
				continue
			}
			rows, err := csv.NewReader(fh).ReadAll()
			fh.Close()
			if err != nil || len(rows) < 2 {
				t.Fatalf("%s: %v (%d rows)", file, err, len(rows))
			}
			for _, r := range rows[1:] {
				switch r[2] {
				case "Non-Compliant":
					t.Errorf("%s %s %s: %s", name, r[4], r[0], r[1])
				case "Suppressed":
					if strings.Contains(r[1], owner) {
						suppressed[r[0]+"  "+stageless.ReplaceAllString(r[1], "")+"  "+r[3]] = true
					}
				}
			}
		}
	}
	lines := make([]string, 0, len(suppressed))
	for l := range suppressed {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	return lines
}

// CfnLint runs cfn-lint with the repository's .cfnlintrc (and any extra
// arguments, such as --registry-schemas DIR) over the templates and fails
// the test on any finding. Without cfn-lint it skips, except in CI.
func CfnLint(t testing.TB, templates []string, extra ...string) {
	t.Helper()
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("cfn-lint is not installed (pip install cfn-lint)")
		}
		t.Skip("cfn-lint is not installed (pip install cfn-lint)")
	}
	_, self, _, _ := runtime.Caller(0)
	rc := filepath.Join(filepath.Dir(self), "..", "..", "..", ".cfnlintrc")
	files := append([]string(nil), templates...)
	sort.Strings(files)
	args := append(append([]string{"--config-file", rc, "--format", "parseable"}, extra...), "--")
	if out, err := exec.Command(bin, append(args, files...)...).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

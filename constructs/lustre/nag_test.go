package lustre_test

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/nag"
)

// TestNagFindings: zero unsuppressed findings in any pack, a report from
// every pack for every stack, and the construct's suppressions logged for
// review (go test -v).
func TestNagFindings(t *testing.T) {
	f := load(t)
	suppressed := map[string]bool{}
	for _, name := range stackNames {
		for _, pack := range nag.Packs {
			file := filepath.Join(f.dir, pack+"--"+name+"-NagReport.csv")
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
					if strings.Contains(r[1], "/Lustre/") {
						path := regexp.MustCompile(`^[^/]+/`).ReplaceAllString(r[1], "")
						suppressed[r[0]+"  "+path+"  "+r[3]] = true
					}
				}
			}
		}
	}
	var lines []string
	for l := range suppressed {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	t.Logf("suppressed findings of the lustre construct (%d):\n%s", len(lines), strings.Join(lines, "\n"))
}

// TestCfnLint runs cfn-lint with the repository's settings over every
// template.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed (pip install cfn-lint)")
	}
	f := load(t)
	var files []string
	for _, name := range stackNames {
		files = append(files, filepath.Join(f.dir, name+".template.json"))
	}
	rc, _ := filepath.Abs("../../.cfnlintrc")
	args := append([]string{"--config-file", rc, "--format", "parseable", "--"}, files...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

package filegateway_test

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/nag"
)

func TestNagFindings(t *testing.T) {
	f := load(t)
	suppressed := map[string]bool{}
	for name := range f.stacks {
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
					if strings.Contains(r[1], "/FileGateway/") {
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
	t.Logf("suppressed findings of the file gateway construct (%d):\n%s", len(lines), strings.Join(sorted(lines), "\n"))
}

// TestCfnLint runs cfn-lint with the repository's settings over both
// templates.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed (pip install cfn-lint)")
	}
	f := load(t)
	var files []string
	for name := range f.stacks {
		files = append(files, filepath.Join(f.dir, name+".template.json"))
	}
	rc, _ := filepath.Abs("../../.cfnlintrc")
	schemas, _ := filepath.Abs("testdata/cfn-schemas")
	// cfn-lint 1.51.0 does not know the file share types yet: see the
	// schemas' description.
	args := append([]string{"--config-file", rc, "--registry-schemas", schemas, "--format", "parseable", "--"}, sorted(files)...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// assetHash matches the content hashes of file and image assets, which
// change with every edit of a handler and are not what a reviewer checks.
var assetHash = regexp.MustCompile(`\b[0-9a-f]{64}\b`)

// assetDestination matches the short hash CDK Pipelines appends to an
// asset's publishing destination (<asset-hash>:ACCOUNT-REGION-1a2b3c4d),
// which follows the asset's content too.
var assetDestination = regexp.MustCompile(`(<asset-hash>:[0-9]{12}-[a-z]{2}(-[a-z]+)+-[0-9])-[0-9a-f]{8}\b`)

// normalise returns the template as indented JSON with asset hashes replaced.
func normalise(tpl map[string]any) ([]byte, error) {
	raw, err := json.MarshalIndent(tpl, "", "  ")
	if err != nil {
		return nil, err
	}
	raw = assetHash.ReplaceAll(raw, []byte("<asset-hash>"))
	raw = assetDestination.ReplaceAll(raw, []byte("${1}-<asset-hash>"))
	return append(raw, '\n'), nil
}

// TestSnapshots compares every template of every environment with its golden
// file in testdata/<env>/. Rewrite them with `go test ./test -update` and
// review the diff: a changed logical id of a stateful resource replaces it.
func TestSnapshots(t *testing.T) {
	for _, s := range gated(t) {
		snapshots(t, s)
	}
}

func snapshots(t *testing.T, s *Synthesized) {
	for _, env := range s.Envs {
		dir := filepath.Join("testdata", "snapshots", env)
		if *update {
			os.RemoveAll(dir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]bool{}
		for _, st := range s.Stacks[env] {
			got, err := normalise(st.Template)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, st.Name+".template.json")
			seen[filepath.Base(file)] = true
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Errorf("%s: no golden file (%v); run go test ./test -update and review it", st.Name, err)
				continue
			}
			if string(want) != string(got) {
				var w, g any
				_ = json.Unmarshal(want, &w)
				_ = json.Unmarshal(got, &g)
				t.Errorf("%s differs from %s (-golden +synthesized); if intended, run go test ./test -update:\n%s",
					st.Name, file, cmp.Diff(w, g))
			}
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !seen[e.Name()] && strings.HasSuffix(e.Name(), ".template.json") {
				t.Errorf("%s: golden file of a stack that no longer exists; run go test ./test -update", filepath.Join(dir, e.Name()))
			}
		}
	}
}

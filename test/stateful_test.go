package test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

var updateStateful = flag.Bool("update-stateful", false, "rewrite testdata/stateful-ids.golden (only with a migration note)")

// statefulTypes are the resource types whose replacement loses data or
// access to it: a changed logical id deletes the old resource (or, retained,
// orphans it) and creates an empty one.
var statefulTypes = []string{
	"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::DynamoDB::Table",
	"AWS::FSx::FileSystem", "AWS::Backup::BackupVault", "AWS::Logs::LogGroup",
	// The labeling workforce's user pool holds the labelers' accounts.
	"AWS::Cognito::UserPool",
}

const statefulGolden = "testdata/stateful-ids.golden"

// statefulIDs lists "env stack type logicalId" of every stateful resource
// of every template, sorted.
func statefulIDs(s *Synthesized) []string {
	var out []string
	for _, env := range s.Envs {
		for _, st := range s.Stacks[env] {
			res, _ := st.Template["Resources"].(map[string]any)
			for id, r := range res {
				typ, _ := r.(map[string]any)["Type"].(string)
				if slices.Contains(statefulTypes, typ) {
					out = append(out, fmt.Sprintf("%s %s %s %s", env, st.Name, typ, id))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestStatefulLogicalIDs checks that the stateful resources of every
// environment keep the logical ids listed in testdata/stateful-ids.golden:
// an id that disappears means a bucket, key, table, file system, vault or
// log group would be replaced. A new stateful resource must be added to the
// list (review it), so the list stays the whole set.
func TestStatefulLogicalIDs(t *testing.T) {
	s := synthAll(t)
	got := statefulIDs(s)
	if len(got) == 0 {
		t.Fatal("no stateful resource found in any template; the test would check nothing")
	}
	raw, err := os.ReadFile(filepath.FromSlash(statefulGolden))
	if err != nil {
		t.Fatal(err)
	}
	var header, want []string
	for _, l := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		if strings.HasPrefix(l, "#") {
			header = append(header, l)
		} else if l != "" {
			want = append(want, l)
		}
	}
	if *updateStateful {
		body := strings.Join(header, "\n") + "\n" + strings.Join(got, "\n") + "\n"
		if err := os.WriteFile(filepath.FromSlash(statefulGolden), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("stateful resource gone or renamed (it would be replaced): %s", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("new stateful resource not in %s: %s (review it, then add it: go test ./test -run TestStatefulLogicalIDs -update-stateful)", statefulGolden, g)
		}
	}
}

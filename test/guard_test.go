package test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/biolake/biolake/internal/guard"
)

// controlExceptionsFile lists, with a reason each, the Control Tower
// controls that resources of the app do not meet (docs/SECURITY.md,
// "Governed accounts").
const controlExceptionsFile = "testdata/controltower-exceptions.golden"

// controlException is one line of controlExceptionsFile.
type controlException struct {
	control, stack, logicalID, reason string
	line                              int
}

func (e controlException) key() string { return e.control + " " + e.stack + " " + e.logicalID }

// readControlExceptions reads the exceptions: tab-separated control, stack
// name without the environment, logical id and reason; # starts a comment.
func readControlExceptions(t *testing.T) map[string]controlException {
	t.Helper()
	f, err := os.Open(controlExceptionsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]controlException{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 4 {
			t.Errorf("%s:%d: want control<TAB>stack<TAB>logical id<TAB>reason, got %d fields", controlExceptionsFile, n, len(parts))
			continue
		}
		e := controlException{control: parts[0], stack: parts[1], logicalID: parts[2], reason: strings.TrimSpace(parts[3]), line: n}
		if len(e.reason) < 40 {
			t.Errorf("%s:%d: %s has no real reason: %q", controlExceptionsFile, n, e.key(), e.reason)
		}
		if prev, dup := out[e.key()]; dup {
			t.Errorf("%s:%d: %s is already listed on line %d", controlExceptionsFile, n, e.key(), prev.line)
		}
		out[e.key()] = e
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestControlTowerGate checks every template of every environment against
// the AWS Control Tower proactive controls (the cfn-guard rules a governed
// account's CloudFormation hooks apply at deploy time), with cross-stack
// references resolved to placeholders as the hooks see them resolved. It
// fails on a finding that is not in controlExceptionsFile and on an
// exception there that no longer occurs in any environment.
func TestControlTowerGate(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := guard.Binary(root)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (npm ci): %v", guard.Package, err)
		}
		t.Skipf("%s is not installed (npm ci): %v", guard.Package, err)
	}
	rules, err := guard.LoadRules(guard.RulesDir(root))
	if err != nil {
		t.Fatal(err)
	}
	exceptions := readControlExceptions(t)
	type result struct {
		st       *Stack
		findings []guard.Finding
		err      error
	}
	var stacks []*Stack
	for _, s := range gated(t) {
		for _, env := range s.Envs {
			stacks = append(stacks, s.Stacks[env]...)
		}
	}
	results := make([]result, len(stacks))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, st := range stacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			f, err := guard.Check(bin, rules, st.Name, st.Template)
			results[i] = result{st: st, findings: f, err: err}
		}()
	}
	wg.Wait()

	used := map[string]bool{}
	total, excepted := 0, 0
	for _, r := range results {
		if r.err != nil {
			t.Error(r.err)
			continue
		}
		stack := strings.TrimPrefix(r.st.Name, r.st.Stage+"-")
		for _, f := range r.findings {
			total++
			key := f.Control + " " + stack + " " + f.LogicalID
			if _, ok := exceptions[key]; ok {
				used[key] = true
				excepted++
				continue
			}
			t.Errorf("%s\n\tfix it, or list it with its reason in %s:\n\t%s\t%s\t%s\t<reason>", f, controlExceptionsFile, f.Control, stack, f.LogicalID)
		}
	}
	var stale []string
	for k, e := range exceptions {
		if !used[k] {
			stale = append(stale, fmt.Sprintf("%s:%d: %s no longer occurs in any environment; remove it", controlExceptionsFile, e.line, k))
		}
	}
	sort.Strings(stale)
	for _, s := range stale {
		t.Error(s)
	}
	t.Logf("Control Tower gate: %d rule files, %d templates, %d findings, %d of them listed exceptions", len(rules), len(stacks), total, excepted)
}

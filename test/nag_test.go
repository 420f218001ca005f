package test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/compliance"
	"github.com/biolake/biolake/internal/assembly"
)

// nagReports reads every pack's report for every stack, failing when one is
// missing: a pack that did not run must not pass as a pack that found nothing.
func nagReports(t *testing.T, s *Synthesized) []assembly.NagRow {
	t.Helper()
	var rows []assembly.NagRow
	for _, env := range s.Envs {
		for _, st := range s.Stacks[env] {
			for _, pack := range compliance.Packs() {
				r, err := s.NagReport(st, pack)
				if err != nil {
					t.Errorf("%v: the pack did not run on this stack", err)
				}
				rows = append(rows, r...)
			}
		}
	}
	return rows
}

// TestNagGate fails on any unsuppressed cdk-nag finding of any level and on
// any error annotation, in every environment.
func TestNagGate(t *testing.T) {
	for _, s := range gated(t) {
		for _, row := range nagReports(t, s) {
			if row.Compliance == "Non-Compliant" {
				t.Errorf("%s: %s %s on %s", row.Stage, row.Level, row.Rule, row.Resource)
			}
		}
		for _, env := range s.Envs {
			for _, e := range s.Errors[env] {
				t.Errorf("%s: error annotation: %s", env, e)
			}
		}
	}
}

// TestNagSuppressionsReviewed keeps the list of every suppression, with its
// reason, as a golden file, so that each new exception is read in review.
func TestNagSuppressionsReviewed(t *testing.T) {
	var rows []assembly.NagRow
	for _, s := range gated(t) {
		rows = append(rows, nagReports(t, s)...)
	}
	set := map[string]bool{}
	for _, row := range rows {
		if row.Compliance != "Suppressed" {
			continue
		}
		if len(strings.TrimSpace(row.Reason)) < 20 {
			t.Errorf("%s: suppression of %s on %s has no real reason: %q", row.Stage, row.Rule, row.Resource, row.Reason)
		}
		// Environment-independent form: the stage prefix is dropped so one
		// line covers the same exception in every environment that has it.
		res := strings.TrimPrefix(row.Resource, row.Stage+"/")
		set[fmt.Sprintf("%s\t%s\t%s", row.Rule, res, row.Reason)] = true
	}
	lines := make([]string, 0, len(set))
	for l := range set {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	got := "# rule\tresource (without the environment)\treason\n" + strings.Join(lines, "\n") + "\n"
	file := filepath.Join("testdata", "nag-suppressions.golden")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v; run go test ./test -update and review it", err)
	}
	if string(want) != got {
		t.Errorf("the suppressions changed; review them, then run go test ./test -update:\n%s", lineDiff(string(want), got))
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	w, g := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		w[l] = true
	}
	for _, l := range strings.Split(got, "\n") {
		g[l] = true
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

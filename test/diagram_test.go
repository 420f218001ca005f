package test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biolake/biolake/internal/diagram"
	"github.com/google/go-cmp/cmp"
)

// picture is the committed architecture picture of the dev app (README).
const picture = "../docs/architecture"

// needDot returns the path of Graphviz dot, skipping the test where it is
// not installed, except in CI (.ci/run installs it), where that fails.
func needDot(t *testing.T) string {
	t.Helper()
	dot, err := exec.LookPath("dot")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Graphviz dot is not installed; .ci/run installs it with apt-get")
		}
		t.Skip("Graphviz dot is not installed (apt-get install graphviz): the diagram is not rendered")
	}
	return dot
}

// TestDiagramOfEveryEnvironment draws every environment: one cluster per
// stack, and each of the README's eight capabilities in a box (dashed where
// the environment does not configure it).
func TestDiagramOfEveryEnvironment(t *testing.T) {
	s := synthAll(t)
	for _, env := range s.Envs {
		g, err := diagram.Build(s.Assembly, env)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := g.WriteDOT(&b); err != nil {
			t.Fatal(err)
		}
		dot := b.String()
		for _, st := range s.Stacks[env] {
			n := len(st.Resources("")) - len(st.Resources("AWS::CDK::Metadata"))
			if !strings.Contains(dot, fmt.Sprintf(`label="stack %s (%d resources)"`, st.Name, n)) {
				t.Errorf("%s: no cluster for stack %s", env, st.Name)
			}
		}
		for _, c := range diagram.Capabilities {
			if !strings.Contains(dot, fmt.Sprintf(`label="%d · `, c.N)) {
				t.Errorf("%s: capability %d (%s) has no box", env, c.N, c.Name)
			}
		}
		// What each environment configures (environments/*.yaml).
		want := map[string]string{"dev": "[1 2 5 7 8]", "staging": "[1 2 3 4 5 6 7 8]", "prod": "[1 2 3 4 5 6 7 8]"}[env]
		if got := fmt.Sprint(g.Present()); want != "" && got != want {
			t.Errorf("%s: capabilities deployed %s, want %s", env, got, want)
		}
	}
}

// TestDiagramIsCurrent checks that docs/architecture.dot (the README's
// picture) is the dev app's. `go test ./test -update` rewrites it and, with
// Graphviz installed, the PNG; `make diagram` does the same from the CLI's
// synth.
func TestDiagramIsCurrent(t *testing.T) {
	s := synthAll(t)
	g, err := diagram.Build(s.Assembly, "dev")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := g.WriteDOT(&b); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(picture+".dot", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(needDot(t), "-Tpng", picture+".dot", "-o", picture+".png").CombinedOutput(); err != nil {
			t.Fatalf("dot: %v\n%s", err, out)
		}
		return
	}
	want, err := os.ReadFile(picture + ".dot")
	if err != nil {
		t.Fatalf("%v: run make diagram (or go test ./test -update)", err)
	}
	if d := cmp.Diff(string(want), b.String()); d != "" {
		t.Errorf("docs/architecture.dot is not the dev app's picture; run make diagram (or go test ./test -update) and commit the .dot and .png (-committed +now):\n%s", d)
	}
}

// TestDiagramCommand runs what `make diagram` runs after its synth, on the
// test's cloud assembly: cmd/biolake-diagram, then dot to a PNG.
func TestDiagramCommand(t *testing.T) {
	s := synthAll(t)
	dot := needDot(t)
	out, err := exec.Command("make", "-C", "..", "-n", "diagram").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n diagram: %v\n%s", err, out)
	}
	for _, want := range []string{"go run ./cmd/biolake-diagram -dir cdk.out -env dev -o docs/architecture.dot", "dot -Tpng docs/architecture.dot -o docs/architecture.png"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("make diagram no longer runs %q:\n%s", want, out)
		}
	}
	dir := t.TempDir()
	dotFile, png := filepath.Join(dir, "a.dot"), filepath.Join(dir, "a.png")
	cmd := exec.Command("go", "run", "./cmd/biolake-diagram", "-dir", s.Dir, "-env", "dev", "-o", dotFile)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("biolake-diagram: %v\n%s", err, out)
	}
	if out, err := exec.Command(dot, "-Tpng", dotFile, "-o", png).CombinedOutput(); err != nil {
		t.Fatalf("dot: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("\x89PNG\r\n\x1a\n")) || len(raw) < 10000 {
		t.Errorf("dot wrote %d bytes that are not a PNG picture", len(raw))
	}
}

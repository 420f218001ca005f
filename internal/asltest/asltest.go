// Package asltest runs the npm asl-validator (package.json) over many state
// machine definitions in one node process, for the tests that hold every
// synthesized state machine to it. Starting node and compiling the
// validator's schemas costs about 2 s of CPU a process; one process per
// test instead of one per definition keeps that cost fixed.
package asltest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Validate writes each definition (ASL JSON, by name) to a file in dir and
// runs asl-validator (the binary at bin) once over all the files
// (--json-path each). It returns, by name, the definitions that the
// validator did not report valid, each with the validator's report on it;
// none when every definition was reported valid and the validator exited 0.
// A definition counts as valid only on its own "✓ ... is valid" line: the
// exit status alone would not tell which one failed.
func Validate(bin, dir string, defs map[string]string) (invalid map[string]string, err error) {
	if len(defs) == 0 {
		return nil, fmt.Errorf("asltest: no definitions to validate")
	}
	invalid = map[string]string{}
	names := make([]string, 0, len(defs))
	for name, def := range defs {
		// The validator stops at the first file that is not JSON, leaving
		// the rest unchecked: such a definition is reported here instead.
		if !json.Valid([]byte(def)) {
			invalid[name] = "not JSON: " + def
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return invalid, nil
	}
	args := make([]string, 0, 2*len(names))
	paths := make(map[string]string, len(names)) // name -> file
	for i, name := range names {
		p := filepath.Join(dir, fmt.Sprintf("asl-%03d.json", i))
		if err := os.WriteFile(p, []byte(defs[name]), 0o644); err != nil {
			return nil, err
		}
		paths[name] = p
		args = append(args, "--json-path", p)
	}
	out, runErr := exec.Command(bin, args...).CombinedOutput()
	text := string(out)
	if runErr != nil {
		if _, exited := runErr.(*exec.ExitError); !exited {
			return nil, fmt.Errorf("asltest: run %s: %w", bin, runErr)
		}
	}
	for _, name := range names {
		if !strings.Contains(text, fmt.Sprintf("✓ State machine definition %q is valid", paths[name])) {
			invalid[name] = report(text, paths[name])
		}
	}
	if runErr != nil && len(invalid) == len(defs)-len(names) {
		return nil, fmt.Errorf("asltest: %s exited with %v although it reported every definition valid:\n%s", bin, runErr, text)
	}
	return invalid, nil
}

// report is the validator's verdict on the file at path: its "✕" section
// when there is one, else the whole output (the validator stopped before
// reaching the file).
func report(text, path string) string {
	start := strings.Index(text, fmt.Sprintf("✕ State machine definition %q", path))
	if start < 0 {
		return fmt.Sprintf("not reported valid (%s); the validator's output:\n%s", path, strings.TrimSpace(text))
	}
	section := text[start:]
	if end := strings.IndexAny(section[len("✕"):], "✓✕"); end >= 0 {
		section = section[:len("✕")+end]
	}
	return strings.TrimSpace(section)
}

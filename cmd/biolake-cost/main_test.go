package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeAssembly writes a cloud assembly with one stage "lab" holding one
// stack of the given resources, in the layout the CDK writes.
func writeAssembly(t *testing.T, resources map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	write := func(path string, v any) {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "manifest.json"), map[string]any{"artifacts": map[string]any{
		"assembly-lab": map[string]any{"type": "cdk:cloud-assembly", "properties": map[string]any{"directoryName": "assembly-lab"}}}})
	write(filepath.Join(dir, "assembly-lab", "manifest.json"), map[string]any{"artifacts": map[string]any{
		"labNetwork": map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://111111111111/eu-west-1",
			"properties": map[string]any{"templateFile": "lab-Network.template.json", "stackName": "lab-Network"}}}})
	write(filepath.Join(dir, "assembly-lab", "lab-Network.template.json"), map[string]any{"Resources": resources})
	return dir
}

const labYAML = `name: lab
tags: {owner: team}
compute:
  workflows:
    - name: count
      steps:
        - {name: Count, image: "x:1", vcpus: 1, queue: Fargate, timeout: 1h}
`

func TestRun(t *testing.T) {
	envs := t.TempDir()
	if err := os.WriteFile(filepath.Join(envs, "lab.yaml"), []byte(labYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	nat := map[string]any{"Type": "AWS::EC2::NatGateway"}
	head := writeAssembly(t, map[string]any{"Nat": nat, "Srv": map[string]any{"Type": "AWS::Transfer::Server"}})
	base := writeAssembly(t, map[string]any{"Nat": nat})

	var out bytes.Buffer
	if err := run([]string{"-dir", head, "-environments", envs, "-samples", "4"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"lab: fixed $254.04 a month", "prices of 2026", "eu-west-1", "lab-Network", "AWS::Transfer::Server", "count: $", "4 samples"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("report lacks %q:\n%s", w, out.String())
		}
	}

	md := filepath.Join(t.TempDir(), "cost.md")
	out.Reset()
	if err := run([]string{"-dir", head, "-base", base, "-markdown", md}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "lab: +$219.00 a month (from $35.04 to $254.04 fixed)") {
		t.Errorf("diff: %s", out.String())
	}
	raw, err := os.ReadFile(md)
	if err != nil || !strings.Contains(string(raw), "| lab-Network | Srv | AWS::Transfer::Server |") {
		t.Errorf("markdown diff (%v):\n%s", err, raw)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"-dir", head, "-env", "prod"}, `no stage "prod"; it has lab`},
		{[]string{"-dir", filepath.Join(head, "nope")}, "has the app been synthesized?"},
		{[]string{"-dir", head, "-environments", t.TempDir()}, `unknown environment "lab"`},
		{[]string{"-dir", head, "-environments", envs, "-samples", "0"}, "accepted: 1 or more"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		if err := run(bad.args, &out); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("run(%v) = %v, want an error with %q", bad.args, err, bad.want)
		}
	}
}

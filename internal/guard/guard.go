// Package guard checks synthesized CloudFormation templates against the AWS
// Control Tower proactive controls, as a Control Tower-governed account's
// CloudFormation hooks would at deploy time. The controls' published
// cfn-guard rules and the cfn-guard binary come from the npm package
// @cdklabs/cdk-validator-cfnguard (package.json); this package runs the
// binary and turns its report into one Finding per control and resource.
//
// The hooks see each resource with its properties resolved; a synthesized
// template still holds cross-stack references (CDK renders them as
// Fn::GetStackOutput, which the rules do not know and report as a value of
// the wrong type). Resolve replaces them with placeholder strings first.
//
//	rules, _ := guard.LoadRules(guard.RulesDir(root))
//	findings, err := guard.Check(guard.Binary(root), rules, "prod-Compute", template)
package guard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Package is the npm package that ships the rules and the binary.
const Package = "@cdklabs/cdk-validator-cfnguard"

// Binary is the cfn-guard binary of Package under the node_modules of root.
func Binary(root string) string {
	return filepath.Join(root, "node_modules", Package, "bin", "ubuntu", "x86_64", "cfn-guard")
}

// RulesDir is the directory of the Control Tower rules of Package under the
// node_modules of root (one sub-directory per service).
func RulesDir(root string) string {
	return filepath.Join(root, "node_modules", Package, "rules", "control-tower", "cfn-guard")
}

// Rule is one rule file.
type Rule struct {
	// File is the rule file's path.
	File string
	// Types are the resource types the file names; a template without any
	// of them cannot trip the rule.
	Types []string
}

var typeRE = regexp.MustCompile(`AWS::[A-Za-z0-9]+::[A-Za-z0-9]+`)

// LoadRules reads every .guard file under dir.
func LoadRules(dir string) ([]Rule, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.guard"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("guard: no .guard files under %s (is %s installed? npm ci)", dir, Package)
	}
	sort.Strings(files)
	rules := make([]Rule, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		r := Rule{File: f}
		for _, t := range typeRE.FindAllString(string(raw), -1) {
			if !seen[t] {
				seen[t] = true
				r.Types = append(r.Types, t)
			}
		}
		if len(r.Types) == 0 {
			return nil, fmt.Errorf("guard: %s names no resource type", f)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// Finding is one control a resource does not meet.
type Finding struct {
	// Control is the control's id, "CT.S3.PR.9".
	Control string
	// Stack is the stack's name.
	Stack string
	// LogicalID is the resource's logical id.
	LogicalID string
	// Path is the resource's construct path (aws:cdk:path), if known.
	Path string
	// Message is the control's title.
	Message string
}

func (f Finding) String() string {
	p := ""
	if f.Path != "" {
		p = " (" + f.Path + ")"
	}
	return fmt.Sprintf("%s %s %s%s: %s", f.Control, f.Stack, f.LogicalID, p, f.Message)
}

// Resolve returns a copy of template in which the intrinsic functions the
// hooks see resolved are placeholder strings: Fn::GetStackOutput (CDK's
// cross-stack references) becomes "resolved-<stack>-<output>" and
// Fn::ImportValue "resolved-import-<name>". References within the stack
// (Ref, Fn::GetAtt) stay: the rules check them against the referenced
// resource's type.
func Resolve(template map[string]any) map[string]any {
	out, _ := resolve(template).(map[string]any)
	return out
}

func resolve(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if o, ok := x["Fn::GetStackOutput"].(map[string]any); ok {
				return fmt.Sprintf("resolved-%v-%v", o["StackName"], o["OutputName"])
			}
			if name, ok := x["Fn::ImportValue"]; ok {
				if s, ok := name.(string); ok {
					return "resolved-import-" + s
				}
				return "resolved-import"
			}
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = resolve(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = resolve(e)
		}
		return l
	}
	return v
}

// Check resolves template (see Resolve) and runs the rules that name a
// resource type the template has. Only the resources of the types those
// rules name are passed to cfn-guard (the rules select resources by type,
// so the others cannot change the outcome; leaving them out keeps the run
// short). The findings are sorted by control and logical id.
func Check(bin string, rules []Rule, stack string, template map[string]any) ([]Finding, error) {
	return check(bin, rules, stack, template, Resolve)
}

func check(bin string, rules []Rule, stack string, template map[string]any, resolve func(map[string]any) map[string]any) ([]Finding, error) {
	res, _ := template["Resources"].(map[string]any)
	present := map[string]bool{}
	for _, r := range res {
		if m, ok := r.(map[string]any); ok {
			if t, ok := m["Type"].(string); ok {
				present[t] = true
			}
		}
	}
	var args []string
	wanted := map[string]bool{}
	for _, r := range rules {
		hit := false
		for _, t := range r.Types {
			if present[t] {
				hit = true
			}
		}
		if !hit {
			continue
		}
		args = append(args, "--rules", r.File)
		for _, t := range r.Types {
			wanted[t] = true
		}
	}
	if len(args) == 0 {
		return nil, nil
	}
	small := map[string]any{}
	paths := map[string]string{}
	for id, r := range resolve(map[string]any{"Resources": res})["Resources"].(map[string]any) {
		m, _ := r.(map[string]any)
		t, _ := m["Type"].(string)
		if md, ok := m["Metadata"].(map[string]any); ok {
			paths[id], _ = md["aws:cdk:path"].(string)
		}
		if !wanted[t] {
			continue
		}
		c := make(map[string]any, len(m))
		for k, v := range m {
			if k != "Metadata" {
				c[k] = v
			}
		}
		small[id] = c
	}
	dir, err := os.MkdirTemp("", "biolake-guard-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, stack+".template.json")
	raw, err := json.Marshal(map[string]any{"AWSTemplateFormatVersion": "2010-09-09", "Resources": small})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(data, raw, 0o600); err != nil {
		return nil, err
	}
	args = append([]string{"validate", "--output-format", "json", "--show-summary", "none", "--structured", "--data", data}, args...)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	// cfn-guard exits 19 when a rule fails, 0 when all pass.
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 19) {
		return nil, fmt.Errorf("guard: %s %s: %v\n%s", bin, stack, err, stderr.String())
	}
	findings, err := Parse(stdout.Bytes(), stack)
	if err != nil {
		return nil, err
	}
	for i := range findings {
		findings[i].Path = paths[findings[i].LogicalID]
	}
	return findings, nil
}

var controlRE = regexp.MustCompile(`\[(CT\.[A-Z0-9]+\.PR\.\d+)\]:\s*([^\n]*)`)

// Parse reads cfn-guard's structured JSON report (validate --output-format
// json --structured) and returns one Finding per control and resource that
// failed. A failure is attributed to the resource of the path it reports.
func Parse(report []byte, stack string) ([]Finding, error) {
	var files []struct {
		Name         string `json:"name"`
		NotCompliant []any  `json:"not_compliant"`
	}
	if err := json.Unmarshal(report, &files); err != nil {
		return nil, fmt.Errorf("guard: %s: cfn-guard's report is not the expected JSON: %w", stack, err)
	}
	seen := map[[2]string]bool{}
	var out []Finding
	var walk func(v any, control, msg string)
	walk = func(v any, control, msg string) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["Rule"].(map[string]any); ok {
				if m, ok := r["messages"].(map[string]any); ok {
					if cm, ok := m["custom_message"].(string); ok {
						if g := controlRE.FindStringSubmatch(cm); g != nil {
							control, msg = g[1], strings.TrimSpace(g[2])
						}
					}
				}
				walk(r["checks"], control, msg)
				return
			}
			for k, e := range x {
				if p, ok := e.(string); ok && k == "path" && strings.HasPrefix(p, "/Resources/") {
					id := strings.SplitN(strings.TrimPrefix(p, "/Resources/"), "/", 2)[0]
					key := [2]string{control, id}
					if control != "" && !seen[key] {
						seen[key] = true
						out = append(out, Finding{Control: control, Stack: stack, LogicalID: id, Message: msg})
					}
					continue
				}
				walk(e, control, msg)
			}
		case []any:
			for _, e := range x {
				walk(e, control, msg)
			}
		}
	}
	for _, f := range files {
		for _, nc := range f.NotCompliant {
			n := len(out)
			walk(nc, "", "")
			if len(out) == n {
				// A failure that names no resource still fails the gate.
				name := "unknown rule"
				if m, ok := nc.(map[string]any); ok {
					if r, ok := m["Rule"].(map[string]any); ok {
						name, _ = r["name"].(string)
					}
				}
				out = append(out, Finding{Control: name, Stack: stack, LogicalID: "(no resource named)", Message: "the rule failed without naming a resource"})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Control != out[j].Control {
			return out[i].Control < out[j].Control
		}
		return out[i].LogicalID < out[j].LogicalID
	})
	return out, nil
}

package cdktest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/biolake/biolake/constructs/internal/nag"
)

// Resource is one resource of a synthesized CloudFormation template, as the
// construct tests read it.
type Resource struct {
	Type           string
	Properties     map[string]any
	DependsOn      any
	DeletionPolicy string
	Metadata       map[string]any
}

// CfnTemplate is a synthesized CloudFormation template (the
// <stack>.template.json of a cloud assembly), as the construct tests read it.
type CfnTemplate struct {
	Parameters map[string]map[string]any
	Resources  map[string]Resource
}

// Assembly is the cloud assembly of an App held to the cdk-nag packs: the
// stacks built into it, their templates and the logical ids of their
// elements, by stack name (the stack's construct id).
type Assembly struct {
	Dir       string
	Err       string // why synthesis failed; "" if it did not
	Stacks    map[string]awscdk.Stack
	Templates map[string]CfnTemplate
	Logical   map[string]map[string]string // stack -> construct path -> logical id
}

// Synth builds the stacks that build returns into a new App (NewApp, with
// the cdk-nag packs applied), records the logical ids of their elements,
// synthesizes the App and reads the stacks' templates. A panic in build or
// in synthesis is kept in Err, for Check to report. When the environment
// variable keepEnv names a directory, a copy of the assembly is kept there.
func Synth(keepEnv string, build func(app awscdk.App) []awscdk.Stack) *Assembly {
	a := &Assembly{
		Stacks:    map[string]awscdk.Stack{},
		Templates: map[string]CfnTemplate{},
		Logical:   map[string]map[string]string{},
	}
	app := NewApp(nil)
	nag.Apply(app)
	msg, failed := Catch(func() {
		for _, stack := range build(app) {
			name := *stack.Node().Id()
			a.Stacks[name] = stack
			a.Logical[name] = LogicalIDs(stack)
		}
		app.Synth(nil)
	})
	a.Dir = *app.Outdir()
	if failed {
		a.Err = msg
		return a
	}
	if keepEnv != "" {
		if keep := os.Getenv(keepEnv); keep != "" {
			_ = os.CopyFS(keep, os.DirFS(a.Dir))
		}
	}
	for name := range a.Stacks {
		raw, err := os.ReadFile(filepath.Join(a.Dir, name+".template.json"))
		if err == nil {
			var tp CfnTemplate
			err = json.Unmarshal(raw, &tp)
			a.Templates[name] = tp
		}
		if err != nil {
			a.Err = err.Error()
		}
	}
	return a
}

// Check fails the test, with the assembly's validation report, if
// synthesis failed.
func (a *Assembly) Check(t testing.TB) {
	t.Helper()
	if a.Err != "" {
		report, _ := os.ReadFile(filepath.Join(a.Dir, "validation-report.json"))
		t.Fatalf("synth failed: %s\n%s", a.Err, report)
	}
}

// Res returns the resource at path (below the stack; "/Resource" may be
// left out) of stack, with its logical id.
func (a *Assembly) Res(t testing.TB, stack, path string) (string, Resource) {
	t.Helper()
	id, ok := a.Logical[stack][path]
	if !ok {
		id, ok = a.Logical[stack][path+"/Resource"]
	}
	if !ok {
		var near []string
		for p := range a.Logical[stack] {
			if strings.HasPrefix(p, path) {
				near = append(near, p)
			}
		}
		t.Fatalf("%s: no resource at %s (under it: %v)", stack, path, near)
	}
	r, ok := a.Templates[stack].Resources[id]
	if !ok {
		t.Fatalf("%s: %s (%s) is not in the template", stack, path, id)
	}
	return id, r
}

// OfType returns the resources of typ in stack whose construct path starts
// with prefix, by path.
func (a *Assembly) OfType(stack, typ, prefix string) map[string]Resource {
	out := map[string]Resource{}
	for path, id := range a.Logical[stack] {
		if r, ok := a.Templates[stack].Resources[id]; ok && r.Type == typ && strings.HasPrefix(path, prefix) {
			out[path] = r
		}
	}
	return out
}

// OfTypeByID returns the resources of typ in stack whose logical id starts
// with prefix, by logical id.
func (a *Assembly) OfTypeByID(stack, typ, prefix string) map[string]Resource {
	out := map[string]Resource{}
	for id, r := range a.Templates[stack].Resources {
		if r.Type == typ && strings.HasPrefix(id, prefix) {
			out[id] = r
		}
	}
	return out
}

// StackNames returns the names of the assembly's stacks, sorted.
func (a *Assembly) StackNames() []string {
	names := make([]string, 0, len(a.Stacks))
	for name := range a.Stacks {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// TemplateFiles returns the paths of the stacks' templates.
func (a *Assembly) TemplateFiles() []string {
	var files []string
	for _, name := range a.StackNames() {
		files = append(files, filepath.Join(a.Dir, name+".template.json"))
	}
	return files
}

// NagGate runs NagReports over every stack of the assembly and logs the
// suppressed findings of the construct at owner (a path part such as
// "/DataSync/") for review (go test -v).
func (a *Assembly) NagGate(t testing.TB, owner, what string) {
	t.Helper()
	lines := NagReports(t, a.Dir, a.StackNames(), owner)
	t.Logf("suppressed findings of the %s construct (%d):\n%s", what, len(lines), strings.Join(lines, "\n"))
}

package cdktest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
)

// LogicalIDs maps the path (below the stack) of every CloudFormation element
// of stack (resources, parameters, outputs) to its logical id, so tests can
// find a resource in the synthesized template by its construct path.
func LogicalIDs(stack awscdk.Stack) map[string]string {
	out := map[string]string{}
	prefix := *stack.Node().Path() + "/"
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if !*awscdk.CfnElement_IsCfnElement(c) {
			continue
		}
		id := stack.Resolve(stack.GetLogicalId(c.(awscdk.CfnElement)))
		out[strings.TrimPrefix(*c.Node().Path(), prefix)] = fmt.Sprint(id)
	}
	return out
}

// Render turns a template value that may hold Fn::Join, Ref and Fn::GetAtt
// into a string, each reference written <Ref:id> or <id.attr>; maps and
// arrays become JSON with their references rendered.
func Render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if s, ok := reference(x); ok {
			return s
		}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(Resolve(v))
	return strings.TrimSuffix(b.String(), "\n")
}

// reference renders one Fn::Join, Ref or Fn::GetAtt.
func reference(x map[string]any) (string, bool) {
	if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
		parts, _ := j[1].([]any)
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(Render(p))
		}
		return b.String(), true
	}
	if r, ok := x["Ref"].(string); ok {
		return "<Ref:" + r + ">", true
	}
	if g, ok := x["Fn::GetAtt"].([]any); ok && len(g) == 2 {
		return fmt.Sprintf("<%v.%v>", g[0], g[1]), true
	}
	return "", false
}

// Resolve replaces every reference inside v by its rendering.
func Resolve(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := reference(x); ok {
			return s
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = Resolve(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Resolve(e)
		}
		return out
	}
	return v
}

// Get walks a path of map keys (strings) and slice indexes (ints); nil when
// the path does not exist.
func Get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k < 0 || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

// Statements returns the statements of a policy document (a template's
// PolicyDocument, KeyPolicy, ...), each with its references rendered
// (Resolve) and its Action, Resource and principal lists normalised to
// []any, so tests can look for a grant without caring how CDK wrote it.
func Statements(doc any) []map[string]any {
	var out []map[string]any
	list, _ := Get(Resolve(doc), "Statement").([]any)
	for _, s := range list {
		m, ok := s.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range []string{"Action", "NotAction", "Resource", "NotResource"} {
			if v, ok := m[k]; ok {
				m[k] = asList(v)
			}
		}
		if p, ok := m["Principal"].(map[string]any); ok {
			for k, v := range p {
				p[k] = asList(v)
			}
		}
		out = append(out, m)
	}
	return out
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// HasAction reports whether statement s lists action (exactly) in Action.
func HasAction(s map[string]any, action string) bool {
	l, _ := s["Action"].([]any)
	for _, a := range l {
		if a == action {
			return true
		}
	}
	return false
}

// ServicePrincipal returns the service principals of statement s.
func ServicePrincipal(s map[string]any) []string {
	var out []string
	l, _ := Get(s, "Principal", "Service").([]any)
	for _, p := range l {
		out = append(out, fmt.Sprint(p))
	}
	return out
}

package iamproof

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/biolake/biolake/internal/assembly"
)

// noValue marks AWS::NoValue, dropped from the map or list that holds it.
type noValue struct{}

// Resolve resolves every CloudFormation reference in v, a value of st's
// template, to the environment's placeholders. It fails on a reference to a
// resource, output or export that does not exist and on an intrinsic it does
// not know (Fn::If, whose conditions the proof does not evaluate).
func (e *Env) Resolve(st *assembly.Stack, v any) (any, error) {
	return e.resolve(st, v, map[*Resource]bool{})
}

func (e *Env) resolve(st *assembly.Stack, v any, busy map[*Resource]bool) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for _, el := range x {
			r, err := e.resolve(st, el, busy)
			if err != nil {
				return nil, err
			}
			if _, drop := r.(noValue); !drop {
				out = append(out, r)
			}
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return e.intrinsic(st, k, arg, busy)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, el := range x {
			r, err := e.resolve(st, el, busy)
			if err != nil {
				return nil, err
			}
			if _, drop := r.(noValue); !drop {
				out[k] = r
			}
		}
		return out, nil
	}
	return v, nil
}

func (e *Env) intrinsic(st *assembly.Stack, fn string, arg any, busy map[*Resource]bool) (any, error) {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return e.ref(st, name, busy)
	case "Fn::GetAtt":
		var id, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) == 2 {
				id, _ = a[0].(string)
				attr, _ = a[1].(string)
			}
		case string:
			id, attr, _ = strings.Cut(a, ".")
		}
		if id == "" || attr == "" {
			return nil, fmt.Errorf("Fn::GetAtt %v: want [logical id, attribute]", arg)
		}
		r := e.byStack[st][id]
		if r == nil {
			return nil, fmt.Errorf("%s: Fn::GetAtt names no resource %q", st.Name, id)
		}
		if err := e.identify(r, busy); err != nil {
			return nil, err
		}
		return e.getAtt(r, attr)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Join %v: want [delimiter, list]", arg)
		}
		sep, _ := a[0].(string)
		items, err := e.resolve(st, a[1], busy)
		if err != nil {
			return nil, err
		}
		list, ok := items.([]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Join: %v is not a list", items)
		}
		parts := make([]string, len(list))
		for i, it := range list {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("Fn::Join: element %v is not a string", it)
			}
			parts[i] = s
		}
		return strings.Join(parts, sep), nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Select %v: want [index, list]", arg)
		}
		idx, err := e.resolve(st, a[0], busy)
		if err != nil {
			return nil, err
		}
		list, err := e.resolve(st, a[1], busy)
		if err != nil {
			return nil, err
		}
		var i int
		switch n := idx.(type) {
		case float64:
			i = int(n)
		case string:
			if _, err := fmt.Sscan(n, &i); err != nil {
				return nil, fmt.Errorf("Fn::Select: index %q is not a number", n)
			}
		}
		l, ok := list.([]any)
		if !ok || i < 0 || i >= len(l) {
			return nil, fmt.Errorf("Fn::Select: index %d out of %v", i, list)
		}
		return l[i], nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Split %v: want [delimiter, string]", arg)
		}
		sep, _ := a[0].(string)
		s, err := e.resolve(st, a[1], busy)
		if err != nil {
			return nil, err
		}
		str, ok := s.(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Split: %v is not a string", s)
		}
		var out []any
		for _, p := range strings.Split(str, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Sub":
		return e.sub(st, arg, busy)
	case "Fn::GetStackOutput":
		a, _ := arg.(map[string]any)
		stack, _ := a["StackName"].(string)
		output, _ := a["OutputName"].(string)
		return e.stackOutput(stack, output, busy)
	case "Fn::ImportValue":
		name, err := e.resolve(st, arg, busy)
		if err != nil {
			return nil, err
		}
		return e.importValue(fmt.Sprint(name), busy)
	case "Fn::GetAZs":
		reg := stackRegion(st)
		return []any{reg + "a", reg + "b", reg + "c"}, nil
	case "Fn::Base64":
		return e.resolve(st, arg, busy)
	}
	return nil, fmt.Errorf("%s: %s is not supported by the permission proof", st.Name, fn)
}

func (e *Env) ref(st *assembly.Stack, name string, busy map[*Resource]bool) (any, error) {
	switch name {
	case "AWS::Partition":
		return partition, nil
	case "AWS::Region":
		return stackRegion(st), nil
	case "AWS::AccountId":
		return stackAccount(st), nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackName":
		return st.Name, nil
	case "AWS::StackId":
		return "arn:" + partition + ":cloudformation:" + stackRegion(st) + ":" + stackAccount(st) + ":stack/" + st.Name + "/00000000-0000-0000-0000-000000000000", nil
	case "AWS::NoValue":
		return noValue{}, nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	}
	if r := e.byStack[st][name]; r != nil {
		if err := e.identify(r, busy); err != nil {
			return nil, err
		}
		return r.Ref, nil
	}
	if params, ok := st.Template["Parameters"].(map[string]any); ok {
		if p, ok := params[name].(map[string]any); ok {
			if d, ok := p["Default"]; ok {
				return d, nil
			}
			return "param-" + name, nil
		}
	}
	return nil, fmt.Errorf("%s: Ref names no resource or parameter %q", st.Name, name)
}

func (e *Env) stackByName(name string) *assembly.Stack {
	for _, s := range e.Stacks {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (e *Env) stackOutput(stack, output string, busy map[*Resource]bool) (any, error) {
	st := e.stackByName(stack)
	if st == nil {
		return nil, fmt.Errorf("Fn::GetStackOutput: environment %s has no stack %q", e.Name, stack)
	}
	outs, _ := st.Template["Outputs"].(map[string]any)
	o, ok := outs[output].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Fn::GetStackOutput: stack %s has no output %q", stack, output)
	}
	return e.resolve(st, o["Value"], busy)
}

func (e *Env) importValue(name string, busy map[*Resource]bool) (any, error) {
	for _, st := range e.Stacks {
		outs, _ := st.Template["Outputs"].(map[string]any)
		for _, o := range outs {
			om, _ := o.(map[string]any)
			exp, _ := om["Export"].(map[string]any)
			if exp == nil {
				continue
			}
			n, err := e.resolve(st, exp["Name"], busy)
			if err == nil && fmt.Sprint(n) == name {
				return e.resolve(st, om["Value"], busy)
			}
		}
	}
	return nil, fmt.Errorf("Fn::ImportValue: environment %s exports no %q", e.Name, name)
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

func (e *Env) sub(st *assembly.Stack, arg any, busy map[*Resource]bool) (any, error) {
	var tmpl string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		tmpl = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Sub %v: want a string or [string, variables]", arg)
		}
		tmpl, _ = a[0].(string)
		m, _ := a[1].(map[string]any)
		for k, v := range m {
			r, err := e.resolve(st, v, busy)
			if err != nil {
				return nil, err
			}
			vars[k] = r
		}
	default:
		return nil, fmt.Errorf("Fn::Sub %v: want a string or [string, variables]", arg)
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-1]
		if v, ok := vars[name]; ok {
			return fmt.Sprint(v)
		}
		var v any
		var err error
		if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v, err = e.intrinsic(st, "Fn::GetAtt", []any{id, attr}, busy)
		} else {
			v, err = e.ref(st, name, busy)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return fmt.Sprint(v)
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return strings.ReplaceAll(out, "${!", "${"), nil
}

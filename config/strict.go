package config

import (
	"fmt"
	"github.com/biolake/biolake/constructs/validation"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// FieldError is a configuration error at one field of one file. Its message
// names the file, the line, the field path, the bad value and what would be
// accepted.
type FieldError struct {
	File  string // file the value came from
	Line  int    // 1-based line, 0 when unknown (for example a missing field)
	Path  string // dotted field path, for example "network.maxAZs"
	Value string // the offending value as written, "" for a missing value
	Msg   string // what is wrong and what is accepted
}

func (e *FieldError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the error as the one validation type that constructs
// report too (Path "file:line", Field the YAML path), so that an app's
// validation.Recover finds it and both read the same way.
func (e *FieldError) Unwrap() error {
	path := e.File
	if e.Line > 0 {
		path = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	v := &validation.Error{Path: path, Field: e.Path, Problem: e.Msg}
	if e.Value != "" {
		v.Value = validation.Render(e.Value)
	}
	return v
}

// decodeStrict decodes one YAML document into out (a pointer to a struct),
// rejecting unknown fields, type mismatches, duplicate keys, anchors, aliases
// and tags. Field names come from `yaml:"name"` struct tags.
func decodeStrict(file string, data []byte, out any) error {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return &FieldError{File: file, Msg: "is not valid YAML: " + strings.TrimSpace(err.Error())}
	}
	var docs []ast.Node
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d.Body)
		}
	}
	if len(docs) != 1 {
		return &FieldError{File: file, Msg: fmt.Sprintf("holds %d YAML documents; exactly one mapping is accepted", len(docs))}
	}
	d := &walker{file: file}
	return d.value(docs[0], reflect.ValueOf(out).Elem(), "")
}

type walker struct{ file string }

func (w *walker) fail(n ast.Node, path, value, format string, args ...any) error {
	line := 0
	if n != nil && n.GetToken() != nil {
		line = n.GetToken().Position.Line
	}
	return &FieldError{File: w.file, Line: line, Path: path, Value: value, Msg: fmt.Sprintf(format, args...)}
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func scalarText(n ast.Node) string {
	if t := n.GetToken(); t != nil {
		return t.Value
	}
	return n.String()
}

func (w *walker) value(n ast.Node, v reflect.Value, path string) error {
	switch n.(type) {
	case *ast.AnchorNode, *ast.AliasNode:
		return w.fail(n, path, "", "YAML anchors and aliases are not accepted; write each value out")
	case *ast.TagNode:
		return w.fail(n, path, scalarText(n), "YAML tags are not accepted; write a plain value")
	case *ast.NullNode:
		// An explicit null leaves the zero value, which means "use the default".
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		return w.structure(n, v, path)
	case reflect.Map:
		return w.mapping(n, v, path)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			return w.fail(n, path, scalarText(n), "must be a list")
		}
		out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			if err := w.value(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(out)
		return nil
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if err := w.value(n, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.String:
		switch s := n.(type) {
		case *ast.StringNode:
			v.SetString(s.Value)
			return nil
		case *ast.LiteralNode:
			v.SetString(s.Value.Value)
			return nil
		}
		return w.fail(n, path, scalarText(n), "must be a string (quote it if it only looks like a number or a boolean)")
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			return w.fail(n, path, scalarText(n), "must be true or false")
		}
		v.SetBool(b.Value)
		return nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, ok := n.(*ast.IntegerNode)
		if !ok {
			return w.fail(n, path, scalarText(n), "must be a whole number")
		}
		var x int64
		switch val := i.Value.(type) {
		case int64:
			x = val
		case uint64:
			if val > math.MaxInt64 {
				return w.fail(n, path, scalarText(n), "is too large")
			}
			x = int64(val)
		default:
			parsed, err := strconv.ParseInt(scalarText(n), 0, 64)
			if err != nil {
				return w.fail(n, path, scalarText(n), "must be a whole number")
			}
			x = parsed
		}
		if v.OverflowInt(x) {
			return w.fail(n, path, scalarText(n), "is too large")
		}
		v.SetInt(x)
		return nil
	case reflect.Float64:
		switch f := n.(type) {
		case *ast.FloatNode:
			v.SetFloat(f.Value)
			return nil
		case *ast.IntegerNode:
			x, err := strconv.ParseFloat(scalarText(n), 64)
			if err == nil {
				v.SetFloat(x)
				return nil
			}
		}
		return w.fail(n, path, scalarText(n), "must be a number")
	}
	return w.fail(n, path, "", "cannot be decoded into %s (a bug in biolake's config types)", v.Type())
}

func mappingValues(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

func keyText(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return scalarText(k)
}

func (w *walker) structure(n ast.Node, v reflect.Value, path string) error {
	entries, ok := mappingValues(n)
	if !ok {
		return w.fail(n, path, scalarText(n), "must be a mapping of fields")
	}
	t := v.Type()
	fields := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		names = append(names, tag)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Key.IsMergeKey() {
			return w.fail(e, path, "<<", "YAML merge keys are not accepted; write each field out")
		}
		k := keyText(e.Key)
		fp := join(path, k)
		if seen[k] {
			return w.fail(e.Key, fp, "", "is given twice; give each field once")
		}
		seen[k] = true
		idx, ok := fields[k]
		if !ok {
			return w.fail(e.Key, fp, "", "is not a known field; accepted fields here: %s", strings.Join(names, ", "))
		}
		if err := w.value(e.Value, v.Field(idx), fp); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) mapping(n ast.Node, v reflect.Value, path string) error {
	entries, ok := mappingValues(n)
	if !ok {
		return w.fail(n, path, scalarText(n), "must be a mapping")
	}
	if v.Type().Key().Kind() != reflect.String {
		return w.fail(n, path, "", "has non-string keys (a bug in biolake's config types)")
	}
	m := reflect.MakeMapWithSize(v.Type(), len(entries))
	for _, e := range entries {
		k := keyText(e.Key)
		fp := join(path, k)
		if m.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())).IsValid() {
			return w.fail(e.Key, fp, "", "is given twice; give each key once")
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		if err := w.value(e.Value, elem, fp); err != nil {
			return err
		}
		m.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
	return nil
}

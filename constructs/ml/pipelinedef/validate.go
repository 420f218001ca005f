package pipelinedef

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Validate parses data as the pipeline definition schema version it
// declares and returns every problem found, joined, or nil.
//
// It knows one version, 2020-12-01, written from the facts of the
// "SageMaker Model Building Pipeline definition JSON schema" AWS publishes
// (aws-sagemaker-mlops/sagemaker-model-building-pipeline-definition-JSON-schema):
// top-level Version, Metadata, Parameters and Steps (required), nothing
// else; parameters of type String, Integer, Float or Boolean with names of
// 1 to 64 letters, digits, '-' and '_' and a DefaultValue of their type;
// steps with Name, Type, Arguments and optional DependsOn, DisplayName,
// Description and RetryPolicies, no other field; a Condition step's
// Conditions (Type, LeftValue, RightValue; In/NotIn; Or), IfSteps and
// ElseSteps holding whole steps (Training, Processing, RegisterModel,
// Fail, Transform); and, for each step type biolake writes, the fields of
// its Arguments. Where the published schema lags what SageMaker accepts
// and its Developer Guide documents, the parser follows the service and
// says so here: PropertyFiles on Processing steps, Std:JsonGet (on a
// property file) and Std:Join as values, ModelApprovalStatus (and
// ModelMetrics' sources) on RegisterModel, and a Fail step at the top
// level. Required Arguments members are the SageMaker API's (a processing
// job's AppSpecification, ProcessingResources and RoleArn, ...).
//
// Beyond the shape it checks the references: every Get names a declared
// parameter, an execution variable or a step (and, for a step, a property
// its type has or a property file it declares), every DependsOn names
// another step, step names are unique across the pipeline (nested steps
// included), and the steps' references and dependencies form no cycle.
//
// Step types the schema knows that biolake does not write (Transform,
// CreateModel, Lambda, Callback, Tuning, ...) are refused as unsupported:
// the parser does not accept what it does not check.
func Validate(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("pipeline definition is not JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("pipeline definition has data after its JSON object")
	}
	c := &checker{params: map[string]ParameterType{}, steps: map[string]*stepInfo{}}
	c.document(doc)
	if len(c.errs) > 0 {
		return errors.Join(c.errs...)
	}
	return nil
}

// Versions are the schema versions Validate knows.
var Versions = []string{Version}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9\-_]{1,64}$`)
var metadataKeyRE = regexp.MustCompile(`^[A-Za-z0-9\-_]{1,128}$`)

// executionVariables are the Execution.<name> values a Get may read.
var executionVariables = []string{"CurrentDateTime", "PipelineArn", "PipelineExecutionArn", "PipelineExecutionId", "PipelineName", "StartDateTime"}

// stepProperties are the top-level properties a Get may read of a step,
// by type: members of the Describe response of the job it ran.
var stepProperties = map[StepType][]string{
	Processing: {"AppSpecification", "CreationTime", "Environment", "ExitMessage", "FailureReason", "NetworkConfig", "ProcessingEndTime",
		"ProcessingInputs", "ProcessingJobArn", "ProcessingJobName", "ProcessingJobStatus", "ProcessingOutputConfig", "ProcessingResources",
		"ProcessingStartTime", "RoleArn", "StoppingCondition"},
	Training: {"AlgorithmSpecification", "BillableTimeInSeconds", "CheckpointConfig", "CreationTime", "FailureReason", "FinalMetricDataList",
		"HyperParameters", "InputDataConfig", "ModelArtifacts", "OutputDataConfig", "ResourceConfig", "RoleArn", "SecondaryStatus",
		"StoppingCondition", "TrainingEndTime", "TrainingJobArn", "TrainingJobName", "TrainingJobStatus", "TrainingStartTime", "TrainingTimeInSeconds"},
	RegisterModel: {"ModelApprovalStatus", "ModelPackageArn", "ModelPackageGroupName", "ModelPackageName", "ModelPackageStatus", "ModelPackageVersion"},
	Condition:     {"Outcome"},
	Fail:          {},
}

// schemaStepTypes are the step types the published schema knows.
var schemaStepTypes = []string{"Callback", "ClarifyCheck", "Condition", "CreateModel", "EMR", "Fail", "Lambda", "Processing",
	"QualityCheck", "RegisterModel", "Training", "Transform", "Tuning"}

type stepInfo struct {
	typ   StepType
	files []string
	refs  []string // steps this step's arguments or DependsOn name
}

type checker struct {
	errs   []error
	params map[string]ParameterType
	steps  map[string]*stepInfo
	order  []string
	// gets are the references found, checked once every step is known.
	gets []ref
	deps []ref
}

type ref struct {
	at, from, target string
}

func (c *checker) bad(at, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", at, fmt.Sprintf(format, args...)))
}

func (c *checker) document(doc any) {
	top, ok := doc.(map[string]any)
	if !ok {
		c.bad("$", "is %s; accepted: a JSON object", kind(doc))
		return
	}
	v, ok := top["Version"]
	switch s, isString := v.(string); {
	case !ok:
		c.bad("$.Version", "is missing; the definition must declare its schema version (accepted: %s)", strings.Join(Versions, ", "))
		return
	case !isString || !slices.Contains(Versions, s):
		c.bad("$.Version", "is %s, a schema version this parser does not know; accepted: %s", show(v), strings.Join(Versions, ", "))
		return
	}
	c.fields("$", top, []string{"Version", "Metadata", "Parameters", "Steps"}, []string{"Steps"})
	if md, ok := top["Metadata"]; ok {
		m, ok := md.(map[string]any)
		if !ok {
			c.bad("$.Metadata", "is %s; accepted: an object of strings", kind(md))
		}
		for k, v := range m {
			s, isString := v.(string)
			switch {
			case !metadataKeyRE.MatchString(k):
				c.bad("$.Metadata", "key %q is not 1 to 128 letters, digits, '-' or '_'", k)
			case !isString || len(s) > 1024:
				c.bad("$.Metadata."+k, "is %s; accepted: a string of at most 1024 characters", show(v))
			}
		}
	}
	if ps, ok := top["Parameters"]; ok {
		c.parameters(ps)
	}
	steps, ok := top["Steps"].([]any)
	if !ok {
		if _, present := top["Steps"]; present {
			c.bad("$.Steps", "is %s; accepted: an array of steps", kind(top["Steps"]))
		}
		return
	}
	var all []pending
	for i, s := range steps {
		all = append(all, c.collect(fmt.Sprintf("$.Steps[%d]", i), s, true)...)
	}
	for _, p := range all {
		c.step(p)
	}
	c.resolve()
}

func (c *checker) parameters(ps any) {
	list, ok := ps.([]any)
	if !ok {
		c.bad("$.Parameters", "is %s; accepted: an array of parameters", kind(ps))
		return
	}
	for i, p := range list {
		at := fmt.Sprintf("$.Parameters[%d]", i)
		m, ok := p.(map[string]any)
		if !ok {
			c.bad(at, "is %s; accepted: an object with Name, Type and DefaultValue", kind(p))
			continue
		}
		c.fields(at, m, []string{"Name", "Type", "Description", "DefaultValue"}, []string{"Name"})
		name, _ := m["Name"].(string)
		if _, ok := m["Name"]; ok && !nameRE.MatchString(name) {
			c.bad(at+".Name", "is %s; accepted: 1 to 64 letters, digits, '-' or '_'", show(m["Name"]))
		}
		typ := String
		if t, ok := m["Type"]; ok {
			s, _ := t.(string)
			typ = ParameterType(s)
			if !slices.Contains([]ParameterType{String, Integer, Float, Boolean}, typ) {
				c.bad(at+".Type", "is %s; accepted: String, Integer, Float or Boolean", show(t))
				continue
			}
		} else if name != "" {
			// The schema lets only a String parameter leave its Type out.
			if dv, ok := m["DefaultValue"]; ok {
				if _, isString := dv.(string); !isString {
					c.bad(at+".Type", "is missing; only a String parameter may leave it out")
				}
			}
		}
		if d, ok := m["Description"]; ok {
			if s, isString := d.(string); !isString || len(s) > 4096 {
				c.bad(at+".Description", "is %s; accepted: a string of at most 4096 characters", show(d))
			}
		}
		if dv, ok := m["DefaultValue"]; ok && !literalOf(typ, dv) {
			c.bad(at+".DefaultValue", "is %s; accepted: a %s value", show(dv), typ)
		}
		if name != "" {
			if _, dup := c.params[name]; dup {
				c.bad(at+".Name", "%q is declared twice", name)
			}
			c.params[name] = typ
		}
	}
}

// pending is a step found, with where it is and whether it is at the top
// level.
type pending struct {
	at   string
	m    map[string]any
	name string
	top  bool
}

// collect registers the step at at and the steps nested in its IfSteps and
// ElseSteps.
func (c *checker) collect(at string, s any, top bool) []pending {
	m, ok := s.(map[string]any)
	if !ok {
		c.bad(at, "is %s; accepted: a step object (Name, Type, Arguments)", kind(s))
		return nil
	}
	name, _ := m["Name"].(string)
	switch {
	case m["Name"] == nil:
		c.bad(at+".Name", "is missing")
	case !nameRE.MatchString(name):
		c.bad(at+".Name", "is %s; accepted: 1 to 64 letters, digits, '-' or '_'", show(m["Name"]))
		name = ""
	case c.steps[name] != nil:
		c.bad(at+".Name", "%q names another step too; step names are unique across the pipeline, nested steps included", name)
		name = ""
	}
	typ, _ := m["Type"].(string)
	info := &stepInfo{typ: StepType(typ)}
	if name != "" {
		c.steps[name] = info
		c.order = append(c.order, name)
	}
	out := []pending{{at: at, m: m, name: name, top: top}}
	if StepType(typ) == Condition {
		if args, ok := m["Arguments"].(map[string]any); ok {
			for _, branch := range []string{"IfSteps", "ElseSteps"} {
				list, present := args[branch]
				if !present {
					continue
				}
				steps, ok := list.([]any)
				if !ok {
					c.bad(at+".Arguments."+branch, "is %s; accepted: an array of steps", kind(list))
					continue
				}
				for i, n := range steps {
					nat := fmt.Sprintf("%s.Arguments.%s[%d]", at, branch, i)
					if s, isString := n.(string); isString {
						c.bad(nat, "is the string %q; accepted: a whole step object (this schema version nests the steps of a branch, it does not name them)", s)
						continue
					}
					out = append(out, c.collect(nat, n, false)...)
				}
			}
		}
	}
	return out
}

// nestedTypes are the step types a Condition's branches may hold.
var nestedTypes = []StepType{Training, Fail, Processing, RegisterModel}

func (c *checker) step(p pending) {
	at, m := p.at, p.m
	typ, _ := m["Type"].(string)
	st := StepType(typ)
	allowed := []string{"Name", "Type", "Arguments", "DependsOn", "DisplayName", "Description", "RetryPolicies"}
	switch {
	case m["Type"] == nil:
		c.bad(at+".Type", "is missing; accepted: Processing, Training, Condition, RegisterModel or Fail")
		return
	case !slices.Contains([]StepType{Processing, Training, Condition, RegisterModel, Fail}, st):
		if slices.Contains(schemaStepTypes, typ) {
			c.bad(at+".Type", "is %q, a step type of the schema this parser does not support; accepted: Processing, Training, Condition, RegisterModel or Fail", typ)
		} else {
			c.bad(at+".Type", "is %s, not a step type of schema version %s; accepted: Processing, Training, Condition, RegisterModel or Fail", show(m["Type"]), Version)
		}
		return
	case !p.top && !slices.Contains(nestedTypes, st):
		c.bad(at+".Type", "is %q; a Condition's branches hold Training, Processing, RegisterModel, Fail or Transform steps", typ)
	}
	if st == Processing {
		allowed = append(allowed, "PropertyFiles")
	}
	if st == Condition || st == Fail {
		allowed = slices.DeleteFunc(allowed, func(f string) bool { return f == "RetryPolicies" })
	}
	c.fields(at, m, allowed, []string{"Name", "Type", "Arguments"})
	if d, ok := m["DisplayName"]; ok {
		if s, _ := d.(string); !nameRE.MatchString(s) {
			c.bad(at+".DisplayName", "is %s; accepted: 1 to 64 letters, digits, '-' or '_'", show(d))
		}
	}
	if d, ok := m["Description"]; ok {
		if s, isString := d.(string); !isString || len(s) > 4096 {
			c.bad(at+".Description", "is %s; accepted: a string of at most 4096 characters", show(d))
		}
	}
	if deps, ok := m["DependsOn"]; ok {
		list, ok := deps.([]any)
		if !ok {
			c.bad(at+".DependsOn", "is %s; accepted: an array of step names", kind(deps))
		}
		for i, d := range list {
			s, _ := d.(string)
			if !nameRE.MatchString(s) {
				c.bad(fmt.Sprintf("%s.DependsOn[%d]", at, i), "is %s; accepted: a step name", show(d))
				continue
			}
			c.deps = append(c.deps, ref{at: fmt.Sprintf("%s.DependsOn[%d]", at, i), from: p.name, target: s})
		}
	}
	if rp, ok := m["RetryPolicies"]; ok {
		c.value(at+".RetryPolicies", p.name, rp, arr{retryPolicy})
	}
	if st == Processing {
		if pf, ok := m["PropertyFiles"]; ok {
			c.value(at+".PropertyFiles", p.name, pf, arr{propertyFile})
			if list, ok := pf.([]any); ok && p.name != "" {
				for _, f := range list {
					if fm, ok := f.(map[string]any); ok {
						if n, ok := fm["PropertyFileName"].(string); ok {
							c.steps[p.name].files = append(c.steps[p.name].files, n)
						}
					}
				}
			}
		}
	}
	args, ok := m["Arguments"]
	if !ok {
		return
	}
	var schema node
	switch st {
	case Processing:
		schema = processingArgs
	case Training:
		schema = trainingArgs
	case RegisterModel:
		schema = registerArgs
	case Fail:
		schema = failArgs
	case Condition:
		schema = conditionArgs
	}
	c.value(at+".Arguments", p.name, args, schema)
}

// resolve checks the references once every step is known, and looks for
// cycles.
func (c *checker) resolve() {
	for _, r := range c.deps {
		switch {
		case c.steps[r.target] == nil:
			c.bad(r.at, "%q names no step of the pipeline (steps: %s)", r.target, strings.Join(c.order, ", "))
		case r.target == r.from:
			c.bad(r.at, "a step cannot depend on itself")
		case r.from != "":
			c.steps[r.from].refs = append(c.steps[r.from].refs, r.target)
		}
	}
	for _, g := range c.gets {
		c.get(g)
	}
	// A cycle of references or dependencies never starts.
	state := map[string]int{}
	var visit func(n string, path []string) bool
	visit = func(n string, path []string) bool {
		switch state[n] {
		case 1:
			c.bad("$.Steps", "steps form a cycle: %s", strings.Join(append(path, n), " -> "))
			return true
		case 2:
			return false
		}
		state[n] = 1
		refs := slices.Clone(c.steps[n].refs)
		sort.Strings(refs)
		for _, r := range slices.Compact(refs) {
			if c.steps[r] != nil && visit(r, append(path, n)) {
				return true
			}
		}
		state[n] = 2
		return false
	}
	for _, n := range c.order {
		if visit(n, nil) {
			break
		}
	}
}

func (c *checker) get(g ref) {
	path := g.target
	head, rest, _ := strings.Cut(path, ".")
	switch head {
	case "Parameters":
		if _, ok := c.params[rest]; !ok {
			c.bad(g.at, "Get %q names no declared parameter (parameters: %s)", path, strings.Join(sortedKeys(c.params), ", "))
		}
	case "Execution":
		if !slices.Contains(executionVariables, rest) {
			c.bad(g.at, "Get %q names no execution variable (accepted: %s)", path, strings.Join(executionVariables, ", "))
		}
	case "Steps":
		name, prop, _ := strings.Cut(rest, ".")
		target := c.steps[name]
		switch {
		case target == nil:
			c.bad(g.at, "Get %q names no step of the pipeline (steps: %s)", path, strings.Join(c.order, ", "))
			return
		case name == g.from:
			c.bad(g.at, "Get %q: a step cannot read its own properties", path)
			return
		case prop == "":
			c.bad(g.at, "Get %q names a step but none of its properties", path)
			return
		}
		first := prop
		if i := strings.IndexAny(prop, ".["); i >= 0 {
			first = prop[:i]
		}
		if first == "PropertyFiles" {
			file := strings.TrimPrefix(prop, "PropertyFiles.")
			if !slices.Contains(target.files, file) {
				c.bad(g.at, "Get %q names no property file of step %q (it declares: %s)", path, name, strings.Join(target.files, ", "))
			}
		} else if props, known := stepProperties[target.typ]; known && !slices.Contains(props, first) {
			c.bad(g.at, "Get %q: a %s step has no property %q (accepted: %s)", path, target.typ, first, strings.Join(props, ", "))
		}
		if g.from != "" {
			c.steps[g.from].refs = append(c.steps[g.from].refs, name)
		}
	default:
		c.bad(g.at, "Get %q reads neither Parameters., Execution. nor Steps.", path)
	}
}

// fields checks that m has only allowed fields and every required one.
func (c *checker) fields(at string, m map[string]any, allowed, required []string) {
	for _, k := range sortedKeys(m) {
		if !slices.Contains(allowed, k) {
			c.bad(at, "has unknown field %q; accepted fields: %s", k, strings.Join(allowed, ", "))
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			c.bad(at, "is missing required field %q", k)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

// literalOf reports whether v is a literal of type t.
func literalOf(t ParameterType, v any) bool {
	switch t {
	case String:
		_, ok := v.(string)
		return ok
	case Boolean:
		_, ok := v.(bool)
		return ok
	case Integer:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	case Float:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Float64()
		return err == nil
	}
	return false
}

// Package sfnlocal executes Amazon States Language definitions locally with
// the npm package aws-local-stepfunctions (package.json pins it, with the
// Node 22 it needs as node_modules/.bin/node), every Task state answered by
// mocks shaped like the real API responses. Tests use it to run the state
// machines biolake synthesizes on every documented path and to assert the
// final status, the states visited and what each task was called with
// (the messages to a topic, the events to a bus).
//
// One Run starts one node process for any number of scenarios, which run
// concurrently in it; Wait states and retry intervals take no time.
package sfnlocal

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
)

//go:embed runner.cjs
var runner []byte

// Answer is one mocked response of a Task state: its result, or an error
// (the name Step Functions matches in Retry and Catch) with a cause.
type Answer struct {
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
}

// Result returns an Answer with result v.
func Result(v any) Answer { return Answer{Result: v} }

// Fail returns an Answer that raises error with cause.
func Fail(error, cause string) Answer { return Answer{Error: error, Cause: cause} }

// Scenario is one execution: the machine (a key of the definitions given to
// Run), its input and Context Object, and the answers of its Task states by
// state name. A Task state answers with its answers in turn and repeats the
// last; a Task state without answers fails the execution with Mock.Missing.
type Scenario struct {
	Name    string              `json:"name"`
	Machine string              `json:"machine"`
	Input   any                 `json:"input"`
	Context map[string]any      `json:"context,omitempty"`
	Mocks   map[string][]Answer `json:"mocks"`
}

// Call is one invocation of a Task state, with its effective input (after
// Parameters); Failed when it was answered with an error.
type Call struct {
	State  string          `json:"state"`
	Input  json.RawMessage `json:"input"`
	Failed bool            `json:"failed"`
}

// Outcome is what one scenario did.
type Outcome struct {
	Name string `json:"name"`
	// Status is SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or INVALID when
	// the library refused the definition.
	Status string `json:"status"`
	// Error and Cause of a failed execution.
	Error string `json:"error"`
	Cause string `json:"cause"`
	// Output of a successful execution.
	Output json.RawMessage `json:"output"`
	// States entered, in order (Map iterations' states included).
	States []string `json:"states"`
	// Calls of Task states, in order.
	Calls []Call `json:"calls"`
	// Retries counts the retried attempts.
	Retries int `json:"retries"`
}

// Visited reports whether the execution entered state.
func (o *Outcome) Visited(state string) bool { return slices.Contains(o.States, state) }

// Inputs returns the inputs of the calls of state, decoded.
func (o *Outcome) Inputs(state string) []map[string]any {
	var out []map[string]any
	for _, c := range o.Calls {
		if c.State != state {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(c.Input, &m); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// Tools are the paths of Node 22 and of the library's CommonJS build.
type Tools struct {
	Node    string
	Library string
}

// ErrNotInstalled is returned by Find when the npm packages are missing.
var ErrNotInstalled = errors.New("sfnlocal: node_modules/.bin/node (npm package node@22) or aws-local-stepfunctions is not installed; run npm ci")

// Find looks for node_modules in dir and its parents.
func Find(dir string) (Tools, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return Tools{}, err
	}
	for {
		nm := filepath.Join(dir, "node_modules")
		t := Tools{
			Node:    filepath.Join(nm, ".bin", "node"),
			Library: filepath.Join(nm, "aws-local-stepfunctions", "build", "main.node.cjs"),
		}
		if exists(t.Node) && exists(t.Library) {
			return t, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return Tools{}, ErrNotInstalled
		}
		dir = parent
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Run executes the scenarios against the definitions (ASL JSON by key) in
// one node process and returns their outcomes in order.
func (t Tools) Run(ctx context.Context, definitions map[string]string, scenarios []Scenario) ([]Outcome, error) {
	for _, s := range scenarios {
		if _, ok := definitions[s.Machine]; !ok {
			return nil, fmt.Errorf("sfnlocal: scenario %q names machine %q, which is not among the definitions", s.Name, s.Machine)
		}
	}
	req, err := json.Marshal(map[string]any{"machines": definitions, "scenarios": scenarios})
	if err != nil {
		return nil, fmt.Errorf("sfnlocal: %w", err)
	}
	script, err := os.CreateTemp("", "sfnlocal-*.cjs")
	if err != nil {
		return nil, fmt.Errorf("sfnlocal: %w", err)
	}
	defer os.Remove(script.Name())
	if _, err := script.Write(runner); err != nil {
		script.Close()
		return nil, fmt.Errorf("sfnlocal: %w", err)
	}
	if err := script.Close(); err != nil {
		return nil, fmt.Errorf("sfnlocal: %w", err)
	}
	cmd := exec.CommandContext(ctx, t.Node, script.Name(), t.Library)
	cmd.Stdin = bytes.NewReader(req)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("sfnlocal: node: %w\n%s", err, stderr.String())
	}
	var resp struct {
		Results []Outcome `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("sfnlocal: the runner's answer is not JSON: %w\n%s", err, stderr.String())
	}
	if len(resp.Results) != len(scenarios) {
		return nil, fmt.Errorf("sfnlocal: %d outcomes for %d scenarios", len(resp.Results), len(scenarios))
	}
	return resp.Results, nil
}

// Package test holds biolake's app-level gates: golden template snapshots of
// every environment, cdk-nag (AwsSolutions, HIPAA Security, NIST 800-53 rev 5),
// cfn-lint over every template, and one synth with CloudFormation validation
// on. The whole app is synthesized once per test binary and shared.
package test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/internal/assembly"
	"github.com/biolake/biolake/pipelines"
	"github.com/biolake/biolake/stacks"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Synthesized is the cloud assembly of every environment, synthesized once.
type Synthesized struct {
	*assembly.Assembly
	Envs []string // environment names, sorted
	// Platforms are the composed stages by environment name.
	Platforms map[string]*stacks.Platform
	// Delivery is the pipeline, in the pipeline's synth only.
	Delivery *pipelines.Delivery
	Err      error // a synth failure, reported by every test
}

// Stack is one synthesized stack.
type Stack = assembly.Stack

var (
	synthOnce sync.Once
	synthed   *Synthesized

	pipelineOnce    sync.Once
	pipelineSynthed *Synthesized
)

func init() {
	os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
}

// cdkContext returns the feature flags and settings of cdk.json, so that the
// in-process App behaves as the one the CLI runs.
func cdkContext(extra map[string]any) (map[string]any, error) {
	raw, err := os.ReadFile("../cdk.json")
	if err != nil {
		return nil, err
	}
	var cj struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cj); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	for k, v := range extra {
		cj.Context[k] = v
	}
	return cj.Context, nil
}

// synthAll synthesizes every environment of environments/ into one
// assembly with validation off and stub Lambda assets.
func synthAll(t testing.TB) *Synthesized {
	t.Helper()
	synthOnce.Do(func() {
		synthed = &Synthesized{}
		dir, err := os.MkdirTemp("", "biolake-cdkout-")
		if err != nil {
			synthed.Err = err
			return
		}
		synthed.Err = synthInto(dir, false, nil, synthed)
	})
	if synthed.Err != nil {
		t.Fatalf("synth: %v", synthed.Err)
	}
	return synthed
}

// synthPipeline synthesizes the delivery pipeline app (`make synth
// ENV=pipeline`, from environments/pipeline.yaml) once, in an App of its
// own, with validation off and stub Lambda assets. Only its Stage
// "pipeline" is gated (Envs): the environments' Stages it deploys are those
// synthAll gates, placed in the accounts the pipeline file gives.
func synthPipeline(t testing.TB) *Synthesized {
	t.Helper()
	pipelineOnce.Do(func() {
		pipelineSynthed = &Synthesized{}
		dir, err := os.MkdirTemp("", "biolake-pipeline-cdkout-")
		if err != nil {
			pipelineSynthed.Err = err
			return
		}
		pipelineSynthed.Err = synthPipelineInto(dir, pipelineSynthed)
	})
	if pipelineSynthed.Err != nil {
		t.Fatalf("synth of the pipeline: %v", pipelineSynthed.Err)
	}
	return pipelineSynthed
}

func synthPipelineInto(dir string, out *Synthesized) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth failed: %v%s", r, validationViolations(dir))
		}
	}()
	ctx, err := cdkContext(map[string]any{"biolake:stubLambdaAssets": "true"})
	if err != nil {
		return err
	}
	cfg, err := config.LoadPipeline("../environments")
	if err != nil {
		return err
	}
	raw, err := os.ReadFile("../package.json")
	if err != nil {
		return err
	}
	cli, err := pipelines.CLIVersion(raw)
	if err != nil {
		return err
	}
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:                          jsii.String(dir),
		Context:                         &ctx,
		BuiltinCloudFormationValidation: jsii.Bool(false),
	})
	out.Delivery = pipelines.Build(app, cfg, cli)
	app.Synth(nil)
	out.Envs = []string{pipelines.StageName}
	return out.read(dir)
}

// gated returns the synthesized apps whose stages (Envs) the snapshot,
// cdk-nag, cfn-lint and Control Tower gates check: every environment, and
// the delivery pipeline.
func gated(t testing.TB) []*Synthesized {
	t.Helper()
	return []*Synthesized{synthAll(t), synthPipeline(t)}
}

// synthInto synthesizes the environments (all when only is nil) into dir.
func synthInto(dir string, validation bool, only []string, out *Synthesized) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth failed: %v%s", r, validationViolations(dir))
		}
	}()
	ctx, err := cdkContext(map[string]any{"biolake:stubLambdaAssets": "true"})
	if err != nil {
		return err
	}
	names, err := config.Names("../environments")
	if err != nil {
		return err
	}
	if only != nil {
		names = only
	}
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:                          jsii.String(dir),
		Context:                         &ctx,
		BuiltinCloudFormationValidation: jsii.Bool(validation),
	})
	for _, n := range names {
		env, err := config.Load("../environments", n)
		if err != nil {
			return err
		}
		if out.Platforms == nil {
			out.Platforms = map[string]*stacks.Platform{}
		}
		out.Platforms[n] = stacks.NewStage(app, env)
	}
	app.Synth(nil)
	out.Envs = names
	return out.read(dir)
}

// read loads the assembly written to dir.
func (s *Synthesized) read(dir string) error {
	a, err := assembly.Read(dir)
	if err != nil {
		return err
	}
	s.Assembly = a
	return nil
}

// Stack returns the stack of env named "<env>-<id>", failing the test when
// it is missing.
func (s *Synthesized) Stack(t testing.TB, env, id string) *Stack {
	t.Helper()
	var st *Stack
	for _, c := range s.Stacks[env] {
		if c.Name == env+"-"+id {
			st = c
		}
	}
	if st == nil {
		t.Fatalf("environment %s has no stack %s-%s", env, env, id)
	}
	return st
}

// Props returns a resource's Properties.
func Props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

func TestEveryEnvironmentSynthesizes(t *testing.T) {
	s := synthAll(t)
	want := []string{"Analytics", "Audit", "Compute", "DataLake", "EventGlue", "Ingest", "Network", "Security"}
	for _, env := range s.Envs {
		var got []string
		for _, st := range s.Stacks[env] {
			got = append(got, strings.TrimPrefix(st.Name, env+"-"))
			if len(st.Resources("")) == 0 {
				t.Errorf("%s has no resources: empty stacks are not wanted", st.Name)
			}
		}
		for _, w := range want {
			if !contains(got, w) {
				t.Errorf("%s: stacks %v lack %s", env, got, w)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validationViolations lists the violations of the assembly's validation
// report (where cdk-nag's error annotations land too) one per line, or "".
func validationViolations(dir string) string {
	raw, err := os.ReadFile(filepath.Join(dir, "validation-report.json"))
	if err != nil {
		return ""
	}
	var rep struct {
		PluginReports []struct {
			PluginName string `json:"pluginName"`
			Violations []struct {
				Description string `json:"description"`
				Constructs  []struct {
					Path string `json:"constructPath"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if json.Unmarshal(raw, &rep) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range rep.PluginReports {
		for _, v := range p.Violations {
			desc, _, _ := strings.Cut(strings.TrimSpace(v.Description), " - (")
			for _, c := range v.Constructs {
				fmt.Fprintf(&b, "\n  %s: %s", c.Path, desc)
			}
		}
	}
	return b.String()
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	for _, s := range []*Synthesized{synthed, pipelineSynthed} {
		if s != nil && s.Assembly != nil {
			os.RemoveAll(s.Dir)
		}
	}
	os.Exit(code)
}

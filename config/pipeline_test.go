package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/validation"
)

func TestShippedPipelineLoads(t *testing.T) {
	p, err := config.LoadPipeline(envDir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range p.Environments {
		got = append(got, e.Name+"@"+e.Account+"/"+e.Region)
	}
	if want := "dev@333333333333/eu-west-1,staging@111111111111/eu-west-1,prod@222222222222/us-east-1"; strings.Join(got, ",") != want {
		t.Errorf("stages = %v, want %s", got, want)
	}
	if p.Stages[2].Approval == nil || p.Stages[0].Approval != nil || p.Source.Kind != config.SourceConnection {
		t.Errorf("decoded %+v", p)
	}
	// The pipeline's file is no environment.
	if _, err := config.Load(envDir, config.PipelineName); err == nil || !strings.Contains(err.Error(), "LoadPipeline") {
		t.Errorf("Load(pipeline) = %v, want a pointer to LoadPipeline", err)
	}
}

const goodPipeline = `name: pipeline
account: "444444444444"
region: eu-west-1
source:
  kind: connection
  connectionArn: arn:aws:codeconnections:eu-west-1:444444444444:connection/01234567-89ab-cdef-0123-456789abcdef
  repository: lab/biolake
tags:
  owner: rc
stages:
  - environment: dev
    account: "333333333333"
    region: eu-west-1
    availabilityZones: [eu-west-1a]
  - environment: prod
    approval: {}
`

// Each bad pipeline file fails with the field and what is accepted.
func TestPipelineValidation(t *testing.T) {
	cases := []struct {
		name, from, to, field, want string
	}{
		{"unknown source kind", "kind: connection", "kind: github", "source.kind", "use connection (GitHub, GitLab, Bitbucket) or codecommit"},
		{"malformed connection", "connection/01234567-89ab-cdef-0123-456789abcdef", "connection/not-a-uuid", "source.connectionArn", "must be a connection ARN"},
		{"connection of another account", "eu-west-1:444444444444:connection", "eu-west-1:555555555555:connection", "source.connectionArn", "tooling account 444444444444"},
		{"codecommit with an ARN", "kind: connection", "kind: codecommit", "source.connectionArn", "empty with kind codecommit"},
		{"repository without owner", "repository: lab/biolake", "repository: biolake", "source.repository", "owner/name"},
		{"no tooling account", `account: "444444444444"` + "\nregion", "region", "account", "12-digit id of the tooling account"},
		{"no approval before the last stage", "    approval: {}\n", "", "stages[1].approval", "required on the last stage"},
		{"stage listed twice", "environment: prod", "environment: dev", "stages[1].environment", "listed twice"},
		{"pipeline as a stage", "environment: prod", "environment: pipeline", "stages[1].environment", "must name an environment file"},
		{"account without region", "    region: eu-west-1\n    availabilityZones", "    availabilityZones", "stages[0].region", "given together"},
		{"bad approver", "approval: {}", "approval: {emails: [nobody]}", "stages[1].approval.emails[0]", "email address"},
		{"unknown field", "tags:", "tag:", "tag", "not a known field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(goodPipeline, c.from, c.to, 1)
			if src == goodPipeline {
				t.Fatalf("the case changes nothing: %q not in the file", c.from)
			}
			_, err := config.ParsePipeline("environments/pipeline.yaml", []byte(src))
			var es validation.Errors
			var found bool
			if errors.As(validation.Join("", err), &es) {
				for _, e := range es {
					found = found || (e.Field == c.field && strings.Contains(e.Error(), c.want))
				}
			}
			var one *validation.Error
			if errors.As(err, &one) && one.Field == c.field && strings.Contains(err.Error(), c.want) {
				found = true
			}
			if !found {
				t.Errorf("error %v: want field %s saying %q", err, c.field, c.want)
			}
		})
	}
	if _, err := config.ParsePipeline("environments/pipeline.yaml", []byte(goodPipeline)); err != nil {
		t.Fatalf("the good file fails: %v", err)
	}
}

// The stages' environments: an environment-agnostic one needs the stage's
// account, an environment with its own account refuses another one, and a
// placed environment is validated again (dev has one zone to list).
func TestPipelineStageEnvironments(t *testing.T) {
	cases := []struct {
		name, from, to, field, want string
	}{
		{"agnostic dev without account", "    account: \"333333333333\"\n    region: eu-west-1\n    availabilityZones: [eu-west-1a]\n", "", "stages[0].account", "environment-agnostic"},
		{"prod given a second account", "  - environment: prod\n", "  - environment: prod\n    account: \"555555555555\"\n    region: us-east-1\n", "stages[1].account", "already places the environment in account 222222222222"},
		{"dev placed without zones", "    availabilityZones: [eu-west-1a]\n", "", "stages[0].availabilityZones", "must list at least network.maxAZs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, n := range []string{"dev", "prod"} {
				raw, err := os.ReadFile(filepath.Join(envDir, n+".yaml"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, n+".yaml"), raw, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			src := strings.Replace(goodPipeline, c.from, c.to, 1)
			if src == goodPipeline {
				t.Fatalf("the case changes nothing: %q not in the file", c.from)
			}
			if err := os.WriteFile(filepath.Join(dir, "pipeline.yaml"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := config.LoadPipeline(dir)
			var one *validation.Error
			if !errors.As(err, &one) || one.Field != c.field || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v: want field %s saying %q", err, c.field, c.want)
			}
		})
	}
}

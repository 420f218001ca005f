package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/biolake/biolake/constructs/validation"
)

// PipelineName is the reserved name of the delivery pipeline's file,
// environments/pipeline.yaml. It is not an environment: Names leaves it
// out, Load refuses it, and LoadPipeline reads it.
const PipelineName = "pipeline"

// Source kinds of Pipeline.Source.Kind.
const (
	// SourceConnection is a repository on GitHub, GitLab or Bitbucket
	// reached through an AWS CodeConnections (formerly CodeStar
	// Connections) connection.
	SourceConnection = "connection"
	// SourceCodeCommit is an AWS CodeCommit repository in the tooling account.
	SourceCodeCommit = "codecommit"
)

// Pipeline is environments/pipeline.yaml: the delivery pipeline that
// deploys the environments' stages in order, from a tooling account.
type Pipeline struct {
	// Name must be "pipeline". Required.
	Name string `yaml:"name"`
	// Account is the 12-digit tooling account that holds the pipeline.
	// Required.
	Account string `yaml:"account"`
	// Region of the pipeline. Required.
	Region string `yaml:"region"`
	// Source is the repository the pipeline builds. Required.
	Source PipelineSource `yaml:"source"`
	// Stages are the environments deployed, in this order (for example
	// dev, staging, prod). The last one must have an approval. Required.
	Stages []PipelineStage `yaml:"stages"`
	// Tags are put on the pipeline's resources; owner is required.
	Tags Tags `yaml:"tags"`
	// Logs settings of the pipeline's CodeBuild log group.
	Logs Logs `yaml:"logs"`

	// File is the path the pipeline was read from (not a YAML field).
	File string `yaml:"-"`
	// Environments are the stages' environments, loaded, with any account
	// given in the stage applied, in the order of Stages (not YAML fields).
	Environments []*Environment `yaml:"-"`
}

// PipelineSource is where the pipeline gets the code.
type PipelineSource struct {
	// Kind: connection (GitHub, GitLab or Bitbucket through a CodeConnections
	// connection) or codecommit. Required.
	Kind string `yaml:"kind"`
	// ConnectionArn of the connection, kind connection only, for example
	// arn:aws:codeconnections:eu-west-1:444444444444:connection/<uuid>. The
	// connection is created in the console and its handshake completed
	// there once (docs/PIPELINE.md). Default: "".
	ConnectionArn string `yaml:"connectionArn"`
	// Repository: owner/name for kind connection; the repository name for
	// kind codecommit. Required.
	Repository string `yaml:"repository"`
	// Branch that triggers the pipeline. Default: main.
	Branch string `yaml:"branch"`
}

// PipelineStage is one environment deployed by the pipeline.
type PipelineStage struct {
	// Environment is the name of an environments/*.yaml file. Required.
	Environment string `yaml:"environment"`
	// Account, Region and AvailabilityZones place an environment-agnostic
	// environment (dev) for the pipeline; a pipeline deploys only to an
	// explicit account and region. Refused when the environment file has
	// its own account (one place says where an environment lives).
	// Default: the environment file's.
	Account           string   `yaml:"account"`
	Region            string   `yaml:"region"`
	AvailabilityZones []string `yaml:"availabilityZones"`
	// Approval before this stage: the pipeline runs cdk diff of the stage
	// against its deployed stacks, publishes it, and waits for a person to
	// approve. Default: none.
	Approval *PipelineApproval `yaml:"approval"`
}

// PipelineApproval is a manual approval before a stage.
type PipelineApproval struct {
	// Emails subscribed to the topic that receives the stage's diff and the
	// approval request. Default: none (reviewers open the pipeline).
	Emails []string `yaml:"emails"`
}

var (
	connectionArnPattern = regexp.MustCompile(`^arn:aws(-[a-z]+)*:(codestar-connections|codeconnections):[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]:[0-9]{12}:connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	ownerRepoPattern     = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$`)
	codeCommitPattern    = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
	branchPattern        = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,255}$`)
	emailPattern         = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// LoadPipeline reads, decodes and validates dir/pipeline.yaml and loads
// the environment of each of its stages from dir.
func LoadPipeline(dir string) (*Pipeline, error) {
	file := filepath.Join(dir, PipelineName+".yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	p, err := ParsePipeline(file, data)
	if err != nil {
		return nil, err
	}
	if err := p.loadEnvironments(dir); err != nil {
		return nil, err
	}
	return p, nil
}

// ParsePipeline decodes, defaults and validates a pipeline file's content;
// the stages' environments are not loaded (LoadPipeline does that).
func ParsePipeline(file string, data []byte) (*Pipeline, error) {
	p := &Pipeline{}
	if err := decodeStrict(file, data, p); err != nil {
		return nil, err
	}
	p.File = file
	if p.Source.Branch == "" {
		p.Source.Branch = "main"
	}
	if p.Tags.Project == "" {
		p.Tags.Project = "biolake"
	}
	if p.Logs.RetentionDays == 0 {
		p.Logs.RetentionDays = 365
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Pipeline) fail(path, value, format string, args ...any) error {
	return &FieldError{File: p.File, Path: path, Value: value, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks every field of the pipeline file and returns every
// problem found, joined (validation.Errors).
func (p *Pipeline) Validate() error {
	var errs []error
	bad := func(path, value, format string, args ...any) {
		errs = append(errs, p.fail(path, value, format, args...))
	}
	if p.Name != PipelineName {
		bad("name", p.Name, "must be %q, the file's name", PipelineName)
	}
	if !accountPattern.MatchString(p.Account) {
		bad("account", p.Account, "must be the 12-digit id of the tooling account that holds the pipeline")
	}
	if !regionPattern.MatchString(p.Region) {
		bad("region", p.Region, "must be an AWS region name such as eu-west-1")
	}
	s := p.Source
	switch s.Kind {
	case SourceConnection:
		if !connectionArnPattern.MatchString(s.ConnectionArn) {
			bad("source.connectionArn", s.ConnectionArn, "must be a connection ARN such as arn:aws:codeconnections:%s:%s:connection/01234567-89ab-cdef-0123-456789abcdef (create the connection in the console: docs/PIPELINE.md)", p.Region, p.Account)
		} else if parts := strings.Split(s.ConnectionArn, ":"); parts[3] != p.Region || parts[4] != p.Account {
			bad("source.connectionArn", s.ConnectionArn, "must be a connection of the tooling account %s in region %s, where the pipeline runs", p.Account, p.Region)
		}
		if !ownerRepoPattern.MatchString(s.Repository) {
			bad("source.repository", s.Repository, "must be owner/name of the repository (GitLab groups: group/subgroup/name)")
		}
	case SourceCodeCommit:
		if s.ConnectionArn != "" {
			bad("source.connectionArn", s.ConnectionArn, "must be empty with kind codecommit")
		}
		if !codeCommitPattern.MatchString(s.Repository) {
			bad("source.repository", s.Repository, "must be the name of a CodeCommit repository of the tooling account (letters, digits, . _ -)")
		}
	default:
		bad("source.kind", s.Kind, "is not accepted; use %s (GitHub, GitLab, Bitbucket) or %s", SourceConnection, SourceCodeCommit)
	}
	if !branchPattern.MatchString(s.Branch) || strings.Contains(s.Branch, "..") {
		bad("source.branch", s.Branch, "must be a branch name")
	}
	if p.Tags.Owner == "" {
		bad("tags.owner", "", "is required: the team or contact that owns the pipeline's cost")
	}
	for path, v := range map[string]string{"tags.project": p.Tags.Project, "tags.owner": p.Tags.Owner, "tags.costCenter": p.Tags.CostCenter} {
		if v != "" && !tagPattern.MatchString(v) {
			bad(path, v, "is not a valid tag value: up to 256 letters, digits, spaces and _ . : / = + - @")
		}
	}
	if !containsInt(LogRetentionValues, p.Logs.RetentionDays) {
		bad("logs.retentionDays", fmt.Sprint(p.Logs.RetentionDays), "is not a retention CloudWatch Logs accepts; use one of %s", intsList(LogRetentionValues))
	}
	if len(p.Stages) == 0 {
		bad("stages", "", "must list the environments to deploy, in order (for example dev, staging, prod)")
	}
	seen := map[string]bool{}
	for i, st := range p.Stages {
		at := fmt.Sprintf("stages[%d]", i)
		switch {
		case !namePattern.MatchString(st.Environment) || st.Environment == PipelineName:
			bad(at+".environment", st.Environment, "must name an environment file of environments/ (dev, staging, prod, ...)")
		case seen[st.Environment]:
			bad(at+".environment", st.Environment, "is listed twice; deploy each environment once")
		}
		seen[st.Environment] = true
		if st.Account != "" && !accountPattern.MatchString(st.Account) {
			bad(at+".account", st.Account, "must be a 12-digit AWS account id")
		}
		if st.Region != "" && !regionPattern.MatchString(st.Region) {
			bad(at+".region", st.Region, "is not an AWS region name such as eu-west-1")
		}
		if (st.Account == "") != (st.Region == "") {
			bad(at+".region", st.Region, "and account are given together or not at all")
		}
		if st.Account == "" && len(st.AvailabilityZones) > 0 {
			bad(at+".availabilityZones", strings.Join(st.AvailabilityZones, ","), "are given only with account and region")
		}
		if st.Approval != nil {
			for j, e := range st.Approval.Emails {
				if !emailPattern.MatchString(e) {
					bad(fmt.Sprintf("%s.approval.emails[%d]", at, j), e, "must be an email address")
				}
			}
		}
	}
	if n := len(p.Stages); n > 0 && p.Stages[n-1].Approval == nil {
		bad(fmt.Sprintf("stages[%d].approval", n-1), "", "is required on the last stage (production): a person approves its diff before it deploys")
	}
	if len(errs) == 0 {
		return nil
	}
	return validation.Join("", errs...)
}

// loadEnvironments loads each stage's environment and places it. An
// environment-agnostic one (no account in its file) takes the stage's
// account, region and zones, and is refused without them: a pipeline
// deploys only to an explicit account and region.
func (p *Pipeline) loadEnvironments(dir string) error {
	var errs []error
	for i, st := range p.Stages {
		at := fmt.Sprintf("stages[%d]", i)
		env, err := Load(dir, st.Environment)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch {
		case env.Account != "" && st.Account != "":
			errs = append(errs, p.fail(at+".account", st.Account, "must be empty: %s already places the environment in account %s; change it there", env.File, env.Account))
			continue
		case env.Account == "" && st.Account == "":
			errs = append(errs, p.fail(at+".account", "", "is required: %s is environment-agnostic (no account), and a pipeline deploys only to an explicit account and region; give account, region and availabilityZones here", env.File))
			continue
		case env.Account == "":
			env.Account, env.Region, env.AvailabilityZones = st.Account, st.Region, st.AvailabilityZones
			if err := env.Validate(); err != nil {
				var fe *FieldError
				if errors.As(err, &fe) {
					err = p.fail(at+"."+fe.Path, fe.Value, "%s (%s placed where this stage says)", fe.Msg, env.File)
				}
				errs = append(errs, err)
				continue
			}
		}
		p.Environments = append(p.Environments, env)
	}
	return validation.Join("", errs...)
}

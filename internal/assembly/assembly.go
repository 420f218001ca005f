// Package assembly reads a synthesized CDK cloud assembly (cdk.out): the
// stacks of each Stage with their templates and error annotations, and the
// cdk-nag reports. `make synth` prints its summary from it and the gates in
// test/ check it.
package assembly

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Stack is one synthesized stack.
type Stack struct {
	Stage                 string         // the Stage (environment) it belongs to
	Name                  string         // CloudFormation stack name, "<stage>-<id>"
	ArtifactID            string         // cloud assembly artifact id
	TemplateFile          string         // absolute path of the template
	Template              map[string]any // the decoded template
	TerminationProtection bool
	// Account and Region are the stack's environment as the manifest
	// states it: literal values for a stack with an explicit environment,
	// "unknown-account" and "unknown-region" for an environment-agnostic one.
	Account, Region string
	// Paths are the construct paths of the stack's elements by logical id
	// ("dev/Ingest/DataSync/Agent"), from the aws:cdk:logicalId metadata,
	// which every synth writes (the aws:cdk:path metadata in templates only
	// the CLI's).
	Paths map[string]string
}

// Assembly is a read cloud assembly.
type Assembly struct {
	Dir    string
	Stages []string            // sorted
	Stacks map[string][]*Stack // by stage, sorted by name
	// Errors are the error annotations (cdk-nag findings, construct errors)
	// by stage.
	Errors map[string][]string
}

type manifest struct {
	Artifacts map[string]struct {
		Type        string `json:"type"`
		Environment string `json:"environment"`
		Properties  struct {
			DirectoryName         string `json:"directoryName"`
			TemplateFile          string `json:"templateFile"`
			StackName             string `json:"stackName"`
			TerminationProtection bool   `json:"terminationProtection"`
		} `json:"properties"`
		Metadata metadata `json:"metadata"`
		// AdditionalMetadataFile holds the artifact's metadata instead of
		// Metadata (CDK writes it to <artifact>.metadata.json).
		AdditionalMetadataFile string `json:"additionalMetadataFile"`
	} `json:"artifacts"`
}

// metadata are an artifact's metadata entries by construct path.
type metadata map[string][]struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

func readManifest(dir string) (*manifest, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("assembly: %w (has the app been synthesized?)", err)
	}
	m := &manifest{}
	if err := json.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("assembly: %s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	return m, nil
}

// Read reads the assembly in dir and every nested Stage assembly.
func Read(dir string) (*Assembly, error) {
	top, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	a := &Assembly{Dir: dir, Stacks: map[string][]*Stack{}, Errors: map[string][]string{}}
	for id, art := range top.Artifacts {
		if art.Type != "cdk:cloud-assembly" {
			continue
		}
		stage := strings.TrimPrefix(id, "assembly-")
		a.Stages = append(a.Stages, stage)
		if err := a.readStage(stage, filepath.Join(dir, art.Properties.DirectoryName)); err != nil {
			return nil, err
		}
	}
	sort.Strings(a.Stages)
	return a, nil
}

func (a *Assembly) readStage(stage, dir string) error {
	m, err := readManifest(dir)
	if err != nil {
		return err
	}
	for id, art := range m.Artifacts {
		md := art.Metadata
		if art.AdditionalMetadataFile != "" {
			file := filepath.Join(dir, art.AdditionalMetadataFile)
			raw, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("assembly: %w", err)
			}
			if err := json.Unmarshal(raw, &md); err != nil {
				return fmt.Errorf("assembly: %s: %w", file, err)
			}
		}
		paths := map[string]string{}
		for path, entries := range md {
			for _, e := range entries {
				switch e.Type {
				case "aws:cdk:error":
					a.Errors[stage] = append(a.Errors[stage], fmt.Sprintf("%s: %v", path, e.Data))
				case "aws:cdk:logicalId":
					if lid, ok := e.Data.(string); ok {
						paths[lid] = strings.TrimPrefix(path, "/")
					}
				}
			}
		}
		if art.Type != "aws:cloudformation:stack" {
			continue
		}
		st := &Stack{Stage: stage, Name: art.Properties.StackName, ArtifactID: id, Paths: paths,
			TemplateFile: filepath.Join(dir, art.Properties.TemplateFile), TerminationProtection: art.Properties.TerminationProtection}
		raw, err := os.ReadFile(st.TemplateFile)
		if err != nil {
			return fmt.Errorf("assembly: %w", err)
		}
		if err := json.Unmarshal(raw, &st.Template); err != nil {
			return fmt.Errorf("assembly: %s: %w", st.TemplateFile, err)
		}
		st.Account, st.Region = "unknown-account", "unknown-region"
		if env, ok := strings.CutPrefix(art.Environment, "aws://"); ok {
			if acct, region, ok := strings.Cut(env, "/"); ok {
				st.Account, st.Region = acct, region
			}
		}
		a.Stacks[stage] = append(a.Stacks[stage], st)
	}
	sort.Slice(a.Stacks[stage], func(i, j int) bool { return a.Stacks[stage][i].Name < a.Stacks[stage][j].Name })
	sort.Strings(a.Errors[stage])
	return nil
}

// Resources returns the stack's resources of type typ ("" for all) by logical id.
func (st *Stack) Resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	res, _ := st.Template["Resources"].(map[string]any)
	for id, r := range res {
		m, _ := r.(map[string]any)
		if typ == "" || m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

// NagUncheckedTypes are the resource types no rule of the cdk-nag packs
// biolake runs (AwsSolutions, HIPAA Security, NIST 800-53 rev 5, cdk-nag
// 2.38) checks: a stack holding only these gets empty reports.
var NagUncheckedTypes = map[string]bool{
	"AWS::Glue::Database": true, "AWS::Glue::Table": true,
	"AWS::Athena::WorkGroup": true, "AWS::Athena::NamedQuery": true,
	"AWS::CDK::Metadata": true,
	// The Dashboard stack: the dashboard and its counting rules (the
	// packs check event bus policies and alarms, not rules or dashboards).
	"AWS::CloudWatch::Dashboard": true, "AWS::Events::Rule": true,
	// The on-premises link's gateways, routes and association.
	"AWS::EC2::VPNGateway": true, "AWS::EC2::VPCGatewayAttachment": true, "AWS::EC2::VPNGatewayRoutePropagation": true,
	"AWS::EC2::CustomerGateway": true, "AWS::EC2::VPNConnection": true, "AWS::EC2::VPNConnectionRoute": true,
	"AWS::DirectConnect::DirectConnectGatewayAssociation": true,
}

// NagUncheckedTypesOf are further types that no rule of one pack checks
// (checked by the other packs).
var NagUncheckedTypesOf = map[string]map[string]bool{
	// AwsSolutions has no rule on log groups (their encryption and
	// retention are HIPAA and NIST rules) or on alarms.
	"AwsSolutions": {"AWS::Logs::LogGroup": true, "AWS::CloudWatch::Alarm": true},
}

// uncheckedOnly returns "" when every resource of the stack is of a type
// in NagUncheckedTypes or NagUncheckedTypesOf[pack], else the first other
// type.
func (st *Stack) uncheckedOnly(pack string) string {
	res, _ := st.Template["Resources"].(map[string]any)
	if len(res) == 0 {
		return "no resources"
	}
	for _, r := range res {
		m, _ := r.(map[string]any)
		if t, _ := m["Type"].(string); !NagUncheckedTypes[t] && !NagUncheckedTypesOf[pack][t] {
			return t
		}
	}
	return ""
}

// NagRow is one line of a cdk-nag CSV report.
type NagRow struct {
	Stage, Stack, Pack, Rule, Resource, Compliance, Reason, Level string
}

// NagReport reads pack's report for st. cdk-nag writes one CSV per pack and
// stack at the top of the assembly, named <pack>-<stage>-<stack name>.
func (a *Assembly) NagReport(st *Stack, pack string) ([]NagRow, error) {
	file := filepath.Join(a.Dir, fmt.Sprintf("%s-%s-%s-NagReport.csv", pack, st.Stage, st.Name))
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("assembly: no %s report for %s: %w", pack, st.Name, err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("assembly: %s: %w", file, err)
	}
	if len(recs) < 2 {
		// An empty report is right only when the pack ran (its report
		// exists) over resources it has no rule for.
		if t := st.uncheckedOnly(pack); t != "" {
			return nil, fmt.Errorf("assembly: %s holds no rule results, yet the stack holds %s", file, t)
		}
		return nil, nil
	}
	rows := make([]NagRow, 0, len(recs)-1)
	for _, r := range recs[1:] {
		if len(r) < 5 {
			return nil, fmt.Errorf("assembly: %s: short line %v", file, r)
		}
		rows = append(rows, NagRow{Stage: st.Stage, Stack: st.Name, Pack: pack, Rule: r[0], Resource: r[1], Compliance: r[2], Reason: r[3], Level: r[4]})
	}
	return rows, nil
}

package test

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/internal/assembly"
	"github.com/biolake/biolake/stacks"
)

// TestLabelingStage: an environment with ml.labeling (none of the shipped
// ones has it: docs/ML.md says why) synthesizes the workforce, its user
// pool and teams in its Analytics stack, the portal restricted to the
// lab's networks (network.onPremises.cidrs), the teams' topics encrypted
// with the ML key, whose policy in the Security stack lets SageMaker of
// this account use it; the results bucket lets the portal GET images.
func TestLabelingStage(t *testing.T) {
	raw, err := os.ReadFile("../environments/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(string(raw), "name: dev\n", "name: lab\n", 1)
	yaml = strings.Replace(yaml, "  userProfiles: [scientist]\n", `  userProfiles: [scientist]
  labeling:
    type: cognito
    teams:
      - name: histology
        groups: [pathologists]
      - name: assay-review
        groups: [assay-curators, pathologists]
`, 1)
	env, err := config.Parse("environments/lab.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if env.ML.Labeling == nil {
		t.Fatal("the labeling settings were not inserted into dev's ml section")
	}
	ctx, err := cdkContext(map[string]any{"biolake:stubLambdaAssets": "true"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir), Context: &ctx, BuiltinCloudFormationValidation: jsii.Bool(false)})
	stacks.NewStage(app, env)
	app.Synth(nil)
	a, err := assembly.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	tpls := map[string]map[string]any{}
	for _, st := range a.Stacks["lab"] {
		tpls[st.Name] = st.Template
	}
	analytics, security := tpls["lab-Analytics"], tpls["lab-Security"]
	if analytics == nil || security == nil {
		t.Fatalf("stacks %v, want lab-Analytics and lab-Security", a.Stacks["lab"])
	}
	count := map[string]int{}
	var wf, topics strings.Builder
	for _, r := range analytics["Resources"].(map[string]any) {
		m := r.(map[string]any)
		count[m["Type"].(string)]++
		switch m["Type"] {
		case "AWS::SageMaker::Workforce":
			wf.WriteString(asJSON(m))
		case "AWS::SNS::Topic":
			topics.WriteString(asJSON(m))
		}
	}
	for typ, n := range map[string]int{
		"AWS::SageMaker::Workforce": 1, "AWS::SageMaker::Workteam": 2, "AWS::Cognito::UserPool": 1,
		"AWS::Cognito::UserPoolGroup": 2, "AWS::Cognito::UserPoolClient": 1, "AWS::Cognito::UserPoolDomain": 1,
	} {
		if count[typ] != n {
			t.Errorf("%d %s, want %d", count[typ], typ, n)
		}
	}
	for _, want := range []string{`"WorkforceName":"biolake-lab-labeling"`, `"SourceIpConfig":{"Cidrs":["192.0.2.0/24"]}`} {
		if !strings.Contains(wf.String(), want) {
			t.Errorf("workforce %s lacks %s", wf.String(), want)
		}
	}
	if strings.Count(topics.String(), "OutputFnGetAttMLKey") != 2 {
		t.Errorf("topics %s, want both encrypted with the Security stack's ML key", topics.String())
	}
	if dl := asJSON(tpls["lab-DataLake"]); strings.Count(dl, `"Id":"GroundTruthLabelingPortal"`) != 1 {
		t.Error("the results bucket has no CORS rule for the labeling portal")
	}
	if !strings.Contains(asJSON(security), "AllowSageMakerLabelingNotifications") {
		t.Error("the ML key's policy does not let SageMaker use it for the teams' topics")
	}
}

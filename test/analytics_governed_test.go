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

// TestGovernedAnalyticsStage: an environment that configures the Cost and
// Usage Report and turns Lake Formation on (none of the shipped ones does)
// synthesizes, with the cost table over the payer's bucket, the cost query
// and the Lake Formation resources in its Analytics stack.
func TestGovernedAnalyticsStage(t *testing.T) {
	raw, err := os.ReadFile("../environments/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(string(raw), "name: dev\n", "name: gov\n", 1) + `
  costAndUsageReport:
    bucket: payer-cur-111111111111
    prefix: cur2/
    exportName: lab-cur2
    kmsKeyArn: arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab
  lakeFormation:
    enabled: true
    admins: ["arn:aws:iam::123456789012:role/DataLakeAdmin"]
    sampleMetadataReaders:
      - principal: arn:aws:iam::123456789012:role/SampleCurator
        columns: [run_id, profile, channel, verified_at]
`
	env, err := config.Parse("environments/gov.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
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
	var tpl map[string]any
	for _, st := range a.Stacks["gov"] {
		if st.Name == "gov-Analytics" {
			tpl = st.Template
		}
	}
	if tpl == nil {
		t.Fatal("no gov-Analytics stack")
	}
	count := map[string]int{}
	var text strings.Builder
	for _, r := range tpl["Resources"].(map[string]any) {
		m := r.(map[string]any)
		count[m["Type"].(string)]++
		text.WriteString(asJSON(m))
	}
	for typ, n := range map[string]int{
		"AWS::LakeFormation::DataLakeSettings": 1, "AWS::LakeFormation::Resource": 2,
		// The sample metadata reader's columns, and every table for the
		// SageMaker execution role (its analytics.GrantQuery).
		"AWS::LakeFormation::PrincipalPermissions": 2, "AWS::Athena::NamedQuery": 7,
	} {
		if count[typ] != n {
			t.Errorf("%d %s, want %d", count[typ], typ, n)
		}
	}
	for _, s := range []string{"s3://payer-cur-111111111111/cur2/lab-cur2/data/", `"Name":"cost_and_usage"`, "Cost by project", "SampleCurator", "MLExecutionRole"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("gov-Analytics lacks %s", s)
		}
	}
}

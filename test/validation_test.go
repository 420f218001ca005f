package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestBuiltinValidation synthesizes the production environment once with the
// built-in CloudFormation validation on and its default rules as errors
// (cdk.json sets @aws-cdk/core:validateAgainstDefaultRules): the synth must
// pass and the validation report must hold no failure.
func TestBuiltinValidation(t *testing.T) {
	dir := t.TempDir()
	s := &Synthesized{}
	if err := synthInto(dir, true, []string{"prod"}, s); err != nil {
		t.Fatalf("synth with validation: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "validation-report.json"))
	if os.IsNotExist(err) {
		return // no plugin reported anything
	}
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		PluginReports []struct {
			PluginName string `json:"pluginName"`
			Conclusion string `json:"conclusion"`
			Violations []struct {
				RuleName    string `json:"ruleName"`
				Description string `json:"description"`
				Severity    string `json:"severity"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.PluginReports {
		for _, v := range p.Violations {
			t.Errorf("%s: %s (%s): %s", p.PluginName, v.RuleName, v.Severity, v.Description)
		}
	}
}

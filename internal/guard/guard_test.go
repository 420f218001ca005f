package guard

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tools returns the binary and rules of the npm package, failing in CI
// when they are missing and skipping elsewhere (npm ci installs them).
func tools(t *testing.T) (string, []Rule) {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	bin := Binary(root)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (npm ci): %v", Package, err)
		}
		t.Skipf("%s is not installed (npm ci): %v", Package, err)
	}
	rules, err := LoadRules(RulesDir(root))
	require.NoError(t, err)
	return bin, rules
}

func load(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "template.json"))
	require.NoError(t, err)
	var tpl map[string]any
	require.NoError(t, json.Unmarshal(raw, &tpl))
	return tpl
}

func TestResolve(t *testing.T) {
	tpl := load(t)
	got := Resolve(tpl)
	p := got["Resources"].(map[string]any)["Trail"].(map[string]any)["Properties"].(map[string]any)
	assert.Equal(t, "resolved-test-Security-LogsKeyArn", p["KMSKeyId"])
	assert.Equal(t, "resolved-import-LogGroupArn", p["CloudWatchLogsLogGroupArn"])
	// The input is left as it was.
	orig := tpl["Resources"].(map[string]any)["Trail"].(map[string]any)["Properties"].(map[string]any)
	assert.Contains(t, orig["KMSKeyId"], "Fn::GetStackOutput")
}

// TestCheck runs the Control Tower rules over a small template: the launch
// template with hop limit 2 is refused (CT.EC2.PR.2), the one with 1 is not;
// the trail whose key and bucket are cross-stack references is not refused
// for them once they are resolved.
func TestCheck(t *testing.T) {
	bin, rules := tools(t)
	assert.Greater(t, len(rules), 200, "the Control Tower rules")
	findings, err := Check(bin, rules, "test-Stack", load(t))
	require.NoError(t, err)
	var lines []string
	for _, f := range findings {
		lines = append(lines, f.String())
	}
	all := strings.Join(lines, "\n")
	assert.Contains(t, all, "CT.EC2.PR.2 test-Stack HopTwo (Test/Batch/LaunchTemplate): Require that Amazon EC2 launch templates restrict the token hop limit to a maximum of one")
	assert.NotContains(t, all, "CT.EC2.PR.2 test-Stack HopOne")
	assert.NotContains(t, all, "CT.CLOUDTRAIL.PR.1", "the resolved key is a string")
	for _, f := range findings {
		assert.Regexp(t, `^CT\.[A-Z0-9]+\.PR\.\d+$`, f.Control, f.String())
		assert.NotEmpty(t, f.Message, f.String())
	}

	// Unresolved, the cross-stack key trips the rule: the reason Resolve
	// exists.
	trail := map[string]any{"Resources": map[string]any{"Trail": load(t)["Resources"].(map[string]any)["Trail"]}}
	findings, err = check(bin, rules, "test-Stack", trail, func(m map[string]any) map[string]any { return m })
	require.NoError(t, err)
	require.NotEmpty(t, findings)
	assert.Equal(t, "CT.CLOUDTRAIL.PR.1", findings[0].Control)
	findings, err = Check(bin, rules, "test-Stack", trail)
	require.NoError(t, err)
	assert.Empty(t, findings, "Check resolves before checking")
}

func TestParseNamesTheResource(t *testing.T) {
	report := `[{"name":"t","not_compliant":[{"Rule":{"name":"r","messages":{"custom_message":"\n [CT.S3.PR.9]: Require that an Amazon S3 bucket has S3 Object Lock activated\n [FIX]: x","error_message":null},
		"checks":[{"Clause":{"Unary":{"check":{"UnResolved":{"value":{"traversed_to":{"path":"/Resources/Bucket1/Properties","value":{}},"remaining_query":"ObjectLockEnabled"}}}}}}]}},
		{"Rule":{"name":"other_check","messages":{"custom_message":null,"error_message":null},"checks":[]}}]}]`
	got, err := Parse([]byte(report), "s")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, Finding{Control: "CT.S3.PR.9", Stack: "s", LogicalID: "Bucket1", Message: "Require that an Amazon S3 bucket has S3 Object Lock activated"}, got[0])
	assert.Equal(t, "other_check", got[1].Control, "a failure without a resource still fails")
	_, err = Parse([]byte("not json"), "s")
	assert.Error(t, err)
}

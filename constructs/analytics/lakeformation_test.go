package analytics_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/constructs/analytics"
	"github.com/biolake/biolake/constructs/analytics/athenasql"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/internal/cost"
)

const (
	adminArn   = "arn:aws:iam::123456789012:role/DataLakeAdmin"
	curatorArn = "arn:aws:iam::123456789012:role/SampleCurator"
)

// The governed stack: the lake, the analytics construct with the Cost and
// Usage Report of a payer account's bucket and Lake Formation on, and a
// role granted GrantQuery; held to cdk-nag and cfn-lint.
var (
	govOnce sync.Once
	govAsm  *cdktest.Assembly
	govA    *analytics.Analytics
)

func governed(t *testing.T) (*cdktest.Assembly, cdktest.CfnTemplate) {
	t.Helper()
	govOnce.Do(func() {
		govAsm = cdktest.Synth("ANALYTICS_KEEP_ASSEMBLY", func(app awscdk.App) []awscdk.Stack {
			stack := awscdk.NewStack(app, jsii.String("Governed"), nil)
			lake := newLake(stack)
			p := lakeProps(lake)
			p.CostReport = &analytics.CostReport{
				Bucket:     awss3.Bucket_FromBucketName(stack, jsii.String("PayerCur"), jsii.String("payer-cur-111111111111")),
				Prefix:     "cur2/",
				ExportName: "lab-cur2",
			}
			p.LakeFormation = &analytics.LakeFormation{
				Admins: []string{adminArn},
				SampleMetadataReaders: []analytics.ColumnReader{
					{Principal: curatorArn, Columns: []string{"run_id", "profile", "channel", "verified_at"}},
				},
			}
			govA = analytics.New(stack, "Analytics", p)
			role := awsiam.NewRole(stack, jsii.String("Scientist"), &awsiam.RoleProps{AssumedBy: awsiam.NewAccountRootPrincipal()})
			nag.SuppressDeferred(role, nag.Rule{ID: "AwsSolutions-IAM5", Reason: "The test's querying role: GrantQuery's object ARNs are the tables' prefixes ending in /*, " +
				"and lakeformation:GetDataAccess has no resource-level permissions."})
			nag.SuppressDeferred(role, nag.InAllPacks("The test's querying role holds GrantQuery's statements inline, as a lab's role would.",
				"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
			govA.GrantQuery(role)
			govA.GrantQuery(role) // a second grant adds no second Lake Formation grant
			return []awscdk.Stack{stack}
		})
	})
	govAsm.Check(t)
	return govAsm, govAsm.Templates["Governed"]
}

func ofType(tpl cdktest.CfnTemplate, typ string) map[string]cdktest.Resource {
	out := map[string]cdktest.Resource{}
	for id, r := range tpl.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

func TestCostTable(t *testing.T) {
	_, tpl := governed(t)
	var cur map[string]any
	for _, r := range ofType(tpl, "AWS::Glue::Table") {
		in := r.Properties["TableInput"].(map[string]any)
		if in["Name"] == athenasql.TableCostAndUsage {
			cur = in
		}
	}
	require.NotNil(t, cur, "no cost_and_usage table")
	loc := cdktest.Render(cdktest.Get(cur, "StorageDescriptor", "Location"))
	assert.Equal(t, "s3://payer-cur-111111111111/cur2/lab-cur2/data/", loc)
	p := cur["Parameters"].(map[string]any)
	assert.Equal(t, "true", p["projection.enabled"])
	assert.Equal(t, "date", p["projection.billing_period.type"])
	assert.Equal(t, "yyyy-MM", p["projection.billing_period.format"])
	assert.Equal(t, "2024-01,NOW", p["projection.billing_period.range"])
	assert.Equal(t, "MONTHS", p["projection.billing_period.interval.unit"])
	assert.Equal(t, loc+"BILLING_PERIOD=${billing_period}/", p["storage.location.template"])
	assert.Equal(t, []any{map[string]any{"Name": "billing_period", "Type": "string"}}, cur["PartitionKeys"])
	var cols []athenasql.Column
	for _, c := range cdktest.Get(cur, "StorageDescriptor", "Columns").([]any) {
		m := c.(map[string]any)
		cols = append(cols, athenasql.Column{Name: m["Name"].(string), Type: m["Type"].(string)})
	}
	assert.Equal(t, athenasql.CostColumns(), cols)

	// The query exists with the table, over the user_project key.
	var sqls []string
	for _, q := range ofType(tpl, "AWS::Athena::NamedQuery") {
		if q.Properties["Name"] == "Cost by project" {
			sqls = append(sqls, q.Properties["QueryString"].(string))
		}
	}
	require.Len(t, sqls, 1)
	assert.Contains(t, sqls[0], "'user_project'")
	assert.Contains(t, sqls[0], "FROM cost_and_usage")
}

// TestNoCostQueryWithoutTheTable: without a cost report, neither the table
// nor the query exists.
func TestNoCostQueryWithoutTheTable(t *testing.T) {
	tpl, a := synth(t)
	_, ok := a.NamedQueries["cost_by_project"]
	assert.False(t, ok)
	for _, r := range resources(tpl, "AWS::Glue::Table") {
		assert.NotEqual(t, athenasql.TableCostAndUsage, r["TableInput"].(map[string]any)["Name"])
	}
	assert.Empty(t, resources(tpl, "AWS::LakeFormation::DataLakeSettings"), "Lake Formation is off by default")
	assert.Empty(t, resources(tpl, "AWS::LakeFormation::Resource"))
}

// TestGrantQueryReadsTheCostReport: the grant reaches the export's data
// prefix of the payer's bucket, and no other part of it.
func TestGrantQueryReadsTheCostReport(t *testing.T) {
	_, tpl := governed(t)
	var objects, lists []string
	for id, p := range ofType(tpl, "AWS::IAM::Policy") {
		if !strings.HasPrefix(id, "Scientist") {
			continue
		}
		for _, s := range cdktest.Statements(p.Properties["PolicyDocument"]) {
			res := cdktest.Render(s["Resource"])
			if !strings.Contains(res, "payer-cur-111111111111") {
				continue
			}
			switch {
			case cdktest.HasAction(s, "s3:GetObject"):
				objects = append(objects, res)
			case cdktest.HasAction(s, "s3:ListBucket"):
				lists = append(lists, cdktest.Render(s["Condition"]))
			}
		}
	}
	require.Len(t, objects, 1)
	assert.Contains(t, objects[0], "payer-cur-111111111111/cur2/lab-cur2/data/*")
	require.Len(t, lists, 1)
	assert.Contains(t, lists[0], "cur2/lab-cur2/data/")
}

func TestLakeFormationMode(t *testing.T) {
	_, tpl := governed(t)

	settings := ofType(tpl, "AWS::LakeFormation::DataLakeSettings")
	require.Len(t, settings, 1)
	for _, s := range settings {
		assert.Equal(t, "APPEND", s.Properties["MutationType"], "never replace the account's admins")
		admins := cdktest.Render(s.Properties["Admins"])
		assert.Contains(t, admins, adminArn)
		assert.Contains(t, admins, "cfn-exec-role", "the deploying role is an admin, or the grants fail")
	}

	// The database gives new tables no IAMAllowedPrincipals grant.
	for _, d := range ofType(tpl, "AWS::Glue::Database") {
		assert.Equal(t, []any{}, cdktest.Get(d.Properties, "DatabaseInput", "CreateTableDefaultPermissions"))
	}

	// The catalog's and the inventories' prefixes are registered with the
	// construct's role, which reads them (and decrypts through S3).
	var registered []string
	for _, r := range ofType(tpl, "AWS::LakeFormation::Resource") {
		assert.Equal(t, false, r.Properties["UseServiceLinkedRole"])
		assert.Contains(t, cdktest.Render(r.Properties["RoleArn"]), "AnalyticsDataAccessRole")
		registered = append(registered, cdktest.Render(r.Properties["ResourceArn"]))
	}
	sort.Strings(registered)
	require.Len(t, registered, 2)
	assert.True(t, strings.HasSuffix(registered[0], "/catalog") || strings.HasSuffix(registered[1], "/catalog"), "%v", registered)
	assert.True(t, strings.HasSuffix(registered[0], "/inventory") || strings.HasSuffix(registered[1], "/inventory"), "%v", registered)
	for _, r := range registered {
		assert.NotContains(t, r, "payer-cur", "the payer's bucket is not the lab's to register")
	}
	for _, r := range ofType(tpl, "AWS::IAM::Role") {
		if strings.Contains(cdktest.Render(r.Properties["AssumeRolePolicyDocument"]), "lakeformation.amazonaws.com") {
			return
		}
	}
	t.Error("no role Lake Formation can assume")
}

func TestLakeFormationGrants(t *testing.T) {
	_, tpl := governed(t)
	var columns, wildcard []cdktest.Resource
	for _, r := range ofType(tpl, "AWS::LakeFormation::PrincipalPermissions") {
		if cdktest.Get(r.Properties, "Resource", "TableWithColumns") != nil {
			columns = append(columns, r)
		} else {
			wildcard = append(wildcard, r)
		}
	}
	require.Len(t, columns, 1)
	c := columns[0]
	assert.Equal(t, curatorArn, cdktest.Get(c.Properties, "Principal", "DataLakePrincipalIdentifier"))
	assert.Equal(t, []any{"SELECT"}, c.Properties["Permissions"])
	assert.Equal(t, []any{}, c.Properties["PermissionsWithGrantOption"])
	twc := cdktest.Get(c.Properties, "Resource", "TableWithColumns").(map[string]any)
	assert.Equal(t, "runs", twc["Name"])
	assert.Equal(t, []any{"run_id", "profile", "channel", "verified_at"}, twc["ColumnNames"])
	assert.Contains(t, cdktest.Render(c.DependsOn), "DataLakeSettings", "granted once the deploying role is an admin")

	// GrantQuery: SELECT and DESCRIBE on every table for the role, once,
	// and GetDataAccess in its policy.
	require.Len(t, wildcard, 1)
	w := wildcard[0]
	assert.Contains(t, cdktest.Render(cdktest.Get(w.Properties, "Principal", "DataLakePrincipalIdentifier")), "Scientist")
	assert.Equal(t, []any{"DESCRIBE", "SELECT"}, w.Properties["Permissions"])
	assert.Equal(t, map[string]any{}, cdktest.Get(w.Properties, "Resource", "Table", "TableWildcard"))
	found := false
	for id, p := range ofType(tpl, "AWS::IAM::Policy") {
		if strings.HasPrefix(id, "Scientist") {
			for _, s := range cdktest.Statements(p.Properties["PolicyDocument"]) {
				found = found || cdktest.HasAction(s, "lakeformation:GetDataAccess")
			}
		}
	}
	assert.True(t, found, "GrantQuery without lakeformation:GetDataAccess")
}

// TestGrantWorkGroup: a sample metadata reader's own role gets the
// workgroup, the metadata, the results and GetDataAccess, but no object of
// a table's location and no Lake Formation grant beyond its columns.
func TestGrantWorkGroup(t *testing.T) {
	var tpl map[string]any
	msg, _ := cdktest.Catch(func() {
		app, stack := cdktest.NewStack("Reader")
		lake := newLake(stack)
		p := lakeProps(lake)
		p.LakeFormation = &analytics.LakeFormation{Admins: []string{adminArn},
			SampleMetadataReaders: []analytics.ColumnReader{{Principal: curatorArn, Columns: []string{"run_id"}}}}
		a := analytics.New(stack, "Analytics", p)
		a.GrantWorkGroup(awsiam.Role_FromRoleArn(stack, jsii.String("Curator"), jsii.String(curatorArn), nil))
		tpl = app.Synth(nil).GetStackArtifact(stack.ArtifactId()).Template().(map[string]any)
	})
	require.Empty(t, msg)
	var actions, objects []string
	for id, p := range resources(tpl, "AWS::IAM::Policy") {
		if !strings.HasPrefix(id, "Curator") {
			continue
		}
		for _, s := range cdktest.Statements(p["PolicyDocument"]) {
			actions = append(actions, asStrings(s["Action"])...)
			if cdktest.HasAction(s, "s3:GetObject") {
				objects = append(objects, cdktest.Render(s["Resource"]))
			}
		}
	}
	assert.Contains(t, actions, "athena:StartQueryExecution")
	assert.Contains(t, actions, "glue:GetTable")
	assert.Contains(t, actions, "lakeformation:GetDataAccess")
	require.Len(t, objects, 1)
	assert.Contains(t, objects[0], "/athena/*", "the results prefix only")
	assert.Len(t, resources(tpl, "AWS::LakeFormation::PrincipalPermissions"), 1, "the reader's columns only")
}

// TestGovernedNag and TestGovernedCfnLint hold the Lake Formation and cost
// report resources to the rule packs and to cfn-lint.
func TestGovernedNag(t *testing.T) {
	a, _ := governed(t)
	a.NagGate(t, "/Analytics/", "analytics")
}

func TestGovernedCfnLint(t *testing.T) {
	a, _ := governed(t)
	cdktest.CfnLint(t, a.TemplateFiles())
}

// TestGovernedTypesArePriced: the cost model knows every resource type of
// the governed stack (the Lake Formation types are not in the shipped
// environments, whose gate is test/cost_test.go).
func TestGovernedTypesArePriced(t *testing.T) {
	a, _ := governed(t)
	raw, err := os.ReadFile(filepath.Join(a.Dir, "Governed.template.json"))
	require.NoError(t, err)
	var tpl map[string]any
	require.NoError(t, json.Unmarshal(raw, &tpl))
	p, err := cost.LoadPrices()
	require.NoError(t, err)
	for _, it := range cost.PriceTemplate("Governed", "us-east-1", tpl, p) {
		assert.NotEqual(t, cost.ClassUnpriced, it.Class, "%s %s: %s", it.LogicalID, it.Type, it.Note)
	}
}

// TestGrantQueryNeedsARoleInLakeFormationMode: a grantee without an ARN
// (a service principal) cannot be a Lake Formation principal.
func TestGrantQueryNeedsARoleInLakeFormationMode(t *testing.T) {
	msg, panicked := cdktest.Catch(func() {
		_, stack := cdktest.NewStack("Principal")
		lake := newLake(stack)
		p := lakeProps(lake)
		p.LakeFormation = &analytics.LakeFormation{Admins: []string{adminArn}}
		analytics.New(stack, "Analytics", p).GrantQuery(awsiam.NewServicePrincipal(jsii.String("glue.amazonaws.com"), nil))
	})
	require.True(t, panicked)
	assert.Contains(t, msg, "GrantQuery(grantee)")
	assert.Contains(t, msg, "a role or user")
}

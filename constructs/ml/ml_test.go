package ml_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/constructs/network"
)

// TestDomainNetworkModeAndKey: every domain is VpcOnly with IAM
// authentication, on the network's private subnets, its storage encrypted
// with the key created or supplied, idle shutdown on for JupyterLab and
// Code Editor, notebook sharing off.
func TestDomainNetworkModeAndKey(t *testing.T) {
	f := load(t)
	cases := []struct {
		stack, key, subnets string
		idle                float64
		name                string
	}{
		{"Isolated", `{"Fn::GetAtt":["MLKey6D7C5A7A","Arn"]}`, "privateSubnet", 120, "Isolated-ML"},
		{"Nat", `{"Fn::GetAtt":["OwnKey`, "privateSubnet", ml.DefaultIdleTimeoutMinutes, "Nat-ML"},
		{"BYO", `"` + suppliedKeyArn + `"`, `"subnet-0`, ml.DefaultIdleTimeoutMinutes, "BYO-ML"},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			_, d := f.one(t, c.stack, "AWS::SageMaker::Domain")
			p := d.Properties
			if p["AppNetworkAccessType"] != "VpcOnly" || p["AuthMode"] != "IAM" {
				t.Errorf("AppNetworkAccessType %v, AuthMode %v; want VpcOnly, IAM", p["AppNetworkAccessType"], p["AuthMode"])
			}
			if got := js(p["KmsKeyId"]); !strings.HasPrefix(got, c.key) {
				t.Errorf("KmsKeyId = %s, want %s...", got, c.key)
			}
			if p["DomainName"] != c.name || f.domains[c.stack].DomainName() != c.name {
				t.Errorf("DomainName = %v, want %s", p["DomainName"], c.name)
			}
			subnets := p["SubnetIds"].([]any)
			if len(subnets) != 2 {
				t.Errorf("%d subnets, want 2", len(subnets))
			}
			for _, s := range subnets {
				if !strings.Contains(js(s), c.subnets) {
					t.Errorf("subnet %s is not a private one (%s)", js(s), c.subnets)
				}
			}
			for _, app := range []string{"JupyterLabAppSettings", "CodeEditorAppSettings"} {
				idle := cdktest.Get(p, "DefaultUserSettings", app, "AppLifecycleManagement", "IdleSettings")
				m, _ := idle.(map[string]any)
				if m["LifecycleManagement"] != "ENABLED" || m["IdleTimeoutInMinutes"] != c.idle || m["MaxIdleTimeoutInMinutes"] != c.idle {
					t.Errorf("%s idle settings = %s, want ENABLED after %v minutes, at most %v", app, js(idle), c.idle, c.idle)
				}
			}
			if got := cdktest.Get(p, "DefaultUserSettings", "SharingSettings", "NotebookOutputOption"); got != "Disabled" {
				t.Errorf("NotebookOutputOption = %v, want Disabled", got)
			}
			for _, where := range []string{"DefaultUserSettings", "DefaultSpaceSettings"} {
				if got := js(cdktest.Get(p, where, "SecurityGroups")); !strings.Contains(got, "MLSecurityGroup") {
					t.Errorf("%s.SecurityGroups = %s, want the domain's group", where, got)
				}
				if got := js(cdktest.Get(p, where, "ExecutionRole")); !strings.Contains(got, "MLExecutionRole") {
					t.Errorf("%s.ExecutionRole = %s, want the construct's role", where, got)
				}
			}
		})
	}
	if got := len(f.OfTypeByID("Nat", "AWS::KMS::Key", "ML")); got != 0 {
		t.Errorf("Nat: %d keys created under ML with a key supplied, want 0", got)
	}
}

// TestEndpointsRequired: the domain requires the SageMaker API, runtime
// and Studio endpoints, STS, Logs and (with Query) Athena; the isolated
// network creates them, the NAT network without endpoints creates none.
func TestEndpointsRequired(t *testing.T) {
	f := load(t)
	iso := f.nets["Isolated"].(*network.Network)
	want := append(slices.Clone(ml.Endpoints), network.EndpointAthena)
	var got []network.Endpoint
	for _, r := range iso.Requirements() {
		if r.Construct == "Isolated/ML" {
			got = append(got, r.Endpoint)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Isolated/ML requires %v, want %v", got, want)
	}
	for _, e := range want {
		if iso.InterfaceEndpoint(e) == nil {
			t.Errorf("the isolated network has no %s endpoint", e)
		}
	}
	studio := 0
	for _, r := range f.OfTypeByID("Isolated", "AWS::EC2::VPCEndpoint", "") {
		if strings.Contains(js(r.Properties["ServiceName"]), `"aws.sagemaker.",{"Ref":"AWS::Region"},".studio"`) {
			studio++
		}
	}
	if studio != 1 {
		t.Errorf("%d Studio endpoints (aws.sagemaker.<region>.studio), want 1", studio)
	}
	if n := f.nets["Nat"].(*network.Network).InterfaceEndpoints(); len(n) != 0 {
		t.Errorf("Nat network without endpoints created %v", n)
	}
}

// TestSecurityGroup: nothing comes in but from the group itself (NFS and
// the apps' ports); out, the same and HTTPS.
func TestSecurityGroup(t *testing.T) {
	f := load(t)
	for _, stack := range []string{"Isolated", "Nat", "BYO"} {
		sgs := f.OfType(stack, "AWS::EC2::SecurityGroup", "ML/")
		if len(sgs) != 1 {
			t.Fatalf("%s: %d security groups under ML, want 1", stack, len(sgs))
		}
		for _, sg := range sgs {
			if in := sg.Properties["SecurityGroupIngress"]; in != nil {
				t.Errorf("%s: inline ingress %s, want none", stack, js(in))
			}
			egress := js(sg.Properties["SecurityGroupEgress"])
			if !strings.Contains(egress, `"FromPort":443`) || strings.Count(egress, "CidrIp") != 1 {
				t.Errorf("%s: egress %s, want HTTPS out only (besides the group's own rules)", stack, egress)
			}
		}
		var ports []string
		for path, r := range f.OfType(stack, "AWS::EC2::SecurityGroupIngress", "ML/") {
			p := r.Properties
			if p["CidrIp"] != nil || p["CidrIpv6"] != nil || !strings.Contains(js(p["SourceSecurityGroupId"]), "MLSecurityGroup") {
				t.Errorf("%s: %s lets in %s, want only the group itself", stack, path, js(p))
			}
			ports = append(ports, js(p["FromPort"])+"-"+js(p["ToPort"]))
		}
		sort.Strings(ports)
		if want := []string{"2049-2049", "8192-65535"}; !slices.Equal(ports, want) {
			t.Errorf("%s: ingress ports %v, want %v", stack, ports, want)
		}
	}
}

// executionStatements returns every statement of every policy of the
// execution role in stack: its default policy and the Studio policy.
func executionStatements(t *testing.T, f *fixture, stack string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, p := range f.OfType(stack, "AWS::IAM::Policy", "ML/ExecutionRole/") {
		out = append(out, cdktest.Statements(p.Properties["PolicyDocument"])...)
	}
	for _, p := range f.OfType(stack, "AWS::IAM::ManagedPolicy", "ML/") {
		out = append(out, cdktest.Statements(p.Properties["PolicyDocument"])...)
	}
	if len(out) == 0 {
		t.Fatalf("%s: the execution role has no statements", stack)
	}
	return out
}

func actions(s map[string]any) []string {
	switch a := s["Action"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

// TestExecutionRoleReach: the execution role trusts SageMaker of this
// account only; no action has a wildcard; S3 writes reach only the ML
// prefix of the results bucket (and the offline store's ACL under it);
// key actions name a key, never "*"; only List calls take "*". The one
// other write is Athena's query results (GrantQuery) in the athena-results
// bucket.
func TestExecutionRoleReach(t *testing.T) {
	f := load(t)
	for _, c := range []struct{ stack, prefix string }{{"Isolated", "/ml/"}, {"Nat", "/ml/"}, {"BYO", "/models/sagemaker/"}} {
		t.Run(c.stack, func(t *testing.T) {
			_, role := f.Res(t, c.stack, "ML/ExecutionRole")
			trust := js(role.Properties["AssumeRolePolicyDocument"])
			if !strings.Contains(trust, `"Service":"sagemaker.amazonaws.com"`) || !strings.Contains(trust, `"aws:SourceAccount"`) {
				t.Errorf("trust policy %s, want SageMaker of this account", trust)
			}
			writes := 0
			for _, s := range executionStatements(t, f, c.stack) {
				res := js(s["Resource"])
				for _, a := range actions(s) {
					if strings.Contains(a, "*") {
						t.Errorf("wildcard action %s on %s", a, res)
					}
					service := a[:strings.Index(a, ":")]
					switch {
					case (a == "s3:PutObject") && strings.Contains(res, "AthenaResults") && strings.Contains(res, "/athena/*"):
						// Athena's query results, through the workgroup (GrantQuery).
					case a == "s3:PutObject" || a == "s3:DeleteObject" || a == "s3:PutObjectAcl":
						writes++
						if !strings.Contains(res, c.prefix) || strings.Contains(res, "Curated") {
							t.Errorf("%s on %s, want only under %s of the results bucket", a, res, c.prefix)
						}
					case (service == "kms" || service == "s3") && res == `"*"`:
						t.Errorf("%s on every resource", a)
					case res == `"*"` && !strings.HasPrefix(a, "sagemaker:List"):
						t.Errorf("%s on \"*\": only List calls may take every resource", a)
					}
				}
			}
			if writes == 0 {
				t.Error("the role writes nothing: the ML prefix grant is missing")
			}
		})
	}
}

// TestRegistryAndFeatureGroup: the model package group is named from the
// domain; the feature group's offline store lies under the ML prefix with
// the results bucket's key, its online store uses the domain's key, and
// no Glue table is created.
func TestRegistryAndFeatureGroup(t *testing.T) {
	f := load(t)
	_, g := f.one(t, "Isolated", "AWS::SageMaker::ModelPackageGroup")
	if g.Properties["ModelPackageGroupName"] != "Isolated-ML-models" || f.domains["Isolated"].ModelPackageGroupName() != "Isolated-ML-models" {
		t.Errorf("ModelPackageGroupName = %v", g.Properties["ModelPackageGroupName"])
	}
	_, fg := f.one(t, "Isolated", "AWS::SageMaker::FeatureGroup")
	off := js(fg.Properties["OfflineStoreConfig"])
	for _, want := range []string{`"DisableGlueTableCreation":true`, `"/ml/feature-store/"`, `"KmsKeyId":{"Fn::GetAtt":["DataLakeDataKey`} {
		if !strings.Contains(off, want) {
			t.Errorf("OfflineStoreConfig %s lacks %s", off, want)
		}
	}
	if on := js(fg.Properties["OnlineStoreConfig"]); on != `{"EnableOnlineStore":true,"SecurityConfig":{"KmsKeyId":{"Fn::GetAtt":["MLKey6D7C5A7A","Arn"]}}}` {
		t.Errorf("OnlineStoreConfig = %s", on)
	}
	if n := len(f.OfTypeByID("Nat", "AWS::SageMaker::FeatureGroup", "")); n != 0 {
		t.Errorf("Nat: %d feature groups without one asked for", n)
	}
	if n := len(f.OfTypeByID("Isolated", "AWS::SageMaker::UserProfile", "")); n != 2 {
		t.Errorf("Isolated: %d user profiles, want 2", n)
	}
}

// TestGrants: GrantOpenStudio reaches one profile's presigned URL;
// GrantPassExecutionRole passes the role to SageMaker only;
// GrantRegisterModels reaches the group and its versions.
func TestGrants(t *testing.T) {
	f := load(t)
	policy := func(role string) string {
		var b strings.Builder
		for _, p := range f.OfType("Isolated", "AWS::IAM::Policy", role+"/") {
			b.WriteString(js(p.Properties["PolicyDocument"]))
		}
		return b.String()
	}
	sci := policy("Scientist")
	if !strings.Contains(sci, `"sagemaker:CreatePresignedDomainUrl"`) || !strings.Contains(sci, `"/jdoe"`) || strings.Contains(sci, "lab-bot") {
		t.Errorf("scientist policy %s, want the presigned URL of jdoe only", sci)
	}
	pipe := policy("Pipeline")
	for _, want := range []string{`"iam:PassRole"`, `"iam:PassedToService":"sagemaker.amazonaws.com"`, `"sagemaker:CreateModelPackage"`, `:model-package/Isolated-ML-models/*"`} {
		if !strings.Contains(pipe, want) {
			t.Errorf("pipeline policy lacks %s: %s", want, pipe)
		}
	}
}

package iamproof

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biolake/biolake/internal/assembly"
)

// fixture is a two-stack environment "t": t-Data holds a KMS-encrypted
// bucket with a TLS-only policy, its key and a topic for EventBridge; t-App
// a function whose role reaches them through Fn::GetStackOutput.
func fixture(t *testing.T, account string) *Env {
	t.Helper()
	var stacks []*assembly.Stack
	for _, name := range []string{"t-App", "t-Data"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name+".template.json"))
		if err != nil {
			t.Fatal(err)
		}
		st := &assembly.Stack{Stage: "t", Name: name, Account: account, Region: "unknown-region"}
		if err := json.Unmarshal(raw, &st.Template); err != nil {
			t.Fatal(err)
		}
		stacks = append(stacks, st)
	}
	e, err := New("t", stacks)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func nodeOrSkip(t *testing.T) {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "@cloud-copilot", "iam-simulate")); err != nil {
		if os.Getenv("BIOLAKE_REQUIRE_MOTO") == "1" {
			t.Fatalf("the IAM simulator is not installed (make tools): %v", err)
		}
		t.Skipf("the IAM simulator is not installed (make tools): %v", err)
	}
}

func TestResolveAcrossStacks(t *testing.T) {
	e := fixture(t, "unknown-account")
	bucket, err := e.ARN("RawBucket")
	if err != nil {
		t.Fatal(err)
	}
	if bucket != "arn:aws:s3:::t-data-rawbucket0a1b2c3d" {
		t.Errorf("bucket ARN = %s", bucket)
	}
	fn, err := e.FunctionRole("Fn")
	if err != nil {
		t.Fatal(err)
	}
	if fn.ARN != "arn:aws:iam::123456789012:role/t-App-FnServiceRole5E6F7A8B" {
		t.Errorf("role ARN = %s", fn.ARN)
	}
	var names []string
	for _, p := range fn.Policies {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, ","); got != "aws:AWSLambdaBasicExecutionRole,t-App/FnServiceRoleDefaultPolicy1A2B3C4D" {
		t.Errorf("policies = %s", got)
	}
	doc, _ := json.Marshal(fn.Policies[1].Document)
	for _, want := range []string{
		`"arn:aws:s3:::t-data-rawbucket0a1b2c3d/runs/*"`,
		`"arn:aws:kms:us-east-1:123456789012:key/key-datakey11223344"`,
		`"s3.us-east-1.amazonaws.com"`,
		`"Resource":"arn:aws:s3:::t-data-rawbucket0a1b2c3d"`,
	} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("resolved policy lacks %s:\n%s", want, doc)
		}
	}
	fnRes, _ := e.Lookup("Fn")
	env, err := e.Resolve(fnRes.Stack, fnRes.Properties["Environment"])
	if err != nil {
		t.Fatal(err)
	}
	if b := env.(map[string]any)["Variables"].(map[string]any)["BUCKET"]; b != "t-data-rawbucket0a1b2c3d" {
		t.Errorf("BUCKET = %v", b)
	}
	if arn, err := e.ARN("ServerIdParam"); err != nil || arn != "arn:aws:ssm:us-east-1:123456789012:parameter/biolake/t-App/server-id" {
		t.Errorf("parameter ARN = %s, %v", arn, err)
	}
	if got := e.Label(bucket + "/runs/*"); got != "<RawBucket0A1B2C3D>/runs/*" {
		t.Errorf("Label = %s", got)
	}
}

func TestLiteralAccount(t *testing.T) {
	e := fixture(t, "222222222222")
	key, err := e.ARN("DataKey")
	if err != nil {
		t.Fatal(err)
	}
	if key != "arn:aws:kms:us-east-1:222222222222:key/key-datakey11223344" {
		t.Errorf("key ARN = %s", key)
	}
}

func TestUnknownManagedPolicyFails(t *testing.T) {
	e := fixture(t, "unknown-account")
	_, err := e.Role("OddRole")
	if err == nil || !strings.Contains(err.Error(), "AdministratorAccess") || !strings.Contains(err.Error(), "ManagedPolicies") {
		t.Fatalf("err = %v, want one naming AdministratorAccess and ManagedPolicies", err)
	}
}

func TestLookupErrors(t *testing.T) {
	e := fixture(t, "unknown-account")
	if _, err := e.Lookup("Nope"); err == nil || !strings.Contains(err.Error(), `no resource "Nope"`) {
		t.Errorf("err = %v", err)
	}
	if _, err := e.Lookup("Data/RawBucket"); err != nil {
		t.Errorf("qualified lookup: %v", err)
	}
}

func TestEvaluate(t *testing.T) {
	nodeOrSkip(t)
	e := fixture(t, "unknown-account")
	fn, err := e.FunctionRole("Fn")
	if err != nil {
		t.Fatal(err)
	}
	bucket, _ := e.ARN("RawBucket")
	key, _ := e.ARN("DataKey")
	topic, _ := e.ARN("AlarmTopic")
	via := map[string][]string{"kms:ViaService": {"s3.us-east-1.amazonaws.com"}}
	reqs := []Request{
		{Principal: fn, Call: "s3.GetObject runs/a", Action: "s3:GetObject", Resource: bucket + "/runs/a"},
		{Principal: fn, Call: "s3.GetObject other/a", Action: "s3:GetObject", Resource: bucket + "/other/a"},
		{Principal: fn, Call: "s3.ListObjectsV2 runs/", Action: "s3:ListBucket", Resource: bucket, Context: map[string][]string{"s3:prefix": {"runs/x/"}}},
		{Principal: fn, Call: "s3.ListObjectsV2 other/", Action: "s3:ListBucket", Resource: bucket, Context: map[string][]string{"s3:prefix": {"other/"}}},
		{Principal: fn, Call: "s3.GetObject runs/a (SSE-KMS)", Action: "kms:Decrypt", Resource: key, Context: via},
		{Principal: fn, Call: "kms.Decrypt", Action: "kms:Decrypt", Resource: key},
		{Principal: fn, Call: "s3.DeleteObject logs/x", Action: "s3:DeleteObject", Resource: bucket + "/logs/x"},
		{Principal: e.Service("events.amazonaws.com"), Call: "rule r1 target", Action: "sns:Publish", Resource: topic,
			Context: map[string][]string{"aws:SourceArn": {"arn:aws:events:us-east-1:123456789012:rule/r1"}}},
		{Principal: e.Service("cloudwatch.amazonaws.com"), Call: "alarm action", Action: "sns:Publish", Resource: topic,
			Context: map[string][]string{"aws:SourceArn": {"arn:aws:cloudwatch:us-east-1:123456789012:alarm:a"}}},
		{Principal: e.Service("lambda.amazonaws.com"), Call: "assume", Action: "sts:AssumeRole", Resource: fn.ARN},
	}
	rep, err := Evaluate(reqs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked != len(reqs) {
		t.Errorf("Checked = %d", rep.Checked)
	}
	want := []bool{true, false, true, false, true, false, false, true, false, true}
	for i, d := range rep.Decisions {
		if d.Allowed() != want[i] {
			t.Errorf("%s: allowed = %v, want %v", d, d.Allowed(), want[i])
		}
	}
	denied := rep.Decisions[1].String()
	if !strings.Contains(denied, "t-App/FnServiceRole5E6F7A8B (function Fn1A2B3C4D): s3.GetObject other/a needs s3:GetObject on <RawBucket0A1B2C3D>/other/a: ImplicitlyDenied") ||
		!strings.Contains(denied, "no statement of the identity policies") {
		t.Errorf("denial reads %q", denied)
	}
	if s := rep.Decisions[6].String(); !strings.Contains(s, "ExplicitlyDenied") || !strings.Contains(s, "DenyOldLogs") {
		t.Errorf("explicit denial reads %q", s)
	}
	if s := rep.Decisions[8].String(); !strings.Contains(s, "resource policy t-Data/AlarmTopicPolicyDDCCBBAA") {
		t.Errorf("service denial reads %q", s)
	}

	unused, err := Unused([]*Principal{fn}, rep)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, u := range unused {
		lines = append(lines, u.String())
	}
	if got := strings.Join(lines, "\n"); got != "t t-App/FnServiceRole5E6F7A8B (function Fn1A2B3C4D) s3:GetObjectVersion <RawBucket0A1B2C3D>/runs/*" {
		t.Errorf("unused grants:\n%s", got)
	}
}

func TestDescribeAndExpand(t *testing.T) {
	nodeOrSkip(t)
	info, err := Describe([]string{"s3:PutObject", "states:SendTaskSuccess"})
	if err != nil {
		t.Fatal(err)
	}
	if info["s3:PutObject"].AccessLevel != "Write" {
		t.Errorf("s3:PutObject = %+v", info["s3:PutObject"])
	}
	if _, err := Describe([]string{"s3:ListObjectsV2"}); err == nil {
		t.Error("Describe accepted s3:ListObjectsV2, which is an API operation, not an action")
	}
	exp, err := Expand([]string{"kms:GenerateDataKey*"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(exp["kms:GenerateDataKey*"], ","); got != "kms:GenerateDataKey,kms:GenerateDataKeyPair,kms:GenerateDataKeyPairWithoutPlaintext,kms:GenerateDataKeyWithoutPlaintext" {
		t.Errorf("expanded = %s", got)
	}
}

// A key policy conditioned on the encryption context (as EventBridge's
// bus statement is) is evaluated with the request's context: allowed with
// the bus's ARN, denied with another's. The simulator alone ignores every
// kms:EncryptionContext:<key> and would deny both.
func TestEncryptionContextConditions(t *testing.T) {
	nodeOrSkip(t)
	e := fixture(t, "unknown-account")
	key, _ := e.ARN("DataKey")
	bus := "arn:aws:events:us-east-1:123456789012:event-bus/b"
	policy := &Policy{Name: "bus key", Document: map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"},
			"Action": []any{"kms:GenerateDataKey"}, "Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{"kms:EncryptionContext:aws:events:event-bus:arn": bus}},
		}},
	}}
	ev := e.Service("events.amazonaws.com")
	var reqs []Request
	for _, b := range []string{bus, bus + "-other"} {
		reqs = append(reqs, Request{Principal: ev, Call: "bus " + b, Action: "kms:GenerateDataKey", Resource: key, ResourcePolicy: policy,
			Context: map[string][]string{"kms:EncryptionContext:aws:events:event-bus:arn": {b}}})
	}
	rep, err := Evaluate(reqs)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Decisions[0].Allowed() || rep.Decisions[1].Allowed() {
		t.Errorf("decisions %v, %v: want the bus's own context allowed and another's denied", rep.Decisions[0], rep.Decisions[1])
	}
	if _, ok := policy.Document["Statement"].([]any)[0].(map[string]any)["Condition"].(map[string]any)["StringEquals"].(map[string]any)["kms:EncryptionContext:aws:events:event-bus:arn"]; !ok {
		t.Error("Evaluate changed the caller's policy document")
	}
}

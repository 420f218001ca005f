package test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/biolake/biolake/internal/gatewayactivate"
	"github.com/biolake/biolake/internal/iamproof"
	"github.com/biolake/biolake/internal/mototest"
)

// handlerFunctions names, for each handler whose AWS calls the moto tests
// record (testdata/awscalls/<handler>.json), the Lambda functions that run
// it, by logical id without CDK's hash. Every Go function of every
// environment must be here: a function that is not fails the proof.
var handlerFunctions = map[string]string{
	"ingest":                     "EventGlueIngest",
	"verify":                     "EventGlueVerify",
	"restore":                    "EventGlueRestore",
	"samples":                    "EventGlueSamples",
	"transferidp":                "TransferIdentityProvider",
	"cacherefresh":               "FileGatewayCacheRefresh",
	"gatewayactivate-onevent":    "FileGatewayActivationOnEvent",
	"gatewayactivate-iscomplete": "FileGatewayActivationIsComplete",
	"fsxage":                     "LustreRunAgeCheckFunction",
}

// callRoles maps the roles the moto tests give resource names
// (mototest.Recorder.Name) to the resources of the synthesized templates
// that play them, by logical id without hash.
var callRoles = map[string]string{
	"raw":      "DataLakeRaw",
	"partner":  "DataLakePartner",
	"shared":   "DataLakeShared",
	"curated":  "DataLakeCurated",
	"results":  "DataLakeResults",
	"catalog":  "EventGlueCatalog",
	"bus":      "EventGlueBus",
	"password": "TransferPartnersacmecro",
	// The Systems Manager parameter holding the Transfer server's id.
	"server-id": "TransferServerIdParameter",
	// The file gateway's shares.
	"share-curated": "FileGatewaycuratedFileShare",
	"share-drop":    "FileGatewaydropFileShare",
}

// activatedGateway stands for the gateway the activation custom resource
// activates: its ARN is only known after activation, so no template names
// it.
const activatedGateway = "gateway"

// proofResult is what one part of the permission proof evaluated: the
// principals it looked at and the reports of their requests. The unused-
// grant list is made from every part's result.
type proofResult struct {
	Principals []*iamproof.Principal
	Reports    []*iamproof.Report
}

// proofParts are the parts of the permission proof; each runs over every
// environment.
var proofParts = map[string]func(t *testing.T, s *Synthesized) proofResult{
	"handlers": handlerProof,
}

// readCalls reads the recorded calls of every handler.
func readCalls(t *testing.T) map[string][]mototest.Call {
	t.Helper()
	files, err := filepath.Glob("testdata/awscalls/*.json")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]mototest.Call{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf mototest.CallsFile
		if err := json.Unmarshal(raw, &cf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[cf.Handler] = cf.Calls
	}
	return out
}

// TestHandlerPermissions evaluates every AWS call each Go handler made in
// the moto tests (testdata/awscalls) against the synthesized identity policy
// of every function that runs it, in every environment, and the policy of
// the resource it names (bucket policy, key policy, ...); with them the
// calls the Lambda service makes with the function's role (logs, X-Ray,
// network interfaces, the SQS event source, the dead-letter queue). A
// denied call fails the test, naming the function, the call and the action.
func TestHandlerPermissions(t *testing.T) {
	runProofPart(t, synthAll(t), "handlers")
}

// partRun is one proof part's outcome, kept for TestUnusedGrants.
type partRun struct {
	res    proofResult
	failed bool
}

var (
	partMu   sync.Mutex
	partRuns = map[string]partRun{}
)

// runProofPart runs a part of the permission proof once per test binary:
// the test that runs it first reports its denials, later ones reuse its
// result (and fail if it failed).
func runProofPart(t *testing.T, s *Synthesized, name string) proofResult {
	t.Helper()
	partMu.Lock()
	defer partMu.Unlock()
	if r, ok := partRuns[name]; ok {
		if r.failed {
			t.Errorf("the permission proof's part %q failed (see its test)", name)
		}
		return r.res
	}
	failedBefore := t.Failed()
	res := proofParts[name](t, s)
	partRuns[name] = partRun{res: res, failed: t.Failed() && !failedBefore}
	return res
}

func handlerProof(t *testing.T, s *Synthesized) proofResult {
	calls := readCalls(t)
	var res proofResult
	total := 0
	for _, env := range s.Envs {
		e := proofEnv(t, s, env)
		var reqs []iamproof.Request
		covered := map[string]bool{}
		for _, handler := range sortedKeys(handlerFunctions) {
			fnID := handlerFunctions[handler]
			fn, err := e.Lookup(fnID)
			if err != nil {
				continue // not in this environment
			}
			covered[fn.String()] = true
			p, err := e.FunctionRole(fnID)
			if err != nil {
				t.Errorf("%s: %v", env, err)
				continue
			}
			res.Principals = append(res.Principals, p)
			hc, ok := calls[handler]
			if !ok {
				t.Errorf("%s: function %s runs handler %s, whose AWS calls no moto test recorded (testdata/awscalls/%s.json)", env, fn, handler, handler)
			}
			for _, c := range hc {
				r, err := callRequests(e, p, handler, c)
				var absent *absentError
				if errors.As(err, &absent) {
					t.Logf("%s: %s: %s is not made here: %v", env, p.Label, c.Op, err)
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", env, err)
					continue
				}
				reqs = append(reqs, r...)
			}
			lr, err := lambdaServiceRequests(e, p, fn)
			if err != nil {
				t.Errorf("%s: %v", env, err)
			}
			reqs = append(reqs, lr...)
		}
		for _, fn := range e.Resources("AWS::Lambda::Function") {
			if covered[fn.String()] {
				continue
			}
			if rt, _ := fn.Properties["Runtime"].(string); strings.HasPrefix(rt, "provided") {
				t.Errorf("%s: the Go function %s runs no handler of handlerFunctions: record its calls and name it there", env, fn)
				continue
			}
			// A function of the CDK itself (custom resource providers): its
			// calls are those its code in aws-cdk-lib makes.
			p, err := e.FunctionRole(fn.Stack.Name[len(env)+1:] + "/" + fn.ID)
			if err != nil {
				t.Errorf("%s: %v", env, err)
				continue
			}
			r, err := cdkFunctionRequests(e, p, fn)
			if err != nil {
				t.Errorf("%s: %v", env, err)
				continue
			}
			lr, err := lambdaServiceRequests(e, p, fn)
			if err != nil {
				t.Errorf("%s: %v", env, err)
			}
			res.Principals = append(res.Principals, p)
			reqs = append(reqs, append(r, lr...)...)
		}
		reqs, err := withDependentActions(reqs)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := iamproof.Evaluate(reqs)
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		for _, d := range rep.Denied() {
			t.Errorf("%s: %s", env, d)
		}
		total += rep.Checked
		res.Reports = append(res.Reports, rep)
		if err := mustDeny(t, e); err != nil {
			t.Errorf("%s: %v", env, err)
		}
		t.Logf("%s: %d handler and Lambda-service calls checked against the synthesized policies", env, rep.Checked)
	}
	proofSummary(t, "permission proof, handlers: %d calls of %d functions' roles checked in %d environments", total, len(res.Principals), len(s.Envs))
	return res
}

// proofSummary logs a count of the permission proof, and appends it to the
// file BIOLAKE_PROOF_SUMMARY names (scripts/test.sh prints it after the
// suite, where go test without -v shows no logs).
func proofSummary(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log(line)
	if f := os.Getenv("BIOLAKE_PROOF_SUMMARY"); f != "" {
		fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		if _, err := fmt.Fprintln(fh, line); err != nil {
			t.Fatal(err)
		}
	}
}

// cdkFunctionRequests are the calls of the CDK's own functions, as their
// code in aws-cdk-lib makes them: the custom resource Provider framework's
// onEvent invokes the user's onEvent function and starts the waiter state
// machine, its isComplete invokes the user's isComplete function, its
// onTimeout only answers CloudFormation; the VPC's default security group
// restrictor revokes (and on delete restores) the group's rules. A CDK
// function of another kind fails the proof until its calls are added here.
func cdkFunctionRequests(e *iamproof.Env, p *iamproof.Principal, fn *iamproof.Resource) ([]iamproof.Request, error) {
	var out []iamproof.Request
	add := func(call, action, resource string) {
		out = append(out, iamproof.Request{Principal: p, Call: "CDK " + call, Action: action, Resource: resource})
	}
	props, err := e.Resolve(fn.Stack, fn.Properties)
	if err != nil {
		return nil, err
	}
	m := props.(map[string]any)
	vars := map[string]string{}
	if env, ok := m["Environment"].(map[string]any); ok {
		if v, ok := env["Variables"].(map[string]any); ok {
			for k, x := range v {
				vars[k] = fmt.Sprint(x)
			}
		}
	}
	switch m["Handler"] {
	case "framework.onEvent":
		add("provider onEvent", "lambda:InvokeFunction", vars["USER_ON_EVENT_FUNCTION_ARN"])
		if sm := vars["WAITER_STATE_MACHINE_ARN"]; sm != "" {
			add("provider onEvent (waiter)", "states:StartExecution", sm)
		}
		return out, nil
	case "framework.isComplete":
		add("provider isComplete", "lambda:InvokeFunction", vars["USER_IS_COMPLETE_FUNCTION_ARN"])
		return out, nil
	case "framework.onTimeout":
		return out, nil
	}
	for _, cr := range e.Resources("Custom::VpcRestrictDefaultSG") {
		v, err := e.Resolve(cr.Stack, cr.Properties)
		if err != nil {
			return nil, err
		}
		cm := v.(map[string]any)
		if fmt.Sprint(cm["ServiceToken"]) != fn.ARN {
			continue
		}
		sg := fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%v", fn.Region(), fn.Account(), cm["DefaultSecurityGroupId"])
		for _, a := range []string{"ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress"} {
			add("restrict the VPC's default security group", a, sg)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s (handler %v) is a function the proof does not know the calls of: add them to cdkFunctionRequests", fn, m["Handler"])
	}
	return out, nil
}

// mustDeny checks, in e, calls the handlers must not be able to make: the
// scope the issue of least privilege asked for. Each is a request the
// simulator must deny.
func mustDeny(t *testing.T, e *iamproof.Env) error {
	t.Helper()
	var reqs []iamproof.Request
	role := func(fn string) *iamproof.Principal {
		p, err := e.FunctionRole(fn)
		if err != nil {
			return nil
		}
		return p
	}
	object := func(bucket, key string) string {
		arn, err := e.ARN(bucket)
		if err != nil {
			return ""
		}
		return arn + "/" + key
	}
	add := func(p *iamproof.Principal, what, action, resource string, ctx map[string][]string) {
		if p != nil && resource != "" {
			reqs = append(reqs, iamproof.Request{Principal: p, Call: what, Action: action, Resource: resource, Context: ctx})
		}
	}
	// The data handlers reach the run rules' prefixes, not the results,
	// curated or shared data of other prefixes.
	for _, fn := range []string{"EventGlueIngest", "EventGlueVerify", "EventGlueRestore", "EventGlueSamples"} {
		add(role(fn), "read a workflow result", "s3:GetObject", object("DataLakeResults", "rnaseq/run-1/report.html"), nil)
		add(role(fn), "read curated data", "s3:GetObject", object("DataLakeCurated", "projects/p1/table.parquet"), nil)
		add(role(fn), "read outside the run prefixes", "s3:GetObjectVersion", object("DataLakeRaw", "other/x.bin"), nil)
	}
	add(role("EventGlueIngest"), "tag outside the run prefixes", "s3:PutObjectTagging", object("DataLakeRaw", "other/x.bin"), nil)
	// The activation functions touch only the gateway they activate.
	if p := role("FileGatewayActivationOnEvent"); p != nil {
		other := fmt.Sprintf("arn:aws:storagegateway:%s:%s:gateway/sgw-0000FFFF", p.Role.Region(), p.Account)
		add(p, "delete another gateway of the account", "storagegateway:DeleteGateway", other, map[string][]string{"aws:ResourceTag/" + gatewayactivate.GatewayNameTag: {"someone-else"}})
		add(p, "delete an untagged gateway", "storagegateway:DeleteGateway", other, nil)
	}
	if p := role("FileGatewayActivationIsComplete"); p != nil {
		add(p, "activate a gateway without its name tag", "storagegateway:ActivateGateway", "*", nil)
	}
	// The run age check publishes in its own namespace only.
	add(role("LustreRunAgeCheckFunction"), "publish in another namespace", "cloudwatch:PutMetricData", "*", map[string][]string{"cloudwatch:namespace": {"AWS/FSx"}})
	add(role("LustreRunAgeCheckFunction"), "delete a file system", "fsx:DeleteFileSystem", "*", nil)
	if len(reqs) == 0 {
		return nil
	}
	rep, err := iamproof.Evaluate(reqs)
	if err != nil {
		return err
	}
	for _, d := range rep.Decisions {
		if d.Allowed() {
			t.Errorf("%s: %s is allowed; the handler must not be able to", e.Name, d.Request)
		}
	}
	t.Logf("%s: %d calls the handlers must not make checked as denied", e.Name, rep.Checked)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// roleResource returns the resource playing role in e.
func roleResource(e *iamproof.Env, role string) (*iamproof.Resource, error) {
	id, ok := callRoles[role]
	if !ok {
		return nil, fmt.Errorf("the recorded role %q maps to no resource (callRoles)", role)
	}
	r, err := e.Lookup(id)
	if err != nil {
		return nil, &absentError{role: role, err: err}
	}
	return r, nil
}

// absentError is a role whose resource the environment does not have (a
// partner without a password secret): the handler makes no such call
// there.
type absentError struct {
	role string
	err  error
}

func (e *absentError) Error() string {
	return fmt.Sprintf("no resource plays %q here: %v", e.role, e.err)
}

// bucketKey returns the ARN of the KMS key a bucket encrypts with by
// default, and whether S3 Bucket Keys are on ("" when it does not use
// SSE-KMS).
func bucketKey(e *iamproof.Env, b *iamproof.Resource) (string, bool, error) {
	enc, err := e.Resolve(b.Stack, b.Properties["BucketEncryption"])
	if err != nil {
		return "", false, err
	}
	m, _ := enc.(map[string]any)
	rules, _ := m["ServerSideEncryptionConfiguration"].([]any)
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		def, _ := rm["ServerSideEncryptionByDefault"].(map[string]any)
		if def["SSEAlgorithm"] == "aws:kms" || def["SSEAlgorithm"] == "aws:kms:dsse" {
			bk, _ := rm["BucketKeyEnabled"].(bool)
			return fmt.Sprint(def["KMSMasterKeyID"]), bk, nil
		}
	}
	return "", false, nil
}

// tableKey returns the customer managed key of a DynamoDB table ("" for
// none).
func tableKey(e *iamproof.Env, tb *iamproof.Resource) (string, error) {
	sse, err := e.Resolve(tb.Stack, tb.Properties["SSESpecification"])
	if err != nil {
		return "", err
	}
	m, _ := sse.(map[string]any)
	if k, ok := m["KMSMasterKeyId"]; ok {
		return fmt.Sprint(k), nil
	}
	return "", nil
}

// callRequests maps one recorded call to the IAM requests it makes, with
// the KMS requests of the encryption it implies.
func callRequests(e *iamproof.Env, p *iamproof.Principal, handler string, c mototest.Call) ([]iamproof.Request, error) {
	desc := handler + " " + c.Op
	var out []iamproof.Request
	add := func(action, resource string, ctx map[string][]string) {
		out = append(out, iamproof.Request{Principal: p, Call: desc, Action: action, Resource: resource, Context: ctx})
	}
	region := p.Role.Region()
	// s3Object adds the object action and, for an SSE-KMS bucket, the KMS
	// actions S3 makes with the caller's credentials
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms:
	// kms:Decrypt to read, kms:GenerateDataKey to write, both for a
	// multipart upload).
	s3Object := func(role, key, action string, kmsActions ...string) error {
		b, err := roleResource(e, role)
		if err != nil {
			return err
		}
		obj := b.ARN + "/" + key
		desc = fmt.Sprintf("%s %s %s/%s", handler, c.Op, role, key)
		add(action, obj, nil)
		if len(kmsActions) == 0 {
			return nil
		}
		key, bucketKeys, err := bucketKey(e, b)
		if err != nil || key == "" {
			return err
		}
		ec := obj
		if bucketKeys {
			ec = b.ARN
		}
		for _, a := range kmsActions {
			add(a, key, map[string][]string{
				"kms:ViaService":                   {"s3." + region + ".amazonaws.com"},
				"kms:CallerAccount":                {p.Account},
				"kms:EncryptionContext:aws:s3:arn": {ec},
				"kms:EncryptionContextKeys":        {"aws:s3:arn"},
			})
		}
		return nil
	}
	ver := func(versioned bool, plain, version string) string {
		if versioned {
			return version
		}
		return plain
	}
	var err error
	if c.Missing {
		// S3 answers NoSuchKey (404) only to a caller allowed
		// s3:ListBucket on the bucket, AccessDenied (403) to others
		// (GetObject and HeadObject in the Amazon S3 API Reference); the
		// handlers tell a missing object from a refusal by it.
		var b *iamproof.Resource
		if b, err = roleResource(e, c.Bucket); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", p.Label, c.Op, err)
		}
		out = append(out, iamproof.Request{Principal: p, Call: fmt.Sprintf("%s %s %s/%s (missing)", handler, c.Op, c.Bucket, c.Key),
			Action: "s3:ListBucket", Resource: b.ARN})
	}
	switch c.Op {
	case "S3.GetObject":
		err = s3Object(c.Bucket, c.Key, ver(c.Versioned, "s3:GetObject", "s3:GetObjectVersion"), "kms:Decrypt")
	case "S3.HeadObject":
		// HEAD reads metadata only: no KMS.
		err = s3Object(c.Bucket, c.Key, ver(c.Versioned, "s3:GetObject", "s3:GetObjectVersion"))
	case "S3.GetObjectAttributes":
		err = s3Object(c.Bucket, c.Key, ver(c.Versioned, "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"))
	case "S3.GetObjectTagging":
		err = s3Object(c.Bucket, c.Key, ver(c.Versioned, "s3:GetObjectTagging", "s3:GetObjectVersionTagging"))
	case "S3.PutObjectTagging":
		err = s3Object(c.Bucket, c.Key, ver(c.Versioned, "s3:PutObjectTagging", "s3:PutObjectVersionTagging"))
	case "S3.RestoreObject":
		err = s3Object(c.Bucket, c.Key, "s3:RestoreObject")
	case "S3.AbortMultipartUpload":
		err = s3Object(c.Bucket, c.Key, "s3:AbortMultipartUpload")
	case "S3.PutObject", "S3.CreateMultipartUpload", "S3.CompleteMultipartUpload", "S3.UploadPart":
		kms := []string{"kms:GenerateDataKey"}
		if c.Op != "S3.PutObject" {
			kms = append(kms, "kms:Decrypt")
		}
		err = s3Object(c.Bucket, c.Key, "s3:PutObject", kms...)
		if err == nil && c.Tagging {
			err = s3Object(c.Bucket, c.Key, "s3:PutObjectTagging")
		}
	case "S3.CopyObject", "S3.UploadPartCopy":
		// The copy reads the source and writes the destination; with the
		// tagging directive COPY (the default) it also reads the source's
		// tags and writes them (CopyObject in the Amazon S3 API Reference).
		if err = s3Object(c.SourceBucket, c.SourceKey, ver(c.SourceVersioned, "s3:GetObject", "s3:GetObjectVersion"), "kms:Decrypt"); err != nil {
			break
		}
		kms := []string{"kms:GenerateDataKey"}
		if c.Op == "S3.UploadPartCopy" {
			kms = append(kms, "kms:Decrypt")
		}
		if err = s3Object(c.Bucket, c.Key, "s3:PutObject", kms...); err != nil {
			break
		}
		if c.Op == "S3.CopyObject" && c.TaggingDirective != "REPLACE" {
			if err = s3Object(c.SourceBucket, c.SourceKey, ver(c.SourceVersioned, "s3:GetObjectTagging", "s3:GetObjectVersionTagging")); err == nil {
				err = s3Object(c.Bucket, c.Key, "s3:PutObjectTagging")
			}
		} else if c.Tagging {
			err = s3Object(c.Bucket, c.Key, "s3:PutObjectTagging")
		}
	case "S3.ListObjectsV2":
		var b *iamproof.Resource
		if b, err = roleResource(e, c.Bucket); err == nil {
			desc = fmt.Sprintf("%s %s %s prefix %q", handler, c.Op, c.Bucket, c.Prefix)
			add("s3:ListBucket", b.ARN, map[string][]string{"s3:prefix": {c.Prefix}})
		}
	case "DynamoDB.GetItem", "DynamoDB.Query", "DynamoDB.PutItem", "DynamoDB.UpdateItem", "DynamoDB.DeleteItem", "DynamoDB.Scan":
		op := strings.TrimPrefix(c.Op, "DynamoDB.")
		for _, tbl := range c.Tables {
			err = dynamoRequest(e, add, tbl, op, c.Index, region, p.Account)
		}
	case "DynamoDB.TransactWriteItems":
		for _, it := range c.Items {
			kind, tbl, _ := strings.Cut(it, ":")
			op := map[string]string{"ConditionCheck": "ConditionCheckItem", "Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}[kind]
			if err = dynamoRequest(e, add, tbl, op, "", region, p.Account); err != nil {
				break
			}
		}
	case "EventBridge.PutEvents":
		// The producer needs events:PutEvents on the bus; a bus encrypted
		// with a customer managed key is read by EventBridge's own
		// principal, which the key policy must allow
		// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html).
		for _, b := range c.Buses {
			var bus *iamproof.Resource
			if bus, err = roleResource(e, b); err != nil {
				break
			}
			add("events:PutEvents", bus.ARN, nil)
		}
	case "SFN.SendTaskSuccess", "SFN.SendTaskFailure", "SFN.SendTaskHeartbeat":
		// The Service Authorization Reference lists no resource type for
		// these actions (a task token names no resource): "*" is the only
		// resource a policy can give them, and the simulator refuses any
		// other.
		add("states:"+strings.TrimPrefix(c.Op, "SFN."), "*", nil)
	case "SecretsManager.GetSecretValue":
		var sec *iamproof.Resource
		if sec, err = roleResource(e, c.Secret); err == nil {
			add("secretsmanager:GetSecretValue", sec.ARN, nil)
			if k, ok := sec.Properties["KmsKeyId"]; ok {
				var key any
				if key, err = e.Resolve(sec.Stack, k); err == nil {
					add("kms:Decrypt", fmt.Sprint(key), map[string][]string{
						"kms:ViaService":                  {"secretsmanager." + region + ".amazonaws.com"},
						"kms:CallerAccount":               {p.Account},
						"kms:EncryptionContext:SecretARN": {sec.ARN},
					})
				}
			}
		}
	case "SSM.GetParameter":
		var prm *iamproof.Resource
		if prm, err = roleResource(e, c.Target); err == nil {
			add("ssm:GetParameter", prm.ARN, nil)
		}
	case "FSx.DescribeFileSystems":
		// Listing takes no resource (Service Authorization Reference,
		// Amazon FSx: DescribeFileSystems lists every file system).
		add("fsx:DescribeFileSystems", "*", nil)
	case "CloudWatch.PutMetricData":
		// No resource; the namespace is the cloudwatch:namespace key.
		if c.Namespace == "" {
			err = fmt.Errorf("the recorded call names no namespace")
			break
		}
		add("cloudwatch:PutMetricData", "*", map[string][]string{"cloudwatch:namespace": {c.Namespace}})
	default:
		if strings.HasPrefix(c.Op, "StorageGateway.") {
			err = storageGatewayRequest(e, add, c, region, p.Account)
			break
		}
		err = fmt.Errorf("the call %s has no IAM mapping in callRequests: add one (the Service Authorization Reference names the action)", c.Op)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", p.Label, c.Op, err)
	}
	return out, nil
}

// dynamoRequest adds a DynamoDB item request and the KMS requests of a
// table encrypted with a customer managed key, which DynamoDB makes for the
// caller (kms:Decrypt to read; also kms:GenerateDataKey and kms:Encrypt to
// write), through DynamoDB.
func dynamoRequest(e *iamproof.Env, add func(string, string, map[string][]string), role, op, index, region, account string) error {
	tb, err := roleResource(e, role)
	if err != nil {
		return err
	}
	res := tb.ARN
	if index != "" {
		res += "/index/" + index
	}
	add("dynamodb:"+op, res, nil)
	key, err := tableKey(e, tb)
	if err != nil || key == "" {
		return err
	}
	ctx := map[string][]string{"kms:ViaService": {"dynamodb." + region + ".amazonaws.com"}, "kms:CallerAccount": {account}}
	add("kms:Decrypt", key, ctx)
	if op != "GetItem" && op != "Query" && op != "Scan" && op != "ConditionCheckItem" {
		add("kms:GenerateDataKey", key, ctx)
	}
	return nil
}

// storageGatewayRequest maps a Storage Gateway call to its action on the
// gateway or share it names (each Storage Gateway API is the action of the
// same name). The gateway the activation custom resource activates carries
// the tags its ActivateGateway set: requests on it have them as
// aws:ResourceTag, and ActivateGateway's own as aws:RequestTag.
func storageGatewayRequest(e *iamproof.Env, add func(string, string, map[string][]string), c mototest.Call, region, account string) error {
	action := "storagegateway:" + strings.TrimPrefix(c.Op, "StorageGateway.")
	tags := func(prefix string) (map[string][]string, error) {
		ctx := map[string][]string{}
		for _, kv := range c.Tags {
			k, role, _ := strings.Cut(kv, "=")
			v, err := tagValue(e, role)
			if err != nil {
				return nil, err
			}
			ctx[prefix+k] = []string{v}
			ctx["aws:TagKeys"] = append(ctx["aws:TagKeys"], k)
		}
		return ctx, nil
	}
	if c.Target == "" {
		ctx, err := tags("aws:RequestTag/")
		if err != nil {
			return err
		}
		add(action, "*", ctx)
		return nil
	}
	if c.Target == activatedGateway {
		name, err := tagValue(e, "gateway-name")
		if err != nil {
			return err
		}
		add(action, fmt.Sprintf("arn:aws:storagegateway:%s:%s:gateway/sgw-12A3456B", region, account),
			map[string][]string{"aws:ResourceTag/" + gatewayactivate.GatewayNameTag: {name}})
		return nil
	}
	r, err := roleResource(e, c.Target)
	if err != nil {
		return err
	}
	add(action, r.ARN, nil)
	return nil
}

// tagValue resolves a tag value recorded by role: "gateway-name" is the
// name the environment's activation custom resource gives its gateway.
func tagValue(e *iamproof.Env, role string) (string, error) {
	if role != "gateway-name" {
		return "", fmt.Errorf("the recorded tag value role %q has no mapping (tagValue)", role)
	}
	for _, r := range e.Resources("Custom::FileGatewayActivation") {
		v, err := e.Resolve(r.Stack, r.Properties["GatewayName"])
		if err != nil {
			return "", err
		}
		return fmt.Sprint(v), nil
	}
	return "", &absentError{role: role, err: errors.New("no Custom::FileGatewayActivation")}
}

// lambdaServiceRequests are the calls the Lambda service makes with the
// function's execution role, from its configuration in the template
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html):
// logs to its log group, X-Ray segments when tracing is active, network
// interfaces in a VPC, the SQS event source's receive and delete (and the
// queue key's kms:Decrypt), the dead-letter queue's SendMessage (and its
// key), and the environment variables' key.
func lambdaServiceRequests(e *iamproof.Env, p *iamproof.Principal, fn *iamproof.Resource) ([]iamproof.Request, error) {
	var out []iamproof.Request
	add := func(call, action, resource string, ctx map[string][]string) {
		out = append(out, iamproof.Request{Principal: p, Call: "Lambda service: " + call, Action: action, Resource: resource, Context: ctx})
	}
	props, err := e.Resolve(fn.Stack, fn.Properties)
	if err != nil {
		return nil, err
	}
	m := props.(map[string]any)
	region := fn.Region()
	logGroup := "/aws/lambda/" + fn.Name
	if lc, ok := m["LoggingConfig"].(map[string]any); ok {
		if lg, ok := lc["LogGroup"].(string); ok {
			logGroup = lg
		}
	}
	lgARN := "arn:aws:logs:" + region + ":" + fn.Account() + ":log-group:" + logGroup
	add("logs", "logs:CreateLogStream", lgARN+":*", nil)
	add("logs", "logs:PutLogEvents", lgARN+":log-stream:2024/01/01/[$LATEST]0", nil)
	if tc, ok := m["TracingConfig"].(map[string]any); ok && tc["Mode"] == "Active" {
		add("tracing", "xray:PutTraceSegments", "*", nil)
		add("tracing", "xray:PutTelemetryRecords", "*", nil)
	}
	if _, ok := m["VpcConfig"]; ok {
		for _, a := range []string{"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"} {
			add("VPC network interfaces", a, "*", nil)
		}
	}
	queueKey := func(queueARN string) (string, error) {
		q := e.ByARN(queueARN)
		if q == nil {
			return "", nil
		}
		k, ok := q.Properties["KmsMasterKeyId"]
		if !ok {
			return "", nil
		}
		v, err := e.Resolve(q.Stack, k)
		return fmt.Sprint(v), err
	}
	for _, esm := range e.Resources("AWS::Lambda::EventSourceMapping") {
		v, err := e.Resolve(esm.Stack, esm.Properties)
		if err != nil {
			return nil, err
		}
		em := v.(map[string]any)
		if fmt.Sprint(em["FunctionName"]) != fn.Ref && fmt.Sprint(em["FunctionName"]) != fn.ARN {
			continue
		}
		src := fmt.Sprint(em["EventSourceArn"])
		if !strings.Contains(src, ":sqs:") {
			continue
		}
		for _, a := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"} {
			add("SQS event source", a, src, nil)
		}
		key, err := queueKey(src)
		if err != nil {
			return nil, err
		}
		if key != "" {
			add("SQS event source", "kms:Decrypt", key, map[string][]string{"kms:ViaService": {"sqs." + region + ".amazonaws.com"}, "kms:CallerAccount": {p.Account}})
		}
	}
	if dlc, ok := m["DeadLetterConfig"].(map[string]any); ok {
		target := fmt.Sprint(dlc["TargetArn"])
		add("dead-letter queue", "sqs:SendMessage", target, nil)
		key, err := queueKey(target)
		if err != nil {
			return nil, err
		}
		if key != "" {
			ctx := map[string][]string{"kms:ViaService": {"sqs." + region + ".amazonaws.com"}, "kms:CallerAccount": {p.Account}}
			add("dead-letter queue", "kms:GenerateDataKey", key, ctx)
			add("dead-letter queue", "kms:Decrypt", key, ctx)
		}
	}
	if k, ok := m["KmsKeyArn"].(string); ok && k != "" {
		add("environment variables", "kms:Decrypt", k, nil)
	}
	return out, nil
}

// withDependentActions adds, for each request, the dependent actions the
// Service Authorization Reference lists for its action, on the same
// resource.
func withDependentActions(reqs []iamproof.Request) ([]iamproof.Request, error) {
	seen := map[string]bool{}
	var actions []string
	for _, r := range reqs {
		if !seen[r.Action] {
			seen[r.Action] = true
			actions = append(actions, r.Action)
		}
	}
	info, err := iamproof.Describe(actions)
	if err != nil {
		return nil, err
	}
	out := append([]iamproof.Request{}, reqs...)
	for _, r := range reqs {
		for _, dep := range info[r.Action].DependentActions {
			d := r
			d.Call = r.Call + " (dependent action of " + r.Action + ")"
			d.Action = dep
			out = append(out, d)
		}
	}
	return out, nil
}

// TestUnusedGrants lists the actions the platform's own identity policies
// grant that no call of any part of the permission proof used (per
// principal, action and resource pattern) in testdata/unused-grants.golden,
// rewritten with -update. A new unused grant shows up in review as a line
// of the diff; remove the grant, or prove the call that needs it.
func TestUnusedGrants(t *testing.T) {
	s := synthAll(t)
	var principals []*iamproof.Principal
	var reports []*iamproof.Report
	for _, name := range sortedKeys(proofParts) {
		r := runProofPart(t, s, name)
		principals = append(principals, r.Principals...)
		reports = append(reports, r.Reports...)
	}
	if t.Failed() {
		t.Fatal("a part of the permission proof failed: the unused grants are not listed")
	}
	unused, err := iamproof.Unused(principals, reports...)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("# Actions granted by the platform's identity policies that no proven call uses:\n")
	b.WriteString("# <environment> <principal> <action> <resource pattern>. Regenerate with go test ./test -update.\n")
	for _, u := range unused {
		b.WriteString(u.String() + "\n")
	}
	const golden = "testdata/unused-grants.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./test -update)", err)
	}
	if string(want) != b.String() {
		t.Errorf("the unused grants changed (go test ./test -update, then review the diff):\n%s", lineDiff(string(want), b.String()))
	}
	t.Logf("%d unused grants of %d principals", len(unused), len(principals))
}

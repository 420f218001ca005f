package ml_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/validation"
)

// One App for the deployment: "RealTime" (isolated network, a domain's
// registry, a real-time endpoint of 1 to 4 ml.m5.large with cost tags)
// and "Serverless" (NAT network, the defaults). Held to the nag packs.
var (
	dxOnce sync.Once
	dx     *cdktest.Assembly
)

func loadDeploy(t *testing.T) *cdktest.Assembly {
	t.Helper()
	dxOnce.Do(func() {
		dx = cdktest.Synth("ML_DEPLOY_KEEP_ASSEMBLY", func(app awscdk.App) []awscdk.Stack {
			rt := awscdk.NewStack(app, jsii.String("RealTime"), nil)
			net := network.New(rt, "Network", nil)
			lake := datalake.New(rt, "DataLake", &datalake.Props{DisableBackup: true})
			key := awskms.NewKey(rt, jsii.String("MLKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
			d := ml.New(rt, "ML", &ml.Props{Network: net, Lake: lake, Key: key})
			ml.NewDeployment(rt, "Deploy", &ml.DeploymentProps{
				Registry: d, Network: net, Lake: lake, Key: key,
				EndpointName: "qc-classifier", Mode: ml.RealTime,
				InstanceType: "ml.m5.large", MinInstances: 1, MaxInstances: 4, InitialInstances: 2,
				SamplingPercentage: 25,
				Tags:               map[string]string{"project": "biolake", "cost-center": "lab-42"},
			})

			sl := awscdk.NewStack(app, jsii.String("Serverless"), nil)
			snet := network.New(sl, "Network", &network.Props{Profile: network.ProfileNAT, DisableInterfaceEndpoints: true})
			slake := datalake.New(sl, "DataLake", &datalake.Props{DisableBackup: true})
			skey := awskms.NewKey(sl, jsii.String("MLKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
			sd := ml.New(sl, "ML", &ml.Props{Network: snet, Lake: slake, Key: skey})
			ml.NewDeployment(sl, "Deploy", &ml.DeploymentProps{Registry: sd, Network: snet, Lake: slake, Key: skey, EndpointName: "qc-serverless"})
			return []awscdk.Stack{rt, sl}
		})
	})
	dx.Check(t)
	return dx
}

// definition returns the flow's ASL of stack with every token rendered
// as "<token>" (Fn::Join parts kept, Refs and GetAtts named).
func flowDefinition(t *testing.T, a *cdktest.Assembly, stack string) map[string]any {
	t.Helper()
	sms := a.OfTypeByID(stack, "AWS::StepFunctions::StateMachine", "")
	for _, sm := range sms {
		var c struct{ Comment string }
		s := joinTokens(sm.Properties["DefinitionString"])
		if json.Unmarshal([]byte(s), &c) != nil || !strings.HasPrefix(c.Comment, "biolake ml deployment:") {
			continue
		}
		var asl map[string]any
		if err := json.Unmarshal([]byte(s), &asl); err != nil {
			t.Fatalf("%s: definition is not JSON: %v\n%s", stack, err, s)
		}
		return asl
	}
	t.Fatalf("%s: no deployment state machine", stack)
	return nil
}

func joinTokens(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if j, ok := x["Fn::Join"].([]any); ok {
			var b strings.Builder
			parts, _ := j[1].([]any)
			for _, p := range parts {
				b.WriteString(joinTokens(p))
			}
			return b.String()
		}
		if r, ok := x["Ref"].(string); ok {
			return "<" + r + ">"
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok {
			return fmt.Sprintf("<%v.%v>", g[0], g[1])
		}
	}
	return "<token>"
}

func params(t *testing.T, asl map[string]any, state string) map[string]any {
	t.Helper()
	st, ok := asl["States"].(map[string]any)[state].(map[string]any)
	if !ok {
		t.Fatalf("no state %s", state)
	}
	p, _ := st["Parameters"].(map[string]any)
	return p
}

// TestDeploymentEndpointConfig: the real-time config has the ML key, data
// capture under the data capture prefix with the results bucket's key,
// the variant from the props and the cost tags; the model is in the
// private subnets with its own security group and network isolation.
func TestDeploymentEndpointConfig(t *testing.T) {
	a := loadDeploy(t)
	asl := flowDefinition(t, a, "RealTime")
	cfg := params(t, asl, ml.StateCreateConfig)
	if !regexp.MustCompile(`^<MLKey[0-9A-F]+\.Arn>$`).MatchString(fmt.Sprint(cfg["KmsKeyId"])) {
		t.Errorf("KmsKeyId = %v, want the ML key's ARN", cfg["KmsKeyId"])
	}
	v := cfg["ProductionVariants"].([]any)[0].(map[string]any)
	if v["InstanceType"] != "ml.m5.large" || v["InitialInstanceCount"] != float64(2) || v["VariantName"] != ml.VariantName || v["ModelName.$"] != "$.names.model" {
		t.Errorf("variant = %v", v)
	}
	dc, _ := cfg["DataCaptureConfig"].(map[string]any)
	if dc["EnableCapture"] != true || dc["InitialSamplingPercentage"] != float64(25) ||
		!regexp.MustCompile(`^s3://<DataLakeResults[0-9A-F]+>/ml/data-capture/qc-classifier$`).MatchString(fmt.Sprint(dc["DestinationS3Uri"])) ||
		!regexp.MustCompile(`^<DataLake[A-Za-z]*Key[0-9A-F]+\.Arn>$`).MatchString(fmt.Sprint(dc["KmsKeyId"])) {
		t.Errorf("DataCaptureConfig = %v", dc)
	}
	wantTags := `[{"Key":"cost-center","Value":"lab-42"},{"Key":"project","Value":"biolake"}]`
	for _, s := range []string{ml.StateCreateModel, ml.StateCreateConfig, ml.StateCreateEndpoint} {
		if got := js(params(t, asl, s)["Tags"]); got != wantTags {
			t.Errorf("%s Tags = %s, want %s", s, got, wantTags)
		}
	}
	m := params(t, asl, ml.StateCreateModel)
	vpc, _ := m["VpcConfig"].(map[string]any)
	if m["EnableNetworkIsolation"] != true || len(vpc["Subnets"].([]any)) != 2 || !strings.Contains(js(vpc["SecurityGroupIds"]), "DeploySecurityGroup") ||
		js(m["Containers"]) != `[{"ModelPackageName.$":"$.packageArn"}]` {
		t.Errorf("CreateModel = %v", m)
	}
	for _, sub := range vpc["Subnets"].([]any) {
		if n := strings.ToLower(fmt.Sprint(sub)); !strings.Contains(n, "private") && !strings.Contains(n, "isolated") {
			t.Errorf("model subnet %v is not a private subnet", sub)
		}
	}
	u := params(t, asl, ml.StateUpdateEndpoint)
	if !strings.Contains(js(u["DeploymentConfig"]), `"AutoRollbackConfiguration":{"Alarms":[{"AlarmName":"\u003cDeployEndpointErrorsAlarm`) ||
		!strings.Contains(js(u["DeploymentConfig"]), `"BlueGreenUpdatePolicy"`) {
		t.Errorf("UpdateEndpoint DeploymentConfig = %s", js(u["DeploymentConfig"]))
	}
	r := params(t, asl, ml.StateRegisterScaling)
	if r["MinCapacity"] != float64(1) || r["MaxCapacity"] != float64(4) || r["ResourceId"] != "endpoint/qc-classifier/variant/AllTraffic" {
		t.Errorf("RegisterScalableTarget = %v", r)
	}
	pol := params(t, asl, ml.StatePutScalingPolicy)
	if !strings.Contains(js(pol), `"PredefinedMetricType":"SageMakerVariantInvocationsPerInstance"`) {
		t.Errorf("PutScalingPolicy = %s", js(pol))
	}

	// Serverless: a serverless variant, no VPC, no volume key, no capture,
	// no scaling.
	sasl := flowDefinition(t, a, "Serverless")
	scfg := params(t, sasl, ml.StateCreateConfig)
	if got := js(scfg["ProductionVariants"]); got != `[{"ModelName.$":"$.names.model","ServerlessConfig":{"MaxConcurrency":5,"MemorySizeInMB":2048},"VariantName":"AllTraffic"}]` {
		t.Errorf("serverless variants = %s", got)
	}
	if scfg["KmsKeyId"] != nil || scfg["DataCaptureConfig"] != nil || params(t, sasl, ml.StateCreateModel)["VpcConfig"] != nil {
		t.Errorf("serverless config has a key, data capture or a VPC: %s", js(scfg))
	}
	if _, ok := sasl["States"].(map[string]any)[ml.StateRegisterScaling]; ok {
		t.Error("serverless flow registers autoscaling")
	}
}

// TestDeploymentFlowSettings: logging of everything to an encrypted log
// group, X-Ray, a timeout; the cost metadata.
func TestDeploymentFlowSettings(t *testing.T) {
	a := loadDeploy(t)
	for _, stack := range []string{"RealTime", "Serverless"} {
		for id, sm := range a.OfTypeByID(stack, "AWS::StepFunctions::StateMachine", "Deploy") {
			lc := js(sm.Properties["LoggingConfiguration"])
			if !strings.Contains(lc, `"Level":"ALL"`) || !strings.Contains(lc, `"IncludeExecutionData":true`) {
				t.Errorf("%s %s logging = %s", stack, id, lc)
			}
			if js(sm.Properties["TracingConfiguration"]) != `{"Enabled":true}` {
				t.Errorf("%s %s tracing off", stack, id)
			}
			md := js(sm.Metadata[ml.EndpointCostMetadata])
			want := `{"EndpointName":"qc-classifier","InstanceType":"ml.m5.large","MaxInstances":4,"MinInstances":1,"Mode":"real-time"}`
			if stack == "Serverless" {
				want = `{"EndpointName":"qc-serverless","MaxConcurrency":5,"MemorySizeMB":2048,"Mode":"serverless"}`
			}
			if md != want {
				t.Errorf("%s cost metadata = %s, want %s", stack, md, want)
			}
		}
		for id, lg := range a.OfTypeByID(stack, "AWS::Logs::LogGroup", "Deploy") {
			if lg.Properties["KmsKeyId"] == nil {
				t.Errorf("%s %s: log group not encrypted", stack, id)
			}
		}
	}
}

// TestDeploymentRule: approvals of the registry's group only, with a
// dead-letter queue and retries.
func TestDeploymentRule(t *testing.T) {
	a := loadDeploy(t)
	rules := a.OfTypeByID("RealTime", "AWS::Events::Rule", "DeployApprovalRule")
	if len(rules) != 1 {
		t.Fatalf("%d approval rules", len(rules))
	}
	for _, r := range rules {
		want := `{"detail":{"ModelApprovalStatus":["Approved"],"ModelPackageGroupName":["RealTime-ML-models"]},"detail-type":["SageMaker Model Package State Change"],"source":["aws.sagemaker"]}`
		if got := js(r.Properties["EventPattern"]); got != want {
			t.Errorf("pattern = %s, want %s", got, want)
		}
		tg := r.Properties["Targets"].([]any)[0].(map[string]any)
		if tg["DeadLetterConfig"] == nil || js(tg["RetryPolicy"]) != `{"MaximumEventAgeInSeconds":86400,"MaximumRetryAttempts":185}` {
			t.Errorf("target = %s", js(tg))
		}
	}
}

// TestDeploymentRoles: the model role reads only the models prefix of the
// results bucket (and writes only the endpoint's capture prefix); the
// flow's role acts only on the endpoint's own names and passes only the
// model role.
func TestDeploymentRoles(t *testing.T) {
	a := loadDeploy(t)
	var model, flow string
	for id, pol := range a.OfTypeByID("RealTime", "AWS::IAM::Policy", "Deploy") {
		doc := js(pol.Properties["PolicyDocument"])
		switch {
		case strings.Contains(id, "ModelRole"):
			model += doc
		case strings.Contains(id, "FlowStateMachineRole"):
			flow += doc
		}
	}
	if model == "" || flow == "" {
		t.Fatal("no model or flow policy")
	}
	for _, m := range regexp.MustCompile(`"/(ml/[^"*]*)\*"`).FindAllStringSubmatch(model, -1) {
		if m[1] != "ml/models/" && m[1] != "ml/data-capture/qc-classifier/" {
			t.Errorf("model role reaches objects under %s", m[1])
		}
	}
	if !strings.Contains(model, `"ml/models/*"`) && !strings.Contains(model, `/ml/models/*"`) {
		t.Errorf("model role cannot read ml/models/: %s", model)
	}
	if strings.Contains(model, "s3:PutObject") && !strings.Contains(model, "ml/data-capture/qc-classifier/*") {
		t.Errorf("model role writes outside the capture prefix: %s", model)
	}
	for _, want := range []string{`:endpoint/qc-classifier"`, `:endpoint-config/qc-classifier-v*"`, `:model/qc-classifier-v*"`, `"iam:PassedToService":"sagemaker.amazonaws.com"`, `"kms:GrantIsForAWSResource":"true"`} {
		if !strings.Contains(flow, want) {
			t.Errorf("flow policy lacks %s", want)
		}
	}
	if regexp.MustCompile(`"Action":"[a-z-]+:\*"`).MatchString(flow + model) {
		t.Error("a wildcard action")
	}
	// Serverless: no EC2 network-interface permissions for the model.
	for id, pol := range a.OfTypeByID("Serverless", "AWS::IAM::Policy", "DeployModelRole") {
		if strings.Contains(js(pol.Properties["PolicyDocument"]), "ec2:CreateNetworkInterface") {
			t.Errorf("%s: a serverless model role manages network interfaces", id)
		}
	}
}

// TestDeploymentAlarms: the endpoint's 5XX and 4XX errors (by endpoint
// and variant), failed executions and dead letters.
func TestDeploymentAlarms(t *testing.T) {
	a := loadDeploy(t)
	names := map[string]bool{}
	for _, al := range a.OfTypeByID("RealTime", "AWS::CloudWatch::Alarm", "Deploy") {
		names[fmt.Sprint(al.Properties["MetricName"])] = true
		if al.Properties["Namespace"] == "AWS/SageMaker" {
			if got := js(al.Properties["Dimensions"]); got != `[{"Name":"EndpointName","Value":"qc-classifier"},{"Name":"VariantName","Value":"AllTraffic"}]` {
				t.Errorf("dimensions = %s", got)
			}
		}
	}
	for _, m := range []string{"Invocation5XXErrors", "Invocation4XXErrors", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted", "ApproximateNumberOfMessagesVisible"} {
		if !names[m] {
			t.Errorf("no alarm on %s (have %v)", m, names)
		}
	}
}

// TestDeploymentNag: zero unsuppressed findings.
func TestDeploymentNag(t *testing.T) {
	loadDeploy(t).NagGate(t, "/Deploy/", "ml deployment")
}

// TestDeploymentCfnLint runs cfn-lint over the templates.
func TestDeploymentCfnLint(t *testing.T) {
	cdktest.CfnLint(t, loadDeploy(t).TemplateFiles())
}

// TestDeploymentSettings: each bad setting fails with the field and what
// is accepted.
func TestDeploymentSettings(t *testing.T) {
	rt := func(f func(p *ml.DeploymentProps)) *ml.DeploymentProps {
		p := &ml.DeploymentProps{EndpointName: "qc", Mode: ml.RealTime, InstanceType: "ml.m5.large", MinInstances: 1, MaxInstances: 2}
		f(p)
		return p
	}
	sl := func(f func(p *ml.DeploymentProps)) *ml.DeploymentProps {
		p := &ml.DeploymentProps{EndpointName: "qc"}
		f(p)
		return p
	}
	cases := []struct {
		name  string
		props *ml.DeploymentProps
		field string
		want  string // in the problem
	}{
		{"unknown family", rt(func(p *ml.DeploymentProps) { p.InstanceType = "ml.zz9.large" }), "InstanceType", "ml.zz9 is not one"},
		{"unknown size", rt(func(p *ml.DeploymentProps) { p.InstanceType = "ml.m5.huge" }), "InstanceType", "a size of ml.m5"},
		{"not an instance type", rt(func(p *ml.DeploymentProps) { p.InstanceType = "m5.large" }), "InstanceType", "ml.<family>.<size>"},
		{"min above max", rt(func(p *ml.DeploymentProps) { p.MinInstances, p.MaxInstances = 3, 2 }), "MinInstances", "min capacity above max"},
		{"initial above max", rt(func(p *ml.DeploymentProps) { p.InitialInstances = 5 }), "InitialInstances", "between MinInstances and MaxInstances (1..2)"},
		{"initial below min", rt(func(p *ml.DeploymentProps) { p.MinInstances, p.MaxInstances, p.InitialInstances = 2, 3, 1 }), "InitialInstances", "(2..3)"},
		{"negative min", rt(func(p *ml.DeploymentProps) { p.MinInstances = -1 }), "MinInstances", "1 or more"},
		{"real-time with memory", rt(func(p *ml.DeploymentProps) { p.MemorySizeMB = 2048 }), "Mode", "serverless when MemorySizeMB"},
		{"memory not a step", sl(func(p *ml.DeploymentProps) { p.MemorySizeMB = 1500 }), "MemorySizeMB", "1024, 2048"},
		{"memory too large", sl(func(p *ml.DeploymentProps) { p.MemorySizeMB = 7168 }), "MemorySizeMB", "6144"},
		{"memory too small", sl(func(p *ml.DeploymentProps) { p.MemorySizeMB = 512 }), "MemorySizeMB", "1024"},
		{"concurrency too high", sl(func(p *ml.DeploymentProps) { p.MaxConcurrency = 201 }), "MaxConcurrency", "1 to 200"},
		{"concurrency negative", sl(func(p *ml.DeploymentProps) { p.MaxConcurrency = -1 }), "MaxConcurrency", "1 to 200"},
		{"serverless with instances", sl(func(p *ml.DeploymentProps) { p.InstanceType = "ml.m5.large" }), "Mode", "real-time when InstanceType"},
		{"sampling above 100", sl(func(p *ml.DeploymentProps) { p.SamplingPercentage = 101 }), "SamplingPercentage", "0 to 100"},
		{"sampling negative", rt(func(p *ml.DeploymentProps) { p.SamplingPercentage = -5 }), "SamplingPercentage", "0 to 100"},
		{"endpoint name with _", sl(func(p *ml.DeploymentProps) { p.EndpointName = "qc_model" }), "EndpointName", "letters, digits and '-'"},
		{"endpoint name empty", sl(func(p *ml.DeploymentProps) { p.EndpointName = "" }), "EndpointName", "at most 40"},
		{"endpoint name too long", sl(func(p *ml.DeploymentProps) { p.EndpointName = strings.Repeat("a", 41) }), "EndpointName", "at most 40"},
		{"unknown mode", sl(func(p *ml.DeploymentProps) { p.Mode = "batch" }), "Mode", `"real-time" or "serverless"`},
		{"log retention", sl(func(p *ml.DeploymentProps) { p.LogRetentionDays = 2 }), "LogRetentionDays", "retention CloudWatch Logs accepts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.ValidateSettings()
			var ve *validation.Error
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a validation error", err)
			}
			found := false
			for _, e := range flat(err) {
				if e.Field == "Props."+c.field && strings.Contains(e.Error(), c.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("err = %v, want field %s with %q", err, c.field, c.want)
			}
		})
	}
	for _, p := range []*ml.DeploymentProps{rt(func(*ml.DeploymentProps) {}), sl(func(*ml.DeploymentProps) {}),
		rt(func(p *ml.DeploymentProps) { p.InstanceType, p.SamplingPercentage = "ml.g5.xlarge", 100 }),
		sl(func(p *ml.DeploymentProps) { p.MemorySizeMB, p.MaxConcurrency = 6144, 200 })} {
		if err := p.ValidateSettings(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

func flat(err error) []*validation.Error {
	var out []*validation.Error
	var es validation.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			out = append(out, flat(e)...)
		}
		return out
	}
	var ve *validation.Error
	if errors.As(err, &ve) {
		out = append(out, ve)
	}
	return out
}

// TestDeploymentMissingInputs: NewDeployment names each missing input.
func TestDeploymentMissingInputs(t *testing.T) {
	msg, panicked := cdktest.Catch(func() {
		_, stack := cdktest.NewStack("Missing")
		ml.NewDeployment(stack, "Deploy", &ml.DeploymentProps{EndpointName: "qc"})
	})
	if !panicked {
		t.Fatal("no panic")
	}
	for _, f := range []string{"DeploymentProps.Registry", "DeploymentProps.Network", "DeploymentProps.Lake", "DeploymentProps.Key", "Missing/Deploy"} {
		if !strings.Contains(msg, f) {
			t.Errorf("message lacks %s:\n%s", f, msg)
		}
	}
}

// TestLocalStorage: the instance types whose volume key SageMaker refuses.
func TestLocalStorage(t *testing.T) {
	for typ, want := range map[string]bool{
		"ml.m5.large": false, "ml.c7i.xlarge": false, "ml.inf2.xlarge": false, "ml.t2.medium": false,
		"ml.m5d.large": true, "ml.c6gd.xlarge": true, "ml.g4dn.xlarge": true, "ml.p4d.24xlarge": true, "ml.p4de.24xlarge": true,
		"ml.g5.xlarge": true, "ml.p5.48xlarge": true, "ml.r7gd.large": true, "nonsense": false,
	} {
		if got := ml.LocalStorage(typ); got != want {
			t.Errorf("LocalStorage(%s) = %v, want %v", typ, got, want)
		}
	}
}

package ml_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/constructs/ml/pipelinedef"
)

// jsr is JSON without HTML escapes, so rendered references read <id.Attr>.
func jsr(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// definition returns the pipeline's definition body as the template
// writes it, references rendered (<Ref:id>, <id.Attr>), and decoded.
func definition(t *testing.T, f *pipeFixture, stack string) (string, map[string]any) {
	t.Helper()
	rs := f.OfTypeByID(stack, "AWS::SageMaker::Pipeline", "")
	if len(rs) != 1 {
		t.Fatalf("%s: %d pipelines, want 1", stack, len(rs))
	}
	for _, r := range rs {
		body := cdktest.Render(cdktest.Get(r.Properties, "PipelineDefinition", "PipelineDefinitionBody"))
		var d map[string]any
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			t.Fatalf("%s: definition body is not JSON: %v\n%s", stack, err, body)
		}
		return body, d
	}
	return "", nil
}

// pstep returns the step called name (nested ones included).
func pstep(d map[string]any, name string) map[string]any {
	var find func(list []any) map[string]any
	find = func(list []any) map[string]any {
		for _, s := range list {
			m := s.(map[string]any)
			if m["Name"] == name {
				return m
			}
			for _, b := range []string{"IfSteps", "ElseSteps"} {
				if l, ok := cdktest.Get(m, "Arguments", b).([]any); ok {
					if f := find(l); f != nil {
						return f
					}
				}
			}
		}
		return nil
	}
	return find(d["Steps"].([]any))
}

// TestPipelineDefinitionParses: the definition each stack synthesizes
// parses as the schema version it declares, names the execution role and
// the pipeline's name.
func TestPipelineDefinitionParses(t *testing.T) {
	f := loadPipelines(t)
	for stack, name := range map[string]string{"Pipe": "Pipe-ModelPipeline", "PipeBYO": "PipeBYO-ModelPipeline"} {
		body, _ := definition(t, f, stack)
		if err := pipelinedef.Validate([]byte(body)); err != nil {
			t.Errorf("%s: %v", stack, err)
		}
		_, r := f.Res(t, stack, "ModelPipeline/Pipeline")
		if r.Properties["PipelineName"] != name || f.pipelines[stack].PipelineName() != name {
			t.Errorf("%s: PipelineName %v, want %s", stack, r.Properties["PipelineName"], name)
		}
		role, _ := f.Res(t, stack, "ModelPipeline/ExecutionRole/Resource")
		if got := cdktest.Render(r.Properties["RoleArn"]); got != "<"+role+".Arn>" {
			t.Errorf("%s: RoleArn %s, want the execution role", stack, got)
		}
	}
}

// TestPipelineWiring: the definition's tokens are the stack's resources:
// the private subnets and the jobs' security group, the job roles, the
// ML key on volumes and the results key on output, the lake's buckets;
// spot training only where asked, cost tags on every job.
func TestPipelineWiring(t *testing.T) {
	f := loadPipelines(t)
	_, d := definition(t, f, "Pipe")
	sg, _ := f.Res(t, "Pipe", "ModelPipeline/SecurityGroup/Resource")
	proc, _ := f.Res(t, "Pipe", "ModelPipeline/ProcessingRole/Resource")
	train, _ := f.Res(t, "Pipe", "ModelPipeline/TrainingRole/Resource")
	mlKey, _ := f.Res(t, "Pipe", "ML/Key/Resource")
	results := f.Logical["Pipe"]["DataLake/Results/Resource"]
	curated := f.Logical["Pipe"]["DataLake/Curated/Resource"]
	athena := f.Logical["Pipe"]["DataLake/AthenaResults/Resource"]
	resultsKey := strings.TrimSuffix(strings.TrimPrefix(cdktest.Render(cdktest.Get(f.Templates["Pipe"].Resources[results].Properties,
		"BucketEncryption", "ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault", "KMSMasterKeyID")), "<"), ".Arn>")
	if resultsKey == "" || results == "" || curated == "" || athena == "" {
		t.Fatalf("lake logical ids not found: %v", f.Logical["Pipe"])
	}
	tags := `[{"Key":"project","Value":"biolake"},{"Key":"owner","Value":"lab"},{"Key":"costCenter","Value":"cc-42"}]`
	vpcOf := func(a any) string { return jsr(a) }
	for _, name := range []string{"Features", "Evaluate", "Train"} {
		a := pstep(d, name)["Arguments"].(map[string]any)
		vpc, volume, output, role := cdktest.Get(a, "NetworkConfig", "VpcConfig"), cdktest.Get(a, "ProcessingResources", "ClusterConfig", "VolumeKmsKeyId"),
			cdktest.Get(a, "ProcessingOutputConfig", "KmsKeyId"), proc
		isolation := cdktest.Get(a, "NetworkConfig", "EnableNetworkIsolation")
		if name == "Train" {
			vpc, volume, output, role = a["VpcConfig"], cdktest.Get(a, "ResourceConfig", "VolumeKmsKeyId"), cdktest.Get(a, "OutputDataConfig", "KmsKeyId"), train
			isolation = a["EnableNetworkIsolation"]
		}
		if got := vpcOf(vpc); got != `{"SecurityGroupIds":["<`+sg+`.GroupId>"],"Subnets":["<Ref:NetworkVpcprivateSubnet1Subnet`+subnetSuffix(t, f, 1)+`>","<Ref:NetworkVpcprivateSubnet2Subnet`+subnetSuffix(t, f, 2)+`>"]}` {
			t.Errorf("%s VpcConfig = %s", name, got)
		}
		if isolation != true {
			t.Errorf("%s network isolation = %v", name, isolation)
		}
		if volume != "<"+mlKey+".Arn>" || output != "<"+resultsKey+".Arn>" {
			t.Errorf("%s volume key %v, output key %v; want the ML key and the results key", name, volume, output)
		}
		if a["RoleArn"] != "<"+role+".Arn>" {
			t.Errorf("%s RoleArn %v, want %s", name, a["RoleArn"], role)
		}
		if got := jsr(a["Tags"]); got != tags {
			t.Errorf("%s Tags = %s, want %s", name, got, tags)
		}
	}
	tr := pstep(d, "Train")["Arguments"].(map[string]any)
	if tr["EnableManagedSpotTraining"] != true || jsr(tr["StoppingCondition"]) != `{"MaxRuntimeInSeconds":7200,"MaxWaitTimeInSeconds":14400}` {
		t.Errorf("spot %v, stopping %s", tr["EnableManagedSpotTraining"], jsr(tr["StoppingCondition"]))
	}
	if got := jsr(cdktest.Get(tr, "CheckpointConfig", "S3Uri")); got != `{"Std:Join":{"On":"/","Values":["s3://<Ref:`+results+`>/ml/checkpoints",{"Get":"Execution.PipelineExecutionId"}]}}` {
		t.Errorf("checkpoints %s", got)
	}
	if got := jsr(cdktest.Get(tr, "OutputDataConfig", "S3OutputPath")); got != `"s3://<Ref:`+results+`>/ml/models"` {
		t.Errorf("models %s", got)
	}
	params := map[string]any{}
	for _, p := range d["Parameters"].([]any) {
		m := p.(map[string]any)
		params[m["Name"].(string)] = m["DefaultValue"]
	}
	want := map[string]any{
		"CuratedInput":      "s3://<Ref:" + curated + ">/projects/qc",
		"QueryResultsInput": "s3://<Ref:" + athena + ">/athena",
		"FeatureCode":       "s3://<Ref:" + results + ">/ml/code/features",
		"EvaluationCode":    "s3://<Ref:" + results + ">/ml/code/evaluation",
		"MetricThreshold":   0.8,
	}
	if jsr(params) != jsr(want) {
		t.Errorf("parameters %s, want %s", jsr(params), jsr(want))
	}
	reg := pstep(d, "Register")["Arguments"].(map[string]any)
	if reg["ModelPackageGroupName"] != "Pipe-ML-models" || reg["ModelApprovalStatus"] != "PendingManualApproval" {
		t.Errorf("registration in %v with status %v", reg["ModelPackageGroupName"], reg["ModelApprovalStatus"])
	}

	// A lab's own VPC, buckets and key; on demand.
	_, b := definition(t, f, "PipeBYO")
	tr = pstep(b, "Train")["Arguments"].(map[string]any)
	if tr["EnableManagedSpotTraining"] != false || tr["CheckpointConfig"] != nil {
		t.Errorf("BYO training is spot: %s", jsr(tr))
	}
	if got := jsr(tr["VpcConfig"]); !strings.Contains(got, cdktest.BYOSubnetA) || !strings.Contains(got, cdktest.BYOSubnetB) {
		t.Errorf("BYO VpcConfig %s, want the lab's subnets", got)
	}
	if got := jsr(tr["ResourceConfig"]); got != `{"InstanceCount":1,"InstanceType":"ml.m5.xlarge","VolumeKmsKeyId":"`+suppliedKeyArn+`","VolumeSizeInGB":30}` {
		t.Errorf("BYO ResourceConfig %s", got)
	}
	if got := jsr(tr["OutputDataConfig"]); got != `{"KmsKeyId":"`+cdktest.BYODataKeyArn+`","S3OutputPath":"s3://lab-results/ml/models"}` {
		t.Errorf("BYO OutputDataConfig %s", got)
	}
	if tr["Tags"] != nil {
		t.Errorf("BYO tags %s, want none", jsr(tr["Tags"]))
	}
	c := cdktest.Get(pstep(b, "CheckMetric"), "Arguments", "Conditions", 0)
	if got := jsr(c); got != `{"LeftValue":{"Std:JsonGet":{"Path":"regression_metrics.mse.value","PropertyFile":{"Get":"Steps.Evaluate.PropertyFiles.EvaluationReport"}}},"RightValue":{"Get":"Parameters.MetricThreshold"},"Type":"LessThanOrEqualTo"}` {
		t.Errorf("BYO condition %s", got)
	}
	if got := cdktest.Get(pstep(b, "Register"), "Arguments", "ModelPackageGroupName"); got != "lab-models" {
		t.Errorf("BYO group %v", got)
	}
}

// subnetSuffix returns the hash suffix CDK gives the Pipe stack's private
// subnet n.
func subnetSuffix(t *testing.T, f *pipeFixture, n int) string {
	t.Helper()
	prefix := "NetworkVpcprivateSubnet" + string(rune('0'+n)) + "Subnet"
	for _, id := range f.Logical["Pipe"] {
		if strings.HasPrefix(id, prefix) {
			return strings.TrimPrefix(id, prefix)
		}
	}
	t.Fatalf("no %s* subnet", prefix)
	return ""
}

// policies returns the statements of every policy attached to role.
func policies(f *pipeFixture, stack, role string) []map[string]any {
	var out []map[string]any
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, r := range f.OfTypeByID(stack, typ, "") {
			roles := jsr(r.Properties["Roles"])
			if strings.Contains(roles, `{"Ref":"`+role+`"}`) {
				out = append(out, cdktest.Statements(r.Properties["PolicyDocument"])...)
			}
		}
	}
	return out
}

// resourcesOf returns the resources of the statements granting action.
func resourcesOf(sts []map[string]any, action string) []string {
	var out []string
	for _, s := range sts {
		if s["Effect"] == "Allow" && cdktest.HasAction(s, action) {
			for _, r := range s["Resource"].([]any) {
				out = append(out, r.(string))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestPipelineRolesReach: what each role can and cannot do.
func TestPipelineRolesReach(t *testing.T) {
	f := loadPipelines(t)
	exec, _ := f.Res(t, "Pipe", "ModelPipeline/ExecutionRole/Resource")
	proc, _ := f.Res(t, "Pipe", "ModelPipeline/ProcessingRole/Resource")
	train, _ := f.Res(t, "Pipe", "ModelPipeline/TrainingRole/Resource")
	results := "<" + f.Logical["Pipe"]["DataLake/Results/Resource"] + ".Arn>"
	curated := "<" + f.Logical["Pipe"]["DataLake/Curated/Resource"] + ".Arn>"
	athena := "<" + f.Logical["Pipe"]["DataLake/AthenaResults/Resource"] + ".Arn>"

	for _, role := range []string{exec, proc, train} {
		_, r := f.Res(t, "Pipe", "ModelPipeline/"+map[string]string{exec: "ExecutionRole", proc: "ProcessingRole", train: "TrainingRole"}[role]+"/Resource")
		trust := cdktest.Statements(r.Properties["AssumeRolePolicyDocument"])
		if len(trust) != 1 || jsr(cdktest.ServicePrincipal(trust[0])) != `["sagemaker.amazonaws.com"]` || !strings.Contains(jsr(trust[0]["Condition"]), "aws:SourceAccount") {
			t.Errorf("%s trust %s, want SageMaker for this account only", role, jsr(trust))
		}
		for _, s := range policies(f, "Pipe", role) {
			for _, a := range s["Action"].([]any) {
				if strings.Contains(a.(string), "*") {
					t.Errorf("%s: wildcard action %v", role, a)
				}
			}
		}
	}

	cases := []struct {
		role, action string
		want         []string
	}{
		{proc, "s3:PutObject", []string{results + "/ml/evaluation/*", results + "/ml/features/*"}},
		{proc, "s3:GetObject", []string{athena + "/athena/*", curated + "/projects/qc/*", results + "/ml/code/*", results + "/ml/features/*", results + "/ml/models/*"}},
		{train, "s3:PutObject", []string{results + "/ml/checkpoints/*", results + "/ml/models/*"}},
		{train, "s3:GetObject", []string{results + "/ml/checkpoints/*", results + "/ml/features/*"}},
		{exec, "s3:PutObject", nil},
		{exec, "s3:GetObject", []string{results + "/ml/evaluation/*"}},
		{exec, "sagemaker:CreateTrainingJob", []string{"arn:<Ref:AWS::Partition>:sagemaker:<Ref:AWS::Region>:<Ref:AWS::AccountId>:training-job/pipelines-*"}},
		{exec, "sagemaker:CreateProcessingJob", []string{"arn:<Ref:AWS::Partition>:sagemaker:<Ref:AWS::Region>:<Ref:AWS::AccountId>:processing-job/pipelines-*"}},
		{exec, "sagemaker:CreateModelPackage", []string{"<MLModelRegistry" + registrySuffix(t, f) + ".ModelPackageGroupArn>", "arn:<Ref:AWS::Partition>:sagemaker:<Ref:AWS::Region>:<Ref:AWS::AccountId>:model-package/pipe-ml-models/*"}},
		{exec, "iam:PassRole", []string{"<" + proc + ".Arn>", "<" + train + ".Arn>"}},
		{exec, "sagemaker:CreateEndpoint", nil},
		{exec, "sagemaker:UpdateModelPackage", nil},
		{proc, "sagemaker:CreateTrainingJob", nil},
		{proc, "iam:PassRole", nil},
		{train, "iam:PassRole", nil},
		{proc, "ecr:BatchGetImage", []string{"arn:<Ref:AWS::Partition>:ecr:eu-west-1:141502667606:repository/sagemaker-scikit-learn"}},
		{train, "ecr:BatchGetImage", []string{"arn:<Ref:AWS::Partition>:ecr:eu-west-1:141502667606:repository/sagemaker-xgboost"}},
		{train, "kms:CreateGrant", []string{"<" + mlKeyID(t, f) + ".Arn>"}},
		{train, "logs:PutLogEvents", []string{"arn:<Ref:AWS::Partition>:logs:<Ref:AWS::Region>:<Ref:AWS::AccountId>:log-group:/aws/sagemaker/TrainingJobs", "arn:<Ref:AWS::Partition>:logs:<Ref:AWS::Region>:<Ref:AWS::AccountId>:log-group:/aws/sagemaker/TrainingJobs:log-stream:*"}},
	}
	for _, c := range cases {
		got := resourcesOf(policies(f, "Pipe", c.role), c.action)
		if jsr(got) != jsr(c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%s %s on %s, want %s", c.role, c.action, jsr(got), jsr(c.want))
		}
	}
	for _, s := range policies(f, "Pipe", exec) {
		if cdktest.HasAction(s, "iam:PassRole") && jsr(s["Condition"]) != `{"StringEquals":{"iam:PassedToService":"sagemaker.amazonaws.com"}}` {
			t.Errorf("PassRole condition %s", jsr(s["Condition"]))
		}
	}
	for _, role := range []string{proc, train} {
		for _, s := range policies(f, "Pipe", role) {
			if cdktest.HasAction(s, "ec2:CreateNetworkInterface") && !strings.Contains(jsr(s["Condition"]), `"ec2:Vpc"`) {
				t.Errorf("%s creates network interfaces outside the VPC: %s", role, jsr(s))
			}
		}
	}
}

func registrySuffix(t *testing.T, f *pipeFixture) string {
	t.Helper()
	id, _ := f.Res(t, "Pipe", "ML/ModelRegistry")
	return strings.TrimPrefix(id, "MLModelRegistry")
}

func mlKeyID(t *testing.T, f *pipeFixture) string {
	t.Helper()
	id, _ := f.Res(t, "Pipe", "ML/Key/Resource")
	return id
}

// TestPipelineGroupAndAlarm: the jobs' security group admits only its own
// members; the alarm watches failed executions of this pipeline.
func TestPipelineGroupAndAlarm(t *testing.T) {
	f := loadPipelines(t)
	sgID, sg := f.Res(t, "Pipe", "ModelPipeline/SecurityGroup/Resource")
	if in := sg.Properties["SecurityGroupIngress"]; in != nil {
		t.Errorf("inline ingress %s", jsr(in))
	}
	for _, r := range f.OfTypeByID("Pipe", "AWS::EC2::SecurityGroupIngress", "") {
		if cdktest.Render(r.Properties["GroupId"]) == "<"+sgID+".GroupId>" && cdktest.Render(r.Properties["SourceSecurityGroupId"]) != "<"+sgID+".GroupId>" {
			t.Errorf("ingress from outside the group: %s", jsr(r.Properties))
		}
	}
	_, a := f.Res(t, "Pipe", "ModelPipeline/ExecutionFailedAlarm/Resource")
	p := a.Properties
	if p["Namespace"] != ml.PipelineNamespace || p["MetricName"] != "ExecutionFailed" || p["Statistic"] != "Sum" ||
		jsr(p["Dimensions"]) != `[{"Name":"PipelineName","Value":"Pipe-ModelPipeline"}]` || p["Threshold"] != 1.0 {
		t.Errorf("alarm %s", jsr(p))
	}
	if ml.PipelineNamespace != "AWS/Sagemaker/ModelBuildingPipeline" {
		t.Errorf("namespace %s", ml.PipelineNamespace)
	}
}

// TestGrantStartExecution: a scientist starts and follows this pipeline's
// executions only.
func TestGrantStartExecution(t *testing.T) {
	f := loadPipelines(t)
	role, _ := f.Res(t, "Pipe", "Scientist/Resource")
	sts := policies(f, "Pipe", role)
	arn := "arn:<Ref:AWS::Partition>:sagemaker:<Ref:AWS::Region>:<Ref:AWS::AccountId>:pipeline/pipe-modelpipeline"
	for action, want := range map[string]string{
		"sagemaker:StartPipelineExecution":    arn,
		"sagemaker:DescribePipelineExecution": arn + "/execution/*",
		"sagemaker:StopPipelineExecution":     arn + "/execution/*",
		"sagemaker:ListPipelineExecutions":    arn,
	} {
		if got := resourcesOf(sts, action); jsr(got) != jsr([]string{want}) {
			t.Errorf("%s on %s, want %s", action, jsr(got), want)
		}
	}
	if got := resourcesOf(sts, "sagemaker:UpdatePipeline"); len(got) > 0 {
		t.Errorf("scientist may update the pipeline: %v", got)
	}
}

// TestPipelineNag: zero unsuppressed findings in the pipeline's stacks,
// the suppressions logged for review.
func TestPipelineNag(t *testing.T) {
	loadPipelines(t).NagGate(t, "/ModelPipeline/", "ml pipeline")
}

// TestPipelineCfnLint runs cfn-lint over the pipeline's templates.
func TestPipelineCfnLint(t *testing.T) {
	cdktest.CfnLint(t, loadPipelines(t).TemplateFiles())
}

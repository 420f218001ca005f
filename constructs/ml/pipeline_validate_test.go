package ml_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/analytics"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/constructs/network"
)

// TestPipelineBadInput: each bad input stops NewPipeline with a validation
// error naming the construct, the field, the bad value and what is
// accepted. Each case builds under its own id (never synthesized).
func TestPipelineBadInput(t *testing.T) {
	var (
		stack      awscdk.Stack
		net        *network.Network
		publicOnly network.INetwork
		lake       *datalake.DataLake
		partLake   datalake.ILake
		key        awskms.IKey
	)
	msg, _ := cdktest.Catch(func() {
		_, stack = cdktest.NewStack("BadPipe")
		net = network.New(stack, "Network", nil)
		lake = datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true})
		key = awskms.Key_FromKeyArn(stack, jsii.String("Key"), jsii.String(suppliedKeyArn))
		vpc := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("PublicVpc"), &awsec2.VpcAttributes{
			VpcId:                     jsii.String("vpc-0123456789abcdef0"),
			AvailabilityZones:         jsii.Strings("eu-west-1a", "eu-west-1b"),
			PublicSubnetIds:           jsii.Strings("subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"),
			PublicSubnetRouteTableIds: jsii.Strings("rtb-0aaaaaaaaaaaaaaa1", "rtb-0aaaaaaaaaaaaaaa2"),
		})
		publicOnly = network.FromVpc(stack, "PublicNetwork", &network.FromVpcProps{Vpc: vpc, Subnets: *vpc.PublicSubnets(), Egress: true, CreateMissingEndpoints: true})
		partLake = datalake.FromBuckets(stack, "PartLake", &datalake.FromBucketsProps{Buckets: map[datalake.BucketName]datalake.BucketRef{
			datalake.BucketCurated: {Bucket: awss3.Bucket_FromBucketName(stack, jsii.String("C"), jsii.String("lab-curated"))},
			datalake.BucketResults: {Bucket: awss3.Bucket_FromBucketName(stack, jsii.String("R"), jsii.String("lab-results"))},
		}})
	})
	if msg != "" {
		t.Fatal(msg)
	}
	good := func() *ml.PipelineProps { return pipelineProps(net, lake, labRegistry{}, key) }
	cases := []struct {
		name   string
		change func(p *ml.PipelineProps)
		field  string
		want   string
	}{
		{"unknown training family", func(p *ml.PipelineProps) { p.Training.InstanceType = "ml.zz9.large" }, "Training.InstanceType", "a family SageMaker offers for training jobs (ml.zz9 is not one): ml.c4"},
		{"unknown processing size", func(p *ml.PipelineProps) { p.Processing.InstanceType = "ml.m5.huge" }, "Processing.InstanceType", "a size of ml.m5 SageMaker offers for processing jobs"},
		{"not an instance type", func(p *ml.PipelineProps) { p.Training.InstanceType = "m5.xlarge" }, "Training.InstanceType", "ml.<family>.<size>"},
		{"spot without a maximum wait", func(p *ml.PipelineProps) { p.Training.MaxWait = 0 }, "Training.MaxWait", "a maximum wait with Spot"},
		{"maximum wait below the run time", func(p *ml.PipelineProps) { p.Training.MaxWait = time.Hour }, "Training.MaxWait", "at least Training.MaxRuntime (2h0m0s)"},
		{"maximum wait without spot", func(p *ml.PipelineProps) { p.Training.Spot = false }, "Training.MaxWait", "0 without Spot"},
		{"run time above 28 days", func(p *ml.PipelineProps) {
			p.Training.MaxRuntime = 29 * 24 * time.Hour
			p.Training.MaxWait = 30 * 24 * time.Hour
		}, "Training.MaxRuntime", "from 1s to 672h0m0s"},
		{"processing run time above 7 days", func(p *ml.PipelineProps) { p.Processing.MaxRuntime = 8 * 24 * time.Hour }, "Processing.MaxRuntime", "from 1s to 168h0m0s"},
		{"fractional seconds", func(p *ml.PipelineProps) { p.Processing.MaxRuntime = 1500 * time.Millisecond }, "Processing.MaxRuntime", "whole seconds"},
		{"negative run time", func(p *ml.PipelineProps) { p.Processing.MaxRuntime = -time.Second }, "Processing.MaxRuntime", "whole seconds"},
		{"no training image", func(p *ml.PipelineProps) { p.Training.Image = "" }, "Training.Image", "an ECR image URI"},
		{"Docker Hub image", func(p *ml.PipelineProps) { p.Processing.Image = "python:3.12" }, "Processing.Image", "an ECR image URI"},
		{"image with upper-case repository", func(p *ml.PipelineProps) { p.Training.Image = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/Lab/XGB:1" }, "Training.Image", "<account>.dkr.ecr.<region>"},
		{"image with a bad digest", func(p *ml.PipelineProps) { p.Training.Image = xgboostImage + "@sha256:abc" }, "Training.Image", "@sha256:<digest>"},
		{"inference image", func(p *ml.PipelineProps) { p.InferenceImage = "ghcr.io/lab/model:1" }, "InferenceImage", "an ECR image URI"},
		{"no instances", func(p *ml.PipelineProps) { p.Training.InstanceCount = -1 }, "Training.InstanceCount", "1 to 100"},
		{"too many instances", func(p *ml.PipelineProps) { p.Processing.InstanceCount = 101 }, "Processing.InstanceCount", "1 to 100"},
		{"volume too large", func(p *ml.PipelineProps) { p.Training.VolumeSizeGB = 16385 }, "Training.VolumeSizeGB", "1 to 16384 GB"},
		{"empty hyperparameter key", func(p *ml.PipelineProps) { p.Training.HyperParameters = map[string]string{"": "1"} }, `Training.HyperParameters[""]`, "a key of 1 to 256"},
		{"unknown comparison", func(p *ml.PipelineProps) { p.Metric.Comparison = "AtLeast" }, "Metric.Comparison", "GreaterThanOrEqualTo"},
		{"metric with $.", func(p *ml.PipelineProps) { p.Metric.Path = "$.metrics.auc" }, "Metric.Path", `without "$."`},
		{"no metric", func(p *ml.PipelineProps) { p.Metric.Path = "" }, "Metric.Path", "metrics.auc.value"},
		{"threshold not a number", func(p *ml.PipelineProps) { p.Metric.Threshold = math.NaN() }, "Metric.Threshold", "a finite number"},
		{"content type", func(p *ml.PipelineProps) { p.ContentType = "csv" }, "ContentType", "a MIME type"},
		{"pipeline name", func(p *ml.PipelineProps) { p.PipelineName = "model_pipeline" }, "PipelineName", "letters, digits and '-'"},
		{"escaping prefix", func(p *ml.PipelineProps) { p.CuratedPrefix = "../raw/" }, "CuratedPrefix", "a key prefix inside the bucket"},
		{"duplicate tag", func(p *ml.PipelineProps) { p.JobTags = append(p.JobTags, ml.JobTag{Key: "owner", Value: "x"}) }, "JobTags[3].Key", "a key not listed before"},
		{"aws: tag", func(p *ml.PipelineProps) { p.JobTags = []ml.JobTag{{Key: "aws:project", Value: "x"}} }, "JobTags[0].Key", `not starting with "aws:"`},
		{"network without private subnets", func(p *ml.PipelineProps) { p.Network = publicOnly }, "Network", "a network with private subnets"},
		{"no network", func(p *ml.PipelineProps) { p.Network = nil }, "Network", "private subnets hold the jobs"},
		{"no lake", func(p *ml.PipelineProps) { p.Lake = nil }, "Lake", "athenaResults"},
		{"lake without query results", func(p *ml.PipelineProps) { p.Lake = partLake }, "Lake", `"athenaResults"`},
		{"no registry", func(p *ml.PipelineProps) { p.Registry = nil }, "Registry", "model registry"},
		{"no key", func(p *ml.PipelineProps) { p.Key = nil }, "Key", "the jobs' volumes"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := good()
			c.change(p)
			id := fmt.Sprintf("Case%d", i)
			err := cdktest.CatchValidation(t, func() { ml.NewPipeline(stack, id, p) })
			cdktest.HasField(t, err, "BadPipe/"+id, c.field)
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	t.Run("nil props", func(t *testing.T) {
		err := cdktest.CatchValidation(t, func() { ml.NewPipeline(stack, "NilProps", nil) })
		cdktest.HasField(t, err, "BadPipe/NilProps", "Props")
	})
	t.Run("the good props are accepted", func(t *testing.T) {
		if msg, panicked := cdktest.Catch(func() { ml.NewPipeline(stack, "Good", good()) }); panicked {
			t.Fatal(msg)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		p := &ml.PipelineProps{Training: ml.PipelineTraining{Spot: true}}
		es := cdktest.ValidationErrors(t, p.ValidateSettings(), "")
		var fields []string
		for _, e := range es {
			fields = append(fields, e.Field)
		}
		if got := strings.Join(fields, " "); got != "Props.Metric.Path Props.Processing.Image Props.Training.Image Props.Training.MaxWait" {
			t.Errorf("fields %s", got)
		}
	})
}

// TestQueryResultsPrefixDefault: the pipeline reads where the analytics
// construct's workgroup writes by default.
func TestQueryResultsPrefixDefault(t *testing.T) {
	if ml.DefaultQueryResultsPrefix != analytics.DefaultResultsPrefix {
		t.Errorf("DefaultQueryResultsPrefix %q, analytics writes to %q", ml.DefaultQueryResultsPrefix, analytics.DefaultResultsPrefix)
	}
}

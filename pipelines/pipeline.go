// Package pipelines is biolake's delivery pipeline: a CDK Pipelines
// (aws-cdk-lib pipelines) pipeline in a tooling account that builds the
// repository, runs the same tests as `make test`, synthesizes the app and
// deploys the environments' Stages in order (for example dev, staging,
// prod), each to its own account and region, with a person approving the
// cdk diff of a stage that asks for it (prod) first.
//
// Like stacks/, it is composition from typed config: bin/biolake builds it
// for `-c env=pipeline` from environments/pipeline.yaml (config.Pipeline)
// and the Stages stacks.NewStage builds for each listed environment. The
// commands the pipeline's CodeBuild steps run live in one script,
// scripts/pipeline-build.sh (see Commands); docs/PIPELINE.md is the
// runbook: bootstrapping the accounts, the connection handshake, approving.
package pipelines

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodecommit"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	cdkpipelines "github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/compliance"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/stacks"
)

// Script is the one script every CodeBuild step of the pipeline runs, with
// a subcommand; the pipeline holds no other build commands.
const Script = "scripts/pipeline-build.sh"

// BootstrapQualifier is the CDK bootstrap qualifier of the stage accounts
// (the default one); the diff step assumes that bootstrap's lookup role.
const BootstrapQualifier = "hnb659fds"

// Commands are the commands of the pipeline's CodeBuild steps, each a call
// of Script. A test runs the install-free ones here the way CI runs them
// and checks that the synthesized buildspecs run exactly these.
type Commands struct {
	Install, Build []string
}

func script(args ...string) string { return "bash " + Script + " " + strings.Join(args, " ") }

// SynthCommands installs the toolchain (Go 1.26, Node 22, cfn-lint, moto),
// checks it, runs the README's test command (.ci/run, which is `make test`)
// and synthesizes the pipeline app into cdk.out.
func SynthCommands() Commands {
	return Commands{
		Install: []string{script("install"), script("check")},
		Build:   []string{script("test"), script("synth")},
	}
}

// DiffCommands installs the pinned CDK CLI and writes the cdk diff of
// stage's stacks against the deployed ones, publishing it to the approval
// topic.
func DiffCommands(stage string) Commands {
	return Commands{
		Install: []string{script("install-cli")},
		Build:   []string{script("diff", stage)},
	}
}

// BuildImage is the CodeBuild image of every step: Ubuntu 22.04 with the
// runtimes RuntimeVersions selects; Script adds what the image lacks.
var BuildImage = awscodebuild.LinuxBuildImage_STANDARD_7_0()

// RuntimeVersions are the image's preinstalled runtimes the steps select:
// Go to fetch the pinned Go 1.26 toolchain (Script), Node 20 for the CDK CLI
// and jsii (Node 22 for the Step Functions tests comes from npm, pinned in
// package-lock.json), Python for cfn-lint and moto.
var RuntimeVersions = map[string]any{"golang": "1.22", "nodejs": "20", "python": "3.12"}

// Stage is one environment the pipeline deploys.
type Stage struct {
	// Stage is the environment's Stage (stacks.NewStage(...).Stage), with an
	// explicit account and region.
	Stage awscdk.Stage
	// Name of the environment.
	Name string
	// Account and Region the Stage deploys to.
	Account, Region string
	// Approval, when not nil, puts a cdk diff and a manual approval before
	// the Stage.
	Approval *config.PipelineApproval
}

// Props configure the delivery pipeline.
type Props struct {
	// Config is environments/pipeline.yaml, validated. Required.
	Config *config.Pipeline
	// Stages in deployment order. Required.
	Stages []Stage
	// CLIVersion of the CDK CLI the self-mutation step installs: the one
	// package.json pins. Required.
	CLIVersion string
}

// Delivery is the pipeline's stack.
type Delivery struct {
	Stack    awscdk.Stack
	Pipeline cdkpipelines.CodePipeline
	// Synth and Diffs are the CodeBuild steps: the build, and the diff
	// before each stage with an approval, by stage name.
	Synth cdkpipelines.CodeBuildStep
	Diffs map[string]cdkpipelines.CodeBuildStep
	// Topic receives the diffs and the approval requests.
	Topic awssns.Topic
	// Logs is the encrypted log group of every CodeBuild step.
	Logs awslogs.LogGroup

	diffRoles []awsiam.Role
}

// StageName is the id of the Stage that holds the pipeline's stack; its
// stack is named "pipeline-Delivery".
const StageName = config.PipelineName

// NewStage builds the Stage "pipeline" under scope (normally the App) with
// the pipeline's stack in the tooling account, and the pipeline in it.
// The environments' Stages stay where stacks.NewStage put them (the App),
// so their stacks keep the names `make deploy` gives them.
func NewStage(scope constructs.Construct, props *Props) *Delivery {
	cfg := props.Config
	stage := awscdk.NewStage(scope, jsii.String(StageName), &awscdk.StageProps{
		Env: &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)},
	})
	compliance.Apply(stage)
	tags := awscdk.Tags_Of(stage)
	tags.Add(jsii.String("project"), jsii.String(cfg.Tags.Project), nil)
	tags.Add(jsii.String("environment"), jsii.String(StageName), nil)
	tags.Add(jsii.String("owner"), jsii.String(cfg.Tags.Owner), nil)
	if cfg.Tags.CostCenter != "" {
		tags.Add(jsii.String("cost-center"), jsii.String(cfg.Tags.CostCenter), nil)
	}
	stack := awscdk.NewStack(stage, jsii.String("Delivery"), &awscdk.StackProps{
		Description:           jsii.String("biolake delivery pipeline: builds, tests and deploys the environments " + stageNames(props.Stages)),
		TerminationProtection: jsii.Bool(true),
	})
	return newDelivery(stack, props)
}

func stageNames(stages []Stage) string {
	n := make([]string, len(stages))
	for i, s := range stages {
		n[i] = s.Name
	}
	return strings.Join(n, ", ")
}

func newDelivery(stack awscdk.Stack, props *Props) *Delivery {
	cfg := props.Config
	d := &Delivery{Stack: stack, Diffs: map[string]cdkpipelines.CodeBuildStep{}}

	key := secure.NewKey(stack, "Key", &secure.KeyProps{
		Description: "biolake pipeline: build logs and approval notifications",
		Services:    []secure.Service{secure.ServiceLogs},
	})
	d.Logs = awslogs.NewLogGroup(stack, jsii.String("BuildLogs"), &awslogs.LogGroupProps{
		EncryptionKey: key,
		Retention:     secure.RetentionDays(cfg.Logs.RetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	d.Topic = awssns.NewTopic(stack, jsii.String("Approvals"), &awssns.TopicProps{
		DisplayName: jsii.String("biolake pipeline approvals"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	var emails []string
	for _, st := range props.Stages {
		if st.Approval != nil {
			emails = append(emails, st.Approval.Emails...)
		}
	}
	for _, e := range uniq(emails) {
		d.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}

	var source cdkpipelines.CodePipelineSource
	switch cfg.Source.Kind {
	case config.SourceCodeCommit:
		repo := awscodecommit.Repository_FromRepositoryName(stack, jsii.String("Repository"), jsii.String(cfg.Source.Repository))
		source = cdkpipelines.CodePipelineSource_CodeCommit(repo, jsii.String(cfg.Source.Branch), nil)
	default:
		source = cdkpipelines.CodePipelineSource_Connection(jsii.String(cfg.Source.Repository), jsii.String(cfg.Source.Branch),
			&cdkpipelines.ConnectionSourceOptions{ConnectionArn: jsii.String(cfg.Source.ConnectionArn)})
	}

	synthCmds := SynthCommands()
	d.Synth = cdkpipelines.NewCodeBuildStep(jsii.String("Synth"), &cdkpipelines.CodeBuildStepProps{
		Input:                  source,
		InstallCommands:        jsii.Strings(synthCmds.Install...),
		Commands:               jsii.Strings(synthCmds.Build...),
		PrimaryOutputDirectory: jsii.String("cdk.out"),
		// make test runs two test binaries of about 1 GB each with jsii.
		BuildEnvironment: &awscodebuild.BuildEnvironment{ComputeType: awscodebuild.ComputeType_LARGE},
		Timeout:          awscdk.Duration_Minutes(jsii.Number(60)),
	})

	d.Pipeline = cdkpipelines.NewCodePipeline(stack, jsii.String("Pipeline"), &cdkpipelines.CodePipelineProps{
		Synth:             d.Synth,
		CrossAccountKeys:  jsii.Bool(true),
		EnableKeyRotation: jsii.Bool(true),
		SelfMutation:      jsii.Bool(true),
		CliVersion:        jsii.String(props.CLIVersion),
		// The Lambda handlers are built with Go at synth, and container
		// image assets are only staged then: the synth needs no Docker.
		// Publishing the image assets gets a privileged build of its own.
		DockerEnabledForSynth: jsii.Bool(false),
		CodeBuildDefaults: &cdkpipelines.CodeBuildOptions{
			BuildEnvironment: &awscodebuild.BuildEnvironment{BuildImage: BuildImage},
			PartialBuildSpec: awscodebuild.BuildSpec_FromObject(&map[string]any{
				"phases": map[string]any{"install": map[string]any{"runtime-versions": RuntimeVersions}},
			}),
			Logging: &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{LogGroup: d.Logs}},
		},
	})

	for _, st := range props.Stages {
		opts := &cdkpipelines.AddStageOpts{}
		if st.Approval != nil {
			diff := newDiffStep(stack, d, source, st)
			approve := cdkpipelines.NewManualApprovalStep(jsii.String("Approve-"+st.Name), &cdkpipelines.ManualApprovalStepProps{
				Comment:           jsii.String(fmt.Sprintf("Approve deploying %s: its cdk diff is in the log of the Diff-%s action just before this one (and was sent to the approvals topic).", st.Name, st.Name)),
				NotificationTopic: d.Topic,
			})
			approve.AddStepDependency(diff)
			opts.Pre = &[]cdkpipelines.Step{diff, approve}
			d.Diffs[st.Name] = diff
		}
		d.Pipeline.AddStage(st.Stage, opts)
	}
	d.Pipeline.BuildPipeline()
	hardenArtifacts(stack, d)
	suppress(stack, d)
	return d
}

// newDiffStep is the CodeBuild step that runs cdk diff of st against its
// deployed stacks with the CDK bootstrap lookup role of st's account (read
// only), and publishes the diff to the approvals topic.
func newDiffStep(stack awscdk.Stack, d *Delivery, source cdkpipelines.CodePipelineSource, st Stage) cdkpipelines.CodeBuildStep {
	lookupRole := fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-lookup-role-%s-%s", *awscdk.Aws_PARTITION(), st.Account, BootstrapQualifier, st.Account, st.Region)
	role := awsiam.NewRole(stack, jsii.String("Diff"+title(st.Name)+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("codebuild.amazonaws.com"), nil),
		Description: jsii.String("biolake pipeline: cdk diff of " + st.Name + " through its account's CDK lookup role"),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sts:AssumeRole"),
		Resources: jsii.Strings(lookupRole),
	}))
	d.Topic.GrantPublish(role)
	d.diffRoles = append(d.diffRoles, role)
	cmds := DiffCommands(st.Name)
	return cdkpipelines.NewCodeBuildStep(jsii.String("Diff-"+st.Name), &cdkpipelines.CodeBuildStepProps{
		Input:            source,
		AdditionalInputs: &map[string]cdkpipelines.IFileSetProducer{"cdk.out": d.Synth},
		InstallCommands:  jsii.Strings(cmds.Install...),
		Commands:         jsii.Strings(cmds.Build...),
		Env: &map[string]*string{
			"DIFF_TOPIC_ARN": d.Topic.TopicArn(),
		},
		Role:                   role,
		PrimaryOutputDirectory: jsii.String("diff"),
	})
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func uniq(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// hardenArtifacts gives the artifact bucket CDK Pipelines creates (with
// its customer-managed key, crossAccountKeys) and the replication bucket of
// each cross-region support stack versioning, a lifecycle for old versions
// and server access logs into a log bucket of biolake's in their region.
func hardenArtifacts(stack awscdk.Stack, d *Delivery) {
	artifacts := d.Pipeline.Pipeline().ArtifactBucket()
	harden(stack, artifacts.Node().DefaultChild(), "AccessLogs")
	artifacts.EncryptionKey().AddToResourcePolicy(secure.DenyGrantsNotForAWSServices(), jsii.Bool(false))
	// cfn-lint's E3703 asks for Fn::Sub where CDK Pipelines writes the
	// actions' role ARNs with Fn::Join; the pipeline resource alone skips it.
	d.Pipeline.Pipeline().Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("cfn-lint"), map[string]any{
		"config": map[string]any{"ignore_checks": []string{"E3703"}},
	})
	stage := awscdk.Stage_Of(stack)
	for _, c := range *stage.Node().Children() {
		if !*awscdk.Stack_IsStack(c) || !strings.HasPrefix(*c.Node().Id(), "cross-region-stack-") {
			continue
		}
		support := c.(awscdk.Stack)
		def := support.Node().TryFindChild(jsii.String("Default"))
		bucket := def.Node().FindChild(jsii.String("CrossRegionCodePipelineReplicationBucket"))
		key := def.Node().FindChild(jsii.String("CrossRegionCodePipelineReplicationBucketEncryptionKey")).(awskms.IKey)
		key.AddToResourcePolicy(secure.DenyGrantsNotForAWSServices(), jsii.Bool(false))
		harden(support, bucket.Node().DefaultChild(), "AccessLogs")
		compliance.SuppressDeferred(bucket, replicationRules()...)
	}
}

// NoncurrentArtifactDays is how long a replaced pipeline artifact is kept.
const NoncurrentArtifactDays = 30

func harden(stack awscdk.Stack, child constructs.IConstruct, logsID string) {
	bucket := child.(awss3.CfnBucket)
	logs := stack.Node().TryFindChild(jsii.String(logsID))
	var logBucket awss3.Bucket
	if logs == nil {
		logBucket = secure.NewLogBucket(stack, logsID, nil)
	} else {
		logBucket = logs.(awss3.Bucket)
	}
	prefix := strings.ReplaceAll(*bucket.Node().Path(), ":", "-") + "/"
	bucket.SetVersioningConfiguration(&awss3.CfnBucket_VersioningConfigurationProperty{Status: jsii.String("Enabled")})
	// As on every biolake bucket (AWS Control Tower's CT.S3.PR.9 and
	// CT.S3.PR.4): Object Lock on, without a default retention, and events
	// to EventBridge.
	bucket.SetObjectLockEnabled(jsii.Bool(true))
	bucket.SetNotificationConfiguration(&awss3.CfnBucket_NotificationConfigurationProperty{
		EventBridgeConfiguration: &awss3.CfnBucket_EventBridgeConfigurationProperty{EventBridgeEnabled: jsii.Bool(true)},
	})
	bucket.SetLoggingConfiguration(&awss3.CfnBucket_LoggingConfigurationProperty{
		DestinationBucketName: logBucket.BucketName(), LogFilePrefix: jsii.String(prefix),
	})
	bucket.SetLifecycleConfiguration(&awss3.CfnBucket_LifecycleConfigurationProperty{Rules: &[]any{
		&awss3.CfnBucket_RuleProperty{
			Id: jsii.String("expire-replaced-artifacts"), Status: jsii.String("Enabled"),
			NoncurrentVersionExpiration:    &awss3.CfnBucket_NoncurrentVersionExpirationProperty{NoncurrentDays: jsii.Number(NoncurrentArtifactDays)},
			AbortIncompleteMultipartUpload: &awss3.CfnBucket_AbortIncompleteMultipartUploadProperty{DaysAfterInitiation: jsii.Number(secure.DefaultAbortIncompleteUploadDays)},
		},
	}})
	logBucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("S3ServerAccessLogsDelivery"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logging.s3.amazonaws.com"), nil)},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  jsii.Strings(*logBucket.ArnForObjects(jsii.String(prefix + "*"))),
		Conditions: &map[string]any{
			"ArnLike":      map[string]any{"aws:SourceArn": bucket.GetAtt(jsii.String("Arn"), awscdk.ResolutionTypeHint_STRING)},
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
		},
	}))
}

// Build composes the pipeline app: the Stage of each environment cfg
// deploys (stacks.NewStage, under app, as `make synth ENV=NAME` builds it
// but placed in the stage's account) and the pipeline's Stage.
func Build(app awscdk.App, cfg *config.Pipeline, cliVersion string) *Delivery {
	stages := make([]Stage, len(cfg.Environments))
	for i, env := range cfg.Environments {
		stages[i] = Stage{
			Stage: stacks.NewStage(app, env).Stage, Name: env.Name,
			Account: env.Account, Region: env.Region, Approval: cfg.Stages[i].Approval,
		}
	}
	return NewStage(app, &Props{Config: cfg, Stages: stages, CLIVersion: cliVersion})
}

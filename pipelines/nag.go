package pipelines

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/biolake/biolake/constructs/compliance"
)

// Fragments of the cdk-nag appliesTo patterns below; the pipeline's stack
// has an explicit account and region, so ARNs are literal.
const (
	arnScope     = `(aws[a-z-]*|\*)`
	regionScope  = `[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]`
	accountScope = `[0-9]{12}`
)

// generatedRoles is the reason for the wildcards in the policies CDK
// Pipelines and CodePipeline generate for their roles.
const generatedRoles = "CDK Pipelines generates these policies: the actions are scoped to the pipeline's own artifact and replication buckets " +
	"(object wildcards under them), its artifact keys, its CodeBuild projects' log groups and report groups, " +
	"and the CDK bootstrap roles of the stage accounts (assumed only when tagged aws-cdk:bootstrap-role)."

// generatedPolicies lists the IAM findings on the generated roles, each
// limited to the wildcards CDK Pipelines writes.
var generatedPolicies = []compliance.Rule{
	{ID: "AwsSolutions-IAM5", Reason: generatedRoles, AppliesToRegex: []string{
		`/^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$/`,
		`/^Action::kms:(ReEncrypt|GenerateDataKey)\*$/`,
		`/^Resource::<PipelineArtifactsBucket[A-F0-9]+\.Arn>\/\*$/`,
		`/^Resource::arn:` + arnScope + `:s3:::pipeline-delivery-support[a-z0-9-]+\/\*$/`,
		`/^Resource::arn:` + arnScope + `:logs:` + regionScope + `:` + accountScope + `:log-group:\/aws\/codebuild\/.*$/`,
		`/^Resource::arn:` + arnScope + `:codebuild:` + regionScope + `:` + accountScope + `:report-group\/.*$/`,
		`/^Resource::arn:\*:iam::` + accountScope + `:role\/\*$/`,
		// kms:* on the replication keys of other regions (referenced by
		// alias, so CDK cannot name them), codebuild:StartBuild on the
		// asset projects, cloudformation:DescribeStacks for self-mutation.
		`/^Resource::\*$/`,
	}},
	{ID: "HIPAA.Security-IAMNoInlinePolicy", Reason: "CDK Pipelines writes each generated role's permissions as that role's default policy; the policy belongs to the role and is reviewed with this stack's snapshot."},
	{ID: "NIST.800.53.R5-IAMNoInlinePolicy", Reason: "CDK Pipelines writes each generated role's permissions as that role's default policy; the policy belongs to the role and is reviewed with this stack's snapshot."},
	{ID: "HIPAA.Security-CodeBuildProjectSourceRepoUrl", Reason: "The project's source is the pipeline's artifact (source type CODEPIPELINE): it holds no repository URL and no credentials; the repository is reached through the CodeConnections connection or CodeCommit."},
}

// artifactsNotReplicated is why the pipeline's buckets have no replica.
var artifactsNotReplicated = compliance.Rule{ID: "HIPAA.Security-S3BucketReplicationEnabled",
	Reason: "Pipeline artifacts are rebuilt from the repository by the next run; the cross-region buckets are themselves the copies CodePipeline needs in the stages' regions."}

func replicationRules() []compliance.Rule {
	nist := artifactsNotReplicated
	nist.ID = "NIST.800.53.R5-S3BucketReplicationEnabled"
	return []compliance.Rule{artifactsNotReplicated, nist}
}

// suppress lists, with reasons, the cdk-nag findings on what CDK Pipelines
// generates that cannot be fixed from outside it.
func suppress(stack awscdk.Stack, d *Delivery) {
	compliance.SuppressDeferred(d.Pipeline, generatedPolicies...)
	compliance.SuppressDeferred(d.Pipeline.Pipeline().ArtifactBucket(), replicationRules()...)
	for _, diff := range d.diffRoles {
		compliance.SuppressDeferred(diff, generatedPolicies...)
	}
}

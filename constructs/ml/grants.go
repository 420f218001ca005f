package ml

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/validation"
)

// Actions the construct grants. No wildcard actions.
var (
	// keyActions on the domain's key: SageMaker encrypts the apps' EBS
	// volumes, the home file system and the online store with it on the
	// role's behalf, through grants for AWS resources only.
	keyActions = []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"}
	// logActions on /aws/sagemaker/* log groups: apps, jobs and the
	// SageMaker Python SDK write there.
	logActions = []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:GetLogEvents"}
	// studioActions on the domain's own apps and spaces: Studio starts,
	// stops and tags them with the execution role.
	appActions     = []string{"sagemaker:CreateApp", "sagemaker:DeleteApp", "sagemaker:DescribeApp", "sagemaker:AddTags", "sagemaker:ListTags"}
	spaceActions   = []string{"sagemaker:CreateSpace", "sagemaker:UpdateSpace", "sagemaker:DeleteSpace", "sagemaker:DescribeSpace", "sagemaker:AddTags", "sagemaker:ListTags"}
	domainActions  = []string{"sagemaker:DescribeDomain"}
	profileActions = []string{"sagemaker:DescribeUserProfile"}
	// listActions have no resource-level permissions (the Service
	// Authorization Reference lists no resource type for them).
	listActions = []string{"sagemaker:ListApps", "sagemaker:ListSpaces", "sagemaker:ListUserProfiles", "sagemaker:ListDomains",
		"sagemaker:ListModelPackageGroups", "sagemaker:ListModelPackages"}
	// registryActions on the model package group and its versions.
	registryGroupActions   = []string{"sagemaker:DescribeModelPackageGroup", "sagemaker:CreateModelPackage"}
	registryPackageActions = []string{"sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage", "sagemaker:CreateModelPackage"}
	// featureActions on the feature group (control plane and records).
	featureActions = []string{"sagemaker:DescribeFeatureGroup", "sagemaker:PutRecord", "sagemaker:GetRecord", "sagemaker:BatchGetRecord", "sagemaker:DeleteRecord"}
	// offlineStoreActions Feature Store needs to write the offline store
	// with the role (objects are written bucket-owner-full-control).
	offlineBucketActions = []string{"s3:GetBucketAcl"}
	offlineObjectActions = []string{"s3:PutObjectAcl"}
	openStudioActions    = []string{"sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"}
)

// sagemakerArn is an ARN of this stack's SageMaker resources: resource is
// "app/<domain id>/*" and the like.
func (d *Domain) sagemakerArn(resource string) string {
	s := awscdk.Stack_Of(d)
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:%s", *s.Partition(), *s.Region(), *s.Account(), resource)
}

func add(grantee awsiam.IGrantable, actions, resources []string, conditions map[string]*map[string]interface{}) awsiam.Grant {
	o := &awsiam.GrantOnPrincipalOptions{Grantee: grantee, Actions: jsii.Strings(actions...), ResourceArns: jsii.Strings(resources...)}
	if conditions != nil {
		o.Conditions = &conditions
	}
	return awsiam.Grant_AddToPrincipal(o)
}

// grantExecutionRole gives the execution role what Studio and the lake ask
// of it: read the curated and results buckets, write under the ML prefix,
// the domain's key, its logs, the model registry, the feature group and,
// with Props.Query, Athena. The domain-scoped statements (apps, spaces)
// go in a managed policy attached to the role after the domain exists, as
// they name the domain's id.
func (d *Domain) grantExecutionRole(role awsiam.IRole) {
	p := d.p
	lake := p.Lake
	lake.GrantRead(role, datalake.BucketCurated, "")
	lake.GrantRead(role, datalake.BucketResults, "")
	lake.GrantWrite(role, datalake.BucketResults, p.MLPrefix)
	if p.Query != nil {
		p.Query.GrantQuery(role)
	}
	add(role, keyActions, []string{*d.Key.KeyArn()}, nil)
	add(role, []string{"kms:CreateGrant"}, []string{*d.Key.KeyArn()}, map[string]*map[string]interface{}{
		"Bool": {"kms:GrantIsForAWSResource": "true"},
	})
	s := awscdk.Stack_Of(d)
	logGroup := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/sagemaker/*", *s.Partition(), *s.Region(), *s.Account())
	add(role, logActions, []string{logGroup, logGroup + ":log-stream:*"}, nil)
	d.grantRegistry(role)
	if fg := p.FeatureGroup; fg != nil {
		add(role, featureActions, []string{d.sagemakerArn("feature-group/" + fg.Name)}, nil)
		results := lake.Bucket(datalake.BucketResults)
		add(role, offlineBucketActions, []string{*results.BucketArn()}, nil)
		add(role, offlineObjectActions, []string{*results.ArnForObjects(jsii.String(p.MLPrefix + FeatureStorePrefix + "*"))}, nil)
	}

	nag.SuppressDeferred(role, nag.InAllPacks("The execution role's policy holds the grants of the lake, the key and the registry to this one role; "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(role, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The execution role reads every object of the curated and results buckets and writes only under the ML prefix of results " +
			"(object ARNs of a bucket or prefix end in /*; read and write actions are listed one by one); its log groups are SageMaker's " +
			"/aws/sagemaker/* groups, named by SageMaker per job and app; model package versions are numbered by SageMaker under the group; " +
			"with Athena (analytics.GrantQuery), the Glue tables of the workgroup's one database (table/<database>/*, metadata reads), " +
			"the objects of the tables' locations (catalog/ and inventory/ prefixes, GetObject only) and the workgroup's results prefix.",
		AppliesToRegex: append([]string{
			`/^Resource::<.+\.Arn>\/.*\*$/`,
			`/^Resource::arn:<AWS::Partition>:s3:::<.+>\/.*\*$/`,
			`/^Resource::arn:` + nag.ArnScope + `:logs:` + nag.RegionScope + `:` + nag.AccountScope + `:log-group:\/aws\/sagemaker\/\*(:log-stream:\*)?$/`,
			`/^Resource::arn:` + nag.ArnScope + `:sagemaker:` + nag.RegionScope + `:` + nag.AccountScope + `:model-package\/[A-Za-z0-9-]+\/\*$/`,
			`/^Resource::arn:` + nag.ArnScope + `:glue:` + nag.RegionScope + `:` + nag.AccountScope + `:table\/[a-z0-9_]+\/\*$/`,
		}, nag.ImportedObjectsRegex...),
	})
}

// attachStudioPolicy attaches to the role, in a managed policy that names
// the domain, what Studio does with it: start, stop and tag the domain's
// apps and spaces, describe the domain and its profiles, and the list
// calls that take no resource.
func (d *Domain) attachStudioPolicy(role awsiam.IRole) {
	id := *d.Domain.AttrDomainId()
	policy := awsiam.NewManagedPolicy(d, jsii.String("StudioPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Studio apps and spaces of the SageMaker domain " + *d.Node().Path()),
		Roles:       &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(appActions...), Resources: jsii.Strings(d.sagemakerArn("app/" + id + "/*"))}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(spaceActions...), Resources: jsii.Strings(d.sagemakerArn("space/" + id + "/*"))}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(domainActions...), Resources: jsii.Strings(d.sagemakerArn("domain/" + id))}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(profileActions...), Resources: jsii.Strings(d.sagemakerArn("user-profile/" + id + "/*"))}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(listActions...), Resources: jsii.Strings("*")}),
		},
	})
	nag.Suppress(policy, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "Studio names the apps and spaces it starts with the execution role itself: the ARNs are limited to this domain's id " +
			"(app/<domain id>/*, space/<domain id>/*, user-profile/<domain id>/*); the List calls (apps, spaces, profiles, domains, " +
			"model packages) take no resource (\"*\") and return names only.",
		AppliesToRegex: []string{
			`/^Resource::\*$/`,
			`/^Resource::arn:` + nag.ArnScope + `:sagemaker:` + nag.RegionScope + `:` + nag.AccountScope + `:(app|space|user-profile)\/<.+DomainId>\/\*$/`,
		},
	})
}

// grantRegistry lets grantee register model versions in the group and read
// them back.
func (d *Domain) grantRegistry(grantee awsiam.IGrantable) awsiam.Grant {
	name := d.p.ModelPackageGroupName
	g := add(grantee, registryGroupActions, []string{d.sagemakerArn("model-package-group/" + name)}, nil)
	return g.Combine(add(grantee, registryPackageActions, []string{d.sagemakerArn("model-package/" + name + "/*")}, nil))
}

// GrantRegisterModels lets grantee (a training pipeline's role) register
// model versions in the model package group, describe them and update their
// approval status. The execution role has it already.
func (d *Domain) GrantRegisterModels(grantee awsiam.IGrantable) awsiam.Grant {
	if grantee == nil {
		panic(validation.New(*d.Node().Path(), "GrantRegisterModels(grantee)", validation.Raw("nil"), "a role or other grantable"))
	}
	return d.grantRegistry(grantee)
}

// GrantOpenStudio lets grantee (a scientist's role or group) open Studio as
// the user profile named profile: aws sagemaker create-presigned-domain-url
// for that profile only. It panics with a validation error when the domain
// has no such profile.
func (d *Domain) GrantOpenStudio(grantee awsiam.IGrantable, profile string) awsiam.Grant {
	path := *d.Node().Path()
	if grantee == nil {
		panic(validation.New(path, "GrantOpenStudio(grantee)", validation.Raw("nil"), "a role or other grantable"))
	}
	if !slices.Contains(d.p.UserProfiles, profile) {
		panic(validation.New(path, "GrantOpenStudio(profile)", profile, "one of the domain's user profiles (Props.UserProfiles): %s", validation.List(d.p.UserProfiles)))
	}
	id := *d.Domain.AttrDomainId()
	g := add(grantee, openStudioActions, []string{d.sagemakerArn("user-profile/" + id + "/" + profile)}, nil)
	return g.Combine(add(grantee, domainActions, []string{d.sagemakerArn("domain/" + id)}, nil))
}

// GrantPassExecutionRole lets grantee pass the execution role to SageMaker
// (and to no other service), as a pipeline that starts jobs with it must.
func (d *Domain) GrantPassExecutionRole(grantee awsiam.IGrantable) awsiam.Grant {
	if grantee == nil {
		panic(validation.New(*d.Node().Path(), "GrantPassExecutionRole(grantee)", validation.Raw("nil"), "a role or other grantable"))
	}
	return add(grantee, []string{"iam:PassRole"}, []string{*d.ExecutionRole.RoleArn()}, map[string]*map[string]interface{}{
		"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"},
	})
}

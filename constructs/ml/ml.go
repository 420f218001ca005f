package ml

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Ports the domain's security group opens between its members.
const (
	// PortNFS is NFS to the domain's home file system (EFS).
	PortNFS = 2049
	// PortAppsFrom and PortAppsTo are the range Studio apps talk to each
	// other on (a JupyterServer and its KernelGateway apps).
	PortAppsFrom = 8192
	PortAppsTo   = 65535
)

// Domain is a SageMaker AI domain in VpcOnly mode with its execution role,
// security group, user profiles, model registry and optional feature
// group. Create it with New.
type Domain struct {
	constructs.Construct

	// Domain is the SageMaker domain.
	Domain awssagemaker.CfnDomain
	// ExecutionRole is the default execution role of every user profile
	// and space: it reads the curated and results buckets and writes only
	// under the ML prefix of the results bucket.
	ExecutionRole awsiam.IRole
	// Key encrypts the domain's storage (supplied or created).
	Key awskms.IKey
	// SecurityGroup is the group of the domain's apps: NFS and the apps'
	// ports between its members, HTTPS out; no other ingress.
	SecurityGroup awsec2.ISecurityGroup
	// UserProfiles by name.
	UserProfiles map[string]awssagemaker.CfnUserProfile
	// ModelPackageGroup is the model registry's group.
	ModelPackageGroup awssagemaker.CfnModelPackageGroup
	// FeatureGroup is the feature group; nil without Props.FeatureGroup.
	FeatureGroup awssagemaker.CfnFeatureGroup

	p *resolved
}

// New creates the domain. It panics, naming the construct path, when props
// are invalid: an invalid user-profile name, an idle timeout out of range,
// a network without private subnets, ...
func New(scope constructs.Construct, id string, props *Props) *Domain {
	path := validation.PathOf(scope, id)
	p, err := validate(path, props)
	validation.Check(path, err)
	d := &Domain{p: p, UserProfiles: map[string]awssagemaker.CfnUserProfile{}}
	constructs.NewConstruct_Override(d, scope, jsii.String(id))
	var c constructs.Construct = d
	stack := awscdk.Stack_Of(c)

	eps := slices.Clone(Endpoints)
	if p.Query != nil {
		eps = append(eps, network.EndpointAthena)
	}
	p.Network.Require(d, eps...)

	d.Key = p.Key
	if d.Key == nil {
		d.Key = secure.NewKey(c, "Key", &secure.KeyProps{Description: "biolake ml " + path + ": SageMaker domain storage (EFS, EBS) and the feature store"})
	}

	sg := awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              p.Network.Vpc(),
		Description:      jsii.String("SageMaker domain apps: NFS and app ports between members, HTTPS out"),
		AllowAllOutbound: jsii.Bool(false),
	})
	for _, rule := range []struct {
		port awsec2.Port
		what string
	}{
		{awsec2.Port_Tcp(jsii.Number(PortNFS)), "NFS to the domain's home file system"},
		{awsec2.Port_TcpRange(jsii.Number(PortAppsFrom), jsii.Number(PortAppsTo)), "Studio apps to each other"},
	} {
		sg.AddIngressRule(sg, rule.port, jsii.String(rule.what), jsii.Bool(false))
		sg.AddEgressRule(sg, rule.port, jsii.String(rule.what), jsii.Bool(false))
	}
	// AWS APIs: the interface endpoints, the S3 gateway endpoint (whose
	// addresses are S3's public ranges) or, in a NAT network, NAT.
	sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS to AWS APIs (endpoints, S3 gateway endpoint, NAT)"), jsii.Bool(false))
	d.SecurityGroup = sg

	role := awsiam.NewRole(c, jsii.String("ExecutionRole"), &awsiam.RoleProps{
		// Confused-deputy guard: SageMaker acting for this account only.
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()}},
		}),
		Description: jsii.String("SageMaker domain " + path + ": read curated and results data, write under " + p.MLPrefix + " of results"),
	})
	d.ExecutionRole = role
	d.grantExecutionRole(role)

	idle := &awssagemaker.CfnDomain_AppLifecycleManagementProperty{
		IdleSettings: &awssagemaker.CfnDomain_IdleSettingsProperty{
			LifecycleManagement:     jsii.String("ENABLED"),
			IdleTimeoutInMinutes:    jsii.Number(float64(p.IdleTimeoutMinutes)),
			MinIdleTimeoutInMinutes: jsii.Number(MinIdleTimeoutMinutes),
			MaxIdleTimeoutInMinutes: jsii.Number(float64(p.IdleTimeoutMinutes)),
		},
	}
	sgs := jsii.Strings(*sg.SecurityGroupId())
	d.Domain = awssagemaker.NewCfnDomain(c, jsii.String("Domain"), &awssagemaker.CfnDomainProps{
		DomainName:           jsii.String(p.DomainName),
		AuthMode:             jsii.String("IAM"),
		AppNetworkAccessType: jsii.String("VpcOnly"),
		VpcId:                p.Network.Vpc().VpcId(),
		SubnetIds:            toAny(*p.subnets.SubnetIds),
		KmsKeyId:             d.Key.KeyArn(),
		DefaultUserSettings: &awssagemaker.CfnDomain_UserSettingsProperty{
			ExecutionRole:         role.RoleArn(),
			SecurityGroups:        sgs,
			JupyterLabAppSettings: &awssagemaker.CfnDomain_JupyterLabAppSettingsProperty{AppLifecycleManagement: idle},
			CodeEditorAppSettings: &awssagemaker.CfnDomain_CodeEditorAppSettingsProperty{AppLifecycleManagement: idle},
			// No notebook sharing: a shared snapshot would leave the lake.
			SharingSettings: &awssagemaker.CfnDomain_SharingSettingsProperty{NotebookOutputOption: jsii.String("Disabled")},
			StudioWebPortal: jsii.String("ENABLED"),
		},
		DefaultSpaceSettings: &awssagemaker.CfnDomain_DefaultSpaceSettingsProperty{
			ExecutionRole:         role.RoleArn(),
			SecurityGroups:        sgs,
			JupyterLabAppSettings: &awssagemaker.CfnDomain_JupyterLabAppSettingsProperty{AppLifecycleManagement: idle},
		},
	})
	// The role's policy must exist before an app can start with it.
	d.Domain.Node().AddDependency(role)
	d.attachStudioPolicy(role)

	for _, name := range p.UserProfiles {
		up := awssagemaker.NewCfnUserProfile(c, jsii.String("UserProfile"+camel(name)), &awssagemaker.CfnUserProfileProps{
			DomainId:        d.Domain.AttrDomainId(),
			UserProfileName: jsii.String(name),
		})
		d.UserProfiles[name] = up
	}

	d.ModelPackageGroup = awssagemaker.NewCfnModelPackageGroup(c, jsii.String("ModelRegistry"), &awssagemaker.CfnModelPackageGroupProps{
		ModelPackageGroupName:        jsii.String(p.ModelPackageGroupName),
		ModelPackageGroupDescription: jsii.String("biolake " + path + ": models trained on the lake's curated data"),
	})

	if p.FeatureGroup != nil {
		d.newFeatureGroup(role)
	}
	return d
}

// newFeatureGroup creates the feature group: offline store in the lake
// under the ML prefix, with the results bucket's key; online store (with
// the domain's key) only when asked.
func (d *Domain) newFeatureGroup(role awsiam.IRole) {
	fg := d.p.FeatureGroup
	results := d.p.Lake.Bucket(datalake.BucketResults)
	var defs []interface{}
	for _, f := range fg.Features {
		defs = append(defs, &awssagemaker.CfnFeatureGroup_FeatureDefinitionProperty{FeatureName: jsii.String(f.Name), FeatureType: jsii.String(string(f.Type))})
	}
	// OfflineStoreConfig and OnlineStoreConfig are JSON in the resource
	// schema: CDK renders them as given, so the keys are CloudFormation's.
	s3 := map[string]interface{}{"S3Uri": "s3://" + *results.BucketName() + "/" + d.p.MLPrefix + FeatureStorePrefix}
	if key := d.p.Lake.Key(datalake.BucketResults); key != nil {
		s3["KmsKeyId"] = key.KeyArn()
	}
	online := map[string]interface{}{"EnableOnlineStore": false}
	if fg.OnlineStore {
		online = map[string]interface{}{"EnableOnlineStore": true, "SecurityConfig": map[string]interface{}{"KmsKeyId": d.Key.KeyArn()}}
	}
	props := &awssagemaker.CfnFeatureGroupProps{
		FeatureGroupName:            jsii.String(fg.Name),
		RecordIdentifierFeatureName: jsii.String(fg.RecordIdentifier),
		EventTimeFeatureName:        jsii.String(fg.EventTime),
		FeatureDefinitions:          &defs,
		Description:                 jsii.String("biolake " + *d.Node().Path() + ": offline store under " + d.p.MLPrefix + FeatureStorePrefix + " of the results bucket"),
		RoleArn:                     role.RoleArn(),
		OfflineStoreConfig: map[string]interface{}{
			"S3StorageConfig": s3,
			// No Glue table: the offline store is read through the ML
			// prefix; a table would need Glue write permissions.
			"DisableGlueTableCreation": true,
		},
		OnlineStoreConfig: online,
	}
	d.FeatureGroup = awssagemaker.NewCfnFeatureGroup(d, jsii.String("FeatureGroup"), props)
	// The role's policy must exist before Feature Store writes with it.
	d.FeatureGroup.Node().AddDependency(role)
}

// DomainID is the domain's id (d-xxxxxxxxxxxx), a token until deploy.
func (d *Domain) DomainID() string { return *d.Domain.AttrDomainId() }

// DomainArn is the domain's ARN.
func (d *Domain) DomainArn() string { return *d.Domain.AttrDomainArn() }

// DomainName is the domain's name.
func (d *Domain) DomainName() string { return d.p.DomainName }

// ModelPackageGroupName is the model registry group's name.
func (d *Domain) ModelPackageGroupName() string { return d.p.ModelPackageGroupName }

// ModelPackageGroupArn is the model registry group's ARN.
func (d *Domain) ModelPackageGroupArn() string {
	return *d.ModelPackageGroup.AttrModelPackageGroupArn()
}

// MLPrefix is the prefix of the results bucket the execution role writes
// under (with a trailing "/").
func (d *Domain) MLPrefix() string { return d.p.MLPrefix }

// IdleTimeoutMinutes is the idle time after which apps shut down.
func (d *Domain) IdleTimeoutMinutes() int { return d.p.IdleTimeoutMinutes }

func toAny(ss []*string) *[]interface{} {
	out := make([]interface{}, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return &out
}

// camel is s with its first letter and each letter after a '-' in upper
// case, without the '-': the construct id of a user profile.
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

var _ Registry = (*Domain)(nil)

package ml

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Labeling is a SageMaker Ground Truth private workforce (Cognito or
// OIDC), its work teams with an encrypted notification topic each, and
// the execution role labeling jobs run with. Create it with NewLabeling.
//
// A labeling job reads its manifest and data objects under
// MLPrefix + "labeling/input/" of the results bucket and writes under
// MLPrefix + "labeling/output/"; the execution role reaches nothing else
// of the lake. Scientists start jobs with GrantStartLabelingJob.
type Labeling struct {
	constructs.Construct

	// Workforce is the private workforce (one per account and region).
	Workforce awssagemaker.CfnWorkforce
	// Teams are the work teams by name.
	Teams map[string]awssagemaker.CfnWorkteam
	// Topics are the teams' notification topics by team name: SageMaker
	// publishes there when a job has new tasks for the team.
	Topics map[string]awssns.Topic
	// UserPool holds the labelers' accounts (Type cognito); nil with OIDC.
	// It is retained when the stack is deleted.
	UserPool awscognito.UserPool
	// UserPoolClient is the app client the labeling portal signs in with
	// (Type cognito); nil with OIDC.
	UserPoolClient awscognito.CfnUserPoolClient
	// ExecutionRole is the role labeling jobs run with.
	ExecutionRole awsiam.Role
	// Key encrypts the topics (supplied or created).
	Key awskms.IKey

	p *resolvedLabeling
}

// NewLabeling creates the workforce, its teams and the execution role. It
// panics, naming the construct path, when props are invalid: an unknown
// workforce type, a team without groups, an http:// issuer, a secret ARN
// that is not one, a CIDR with host bits, ...
func NewLabeling(scope constructs.Construct, id string, props *LabelingProps) *Labeling {
	path := validation.PathOf(scope, id)
	p, err := validateLabeling(path, props)
	validation.Check(path, err)
	l := &Labeling{p: p, Teams: map[string]awssagemaker.CfnWorkteam{}, Topics: map[string]awssns.Topic{}}
	constructs.NewConstruct_Override(l, scope, jsii.String(id))
	var c constructs.Construct = l
	stack := awscdk.Stack_Of(c)

	l.Key = p.Key
	if l.Key == nil {
		l.Key = secure.NewKey(c, "Key", &secure.KeyProps{Description: "biolake labeling " + path + ": work teams' notification topics"})
	}
	// SageMaker publishes to the encrypted topics: it needs the key. An
	// imported key keeps its own policy (allowNoOp).
	l.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowSageMakerLabelingNotifications"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()}},
	}), jsii.Bool(true))

	wfProps := &awssagemaker.CfnWorkforceProps{WorkforceName: jsii.String(p.WorkforceName)}
	if len(p.SourceCIDRs) > 0 {
		wfProps.SourceIpConfig = &awssagemaker.CfnWorkforce_SourceIpConfigProperty{Cidrs: jsii.Strings(p.SourceCIDRs...)}
	}
	var domain awscognito.UserPoolDomain
	switch p.Type {
	case WorkforceCognito:
		domain = l.newUserPool()
		wfProps.CognitoConfig = &awssagemaker.CfnWorkforce_CognitoConfigProperty{
			ClientId: l.UserPoolClient.Ref(),
			UserPool: l.UserPool.UserPoolId(),
		}
	case WorkforceOIDC:
		o := p.OIDC
		// A dynamic reference: CloudFormation reads the secret at deploy;
		// the template holds only its ARN.
		secret := awscdk.SecretValue_SecretsManager(jsii.String(o.ClientSecretArn), &awscdk.SecretsManagerSecretOptions{
			JsonField: optional(o.ClientSecretField),
		})
		wfProps.OidcConfig = &awssagemaker.CfnWorkforce_OidcConfigProperty{
			Issuer:                jsii.String(o.Issuer),
			AuthorizationEndpoint: jsii.String(o.AuthorizationEndpoint),
			TokenEndpoint:         jsii.String(o.TokenEndpoint),
			UserInfoEndpoint:      jsii.String(o.UserInfoEndpoint),
			LogoutEndpoint:        jsii.String(o.LogoutEndpoint),
			JwksUri:               jsii.String(o.JwksURI),
			ClientId:              jsii.String(o.ClientID),
			ClientSecret:          secret.UnsafeUnwrap(),
			Scope:                 optional(o.Scope),
		}
	}
	l.Workforce = awssagemaker.NewCfnWorkforce(c, jsii.String("Workforce"), wfProps)
	if domain != nil {
		// The portal signs in through the pool's domain.
		l.Workforce.Node().AddDependency(domain)
	}

	for _, t := range p.Teams {
		l.newTeam(t)
	}
	l.newExecutionRole()
	return l
}

// optional is nil for "", else a jsii string.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}

// newUserPool creates the labelers' user pool (MFA required with an
// authenticator app, strong passwords, no self sign-up, retained), its
// sign-in domain, the portal's app client and one group per team group.
func (l *Labeling) newUserPool() awscognito.UserPoolDomain {
	p := l.p
	var c constructs.Construct = l
	pool := awscognito.NewUserPool(c, jsii.String("UserPool"), &awscognito.UserPoolProps{
		// Only an administrator adds labelers (docs/ML.md).
		SelfSignUpEnabled: jsii.Bool(false),
		SignInAliases:     &awscognito.SignInAliases{Email: jsii.Bool(true)},
		AutoVerify:        &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		// TOTP only: SMS would need an SMS role and bill per message.
		Mfa:             awscognito.Mfa_REQUIRED,
		MfaSecondFactor: &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(14),
			RequireLowercase:     jsii.Bool(true),
			RequireUppercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		AccountRecovery:     awscognito.AccountRecovery_EMAIL_ONLY,
		SignInCaseSensitive: jsii.Bool(false),
		// Plus: threat protection (compromised credentials, adaptive
		// authentication) enforced; $0.02 per labeler active in a month.
		FeaturePlan:                  awscognito.FeaturePlan_PLUS,
		StandardThreatProtectionMode: awscognito.StandardThreatProtectionMode_FULL_FUNCTION,
		// The pool holds the labelers' accounts and MFA devices.
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
	l.UserPool = pool
	prefix := p.cognito.DomainPrefix
	if prefix == "" {
		prefix = defaultDomainPrefix(p.WorkforceName) + "-" + *awscdk.Stack_Of(l).Account()
	}
	domain := pool.AddDomain(jsii.String("Domain"), &awscognito.UserPoolDomainOptions{
		CognitoDomain: &awscognito.CognitoDomainOptions{DomainPrefix: jsii.String(prefix)},
	})
	// Ground Truth sets the client's OAuth settings (callback and sign-out
	// URLs of the portal, flows, scopes) when it creates the workforce; the
	// template leaves them out so that an update does not undo them.
	l.UserPoolClient = awscognito.NewCfnUserPoolClient(c, jsii.String("PortalClient"), &awscognito.CfnUserPoolClientProps{
		UserPoolId:                 pool.UserPoolId(),
		ClientName:                 jsii.String("sagemaker-labeling-portal"),
		GenerateSecret:             jsii.Bool(true),
		ExplicitAuthFlows:          jsii.Strings("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
		PreventUserExistenceErrors: jsii.String("ENABLED"),
		SupportedIdentityProviders: jsii.Strings("COGNITO"),
		EnableTokenRevocation:      jsii.Bool(true),
	})
	var groups []string
	seen := map[string]bool{}
	for _, t := range p.Teams {
		for _, g := range t.Groups {
			if !seen[g] {
				seen[g] = true
				groups = append(groups, g)
			}
		}
	}
	sort.Strings(groups)
	for _, g := range groups {
		awscognito.NewCfnUserPoolGroup(c, jsii.String("Group"+strings.ReplaceAll(g, "/", "-")), &awscognito.CfnUserPoolGroupProps{
			UserPoolId:  pool.UserPoolId(),
			GroupName:   jsii.String(g),
			Description: jsii.String("Ground Truth labelers: members join the work teams that list this group"),
		})
	}
	return domain
}

// defaultDomainPrefix makes a Cognito domain prefix of the workforce name:
// lower case, without the words Cognito refuses, cut so that "-" and an
// account id still fit in 63.
func defaultDomainPrefix(name string) string {
	s := strings.ToLower(name)
	for _, w := range []string{"cognito", "amazon", "aws"} {
		s = strings.ReplaceAll(s, w, "")
	}
	s = strings.Trim(strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '-' }), "-"), "-")
	if len(s) > 49 {
		s = strings.TrimRight(s[:49], "-")
	}
	if s == "" {
		s = "labeling"
	}
	return s
}

// newTeam creates a work team with its encrypted topic, which SageMaker of
// this account may publish to.
func (l *Labeling) newTeam(t Team) {
	p := l.p
	stack := awscdk.Stack_Of(l)
	tc := constructs.NewConstruct(l, jsii.String("Team"+camel(t.Name)))
	topic := awssns.NewTopic(tc, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("Ground Truth tasks for " + t.Name),
		MasterKey:   l.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowSageMakerLabelingNotifications"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		// The policy Ground Truth documents for a team's topic
		// (sms-workforce-management-private-sns): this account's teams.
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
			"ArnLike":      map[string]interface{}{"aws:SourceArn": l.labelingArn("workteam/*")},
		},
	}))
	var members []interface{}
	switch p.Type {
	case WorkforceCognito:
		for _, g := range t.Groups {
			members = append(members, &awssagemaker.CfnWorkteam_MemberDefinitionProperty{
				CognitoMemberDefinition: &awssagemaker.CfnWorkteam_CognitoMemberDefinitionProperty{
					CognitoUserPool:  l.UserPool.UserPoolId(),
					CognitoClientId:  l.UserPoolClient.Ref(),
					CognitoUserGroup: jsii.String(g),
				},
			})
		}
	case WorkforceOIDC:
		members = append(members, &awssagemaker.CfnWorkteam_MemberDefinitionProperty{
			OidcMemberDefinition: &awssagemaker.CfnWorkteam_OidcMemberDefinitionProperty{OidcGroups: jsii.Strings(t.Groups...)},
		})
	}
	desc := t.Description
	if desc == "" {
		desc = "Labelers of " + strings.Join(t.Groups, ", ")
		if len(desc) > 200 {
			desc = desc[:200]
		}
	}
	team := awssagemaker.NewCfnWorkteam(tc, jsii.String("Workteam"), &awssagemaker.CfnWorkteamProps{
		WorkteamName:              jsii.String(t.Name),
		WorkforceName:             jsii.String(p.WorkforceName),
		Description:               jsii.String(desc),
		MemberDefinitions:         &members,
		NotificationConfiguration: &awssagemaker.CfnWorkteam_NotificationConfigurationProperty{NotificationTopicArn: topic.TopicArn()},
	})
	team.Node().AddDependency(l.Workforce)
	// The groups must exist before the team names them.
	for _, child := range *l.Node().Children() {
		if g, ok := child.(awscognito.CfnUserPoolGroup); ok {
			team.Node().AddDependency(g)
		}
	}
	l.Teams[t.Name] = team
	l.Topics[t.Name] = topic
}

// newExecutionRole creates the role labeling jobs run with: read under the
// labeling prefix, write under its output, the bucket's key through S3,
// the labeling jobs' logs and metrics.
func (l *Labeling) newExecutionRole() {
	p := l.p
	stack := awscdk.Stack_Of(l)
	role := awsiam.NewRole(l, jsii.String("ExecutionRole"), &awsiam.RoleProps{
		// Confused-deputy guard: SageMaker acting for this account only.
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()}},
		}),
		Description: jsii.String("Ground Truth labeling jobs of " + *l.Node().Path() + ": read " + l.InputPrefix() + ", write " + l.OutputPrefix() + " of results"),
	})
	l.ExecutionRole = role
	// Ground Truth reads the manifest and data objects and, when a job
	// chains from an earlier one, that job's output.
	p.Lake.GrantRead(role, datalake.BucketResults, p.MLPrefix+LabelingPrefix)
	p.Lake.GrantWrite(role, datalake.BucketResults, l.OutputPrefix())
	logGroup := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/sagemaker/LabelingJobs", *stack.Partition(), *stack.Region(), *stack.Account())
	add(role, []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
		[]string{logGroup, logGroup + ":log-stream:*"}, nil)
	// PutMetricData takes no resource; the namespace condition keeps the
	// role to the labeling jobs' own metrics.
	add(role, []string{"cloudwatch:PutMetricData"}, []string{"*"}, map[string]*map[string]interface{}{
		"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/LabelingJobs"},
	})
	nag.SuppressDeferred(role, nag.InAllPacks("The labeling execution role's policy holds the lake's grants to this one role; "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(role, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "Labeling jobs read the objects under the labeling prefix of the results bucket and write under its output prefix " +
			"(object ARNs of a prefix end in /*; actions are listed one by one); their log streams are named by SageMaker per job under " +
			"/aws/sagemaker/LabelingJobs; cloudwatch:PutMetricData takes no resource and is held to the /aws/sagemaker/LabelingJobs namespace.",
		AppliesToRegex: append([]string{
			`/^Resource::<.+\.Arn>\/.*\*$/`,
			`/^Resource::arn:<AWS::Partition>:s3:::<.+>\/.*\*$/`,
			`/^Resource::arn:` + nag.ArnScope + `:logs:` + nag.RegionScope + `:` + nag.AccountScope + `:log-group:\/aws\/sagemaker\/LabelingJobs:log-stream:\*$/`,
			`/^Resource::\*$/`,
		}, nag.ImportedObjectsRegex...),
	})
}

// WorkforceName is the private workforce's name.
func (l *Labeling) WorkforceName() string { return l.p.WorkforceName }

// TeamArn is the ARN of the work team called name (a token until deploy),
// "" for a name the construct has no team of.
func (l *Labeling) TeamArn(name string) string {
	if t, ok := l.Teams[name]; ok {
		// Ref is the team's ARN (the Workteam resource's return value
		// that every schema knows).
		return *t.Ref()
	}
	return ""
}

// TeamNames are the work teams' names, sorted.
func (l *Labeling) TeamNames() []string {
	var out []string
	for n := range l.Teams {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// InputPrefix is where, in the results bucket, labeling jobs read their
// manifests and data objects: MLPrefix + "labeling/input/".
func (l *Labeling) InputPrefix() string { return l.p.MLPrefix + LabelingInputPrefix }

// OutputPrefix is where, in the results bucket, labeling jobs write:
// MLPrefix + "labeling/output/".
func (l *Labeling) OutputPrefix() string { return l.p.MLPrefix + LabelingOutputPrefix }

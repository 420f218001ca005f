package transfer

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/aws-cdk-go/awscdk/v2/awstransfer"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/golambda"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// IdentityProviderPackage is the Go import path of the identity provider's
// handler.
const IdentityProviderPackage = golambda.ModulePath + "/lambdas/transferidp"

// Tags the workflow puts on every upload, and on an upload whose workflow
// failed. A workflow's tag values are fixed strings (Transfer Family
// substitutes no variables in them), so the partner is not among them: it is
// the first path segment under quarantine/, which the ingest handler reads.
const (
	TagChannel        = "biolake:channel"
	TagState          = "biolake:state"
	ChannelTransfer   = "transfer"
	StateQuarantine   = "quarantine"
	StateWorkflowFail = "workflow-failed"
)

// Ports the server's security group opens to partner CIDRs.
const (
	PortSFTP         = 22
	PortFTPSControl  = 21
	PortFTPSPassive0 = 8192
	PortFTPSPassive1 = 8200
)

// identityProviderTimeout bounds one login: a Secrets Manager read and one
// hash computation take well under a second.
const identityProviderTimeout = 10 * time.Second

// Server is an AWS Transfer Family server for partner CROs with its
// identity provider, upload workflow, logs and partner secrets. Create it
// with New.
type Server struct {
	constructs.Construct

	// Server is the Transfer Family server.
	Server awstransfer.CfnServer
	// IdentityProvider is the Lambda function that authenticates partners.
	IdentityProvider awslambda.Function
	// Workflow tags each completed upload.
	Workflow awstransfer.CfnWorkflow
	// WorkflowRole is the workflow's execution role (object tagging under
	// quarantine/ only).
	WorkflowRole awsiam.IRole
	// AccessRole is the role partner sessions run with; each session's
	// policy narrows it to the partner's home.
	AccessRole awsiam.IRole
	// LogGroup receives the server's structured (JSON) logs.
	LogGroup awslogs.ILogGroup
	// LoggingRole lets the server write the logs of workflow executions,
	// which structured log destinations alone do not receive, to
	// WorkflowLogGroup.
	LoggingRole awsiam.IRole
	// WorkflowLogGroup is /aws/transfer/<server id>, where Transfer Family
	// writes with LoggingRole (created here: encrypted, with retention).
	WorkflowLogGroup awslogs.ILogGroup
	// SecurityGroup guards the server endpoint: partner CIDRs only, on the
	// enabled protocols' ports.
	SecurityGroup awsec2.ISecurityGroup
	// ElasticIPs are the endpoint's public addresses (EndpointPublicVPC
	// only; empty otherwise).
	ElasticIPs []awsec2.CfnEIP
	// PartnerSecrets holds each partner's password secret by partner name
	// (created or referenced); partners with keys only are absent.
	PartnerSecrets map[string]awssecretsmanager.ISecret
	// SecretKey encrypts the secrets the construct created; nil when it
	// created none.
	SecretKey awskms.IKey
	// ServerIDParameter holds the server's id for the identity provider,
	// which refuses requests of any other server (see serverIDParameterName).
	ServerIDParameter awsssm.IStringParameter

	p      Props
	logKey awskms.IKey
	// serverIDParameter is the name of ServerIDParameter, fixed at synth.
	serverIDParameter string
	// authFailures counts the AUTH_FAILURE entries of LogGroup.
	authFailures awslogs.MetricFilter
}

// New creates the server. It panics, naming the construct path, when props
// are invalid (see Props.Validate).
func New(scope constructs.Construct, id string, props *Props) *Server {
	validation.Check(validation.PathOf(scope, id), props.Validate())
	checkLake(validation.PathOf(scope, id), props.Lake)
	s := &Server{p: props.withDefaults(), PartnerSecrets: map[string]awssecretsmanager.ISecret{}}
	// Registered with jsii as the construct itself, so a *Server can be
	// passed wherever a construct is expected.
	constructs.NewConstruct_Override(s, scope, jsii.String(id))
	// The identity provider reads partners' password hashes from Secrets
	// Manager and the id of its server from a Systems Manager parameter.
	props.Network.Require(s, network.EndpointSecretsManager, network.EndpointSSM)
	var c constructs.Construct = s
	p := &s.p
	stack := awscdk.Stack_Of(c)
	lake := p.Lake

	logKey := p.LogKey
	if logKey == nil {
		logKey = secure.NewKey(c, "LogKey", &secure.KeyProps{
			Description: "biolake transfer " + *c.Node().Path() + ": server and identity provider logs",
			Services:    []secure.Service{secure.ServiceLogs},
		})
	}
	s.logKey = logKey
	s.LogGroup = awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: logKey,
		Retention:     secure.RetentionDays(p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	s.newAuthenticationFailuresFilter()

	home := datalake.PartnerQuarantinePrefix
	homeObjects := *lake.Bucket(datalake.BucketPartner).ArnForObjects(jsii.String(home + "*"))
	s.AccessRole = s.newAccessRole(stack, homeObjects)
	s.newWorkflow(stack, homeObjects)
	secretArns, createdArns, existingArns := s.newSecrets()
	s.serverIDParameter = serverIDParameterName(c)
	s.newIdentityProvider(stack, secretArns, createdArns, existingArns)
	s.newServer(stack)
	return s
}

// checkLake stops the synth when the lake lacks the partner bucket or its
// key: the identity provider's session policies name the key.
func checkLake(path string, lake datalake.ILake) {
	validation.Check(path, datalake.RequireBuckets(path, "Props.Lake", lake, datalake.BucketPartner))
	if lake.Key(datalake.BucketPartner) == nil {
		panic(&validation.Error{Path: path, Field: "Props.Lake", Value: validation.Render(*lake.Node().Path()),
			Problem:  "the partner bucket has no customer-managed key; partner sessions are scoped to it",
			Accepted: "a lake whose partner bucket is encrypted with a KMS key (datalake.BucketRef.Key)"})
	}
}

// serverIDParameterName is the name of the parameter that tells the
// identity provider which server it serves. The function cannot be given
// the server's id directly: the server names the function as its identity
// provider, and Transfer Family requires the function to exist before the
// server is created
// (https://docs.aws.amazon.com/transfer/latest/userguide/custom-lambda-idp.html),
// so an environment variable holding the id would be a dependency cycle.
// Instead CloudFormation writes the id into a parameter once the server
// exists, and the function reads it. The function must know the
// parameter's name without referring to the parameter (a reference would
// close the cycle again), so the name is fixed at synth: derived from the
// construct's path, which is unique within the app, as every stack name of
// the app is.
func serverIDParameterName(c constructs.Construct) string {
	return "/biolake/transfer/" + *awscdk.Names_UniqueId(c) + "/server-id"
}

// newAccessRole creates the role of partner sessions: list, put and get
// under quarantine/, with the data key through S3. Never delete.
func (s *Server) newAccessRole(stack awscdk.Stack, homeObjects string) awsiam.IRole {
	c := constructs.Construct(s)
	lake := s.p.Lake
	// Transfer Family assumes it for the users of this account's servers in
	// this region: AWS documents the context of a user role as the user's
	// ARN; the server pattern covers custom identity provider sessions, in
	// case their context is the server. The server's own ARN cannot be
	// named: the role's ARN reaches the server through the identity
	// provider, which the server refers to (a dependency cycle).
	arn := func(resource string) string {
		return fmt.Sprintf("arn:%s:transfer:%s:%s:%s", *stack.Partition(), *stack.Region(), *stack.Account(), resource)
	}
	role := awsiam.NewRole(c, jsii.String("AccessRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("transfer.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{
				"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
				"ArnLike":      map[string]interface{}{"aws:SourceArn": []string{arn("user/*"), arn("server/*")}},
			},
		}),
		Description: jsii.String("biolake transfer: partner sessions (each narrowed to its home by a session policy); uploads to quarantine/ only, no delete"),
	})
	policy := awsiam.NewManagedPolicy(c, jsii.String("AccessPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("biolake transfer: list, upload to and read back the partner bucket's quarantine/ prefix"),
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("ListQuarantine"),
				Actions:   jsii.Strings("s3:ListBucket"),
				Resources: jsii.Strings(*lake.Bucket(datalake.BucketPartner).BucketArn()),
				Conditions: &map[string]interface{}{
					"StringLike": map[string]interface{}{"s3:prefix": []string{datalake.PartnerQuarantinePrefix + "*"}},
				},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("UploadToQuarantine"),
				Actions:   jsii.Strings("s3:PutObject", "s3:GetObject"),
				Resources: jsii.Strings(homeObjects),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("BucketKeyThroughS3"),
				Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
				Resources:  jsii.Strings(*lake.Key(datalake.BucketPartner).KeyArn()),
				Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": "s3." + *awscdk.Aws_REGION() + ".amazonaws.com"}},
			}),
		},
	})
	role.AddManagedPolicy(policy)
	nag.Suppress(policy, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "Partner sessions upload objects of any name under the partner bucket's quarantine/ prefix (each session policy narrows " +
			"that to quarantine/<partner>/); the wildcard is the object part of the prefix ARN, and the actions are PutObject and GetObject only.",
		AppliesToRegex: []string{`/^Resource::<.+\.Arn>\/quarantine\/\*$/`, `/^Resource::arn:(aws|aws-cn|aws-us-gov|<AWS::Partition>):s3:::[a-z0-9][a-z0-9.-]*\/quarantine\/\*$/`},
	})
	return role
}

// newWorkflow creates the upload workflow and its execution role.
func (s *Server) newWorkflow(stack awscdk.Stack, homeObjects string) {
	c := constructs.Construct(s)
	// TagStepDetails is untyped JSON in the CloudFormation schema, so it is
	// written with CloudFormation's own (PascalCase) keys.
	tag := func(name, state string) *awstransfer.CfnWorkflow_WorkflowStepProperty {
		return &awstransfer.CfnWorkflow_WorkflowStepProperty{
			Type: jsii.String("TAG"),
			TagStepDetails: map[string]interface{}{
				"Name":               name,
				"SourceFileLocation": "${original.file}",
				"Tags": []interface{}{
					map[string]interface{}{"Key": TagChannel, "Value": ChannelTransfer},
					map[string]interface{}{"Key": TagState, "Value": state},
				},
			},
		}
	}
	s.Workflow = awstransfer.NewCfnWorkflow(c, jsii.String("Workflow"), &awstransfer.CfnWorkflowProps{
		Description:      jsii.String("biolake - tag each partner upload in quarantine with channel and state"),
		Steps:            &[]interface{}{tag("tag-upload", StateQuarantine)},
		OnExceptionSteps: &[]interface{}{tag("tag-workflow-failure", StateWorkflowFail)},
	})
	role := awsiam.NewRole(c, jsii.String("WorkflowRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("transfer.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{
				"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
				"ArnLike":      map[string]interface{}{"aws:SourceArn": *s.Workflow.AttrArn()},
			},
		}),
		Description: jsii.String("biolake transfer: the upload workflow tags objects under quarantine/"),
	})
	policy := awsiam.NewManagedPolicy(c, jsii.String("WorkflowPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("biolake transfer workflow: read and write the tags of objects under quarantine/ (the bucket is versioned)"),
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("TagUploads"),
			// The TAG step merges into the object's existing tags, which
			// it reads first; objects are versioned.
			Actions:   jsii.Strings("s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
			Resources: jsii.Strings(homeObjects),
		})},
	})
	role.AddManagedPolicy(policy)
	nag.Suppress(policy, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "The workflow tags whichever object a partner uploads under the partner bucket's quarantine/ prefix; " +
			"the wildcard is the object part of the prefix ARN, and the actions only read and write object tags.",
		AppliesToRegex: []string{`/^Resource::<.+\.Arn>\/quarantine\/\*$/`, `/^Resource::arn:(aws|aws-cn|aws-us-gov|<AWS::Partition>):s3:::[a-z0-9][a-z0-9.-]*\/quarantine\/\*$/`},
	})
	s.WorkflowRole = role
}

// newSecrets creates or references the partners' password secrets and
// returns every secret ARN, the created ones and the referenced ones.
func (s *Server) newSecrets() (all map[string]string, created, existing []string) {
	c := constructs.Construct(s)
	all = map[string]string{}
	var partners constructs.Construct
	for _, pt := range s.p.Partners {
		switch {
		case pt.CreatePasswordSecret:
			if partners == nil {
				s.SecretKey = s.p.PasswordSecretKey
				if s.SecretKey == nil {
					s.SecretKey = secure.NewKey(c, "PasswordSecretKey", &secure.KeyProps{
						Description: "biolake transfer " + *c.Node().Path() + ": partners' password-hash secrets",
					})
				}
				partners = constructs.NewConstruct(c, jsii.String("Partners"))
			}
			secret := awssecretsmanager.NewCfnSecret(partners, jsii.String(pt.Name), &awssecretsmanager.CfnSecretProps{
				// No SecretString and no GenerateSecretString: the secret
				// is created empty and an operator puts the hash in it.
				Description: jsii.String(fmt.Sprintf("biolake transfer: password hash (argon2id or bcrypt, from cmd/biolake-passwd) of partner %s; set with aws secretsmanager put-secret-value", pt.Name)),
				KmsKeyId:    s.SecretKey.KeyArn(),
				Tags:        &[]*awscdk.CfnTag{{Key: jsii.String("biolake:partner"), Value: jsii.String(pt.Name)}},
			})
			secret.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
			arn := *secret.Ref()
			nag.Suppress(secret, nag.InAllPacks("The secret holds the hash of a partner's password, which an operator sets when the partner chooses a new password; "+
				"rotation would need that new password, which only the partner has, so it cannot be automated.",
				"AwsSolutions-SMG4", "HIPAA.Security-SecretsManagerRotationEnabled", "NIST.800.53.R5-SecretsManagerRotationEnabled")...)
			s.PartnerSecrets[pt.Name] = awssecretsmanager.Secret_FromSecretAttributes(partners, jsii.String(pt.Name+"Ref"), &awssecretsmanager.SecretAttributes{
				SecretCompleteArn: jsii.String(arn), EncryptionKey: s.SecretKey,
			})
			all[pt.Name] = arn
			created = append(created, arn)
		case pt.PasswordSecretArn != "":
			s.PartnerSecrets[pt.Name] = awssecretsmanager.Secret_FromSecretCompleteArn(c, jsii.String("ExistingSecret-"+pt.Name), jsii.String(pt.PasswordSecretArn))
			all[pt.Name] = pt.PasswordSecretArn
			existing = append(existing, pt.PasswordSecretArn)
		}
	}
	return all, created, existing
}

// envPartner is one element of the identity provider's PARTNERS variable.
type envPartner struct {
	Name       string   `json:"name"`
	CIDRs      []string `json:"cidrs"`
	PublicKeys []string `json:"publicKeys,omitempty"`
	SecretArn  string   `json:"secretArn,omitempty"`
}

// partnersJSON is the PARTNERS variable. Secret ARNs of created secrets are
// tokens inside the JSON string, which CloudFormation joins at deploy (they
// hold no character JSON would escape).
func (s *Server) partnersJSON(secretArns map[string]string) string {
	list := make([]envPartner, 0, len(s.p.Partners))
	for _, pt := range s.p.Partners {
		e := envPartner{Name: pt.Name, CIDRs: pt.CIDRs, SecretArn: secretArns[pt.Name]}
		for _, k := range pt.PublicKeys {
			norm, _ := NormalizePublicKey(k) // validated
			e.PublicKeys = append(e.PublicKeys, norm)
		}
		list = append(list, e)
	}
	b, err := json.Marshal(list)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// newIdentityProvider creates the identity provider function with its
// security group and grants.
func (s *Server) newIdentityProvider(stack awscdk.Stack, secretArns map[string]string, created, existing []string) {
	c := constructs.Construct(s)
	p := &s.p
	sg := awsec2.NewSecurityGroup(c, jsii.String("IdentityProviderSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              p.Network.Vpc(),
		Description:      jsii.String("biolake transfer identity provider: HTTPS out to Secrets Manager only, nothing in"),
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to AWS APIs (the Secrets Manager interface endpoint, or NAT)"), jsii.Bool(false))

	fn := golambda.New(c, "IdentityProvider", &golambda.Props{
		Package:     IdentityProviderPackage,
		Description: "biolake transfer: authenticates partner CROs (custom identity provider of the Transfer Family server)",
		MemoryMB:    IdentityProviderMemoryMB,
		Timeout:     identityProviderTimeout,
		Environment: map[string]string{
			"PARTNERS":             s.partnersJSON(secretArns),
			"PARTNER_BUCKET":       *p.Lake.Bucket(datalake.BucketPartner).BucketName(),
			"HOME_PREFIX":          datalake.PartnerQuarantinePrefix,
			"ACCESS_ROLE_ARN":      *s.AccessRole.RoleArn(),
			"DATA_KEY_ARN":         *p.Lake.Key(datalake.BucketPartner).KeyArn(),
			"SERVER_ID_PARAMETER":  s.serverIDParameter,
			"SECRET_CACHE_SECONDS": "60",
			"LOG_LEVEL":            "info",
		},
		ReservedConcurrency: p.ReservedConcurrency,
		Vpc:                 p.Network.Vpc(),
		VpcSubnets:          p.Network.PrivateSubnets(),
		SecurityGroups:      []awsec2.ISecurityGroup{sg},
		LogRetentionDays:    p.LogRetentionDays,
		LogKey:              s.logKey,
	})
	s.IdentityProvider = fn

	if len(secretArns) > 0 {
		arns := make([]string, 0, len(secretArns))
		for _, a := range secretArns {
			arns = append(arns, a)
		}
		sort.Strings(arns)
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadPasswordHashes"),
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: jsii.Strings(arns...),
		}))
	}
	// The parameter's ARN is built from its name, not referenced: the
	// parameter depends on the server, which depends on this function and
	// its policy.
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("ReadServerId"),
		Actions: jsii.Strings("ssm:GetParameter"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
			ResourceName: jsii.String(s.serverIDParameter[1:]), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		})),
	}))
	viaSecrets := "secretsmanager." + *awscdk.Aws_REGION() + ".amazonaws.com"
	if len(created) > 0 {
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("DecryptCreatedSecrets"),
			Actions:    jsii.Strings("kms:Decrypt"),
			Resources:  jsii.Strings(*s.SecretKey.KeyArn()),
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": viaSecrets}},
		}))
	}
	if len(existing) > 0 {
		// The keys of existing secrets are unknown here: allow Decrypt
		// through Secrets Manager, for exactly these secrets (Secrets
		// Manager puts the secret's ARN in the encryption context). A
		// secret under the AWS managed key needs no KMS permission.
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DecryptExistingSecrets"),
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: jsii.Strings("*"),
			Conditions: &map[string]interface{}{
				"StringEquals": map[string]interface{}{
					"kms:ViaService":                  viaSecrets,
					"kms:EncryptionContext:SecretARN": existing,
				},
			},
		}))
	}

	nag.SuppressDeferred(fn,
		nag.VPCLambdaManagedPolicies,
		nag.Rule{
			ID: "AwsSolutions-IAM5",
			Reason: "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions, so their resource is \"*\"; " +
				"kms:Decrypt on \"*\" is limited by conditions to the partners' existing secrets (encryption context SecretARN) through Secrets Manager, " +
				"since the keys of secrets made elsewhere are not known to the construct.",
			AppliesTo: []string{"Resource::*"},
		},
	)
	nag.SuppressDeferred(fn, nag.InAllPacks("The execution role's policy holds the grants this construct makes to this one function; "+
		"inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(fn, nag.InAllPacks("Transfer Family invokes the identity provider synchronously for each login and reads its answer; "+
		"there is no asynchronous invocation whose failures a dead-letter queue could keep (a failed login is logged and the partner retries).",
		"HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ")...)
}

// newServer creates the endpoint's security group (and Elastic IPs), the
// server, and the permission that lets it invoke the identity provider.
func (s *Server) newServer(stack awscdk.Stack) {
	c := constructs.Construct(s)
	p := &s.p
	vpc := p.Network.Vpc()
	sg := awsec2.NewSecurityGroup(c, jsii.String("ServerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String(fmt.Sprintf("biolake transfer server endpoint (%s): partner CIDRs only", p.Endpoint)),
		AllowAllOutbound: jsii.Bool(false),
	})
	type port struct {
		port awsec2.Port
		what string
	}
	var ports []port
	for _, pr := range p.Protocols {
		switch pr {
		case SFTP:
			ports = append(ports, port{awsec2.Port_Tcp(jsii.Number(PortSFTP)), "SFTP"})
		case FTPS:
			ports = append(ports, port{awsec2.Port_Tcp(jsii.Number(PortFTPSControl)), "FTPS control"},
				port{awsec2.Port_TcpRange(jsii.Number(PortFTPSPassive0), jsii.Number(PortFTPSPassive1)), "FTPS passive data"})
		}
	}
	seen := map[string]bool{}
	for _, pt := range p.Partners {
		for _, cidr := range pt.CIDRs {
			if seen[cidr] {
				continue
			}
			seen[cidr] = true
			peer := awsec2.Peer_Ipv4(jsii.String(cidr))
			for _, pt2 := range ports {
				sg.AddIngressRule(peer, pt2.port, jsii.String(pt2.what+" from partner "+pt.Name), jsii.Bool(false))
			}
		}
	}
	s.SecurityGroup = sg

	details := &awstransfer.CfnServer_EndpointDetailsProperty{
		VpcId:            vpc.VpcId(),
		SecurityGroupIds: jsii.Strings(*sg.SecurityGroupId()),
	}
	if p.Endpoint == EndpointPublicVPC {
		var subnetIDs, eipIDs []string
		for i, sn := range *vpc.PublicSubnets() {
			eip := awsec2.NewCfnEIP(c, jsii.String("ElasticIp"+strconv.Itoa(i+1)), &awsec2.CfnEIPProps{
				Domain: jsii.String("vpc"),
				Tags:   &[]*awscdk.CfnTag{{Key: jsii.String("Name"), Value: jsii.String(*c.Node().Path() + " endpoint " + strconv.Itoa(i+1))}},
			})
			eip.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil) // partners allow-list these addresses
			s.ElasticIPs = append(s.ElasticIPs, eip)
			subnetIDs = append(subnetIDs, *sn.SubnetId())
			eipIDs = append(eipIDs, *eip.AttrAllocationId())
		}
		details.SubnetIds = jsii.Strings(subnetIDs...)
		details.AddressAllocationIds = jsii.Strings(eipIDs...)
	} else {
		details.SubnetIds = vpc.SelectSubnets(p.Network.PrivateSubnets()).SubnetIds
	}

	protocols := make([]string, len(p.Protocols))
	for i, pr := range p.Protocols {
		protocols[i] = string(pr)
	}
	protocolDetails := &awstransfer.CfnServer_ProtocolDetailsProperty{
		// Clients that set times or modes after an upload (SETSTAT) would
		// get an error from S3; ignore those calls instead.
		SetStatOption: jsii.String("ENABLE_NO_OP"),
	}
	sp := &awstransfer.CfnServerProps{
		Domain:               jsii.String("S3"),
		EndpointType:         jsii.String("VPC"),
		EndpointDetails:      details,
		IdentityProviderType: jsii.String("AWS_LAMBDA"),
		IdentityProviderDetails: &awstransfer.CfnServer_IdentityProviderDetailsProperty{
			Function:                  s.IdentityProvider.FunctionArn(),
			SftpAuthenticationMethods: jsii.String("PUBLIC_KEY_OR_PASSWORD"),
		},
		Protocols:                 jsii.Strings(protocols...),
		SecurityPolicyName:        jsii.String(p.SecurityPolicy),
		StructuredLogDestinations: jsii.Strings(*s.LogGroup.LogGroupArn()),
		ProtocolDetails:           protocolDetails,
		WorkflowDetails: &awstransfer.CfnServer_WorkflowDetailsProperty{
			OnUpload: &[]interface{}{&awstransfer.CfnServer_WorkflowDetailProperty{
				WorkflowId:    s.Workflow.AttrWorkflowId(),
				ExecutionRole: s.WorkflowRole.RoleArn(),
			}},
		},
	}
	if containsProtocol(p.Protocols, FTPS) {
		sp.Certificate = jsii.String(p.CertificateArn)
		// Data connections must resume the control connection's TLS
		// session, so nobody can hijack a passive port.
		protocolDetails.TlsSessionResumptionMode = jsii.String("ENFORCED")
	}
	s.LoggingRole = s.newLoggingRole(stack)
	sp.LoggingRole = s.LoggingRole.RoleArn()
	s.Server = awstransfer.NewCfnServer(c, jsii.String("Server"), sp)
	s.allowWorkflowLogs(stack)
	// The workflow's permissions exist before the first upload can start it.
	s.Server.Node().AddDependency(s.WorkflowRole)

	s.ServerIDParameter = awsssm.NewStringParameter(c, jsii.String("ServerIdParameter"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(s.serverIDParameter),
		StringValue:   s.Server.AttrServerId(),
		Description:   jsii.String("biolake transfer: the id of the server whose identity provider reads it; requests of other servers are refused"),
		Tier:          awsssm.ParameterTier_STANDARD,
	})

	s.IdentityProvider.AddPermission(jsii.String("TransferInvoke"), &awslambda.Permission{
		Principal:     awsiam.NewServicePrincipal(jsii.String("transfer.amazonaws.com"), nil),
		Action:        jsii.String("lambda:InvokeFunction"),
		SourceArn:     s.Server.AttrArn(),
		SourceAccount: stack.Account(),
	})
}

// newLoggingRole creates the server's logging role. Transfer Family logs
// workflow executions only through a logging role on the server
// (https://docs.aws.amazon.com/transfer/latest/userguide/API_LoggingConfiguration.html,
// https://docs.aws.amazon.com/transfer/latest/userguide/monitoring.html):
// structured log destinations receive the sessions' logs, not the
// workflows'. Its trust names Transfer Family of this account for servers
// of this account and region (the server's own ARN would make the role
// depend on the server, which depends on the role).
func (s *Server) newLoggingRole(stack awscdk.Stack) awsiam.IRole {
	return awsiam.NewRole(s, jsii.String("LoggingRole"), &awsiam.RoleProps{
		Description: jsii.String("biolake transfer " + *s.Node().Path() + ": the server writes workflow execution logs"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("transfer.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{
				"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
				"ArnLike": map[string]interface{}{"aws:SourceArn": fmt.Sprintf("arn:%s:transfer:%s:%s:server/*",
					*stack.Partition(), *stack.Region(), *stack.Account())},
			},
		}),
	})
}

// allowWorkflowLogs creates the log group Transfer Family writes to with
// the logging role, /aws/transfer/<server id>, encrypted and with the
// construct's retention (rather than one Transfer would create unencrypted
// and kept forever), and lets the role write there only: the actions of
// Transfer Family's logging-role policy (logs:CreateLogStream,
// DescribeLogStreams, CreateLogGroup, PutLogEvents), on that log group.
func (s *Server) allowWorkflowLogs(stack awscdk.Stack) {
	name := "/aws/transfer/" + *s.Server.AttrServerId()
	s.WorkflowLogGroup = awslogs.NewLogGroup(s, jsii.String("WorkflowLogGroup"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(name),
		EncryptionKey: s.logKey,
		Retention:     secure.RetentionDays(s.p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	group := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("logs"), Resource: jsii.String("log-group"),
		ResourceName: jsii.String(name), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
	policy := awsiam.NewPolicy(s, jsii.String("LoggingPolicy"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{s.LoggingRole},
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("logs:CreateLogGroup", "logs:DescribeLogStreams"),
				Resources: jsii.Strings(group, group+":*"),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
				Resources: jsii.Strings(group + ":log-stream:*"),
			}),
		},
	})
	nag.Suppress(policy, nag.InAllPacks("The logging role's policy is for this one server's log group; "+
		"inline, it lives and dies with the role, and it cannot be a managed policy attached by the role, which the server depends on, "+
		"while the policy names the server's log group.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.Suppress(policy, nag.Rule{
		ID:             "AwsSolutions-IAM5",
		Reason:         "Transfer Family names the log streams of workflow executions itself: the wildcards are the streams of the server's one log group.",
		AppliesToRegex: []string{`/^Resource::.*\/aws\/transfer\/.*:\*$/`},
	})
}

func containsProtocol(ps []Protocol, p Protocol) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

// ServerID returns the server's id ("s-..."), a token until deploy.
func (s *Server) ServerID() *string { return s.Server.AttrServerId() }

// Arn returns the server's ARN, a token until deploy.
func (s *Server) Arn() *string { return s.Server.AttrArn() }

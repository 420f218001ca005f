package datalake

import (
	"fmt"
	"github.com/biolake/biolake/constructs/validation"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/secure"
)

// ReplicaProps configures a Replica.
type ReplicaProps struct {
	// ObjectLockMode of the replica's default retention; use the raw
	// bucket's (replicas keep the retention of their source object, this
	// applies to objects without one). Default: GOVERNANCE.
	ObjectLockMode secure.LockMode
	// ObjectLockDays of the replica's default retention, 1 to 36500.
	// Default: 30.
	ObjectLockDays int
	// AccessLogs receives the replica bucket's server access logs; it must be
	// in the replica's region. Default: a new log bucket from
	// secure.NewLogBucket.
	AccessLogs awss3.IBucket
	// Key encrypts the replicas; it must be a key in the replica's region.
	// S3 replication and the data lake's replication role use it through
	// IAM, so an imported key needs no service statement: its policy must
	// let this account's IAM policies grant its use (the account statement
	// of a default key policy), since CDK cannot edit an imported key's
	// policy. The replica still creates the alias (KeyAlias) that the data
	// lake names. Default: nil, and the construct creates a key with
	// rotation on.
	Key awskms.IKey
}

// Replica is the cross-region copy of the raw bucket: a secure bucket with
// Object Lock and a generated physical name, and its own KMS key in the
// replica's region (or ReplicaProps.Key), reachable through an alias whose name is derived from
// the construct path. Create it with NewReplica in a stack of the replica
// region, then pass it to New in Props.Replication.
//
// Why a generated name and an alias: the data lake's stack (another region)
// must name the replica bucket and key in its replication configuration.
// CloudFormation exports do not cross regions, but CDK resolves a reference
// to a resource with a physical name generated at synth into that literal
// name; a KMS key cannot be named, but its alias can, and S3 accepts an
// alias ARN as the replica key.
type Replica struct {
	constructs.Construct
	// Bucket receives the replicas.
	Bucket awss3.Bucket
	// Key encrypts the replicas.
	Key awskms.IKey
	// KeyAlias points at Key.
	KeyAlias awskms.Alias
	// KeyAliasName is the alias's name, "alias/...".
	KeyAliasName string
	// AccessLogs receives the bucket's server access logs.
	AccessLogs awss3.IBucket
	// Account and Region of the replica's stack.
	Account, Region string
}

// NewReplica creates the replica bucket and key in scope's stack, which
// must have an explicit account and region. It panics on invalid props.
func NewReplica(scope constructs.Construct, id string, props *ReplicaProps) *Replica {
	var p ReplicaProps
	if props != nil {
		p = *props
	}
	if p.ObjectLockMode == "" {
		p.ObjectLockMode = secure.LockGovernance
	}
	if p.ObjectLockDays == 0 {
		p.ObjectLockDays = DefaultObjectLockDays
	}
	path := validation.PathOf(scope, id)
	var errs []error
	if p.ObjectLockMode != secure.LockGovernance && p.ObjectLockMode != secure.LockCompliance {
		errs = append(errs, fieldErr("ObjectLockMode", string(p.ObjectLockMode), "is not accepted; use GOVERNANCE or COMPLIANCE"))
	}
	if p.ObjectLockDays < 1 || p.ObjectLockDays > 36500 {
		errs = append(errs, fieldErr("ObjectLockDays", p.ObjectLockDays, "is not accepted; use 1 to 36500 (0 means %d)", DefaultObjectLockDays))
	}
	stack := awscdk.Stack_Of(scope)
	account, region := *stack.Account(), *stack.Region()
	if *awscdk.Token_IsUnresolved(account) || *awscdk.Token_IsUnresolved(region) {
		errs = append(errs, &validation.Error{Field: "scope", Value: validation.Render(*stack.StackName()), Problem: "the stack has no explicit account and region",
			Accepted: "a stack with both (env: {Account, Region}), so that the data lake in the other region can name the replica"})
	}
	validation.Check(path, validation.Join(path, errs...))

	r := &Replica{Account: account, Region: region}
	constructs.NewConstruct_Override(r, scope, jsii.String(id))
	var c constructs.Construct = r

	key := p.Key
	if key == nil {
		key = secure.NewKey(c, "Key", &secure.KeyProps{Description: "biolake raw-data replica " + path})
	}
	r.Key = key
	r.KeyAliasName = "alias/biolake/" + *awscdk.Names_UniqueResourceName(c, &awscdk.UniqueResourceNameOptions{
		MaxLength: jsii.Number(200), Separator: jsii.String("-"), AllowedSpecialCharacters: jsii.String("-_"),
	})
	r.KeyAlias = awskms.NewAlias(c, jsii.String("KeyAlias"), &awskms.AliasProps{
		AliasName: jsii.String(r.KeyAliasName), TargetKey: key, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	r.AccessLogs = p.AccessLogs
	if r.AccessLogs == nil {
		r.AccessLogs = secure.NewLogBucket(c, "AccessLogs", nil)
	}
	r.Bucket = secure.NewBucket(c, "Bucket", &secure.BucketProps{
		EncryptionKey:     key,
		AccessLogs:        r.AccessLogs,
		AccessLogsPrefix:  id + "/",
		ObjectLock:        &secure.ObjectLock{Mode: p.ObjectLockMode, Days: p.ObjectLockDays},
		GeneratedName:     true,
		ReplicationReason: "This bucket is itself the cross-region copy of the raw bucket; a copy of the copy would add cost, not protection.",
	})
	return r
}

// KeyAliasArn returns the ARN of the replica key's alias, which S3 accepts
// as the key of a replication destination.
func (r *Replica) KeyAliasArn() string {
	return fmt.Sprintf("arn:%s:kms:%s:%s:%s", *awscdk.Stack_Of(r).Partition(), r.Region, r.Account, r.KeyAliasName)
}

// checkReplica checks the replication settings against the two stacks and
// returns the ARN of the replica key's alias.
func checkReplica(stack awscdk.Stack, rep *Replication) (string, error) {
	r := rep.Replica
	if r == nil {
		return "", fieldErr("Replication.Replica", "nil", "is required: build the replica with NewReplica in a stack of region %s and pass it here", rep.Region)
	}
	account, region := *stack.Account(), *stack.Region()
	if *awscdk.Token_IsUnresolved(account) || *awscdk.Token_IsUnresolved(region) {
		return "", fieldErr("Replication", rep.Region, "needs the data lake's stack %q to have an explicit account and region (env: {Account, Region}), so that it can name the replica in region %s", *stack.StackName(), rep.Region)
	}
	switch {
	case r.Region != rep.Region:
		return "", fieldErr("Replication.Region", rep.Region, "differs from the region of Replication.Replica's stack (%s); use the same region", r.Region)
	case r.Region == region:
		return "", fieldErr("Replication.Region", rep.Region, "is the data lake's own region; a replica protects against the loss of a region only in another one")
	case r.Account != account:
		return "", fieldErr("Replication.Replica", r.Account, "is in another account than the data lake (%s); only same-account replication is supported", account)
	}
	stack.AddStackDependency(awscdk.Stack_Of(r), jsii.String("the raw bucket replicates to the replica bucket and key"))
	return r.KeyAliasArn(), nil
}

// newReplicationRole creates the role S3 assumes to replicate raw. Its
// permissions come in a managed policy attached after the bucket exists.
func (d *DataLake) newReplicationRole(stack awscdk.Stack) awsiam.IRole {
	return awsiam.NewRole(d, jsii.String("ReplicationRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("s3.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()}},
		}),
		Description: jsii.String("S3 replication of the biolake raw bucket to its cross-region replica"),
	})
}

// replicationRule replicates every raw object to the replica: delete markers
// are not replicated (a deletion in raw must not delete the copy), changes
// made on replicas are, and SSE-KMS objects are re-encrypted with the
// replica key.
func (d *DataLake) replicationRule(keyArn string) *awss3.ReplicationRule {
	rep := d.props.Replication
	rule := &awss3.ReplicationRule{
		Id:                      jsii.String("raw-to-" + rep.Region),
		Priority:                jsii.Number(1),
		Destination:             rep.Replica.Bucket,
		KmsKey:                  awskms.Key_FromKeyArn(d, jsii.String("ReplicaKey"), jsii.String(keyArn)),
		DeleteMarkerReplication: jsii.Bool(false),
		ReplicaModifications:    jsii.Bool(true),
		SseKmsEncryptedObjects:  jsii.Bool(true),
		StorageClass:            classes[rep.StorageClass].cdk(),
	}
	if rep.TimeControl {
		rule.ReplicationTimeControl = awss3.ReplicationTimeValue_FIFTEEN_MINUTES()
		rule.Metrics = awss3.ReplicationTimeValue_FIFTEEN_MINUTES()
	}
	return rule
}

// attachReplicationPolicy gives the replication role what S3 replication
// of an Object Lock, SSE-KMS bucket needs, and nothing more: read the
// source versions (with their retention and legal hold), decrypt them with
// the data key through S3, write replicas, and encrypt them through S3 with
// the key the replica alias names.
func (d *DataLake) attachReplicationPolicy(stack awscdk.Stack, keyArn string) {
	rep := d.props.Replication
	dst := rep.Replica.Bucket
	srcArn, dstArn := *d.Raw.BucketArn(), *dst.BucketArn()
	stmt := func(sid string, actions []string, resources []string, conditions map[string]interface{}) awsiam.PolicyStatement {
		ps := &awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...)}
		if conditions != nil {
			ps.Conditions = &conditions
		}
		return awsiam.NewPolicyStatement(ps)
	}
	keysInReplicaRegion := fmt.Sprintf("arn:%s:kms:%s:%s:key/*", *stack.Partition(), rep.Replica.Region, rep.Replica.Account)
	policy := awsiam.NewManagedPolicy(d, jsii.String("ReplicationPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("S3 replication of the biolake raw bucket to " + rep.Region),
		Roles:       &[]awsiam.IRole{d.ReplicationRole},
		Statements: &[]awsiam.PolicyStatement{
			stmt("SourceBucket", []string{"s3:GetReplicationConfiguration", "s3:ListBucket"}, []string{srcArn}, nil),
			stmt("SourceObjects", []string{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
				"s3:GetObjectRetention", "s3:GetObjectLegalHold"}, []string{srcArn + "/*"}, nil),
			stmt("ReplicaObjects", []string{"s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"}, []string{dstArn + "/*"}, nil),
			stmt("DecryptSource", []string{"kms:Decrypt"}, []string{*d.DataKey.KeyArn()}, map[string]interface{}{
				"StringEquals": map[string]interface{}{"kms:ViaService": "s3." + *stack.Region() + ".amazonaws.com"},
				"StringLike":   map[string]interface{}{"kms:EncryptionContext:aws:s3:arn": []string{srcArn, srcArn + "/*"}},
			}),
			stmt("EncryptReplica", []string{"kms:Encrypt", "kms:GenerateDataKey"}, []string{keysInReplicaRegion}, map[string]interface{}{
				"ForAnyValue:StringEquals": map[string]interface{}{"kms:ResourceAliases": rep.Replica.KeyAliasName},
				"StringEquals":             map[string]interface{}{"kms:ViaService": "s3." + rep.Replica.Region + ".amazonaws.com"},
				"StringLike":               map[string]interface{}{"kms:EncryptionContext:aws:s3:arn": []string{dstArn, dstArn + "/*"}},
			}),
		},
	})
	nag.Suppress(policy, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "S3 replication reads every object version of the raw bucket and writes every replica, so the object ARNs end in /*; " +
			"the replica key is named by its alias, since a key from another region has no ARN at synth: key/* is limited by the kms:ResourceAliases, kms:ViaService and encryption-context conditions.",
	})
}

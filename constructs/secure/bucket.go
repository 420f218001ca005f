package secure

import (
	"github.com/biolake/biolake/constructs/validation"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/constructs/internal/nag"
)

// LockMode is an S3 Object Lock retention mode.
type LockMode string

const (
	// LockGovernance lets principals with s3:BypassGovernanceRetention shorten
	// or remove retention.
	LockGovernance LockMode = "GOVERNANCE"
	// LockCompliance lets nobody, not even the root user, shorten retention.
	LockCompliance LockMode = "COMPLIANCE"
)

// ObjectLock is a default Object Lock retention.
type ObjectLock struct {
	// Mode of the default retention. Required.
	Mode LockMode
	// Days of the default retention, 1 to 36500. Required.
	Days int
}

// BucketProps configures a secure bucket. The security settings themselves
// (encryption, public-access block, versioning, TLS, logging, retention)
// cannot be turned off.
type BucketProps struct {
	// EncryptionKey is the customer-managed key for SSE-KMS. Default: a new
	// key from NewKey, one per bucket.
	EncryptionKey awskms.IKey
	// AccessLogs is the bucket that receives server access logs. It must not
	// be this bucket. Default: a new log bucket from NewLogBucket.
	AccessLogs awss3.IBucket
	// AccessLogsPrefix inside AccessLogs, ending in "/". Default: the
	// construct's id followed by "/".
	AccessLogsPrefix string
	// ObjectLock gives the bucket a default Object Lock retention. Object
	// Lock itself is enabled on every bucket (AWS Control Tower's
	// CT.S3.PR.9), without a default retention unless this is set; it
	// cannot be turned off later. Default: no default retention.
	ObjectLock *ObjectLock
	// EventBridge is ignored: every bucket sends its events to EventBridge
	// (AWS Control Tower's CT.S3.PR.4), set natively in the bucket's
	// NotificationConfiguration (no notifications custom resource).
	//
	// Deprecated: always on.
	EventBridge bool
	// LifecycleRules of the bucket. Default: only a rule that aborts
	// incomplete multipart uploads after 7 days.
	LifecycleRules []*awss3.LifecycleRule
	// Inventories of the bucket. Default: none.
	Inventories []*awss3.Inventory
	// IntelligentTiering archive configurations. Default: none.
	IntelligentTiering []*awss3.IntelligentTieringConfiguration
	// ReplicationRules to another bucket. Default: none.
	ReplicationRules []*awss3.ReplicationRule
	// ReplicationRole used by ReplicationRules. Default: one made by CDK.
	ReplicationRole awsiam.IRole
	// ReplicationReason, required when there are no ReplicationRules, says
	// why the bucket is not replicated (the HIPAA and NIST packs ask for
	// replication). Default: "".
	ReplicationReason string
	// GeneratedName gives the bucket a physical name that CDK generates at
	// synth (awscdk.PhysicalName_GENERATE_IF_NEEDED) instead of one
	// CloudFormation picks at deploy, so that a stack in another region or
	// account can refer to it (a cross-region replication destination).
	// The name is derived from the construct path, never hard-coded.
	// Default: false (CloudFormation names the bucket).
	GeneratedName bool
}

// DefaultAbortIncompleteUploadDays is the age after which incomplete
// multipart uploads are aborted when no lifecycle rules are given.
const DefaultAbortIncompleteUploadDays = 7

// NewBucket creates a bucket with biolake's secure defaults. It panics with a
// clear message when props contradict them.
func NewBucket(scope constructs.Construct, id string, props *BucketProps) awss3.Bucket {
	p := BucketProps{}
	if props != nil {
		p = *props
	}
	where := validation.PathOf(scope, id)
	if p.ObjectLock != nil {
		if p.ObjectLock.Mode != LockGovernance && p.ObjectLock.Mode != LockCompliance {
			panic(validation.New(where, "BucketProps.ObjectLock.Mode", string(p.ObjectLock.Mode), "GOVERNANCE or COMPLIANCE"))
		}
		if p.ObjectLock.Days < 1 || p.ObjectLock.Days > 36500 {
			panic(validation.New(where, "BucketProps.ObjectLock.Days", p.ObjectLock.Days, "1 to 36500"))
		}
	}
	if p.AccessLogsPrefix == "" {
		p.AccessLogsPrefix = id + "/"
	}
	if !strings.HasSuffix(p.AccessLogsPrefix, "/") {
		panic(validation.New(where, "BucketProps.AccessLogsPrefix", p.AccessLogsPrefix, `a prefix that ends with "/"`))
	}
	if len(p.ReplicationRules) == 0 && len(p.ReplicationReason) < 20 {
		panic(validation.New(where, "BucketProps.ReplicationReason", p.ReplicationReason,
			"at least 20 characters when the bucket has no ReplicationRules: say why this data needs no second copy in another region"))
	}
	requireLogPolicyFlag(scope, where)
	if p.EncryptionKey == nil {
		p.EncryptionKey = NewKey(scope, id+"Key", &KeyProps{Description: "biolake bucket " + id})
	}
	if p.AccessLogs == nil {
		p.AccessLogs = NewLogBucket(scope, id+"AccessLogs", nil)
	}
	lifecycle := p.LifecycleRules
	if len(lifecycle) == 0 {
		lifecycle = []*awss3.LifecycleRule{{
			Id:                                  jsii.String("abort-incomplete-multipart-uploads"),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(DefaultAbortIncompleteUploadDays)),
		}}
	}
	bp := &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          p.EncryptionKey,
		BucketKeyEnabled:       jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: p.AccessLogs,
		ServerAccessLogsPrefix: jsii.String(p.AccessLogsPrefix),
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		AutoDeleteObjects:      jsii.Bool(false),
		LifecycleRules:         &lifecycle,
	}
	if len(p.Inventories) > 0 {
		bp.Inventories = &p.Inventories
	}
	if len(p.IntelligentTiering) > 0 {
		bp.IntelligentTieringConfigurations = &p.IntelligentTiering
	}
	if len(p.ReplicationRules) > 0 {
		bp.ReplicationRules = &p.ReplicationRules
		bp.ReplicationRole = p.ReplicationRole
	}
	// Object Lock on every bucket: with no default retention it only lets
	// retention be set on objects; S3 enables it on an existing versioned
	// bucket in place
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html),
	// and ObjectLockEnabled is not a create-only property of AWS::S3::Bucket,
	// so CloudFormation updates the bucket without replacing it.
	bp.ObjectLockEnabled = jsii.Bool(true)
	if p.ObjectLock != nil {
		d := awscdk.Duration_Days(jsii.Number(float64(p.ObjectLock.Days)))
		if p.ObjectLock.Mode == LockCompliance {
			bp.ObjectLockDefaultRetention = awss3.ObjectLockRetention_Compliance(d)
		} else {
			bp.ObjectLockDefaultRetention = awss3.ObjectLockRetention_Governance(d)
		}
	}
	if p.GeneratedName {
		bp.BucketName = awscdk.PhysicalName_GENERATE_IF_NEEDED()
	}
	b := awss3.NewBucket(scope, jsii.String(id), bp)
	enableEventBridge(b)
	if len(p.ReplicationRules) == 0 {
		nag.Suppress(b, nag.InAllPacks(p.ReplicationReason,
			"HIPAA.Security-S3BucketReplicationEnabled", "NIST.800.53.R5-S3BucketReplicationEnabled")...)
	}
	return b
}

// enableEventBridge sends the bucket's events to EventBridge. It is set on
// the L1 resource: the L2 prop deploys a notifications custom resource (a
// Lambda function) for what CloudFormation does natively. S3 events reach
// the default bus at no charge; rules pick the buckets they want.
func enableEventBridge(b awss3.Bucket) {
	cfn := b.Node().DefaultChild().(awss3.CfnBucket)
	cfn.AddPropertyOverride(jsii.String("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled"), jsii.Bool(true))
}

// LogBucketPolicyFlag is the CDK feature flag under which server access logs
// are delivered through a bucket policy rather than a legacy ACL. The secure
// buckets enforce bucket-owner object ownership, which disables ACLs, so the
// flag must be on (it is among CDK's recommended flags, in cdk.json).
const LogBucketPolicyFlag = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"

func requireLogPolicyFlag(scope constructs.Construct, where string) {
	if !*awscdk.FeatureFlags_Of(scope).IsEnabled(jsii.String(LogBucketPolicyFlag)) {
		panic(&validation.Error{Path: where, Field: "context " + LogBucketPolicyFlag, Value: "false",
			Problem:  "access logs must be delivered through a bucket policy, since ACLs are disabled on biolake's buckets",
			Accepted: "true (set the CDK feature flag in cdk.json's context, or in the App's Context)"})
	}
}

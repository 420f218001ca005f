package secure

import (
	"github.com/biolake/biolake/constructs/validation"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/constructs/internal/nag"
)

// LogBucketProps configures the server-access-log bucket.
type LogBucketProps struct {
	// ArchiveAfterDays moves logs to Glacier Instant Retrieval, at least 90.
	// Default: 90.
	ArchiveAfterDays int
	// ExpireAfterDays deletes log objects (and their old versions) after this
	// many days; 0 keeps them forever. Must exceed ArchiveAfterDays.
	// Default: 0 (keep).
	ExpireAfterDays int
}

// NewLogBucket creates the bucket that receives S3 server access logs. S3
// delivers access logs only to buckets with SSE-S3 default encryption (SSE-KMS
// is not supported for access-log delivery), so this is the one bucket of the
// platform without a customer-managed key; it holds request metadata, not
// data. It is private, versioned, TLS-only and retained, sends its events to
// EventBridge, and it does not log to itself. It is also the one bucket
// without Object Lock: S3 does not deliver server access logs to a bucket
// with Object Lock enabled
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html).
func NewLogBucket(scope constructs.Construct, id string, props *LogBucketProps) awss3.Bucket {
	p := LogBucketProps{}
	if props != nil {
		p = *props
	}
	if p.ArchiveAfterDays == 0 {
		p.ArchiveAfterDays = 90
	}
	if p.ArchiveAfterDays < 90 {
		panic(validation.New(validation.PathOf(scope, id), "LogBucketProps.ArchiveAfterDays", p.ArchiveAfterDays, "90 or more (Glacier Instant Retrieval bills at least 90 days)"))
	}
	if p.ExpireAfterDays != 0 && p.ExpireAfterDays <= p.ArchiveAfterDays {
		panic(validation.New(validation.PathOf(scope, id), "LogBucketProps.ExpireAfterDays", p.ExpireAfterDays, "more than ArchiveAfterDays (%d), or 0 to keep logs", p.ArchiveAfterDays))
	}
	rule := &awss3.LifecycleRule{
		Id:                                  jsii.String("archive-logs"),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(DefaultAbortIncompleteUploadDays)),
		Transitions: &[]*awss3.Transition{{
			StorageClass:    awss3.StorageClass_GLACIER_INSTANT_RETRIEVAL(),
			TransitionAfter: awscdk.Duration_Days(jsii.Number(float64(p.ArchiveAfterDays))),
		}},
		NoncurrentVersionTransitions: &[]*awss3.NoncurrentVersionTransition{{
			StorageClass:    awss3.StorageClass_GLACIER_INSTANT_RETRIEVAL(),
			TransitionAfter: awscdk.Duration_Days(jsii.Number(float64(p.ArchiveAfterDays))),
		}},
	}
	if p.ExpireAfterDays > 0 {
		rule.Expiration = awscdk.Duration_Days(jsii.Number(float64(p.ExpireAfterDays)))
		rule.NoncurrentVersionExpiration = awscdk.Duration_Days(jsii.Number(float64(p.ExpireAfterDays)))
	}
	b := awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		AutoDeleteObjects: jsii.Bool(false),
		LifecycleRules:    &[]*awss3.LifecycleRule{rule},
	})
	enableEventBridge(b)
	nag.Suppress(b, append(
		nag.InAllPacks("This bucket receives the server access logs of every other bucket; logging it into itself would loop, and reads of it are recorded by CloudTrail.",
			"AwsSolutions-S1", "HIPAA.Security-S3BucketLoggingEnabled", "NIST.800.53.R5-S3BucketLoggingEnabled"),
		nag.InAllPacks("S3 server access log delivery supports only SSE-S3 default encryption on the target bucket, not SSE-KMS; the logs are request metadata, not data.",
			"HIPAA.Security-S3DefaultEncryptionKMS", "NIST.800.53.R5-S3DefaultEncryptionKMS")...)...)
	nag.Suppress(b, nag.InAllPacks("Access logs are an audit record kept in this region under versioning; a replica would duplicate request metadata, not protect data.",
		"HIPAA.Security-S3BucketReplicationEnabled", "NIST.800.53.R5-S3BucketReplicationEnabled")...)
	return b
}

// Package secure is biolake's secure baseline: customer-managed KMS keys with
// rotation, the one secure-bucket builder every bucket of the platform goes
// through, the server-access-log bucket, and the CloudTrail trail.
//
// Every bucket built by NewBucket is KMS-encrypted with a customer-managed
// key (with an S3 Bucket Key), blocks all public access, is versioned, denies
// requests that do not use TLS 1.2 or later, sends server access logs to a
// separate log bucket, and is retained when its stack is deleted; objects are
// never deleted automatically.
package secure

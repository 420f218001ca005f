// Package filegateway gives on-premises researchers NFS and SMB access to
// the data lake through an S3 File Gateway (step 3 of the reference
// architecture), and keeps the gateway's view of the buckets fresh.
//
// What New builds, on an existing, activated gateway (Props.GatewayARN; a
// gateway hosted on EC2 is not built yet and Props.EC2 is refused):
//
//   - One AWS::StorageGateway::NFSFileShare or SMBFileShare per Share, on a
//     bucket prefix (LocationARN arn:aws:s3:::BUCKET/PREFIX/). By default
//     (DefaultShares) a read-only NFS share "curated" of the whole curated
//     bucket for researchers, and a read-write NFS share "drop" of the
//     shared bucket's "share/" for a lab. Every share: SSE-KMS with the data
//     lake's data key, ObjectACL bucket-owner-full-control, RequesterPays
//     off, MIME types guessed, audit logs to a KMS-encrypted log group.
//     NFS: a client allow-list (never 0.0.0.0/0; default the VPC's CIDR)
//     and RootSquash (or AllSquash). SMB: Active Directory users and groups
//     only (ValidUserList, access-based enumeration; no guest access).
//     Read-write shares write Intelligent-Tiering objects (the shared
//     bucket's class) and send upload notifications; only the shared bucket
//     may have one, since the other buckets are written by their own
//     channels only.
//   - Per share, an IAM role the gateway assumes (storagegateway.amazonaws.com,
//     limited by aws:SourceAccount and aws:SourceArn to the gateway), with a
//     managed policy limited to the share's prefix: listing with an
//     s3:prefix condition, reads, and for read-write shares puts and deletes
//     (never s3:DeleteObjectVersion), and the data key through S3 only.
//   - The cache refresh: EventBridge rules for S3 "Object Created" events
//     under the shares' prefixes, an encrypted SQS queue with a batch
//     window, and the Go handler lambdas/cacherefresh (provided.al2023,
//     arm64, in the VPC, reserved concurrency 2) that calls RefreshCache on
//     the share for the objects' folders, within Storage Gateway's limit of
//     two concurrent refreshes per share (see internal/cacherefresh).
//     Dead-letter queues for the rules and the queue raise alarms.
//
// Props.Validate (and ValidateSettings, for a config layer before any
// construct exists) names the field, the bad value and what is accepted.
package filegateway

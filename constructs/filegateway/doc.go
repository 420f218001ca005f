// Package filegateway gives on-premises researchers NFS and SMB access to
// the data lake through an S3 File Gateway (step 3 of the reference
// architecture), and keeps the gateway's view of the buckets fresh.
//
// What New builds, on an existing, activated gateway (Props.GatewayARN) or
// on one it hosts on EC2 and activates itself (Props.EC2, see below):
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
// Every key can be supplied instead of created: Props.LogKey (log
// groups), QueueKey (queues), AlarmKey (the alarm topic, when no
// AlarmTopic is given) and VolumeKey (the EC2 instance's volumes). The
// construct cannot edit an imported key's policy; each prop's doc names
// the statements the key must carry.
//
// # A gateway hosted on EC2
//
// With Props.EC2 (instead of GatewayARN) New also builds, under
// "Gateway":
//
//   - An EC2 instance in the network's first private subnet, from the
//     public SSM parameter /aws/service/storagegateway/ami/FILE_S3/latest
//     (CloudFormation resolves it at deploy time; synth stays offline), of
//     an instance type Storage Gateway supports (InstanceTypes, default
//     m5.xlarge), with IMDSv2 required, detailed monitoring, EBS
//     optimization and termination protection. Its 80 GiB root volume and
//     its cache volume (EC2Host.CacheDiskGiB, 150 GiB to 16 TiB) are gp3,
//     encrypted with a key of their own (EC2Gateway.VolumeKey, or
//     Props.VolumeKey).
//   - A security group for the instance: NFS (TCP and UDP 111, 2049 and
//     20048) from the NFS shares' client CIDRs, SMB (TCP 445) from the
//     default client list (Props.ClientCIDRs, or the VPC's CIDR), HTTP 80
//     from the activation handlers only; out, HTTPS 443 to AWS endpoints
//     and TCP 1026-1028, 1031 and 2222 to the interface endpoints' group,
//     which gets the matching inbound rules from the gateway's group only.
//     The network must have the Storage Gateway interface endpoint.
//   - Custom::FileGatewayActivation, a custom resource of the CDK Provider
//     framework whose Go handlers (lambdas/gatewayactivate, logic in
//     internal/gatewayactivate) fetch the activation key from the
//     instance over HTTP naming the VPC endpoint, activate the gateway,
//     allocate the cache disk, and on delete refuse while the cache holds
//     writes not yet uploaded. The handlers run in the private subnets with
//     a group of their own (HTTP 80 to the gateway, HTTPS 443 out, nothing
//     in), under roles limited to the Storage Gateway actions each needs
//     (ListGateways and ActivateGateway on "*", which have no
//     resource-level permissions; the others on this account's gateways in
//     this Region). The framework polls every 30 seconds for at most an
//     hour; its functions and waiter log to KMS-encrypted log groups.
//
// The shares then use the activation's GatewayARN attribute (FileGateway.
// GatewayARN is a token) and are created after it. Deleting the gateway
// takes two deliberate steps: the custom resource refuses while
// CacheDirtyPercentage is above 0, and the instance cannot be terminated
// until its termination protection is switched off.
//
// Props.Validate (and ValidateSettings, for a config layer before any
// construct exists) names the field, the bad value and what is accepted.
//
// # Metrics
//
// MetricDeadLetters and MetricEventsDeadLetters (AWS/SQS depth of the two
// dead-letter queues, which raise the alarms), MetricCacheDirty
// (AWS/StorageGateway CachePercentDirty) and MetricUploadBacklog
// (QueuedWrites). Storage Gateway publishes a gateway's metrics under its
// GatewayId and GatewayName: an existing gateway needs Props.GatewayName
// for the last two. See docs/METRICS.md.
package filegateway

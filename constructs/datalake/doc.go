// Package datalake provides biolake's tiered data lake, step 5 of the AWS
// reference architecture "Life Sciences Data Collection, Storage, and
// Processing": instrument data written as Standard-IA, lifecycle to the
// Glacier tiers, and access-pattern analysis.
//
// New creates, each through secure.NewBucket (KMS with a customer-managed
// key, public access blocked, versioned, TLS 1.2+ only, access-logged,
// retained):
//
//   - raw: instrument runs written as Standard-IA by DataSync, under Object
//     Lock (GOVERNANCE or COMPLIANCE), optionally replicated to another
//     region (NewReplica);
//   - partner: CRO uploads, in quarantine/ until verified, accepted/ after;
//   - shared: the S3 File Gateway share of on-premises researchers;
//   - curated: verified, analysis-ready data;
//   - results: pipeline outputs;
//   - athenaResults: Athena query results;
//   - analytics: daily S3 Inventory (Parquet, every version) and Storage
//     Class Analysis exports (CSV) of the data buckets, ready for Athena;
//
// plus the access-log bucket (or the one given) and an AWS Backup vault and
// plan with daily and continuous backups of the data buckets, which later
// resources join with AddToBackup. The data buckets send their events to
// EventBridge.
//
// Every key can be supplied instead of created: Props.DataKey (the data
// and Athena results buckets), AnalyticsKey (the analytics bucket),
// BackupKey (the backup vault) and ReplicaProps.Key (the replica bucket).
// The construct cannot edit an imported key's policy; each prop's doc
// names the statements the key must carry.
//
// Tiering is a typed policy per bucket and per data class (Tiering,
// DefaultTiering), decoded from environments/*.yaml by the config layer and
// checked by Props.Validate against S3's lifecycle rules. S3 lifecycle
// filters cannot match a key suffix, so suffixes map to a data class
// (DataClasses, ClassOf) that the ingest handler writes as the object tag
// DataClassTag; the rules of a class filter on that tag. In YAML:
//
//	tiering:
//	  raw:
//	    abortIncompleteUploadDays: 7
//	    rules:
//	      - id: bcl
//	        dataClass: bcl
//	        transitions:
//	          - {storageClass: DEEP_ARCHIVE, days: 30}
//	      - id: fastq
//	        dataClass: fastq
//	        transitions:
//	          - {storageClass: GLACIER_IR, days: 60}
//	          - {storageClass: DEEP_ARCHIVE, days: 730}
//	      - id: noncurrent-versions
//	        noncurrentTransitions:
//	          - {storageClass: DEEP_ARCHIVE, days: 30}
//	        noncurrentExpirationDays: 365
//	  curated:
//	    intelligentTiering: {archiveAccessDays: 90, deepArchiveAccessDays: 180}
//
// Access is given with GrantRead(grantee, bucket, prefix), GrantWrite and
// GrantReadWrite, per bucket and prefix, each including the bucket's key.
//
// biolake's constructs take an [ILake], which a DataLake implements. A lab
// with buckets of its own passes [FromBuckets] instead: each bucket it has,
// by the name of the lake's bucket it stands for, with the KMS key that
// encrypts it (none for SSE-S3). Nothing is created; grants are as narrow
// as on the lake's own buckets, and a construct that uses a bucket not
// given stops the synth with a validation error naming it. docs/STORAGE.md describes
// every bucket's policy and protection, with a cost estimate.
package datalake

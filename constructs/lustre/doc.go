// Package lustre provides FSx for Lustre linked to the data lake for HPC
// (capability 6): a standing file system (ModePersistent), or the pieces a
// workflow needs to create a scratch file system per run and delete it after
// (ModePerRun).
//
// # Linking to S3
//
// Both deployment types (PERSISTENT_2 and SCRATCH_2, Lustre 2.15) are linked
// to S3 with data repository associations (DRAs), which FSx supports on every
// 2.12/2.15 file system except SCRATCH_1. The legacy ImportPath/ExportPath
// is not used: FSx requires ExportPath to be in the same bucket as
// ImportPath, so it cannot read the raw bucket and write the results bucket,
// and it is not supported on PERSISTENT_2 at all.
//
//   - /raw is linked to the raw bucket under RawPrefix: metadata imported on
//     creation, auto-import of NEW and CHANGED objects, no auto-export (raw is
//     immutable and under Object Lock; nothing is written back to it).
//   - /results is linked to the results bucket under ResultsPrefix: auto-export
//     of NEW and CHANGED files, never DELETED, so deleting a file on Lustre
//     (or deleting the file system) never deletes a result in S3. No
//     auto-import.
//
// # Encryption
//
// A PERSISTENT_2 file system is encrypted with a customer-managed key (the
// data lake's DataKey, or Props.Key). FSx encrypts SCRATCH file systems with
// an FSx-managed key only (KmsKeyId is accepted for PERSISTENT types only),
// so a scratch file system takes no key; its data lives only as long as the
// run, and everything durable is in S3 under the buckets' keys. The log group
// is encrypted with a customer-managed key (Props.LogKey or a new one).
//
// # Logging and backup
//
// Lustre logs (WARN_ERROR) go to a log group whose name starts with
// /aws/fsx/ (FSx requires the prefix). A PERSISTENT_2 file system takes
// daily automatic backups (tags copied) and joins the data lake's AWS Backup
// plan when the lake has one; the selection is created in this construct's
// stack, so a lake in another stack gives no dependency cycle. FSx does not
// back up scratch file systems.
//
// # Per-run file systems
//
// In ModePerRun, New creates the security group, the log group and the IAM
// statements a workflow role needs (GrantRunWorkflow); RunFileSystemRequest,
// RunAssociationRequests and RunExportRequest return the API parameters of
// fsx:createFileSystem, fsx:createDataRepositoryAssociation and
// fsx:createDataRepositoryTask for literal values (RunProps).
//
// In a state machine the run's values are known only at run time: the
// methods RunFileSystemParameters, RunAssociationParameters,
// RunExportParameters and RunDeleteParameters take JSONPaths (RunPaths)
// and return Parameters with "Key.$" entries for aws-sdk:fsx tasks. Their
// client request tokens are MD5 hashes (32 hex characters, with a suffix
// per call) of RunPaths.Token, so that FSx's limit of 63 characters of
// [A-Za-z0-9_.-] holds whatever the run id looks like, and a retried call
// gets the same resource back. The workflow package uses them (its
// Props.Lustre).
//
// # Metrics
//
// MetricFreeStorage is AWS/FSx FreeDataStorageCapacity of the standing file
// system (FileSystemId), Sum over one minute: the free bytes of the whole
// file system (its Minimum: those of the fullest storage target). Per-run
// file systems are the workflows' to watch. See docs/METRICS.md.
package lustre

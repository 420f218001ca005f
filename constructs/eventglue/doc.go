// Package eventglue is the event flow of the biolake platform: what happens
// between an object landing in a data bucket and a verified, catalogued run.
//
//	S3 "Object Created" (default bus) --rule--> IngestQueue (+DLQ) --> ingest
//	    ingest: catalog record per object (DynamoDB, idempotent), data-class tag,
//	            RunCompleted on the custom bus when the run is whole and its
//	            evidence holds (its manifest, or for a rule without one a
//	            successful DataSync task execution or a settle window)
//	DataSync "Task Execution State Change" SUCCESS (custom bus, where a datasync
//	    rule has no manifest) and a sweep schedule (default bus, where a rule
//	    has SettleAfter) --rules--> IngestQueue
//	RunCompleted (custom bus) --rule--> verify state machine, input = detail
//	    VerifyRun (Lambda) -> Map over the large objects: Batch job on Fargate
//	    (the same Go verifier, as a container) -> FinalizeRun (Lambda)
//	    typed integrity errors -> Fail; IntegrityFailed events -> alarm topic
//	S3 "Object Restore Completed" (default bus) --rule--> RestoreQueue (+DLQ) --> restore
//	    restore is also invoked by workflows with a task token (waitForTaskToken)
//
// The custom bus is KMS-encrypted and archives every event for replay. The
// catalog table (pk, sk; on demand; KMS; point-in-time recovery; retained)
// joins the data lake's backup plan. Every queue is KMS-encrypted, TLS-only
// and has a dead-letter queue; every dead-letter queue, failed, timed-out or
// aborted verify executions and IntegrityFailed events notify one
// KMS-encrypted SNS topic. The handlers run in the network's private subnets
// with a security group that only allows HTTPS out, with reserved
// concurrency, X-Ray tracing and KMS-encrypted logs, and with IAM grants that
// name their actions and resources.
//
// Every key can be supplied instead of created: LogKey (log groups),
// QueueKey (queues), BusKey (the bus), ArchiveKey (its archive), AlarmKey
// (the alarm topic) and CatalogKey (the catalog table). The glue cannot
// edit an imported key's policy; each prop's doc names the statements the
// key must carry.
//
// # Contract with the handlers
//
// The handlers are built by Go import path (IngestPackage, VerifyPackage,
// RestorePackage) and configured through their environment:
//
//	ingest:  CATALOG_TABLE, RUN_RULES (JSON array of {"bucket","prefix","profile",
//	         "markers","manifest","channel","partnered","settleAfterSeconds"}), DATA_CLASSES (JSON object
//	         class -> suffixes), EVENT_BUS_NAME, LOG_LEVEL
//	verify:  EVENT_BUS_NAME, CATALOG_TABLE, CATALOG_BUCKET, CATALOG_PREFIX,
//	         QUARANTINE_PREFIX, ACCEPTED_PREFIX, MAX_STREAM_BYTES,
//	         VERIFY_CONCURRENCY, LOG_LEVEL
//	restore: CATALOG_TABLE, EVENT_BUS_NAME, RESTORE_TIER, RESTORE_DAYS, LOG_LEVEL
//
// VerifyRun gets the RunCompleted detail and returns the run's result with
// "large": [{"bucket","key","versionId","expectArg","s3Uri"}, ...] for the
// objects it left to Batch; each becomes a job running the verifier image
// with the command ["-s3", s3Uri, "-version-id", versionId, "-expect",
// expectArg]. FinalizeRun gets {"action":"finalize","run":<VerifyRun
// result>,"large":[{"bucket","key","ok"[,"error","cause"]}, ...]}.
//
// # Idempotency
//
// An EventBridge rule target cannot name the executions it starts, so a
// RunCompleted event delivered twice starts two executions. Both verify the
// same objects; FinalizeRun records the verdict with a conditional update,
// so the catalog and the events it publishes come out the same.
//
// # Metrics
//
// MetricVerifyFailed, MetricVerifyTimedOut and MetricVerifyAborted (AWS/States,
// the verify state machine); MetricIntegrityFailed (AWS/Events MatchedEvents
// of the rule that forwards IntegrityFailed events, on the custom bus);
// MetricEventsDeadLetters, MetricIngestDeadLetters, MetricRestoreDeadLetters
// and MetricRestoreFunctionDeadLetters (AWS/SQS depth of each dead-letter
// queue); MetricHandlerErrors and MetricHandlerThrottles of each Handler
// (AWS/Lambda). Options may be nil: five minutes, Sum (Maximum for queue
// depths). The glue alarms on the executions and the queues; see
// docs/METRICS.md.
package eventglue

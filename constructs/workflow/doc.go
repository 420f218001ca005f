// Package workflow provides biolake's secondary-analysis workflows: a Step
// Functions state machine, started for each RunIngested event on the
// platform bus (input: the event's detail), that runs a typed list of AWS
// Batch steps for the run:
//
//	HasPartner? -> PrepareRun -> RestoreInputs (the event glue's restore
//	function, .waitForTaskToken) -> ProcessSamples (Map: Run<Step> Batch
//	jobs, .sync) -> CatalogResults (WorkflowSucceeded on the bus) ->
//	NotifySucceeded (SNS)
//
// Every task retries its service's transient errors and catches the rest:
// a failure is published to the notification topic (NotifyFailed) before
// the execution fails. Execution history is logged (level ALL) to a
// KMS-encrypted log group, and traced with X-Ray.
//
//	wf := workflow.New(stack, "RnaSeq", &workflow.Props{
//		Name: "rnaseq", Batch: hpc, Glue: glue, Lake: lake,
//		Steps: []workflow.Step{
//			{Name: "Align", Image: img, VCPUs: 16, MemoryMiB: 60000, Queue: "Default"},
//			{Name: "Quantify", Image: img, VCPUs: 4, MemoryMiB: 8192, Queue: "Default"},
//		},
//	})
//
// Jobs read every data bucket and write under workflows/<name>/<runId>/ of
// the results bucket (OUTPUT_URI); they are tagged runId, project, partner
// and workflow for cost attribution (the job definitions propagate tags).
//
// # Without the event glue
//
// Props.Glue (a Glue: the platform bus, the restore and samples functions
// and the catalog table; *eventglue.EventGlue is one) is optional. Without
// it the workflow is the Batch steps, their notifications and alarms:
//
//	HasPartner? -> PrepareRun -> HasSamples? (TakeSamples | OneItem) ->
//	CheckSampleCount -> ProcessSamples -> NotifySucceeded
//
// There is no restore (Props.SkipRestore must be true), no sample sheet
// and no catalog: nothing is recorded in a table or announced on a bus;
// the topic is told. Such a workflow is started
//
//   - by events of the user's: Props.StartPattern on Props.StartBus (the
//     default bus when nil) starts the Starter with the event's detail, so
//     a run still starts once (execution named by the hash of its runId);
//   - directly: StartExecution on Workflow.StateMachine (GrantStart), or on
//     Workflow.Starter for the once-per-run naming.
//
// The input (the detail, or the execution's input) is a JSON object:
//
//	{
//	  "runId":   "20261101_LH00123_0042_A22ABCDEF", // required: names the run, its results and the execution
//	  "bucket":  "<raw bucket>",                      // required: where the input is
//	  "prefix":  "runs/<runId>/",                     // required: INPUT_URI is s3://<bucket>/<prefix>
//	  "partner": "cro-a",                             // optional: default "none"
//	  "samples": ["S1", "S2"]                         // optional: the Map's items
//	}
//
// The Map runs the steps once per item of "samples", which must be a
// non-empty array of strings of at most MaxSamples items (otherwise the
// run fails before any compute, in NoSamples with ErrNoSamples or in
// TooManySamples); without "samples" the run is one item, SAMPLE being the
// run id. Other fields are ignored. The jobs read and write as with the
// glue (Step.Reads, workflows/<name>/<runId>/ of the results bucket).
//
// # One execution per run
//
// An EventBridge target cannot name the executions it starts, so the rule
// starts a small Express state machine, the Starter, which starts the main
// (Standard) state machine with the execution name
// States.Hash($.runId, 'MD5'): 32 hex characters, the same for every
// delivery of a run's RunIngested, and valid whatever characters the run's
// folder name holds. A duplicate event while the first execution runs with
// the same input is answered by Step Functions with that execution; any
// other duplicate fails with Sfn.ExecutionAlreadyExistsException, which the
// Starter catches and succeeds in AlreadyStarted (its log shows the
// duplicate). Throttling and the open-executions limit are retried; any
// other error fails the Starter, which raises an alarm.
//
// Step Functions keeps an execution name reserved for 90 days after the
// execution closes, so a run ingested again within that time is not
// processed again automatically. A manual rerun starts the main state
// machine (Workflow.StateMachine, permission from GrantStart) with the
// RunIngested detail as input and a name of its own, for example
// "<hash>-rerun-1".
//
// # Per-run FSx for Lustre
//
// With Props.Lustre (a lustre.ModePerRun construct) each run gets a
// SCRATCH_2 file system, created after the restore and tagged runId,
// project, partner and biolake:managed-by=workflow:
//
//	CreateRunFileSystem -> wait until AVAILABLE -> LinkRunInputs (/raw: the
//	run's input, import only) -> LinkRunResults (/results: export only) ->
//	wait until both AVAILABLE -> WaitForMount (60 s) -> ProcessSamples ->
//	ExportResults -> wait until SUCCEEDED -> RecordResults -> CatalogResults ->
//	DeleteRunFileSystem -> wait until FSx no longer knows it -> RunOutcome
//
// The Batch hosts mount every AVAILABLE file system tagged
// biolake:managed-by=workflow at /fsx/<file-system-id>; the steps (EC2
// queues only) get FSX_PATH=/fsx/<file-system-id>. What they write under
// $FSX_PATH/results is exported to s3://<results>/<Lustre
// ResultsPrefix><runId>/ (lustreResultsUri in the success notification);
// OUTPUT_URI stays where they may write to S3 directly. The run's input
// must be in the raw bucket under the Lustre construct's RawPrefix, or a
// verified partner dataset under accepted/ of the partner bucket.
//
// Each wait polls FSx (every 30 s; the export every minute) and gives up
// after FileSystemTimeout, LinksTimeout, ExportTimeout or DeletionTimeout.
// Once the file system exists, every failure (a step, the links, the
// export, the catalog, a wait that gives up) is recorded and goes to
// DeleteRunFileSystem first; RunOutcome then notifies the failure or the
// success. A deletion that fails or does not finish is published to the
// notification topic (NotifyCleanupFailed, with the file system's id) and
// fails the execution (FileSystemNotDeleted), which raises the failed
// executions alarm. An execution that times out or is stopped cannot
// clean up: the timed-out and aborted alarms say so, and the file system is
// found by its runId tag.
//
// # Alarms
//
// Props.AlarmTopic (default: the notification topic) is told when, within
// five minutes, an execution fails, times out or is aborted, the Starter
// fails, or an event lands in the rule's dead-letter queue (when there is
// a rule or a cleanup).
//
// # Keys
//
// Every key can be supplied instead of created: Props.LogKey (log
// groups), TopicKey (the notification topic, when no Topic is given) and
// QueueKey (the dead-letter queue of the rules). The construct
// cannot edit an imported key's policy; each prop's doc names the
// statements the key must carry.
//
// # Samples
//
// With the glue, the Map runs the steps once per sample of the run's sample sheet
// (SampleSheet.csv from an Illumina instrument, v1 or v2, or an nf-core
// style samplesheet.csv, directly under the run's prefix; see
// internal/samples), at most MapConcurrency at a time, with SAMPLE set to
// the sample id. A run without a sample sheet is one item, SAMPLE being the
// run id. Steps write under OUTPUT_URI, per sample under OUTPUT_URI<sample>/.
//
// # Metrics
//
// MetricExecutionsFailed, MetricExecutionsTimedOut, MetricExecutionsAborted
// (AWS/States, the state machine), MetricStarterFailed (the Starter),
// MetricDeadLetters (AWS/SQS depth of DeadLetterQueue) and, with a per-run
// file system, MetricCleanupFailed, MetricCleanupTimedOut and
// MetricCleanupAborted. Each takes nil options; the default period is
// AlarmPeriod, the statistic Sum (Maximum for the queue depth). The alarms
// above are built on them; docs/METRICS.md lists every construct's.
package workflow

// Package workflow provides biolake's secondary-analysis workflows: a Step
// Functions state machine that a RunIngested event on the platform bus
// starts (input: the event's detail), and that runs a typed list of AWS
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
// Not yet: per-sample fan-out (RunIngested lists no samples, so the Map
// runs once, for the run; a samples manifest would feed it), a per-run FSx
// for Lustre file system (Props.PerRunFSx must be false; jobs use the
// instances' /scratch), and an export step. Idempotency: a rule target
// cannot name executions, so a duplicate RunIngested starts a second
// execution, which writes the same results to the same prefix.
package workflow

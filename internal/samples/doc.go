// Package samples gives a Step Functions workflow the samples of one verified
// sequencing run, the items of the Map state that fans work out per sample.
// The workflow calls the samples Lambda synchronously (LambdaInvoke,
// request-response) with
//
//	{"runId": "20260101_LH00123_0042_A22ABCDEF", "bucket": "raw-bucket",
//	 "prefix": "runs/novaseqx/20260101_LH00123_0042_A22ABCDEF/"}
//
// and gets {"samples": ["S1", "S2", ...], "source": "s3://raw-bucket/runs/.../SampleSheet.csv"},
// or, when the run has no sample sheet, {"samples": ["<runId>"], "source": ""}:
// the run is then one item.
//
// # Where the sheet is looked for
//
// Directly under the prefix, in this order: SampleSheet.csv (Illumina), then
// samplesheet.csv (nf-core style). The first that exists is used; the second
// is not read when the first exists. A name that S3 answers NoSuchKey for is
// skipped. Any other S3 answer (AccessDenied, throttling, a broken stream) is
// ErrStorage. Without s3:ListBucket on the bucket S3 answers AccessDenied,
// not NoSuchKey, for a missing key, so the function's role needs
// s3:ListBucket as well as s3:GetObject on the run prefixes, or runs without
// a sheet fail.
//
// # Formats
//
// The format is decided by the content, not the file name:
//
//   - A sheet whose first non-blank line is a section header ("[Header]") is
//     an Illumina sheet. Version 1 (bcl2fastq, Illumina Experiment Manager)
//     takes its samples from the [Data] section, version 2 (BCL Convert) from
//     [BCLConvert_Data]; other sections ([Header], [Reads], [Settings],
//     [BCLConvert_Settings], [Cloud_Data], ...) are skipped unread. Section
//     names are matched without regard to case. The data section's first
//     non-blank row is its header, and the ids are in its Sample_ID column.
//     A sheet with neither data section, or with more than one, is invalid.
//   - Otherwise the sheet is an nf-core style CSV: the first non-blank row is
//     the header, and the ids are in its "sample" column (case as nf-core
//     writes it) or, when there is none, its "Sample_ID" column.
//
// Parsing uses encoding/csv with strict quoting: quoted fields (with commas or
// doubled quotes inside) are read, a stray quote makes the sheet invalid.
// A leading UTF-8 byte order mark, CRLF line ends, trailing commas (short or
// long rows), blank lines and lines of empty fields are accepted. Header names
// and ids are trimmed of surrounding spaces. A sample listed on several lanes
// or rows is one item; items keep the order in which ids first appear.
//
// A sample id is 1 to MaxSampleIDLength (100) characters of A-Z a-z 0-9 _ . -
// and not "." or "..", since ids become job parameters and parts of S3 keys
// and file paths. A data row with an empty or other id makes the sheet
// invalid; the error names the line and the value.
//
// # Limits
//
//   - A sheet is read as a stream through a reader that stops after
//     Handler.MaxSheetBytes (DefaultMaxSheetBytes, 10 MiB); a larger sheet is
//     ErrSampleSheetTooLarge, found from the object's size before anything is
//     read when S3 gives it. No more than that bound is ever held in memory.
//   - At most Handler.MaxSamples (DefaultMaxSamples, 5000) distinct samples,
//     and an output of at most Handler.MaxPayloadBytes (DefaultMaxPayloadBytes,
//     240 KiB, under the 256 KiB Step Functions payload limit with room for
//     the state's other fields); beyond either, ErrTooManySamples with the
//     count (and size) and the limit.
//
// # Errors
//
// Errors are returned as typed values, so the Lambda runtime's errorType names
// them for Step Functions Retry/Catch:
//
//   - ErrBadInput: the input is not JSON, misses runId, bucket or prefix, or
//     the prefix does not end in "/" (or, for a run without a sheet, the runId
//     is not a valid sample id). Do not retry.
//   - ErrSampleSheetInvalid: the sheet cannot be used (CSV syntax, no data
//     section or id column, a bad or empty id, no samples at all). Do not
//     retry; fix the sheet.
//   - ErrSampleSheetTooLarge, ErrTooManySamples: over a limit. Do not retry.
//   - ErrStorage: S3 failed other than not-found. Retry.
//
// The function only reads S3, so it is idempotent: a retry or a duplicate
// call returns the same output for the same sheet version. The sheet is read
// pinned to the version (or ETag) S3 answers first, also across resumed
// reads. Logs carry the run, the source, the format and the sample count, and
// for an invalid sheet the line and reason; never ids or other sheet content.
package samples

package datalake

import (
	"sort"

	"github.com/biolake/biolake/internal/dataclass"
)

// DataClassTag is the object tag whose value names an object's data class.
// The ingest handler sets it from ClassOf when an object arrives; lifecycle
// rules, Intelligent-Tiering archive configurations and storage class
// analyses select a class by this tag. (S3 lifecycle filters match a key
// prefix, tags and object size, never a key suffix, hence the tag.)
const DataClassTag = dataclass.Tag

// The data classes of DefaultDataClasses.
const (
	// ClassBCL is raw intensity data of Illumina runs (BCL, CBCL and the
	// per-tile position and filter files next to them).
	ClassBCL = dataclass.BCL
	// ClassFASTQ is reads: FASTQ, plain or compressed.
	ClassFASTQ = dataclass.FASTQ
	// ClassAlignment is aligned reads and their indexes: BAM, CRAM.
	ClassAlignment = dataclass.Alignment
	// ClassQC is quality-control reports: FastQC, MultiQC, samtools stats.
	ClassQC = dataclass.QC
)

// DataClasses maps a data-class name to the key suffixes of its objects,
// for example "fastq" to ".fastq.gz" and ".fq.gz". Class names are lower
// case letters, digits and '-', starting with a letter, at most 40
// characters; suffixes are lower case, without "/", and unique across
// classes. Keys are matched case-insensitively and the longest matching
// suffix wins, so ".bcl.gz" can belong to one class and ".gz" to another.
//
// It has the same underlying type as dataclass.Classes (the CDK-free
// definition the ingest handler uses); convert with
// dataclass.Classes(classes). Its JSON form is what the ingest handler reads
// from DATA_CLASSES.
type DataClasses dataclass.Classes

// DefaultDataClasses returns biolake's data classes for sequencing data:
//
//	bcl:       .bcl .bcl.gz .bcl.bgzf .cbcl .locs .clocs .filter
//	fastq:     .fastq .fastq.gz .fq .fq.gz .fastq.ora
//	alignment: .bam .bai .cram .crai
//	qc:        _fastqc.html _fastqc.zip multiqc_report.html multiqc_data.json
//	           .flagstat .idxstats .samtools.stats
func DefaultDataClasses() DataClasses { return DataClasses(dataclass.Defaults()) }

// ClassOf returns the data class of an object key: the class with the
// longest suffix that ends the key, compared case-insensitively (a tie, which
// valid DataClasses cannot have, goes to the class name that sorts first).
// A key ending in "/" (a folder marker) has no class. nil classes means
// DefaultDataClasses(). The key is the decoded object key: S3 event
// notifications URL-encode keys, and the caller decodes them first.
//
// The ingest handler tags each object with DataClassTag=<class> when ok
// (it uses internal/dataclass, which this delegates to).
func ClassOf(key string, classes DataClasses) (class string, ok bool) {
	return dataclass.ClassOf(key, dataclass.Classes(classes))
}

// validate checks the classes, reporting paths under "dataClasses".
func (c DataClasses) validate() []error {
	var errs []error
	for _, p := range dataclass.Classes(c).Problems() {
		errs = append(errs, fieldErr(p.Path, p.Value, "%s", p.Reason))
	}
	return errs
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

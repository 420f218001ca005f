package datalake

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// DataClassTag is the object tag whose value names an object's data class.
// The ingest handler sets it from ClassOf when an object arrives; lifecycle
// rules, Intelligent-Tiering archive configurations and storage class
// analyses select a class by this tag. (S3 lifecycle filters match a key
// prefix, tags and object size, never a key suffix, hence the tag.)
const DataClassTag = "biolake:data-class"

// The data classes of DefaultDataClasses.
const (
	// ClassBCL is raw intensity data of Illumina runs (BCL, CBCL and the
	// per-tile position and filter files next to them).
	ClassBCL = "bcl"
	// ClassFASTQ is reads: FASTQ, plain or compressed.
	ClassFASTQ = "fastq"
	// ClassAlignment is aligned reads and their indexes: BAM, CRAM.
	ClassAlignment = "alignment"
	// ClassQC is quality-control reports: FastQC, MultiQC, samtools stats.
	ClassQC = "qc"
)

// DataClasses maps a data-class name to the key suffixes of its objects,
// for example "fastq" to ".fastq.gz" and ".fq.gz". Class names are lower
// case letters, digits and '-', starting with a letter, at most 40
// characters; suffixes are lower case, without "/", and unique across
// classes. Keys are matched case-insensitively and the longest matching
// suffix wins, so ".bcl.gz" can belong to one class and ".gz" to another.
type DataClasses map[string][]string

// DefaultDataClasses returns biolake's data classes for sequencing data:
//
//	bcl:       .bcl .bcl.gz .bcl.bgzf .cbcl .locs .clocs .filter
//	fastq:     .fastq .fastq.gz .fq .fq.gz .fastq.ora
//	alignment: .bam .bai .cram .crai
//	qc:        _fastqc.html _fastqc.zip multiqc_report.html multiqc_data.json
//	           .flagstat .idxstats .samtools.stats
func DefaultDataClasses() DataClasses {
	return DataClasses{
		ClassBCL:       {".bcl", ".bcl.gz", ".bcl.bgzf", ".cbcl", ".locs", ".clocs", ".filter"},
		ClassFASTQ:     {".fastq", ".fastq.gz", ".fq", ".fq.gz", ".fastq.ora"},
		ClassAlignment: {".bam", ".bai", ".cram", ".crai"},
		ClassQC:        {"_fastqc.html", "_fastqc.zip", "multiqc_report.html", "multiqc_data.json", ".flagstat", ".idxstats", ".samtools.stats"},
	}
}

// ClassOf returns the data class of an object key: the class with the
// longest suffix that ends the key, compared case-insensitively (a tie, which
// valid DataClasses cannot have, goes to the class name that sorts first).
// A key ending in "/" (a folder marker) has no class. nil classes means
// DefaultDataClasses(). The key is the decoded object key: S3 event
// notifications URL-encode keys, and the caller decodes them first.
//
// The ingest handler tags each object with DataClassTag=<class> when ok.
func ClassOf(key string, classes DataClasses) (class string, ok bool) {
	if classes == nil {
		classes = DefaultDataClasses()
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return "", false
	}
	k := strings.ToLower(key)
	best := -1
	for name, suffixes := range classes {
		for _, s := range suffixes {
			if s == "" || !strings.HasSuffix(k, strings.ToLower(s)) {
				continue
			}
			if len(s) > best || (len(s) == best && name < class) {
				best, class = len(s), name
			}
		}
	}
	return class, best >= 0
}

var classNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// validate checks the classes, reporting paths under "dataClasses".
func (c DataClasses) validate() []error {
	var errs []error
	owner := map[string]string{}
	for _, name := range sortedKeys(c) {
		path := "dataClasses." + name
		if !classNamePattern.MatchString(name) {
			errs = append(errs, fieldErr(path, name, "is not a valid data-class name; use lower-case letters, digits and '-', starting with a letter, at most 40 characters (it becomes the value of the %s tag)", DataClassTag))
		}
		if len(c[name]) == 0 {
			errs = append(errs, fieldErr(path, "[]", "lists no suffixes; give at least one, such as \".fastq.gz\""))
		}
		for i, s := range c[name] {
			sp := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case s == "":
				errs = append(errs, fieldErr(sp, s, "is empty; give a key suffix such as \".fastq.gz\""))
			case s != strings.ToLower(s):
				errs = append(errs, fieldErr(sp, s, "must be lower case (keys are matched case-insensitively); use %q", strings.ToLower(s)))
			case strings.Contains(s, "/") || len(s) > 64:
				errs = append(errs, fieldErr(sp, s, "must be a file-name suffix of at most 64 characters without \"/\""))
			case owner[s] != "":
				errs = append(errs, fieldErr(sp, s, "is already a suffix of class %q; a suffix belongs to one class", owner[s]))
			default:
				owner[s] = name
			}
		}
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

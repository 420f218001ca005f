// Package dataclass names the data class of an object key (bcl, fastq,
// alignment, qc, or classes of your own) from its suffix. It is plain Go with
// no CDK dependency, so the ingest Lambda (which tags every data object with
// Tag=<class>) and the datalake construct (whose lifecycle rules select a
// class by that tag) share one definition.
//
// Handlers get their classes from the environment as JSON (Parse), e.g.
// DATA_CLASSES={"fastq":[".fastq.gz",".fq.gz"],"alignment":[".bam",".cram"]}.
package dataclass

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Tag is the object tag whose value names an object's data class. The
// ingest handler sets it from ClassOf when an object arrives; lifecycle
// rules, Intelligent-Tiering archive configurations and storage class
// analyses select a class by this tag. (S3 lifecycle filters match a key
// prefix, tags and object size, never a key suffix, hence the tag.)
const Tag = "biolake:data-class"

// The data classes of Defaults.
const (
	// BCL is raw intensity data of Illumina runs (BCL, CBCL and the per-tile
	// position and filter files next to them).
	BCL = "bcl"
	// FASTQ is reads: FASTQ, plain or compressed.
	FASTQ = "fastq"
	// Alignment is aligned reads and their indexes: BAM, CRAM.
	Alignment = "alignment"
	// QC is quality-control reports: FastQC, MultiQC, samtools stats.
	QC = "qc"
)

// Classes maps a data-class name to the key suffixes of its objects, for
// example "fastq" to ".fastq.gz" and ".fq.gz". Class names are lower case
// letters, digits and '-', starting with a letter, at most 40 characters;
// suffixes are lower case, without "/", at most 64 characters and unique
// across classes. Keys are matched case-insensitively and the longest
// matching suffix wins, so ".bcl.gz" can belong to one class and ".gz" to
// another.
type Classes map[string][]string

// Defaults returns biolake's data classes for sequencing data:
//
//	bcl:       .bcl .bcl.gz .bcl.bgzf .cbcl .locs .clocs .filter
//	fastq:     .fastq .fastq.gz .fq .fq.gz .fastq.ora
//	alignment: .bam .bai .cram .crai
//	qc:        _fastqc.html _fastqc.zip multiqc_report.html multiqc_data.json
//	           .flagstat .idxstats .samtools.stats
func Defaults() Classes {
	return Classes{
		BCL:       {".bcl", ".bcl.gz", ".bcl.bgzf", ".cbcl", ".locs", ".clocs", ".filter"},
		FASTQ:     {".fastq", ".fastq.gz", ".fq", ".fq.gz", ".fastq.ora"},
		Alignment: {".bam", ".bai", ".cram", ".crai"},
		QC:        {"_fastqc.html", "_fastqc.zip", "multiqc_report.html", "multiqc_data.json", ".flagstat", ".idxstats", ".samtools.stats"},
	}
}

// ClassOf returns the data class of an object key: the class with the
// longest suffix that ends the key, compared case-insensitively (a tie, which
// valid Classes cannot have, goes to the class name that sorts first). A key
// ending in "/" (a folder marker) has no class. nil classes means Defaults().
// The key is the decoded object key: S3 event notifications URL-encode keys,
// and the caller decodes them first.
func ClassOf(key string, classes Classes) (class string, ok bool) {
	if classes == nil {
		classes = Defaults()
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

// Problem is one reason Classes are invalid: the path of the bad part
// ("dataClasses.<name>" or "dataClasses.<name>[i]"), the bad value and why.
type Problem struct {
	Path   string
	Value  string
	Reason string
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// MaxSuffixBytes is the longest suffix accepted.
const MaxSuffixBytes = 64

// Problems returns every problem of c, in a stable order (class names
// sorted); nil when c is valid.
func (c Classes) Problems() []Problem {
	var out []Problem
	owner := map[string]string{}
	names := make([]string, 0, len(c))
	for name := range c {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := "dataClasses." + name
		if !namePattern.MatchString(name) {
			out = append(out, Problem{path, name, fmt.Sprintf("is not a valid data-class name; use lower-case letters, digits and '-', starting with a letter, at most 40 characters (it becomes the value of the %s tag)", Tag)})
		}
		if len(c[name]) == 0 {
			out = append(out, Problem{path, "[]", "lists no suffixes; give at least one, such as \".fastq.gz\""})
		}
		for i, s := range c[name] {
			sp := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case s == "":
				out = append(out, Problem{sp, s, "is empty; give a key suffix such as \".fastq.gz\""})
			case s != strings.ToLower(s):
				out = append(out, Problem{sp, s, fmt.Sprintf("must be lower case (keys are matched case-insensitively); use %q", strings.ToLower(s))})
			case strings.Contains(s, "/") || len(s) > MaxSuffixBytes:
				out = append(out, Problem{sp, s, "must be a file-name suffix of at most 64 characters without \"/\""})
			case owner[s] != "":
				out = append(out, Problem{sp, s, fmt.Sprintf("is already a suffix of class %q; a suffix belongs to one class", owner[s])})
			default:
				owner[s] = name
			}
		}
	}
	return out
}

// ErrInvalidClasses is returned by Parse for data classes that cannot be
// used: not a JSON object of string arrays, or failing Problems.
type ErrInvalidClasses struct {
	// Reason is the decoding error, "" when the JSON decoded.
	Reason   string
	Problems []Problem
}

func (e *ErrInvalidClasses) Error() string {
	if e.Reason != "" {
		return "dataclass: invalid data classes: " + e.Reason
	}
	parts := make([]string, 0, len(e.Problems))
	for i, p := range e.Problems {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Problems)-5))
			break
		}
		v := p.Value
		if len(v) > 80 {
			v = v[:80] + "..."
		}
		parts = append(parts, fmt.Sprintf("%s %q %s", p.Path, v, p.Reason))
	}
	return "dataclass: invalid data classes: " + strings.Join(parts, "; ")
}

// MaxJSONBytes is the largest input Parse accepts (a Lambda's whole
// environment is at most 4 KiB; this leaves room for other uses).
const MaxJSONBytes = 64 << 10

// Parse decodes data classes from JSON, an object of class name to suffix
// array, and checks them (Problems). Empty or blank input gives Defaults().
// Duplicate class names, trailing data and null values are rejected.
// Errors: *ErrInvalidClasses.
func Parse(b []byte) (Classes, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return Defaults(), nil
	}
	if len(b) > MaxJSONBytes {
		return nil, &ErrInvalidClasses{Reason: fmt.Sprintf("%d bytes, more than %d", len(b), MaxJSONBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, &ErrInvalidClasses{Reason: "want a JSON object of class name to suffix array, e.g. {\"fastq\":[\".fastq.gz\"]}"}
	}
	out := Classes{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, &ErrInvalidClasses{Reason: err.Error()}
		}
		name, ok := tok.(string)
		if !ok {
			return nil, &ErrInvalidClasses{Reason: fmt.Sprintf("unexpected token %v", tok)}
		}
		if _, dup := out[name]; dup {
			return nil, &ErrInvalidClasses{Reason: fmt.Sprintf("class %q given twice", name)}
		}
		var suffixes []string
		if err := dec.Decode(&suffixes); err != nil {
			return nil, &ErrInvalidClasses{Reason: fmt.Sprintf("class %q: want an array of strings: %v", name, err)}
		}
		if suffixes == nil {
			return nil, &ErrInvalidClasses{Reason: fmt.Sprintf("class %q: null; want an array of strings", name)}
		}
		out[name] = suffixes
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, &ErrInvalidClasses{Reason: err.Error()}
	}
	if _, err := dec.Token(); err == nil {
		return nil, &ErrInvalidClasses{Reason: "trailing data after the JSON object"}
	}
	if ps := out.Problems(); len(ps) > 0 {
		return nil, &ErrInvalidClasses{Problems: ps}
	}
	return out, nil
}

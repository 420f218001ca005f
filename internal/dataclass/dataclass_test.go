package dataclass

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassOf(t *testing.T) {
	custom := Classes{"archive": {".gz"}, "bcl": {".bcl.gz"}, "variants": {".vcf.gz", ".g.vcf.gz"}}
	tests := []struct {
		key     string
		classes Classes
		want    string
		ok      bool
	}{
		{"runs/r/Data/L001/C1.1/L001_1.cbcl", nil, BCL, true},
		{"runs/r/Sample 01+A_S1_L001_R1_001.FASTQ.GZ", nil, FASTQ, true},
		{"x/y.bam", nil, Alignment, true},
		{"x/s_fastqc.zip", nil, QC, true},
		{"x/multiqc_report.html", nil, QC, true},
		{"x/RunInfo.xml", nil, "", false},
		{"x/folder.bam/", nil, "", false},
		{"", nil, "", false},
		{"a/b.bcl.gz", custom, "bcl", true},
		{"a/b.tar.gz", custom, "archive", true},
		{"a/b.g.vcf.gz", custom, "variants", true},
		{"a/b.fastq.gz", Classes{}, "", false},
	}
	for _, tc := range tests {
		got, ok := ClassOf(tc.key, tc.classes)
		assert.Equal(t, tc.want, got, tc.key)
		assert.Equal(t, tc.ok, ok, tc.key)
	}
	// Ties go to the name that sorts first.
	got, _ := ClassOf("a.gz", Classes{"b": {".gz"}, "a": {".gz"}})
	assert.Equal(t, "a", got)
}

func TestProblems(t *testing.T) {
	assert.Empty(t, Defaults().Problems())
	ps := Classes{"Bad Name": {".x"}, "empty": {}, "a": {"", ".BAM", "x/y", ".gz"}, "b": {".gz", strings.Repeat("x", 65)}}.Problems()
	var paths []string
	for _, p := range ps {
		paths = append(paths, p.Path)
	}
	assert.Equal(t, []string{
		"dataClasses.Bad Name", "dataClasses.a[0]", "dataClasses.a[1]", "dataClasses.a[2]",
		"dataClasses.b[0]", "dataClasses.b[1]", "dataClasses.empty",
	}, paths)
}

func TestParse(t *testing.T) {
	c, err := Parse(nil)
	require.NoError(t, err)
	assert.Equal(t, Defaults(), c)
	c, err = Parse([]byte("  \n"))
	require.NoError(t, err)
	assert.Equal(t, Defaults(), c)
	c, err = Parse([]byte(`{"fastq":[".fastq.gz",".fq.gz"],"vcf":[".vcf.gz"]}`))
	require.NoError(t, err)
	assert.Equal(t, Classes{"fastq": {".fastq.gz", ".fq.gz"}, "vcf": {".vcf.gz"}}, c)
	c, err = Parse([]byte(`{}`))
	require.NoError(t, err)
	assert.Empty(t, c, "an empty object means: tag nothing")

	for name, in := range map[string]string{
		"array":       `[".gz"]`,
		"string":      `"x"`,
		"not json":    `{`,
		"null value":  `{"a":null}`,
		"number":      `{"a":[1]}`,
		"duplicate":   `{"a":[".x"],"a":[".y"]}`,
		"trailing":    `{"a":[".x"]} {}`,
		"upper":       `{"a":[".X"]}`,
		"shared":      `{"a":[".x"],"b":[".x"]}`,
		"bad name":    `{"A":[".x"]}`,
		"no suffixes": `{"a":[]}`,
		"too big":     `{"a":["` + strings.Repeat("x", MaxJSONBytes) + `"]}`,
	} {
		_, err := Parse([]byte(in))
		var ic *ErrInvalidClasses
		require.True(t, errors.As(err, &ic), "%s: %v", name, err)
		assert.NotEmpty(t, err.Error(), name)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"fastq":[".fastq.gz",".fq.gz"],"vcf":[".vcf.gz"]}`), "a/b.fq.gz")
	f.Add([]byte(`{"a":[".x"],"a":[".y"]}`), "x.X")
	f.Add([]byte(``), "runs/r/x.cbcl")
	f.Fuzz(func(t *testing.T, in []byte, key string) {
		c, err := Parse(in)
		if err != nil {
			var ic *ErrInvalidClasses
			if !errors.As(err, &ic) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if ps := c.Problems(); len(ps) > 0 {
			t.Fatalf("parsed classes have problems: %v", ps)
		}
		class, ok := ClassOf(key, c)
		if ok {
			if _, known := c[class]; !known {
				t.Fatalf("ClassOf returned unknown class %q", class)
			}
		}
	})
}

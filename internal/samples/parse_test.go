package samples

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/handler"
)

func TestParseGolden(t *testing.T) {
	for file, format := range map[string]Format{
		"illumina_v1.csv": FormatIlluminaV1,
		"illumina_v2.csv": FormatIlluminaV2,
		"nfcore.csv":      FormatNFCore,
	} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", file))
			require.NoError(t, err)
			want, err := os.ReadFile(filepath.Join("testdata", strings.TrimSuffix(file, ".csv")+".want"))
			require.NoError(t, err)
			sheet, err := Parse(bytes.NewReader(data), 0)
			require.NoError(t, err)
			assert.Equal(t, format, sheet.Format)
			assert.Equal(t, strings.Fields(string(want)), sheet.Samples)
		})
	}
}

func TestParseFormats(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sheet  string
		format Format
		want   []string
	}{
		{"v1 minimal", "[Header]\nIEMFileVersion,4\n[Data]\nSample_ID,Sample_Name\nA1,a\nB2,b\n", FormatIlluminaV1, []string{"A1", "B2"}},
		{"v1 no lane, id not first", "[Data]\nSample_Name,Sample_ID,index\nx,S1,ACGT\ny,S2,TTTT\n", FormatIlluminaV1, []string{"S1", "S2"}},
		{"v1 section after data ends it", "[Header],,\n[Data],,\nLane,Sample_ID,index\n1,S1,AC\n[Extra],,\nSample_ID\nNOT_A_SAMPLE\n", FormatIlluminaV1, []string{"S1"}},
		{"section names any case", "[header]\n[data]\nSample_ID\nS1\n", FormatIlluminaV1, []string{"S1"}},
		{"section name with spaces", " [ Data ] ,,\nSample_ID\nS1\n", FormatIlluminaV1, []string{"S1"}},
		{"v2 ignores Cloud_Data", "[Header]\nFileFormatVersion,2\n[BCLConvert_Data]\nLane,Sample_ID,Index\n1,L1,AAA\n[Cloud_Data]\nSample_ID,ProjectName\nL1,p\nONLY_IN_CLOUD,p\n", FormatIlluminaV2, []string{"L1"}},
		{"v2 data section last, no final newline", "[Header]\nFileFormatVersion,2\n\n[BCLConvert_Data]\nSample_ID,Index\nL1,AAA\nL2,CCC", FormatIlluminaV2, []string{"L1", "L2"}},
		{"nf-core", "sample,fastq_1,fastq_2\nS1,a.fq.gz,b.fq.gz\nS2,c.fq.gz,\n", FormatNFCore, []string{"S1", "S2"}},
		{"nf-core Sample_ID", "Sample_ID,bam\nS1,x.bam\n", FormatNFCore, []string{"S1"}},
		{"nf-core prefers sample over Sample_ID", "Sample_ID,sample\nIGNORED,S1\nIGNORED,S2\n", FormatNFCore, []string{"S1", "S2"}},
		{"BOM", "\ufeffsample\nS1\n", FormatNFCore, []string{"S1"}},
		{"BOM before section", "\ufeff[Data]\r\nSample_ID\r\nS1\r\n", FormatIlluminaV1, []string{"S1"}},
		{"CRLF", "sample,x\r\nS1,1\r\nS2,2\r\n", FormatNFCore, []string{"S1", "S2"}},
		{"trailing commas and empty columns", "sample,,,\nS1,,,\nS2,a,,\n,,,\n", FormatNFCore, []string{"S1", "S2"}},
		{"short and long rows", "sample,a,b\nS1\nS2,1,2,3,4\n", FormatNFCore, []string{"S1", "S2"}},
		{"blank lines", "\n\nsample\n\nS1\n\n\nS2\n\n", FormatNFCore, []string{"S1", "S2"}},
		{"quoted fields", "sample,desc\n\"S1\",\"a, b\"\nS2,\"say \"\"hi\"\"\"\n\"S3\",\"multi\nline\"\n", FormatNFCore, []string{"S1", "S2", "S3"}},
		{"spaces around values and names", " sample , x\n  S1  ,1\n", FormatNFCore, []string{"S1"}},
		{"dedupe keeps first-seen order", "sample\nB\nA\nB\nC\nA\n", FormatNFCore, []string{"B", "A", "C"}},
		{"ids at the limits", "sample\n" + strings.Repeat("x", 100) + "\na\n.a\n..b\n-\n", FormatNFCore, []string{strings.Repeat("x", 100), "a", ".a", "..b", "-"}},
		{"lowercase sample_id is a data column, not the id, under Illumina", "[Data]\nsample_id,Sample_ID\nno,S1\n", FormatIlluminaV1, []string{"S1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sheet, err := Parse(strings.NewReader(tc.sheet), 0)
			require.NoError(t, err)
			assert.Equal(t, tc.format, sheet.Format)
			assert.Equal(t, tc.want, sheet.Samples)
		})
	}
}

func TestParseInvalid(t *testing.T) {
	long := strings.Repeat("y", 101)
	for _, tc := range []struct {
		name   string
		sheet  string
		line   int
		value  string
		reason string // a substring of Reason
	}{
		{"empty", "", 0, "", "the sheet is empty"},
		{"only blank lines and commas", "\n,,,\n\r\n", 0, "", "the sheet is empty"},
		{"nf-core header only", "sample,fastq_1\n", 0, "", "header row and no rows"},
		{"nf-core no id column", "name,fastq_1\nS1,a\n", 1, "", `no "sample" or "Sample_ID" column`},
		{"nf-core column name is case-sensitive", "Sample,fastq_1\nS1,a\n", 1, "", `no "sample" or "Sample_ID" column`},
		{"Illumina without data section", "[Header]\nIEMFileVersion,5\n[Reads]\n151\n", 0, "", "without a [Data] (v1) or [BCLConvert_Data] (v2) section"},
		{"Cloud_Data is not a data section", "[Header]\nFileFormatVersion,2\n[Cloud_Data]\nSample_ID\nS1\n", 0, "", "without a [Data]"},
		{"data section without header", "[Header]\n[Data]\n,,\n", 2, "", "[Data] section has no header row"},
		{"data section without rows", "[Header]\n[Data]\nSample_ID,index\n[Settings]\nx,y\n", 0, "", "the [Data] section has no rows"},
		{"data header without Sample_ID", "[Data]\nLane,SampleID,index\n1,S1,A\n", 2, "", "has no Sample_ID column"},
		{"two data sections", "[Data]\nSample_ID\nS1\n[BCLConvert_Data]\nSample_ID\nS2\n", 4, "", "second data section [BCLConvert_Data]; the sheet already has [Data] at line 1"},
		{"repeated [Data]", "[Data]\nSample_ID\nS1\n[Data]\nSample_ID\nS2\n", 4, "", "second data section"},
		{"row ends before the id column", "[Data]\nLane,index,Sample_ID\n1,A\n", 3, "", "no Sample_ID value"},
		{"empty id", "sample,x\nS1,1\n,2\n", 3, "", "empty sample"},
		{"space inside id", "sample\nS1\nS 2\n", 3, "S 2", "bad sample id: want 1 to 100 characters of A-Z a-z 0-9 _ . -"},
		{"slash in id", "[Data]\nLane,Sample_ID\n1,S1\n2,../etc\n", 4, "../etc", "bad sample id"},
		{"dot", "sample\n.\n", 2, ".", "bad sample id"},
		{"dot dot", "sample\n..\n", 2, "..", "bad sample id"},
		{"too long", "sample\n" + long + "\n", 2, long, "bad sample id"},
		{"non-ASCII", "sample\nprobe_\u00e9\n", 2, "probe_\u00e9", "bad sample id"},
		{"line of quoted id counts the right line", "sample,desc\nS1,\"two\nlines\"\nS 2,x\n", 4, "S 2", "bad sample id"},
		{"bare quote", "sample\nS\"1\n", 2, "", "CSV: bare \" in non-quoted-field"},
		{"unterminated quote", "sample\n\"S1\n", 2, "", "CSV: extraneous or missing \" in quoted-field"},
		{"text after closing quote", "sample,x\n\"S1\"x,1\n", 2, "", "CSV:"},
		{"quote error in a skipped section", "[Header]\nDescription,\"a\"b\n[Data]\nSample_ID\nS1\n", 2, "", "CSV:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sheet, err := Parse(strings.NewReader(tc.sheet), 0)
			require.Nil(t, sheet)
			var inv *ErrSampleSheetInvalid
			require.ErrorAs(t, err, &inv)
			assert.Equal(t, tc.line, inv.Line, "line")
			assert.Equal(t, tc.value, inv.Value, "value")
			assert.Contains(t, inv.Reason, tc.reason)
			assert.Equal(t, "ErrSampleSheetInvalid", handler.ErrorType(err))
			if tc.value != "" {
				assert.Contains(t, err.Error(), fmt.Sprintf("line %d: %q", tc.line, clip(tc.value)))
			}
		})
	}
}

func TestParseInvalidValueIsClipped(t *testing.T) {
	huge := strings.Repeat("é", 5000) // 2 bytes each: clipping must keep whole runes
	_, err := Parse(strings.NewReader("sample\n"+huge+"\n"), 0)
	var inv *ErrSampleSheetInvalid
	require.ErrorAs(t, err, &inv)
	assert.LessOrEqual(t, len(inv.Value), maxErrValue+3)
	assert.True(t, strings.HasSuffix(inv.Value, "..."))
	assert.True(t, strings.HasPrefix(huge, strings.TrimSuffix(inv.Value, "...")))
	assert.Less(t, len(err.Error()), 400)
}

func TestParseTooManySamples(t *testing.T) {
	var b strings.Builder
	b.WriteString("[Data]\nLane,Sample_ID\n")
	for lane := 1; lane <= 2; lane++ {
		for i := 0; i < 12; i++ {
			fmt.Fprintf(&b, "%d,S%03d\n", lane, i)
		}
	}
	sheet, err := Parse(strings.NewReader(b.String()), 12)
	require.NoError(t, err, "12 distinct samples on two lanes are within a limit of 12")
	assert.Len(t, sheet.Samples, 12)

	_, err = Parse(strings.NewReader(b.String()+"3,S999\n"), 12)
	var many *ErrTooManySamples
	require.ErrorAs(t, err, &many)
	assert.Equal(t, 13, many.Count)
	assert.Equal(t, 12, many.Limit)
	assert.Contains(t, err.Error(), "has 13 samples, more than the limit of 12")
}

func TestParseDefaultLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("sample\n")
	for i := 0; i < DefaultMaxSamples+1; i++ {
		fmt.Fprintf(&b, "S%d\n", i)
	}
	_, err := Parse(strings.NewReader(b.String()), 0)
	var many *ErrTooManySamples
	require.ErrorAs(t, err, &many)
	assert.Equal(t, DefaultMaxSamples+1, many.Count)
	assert.Equal(t, DefaultMaxSamples, many.Limit)
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := Parse(&failingReader{data: []byte("sample\nS1\nS2"), err: boom}, 0)
	require.ErrorIs(t, err, boom)
	var inv *ErrSampleSheetInvalid
	assert.False(t, errors.As(err, &inv), "a read error is not an invalid sheet")
}

func TestValidSampleID(t *testing.T) {
	for id, ok := range map[string]bool{
		"S1": true, "a.b-c_D9": true, strings.Repeat("z", 100): true, ".hidden": true,
		"": false, ".": false, "..": false, strings.Repeat("z", 101): false, "a/b": false,
		"a b": false, "a\tb": false, "a,b": false, "ü": false, "a\x00": false, "a*": false,
	} {
		assert.Equal(t, ok, ValidSampleID(id), "%q", id)
	}
}

// FuzzParse checks that Parse never panics and that what it accepts keeps
// its promises: distinct, valid ids within the limit.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed sheets in testdata: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"", "\ufeff", "sample\nS1\n", "[Data]\nSample_ID\nS1\n", "[Data]\n[BCLConvert_Data]\n", "sample\n\"a\n", "[]\n", "[", ",,,\n"} {
		f.Add([]byte(s))
	}
	const limit = 50
	f.Fuzz(func(t *testing.T, data []byte) {
		sheet, err := Parse(bytes.NewReader(data), limit)
		if err != nil {
			var inv *ErrSampleSheetInvalid
			var many *ErrTooManySamples
			if !errors.As(err, &inv) && !errors.As(err, &many) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if inv != nil && len(inv.Value) > maxErrValue+3 {
				t.Fatalf("error value of %d bytes", len(inv.Value))
			}
			return
		}
		if len(sheet.Samples) == 0 || len(sheet.Samples) > limit {
			t.Fatalf("%d samples accepted", len(sheet.Samples))
		}
		seen := map[string]bool{}
		for _, id := range sheet.Samples {
			if !ValidSampleID(id) || seen[id] {
				t.Fatalf("bad or repeated id %q accepted", id)
			}
			seen[id] = true
		}
		switch sheet.Format {
		case FormatIlluminaV1, FormatIlluminaV2, FormatNFCore:
		default:
			t.Fatalf("format %q", sheet.Format)
		}
	})
}

package manifest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func open(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestGolden(t *testing.T) {
	t.Run("sha256sum", func(t *testing.T) {
		r := NewReader(open(t, "sha256sum.txt"), Options{})
		var got []Entry
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			got = append(got, e)
		}
		assert.Equal(t, FormatSum, r.Format())
		assert.Equal(t, []Entry{
			{Path: "RunInfo.xml", Line: 3, Size: -1, SHA256: "3c0767b9e0c30c075451b74d85ad5bf33ce02956398e476fb29869813acf4d25"},
			{Path: "Data/Intensities/BaseCalls/L001/C1.1/L001_1.cbcl", Line: 4, Size: -1, SHA256: "95546009001611506d6cd1482ae3727a251c566c629dba237c7d9cefea70ce54"},
			{Path: "sample 01_R1+é.fastq.gz", Line: 5, Size: -1, SHA256: "b1b927541c77e69aea9d143fc238ee78e05fb942e9c42a5b4fd9eeb1f6affcb4"},
		}, got)
	})
	t.Run("md5sum binary, BOM, CRLF, ./ prefix, upper case", func(t *testing.T) {
		got, err := ReadAll(open(t, "md5sum_binary_crlf.txt"), Options{})
		require.NoError(t, err)
		require.Len(t, got, 3)
		assert.Equal(t, Entry{Path: "RunInfo.xml", Line: 1, Size: -1, MD5: "026c819a609ab496d0d43f1904f730b0"}, got[0])
		assert.Equal(t, "sample 01_R1+é.fastq.gz", got[2].Path)
	})
	t.Run("partner csv", func(t *testing.T) {
		r := NewReader(open(t, "partner.csv"), Options{})
		var got []Entry
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			got = append(got, e)
		}
		assert.Equal(t, FormatCSV, r.Format())
		assert.Equal(t, []Entry{
			{Path: "sample_01/R1.fastq.gz", Line: 3, Size: 2, SHA256: "82f3e9c695dc6b8d1b11818d5701919e286de8d47f7c3eb3100c485f79e57828", MD5: "7c92cf1eee8d99cc85f8355a3d6e4b86"},
			{Path: "sample_01/R2.fastq.gz", Line: 4, Size: 2, SHA256: "db77fd01af957221a4989b64b3770a83a3c56068405b9f0e9408feae57fd17e4", MD5: "d279186428a75016b17e4df5ea43d080"},
			{Path: `weird, "name".txt`, Line: 5, Size: 1, SHA256: "50e721e49c013f00c62cf59f2163542a9d8df02464efeb615d31051b0fddc326"},
		}, got)
	})
	t.Run("count", func(t *testing.T) {
		n, err := Count(open(t, "partner.csv"), Options{})
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
	})
}

const h64 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
const h32 = "098f6bcd4621d373cade4e832627b4f6"

func TestParseCases(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		opts     Options
		want     []Entry // nil with wantErr
		wantErr  string  // error type name
		wantLine int
	}{
		{"empty", "", Options{}, nil, "", 0},
		{"only comments", "# x\n\n   \n\t# y\n", Options{}, nil, "", 0},
		{"text mode", h64 + "  a/b.txt\n", Options{}, []Entry{{Path: "a/b.txt", Line: 1, Size: -1, SHA256: h64}}, "", 0},
		{"binary mode", h32 + " *a b.txt", Options{}, []Entry{{Path: "a b.txt", Line: 1, Size: -1, MD5: h32}}, "", 0},
		{"no final newline crlf", h32 + "  x\r\n" + h64 + "  y", Options{}, []Entry{{Path: "x", Line: 1, Size: -1, MD5: h32}, {Path: "y", Line: 2, Size: -1, SHA256: h64}}, "", 0},
		{"path with double spaces kept", h32 + "  a  b ", Options{}, []Entry{{Path: "a  b ", Line: 1, Size: -1, MD5: h32}}, "", 0},
		{"cleaned", h32 + "  ./a//b/./c/", Options{}, []Entry{{Path: "a/b/c", Line: 1, Size: -1, MD5: h32}}, "", 0},
		{"gnu escaped", `\` + h32 + `  a\\b`, Options{}, []Entry{{Path: `a\b`, Line: 1, Size: -1, MD5: h32}}, "", 0},
		{"gnu escaped newline rejected", `\` + h32 + `  a\nb`, Options{}, nil, "ErrInvalidPath", 1},
		{"gnu bad escape", `\` + h32 + `  a\qb`, Options{}, nil, "ErrMalformedManifest", 1},
		{"tag form", "SHA256 (dir/f (1).txt) = " + h64, Options{}, []Entry{{Path: "dir/f (1).txt", Line: 1, Size: -1, SHA256: h64}}, "", 0},
		{"tag md5", "MD5 (f) = " + h32, Options{}, []Entry{{Path: "f", Line: 1, Size: -1, MD5: h32}}, "", 0},
		{"tag mismatch", "MD5 (f) = " + h64, Options{}, nil, "ErrMalformedManifest", 1},
		{"one space", h32 + " a", Options{}, nil, "ErrMalformedManifest", 1},
		{"no path", h32 + "  ", Options{}, nil, "ErrInvalidPath", 1},
		{"no separator", h32, Options{}, nil, "ErrMalformedManifest", 1},
		{"sha1 length", strings.Repeat("a", 40) + "  f", Options{}, nil, "ErrMalformedManifest", 1},
		{"not hex", strings.Repeat("g", 32) + "  f", Options{}, nil, "ErrMalformedManifest", 1},
		{"absolute", h32 + "  /etc/passwd", Options{}, nil, "ErrInvalidPath", 1},
		{"dotdot", "#c\n" + h32 + "  a/../b", Options{}, nil, "ErrInvalidPath", 2},
		{"dotdot leading", h32 + "  ../b", Options{}, nil, "ErrInvalidPath", 1},
		{"dotdot-ish name ok", h32 + "  a/..b/c..", Options{}, []Entry{{Path: "a/..b/c..", Line: 1, Size: -1, MD5: h32}}, "", 0},
		{"dot only", h32 + "  ./", Options{}, nil, "ErrInvalidPath", 1},
		{"nul", h32 + "  a\x00b", Options{}, nil, "ErrInvalidPath", 1},
		{"tab", h32 + "  a\tb", Options{}, nil, "ErrInvalidPath", 1},
		{"lone cr inside", h32 + "  a\rb", Options{}, nil, "ErrInvalidPath", 1},
		{"bad utf8", h32 + "  a\xffb", Options{}, nil, "ErrInvalidPath", 1},
		{"duplicate", h32 + "  a\n" + h64 + "  ./a\n", Options{}, nil, "ErrDuplicatePath", 2},
		{"utf16", "\xff\xfeh\x00", Options{}, nil, "ErrMalformedManifest", 1},
		{"sum path looks like header", h32 + "  a,path", Options{}, []Entry{{Path: "a,path", Line: 1, Size: -1, MD5: h32}}, "", 0},
		{"csv minimal", "path,size,sha256\na,1," + h64 + "\n", Options{}, []Entry{{Path: "a", Line: 2, Size: 1, SHA256: h64}}, "", 0},
		{"csv column order and case", "SHA256, Path ,SIZE\n" + h64 + ",a,0\n", Options{}, []Entry{{Path: "a", Line: 2, Size: 0, SHA256: h64}}, "", 0},
		{"csv crc32c hex and base64", "path,size,sha256,crc32c\na,1," + h64 + ",E3069283\nb,1," + h64 + ",4waSgw==\n", Options{}, []Entry{{Path: "a", Line: 2, Size: 1, SHA256: h64, CRC32C: "e3069283"}, {Path: "b", Line: 3, Size: 1, SHA256: h64, CRC32C: "e3069283"}}, "", 0},
		{"csv forced", "path,size,sha256\n", Options{Format: FormatCSV}, nil, "", 0},
		{"csv forced without header", "", Options{Format: FormatCSV}, nil, "ErrMalformedManifest", 0},
		{"csv missing column", "path,sha256\n", Options{}, nil, "ErrMalformedManifest", 1},
		{"csv unknown column", "path,size,sha256,owner\n", Options{}, nil, "ErrMalformedManifest", 1},
		{"csv duplicate column", "path,size,sha256,size\n", Options{}, nil, "ErrMalformedManifest", 1},
		{"csv field count", "path,size,sha256\na,1\n", Options{}, nil, "ErrMalformedManifest", 2},
		{"csv bad size", "path,size,sha256\na,-1," + h64 + "\n", Options{}, nil, "ErrMalformedManifest", 2},
		{"csv size not int", "path,size,sha256\na,1.5," + h64 + "\n", Options{}, nil, "ErrMalformedManifest", 2},
		{"csv empty sha", "path,size,sha256\na,1,\n", Options{}, nil, "ErrMalformedManifest", 2},
		{"csv bad sha", "path,size,sha256\na,1," + h32 + "\n", Options{}, nil, "ErrMalformedManifest", 2},
		{"csv bad md5 base64", "path,size,sha256,md5\na,1," + h64 + ",!!!!!!!!!!!!!!!!!!!!!!==\n", Options{}, nil, "ErrMalformedManifest", 2},
		{"csv unterminated quote", "path,size,sha256\n\"a,1," + h64 + "\n", Options{}, nil, "ErrMalformedManifest", 2},
		{"csv stray quote", "path,size,sha256\na\"b,1," + h64 + "\n", Options{}, nil, "ErrMalformedManifest", 2},
		{"csv text after quote", "path,size,sha256\n\"a\"b,1," + h64 + "\n", Options{}, nil, "ErrMalformedManifest", 2},
		{"csv absolute", "path,size,sha256\n/a,1," + h64 + "\n", Options{}, nil, "ErrInvalidPath", 2},
		{"csv duplicate", "path,size,sha256\na,1," + h64 + "\n# x\n\"a\",1," + h64 + "\n", Options{}, nil, "ErrDuplicatePath", 4},
		{"csv quoted hash path", "path,size,sha256\n\"#a\",1," + h64 + "\n", Options{}, []Entry{{Path: "#a", Line: 2, Size: 1, SHA256: h64}}, "", 0},
		{"line at limit", h32 + "  " + strings.Repeat("a", 66), Options{MaxLineBytes: 100}, []Entry{{Path: strings.Repeat("a", 66), Line: 1, Size: -1, MD5: h32}}, "", 0},
		{"line at limit crlf", h32 + "  " + strings.Repeat("a", 66) + "\r\n", Options{MaxLineBytes: 100}, []Entry{{Path: strings.Repeat("a", 66), Line: 1, Size: -1, MD5: h32}}, "", 0},
		{"line over limit", h32 + "  a\n" + h32 + "  " + strings.Repeat("b", 67) + "\n", Options{MaxLineBytes: 100}, nil, "ErrLineTooLong", 2},
		{"line way over limit", "#\n#\n" + strings.Repeat("x", 1<<20), Options{MaxLineBytes: 100}, nil, "ErrLineTooLong", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadAll(strings.NewReader(tc.in), tc.opts)
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
				return
			}
			require.Error(t, err)
			name, line := errInfo(err)
			assert.Equal(t, tc.wantErr, name, err.Error())
			assert.Equal(t, tc.wantLine, line, err.Error())
		})
	}
}

func errInfo(err error) (string, int) {
	var m *ErrMalformedManifest
	var p *ErrInvalidPath
	var d *ErrDuplicatePath
	var l *ErrLineTooLong
	switch {
	case errors.As(err, &m):
		return "ErrMalformedManifest", m.Line
	case errors.As(err, &p):
		return "ErrInvalidPath", p.Line
	case errors.As(err, &d):
		return "ErrDuplicatePath", d.Line
	case errors.As(err, &l):
		return "ErrLineTooLong", l.Line
	}
	return "other", 0
}

func TestStickyError(t *testing.T) {
	r := NewReader(strings.NewReader("bad\n"+h32+"  a\n"), Options{})
	_, err1 := r.Next()
	_, err2 := r.Next()
	require.Error(t, err1)
	assert.Equal(t, err1, err2)
}

// TestStreaming reads a manifest far larger than the line limit through a
// reader that yields a few bytes at a time.
func TestStreaming(t *testing.T) {
	const n = 20000
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < n; i++ {
			_, _ = io.WriteString(pw, h64+"  dir/"+strings.Repeat("x", i%50)+"/"+itoa(i)+"\n")
		}
		pw.Close()
	}()
	c, err := Count(pr, Options{MaxLineBytes: 256})
	require.NoError(t, err)
	assert.EqualValues(t, n, c)
}

func itoa(i int) string {
	var b [20]byte
	p := len(b)
	for {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[p:])
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("path,size,sha256\n\"a\"\"b\",1," + h64 + "\n"))
	f.Add([]byte(`\` + h32 + `  a\\b` + "\nSHA256 (x) = " + h64))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(strings.NewReader(string(data)), Options{MaxLineBytes: 512})
		seen := map[string]bool{}
		for {
			e, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if name, _ := errInfo(err); name == "other" {
					t.Fatalf("untyped error %T: %v", err, err)
				}
				return
			}
			if e.Path == "" || strings.HasPrefix(e.Path, "/") || seen[e.Path] || e.Line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
			for _, seg := range strings.Split(e.Path, "/") {
				if seg == ".." || seg == "." || seg == "" {
					t.Fatalf("unclean path %q", e.Path)
				}
			}
			if e.SHA256 == "" && e.MD5 == "" {
				t.Fatalf("entry without digest %+v", e)
			}
			seen[e.Path] = true
		}
	})
}

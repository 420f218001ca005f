// Package manifest parses the checksum manifests that come with a run or a
// partner dataset, streaming, one entry at a time:
//
//   - md5sum/sha256sum output: "<hex>  <path>" (text mode) or "<hex> *<path>"
//     (binary mode), GNU's backslash-escaped lines, and the BSD/--tag form
//     "SHA256 (<path>) = <hex>". The algorithm follows from the digest length
//     (32 hex digits MD5, 64 SHA-256).
//   - a partner CSV with a header naming the columns path, size, sha256 and
//     optionally md5 and crc32c, in any order. Digests are hex or base64.
//
// Both: a UTF-8 byte order mark is stripped, CRLF line ends are accepted,
// blank lines and lines starting with '#' are skipped, a line longer than
// MaxLineBytes is an error. Paths are cleaned (path.Clean) and rejected when
// absolute, containing a ".." segment, NUL or control characters, invalid
// UTF-8, or listed twice. Every error carries the 1-based line number.
package manifest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxLineBytes is the default line length limit: S3 keys are at most
// 1024 bytes, so a longer line is not a manifest line.
const DefaultMaxLineBytes = 16 << 10

// Format is a manifest format.
type Format int

// Manifest formats.
const (
	FormatAuto Format = iota // detect from the first line
	FormatSum                // md5sum / sha256sum output
	FormatCSV                // partner CSV with a header
)

func (f Format) String() string {
	switch f {
	case FormatSum:
		return "sum"
	case FormatCSV:
		return "csv"
	}
	return "auto"
}

// Entry is one file listed in a manifest. Digests are lowercase hex, empty
// when the manifest does not give them.
type Entry struct {
	// Path is the cleaned, relative, slash-separated path.
	Path string
	// Line is the 1-based line number the entry came from.
	Line int
	// Size in bytes, -1 when the manifest does not give it.
	Size   int64
	SHA256 string
	MD5    string
	CRC32C string
}

// ErrMalformedManifest is a syntax error on a line.
type ErrMalformedManifest struct {
	Line   int
	Reason string
}

func (e *ErrMalformedManifest) Error() string {
	return fmt.Sprintf("manifest: line %d: %s", e.Line, e.Reason)
}

// ErrInvalidPath is a path that is not acceptable.
type ErrInvalidPath struct {
	Line   int
	Path   string
	Reason string
}

func (e *ErrInvalidPath) Error() string {
	return fmt.Sprintf("manifest: line %d: invalid path %q: %s", e.Line, e.Path, e.Reason)
}

// ErrDuplicatePath is a path listed twice (after cleaning).
type ErrDuplicatePath struct {
	Line      int
	FirstLine int
	Path      string
}

func (e *ErrDuplicatePath) Error() string {
	return fmt.Sprintf("manifest: line %d: path %q already listed on line %d", e.Line, e.Path, e.FirstLine)
}

// ErrLineTooLong is a line over the length limit.
type ErrLineTooLong struct {
	Line int
	Max  int
}

func (e *ErrLineTooLong) Error() string {
	return fmt.Sprintf("manifest: line %d: longer than %d bytes", e.Line, e.Max)
}

// Options tune a Reader. The zero value is valid.
type Options struct {
	// Format of the manifest. Default FormatAuto: CSV when the first
	// non-blank, non-comment line is a comma-separated header with a "path"
	// column, else sum.
	Format Format
	// MaxLineBytes is the longest line accepted. Default DefaultMaxLineBytes.
	MaxLineBytes int
}

// Reader reads a manifest's entries one at a time.
type Reader struct {
	sc     *bufio.Scanner
	max    int
	format Format
	line   int
	cols   map[string]int // CSV: column name -> index
	ncols  int
	seen   map[string]int // path -> line
	err    error
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader, opts Options) *Reader {
	max := opts.MaxLineBytes
	if max <= 0 {
		max = DefaultMaxLineBytes
	}
	sc := bufio.NewScanner(r)
	// +2 leaves room for the "\r\n" that ScanLines strips.
	sc.Buffer(make([]byte, 0, min(max+2, 64<<10)), max+2)
	return &Reader{sc: sc, max: max, format: opts.Format, seen: make(map[string]int)}
}

// Format returns the manifest's format, known after the first Next.
func (r *Reader) Format() Format { return r.format }

// Next returns the next entry, or io.EOF after the last one. After an error
// other than io.EOF every call returns that error.
func (r *Reader) Next() (Entry, error) {
	if r.err != nil {
		return Entry{}, r.err
	}
	e, err := r.next()
	if err != nil {
		r.err = err
	}
	return e, err
}

func (r *Reader) next() (Entry, error) {
	for r.sc.Scan() {
		r.line++
		raw := r.sc.Bytes()
		if r.line == 1 {
			if bytes.HasPrefix(raw, []byte{0xFE, 0xFF}) || bytes.HasPrefix(raw, []byte{0xFF, 0xFE}) {
				return Entry{}, &ErrMalformedManifest{Line: 1, Reason: "UTF-16 is not supported; save the manifest as UTF-8"}
			}
			raw = bytes.TrimPrefix(raw, []byte("\xEF\xBB\xBF"))
		}
		if len(raw) > r.max {
			// Only a trailing '\r' of a CRLF line may go over the limit.
			return Entry{}, &ErrLineTooLong{Line: r.line, Max: r.max}
		}
		line := string(raw)
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimLeft(line, " \t"), "#") {
			continue
		}
		if r.format == FormatAuto {
			r.format = FormatSum
			if isCSVHeader(line) {
				r.format = FormatCSV
			}
		}
		var (
			e   Entry
			err error
		)
		switch r.format {
		case FormatCSV:
			if r.cols == nil {
				if err := r.header(line); err != nil {
					return Entry{}, err
				}
				continue
			}
			e, err = r.csvLine(line)
		default:
			e, err = r.sumLine(line)
		}
		if err != nil {
			return Entry{}, err
		}
		e.Line = r.line
		if first, dup := r.seen[e.Path]; dup {
			return Entry{}, &ErrDuplicatePath{Line: r.line, FirstLine: first, Path: e.Path}
		}
		r.seen[e.Path] = r.line
		return e, nil
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Entry{}, &ErrLineTooLong{Line: r.line + 1, Max: r.max}
		}
		return Entry{}, err
	}
	if r.format == FormatCSV && r.cols == nil {
		return Entry{}, &ErrMalformedManifest{Line: r.line, Reason: "CSV manifest has no header"}
	}
	return Entry{}, io.EOF
}

// isCSVHeader reports whether line is a CSV header: comma-separated, with a
// "path" column (any case, any position).
func isCSVHeader(line string) bool {
	if !strings.Contains(line, ",") {
		return false
	}
	// A sum line whose path holds ",path" is not a header.
	line = strings.TrimPrefix(line, `\`)
	if sp := strings.IndexByte(line, ' '); sp > 0 && isHex(line[:sp]) {
		return false
	}
	fields, err := splitCSV(line)
	if err != nil {
		return false
	}
	for _, f := range fields {
		if strings.EqualFold(strings.TrimSpace(f), "path") {
			return true
		}
	}
	return false
}

// ReadAll reads every entry. It holds them all in memory; prefer Next for
// large manifests.
func ReadAll(r io.Reader, opts Options) ([]Entry, error) {
	mr := NewReader(r, opts)
	var out []Entry
	for {
		e, err := mr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}

// Count reads a manifest through and returns its number of entries, checking
// every line as Next does.
func Count(r io.Reader, opts Options) (int64, error) {
	mr := NewReader(r, opts)
	var n int64
	for {
		_, err := mr.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		n++
	}
}

// sumLine parses "<hex>  <path>", "<hex> *<path>", "\<hex>  <escaped path>"
// or "ALGO (<path>) = <hex>".
func (r *Reader) sumLine(line string) (Entry, error) {
	e := Entry{Size: -1}
	if i := strings.Index(line, " ("); i > 0 && strings.Contains(line, ") = ") && isAlgoTag(line[:i]) {
		return r.tagLine(line, line[:i], line[i+2:])
	}
	escaped := strings.HasPrefix(line, `\`)
	if escaped {
		line = line[1:]
	}
	sp := strings.IndexByte(line, ' ')
	if sp < 0 || sp+1 >= len(line) || (line[sp+1] != ' ' && line[sp+1] != '*') {
		return e, &ErrMalformedManifest{Line: r.line, Reason: `want "<hex digest>  <path>" or "<hex digest> *<path>"`}
	}
	digest, p := line[:sp], line[sp+2:]
	if escaped {
		var err error
		if p, err = unescapeGNU(p); err != nil {
			return e, &ErrMalformedManifest{Line: r.line, Reason: err.Error()}
		}
	}
	if err := r.setHexDigest(&e, digest); err != nil {
		return e, err
	}
	clean, err := r.cleanPath(p)
	if err != nil {
		return e, err
	}
	e.Path = clean
	return e, nil
}

func isAlgoTag(s string) bool {
	switch s {
	case "MD5", "SHA256":
		return true
	}
	return false
}

// tagLine parses the rest of "ALGO (<path>) = <hex>".
func (r *Reader) tagLine(line, algo, rest string) (Entry, error) {
	e := Entry{Size: -1}
	i := strings.LastIndex(rest, ") = ")
	p, digest := rest[:i], rest[i+4:]
	if err := r.setHexDigest(&e, digest); err != nil {
		return e, err
	}
	if (algo == "MD5") != (e.MD5 != "") {
		return e, &ErrMalformedManifest{Line: r.line, Reason: fmt.Sprintf("digest length %d does not match %s", len(digest), algo)}
	}
	clean, err := r.cleanPath(p)
	if err != nil {
		return e, err
	}
	e.Path = clean
	return e, nil
}

func (r *Reader) setHexDigest(e *Entry, digest string) error {
	if !isHex(digest) {
		return &ErrMalformedManifest{Line: r.line, Reason: fmt.Sprintf("digest %q is not hexadecimal", trunc(digest))}
	}
	switch len(digest) {
	case 32:
		e.MD5 = strings.ToLower(digest)
	case 64:
		e.SHA256 = strings.ToLower(digest)
	default:
		return &ErrMalformedManifest{Line: r.line, Reason: fmt.Sprintf("digest has %d hex digits; want 32 (MD5) or 64 (SHA-256)", len(digest))}
	}
	return nil
}

// unescapeGNU undoes coreutils' escaping of '\\' and '\n' in paths.
func unescapeGNU(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", errors.New("path ends in a lone backslash")
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("unknown escape \\%c in path", s[i])
		}
	}
	return b.String(), nil
}

var knownColumns = []string{"path", "size", "sha256", "md5", "crc32c"}

func (r *Reader) header(line string) error {
	fields, err := splitCSV(line)
	if err != nil {
		return &ErrMalformedManifest{Line: r.line, Reason: "header: " + err.Error()}
	}
	r.cols = make(map[string]int, len(fields))
	for i, f := range fields {
		name := strings.ToLower(strings.TrimSpace(f))
		known := false
		for _, k := range knownColumns {
			known = known || k == name
		}
		if !known {
			return &ErrMalformedManifest{Line: r.line, Reason: fmt.Sprintf("unknown column %q; known columns: %s", trunc(f), strings.Join(knownColumns, ","))}
		}
		if _, dup := r.cols[name]; dup {
			return &ErrMalformedManifest{Line: r.line, Reason: fmt.Sprintf("column %q given twice", name)}
		}
		r.cols[name] = i
	}
	for _, req := range []string{"path", "size", "sha256"} {
		if _, ok := r.cols[req]; !ok {
			return &ErrMalformedManifest{Line: r.line, Reason: fmt.Sprintf("header lacks the %q column; want path,size,sha256[,md5][,crc32c]", req)}
		}
	}
	r.ncols = len(fields)
	return nil
}

func (r *Reader) csvLine(line string) (Entry, error) {
	e := Entry{Size: -1}
	fields, err := splitCSV(line)
	if err != nil {
		return e, &ErrMalformedManifest{Line: r.line, Reason: err.Error()}
	}
	if len(fields) != r.ncols {
		return e, &ErrMalformedManifest{Line: r.line, Reason: fmt.Sprintf("%d fields; the header has %d", len(fields), r.ncols)}
	}
	get := func(name string) string {
		if i, ok := r.cols[name]; ok {
			return strings.TrimSpace(fields[i])
		}
		return ""
	}
	size, err := strconv.ParseInt(get("size"), 10, 64)
	if err != nil || size < 0 {
		return e, &ErrMalformedManifest{Line: r.line, Reason: fmt.Sprintf("size %q is not a non-negative integer", trunc(get("size")))}
	}
	e.Size = size
	for _, d := range []struct {
		col  string
		n    int
		dst  *string
		need bool
	}{
		{"sha256", 32, &e.SHA256, true},
		{"md5", 16, &e.MD5, false},
		{"crc32c", 4, &e.CRC32C, false},
	} {
		v := get(d.col)
		if v == "" {
			if d.need {
				return e, &ErrMalformedManifest{Line: r.line, Reason: d.col + " is empty"}
			}
			continue
		}
		h, ok := digestHex(v, d.n)
		if !ok {
			return e, &ErrMalformedManifest{Line: r.line, Reason: fmt.Sprintf("%s %q is not %d bytes in hex or base64", d.col, trunc(v), d.n)}
		}
		*d.dst = h
	}
	// The path is not trimmed: spaces are legal in keys.
	clean, err := r.cleanPath(fields[r.cols["path"]])
	if err != nil {
		return e, err
	}
	e.Path = clean
	return e, nil
}

// digestHex returns v, an n-byte digest in hex or standard base64, as
// lowercase hex.
func digestHex(v string, n int) (string, bool) {
	if len(v) == 2*n && isHex(v) {
		return strings.ToLower(v), true
	}
	if len(v) == base64.StdEncoding.EncodedLen(n) {
		b, err := base64.StdEncoding.Strict().DecodeString(v)
		if err == nil && len(b) == n {
			return hex.EncodeToString(b), true
		}
	}
	return "", false
}

// splitCSV splits one RFC 4180 record held on one line.
func splitCSV(line string) ([]string, error) {
	var fields []string
	var b strings.Builder
	i := 0
	for {
		b.Reset()
		if i < len(line) && line[i] == '"' {
			i++
			closed := false
			for i < len(line) {
				c := line[i]
				if c == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(c)
				i++
			}
			if !closed {
				return nil, errors.New("unterminated quoted field (fields may not span lines)")
			}
			if i < len(line) && line[i] != ',' {
				return nil, errors.New("text after a closing quote")
			}
		} else {
			j := strings.IndexByte(line[i:], ',')
			if j < 0 {
				j = len(line) - i
			}
			f := line[i : i+j]
			if strings.ContainsRune(f, '"') {
				return nil, errors.New(`'"' in an unquoted field`)
			}
			b.WriteString(f)
			i += j
		}
		fields = append(fields, b.String())
		if i >= len(line) {
			return fields, nil
		}
		i++ // the comma
	}
}

// cleanPath checks and cleans a manifest path.
func (r *Reader) cleanPath(p string) (string, error) {
	bad := func(reason string) error { return &ErrInvalidPath{Line: r.line, Path: trunc(p), Reason: reason} }
	switch {
	case p == "":
		return "", bad("empty")
	case !utf8.ValidString(p):
		return "", bad("not valid UTF-8")
	case strings.HasPrefix(p, "/"):
		return "", bad("absolute")
	}
	for _, c := range p {
		if c == 0 {
			return "", bad("contains NUL")
		}
		if unicode.IsControl(c) {
			return "", bad(fmt.Sprintf("contains control character %U", c))
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", bad(`contains a ".." segment`)
		}
	}
	clean := path.Clean(p)
	if clean == "." {
		return "", bad("names no file")
	}
	if len(clean) > 1024 {
		return "", bad("longer than 1024 bytes")
	}
	return clean, nil
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func trunc(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

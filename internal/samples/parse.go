package samples

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Format is the kind of sheet Parse found.
type Format string

// Formats.
const (
	FormatIlluminaV1 Format = "illumina-v1" // [Data] section
	FormatIlluminaV2 Format = "illumina-v2" // [BCLConvert_Data] section
	FormatNFCore     Format = "nf-core"     // no sections, "sample" column
)

// Limits.
const (
	// DefaultMaxSamples bounds the distinct samples of one sheet.
	DefaultMaxSamples = 5000
	// MaxSampleIDLength is the longest sample id accepted.
	MaxSampleIDLength = 100
)

// Sheet is a parsed sample sheet.
type Sheet struct {
	Format Format
	// Samples are the distinct ids in the order of first appearance;
	// never empty.
	Samples []string
}

// Column names.
const (
	colSampleID = "Sample_ID" // Illumina, and nf-core's fallback
	colSample   = "sample"    // nf-core
)

// idRule is what ValidSampleID accepts, for error messages.
const idRule = `want 1 to 100 characters of A-Z a-z 0-9 _ . - (not "." or "..")`

// ValidSampleID reports whether id is usable as a sample id: 1 to
// MaxSampleIDLength characters of A-Z a-z 0-9 _ . -, and not "." or "..".
func ValidSampleID(id string) bool {
	if id == "" || len(id) > MaxSampleIDLength || id == "." || id == ".." {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse reads a sample sheet (see the package doc for the formats) and
// returns its distinct samples. maxSamples <= 0 means DefaultMaxSamples.
// Errors: *ErrSampleSheetInvalid, *ErrTooManySamples (Count is the number of
// distinct samples in the whole sheet), or r's read error, wrapped. Parse
// holds one CSV record at a time besides the ids; bound r to bound memory.
func Parse(r io.Reader, maxSamples int) (*Sheet, error) {
	if maxSamples <= 0 {
		maxSamples = DefaultMaxSamples
	}
	br := bufio.NewReader(r)
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	cr.ReuseRecord = true
	p := &parser{cr: cr, seen: map[string]struct{}{}}
	if err := p.run(); err != nil {
		return nil, err
	}
	if len(p.samples) == 0 {
		return nil, &ErrSampleSheetInvalid{Reason: p.noSamplesReason()}
	}
	if len(p.samples) > maxSamples {
		return nil, &ErrTooManySamples{Count: len(p.samples), Limit: maxSamples}
	}
	return &Sheet{Format: p.format, Samples: p.samples}, nil
}

type parser struct {
	cr *csv.Reader

	started   bool   // a non-blank record has been seen
	sectioned bool   // the sheet is an Illumina sheet with sections
	inData    bool   // in the data section (or, for nf-core, the whole sheet)
	dataName  string // the data section's name, as written
	dataLine  int    // the data section's header line
	col       int    // id column, -1 until the header row is read
	colName   string
	format    Format

	samples []string
	seen    map[string]struct{}
}

func (p *parser) run() error {
	for {
		rec, err := p.cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err != nil {
				return &ErrSampleSheetInvalid{Line: pe.Line, Reason: "CSV: " + pe.Err.Error()}
			}
			return fmt.Errorf("samples: reading sheet: %w", err)
		}
		if blank(rec) {
			continue
		}
		line, _ := p.cr.FieldPos(0)
		name, isSection := sectionName(rec)
		if !p.started {
			p.started = true
			p.sectioned = isSection
			if !p.sectioned {
				p.inData, p.format, p.col = true, FormatNFCore, -1
			}
		}
		if p.sectioned && isSection {
			if err := p.enterSection(name, line); err != nil {
				return err
			}
			continue
		}
		if !p.inData {
			continue
		}
		if p.col < 0 {
			if err := p.header(rec, line); err != nil {
				return err
			}
			continue
		}
		if err := p.row(rec, line); err != nil {
			return err
		}
	}
	if p.sectioned && p.dataName == "" {
		return &ErrSampleSheetInvalid{Reason: "Illumina sheet without a [Data] (v1) or [BCLConvert_Data] (v2) section"}
	}
	if p.sectioned && p.col < 0 {
		return &ErrSampleSheetInvalid{Line: p.dataLine, Reason: fmt.Sprintf("[%s] section has no header row", p.dataName)}
	}
	return nil
}

func (p *parser) enterSection(name string, line int) error {
	p.inData = false
	var f Format
	switch {
	case strings.EqualFold(name, "Data"):
		f = FormatIlluminaV1
	case strings.EqualFold(name, "BCLConvert_Data"):
		f = FormatIlluminaV2
	default:
		return nil
	}
	if p.dataName != "" {
		return &ErrSampleSheetInvalid{Line: line, Reason: fmt.Sprintf(
			"second data section [%s]; the sheet already has [%s] at line %d, and only one is accepted", name, p.dataName, p.dataLine)}
	}
	p.inData, p.format, p.dataName, p.dataLine, p.col = true, f, name, line, -1
	return nil
}

func (p *parser) header(rec []string, line int) error {
	want := []string{colSampleID}
	if !p.sectioned {
		want = []string{colSample, colSampleID}
	}
	for _, w := range want {
		for i, f := range rec {
			if strings.TrimSpace(f) == w {
				p.col, p.colName = i, w
				return nil
			}
		}
	}
	if p.sectioned {
		return &ErrSampleSheetInvalid{Line: line, Reason: fmt.Sprintf(
			"the header row of [%s] has no %s column", p.dataName, colSampleID)}
	}
	return &ErrSampleSheetInvalid{Line: line, Reason: fmt.Sprintf(
		"the header row has no %q or %q column (an Illumina sheet starts with a section line such as [Header])", colSample, colSampleID)}
}

func (p *parser) row(rec []string, line int) error {
	if p.col >= len(rec) {
		return &ErrSampleSheetInvalid{Line: line, Reason: fmt.Sprintf("the row has no %s value (it ends before that column)", p.colName)}
	}
	id := strings.TrimSpace(rec[p.col])
	line, _ = p.cr.FieldPos(p.col)
	if id == "" {
		return &ErrSampleSheetInvalid{Line: line, Reason: fmt.Sprintf("empty %s", p.colName)}
	}
	if !ValidSampleID(id) {
		return &ErrSampleSheetInvalid{Line: line, Value: clip(id), Reason: "bad sample id: " + idRule}
	}
	if _, dup := p.seen[id]; !dup {
		p.seen[id] = struct{}{}
		p.samples = append(p.samples, id)
	}
	return nil
}

func (p *parser) noSamplesReason() string {
	switch {
	case !p.started:
		return "no samples: the sheet is empty"
	case p.sectioned:
		return fmt.Sprintf("no samples: the [%s] section has no rows", p.dataName)
	}
	return "no samples: the sheet has a header row and no rows"
}

// blank reports whether every field is empty or spaces (a blank line, or a
// line of commas).
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// sectionName returns the name of a section header line ("[Data],,,").
func sectionName(rec []string) (string, bool) {
	f := strings.TrimSpace(rec[0])
	if len(f) < 2 || f[0] != '[' || f[len(f)-1] != ']' {
		return "", false
	}
	return strings.TrimSpace(f[1 : len(f)-1]), true
}

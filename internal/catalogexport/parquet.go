package catalogexport

// A small Parquet writer for flat records of string, int64 and time.Time
// columns, required or optional: PLAIN encoding, one GZIP-compressed data
// page (v1) per column and row group, definition levels for optional
// columns, no statistics. It exists because github.com/parquet-go/parquet-go
// adds about 10 MB to a handler binary (the handlers' size target is 15 MB);
// the tests read every file back with parquet-go, so the format is checked
// against the reference Go implementation.
//
// Schemas come from the same `parquet:"name[,optional][,timestamp(millisecond)]"`
// struct tags parquet-go uses.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
)

// Parquet enums (parquet.thrift).
const (
	ptInt64     = 2
	ptByteArray = 6

	repRequired = 0
	repOptional = 1

	ctUTF8            = 0
	ctTimestampMillis = 9

	encPlain = 0
	encRLE   = 3

	codecGzip = 2

	pageData = 0
)

type colKind int

const (
	kindString colKind = iota
	kindInt64
	kindTimestampMillis
)

type colDef struct {
	name     string
	kind     colKind
	optional bool
	field    int
}

var timeType = reflect.TypeOf(time.Time{})

// schemaOf reads the columns of a struct type from its parquet tags.
func schemaOf(t reflect.Type) ([]colDef, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("parquet: %v is not a struct", t)
	}
	var cols []colDef
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("parquet")
		if tag == "-" || !f.IsExported() {
			continue
		}
		parts := strings.Split(tag, ",")
		c := colDef{name: parts[0], field: i}
		if c.name == "" {
			c.name = f.Name
		}
		ts := false
		for _, o := range parts[1:] {
			switch o {
			case "optional":
				c.optional = true
			case "timestamp(millisecond)":
				ts = true
			default:
				return nil, fmt.Errorf("parquet: %s: unsupported tag option %q", f.Name, o)
			}
		}
		switch {
		case f.Type.Kind() == reflect.String && !ts:
			c.kind = kindString
		case f.Type.Kind() == reflect.Int64 && !ts:
			c.kind = kindInt64
		case f.Type == timeType && ts:
			c.kind = kindTimestampMillis
		default:
			return nil, fmt.Errorf("parquet: %s: unsupported type %v (tag %q)", f.Name, f.Type, tag)
		}
		cols = append(cols, c)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("parquet: %v has no columns", t)
	}
	return cols, nil
}

type chunkMeta struct {
	offset, uncompressed, compressed, values int64
}

type groupMeta struct {
	rows    int64
	chunks  []chunkMeta
	byteSum int64
}

// fileWriter writes one Parquet file, buffering one row group.
type fileWriter[T any] struct {
	w            io.Writer
	cols         []colDef
	rowsPerGroup int
	off          int64
	defs         [][]byte // per column: 1 present, 0 null (optional columns)
	vals         []bytes.Buffer
	rows         int
	groups       []groupMeta
	total        int64
	createdBy    string
	err          error
}

func newFileWriter[T any](w io.Writer, rowsPerGroup int, createdBy string) (*fileWriter[T], error) {
	cols, err := schemaOf(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	if rowsPerGroup <= 0 {
		rowsPerGroup = DefaultRowsPerGroup
	}
	f := &fileWriter[T]{w: w, cols: cols, rowsPerGroup: rowsPerGroup, defs: make([][]byte, len(cols)), vals: make([]bytes.Buffer, len(cols)), createdBy: createdBy}
	f.emit([]byte("PAR1"))
	return f, f.err
}

func (f *fileWriter[T]) emit(b []byte) {
	if f.err != nil {
		return
	}
	n, err := f.w.Write(b)
	f.off += int64(n)
	f.err = err
}

// Write appends rows, flushing a row group every rowsPerGroup rows.
func (f *fileWriter[T]) Write(rows []T) (int, error) {
	for i := range rows {
		if f.err != nil {
			return i, f.err
		}
		v := reflect.ValueOf(&rows[i]).Elem()
		for c, col := range f.cols {
			fv := v.Field(col.field)
			var null bool
			var buf [8]byte
			switch col.kind {
			case kindString:
				s := fv.String()
				null = col.optional && s == ""
				if !null {
					binary.LittleEndian.PutUint32(buf[:4], uint32(len(s)))
					f.vals[c].Write(buf[:4])
					f.vals[c].WriteString(s)
				}
			case kindInt64:
				binary.LittleEndian.PutUint64(buf[:], uint64(fv.Int()))
				f.vals[c].Write(buf[:])
			case kindTimestampMillis:
				t := fv.Interface().(time.Time)
				null = col.optional && t.IsZero()
				if !null {
					binary.LittleEndian.PutUint64(buf[:], uint64(t.UnixMilli()))
					f.vals[c].Write(buf[:])
				}
			}
			if col.optional {
				d := byte(1)
				if null {
					d = 0
				}
				f.defs[c] = append(f.defs[c], d)
			}
		}
		f.rows++
		if f.rows == f.rowsPerGroup {
			f.flush()
		}
	}
	return len(rows), f.err
}

// flush writes the buffered row group: one data page per column.
func (f *fileWriter[T]) flush() {
	if f.rows == 0 || f.err != nil {
		return
	}
	g := groupMeta{rows: int64(f.rows)}
	var raw, comp bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&comp, gzip.DefaultCompression)
	for c, col := range f.cols {
		raw.Reset()
		if col.optional {
			levels := rleLevels(f.defs[c])
			var n [4]byte
			binary.LittleEndian.PutUint32(n[:], uint32(len(levels)))
			raw.Write(n[:])
			raw.Write(levels)
		}
		raw.Write(f.vals[c].Bytes())
		comp.Reset()
		zw.Reset(&comp)
		_, _ = zw.Write(raw.Bytes()) // writes to a bytes.Buffer cannot fail
		_ = zw.Close()
		var hdr thriftWriter
		hdr.i32(1, pageData)
		hdr.i32(2, int32(raw.Len()))
		hdr.i32(3, int32(comp.Len()))
		hdr.structBegin(5)
		hdr.i32(1, int32(f.rows))
		hdr.i32(2, encPlain)
		hdr.i32(3, encRLE)
		hdr.i32(4, encRLE)
		hdr.structEnd()
		hdr.end()
		ch := chunkMeta{offset: f.off, uncompressed: int64(len(hdr.b) + raw.Len()), compressed: int64(len(hdr.b) + comp.Len()), values: int64(f.rows)}
		f.emit(hdr.b)
		f.emit(comp.Bytes())
		g.chunks = append(g.chunks, ch)
		g.byteSum += ch.uncompressed
		f.defs[c] = f.defs[c][:0]
		f.vals[c].Reset()
	}
	f.groups = append(f.groups, g)
	f.total += int64(f.rows)
	f.rows = 0
}

// Close flushes the last row group and writes the footer.
func (f *fileWriter[T]) Close() error {
	f.flush()
	if f.err != nil {
		return f.err
	}
	var m thriftWriter
	m.i32(1, 1) // version
	m.listBegin(2, tStruct, len(f.cols)+1)
	m.elemBegin() // root
	m.binaryField(4, "schema")
	m.i32(5, int32(len(f.cols)))
	m.elemEnd()
	for _, c := range f.cols {
		m.elemBegin()
		m.i32(1, physical(c))
		rep := int32(repRequired)
		if c.optional {
			rep = repOptional
		}
		m.i32(3, rep)
		m.binaryField(4, c.name)
		switch c.kind {
		case kindString:
			m.i32(6, ctUTF8)
			m.structBegin(10) // LogicalType
			m.structBegin(1)  // STRING
			m.structEnd()
			m.structEnd()
		case kindTimestampMillis:
			m.i32(6, ctTimestampMillis)
			m.structBegin(10) // LogicalType
			m.structBegin(8)  // TIMESTAMP
			m.boolField(1, true)
			m.structBegin(2) // unit
			m.structBegin(1) // MILLIS
			m.structEnd()
			m.structEnd()
			m.structEnd()
			m.structEnd()
		}
		m.elemEnd()
	}
	m.i64(3, f.total)
	m.listBegin(4, tStruct, len(f.groups))
	for _, g := range f.groups {
		m.elemBegin()
		m.listBegin(1, tStruct, len(g.chunks))
		for i, ch := range g.chunks {
			col := f.cols[i]
			m.elemBegin()
			m.i64(2, ch.offset)
			m.structBegin(3)
			m.i32(1, physical(col))
			m.listBegin(2, tI32, 2)
			m.rawVarint(zigzag32(encPlain))
			m.rawVarint(zigzag32(encRLE))
			m.listBegin(3, tBinary, 1)
			m.rawBinary(col.name)
			m.i32(4, codecGzip)
			m.i64(5, ch.values)
			m.i64(6, ch.uncompressed)
			m.i64(7, ch.compressed)
			m.i64(9, ch.offset)
			m.structEnd()
			m.elemEnd()
		}
		m.i64(2, g.byteSum)
		m.i64(3, g.rows)
		m.elemEnd()
	}
	m.binaryField(6, f.createdBy)
	m.end()
	f.emit(m.b)
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(m.b)))
	f.emit(n[:])
	f.emit([]byte("PAR1"))
	return f.err
}

func physical(c colDef) int32 {
	if c.kind == kindString {
		return ptByteArray
	}
	return ptInt64
}

// rleLevels encodes 0/1 definition levels (bit width 1) with the RLE /
// bit-packing hybrid, using RLE runs only.
func rleLevels(levels []byte) []byte {
	var out []byte
	for i := 0; i < len(levels); {
		j := i
		for j < len(levels) && levels[j] == levels[i] {
			j++
		}
		out = binary.AppendUvarint(out, uint64(j-i)<<1)
		out = append(out, levels[i])
		i = j
	}
	return out
}

// thriftWriter writes the Thrift compact protocol, field by field, for the
// few Parquet structures written here. Field ids must increase within a
// struct (they do in parquet.thrift order).
type thriftWriter struct {
	b     []byte
	stack []int16 // last field id of each enclosing struct
	cur   int16
}

// Compact protocol types.
const (
	tBoolTrue  = 1
	tBoolFalse = 2
	tI32       = 5
	tI64       = 6
	tBinary    = 8
	tList      = 9
	tStruct    = 12
)

func (t *thriftWriter) field(id int16, typ byte) {
	if d := id - t.cur; d > 0 && d <= 15 {
		t.b = append(t.b, byte(d)<<4|typ)
	} else {
		t.b = append(t.b, typ)
		t.b = binary.AppendUvarint(t.b, uint64(zigzag32(int32(id))))
	}
	t.cur = id
}

func zigzag32(v int32) uint32 { return uint32(v<<1) ^ uint32(v>>31) }
func zigzag64(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func (t *thriftWriter) i32(id int16, v int32) {
	t.field(id, tI32)
	t.b = binary.AppendUvarint(t.b, uint64(zigzag32(v)))
}

func (t *thriftWriter) i64(id int16, v int64) {
	t.field(id, tI64)
	t.b = binary.AppendUvarint(t.b, zigzag64(v))
}

func (t *thriftWriter) boolField(id int16, v bool) {
	if v {
		t.field(id, tBoolTrue)
	} else {
		t.field(id, tBoolFalse)
	}
}

func (t *thriftWriter) binaryField(id int16, s string) {
	t.field(id, tBinary)
	t.rawBinary(s)
}

func (t *thriftWriter) rawBinary(s string) {
	t.b = binary.AppendUvarint(t.b, uint64(len(s)))
	t.b = append(t.b, s...)
}

func (t *thriftWriter) rawVarint(v uint32) { t.b = binary.AppendUvarint(t.b, uint64(v)) }

// structBegin starts a struct-valued field.
func (t *thriftWriter) structBegin(id int16) {
	t.field(id, tStruct)
	t.elemBegin()
}

func (t *thriftWriter) structEnd() { t.elemEnd() }

// elemBegin starts a struct that is a list element (or a field's value).
func (t *thriftWriter) elemBegin() {
	t.stack = append(t.stack, t.cur)
	t.cur = 0
}

// elemEnd ends it with a stop byte.
func (t *thriftWriter) elemEnd() {
	t.b = append(t.b, 0)
	t.cur = t.stack[len(t.stack)-1]
	t.stack = t.stack[:len(t.stack)-1]
}

// end ends the top-level struct.
func (t *thriftWriter) end() { t.b = append(t.b, 0) }

// listBegin starts a list field of n elements of type elem.
func (t *thriftWriter) listBegin(id int16, elem byte, n int) {
	t.field(id, tList)
	if n < 15 {
		t.b = append(t.b, byte(n)<<4|elem)
	} else {
		t.b = append(t.b, 0xF0|elem)
		t.b = binary.AppendUvarint(t.b, uint64(n))
	}
}

// Column is one column of the Parquet files the exporter writes from rows
// of a struct type: its name and its physical kind ("string", "int64" or
// "timestamp-millis"), read from the parquet tags the writer uses, so that
// readers such as the Glue table definitions derive theirs from the same
// source.
type Column struct {
	Name     string
	Kind     string
	Optional bool
}

// ColumnsOf returns the columns the writer would write for rows of type t,
// or the error it would give.
func ColumnsOf(t reflect.Type) ([]Column, error) {
	defs, err := schemaOf(t)
	if err != nil {
		return nil, err
	}
	kinds := map[colKind]string{kindString: "string", kindInt64: "int64", kindTimestampMillis: "timestamp-millis"}
	out := make([]Column, len(defs))
	for i, d := range defs {
		out[i] = Column{Name: d.name, Kind: kinds[d.kind], Optional: d.optional}
	}
	return out, nil
}

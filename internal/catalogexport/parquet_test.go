package catalogexport

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type sample struct {
	S   string    `parquet:"s"`
	OS  string    `parquet:"os,optional"`
	N   int64     `parquet:"n"`
	T   time.Time `parquet:"t,timestamp(millisecond)"`
	OT  time.Time `parquet:"ot,optional,timestamp(millisecond)"`
	Not string    `parquet:"-"`
}

func TestFileWriterReadBack(t *testing.T) {
	for _, tc := range []struct {
		name         string
		rows, groups int
	}{{"empty", 0, 3}, {"one", 1, 3}, {"groups", 1000, 7}, {"exact groups", 21, 7}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := newFileWriter[sample](&buf, tc.groups, "test")
			require.NoError(t, err)
			var want []sample
			for i := 0; i < tc.rows; i++ {
				r := sample{S: strings.Repeat("é", i%5), N: int64(i) - 500, T: t0.Add(time.Duration(i) * time.Millisecond)}
				if i%3 == 0 {
					r.OS, r.OT = "x", t0.Add(-time.Duration(i)*time.Hour)
				}
				want = append(want, r)
			}
			for i := 0; i < len(want); i += 10 {
				_, err := w.Write(want[i:min(i+10, len(want))])
				require.NoError(t, err)
			}
			require.NoError(t, w.Close())

			f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			require.NoError(t, err)
			assert.EqualValues(t, tc.rows, f.NumRows())
			if tc.rows > 0 {
				assert.Len(t, f.RowGroups(), (tc.rows+tc.groups-1)/tc.groups)
			}
			schema := f.Schema().String()
			assert.Contains(t, schema, "required binary s (STRING)")
			assert.Contains(t, schema, "optional binary os (STRING)")
			assert.Contains(t, schema, "required int64 n")
			assert.Contains(t, schema, "TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)")
			assert.NotContains(t, schema, "Not")

			got, err := parquet.Read[sample](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			require.NoError(t, err)
			require.Len(t, got, len(want))
			for i := range got {
				g := got[i]
				g.T, g.OT = g.T.UTC(), g.OT.UTC()
				if g.OT.Equal(time.Unix(0, 0).UTC()) || g.OT.IsZero() {
					g.OT = time.Time{}
				}
				assert.Equal(t, want[i], g, i)
			}
		})
	}
}

func TestSchemaErrors(t *testing.T) {
	type bad1 struct {
		F float64 `parquet:"f"`
	}
	type bad2 struct {
		S string `parquet:"s,zstd"`
	}
	type bad3 struct {
		T time.Time `parquet:"t"`
	}
	type none struct{}
	for _, err := range []error{
		func() error { _, err := newFileWriter[bad1](&bytes.Buffer{}, 1, ""); return err }(),
		func() error { _, err := newFileWriter[bad2](&bytes.Buffer{}, 1, ""); return err }(),
		func() error { _, err := newFileWriter[bad3](&bytes.Buffer{}, 1, ""); return err }(),
		func() error { _, err := newFileWriter[none](&bytes.Buffer{}, 1, ""); return err }(),
		func() error { _, err := newFileWriter[int](&bytes.Buffer{}, 1, ""); return err }(),
	} {
		assert.Error(t, err)
	}
}

func TestRLELevels(t *testing.T) {
	assert.Equal(t, []byte{6, 1, 2, 0, 200, 1, 1}, rleLevels(append([]byte{1, 1, 1, 0}, bytes.Repeat([]byte{1}, 100)...)))
	assert.Empty(t, rleLevels(nil))
}

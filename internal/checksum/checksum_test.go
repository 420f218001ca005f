package checksum

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"math/rand"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Check values of "123456789" from the CRC catalogue and the hash standards.
func TestCheckValues(t *testing.T) {
	want := map[Algorithm]string{
		MD5:       "25f9e794323b453885f5181f1b624d0b",
		SHA256:    "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
		CRC32C:    "e3069283",
		CRC64NVME: "ae8b14860a799888",
	}
	res, err := Sum(context.Background(), bytes.NewReader([]byte("123456789")), All, Options{})
	require.NoError(t, err)
	assert.EqualValues(t, 9, res.Size)
	for a, w := range want {
		assert.Equal(t, w, res.Hex(a), a)
		assert.Len(t, res.Sums[a], a.Size())
	}
	assert.Equal(t, []Algorithm{CRC32C, CRC64NVME, MD5, SHA256}, res.Algorithms())
	// The empty stream.
	res, err = Sum(context.Background(), bytes.NewReader(nil), All, Options{})
	require.NoError(t, err)
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", res.Hex(SHA256))
	assert.Equal(t, "00000000", res.Hex(CRC32C))
	assert.Equal(t, "0000000000000000", res.Hex(CRC64NVME))
	assert.Equal(t, "", res.Hex("nope"))
}

func TestSumMatchesSequential(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	data := make([]byte, 3<<20+17)
	rng.Read(data)
	for _, size := range []int{0, 1, 1000, 4096, 4097, 1 << 20, len(data)} {
		for _, opts := range []Options{{}, {ChunkSize: 1}, {ChunkSize: 4096, Buffers: 1}, {ChunkSize: 1000, Buffers: 2}, {ChunkSize: 65536, Buffers: 8}} {
			if opts.ChunkSize == 1 && size > 5000 {
				continue
			}
			in := data[:size]
			got, err := Sum(context.Background(), iotestHalf(bytes.NewReader(in)), All, opts)
			require.NoError(t, err)
			want, err := SumSequential(bytes.NewReader(in), All)
			require.NoError(t, err)
			assert.Equal(t, want, got, "size %d opts %+v", size, opts)
			s := sha256.Sum256(in)
			m := md5.Sum(in)
			assert.Equal(t, s[:], got.Sums[SHA256])
			assert.Equal(t, m[:], got.Sums[MD5])
		}
	}
}

// halfReader returns at most half of what is asked, to exercise short reads.
type halfReader struct{ r io.Reader }

func (h halfReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:len(p)/2]
	}
	return h.r.Read(p)
}

func iotestHalf(r io.Reader) io.Reader { return halfReader{r} }

type errReader struct {
	n   int
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, e.err
	}
	n := min(len(p), e.n)
	e.n -= n
	return n, nil
}

func TestSumErrors(t *testing.T) {
	boom := errors.New("boom")
	res, err := Sum(context.Background(), &errReader{n: 5 << 20, err: boom}, All, Options{})
	assert.ErrorIs(t, err, boom)
	assert.EqualValues(t, 5<<20, res.Size)
	assert.Nil(t, res.Sums)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Sum(ctx, bytes.NewReader(make([]byte, 10)), All, Options{})
	assert.ErrorIs(t, err, context.Canceled)

	_, err = Sum(context.Background(), bytes.NewReader(nil), []Algorithm{"sha1"}, Options{})
	var ua *ErrUnsupportedAlgorithm
	assert.ErrorAs(t, err, &ua)
	_, err = Sum(context.Background(), bytes.NewReader(nil), nil, Options{})
	assert.ErrorAs(t, err, &ua)
	_, err = Sum(context.Background(), bytes.NewReader(nil), []Algorithm{MD5, MD5}, Options{})
	assert.Error(t, err)
}

// TestSumBoundedMemory hashes 256 MiB generated on the fly and checks that
// the bytes allocated do not grow with the input.
func TestSumBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes 256 MiB")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := Sum(context.Background(), io.LimitReader(zeros{}, 256<<20), All, Options{})
	require.NoError(t, err)
	runtime.ReadMemStats(&after)
	assert.EqualValues(t, 256<<20, res.Size)
	alloc := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, alloc, uint64(DefaultBuffers*DefaultChunkSize+1<<20), "allocated %d bytes", alloc)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestParseAlgorithms(t *testing.T) {
	got, err := ParseAlgorithms(" SHA256,md5 ,crc32c,crc64nvme,sha256,")
	require.NoError(t, err)
	assert.Equal(t, []Algorithm{SHA256, MD5, CRC32C, CRC64NVME}, got)
	for _, bad := range []string{"", ",", "sha1", "md5,sha512"} {
		_, err := ParseAlgorithms(bad)
		var ua *ErrUnsupportedAlgorithm
		assert.ErrorAs(t, err, &ua, bad)
	}
}

func TestDecodeHex(t *testing.T) {
	b, err := DecodeHex(CRC32C, "e3069283")
	require.NoError(t, err)
	assert.Equal(t, []byte{0xe3, 0x06, 0x92, 0x83}, b)
	for _, bad := range []string{"", "e306928", "e30692830", "zz069283"} {
		_, err := DecodeHex(CRC32C, bad)
		var me *ErrMalformedChecksum
		assert.ErrorAs(t, err, &me, bad)
	}
}

func TestCompare(t *testing.T) {
	res, err := Sum(context.Background(), bytes.NewReader([]byte("123456789")), All, Options{})
	require.NoError(t, err)
	b64 := func(a Algorithm) string { return res.Base64(a) }
	other := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name    string
		stored  Stored
		want    Verdict
		wantErr bool
	}{
		{"sha256 match", Stored{SHA256, b64(SHA256), TypeFullObject}, Match, false},
		{"sha256 match no type", Stored{SHA256, b64(SHA256), ""}, Match, false},
		{"crc32c match", Stored{CRC32C, b64(CRC32C), ""}, Match, false},
		{"crc64nvme match", Stored{CRC64NVME, b64(CRC64NVME), TypeFullObject}, Match, false},
		{"sha256 mismatch", Stored{SHA256, other, TypeFullObject}, Mismatch, false},
		{"composite suffix", Stored{SHA256, b64(SHA256) + "-3", TypeComposite}, NeedsStreaming, false},
		{"composite suffix no type", Stored{CRC32C, b64(CRC32C) + "-12", ""}, NeedsStreaming, false},
		{"composite type without suffix", Stored{SHA256, b64(SHA256), TypeComposite}, NeedsStreaming, false},
		{"nothing stored", Stored{SHA256, "", ""}, NeedsStreaming, false},
		{"bad base64", Stored{SHA256, "!!!", ""}, 0, true},
		{"wrong length", Stored{SHA256, b64(CRC32C), ""}, 0, true},
		{"bad part count", Stored{SHA256, b64(SHA256) + "-x", ""}, 0, true},
		{"zero parts", Stored{SHA256, b64(SHA256) + "-0", ""}, 0, true},
		{"unknown algorithm", Stored{"sha1", "AAAA", ""}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Compare(tc.stored, res.Sums[tc.stored.Algorithm])
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Verdict, c.Reason)
			if tc.want == NeedsStreaming {
				assert.NotEmpty(t, c.Reason)
				assert.Nil(t, c.Actual)
			} else {
				assert.NotNil(t, c.Actual)
			}
		})
	}
	_, err = Compare(Stored{SHA256, b64(SHA256), ""}, []byte{1})
	assert.Error(t, err)
	assert.Equal(t, "needs streaming", NeedsStreaming.String())
	assert.Equal(t, "match", Match.String())
	assert.Equal(t, "mismatch", Mismatch.String())
}

func TestCompareETag(t *testing.T) {
	sum := md5.Sum([]byte("123456789"))
	tests := []struct {
		etag string
		kms  bool
		want Verdict
		err  bool
	}{
		{`"25f9e794323b453885f5181f1b624d0b"`, false, Match, false},
		{`25F9E794323B453885F5181F1B624D0B`, false, Match, false},
		{`"d41d8cd98f00b204e9800998ecf8427e"`, false, Mismatch, false},
		{`"25f9e794323b453885f5181f1b624d0b-2"`, false, NeedsStreaming, false},
		{`"25f9e794323b453885f5181f1b624d0b"`, true, NeedsStreaming, false},
		{``, false, NeedsStreaming, false},
		{`"xyz"`, false, 0, true},
	}
	for _, tc := range tests {
		c, err := CompareETag(tc.etag, tc.kms, sum[:])
		if tc.err {
			assert.Error(t, err, tc.etag)
			continue
		}
		require.NoError(t, err, tc.etag)
		assert.Equal(t, tc.want, c.Verdict, tc.etag)
	}
}

var benchData []byte

func data256(b *testing.B) []byte {
	if benchData == nil {
		benchData = make([]byte, 256<<20)
		rand.New(rand.NewSource(1)).Read(benchData)
	}
	return benchData
}

func benchSum(b *testing.B, algos []Algorithm) {
	d := data256(b)
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Sum(context.Background(), bytes.NewReader(d), algos, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSHA256Only(b *testing.B)    { benchSum(b, []Algorithm{SHA256}) }
func BenchmarkMD5Only(b *testing.B)       { benchSum(b, []Algorithm{MD5}) }
func BenchmarkCRC32COnly(b *testing.B)    { benchSum(b, []Algorithm{CRC32C}) }
func BenchmarkCRC64NVMEOnly(b *testing.B) { benchSum(b, []Algorithm{CRC64NVME}) }
func BenchmarkAllFour(b *testing.B)       { benchSum(b, All) }

// BenchmarkAllFourSequential is the single-goroutine baseline for AllFour.
func BenchmarkAllFourSequential(b *testing.B) {
	d := data256(b)
	b.SetBytes(int64(len(d)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := SumSequential(bytes.NewReader(d), All); err != nil {
			b.Fatal(err)
		}
	}
}

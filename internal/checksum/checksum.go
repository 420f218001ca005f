// Package checksum computes several checksums of a stream in one pass, with
// bounded memory, and compares them with the checksums S3 stores.
//
// Sum reads its input once, in fixed-size chunks from a small ring of
// reusable buffers (Options.Buffers × Options.ChunkSize bytes in all), and
// feeds every chunk to one goroutine per algorithm, so the hashers run
// concurrently and the throughput is close to that of the slowest hasher.
//
// Algorithms: MD5, SHA-256, CRC-32C (Castagnoli) and CRC-64/NVME, the ones
// S3 can store (ChecksumSHA256, ChecksumCRC32C, ChecksumCRC64NVME; MD5 is
// the ETag of a single-part, non-KMS upload).
package checksum

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Algorithm names a checksum algorithm, in the lowercase form used by
// biolake's manifests, events and CLI.
type Algorithm string

// Supported algorithms.
const (
	MD5       Algorithm = "md5"
	SHA256    Algorithm = "sha256"
	CRC32C    Algorithm = "crc32c"
	CRC64NVME Algorithm = "crc64nvme"
)

// All lists the supported algorithms.
var All = []Algorithm{MD5, SHA256, CRC32C, CRC64NVME}

// CRC64NVMEPoly is the CRC-64/NVME polynomial in reversed (LSB-first) form,
// as hash/crc64 takes it (normal form 0xad93d23594c93659).
const CRC64NVMEPoly = 0x9a6c9329ac4bc9b5

var (
	crc32cTable    = crc32.MakeTable(crc32.Castagnoli)
	crc64nvmeTable = crc64.MakeTable(CRC64NVMEPoly)
)

// Size returns the digest length of a in bytes, or 0 when unknown.
func (a Algorithm) Size() int {
	switch a {
	case MD5:
		return md5.Size
	case SHA256:
		return sha256.Size
	case CRC32C:
		return 4
	case CRC64NVME:
		return 8
	}
	return 0
}

// New returns a new hash.Hash for a, or *ErrUnsupportedAlgorithm. The
// digests of the CRCs are big-endian, as S3 encodes them.
func New(a Algorithm) (hash.Hash, error) {
	switch a {
	case MD5:
		return md5.New(), nil
	case SHA256:
		return sha256.New(), nil
	case CRC32C:
		return crc32.New(crc32cTable), nil
	case CRC64NVME:
		return crc64.New(crc64nvmeTable), nil
	}
	return nil, &ErrUnsupportedAlgorithm{Name: string(a)}
}

// ErrUnsupportedAlgorithm names an algorithm this package does not know.
type ErrUnsupportedAlgorithm struct {
	Name string
}

func (e *ErrUnsupportedAlgorithm) Error() string {
	return fmt.Sprintf("checksum: unsupported algorithm %q (supported: md5, sha256, crc32c, crc64nvme)", e.Name)
}

// ParseAlgorithms parses a comma-separated list such as "sha256,md5"
// (case-insensitive, spaces allowed, duplicates removed).
func ParseAlgorithms(s string) ([]Algorithm, error) {
	var out []Algorithm
	seen := map[Algorithm]bool{}
	for _, f := range strings.Split(s, ",") {
		a := Algorithm(strings.ToLower(strings.TrimSpace(f)))
		if a == "" {
			continue
		}
		if a.Size() == 0 {
			return nil, &ErrUnsupportedAlgorithm{Name: string(a)}
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &ErrUnsupportedAlgorithm{Name: s}
	}
	return out, nil
}

// Result holds the digests of one stream.
type Result struct {
	// Size is the number of bytes read.
	Size int64
	// Sums maps each algorithm to its digest (big-endian for the CRCs).
	Sums map[Algorithm][]byte
}

// Hex returns a's digest in lowercase hex, "" when not computed.
func (r Result) Hex(a Algorithm) string {
	if s, ok := r.Sums[a]; ok {
		return hex.EncodeToString(s)
	}
	return ""
}

// Base64 returns a's digest in standard base64, the form S3 uses, "" when
// not computed.
func (r Result) Base64(a Algorithm) string {
	if s, ok := r.Sums[a]; ok {
		return base64.StdEncoding.EncodeToString(s)
	}
	return ""
}

// Algorithms returns the algorithms of r in a stable order.
func (r Result) Algorithms() []Algorithm {
	out := make([]Algorithm, 0, len(r.Sums))
	for a := range r.Sums {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Options tune Sum. The zero value gives the defaults.
type Options struct {
	// ChunkSize is the size of each read and of each buffer. Default 1 MiB.
	ChunkSize int
	// Buffers is the number of buffers in the ring: reading runs up to
	// Buffers-1 chunks ahead of the slowest hasher. Default 4.
	Buffers int
}

// DefaultChunkSize is the default read size.
const DefaultChunkSize = 1 << 20

// DefaultBuffers is the default number of buffers in the ring.
const DefaultBuffers = 4

type chunk struct {
	data []byte
	n    int
	refs atomic.Int32
}

// Sum reads r to its end once and returns the digests of the given
// algorithms. Memory use is bounded by Options.Buffers × Options.ChunkSize
// whatever the size of the stream. It stops early with ctx's error when ctx
// is cancelled, and returns a read error as is.
func Sum(ctx context.Context, r io.Reader, algos []Algorithm, opts Options) (Result, error) {
	if len(algos) == 0 {
		return Result{}, &ErrUnsupportedAlgorithm{Name: ""}
	}
	size := opts.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	nbuf := opts.Buffers
	if nbuf <= 0 {
		nbuf = DefaultBuffers
	}
	hashers := make([]hash.Hash, len(algos))
	for i, a := range algos {
		h, err := New(a)
		if err != nil {
			return Result{}, err
		}
		for j := 0; j < i; j++ {
			if algos[j] == a {
				return Result{}, fmt.Errorf("checksum: algorithm %q given twice", a)
			}
		}
		hashers[i] = h
	}

	free := make(chan *chunk, nbuf)
	for i := 0; i < nbuf; i++ {
		free <- &chunk{data: make([]byte, size)}
	}
	work := make([]chan *chunk, len(hashers))
	var wg sync.WaitGroup
	for i, h := range hashers {
		ch := make(chan *chunk, nbuf)
		work[i] = ch
		wg.Add(1)
		go func(h hash.Hash, ch <-chan *chunk) {
			defer wg.Done()
			for c := range ch {
				h.Write(c.data[:c.n]) // hash.Hash.Write never returns an error
				if c.refs.Add(-1) == 0 {
					free <- c
				}
			}
		}(h, ch)
	}

	var total int64
	var rerr error
	for {
		if err := ctx.Err(); err != nil {
			rerr = err
			break
		}
		c := <-free
		n, err := io.ReadFull(r, c.data)
		if n > 0 {
			total += int64(n)
			c.n = n
			c.refs.Store(int32(len(work)))
			for _, ch := range work {
				ch <- c
			}
		} else {
			free <- c
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	for _, ch := range work {
		close(ch)
	}
	wg.Wait()
	if rerr != nil {
		return Result{Size: total}, rerr
	}
	res := Result{Size: total, Sums: make(map[Algorithm][]byte, len(algos))}
	for i, a := range algos {
		res.Sums[a] = hashers[i].Sum(nil)
	}
	return res, nil
}

// SumSequential is the one-goroutine reference for Sum: it feeds each chunk
// to every hasher in turn (io.MultiWriter). For tests and benchmarks.
func SumSequential(r io.Reader, algos []Algorithm) (Result, error) {
	ws := make([]io.Writer, len(algos))
	hs := make([]hash.Hash, len(algos))
	for i, a := range algos {
		h, err := New(a)
		if err != nil {
			return Result{}, err
		}
		hs[i], ws[i] = h, h
	}
	buf := make([]byte, DefaultChunkSize)
	n, err := io.CopyBuffer(io.MultiWriter(ws...), r, buf)
	if err != nil {
		return Result{Size: n}, err
	}
	res := Result{Size: n, Sums: make(map[Algorithm][]byte, len(algos))}
	for i, a := range algos {
		res.Sums[a] = hs[i].Sum(nil)
	}
	return res, nil
}

// DecodeHex decodes a hex digest of a's size.
func DecodeHex(a Algorithm, s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != a.Size() || a.Size() == 0 {
		return nil, &ErrMalformedChecksum{Algorithm: a, Value: s, Reason: fmt.Sprintf("not %d bytes of hex", a.Size())}
	}
	return b, nil
}

// ErrMalformedChecksum is a checksum value that cannot be decoded.
type ErrMalformedChecksum struct {
	Algorithm Algorithm
	Value     string
	Reason    string
}

func (e *ErrMalformedChecksum) Error() string {
	v := e.Value
	if len(v) > 100 {
		v = v[:100] + "..."
	}
	return fmt.Sprintf("checksum: malformed %s value %q: %s", e.Algorithm, v, e.Reason)
}

var errNoValue = errors.New("no value")

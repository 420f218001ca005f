// Command biolake-verify hashes a file, standard input or an S3 object once
// with several algorithms and prints the digests as JSON, in hex and in base64
// (the form S3 uses for ChecksumSHA256 and friends). Memory use is bounded (a
// few MiB) whatever the size. It is the command of the Batch verifier
// container (docker/verify/Dockerfile) for objects too large for the verify
// Lambda:
//
//	biolake-verify [-algos sha256,md5,crc32c,crc64nvme] [-expect sha256=HEX,...] [-stats] FILE|-
//	biolake-verify -s3 s3://BUCKET/KEY [-version-id VID] [-expect sha256=HEX[,md5=HEX...]] [-stats]
//
// With -s3 the object version is streamed with GetObject (credentials from
// the AWS SDK's default chain: in Batch, the job role; it needs
// s3:GetObject and s3:GetObjectVersion, and kms:Decrypt for SSE-KMS), and a
// broken connection is resumed where it stopped (internal/s3read). The key is
// taken as is (not URL-decoded).
//
// Exit status: 0 success (and every -expect matched), 1 I/O error (including
// a missing object), 2 usage error, 3 an -expect mismatch.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/biolake/biolake/internal/checksum"
	"github.com/biolake/biolake/internal/s3event"
	"github.com/biolake/biolake/internal/s3read"
)

// Exit codes.
const (
	exitOK       = 0
	exitIO       = 1
	exitUsage    = 2
	exitMismatch = 3
)

type digest struct {
	Hex    string `json:"hex"`
	Base64 string `json:"base64"`
}

type output struct {
	File string `json:"file"`
	// VersionID is the S3 version read (-s3 only).
	VersionID string                        `json:"versionId,omitempty"`
	Size      int64                         `json:"size"`
	Digests   map[checksum.Algorithm]digest `json:"digests"`
	// Match is set when -expect was given.
	Match      *bool             `json:"match,omitempty"`
	Mismatched []string          `json:"mismatched,omitempty"`
	Stats      *stats            `json:"stats,omitempty"`
	Expected   map[string]string `json:"expected,omitempty"`
}

type stats struct {
	ElapsedSeconds float64 `json:"elapsedSeconds"`
	MiBPerSecond   float64 `json:"mibPerSecond"`
	// PeakRSSKiB is VmHWM from /proc/self/status (Linux), 0 elsewhere.
	PeakRSSKiB int64 `json:"peakRssKiB"`
	ChunkBytes int   `json:"chunkBytes"`
	Buffers    int   `json:"buffers"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// newS3 builds the S3 client of -s3 mode; tests replace it.
var newS3 = func(ctx context.Context) (s3read.GetObjectAPI, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg), nil
}

var bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// parseS3URL splits "s3://bucket/key". The key is taken as is.
func parseS3URL(u string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("-s3 %q: want s3://BUCKET/KEY", u)
	}
	bucket, key, ok = strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", fmt.Errorf("-s3 %q: want s3://BUCKET/KEY", u)
	}
	if !bucketPattern.MatchString(bucket) {
		return "", "", fmt.Errorf("-s3 %q: bad bucket name", u)
	}
	if err := s3event.CheckKey(key); err != nil {
		return "", "", fmt.Errorf("-s3 %q: bad key: %v", u, err)
	}
	return bucket, key, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("biolake-verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	algos := fs.String("algos", "sha256", "comma-separated algorithms: md5, sha256, crc32c, crc64nvme")
	expect := fs.String("expect", "", "comma-separated ALGO=HEX digests to check; exit 3 on mismatch")
	showStats := fs.Bool("stats", false, "add elapsed time, throughput and peak RSS to the output")
	chunk := fs.Int("chunk", checksum.DefaultChunkSize, "read size in bytes")
	buffers := fs.Int("buffers", checksum.DefaultBuffers, "number of read buffers in the ring")
	s3url := fs.String("s3", "", "read s3://BUCKET/KEY instead of a file")
	versionID := fs.String("version-id", "", "with -s3: the object version to read (default: the current one)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: biolake-verify [-algos sha256,md5,crc32c,crc64nvme] [-expect ALGO=HEX,...] [-stats] FILE|-")
		fmt.Fprintln(stderr, "       biolake-verify -s3 s3://BUCKET/KEY [-version-id VID] [-expect ALGO=HEX,...] [-stats]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if (*s3url == "") != (fs.NArg() == 1) || fs.NArg() > 1 {
		fs.Usage()
		return exitUsage
	}
	if *versionID != "" && *s3url == "" {
		fmt.Fprintln(stderr, "biolake-verify: -version-id needs -s3")
		return exitUsage
	}
	list, err := checksum.ParseAlgorithms(*algos)
	if err != nil {
		fmt.Fprintln(stderr, "biolake-verify:", err)
		return exitUsage
	}
	want, err := parseExpect(*expect)
	if err != nil {
		fmt.Fprintln(stderr, "biolake-verify:", err)
		return exitUsage
	}
	for a := range want {
		if !contains(list, a) {
			list = append(list, a)
		}
	}
	if *chunk < 1 || *buffers < 1 {
		fmt.Fprintln(stderr, "biolake-verify: -chunk and -buffers must be positive")
		return exitUsage
	}

	name := fs.Arg(0)
	var in io.Reader = stdin
	var version string
	switch {
	case *s3url != "":
		bucket, key, err := parseS3URL(*s3url)
		if err != nil {
			fmt.Fprintln(stderr, "biolake-verify:", err)
			return exitUsage
		}
		client, err := newS3(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "biolake-verify: AWS config:", err)
			return exitIO
		}
		r, err := s3read.Open(ctx, client, bucket, key, *versionID, -1)
		if err != nil {
			fmt.Fprintln(stderr, "biolake-verify:", err)
			return exitIO
		}
		defer r.Close()
		name, in, version = *s3url, r, r.VersionID()
	case name != "-":
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(stderr, "biolake-verify:", err)
			return exitIO
		}
		defer f.Close()
		in = f
	}
	start := time.Now()
	res, err := checksum.Sum(ctx, in, list, checksum.Options{ChunkSize: *chunk, Buffers: *buffers})
	if err != nil {
		fmt.Fprintln(stderr, "biolake-verify:", err)
		return exitIO
	}
	elapsed := time.Since(start)

	out := output{File: name, VersionID: version, Size: res.Size, Digests: map[checksum.Algorithm]digest{}}
	for _, a := range list {
		out.Digests[a] = digest{Hex: res.Hex(a), Base64: res.Base64(a)}
	}
	code := exitOK
	if len(want) > 0 {
		ok := true
		out.Expected = map[string]string{}
		for a, h := range want {
			out.Expected[string(a)] = h
			if res.Hex(a) != h {
				ok = false
				out.Mismatched = append(out.Mismatched, string(a))
			}
		}
		out.Match = &ok
		if !ok {
			code = exitMismatch
		}
	}
	if *showStats {
		s := &stats{ElapsedSeconds: elapsed.Seconds(), PeakRSSKiB: peakRSSKiB(), ChunkBytes: *chunk, Buffers: *buffers}
		if elapsed > 0 {
			s.MiBPerSecond = float64(res.Size) / (1 << 20) / elapsed.Seconds()
		}
		out.Stats = s
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(stderr, "biolake-verify:", err)
		return exitIO
	}
	return code
}

func contains(list []checksum.Algorithm, a checksum.Algorithm) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// parseExpect parses "sha256=HEX,md5=HEX".
func parseExpect(s string) (map[checksum.Algorithm]string, error) {
	out := map[checksum.Algorithm]string{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("-expect %q: want ALGO=HEX", kv)
		}
		algos, err := checksum.ParseAlgorithms(k)
		if err != nil {
			return nil, err
		}
		v = strings.ToLower(strings.TrimSpace(v))
		if _, err := checksum.DecodeHex(algos[0], v); err != nil {
			return nil, err
		}
		out[algos[0]] = v
	}
	return out, nil
}

// peakRSSKiB reads VmHWM from /proc/self/status; 0 when unavailable.
func peakRSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	n, _ := vmHWM(f)
	return n
}

func vmHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, errors.New("no VmHWM")
}

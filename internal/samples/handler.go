package samples

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/biolake/biolake/internal/handler"
	"github.com/biolake/biolake/internal/s3read"
)

// GetObjectAPI is the one S3 method the Handler needs.
type GetObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// SheetNames are the names looked for under a run's prefix, in order.
var SheetNames = []string{"SampleSheet.csv", "samplesheet.csv"}

// Defaults.
const (
	DefaultMaxSheetBytes   = 10 << 20
	DefaultMaxPayloadBytes = 240 << 10
	// maxKeyBytes is S3's limit on a key.
	maxKeyBytes = 1024
)

// Handler answers the workflow's request for a run's samples. Build it once
// per process; it is safe for concurrent use.
type Handler struct {
	S3     GetObjectAPI
	Logger *slog.Logger
	// MaxSheetBytes bounds the bytes read of a sheet. Default 10 MiB.
	MaxSheetBytes int64
	// MaxSamples bounds the distinct samples of a sheet. Default 5000.
	MaxSamples int
	// MaxPayloadBytes bounds the JSON output. Default 240 KiB.
	MaxPayloadBytes int
}

// Input is the Lambda's input.
type Input struct {
	RunID  string `json:"runId"`
	Bucket string `json:"bucket"`
	// Prefix is the run's folder, ending in "/".
	Prefix string `json:"prefix"`
}

// Output is the Lambda's output: the Map state's items and the sheet they
// came from ("" when the run has no sheet and is its own one item).
type Output struct {
	Samples []string `json:"samples"`
	Source  string   `json:"source"`
}

// ParseInput decodes and checks the Lambda's input. Fields other than
// runId, bucket and prefix are ignored. Errors: *ErrBadInput.
func ParseInput(raw []byte) (Input, error) {
	var in Input
	if err := json.Unmarshal(raw, &in); err != nil {
		return in, &ErrBadInput{Reason: fmt.Sprintf("want a JSON object {\"runId\",\"bucket\",\"prefix\"}: %v", err)}
	}
	return in, in.check()
}

func (in Input) check() error {
	var missing []string
	for _, f := range []struct{ name, v string }{{"runId", in.RunID}, {"bucket", in.Bucket}, {"prefix", in.Prefix}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return &ErrBadInput{Reason: "missing " + strings.Join(missing, ", ")}
	}
	if strings.Contains(in.Bucket, "/") {
		return &ErrBadInput{Reason: fmt.Sprintf("bucket %q: want a bucket name, not a path or URL", clip(in.Bucket))}
	}
	if !strings.HasSuffix(in.Prefix, "/") {
		return &ErrBadInput{Reason: fmt.Sprintf("prefix %q: want the run's folder, ending in \"/\"", clip(in.Prefix))}
	}
	if n := len(in.Prefix) + len(SheetNames[0]); n > maxKeyBytes {
		return &ErrBadInput{Reason: fmt.Sprintf("prefix is %d bytes; with the sheet name it is over S3's %d-byte key limit", len(in.Prefix), maxKeyBytes)}
	}
	return nil
}

// Handle is the Lambda handler: ParseInput, then Samples. Errors are
// returned as their typed values, so the Lambda runtime's errorType names
// them for Step Functions Retry/Catch.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (Output, error) {
	log := handler.Logger(ctx, h.logger())
	in, err := ParseInput(raw)
	if err != nil {
		log.Error("bad input", handler.ErrAttrs(err)...)
		return Output{}, err
	}
	log = log.With("runId", in.RunID)
	out, err := h.samples(ctx, in, log)
	if err != nil {
		log.Error("samples failed", errAttrs(err)...)
		return Output{}, err
	}
	return out, nil
}

// Samples finds and parses the run's sample sheet (see the package doc).
func (h *Handler) Samples(ctx context.Context, in Input) (Output, error) {
	return h.samples(ctx, in, h.logger().With("runId", in.RunID))
}

func (h *Handler) samples(ctx context.Context, in Input, log *slog.Logger) (Output, error) {
	if err := in.check(); err != nil {
		return Output{}, err
	}
	for _, name := range SheetNames {
		key := in.Prefix + name
		sheet, err := h.read(ctx, in.Bucket, key)
		if errors.Is(err, errNoSheet) {
			log.Debug("no sample sheet under this name", "key", key)
			continue
		}
		if err != nil {
			return Output{}, err
		}
		out := Output{Samples: sheet.Samples, Source: "s3://" + in.Bucket + "/" + key}
		if b, err := json.Marshal(out); err != nil {
			return Output{}, fmt.Errorf("samples: encoding output: %w", err)
		} else if len(b) > h.maxPayloadBytes() {
			return Output{}, &ErrTooManySamples{Source: out.Source, Count: len(out.Samples), Limit: h.maxSamples(), Bytes: len(b), MaxBytes: h.maxPayloadBytes()}
		}
		log.Info("samples", "source", out.Source, "format", string(sheet.Format), "count", len(sheet.Samples))
		return out, nil
	}
	if !ValidSampleID(in.RunID) {
		return Output{}, &ErrBadInput{Reason: fmt.Sprintf("runId %q: the run has no sample sheet, so the run is the one item, and its id must be a sample id: %s", clip(in.RunID), idRule)}
	}
	log.Info("samples: no sample sheet, the run is one item", "source", "", "count", 1)
	return Output{Samples: []string{in.RunID}, Source: ""}, nil
}

// errNoSheet: the key does not exist.
var errNoSheet = errors.New("samples: no such sheet")

// errOverLimit is what boundedReader returns past its limit.
var errOverLimit = errors.New("samples: sheet over the size limit")

func (h *Handler) read(ctx context.Context, bucket, key string) (*Sheet, error) {
	source := "s3://" + bucket + "/" + key
	rd, err := s3read.Open(ctx, h.S3, bucket, key, "", -1)
	if err != nil {
		var nf *s3read.ErrNotFound
		if errors.As(err, &nf) {
			return nil, errNoSheet
		}
		return nil, &ErrStorage{Op: "GetObject", Bucket: bucket, Key: key, Err: err}
	}
	defer rd.Close()
	limit := h.maxSheetBytes()
	if rd.Size() > limit {
		return nil, &ErrSampleSheetTooLarge{Source: source, Size: rd.Size(), Limit: limit}
	}
	br := &boundedReader{r: rd, n: limit}
	sheet, err := Parse(br, h.maxSamples())
	switch {
	case br.over:
		return nil, &ErrSampleSheetTooLarge{Source: source, Size: rd.Size(), Limit: limit}
	case br.err != nil:
		return nil, &ErrStorage{Op: "GetObject", Bucket: bucket, Key: key, Err: br.err}
	}
	if err != nil {
		var inv *ErrSampleSheetInvalid
		var many *ErrTooManySamples
		switch {
		case errors.As(err, &inv):
			inv.Source = source
		case errors.As(err, &many):
			many.Source = source
		default: // a read error Parse met that br did not record
			return nil, &ErrStorage{Op: "GetObject", Bucket: bucket, Key: key, Err: err}
		}
		return nil, err
	}
	return sheet, nil
}

// boundedReader reads at most n bytes of r, and fails with errOverLimit
// (setting over) when r has more. It records r's read errors in err.
type boundedReader struct {
	r    io.Reader
	n    int64
	over bool
	err  error
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.over {
		return 0, errOverLimit
	}
	if int64(len(p)) > b.n+1 {
		p = p[:b.n+1] // one byte past the limit tells whether there is more
	}
	n, err := b.r.Read(p)
	if int64(n) > b.n {
		b.over = true
		return int(b.n), errOverLimit
	}
	b.n -= int64(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) maxSheetBytes() int64 {
	if h.MaxSheetBytes > 0 {
		return h.MaxSheetBytes
	}
	return DefaultMaxSheetBytes
}

func (h *Handler) maxSamples() int {
	if h.MaxSamples > 0 {
		return h.MaxSamples
	}
	return DefaultMaxSamples
}

func (h *Handler) maxPayloadBytes() int {
	if h.MaxPayloadBytes > 0 {
		return h.MaxPayloadBytes
	}
	return DefaultMaxPayloadBytes
}

// errAttrs are the log attributes of a failure. An invalid sheet is logged
// by line and reason only: its value is sheet content.
func errAttrs(err error) []any {
	attrs := []any{"errorType", handler.ErrorType(err)}
	var inv *ErrSampleSheetInvalid
	if errors.As(err, &inv) {
		return append(attrs, "source", inv.Source, "line", inv.Line, "reason", inv.Reason)
	}
	return append(attrs, "error", err.Error())
}

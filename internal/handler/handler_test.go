package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/handler"
)

type errValue struct{}

func (errValue) Error() string { return "value" }

type ErrNamed struct{}

func (*ErrNamed) Error() string { return "named" }

func TestErrorType(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&ErrNamed{}, "ErrNamed"},
		{errValue{}, "errValue"},
		{&handler.ErrPanic{Op: "x", Value: 1}, "ErrPanic"},
		{&fs.PathError{Op: "open", Path: "p", Err: fs.ErrNotExist}, "PathError"},
		{errors.New("plain"), "errorString"},
		{fmt.Errorf("wrapped: %w", &ErrNamed{}), "wrapError"},
		{errors.Join(&ErrNamed{}, errValue{}), "joinError"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			assert.Equal(t, tc.want, handler.ErrorType(tc.err))
		})
	}
}

func TestRecover(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fn      func()
		wantErr string
	}{
		{"no panic", func() {}, ""},
		{"string", func() { panic("boom") }, "op: panic: boom"},
		{"error", func() { panic(errors.New("bad")) }, "op: panic: bad"},
		{"nil map", func() {
			var m map[string]int
			m["x"] = 1
		}, "op: panic: assignment to entry in nil map"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := func() (err error) {
				defer handler.Recover("op", &err)
				tc.fn()
				return nil
			}()
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			var p *handler.ErrPanic
			require.ErrorAs(t, err, &p)
			assert.Equal(t, tc.wantErr, err.Error())
			assert.Equal(t, "ErrPanic", handler.ErrorType(err))
			// The stack names the function that panicked.
			assert.Contains(t, p.Stack, "handler_test.TestRecover")
		})
	}
}

func TestErrAttrs(t *testing.T) {
	assert.Equal(t, []any{"errorType", "ErrNamed", "error", "named"}, handler.ErrAttrs(&ErrNamed{}))
	p := &handler.ErrPanic{Op: "op", Value: "boom", Stack: "goroutine 1"}
	assert.Equal(t, []any{"errorType", "ErrPanic", "error", "op: panic: boom", "stack", "goroutine 1"}, handler.ErrAttrs(p))
}

func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&buf, nil))
	handler.Logger(context.Background(), base).Info("plain")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	handler.Logger(ctx, base).Info("invoked")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	assert.NotContains(t, lines[0], "requestId")
	assert.Contains(t, lines[1], `"requestId":"req-1"`)
	assert.NotNil(t, handler.Logger(ctx, nil))
}

// logLine is one JSON line of the batch's log.
type logLine struct {
	Msg       string `json:"msg"`
	MessageID string `json:"messageId"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Stack     string `json:"stack"`
}

func TestSQSBatch(t *testing.T) {
	records := func(ids ...string) lambdaevents.SQSEvent {
		var ev lambdaevents.SQSEvent
		for _, id := range ids {
			ev.Records = append(ev.Records, lambdaevents.SQSMessage{MessageId: id, Body: id})
		}
		return ev
	}
	for _, tc := range []struct {
		name        string
		ids         []string
		concurrency int
		// fails maps a body to what its record does: "panic" or "error".
		fails      map[string]string
		wantFailed []string
		wantType   map[string]string
	}{
		{name: "all good", ids: []string{"a", "b", "c"}, concurrency: 2},
		{name: "empty batch", concurrency: 8},
		{
			name: "panic in one of three", ids: []string{"a", "b", "c"}, concurrency: 3,
			fails:      map[string]string{"b": "panic"},
			wantFailed: []string{"b"}, wantType: map[string]string{"b": "ErrPanic"},
		},
		{
			name: "panic one at a time", ids: []string{"a", "b", "c"}, concurrency: 0,
			fails:      map[string]string{"a": "panic"},
			wantFailed: []string{"a"}, wantType: map[string]string{"a": "ErrPanic"},
		},
		{
			name: "error and panic, in record order", ids: []string{"a", "b", "c", "d"}, concurrency: 4,
			fails:      map[string]string{"d": "error", "b": "panic"},
			wantFailed: []string{"b", "d"}, wantType: map[string]string{"b": "ErrPanic", "d": "ErrNamed"},
		},
		{
			name: "every record fails", ids: []string{"a", "b"}, concurrency: 1,
			fails:      map[string]string{"a": "error", "b": "error"},
			wantFailed: []string{"a", "b"}, wantType: map[string]string{"a": "ErrNamed", "b": "ErrNamed"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf syncBuffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			var mu sync.Mutex
			handled := map[string]string{}
			var running, most atomic.Int32
			b := handler.SQSBatch{Op: "test", Concurrency: tc.concurrency, Handle: func(ctx context.Context, log *slog.Logger, body []byte) error {
				n := running.Add(1)
				defer running.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				mu.Lock()
				handled[string(body)] = "handled"
				mu.Unlock()
				switch tc.fails[string(body)] {
				case "panic":
					var m map[string]int
					m[string(body)]++ // a real bug: assignment to entry in nil map
				case "error":
					return &ErrNamed{}
				}
				return nil
			}}
			resp := b.Run(context.Background(), log, records(tc.ids...))

			var got []string
			for _, f := range resp.BatchItemFailures {
				got = append(got, f.ItemIdentifier)
			}
			assert.Equal(t, tc.wantFailed, got)
			// Every record was handled, the failing ones included.
			assert.Len(t, handled, len(tc.ids))
			assert.LessOrEqual(t, int(most.Load()), max(tc.concurrency, 1))

			lines := map[string]logLine{}
			for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				if l == "" {
					continue
				}
				var ll logLine
				require.NoError(t, json.Unmarshal([]byte(l), &ll), l)
				assert.Equal(t, "record failed", ll.Msg)
				lines[ll.MessageID] = ll
			}
			assert.Len(t, lines, len(tc.wantFailed))
			for id, want := range tc.wantType {
				ll := lines[id]
				assert.Equal(t, want, ll.ErrorType, id)
				if want == "ErrPanic" {
					assert.Equal(t, "test: panic: assignment to entry in nil map", ll.Error)
					assert.Contains(t, ll.Stack, "runtime/debug.Stack")
					assert.Contains(t, ll.Stack, "handler_test.TestSQSBatch")
				} else {
					assert.Empty(t, ll.Stack)
				}
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the batch's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

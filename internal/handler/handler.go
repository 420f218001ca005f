// Package handler holds what biolake's Go Lambda handlers (internal/ingest,
// restore, cacherefresh, samples, verify) share inside a handler: the name
// of an error's type as the Lambda runtime reports it, the error a recovered
// panic becomes, the request-scoped logger and the fan-out of an SQS batch
// with partial batch failures.
//
// The start-up of the main packages (lambdas/*) is package lambdamain's.
package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// ErrorType names an error's type the way the Lambda runtime does (its
// errorType): the type's name without package and pointer, "ErrStorage" for
// a *samples.ErrStorage. Step Functions Retry and Catch match on it, so a
// handler's error types keep their names.
func ErrorType(err error) string {
	t := fmt.Sprintf("%T", err)
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		return t[i+1:]
	}
	return t
}

// ErrPanic is a panic recovered while handling one record or request (a
// bug): the record fails alone, with the stack of the panic.
type ErrPanic struct {
	// Op names the handler; it starts the message ("ingest: panic: ...").
	Op    string
	Value any
	// Stack is the panicking goroutine's stack (debug.Stack).
	Stack string
}

func (e *ErrPanic) Error() string { return fmt.Sprintf("%s: panic: %v", e.Op, e.Value) }

// Recover, deferred by a function with a named error result, turns a panic
// of that function into an *ErrPanic in *err:
//
//	func (h *Handler) HandleMessage(...) (err error) {
//		defer handler.Recover("ingest", &err)
//
// It must be the deferred call itself (recover works only there).
func Recover(op string, err *error) {
	if v := recover(); v != nil {
		*err = &ErrPanic{Op: op, Value: v, Stack: string(debug.Stack())}
	}
}

// ErrAttrs are the log attributes of a failure: "errorType" and "error",
// and "stack" for an *ErrPanic.
func ErrAttrs(err error) []any {
	attrs := []any{"errorType", ErrorType(err), "error", err.Error()}
	var p *ErrPanic
	if errors.As(err, &p) {
		attrs = append(attrs, "stack", p.Stack)
	}
	return attrs
}

// Logger returns log (slog.Default when nil) with the invocation's
// "requestId" when ctx is a Lambda invocation's.
func Logger(ctx context.Context, log *slog.Logger) *slog.Logger {
	if log == nil {
		log = slog.Default()
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	return log
}

// RecordFunc handles one SQS message body; log carries the message's id. A
// nil error means the message may be deleted.
type RecordFunc func(ctx context.Context, log *slog.Logger, body []byte) error

// SQSBatch handles the records of an SQS batch one by one, Concurrency at a
// time, and reports those that failed as batch item failures, so that SQS
// redelivers only them (the event source mapping must enable
// ReportBatchItemFailures).
type SQSBatch struct {
	// Op names the handler in the message of an ErrPanic.
	Op string
	// Concurrency is the number of records handled at once; 1 when not
	// positive.
	Concurrency int
	Handle      RecordFunc
}

// Run handles ev's records. A record whose Handle returns an error, or
// panics (an *ErrPanic with the stack), is logged as "record failed" with
// its messageId and ErrAttrs and reported in BatchItemFailures, in the
// order of the records; the other records are handled all the same. Run
// never panics for a record.
func (b SQSBatch) Run(ctx context.Context, log *slog.Logger, ev lambdaevents.SQSEvent) lambdaevents.SQSEventResponse {
	if log == nil {
		log = slog.Default()
	}
	conc := max(b.Concurrency, 1)
	failed := make([]bool, len(ev.Records))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i := range ev.Records {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			rec := ev.Records[i]
			rlog := log.With("messageId", rec.MessageId)
			if err := b.record(ctx, rlog, []byte(rec.Body)); err != nil {
				failed[i] = true
				rlog.Error("record failed", ErrAttrs(err)...)
			}
		}(i)
	}
	wg.Wait()
	var resp lambdaevents.SQSEventResponse
	for i, f := range failed {
		if f {
			resp.BatchItemFailures = append(resp.BatchItemFailures, lambdaevents.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
		}
	}
	return resp
}

func (b SQSBatch) record(ctx context.Context, log *slog.Logger, body []byte) (err error) {
	defer Recover(b.Op, &err)
	return b.Handle(ctx, log, body)
}

package samples

import (
	"fmt"
	"unicode/utf8"
)

// ErrBadInput is an input that misses a field or holds a bad value.
type ErrBadInput struct{ Reason string }

func (e *ErrBadInput) Error() string { return "samples: bad input: " + e.Reason }

// ErrSampleSheetInvalid is a sheet whose content cannot be used.
type ErrSampleSheetInvalid struct {
	// Source is the sheet's s3:// URL; "" when Parse was given a reader.
	Source string
	// Line is the 1-based line of the problem; 0 for the sheet as a whole.
	Line int
	// Value is the offending value (at most maxErrValue bytes), "" when
	// there is none.
	Value string
	// Reason says what is wrong and, for a value, what is accepted. It
	// never holds sheet content, so it may be logged.
	Reason string
}

func (e *ErrSampleSheetInvalid) Error() string {
	s := "samples: sample sheet"
	if e.Source != "" {
		s += " " + e.Source
	}
	if e.Line > 0 {
		s += fmt.Sprintf(": line %d", e.Line)
	}
	if e.Value != "" {
		s += fmt.Sprintf(": %q", e.Value)
	}
	return s + ": " + e.Reason
}

// ErrSampleSheetTooLarge is a sheet over Handler.MaxSheetBytes.
type ErrSampleSheetTooLarge struct {
	Source string
	// Size is the object's size, -1 when S3 did not say.
	Size  int64
	Limit int64
}

func (e *ErrSampleSheetTooLarge) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("samples: sample sheet %s is more than the limit of %d bytes", e.Source, e.Limit)
	}
	return fmt.Sprintf("samples: sample sheet %s is %d bytes, more than the limit of %d bytes", e.Source, e.Size, e.Limit)
}

// ErrTooManySamples is a sheet with more distinct samples than
// Handler.MaxSamples, or whose output is over Handler.MaxPayloadBytes.
type ErrTooManySamples struct {
	Source string
	Count  int
	Limit  int
	// Bytes and MaxBytes are set when the output size was the limit hit.
	Bytes, MaxBytes int
}

func (e *ErrTooManySamples) Error() string {
	if e.MaxBytes > 0 {
		return fmt.Sprintf("samples: sample sheet %s: %d samples make a %d-byte output, more than the limit of %d bytes (Step Functions payloads are at most 256 KiB)",
			e.Source, e.Count, e.Bytes, e.MaxBytes)
	}
	return fmt.Sprintf("samples: sample sheet %s has %d samples, more than the limit of %d", e.Source, e.Count, e.Limit)
}

// ErrStorage is an S3 failure other than a missing sheet; worth retrying.
type ErrStorage struct {
	Op, Bucket, Key string
	Err             error
}

func (e *ErrStorage) Error() string {
	return fmt.Sprintf("samples: %s s3://%s/%s: %v", e.Op, e.Bucket, e.Key, e.Err)
}

func (e *ErrStorage) Unwrap() error { return e.Err }

// maxErrValue bounds the value an error carries (a field may be megabytes).
const maxErrValue = 120

func clip(s string) string {
	if len(s) <= maxErrValue {
		return s
	}
	i := maxErrValue
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// Command verify is the verify Lambda: a RunIngested event in (EventBridge
// rule target or Step Functions task input), the run's objects checked
// against its manifest, IntegrityFailed events out, partner data copied from
// quarantine to accepted when it passed. The logic is in internal/verify.
//
// It returns the verify.Result, or an error whose errorType Step Functions
// can match: ErrIntegrityFailed, ErrManifest, ErrS3, ErrInvalidRequest,
// ErrMalformedEvent, ErrInvalidEvent, ErrUnsupportedInput.
//
// Environment:
//
//	EVENT_BUS_NAME      EventBridge bus name or ARN (default: the default bus)
//	QUARANTINE_PREFIX   partner data landing prefix (default "quarantine/")
//	ACCEPTED_PREFIX     where passing partner data is copied (default "accepted/")
//	VERIFY_CONCURRENCY  objects checked at once (default 16)
//	STREAM_CONCURRENCY  objects streamed and hashed at once (default 2)
//	MAX_STREAM_BYTES    larger objects needing a stream are deferred to the
//	                    Batch verifier (default 0: no limit)
//	LOG_LEVEL           debug, info, warn or error (default info)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/verify"
)

type settings struct {
	BusName           string
	Quarantine        string
	Accepted          string
	Concurrency       int
	StreamConcurrency int
	MaxStreamBytes    int64
	Level             slog.Level
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{
		BusName:    strings.TrimSpace(getenv("EVENT_BUS_NAME")),
		Quarantine: getenv("QUARANTINE_PREFIX"),
		Accepted:   getenv("ACCEPTED_PREFIX"),
	}
	for name, p := range map[string]string{"QUARANTINE_PREFIX": s.Quarantine, "ACCEPTED_PREFIX": s.Accepted} {
		if p != "" && (!strings.HasSuffix(p, "/") || strings.HasPrefix(p, "/")) {
			return s, fmt.Errorf("%s %q: want a relative prefix ending in \"/\"", name, p)
		}
	}
	if s.Quarantine != "" && s.Quarantine == s.Accepted {
		return s, fmt.Errorf("QUARANTINE_PREFIX and ACCEPTED_PREFIX are both %q", s.Quarantine)
	}
	if lv := getenv("LOG_LEVEL"); lv != "" {
		if err := s.Level.UnmarshalText([]byte(lv)); err != nil {
			return s, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", lv)
		}
	}
	for _, v := range []struct {
		name string
		dst  *int64
		min  int64
	}{{"VERIFY_CONCURRENCY", new(int64), 1}, {"STREAM_CONCURRENCY", new(int64), 1}, {"MAX_STREAM_BYTES", &s.MaxStreamBytes, 0}} {
		raw := getenv(v.name)
		if raw == "" {
			continue
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < v.min {
			return s, fmt.Errorf("%s %q: want an integer >= %d", v.name, raw, v.min)
		}
		*v.dst = n
		switch v.name {
		case "VERIFY_CONCURRENCY":
			s.Concurrency = int(n)
		case "STREAM_CONCURRENCY":
			s.StreamConcurrency = int(n)
		}
	}
	return s, nil
}

func main() {
	s, err := loadSettings(os.Getenv)
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("bad configuration", "error", err.Error())
		os.Exit(1)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: s.Level}))
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		logger.Error("AWS config", "error", err.Error())
		os.Exit(1)
	}
	v := &verify.Verifier{
		S3:                s3.NewFromConfig(cfg),
		Publisher:         &bus.EventBridge{Client: eventbridge.NewFromConfig(cfg), BusName: s.BusName},
		Logger:            logger,
		QuarantinePrefix:  s.Quarantine,
		AcceptedPrefix:    s.Accepted,
		Concurrency:       s.Concurrency,
		StreamConcurrency: s.StreamConcurrency,
		MaxStreamBytes:    s.MaxStreamBytes,
	}
	lambda.Start(func(ctx context.Context, in json.RawMessage) (verify.Result, error) {
		req, err := verify.ParseInput(in)
		if err != nil {
			return verify.Result{}, err
		}
		return v.Verify(ctx, req)
	})
}

// Command samples is the samples Lambda (logic in internal/samples): a Step
// Functions task (LambdaInvoke, request-response) that, given a verified run
// {"runId","bucket","prefix"}, reads the run's sample sheet (SampleSheet.csv,
// then samplesheet.csv, directly under the prefix) and returns the Map
// state's items, {"samples":[...],"source":"s3://bucket/key"}, or
// {"samples":["<runId>"],"source":""} when the run has no sheet. Errors are
// typed for Retry/Catch: ErrBadInput, ErrSampleSheetInvalid,
// ErrSampleSheetTooLarge, ErrTooManySamples, ErrStorage (retry).
//
// The role needs s3:GetObject on the run prefixes and s3:ListBucket on the
// bucket (without it S3 answers AccessDenied for a missing sheet).
//
// Environment:
//
//	LOG_LEVEL          debug, info, warn or error (default info)
//	BIOLAKE_INIT_ONLY  "1": build everything, then exit before lambda.Start
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/biolake/biolake/internal/lambdamain"
	"github.com/biolake/biolake/internal/samples"
)

type settings struct {
	Level slog.Level
}

func loadSettings(getenv func(string) string) (settings, error) {
	var s settings
	level, err := lambdamain.LogLevel(getenv)
	if err != nil {
		return s, err
	}
	s.Level = level
	return s, nil
}

func main() {
	s, err := loadSettings(os.Getenv)
	logger, cfg := lambdamain.Init(s.Level, err)
	h := &samples.Handler{
		S3:     s3.NewFromConfig(cfg),
		Logger: logger,
	}
	lambdamain.Start(h.Handle)
}

// Command cacherefresh is the cache-refresh Lambda of biolake's S3 File
// Gateway shares: SQS batches of S3 "Object Created" events in,
// RefreshCache calls on the affected shares out (see internal/cacherefresh
// for the coalescing, the service's limit of two concurrent refreshes per
// share, and why repeating a refresh is harmless). This file only wires it.
//
// Environment:
//
//	SHARES     JSON array mapping bucket prefixes to file shares (required), e.g.
//	           [{"bucket":"biolake-shared-x","prefix":"share/","fileShareArn":"arn:aws:storagegateway:eu-west-1:111122223333:share/share-1A2B3C4D"}]
//	LOG_LEVEL  debug, info, warn or error (default info)
//	BIOLAKE_INIT_ONLY  "1": build everything, then exit before lambda.Start
//
// IAM: storagegateway:RefreshCache on the file shares of SHARES.
//
// The SQS event source mapping must enable ReportBatchItemFailures.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/storagegateway"

	"github.com/biolake/biolake/internal/cacherefresh"
	"github.com/biolake/biolake/internal/lambdamain"
)

type settings struct {
	Shares *cacherefresh.Mapping
	Level  slog.Level
}

func loadSettings(getenv func(string) string) (settings, error) {
	var s settings
	raw := getenv("SHARES")
	if strings.TrimSpace(raw) == "" {
		return s, fmt.Errorf("SHARES is not set")
	}
	m, err := cacherefresh.ParseShares([]byte(raw))
	if err != nil {
		return s, fmt.Errorf("SHARES: %w", err)
	}
	s.Shares = m
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
	h := &cacherefresh.Handler{
		Client: storagegateway.NewFromConfig(cfg),
		Shares: s.Shares,
		Logger: logger,
	}
	lambdamain.Start(h.Handle)
}

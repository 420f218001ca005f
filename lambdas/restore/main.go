// Command restore is the restore Lambda (logic in internal/restore). One
// function, two inputs:
//
//   - a Step Functions task (.waitForTaskToken), input {"taskToken","runId",
//     "bucket","keys":[...] or "prefix","tier":"Bulk|Standard","days":N,
//     "executionId"?}: asks for the restore of the run's archived objects and
//     records what it waits for; SendTaskSuccess at once when nothing is
//     archived. The task's result is {"runId","restored":N}; an object that
//     cannot be restored fails it with error "ErrRestoreFailed".
//   - SQS batches of S3 "Object Restore Completed" EventBridge events
//     (ReportBatchItemFailures): the event that completes a run calls
//     SendTaskSuccess and publishes RestoreCompleted.
//
// Environment:
//
//	CATALOG_TABLE      DynamoDB catalog table name (required)
//	EVENT_BUS_NAME     EventBridge bus name or ARN (default: the default bus)
//	RESTORE_TIER       Bulk or Standard, for inputs without "tier" (default Bulk)
//	RESTORE_DAYS       days a restored copy stays, for inputs without "days" (default 7)
//	LOG_LEVEL          debug, info, warn or error (default info)
//	BIOLAKE_INIT_ONLY  "1": build everything, then exit before lambda.Start
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/lambdamain"
	"github.com/biolake/biolake/internal/restore"
)

type settings struct {
	Table   string
	BusName string
	Tier    string
	Days    int32
	Level   slog.Level
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{
		Table:   strings.TrimSpace(getenv("CATALOG_TABLE")),
		BusName: strings.TrimSpace(getenv("EVENT_BUS_NAME")),
		Tier:    restore.DefaultTier,
		Days:    restore.DefaultDays,
	}
	if s.Table == "" {
		return s, fmt.Errorf("CATALOG_TABLE is not set")
	}
	if t := strings.TrimSpace(getenv("RESTORE_TIER")); t != "" {
		if t != "Bulk" && t != "Standard" {
			return s, fmt.Errorf("RESTORE_TIER %q: want Bulk or Standard", t)
		}
		s.Tier = t
	}
	if d := strings.TrimSpace(getenv("RESTORE_DAYS")); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 365 {
			return s, fmt.Errorf("RESTORE_DAYS %q: want 1 to 365", d)
		}
		s.Days = int32(n)
	}
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
	h := &restore.Handler{
		S3:        s3.NewFromConfig(cfg),
		SFN:       sfn.NewFromConfig(cfg),
		Store:     &restore.Dynamo{Client: dynamodb.NewFromConfig(cfg), Table: s.Table},
		Publisher: &bus.EventBridge{Client: eventbridge.NewFromConfig(cfg), BusName: s.BusName},
		Logger:    logger,
		Tier:      s.Tier,
		Days:      s.Days,
	}
	lambdamain.Start(h.Handle)
}

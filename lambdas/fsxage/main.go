// Command fsxage is the age check of biolake's per-run FSx for Lustre
// file systems, run on a schedule: it counts the environment's per-run file
// systems alive past their workflow's timeout and publishes the count (see
// internal/fsxage for the tags it reads and what it logs). This file only
// wires it.
//
// Environment:
//
//	ENVIRONMENT  the environment's name: the biolake:environment tag of its
//	             per-run file systems and the metric's dimension (required)
//	LOG_LEVEL    debug, info, warn or error (default info)
//	BIOLAKE_INIT_ONLY  "1": build everything, then exit before lambda.Start
//
// IAM: fsx:DescribeFileSystems (no resource-level scoping: "*") and
// cloudwatch:PutMetricData with cloudwatch:namespace = biolake/Lustre.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/fsx"

	"github.com/biolake/biolake/internal/fsxage"
	"github.com/biolake/biolake/internal/lambdamain"
)

type settings struct {
	Environment string
	Level       slog.Level
}

func loadSettings(getenv func(string) string) (settings, error) {
	var s settings
	s.Environment = strings.TrimSpace(getenv("ENVIRONMENT"))
	if s.Environment == "" {
		return s, fmt.Errorf("ENVIRONMENT is not set")
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
	h := &fsxage.Handler{
		FSx:         fsx.NewFromConfig(cfg),
		Metrics:     cloudwatch.NewFromConfig(cfg),
		Environment: s.Environment,
		Logger:      logger,
	}
	lambdamain.Start(h.Handle)
}

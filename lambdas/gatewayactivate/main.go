// Command gatewayactivate is the pair of user handlers of biolake's
// Custom::FileGatewayActivation resource (CDK Provider framework): it
// activates the S3 File Gateway on its EC2 instance, allocates the cache
// disk, and deletes the gateway only when its cache holds no unuploaded
// writes. The logic is in internal/gatewayactivate; this file only wires
// it. One binary serves both handlers; ENTRY says which one a function is.
//
// Environment:
//
//	ENTRY              onEvent or isComplete (required)
//	LOG_LEVEL          debug, info, warn or error (default info)
//	BIOLAKE_INIT_ONLY  "1": build everything, then exit before lambda.Start
//
// IAM: onEvent needs storagegateway:ListGateways ("*": no resource-level
// permissions), DescribeCache and DeleteGateway on the account's gateways;
// isComplete needs ListGateways and ActivateGateway ("*": there is no
// gateway yet to name), ListLocalDisks and AddCache on the gateways.
//
// Network: in the VPC, with HTTP 80 to the gateway instance (activation
// key) and HTTPS 443 to the Storage Gateway endpoint.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/storagegateway"

	"github.com/biolake/biolake/internal/gatewayactivate"
)

type settings struct {
	Entry string
	Level slog.Level
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{Entry: getenv("ENTRY")}
	if s.Entry != "onEvent" && s.Entry != "isComplete" {
		return s, fmt.Errorf("ENTRY %q: want onEvent or isComplete", s.Entry)
	}
	if lv := getenv("LOG_LEVEL"); lv != "" {
		if err := s.Level.UnmarshalText([]byte(lv)); err != nil {
			return s, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", lv)
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
	h := gatewayactivate.NewHandler(storagegateway.NewFromConfig(cfg), gatewayactivate.NewHTTPClient(), logger)
	if os.Getenv("BIOLAKE_INIT_ONLY") == "1" {
		return
	}
	if s.Entry == "onEvent" {
		lambda.Start(h.OnEvent)
	} else {
		lambda.Start(h.IsComplete)
	}
}

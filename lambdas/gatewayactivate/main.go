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
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/storagegateway"

	"github.com/biolake/biolake/internal/gatewayactivate"
	"github.com/biolake/biolake/internal/lambdamain"
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
	h := gatewayactivate.NewHandler(storagegateway.NewFromConfig(cfg), gatewayactivate.NewHTTPClient(), logger)
	if s.Entry == "onEvent" {
		lambdamain.Start(h.OnEvent)
	} else {
		lambdamain.Start(h.IsComplete)
	}
}

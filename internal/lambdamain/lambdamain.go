// Package lambdamain is the start-up shared by the main packages of
// biolake's Go Lambda handlers (lambdas/*): the LOG_LEVEL setting, the
// fail-fast initialisation of the logger and the AWS configuration, and the
// BIOLAKE_INIT_ONLY switch that builds a handler without starting it.
//
// A handler's main reads its settings, then
//
//	logger, cfg := lambdamain.Init(s.Level, err)
//	h := ... // wire the handler with logger and cfg
//	lambdamain.Start(h.Handle)
//
// Init ends the process with status 1 when the settings are bad (logged as
// "bad configuration", JSON on stderr) or the AWS configuration cannot be
// loaded (logged as "AWS config", JSON on stdout): a function that cannot
// work fails at init rather than at its first invocation.
package lambdamain

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// InitOnlyEnv is the environment variable that, set to "1", makes Start
// return without starting the handler (cold-start measurements).
const InitOnlyEnv = "BIOLAKE_INIT_ONLY"

// LogLevel parses LOG_LEVEL: debug, info, warn or error, in any case (and
// slog's offsets such as "debug+2"); unset or empty is info. On error the
// level is info.
func LogLevel(getenv func(string) string) (slog.Level, error) {
	var level slog.Level
	if lv := getenv("LOG_LEVEL"); lv != "" {
		if err := level.UnmarshalText([]byte(lv)); err != nil {
			return slog.LevelInfo, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", lv)
		}
	}
	return level, nil
}

// Init returns the handler's logger, JSON on stdout at level, and the
// default AWS configuration. When settingsErr is not nil it logs "bad
// configuration" with the error, JSON on stderr, and exits with status 1;
// when the AWS configuration cannot be loaded it logs "AWS config" with the
// logger and exits with status 1.
func Init(level slog.Level, settingsErr error) (*slog.Logger, aws.Config) {
	logger, cfg, err := initialise(level, settingsErr, os.Stdout, os.Stderr, config.LoadDefaultConfig)
	if err != nil {
		os.Exit(1)
	}
	return logger, cfg
}

// loadConfig has the signature of config.LoadDefaultConfig.
type loadConfig func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error)

// initialise is Init without the exit: a non-nil error, already logged,
// means the process must stop.
func initialise(level slog.Level, settingsErr error, stdout, stderr io.Writer, load loadConfig) (*slog.Logger, aws.Config, error) {
	if settingsErr != nil {
		slog.New(slog.NewJSONHandler(stderr, nil)).Error("bad configuration", "error", settingsErr.Error())
		return nil, aws.Config{}, settingsErr
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: level}))
	cfg, err := load(context.Background())
	if err != nil {
		logger.Error("AWS config", "error", err.Error())
		return nil, aws.Config{}, err
	}
	return logger, cfg, nil
}

// Start starts handler with lambda.Start, which does not return, unless
// BIOLAKE_INIT_ONLY is "1": then it returns at once, and main ends with
// everything built but nothing served.
func Start(handler any) {
	start(handler, os.Getenv, lambda.Start)
}

// start is Start with its environment and lambda.Start as parameters; it
// reports whether it called startFn.
func start(handler any, getenv func(string) string, startFn func(any)) bool {
	if getenv(InitOnlyEnv) == "1" {
		return false
	}
	startFn(handler)
	return true
}

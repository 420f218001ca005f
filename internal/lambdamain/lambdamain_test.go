package lambdamain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLogLevel(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want slog.Level
		err  string
	}{
		{raw: "", want: slog.LevelInfo},
		{raw: "debug", want: slog.LevelDebug},
		{raw: "info", want: slog.LevelInfo},
		{raw: "INFO", want: slog.LevelInfo},
		{raw: "warn", want: slog.LevelWarn},
		{raw: "Error", want: slog.LevelError},
		{raw: "debug+2", want: slog.LevelDebug + 2},
		{raw: "loud", err: `LOG_LEVEL "loud": want debug, info, warn or error`},
		{raw: "warning", err: `LOG_LEVEL "warning": want debug, info, warn or error`},
		{raw: " debug", err: `LOG_LEVEL " debug": want debug, info, warn or error`},
		{raw: "debug+x", err: `LOG_LEVEL "debug+x": want debug, info, warn or error`},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := LogLevel(env(map[string]string{"LOG_LEVEL": tc.raw}))
			if tc.err != "" {
				assert.EqualError(t, err, tc.err)
				assert.Equal(t, slog.LevelInfo, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// record decodes one JSON log line.
func record(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(b), &m), "log line %q", b)
	return m
}

func TestInitialiseBadSettings(t *testing.T) {
	var stdout, stderr bytes.Buffer
	loaded := false
	load := func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error) {
		loaded = true
		return aws.Config{}, nil
	}
	logger, _, err := initialise(slog.LevelInfo, errors.New("CATALOG_TABLE is not set"), &stdout, &stderr, load)
	assert.EqualError(t, err, "CATALOG_TABLE is not set")
	assert.Nil(t, logger)
	assert.False(t, loaded, "AWS config loaded despite bad settings")
	assert.Empty(t, stdout.String())
	m := record(t, stderr.Bytes())
	assert.Equal(t, "ERROR", m["level"])
	assert.Equal(t, "bad configuration", m["msg"])
	assert.Equal(t, "CATALOG_TABLE is not set", m["error"])
}

func TestInitialiseAWSConfigError(t *testing.T) {
	var stdout, stderr bytes.Buffer
	load := func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error) {
		return aws.Config{}, errors.New("no profile")
	}
	logger, _, err := initialise(slog.LevelError, nil, &stdout, &stderr, load)
	assert.EqualError(t, err, "no profile")
	assert.Nil(t, logger)
	assert.Empty(t, stderr.String())
	m := record(t, stdout.Bytes())
	assert.Equal(t, "ERROR", m["level"])
	assert.Equal(t, "AWS config", m["msg"])
	assert.Equal(t, "no profile", m["error"])
}

func TestInitialiseOK(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn} {
		t.Run(level.String(), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			load := func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error) {
				return aws.Config{Region: "eu-west-1"}, nil
			}
			logger, cfg, err := initialise(level, nil, &stdout, &stderr, load)
			require.NoError(t, err)
			assert.Equal(t, "eu-west-1", cfg.Region)
			assert.Empty(t, stdout.String()+stderr.String(), "init logged")

			logger.Info("hello", "k", "v")
			if level > slog.LevelInfo {
				assert.Empty(t, stdout.String(), "info logged at %v", level)
			} else {
				m := record(t, stdout.Bytes())
				assert.Equal(t, "INFO", m["level"])
				assert.Equal(t, "hello", m["msg"])
				assert.Equal(t, "v", m["k"])
			}
			stdout.Reset()
			logger.Debug("detail")
			assert.Equal(t, level <= slog.LevelDebug, stdout.Len() > 0, "debug at %v", level)
			assert.Empty(t, stderr.String())
		})
	}
}

func TestStart(t *testing.T) {
	handler := func() error { return nil }
	for raw, want := range map[string]bool{"1": false, "": true, "0": true, "true": true} {
		var got []any
		started := start(handler, env(map[string]string{InitOnlyEnv: raw}), func(h any) { got = append(got, h) })
		assert.Equal(t, want, started, "%s=%q", InitOnlyEnv, raw)
		if want {
			require.Len(t, got, 1, "%s=%q", InitOnlyEnv, raw)
			assert.NotNil(t, got[0])
		} else {
			assert.Empty(t, got, "%s=%q", InitOnlyEnv, raw)
		}
	}
}

func TestStartInitOnlyReturns(t *testing.T) {
	t.Setenv(InitOnlyEnv, "1")
	Start(func() error { return nil }) // lambda.Start would not return
}

// helperEnv makes the test binary, re-executed by runHelper, act as a
// handler's main instead of running the tests.
const helperEnv = "LAMBDAMAIN_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "bad-settings":
		Init(slog.LevelInfo, errors.New("SHARES is not set"))
	default:
		level, err := LogLevel(os.Getenv)
		logger, _ := Init(level, err)
		logger.Debug("built")
		Start(func() error { return nil })
	}
	os.Exit(0) // only reached when Init and Start return
}

// runHelper runs the test binary as a handler's main with extra settings
// and returns its exit status, stdout and stderr.
func runHelper(t *testing.T, mode string, extra ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, InitOnlyEnv+"=") && !strings.HasPrefix(kv, "LOG_LEVEL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, helperEnv+"="+mode, "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true")
	cmd.Env = append(cmd.Env, extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run helper: %v", err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func TestInitExits(t *testing.T) {
	t.Run("bad settings", func(t *testing.T) {
		code, stdout, stderr := runHelper(t, "bad-settings", InitOnlyEnv+"=1")
		assert.Equal(t, 1, code)
		assert.Empty(t, stdout)
		m := record(t, []byte(stderr))
		assert.Equal(t, "bad configuration", m["msg"])
		assert.Equal(t, "SHARES is not set", m["error"])
	})
	t.Run("bad level", func(t *testing.T) {
		code, stdout, stderr := runHelper(t, "main", InitOnlyEnv+"=1", "LOG_LEVEL=loud")
		assert.Equal(t, 1, code)
		assert.Empty(t, stdout)
		m := record(t, []byte(stderr))
		assert.Equal(t, "bad configuration", m["msg"])
		assert.Equal(t, `LOG_LEVEL "loud": want debug, info, warn or error`, m["error"])
	})
	t.Run("AWS config", func(t *testing.T) {
		code, stdout, stderr := runHelper(t, "main", InitOnlyEnv+"=1", "AWS_PROFILE=biolake-no-such-profile")
		assert.Equal(t, 1, code)
		assert.Empty(t, stderr)
		m := record(t, []byte(stdout))
		assert.Equal(t, "AWS config", m["msg"])
		assert.Contains(t, m["error"], "biolake-no-such-profile")
	})
	t.Run("init only", func(t *testing.T) {
		code, stdout, stderr := runHelper(t, "main", InitOnlyEnv+"=1", "LOG_LEVEL=debug")
		assert.Equal(t, 0, code, "stderr: %s", stderr)
		assert.Empty(t, stderr)
		m := record(t, []byte(stdout))
		assert.Equal(t, "DEBUG", m["level"])
		assert.Equal(t, "built", m["msg"])
	})
}

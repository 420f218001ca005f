// Command transferidp is the custom identity provider of biolake's AWS
// Transfer Family server: Transfer Family invokes it synchronously for every
// login and it answers with the partner's role, session policy and logical
// home, or {} to refuse. The logic is in internal/idp; this file only wires
// it.
//
// Environment:
//
//	PARTNERS              JSON array of partners, see idp.ParsePartners (required), e.g.
//	                      [{"name":"acme","cidrs":["203.0.113.0/24"],"publicKeys":["ssh-ed25519 AAAA..."],
//	                        "secretArn":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme-AbCdEf"}]
//	                      ([] is valid: nobody can log in)
//	PARTNER_BUCKET        name of the partner bucket (required)
//	HOME_PREFIX           key prefix of the partner homes, ending in "/" (default "quarantine/")
//	ACCESS_ROLE_ARN       role Transfer Family assumes for partner sessions (required)
//	DATA_KEY_ARN          KMS key of the partner bucket (required; the session policy allows it)
//	SECRET_CACHE_SECONDS  how long a password hash read from Secrets Manager is reused
//	                      (default 60; 0 reads it at every login)
//	LOG_LEVEL             debug, info, warn or error (default info)
//	BIOLAKE_INIT_ONLY     "1": build everything, then exit before lambda.Start
//	                      (cold-start measurements)
//
// IAM: secretsmanager:GetSecretValue on the partners' secrets, and
// kms:Decrypt (through Secrets Manager) on the key that encrypts them.
//
// Invocation: synchronous, by transfer.amazonaws.com for the one server
// (the function's resource policy names its ARN). A bad configuration stops
// the function at init, so every login fails closed.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/biolake/biolake/internal/idp"
	"github.com/biolake/biolake/internal/lambdamain"
)

// settings is the handler's configuration from the environment.
type settings struct {
	Config   idp.Config
	CacheTTL time.Duration
	Level    slog.Level
}

func loadSettings(getenv func(string) string) (settings, error) {
	var s settings
	raw := strings.TrimSpace(getenv("PARTNERS"))
	if raw == "" {
		return s, fmt.Errorf("PARTNERS is not set")
	}
	partners, err := idp.ParsePartners([]byte(raw))
	if err != nil {
		return s, fmt.Errorf("PARTNERS: %w", err)
	}
	s.Config = idp.Config{
		Partners:   partners,
		Bucket:     strings.TrimSpace(getenv("PARTNER_BUCKET")),
		HomePrefix: getenv("HOME_PREFIX"),
		RoleArn:    strings.TrimSpace(getenv("ACCESS_ROLE_ARN")),
		DataKeyArn: strings.TrimSpace(getenv("DATA_KEY_ARN")),
	}
	for name, v := range map[string]string{"PARTNER_BUCKET": s.Config.Bucket, "ACCESS_ROLE_ARN": s.Config.RoleArn, "DATA_KEY_ARN": s.Config.DataKeyArn} {
		if v == "" {
			return s, fmt.Errorf("%s is not set", name)
		}
	}
	if s.Config.HomePrefix == "" {
		s.Config.HomePrefix = "quarantine/"
	}
	s.CacheTTL = idp.DefaultCacheTTL
	if v := getenv("SECRET_CACHE_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3600 {
			return s, fmt.Errorf("SECRET_CACHE_SECONDS %q: want 0..3600", v)
		}
		s.CacheTTL = time.Duration(n) * time.Second
		if n == 0 {
			s.CacheTTL = -1 // no cache
		}
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
	h, err := idp.NewHandler(s.Config, secretsmanager.NewFromConfig(cfg), logger)
	if err != nil {
		logger.Error("bad configuration", "error", err.Error())
		os.Exit(1)
	}
	h.CacheTTL = s.CacheTTL
	lambdamain.Start(h.Handle)
}

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
//	SERVER_ID_PARAMETER   name of the Systems Manager parameter holding the id of the server
//	                      the function serves; requests of other servers are refused
//	SERVER_ID             the server's id itself, for a server created before the function
//	                      (exactly one of SERVER_ID_PARAMETER and SERVER_ID is required)
//	SECRET_CACHE_SECONDS  how long a password hash read from Secrets Manager is reused
//	                      (default 60; 0 reads it at every login)
//	LOG_LEVEL             debug, info, warn or error (default info)
//	BIOLAKE_INIT_ONLY     "1": build everything, then exit before lambda.Start
//	                      (cold-start measurements)
//
// IAM: secretsmanager:GetSecretValue on the partners' secrets,
// kms:Decrypt (through Secrets Manager) on the key that encrypts them, and
// ssm:GetParameter on the server-id parameter.
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
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/biolake/biolake/internal/idp"
	"github.com/biolake/biolake/internal/lambdamain"
)

// settings is the handler's configuration from the environment.
type settings struct {
	Config   idp.Config
	CacheTTL time.Duration
	Level    slog.Level
	// ServerParameter names the parameter holding the served server's
	// id; empty when SERVER_ID gave it (Config.Server is then set).
	ServerParameter string
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
	param, id := strings.TrimSpace(getenv("SERVER_ID_PARAMETER")), strings.TrimSpace(getenv("SERVER_ID"))
	switch {
	case param != "" && id != "":
		return s, fmt.Errorf("SERVER_ID_PARAMETER and SERVER_ID are both set; set one")
	case param != "":
		if !strings.HasPrefix(param, "/") {
			return s, fmt.Errorf("SERVER_ID_PARAMETER %q: want a parameter name starting with \"/\"", param)
		}
		s.ServerParameter = param
	case id != "":
		if !idp.IsServerID(id) {
			return s, fmt.Errorf("SERVER_ID %q: want a Transfer Family server id (s- and 17 hex digits)", id)
		}
		s.Config.Server = idp.StaticServer(id)
	default:
		return s, fmt.Errorf("neither SERVER_ID_PARAMETER nor SERVER_ID is set: the function must know the server it serves")
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
	if s.ServerParameter != "" {
		s.Config.Server = &idp.ParameterServer{SSM: ssm.NewFromConfig(cfg), Name: s.ServerParameter, TTL: s.CacheTTL}
	}
	h, err := idp.NewHandler(s.Config, secretsmanager.NewFromConfig(cfg), logger)
	if err != nil {
		logger.Error("bad configuration", "error", err.Error())
		os.Exit(1)
	}
	h.CacheTTL = s.CacheTTL
	lambdamain.Start(h.Handle)
}

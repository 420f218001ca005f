package main

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/idp"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const partners = `[{"name":"acme","cidrs":["203.0.113.0/24"],"publicKeys":["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFk5Qyy1VXzd1Xh/HDy7jYdJ1bN6O1TBL7V0cJ4qHkbK"],"secretArn":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme-AbCdEf"}]`

func base() map[string]string {
	return map[string]string{
		"PARTNERS":        partners,
		"PARTNER_BUCKET":  "partner-bucket",
		"ACCESS_ROLE_ARN": "arn:aws:iam::111122223333:role/access",
		"DATA_KEY_ARN":    "arn:aws:kms:eu-west-1:111122223333:key/abc",
		"SERVER_ID":       "s-0123456789abcdef0",
	}
}

func TestLoadSettings(t *testing.T) {
	s, err := loadSettings(env(base()))
	require.NoError(t, err)
	assert.Equal(t, "quarantine/", s.Config.HomePrefix)
	assert.Equal(t, idp.DefaultCacheTTL, s.CacheTTL)
	assert.Equal(t, slog.LevelInfo, s.Level)
	require.Len(t, s.Config.Partners, 1)
	assert.Equal(t, "acme", s.Config.Partners[0].Name)
	_, err = idp.NewHandler(s.Config, nil, nil)
	require.NoError(t, err, "what the construct sets is what the handler accepts")

	m := base()
	m["SECRET_CACHE_SECONDS"], m["LOG_LEVEL"], m["HOME_PREFIX"] = "0", "debug", "incoming/"
	s, err = loadSettings(env(m))
	require.NoError(t, err)
	assert.Less(t, s.CacheTTL, time.Duration(0), "0 disables the cache")
	assert.Equal(t, slog.LevelDebug, s.Level)
	assert.Equal(t, "incoming/", s.Config.HomePrefix)

	m = base()
	delete(m, "SERVER_ID")
	m["SERVER_ID_PARAMETER"] = "/biolake/transfer/Dev/server-id"
	s, err = loadSettings(env(m))
	require.NoError(t, err)
	assert.Equal(t, "/biolake/transfer/Dev/server-id", s.ServerParameter)
	assert.Nil(t, s.Config.Server, "main builds the parameter reader with its SSM client")

	m = base()
	m["PARTNERS"] = "[]"
	_, err = loadSettings(env(m))
	assert.NoError(t, err, "no partners: nobody can log in")

	for name, change := range map[string][2]string{
		"no partners":     {"PARTNERS", ""},
		"bad partners":    {"PARTNERS", `[{"name":"acme"}]`},
		"no bucket":       {"PARTNER_BUCKET", ""},
		"no role":         {"ACCESS_ROLE_ARN", ""},
		"no key":          {"DATA_KEY_ARN", ""},
		"bad cache":       {"SECRET_CACHE_SECONDS", "-1"},
		"cache not int":   {"SECRET_CACHE_SECONDS", "1m"},
		"bad level":       {"LOG_LEVEL", "loud"},
		"everyone":        {"PARTNERS", `[{"name":"acme","cidrs":["0.0.0.0/0"],"secretArn":"arn:x"}]`},
		"unknown field":   {"PARTNERS", `[{"name":"acme","cidrs":["203.0.113.0/24"],"secretArn":"arn:x","hash":"$2a$"}]`},
		"partners object": {"PARTNERS", `{"acme":{}}`},
		"no server":       {"SERVER_ID", ""},
		"bad server id":   {"SERVER_ID", "s-1"},
		"both server ids": {"SERVER_ID_PARAMETER", "/biolake/transfer/Dev/server-id"},
	} {
		m := base()
		m[change[0]] = change[1]
		_, err := loadSettings(env(m))
		assert.Error(t, err, name)
	}
}

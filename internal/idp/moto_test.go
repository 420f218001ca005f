package idp

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// TestMotoSecretsManager runs the handler against Secrets Manager as
// moto_server emulates it: a secret the construct created empty, then the
// hash an operator puts in it, then a changed hash.
func TestMotoSecretsManager(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	ctx := context.Background()
	var logs bytes.Buffer
	sm := secretsmanager.NewFromConfig(mototest.Config(), func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(endpoint) })

	// What the construct creates: a secret with no value.
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("biolake/transfer/moto-" + t.Name())})
	require.NoError(t, err)
	arn := aws.ToString(created.ARN)
	// The handler's calls are recorded for the permission proof
	// (test/testdata/awscalls/transferidp.json).
	rec := mototest.Record("transferidp")
	rec.Name(arn, "password")

	h, err := NewHandler(Config{
		Bucket: testBucket, HomePrefix: "quarantine/", RoleArn: testRole, DataKeyArn: testKey,
		Partners: []Partner{{Name: "acme", CIDRs: []string{"203.0.113.0/24"}, SecretArn: arn}}, Server: StaticServer("s-0123456789abcdef0"),
	}, sm, slog.New(slog.NewJSONHandler(&logs, nil)))
	require.NoError(t, err)
	h.CacheTTL = -1 // read every time, to see each change at once
	login := func(pw string) Response {
		t.Helper()
		raw, _ := json.Marshal(map[string]string{"username": "acme", "password": pw, "protocol": "SFTP", "serverId": "s-0123456789abcdef0", "sourceIp": "203.0.113.9"})
		r, err := h.Handle(rec.Context(ctx), raw)
		require.NoError(t, err)
		return r
	}

	assert.Empty(t, login(acmePassword).Role, "no hash yet: refused")

	// The operator sets the hash (aws secretsmanager put-secret-value).
	hash, _ := hashes(t)
	_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(hash)})
	require.NoError(t, err)
	got := login(acmePassword)
	assert.Equal(t, testRole, got.Role)
	assert.Equal(t, "LOGICAL", got.HomeDirectoryType)
	assert.Empty(t, got.PublicKeys)
	assert.Empty(t, login("wrong").Role)

	// A new password replaces the old one.
	newHash, err := HashPassword([]byte("rotated by the partner"), Bcrypt)
	require.NoError(t, err)
	_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(newHash)})
	require.NoError(t, err)
	assert.Empty(t, login(acmePassword).Role)
	assert.Equal(t, testRole, login("rotated by the partner").Role)

	// A deleted secret refuses.
	_, err = sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(arn), ForceDeleteWithoutRecovery: aws.Bool(true)})
	require.NoError(t, err)
	assert.Empty(t, login("rotated by the partner").Role)

	t.Logf("handler log:\n%s", logs.String())
	for _, s := range []string{acmePassword, "rotated by the partner", "$argon2id$", "$2a$"} {
		assert.NotContains(t, logs.String(), s)
	}
}

// TestMotoServerParameter reads the served server's id from a Systems
// Manager parameter as moto_server emulates it: refused until the
// parameter exists (a first deployment before CloudFormation wrote it),
// then only the named server's requests get through.
func TestMotoServerParameter(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	ctx := context.Background()
	client := ssm.NewFromConfig(mototest.Config(), func(o *ssm.Options) { o.BaseEndpoint = aws.String(endpoint) })
	name := "/biolake/transfer/" + t.Name() + "/server-id"
	// The handler's calls are recorded for the permission proof
	// (test/testdata/awscalls/transferidp.json).
	rec := mototest.Record("transferidp")
	rec.Name(name, "server-id")
	var logs bytes.Buffer
	h, err := NewHandler(Config{
		Bucket: testBucket, HomePrefix: "quarantine/", RoleArn: testRole, DataKeyArn: testKey,
		Partners: []Partner{{Name: "acme", CIDRs: []string{"203.0.113.0/24"}, PublicKeys: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFk5Qyy1VXzd1Xh/HDy7jYdJ1bN6O1TBL7V0cJ4qHkbK"}}},
		Server:   &ParameterServer{SSM: client, Name: name, TTL: -1},
	}, nil, slog.New(slog.NewJSONHandler(&logs, nil)))
	require.NoError(t, err)
	login := func(server string) Response {
		t.Helper()
		r, err := h.Handle(rec.Context(ctx), reqOn(server, "acme", "", "SFTP", "203.0.113.9"))
		require.NoError(t, err)
		return r
	}
	assert.Empty(t, login("s-0123456789abcdef0").Role, "no parameter yet: refused")
	assert.Contains(t, logs.String(), "does not exist yet")

	_, err = client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("s-0123456789abcdef0"), Type: ssmtypes.ParameterTypeString})
	require.NoError(t, err)
	assert.Equal(t, testRole, login("s-0123456789abcdef0").Role)
	assert.Empty(t, login("s-0fedcba9876543210").Role, "another server")
	assert.Contains(t, logs.String(), "another server")
}

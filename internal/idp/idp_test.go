package idp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testBucket   = "partner-bucket"
	testRole     = "arn:aws:iam::111122223333:role/biolake-transfer-access"
	testKey      = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	acmeSecret   = "arn:aws:secretsmanager:us-east-1:111122223333:secret:biolake/transfer/acme-AbCdEf"
	pwonlySecret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:biolake/transfer/pwonly-GhIjKl"
	acmePassword = "correct horse battery staple"
	pwonlyPass   = "Tr0ub4dor&3 but longer"
	testServer   = "s-0123456789abcdef0"
)

var (
	hashOnce             sync.Once
	acmeHash, pwonlyHash string
)

// hashes makes the partners' hashes once: argon2id for acme, bcrypt for
// pwonly, so both algorithms go through the handler.
func hashes(t testing.TB) (string, string) {
	t.Helper()
	hashOnce.Do(func() {
		var err error
		if acmeHash, err = HashPassword([]byte(acmePassword), Argon2id); err != nil {
			panic(err)
		}
		if pwonlyHash, err = HashPassword([]byte(pwonlyPass), Bcrypt); err != nil {
			panic(err)
		}
	})
	return acmeHash, pwonlyHash
}

// fakeSecrets serves secret values by ARN and counts the calls.
type fakeSecrets struct {
	mu     sync.Mutex
	values map[string]*string
	errs   map[string]error
	calls  int
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	id := aws.ToString(in.SecretId)
	if err := f.errs[id]; err != nil {
		return nil, err
	}
	v, ok := f.values[id]
	if !ok {
		return nil, errors.New("ResourceNotFoundException: Secrets Manager can't find the specified secret")
	}
	return &secretsmanager.GetSecretValueOutput{ARN: aws.String(id), SecretString: v}, nil
}

// counter wraps Verify and records the hashes it was called with.
type counter struct {
	mu     sync.Mutex
	hashes []string
}

func (c *counter) verify(hash string, pw []byte) (bool, error) {
	c.mu.Lock()
	c.hashes = append(c.hashes, hash)
	c.mu.Unlock()
	return Verify(hash, pw)
}

func testPartners(t testing.TB) []Partner {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "partners.json"))
	require.NoError(t, err)
	ps, err := ParsePartners(raw)
	require.NoError(t, err)
	return ps
}

type rig struct {
	h       *Handler
	secrets *fakeSecrets
	count   *counter
	logs    *bytes.Buffer
}

func newRig(t testing.TB) *rig {
	t.Helper()
	ah, ph := hashes(t)
	r := &rig{
		secrets: &fakeSecrets{values: map[string]*string{acmeSecret: aws.String(ah + "\n"), pwonlySecret: aws.String(ph)}, errs: map[string]error{}},
		count:   &counter{},
		logs:    &bytes.Buffer{},
	}
	h, err := NewHandler(Config{Bucket: testBucket, HomePrefix: "quarantine/", RoleArn: testRole, DataKeyArn: testKey, Partners: testPartners(t), Server: StaticServer(testServer)},
		r.secrets, slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	require.NoError(t, err)
	h.Verify = r.count.verify
	r.h = h
	return r
}

func req(user, password, protocol, ip string) json.RawMessage {
	return reqOn(testServer, user, password, protocol, ip)
}

func reqOn(server, user, password, protocol, ip string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"username": user, "password": password, "protocol": protocol, "serverId": server, "sourceIp": ip})
	return b
}

// missingParameter answers GetParameter as SSM does for a parameter that
// does not exist.
type missingParameter struct{}

func (missingParameter) GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return nil, &ssmtypes.ParameterNotFound{Message: aws.String("parameter not found")}
}

func golden(t *testing.T, name string) Response {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var r Response
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&r))
	return r
}

// TestHandle covers every accept and deny path. "verifies" is the number of
// hash comparisons, "dummy" whether the one comparison was against
// DummyHash, "reads" the Secrets Manager calls.
func TestHandle(t *testing.T) {
	wantPassword := golden(t, "response_password.json")
	wantKey := golden(t, "response_key.json")
	longName := strings.Repeat("a", MaxUsername+1)
	cases := []struct {
		name     string
		raw      json.RawMessage
		setup    func(*rig)
		want     *Response // nil: denied
		reason   string
		verifies int
		dummy    bool
		reads    int
	}{
		// Passwords.
		{name: "right password argon2id", raw: req("acme", acmePassword, "SFTP", "203.0.113.7"), want: &wantPassword, verifies: 1, reads: 1},
		{name: "right password bcrypt", raw: req("pwonly", pwonlyPass, "SFTP", "198.51.100.20"), want: nil, verifies: 1, reads: 1,
			setup: func(*rig) {}}, // want set below
		{name: "right password over FTPS", raw: req("acme", acmePassword, "FTPS", "203.0.113.7"), want: &wantPassword, verifies: 1, reads: 1},
		{name: "username is case-insensitive", raw: req("ACME", acmePassword, "SFTP", "203.0.113.7"), want: &wantPassword, verifies: 1, reads: 1},
		{name: "IPv6 source in an IPv6 CIDR", raw: req("acme", acmePassword, "SFTP", "2001:db8:1::42"), want: &wantPassword, verifies: 1, reads: 1},
		{name: "IPv4-mapped IPv6 source", raw: req("acme", acmePassword, "SFTP", "::ffff:203.0.113.7"), want: &wantPassword, verifies: 1, reads: 1},
		{name: "wrong password", raw: req("acme", "correct horse battery stapler", "SFTP", "203.0.113.7"), reason: "wrong password", verifies: 1, reads: 1},
		{name: "wrong password bcrypt", raw: req("pwonly", "nope", "SFTP", "198.51.100.20"), reason: "wrong password", verifies: 1, reads: 1},
		{name: "unknown user does the same work", raw: req("mallory", acmePassword, "SFTP", "203.0.113.7"), reason: "unknown user", verifies: 1, dummy: true},
		{name: "partner without a password secret", raw: req("keysonly", acmePassword, "SFTP", "198.51.100.20"), reason: "no password secret", verifies: 1, dummy: true},
		{name: "right password from outside the CIDRs", raw: req("acme", acmePassword, "SFTP", "192.0.2.1"), reason: "outside the partner's CIDRs", verifies: 1, reads: 1},
		{name: "secret unreadable", raw: req("acme", acmePassword, "SFTP", "203.0.113.7"), reason: "unreadable", verifies: 1, dummy: true, reads: 1,
			setup: func(r *rig) {
				r.secrets.errs[acmeSecret] = errors.New("AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue")
			}},
		{name: "secret created empty", raw: req("acme", acmePassword, "SFTP", "203.0.113.7"), reason: "unreadable", verifies: 1, dummy: true, reads: 1,
			setup: func(r *rig) { r.secrets.values[acmeSecret] = nil }},
		{name: "secret holds a plain password, not a hash", raw: req("acme", "hunter2-plaintext", "SFTP", "203.0.113.7"), reason: "unreadable", verifies: 1, dummy: true, reads: 1,
			setup: func(r *rig) { r.secrets.values[acmeSecret] = aws.String("hunter2-plaintext") }},
		{name: "secret holds a weak hash", raw: req("acme", acmePassword, "SFTP", "203.0.113.7"), reason: "unreadable", verifies: 1, dummy: true, reads: 1,
			setup: func(r *rig) {
				r.secrets.values[acmeSecret] = aws.String("$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$ET1IPg/qWHFWz9kz1x6HrSh3FfgcHHLWysROqAIRQMU")
			}},
		{name: "FTP is never accepted", raw: req("acme", acmePassword, "FTP", "203.0.113.7"), reason: "plain FTP"},

		// Keys.
		{name: "key auth over SFTP", raw: req("acme", "", "SFTP", "203.0.113.7"), want: &wantKey},
		{name: "key auth without a password field", raw: json.RawMessage(`{"username":"acme","protocol":"SFTP","serverId":"s-0123456789abcdef0","sourceIp":"203.0.113.7"}`), want: &wantKey},
		{name: "key auth for a partner without keys", raw: req("pwonly", "", "SFTP", "198.51.100.20"), reason: "no SSH public keys"},
		{name: "key auth for an unknown user", raw: req("mallory", "", "SFTP", "203.0.113.7"), reason: "unknown user"},
		{name: "key auth from outside the CIDRs", raw: req("acme", "", "SFTP", "192.0.2.1"), reason: "outside the partner's CIDRs"},
		{name: "empty password over FTPS", raw: req("acme", "", "FTPS", "203.0.113.7"), reason: "only SFTP"},

		// Malformed requests and usernames: refused before any work.
		{name: "username with ..", raw: req("..", acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username with a slash", raw: req("acme/../other", acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username with a backslash", raw: req(`acme\x`, acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username with a dot", raw: req("acme.corp", acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username with a newline", raw: req("acme\n", acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username with NUL", raw: req("acme\x00x", acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username with a space", raw: req("ac me", acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username not ASCII", raw: req("acmé", acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username starting with a digit", raw: req("1acme", acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username ending with -", raw: req("acme-", acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username too short", raw: req("ac", acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username too long", raw: req(longName, acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username empty", raw: req("", acmePassword, "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "unknown protocol", raw: req("acme", acmePassword, "SCP", "203.0.113.7"), reason: "malformed"},
		{name: "bad source IP", raw: req("acme", acmePassword, "SFTP", "203.0.113.300"), reason: "malformed"},
		{name: "source IP with a zone", raw: req("acme", acmePassword, "SFTP", "fe80::1%eth0"), reason: "malformed"},
		{name: "password too long", raw: req("acme", strings.Repeat("p", MaxPasswordBytes+1), "SFTP", "203.0.113.7"), reason: "malformed"},
		{name: "username not a string", raw: json.RawMessage(`{"username":7,"protocol":"SFTP","serverId":"s-1","sourceIp":"203.0.113.7"}`), reason: "malformed"},
		{name: "not an object", raw: json.RawMessage(`["acme"]`), reason: "malformed"},
		{name: "null", raw: json.RawMessage(`null`), reason: "malformed"},
		{name: "not JSON", raw: json.RawMessage(`{"username":`), reason: "malformed"},

		// The server: only the one the function serves.
		{name: "request from another server", raw: reqOn("s-0fedcba9876543210", "acme", acmePassword, "SFTP", "203.0.113.7"), reason: "another server"},
		{name: "key login from another server", raw: reqOn("s-0fedcba9876543210", "acme", "", "SFTP", "203.0.113.7"), reason: "another server"},
		{name: "server id in another case", raw: reqOn("S-0123456789ABCDEF0", "acme", acmePassword, "SFTP", "203.0.113.7"), reason: "another server"},
		{name: "served server unknown", raw: req("acme", acmePassword, "SFTP", "203.0.113.7"), reason: "server this function serves is unknown",
			setup: func(r *rig) {
				r.h.server = &ParameterServer{SSM: missingParameter{}, Name: "/biolake/transfer/x/server-id"}
			}},

		// Duplicate keys and case variants of known keys: refused, never
		// the last one wins.
		{name: "second empty password turns a password login into a key login",
			raw:    json.RawMessage(`{"username":"acme","password":"` + acmePassword + `","protocol":"SFTP","serverId":"s-0123456789abcdef0","sourceIp":"203.0.113.7","password":""}`),
			reason: "password: appears more than once"},
		{name: "SOURCEIP overrides sourceIp",
			raw:    json.RawMessage(`{"username":"acme","password":"` + acmePassword + `","protocol":"SFTP","serverId":"s-0123456789abcdef0","sourceIp":"192.0.2.1","SOURCEIP":"203.0.113.7"}`),
			reason: `sourceIp: also appears as \"SOURCEIP\"`},
		{name: "Password in another case after a key login",
			raw:    json.RawMessage(`{"username":"acme","protocol":"SFTP","serverId":"s-0123456789abcdef0","sourceIp":"203.0.113.7","Password":"x"}`),
			reason: "field names are case-sensitive"},
		{name: "username case variant picks another partner",
			raw:    json.RawMessage(`{"username":"mallory","USERNAME":"acme","protocol":"SFTP","serverId":"s-0123456789abcdef0","sourceIp":"203.0.113.7"}`),
			reason: "username: also appears"},
		{name: "Unicode case fold of sourceIp (U+017F)",
			raw:    json.RawMessage(`{"username":"acme","password":"` + acmePassword + `","protocol":"SFTP","serverId":"s-0123456789abcdef0","sourceIp":"192.0.2.1","\u017fourceIp":"203.0.113.7"}`),
			reason: "field names are case-sensitive"},
		{name: "escaped duplicate of password",
			raw:    json.RawMessage(`{"username":"acme","password":"` + acmePassword + `","protocol":"SFTP","serverId":"s-0123456789abcdef0","sourceIp":"203.0.113.7","\u0070assword":""}`),
			reason: "password: appears more than once"},
		{name: "serverId in another case",
			raw:    json.RawMessage(`{"username":"acme","protocol":"SFTP","serverId":"s-0123456789abcdef0","serverid":"s-0fedcba9876543210","sourceIp":"203.0.113.7"}`),
			reason: "serverId: also appears"},
		{name: "unknown key twice",
			raw:    json.RawMessage(`{"username":"acme","protocol":"SFTP","serverId":"s-0123456789abcdef0","sourceIp":"203.0.113.7","extra":1,"extra":2}`),
			reason: "extra: appears more than once"},
	}
	// pwonly's accepted response differs from acme's only in the partner.
	pw := wantPassword
	pw.Policy = strings.ReplaceAll(pw.Policy, "quarantine/acme", "quarantine/pwonly")
	pw.HomeDirectoryDetails = strings.ReplaceAll(pw.HomeDirectoryDetails, "quarantine/acme", "quarantine/pwonly")
	cases[1].want = &pw

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			if tc.setup != nil {
				tc.setup(r)
			}
			got, err := r.h.Handle(context.Background(), tc.raw)
			require.NoError(t, err, "Handle never fails: a refusal is an answer")
			out, _ := json.Marshal(got)
			if tc.want == nil {
				assert.Equal(t, "{}", string(out), "a refusal is the empty response")
				assert.Contains(t, r.logs.String(), tc.reason)
				assert.Contains(t, r.logs.String(), `"result":"deny"`)
			} else {
				assert.Equal(t, *tc.want, got)
				assert.Contains(t, r.logs.String(), `"result":"allow"`)
			}
			assert.Len(t, r.count.hashes, tc.verifies, "hash comparisons")
			if tc.verifies == 1 {
				assert.Equal(t, tc.dummy, r.count.hashes[0] == DummyHash, "compared against the dummy hash")
			}
			assert.Equal(t, tc.reads, r.secrets.calls, "Secrets Manager reads")

			// Never a password, a hash or a secret value in the log, and
			// never a malformed username.
			logs := r.logs.String()
			ah, ph := hashes(t)
			for _, secret := range []string{acmePassword, pwonlyPass, "hunter2-plaintext", "correct horse battery stapler", ah, ph, "$argon2id$", "$2a$", "c2FsdHNhbHRzYWx0"} {
				assert.NotContains(t, logs, secret)
			}
			for _, bad := range []string{"acme/../other", "acme.corp", "acmé", "ac me", longName} {
				assert.NotContains(t, logs, bad)
			}
		})
	}
}

// TestGoldenRequests runs the request files of testdata against their
// golden responses.
func TestGoldenRequests(t *testing.T) {
	for req, resp := range map[string]string{
		"request_sftp_password.json": "response_password.json",
		"request_ftps_password.json": "response_password.json",
		"request_sftp_key.json":      "response_key.json",
	} {
		raw, err := os.ReadFile(filepath.Join("testdata", req))
		require.NoError(t, err)
		got, err := newRig(t).h.Handle(context.Background(), raw)
		require.NoError(t, err)
		gotJSON, _ := json.MarshalIndent(got, "", "  ")
		want, _ := os.ReadFile(filepath.Join("testdata", resp))
		assert.JSONEq(t, string(want), string(gotJSON), req)
	}
}

func TestSecretCache(t *testing.T) {
	r := newRig(t)
	now := time.Unix(1_700_000_000, 0)
	r.h.Now = func() time.Time { return now }
	ask := func() bool {
		got, err := r.h.Handle(context.Background(), req("acme", acmePassword, "SFTP", "203.0.113.7"))
		require.NoError(t, err)
		return got.Role != ""
	}
	require.True(t, ask())
	now = now.Add(59 * time.Second)
	require.True(t, ask())
	assert.Equal(t, 1, r.secrets.calls, "read once within the TTL")

	// A new hash (the partner's password was changed) takes effect after
	// the TTL.
	newHash, err := HashPassword([]byte("a brand new password"), Argon2id)
	require.NoError(t, err)
	r.secrets.values[acmeSecret] = aws.String(newHash)
	now = now.Add(2 * time.Second)
	assert.False(t, ask(), "old password after the TTL")
	assert.Equal(t, 2, r.secrets.calls)

	// A failed read is not cached.
	r.secrets.errs[acmeSecret] = errors.New("throttled")
	now = now.Add(time.Hour)
	assert.False(t, ask())
	delete(r.secrets.errs, acmeSecret)
	got, err := r.h.Handle(context.Background(), req("acme", "a brand new password", "SFTP", "203.0.113.7"))
	require.NoError(t, err)
	assert.NotEmpty(t, got.Role)
	assert.Equal(t, 4, r.secrets.calls)

	// CacheTTL < 0 reads every time.
	r.h.CacheTTL = -1
	ask()
	ask()
	assert.Equal(t, 6, r.secrets.calls)
}

func TestNewHandlerRejectsBadConfig(t *testing.T) {
	good := Config{Bucket: testBucket, HomePrefix: "quarantine/", RoleArn: testRole, DataKeyArn: testKey, Partners: testPartners(t), Server: StaticServer(testServer)}
	for name, mutate := range map[string]func(*Config){
		"no bucket":           func(c *Config) { c.Bucket = "" },
		"prefix without /":    func(c *Config) { c.HomePrefix = "quarantine" },
		"prefix with ..":      func(c *Config) { c.HomePrefix = "../" },
		"absolute prefix":     func(c *Config) { c.HomePrefix = "/quarantine/" },
		"role not an ARN":     func(c *Config) { c.RoleArn = "role" },
		"role of another svc": func(c *Config) { c.RoleArn = testKey },
		"key not an ARN":      func(c *Config) { c.DataKeyArn = "" },
		"duplicate partner":   func(c *Config) { c.Partners = append(c.Partners, c.Partners[0]) },
		"no server":           func(c *Config) { c.Server = nil },
		"partner without CIDRs": func(c *Config) {
			c.Partners = append([]Partner(nil), c.Partners...)
			c.Partners[0].CIDRs = nil
		},
		"partner with 0.0.0.0/0": func(c *Config) {
			c.Partners = append([]Partner(nil), c.Partners...)
			c.Partners[0].CIDRs = []string{"0.0.0.0/0"}
		},
	} {
		c := good
		mutate(&c)
		_, err := NewHandler(c, nil, nil)
		assert.Error(t, err, name)
	}
	_, err := NewHandler(good, nil, nil)
	assert.NoError(t, err)
}

func TestParsePartners(t *testing.T) {
	for name, raw := range map[string]string{
		"not an array":        `{"name":"acme"}`,
		"unknown field":       `[{"name":"acme","cidrs":["203.0.113.0/24"],"secretArn":"arn:x","password":"p"}]`,
		"upper-case name":     `[{"name":"Acme","cidrs":["203.0.113.0/24"],"secretArn":"arn:x"}]`,
		"duplicate name":      `[{"name":"acme","cidrs":["203.0.113.0/24"],"secretArn":"arn:x"},{"name":"acme","cidrs":["203.0.113.0/24"],"secretArn":"arn:y"}]`,
		"no cidrs":            `[{"name":"acme","cidrs":[],"secretArn":"arn:x"}]`,
		"bad cidr":            `[{"name":"acme","cidrs":["203.0.113.0/33"],"secretArn":"arn:x"}]`,
		"host bits":           `[{"name":"acme","cidrs":["203.0.113.7/24"],"secretArn":"arn:x"}]`,
		"everyone v4":         `[{"name":"acme","cidrs":["0.0.0.0/0"],"secretArn":"arn:x"}]`,
		"everyone v6":         `[{"name":"acme","cidrs":["::/0"],"secretArn":"arn:x"}]`,
		"neither":             `[{"name":"acme","cidrs":["203.0.113.0/24"]}]`,
		"secret not an ARN":   `[{"name":"acme","cidrs":["203.0.113.0/24"],"secretArn":"acme"}]`,
		"multi-line key":      `[{"name":"acme","cidrs":["203.0.113.0/24"],"publicKeys":["ssh-ed25519 AAAA\nssh-rsa BBBB"]}]`,
		"trailing data":       `[] []`,
		"name with a slash":   `[{"name":"ac/me","cidrs":["203.0.113.0/24"],"secretArn":"arn:x"}]`,
		"name too short":      `[{"name":"ac","cidrs":["203.0.113.0/24"],"secretArn":"arn:x"}]`,
		"name with a newline": `[{"name":"acme\n","cidrs":["203.0.113.0/24"],"secretArn":"arn:x"}]`,
	} {
		_, err := ParsePartners([]byte(raw))
		assert.Error(t, err, name)
	}
	ps, err := ParsePartners([]byte(`[]`))
	assert.NoError(t, err)
	assert.Empty(t, ps)
}

func TestSessionPolicyFitsTransfer(t *testing.T) {
	// The longest name in the longest partition with a long bucket name
	// stays below Transfer Family's limit.
	p := SessionPolicy("aws-us-gov", strings.Repeat("b", 63), "quarantine/", strings.Repeat("n", MaxUsername),
		"arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab")
	assert.Less(t, len(p), MaxSessionPolicy)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(p), &doc))
	assert.NotContains(t, p, "Delete")
	assert.NotContains(t, p, `"*"`)
}

// Listing the home needs s3:ListBucket with the s3:prefix of what is in
// it and of the home itself (quarantine/<partner>), as Transfer Family's
// session-policy documentation allows both.
func TestSessionPolicyListsTheHome(t *testing.T) {
	p := SessionPolicy("aws", "partner-bucket", "quarantine/", "acme", "arn:aws:kms:us-east-1:111122223333:key/k")
	var doc struct {
		Statement []struct {
			Sid       string
			Action    []string
			Condition map[string]map[string][]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(p), &doc))
	var prefixes []string
	for _, s := range doc.Statement {
		if len(s.Action) == 1 && s.Action[0] == "s3:ListBucket" {
			prefixes = s.Condition["StringLike"]["s3:prefix"]
		}
	}
	assert.ElementsMatch(t, []string{"quarantine/acme/*", "quarantine/acme"}, prefixes)
}

func TestRequestStringHidesPassword(t *testing.T) {
	r, err := ParseRequest(req("acme", acmePassword, "SFTP", "203.0.113.7"))
	require.NoError(t, err)
	assert.NotContains(t, r.String(), acmePassword)
	assert.NotContains(t, (&RequestError{Field: "f", Msg: "m"}).Error(), acmePassword)
}

func TestDenyMarshalsEmpty(t *testing.T) {
	b, err := json.Marshal(Response{})
	require.NoError(t, err)
	assert.Equal(t, "{}", string(b))
}

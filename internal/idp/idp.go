// Package idp is the custom identity provider of biolake's AWS Transfer
// Family server (constructs/transfer): it authenticates partner CROs and
// gives each a logical home of its own under the partner bucket's quarantine
// prefix.
//
// One partner is one user; the username is the partner's name. A request
// (see Request) is accepted when
//
//   - it is a JSON object with each field once, spelled exactly (no
//     "SOURCEIP" beside "sourceIp", no second "password"),
//   - its serverId is the server the function serves (see ServerSource;
//     the function's resource policy admits that server only, and this
//     check holds should the policy ever be widened),
//   - the username is a configured partner (case-insensitive),
//   - the source IP is inside one of the partner's CIDRs,
//   - for a password (SFTP or FTPS): it matches the argon2id or bcrypt hash
//     that is the string value of the partner's Secrets Manager secret;
//   - for an SSH key (SFTP only, the password is empty): the partner has
//     public keys, which go back in the response and Transfer Family checks
//     the client's key against them.
//
// Plain FTP is always refused, and so is an empty password over FTPS. A
// refusal is the empty response {}; the reason goes to the log only.
//
// An accepted user gets the server's access role, a session policy that
// scopes it to its home, and a LOGICAL home directory: "/" is
// /<bucket>/<prefix><partner> (see SessionPolicy and HomeDirectoryDetails).
// The policy allows listing the home, PutObject and GetObject (which resumed
// uploads need) and the bucket key through S3, nothing else: no
// DeleteObject, so a partner can neither delete nor rename (SFTP renames are
// a copy and a delete) what it uploaded, and an overwrite leaves the earlier
// version in the versioned bucket. Nothing a partner does loses data.
//
// Timing: every password attempt costs exactly one hash computation. An
// unknown user, a partner without a password secret and an unreadable secret
// are all checked against DummyHash (with the same parameters as the hashes
// HashPassword makes), and the source IP is checked after the hash, so the
// time of an answer does not tell whether a user exists or where it may
// connect from. Malformed usernames are refused before any work: their form
// is public. Key authentication computes no hash. Two differences remain: a
// partner whose cached hash has expired costs one Secrets Manager call more
// (tens of milliseconds, once a minute at most), and a bcrypt hash takes
// about twice as long as the argon2id DummyHash; prefer argon2id.
//
// Secrets: a partner's hash is read from Secrets Manager at authentication
// time and kept in memory for CacheTTL (default 60 s), so a changed hash
// takes effect within a minute. Passwords, hashes and secret values are
// never logged; malformed usernames are not logged either (people type
// passwords into username fields).
package idp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// DefaultCacheTTL is how long a partner's hash is kept in memory.
const DefaultCacheTTL = 60 * time.Second

// MaxSessionPolicy is the longest session policy Transfer Family accepts.
const MaxSessionPolicy = 2048

// SecretsAPI is the one Secrets Manager method the handler needs.
type SecretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Config is what the handler serves.
type Config struct {
	// Bucket is the partner bucket's name.
	Bucket string
	// HomePrefix is the key prefix partner homes sit under, ending in "/"
	// ("quarantine/"): partner p's home is HomePrefix + p + "/".
	HomePrefix string
	// RoleArn is the access role Transfer Family assumes for every partner
	// session (the session policy scopes it to the partner's home).
	RoleArn string
	// DataKeyArn is the KMS key that encrypts the bucket.
	DataKeyArn string
	// Partners are the users.
	Partners []Partner
	// Server says which server the handler serves; requests from any
	// other server are refused. Required.
	Server ServerSource
}

// Response is the identity provider's answer. The zero value, which
// marshals to {}, refuses the request.
type Response struct {
	Role                 string   `json:"Role,omitempty"`
	Policy               string   `json:"Policy,omitempty"`
	HomeDirectoryType    string   `json:"HomeDirectoryType,omitempty"`
	HomeDirectoryDetails string   `json:"HomeDirectoryDetails,omitempty"`
	PublicKeys           []string `json:"PublicKeys,omitempty"`
}

// Handler answers Transfer Family's authentication requests. Build it with
// NewHandler, once per process; it is safe for concurrent use.
type Handler struct {
	// Secrets reads the partners' password hashes.
	Secrets SecretsAPI
	// Logger receives one record per request. Default: slog.Default().
	Logger *slog.Logger
	// CacheTTL is how long a hash read from Secrets Manager is reused;
	// negative disables the cache. Default (0): DefaultCacheTTL.
	CacheTTL time.Duration
	// Verify compares a password with a hash. Default: Verify. Tests
	// replace it to count the comparisons.
	Verify func(hash string, password []byte) (bool, error)
	// Now is the clock. Default: time.Now.
	Now func() time.Time

	role     string
	server   ServerSource
	partners map[string]*partner

	mu    sync.Mutex
	cache map[string]cached
}

type partner struct {
	Partner
	prefixes []netip.Prefix
	policy   string
	home     string
}

type cached struct {
	hash    string
	fetched time.Time
}

// NewHandler checks cfg and precomputes every partner's home mapping and
// session policy.
func NewHandler(cfg Config, secrets SecretsAPI, logger *slog.Logger) (*Handler, error) {
	var errs []error
	if cfg.Bucket == "" || strings.ContainsAny(cfg.Bucket, "/*\"") {
		errs = append(errs, fmt.Errorf("bucket %q is not a bucket name", cfg.Bucket))
	}
	if !strings.HasSuffix(cfg.HomePrefix, "/") || strings.HasPrefix(cfg.HomePrefix, "/") || strings.Contains(cfg.HomePrefix, "..") || strings.ContainsAny(cfg.HomePrefix, "*?\"") {
		errs = append(errs, fmt.Errorf("home prefix %q is not a key prefix ending in \"/\" (e.g. \"quarantine/\")", cfg.HomePrefix))
	}
	partition, err := arnPartition(cfg.RoleArn, "iam")
	if err != nil {
		errs = append(errs, fmt.Errorf("role: %w", err))
	}
	if _, err := arnPartition(cfg.DataKeyArn, "kms"); err != nil {
		errs = append(errs, fmt.Errorf("data key: %w", err))
	}
	if cfg.Server == nil {
		errs = append(errs, errors.New("server: the server the function serves is not configured (a ParameterServer or StaticServer)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	h := &Handler{Secrets: secrets, Logger: logger, role: cfg.RoleArn, server: cfg.Server, partners: map[string]*partner{}, cache: map[string]cached{}}
	for _, p := range cfg.Partners {
		if _, dup := h.partners[p.Name]; dup {
			errs = append(errs, fmt.Errorf("partner %q appears twice", p.Name))
			continue
		}
		pp := &partner{Partner: p}
		for _, c := range p.CIDRs {
			pfx, err := ParseCIDR(c)
			if err != nil {
				errs = append(errs, fmt.Errorf("partner %q: %w", p.Name, err))
				continue
			}
			pp.prefixes = append(pp.prefixes, pfx)
		}
		if len(pp.prefixes) == 0 {
			errs = append(errs, fmt.Errorf("partner %q has no CIDRs", p.Name))
		}
		pp.policy = SessionPolicy(partition, cfg.Bucket, cfg.HomePrefix, p.Name, cfg.DataKeyArn)
		if n := len(pp.policy); n > MaxSessionPolicy {
			errs = append(errs, fmt.Errorf("partner %q: session policy is %d characters, more than Transfer Family's %d", p.Name, n, MaxSessionPolicy))
		}
		pp.home = HomeDirectoryDetails(cfg.Bucket, cfg.HomePrefix, p.Name)
		h.partners[p.Name] = pp
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return h, nil
}

// arnPartition returns the partition of an ARN of service.
func arnPartition(arn, service string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != service || parts[5] == "" {
		return "", fmt.Errorf("%q is not an ARN of %s", arn, service)
	}
	return parts[1], nil
}

// HomeDirectoryDetails is the LOGICAL home mapping of a partner, as the
// string Transfer Family expects: [{"Entry":"/","Target":"/<bucket>/<prefix><partner>"}].
func HomeDirectoryDetails(bucket, prefix, name string) string {
	b, _ := json.Marshal([]struct {
		Entry  string `json:"Entry"`
		Target string `json:"Target"`
	}{{Entry: "/", Target: "/" + bucket + "/" + prefix + name}})
	return string(b)
}

// SessionPolicy is the session policy of a partner: list its home (the
// s3:prefix condition keeps even key names of other partners out of sight:
// <prefix><partner>/* for what is in the home, and the bare
// <prefix><partner>, which a client lists to open the home, as Transfer
// Family's session-policy example allows both
// https://docs.aws.amazon.com/transfer/latest/userguide/users-policies-session.html),
// put and get objects in it, and use the bucket's key. No delete.
func SessionPolicy(partition, bucket, prefix, name, keyArn string) string {
	type condition map[string]map[string][]string
	type statement struct {
		Sid       string    `json:"Sid"`
		Effect    string    `json:"Effect"`
		Action    []string  `json:"Action"`
		Resource  string    `json:"Resource"`
		Condition condition `json:"Condition,omitempty"`
	}
	home := prefix + name + "/"
	bucketArn := "arn:" + partition + ":s3:::" + bucket
	doc := struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{
		Version: "2012-10-17",
		Statement: []statement{
			{Sid: "ListHome", Effect: "Allow", Action: []string{"s3:ListBucket"}, Resource: bucketArn,
				Condition: condition{"StringLike": {"s3:prefix": {home + "*", prefix + name}}}},
			{Sid: "UploadToHome", Effect: "Allow", Action: []string{"s3:PutObject", "s3:GetObject"}, Resource: bucketArn + "/" + home + "*"},
			{Sid: "BucketKey", Effect: "Allow", Action: []string{"kms:GenerateDataKey", "kms:Decrypt"}, Resource: keyArn},
		},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// Handle answers one request: the response for an accepted user, {} for a
// refusal. It never returns an error (a refusal is an answer), so Transfer
// Family sees a clean "access denied" whatever went wrong.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (Response, error) {
	log := h.logger()
	req, err := ParseRequest(raw)
	if err != nil {
		log.Warn("auth", "result", "deny", "reason", "malformed request", "error", err.Error())
		return Response{}, nil
	}
	method := "password"
	if req.Password == "" {
		method = "publickey"
	}
	log = log.With("username", req.Username, "protocol", req.Protocol, "method", method, "sourceIp", req.Addr.String(), "serverId", req.ServerID)
	deny := func(reason string, extra ...any) (Response, error) {
		log.Warn("auth", append([]any{"result", "deny", "reason", reason}, extra...)...)
		return Response{}, nil
	}
	served, err := h.server.ServerID(ctx)
	if err != nil {
		return deny("the id of the server this function serves is unknown", "error", err.Error())
	}
	if req.ServerID != served {
		return deny("the request comes from another server than the one this function serves", "servedServerId", served)
	}
	if req.Protocol == ProtocolFTP {
		return deny("plain FTP is never accepted")
	}
	p := h.partners[req.Username]

	if method == "publickey" {
		switch {
		case req.Protocol != ProtocolSFTP:
			return deny("an empty password is key authentication, which only SFTP has")
		case p == nil:
			return deny("unknown user")
		case !p.allows(req.Addr):
			return deny("source IP outside the partner's CIDRs")
		case len(p.PublicKeys) == 0:
			return deny("the partner has no SSH public keys")
		}
		log.Info("auth", "result", "allow", "keys", len(p.PublicKeys))
		return h.allow(p, p.PublicKeys), nil
	}

	// A password: one hash computation whatever happens.
	hash, reason := DummyHash, ""
	var secretErr error
	switch {
	case p == nil:
		reason = "unknown user"
	case p.SecretArn == "":
		reason = "the partner has no password secret"
	default:
		if hash, secretErr = h.hash(ctx, p.SecretArn); secretErr != nil {
			hash, reason = DummyHash, "the partner's password secret is unreadable"
		}
	}
	ok, verr := h.verify(hash, []byte(req.Password))
	switch {
	case reason != "":
	case verr != nil:
		reason = "the stored hash is not accepted"
		secretErr = verr
	case !ok:
		reason = "wrong password"
	case !p.allows(req.Addr):
		reason = "source IP outside the partner's CIDRs"
	}
	if reason != "" {
		if secretErr != nil {
			return deny(reason, "error", secretErr.Error())
		}
		return deny(reason)
	}
	log.Info("auth", "result", "allow")
	return h.allow(p, nil), nil
}

func (h *Handler) allow(p *partner, keys []string) Response {
	r := Response{Role: h.role, Policy: p.policy, HomeDirectoryType: "LOGICAL", HomeDirectoryDetails: p.home}
	if len(keys) > 0 {
		r.PublicKeys = append([]string(nil), keys...)
	}
	return r
}

func (p *partner) allows(a netip.Addr) bool {
	for _, pfx := range p.prefixes {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) verify(hash string, pw []byte) (bool, error) {
	if h.Verify != nil {
		return h.Verify(hash, pw)
	}
	return Verify(hash, pw)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) ttl() time.Duration {
	if h.CacheTTL == 0 {
		return DefaultCacheTTL
	}
	return h.CacheTTL
}

// ErrNoSecretValue: the secret exists but holds no string (it was created
// empty and no operator has put a hash in it yet, or it holds binary).
var ErrNoSecretValue = errors.New("the secret has no string value; put the partner's password hash in it (see cmd/biolake-passwd)")

// hash returns the partner's hash from the cache or Secrets Manager. Its
// errors never contain the secret's value.
func (h *Handler) hash(ctx context.Context, arn string) (string, error) {
	ttl := h.ttl()
	now := h.now()
	if ttl > 0 {
		h.mu.Lock()
		c, ok := h.cache[arn]
		h.mu.Unlock()
		if ok && now.Sub(c.fetched) < ttl && now.Sub(c.fetched) >= 0 {
			return c.hash, nil
		}
	}
	if h.Secrets == nil {
		return "", errors.New("no Secrets Manager client")
	}
	out, err := h.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", fmt.Errorf("read secret %s: %w", arn, err)
	}
	if out.SecretString == nil || strings.TrimSpace(*out.SecretString) == "" {
		return "", fmt.Errorf("read secret %s: %w", arn, ErrNoSecretValue)
	}
	v := strings.TrimSpace(*out.SecretString)
	if err := CheckHash(v); err != nil {
		return "", fmt.Errorf("secret %s: %w", arn, err)
	}
	if ttl > 0 {
		h.mu.Lock()
		h.cache[arn] = cached{hash: v, fetched: now}
		h.mu.Unlock()
	}
	return v, nil
}

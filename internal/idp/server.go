package idp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// ServerSource says which Transfer Family server the handler serves. The
// handler refuses a request whose serverId is another server's: the
// function's resource policy already lets only that server invoke it, and
// this check keeps the function from serving another server should that
// policy ever be widened.
type ServerSource interface {
	// ServerID returns the served server's id ("s-" and 17 hex digits).
	ServerID(ctx context.Context) (string, error)
}

// StaticServer is a ServerSource for a server whose id is known when the
// handler starts (a server created before its identity provider was
// configured, or a test).
type StaticServer string

// ServerID returns s, or an error if s is not a server id.
func (s StaticServer) ServerID(context.Context) (string, error) {
	if !IsServerID(string(s)) {
		return "", fmt.Errorf("%q is not a Transfer Family server id (s- and 17 hex digits)", truncate(string(s), maxServerID))
	}
	return string(s), nil
}

// IsServerID reports whether s has the form of a Transfer Family server id:
// "s-" and 17 lower-case hexadecimal digits.
func IsServerID(s string) bool {
	if len(s) != 19 || !strings.HasPrefix(s, "s-") {
		return false
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// SSMAPI is the one Systems Manager method ParameterServer needs.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// ErrNoServerID: the parameter that names the served server does not exist
// (yet). CloudFormation writes it right after it creates the server, so
// during a stack's first deployment logins are refused for a moment.
var ErrNoServerID = errors.New("the server-id parameter does not exist yet (it is written when the server has been created)")

// ParameterServer is a ServerSource that reads the served server's id from
// a Systems Manager parameter. This is how the deployed function learns its
// server: the server refers to the function (its identity provider), and
// Transfer Family requires the function to exist before the server is
// created, so the function's environment cannot hold the server's id
// without a dependency cycle. The construct writes the id into a parameter
// that CloudFormation creates after the server, under a name fixed at synth
// (so the function names it without referring to it).
//
// A read id is reused for TTL; a failed read is not cached.
type ParameterServer struct {
	// SSM reads the parameter.
	SSM SSMAPI
	// Name is the parameter's name ("/biolake/transfer/.../server-id").
	Name string
	// TTL is how long a read id is reused. Default (0): DefaultCacheTTL.
	TTL time.Duration
	// Now is the clock. Default: time.Now.
	Now func() time.Time

	mu      sync.Mutex
	id      string
	fetched time.Time
}

// ServerID returns the cached id or reads the parameter. Its errors name
// the parameter and what was wrong with it.
func (p *ParameterServer) ServerID(ctx context.Context) (string, error) {
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	ttl := p.TTL
	if ttl == 0 {
		ttl = DefaultCacheTTL
	}
	p.mu.Lock()
	id, fetched := p.id, p.fetched
	p.mu.Unlock()
	if id != "" && now.Sub(fetched) < ttl && now.Sub(fetched) >= 0 {
		return id, nil
	}
	if p.SSM == nil {
		return "", errors.New("no Systems Manager client")
	}
	out, err := p.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(p.Name)})
	if err != nil {
		var nf *ssmtypes.ParameterNotFound
		if errors.As(err, &nf) {
			return "", fmt.Errorf("parameter %s: %w", p.Name, ErrNoServerID)
		}
		return "", fmt.Errorf("read parameter %s: %w", p.Name, err)
	}
	if out.Parameter == nil || !IsServerID(strings.TrimSpace(aws.ToString(out.Parameter.Value))) {
		v := ""
		if out.Parameter != nil {
			v = aws.ToString(out.Parameter.Value)
		}
		return "", fmt.Errorf("parameter %s holds %q, not a Transfer Family server id (s- and 17 hex digits)", p.Name, truncate(v, maxServerID))
	}
	id = strings.TrimSpace(aws.ToString(out.Parameter.Value))
	p.mu.Lock()
	p.id, p.fetched = id, now
	p.mu.Unlock()
	return id, nil
}

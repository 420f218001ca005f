package idp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSSM serves one parameter value (nil: the parameter does not exist)
// and counts the reads.
type fakeSSM struct {
	value *string
	err   error
	calls int
}

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	if f.value == nil {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("parameter " + aws.ToString(in.Name) + " not found")}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: f.value, Type: ssmtypes.ParameterTypeString}}, nil
}

func TestIsServerID(t *testing.T) {
	for s, want := range map[string]bool{
		"s-0123456789abcdef0":  true,
		"s-0123456789ABCDEF0":  false,
		"s-0123456789abcdef":   false,
		"s-0123456789abcdef01": false,
		"x-0123456789abcdef0":  false,
		"s-0123456789abcdeg0":  false,
		"":                     false,
	} {
		assert.Equal(t, want, IsServerID(s), s)
	}
	_, err := StaticServer("s-1").ServerID(context.Background())
	assert.ErrorContains(t, err, "not a Transfer Family server id")
}

func TestParameterServer(t *testing.T) {
	ctx := context.Background()
	f := &fakeSSM{}
	now := time.Unix(1_700_000_000, 0)
	p := &ParameterServer{SSM: f, Name: "/biolake/transfer/Test/server-id", Now: func() time.Time { return now }}

	// Before CloudFormation has written it: refused, not cached.
	_, err := p.ServerID(ctx)
	require.ErrorIs(t, err, ErrNoServerID)
	assert.ErrorContains(t, err, "/biolake/transfer/Test/server-id")

	f.value = aws.String("s-0123456789abcdef0\n")
	id, err := p.ServerID(ctx)
	require.NoError(t, err)
	assert.Equal(t, "s-0123456789abcdef0", id)
	assert.Equal(t, 2, f.calls)

	// Reused within the TTL; the server replaced: read again after it.
	f.value = aws.String("s-0fedcba9876543210")
	now = now.Add(DefaultCacheTTL - time.Second)
	id, _ = p.ServerID(ctx)
	assert.Equal(t, "s-0123456789abcdef0", id)
	assert.Equal(t, 2, f.calls)
	now = now.Add(2 * time.Second)
	id, _ = p.ServerID(ctx)
	assert.Equal(t, "s-0fedcba9876543210", id)
	assert.Equal(t, 3, f.calls)

	// A value that is not a server id, and a failed read: errors naming
	// the parameter.
	p.TTL = -1
	f.value = aws.String("not-a-server")
	_, err = p.ServerID(ctx)
	assert.ErrorContains(t, err, `holds "not-a-server", not a Transfer Family server id`)
	f.err = errors.New("AccessDeniedException: not authorized to perform ssm:GetParameter")
	_, err = p.ServerID(ctx)
	assert.ErrorContains(t, err, "read parameter /biolake/transfer/Test/server-id: AccessDeniedException")
}

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/idp"
)

type fakeTTY struct{ answers []string }

func (f *fakeTTY) IsTerminal() bool { return true }

func (f *fakeTTY) ReadPassword() ([]byte, error) {
	a := f.answers[0]
	f.answers = f.answers[1:]
	return []byte(a), nil
}

func TestPipe(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pfx  string
	}{{nil, "$argon2id$v=19$m=19456,t=2,p=1$"}, {[]string{"-bcrypt"}, "$2a$10$"}} {
		var out, errOut bytes.Buffer
		code := run(tc.args, strings.NewReader("correct horse battery staple\r\n"), &out, &errOut, nil)
		require.Equal(t, 0, code, errOut.String())
		h := strings.TrimSpace(out.String())
		assert.True(t, strings.HasPrefix(h, tc.pfx), h)
		ok, err := idp.Verify(h, []byte("correct horse battery staple"))
		require.NoError(t, err)
		assert.True(t, ok, "the identity provider accepts what the helper prints")
		assert.NotContains(t, out.String()+errOut.String(), "correct horse")
	}
}

func TestTerminal(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(nil, strings.NewReader(""), &out, &errOut, &fakeTTY{answers: []string{"a long enough password", "a long enough password"}})
	require.Equal(t, 0, code, errOut.String())
	ok, _ := idp.Verify(strings.TrimSpace(out.String()), []byte("a long enough password"))
	assert.True(t, ok)
	assert.NotContains(t, errOut.String(), "a long enough password", "no echo")

	out.Reset()
	code = run(nil, strings.NewReader(""), &out, &errOut, &fakeTTY{answers: []string{"a long enough password", "a long enough passw0rd"}})
	assert.Equal(t, 1, code)
	assert.Empty(t, out.String())
	assert.Contains(t, errOut.String(), "differ")
}

func TestRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		args  []string
		input string
		code  int
	}{
		"empty":            {nil, "\n", 1},
		"short":            {nil, "short\n", 1},
		"too long":         {nil, strings.Repeat("x", idp.MaxPasswordBytes+1) + "\n", 1},
		"bcrypt over 72":   {[]string{"-bcrypt"}, strings.Repeat("x", 73) + "\n", 1},
		"NUL":              {nil, "twelve chars\x00long\n", 1},
		"unknown flag":     {[]string{"-md5"}, "correct horse battery staple\n", 2},
		"extra argument":   {[]string{"acme"}, "correct horse battery staple\n", 2},
		"only second line": {nil, "\ncorrect horse battery staple\n", 1},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, strings.NewReader(tc.input), &out, &errOut, nil)
		assert.Equal(t, tc.code, code, name)
		assert.Empty(t, out.String(), name)
	}
}

package idp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Parameters of the hashes HashPassword makes (and of DummyHash), OWASP's
// first argon2id recommendation (m=19 MiB, t=2, p=1) and bcrypt's minimum
// cost of 10. BenchmarkVerify measured one argon2id check at 35-60 ms on one
// x86 core (the same with -tags purego, the code arm64 runs), bcrypt at
// 65-95 ms; Lambda's 1024 MB of the identity provider is 0.58 vCPU of
// Graviton, so expect roughly 70-120 ms for argon2id and 120-200 ms for
// bcrypt there (2-3 times that at 512 MB, about half at 1769 MB).
const (
	Argon2MemoryKiB uint32 = 19456
	Argon2Time      uint32 = 2
	Argon2Threads   uint8  = 1
	Argon2SaltBytes        = 16
	Argon2KeyBytes         = 32
	BcryptCost             = 10
)

// Bounds of the parameters Verify accepts in a stored hash: below them a hash
// is too cheap to guess against, above them one check would take seconds or
// run the function out of memory. The argon2id floor is OWASP's family of
// equivalent settings (m=7 MiB with t=5 up to m=46 MiB with t=1): memory
// times passes of at least 35840 KiB.
const (
	minArgon2MemoryKiB  = 7168
	maxArgon2MemoryKiB  = 262144 // 256 MiB
	minArgon2MemoryTime = 35840
	maxArgon2Time       = 10
	maxArgon2Threads    = 8
	minArgon2Salt       = 8
	maxArgon2Salt       = 64
	minArgon2Key        = 16
	maxArgon2Key        = 64
	minBcryptCost       = 10
	maxBcryptCost       = 14
	bcryptMaxPassword   = 72
)

// DummyHash is an argon2id hash (with the parameters above) of a random
// password nobody knows. Unknown users, partners without a password and
// unreadable secrets are checked against it, so every password attempt costs
// one full hash computation whatever the outcome.
const DummyHash = "$argon2id$v=19$m=19456,t=2,p=1$wmjUN07nexRi4f28WA5S+g$ET1IPg/qWHFWz9kz1x6HrSh3FfgcHHLWysROqAIRQMU"

// Algorithm names a password hash algorithm.
type Algorithm string

// The algorithms HashPassword makes and Verify checks.
const (
	Argon2id Algorithm = "argon2id"
	Bcrypt   Algorithm = "bcrypt"
)

// ErrBadHash is wrapped by every error about a stored hash: its format, its
// algorithm or its parameters. The errors never contain the hash itself.
var ErrBadHash = errors.New("password hash not accepted")

func badHash(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadHash, fmt.Sprintf(format, args...))
}

// HashPassword returns the hash of password in the format Verify (and the
// identity provider) accepts: for Argon2id the PHC string
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>" (unpadded standard base64),
// for Bcrypt the modular-crypt string "$2a$10$...". bcrypt refuses passwords
// longer than 72 bytes.
func HashPassword(password []byte, alg Algorithm) (string, error) {
	switch alg {
	case Argon2id:
		salt := make([]byte, Argon2SaltBytes)
		if _, err := rand.Read(salt); err != nil {
			return "", err
		}
		key := argon2.IDKey(password, salt, Argon2Time, Argon2MemoryKiB, Argon2Threads, Argon2KeyBytes)
		return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, Argon2MemoryKiB, Argon2Time, Argon2Threads,
			base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
	case Bcrypt:
		if len(password) > bcryptMaxPassword {
			return "", fmt.Errorf("bcrypt uses at most %d bytes of a password; this one has %d: use argon2id", bcryptMaxPassword, len(password))
		}
		h, err := bcrypt.GenerateFromPassword(password, BcryptCost)
		return string(h), err
	}
	return "", fmt.Errorf("algorithm %q is not one of %q, %q", alg, Argon2id, Bcrypt)
}

// argon2Hash is a parsed argon2id PHC string.
type argon2Hash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// CheckHash reports whether encoded is a hash Verify accepts, without
// computing anything. Its errors wrap ErrBadHash and never contain the hash.
func CheckHash(encoded string) error {
	if strings.HasPrefix(encoded, "$argon2id$") {
		_, err := parseArgon2(encoded)
		return err
	}
	if isBcrypt(encoded) {
		cost, err := bcrypt.Cost([]byte(encoded))
		if err != nil {
			return badHash("not a valid bcrypt hash")
		}
		if cost < minBcryptCost || cost > maxBcryptCost {
			return badHash("bcrypt cost %d is outside %d..%d", cost, minBcryptCost, maxBcryptCost)
		}
		return nil
	}
	return badHash("not an argon2id or bcrypt hash (make one with cmd/biolake-passwd)")
}

func isBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

func parseArgon2(s string) (argon2Hash, error) {
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return argon2Hash{}, badHash("argon2id hash has %d fields, want $argon2id$v=19$m=M,t=T,p=P$SALT$KEY", len(parts)-1)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return argon2Hash{}, badHash("argon2id version field is not v=%d", argon2.Version)
	}
	var h argon2Hash
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return argon2Hash{}, badHash("argon2id parameters are not m=M,t=T,p=P")
	}
	num := func(field, prefix string, max uint64) (uint64, error) {
		v, ok := strings.CutPrefix(field, prefix)
		if !ok || v == "" || len(v) > 10 || (len(v) > 1 && v[0] == '0') {
			return 0, badHash("argon2id parameter %q is malformed", prefix+"...")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n > max {
			return 0, badHash("argon2id parameter %s%s is out of range", prefix, v)
		}
		return n, nil
	}
	m, err := num(params[0], "m=", maxArgon2MemoryKiB)
	if err != nil {
		return h, err
	}
	t, err := num(params[1], "t=", maxArgon2Time)
	if err != nil {
		return h, err
	}
	p, err := num(params[2], "p=", maxArgon2Threads)
	if err != nil {
		return h, err
	}
	h.memory, h.time, h.threads = uint32(m), uint32(t), uint8(p)
	switch {
	case h.time < 1 || h.threads < 1:
		return h, badHash("argon2id t and p must be at least 1")
	case h.memory < minArgon2MemoryKiB || uint64(h.memory)*uint64(h.time) < minArgon2MemoryTime:
		return h, badHash("argon2id m=%d,t=%d is weaker than the accepted minimum (m>=%d KiB and m*t>=%d, e.g. m=%d,t=%d)",
			h.memory, h.time, minArgon2MemoryKiB, minArgon2MemoryTime, Argon2MemoryKiB, Argon2Time)
	case h.memory < 8*uint32(h.threads):
		return h, badHash("argon2id m must be at least 8*p")
	}
	if h.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(h.salt) < minArgon2Salt || len(h.salt) > maxArgon2Salt {
		return h, badHash("argon2id salt is not %d..%d bytes of unpadded base64", minArgon2Salt, maxArgon2Salt)
	}
	if h.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(h.key) < minArgon2Key || len(h.key) > maxArgon2Key {
		return h, badHash("argon2id key is not %d..%d bytes of unpadded base64", minArgon2Key, maxArgon2Key)
	}
	return h, nil
}

// Verify reports whether password matches the argon2id or bcrypt hash
// encoded. The comparison takes constant time in the password; the work is
// the hash's own (its parameters). A hash that CheckHash refuses returns an
// error wrapping ErrBadHash and costs nothing, so callers that must spend the
// same work on every attempt check the hash first (the handler does, when it
// reads a secret) and verify against DummyHash instead.
func Verify(encoded string, password []byte) (bool, error) {
	if strings.HasPrefix(encoded, "$argon2id$") {
		h, err := parseArgon2(encoded)
		if err != nil {
			return false, err
		}
		key := argon2.IDKey(password, h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
		return subtle.ConstantTimeCompare(key, h.key) == 1, nil
	}
	if err := CheckHash(encoded); err != nil {
		return false, err
	}
	err := bcrypt.CompareHashAndPassword([]byte(encoded), password)
	switch {
	case err == nil:
		// bcrypt ignores everything after byte 72: a longer password would
		// match on its first 72 bytes alone, so it never matches.
		return len(password) <= bcryptMaxPassword, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, badHash("bcrypt: %v", err)
}

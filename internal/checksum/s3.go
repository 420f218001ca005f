package checksum

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// S3 checksum types, as in the x-amz-checksum-type header (ChecksumType).
const (
	TypeFullObject = "FULL_OBJECT"
	TypeComposite  = "COMPOSITE"
)

// Stored is a checksum as S3 returns it from HeadObject or GetObject with
// ChecksumMode ENABLED: ChecksumSHA256, ChecksumCRC32C, ChecksumCRC64NVME
// (base64, "-N" appended for a composite checksum of N parts), and the
// object's ChecksumType.
type Stored struct {
	Algorithm Algorithm
	// Value is the base64 value, possibly with a "-N" suffix.
	Value string
	// Type is the ChecksumType S3 reported, "" when it reported none.
	Type string
}

// Verdict is the outcome of comparing a stored checksum with an expected one.
type Verdict int

// Verdicts.
const (
	// NeedsStreaming: the stored value cannot be compared with a whole-file
	// digest (none stored, a composite checksum of parts, or an ETag that is
	// not an MD5); the object must be read and hashed.
	NeedsStreaming Verdict = iota
	// Match: the stored full-object checksum equals the expected digest.
	Match
	// Mismatch: the stored full-object checksum differs.
	Mismatch
)

func (v Verdict) String() string {
	switch v {
	case Match:
		return "match"
	case Mismatch:
		return "mismatch"
	}
	return "needs streaming"
}

// Comparison is the result of Compare.
type Comparison struct {
	Verdict Verdict
	// Actual is the stored full-object digest, nil when NeedsStreaming.
	Actual []byte
	// Reason says why streaming is needed, "" otherwise.
	Reason string
}

// ParseStored decodes a stored checksum. It returns the digest and, for a
// composite checksum, the number of parts (0 for a full-object checksum).
// Errors: *ErrMalformedChecksum, *ErrUnsupportedAlgorithm.
func ParseStored(s Stored) (sum []byte, parts int, err error) {
	if s.Algorithm.Size() == 0 {
		return nil, 0, &ErrUnsupportedAlgorithm{Name: string(s.Algorithm)}
	}
	v := s.Value
	if v == "" {
		return nil, 0, &ErrMalformedChecksum{Algorithm: s.Algorithm, Value: v, Reason: errNoValue.Error()}
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		n, perr := strconv.Atoi(v[i+1:])
		if perr != nil || n < 1 || n > 10000 {
			return nil, 0, &ErrMalformedChecksum{Algorithm: s.Algorithm, Value: s.Value, Reason: "bad part count suffix"}
		}
		v, parts = v[:i], n
	}
	b, derr := base64.StdEncoding.DecodeString(v)
	if derr != nil || len(b) != s.Algorithm.Size() {
		return nil, 0, &ErrMalformedChecksum{Algorithm: s.Algorithm, Value: s.Value, Reason: fmt.Sprintf("not %d bytes of base64", s.Algorithm.Size())}
	}
	if parts == 0 && s.Type == TypeComposite {
		parts = -1 // composite without a visible part count
	}
	return b, parts, nil
}

// Compare compares a stored S3 checksum with the expected whole-file digest.
// A composite (multipart, "-N") checksum is a checksum of the parts'
// checksums and cannot be compared with a whole-file digest: the verdict is
// NeedsStreaming. So it is when nothing is stored.
func Compare(s Stored, expected []byte) (Comparison, error) {
	if s.Value == "" {
		return Comparison{Verdict: NeedsStreaming, Reason: "no stored " + string(s.Algorithm) + " checksum"}, nil
	}
	sum, parts, err := ParseStored(s)
	if err != nil {
		return Comparison{}, err
	}
	if parts != 0 {
		return Comparison{Verdict: NeedsStreaming, Reason: "stored " + string(s.Algorithm) + " checksum is composite (multipart)"}, nil
	}
	if len(expected) != s.Algorithm.Size() {
		return Comparison{}, &ErrMalformedChecksum{Algorithm: s.Algorithm, Value: hex.EncodeToString(expected), Reason: "expected digest has the wrong length"}
	}
	if bytes.Equal(sum, expected) {
		return Comparison{Verdict: Match, Actual: sum}, nil
	}
	return Comparison{Verdict: Mismatch, Actual: sum}, nil
}

// CompareETag compares an S3 ETag with an expected MD5. The ETag is the MD5
// of the object only for single-part uploads without SSE-KMS/SSE-C; pass
// kmsEncrypted true for SSE-KMS or SSE-C objects. A multipart ETag ("-N")
// or an encrypted object's ETag gives NeedsStreaming.
func CompareETag(etag string, kmsEncrypted bool, expectedMD5 []byte) (Comparison, error) {
	e := strings.Trim(etag, `"`)
	switch {
	case e == "":
		return Comparison{Verdict: NeedsStreaming, Reason: "no ETag"}, nil
	case strings.Contains(e, "-"):
		return Comparison{Verdict: NeedsStreaming, Reason: "multipart ETag is not an MD5"}, nil
	case kmsEncrypted:
		return Comparison{Verdict: NeedsStreaming, Reason: "ETag of an SSE-KMS/SSE-C object is not an MD5"}, nil
	}
	sum, err := DecodeHex(MD5, strings.ToLower(e))
	if err != nil {
		return Comparison{}, err
	}
	if len(expectedMD5) != md5Size {
		return Comparison{}, &ErrMalformedChecksum{Algorithm: MD5, Value: hex.EncodeToString(expectedMD5), Reason: "expected digest has the wrong length"}
	}
	if bytes.Equal(sum, expectedMD5) {
		return Comparison{Verdict: Match, Actual: sum}, nil
	}
	return Comparison{Verdict: Mismatch, Actual: sum}, nil
}

const md5Size = 16

package idp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Protocols as the identity provider request names them.
const (
	ProtocolSFTP = "SFTP"
	ProtocolFTPS = "FTPS"
	ProtocolFTP  = "FTP"
)

// Limits of a request.
const (
	// MaxRequestBytes is the largest request accepted.
	MaxRequestBytes = 16 << 10
	// MaxPasswordBytes is the longest password accepted.
	MaxPasswordBytes = 1024
	// MinUsername and MaxUsername bound a username (a partner name).
	MinUsername = 3
	MaxUsername = 32
	maxServerID = 64
)

// Request is the event AWS Transfer Family sends a Lambda identity provider:
//
//	{"username":"acme","password":"...","protocol":"SFTP","serverId":"s-0123456789abcdef0","sourceIp":"203.0.113.7"}
//
// The password is empty (or absent) when the client authenticates with an
// SSH key; Transfer Family then checks the key against the PublicKeys of the
// response.
type Request struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Protocol string `json:"protocol"`
	ServerID string `json:"serverId"`
	SourceIP string `json:"sourceIp"`

	// Addr is SourceIP parsed (an IPv4-mapped IPv6 address unmapped).
	Addr netip.Addr `json:"-"`
}

// String never shows the password.
func (r Request) String() string {
	return fmt.Sprintf("{username:%q protocol:%q serverId:%q sourceIp:%q password:%d bytes}", r.Username, r.Protocol, r.ServerID, r.SourceIP, len(r.Password))
}

// RequestError is a malformed request. Its message never contains the
// password, nor a username that is not well formed (people type passwords
// into username fields).
type RequestError struct {
	Field string
	Msg   string
}

func (e *RequestError) Error() string { return "request: " + e.Field + ": " + e.Msg }

func reqErr(field, format string, args ...any) error {
	return &RequestError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// knownKeys are the request's fields as Transfer Family spells them.
var knownKeys = []string{"username", "password", "protocol", "serverId", "sourceIp"}

// ParseRequest decodes and checks a request: a JSON object whose known
// fields are strings, each at most once and spelled exactly as in knownKeys
// (unknown fields are ignored, as AWS may add some; see checkKeys), a
// well-formed username (see NormalizeUsername; it is returned in lower
// case), a password of at most MaxPasswordBytes, a protocol of SFTP, FTPS or
// FTP (FTP parses, so the handler can say why it refuses it), a server id
// and a source IP address. Errors are *RequestError.
func ParseRequest(raw []byte) (Request, error) {
	if len(raw) > MaxRequestBytes {
		return Request{}, reqErr("body", "%d bytes is more than %d", len(raw), MaxRequestBytes)
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Request{}, reqErr("body", "not a JSON object")
	}
	if err := checkKeys(trimmed); err != nil {
		return Request{}, err
	}
	var r Request
	if err := json.Unmarshal(trimmed, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Request{}, reqErr(te.Field, "is not a string")
		}
		return Request{}, reqErr("body", "not valid JSON")
	}
	name, ok := NormalizeUsername(r.Username)
	if !ok {
		return Request{}, reqErr("username", "%d bytes, not %d..%d of a-z, 0-9 and '-' starting with a letter and not ending with '-'", len(r.Username), MinUsername, MaxUsername)
	}
	r.Username = name
	if len(r.Password) > MaxPasswordBytes {
		return Request{}, reqErr("password", "%d bytes is more than %d", len(r.Password), MaxPasswordBytes)
	}
	switch r.Protocol {
	case ProtocolSFTP, ProtocolFTPS, ProtocolFTP:
	default:
		return Request{}, reqErr("protocol", "%q is not SFTP, FTPS or FTP", truncate(r.Protocol, 16))
	}
	if !validServerID(r.ServerID) {
		return Request{}, reqErr("serverId", "%q is not 1..%d of letters, digits and '-'", truncate(r.ServerID, maxServerID), maxServerID)
	}
	addr, err := netip.ParseAddr(r.SourceIP)
	if err != nil || addr.Zone() != "" {
		return Request{}, reqErr("sourceIp", "%q is not an IP address", truncate(r.SourceIP, 64))
	}
	r.Addr = addr.Unmap()
	return r, nil
}

// checkKeys refuses an object whose top-level keys repeat, or that spells
// a known key in another case. encoding/json matches keys to fields without
// regard to case (Unicode simple folding, so "ſourceIp" with U+017F is
// sourceIp too) and the last match wins: a trailing "SOURCEIP" would
// override "sourceIp", and a second "password": "" would turn a password
// login into a key login. Transfer Family sends each field once, spelled as
// in knownKeys; anything else did not come from it unaltered. Keys are
// compared after JSON unescaping ("\u0070assword" is password), as the
// decoder compares them.
func checkKeys(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return reqErr("body", "not a JSON object")
	}
	seen := make(map[string]bool, len(knownKeys))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return reqErr("body", "not valid JSON")
		}
		key, ok := tok.(string)
		if !ok {
			return reqErr("body", "not valid JSON")
		}
		if seen[key] {
			return reqErr(truncate(key, 32), "appears more than once; each field may appear once")
		}
		seen[key] = true
		for _, k := range knownKeys {
			if key != k && strings.EqualFold(key, k) {
				return reqErr(k, "also appears as %q; field names are case-sensitive: %s", truncate(key, 32), strings.Join(knownKeys, ", "))
			}
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return reqErr("body", "not valid JSON")
		}
	}
	return nil
}

// NormalizeUsername returns s in lower case if it is a well-formed username:
// MinUsername to MaxUsername ASCII letters, digits and '-', starting with a
// letter and not ending with '-'. Nothing else (no '.', '/', '\', space or
// control character) can appear, so a username can never name a path
// outside its home. Usernames are case-insensitive: "ACME" is "acme".
func NormalizeUsername(s string) (string, bool) {
	if len(s) < MinUsername || len(s) > MaxUsername {
		return "", false
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
		case c >= 'A' && c <= 'Z':
			b[i] = c + ('a' - 'A')
		case c >= '0' && c <= '9', c == '-':
			if i == 0 {
				return "", false
			}
		default:
			return "", false
		}
	}
	if b[len(b)-1] == '-' {
		return "", false
	}
	return string(b), true
}

func validServerID(s string) bool {
	if len(s) == 0 || len(s) > maxServerID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

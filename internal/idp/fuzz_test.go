package idp

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const marker = "PW-MARKER-7f3a9c"

// FuzzParseRequest feeds arbitrary bytes to the request parser: it must
// never panic, and whatever it accepts must be safe to act on.
//
//	go test -run '^$' -fuzz FuzzParseRequest -fuzztime 20s ./internal/idp/
func FuzzParseRequest(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "request_*.json"))
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"username":"acme","protocol":"SFTP","serverId":"s-1","sourceIp":"::ffff:1.2.3.4"}`,
		`{"username":"../../etc","protocol":"FTPS","serverId":"s-1","sourceIp":"1.2.3.4","password":"x"}`,
		`{"username":"ACME","protocol":"FTP","serverId":"s-1","sourceIp":"2001:db8::1","extra":{"a":[1,2]}}`,
		`{"username":"acme\u0000","protocol":"SFTP","serverId":"s-1","sourceIp":"1.2.3.4"}`,
		`{"username":"acme","username":"other","protocol":"SFTP","serverId":"s-1","sourceIp":"1.2.3.4"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := ParseRequest(raw)
		if err != nil {
			if _, ok := err.(*RequestError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			// An error never repeats a password: the same request with a
			// marker for its password gives an error without the marker.
			var m map[string]any
			if json.Unmarshal(raw, &m) == nil {
				for k, v := range m {
					if _, ok := v.(string); ok && strings.EqualFold(k, "password") {
						m[k] = marker
					}
				}
				b, _ := json.Marshal(m)
				if _, err := ParseRequest(b); err != nil && strings.Contains(err.Error(), marker) {
					t.Fatalf("error contains the password: %v", err)
				}
			}
			return
		}
		if n, ok := NormalizeUsername(r.Username); !ok || n != r.Username {
			t.Fatalf("accepted username %q", r.Username)
		}
		if strings.ContainsAny(r.Username, "./\\ \x00\r\n") || strings.Contains(r.Username, "..") {
			t.Fatalf("accepted username %q could leave its home", r.Username)
		}
		switch r.Protocol {
		case ProtocolSFTP, ProtocolFTPS, ProtocolFTP:
		default:
			t.Fatalf("accepted protocol %q", r.Protocol)
		}
		if !r.Addr.IsValid() || r.Addr.Is4In6() || r.Addr.Zone() != "" {
			t.Fatalf("accepted address %v", r.Addr)
		}
		if a, err := netip.ParseAddr(r.SourceIP); err != nil || a.Unmap() != r.Addr {
			t.Fatalf("address %v does not come from %q", r.Addr, r.SourceIP)
		}
		if len(r.Password) > MaxPasswordBytes || len(raw) > MaxRequestBytes || !validServerID(r.ServerID) {
			t.Fatalf("accepted %v", r)
		}
		r.Password = marker
		if strings.Contains(r.String(), marker) {
			t.Fatalf("String shows the password")
		}
	})
}

package idp

import (
	"bytes"
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
		`{"username":"acme","password":"pw","protocol":"SFTP","serverId":"s-1","sourceIp":"1.2.3.4","password":""}`,
		`{"username":"acme","protocol":"SFTP","serverId":"s-1","sourceIp":"192.0.2.1","SOURCEIP":"1.2.3.4"}`,
		`{"username":"acme","protocol":"SFTP","serverId":"s-1","sourceIp":"192.0.2.1","\u017fourceIp":"1.2.3.4"}`,
		`{"username":"acme","protocol":"SFTP","serverId":"s-1","sourceIp":"1.2.3.4","\u0070assword":"x"}`,
		`{"Username":"acme","Protocol":"SFTP","ServerId":"s-1","SourceIp":"1.2.3.4"}`,
		`{"username":"acme","protocol":"SFTP","serverId":"s-1","sourceIp":"1.2.3.4","x":{"password":"a","password":"b"}}`,
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
		// Every known field came from one key spelled exactly: no
		// duplicate and no case variant could have chosen its value.
		pairs := topLevel(t, raw)
		got := map[string]string{"username": r.Username, "password": r.Password, "protocol": r.Protocol, "serverId": r.ServerID, "sourceIp": r.SourceIP}
		seen := map[string]bool{}
		for _, kv := range pairs {
			if seen[kv.key] {
				t.Fatalf("accepted a request with %q twice", kv.key)
			}
			seen[kv.key] = true
			for _, k := range knownKeys {
				if !strings.EqualFold(kv.key, k) {
					continue
				}
				if kv.key != k {
					t.Fatalf("accepted %q beside the field %q", kv.key, k)
				}
				var v *string
				if err := json.Unmarshal(kv.value, &v); err != nil {
					t.Fatalf("accepted %s = %s: %v", k, kv.value, err)
				}
				want := ""
				if v != nil {
					want = *v
				}
				if k == "username" {
					want, _ = NormalizeUsername(want)
				}
				if got[k] != want {
					t.Fatalf("%s is %q, the request says %q", k, got[k], want)
				}
			}
		}
		r.Password = marker
		if strings.Contains(r.String(), marker) {
			t.Fatalf("String shows the password")
		}
	})
}

type pair struct {
	key   string
	value json.RawMessage
}

// topLevel lists the key-value pairs of a JSON object in order, duplicates
// included.
func topLevel(t *testing.T, raw []byte) []pair {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("accepted a request that is not an object: %s", raw)
	}
	var out []pair
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("accepted invalid JSON: %v", err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("accepted invalid JSON: %v", err)
		}
		out = append(out, pair{key: tok.(string), value: v})
	}
	return out
}

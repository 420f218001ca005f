package events

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sync"
)

//go:embed schemas/*.json
var schemaFS embed.FS

// Schema returns the JSON Schema (draft 2020-12) of a detail-type's detail,
// or *ErrUnknownDetailType.
func Schema(detailType string) ([]byte, error) {
	if _, err := New(detailType); err != nil {
		return nil, err
	}
	return schemaFS.ReadFile("schemas/" + detailType + ".json")
}

type schemaInfo struct {
	Required   []string                   `json:"required"`
	Properties map[string]json.RawMessage `json:"properties"`
}

var (
	schemaOnce  sync.Once
	schemaInfos map[string]schemaInfo
)

// info returns the required and known properties of a detail-type's schema.
func info(detailType string) schemaInfo {
	schemaOnce.Do(func() {
		schemaInfos = make(map[string]schemaInfo, len(DetailTypes))
		for _, dt := range DetailTypes {
			b, err := schemaFS.ReadFile("schemas/" + dt + ".json")
			if err != nil {
				panic("events: embedded schema missing for " + dt) // build-time invariant, covered by tests
			}
			var s schemaInfo
			if err := json.Unmarshal(b, &s); err != nil {
				panic("events: embedded schema for " + dt + " is not JSON: " + err.Error())
			}
			schemaInfos[dt] = s
		}
	})
	return schemaInfos[detailType]
}

func requiredFields(detailType string) []string { return info(detailType).Required }

// checkKeys walks the top-level keys of a JSON object (already known to
// decode) and returns the schema-required keys that are absent or null, or an
// error for a key that is not exactly a schema property (encoding/json matches
// names case-insensitively) or that appears twice.
func checkKeys(detailType string, obj []byte) (absent []string, err error) {
	si := info(detailType)
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, err
	}
	seen := make(map[string]bool, len(si.Properties))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("unexpected token %v", tok)
		}
		if _, known := si.Properties[k]; !known {
			return nil, fmt.Errorf("unknown field %q", k)
		}
		if _, dup := seen[k]; dup {
			return nil, fmt.Errorf("duplicate field %q", k)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		seen[k] = string(v) != "null"
	}
	for _, k := range si.Required {
		if !seen[k] {
			absent = append(absent, k)
		}
	}
	return absent, nil
}

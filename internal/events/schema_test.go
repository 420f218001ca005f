package events

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type jsonSchema struct {
	Source               string                `json:"x-biolake-source"`
	DetailType           string                `json:"x-biolake-detail-type"`
	Type                 string                `json:"type"`
	AdditionalProperties *bool                 `json:"additionalProperties"`
	Required             []string              `json:"required"`
	Properties           map[string]propSchema `json:"properties"`
}

type propSchema struct {
	Type      string   `json:"type"`
	Const     *string  `json:"const"`
	Enum      []string `json:"enum"`
	Format    string   `json:"format"`
	MinLength *int     `json:"minLength"`
	MaxLength *int     `json:"maxLength"`
	Pattern   string   `json:"pattern"`
	Minimum   *float64 `json:"minimum"`
}

func loadSchema(t *testing.T, dt string) jsonSchema {
	t.Helper()
	b, err := Schema(dt)
	require.NoError(t, err)
	var s jsonSchema
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

// validate checks a detail against the subset of JSON Schema the catalogue uses.
func (s jsonSchema) validate(obj map[string]any) error {
	for _, r := range s.Required {
		if _, ok := obj[r]; !ok {
			return fmt.Errorf("required %q missing", r)
		}
	}
	for k, v := range obj {
		p, ok := s.Properties[k]
		if !ok {
			return fmt.Errorf("property %q not in schema", k)
		}
		if p.Const != nil && v != *p.Const {
			return fmt.Errorf("%s: %v is not const %q", k, v, *p.Const)
		}
		switch p.Type {
		case "string":
			str, ok := v.(string)
			if !ok {
				return fmt.Errorf("%s: not a string", k)
			}
			if p.MinLength != nil && len(str) < *p.MinLength {
				return fmt.Errorf("%s: shorter than %d", k, *p.MinLength)
			}
			if p.MaxLength != nil && utf8.RuneCountInString(str) > *p.MaxLength {
				return fmt.Errorf("%s: longer than %d", k, *p.MaxLength)
			}
			if p.Pattern != "" && !regexp.MustCompile(p.Pattern).MatchString(str) {
				return fmt.Errorf("%s: %q does not match %s", k, str, p.Pattern)
			}
			if p.Format == "date-time" {
				if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
					return fmt.Errorf("%s: %v", k, err)
				}
			}
			if len(p.Enum) > 0 {
				found := false
				for _, e := range p.Enum {
					found = found || e == str
				}
				if !found {
					return fmt.Errorf("%s: %q not in enum", k, str)
				}
			}
		case "integer":
			n, ok := v.(float64)
			if !ok || n != float64(int64(n)) {
				return fmt.Errorf("%s: not an integer", k)
			}
			if p.Minimum != nil && n < *p.Minimum {
				return fmt.Errorf("%s: below minimum", k)
			}
		}
	}
	return nil
}

func toMap(t *testing.T, ev Event) map[string]any {
	t.Helper()
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestSchemasMatchGoTypes checks that every Go type's JSON matches its schema:
// the fields always emitted are exactly the schema's required properties, every
// field is a schema property, and examples validate.
func TestSchemasMatchGoTypes(t *testing.T) {
	fulls, mins := full(), minimal()
	for i, dt := range DetailTypes {
		t.Run(dt, func(t *testing.T) {
			s := loadSchema(t, dt)
			assert.Equal(t, dt, s.DetailType)
			assert.Equal(t, fulls[i].Source(), s.Source)
			assert.Equal(t, "object", s.Type)
			require.NotNil(t, s.AdditionalProperties)
			assert.False(t, *s.AdditionalProperties)
			require.NotNil(t, s.Properties["schemaVersion"].Const)
			assert.Equal(t, SchemaVersion, *s.Properties["schemaVersion"].Const)

			full, min := toMap(t, fulls[i]), toMap(t, mins[i])
			req := append([]string(nil), s.Required...)
			sort.Strings(req)
			assert.Equal(t, req, keys(min), "Go fields without omitempty must be the schema's required properties")
			var props []string
			for k := range s.Properties {
				props = append(props, k)
			}
			sort.Strings(props)
			assert.Equal(t, props, keys(full), "Go fields must be the schema's properties")
			assert.NoError(t, s.validate(full))
			assert.NoError(t, s.validate(min))

			b, err := os.ReadFile(filepath.Join("testdata", dt+".json"))
			require.NoError(t, err)
			var golden map[string]any
			require.NoError(t, json.Unmarshal(b, &golden))
			assert.NoError(t, s.validate(golden))
		})
	}
}

func TestSchemaUnknown(t *testing.T) {
	_, err := Schema("Nope")
	var u *ErrUnknownDetailType
	assert.ErrorAs(t, err, &u)
}

// TestWorkflowSucceededSchemaAgreesWithValidate: the shapes the schema's
// patterns and lengths reject, Validate rejects too (and the other way).
func TestWorkflowSucceededSchemaAgreesWithValidate(t *testing.T) {
	s := loadSchema(t, DetailTypeWorkflowSucceeded)
	b, err := os.ReadFile(filepath.Join("testdata", DetailTypeWorkflowSucceeded+".json"))
	require.NoError(t, err)
	tests := []struct {
		field, value string
	}{
		{"workflow", "rna-seq"},
		{"workflow", "1rnaseq"},
		{"workflow", "a" + strings.Repeat("b", 32)},
		{"project", strings.Repeat("p", 257)},
		{"outputUri", "https://example.com/workflows/rnaseq/acme/batch7/"},
		{"outputUri", "s3:///workflows/rnaseq/acme/batch7/"},
		{"outputUri", "s3://bucket/results/rnaseq/acme/batch7/"},
		{"outputUri", "s3://bucket/workflows/rnaseq/acme/batch7"},
		{"executionId", "unknown"},
		{"executionId", "arn:aws:states:eu-west-1:123456789012:stateMachine:RnaSeqStateMachine"},
		{"executionId", "arn:aws:states:eu-west-1:1234:execution:sm:name"},
	}
	for _, tc := range tests {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			var m map[string]any
			require.NoError(t, json.Unmarshal(b, &m))
			m[tc.field] = tc.value
			assert.Error(t, s.validate(m), "schema")
			var ev WorkflowSucceeded
			require.NoError(t, json.Unmarshal(b, &ev))
			require.NoError(t, ev.Validate())
			detail, err := json.Marshal(m)
			require.NoError(t, err)
			_, err = Parse(DetailTypeWorkflowSucceeded, detail)
			var inv *ErrInvalidEvent
			require.ErrorAs(t, err, &inv)
			assert.Contains(t, inv.Invalid, tc.field)
		})
	}
}

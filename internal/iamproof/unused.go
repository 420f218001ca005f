package iamproof

import (
	"fmt"
	"sort"
	"strings"
)

// UnusedGrant is an action a principal's own identity policy allows, on a
// resource pattern, that no allowed request used.
type UnusedGrant struct {
	Env       string
	Principal string
	Policy    string
	Action    string
	// Resource is the statement's resource pattern, labelled (Env.Label).
	Resource string
}

// String is the grant's line in the unused-grant list:
// "<env> <principal> <action> <resource>".
func (u UnusedGrant) String() string {
	return fmt.Sprintf("%s %s %s %s", u.Env, u.Principal, u.Action, u.Resource)
}

// Unused lists, for each principal, the actions (patterns expanded with
// the Service Authorization Reference) and resource patterns of the Allow
// statements of its own identity policies that no allowed decision of the
// reports was granted by. AWS managed policies are left out: they are AWS's
// documented set for a service (Lambda's network interfaces and logs), not
// the platform's choice. A statement with NotAction or NotResource is listed
// whole when nothing used it.
func Unused(principals []*Principal, reports ...*Report) ([]UnusedGrant, error) {
	type stmtKey struct {
		principal, policy string
		index             int
	}
	// used[stmt][action][resource pattern]
	used := map[stmtKey]map[string]map[string]bool{}
	for _, rep := range reports {
		for _, d := range rep.Decisions {
			if !d.Allowed() {
				continue
			}
			for _, g := range d.Grants {
				if g.Type != "identity" {
					continue
				}
				k := stmtKey{d.Principal.ARN, g.Policy, g.Index}
				if used[k] == nil {
					used[k] = map[string]map[string]bool{}
				}
				a := strings.ToLower(d.Action)
				if used[k][a] == nil {
					used[k][a] = map[string]bool{}
				}
				for _, r := range g.Resources {
					used[k][a][r] = true
				}
			}
		}
	}
	// Expand every action pattern once.
	var patterns []string
	seen := map[string]bool{}
	for _, p := range principals {
		for _, pol := range p.Policies {
			if pol.AWSManaged {
				continue
			}
			for _, st := range statements(pol.Document) {
				for _, a := range strList(st["Action"]) {
					if a != "*" && !seen[a] {
						seen[a] = true
						patterns = append(patterns, a)
					}
				}
			}
		}
	}
	expanded, err := Expand(patterns)
	if err != nil {
		return nil, err
	}
	var out []UnusedGrant
	done := map[string]bool{}
	for _, p := range principals {
		if done[p.ARN] {
			continue
		}
		done[p.ARN] = true
		for _, pol := range p.Policies {
			if pol.AWSManaged {
				continue
			}
			for i, st := range statements(pol.Document) {
				if st["Effect"] != "Allow" {
					continue
				}
				k := stmtKey{p.ARN, pol.Name, i + 1}
				add := func(action, resource string) {
					out = append(out, UnusedGrant{Env: p.env.Name, Principal: p.Label, Policy: pol.Name, Action: action, Resource: p.env.Label(resource)})
				}
				if st["NotAction"] != nil || st["NotResource"] != nil {
					if len(used[k]) == 0 {
						add(fmt.Sprint(firstNonNil(st["Action"], st["NotAction"])), fmt.Sprint(firstNonNil(st["Resource"], st["NotResource"])))
					}
					continue
				}
				resources := strList(st["Resource"])
				for _, pat := range strList(st["Action"]) {
					actions := expanded[pat]
					if pat == "*" {
						actions = []string{"*"}
					}
					for _, a := range actions {
						u := used[k][strings.ToLower(a)]
						for _, r := range resources {
							if !u[r] {
								add(a, r)
							}
						}
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	// One line per (env, principal, action, resource), even when two
	// statements grant the same.
	dedup := out[:0]
	for i, u := range out {
		if i > 0 && u.String() == out[i-1].String() {
			continue
		}
		dedup = append(dedup, u)
	}
	return dedup, nil
}

func statements(doc map[string]any) []map[string]any {
	var out []map[string]any
	switch s := doc["Statement"].(type) {
	case []any:
		for _, x := range s {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
	case map[string]any:
		out = append(out, s)
	}
	return out
}

func strList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

func firstNonNil(vs ...any) any {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

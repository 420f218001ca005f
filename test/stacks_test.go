package test

import (
	"strings"
	"testing"

	"github.com/biolake/biolake/config"
)

// statefulStacks hold keys, buckets, tables or file systems.
var statefulStacks = []string{"Security", "Operations", "Audit", "DataLake", "DataLakeReplica", "EventGlue"}

func TestTerminationProtection(t *testing.T) {
	s := synthAll(t)
	for _, env := range s.Envs {
		cfg, err := config.Load("../environments", env)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range s.Stacks[env] {
			id := strings.TrimPrefix(st.Name, env+"-")
			// Compute holds a standing file system only in persistent mode.
			stateful := contains(statefulStacks, id) || (id == "Compute" && cfg.Compute.Lustre.Mode == config.LustrePersistent)
			want := stateful && cfg.Protection.TerminationProtection
			if st.TerminationProtection != want {
				t.Errorf("%s: termination protection %v, want %v", st.Name, st.TerminationProtection, want)
			}
		}
	}
}

// TestCostAllocationTags checks that every resource that takes tags carries
// project, environment and owner from config.
func TestCostAllocationTags(t *testing.T) {
	s := synthAll(t)
	for _, env := range s.Envs {
		cfg, _ := config.Load("../environments", env)
		want := map[string]string{"project": cfg.Tags.Project, "environment": env, "owner": cfg.Tags.Owner}
		if cfg.Tags.CostCenter != "" {
			want["cost-center"] = cfg.Tags.CostCenter
		}
		tagged := 0
		for _, st := range s.Stacks[env] {
			for id, r := range st.Resources("") {
				props, _ := r["Properties"].(map[string]any)
				list, ok := props["Tags"].([]any)
				if !ok {
					continue // not taggable, or tagged in another shape (checked below)
				}
				tagged++
				got := map[string]string{}
				for _, item := range list {
					m, _ := item.(map[string]any)
					k, _ := m["Key"].(string)
					v, _ := m["Value"].(string)
					got[k] = v
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s/%s (%s): tag %s = %q, want %q", st.Name, id, r["Type"], k, got[k], v)
					}
				}
			}
		}
		if tagged < 10 {
			t.Errorf("%s: only %d tagged resources; tags are not reaching the stacks", env, tagged)
		}
	}
}

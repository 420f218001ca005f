package config

import (
	"fmt"
	"strings"

	"github.com/biolake/biolake/constructs/analytics"
	"github.com/biolake/biolake/constructs/datalake"
)

// Analytics settings: the Athena workgroup over the catalog export and the
// inventories (Athena and Glue have no idle charge: queries bill per byte
// scanned).
type Analytics struct {
	// BytesScannedCutoffMB cancels a query that scans more than this many
	// megabytes (10^6 bytes), at least 10 (Athena's minimum). At $5 per TB
	// scanned, 10000 MB caps a query at $0.05. Default: 10000.
	BytesScannedCutoffMB int64 `yaml:"bytesScannedCutoffMB"`
}

// DefaultBytesScannedCutoffMB is the default of Analytics.BytesScannedCutoffMB.
const DefaultBytesScannedCutoffMB = 10_000

func (a *Analytics) validate(e *Environment) error {
	if a.BytesScannedCutoffMB != 0 && a.BytesScannedCutoffMB*1_000_000 < analytics.MinBytesScannedCutoff {
		return e.fail("analytics.bytesScannedCutoffMB", fmt.Sprint(a.BytesScannedCutoffMB), "is below Athena's minimum; use at least 10 (10 MB), or leave it out for %d", DefaultBytesScannedCutoffMB)
	}
	return nil
}

// Props returns the analytics props of this environment, without the lake's
// buckets and keys (the stack wires them): database biolake_<env>,
// workgroup biolake-<env>, the cutoff, the lifecycle transitions to archive
// classes of the data buckets and the workflows' projects.
func (a *Analytics) Props(e *Environment) *analytics.Props {
	mb := a.BytesScannedCutoffMB
	if mb == 0 {
		mb = DefaultBytesScannedCutoffMB
	}
	p := &analytics.Props{
		DatabaseName:       "biolake_" + strings.ReplaceAll(e.Name, "-", "_"),
		WorkGroupName:      "biolake-" + e.Name,
		BytesScannedCutoff: mb * 1_000_000,
		ResultsSource:      string(datalake.BucketResults),
	}
	tiering := e.DataLake.Props().Tiering
	for _, b := range datalake.DataBucketNames() {
		for _, r := range tiering.Effective(b).Rules {
			for _, t := range r.Transitions {
				if t.StorageClass == datalake.Glacier || t.StorageClass == datalake.DeepArchive {
					p.Archive = append(p.Archive, analytics.ArchiveRule{Source: string(b), Prefix: r.Prefix, DataClass: r.DataClass, Days: t.Days, StorageClass: string(t.StorageClass)})
				}
			}
		}
	}
	for _, w := range e.Compute.Workflows {
		project := w.Project
		if project == "" {
			project = w.Name
		}
		p.Workflows = append(p.Workflows, analytics.Workflow{Name: w.Name, Project: project})
	}
	return p
}

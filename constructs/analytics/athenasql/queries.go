package athenasql

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

//go:embed queries/*.sql
var queryFiles embed.FS

// Query is one named query.
type Query struct {
	// ID is the file's stem ("storage_by_class_and_age"): it names the
	// AWS::Athena::NamedQuery's construct.
	ID string
	// Name and Description as the Athena console shows them.
	Name, Description string
	// SQL to run, with the table names of the Glue database.
	SQL string
	// Params names the execution parameters (the "?" in SQL, in order).
	Params []string
}

// ArchiveRule is one lifecycle transition of current versions to an
// archive class, as the archive query applies it.
type ArchiveRule struct {
	// Source is the inventory source (bucket name in the lake, "raw").
	Source string
	// Prefix of the keys the rule applies to ("" for any).
	Prefix string
	// DataClass the rule applies to ("" for any), matched against the
	// catalog's data class of the object version.
	DataClass string
	// Days after creation.
	Days int
	// StorageClass moved to: GLACIER or DEEP_ARCHIVE.
	StorageClass string
}

// Workflow maps a workflow to its cost-allocation project.
type Workflow struct{ Name, Project string }

// Params are what the queries depend on besides the tables.
type Params struct {
	// Archive rules of the lifecycle policy; without any, the archive
	// query is left out.
	Archive []ArchiveRule
	// Workflows and their projects; without any, the results query is
	// left out.
	Workflows []Workflow
	// ResultsSource is the inventory source of the results bucket.
	// Default "results".
	ResultsSource string
	// WorkflowPrefix is where workflows write in the results bucket,
	// workflows/<workflow>/<runId>/. Default "workflows/".
	WorkflowPrefix string
	// CostReport says the cost_and_usage table exists; without it, the
	// cost query is left out.
	CostReport bool
	// ProjectTag is the cost-allocation tag the cost query groups by.
	// Default DefaultProjectTag ("project").
	ProjectTag string
}

// ArchiveClasses are the storage classes whose objects must be restored
// before they are read.
var ArchiveClasses = []string{"GLACIER", "DEEP_ARCHIVE"}

var (
	placeholder = regexp.MustCompile(`\{\{[a-z_]+\}\}`)
	safeName    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Queries renders every named query for p, in file order.
func Queries(p Params) ([]Query, error) {
	if p.ResultsSource == "" {
		p.ResultsSource = "results"
	}
	if p.WorkflowPrefix == "" {
		p.WorkflowPrefix = "workflows/"
	}
	if !safeName.MatchString(p.ResultsSource) {
		return nil, fmt.Errorf("results source %q: use lower-case letters, digits and _", p.ResultsSource)
	}
	if !strings.HasSuffix(p.WorkflowPrefix, "/") || strings.HasPrefix(p.WorkflowPrefix, "/") {
		return nil, fmt.Errorf("workflow prefix %q: a key prefix ending in /", p.WorkflowPrefix)
	}
	seg := strings.Count(p.WorkflowPrefix, "/") + 1
	values := map[string]string{
		"{{results_source}}":  literal(p.ResultsSource),
		"{{workflow_prefix}}": literal(p.WorkflowPrefix),
		"{{workflow_part}}":   strconv.Itoa(seg),
		"{{run_part}}":        strconv.Itoa(seg + 1),
	}
	if len(p.Archive) > 0 {
		rows := make([]string, len(p.Archive))
		for i, r := range p.Archive {
			if !contains(ArchiveClasses, r.StorageClass) {
				return nil, fmt.Errorf("archive rule %d: storage class %q is not an archive class (%s)", i, r.StorageClass, strings.Join(ArchiveClasses, ", "))
			}
			if r.Days < 0 {
				return nil, fmt.Errorf("archive rule %d: days %d is negative", i, r.Days)
			}
			rows[i] = fmt.Sprintf("(%s, %s, %s, %d, %s)", literal(r.Source), literal(r.Prefix), literal(r.DataClass), r.Days, literal(r.StorageClass))
		}
		values["{{archive_policy}}"] = strings.Join(rows, ",\n    ")
	}
	if len(p.Workflows) > 0 {
		rows := make([]string, len(p.Workflows))
		for i, w := range p.Workflows {
			rows[i] = fmt.Sprintf("(%s, %s)", literal(w.Name), literal(w.Project))
		}
		values["{{workflow_projects}}"] = strings.Join(rows, ",\n    ")
	}

	if p.CostReport {
		if p.ProjectTag == "" {
			p.ProjectTag = DefaultProjectTag
		}
		key, err := CostTagKey(p.ProjectTag)
		if err != nil {
			return nil, err
		}
		values["{{cost_project_key}}"] = literal(key)
	}

	files, err := fs.Glob(queryFiles, "queries/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Query
	for _, f := range files {
		b, err := queryFiles.ReadFile(f)
		if err != nil {
			return nil, err
		}
		q, err := parseQuery(strings.TrimSuffix(path.Base(f), ".sql"), string(b))
		if err != nil {
			return nil, err
		}
		missing := false
		q.SQL = placeholder.ReplaceAllStringFunc(q.SQL, func(ph string) string {
			v, ok := values[ph]
			if !ok {
				missing = true
			}
			return v
		})
		if missing {
			continue // a query for something not configured
		}
		out = append(out, q)
	}
	return out, nil
}

// QueryIDs lists the ids of every query file, configured or not.
func QueryIDs() []string {
	files, _ := fs.Glob(queryFiles, "queries/*.sql")
	sort.Strings(files)
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = strings.TrimLeft(strings.TrimSuffix(path.Base(f), ".sql"), "0123456789_")
	}
	return out
}

// parseQuery reads the header comments (-- name:, -- description:,
// -- param:) and keeps the rest as the query.
func parseQuery(file, text string) (Query, error) {
	q := Query{ID: strings.TrimLeft(file, "0123456789_")}
	lines := strings.Split(text, "\n")
	i := 0
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "--") {
			break
		}
		k, v, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(l, "--")), ":")
		v = strings.TrimSpace(v)
		switch k {
		case "name":
			q.Name = v
		case "description":
			q.Description = v
		case "param":
			q.Params = append(q.Params, v)
		}
	}
	q.SQL = strings.TrimSpace(strings.Join(lines[i:], "\n"))
	if q.Name == "" || q.Description == "" || q.SQL == "" {
		return q, fmt.Errorf("query %s: needs -- name:, -- description: and a statement", file)
	}
	if n := strings.Count(q.SQL, "?"); n != len(q.Params) {
		return q, fmt.Errorf("query %s: %d parameters (?) but %d -- param: lines", file, n, len(q.Params))
	}
	return q, nil
}

// literal quotes s as an SQL string literal.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortStrings(s []string) { sort.Strings(s) }

package lustre_test

import (
	"strings"
	"testing"
	"time"

	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/lustre"
)

func runPaths() lustre.RunPaths {
	return lustre.RunPaths{
		RunID: "$.runId", Token: "$$.Execution.Id", InputURI: "$.inputUri", Project: "$.project", Partner: "$.partner",
		FileSystemID: "$.fsx.fileSystemId",
	}
}

func TestRunParameters(t *testing.T) {
	l := load(t).l["PerRun"]
	paths := runPaths()

	fs := l.RunFileSystemParameters(paths)
	if got := fs["ClientRequestToken.$"]; got != "States.Hash($$.Execution.Id, 'MD5')" {
		t.Errorf("file system token %v", got)
	}
	if _, ok := fs["ClientRequestToken"]; ok {
		t.Error("file system request has a literal token besides the path")
	}
	if fs["StorageCapacity"] != lustre.DefaultStorageCapacityGiB || fs["FileSystemTypeVersion"] != lustre.FileSystemTypeVersion {
		t.Errorf("file system request %s", js(fs))
	}
	if got := js(fs["SubnetIds"]); got != js([]string{l.SubnetID}) {
		t.Errorf("subnets %s, want the construct's %s", got, l.SubnetID)
	}
	lc := js(fs["LustreConfiguration"])
	for _, want := range []string{`"DeploymentType":"SCRATCH_2"`, `"DataCompressionType":"LZ4"`, `"Level":"WARN_ERROR"`} {
		if !strings.Contains(lc, want) {
			t.Errorf("LustreConfiguration %s lacks %s", lc, want)
		}
	}
	wantTags := `[{"Key":"biolake:managed-by","Value":"workflow"},{"Key":"runId","Value.$":"$.runId"},` +
		`{"Key":"project","Value.$":"$.project"},{"Key":"partner","Value.$":"$.partner"},{"Key":"biolake:environment","Value":"test"}]`
	if got := js(fs["Tags"]); got != wantTags {
		t.Errorf("tags %s, want %s", got, wantTags)
	}
	// The workflow's name and timeout, for the run age check.
	wp := paths
	wp.Workflow, wp.Timeout = "rnaseq", 36*time.Hour
	wantTags = strings.TrimSuffix(wantTags, "]") + `,{"Key":"biolake:workflow","Value":"rnaseq"},{"Key":"biolake:timeout-seconds","Value":"129600"}]`
	if got := js(l.RunFileSystemParameters(wp)["Tags"]); got != wantTags {
		t.Errorf("tags %s, want %s", got, wantTags)
	}

	dras := l.RunAssociationParameters(paths)
	if len(dras) != 2 {
		t.Fatalf("%d associations", len(dras))
	}
	raw, results := dras[0], dras[1]
	if raw["FileSystemPath"] != lustre.RawPath || raw["DataRepositoryPath.$"] != "$.inputUri" || raw["FileSystemId.$"] != "$.fsx.fileSystemId" ||
		raw["ClientRequestToken.$"] != "States.Format('{}-raw', States.Hash($$.Execution.Id, 'MD5'))" ||
		!strings.Contains(js(raw["S3"]), "AutoImportPolicy") || strings.Contains(js(raw["S3"]), "Export") {
		t.Errorf("raw association %s", js(raw))
	}
	uri, _ := results["DataRepositoryPath.$"].(string)
	if results["FileSystemPath"] != lustre.ResultsPath || !strings.HasPrefix(uri, "States.Format('s3://") || !strings.HasSuffix(uri, "/lustre/{}/', $.runId)") ||
		results["ClientRequestToken.$"] != "States.Format('{}-results', States.Hash($$.Execution.Id, 'MD5'))" ||
		strings.Contains(js(results["S3"]), "DELETED") || strings.Contains(js(results["S3"]), "Import") {
		t.Errorf("results association %s", js(results))
	}
	if strings.Contains(uri, `\{`) {
		t.Errorf("results path %s escapes the bucket name's token", uri)
	}
	if uri != l.RunResultsURIExpression("$.runId") {
		t.Errorf("results path %s differs from RunResultsURIExpression", uri)
	}

	export := l.RunExportParameters(paths)
	if export["Type"] != "EXPORT_TO_REPOSITORY" || js(export["Paths"]) != `["results"]` || export["FileSystemId.$"] != "$.fsx.fileSystemId" ||
		export["ClientRequestToken.$"] != "States.Format('{}-export', States.Hash($$.Execution.Id, 'MD5'))" {
		t.Errorf("export %s", js(export))
	}
	del := l.RunDeleteParameters(paths)
	if js(del) != `{"ClientRequestToken.$":"States.Format('{}-delete', States.Hash($$.Execution.Id, 'MD5'))","FileSystemId.$":"$.fsx.fileSystemId"}` {
		t.Errorf("delete %s", js(del))
	}

	// Without Token the run id keys the tokens; without Partner there is no
	// partner tag.
	paths.Token, paths.Partner = "", ""
	fs = l.RunFileSystemParameters(paths)
	if fs["ClientRequestToken.$"] != "States.Hash($.runId, 'MD5')" || strings.Contains(js(fs["Tags"]), "partner") {
		t.Errorf("defaults: %s", js(fs))
	}
}

func TestRunParametersRefused(t *testing.T) {
	f := load(t)
	for _, c := range []struct {
		name string
		l    *lustre.Lustre
		edit func(*lustre.RunPaths)
		call func(*lustre.Lustre, lustre.RunPaths)
		want string
	}{
		{"persistent", f.l["Persistent"], func(*lustre.RunPaths) {}, func(l *lustre.Lustre, p lustre.RunPaths) { l.RunFileSystemParameters(p) },
			`RunFileSystemParameters is "persistent": needs Props.Mode per-run`},
		{"no run id", f.l["PerRun"], func(p *lustre.RunPaths) { p.RunID = "" }, func(l *lustre.Lustre, p lustre.RunPaths) { l.RunFileSystemParameters(p) },
			`RunFileSystemParameters(paths).RunID is ""; accepted: a JSONPath`},
		{"literal project", f.l["PerRun"], func(p *lustre.RunPaths) { p.Project = "oncology" }, func(l *lustre.Lustre, p lustre.RunPaths) { l.RunFileSystemParameters(p) },
			`RunFileSystemParameters(paths).Project is "oncology"; accepted: a JSONPath starting with "$"`},
		{"quote in token", f.l["PerRun"], func(p *lustre.RunPaths) { p.Token = "$.a'b" }, func(l *lustre.Lustre, p lustre.RunPaths) { l.RunFileSystemParameters(p) },
			`RunFileSystemParameters(paths).Token is "$.a'b"`},
		{"capacity", f.l["PerRun"], func(p *lustre.RunPaths) { p.StorageCapacityGiB = 1000 }, func(l *lustre.Lustre, p lustre.RunPaths) { l.RunFileSystemParameters(p) },
			"RunFileSystemParameters(paths).StorageCapacityGiB is 1000"},
		{"workflow name", f.l["PerRun"], func(p *lustre.RunPaths) { p.Workflow = "rna{seq}" }, func(l *lustre.Lustre, p lustre.RunPaths) { l.RunFileSystemParameters(p) },
			`RunFileSystemParameters(paths).Workflow is "rna{seq}"`},
		{"fractional timeout", f.l["PerRun"], func(p *lustre.RunPaths) { p.Timeout = 1500 * time.Millisecond }, func(l *lustre.Lustre, p lustre.RunPaths) { l.RunFileSystemParameters(p) },
			`RunFileSystemParameters(paths).Timeout is "1.5s"`},
		{"association without file system", f.l["PerRun"], func(p *lustre.RunPaths) { p.FileSystemID = "" }, func(l *lustre.Lustre, p lustre.RunPaths) { l.RunAssociationParameters(p) },
			`RunAssociationParameters(paths).FileSystemID is ""`},
		{"export without file system", f.l["PerRun"], func(p *lustre.RunPaths) { p.FileSystemID = "" }, func(l *lustre.Lustre, p lustre.RunPaths) { l.RunExportParameters(p) },
			`RunExportParameters(paths).FileSystemID is ""`},
	} {
		p := runPaths()
		c.edit(&p)
		err := cdktest.CatchValidation(t, func() { c.call(c.l, p) })
		cdktest.HasField(t, err, *c.l.Node().Path(), strings.SplitN(c.want, " is ", 2)[0])
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: panicked with %q, want %q", c.name, err, c.want)
		}
	}
	// The file system itself needs no FileSystemID.
	p := runPaths()
	p.FileSystemID = ""
	if msg, panicked := cdktest.Catch(func() { f.l["PerRun"].RunFileSystemParameters(p) }); panicked {
		t.Errorf("file system parameters without FileSystemID: %s", msg)
	}
}

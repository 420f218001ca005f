package runs

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/events"
)

func testResolver(t testing.TB) *Resolver {
	t.Helper()
	r, err := NewResolver([]Rule{
		{Prefix: "runs/", Profile: NovaSeqX.WithManifest("manifest.sha256"), Channel: events.ChannelDataSync},
		{Prefix: "runs/miseq/", Profile: MiSeq, Channel: events.ChannelDataSync},
		{Prefix: "quarantine/", Profile: Generic("DONE", "manifest.csv"), Channel: events.ChannelTransfer, Partnered: true},
	})
	require.NoError(t, err)
	return r
}

func TestResolve(t *testing.T) {
	r := testResolver(t)
	const run = "20240607_LH00123_0042_A22CJKLLT3"
	tests := []struct {
		key     string
		runID   string
		rel     string
		role    Role
		profile string
		partner string
		notRun  bool
	}{
		{key: "runs/" + run + "/CopyComplete.txt", runID: run, rel: "CopyComplete.txt", role: RoleMarker, profile: "novaseq-x"},
		{key: "runs/" + run + "/RTAComplete.txt", runID: run, rel: "RTAComplete.txt", role: RoleMarker, profile: "novaseq-x"},
		{key: "runs/" + run + "/RunCompletionStatus.xml", runID: run, rel: "RunCompletionStatus.xml", role: RoleMarker, profile: "novaseq-x"},
		{key: "runs/" + run + "/manifest.sha256", runID: run, rel: "manifest.sha256", role: RoleManifest, profile: "novaseq-x"},
		{key: "runs/" + run + "/Analysis/1/CopyComplete.txt", runID: run, rel: "Analysis/1/CopyComplete.txt", role: RoleData, profile: "novaseq-x"},
		{key: "runs/" + run + "/Data/Intensities/BaseCalls/L001/C1.1/L001_1.cbcl", runID: run, rel: "Data/Intensities/BaseCalls/L001/C1.1/L001_1.cbcl", role: RoleData, profile: "novaseq-x"},
		{key: "runs/" + run + "/a b+c%.txt", runID: run, rel: "a b+c%.txt", role: RoleData, profile: "novaseq-x"},
		{key: "runs/" + run + "/Logs/", runID: run, rel: "Logs/", role: RoleIgnore, profile: "novaseq-x"},
		{key: "runs/" + run + "/", runID: run, rel: "", role: RoleIgnore, profile: "novaseq-x"},
		{key: "runs/miseq/240101_M00001_0001_000000000-ABCDE/RTAComplete.txt", runID: "240101_M00001_0001_000000000-ABCDE", rel: "RTAComplete.txt", role: RoleMarker, profile: "miseq"},
		{key: "runs/miseq/x/manifest.sha256", runID: "x", rel: "manifest.sha256", role: RoleData, profile: "miseq"},
		{key: "quarantine/acme/batch 7/DONE", runID: "acme/batch 7", rel: "DONE", role: RoleMarker, profile: "generic", partner: "acme"},
		{key: "quarantine/acme/batch 7/manifest.csv", runID: "acme/batch 7", rel: "manifest.csv", role: RoleManifest, profile: "generic", partner: "acme"},
		{key: "quarantine/acme/batch 7/s1/R1.fastq.gz", runID: "acme/batch 7", rel: "s1/R1.fastq.gz", role: RoleData, profile: "generic", partner: "acme"},
		{key: "runs/file-at-top.txt", notRun: true},
		{key: "runs/", notRun: true},
		{key: "other/x/y", notRun: true},
		{key: "quarantine/acme/file.txt", notRun: true},
		{key: "runs/../x", notRun: true},
		{key: "runs//x", notRun: true},
		{key: "runs/./x", notRun: true},
		{key: "runs/" + strings.Repeat("r", MaxRunIDBytes+1) + "/x", notRun: true},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			loc, err := r.Resolve(tc.key)
			if tc.notRun {
				var nr *ErrNotInRun
				require.ErrorAs(t, err, &nr)
				assert.Equal(t, tc.key, nr.Key)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.runID, loc.RunID)
			assert.Equal(t, tc.rel, loc.RelPath)
			assert.Equal(t, tc.role, loc.Role, loc.Role.String())
			assert.Equal(t, tc.profile, loc.Profile.Name)
			assert.Equal(t, tc.partner, loc.Partner)
			assert.Equal(t, tc.key, loc.RunPrefix+loc.RelPath)
		})
	}
}

func TestComplete(t *testing.T) {
	nsx := NovaSeqX.WithManifest("manifest.sha256")
	all := []string{"RunCompletionStatus.xml", "CopyComplete.txt", "RTAComplete.txt"}
	tests := []struct {
		name    string
		p       Profile
		s       Progress
		want    bool
		missing int
	}{
		{"nothing", nsx, Progress{}, false, 4},
		{"markers only", nsx, Progress{Markers: all}, false, 1},
		{"manifest not all data", nsx, Progress{Markers: all, ManifestRead: true, Expected: 10, Received: 9}, false, 1},
		{"complete", nsx, Progress{Markers: all, ManifestRead: true, Expected: 10, Received: 10}, true, 0},
		{"over", nsx, Progress{Markers: all, ManifestRead: true, Expected: 10, Received: 11}, true, 0},
		{"duplicate markers one missing", nsx, Progress{Markers: []string{"CopyComplete.txt", "CopyComplete.txt", "RTAComplete.txt"}, ManifestRead: true}, false, 1},
		{"empty manifest", nsx, Progress{Markers: all, ManifestRead: true}, true, 0},
		{"no manifest profile", NovaSeqX, Progress{Markers: all}, true, 0},
		{"miseq", MiSeq, Progress{Markers: []string{"RTAComplete.txt"}}, true, 0},
		{"nextseq wrong marker", NextSeq, Progress{Markers: []string{"RTAComplete.txt"}}, false, 1},
		{"generic manifest only", Generic("", "m.csv"), Progress{ManifestRead: true, Expected: 1, Received: 1}, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.p.Complete(tc.s))
			assert.Len(t, tc.p.Missing(tc.s), tc.missing, tc.p.Missing(tc.s))
		})
	}
}

func TestProfiles(t *testing.T) {
	for _, p := range Builtin {
		require.NoError(t, p.Validate(), p.Name)
		got, ok := ProfileByName(p.Name)
		require.True(t, ok)
		assert.Equal(t, p, got)
	}
	assert.Equal(t, []string{"RTAComplete.txt", "CopyComplete.txt"}, NovaSeq6000.Markers)
	assert.Equal(t, []string{"RTAComplete.xml"}, NextSeq.Markers)
	_, ok := ProfileByName("hiseq")
	assert.False(t, ok)
	// WithManifest does not share the markers slice.
	p := NovaSeqX.WithManifest("m")
	p.Markers[0] = "x"
	assert.Equal(t, "CopyComplete.txt", NovaSeqX.Markers[0])

	for _, bad := range []Profile{
		{},
		{Name: "x"},
		{Name: "x", Markers: []string{""}},
		{Name: "x", Markers: []string{"a/b"}},
		{Name: "x", Markers: []string{".."}},
		{Name: "x", Markers: []string{"a", "a"}},
		{Name: "x", Markers: []string{"a"}, Manifest: "a"},
	} {
		var ic *ErrInvalidConfig
		assert.ErrorAs(t, bad.Validate(), &ic, "%+v", bad)
	}
}

func TestNewResolverErrors(t *testing.T) {
	ok := Rule{Prefix: "runs/", Profile: MiSeq, Channel: events.ChannelDataSync}
	for name, rules := range map[string][]Rule{
		"none":            nil,
		"no slash":        {{Prefix: "runs", Profile: MiSeq, Channel: events.ChannelDataSync}},
		"absolute":        {{Prefix: "/runs/", Profile: MiSeq, Channel: events.ChannelDataSync}},
		"empty segment":   {{Prefix: "a//b/", Profile: MiSeq, Channel: events.ChannelDataSync}},
		"duplicate":       {ok, ok},
		"bad channel":     {{Prefix: "runs/", Profile: MiSeq, Channel: "usb"}},
		"invalid profile": {{Prefix: "runs/", Profile: Profile{Name: "x"}, Channel: events.ChannelDataSync}},
	} {
		_, err := NewResolver(rules)
		var ic *ErrInvalidConfig
		assert.ErrorAs(t, err, &ic, name)
	}
	// An empty prefix matches everything.
	r, err := NewResolver([]Rule{{Prefix: "", Profile: MiSeq, Channel: events.ChannelFileGateway}})
	require.NoError(t, err)
	loc, err := r.Resolve("run1/RTAComplete.txt")
	require.NoError(t, err)
	assert.Equal(t, RoleMarker, loc.Role)
}

func TestParseRules(t *testing.T) {
	r, err := ParseRules([]byte(`[
		{"prefix":"runs/","profile":"novaseq-x","manifest":"manifest.sha256","channel":"datasync"},
		{"prefix":"quarantine/","profile":"generic","markers":["DONE"],"manifest":"manifest.csv","channel":"transfer","partnered":true}
	]`))
	require.NoError(t, err)
	loc, err := r.Resolve("quarantine/acme/b1/DONE")
	require.NoError(t, err)
	assert.Equal(t, RoleMarker, loc.Role)
	assert.Equal(t, "acme/b1", loc.RunID)
	loc, err = r.Resolve("runs/r1/manifest.sha256")
	require.NoError(t, err)
	assert.Equal(t, RoleManifest, loc.Role)
	assert.Equal(t, events.ChannelDataSync, loc.Channel)

	for _, bad := range []string{
		``, `{}`, `[]`, `[{"prefix":"runs/","profile":"hiseq","channel":"datasync"}]`,
		`[{"prefix":"runs/","profile":"miseq","channel":"datasync","extra":1}]`,
		`[{"prefix":"runs/","profile":"miseq","channel":"datasync"}] []`,
		`[{"prefix":"runs/","profile":"miseq","manifest":"a/b","channel":"datasync"}]`,
		`[{"prefix":"runs/","profile":"generic","channel":"datasync"}]`,
	} {
		_, err := ParseRules([]byte(bad))
		var ic *ErrInvalidConfig
		assert.ErrorAs(t, err, &ic, bad)
	}
}

func TestRoleString(t *testing.T) {
	assert.Equal(t, "data", RoleData.String())
	assert.Equal(t, "marker", RoleMarker.String())
	assert.Equal(t, "manifest", RoleManifest.String())
	assert.Equal(t, "ignore", RoleIgnore.String())
	assert.Equal(t, "Role(9)", Role(9).String())
}

func FuzzResolve(f *testing.F) {
	for _, k := range []string{"runs/r/CopyComplete.txt", "runs/r/a/b", "quarantine/p/d/DONE", "runs/", "runs/../x", "x"} {
		f.Add(k)
	}
	r := testResolver(f)
	f.Fuzz(func(t *testing.T, key string) {
		loc, err := r.Resolve(key)
		if err != nil {
			var nr *ErrNotInRun
			if !errors.As(err, &nr) {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		if loc.RunPrefix+loc.RelPath != key || loc.RunID == "" || !strings.HasSuffix(loc.RunPrefix, "/") {
			t.Fatalf("bad location %+v for %q", loc, key)
		}
	})
}

func TestResolveInBucket(t *testing.T) {
	r, err := ParseRules([]byte(`[
	 {"bucket":"lake-raw","prefix":"runs/","profile":"miseq","channel":"datasync"},
	 {"bucket":"lake-shared","prefix":"runs/","profile":"nextseq","channel":"filegateway"},
	 {"prefix":"runs/","profile":"novaseq-x","channel":"datasync"},
	 {"bucket":"lake-partner","prefix":"quarantine/","profile":"generic","markers":["DONE"],"channel":"transfer","partnered":true}]`))
	require.NoError(t, err)
	for _, tc := range []struct{ bucket, key, profile string }{
		{"lake-raw", "runs/r1/a", "miseq"},
		{"lake-shared", "runs/r1/a", "nextseq"},
		{"other", "runs/r1/a", "novaseq-x"},
	} {
		loc, err := r.ResolveIn(tc.bucket, tc.key)
		require.NoError(t, err, tc.bucket)
		assert.Equal(t, tc.profile, loc.Profile.Name, tc.bucket)
	}
	_, err = r.ResolveIn("lake-raw", "quarantine/acme/b/DONE")
	var nir *ErrNotInRun
	assert.ErrorAs(t, err, &nir, "the partner rule is the partner bucket's only")
	loc, err := r.ResolveIn("lake-partner", "quarantine/acme/b/DONE")
	require.NoError(t, err)
	assert.Equal(t, "acme/b", loc.RunID)

	_, err = ParseRules([]byte(`[{"bucket":"a","prefix":"runs/","profile":"miseq","channel":"datasync"},{"bucket":"a","prefix":"runs/","profile":"miseq","channel":"datasync"}]`))
	var ic *ErrInvalidConfig
	assert.ErrorAs(t, err, &ic)
	_, err = ParseRules([]byte(`[{"bucket":"a/b","prefix":"runs/","profile":"miseq","channel":"datasync"}]`))
	assert.ErrorAs(t, err, &ic)
}

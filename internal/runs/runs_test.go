package runs

import (
	"errors"
	"strings"
	"testing"
	"time"

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
		{key: "runs/miseq/x/manifest.sha256", runID: "x", rel: "manifest.sha256", role: RoleChecksums, profile: "miseq"}, // not the profile's manifest, never data,
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
		name     string
		p        Profile
		s        Progress
		ready    bool
		complete bool
		missing  int
	}{
		{"nothing", nsx, Progress{}, false, false, 5},
		{"markers only", nsx, Progress{Markers: all}, false, false, 2},
		{"manifest not all data", nsx, Progress{Markers: all, ManifestRead: true, Expected: 10, Received: 9}, false, false, 1},
		{"complete", nsx, Progress{Markers: all, ManifestRead: true, Expected: 10, Received: 10}, true, true, 0},
		{"over", nsx, Progress{Markers: all, ManifestRead: true, Expected: 10, Received: 11}, true, true, 0},
		{"duplicate markers one missing", nsx, Progress{Markers: []string{"CopyComplete.txt", "CopyComplete.txt", "RTAComplete.txt"}, ManifestRead: true, Expected: 1, Received: 1}, false, false, 1},
		// A run with no data object is never complete.
		{"empty manifest", nsx, Progress{Markers: all, ManifestRead: true}, false, false, 1},
		{"empty manifest with data", nsx, Progress{Markers: all, ManifestRead: true, Received: 2}, true, true, 0},
		{"markers first, no data", NovaSeqX, Progress{Markers: all}, false, false, 1},
		// Without a manifest, markers and data make a run Ready, never
		// Complete: that needs independent evidence.
		{"no manifest profile", NovaSeqX, Progress{Markers: all, Received: 5}, true, false, 0},
		{"miseq", MiSeq, Progress{Markers: []string{"RTAComplete.txt"}, Received: 1}, true, false, 0},
		{"nextseq wrong marker", NextSeq, Progress{Markers: []string{"RTAComplete.txt"}, Received: 1}, false, false, 1},
		{"generic manifest only", Generic("", "m.csv"), Progress{ManifestRead: true, Expected: 1, Received: 1}, true, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.ready, tc.p.Ready(tc.s))
			assert.Equal(t, tc.complete, tc.p.Complete(tc.s))
			assert.Len(t, tc.p.Missing(tc.s), tc.missing, tc.p.Missing(tc.s))
		})
	}
}

// TestChecksumListsAreNotData: the profile's manifest and well-known
// manifest and checksum-list names at the run root are never data; deeper
// files of those names are.
func TestChecksumListsAreNotData(t *testing.T) {
	p := NovaSeqX.WithManifest("manifest.sha256")
	for rel, want := range map[string]Role{
		"manifest.sha256":            RoleManifest,
		"Manifest.md5":               RoleChecksums,
		"MANIFEST.SHA256":            RoleChecksums,
		"manifest.csv":               RoleChecksums,
		"manifest":                   RoleChecksums,
		"md5sum.txt":                 RoleChecksums,
		"SHA256SUMS.txt":             RoleChecksums,
		"sha256sums.txt":             RoleChecksums,
		"checksums.txt":              RoleChecksums,
		"run.md5":                    RoleChecksums,
		"all files.sha256":           RoleChecksums,
		"Data.sha256sum":             RoleChecksums,
		".md5":                       RoleData,
		"RunInfo.xml":                RoleData,
		"SampleSheet.csv":            RoleData,
		"manifests.txt":              RoleData,
		"Logs/Manifest.md5":          RoleData,
		"Analysis/1/md5sum.txt":      RoleData,
		"Analysis/1/sample.bam.md5":  RoleData,
		"CopyComplete.txt":           RoleMarker,
		"Data/":                      RoleIgnore,
		"sample.fastq.gz":            RoleData,
		"sample.fastq.gz.md5.tmp":    RoleData,
		"Thumbnail_Images/x.jpg.md5": RoleData,
	} {
		assert.Equal(t, want, p.RoleOf(rel), rel)
	}
	// Without a profile manifest, a root Manifest.md5 is still not data.
	assert.Equal(t, RoleChecksums, NovaSeqX.RoleOf("Manifest.md5"))
	assert.Equal(t, RoleChecksums, ParseRole(RoleChecksums.String()))
}

func TestSettleAfterRules(t *testing.T) {
	ok := Rule{Prefix: "drop/", Profile: Generic("DONE", ""), Channel: events.ChannelFileGateway, SettleAfter: time.Hour}
	r, err := NewResolver([]Rule{ok})
	require.NoError(t, err)
	loc, err := r.Resolve("drop/d1/a.txt")
	require.NoError(t, err)
	assert.Equal(t, time.Hour, loc.SettleAfter)
	for name, mut := range map[string]func(*Rule){
		"too short":     func(r *Rule) { r.SettleAfter = time.Minute },
		"too long":      func(r *Rule) { r.SettleAfter = 31 * 24 * time.Hour },
		"with manifest": func(r *Rule) { r.Profile = Generic("DONE", "manifest.sha256") },
		"datasync":      func(r *Rule) { r.Channel = events.ChannelDataSync },
	} {
		bad := ok
		mut(&bad)
		_, err := NewResolver([]Rule{bad})
		var ic *ErrInvalidConfig
		require.ErrorAs(t, err, &ic, name)
		assert.Contains(t, ic.Field, "settleAfter", name)
	}
	r, err = ParseRules([]byte(`[{"prefix":"drop/","profile":"generic","markers":["DONE"],"channel":"filegateway","settleAfterSeconds":3600}]`))
	require.NoError(t, err)
	loc, err = r.Resolve("drop/d1/a.txt")
	require.NoError(t, err)
	assert.Equal(t, time.Hour, loc.SettleAfter)
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

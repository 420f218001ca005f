package golambda

import (
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// echoPkg is the builder's test fixture, a real (tiny) handler.
const echoPkg = ModulePath + "/constructs/internal/golambda/internal/echo"

// buildEcho builds the fixture into a fresh cache and checks the basics.
func buildEcho(t *testing.T) (cache, dir, hash string) {
	t.Helper()
	cache = t.TempDir()
	t.Setenv(CacheEnv, cache)
	start := time.Now()
	dir, hash, err := Build(echoPkg)
	if err != nil {
		t.Fatalf("Build(%s): %v", echoPkg, err)
	}
	t.Logf("build into an empty cache: %s", time.Since(start))
	return cache, dir, hash
}

func TestBuildProducesLambdaBinary(t *testing.T) {
	cache, dir, hash := buildEcho(t)

	if !strings.HasPrefix(dir, cache+string(filepath.Separator)) {
		t.Errorf("dir %s is not inside the cache %s", dir, cache)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "bootstrap" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("asset dir holds %v, want only [bootstrap]", names)
	}
	bin := filepath.Join(dir, "bootstrap")
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("bootstrap mode %v is not executable", fi.Mode())
	}
	t.Logf("binary size: %d bytes (%.1f MiB)", fi.Size(), float64(fi.Size())/(1<<20))

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("bootstrap is not an ELF file: %v", err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Errorf("ELF class %v machine %v type %v, want ELFCLASS64 EM_AARCH64 ET_EXEC", f.Class, f.Machine, f.Type)
	}
	if s := f.Section(".note.go.buildid"); s != nil && s.Size > 0 {
		t.Errorf("binary has a Go build id note (%d bytes); -buildid= should leave none", s.Size)
	}
	if _, err := f.Symbols(); !errors.Is(err, elf.ErrNoSymbols) {
		t.Errorf("binary has a symbol table (err %v); -s should strip it", err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("binary has a dynamic loader (PT_INTERP); CGO_ENABLED=0 should make it static")
		}
	}

	sum, err := fileSHA256(bin)
	if err != nil {
		t.Fatal(err)
	}
	if sum != hash {
		t.Errorf("hash %s, want sha256 of the binary %s", hash, sum)
	}
}

func TestBuildCachesAndIsReproducible(t *testing.T) {
	cache, dir, hash := buildEcho(t)

	// Same process, same cache: memoised.
	start := time.Now()
	dir2, hash2, err := Build(echoPkg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("memoised Build: %s", time.Since(start))
	if dir2 != dir || hash2 != hash {
		t.Errorf("second Build gave %s %s, want %s %s", dir2, hash2, dir, hash)
	}

	// On-disk cache hit (as a new process would see it): go build not run.
	start = time.Now()
	res, err := build(echoPkg, cache)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("on-disk cache hit: %s", time.Since(start))
	if !res.Cached || res.Dir != dir || res.Hash != hash {
		t.Errorf("on-disk look-up gave %+v, want a cache hit at %s with hash %s", res, dir, hash)
	}

	// A second, independent build gives a byte-identical binary.
	other := t.TempDir()
	res2, err := build(echoPkg, other)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Cached {
		t.Fatalf("build into an empty cache %s reported a cache hit", other)
	}
	if res2.Hash != hash {
		t.Errorf("rebuild hash %s, want %s: the build is not reproducible", res2.Hash, hash)
	}
	if filepath.Base(res2.Dir) != filepath.Base(dir) {
		t.Errorf("cache key %s differs from %s for the same inputs", filepath.Base(res2.Dir), filepath.Base(dir))
	}
	leftovers, _ := filepath.Glob(filepath.Join(other, ".build-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary build directories left behind: %v", leftovers)
	}
}

func TestBuildErrors(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	tests := []struct {
		name string
		pkg  string
		want []string
	}{
		{"empty", "", []string{`package ""`, "empty", "accepted"}},
		{"outside module", "github.com/aws/aws-lambda-go/lambda", []string{"outside the github.com/biolake/biolake module"}},
		{"relative", "./internal/echo", []string{"a file path"}},
		{"pattern", ModulePath + "/lambdas/...", []string{"not a single Go import path"}},
		{"missing", ModulePath + "/lambdas/doesnotexist", []string{"cannot load package " + ModulePath + "/lambdas/doesnotexist", "last lines of go's output"}},
		{"not main", ModulePath + "/constructs/internal/cdktest", []string{"package cdktest, not a main package"}},
		{"compile error", ModulePath + "/constructs/internal/golambda/testdata/broken", []string{
			"go build of package " + ModulePath + "/constructs/internal/golambda/testdata/broken failed",
			"last lines of go's output", `"not a number"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Build(tt.pkg)
			if err == nil {
				t.Fatalf("Build(%q) succeeded, want an error", tt.pkg)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not mention %q", err, w)
				}
			}
		})
	}
}

func TestBuildWithoutGo(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	t.Setenv("PATH", "")
	_, _, err := Build(echoPkg)
	if err == nil {
		t.Fatal("Build succeeded with an empty PATH")
	}
	for _, w := range []string{"go command is not on PATH", "Go 1.26", StubContextKey} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\ndoes not mention %q", err, w)
		}
	}
}

// BenchmarkBuildCacheHit measures what a synth pays per handler whose binary
// is already in the on-disk cache: "first" as the first handler of a fresh
// process (go list -m, go env, go list -deps, hashing), "next" for each
// further handler of that process (go list -deps and hashing only).
func BenchmarkBuildCacheHit(b *testing.B) {
	cache := b.TempDir()
	if _, err := build(echoPkg, cache); err != nil {
		b.Fatal(err)
	}
	forget := func() {
		rootMu.Lock()
		clear(roots)
		rootMu.Unlock()
		toolMu.Lock()
		clear(toolchain)
		toolMu.Unlock()
	}
	for _, first := range []bool{true, false} {
		name := map[bool]string{true: "first", false: "next"}[first]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if first {
					forget()
				}
				res, err := build(echoPkg, cache)
				if err != nil || !res.Cached {
					b.Fatalf("cache hit expected: %+v %v", res, err)
				}
			}
		})
	}
}

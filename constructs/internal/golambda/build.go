package golambda

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// CacheEnv names the environment variable that overrides the binary cache
// directory (default: os.UserCacheDir()/biolake/lambda).
const CacheEnv = "BIOLAKE_LAMBDA_CACHE"

// cacheFormat changes whenever the cache layout or the key's recipe does.
const cacheFormat = "golambda-cache-v1"

// targetEnv is the environment every handler is built (and listed) with, on
// top of the process's own. GOFLAGS is cleared so that a user's GOFLAGS
// (-race, -cover, ...) cannot change the binary; GOWORK=off so that the
// module's own go.mod and go.sum decide every version.
var targetEnv = []string{
	"CGO_ENABLED=0",
	"GOOS=linux",
	"GOARCH=arm64",
	"GOARM64=v8.0",
	"GOWORK=off",
	"GOFLAGS=",
}

// buildFlags are the go build flags for every handler (DESIGN.md section 5);
// -mod=readonly keeps the module's go.sum authoritative.
var buildFlags = []string{
	"-mod=readonly",
	"-trimpath",
	"-buildvcs=false",
	"-ldflags=-s -w -buildid=",
	"-tags", "lambda.norpc",
}

// goCommand is the go tool to run; tests point it elsewhere.
var goCommand = "go"

// stderrLines is how many of go's last stderr lines an error carries.
const stderrLines = 20

// Build compiles the handler at import path pkg (a main package inside the
// github.com/biolake/biolake module) for Lambda and returns the directory
// that holds the binary, named bootstrap and nothing else, and the hex sha256
// of the binary. The directory is in the cache (see the package doc) and must
// not be modified. Within one process each package is built or looked up
// once per cache directory; failures are not remembered, so a later call
// tries again.
func Build(pkg string) (dir string, hash string, err error) {
	res, err := buildOnce(pkg)
	if err != nil {
		return "", "", fmt.Errorf("golambda: %w", err)
	}
	return res.Dir, res.Hash, nil
}

// buildOnce is Build, memoised per process and cache directory; its errors
// carry no "golambda:" prefix, so that New can put the construct path first.
func buildOnce(pkg string) (result, error) {
	if err := checkPackage(pkg); err != nil {
		return result{}, fmt.Errorf("package %q is %w", pkg, err)
	}
	cache, err := cacheDir()
	if err != nil {
		return result{}, err
	}
	e := memoEntry(cache + "\x00" + pkg)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return e.res, nil
	}
	res, err := build(pkg, cache)
	if err != nil {
		return result{}, err
	}
	e.res, e.done = res, true
	return res, nil
}

// result is what one build (or cache look-up) gives.
type result struct {
	Dir    string // cache directory holding only bootstrap
	Hash   string // hex sha256 of bootstrap
	Key    string // cache key
	Cached bool   // found in the on-disk cache, go build not run
}

type memo struct {
	mu   sync.Mutex
	done bool
	res  result
}

var (
	memoMu sync.Mutex
	memos  = map[string]*memo{}
)

func memoEntry(key string) *memo {
	memoMu.Lock()
	defer memoMu.Unlock()
	e := memos[key]
	if e == nil {
		e = &memo{}
		memos[key] = e
	}
	return e
}

// cacheDir is $BIOLAKE_LAMBDA_CACHE, else os.UserCacheDir()/biolake/lambda.
func cacheDir() (string, error) {
	if d := os.Getenv(CacheEnv); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no directory for the Lambda binary cache (%v); set %s to one", err, CacheEnv)
	}
	return filepath.Join(base, "biolake", "lambda"), nil
}

// build looks pkg up in the on-disk cache under cache and builds it on a miss.
func build(pkg, cache string) (result, error) {
	goBin, err := lookGo()
	if err != nil {
		return result{}, err
	}
	root, err := moduleRoot(goBin)
	if err != nil {
		return result{}, err
	}
	key, err := cacheKey(goBin, root, pkg)
	if err != nil {
		return result{}, err
	}
	final := filepath.Join(cache, key)
	if res, ok := cached(final, key); ok {
		return res, nil
	}

	if err := os.MkdirAll(cache, 0o755); err != nil {
		return result{}, fmt.Errorf("create the Lambda binary cache: %w (set %s to a writable directory)", err, CacheEnv)
	}
	tmp, err := os.MkdirTemp(cache, ".build-"+key[:12]+"-")
	if err != nil {
		return result{}, fmt.Errorf("create a build directory in the Lambda binary cache: %w (set %s to a writable directory)", err, CacheEnv)
	}
	defer os.RemoveAll(tmp) // gone already after a successful rename
	if err := os.Chmod(tmp, 0o755); err != nil {
		return result{}, err
	}
	args := append([]string{"build"}, buildFlags...)
	args = append(args, "-o", filepath.Join(tmp, "bootstrap"), pkg)
	if _, err := runGo(goBin, root, buildEnv(), args...); err != nil {
		return result{}, fmt.Errorf("go build of package %s failed in %s: %w", pkg, root, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another process may have finished the same build first: the
		// binaries are identical, so use the one in place.
		if res, ok := cached(final, key); ok {
			return res, nil
		}
		return result{}, fmt.Errorf("move the built binary into the cache: %w", err)
	}
	hash, err := fileSHA256(filepath.Join(final, "bootstrap"))
	if err != nil {
		return result{}, fmt.Errorf("hash the built binary: %w", err)
	}
	return result{Dir: final, Hash: hash, Key: key}, nil
}

// cached returns the cache entry in dir if it holds a complete binary.
func cached(dir, key string) (result, bool) {
	bin := filepath.Join(dir, "bootstrap")
	fi, err := os.Stat(bin)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
		return result{}, false
	}
	hash, err := fileSHA256(bin)
	if err != nil {
		return result{}, false
	}
	return result{Dir: dir, Hash: hash, Key: key, Cached: true}, true
}

func lookGo() (string, error) {
	p, err := exec.LookPath(goCommand)
	if err != nil {
		return "", fmt.Errorf("the go command is not on PATH (%v): Go 1.26 or later is needed to synthesize biolake's stacks, "+
			"because each Lambda handler is compiled at synth time; unit tests that need no real assets can set the context key %q to \"true\" instead",
			err, StubContextKey)
	}
	return p, nil
}

// ModuleRoot returns the directory of the biolake module as the go command
// sees it from the process's working directory: this repository's root, or
// the module cache directory in an app that requires the module. Container
// image assets (Dockerfiles under docker/) use it as their build context,
// the way handlers are built from it.
func ModuleRoot() (string, error) {
	goBin, err := lookGo()
	if err != nil {
		return "", fmt.Errorf("golambda: %w", err)
	}
	root, err := moduleRoot(goBin)
	if err != nil {
		return "", fmt.Errorf("golambda: %w", err)
	}
	return root, nil
}

var (
	rootMu sync.Mutex
	roots  = map[string]string{} // working directory -> module root
)

// moduleRoot is the directory of the biolake module as seen from the
// process's working directory: this repository's root, or the module cache
// directory in an app that requires the module.
func moduleRoot(goBin string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	rootMu.Lock()
	defer rootMu.Unlock()
	if r, ok := roots[wd]; ok {
		return r, nil
	}
	out, err := runGo(goBin, wd, os.Environ(), "list", "-m", "-f", "{{.Dir}}", ModulePath)
	if err != nil {
		return "", fmt.Errorf("cannot find the %s module from %s (`go list -m %s`): %w; run the synth inside a Go module that is or requires %s",
			ModulePath, wd, ModulePath, err, ModulePath)
	}
	r := strings.TrimSpace(string(out))
	if r == "" {
		return "", fmt.Errorf("the %s module is required from %s but not downloaded; run `go mod download %s`", ModulePath, wd, ModulePath)
	}
	roots[wd] = r
	return r, nil
}

var (
	toolMu    sync.Mutex
	toolchain = map[string]string{} // module root -> go env lines
)

// toolchainID describes the go tool that builds in root (after any
// GOTOOLCHAIN switch): its version and experiments.
func toolchainID(goBin, root string) (string, error) {
	toolMu.Lock()
	defer toolMu.Unlock()
	if id, ok := toolchain[root]; ok {
		return id, nil
	}
	out, err := runGo(goBin, root, buildEnv(), "env", "GOVERSION", "GOEXPERIMENT", "GOROOT")
	if err != nil {
		return "", fmt.Errorf("go env in %s: %w", root, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	// GOROOT only tells a locally built toolchain ("devel") apart; a release
	// is identified by its version, wherever it is installed.
	if len(lines) == 3 && !strings.HasPrefix(lines[0], "devel") {
		lines = lines[:2]
	}
	id := strings.Join(lines, " ")
	toolchain[root] = id
	return id, nil
}

// listedPackage is the part of `go list -json` output the key needs.
type listedPackage struct {
	ImportPath string
	Name       string
	Dir        string
	Standard   bool
	GoFiles    []string
	SFiles     []string
	HFiles     []string
	SysoFiles  []string
	EmbedFiles []string
	Module     *listedModule
}

type listedModule struct {
	Path    string
	Version string
	Main    bool
	Replace *listedModule
}

// cacheKey hashes everything that decides the binary: toolchain, target,
// flags, package, the main module's go.mod, the source files of every
// dependency in the main module (or a local replacement), and module@version
// of every dependency from the module cache (immutable, so its contents need
// no hashing).
func cacheKey(goBin, root, pkg string) (string, error) {
	tool, err := toolchainID(goBin, root)
	if err != nil {
		return "", err
	}
	out, err := runGo(goBin, root, buildEnv(), "list", "-mod=readonly", "-tags", "lambda.norpc", "-deps",
		"-json=ImportPath,Name,Dir,Standard,GoFiles,SFiles,HFiles,SysoFiles,EmbedFiles,Module", pkg)
	if err != nil {
		return "", fmt.Errorf("cannot load package %s in %s (is the import path right, and is the package in the module?): %w", pkg, root, err)
	}

	h := sha256.New()
	fmt.Fprintf(h, "%s\ngo %s\nenv %s\nflags %q\npkg %s\n", cacheFormat, tool, strings.Join(targetEnv, " "), buildFlags, pkg)
	gomod, err := fileSHA256(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "go.mod %s\n", gomod)

	var target *listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("read go list output for %s: %w", pkg, err)
		}
		if p.ImportPath == pkg {
			pp := p
			target = &pp
		}
		if p.Standard {
			continue
		}
		if m := p.Module; m != nil && !m.Main && (m.Replace == nil || m.Replace.Version != "") {
			fmt.Fprintf(h, "dep %s mod %s@%s", p.ImportPath, m.Path, m.Version)
			if m.Replace != nil {
				fmt.Fprintf(h, " => %s@%s", m.Replace.Path, m.Replace.Version)
			}
			fmt.Fprintln(h)
			continue
		}
		for _, group := range [][]string{p.GoFiles, p.SFiles, p.HFiles, p.SysoFiles, p.EmbedFiles} {
			for _, f := range group {
				sum, err := fileSHA256(filepath.Join(p.Dir, f))
				if err != nil {
					return "", fmt.Errorf("hash the sources of %s: %w", p.ImportPath, err)
				}
				fmt.Fprintf(h, "dep %s file %s %s\n", p.ImportPath, filepath.ToSlash(f), sum)
			}
		}
	}
	if target == nil {
		return "", fmt.Errorf("go list did not report package %s", pkg)
	}
	if target.Name != "main" {
		return "", fmt.Errorf("package %s is package %s, not a main package; a Lambda handler must be package main with a main function that calls lambda.Start", pkg, target.Name)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// buildEnv is the process environment with targetEnv on top.
func buildEnv() []string {
	override := map[string]bool{}
	for _, kv := range targetEnv {
		k, _, _ := strings.Cut(kv, "=")
		override[k] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !override[k] {
			env = append(env, kv)
		}
	}
	return append(env, targetEnv...)
}

// runGo runs go with args in dir and returns its stdout; on failure the error
// carries the exit status and the last lines of stderr.
func runGo(goBin, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command(goBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tail := lastLines(stderr.String(), stderrLines)
		if tail == "" {
			return nil, fmt.Errorf("go %s: %v", args[0], err)
		}
		return nil, fmt.Errorf("go %s: %v; last lines of go's output:\n%s", args[0], err, tail)
	}
	return stdout.Bytes(), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

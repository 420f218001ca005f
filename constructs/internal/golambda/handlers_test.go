package golambda

import (
	"debug/elf"
	"os"
	"path/filepath"
	"testing"
)

// platformHandlers are the platform's real handlers. Each must build with the
// Lambda flags into a static arm64 binary within the size target (15 MB).
var platformHandlers = []string{
	ModulePath + "/lambdas/ingest",
	ModulePath + "/lambdas/verify",
	ModulePath + "/lambdas/restore",
	ModulePath + "/lambdas/transferidp",
	ModulePath + "/lambdas/cacherefresh",
	ModulePath + "/lambdas/gatewayactivate",
	ModulePath + "/lambdas/samples",
	ModulePath + "/lambdas/fsxage",
}

const maxHandlerBytes = 15 << 20

func TestPlatformHandlersBuild(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	for _, pkg := range platformHandlers {
		dir, hash, err := Build(pkg)
		if err != nil {
			t.Fatalf("Build(%s): %v", pkg, err)
		}
		bin := filepath.Join(dir, "bootstrap")
		fi, err := os.Stat(bin)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes, sha256 %s", pkg, fi.Size(), hash)
		if fi.Size() > maxHandlerBytes {
			t.Errorf("%s: binary is %d bytes, over the %d-byte target", pkg, fi.Size(), maxHandlerBytes)
		}
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatalf("%s: not an ELF file: %v", pkg, err)
		}
		if f.Machine != elf.EM_AARCH64 {
			t.Errorf("%s: machine %v, want EM_AARCH64", pkg, f.Machine)
		}
		f.Close()
	}
}

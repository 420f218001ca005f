package golambda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// stubContent is the whole of a stub asset's bootstrap file.
const stubContent = "stub asset for tests\n"

var (
	stubOnce sync.Once
	stubDir  string
	stubErr  error
)

// stubAsset returns a directory holding a placeholder bootstrap, written once
// per process, and an asset hash that depends on the package path only, so
// snapshot tests see the same hash on every machine and Go version.
func stubAsset(pkg string) (dir, hash string, err error) {
	stubOnce.Do(func() { stubDir, stubErr = writeStub() })
	if stubErr != nil {
		return "", "", stubErr
	}
	sum := sha256.Sum256([]byte("biolake golambda stub\x00" + pkg))
	return stubDir, hex.EncodeToString(sum[:]), nil
}

func writeStub() (string, error) {
	dir, err := os.MkdirTemp("", "biolake-lambda-stub-")
	if err != nil {
		return "", fmt.Errorf("create the stub Lambda asset: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", fmt.Errorf("create the stub Lambda asset: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(stubContent), 0o755); err != nil {
		return "", fmt.Errorf("create the stub Lambda asset: %w", err)
	}
	return dir, nil
}

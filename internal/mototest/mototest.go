// Package mototest starts moto_server (a local AWS API emulator, pip package
// "moto[server]") on a loopback port for integration tests, once per test
// binary.
//
//	func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }
//	func TestX(t *testing.T) { endpoint := mototest.Endpoint(t) ... }
//
// When moto_server is not on PATH the tests that need it are skipped, unless
// BIOLAKE_REQUIRE_MOTO=1 (as in CI), which makes them fail.
package mototest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

var (
	once     sync.Once
	endpoint string
	startErr error
	cmd      *exec.Cmd
)

// Main runs the tests and stops moto_server if it was started.
func Main(m *testing.M) int {
	code := m.Run()
	if cmd != nil && cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
	}
	return code
}

// Endpoint returns the URL of a running moto_server, starting it on first use.
func Endpoint(t testing.TB) string {
	t.Helper()
	once.Do(start)
	if startErr != nil {
		if os.Getenv("BIOLAKE_REQUIRE_MOTO") == "1" {
			t.Fatalf("moto_server: %v", startErr)
		}
		t.Skipf("moto_server unavailable: %v", startErr)
	}
	return endpoint
}

// Config returns an aws.Config for moto: fixed region and dummy credentials.
func Config() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
}

func start() {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		startErr = err
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		startErr = err
		return
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Stdout, c.Stderr = nil, nil
	if err := c.Start(); err != nil {
		startErr = err
		return
	}
	cmd = c
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			endpoint = url
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	startErr = fmt.Errorf("moto_server did not answer on %s within 30s", url)
}

var nameSeq atomic.Int64

// Name returns prefix made unique for this moto_server: the process id and
// a sequence number, so that tables, buckets and queues of repeated runs
// (go test -count=N) and of other test binaries never collide. It is
// lower-case and short enough for a bucket name when prefix is at most 40
// characters.
func Name(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), nameSeq.Add(1))
}

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
	"io"
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

// Main runs the tests and stops moto_server if it was started. Then it
// writes (-update) or checks the AWS calls the tests recorded (Record): a
// run of every test whose calls differ from the committed file fails.
func Main(m *testing.M) int {
	defineUpdate()
	code := m.Run()
	if cmd != nil && cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
	}
	if code == 0 {
		if problems := checkCalls(updating(), fullRun()); len(problems) > 0 {
			for _, p := range problems {
				fmt.Fprintln(os.Stderr, "FAIL: "+p)
			}
			code = 1
		}
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

// Config returns an aws.Config for moto: fixed region and dummy
// credentials. Its clients record the calls made with a Recorder's context.
func Config() aws.Config {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
	RecordCalls(&cfg)
	return cfg
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

// BreakingClient is an HTTP client for SDK clients (Options.HTTPClient)
// that cuts the body of the first response to a request matching match
// after n bytes, as a dropped connection would: the reader gets an error
// in the middle of the body. Later responses are whole.
func BreakingClient(match func(*http.Request) bool, n int64) *http.Client {
	return &http.Client{Transport: &breakingTransport{match: match, n: n}}
}

type breakingTransport struct {
	match func(*http.Request) bool
	n     int64
	done  atomic.Bool
}

func (b *breakingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !b.match(req) || !b.done.CompareAndSwap(false, true) {
		return resp, err
	}
	resp.Body = &cutBody{r: resp.Body, left: b.n}
	return resp, nil
}

type cutBody struct {
	r    io.ReadCloser
	left int64
}

func (c *cutBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cutBody) Close() error { return c.r.Close() }

package gatewayactivate_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/biolake/biolake/internal/gatewayactivate"
)

// FuzzEvent: no input makes the parser or the handlers panic, and a
// parsed event either gives checked properties or an error.
func FuzzEvent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"RequestType":"Create","ResourceProperties":{"CacheDiskGiB":1e308}}`))
	f.Add([]byte(`{"RequestType":"Delete","PhysicalResourceId":"i-0123456789abcdef0","ResourceProperties":null}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := gatewayactivate.ParseEvent(raw)
		if err != nil {
			if e != nil {
				t.Fatal("an error and an event")
			}
		} else if p, err := e.Properties(); err == nil {
			if p.InstanceID == "" || p.Region == "" || p.VPCEndpoint == "" || p.CacheDiskGiB < gatewayactivate.MinCacheDiskGiB || !p.InstanceIP.Is4() {
				t.Fatalf("accepted incomplete properties %+v", p)
			}
		}
		env := newEnv()
		env.h.KeyTimeout = 1
		_, _ = env.h.OnEvent(context.Background(), raw)
		_, _ = env.h.IsComplete(context.Background(), raw)
	})
}

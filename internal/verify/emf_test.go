package verify

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

// The "run ingested" line is an EMF record: CloudWatch Logs reads the
// metric values from the members the _aws directive names.
func TestEMFAttrs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	now := time.UnixMilli(1767225600123)
	log.Info("run ingested", emfAttrs(now, 42, 7<<30)...)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	aws, _ := rec["_aws"].(map[string]any)
	if aws == nil || aws["Timestamp"] != float64(1767225600123) {
		t.Fatalf("no _aws directive with the timestamp: %s", buf.String())
	}
	cwm := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if cwm["Namespace"] != MetricNamespace {
		t.Errorf("namespace %v", cwm["Namespace"])
	}
	if dims, _ := json.Marshal(cwm["Dimensions"]); string(dims) != "[[]]" {
		t.Errorf("dimensions %s", dims)
	}
	for _, m := range cwm["Metrics"].([]any) {
		name := m.(map[string]any)["Name"].(string)
		if _, ok := rec[name]; !ok {
			t.Errorf("metric %s has no value member: %s", name, buf.String())
		}
	}
	if rec[MetricVerifiedBytes] != float64(7<<30) || rec[MetricVerifiedObjects] != 42.0 {
		t.Errorf("values: %s", buf.String())
	}
}

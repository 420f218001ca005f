package lustre_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// MetricFreeStorage resolves to the standing file system of its stack;
// per-run Lustre has none.
func TestMetricFreeStorage(t *testing.T) {
	f := load(t)
	for _, stack := range []string{"Persistent", "Compute", "Scratch"} {
		id, _ := f.Res(t, stack, "Lustre/FileSystem")
		want := cdktest.Want("AWS/FSx", "FreeDataStorageCapacity", "Sum", 60, `{"FileSystemId":`+cdktest.Ref(id)+`}`)
		if got := cdktest.Shape(t, f.Stacks[stack], f.l[stack].MetricFreeStorage(nil)); got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", stack, got, want)
		}
	}
	got := cdktest.Shape(t, f.Stacks["Persistent"], f.l["Persistent"].MetricFreeStorage(&awscloudwatch.MetricOptions{Statistic: jsii.String("Minimum")}))
	if got.Statistic != "Minimum" || got.Period != 60 {
		t.Errorf("options: %+v", got)
	}
	if m := f.l["PerRun"].MetricFreeStorage(nil); m != nil {
		t.Errorf("per-run Lustre has a free-storage metric: %v", m)
	}
}

package lustre_test

import (
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/lustre"
)

func TestValidateSettings(t *testing.T) {
	good := []lustre.Props{
		{},
		{StorageCapacityGiB: 4800, ThroughputPerTiB: 1000, BackupRetentionDays: 90},
		{DeploymentType: lustre.Scratch2, StorageCapacityGiB: 2400, DataCompression: lustre.CompressionNone},
		{Mode: lustre.ModePerRun, RawPrefix: "runs/x", ResultsPrefix: "hpc/"},
	}
	for i, p := range good {
		if err := p.ValidateSettings(); err != nil {
			t.Errorf("good settings %d refused: %v", i, err)
		}
	}
	cases := []struct {
		name string
		p    lustre.Props
		want []string
	}{
		{"bad capacity", lustre.Props{StorageCapacityGiB: 1800}, []string{"Props.StorageCapacityGiB is 1800", "1200 or a multiple of 2400"}},
		{"capacity 3600", lustre.Props{StorageCapacityGiB: 3600}, []string{"Props.StorageCapacityGiB is 3600"}},
		{"throughput not in list", lustre.Props{ThroughputPerTiB: 200}, []string{"Props.ThroughputPerTiB is 200", "125, 250, 500, 1000"}},
		{"throughput with scratch", lustre.Props{DeploymentType: lustre.Scratch2, ThroughputPerTiB: 250}, []string{"Props.ThroughputPerTiB is 250", "SCRATCH_2"}},
		{"backups with scratch", lustre.Props{DeploymentType: lustre.Scratch2, BackupRetentionDays: 7}, []string{"Props.BackupRetentionDays is 7", "does not back up scratch"}},
		{"backup retention", lustre.Props{BackupRetentionDays: 91}, []string{"Props.BackupRetentionDays is 91", "1 to 90"}},
		{"persistent 1", lustre.Props{DeploymentType: "PERSISTENT_1"}, []string{"Props.DeploymentType is \"PERSISTENT_1\"", "PERSISTENT_2 or SCRATCH_2"}},
		{"bad mode", lustre.Props{Mode: "none"}, []string{"Props.Mode is \"none\"", "per-run"}},
		{"per-run capacity", lustre.Props{Mode: lustre.ModePerRun, StorageCapacityGiB: 1200}, []string{"Props.StorageCapacityGiB is 1200", "RunProps"}},
		{"per-run type", lustre.Props{Mode: lustre.ModePerRun, DeploymentType: lustre.Persistent2}, []string{"Props.DeploymentType is \"PERSISTENT_2\""}},
		{"bad prefix", lustre.Props{RawPrefix: "/runs"}, []string{"Props.RawPrefix is \"/runs\""}},
		{"dotdot prefix", lustre.Props{ResultsPrefix: "a/../b"}, []string{"Props.ResultsPrefix is \"a/../b\""}},
		{"log retention", lustre.Props{LogRetentionDays: 42}, []string{"Props.LogRetentionDays is 42"}},
		{"compression", lustre.Props{DataCompression: "GZIP"}, []string{"Props.DataCompression is \"GZIP\"", "LZ4 or NONE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.ValidateSettings()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			cdktest.HasField(t, err, "", strings.SplitN(c.want[0], " is ", 2)[0])
		})
	}
}

func TestValidateRequired(t *testing.T) {
	var nilProps *lustre.Props
	err := nilProps.Validate()
	cdktest.HasField(t, err, "", "Props")
	if !strings.Contains(err.Error(), "Props is nil; accepted: props with Network, Lake and ClientSecurityGroup set") {
		t.Errorf("nil props: %v", err)
	}
	err = (&lustre.Props{DeploymentType: lustre.Scratch2}).Validate()
	cdktest.HasField(t, err, "", "Props.Lake")
	for _, w := range []string{"Props.Network is nil", "Props.Lake is nil", "Props.ClientSecurityGroup is nil"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}

func runProps() lustre.RunProps {
	return lustre.RunProps{
		RunID: "20260101_A0001", InputPrefix: "runs/novaseq1/20260101_A0001", Project: "oncology", Partner: "cro-a",
		RawBucket: "raw-bucket", ResultsBucket: "results-bucket", ResultsPrefix: "lustre",
		SubnetID: "subnet-0123", SecurityGroupID: "sg-0123", LogGroupArn: "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/fsx/x",
	}
}

func TestRunRequests(t *testing.T) {
	r := runProps()
	fs := lustre.RunFileSystemRequest(r)
	want := `{"ClientRequestToken":"20260101_A0001","FileSystemType":"LUSTRE","FileSystemTypeVersion":"2.15",` +
		`"LustreConfiguration":{"DataCompressionType":"LZ4","DeploymentType":"SCRATCH_2","LogConfiguration":{"Destination":"arn:aws:logs:eu-west-1:111122223333:log-group:/aws/fsx/x","Level":"WARN_ERROR"}},` +
		`"SecurityGroupIds":["sg-0123"],"StorageCapacity":1200,"StorageType":"SSD","SubnetIds":["subnet-0123"],` +
		`"Tags":[{"Key":"biolake:managed-by","Value":"workflow"},{"Key":"runId","Value":"20260101_A0001"},{"Key":"project","Value":"oncology"},{"Key":"partner","Value":"cro-a"}]}`
	if g := js(fs); g != want {
		t.Errorf("RunFileSystemRequest =\n%s\nwant\n%s", g, want)
	}
	if _, ok := fs["KmsKeyId"]; ok {
		t.Error("scratch request has a KmsKeyId")
	}
	dras := lustre.RunAssociationRequests(r, "fs-0123")
	if len(dras) != 2 {
		t.Fatalf("%d associations", len(dras))
	}
	if g := js(dras[0]); !strings.Contains(g, `"DataRepositoryPath":"s3://raw-bucket/runs/novaseq1/20260101_A0001/"`) ||
		!strings.Contains(g, `"S3":{"AutoImportPolicy":{"Events":["NEW","CHANGED"]}}`) || strings.Contains(g, "Export") {
		t.Errorf("raw association %s", g)
	}
	if g := js(dras[1]); !strings.Contains(g, `"DataRepositoryPath":"s3://results-bucket/lustre/20260101_A0001/"`) ||
		!strings.Contains(g, `"S3":{"AutoExportPolicy":{"Events":["NEW","CHANGED"]}}`) || strings.Contains(g, "DELETED") {
		t.Errorf("results association %s", g)
	}
	if g := js(lustre.RunExportRequest(r, "fs-0123")); !strings.Contains(g, `"Type":"EXPORT_TO_REPOSITORY"`) || !strings.Contains(g, `"Paths":["results"]`) {
		t.Errorf("export request %s", g)
	}
}

func TestRunPropsValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(r *lustre.RunProps)
		want string
	}{
		{"run id", func(r *lustre.RunProps) { r.RunID = "run 1" }, `RunProps.RunID is "run 1"`},
		{"long run id", func(r *lustre.RunProps) { r.RunID = strings.Repeat("a", 64) }, "RunProps.RunID"},
		{"no input", func(r *lustre.RunProps) { r.InputPrefix = "" }, `RunProps.InputPrefix is ""`},
		{"bad input", func(r *lustre.RunProps) { r.InputPrefix = "../x" }, `RunProps.InputPrefix is "../x"`},
		{"no subnet", func(r *lustre.RunProps) { r.SubnetID = "" }, `RunProps.SubnetID is ""`},
		{"capacity", func(r *lustre.RunProps) { r.StorageCapacityGiB = 1000 }, "RunProps.StorageCapacityGiB is 1000"},
		{"compression", func(r *lustre.RunProps) { r.DataCompression = "ZSTD" }, `RunProps.DataCompression is "ZSTD"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runProps()
			c.edit(&r)
			err := r.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v lacks %q", err, c.want)
			}
		})
	}
	if err := runProps().Validate(); err != nil {
		t.Errorf("good run props refused: %v", err)
	}
}

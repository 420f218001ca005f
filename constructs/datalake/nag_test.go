package datalake_test

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/secure"
)

// gated is a second App, held to the cdk-nag packs: the data lake with
// every option (vault lock, replication with time control, archive tiers),
// its replica, and the default data lake. It is synthesized once into its
// cloud assembly directory.
var (
	gatedOnce sync.Once
	gatedDir  string
	gatedErr  string
)

func gatedAssembly(t *testing.T) string {
	t.Helper()
	gatedOnce.Do(func() {
		app := cdktest.NewApp(nil)
		nag.Apply(app)
		env := func(region string) *awscdk.StackProps {
			return &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}}
		}
		replicaStack := awscdk.NewStack(app, jsii.String("GatedReplica"), env("eu-west-1"))
		replica := datalake.NewReplica(replicaStack, "RawReplica", &datalake.ReplicaProps{ObjectLockMode: secure.LockCompliance, ObjectLockDays: 2557})
		full := awscdk.NewStack(app, jsii.String("GatedFull"), env("us-east-1"))
		datalake.New(full, "DataLake", &datalake.Props{
			ObjectLockMode:         secure.LockCompliance,
			ObjectLockDays:         2557,
			BackupVaultLock:        true,
			BackupVaultLockMaxDays: 365,
			Tiering: datalake.Tiering{
				datalake.BucketCurated: {IntelligentTiering: &datalake.IntelligentTieringArchive{ArchiveAccessDays: 180, DeepArchiveAccessDays: 365}},
			},
			Replication: &datalake.Replication{Region: "eu-west-1", Replica: replica, TimeControl: true},
		})
		def := awscdk.NewStack(app, jsii.String("GatedDefault"), nil)
		datalake.New(def, "DataLake", nil)
		gatedErr, _ = cdktest.Catch(func() { app.Synth(nil) })
		gatedDir = *app.Outdir()
		// DATALAKE_KEEP_ASSEMBLY=dir keeps a copy of the assembly to look at.
		if keep := os.Getenv("DATALAKE_KEEP_ASSEMBLY"); keep != "" {
			_ = os.CopyFS(keep, os.DirFS(gatedDir))
		}
	})
	if gatedErr != "" {
		report, _ := os.ReadFile(filepath.Join(gatedDir, "validation-report.json"))
		t.Fatalf("synth with the nag packs failed: %s\n%s", gatedErr, report)
	}
	return gatedDir
}

// TestNagFindings: zero unsuppressed findings of any level in any pack, and
// a report from every pack for every stack.
func TestNagFindings(t *testing.T) {
	dir := gatedAssembly(t)
	var suppressed []string
	for _, stack := range []string{"GatedReplica", "GatedFull", "GatedDefault"} {
		for _, pack := range nag.Packs {
			// <pack>-<stage path>-<stack>: no stage here, hence "--".
			file := filepath.Join(dir, pack+"--"+stack+"-NagReport.csv")
			f, err := os.Open(file)
			if err != nil {
				t.Errorf("%s: no %s report: %v", stack, pack, err)
				continue
			}
			rows, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil || len(rows) < 2 {
				t.Fatalf("%s: %v (%d rows)", file, err, len(rows))
			}
			for _, r := range rows[1:] {
				switch r[2] {
				case "Non-Compliant":
					t.Errorf("%s %s %s: %s", stack, r[4], r[0], r[1])
				case "Suppressed":
					suppressed = append(suppressed, r[0]+"  "+strings.TrimPrefix(r[1], stack+"/")+"  "+r[3])
				}
			}
		}
	}
	sort.Strings(suppressed)
	t.Logf("suppressed findings (%d):\n%s", len(suppressed), strings.Join(dedupe(suppressed), "\n"))
}

// TestCfnLint runs cfn-lint with the repository's settings over the
// templates of the gated App.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed (pip install cfn-lint)")
	}
	dir := gatedAssembly(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if len(files) != 3 {
		t.Fatalf("want 3 templates, got %v", files)
	}
	rc, _ := filepath.Abs("../../.cfnlintrc")
	args := append([]string{"--config-file", rc, "--format", "parseable", "--"}, files...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// synth builds the app as main does, with this directory's cdk.json context
// and stub handler assets (a test need not cross-compile the handlers;
// scripts/consumer.sh synthesizes with real ones), into a temporary
// directory, and returns it.
func synth(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	cfg.Context["biolake:stubLambdaAssets"] = true
	dir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir), Context: &cfg.Context})
	build(app)
	app.Synth(nil)
	return dir
}

func resources(t *testing.T, dir, stack string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, stack+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct{ Type string } `json:"Resources"`
	}
	if err := json.Unmarshal(data, &tpl); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range tpl.Resources {
		n[r.Type]++
	}
	return n
}

func TestApp(t *testing.T) {
	dir := synth(t)

	t.Run("cdk-nag", func(t *testing.T) {
		for _, stack := range []string{"LabPlatform", "LabOnExisting"} {
			for _, pack := range []string{"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5"} {
				f, err := os.Open(filepath.Join(dir, pack+"--"+stack+"-NagReport.csv"))
				if err != nil {
					t.Errorf("%s: no %s report: %v", stack, pack, err)
					continue
				}
				rows, err := csv.NewReader(f).ReadAll()
				f.Close()
				if err != nil || len(rows) < 2 {
					t.Fatalf("%s %s report: %v (%d rows)", stack, pack, err, len(rows))
				}
				for _, r := range rows[1:] {
					if r[2] == "Non-Compliant" {
						t.Errorf("%s: unsuppressed %s %s on %s", stack, pack, r[0], r[1])
					}
				}
			}
		}
	})

	t.Run("own resources", func(t *testing.T) {
		n := resources(t, dir, "LabPlatform")
		for _, typ := range []string{"AWS::EC2::VPC", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Transfer::Server", "AWS::Batch::JobQueue", "AWS::StepFunctions::StateMachine", "AWS::Events::Rule"} {
			if n[typ] == 0 {
				t.Errorf("LabPlatform has no %s", typ)
			}
		}
		// The workflow runs without the event glue: no catalog table.
		if n["AWS::DynamoDB::Table"] != 0 {
			t.Errorf("LabPlatform has %d DynamoDB tables; a workflow without the event glue needs none", n["AWS::DynamoDB::Table"])
		}
	})

	t.Run("existing resources are not created", func(t *testing.T) {
		n := resources(t, dir, "LabOnExisting")
		for _, typ := range []string{"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::VPCEndpoint", "AWS::S3::Bucket"} {
			if n[typ] != 0 {
				t.Errorf("LabOnExisting creates %d %s; the lab's own should be used", n[typ], typ)
			}
		}
		for _, typ := range []string{"AWS::Transfer::Server", "AWS::Batch::JobQueue"} {
			if n[typ] == 0 {
				t.Errorf("LabOnExisting has no %s", typ)
			}
		}
		data, _ := os.ReadFile(filepath.Join(dir, "LabOnExisting.template.json"))
		for _, want := range []string{ExampleExisting.VpcID, ExampleExisting.SubnetIDs[0], ExampleExisting.DataKeyArn, "lab-cro-uploads"} {
			if !strings.Contains(string(data), want) {
				t.Errorf("LabOnExisting never refers to %s", want)
			}
		}
	})
}

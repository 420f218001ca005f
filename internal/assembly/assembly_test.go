package assembly

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadMetadataFile: CDK writes a stack's metadata to a file of its own
// (additionalMetadataFile); its error annotations and logical ids count as
// those in the manifest do.
func TestReadMetadataFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"manifest.json": `{"artifacts":{"assembly-lab":{"type":"cdk:cloud-assembly","properties":{"directoryName":"assembly-lab"}}}}`,
		"assembly-lab/manifest.json": `{"artifacts":{"labIngest":{"type":"aws:cloudformation:stack","environment":"aws://unknown-account/unknown-region",
			"additionalMetadataFile":"labIngest.metadata.json",
			"metadata":{"/lab/Ingest/Inline":[{"type":"aws:cdk:error","data":"inline finding"}]},
			"properties":{"templateFile":"labIngest.template.json","stackName":"lab-Ingest"}}}}`,
		"assembly-lab/labIngest.template.json": `{"Resources":{"DataSyncAgent":{"Type":"AWS::DataSync::Agent"}}}`,
		"assembly-lab/labIngest.metadata.json": `{"/lab/Ingest/DataSync/Agent":[{"type":"aws:cdk:logicalId","data":"DataSyncAgent"},
			{"type":"aws:cdk:error","data":"AwsSolutions-X1: a finding"}]}`,
	}
	for name, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := a.Stacks["lab"][0]
	if got := st.Paths["DataSyncAgent"]; got != "lab/Ingest/DataSync/Agent" {
		t.Errorf("path of DataSyncAgent %q, want lab/Ingest/DataSync/Agent", got)
	}
	want := []string{"/lab/Ingest/DataSync/Agent: AwsSolutions-X1: a finding", "/lab/Ingest/Inline: inline finding"}
	if got := a.Errors["lab"]; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("errors %q, want %q (the metadata file's and the manifest's)", got, want)
	}
}

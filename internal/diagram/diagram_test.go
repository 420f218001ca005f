package diagram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/biolake/biolake/internal/assembly"
)

// res is one fixture resource: its type and construct path below the stack.
type res struct{ typ, path string }

// fixture writes a cloud assembly with one Stage "lab" holding the given
// stacks (short name -> resources) and reads it back.
func fixture(t *testing.T, stacks map[string][]res) *assembly.Assembly {
	t.Helper()
	dir := t.TempDir()
	stage := filepath.Join(dir, "assembly-lab")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path string, v any) {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "manifest.json"), map[string]any{"artifacts": map[string]any{
		"assembly-lab": map[string]any{"type": "cdk:cloud-assembly", "properties": map[string]any{"directoryName": "assembly-lab"}},
	}})
	arts := map[string]any{}
	for short, list := range stacks {
		resources := map[string]any{}
		// Paths as every synth writes them (aws:cdk:logicalId metadata in
		// the artifact's metadata file), and for the Network stack as the
		// CLI also writes them (aws:cdk:path in the template).
		md := map[string]any{}
		for i, r := range list {
			id := fmt.Sprintf("R%02d", i)
			m := map[string]any{"Type": r.typ}
			if short == "Network" {
				m["Metadata"] = map[string]any{"aws:cdk:path": "lab/" + short + "/" + r.path}
			} else {
				md["/lab/"+short+"/"+r.path] = []any{map[string]any{"type": "aws:cdk:logicalId", "data": id}}
			}
			if r.typ == "AWS::StepFunctions::StateMachine" && strings.HasPrefix(r.path, "WorkflowPerRun/") {
				m["Properties"] = map[string]any{"DefinitionString": map[string]any{"Fn::Join": []any{"", []any{`{"Resource":"arn:`, map[string]any{"Ref": "AWS::Partition"}, `:states:::aws-sdk:fsx:createFileSystem"}`}}}}
			}
			if r.typ == "AWS::S3::Bucket" && strings.HasSuffix(r.path, "Raw/Resource") {
				m["Properties"] = map[string]any{"LifecycleConfiguration": map[string]any{"Rules": []any{
					map[string]any{"Transitions": []any{map[string]any{"StorageClass": "GLACIER_IR"}, map[string]any{"StorageClass": "DEEP_ARCHIVE"}}},
				}}}
			}
			resources[id] = m
		}
		file := "lab" + short + ".template.json"
		write(filepath.Join(stage, file), map[string]any{"Resources": resources})
		write(filepath.Join(stage, "lab"+short+".metadata.json"), md)
		arts["lab"+short] = map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
			"additionalMetadataFile": "lab" + short + ".metadata.json",
			"properties":             map[string]any{"templateFile": file, "stackName": "lab-" + short}}
	}
	write(filepath.Join(stage, "manifest.json"), map[string]any{"artifacts": arts})
	a, err := assembly.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// lab is a small environment: DataSync but no Transfer, File Gateway or
// Lustre, one workflow, Athena, and a construct the picture does not know.
var lab = map[string][]res{
	"Network": {
		{"AWS::EC2::VPC", "Network/Vpc/Resource"},
		{"AWS::EC2::Subnet", "Network/Vpc/privateSubnet1/Subnet"},
		{"AWS::EC2::VPCEndpoint", "Network/Vpc/S3Endpoint/Resource"},
		{"AWS::IAM::Role", "Custom::VpcRestrictDefaultSGCustomResourceProvider/Role"},
		{"AWS::Lambda::Function", "Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler"},
	},
	"Ingest": {
		{"AWS::DataSync::Agent", "DataSync/Agent"},
		{"AWS::DataSync::Task", "DataSync/Source-novaseqx/Task"},
		{"AWS::IAM::Role", "DataSync/ReportRole/Resource"},
	},
	"DataLake": {
		{"AWS::KMS::Key", "DataLake/DataKey/Resource"},
		{"AWS::S3::Bucket", "DataLake/Raw/Resource"},
		{"AWS::S3::BucketPolicy", "DataLake/Raw/Policy/Resource"},
		{"AWS::S3::Bucket", "DataLake/Results/Resource"},
		{"AWS::S3::Bucket", "DataLake/Curated/Resource"},
		{"AWS::S3::Bucket", "DataLake/Analytics/Resource"},
		{"AWS::S3::Bucket", "DataLake/AthenaResults/Resource"},
		{"AWS::CDK::Metadata", "CDKMetadata/Default"},
	},
	"EventGlue": {
		{"AWS::Events::EventBus", "EventGlue/Bus/Resource"},
		{"AWS::DynamoDB::Table", "EventGlue/Catalog/Resource"},
		{"AWS::SQS::Queue", "EventGlue/IngestQueue/Resource"},
		{"AWS::Lambda::Function", "EventGlue/Ingest/Resource"},
		{"AWS::Lambda::Function", "EventGlue/Verify/Resource"},
		{"AWS::StepFunctions::StateMachine", "EventGlue/VerifyStateMachine/Resource"},
		{"AWS::SNS::Topic", "EventGlue/AlarmTopic/Resource"},
	},
	"Compute": {
		{"AWS::Batch::JobQueue", "Batch/QueueDefault/Resource"},
		{"AWS::Batch::JobQueue", "Batch/QueueGpu/Resource"},
		{"AWS::StepFunctions::StateMachine", "Workflowgermline/StateMachine/Resource"},
		{"AWS::CloudWatch::Alarm", "Workflowgermline/ExecutionsFailedAlarm/Resource"},
	},
	"Analytics": {
		{"AWS::Glue::Database", "Analytics/Database"},
		{"AWS::Athena::WorkGroup", "Analytics/WorkGroup"},
		{"AWS::CloudWatch::Dashboard", "Observability/Dashboard/Resource"},
	},
}

func dotOf(t *testing.T, g *Graph) string {
	t.Helper()
	var b bytes.Buffer
	if err := g.WriteDOT(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestBuildOneClusterPerStack(t *testing.T) {
	g, err := Build(fixture(t, lab), "lab")
	if err != nil {
		t.Fatal(err)
	}
	dot := dotOf(t, g)
	clusters := regexp.MustCompile(`label="stack (lab-[A-Za-z]+) \((\d+) resources\)"`).FindAllStringSubmatch(dot, -1)
	var got []string
	for _, c := range clusters {
		got = append(got, c[1]+" "+c[2])
	}
	want := []string{"lab-Analytics 3", "lab-Compute 4", "lab-DataLake 7", "lab-EventGlue 7", "lab-Ingest 3", "lab-Network 5"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("clusters %v, want %v", got, want)
	}
	if n := strings.Count(dot, "subgraph cluster_"); n != len(want) {
		t.Errorf("%d clusters, want %d (every capability's stack exists, so no cluster of absent parts)", n, len(want))
	}
}

func TestBuildEveryCapabilityVisible(t *testing.T) {
	g, err := Build(fixture(t, lab), "lab")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(g.Present()); got != "[1 2 5 7 8]" {
		t.Errorf("present capabilities %s, want [1 2 5 7 8]", got)
	}
	dot := dotOf(t, g)
	for _, c := range Capabilities {
		if !strings.Contains(dot, fmt.Sprintf(`label="%d · `, c.N)) {
			t.Errorf("capability %d has no box in the picture", c.N)
		}
	}
	for id, hint := range map[string]string{"transfer": "transfer.partners", "filegateway": "fileGateway", "lustre": "compute.lustre.mode", "sagemaker": "not built yet"} {
		n := g.Node(id)
		if n == nil || !n.Placeholder || !strings.Contains(n.Detail, hint) {
			t.Errorf("%s: want a placeholder saying %q, got %+v", id, hint, n)
		}
	}
	if n := g.Node("transfer"); n != nil && n.Stack != "lab-Ingest" {
		t.Errorf("the Transfer placeholder is in %q, want lab-Ingest (the README's stack)", n.Stack)
	}
}

func TestBuildFoldsSupportingResources(t *testing.T) {
	g, err := Build(fixture(t, lab), "lab")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id        string
		resources int
		detail    string
	}{
		{"datasync", 3, "Agent · Task"},                     // the role is folded in
		{"raw", 2, "lifecycle to GLACIER_IR, DEEP_ARCHIVE"}, // bucket and policy
		{"lakeanalytics", 2, "2 Bucket"},                    // two buckets, one box
		{"verify", 2, "Function · StateMachine"},            // Verify and VerifyStateMachine
		{"ingest", 2, "Function"},                           // the queue is folded in
		{"batch", 2, "2 JobQueue"},                          //
		{"workflow-germline", 2, "StateMachine"},            // the alarm is folded in
		{"vpc", 2, "Subnet · VPC"},                          // the provider is left out
		{"x-Analytics-Observability", 1, "Dashboard"},       // a construct the picture does not know
		{"athena", 2, "Database · WorkGroup"},               //
		{"endpoints", 1, "VPCEndpoint"},                     //
		{"catalog", 1, "Table"},                             //
		{"bus", 1, "EventBus"},                              //
		{"curated", 1, ""},                                  // a bucket box does not repeat "Bucket"
		{"results", 1, ""},                                  //
		{"instrument", 0, ""},                               // people and places outside AWS
		{"scientists", 0, ""},                               //
		{"transfer", 0, "not in lab: set transfer.partners\nin environments/lab.yaml"}, //
	} {
		n := g.Node(c.id)
		if n == nil {
			t.Errorf("no node %s", c.id)
			continue
		}
		if n.Resources != c.resources || n.Detail != c.detail {
			t.Errorf("%s: %d resources, detail %q; want %d, %q", c.id, n.Resources, n.Detail, c.resources, c.detail)
		}
	}
	// Only supporting resources: no box of their own.
	for _, id := range []string{"glue", "lake", "security"} {
		if g.Node(id) != nil {
			t.Errorf("node %s is drawn though it holds only supporting resources", id)
		}
	}
}

// TestBuildPerRunLustre: a workflow that creates its own file system puts
// FSx for Lustre in the picture though no template declares one.
func TestBuildPerRunLustre(t *testing.T) {
	g, err := Build(fixture(t, map[string][]res{"Compute": {{"AWS::StepFunctions::StateMachine", "WorkflowPerRun/StateMachine/Resource"}}}), "lab")
	if err != nil {
		t.Fatal(err)
	}
	n := g.Node("lustre")
	if n == nil || n.Placeholder || n.Stack != "lab-Compute" || !strings.Contains(n.Detail, "each workflow run") {
		t.Fatalf("lustre node %+v, want a per-run file system in lab-Compute", n)
	}
	if got := fmt.Sprint(g.Present()); got != "[6 7]" {
		t.Errorf("present %s, want [6 7]", got)
	}
}

func TestBuildDataFlow(t *testing.T) {
	g, err := Build(fixture(t, lab), "lab")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range g.Edges {
		got = append(got, e.From+">"+e.To)
	}
	for _, want := range []string{
		"instrument>datasync", "datasync>raw", "raw>bus", "bus>ingest", "ingest>verify",
		"verify>workflow-germline", "workflow-germline>batch", "batch>results",
		"catalog>lakeanalytics", "lakeanalytics>athena", "athena>scientists",
		"cro>transfer", "researchers>filegateway", "workflow-germline>lustre",
	} {
		if !contains(got, want) {
			t.Errorf("no edge %s in %v", want, got)
		}
	}
	// An edge to a missing end is not drawn; one to a placeholder is dashed.
	if contains(got, "transfer>partner") {
		t.Error("edge to the partner bucket drawn, yet the lab has no partner bucket")
	}
	dot := dotOf(t, g)
	if !strings.Contains(dot, `"cro" -> "transfer" [label="SFTP", style=dashed`) {
		t.Errorf("the edge to the Transfer placeholder is not dashed:\n%s", dot)
	}
	if !strings.Contains(dot, `"datasync" -> "raw" [label="runs/"];`) {
		t.Error("the edge DataSync to raw is not drawn solid")
	}
}

func TestWriteDOTIsDeterministic(t *testing.T) {
	a := fixture(t, lab)
	var first string
	for i := 0; i < 5; i++ {
		g, err := Build(a, "lab")
		if err != nil {
			t.Fatal(err)
		}
		if dot := dotOf(t, g); i == 0 {
			first = dot
		} else if dot != first {
			t.Fatalf("run %d wrote other DOT than run 0", i)
		}
	}
}

func TestBuildUnknownEnvironment(t *testing.T) {
	_, err := Build(fixture(t, lab), "prod")
	if err == nil || !strings.Contains(err.Error(), `no environment "prod"`) || !strings.Contains(err.Error(), "[lab]") {
		t.Errorf("err %v, want one naming prod and the stages there are", err)
	}
}

// TestDOTParses runs Graphviz over the output when it is installed (CI
// installs it: .ci/run).
func TestDOTParses(t *testing.T) {
	if _, err := exec.LookPath("dot"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Graphviz dot is not installed; .ci/run installs it")
		}
		t.Skip("Graphviz dot is not installed (apt-get install graphviz); the DOT is not parsed")
	}
	g, err := Build(fixture(t, lab), "lab")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = strings.NewReader(dotOf(t, g))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dot: %v\n%s", err, out)
	}
	for _, want := range []string{"Ingest (3 resources)", "1 · DataSync", "not in lab"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

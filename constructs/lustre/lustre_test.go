package lustre_test

import (
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/lustre"
)

func TestSecurityGroupLustrePortsOnly(t *testing.T) {
	f := load(t)
	for _, stack := range []string{"Persistent", "PerRun"} {
		var sgID string
		for id, r := range f.ofType(stack, "AWS::EC2::SecurityGroup") {
			if strings.HasPrefix(id, "LustreSecurityGroup") {
				sgID = id
				if e := js(r.Properties["SecurityGroupEgress"]); strings.Contains(e, "0.0.0.0/0") {
					t.Errorf("%s: the Lustre group allows all egress: %s", stack, e)
				}
				if in := r.Properties["SecurityGroupIngress"]; in != nil {
					t.Errorf("%s: inline ingress %s", stack, js(in))
				}
			}
		}
		if sgID == "" {
			t.Fatalf("%s: no Lustre security group", stack)
		}
		got := map[string]bool{}
		for _, r := range f.ofType(stack, "AWS::EC2::SecurityGroupIngress") {
			if !strings.Contains(js(r.Properties["GroupId"]), sgID) {
				continue
			}
			src := js(r.Properties["SourceSecurityGroupId"])
			who := "other"
			switch {
			case strings.Contains(src, sgID):
				who = "self"
			case strings.Contains(src, "BatchSG"):
				who = "client"
			}
			if r.Properties["CidrIp"] != nil {
				who = "cidr"
			}
			got[who+" "+js(r.Properties["FromPort"])+"-"+js(r.Properties["ToPort"])] = true
		}
		want := []string{"client 988-988", "client 1018-1023", "self 988-988", "self 1018-1023"}
		if len(got) != len(want) {
			t.Errorf("%s: ingress %v, want %v", stack, got, want)
		}
		for _, w := range want {
			if !got[w] {
				t.Errorf("%s: missing ingress %s (got %v)", stack, w, got)
			}
		}
	}
}

func TestPersistentFileSystem(t *testing.T) {
	f := load(t)
	_, fs := f.one(t, "Persistent", "AWS::FSx::FileSystem")
	p := fs.Properties
	lc := p["LustreConfiguration"].(map[string]any)
	checks := map[string]any{
		"FileSystemTypeVersion": p["FileSystemTypeVersion"], "StorageCapacity": p["StorageCapacity"],
		"DeploymentType": lc["DeploymentType"], "PerUnitStorageThroughput": lc["PerUnitStorageThroughput"],
		"AutomaticBackupRetentionDays": lc["AutomaticBackupRetentionDays"], "CopyTagsToBackups": lc["CopyTagsToBackups"],
		"DataCompressionType": lc["DataCompressionType"], "Level": js(lc["LogConfiguration"]),
	}
	want := map[string]string{
		"FileSystemTypeVersion": `"2.15"`, "StorageCapacity": "2400", "DeploymentType": `"PERSISTENT_2"`,
		"PerUnitStorageThroughput": "500", "AutomaticBackupRetentionDays": "14", "CopyTagsToBackups": "true",
		"DataCompressionType": `"LZ4"`,
	}
	for k, w := range want {
		if g := js(checks[k]); g != w {
			t.Errorf("%s = %s, want %s", k, g, w)
		}
	}
	if kms := js(p["KmsKeyId"]); !strings.Contains(kms, "DataLakeDataKey") {
		t.Errorf("KmsKeyId = %s, want the lake's data key", kms)
	}
	if l := js(lc["LogConfiguration"]); !strings.Contains(l, `"Level":"WARN_ERROR"`) || !strings.Contains(l, "log-group:/aws/fsx/") {
		t.Errorf("LogConfiguration = %s", l)
	}
	if n := js(p["SubnetIds"]); strings.Count(n, "Ref") != 1 || !strings.Contains(n, "Subnet1") {
		t.Errorf("SubnetIds = %s, want the first private subnet", n)
	}
	var found bool
	for _, r := range f.ofType("Persistent", "AWS::Logs::LogGroup") {
		if name, _ := r.Properties["LogGroupName"].(string); strings.HasPrefix(name, lustre.LogGroupPrefix) {
			found = true
			if r.Properties["KmsKeyId"] == nil || js(r.Properties["RetentionInDays"]) != "731" {
				t.Errorf("log group %s: %s", name, js(r.Properties))
			}
		}
	}
	if !found {
		t.Error("no log group named /aws/fsx/...")
	}
}

func (f *fixture) backupSelections(stack string) []string {
	var out []string
	for _, r := range f.ofType(stack, "AWS::Backup::BackupSelection") {
		out = append(out, js(r.Properties))
	}
	return out
}

func TestBackupJoinsLakePlan(t *testing.T) {
	f := load(t)
	for _, stack := range []string{"Persistent", "Compute"} {
		var ok bool
		for _, s := range f.backupSelections(stack) {
			if strings.Contains(s, "LustreFileSystem") && strings.Contains(s, "ResourceARN") {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: no backup selection of the file system: %v", stack, f.backupSelections(stack))
		}
	}
	if n := len(f.backupSelections("Lake")); n != 1 {
		t.Errorf("Lake: %d selections, want only the lake's own (no cycle)", n)
	}
}

func TestAssociations(t *testing.T) {
	f := load(t)
	for _, c := range []struct{ stack, raw, results string }{
		{"Persistent", "/runs/", "/lustre/"},
		{"Scratch", "/runs/novaseq/", "/hpc/"},
	} {
		dras := f.ofType(c.stack, "AWS::FSx::DataRepositoryAssociation")
		if len(dras) != 2 {
			t.Fatalf("%s: %d associations", c.stack, len(dras))
		}
		for _, r := range dras {
			p := r.Properties
			s3 := js(p["S3"])
			switch p["FileSystemPath"] {
			case lustre.RawPath:
				if !strings.Contains(js(p["DataRepositoryPath"]), "DataLakeRaw") || !strings.Contains(js(p["DataRepositoryPath"]), c.raw) {
					t.Errorf("%s raw path %s", c.stack, js(p["DataRepositoryPath"]))
				}
				if s3 != `{"AutoImportPolicy":{"Events":["NEW","CHANGED"]}}` {
					t.Errorf("%s raw S3 = %s (no export of raw)", c.stack, s3)
				}
			case lustre.ResultsPath:
				if !strings.Contains(js(p["DataRepositoryPath"]), "DataLakeResults") || !strings.Contains(js(p["DataRepositoryPath"]), c.results) {
					t.Errorf("%s results path %s", c.stack, js(p["DataRepositoryPath"]))
				}
				if s3 != `{"AutoExportPolicy":{"Events":["NEW","CHANGED"]}}` {
					t.Errorf("%s results S3 = %s (never DELETED)", c.stack, s3)
				}
			default:
				t.Errorf("%s: unexpected path %v", c.stack, p["FileSystemPath"])
			}
		}
	}
}

func TestScratchFileSystem(t *testing.T) {
	f := load(t)
	_, fs := f.one(t, "Scratch", "AWS::FSx::FileSystem")
	p := fs.Properties
	lc := js(p["LustreConfiguration"])
	if p["KmsKeyId"] != nil || strings.Contains(lc, "Backup") || strings.Contains(lc, "PerUnitStorageThroughput") {
		t.Errorf("scratch file system with key, backups or throughput: %s", js(p))
	}
	if !strings.Contains(lc, `"DeploymentType":"SCRATCH_2"`) || !strings.Contains(lc, `"DataCompressionType":"NONE"`) {
		t.Errorf("LustreConfiguration = %s", lc)
	}
	if n := len(f.backupSelections("Scratch")); n != 0 {
		t.Errorf("Scratch: %d backup selections", n)
	}
}

func TestPerRunMode(t *testing.T) {
	f := load(t)
	for _, typ := range []string{"AWS::FSx::FileSystem", "AWS::FSx::DataRepositoryAssociation"} {
		if n := len(f.ofType("PerRun", typ)); n != 0 {
			t.Errorf("PerRun: %d %s", n, typ)
		}
	}
	var doc string
	for id, r := range f.ofType("PerRun", "AWS::IAM::ManagedPolicy") {
		if strings.HasPrefix(id, "LustreRunPolicy") {
			doc = js(r.Properties["PolicyDocument"])
		}
	}
	for _, want := range []string{
		`"fsx:CreateFileSystem"`, `"fsx:DeleteFileSystem"`, `"fsx:CreateDataRepositoryTask"`, `"aws:ResourceTag/biolake:managed-by":"workflow"`, `"aws:RequestTag/biolake:managed-by":"workflow"`,
		`"iam:CreateServiceLinkedRole"`, `"iam:AWSServiceName":"fsx.amazonaws.com"`, `/runs/*`, `/lustre/*`, `/accepted/*`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("run policy lacks %s", want)
		}
	}
	if strings.Contains(doc, `"s3:DeleteObject"`) || strings.Contains(doc, `"fsx:*"`) || strings.Contains(doc, "quarantine") {
		t.Errorf("run policy too broad: %s", doc)
	}
	if roles := js(f.ofType("PerRun", "AWS::IAM::Role")); !strings.Contains(roles, "LustreRunPolicy") {
		t.Error("the workflow role does not have the run policy")
	}
	// GrantRunWorkflow grants the Describe calls on the role itself.
	if pols := js(f.ofType("PerRun", "AWS::IAM::Policy")); !strings.Contains(pols, `"fsx:DescribeFileSystems"`) || !strings.Contains(pols, `"fsx:DescribeDataRepositoryTasks"`) {
		t.Errorf("the workflow role's policy lacks the FSx Describe calls: %s", pols)
	}
}

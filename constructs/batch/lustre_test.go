package batch_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/lustre"
)

// userData renders each launch template's boot script (the MIME part
// that is a shell script), references written <...>.
func userData(t *testing.T, tpl map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id, lt := range ofType(tpl, "AWS::EC2::LaunchTemplate") {
		// The MIME document joins its parts; the shell script part is
		// itself base64-encoded.
		parts, _ := cdktest.Get(lt, "Properties", "LaunchTemplateData", "UserData", "Fn::Base64", "Fn::Join", 1).([]any)
		for _, part := range parts {
			if inner := cdktest.Get(part, "Fn::Base64"); inner != nil {
				out[id] = cdktest.Render(inner)
			}
		}
		if !strings.HasPrefix(out[id], "#!/bin/bash") {
			t.Fatalf("%s: no shell script part in the user data: %s", id, js(lt))
		}
	}
	return out
}

// heredocBody returns the body of the here-document that writes path.
func heredocBody(t *testing.T, script, path string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)cat > ` + regexp.QuoteMeta(path) + ` <<'BIOLAKE_EOF'\n(.*?)\nBIOLAKE_EOF`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("no here-document for %s in:\n%s", path, script)
	}
	return m[1]
}

func bashSyntax(t *testing.T, what, script string) {
	t.Helper()
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: bash -n: %v\n%s\n%s", what, err, out, script)
	}
}

func TestLustrePerRunHosts(t *testing.T) {
	load(t)
	scripts := userData(t, hpc)
	if len(scripts) != 3 {
		t.Fatalf("%d launch templates, want 3", len(scripts))
	}
	for id, s := range scripts {
		bashSyntax(t, id, s)
		for _, want := range []string{
			"dnf install -y lustre-client", "modprobe lustre", "systemctl enable --now biolake-fsx-mounter.timer",
			"Before=ecs.service", "OnUnitActiveSec=15",
		} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: boot script lacks %q", id, want)
			}
		}
		mounter := heredocBody(t, s, "/usr/local/sbin/biolake-fsx-mounter")
		bashSyntax(t, id+" mounter", mounter)
		if !regexp.MustCompile(`VpcId=='<Ref:Network[A-Za-z0-9]*Vpc[A-Za-z0-9]*>'`).MatchString(mounter) ||
			!strings.Contains(mounter, "Key=='"+lustre.ManagedByTag+"' && Value=='"+lustre.WorkflowTagValue+"'") {
			t.Errorf("%s: the mounter must look only for this VPC's workflow file systems:\n%s", id, mounter)
		}
	}
	// The hosts may describe file systems (to find them), nothing more.
	found := 0
	for id, p := range ofType(hpc, "AWS::IAM::Policy") {
		doc := js(cdktest.Get(p, "Properties", "PolicyDocument"))
		if strings.Contains(doc, "fsx:") {
			found++
			if !strings.Contains(doc, `"Action":"fsx:DescribeFileSystems"`) || strings.Count(doc, "fsx:") != 1 {
				t.Errorf("%s: host policy %s, want fsx:DescribeFileSystems only", id, doc)
			}
		}
	}
	if found != 3 {
		t.Errorf("%d host policies with fsx actions, want one per EC2 environment (3)", found)
	}
	// The jobs' security group reaches the file systems on the Lustre ports.
	egress := map[string]bool{}
	for _, r := range ofType(hpc, "AWS::EC2::SecurityGroupEgress") {
		p := r["Properties"].(map[string]any)
		if strings.Contains(js(p["DestinationSecurityGroupId"]), "RunLustre") && strings.Contains(js(p["GroupId"]), "HpcSecurityGroup") {
			egress[js(p["FromPort"])+"-"+js(p["ToPort"])] = true
		}
	}
	if !egress["988-988"] || !egress["1018-1023"] || len(egress) != 2 {
		t.Errorf("Batch egress to the Lustre group: %v, want 988 and 1018-1023 only", egress)
	}
	// A Lustre job binds the hosts' mounts and learns where they are.
	def := only(t, hpc, "AWS::Batch::JobDefinition", "HpcAlign")
	cp := def["ContainerProperties"].(map[string]any)
	if !strings.Contains(js(cp["Volumes"]), `{"Host":{"SourcePath":"/fsx"},"Name":"lustre"}`) ||
		!strings.Contains(js(cp["MountPoints"]), `"ContainerPath":"/fsx"`) {
		t.Errorf("Align job: volumes %s mounts %s, want host /fsx at /fsx", js(cp["Volumes"]), js(cp["MountPoints"]))
	}
	if !strings.Contains(js(cp["Environment"]), `{"Name":"FSX_PATH","Value":"/fsx"}`) {
		t.Errorf("Align job: environment %s, want FSX_PATH=/fsx", js(cp["Environment"]))
	}
	basecall := only(t, hpc, "AWS::Batch::JobDefinition", "HpcBasecall")
	if strings.Contains(js(basecall), "/fsx") {
		t.Errorf("Basecall did not ask for Lustre but has it: %s", js(basecall))
	}
}

func TestLustrePersistentHosts(t *testing.T) {
	load(t)
	scripts := userData(t, hpcFsx)
	if len(scripts) != 3 {
		t.Fatalf("%d launch templates, want 3", len(scripts))
	}
	fstab := regexp.MustCompile(`<Lustre[A-Za-z0-9]*FileSystem[A-Za-z0-9]*\.DNSName>@tcp:/<Lustre[A-Za-z0-9]*FileSystem[A-Za-z0-9]*\.LustreMountName> /fsx lustre [a-z_,.=-]*relatime,flock 0 0`)
	for id, s := range scripts {
		bashSyntax(t, id, s)
		if !fstab.MatchString(s) || !strings.Contains(s, "mountpoint -q /fsx || mount /fsx") {
			t.Errorf("%s: boot script does not mount the file system at /fsx:\n%s", id, s)
		}
		if strings.Contains(s, "biolake-fsx-mounter") {
			t.Errorf("%s: a persistent attachment needs no per-run mounter", id)
		}
	}
	def := only(t, hpcFsx, "AWS::Batch::JobDefinition", "HpcCall")
	env := js(cdktest.Get(def, "ContainerProperties", "Environment"))
	if !strings.Contains(env, `{"Name":"FSX_PATH","Value":"/fsx"}`) || !strings.Contains(env, `{"Name":"REF","Value":"hg38"}`) {
		t.Errorf("Call job environment %s, want FSX_PATH and REF", env)
	}
}

func TestLustreJobValidation(t *testing.T) {
	p := &batch.Props{Environments: batch.DefaultEnvironments(false), Queues: batch.DefaultQueues()}
	err := p.ValidateJob(&batch.JobProps{Queue: "Fargate", Image: nil, Lustre: true})
	if err == nil || !strings.Contains(err.Error(), "JobProps.Lustre is true on queue \"Fargate\"; accepted: false on a Fargate queue") {
		t.Errorf("Lustre job on Fargate: %v", err)
	}
}

// TestMounterScript runs the per-run mounter with fake aws, curl, mount,
// mountpoint and umount commands: it mounts what is listed, unmounts what
// is gone, and unmounts nothing when the listing fails.
func TestMounterScript(t *testing.T) {
	load(t)
	var mounter string
	for id, s := range userData(t, hpc) {
		mounter = heredocBody(t, s, "/usr/local/sbin/biolake-fsx-mounter")
		_ = id
		break
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "fsx")
	bin := filepath.Join(dir, "bin")
	state := filepath.Join(dir, "state")
	for _, d := range []string{root, bin, state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := strings.ReplaceAll(mounter, batch.LustrePath+"/", root+"/")
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/bash\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("curl", `echo us-east-1`)
	write("aws", `[ -f "`+state+`/fail" ] && exit 255; cat "`+state+`/list"`)
	write("mountpoint", `[ "$1" = -q ] && shift; grep -qxF "$1" "`+state+`/mounted" 2>/dev/null`)
	write("mount", `echo "mount $*" >> "`+state+`/log"; echo "${@: -1}" >> "`+state+`/mounted"`)
	write("umount", `echo "umount $*" >> "`+state+`/log"; grep -vxF "${@: -1}" "`+state+`/mounted" > "`+state+`/m2"; mv "`+state+`/m2" "`+state+`/mounted"`)
	run := func(list string, fail bool) string {
		t.Helper()
		_ = os.WriteFile(filepath.Join(state, "list"), []byte(list), 0o644)
		_ = os.Remove(filepath.Join(state, "fail"))
		if fail {
			_ = os.WriteFile(filepath.Join(state, "fail"), nil, 0o644)
		}
		_ = os.Remove(filepath.Join(state, "log"))
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if (err != nil) != fail {
			t.Fatalf("mounter (listing fails: %v): %v\n%s", fail, err, out)
		}
		log, _ := os.ReadFile(filepath.Join(state, "log"))
		return string(log)
	}
	log := run("fs-0aaa dns-a.fsx mnta\nfs-0bbb dns-b.fsx mntb\n", false)
	want := "mount -t lustre -o relatime,flock dns-a.fsx@tcp:/mnta " + root + "/fs-0aaa\nmount -t lustre -o relatime,flock dns-b.fsx@tcp:/mntb " + root + "/fs-0bbb\n"
	if log != want {
		t.Errorf("first run:\n%s\nwant:\n%s", log, want)
	}
	if log := run("fs-0aaa dns-a.fsx mnta\nfs-0bbb dns-b.fsx mntb\n", false); log != "" {
		t.Errorf("second run with nothing new did: %s", log)
	}
	if log := run("", true); log != "" {
		t.Errorf("a failed listing must change nothing, did: %s", log)
	}
	if log := run("fs-0bbb dns-b.fsx mntb\n", false); log != "umount -l "+root+"/fs-0aaa\n" {
		t.Errorf("after fs-0aaa was deleted: %q, want a lazy unmount of it only", log)
	}
	if _, err := os.Stat(filepath.Join(root, "fs-0aaa")); !os.IsNotExist(err) {
		t.Errorf("the directory of a deleted file system stays: %v", err)
	}
	if log := run("", false); log != "umount -l "+root+"/fs-0bbb\n" {
		t.Errorf("with no file system left: %q", log)
	}
}

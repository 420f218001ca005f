package datasync_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/datasync"
	"github.com/biolake/biolake/constructs/eventglue"
)

func TestAgentActivatedOverPrivateLink(t *testing.T) {
	f := load(t)
	_, agent := f.res(t, "Isolated", "DataSync/Agent")
	epID := f.logicals["Isolated"]["Network/Vpc/DataSyncEndpoint/Resource"]
	paramID := f.logicals["Isolated"]["DataSync/ActivationKey"]
	if got := render(agent.Properties["ActivationKey"]); got != "<Ref:"+paramID+">" {
		t.Errorf("ActivationKey = %s, want the stack parameter %s", got, paramID)
	}
	param := f.tpl["Isolated"].Parameters[paramID]
	if param["NoEcho"] != false || param["AllowedPattern"] == nil {
		t.Errorf("activation key parameter = %v, want NoEcho false and an AllowedPattern", param)
	}
	if got := render(agent.Properties["VpcEndpointId"]); got != "<Ref:"+epID+">" {
		t.Errorf("VpcEndpointId = %s, want the network's DataSync endpoint %s", got, epID)
	}
	sgID := f.logicals["Isolated"]["DataSync/TaskSecurityGroup/Resource"]
	if got := strs(agent.Properties["SecurityGroupArns"]); len(got) != 1 || !strings.HasSuffix(got[0], ":security-group/<"+sgID+".GroupId>") {
		t.Errorf("SecurityGroupArns = %v, want the task security group", got)
	}
	if got := strs(agent.Properties["SubnetArns"]); len(got) != 1 || !strings.Contains(got[0], ":subnet/<Ref:NetworkVpcprivateSubnet") {
		t.Errorf("SubnetArns = %v, want one private subnet", got)
	}

	// Task interfaces: the agent CIDR on 443, 1024-1064 and (support) 22.
	_, sg := f.res(t, "Isolated", "DataSync/TaskSecurityGroup")
	var ports []string
	for _, r := range sg.Properties["SecurityGroupIngress"].([]any) {
		if get(r, "CidrIp") != "192.168.10.0/24" {
			t.Errorf("task security group lets in %v", get(r, "CidrIp"))
		}
		ports = append(ports, render(get(r, "FromPort"))+"-"+render(get(r, "ToPort")))
	}
	if want := []string{"1024-1064", "22-22", "443-443"}; !slices.Equal(sorted(ports), want) {
		t.Errorf("task security group ports = %v, want %v", sorted(ports), want)
	}
	// The DataSync endpoint's own security group (not the group the other
	// endpoints share) lets the agent in as well.
	ingress := f.ofType("Isolated", "AWS::EC2::SecurityGroupIngress", "DataSync/")
	ports = nil
	for _, r := range ingress {
		if render(r.Properties["GroupId"]) != "<"+f.logicals["Isolated"]["Network/DataSyncEndpointSecurityGroup/Resource"]+".GroupId>" || r.Properties["CidrIp"] != "192.168.10.0/24" {
			t.Errorf("endpoint ingress %v", r.Properties)
		}
		ports = append(ports, render(r.Properties["FromPort"])+"-"+render(r.Properties["ToPort"]))
	}
	if want := []string{"1024-1064", "22-22", "443-443"}; !slices.Equal(sorted(ports), want) {
		t.Errorf("endpoint ingress ports = %v, want %v", sorted(ports), want)
	}
}

func TestAgentExisting(t *testing.T) {
	f := load(t)
	if n := len(f.ofType("Existing", "AWS::DataSync::Agent", "")); n != 0 {
		t.Errorf("%d agents with an existing AgentArn, want 0", n)
	}
	if len(f.tpl["Existing"].Parameters) > 1 {
		t.Errorf("parameters %v, want only the bootstrap version", f.tpl["Existing"].Parameters)
	}
	_, nfs := f.res(t, "Existing", "DataSync/Source-nextseq/NfsLocation")
	if got := strs(get(nfs.Properties, "OnPremConfig", "AgentArns")); !slices.Equal(got, []string{existingAgent}) {
		t.Errorf("AgentArns = %v", got)
	}
	if ds := f.ds["Existing"]; ds.AgentArn != existingAgent || ds.Agent != nil || ds.SecurityGroup != nil {
		t.Errorf("existing agent: AgentArn %q, Agent %v, SecurityGroup %v", ds.AgentArn, ds.Agent, ds.SecurityGroup)
	}
}

func TestLocations(t *testing.T) {
	f := load(t)
	agentID := f.logicals["Isolated"]["DataSync/Agent"]
	_, nfs := f.res(t, "Isolated", "DataSync/Source-novaseq1/NfsLocation")
	if nfs.Properties["ServerHostname"] != "nas01.lab.example.com" || nfs.Properties["Subdirectory"] != "/novaseq1/output" ||
		get(nfs.Properties, "MountOptions", "Version") != "NFS4_1" {
		t.Errorf("NFS location = %v", nfs.Properties)
	}
	if got := strs(get(nfs.Properties, "OnPremConfig", "AgentArns")); len(got) != 1 || got[0] != "<"+agentID+".AgentArn>" {
		t.Errorf("NFS AgentArns = %v", got)
	}
	_, smb := f.res(t, "Isolated", "DataSync/Source-miseq-core/SmbLocation")
	want := "{{resolve:secretsmanager:" + smbSecret + ":SecretString:password}}"
	if smb.Properties["Password"] != want {
		t.Errorf("SMB Password = %v, want the dynamic reference %s", smb.Properties["Password"], want)
	}
	if smb.Properties["User"] != "svc-datasync" || smb.Properties["Domain"] != "CORP" || smb.Properties["ServerHostname"] != "10.1.2.3" ||
		get(smb.Properties, "MountOptions", "Version") != "AUTOMATIC" {
		t.Errorf("SMB location = %v", smb.Properties)
	}
	// No literal password anywhere: every Password is a dynamic reference.
	for _, st := range []string{"Isolated", "Existing"} {
		for path, r := range f.ofType(st, "AWS::DataSync::LocationSMB", "") {
			if p, _ := r.Properties["Password"].(string); !strings.HasPrefix(p, "{{resolve:secretsmanager:") {
				t.Errorf("%s %s: Password is not a dynamic reference", st, path)
			}
		}
	}

	for _, c := range []struct{ stack, source, subdir string }{
		{"Isolated", "novaseq1", "/runs/novaseq1/"}, {"Isolated", "miseq-core", "/runs/core/miseq/"}, {"Existing", "nextseq", "/runs/"},
	} {
		_, s3 := f.res(t, c.stack, "DataSync/Source-"+c.source+"/S3Location")
		roleID := f.logicals[c.stack]["DataSync/Source-"+c.source+"/BucketAccessRole/Resource"]
		if s3.Properties["S3StorageClass"] != "STANDARD_IA" || s3.Properties["Subdirectory"] != c.subdir ||
			render(get(s3.Properties, "S3Config", "BucketAccessRoleArn")) != "<"+roleID+".Arn>" ||
			render(s3.Properties["S3BucketArn"]) != "<"+f.logicals[c.stack]["DataLake/Raw/Resource"]+".Arn>" {
			t.Errorf("%s %s: S3 location = %s", c.stack, c.source, render(s3.Properties))
		}
	}
}

func TestTasks(t *testing.T) {
	f := load(t)
	logID := f.logicals["Isolated"]["DataSync/LogGroup/Resource"]
	_, task := f.res(t, "Isolated", "DataSync/Source-novaseq1/Task")
	p := task.Properties
	for k, want := range map[string]any{
		"VerifyMode": "ONLY_FILES_TRANSFERRED", "PreserveDeletedFiles": "PRESERVE", "OverwriteMode": "NEVER",
		"BytesPerSecond": float64(100 << 20), "LogLevel": "TRANSFER", "TransferMode": "CHANGED", "ObjectTags": "NONE",
	} {
		if got := get(p, "Options", k); got != want {
			t.Errorf("Options.%s = %v, want %v", k, got, want)
		}
	}
	if got := get(p, "Schedule", "ScheduleExpression"); got != "cron(0 */2 * * ? *)" {
		t.Errorf("schedule = %v", got)
	}
	if get(p, "Includes", 0, "Value") != "/2*" || get(p, "Excludes", 0, "Value") != "*.tmp|*/Thumbnail_Images" ||
		get(p, "Excludes", 0, "FilterType") != "SIMPLE_PATTERN" {
		t.Errorf("filters = %v %v", p["Includes"], p["Excludes"])
	}
	if got := render(p["CloudWatchLogGroupArn"]); got != "<"+logID+".Arn>" {
		t.Errorf("CloudWatchLogGroupArn = %s", got)
	}
	rep := get(p, "TaskReportConfig")
	if get(rep, "OutputType") != "STANDARD" || get(rep, "ReportLevel") != "SUCCESSES_AND_ERRORS" ||
		get(rep, "Destination", "S3", "Subdirectory") != datasync.ReportPrefix+"novaseq1/" ||
		render(get(rep, "Destination", "S3", "S3BucketArn")) != "<"+f.logicals["Isolated"]["DataLake/Analytics/Resource"]+".Arn>" ||
		render(get(rep, "Destination", "S3", "BucketAccessRoleArn")) != "<"+f.logicals["Isolated"]["DataSync/ReportRole/Resource"]+".Arn>" {
		t.Errorf("TaskReportConfig = %s", render(rep))
	}
	// Defaults.
	_, def := f.res(t, "Existing", "DataSync/Source-nextseq/Task")
	if get(def.Properties, "Schedule", "ScheduleExpression") != datasync.DefaultSchedule || get(def.Properties, "Options", "BytesPerSecond") != float64(-1) ||
		get(def.Properties, "Options", "OverwriteMode") != "ALWAYS" || def.Properties["Includes"] != nil ||
		get(def.Properties, "TaskReportConfig", "ReportLevel") != "ERRORS_ONLY" {
		t.Errorf("default task = %s", render(def.Properties))
	}
	// Log group: KMS, retention; the resource policy lets DataSync write.
	_, lg := f.res(t, "Isolated", "DataSync/LogGroup")
	if lg.Properties["KmsKeyId"] == nil || lg.Properties["RetentionInDays"] != float64(731) {
		t.Errorf("log group = %v", lg.Properties)
	}
	_, rp := f.res(t, "Isolated", "DataSync/LogResourcePolicy/ResourcePolicy")
	doc := render(rp.Properties["PolicyDocument"])
	for _, s := range []string{`"Service":"datasync.amazonaws.com"`, "logs:PutLogEvents", "logs:CreateLogStream", "aws:SourceAccount", `:task/*`, "<" + logID + ".Arn>"} {
		if !strings.Contains(doc, s) {
			t.Errorf("log resource policy lacks %s: %s", s, doc)
		}
	}
}

func TestEventRule(t *testing.T) {
	f := load(t)
	_, rule := f.res(t, "Isolated", "DataSync/TaskStateRule")
	pat := rule.Properties["EventPattern"]
	if strs(get(pat, "source"))[0] != "aws.datasync" || strs(get(pat, "detail-type"))[0] != "DataSync Task Execution State Change" {
		t.Errorf("pattern = %s", render(pat))
	}
	var res []string
	for _, r := range get(pat, "resources").([]any) {
		res = append(res, render(get(r, "prefix")))
	}
	want := sorted([]string{
		"<" + f.logicals["Isolated"]["DataSync/Source-novaseq1/Task"] + ".TaskArn>/execution/",
		"<" + f.logicals["Isolated"]["DataSync/Source-miseq-core/Task"] + ".TaskArn>/execution/",
	})
	if !slices.Equal(sorted(res), want) {
		t.Errorf("resources = %v, want %v", res, want)
	}
	tg := get(rule.Properties, "Targets", 0)
	if render(get(tg, "Arn")) != "<"+f.logicals["Isolated"]["PlatformBus/Resource"]+".Arn>" ||
		render(get(tg, "RoleArn")) != "<"+f.logicals["Isolated"]["DataSync/BusRole/Resource"]+".Arn>" ||
		render(get(tg, "DeadLetterConfig", "Arn")) != "<"+f.logicals["Isolated"]["DataSync/DeadLetterQueue/Resource"]+".Arn>" {
		t.Errorf("target = %s", render(tg))
	}
	if n := len(f.ofType("Existing", "AWS::Events::Rule", "DataSync/TaskStateRule")); n != 0 {
		t.Errorf("%d forwarding rules without a bus, want 0", n)
	}
}

// TestLeastPrivilege: no wildcard actions, object actions only under the
// source's prefix, trust limited to this account's DataSync.
func TestLeastPrivilege(t *testing.T) {
	f := load(t)
	for _, st := range []string{"Isolated", "Existing"} {
		for path, r := range f.ofType(st, "AWS::IAM::ManagedPolicy", "DataSync/") {
			for _, s := range get(r.Properties, "PolicyDocument", "Statement").([]any) {
				for _, a := range strs(get(s, "Action")) {
					if strings.Contains(a, "*") {
						t.Errorf("%s %s: wildcard action %s", st, path, a)
					}
				}
				for _, res := range strs(get(s, "Resource")) {
					if res == "*" {
						t.Errorf("%s %s: resource *", st, path)
					}
				}
			}
		}
		if n := len(f.ofType(st, "AWS::IAM::Policy", "DataSync/")); n != 0 {
			t.Errorf("%s: %d inline policies, want 0", st, n)
		}
	}
	_, pol := f.res(t, "Isolated", "DataSync/Source-novaseq1/BucketAccessPolicy")
	rawID := f.logicals["Isolated"]["DataLake/Raw/Resource"]
	for _, s := range get(pol.Properties, "PolicyDocument", "Statement").([]any) {
		res := strs(get(s, "Resource"))
		switch get(s, "Sid") {
		case "ObjectsUnderPrefix":
			if !slices.Equal(res, []string{"<" + rawID + ".Arn>/runs/novaseq1/*"}) {
				t.Errorf("objects = %v", res)
			}
		case "Bucket":
			if !slices.Equal(res, []string{"<" + rawID + ".Arn>"}) {
				t.Errorf("bucket = %v", res)
			}
		case "DataKeyThroughS3":
			if render(get(s, "Condition")) == "" || !strings.Contains(render(get(s, "Condition")), "kms:ViaService") {
				t.Errorf("key statement without kms:ViaService: %s", render(s))
			}
		}
	}
	_, role := f.res(t, "Isolated", "DataSync/Source-novaseq1/BucketAccessRole")
	trust := render(role.Properties["AssumeRolePolicyDocument"])
	for _, s := range []string{"datasync.amazonaws.com", "aws:SourceAccount", "aws:SourceArn"} {
		if !strings.Contains(trust, s) {
			t.Errorf("trust policy lacks %s: %s", s, trust)
		}
	}
}

func TestRunRules(t *testing.T) {
	f := load(t)
	got := f.ds["Isolated"].RunRules()
	want := []eventglue.RunRule{
		{Bucket: datalake.BucketRaw, Prefix: "runs/novaseq1/", Profile: "novaseq-x", Channel: eventglue.ChannelDataSync},
		{Bucket: datalake.BucketRaw, Prefix: "runs/core/miseq/", Profile: "miseq", Channel: eventglue.ChannelDataSync},
	}
	if len(got) != len(want) {
		t.Fatalf("RunRules = %+v", got)
	}
	for i := range want {
		if got[i].Bucket != want[i].Bucket || got[i].Prefix != want[i].Prefix || got[i].Profile != want[i].Profile || got[i].Channel != want[i].Channel {
			t.Errorf("RunRules[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	// The rules are valid event glue rules.
	if err := (&eventglue.Props{RunRules: append(got, eventglue.DefaultRunRules()[1])}).ValidateSettings(); err != nil {
		t.Errorf("event glue refuses the rules: %v", err)
	}
	if r := f.ds["Existing"].RunRules(); len(r) != 1 || r[0].Prefix != "runs/" {
		t.Errorf("Existing RunRules = %+v", r)
	}
}

// TestAgentFromNetworkOnPremises: with no AgentCIDR the agent's networks
// are the network's on-premises CIDRs. The task interfaces' group admits
// each; the DataSync endpoint's group admits them already (network), so
// the construct adds only the Support channel to it.
func TestAgentFromNetworkOnPremises(t *testing.T) {
	f := load(t)
	labs := []string{"172.20.0.0/16", "192.168.0.0/16"}
	_, sg := f.res(t, "OnPrem", "DataSync/TaskSecurityGroup")
	var rules []string
	for _, r := range sg.Properties["SecurityGroupIngress"].([]any) {
		rules = append(rules, render(get(r, "CidrIp"))+" "+render(get(r, "FromPort"))+"-"+render(get(r, "ToPort")))
	}
	var want []string
	for _, c := range labs {
		want = append(want, c+" 1024-1064", c+" 22-22", c+" 443-443")
	}
	if !slices.Equal(sorted(rules), want) {
		t.Errorf("task security group = %v, want %v", sorted(rules), want)
	}
	epSG := "<" + f.logicals["OnPrem"]["Network/DataSyncEndpointSecurityGroup/Resource"] + ".GroupId>"
	rules = nil
	for _, r := range f.ofType("OnPrem", "AWS::EC2::SecurityGroupIngress", "DataSync/") {
		if render(r.Properties["GroupId"]) != epSG {
			t.Errorf("ingress on another group: %v", r.Properties)
		}
		rules = append(rules, render(r.Properties["CidrIp"])+" "+render(r.Properties["FromPort"])+"-"+render(r.Properties["ToPort"]))
	}
	if want := []string{"172.20.0.0/16 22-22", "192.168.0.0/16 22-22"}; !slices.Equal(sorted(rules), want) {
		t.Errorf("endpoint ingress = %v, want %v", sorted(rules), want)
	}
	if f.ds["OnPrem"].Agent == nil || f.ds["OnPrem"].Agent.VpcEndpointId() == nil {
		t.Error("agent does not use the DataSync endpoint")
	}
}

package datasync_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/datasync"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
)

func nfsSource(name string) datasync.Source {
	return datasync.Source{Name: name, Protocol: datasync.NFS, Server: "nas01", Subdirectory: "/out", Profile: "novaseq-x", Subfolder: name}
}

func goodSettings() datasync.Props {
	return datasync.Props{AgentArn: existingAgent, Sources: []datasync.Source{nfsSource("aa")}}
}

func TestValidateSettings(t *testing.T) {
	if err := (&datasync.Props{ActivationKey: "ABCDE-12345-FGHIJ-67890-KLMNO", AgentCIDR: "10.0.0.0/8", Sources: isolatedSources()}).ValidateSettings(); err != nil {
		t.Fatalf("good settings refused: %v", err)
	}
	cases := []struct {
		name string
		edit func(p *datasync.Props)
		want []string // substrings of the error
	}{
		{"no agent", func(p *datasync.Props) { p.AgentArn = "" }, []string{"Props.AgentArn is \"\"", "ActivationKey"}},
		{"queue key without bus", func(p *datasync.Props) {
			p.Bus = nil
			p.QueueKey = awskms.Key_FromKeyArn(awscdk.NewStack(nil, jsii.String("Keys"), nil), jsii.String("Queue"), jsii.String("arn:aws:kms:eu-west-1:111122223333:key/0f0f0f0f-1111-2222-3333-444455556666"))
		}, []string{"Props.QueueKey is set", "only together with Bus"}},
		{"both agents", func(p *datasync.Props) { p.ActivationKey = datasync.ActivationKeyParameter; p.AgentCIDR = "10.0.0.0/8" }, []string{"Props.ActivationKey", "not both"}},
		{"bad agent arn", func(p *datasync.Props) { p.AgentArn = "agent-1" }, []string{"Props.AgentArn is \"agent-1\""}},
		{"bad key", func(p *datasync.Props) { p.AgentArn = ""; p.ActivationKey = "abc"; p.AgentCIDR = "10.0.0.0/8" }, []string{"Props.ActivationKey is \"abc\"", "XXXXX-XXXXX"}},
		{"invalid cidr", func(p *datasync.Props) { p.AgentCIDR = "10.0.0.300/24" }, []string{"Props.AgentCIDR is \"10.0.0.300/24\"", "IPv4 prefix"}},
		{"cidr host bits", func(p *datasync.Props) { p.AgentCIDR = "10.0.0.1/24" }, []string{"without host bits", "10.0.0.0/24"}},
		{"cidr everything", func(p *datasync.Props) { p.AgentCIDR = "0.0.0.0/0" }, []string{"every address"}},
		{"no sources", func(p *datasync.Props) { p.Sources = nil }, []string{"Props.Sources is empty"}},
		{"smb without secret", func(p *datasync.Props) {
			p.Sources[0] = datasync.Source{Name: "s", Protocol: datasync.SMB, Server: "fs", Subdirectory: "/s", User: "u", Profile: "miseq"}
		}, []string{"Sources[0].PasswordSecretArn is \"\"", "Secrets Manager"}},
		{"smb bad secret", func(p *datasync.Props) {
			p.Sources[0] = datasync.Source{Name: "s", Protocol: datasync.SMB, Server: "fs", Subdirectory: "/s", User: "u", Profile: "miseq", PasswordSecretArn: "hunter2"}
		}, []string{"Sources[0].PasswordSecretArn is \"hunter2\""}},
		{"smb1", func(p *datasync.Props) {
			p.Sources[0] = datasync.Source{Name: "s", Protocol: datasync.SMB, Server: "fs", Subdirectory: "/s", User: "u", Profile: "miseq", PasswordSecretArn: smbSecret, SMBVersion: "SMB1"}
		}, []string{"Sources[0].SMBVersion is \"SMB1\""}},
		{"nfs with password", func(p *datasync.Props) { p.Sources[0].PasswordSecretArn = smbSecret }, []string{"Sources[0].PasswordSecretArn", "SMB credentials"}},
		{"duplicate names", func(p *datasync.Props) {
			b := nfsSource("aa")
			b.Subfolder = "bb"
			p.Sources = append(p.Sources, b)
		}, []string{"Sources[1].Name is \"aa\"", "Sources[0] has it"}},
		{"upper-case name", func(p *datasync.Props) { p.Sources[0].Name = "NovaSeq" }, []string{"Sources[0].Name is \"NovaSeq\"", "lower-case"}},
		{"overlapping prefixes", func(p *datasync.Props) {
			b := nfsSource("bb")
			b.Subfolder = ""
			p.Sources = append(p.Sources, b)
		}, []string{"Sources[1].Subfolder", "overlap"}},
		{"unknown profile", func(p *datasync.Props) { p.Sources[0].Profile = "hiseq" }, []string{"Sources[0].Profile is \"hiseq\"", "novaseq-x"}},
		{"generic without markers", func(p *datasync.Props) { p.Sources[0].Profile = "generic" }, []string{"generic only with Markers"}},
		{"invalid schedule", func(p *datasync.Props) { p.Sources[0].Schedule = "every hour" }, []string{"Sources[0].Schedule is \"every hour\"", "cron("}},
		{"schedule too often", func(p *datasync.Props) { p.Sources[0].Schedule = "rate(30 minutes)" }, []string{"at least 1 hour"}},
		{"cron too often", func(p *datasync.Props) { p.Sources[0].Schedule = "cron(*/15 * * * ? *)" }, []string{"at most once an hour"}},
		{"bad filter", func(p *datasync.Props) { p.Sources[0].Exclude = "|*.tmp" }, []string{"Sources[0].Exclude is \"|*.tmp\"", "\"|\""}},
		{"empty pattern", func(p *datasync.Props) { p.Sources[0].Include = "/a||/b" }, []string{"Sources[0].Include"}},
		{"long filter", func(p *datasync.Props) { p.Sources[0].Include = strings.Repeat("a", datasync.MaxFilterLength+1) }, []string{"at most 102400"}},
		{"bad bandwidth", func(p *datasync.Props) { p.Sources[0].BytesPerSecond = -5 }, []string{"Sources[0].BytesPerSecond is -5"}},
		{"bad overwrite", func(p *datasync.Props) { p.Sources[0].Overwrite = "SOMETIMES" }, []string{"Sources[0].Overwrite is \"SOMETIMES\"", "ALWAYS or NEVER"}},
		{"bad subdirectory", func(p *datasync.Props) { p.Sources[0].Subdirectory = "out" }, []string{"Sources[0].Subdirectory is \"out\""}},
		{"bad server", func(p *datasync.Props) { p.Sources[0].Server = "nas 01" }, []string{"Sources[0].Server is \"nas 01\""}},
		{"bad protocol", func(p *datasync.Props) { p.Sources[0].Protocol = "FTP" }, []string{"Sources[0].Protocol is \"FTP\""}},
		{"bad subfolder", func(p *datasync.Props) { p.Sources[0].Subfolder = "/x/" }, []string{"Sources[0].Subfolder is \"/x/\""}},
		{"bad retention", func(p *datasync.Props) { p.LogRetentionDays = 42 }, []string{"Props.LogRetentionDays is 42"}},
		{"bad report level", func(p *datasync.Props) { p.ReportLevel = "ALL" }, []string{"Props.ReportLevel is \"ALL\""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := goodSettings()
			p.Sources = append([]datasync.Source(nil), p.Sources...)
			c.edit(&p)
			err := p.ValidateSettings()
			if err == nil {
				t.Fatalf("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			cdktest.ValidationErrors(t, err, "")
			for _, w := range c.want {
				if strings.HasPrefix(w, "Props.") {
					cdktest.HasField(t, err, "", strings.SplitN(w, " is ", 2)[0])
				}
			}
		})
	}
}

func TestCheckSchedule(t *testing.T) {
	for _, s := range []string{"rate(1 hour)", "rate(12 hours)", "rate(60 minutes)", "rate(1 day)", "cron(0 2 * * ? *)",
		"cron(0 8 ? * 4#1 *)", "cron(30 */6 ? * MON-FRI *)", "cron(0 12 ? * SUN,WED *)", "cron(15 10 L * ? 2026-2030)", "cron(0 0 ? JAN-MAR 6L *)"} {
		if err := datasync.CheckSchedule(s); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	for _, s := range []string{"", "rate(1 hours)", "rate(2 hour)", "rate(59 minutes)", "rate(0 hours)", "rate(1 week)", "cron(0 2 * * * *)",
		"cron(0 2 ? * ? *)", "cron(0 2 * *)", "cron(0 24 * * ? *)", "cron(0,30 * * * ? *)", "cron(* * * * ? *)", "cron(0 2 32 * ? *)",
		"cron(0 2 ? * FOO *)", "cron(0 2 ? * 1#6 *)", "0 2 * * ? *", "cron(0 2 * 13 ? *)"} {
		if err := datasync.CheckSchedule(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

// TestNewPanics: New panics with the validation errors, naming the path,
// and refuses an activated agent in an isolated network without a
// DataSync endpoint.
func TestNewPanics(t *testing.T) {
	_, stack := cdktest.NewStack("Bad")
	err := cdktest.CatchValidation(t, func() { datasync.New(stack, "DataSync", &datasync.Props{AgentArn: existingAgent}) })
	cdktest.HasField(t, err, "Bad/DataSync", "Props.Network")
	msg, panicked := err.Error(), true
	if !strings.HasPrefix(msg, "Bad/DataSync: ") || !strings.Contains(msg, "Props.Network is nil") ||
		!strings.Contains(msg, "Props.Lake is nil") || !strings.Contains(msg, "Props.Sources is empty") {
		t.Errorf("panic = %v %q", panicked, msg)
	}
	net := network.New(stack, "Network", &network.Props{InterfaceEndpoints: []network.Endpoint{network.EndpointKMS}})
	lake := datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true})
	msg, panicked = cdktest.Catch(func() {
		datasync.New(stack, "NoEndpoint", &datasync.Props{Network: net, Lake: lake, ActivationKey: datasync.ActivationKeyParameter,
			AgentCIDR: "192.168.0.0/16", Sources: []datasync.Source{nfsSource("aa")}})
	})
	if !panicked || !strings.Contains(msg, "Props.Network is a network without a DataSync endpoint") {
		t.Errorf("isolated network without endpoint: %v %q", panicked, msg)
	}
	// An agent to activate needs its network: AgentCIDR, or the network's
	// on-premises CIDRs.
	nat := network.New(stack, "Nat", &network.Props{Profile: network.ProfileNAT})
	err = cdktest.CatchValidation(t, func() {
		datasync.New(stack, "NoCIDR", &datasync.Props{Network: nat, Lake: lake, ActivationKey: datasync.ActivationKeyParameter, Sources: []datasync.Source{nfsSource("aa")}})
	})
	cdktest.HasField(t, err, "Bad/NoCIDR", "Props.AgentCIDR")
	if !strings.Contains(err.Error(), "OnPremCIDRs") {
		t.Errorf("no-CIDR error %q does not name the network's on-premises CIDRs", err)
	}
	err = cdktest.CatchValidation(t, func() { datasync.New(stack, "Nil", nil) })
	cdktest.HasField(t, err, "Bad/Nil", "Props")
	if msg = err.Error(); !strings.Contains(msg, "Props is nil") {
		t.Errorf("nil props: %v %q", panicked, msg)
	}
}

package eventglue_test

import (
	"strings"
	"testing"
	"time"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
)

func TestValidate(t *testing.T) {
	// Lake and Network only need to be non-nil for Validate.
	lake, net := &datalake.DataLake{}, &network.Network{}
	ok := func() *eventglue.Props { return &eventglue.Props{Lake: lake, Network: net} }
	rule := func(b datalake.BucketName, prefix, profile string) eventglue.RunRule {
		return eventglue.RunRule{Bucket: b, Prefix: prefix, Profile: profile, Channel: eventglue.ChannelDataSync}
	}
	cases := []struct {
		name string
		edit func(p *eventglue.Props)
		want []string // substrings of the error; none means valid
	}{
		{"minimal", func(p *eventglue.Props) {}, nil},
		{"everything", func(p *eventglue.Props) {
			p.LogRetentionDays, p.LogLevel, p.ArchiveRetentionDays, p.MapConcurrency = 3653, "warn", 36500, 1000
			p.ReservedConcurrency = eventglue.ReservedConcurrency{Ingest: 1, Verify: 1, Restore: 1}
			p.MaxStreamBytes, p.VerifyMemoryMB, p.RestoreTier, p.RestoreDays = 1<<20, 10240, eventglue.RestoreStandard, 365
			p.AlarmEmail = "data-platform+alerts@lab.example.org"
			p.RunRules = append(eventglue.DefaultRunRules(), rule(datalake.BucketRaw, "miseq/", "miseq"), rule(datalake.BucketShared, "runs/", "nextseq"))
		}, nil},
		{"nil lake and network", func(p *eventglue.Props) { p.Lake, p.Network = nil, nil },
			[]string{"Props.Lake is nil", "Props.Network is nil"}},
		{"retention", func(p *eventglue.Props) { p.LogRetentionDays = 100 }, []string{"Props.LogRetentionDays is 100; accepted: one of 1, 3, 5"}},
		{"log level", func(p *eventglue.Props) { p.LogLevel = "INFO" }, []string{`Props.LogLevel is "INFO"; accepted: debug, info, warn, error`}},
		{"archive", func(p *eventglue.Props) { p.ArchiveRetentionDays = -1 }, []string{"Props.ArchiveRetentionDays is -1; accepted: 1 to 36500"}},
		{"concurrency", func(p *eventglue.Props) { p.ReservedConcurrency.Verify = -2 },
			[]string{"Props.ReservedConcurrency.Verify is -2; accepted: a positive number"}},
		{"map concurrency", func(p *eventglue.Props) { p.MapConcurrency = 1001 }, []string{"Props.MapConcurrency is 1001; accepted: 1 to 1000"}},
		{"stream bytes", func(p *eventglue.Props) { p.MaxStreamBytes = 1000 }, []string{"Props.MaxStreamBytes is 1000; accepted: at least 1048576"}},
		{"memory", func(p *eventglue.Props) { p.VerifyMemoryMB = 64 }, []string{"Props.VerifyMemoryMB is 64; accepted: 128 to 10240"}},
		{"tier", func(p *eventglue.Props) { p.RestoreTier = "bulk" }, []string{`Props.RestoreTier is "bulk"; accepted: Bulk or Standard`}},
		// The restore handler refuses Expedited (Deep Archive has none).
		{"expedited", func(p *eventglue.Props) { p.RestoreTier = "Expedited" }, []string{`Props.RestoreTier is "Expedited"; accepted: Bulk or Standard`}},
		{"days", func(p *eventglue.Props) { p.RestoreDays = 366 }, []string{"Props.RestoreDays is 366; accepted: 1 to 365"}},
		{"email", func(p *eventglue.Props) { p.AlarmEmail = "Ops <ops@example.org>" }, []string{`Props.AlarmEmail is "Ops <ops@example.org>"; accepted: a plain e-mail address`}},
		{"email without domain", func(p *eventglue.Props) { p.AlarmEmail = "ops@localhost" }, []string{`Props.AlarmEmail is "ops@localhost"`}},
		{"unknown bucket", func(p *eventglue.Props) { p.RunRules = []eventglue.RunRule{rule("athenaResults", "runs/", "miseq")} },
			[]string{`Props.RunRules[0].Bucket is "athenaResults"; accepted: one of the data buckets: raw, partner, shared, curated, results`}},
		{"unknown profile", func(p *eventglue.Props) { p.RunRules = []eventglue.RunRule{rule(datalake.BucketRaw, "runs/", "hiseq")} },
			[]string{`Props.RunRules[0].Profile is "hiseq"; accepted: one of novaseq-x, novaseq-6000, nextseq, miseq, generic`}},
		{"generic without markers", func(p *eventglue.Props) {
			p.RunRules = []eventglue.RunRule{rule(datalake.BucketRaw, "runs/", "generic")}
		},
			[]string{`Props.RunRules[0].Profile is "generic"; accepted: generic only with Markers or a Manifest`}},
		{"settle window", func(p *eventglue.Props) {
			p.RunRules = []eventglue.RunRule{{Bucket: datalake.BucketShared, Prefix: "drop/", Profile: "generic", Markers: []string{"DONE"}, Channel: eventglue.ChannelFileGateway, SettleAfter: 6 * time.Hour}}
		}, nil},
		{"settle window with a manifest, on datasync, too short", func(p *eventglue.Props) {
			p.RunRules = []eventglue.RunRule{
				{Bucket: datalake.BucketShared, Prefix: "drop/", Profile: "generic", Manifest: "m.sha256", Channel: eventglue.ChannelFileGateway, SettleAfter: time.Hour},
				{Bucket: datalake.BucketRaw, Prefix: "runs/", Profile: "miseq", Channel: eventglue.ChannelDataSync, SettleAfter: time.Hour},
				{Bucket: datalake.BucketPartner, Prefix: "in/", Profile: "miseq", Channel: eventglue.ChannelTransfer, SettleAfter: time.Minute},
			}
		}, []string{"Props.RunRules[0].SettleAfter is 1h0m0s; accepted: 0 with a Manifest",
			"Props.RunRules[1].SettleAfter is 1h0m0s; accepted: 0 on the datasync channel",
			"Props.RunRules[2].SettleAfter is 1m0s; accepted: whole seconds from 5m0s to 720h0m0s"}},
		{"bad prefix", func(p *eventglue.Props) { p.RunRules = []eventglue.RunRule{rule(datalake.BucketRaw, "runs", "miseq")} },
			[]string{`Props.RunRules[0].Prefix is "runs"; accepted: a key prefix ending in "/"`}},
		{"absolute prefix", func(p *eventglue.Props) {
			p.RunRules = []eventglue.RunRule{rule(datalake.BucketRaw, "/runs/", "miseq")}
		},
			[]string{`Props.RunRules[0].Prefix is "/runs/"; accepted: a relative key prefix`}},
		{"dot prefix", func(p *eventglue.Props) {
			p.RunRules = []eventglue.RunRule{rule(datalake.BucketRaw, "a/../b/", "miseq")}
		},
			[]string{`Props.RunRules[0].Prefix is "a/../b/"`}},
		{"duplicate prefix", func(p *eventglue.Props) {
			p.RunRules = []eventglue.RunRule{rule(datalake.BucketRaw, "runs/", "miseq"), rule(datalake.BucketRaw, "runs/", "nextseq")}
		}, []string{`Props.RunRules[1].Prefix is "runs/"; accepted: a prefix not already used by RunRules[0] in bucket raw`}},
		{"overlapping prefix", func(p *eventglue.Props) {
			p.RunRules = []eventglue.RunRule{rule(datalake.BucketRaw, "runs/", "miseq"), rule(datalake.BucketRaw, "runs/nextseq/", "nextseq")}
		}, []string{`Props.RunRules[1].Prefix is "runs/nextseq/"; accepted: a prefix that does not overlap RunRules[0]'s "runs/" in bucket raw`}},
		{"whole bucket overlaps", func(p *eventglue.Props) {
			p.RunRules = []eventglue.RunRule{rule(datalake.BucketRaw, "runs/", "miseq"), rule(datalake.BucketRaw, "", "nextseq")}
		}, []string{`Props.RunRules[1].Prefix is ""; accepted: a prefix that does not overlap`}},
		{"channel", func(p *eventglue.Props) {
			r := rule(datalake.BucketRaw, "runs/", "miseq")
			r.Channel = "ftp"
			p.RunRules = []eventglue.RunRule{r}
		}, []string{`Props.RunRules[0].Channel is "ftp"; accepted: datasync, transfer or filegateway`}},
		{"markers and manifest", func(p *eventglue.Props) {
			r := rule(datalake.BucketRaw, "runs/", "generic")
			r.Markers, r.Manifest = []string{"DONE", "sub/DONE", "DONE"}, "DONE"
			p.RunRules = []eventglue.RunRule{r}
		}, []string{`Props.RunRules[0].Markers[1] is "sub/DONE"; accepted: a plain, non-empty file name`, `Markers[2] is "DONE"; accepted: a file name listed once`,
			`Props.RunRules[0].Manifest is "DONE"; accepted: a file name other than the markers'`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := ok()
			c.edit(p)
			err := p.Validate()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			cdktest.HasField(t, err, "", strings.SplitN(c.want[0], " is ", 2)[0])
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain %q", err, w)
				}
			}
		})
	}
	if err := (*eventglue.Props)(nil).Validate(); err == nil || !strings.Contains(err.Error(), "Props is nil; accepted: props with Lake and Network set") {
		t.Errorf("nil props: %v", err)
	}
}

// New panics with the validation error, naming the construct path.
func TestNewRejectsInvalidProps(t *testing.T) {
	_, stack := cdktest.NewStack("Invalid")
	net := network.New(stack, "Network", nil)
	err := cdktest.CatchValidation(t, func() {
		eventglue.New(stack, "EventGlue", &eventglue.Props{Network: net, MapConcurrency: -1})
	})
	cdktest.HasField(t, err, "Invalid/EventGlue", "Props.MapConcurrency")
	msg, panicked := err.Error(), true
	if !strings.HasPrefix(msg, "Invalid/EventGlue: ") || !strings.Contains(msg, "Props.Lake is nil") ||
		!strings.Contains(msg, "Props.MapConcurrency is -1") {
		t.Errorf("panic %v: %s", panicked, msg)
	}
	// Without VerifierImage the default asset needs docker/verify/Dockerfile;
	// when it is missing the error says so.
	lake := datalake.New(stack, "DataLake", nil)
	msg, panicked = cdktest.Catch(func() {
		eventglue.New(stack, "Glue2", &eventglue.Props{Network: net, Lake: lake})
	})
	if panicked && !strings.Contains(msg, "Props.VerifierImage is nil: the default image cannot be built") {
		t.Errorf("panic: %s", msg)
	}
}

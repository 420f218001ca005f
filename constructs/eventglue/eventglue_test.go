package eventglue_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/internal/runs"
)

func sorted(s []string) []string { sort.Strings(s); return s }

func TestBusAndArchive(t *testing.T) {
	f := load(t)
	for stack, days := range map[string]float64{"Glue": 400, "Defaults": 365} {
		busID, bus := f.res(t, stack, "EventGlue/Bus")
		keyID, _ := f.res(t, stack, "EventGlue/BusKey")
		if got := asJSON(bus.Properties["KmsKeyIdentifier"]); got != asJSON(getAtt(keyID, "Arn")) {
			t.Errorf("%s: bus KmsKeyIdentifier = %s, want the bus key", stack, got)
		}
		if name, _ := bus.Properties["Name"].(string); name == "" || strings.Contains(strings.ToLower(name), "biolake") {
			t.Errorf("%s: bus Name = %q, want a CDK-generated name", stack, name)
		}
		dlqID, _ := f.res(t, stack, "EventGlue/EventsDeadLetterQueue")
		if asJSON(get(bus.Properties, "DeadLetterConfig", "Arn")) != asJSON(getAtt(dlqID, "Arn")) {
			t.Errorf("%s: bus DeadLetterConfig = %v", stack, bus.Properties["DeadLetterConfig"])
		}
		_, dlqPolicy := f.res(t, stack, "EventGlue/EventsDeadLetterQueue/Policy")
		if !strings.Contains(asJSON(dlqPolicy.Properties), asJSON(map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": getAtt(busID, "Arn")}})) {
			t.Errorf("%s: the events DLQ does not let the bus send: %s", stack, asJSON(dlqPolicy.Properties))
		}
		_, archive := f.res(t, stack, "EventGlue/Bus/Archive/Archive")
		if asJSON(archive.Properties["SourceArn"]) != asJSON(getAtt(busID, "Arn")) {
			t.Errorf("%s: archive SourceArn = %v", stack, archive.Properties["SourceArn"])
		}
		archiveKey, _ := f.res(t, stack, "EventGlue/ArchiveKey")
		if asJSON(archive.Properties["KmsKeyIdentifier"]) != asJSON(getAtt(archiveKey, "Arn")) {
			t.Errorf("%s: archive KmsKeyIdentifier = %v, want the archive key", stack, archive.Properties["KmsKeyIdentifier"])
		}
		if archive.Properties["RetentionDays"] != days {
			t.Errorf("%s: archive RetentionDays = %v, want %v", stack, archive.Properties["RetentionDays"], days)
		}
		if got := render(get(archive.Properties, "EventPattern", "account", 0)); got != "<Ref:AWS::AccountId>" {
			t.Errorf("%s: archive pattern = %s, want every event of the account", stack, asJSON(archive.Properties["EventPattern"]))
		}
	}
}

func TestCatalogTable(t *testing.T) {
	f := load(t)
	for stack, protected := range map[string]bool{"Glue": true, "Defaults": false} {
		id, table := f.res(t, stack, "EventGlue/Catalog")
		keyID, _ := f.res(t, stack, "EventGlue/CatalogKey")
		p := table.Properties
		if got := asJSON(p["KeySchema"]); got != `[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]` {
			t.Errorf("%s: KeySchema = %s", stack, got)
		}
		if got := asJSON(p["AttributeDefinitions"]); got != `[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"}]` {
			t.Errorf("%s: AttributeDefinitions = %s", stack, got)
		}
		if p["BillingMode"] != "PAY_PER_REQUEST" {
			t.Errorf("%s: BillingMode = %v", stack, p["BillingMode"])
		}
		if get(p, "SSESpecification", "SSEEnabled") != true || get(p, "SSESpecification", "SSEType") != "KMS" ||
			asJSON(get(p, "SSESpecification", "KMSMasterKeyId")) != asJSON(getAtt(keyID, "Arn")) {
			t.Errorf("%s: SSESpecification = %s, want the catalog key", stack, asJSON(p["SSESpecification"]))
		}
		if get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true {
			t.Errorf("%s: PITR = %s", stack, asJSON(p["PointInTimeRecoverySpecification"]))
		}
		if p["DeletionProtectionEnabled"] != protected {
			t.Errorf("%s: DeletionProtectionEnabled = %v, want %v", stack, p["DeletionProtectionEnabled"], protected)
		}
		if table.DeletionPolicy != "Retain" {
			t.Errorf("%s: DeletionPolicy = %q, want Retain", stack, table.DeletionPolicy)
		}
		if !protected {
			// The data lake of Defaults has no backup plan.
			if sel := f.ofType(stack, "AWS::Backup::BackupSelection", ""); len(sel) != 0 {
				t.Errorf("%s: backup selections %v", stack, keysOf(sel))
			}
			continue
		}
		_, sel := f.res(t, stack, "DataLake/Backup/Plan/Catalog")
		if got := asJSON(get(sel.Properties, "BackupSelection", "Resources")); got != asJSON([]any{getAtt(id, "Arn")}) {
			t.Errorf("%s: backup selection Catalog = %s", stack, got)
		}
	}
	// A data lake in another stack: the selection is made in the glue's
	// stack, on the lake's plan and role (cross-stack references), with no cycle.
	id, _ := f.res(t, "SplitGlue", "EventGlue/Catalog")
	_, sel := f.res(t, "SplitGlue", "EventGlue/CatalogBackup")
	if got := asJSON(get(sel.Properties, "BackupSelection", "Resources")); got != asJSON([]any{getAtt(id, "Arn")}) ||
		!strings.Contains(asJSON(sel.Properties["BackupPlanId"]), `"StackName":"SplitLake"`) {
		t.Errorf("SplitGlue: backup selection %s", asJSON(sel.Properties))
	}
	if sels := f.ofType("SplitLake", "AWS::Backup::BackupSelection", ""); len(sels) != 1 {
		t.Errorf("SplitLake: %d backup selections, want the data buckets' only", len(sels))
	}
}

func TestQueues(t *testing.T) {
	f := load(t)
	const stack = "Glue"
	queueKey, _ := f.res(t, stack, "EventGlue/QueueKey")
	queues := f.ofType(stack, "AWS::SQS::Queue", "EventGlue")
	if len(queues) != 6 {
		t.Errorf("want 6 queues (2 with dead-letter queues, the function and events DLQs), got %d", len(queues))
	}
	for id, q := range queues {
		if asJSON(q.Properties["KmsMasterKeyId"]) != asJSON(getAtt(queueKey, "Arn")) {
			t.Errorf("%s: KmsMasterKeyId = %v, want the queue key", id, q.Properties["KmsMasterKeyId"])
		}
	}
	policies := f.ofType(stack, "AWS::SQS::QueuePolicy", "EventGlue")
	if len(policies) != 6 {
		t.Errorf("want a policy per queue, got %d", len(policies))
	}
	for id, p := range policies {
		if !strings.Contains(asJSON(p.Properties), `"Bool":{"aws:SecureTransport":"false"}`) {
			t.Errorf("%s: no TLS-only statement", id)
		}
	}
	for _, c := range []struct {
		queue, fn string
		timeout   float64
		rule      string
	}{{"IngestQueue", "Ingest", 120, "ObjectCreatedRule"}, {"RestoreQueue", "Restore", 900, "RestoreCompletedRule"}} {
		_, q := f.res(t, stack, "EventGlue/"+c.queue)
		dlqID, dlq := f.res(t, stack, "EventGlue/"+c.queue+"DeadLetterQueue")
		_, fn := f.res(t, stack, "EventGlue/"+c.fn)
		if fn.Properties["Timeout"] != c.timeout {
			t.Errorf("%s: Timeout = %v, want %v", c.fn, fn.Properties["Timeout"], c.timeout)
		}
		if q.Properties["VisibilityTimeout"] != 6*c.timeout {
			t.Errorf("%s: VisibilityTimeout = %v, want 6 x %v", c.queue, q.Properties["VisibilityTimeout"], c.timeout)
		}
		if got := asJSON(q.Properties["RedrivePolicy"]); got != asJSON(map[string]any{"deadLetterTargetArn": getAtt(dlqID, "Arn"), "maxReceiveCount": 5}) {
			t.Errorf("%s: RedrivePolicy = %s", c.queue, got)
		}
		if dlq.Properties["MessageRetentionPeriod"] != float64(14*24*3600) {
			t.Errorf("%s DLQ: MessageRetentionPeriod = %v, want 14 days", c.queue, dlq.Properties["MessageRetentionPeriod"])
		}
		// EventBridge may send, for this rule only.
		ruleID, _ := f.res(t, stack, "EventGlue/"+c.rule)
		_, pol := f.res(t, stack, "EventGlue/"+c.queue+"/Policy")
		want := asJSON(map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": getAtt(ruleID, "Arn")}})
		found := false
		for _, st := range get(pol.Properties, "PolicyDocument", "Statement").([]any) {
			if get(st, "Principal", "Service") == "events.amazonaws.com" && get(st, "Action") == "sqs:SendMessage" && asJSON(get(st, "Condition")) == want {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no statement letting events.amazonaws.com send for %s only:\n%s", c.queue, c.rule, asJSON(pol.Properties))
		}
	}
	_, dlq := f.res(t, stack, "EventGlue/RestoreFunctionDeadLetterQueue")
	if dlq.Properties["MessageRetentionPeriod"] != float64(14*24*3600) {
		t.Errorf("function DLQ: MessageRetentionPeriod = %v", dlq.Properties["MessageRetentionPeriod"])
	}
	// The queue key lets EventBridge encrypt (secure.ServiceEvents).
	_, key := f.res(t, stack, "EventGlue/QueueKey")
	if !strings.Contains(asJSON(key.Properties["KeyPolicy"]), `"Service":"events.amazonaws.com"`) {
		t.Errorf("queue key policy does not allow EventBridge: %s", asJSON(key.Properties["KeyPolicy"]))
	}
}

func TestEventSourceMappings(t *testing.T) {
	f := load(t)
	for stack, maxConc := range map[string][2]float64{"Glue": {30, 3}, "Defaults": {20, 5}} {
		for i, fn := range []string{"Ingest", "Restore"} {
			fnID, _ := f.res(t, stack, "EventGlue/"+fn)
			qID, _ := f.res(t, stack, "EventGlue/"+fn+"Queue")
			n := 0
			for id, m := range f.ofType(stack, "AWS::Lambda::EventSourceMapping", "") {
				if asJSON(m.Properties["FunctionName"]) != asJSON(ref(fnID)) {
					continue
				}
				n++
				p := m.Properties
				if asJSON(p["EventSourceArn"]) != asJSON(getAtt(qID, "Arn")) || p["BatchSize"] != 10.0 || p["MaximumBatchingWindowInSeconds"] != 5.0 ||
					asJSON(p["FunctionResponseTypes"]) != `["ReportBatchItemFailures"]` || get(p, "ScalingConfig", "MaximumConcurrency") != maxConc[i] {
					t.Errorf("%s %s: %s", stack, id, asJSON(p))
				}
			}
			if n != 1 {
				t.Errorf("%s: %s has %d event source mappings, want 1", stack, fn, n)
			}
		}
	}
}

func TestRules(t *testing.T) {
	f := load(t)
	const stack = "Glue"
	var buckets []any
	for _, b := range []string{"Raw", "Partner", "Shared", "Curated", "Results"} {
		id, _ := f.res(t, stack, "DataLake/"+b)
		buckets = append(buckets, ref(id))
	}
	busID, _ := f.res(t, stack, "EventGlue/Bus")
	dlqID, _ := f.res(t, stack, "EventGlue/EventsDeadLetterQueue")
	smID, _ := f.res(t, stack, "EventGlue/VerifyStateMachine")
	topicID, _ := f.res(t, stack, "EventGlue/AlarmTopic")
	for _, c := range []struct {
		rule, detailType, queue string
	}{{"ObjectCreatedRule", "Object Created", "IngestQueue"}, {"RestoreCompletedRule", "Object Restore Completed", "RestoreQueue"}} {
		_, r := f.res(t, stack, "EventGlue/"+c.rule)
		qID, _ := f.res(t, stack, "EventGlue/"+c.queue)
		p := r.Properties
		want := map[string]any{"detail": map[string]any{"bucket": map[string]any{"name": buckets}}, "detail-type": []any{c.detailType}, "source": []any{"aws.s3"}}
		if asJSON(p["EventPattern"]) != asJSON(want) {
			t.Errorf("%s: EventPattern = %s", c.rule, asJSON(p["EventPattern"]))
		}
		if p["EventBusName"] != nil {
			t.Errorf("%s: on bus %v, want the default bus", c.rule, p["EventBusName"])
		}
		tg := get(p, "Targets", 0)
		if asJSON(get(tg, "Arn")) != asJSON(getAtt(qID, "Arn")) || asJSON(get(tg, "DeadLetterConfig", "Arn")) != asJSON(getAtt(dlqID, "Arn")) {
			t.Errorf("%s: target = %s", c.rule, asJSON(tg))
		}
	}
	_, run := f.res(t, stack, "EventGlue/RunCompletedRule")
	if asJSON(run.Properties["EventBusName"]) != asJSON(ref(busID)) ||
		asJSON(run.Properties["EventPattern"]) != `{"detail-type":["RunCompleted"],"source":["biolake.ingest"]}` {
		t.Errorf("RunCompletedRule: %s", asJSON(run.Properties))
	}
	tg := get(run.Properties, "Targets", 0)
	if asJSON(get(tg, "Arn")) != asJSON(ref(smID)) || get(tg, "InputPath") != "$.detail" ||
		asJSON(get(tg, "DeadLetterConfig", "Arn")) != asJSON(getAtt(dlqID, "Arn")) || get(tg, "RoleArn") == nil {
		t.Errorf("RunCompletedRule target = %s", asJSON(tg))
	}
	_, integ := f.res(t, stack, "EventGlue/IntegrityFailedRule")
	if asJSON(integ.Properties["EventBusName"]) != asJSON(ref(busID)) ||
		asJSON(integ.Properties["EventPattern"]) != `{"detail-type":["IntegrityFailed"]}` ||
		asJSON(get(integ.Properties, "Targets", 0, "Arn")) != asJSON(ref(topicID)) {
		t.Errorf("IntegrityFailedRule: %s", asJSON(integ.Properties))
	}
}

// TestEvidenceRules: where a rule has no manifest, the evidence that
// completes its runs reaches the ingest queue: successful DataSync task
// executions from the platform bus, and a sweep schedule where a rule opts
// in to a settle window; the defaults (manifests everywhere) need neither.
func TestEvidenceRules(t *testing.T) {
	f := load(t)
	const stack = "Glue"
	busID, _ := f.res(t, stack, "EventGlue/Bus")
	qID, _ := f.res(t, stack, "EventGlue/IngestQueue")
	dlqID, _ := f.res(t, stack, "EventGlue/EventsDeadLetterQueue")
	_, ds := f.res(t, stack, "EventGlue/DataSyncSuccessRule")
	if asJSON(ds.Properties["EventBusName"]) != asJSON(ref(busID)) ||
		asJSON(ds.Properties["EventPattern"]) != `{"detail":{"State":["SUCCESS"]},"detail-type":["DataSync Task Execution State Change"],"source":["aws.datasync"]}` {
		t.Errorf("DataSyncSuccessRule: %s", asJSON(ds.Properties))
	}
	_, sweep := f.res(t, stack, "EventGlue/SettleSweepRule")
	if sweep.Properties["EventBusName"] != nil || sweep.Properties["ScheduleExpression"] != eventglue.SweepSchedule {
		t.Errorf("SettleSweepRule: %s", asJSON(sweep.Properties))
	}
	for _, r := range []resource{ds, sweep} {
		tg := get(r.Properties, "Targets", 0)
		if asJSON(get(tg, "Arn")) != asJSON(getAtt(qID, "Arn")) || asJSON(get(tg, "DeadLetterConfig", "Arn")) != asJSON(getAtt(dlqID, "Arn")) {
			t.Errorf("target = %s", asJSON(tg))
		}
	}
	// The handler describes DataSync tasks, executions and S3 locations
	// (read only, this account's), and lists the run rules' buckets so that
	// a missing key is a 404.
	var datasync []string
	listed := 0
	for _, st := range f.statements(t, stack, "EventGlue/Ingest/ServiceRole") {
		for _, a := range actionsOf(st) {
			switch {
			case strings.HasPrefix(a, "datasync:"):
				datasync = append(datasync, a+" "+render(get(st, "Resource")))
			case a == "s3:ListBucket":
				res, _ := get(st, "Resource").([]any)
				listed += len(res)
			}
		}
	}
	sort.Strings(datasync)
	want := []string{
		"datasync:DescribeLocationS3 arn:<Ref:AWS::Partition>:datasync:<Ref:AWS::Region>:<Ref:AWS::AccountId>:location/*",
		"datasync:DescribeTask arn:<Ref:AWS::Partition>:datasync:<Ref:AWS::Region>:<Ref:AWS::AccountId>:task/*",
		"datasync:DescribeTaskExecution arn:<Ref:AWS::Partition>:datasync:<Ref:AWS::Region>:<Ref:AWS::AccountId>:task/*",
	}
	if strings.Join(datasync, "\n") != strings.Join(want, "\n") {
		t.Errorf("datasync grants:\n%s\nwant\n%s", strings.Join(datasync, "\n"), strings.Join(want, "\n"))
	}
	if listed != 3 {
		t.Errorf("s3:ListBucket on %d resources, want the run rules' three buckets (raw, partner, shared)", listed)
	}
	for id, r := range f.tpl["Defaults"].Resources {
		if r.Type == "AWS::Events::Rule" && (strings.HasPrefix(id, "EventGlueDataSyncSuccessRule") || strings.HasPrefix(id, "EventGlueSettleSweepRule")) {
			t.Errorf("Defaults: %s exists, but every default rule has a manifest", id)
		}
	}
}

// placeholder replaces the references in a rendered value.
var placeholder = regexp.MustCompile(`<[^<>]+>`)

func TestFunctions(t *testing.T) {
	f := load(t)
	type fnWant struct {
		memory, reserved float64
		env              map[string]string
	}
	cases := map[string]map[string]fnWant{
		"Glue": {
			"Ingest":  {512, 30, map[string]string{"LOG_LEVEL": "debug"}},
			"Verify":  {3008, 12, map[string]string{"LOG_LEVEL": "debug", "CATALOG_PREFIX": "catalog/", "QUARANTINE_PREFIX": "quarantine/", "ACCEPTED_PREFIX": "accepted/", "MAX_STREAM_BYTES": "5368709120", "VERIFY_CONCURRENCY": "16"}},
			"Restore": {256, 3, map[string]string{"LOG_LEVEL": "debug", "RESTORE_TIER": "Standard", "RESTORE_DAYS": "3"}},
		},
		"Defaults": {
			"Ingest":  {512, 20, map[string]string{"LOG_LEVEL": "info"}},
			"Verify":  {1769, 10, map[string]string{"LOG_LEVEL": "info", "MAX_STREAM_BYTES": "2147483648"}},
			"Restore": {256, 5, map[string]string{"LOG_LEVEL": "info", "RESTORE_TIER": "Bulk", "RESTORE_DAYS": "7"}},
		},
	}
	envKeys := map[string][]string{
		"Ingest":  {"CATALOG_TABLE", "DATA_CLASSES", "EVENT_BUS_NAME", "LOG_LEVEL", "RUN_RULES"},
		"Verify":  {"ACCEPTED_PREFIX", "CATALOG_BUCKET", "CATALOG_PREFIX", "CATALOG_TABLE", "EVENT_BUS_NAME", "LOG_LEVEL", "MAX_STREAM_BYTES", "QUARANTINE_PREFIX", "VERIFY_CONCURRENCY"},
		"Restore": {"CATALOG_TABLE", "EVENT_BUS_NAME", "LOG_LEVEL", "RESTORE_DAYS", "RESTORE_TIER"},
	}
	for stack, fns := range cases {
		sgID, _ := f.res(t, stack, "EventGlue/FunctionSecurityGroup")
		tableID, _ := f.res(t, stack, "EventGlue/Catalog")
		busID, _ := f.res(t, stack, "EventGlue/Bus")
		logKey, _ := f.res(t, stack, "EventGlue/LogKey")
		for fn, w := range fns {
			_, r := f.res(t, stack, "EventGlue/"+fn)
			p := r.Properties
			if p["Runtime"] != "provided.al2023" || asJSON(p["Architectures"]) != `["arm64"]` || p["Handler"] != "bootstrap" {
				t.Errorf("%s %s: runtime %v %v %v", stack, fn, p["Runtime"], p["Architectures"], p["Handler"])
			}
			if p["MemorySize"] != w.memory || p["ReservedConcurrentExecutions"] != w.reserved {
				t.Errorf("%s %s: memory %v reserved %v, want %v %v", stack, fn, p["MemorySize"], p["ReservedConcurrentExecutions"], w.memory, w.reserved)
			}
			if get(p, "TracingConfig", "Mode") != "Active" {
				t.Errorf("%s %s: tracing %v", stack, fn, p["TracingConfig"])
			}
			if asJSON(get(p, "VpcConfig", "SecurityGroupIds")) != asJSON([]any{getAtt(sgID, "GroupId")}) || len(get(p, "VpcConfig", "SubnetIds").([]any)) != 2 {
				t.Errorf("%s %s: VpcConfig = %s", stack, fn, asJSON(p["VpcConfig"]))
			}
			env := get(p, "Environment", "Variables").(map[string]any)
			var keys []string
			for k := range env {
				keys = append(keys, k)
			}
			if got := sorted(keys); !slices.Equal(got, envKeys[fn]) {
				t.Errorf("%s %s: environment keys %v, want %v", stack, fn, got, envKeys[fn])
			}
			for k, v := range w.env {
				if env[k] != v {
					t.Errorf("%s %s: %s = %v, want %q", stack, fn, k, env[k], v)
				}
			}
			if asJSON(env["CATALOG_TABLE"]) != asJSON(ref(tableID)) || asJSON(env["EVENT_BUS_NAME"]) != asJSON(ref(busID)) {
				t.Errorf("%s %s: CATALOG_TABLE %v EVENT_BUS_NAME %v", stack, fn, env["CATALOG_TABLE"], env["EVENT_BUS_NAME"])
			}
			// The log group is KMS-encrypted with the log key.
			lgID, lg := f.res(t, stack, "EventGlue/"+fn+"LogGroup")
			if asJSON(get(p, "LoggingConfig", "LogGroup")) != asJSON(ref(lgID)) || asJSON(lg.Properties["KmsKeyId"]) != asJSON(getAtt(logKey, "Arn")) {
				t.Errorf("%s %s: log group %s", stack, fn, asJSON(lg.Properties))
			}
			if dlc := p["DeadLetterConfig"]; (fn == "Restore") != (dlc != nil) {
				t.Errorf("%s %s: DeadLetterConfig = %v (only restore is invoked asynchronously)", stack, fn, dlc)
			}
		}
	}

	// RUN_RULES as the ingest handler decodes it.
	_, ingest := f.res(t, "Glue", "EventGlue/Ingest")
	env := get(ingest.Properties, "Environment", "Variables")
	rendered := render(get(env, "RUN_RULES"))
	raw, _ := f.res(t, "Glue", "DataLake/Raw")
	partner, _ := f.res(t, "Glue", "DataLake/Partner")
	shared, _ := f.res(t, "Glue", "DataLake/Shared")
	var rules []map[string]any
	if err := json.Unmarshal([]byte(rendered), &rules); err != nil {
		t.Fatalf("RUN_RULES %s: %v", rendered, err)
	}
	want := []map[string]any{
		{"bucket": "<Ref:" + raw + ">", "prefix": "runs/", "profile": "novaseq-x", "manifest": "manifest.sha256", "channel": "datasync"},
		{"bucket": "<Ref:" + partner + ">", "prefix": "quarantine/", "profile": "generic", "markers": []any{"DONE"}, "manifest": "manifest.csv", "channel": "transfer", "partnered": true},
		{"bucket": "<Ref:" + shared + ">", "prefix": "share/nextseq/", "profile": "nextseq", "channel": "filegateway", "settleAfterSeconds": 21600},
		{"bucket": "<Ref:" + raw + ">", "prefix": "miseq/", "profile": "miseq", "channel": "datasync"},
	}
	// The handler's own parser accepts them.
	if _, err := runs.ParseRules([]byte(rendered)); err != nil {
		t.Errorf("RUN_RULES do not parse: %v", err)
	}
	if asJSON(rules) != asJSON(want) {
		t.Errorf("RUN_RULES = %s\nwant %s", asJSON(rules), asJSON(want))
	}
	var classes map[string][]string
	if err := json.Unmarshal([]byte(get(env, "DATA_CLASSES").(string)), &classes); err != nil || !slices.Contains(classes["fastq"], ".fastq.gz") {
		t.Errorf("DATA_CLASSES = %v (%v)", get(env, "DATA_CLASSES"), err)
	}
	_, verify := f.res(t, "Glue", "EventGlue/Verify")
	curated, _ := f.res(t, "Glue", "DataLake/Curated")
	if asJSON(get(verify.Properties, "Environment", "Variables", "CATALOG_BUCKET")) != asJSON(ref(curated)) || verify.Properties["Timeout"] != 900.0 {
		t.Errorf("verify: CATALOG_BUCKET %v, Timeout %v", get(verify.Properties, "Environment", "Variables", "CATALOG_BUCKET"), verify.Properties["Timeout"])
	}
}

// statements returns the statements of the policies attached to the role
// at rolePath.
func (f *fixture) statements(t *testing.T, stack, rolePath string) []any {
	t.Helper()
	roleID, _ := f.res(t, stack, rolePath)
	var out []any
	for _, p := range f.ofType(stack, "AWS::IAM::Policy", "") {
		if asJSON(p.Properties["Roles"]) == asJSON([]any{ref(roleID)}) {
			out = append(out, get(p.Properties, "PolicyDocument", "Statement").([]any)...)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no policy on %s", stack, rolePath)
	}
	return out
}

func actionsOf(st any) []string {
	switch a := get(st, "Action").(type) {
	case string:
		return []string{a}
	case []any:
		out := make([]string, len(a))
		for i, x := range a {
			out[i] = x.(string)
		}
		return out
	}
	return nil
}

func TestIAM(t *testing.T) {
	f := load(t)
	const stack = "Glue"
	roles := map[string][]string{
		"EventGlue/Ingest/ServiceRole": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem",
			"s3:GetObject", "s3:GetObjectVersion", "s3:PutObjectTagging", "s3:PutObjectVersionTagging", "events:PutEvents", "kms:Decrypt", "kms:GenerateDataKey",
			"sqs:ReceiveMessage", "sqs:DeleteMessage"},
		"EventGlue/Verify/ServiceRole": {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:PutObject", "s3:AbortMultipartUpload",
			"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query", "events:PutEvents", "kms:Decrypt", "kms:GenerateDataKey"},
		"EventGlue/Restore/ServiceRole": {"s3:GetObject", "s3:GetObjectVersion", "s3:RestoreObject", "s3:ListBucket", "dynamodb:PutItem", "dynamodb:UpdateItem",
			"dynamodb:GetItem", "dynamodb:Query", "events:PutEvents", "states:SendTaskSuccess", "states:SendTaskFailure", "sqs:SendMessage"},
		"EventGlue/Samples/ServiceRole":                 {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "kms:Decrypt"},
		"EventGlue/VerifyBatch/VerifyJob/JobRole":       {"s3:GetObject", "s3:GetObjectVersion", "kms:Decrypt"},
		"EventGlue/VerifyBatch/VerifyJob/ExecutionRole": {"logs:CreateLogStream", "logs:PutLogEvents"},
		"EventGlue/VerifyStateMachine/Role":             {"lambda:InvokeFunction", "batch:SubmitJob", "batch:DescribeJobs", "batch:TerminateJob", "events:PutRule"},
		"EventGlue/VerifyStateMachine/EventsRole":       {"states:StartExecution"},
	}
	for role, want := range roles {
		var have []string
		for _, st := range f.statements(t, stack, role) {
			for _, a := range actionsOf(st) {
				have = append(have, a)
				if a == "*" || strings.HasSuffix(a, ":*") || strings.Contains(a, "*") {
					t.Errorf("%s: wildcard action %q", role, a)
				}
			}
			if get(st, "Effect") != "Allow" {
				t.Errorf("%s: %s", role, asJSON(st))
			}
		}
		for _, a := range want {
			if !slices.Contains(have, a) {
				t.Errorf("%s: lacks %s (has %v)", role, a, have)
			}
		}
	}
	// Writes of verify go to two prefixes only.
	for _, st := range f.statements(t, stack, "EventGlue/Verify/ServiceRole") {
		if slices.Contains(actionsOf(st), "s3:PutObject") {
			var parts []string
			for _, r := range get(st, "Resource").([]any) {
				parts = append(parts, render(r))
			}
			res := strings.Join(parts, " ")
			if !strings.Contains(res, "/accepted/*") || !strings.Contains(res, "/catalog/*") || strings.Count(res, "<") != 2 {
				t.Errorf("verify writes to %s, want partner accepted/* and curated catalog/* only", res)
			}
		}
	}
	// The samples handler only reads: objects, bucket listings, the data key.
	for _, st := range f.statements(t, stack, "EventGlue/Samples/ServiceRole") {
		for _, a := range actionsOf(st) {
			if !strings.HasPrefix(a, "xray:") && !slices.Contains([]string{"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "kms:Decrypt"}, a) {
				t.Errorf("samples handler may %s: %s", a, asJSON(st))
			}
		}
	}
	// The handlers reach objects only under the run rules' prefixes (and
	// the partner bucket's accepted/ for the workflows' handlers), and list
	// only the rules' buckets; no action is granted that no call needs.
	wantObjects := map[string]string{
		"EventGlue/Ingest/ServiceRole":  "<Partner>/quarantine/* <Raw>/miseq/* <Raw>/runs/* <Shared>/share/nextseq/*",
		"EventGlue/Verify/ServiceRole":  "<Partner>/quarantine/* <Raw>/miseq/* <Raw>/runs/* <Shared>/share/nextseq/*",
		"EventGlue/Restore/ServiceRole": "<Partner>/accepted/* <Partner>/quarantine/* <Raw>/miseq/* <Raw>/runs/* <Shared>/share/nextseq/*",
		"EventGlue/Samples/ServiceRole": "<Partner>/accepted/* <Partner>/quarantine/* <Raw>/miseq/* <Raw>/runs/* <Shared>/share/nextseq/*",
	}
	short := regexp.MustCompile(`<[A-Za-z]*DataLake([A-Z][a-z]+)[0-9A-F]{8}\.Arn>`)
	for role, want := range wantObjects {
		for _, st := range f.statements(t, stack, role) {
			acts := actionsOf(st)
			for _, a := range acts {
				if a == "dynamodb:ConditionCheckItem" || strings.HasPrefix(a, "s3:GetObjectAttributes") || a == "s3:GetObjectVersionAttributes" {
					t.Errorf("%s: %s is granted and no call of the handler needs it", role, a)
				}
			}
			if !slices.Contains(acts, "s3:GetObject") && !slices.Contains(acts, "s3:ListBucket") {
				continue
			}
			var parts []string
			for _, r := range asList(get(st, "Resource")) {
				parts = append(parts, short.ReplaceAllString(render(r), "<$1>"))
			}
			slices.Sort(parts)
			got := strings.Join(parts, " ")
			if slices.Contains(acts, "s3:GetObject") && got != want {
				t.Errorf("%s reads %s, want %s", role, got, want)
			}
			if slices.Contains(acts, "s3:ListBucket") && strings.Contains(got, "/") {
				t.Errorf("%s lists %s", role, got)
			}
		}
	}
	// "*" resources only where no resource-level permission exists.
	for role := range roles {
		for _, st := range f.statements(t, stack, role) {
			if get(st, "Resource") != "*" {
				continue
			}
			for _, a := range actionsOf(st) {
				if !strings.HasPrefix(a, "xray:") && !strings.HasPrefix(a, "logs:") && !slices.Contains([]string{"states:SendTaskSuccess", "states:SendTaskFailure", "batch:DescribeJobs"}, a) {
					t.Errorf("%s: %s on \"*\"", role, a)
				}
			}
		}
	}
}

// definition renders the state machine's DefinitionString (an Fn::Join)
// with references replaced by "<...>" placeholders and decodes it.
func (f *fixture) definition(t *testing.T, stack string) (map[string]any, resource) {
	t.Helper()
	_, sm := f.res(t, stack, "EventGlue/VerifyStateMachine")
	s := render(sm.Properties["DefinitionString"])
	var def map[string]any
	if err := json.Unmarshal([]byte(s), &def); err != nil {
		t.Fatalf("definition %s: %v", s, err)
	}
	return def, sm
}

// tasks returns every Task state of states, nested ones (Map) included.
func tasks(states map[string]any, out map[string]map[string]any) {
	for name, s := range states {
		st := s.(map[string]any)
		if st["Type"] == "Task" {
			out[name] = st
		}
		if inner, ok := get(st, "ItemProcessor", "States").(map[string]any); ok {
			tasks(inner, out)
		}
	}
}

func TestStateMachine(t *testing.T) {
	f := load(t)
	for stack, mapConc := range map[string]float64{"Glue": 25, "Defaults": 10} {
		def, sm := f.definition(t, stack)
		states := def["States"].(map[string]any)
		if def["StartAt"] != eventglue.StateVerifyRun {
			t.Errorf("%s: StartAt %v", stack, def["StartAt"])
		}
		vr := states["VerifyRun"]
		if !strings.HasSuffix(get(vr, "Resource").(string), ":states:::lambda:invoke") || get(vr, "Parameters", "Payload.$") != "$" ||
			get(vr, "ResultSelector", "run.$") != "$.Payload" {
			t.Errorf("%s: VerifyRun = %s", stack, asJSON(vr))
		}
		m := states["VerifyLargeObjects"]
		if get(m, "Type") != "Map" || get(m, "ItemsPath") != "$.run.large" || get(m, "ResultPath") != "$.large" || get(m, "MaxConcurrency") != mapConc {
			t.Errorf("%s: Map = %s", stack, asJSON(m))
		}
		wantCmd := "States.Array('-s3', $$.Map.Item.Value.s3Uri, '-version-id', $$.Map.Item.Value.versionId, '-expect', $$.Map.Item.Value.expectArg)"
		if get(m, "ItemSelector", "command.$") != wantCmd || get(m, "ItemSelector", "bucket.$") != "$$.Map.Item.Value.bucket" {
			t.Errorf("%s: ItemSelector = %s", stack, asJSON(get(m, "ItemSelector")))
		}
		job := get(m, "ItemProcessor", "States", "VerifyLargeObject")
		if r, _ := get(job, "Resource").(string); !regexp.MustCompile(`^arn:<[^>]+>:states:::batch:submitJob\.sync$`).MatchString(r) {
			t.Errorf("%s: Batch task resource %q", stack, r)
		}
		if get(job, "Parameters", "ContainerOverrides", "Command.$") != "$.command" || get(job, "Next") != "LargeObjectVerified" {
			t.Errorf("%s: Batch task = %s", stack, asJSON(job))
		}
		if c := get(job, "Catch", 0); asJSON(get(c, "ErrorEquals")) != `["States.ALL"]` || get(c, "Next") != "LargeObjectFailed" || get(c, "ResultPath") != "$.failure" {
			t.Errorf("%s: Batch task catch = %s", stack, asJSON(get(job, "Catch")))
		}
		failed := get(m, "ItemProcessor", "States", "LargeObjectFailed", "Parameters")
		if asJSON(failed) != `{"bucket.$":"$.bucket","cause.$":"$.failure.Cause","error.$":"$.failure.Error","key.$":"$.key","ok":false}` {
			t.Errorf("%s: LargeObjectFailed = %s", stack, asJSON(failed))
		}
		if ok := get(m, "ItemProcessor", "States", "LargeObjectVerified", "Parameters"); asJSON(ok) != `{"bucket.$":"$.bucket","key.$":"$.key","ok":true}` {
			t.Errorf("%s: LargeObjectVerified = %s", stack, asJSON(ok))
		}
		if nl := states["NoLargeObjects"]; asJSON(get(nl, "Result")) != "[]" || get(nl, "ResultPath") != "$.large" || get(nl, "Next") != "FinalizeRun" {
			t.Errorf("%s: NoLargeObjects = %s", stack, asJSON(nl))
		}
		fin := states["FinalizeRun"]
		if asJSON(get(fin, "Parameters", "Payload")) != `{"action":"finalize","large.$":"$.large","run.$":"$.run"}` || get(fin, "OutputPath") != "$.Payload" || get(fin, "End") != true {
			t.Errorf("%s: FinalizeRun = %s", stack, asJSON(fin))
		}
		if get(m, "Next") != "FinalizeRun" || get(vr, "Next") != "HasLargeObjects" {
			t.Errorf("%s: transitions Map->%v VerifyRun->%v", stack, get(m, "Next"), get(vr, "Next"))
		}
		if fail := states["IntegrityFailed"]; get(fail, "Type") != "Fail" || get(fail, "ErrorPath") != "$.Error" || get(fail, "CausePath") != "$.Cause" {
			t.Errorf("%s: IntegrityFailed = %s", stack, asJSON(fail))
		}
		// Retry and Catch on every task; Lambda tasks retry service errors
		// and never the typed integrity errors, which they catch.
		all := map[string]map[string]any{}
		tasks(states, all)
		if len(all) != 3 {
			t.Errorf("%s: tasks %v", stack, len(all))
		}
		for name, st := range all {
			if len(get(st, "Retry").([]any)) == 0 || len(get(st, "Catch").([]any)) == 0 {
				t.Errorf("%s: %s lacks Retry or Catch", stack, name)
			}
			for _, r := range st["Retry"].([]any) {
				for _, e := range get(r, "ErrorEquals").([]any) {
					if slices.Contains(eventglue.IntegrityErrors, e.(string)) || e == "States.ALL" || e == "States.TaskFailed" {
						t.Errorf("%s: %s retries %v", stack, name, e)
					}
				}
				if get(r, "BackoffRate") == nil || get(r, "MaxAttempts") == nil {
					t.Errorf("%s: %s retry without backoff: %s", stack, name, asJSON(r))
				}
			}
			if strings.HasSuffix(st["Resource"].(string), "lambda:invoke") {
				if !strings.Contains(asJSON(st["Retry"]), asJSON(eventglue.LambdaServiceErrors)) {
					t.Errorf("%s: %s retries %s", stack, name, asJSON(st["Retry"]))
				}
				if c := get(st, "Catch", 0); asJSON(get(c, "ErrorEquals")) != asJSON(eventglue.IntegrityErrors) || get(c, "Next") != "IntegrityFailed" {
					t.Errorf("%s: %s catch = %s", stack, name, asJSON(st["Catch"]))
				}
			}
		}
		// Logging ALL to the KMS-encrypted log group; X-Ray.
		p := sm.Properties
		lgID, lg := f.res(t, stack, "EventGlue/VerifyStateMachineLogGroup")
		logKey, _ := f.res(t, stack, "EventGlue/LogKey")
		if get(p, "LoggingConfiguration", "Level") != "ALL" || get(p, "LoggingConfiguration", "IncludeExecutionData") != true ||
			asJSON(get(p, "LoggingConfiguration", "Destinations", 0, "CloudWatchLogsLogGroup", "LogGroupArn")) != asJSON(getAtt(lgID, "Arn")) ||
			asJSON(lg.Properties["KmsKeyId"]) != asJSON(getAtt(logKey, "Arn")) {
			t.Errorf("%s: logging %s, log group %s", stack, asJSON(p["LoggingConfiguration"]), asJSON(lg.Properties))
		}
		if get(p, "TracingConfiguration", "Enabled") != true {
			t.Errorf("%s: tracing %v", stack, p["TracingConfiguration"])
		}
	}
}

func TestAlarms(t *testing.T) {
	f := load(t)
	for stack, email := range map[string]bool{"Glue": true, "Defaults": false} {
		topicID, topic := f.res(t, stack, "EventGlue/AlarmTopic")
		alarmKey, key := f.res(t, stack, "EventGlue/AlarmKey")
		if asJSON(topic.Properties["KmsMasterKeyId"]) != asJSON(getAtt(alarmKey, "Arn")) {
			t.Errorf("%s: topic key %v", stack, topic.Properties["KmsMasterKeyId"])
		}
		kp := asJSON(key.Properties["KeyPolicy"])
		if !strings.Contains(kp, `"Service":"cloudwatch.amazonaws.com"`) || !strings.Contains(kp, `"Service":"events.amazonaws.com"`) {
			t.Errorf("%s: alarm key policy %s", stack, kp)
		}
		_, tp := f.res(t, stack, "EventGlue/AlarmTopic/Policy")
		if !strings.Contains(asJSON(tp.Properties), `"aws:SecureTransport":"false"`) {
			t.Errorf("%s: topic policy does not enforce TLS: %s", stack, asJSON(tp.Properties))
		}
		subs := f.ofType(stack, "AWS::SNS::Subscription", "EventGlue")
		if email != (len(subs) == 1) {
			t.Errorf("%s: %d subscriptions", stack, len(subs))
		}
		for _, s := range subs {
			if s.Properties["Protocol"] != "email" || s.Properties["Endpoint"] != "ops@example.org" {
				t.Errorf("%s: subscription %s", stack, asJSON(s.Properties))
			}
		}
		alarms := map[string]resource{}
		for _, a := range f.ofType(stack, "AWS::CloudWatch::Alarm", "EventGlue") {
			alarms[a.Properties["MetricName"].(string)+" "+render(get(a.Properties, "Dimensions", 0, "Value"))] = a
			desc, _ := a.Properties["AlarmDescription"].(string)
			if asJSON(a.Properties["AlarmActions"]) != asJSON([]any{ref(topicID)}) || asJSON(a.Properties["OKActions"]) != asJSON([]any{ref(topicID)}) ||
				a.Properties["Threshold"] != 1.0 || a.Properties["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" ||
				a.Properties["EvaluationPeriods"] != 1.0 || a.Properties["Period"] != 300.0 || a.Properties["TreatMissingData"] != "notBreaching" ||
				!strings.HasPrefix(desc, "biolake: ") || !strings.Contains(desc, ". Check: ") {
				t.Errorf("%s: alarm %s", stack, asJSON(a.Properties))
			}
		}
		for _, q := range []string{"IngestQueueDeadLetterQueue", "RestoreQueueDeadLetterQueue", "RestoreFunctionDeadLetterQueue", "EventsDeadLetterQueue"} {
			id, _ := f.res(t, stack, "EventGlue/"+q)
			if _, ok := alarms["ApproximateNumberOfMessagesVisible <"+id+".QueueName>"]; !ok {
				t.Errorf("%s: no depth alarm on %s (have %v)", stack, q, keysOf(alarms))
			}
		}
		smID, _ := f.res(t, stack, "EventGlue/VerifyStateMachine")
		if _, ok := alarms["ExecutionsFailed <Ref:"+smID+">"]; !ok {
			t.Errorf("%s: no ExecutionsFailed alarm (have %v)", stack, keysOf(alarms))
		}
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return sorted(out)
}

func TestBatch(t *testing.T) {
	f := load(t)
	const stack = "Glue"
	_, jd := f.res(t, stack, "EventGlue/VerifyBatch/VerifyJob/Definition")
	p := jd.Properties
	if asJSON(p["PlatformCapabilities"]) != `["FARGATE"]` || get(p, "ContainerProperties", "RuntimePlatform", "CpuArchitecture") != "ARM64" ||
		get(p, "ContainerProperties", "Image") != testImage {
		t.Errorf("job definition: %s", asJSON(p))
	}
	eval := asJSON(get(p, "RetryStrategy", "EvaluateOnExit"))
	if !strings.Contains(eval, `{"Action":"RETRY","OnStatusReason":"Host EC2*"}`) || !strings.HasSuffix(eval, `{"Action":"EXIT","OnReason":"*"}]`) {
		t.Errorf("retry strategy: %s", eval)
	}
	_, ce := f.res(t, stack, "EventGlue/VerifyBatch/Fargate")
	if get(ce.Properties, "ComputeResources", "Type") != "FARGATE" ||
		get(ce.Properties, "ComputeResources", "MaxvCpus") != 50.0 {
		t.Errorf("compute environment: %s", asJSON(ce.Properties))
	}
	qID, _ := f.res(t, stack, "EventGlue/VerifyBatch/JobQueue")
	def, _ := f.definition(t, stack)
	if got := get(def, "States", "VerifyLargeObjects", "ItemProcessor", "States", "VerifyLargeObject", "Parameters", "JobQueue"); got != "<"+qID+".JobQueueArn>" {
		t.Errorf("Batch task queue %v", got)
	}
}

// asList is a policy element as a list (one value or a list of them).
func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

package workflow_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/batch"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/workflow"
)

// A stack without the event glue, held to the cdk-nag packs: "Solo", one
// step started by the user's pattern on the user's bus, and "Direct",
// started only with StartExecution.
var (
	soloOnce sync.Once
	soloAsm  *cdktest.Assembly
)

const soloStack = "Solo"

func loadSolo(t *testing.T) *cdktest.Assembly {
	t.Helper()
	soloOnce.Do(func() {
		soloAsm = cdktest.Synth("", func(app awscdk.App) []awscdk.Stack {
			stack := awscdk.NewStack(app, jsii.String(soloStack), nil)
			net := network.New(stack, "Network", nil)
			lake := datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true})
			hpc := batch.New(stack, "Hpc", &batch.Props{Network: net})
			bus := awsevents.NewEventBus(stack, jsii.String("LabBus"), nil)
			workflow.New(stack, "Solo", &workflow.Props{
				Name: "solo", Batch: hpc, Lake: lake, SkipRestore: true,
				Steps:    []workflow.Step{{Name: "Count", Image: image(), VCPUs: 1, MemoryMiB: 2048}},
				StartBus: bus,
				StartPattern: &awsevents.EventPattern{
					Source: jsii.Strings("lab.sequencer"), DetailType: jsii.Strings("RunReady"),
				},
			})
			workflow.New(stack, "Direct", &workflow.Props{
				Name: "direct", Batch: hpc, Lake: lake, SkipRestore: true,
				Steps: []workflow.Step{{Name: "Count", Image: image(), VCPUs: 1, MemoryMiB: 2048}},
			})
			return []awscdk.Stack{stack}
		})
	})
	soloAsm.Check(t)
	return soloAsm
}

// Without the glue: no Lambda function, catalog table, bus archive or
// second compute environment; the user's rule starts Solo's Starter, and
// Direct has no rule and no dead-letter queue.
func TestGluelessResources(t *testing.T) {
	a := loadSolo(t)
	for _, typ := range []string{"AWS::Lambda::Function", "AWS::DynamoDB::Table", "AWS::Events::Archive"} {
		for _, wf := range []string{"Solo/", "Direct/"} {
			if n := len(a.OfType(soloStack, typ, wf)); n != 0 {
				t.Errorf("%s: %d %s", wf, n, typ)
			}
		}
	}
	if n := len(a.OfType(soloStack, "AWS::DynamoDB::Table", "")); n != 0 {
		t.Errorf("%d tables in the stack", n)
	}
	if n := len(a.OfType(soloStack, "AWS::Batch::ComputeEnvironment", "")); n != 1 {
		t.Errorf("%d compute environments, want the Batch construct's one", n)
	}
	rules := a.OfType(soloStack, "AWS::Events::Rule", "Solo/")
	if len(rules) != 1 {
		t.Fatalf("Solo: %d rules", len(rules))
	}
	for _, r := range rules {
		if p := js(r.Properties["EventPattern"]); !strings.Contains(p, `"lab.sequencer"`) || !strings.Contains(p, `"RunReady"`) {
			t.Errorf("Solo's rule pattern %s", p)
		}
		if b := js(r.Properties["EventBusName"]); !strings.Contains(b, "LabBus") {
			t.Errorf("Solo's rule is on %s, want the user's bus", b)
		}
		if in := js(r.Properties["Targets"]); !strings.Contains(in, `"$.detail"`) || !strings.Contains(in, "SoloStarter") {
			t.Errorf("Solo's rule targets %s", in)
		}
	}
	if n := len(a.OfType(soloStack, "AWS::Events::Rule", "Direct/")); n != 0 {
		t.Errorf("Direct: %d rules", n)
	}
	if n := len(a.OfType(soloStack, "AWS::SQS::Queue", "Direct/")); n != 0 {
		t.Errorf("Direct: %d queues", n)
	}
	if n := len(a.OfType(soloStack, "AWS::CloudWatch::Alarm", "Direct/")); n != 4 {
		t.Errorf("Direct: %d alarms, want 4 (no dead-letter queue alarm)", n)
	}
}

// The definition without the glue: the samples come from the input, and
// there is no restore, sample-sheet or catalog state; the role may not
// invoke functions or write to DynamoDB.
func TestGluelessDefinition(t *testing.T) {
	a := loadSolo(t)
	machines := a.OfType(soloStack, "AWS::StepFunctions::StateMachine", "Solo/StateMachine")
	if len(machines) != 1 {
		t.Fatalf("%d state machines at Solo/StateMachine", len(machines))
	}
	for path, r := range machines {
		asl := render(t, r.Properties["DefinitionString"])
		states := js(parse(t, asl)["States"])
		for _, want := range []string{workflow.StateHasSamples, workflow.StateTakeSamples, workflow.StateOneItem, workflow.StateNoSamples, workflow.StateMap, workflow.StateNotify} {
			if !strings.Contains(states, `"`+want+`"`) {
				t.Errorf("%s lacks %s", path, want)
			}
		}
		for _, not := range []string{workflow.StateRestore, workflow.StateListSamples, workflow.StateRecordResults, workflow.StateCatalog, `"profile.$"`} {
			if strings.Contains(asl, not) {
				t.Errorf("%s has %s", path, not)
			}
		}
	}
	policies := a.OfType(soloStack, "AWS::IAM::Policy", "Solo/StateMachine")
	if len(policies) == 0 {
		t.Fatal("no state machine policy")
	}
	for path, r := range policies {
		doc := js(r.Properties["PolicyDocument"])
		for _, not := range []string{"lambda:InvokeFunction", "dynamodb:", "events:PutEvents"} {
			if strings.Contains(doc, not) {
				t.Errorf("%s grants %s", path, not)
			}
		}
	}
}

// Bad inputs of the start and of what needs the glue.
func TestValidateGlueless(t *testing.T) {
	base := func(mod func(*workflow.Props)) error {
		p := &workflow.Props{Name: "solo", Steps: rnaseqSteps(), SkipRestore: true}
		mod(p)
		return p.Validate()
	}
	bus := awsevents.EventBus_FromEventBusName(awscdk.NewStack(awscdk.NewApp(nil), jsii.String("V"), nil), jsii.String("Bus"), jsii.String("lab"))
	pattern := &awsevents.EventPattern{Source: jsii.Strings("lab")}
	key := awskms.Key_FromKeyArn(bus.Stack(), jsii.String("Key"), jsii.String(suppliedKeys["QueueKey"]))
	for _, c := range []struct {
		name  string
		mod   func(*workflow.Props)
		field string
	}{
		{"restore without the glue", func(p *workflow.Props) { p.SkipRestore = false }, "Props.SkipRestore"},
		{"profiles without the glue", func(p *workflow.Props) { p.Profiles = []string{"novaseq-x"} }, "Props.Profiles"},
		{"settled without the glue", func(p *workflow.Props) { p.StartOnSettled = true }, "Props.StartOnSettled"},
		{"bus without a pattern", func(p *workflow.Props) { p.StartBus = bus }, "Props.StartPattern"},
		{"pattern with the glue", func(p *workflow.Props) { p.Glue = fakeGlue{}; p.StartPattern = pattern }, "Props.StartPattern"},
		{"bus with the glue", func(p *workflow.Props) { p.Glue = fakeGlue{}; p.StartBus = bus }, "Props.StartBus"},
		{"glue with nil pieces", func(p *workflow.Props) { p.Glue = fakeGlue{} }, "Props.Glue"},
		{"queue key without a rule", func(p *workflow.Props) { p.QueueKey = key }, "Props.QueueKey"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := base(c.mod)
			if err == nil || !strings.Contains(err.Error(), c.field+" is ") || !strings.Contains(err.Error(), "accepted: ") {
				t.Errorf("%v, want %s refused", err, c.field)
			}
		})
	}
	if err := base(func(p *workflow.Props) { p.StartPattern = pattern }); err != nil && strings.Contains(err.Error(), "Start") {
		t.Errorf("a pattern on the default bus refused: %v", err)
	}
	if err := base(func(p *workflow.Props) { p.StartPattern, p.QueueKey = pattern, key }); err != nil && strings.Contains(err.Error(), "QueueKey") {
		t.Errorf("a queue key for the pattern's rule refused: %v", err)
	}
}

// fakeGlue returns nil for every piece.
type fakeGlue struct{}

func (fakeGlue) PlatformBus() awsevents.IEventBus     { return nil }
func (fakeGlue) RestoreFunction() awslambda.IFunction { return nil }
func (fakeGlue) SamplesFunction() awslambda.IFunction { return nil }
func (fakeGlue) CatalogTable() awsdynamodb.ITable     { return nil }
func (fakeGlue) CatalogTableKey() awskms.IKey         { return nil }

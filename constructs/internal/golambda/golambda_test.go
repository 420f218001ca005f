package golambda

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

const lambdaType = "AWS::Lambda::Function"

// stagedHash is the asset hash that CDK derives from a custom AssetHash: it
// hashes the given string once more, to normalise its length.
func stagedHash(custom string) string {
	sum := sha256.Sum256([]byte(custom))
	return hex.EncodeToString(sum[:])
}

// noGo makes any attempt to run go fail for the rest of the test.
func noGo(t *testing.T) {
	t.Helper()
	old := goCommand
	goCommand = filepath.Join(t.TempDir(), "no-go-here")
	t.Cleanup(func() { goCommand = old })
}

func onlyFunction(t *testing.T, tpl map[string]map[string]interface{}) map[string]interface{} {
	t.Helper()
	if len(tpl) != 1 {
		t.Fatalf("%d Lambda functions, want 1", len(tpl))
	}
	for _, r := range tpl {
		return r
	}
	return nil
}

func TestStubDefaults(t *testing.T) {
	noGo(t) // stub mode must not run go; the package need not even exist
	pkg := ModulePath + "/lambdas/notwrittenyet"
	_, stack := cdktest.NewStack("Stub")
	var fnPath string
	cdktest.Must(t, "New", func() {
		fn := New(stack, "Handler", &Props{Package: pkg})
		fnPath = *fn.Node().Path()
	})
	if fnPath != "Stub/Handler" {
		t.Errorf("function path %s, want Stub/Handler", fnPath)
	}
	tpl := cdktest.Template(t, stack)

	cdktest.Has(t, tpl, lambdaType, cdktest.Props{
		"Runtime":       "provided.al2023",
		"Architectures": []interface{}{"arm64"},
		"Handler":       "bootstrap",
		"MemorySize":    256,
		"Timeout":       30,
		"TracingConfig": cdktest.Props{"Mode": "Active"},
		"LoggingConfig": cdktest.Props{"LogGroup": cdktest.Props{"Ref": assertions.Match_AnyValue()}},
		"Description":   cdktest.Absent(),
	})
	cdktest.Count(t, tpl, "AWS::Logs::LogGroup", 1)
	cdktest.Has(t, tpl, "AWS::Logs::LogGroup", cdktest.Props{
		"RetentionInDays": 365,
		"KmsKeyId":        cdktest.Absent(),
	})
	groups := cdktest.Resources(t, tpl, "AWS::Logs::LogGroup")
	for id, g := range groups {
		if g["DeletionPolicy"] != "Retain" || g["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("log group %s policies %v/%v, want Retain", id, g["DeletionPolicy"], g["UpdateReplacePolicy"])
		}
	}

	// The asset hash depends on the package path only.
	_, wantHash, err := stubAsset(pkg)
	if err != nil {
		t.Fatal(err)
	}
	fn := onlyFunction(t, cdktest.Resources(t, tpl, lambdaType))
	code, _ := fn["Properties"].(map[string]interface{})["Code"].(map[string]interface{})
	if got, want := code["S3Key"], stagedHash(wantHash)+".zip"; got != want {
		t.Errorf("Code.S3Key %v, want %s", got, want)
	}
	_, otherHash, _ := stubAsset(pkg + "x")
	if otherHash == wantHash {
		t.Error("two packages got the same stub asset hash")
	}
	content, err := os.ReadFile(filepath.Join(stubDir, "bootstrap"))
	if err != nil || string(content) != stubContent {
		t.Errorf("stub bootstrap %q (%v), want %q", content, err, stubContent)
	}
}

func TestStubModeContextValues(t *testing.T) {
	for _, tt := range []struct {
		value interface{}
		want  bool
	}{
		{"true", true}, {true, true}, {"false", false}, {false, false}, {"yes", false}, {nil, false},
	} {
		ctx := map[string]interface{}{}
		if tt.value != nil {
			ctx[StubContextKey] = tt.value
		}
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
		stack := awscdk.NewStack(app, jsii.String("S"), nil)
		if got := StubMode(stack); got != tt.want {
			t.Errorf("context %v: StubMode %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestAllProps(t *testing.T) {
	getAtt := cdktest.Like(cdktest.Props{"Fn::GetAtt": assertions.Match_AnyValue()})
	noGo(t)
	_, stack := cdktest.NewStack("All")
	cdktest.Must(t, "New", func() {
		vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(0),
			SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{Name: jsii.String("iso"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}}})
		sg := awsec2.NewSecurityGroup(stack, jsii.String("Sg"), &awsec2.SecurityGroupProps{Vpc: vpc})
		logKey := awskms.NewKey(stack, jsii.String("LogKey"), nil)
		envKey := awskms.NewKey(stack, jsii.String("EnvKey"), nil)
		dlq := awssqs.NewQueue(stack, jsii.String("Dlq"), nil)
		New(stack, "Fn", &Props{
			Package:               ModulePath + "/lambdas/ingest",
			Description:           "ingest handler",
			MemoryMB:              1024,
			Timeout:               15 * time.Minute,
			Environment:           map[string]string{"TABLE_NAME": "runs", "LOG_LEVEL": "info"},
			ReservedConcurrency:   5,
			Vpc:                   vpc,
			VpcSubnets:            &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
			SecurityGroups:        []awsec2.ISecurityGroup{sg},
			LogRetentionDays:      3653,
			LogKey:                logKey,
			DeadLetterQueue:       dlq,
			Tracing:               TracingPassThrough,
			EnvironmentEncryption: envKey,
		})
	})
	tpl := cdktest.Template(t, stack)
	cdktest.Has(t, tpl, lambdaType, cdktest.Props{
		"Description":                  "ingest handler",
		"MemorySize":                   1024,
		"Timeout":                      900,
		"ReservedConcurrentExecutions": 5,
		"Environment":                  cdktest.Props{"Variables": cdktest.Props{"TABLE_NAME": "runs", "LOG_LEVEL": "info"}},
		"TracingConfig":                cdktest.Props{"Mode": "PassThrough"},
		"KmsKeyArn":                    getAtt,
		"DeadLetterConfig":             cdktest.Like(cdktest.Props{"TargetArn": cdktest.Like(cdktest.Props{})}),
		"VpcConfig": cdktest.Like(cdktest.Props{
			"SecurityGroupIds": cdktest.ArrayWith(getAtt),
		}),
	})
	cdktest.Has(t, tpl, "AWS::Logs::LogGroup", cdktest.Props{
		"RetentionInDays": 3653,
		"KmsKeyId":        getAtt,
	})
}

func TestValidation(t *testing.T) {
	noGo(t)
	vpcLessSG := func(stack awscdk.Stack) *Props {
		vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(1), NatGateways: jsii.Number(0)})
		sg := awsec2.NewSecurityGroup(stack, jsii.String("Sg"), &awsec2.SecurityGroupProps{Vpc: vpc})
		return &Props{Package: ModulePath + "/lambdas/x", SecurityGroups: []awsec2.ISecurityGroup{sg}}
	}
	ok := ModulePath + "/lambdas/x"
	tests := []struct {
		name  string
		props func(awscdk.Stack) *Props
		want  []string
	}{
		{"nil props", func(awscdk.Stack) *Props { return nil }, []string{"Props is nil", "Package"}},
		{"empty package", func(awscdk.Stack) *Props { return &Props{} }, []string{`Props.Package is "": empty`, "accepted"}},
		{"package outside", func(awscdk.Stack) *Props { return &Props{Package: "example.com/other/cmd"} },
			[]string{`Props.Package is "example.com/other/cmd"`, "outside the github.com/biolake/biolake module"}},
		{"relative package", func(awscdk.Stack) *Props { return &Props{Package: "./lambdas/x"} }, []string{"a file path"}},
		{"memory low", func(awscdk.Stack) *Props { return &Props{Package: ok, MemoryMB: 64} },
			[]string{"Props.MemoryMB is 64", "128 to 10240"}},
		{"memory high", func(awscdk.Stack) *Props { return &Props{Package: ok, MemoryMB: 20000} }, []string{"Props.MemoryMB is 20000"}},
		{"timeout long", func(awscdk.Stack) *Props { return &Props{Package: ok, Timeout: 16 * time.Minute} },
			[]string{"Props.Timeout is 16m0s", "from 1s to 15m0s"}},
		{"timeout fraction", func(awscdk.Stack) *Props { return &Props{Package: ok, Timeout: 1500 * time.Millisecond} },
			[]string{"Props.Timeout is 1.5s", "whole number of seconds"}},
		{"timeout negative", func(awscdk.Stack) *Props { return &Props{Package: ok, Timeout: -time.Second} }, []string{"Props.Timeout is -1s"}},
		{"concurrency", func(awscdk.Stack) *Props { return &Props{Package: ok, ReservedConcurrency: -1} },
			[]string{"Props.ReservedConcurrency is -1"}},
		{"retention", func(awscdk.Stack) *Props { return &Props{Package: ok, LogRetentionDays: 42} },
			[]string{"Props.LogRetentionDays is 42", "one of [1 3 5 7 14 30"}},
		{"tracing", func(awscdk.Stack) *Props { return &Props{Package: ok, Tracing: "On"} },
			[]string{`Props.Tracing is "On"`, `"Active"`}},
		{"reserved env", func(awscdk.Stack) *Props {
			return &Props{Package: ok, Environment: map[string]string{"AWS_REGION": "x"}}
		},
			[]string{`Props.Environment key is "AWS_REGION"`}},
		{"bad env key", func(awscdk.Stack) *Props { return &Props{Package: ok, Environment: map[string]string{"1-X": "x"}} },
			[]string{`Props.Environment key is "1-X"`}},
		{"subnets without vpc", func(awscdk.Stack) *Props {
			return &Props{Package: ok, VpcSubnets: &awsec2.SubnetSelection{}}
		}, []string{"Props.VpcSubnets", "only together with Vpc"}},
		{"security groups without vpc", vpcLessSG, []string{"Props.SecurityGroups", "only together with Vpc"}},
		{"several at once", func(awscdk.Stack) *Props { return &Props{MemoryMB: 1, Timeout: time.Hour} },
			[]string{"Props.Package", "Props.MemoryMB is 1", "Props.Timeout is 1h0m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stack := cdktest.NewStack("V")
			props := tt.props(stack)
			err := cdktest.CatchValidation(t, func() { New(stack, "Bad", props) })
			cdktest.ValidationErrors(t, err, "V/Bad")
			if strings.HasPrefix(tt.want[0], "Props.") {
				cdktest.HasField(t, err, "V/Bad", strings.SplitN(tt.want[0], " is ", 2)[0])
			}
			msg := err.Error()
			for _, w := range append([]string{"V/Bad: "}, tt.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\ndoes not mention %q", msg, w)
				}
			}
		})
	}
}

// TestRealBuildSynth synthesizes a function without stub mode: the handler
// is compiled, its hash is the asset hash, and the staged asset is the
// executable binary.
func TestRealBuildSynth(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	out := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
	stack := awscdk.NewStack(app, jsii.String("Real"), nil)
	cdktest.Must(t, "New", func() { New(stack, "Echo", &Props{Package: echoPkg}) })
	tpl := cdktest.Template(t, stack)

	_, hash, err := Build(echoPkg)
	if err != nil {
		t.Fatal(err)
	}
	fn := onlyFunction(t, cdktest.Resources(t, tpl, lambdaType))
	code, _ := fn["Properties"].(map[string]interface{})["Code"].(map[string]interface{})
	if got, want := code["S3Key"], stagedHash(hash)+".zip"; got != want {
		t.Errorf("Code.S3Key %v, want %s, from the binary's sha256 %s", got, want, hash)
	}
	cdktest.Has(t, tpl, lambdaType, cdktest.Props{
		"Runtime": "provided.al2023", "Architectures": []interface{}{"arm64"}, "Handler": "bootstrap",
		"TracingConfig": cdktest.Props{"Mode": "Active"},
	})

	cdktest.Must(t, "synth", func() { app.Synth(nil) })
	staged := filepath.Join(out, "asset."+stagedHash(hash), "bootstrap")
	fi, err := os.Stat(staged)
	if err != nil {
		t.Fatalf("staged asset: %v", err)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("staged bootstrap mode %v is not executable", fi.Mode())
	}
	sum, err := fileSHA256(staged)
	if err != nil || sum != hash {
		t.Errorf("staged bootstrap sha256 %s (%v), want %s", sum, err, hash)
	}
}

func TestRealBuildFailurePanicsWithError(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Fail"), nil)
	var got interface{}
	func() {
		defer func() { got = recover() }()
		New(stack, "Missing", &Props{Package: ModulePath + "/lambdas/doesnotexist"})
	}()
	err, ok := got.(error)
	if !ok {
		t.Fatalf("New panicked with %T %v, want an error", got, got)
	}
	if !strings.Contains(err.Error(), "Fail/Missing") || !strings.Contains(err.Error(), "lambdas/doesnotexist") {
		t.Errorf("error %q names neither the construct nor the package", err)
	}
	if errors.Unwrap(err) == nil {
		t.Errorf("error %q does not wrap the build error", err)
	}
}

// Stub assets are refused outside a test binary: an app synthesized with
// them would deploy placeholder handlers.
func TestStubGuard(t *testing.T) {
	defer func(f func() bool) { inTest = f }(inTest)
	for _, c := range []struct {
		name   string
		inTest bool
		stub   any
		refuse bool
	}{
		{"test binary, stub", true, "true", false},
		{"test binary, no stub", true, nil, false},
		{"app, stub", false, "true", true},
		{"app, stub bool", false, true, true},
		{"app, stub off", false, "false", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			inTest = func() bool { return c.inTest }
			ctx := map[string]interface{}{StubContextKey: c.stub}
			if c.stub == nil {
				ctx = map[string]interface{}{}
			}
			app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
			stack := awscdk.NewStack(app, jsii.String("G"), nil)
			if !c.refuse {
				if c.stub == nil || c.stub == "false" {
					return // a real build; TestRealBuildSynth covers it
				}
				New(stack, "Fn", &Props{Package: ModulePath + "/lambdas/ingest"})
				return
			}
			err := cdktest.CatchValidation(t, func() { New(stack, "Fn", &Props{Package: ModulePath + "/lambdas/ingest"}) })
			cdktest.HasField(t, err, "G/Fn", "context "+StubContextKey)
			for _, w := range []string{"for go test only", "remove \"biolake:stubLambdaAssets\" from cdk.json"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if err := stubAllowed(true); err != nil {
		t.Errorf("stubAllowed(true) = %v", err)
	}
}

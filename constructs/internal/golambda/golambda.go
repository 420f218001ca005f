// Package golambda builds biolake's Go Lambda handlers at synth time and wraps
// them in an awslambda.Function with the platform's defaults: runtime
// provided.al2023 on arm64, handler "bootstrap", X-Ray tracing on, a log group
// of its own with a retention period (and, optionally, a KMS key).
//
// A construct names its handler by Go import path:
//
//	fn := golambda.New(this, "Ingest", &golambda.Props{
//		Package:     "github.com/biolake/biolake/lambdas/ingest",
//		Description: "Records each new object in the catalog",
//		Timeout:     time.Minute,
//		Environment: map[string]string{"TABLE_NAME": *table.TableName()},
//		LogKey:      key,
//	})
//	table.GrantReadWriteData(fn)
//
// # How the handler is built
//
// Build runs
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 GOARM64=v8.0 GOWORK=off GOFLAGS= \
//	go build -mod=readonly -trimpath -buildvcs=false -ldflags='-s -w -buildid=' \
//	    -tags lambda.norpc -o DIR/bootstrap PACKAGE
//
// in the biolake module's own directory, the one that
// `go list -m -f '{{.Dir}}' github.com/biolake/biolake` prints from the
// process's working directory: the repository root here, the module cache
// in an app that imports biolake's constructs. The module's own go.sum is
// authoritative (-mod=readonly), so a consumer app needs none of the
// handlers' dependencies in its go.sum.
//
// The binary is cached on disk under a key made of the Go version, the target,
// the flags, the package path, the contents of every source file of the
// package and of its non-standard dependencies in the main module (or a local
// replacement), and module@version for dependencies from the module cache.
// The cache lives in $BIOLAKE_LAMBDA_CACHE if set, else in
// os.UserCacheDir()/biolake/lambda, as KEY/bootstrap. Builds go to a temporary
// directory that is renamed into place, so concurrent synths never see a
// half-written binary. Within one process each package is built (or looked
// up) once. The function's AssetHash is the sha256 of the binary, which these
// flags make reproducible (checked: builds with an empty and a warm Go build
// cache give the same bytes), so the same source, module version and Go
// version give the same hash on every machine, and an unchanged handler never
// causes a redeploy. CDK
// hashes a custom AssetHash once more, so the S3 key in the template is
// sha256(hex of the binary's sha256) + ".zip".
//
// # Stub assets for unit tests
//
// Construct unit tests need not compile handlers (nor have Go's cross-compiled
// standard library at hand). When the context key StubContextKey
// ("biolake:stubLambdaAssets") is "true" (string or bool) in the construct
// tree, New does not run go at all: it uses a placeholder directory with a
// small text file named bootstrap and an asset hash derived from the package
// path alone, so template snapshots stay stable. This is the only context that
// this helper reads; it is meant for tests (cdktest.NewStack sets it), never
// for a deployable app.
package golambda

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// ModulePath is the module whose handlers this package builds. Props.Package
// must lie inside it.
const ModulePath = "github.com/biolake/biolake"

// StubContextKey is the construct-tree context key that switches New to stub
// assets (no go build): set it to "true" or true in a unit test's App context.
const StubContextKey = "biolake:stubLambdaAssets"

// Defaults and limits of Props.
const (
	DefaultMemoryMB         = 256
	MinMemoryMB             = 128
	MaxMemoryMB             = 10240
	DefaultTimeout          = 30 * time.Second
	MaxTimeout              = 15 * time.Minute
	DefaultLogRetentionDays = 365
)

// Tracing is the X-Ray tracing mode of a function.
type Tracing string

// Tracing modes. The zero value means TracingActive.
const (
	TracingActive      Tracing = "Active"
	TracingPassThrough Tracing = "PassThrough"
	TracingDisabled    Tracing = "Disabled"
)

// Props configures a Go Lambda function.
type Props struct {
	// Package is the Go import path of the handler's main package, for
	// example "github.com/biolake/biolake/lambdas/ingest". It must lie inside
	// the github.com/biolake/biolake module. Required; no default.
	Package string

	// Description is the function's description (at most 256 characters).
	// Default: none.
	Description string

	// MemoryMB is the memory size in MB, 128 to 10240. Default: 256.
	MemoryMB int

	// Timeout is the function timeout, a whole number of seconds from 1s to
	// 15m. Default: 30s.
	Timeout time.Duration

	// Environment holds the function's environment variables. Keys must be
	// valid variable names and not ones Lambda reserves (AWS_REGION, ...).
	// Default: none.
	Environment map[string]string

	// ReservedConcurrency reserves this many concurrent executions for the
	// function; 0 leaves it unreserved. Must not be negative. Default: 0
	// (unreserved).
	ReservedConcurrency int

	// Role is the execution role. Default: a new role with the basic Lambda
	// execution policy (and the X-Ray, VPC and DLQ permissions the other
	// props need).
	Role awsiam.IRole

	// Vpc places the function in this VPC. Default: not in a VPC.
	Vpc awsec2.IVpc

	// VpcSubnets selects the subnets of Vpc; only with Vpc. Default: the
	// VPC's private subnets (CDK's default selection).
	VpcSubnets *awsec2.SubnetSelection

	// SecurityGroups are the function's security groups; only with Vpc.
	// Default: a new security group that allows all outbound traffic.
	SecurityGroups []awsec2.ISecurityGroup

	// LogRetentionDays is how long the function's log group keeps events, one
	// of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120,
	// 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653).
	// Default: 365.
	LogRetentionDays int

	// LogKey encrypts the function's log group with this KMS key (the key
	// policy must allow the CloudWatch Logs service principal). Either way
	// the log group is created explicitly, kept on stack deletion (RETAIN)
	// and passed to the function. Default: not encrypted with a customer key.
	LogKey awskms.IKey

	// DeadLetterQueue receives asynchronous invocations that failed all
	// retries. Default: none.
	DeadLetterQueue awssqs.IQueue

	// Tracing is the X-Ray tracing mode. Default: TracingActive.
	Tracing Tracing

	// EnvironmentEncryption encrypts the environment variables at rest with
	// this KMS key. Default: the AWS managed key for Lambda.
	EnvironmentEncryption awskms.IKey
}

// New builds props.Package (see Build) and returns a Lambda function running
// it. Its log group is the sibling construct id+"LogGroup". Invalid props or a
// failed build panic with an error value, as CDK constructs report errors.
func New(scope constructs.Construct, id string, props *Props) awslambda.Function {
	path := validation.PathOf(scope, id)
	validation.Check(path, props.validate(path))
	p := props.withDefaults()

	var code awslambda.Code
	if StubMode(scope) {
		validation.Check(path, stubAllowed(inTest()))
		dir, hash, err := stubAsset(p.Package)
		if err != nil {
			panic(fmt.Errorf("golambda: %s: %w", path, err))
		}
		code = assetCode(dir, hash)
	} else {
		res, err := buildOnce(p.Package)
		if err != nil {
			panic(fmt.Errorf("golambda: %s: %w", path, err))
		}
		code = assetCode(res.Dir, res.Hash)
	}

	logGroup := awslogs.NewLogGroup(scope, jsii.String(id+"LogGroup"), &awslogs.LogGroupProps{
		Retention:     secure.RetentionDays(p.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		EncryptionKey: p.LogKey,
	})

	env := make(map[string]*string, len(p.Environment))
	for k, v := range p.Environment {
		env[k] = jsii.String(v)
	}
	fp := &awslambda.FunctionProps{
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         code,
		MemorySize:   jsii.Number(float64(p.MemoryMB)),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(p.Timeout.Seconds())),
		Tracing:      tracingModes[p.Tracing],
		LogGroup:     logGroup,
	}
	if p.Description != "" {
		fp.Description = jsii.String(p.Description)
	}
	if len(env) > 0 {
		fp.Environment = &env
	}
	if p.ReservedConcurrency > 0 {
		fp.ReservedConcurrentExecutions = jsii.Number(float64(p.ReservedConcurrency))
	}
	if p.Role != nil {
		fp.Role = p.Role
	}
	if p.Vpc != nil {
		fp.Vpc = p.Vpc
		fp.VpcSubnets = p.VpcSubnets
		if len(p.SecurityGroups) > 0 {
			sgs := slices.Clone(p.SecurityGroups)
			fp.SecurityGroups = &sgs
		}
	}
	if p.DeadLetterQueue != nil {
		fp.DeadLetterQueue = p.DeadLetterQueue
	}
	if p.EnvironmentEncryption != nil {
		fp.EnvironmentEncryption = p.EnvironmentEncryption
	}
	return awslambda.NewFunction(scope, jsii.String(id), fp)
}

// StubMode reports whether the construct tree around scope asks for stub
// assets: context StubContextKey set to "true" or true.
func StubMode(scope constructs.Construct) bool {
	switch v := scope.Node().TryGetContext(jsii.String(StubContextKey)).(type) {
	case bool:
		return v
	case *bool:
		return v != nil && *v
	case string:
		return v == "true"
	case *string:
		return v != nil && *v == "true"
	}
	return false
}

func assetCode(dir, hash string) awslambda.Code {
	return awslambda.Code_FromAsset(jsii.String(dir), &awss3assets.AssetOptions{
		AssetHash:     jsii.String(hash),
		AssetHashType: awscdk.AssetHashType_CUSTOM,
	})
}

// inTest reports whether this is a test binary; a test replaces it to
// check the guard outside one.
var inTest = testing.Testing

// stubAllowed refuses stub assets outside go test: an app synthesized with
// them would deploy placeholder handlers. Building the handlers is not bad
// input, so a failed build stays a plain error (and keeps its stack trace).
func stubAllowed(inTest bool) error {
	if inTest {
		return nil
	}
	return &validation.Error{
		Field: "context " + StubContextKey, Value: "true",
		Problem:  "stub Lambda assets (a placeholder bootstrap instead of each handler) are for go test only, and this is not a test binary",
		Accepted: "the key unset: remove " + strconv.Quote(StubContextKey) + " from cdk.json and the App's context, so that the handlers are built with go (the Go toolchain is needed at synth)",
	}
}

var tracingModes = map[Tracing]awslambda.Tracing{
	TracingActive:      awslambda.Tracing_ACTIVE,
	TracingPassThrough: awslambda.Tracing_PASS_THROUGH,
	TracingDisabled:    awslambda.Tracing_DISABLED,
}

// Environment variables that Lambda sets itself and refuses in a function's
// configuration.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true,
	"AWS_REGION": true, "AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true,
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true, "AWS_LAMBDA_FUNCTION_VERSION": true,
	"AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true,
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true,
	"AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

var envKeyRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*$`)

func (p *Props) withDefaults() Props {
	out := *p
	if out.MemoryMB == 0 {
		out.MemoryMB = DefaultMemoryMB
	}
	if out.Timeout == 0 {
		out.Timeout = DefaultTimeout
	}
	if out.LogRetentionDays == 0 {
		out.LogRetentionDays = DefaultLogRetentionDays
	}
	if out.Tracing == "" {
		out.Tracing = TracingActive
	}
	return out
}

// validate checks props before anything is built; path is the construct path
// for error messages. All problems are reported together.
func (p *Props) validate(path string) error {
	if p == nil {
		return validation.New(path, "Props", validation.Raw("nil"), "props with Package (the handler's import path, e.g. %q) set", ModulePath+"/lambdas/ingest")
	}
	var errs []error
	bad := func(field string, value any, accepted string) {
		errs = append(errs, validation.New(path, "Props."+field, validation.Raw(fmt.Sprint(value)), "%s", accepted))
	}
	if err := checkPackage(p.Package); err != nil {
		errs = append(errs, &validation.Error{Path: path, Field: "Props.Package", Value: validation.Render(p.Package), Problem: err.Error()})
	}
	if n := len(p.Description); n > 256 {
		bad("Description", fmt.Sprintf("%d characters long", n), "at most 256 characters")
	}
	if p.MemoryMB != 0 && (p.MemoryMB < MinMemoryMB || p.MemoryMB > MaxMemoryMB) {
		bad("MemoryMB", p.MemoryMB, fmt.Sprintf("%d to %d (MB), or 0 for the default %d", MinMemoryMB, MaxMemoryMB, DefaultMemoryMB))
	}
	if t := p.Timeout; t != 0 && (t < time.Second || t > MaxTimeout || t%time.Second != 0) {
		bad("Timeout", t, fmt.Sprintf("a whole number of seconds from 1s to %s, or 0 for the default %s", MaxTimeout, DefaultTimeout))
	}
	if p.ReservedConcurrency < 0 {
		bad("ReservedConcurrency", p.ReservedConcurrency, "0 (unreserved) or a positive number of executions")
	}
	if d := p.LogRetentionDays; d != 0 {
		if !secure.IsLogRetention(d) {
			bad("LogRetentionDays", d, fmt.Sprintf("one of %v, or 0 for the default %d", secure.LogRetentionValues, DefaultLogRetentionDays))
		}
	}
	if _, ok := tracingModes[p.Tracing]; !ok && p.Tracing != "" {
		bad("Tracing", strconv.Quote(string(p.Tracing)), fmt.Sprintf("%q, %q, %q, or empty for %q", TracingActive, TracingPassThrough, TracingDisabled, TracingActive))
	}
	keys := make([]string, 0, len(p.Environment))
	for k := range p.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case !envKeyRE.MatchString(k):
			bad("Environment key", strconv.Quote(k), "a letter followed by letters, digits and underscores")
		case reservedEnv[k]:
			bad("Environment key", strconv.Quote(k), "any name that Lambda does not reserve for itself (it sets "+k+")")
		}
	}
	if p.Vpc == nil {
		if p.VpcSubnets != nil {
			bad("VpcSubnets", "set without Props.Vpc", "VpcSubnets only together with Vpc")
		}
		if len(p.SecurityGroups) > 0 {
			bad("SecurityGroups", fmt.Sprintf("%d group(s) without Props.Vpc", len(p.SecurityGroups)), "SecurityGroups only together with Vpc")
		}
	}
	return validation.Join(path, errs...)
}

// checkPackage says what is wrong with pkg as a handler import path, or nil.
func checkPackage(pkg string) error {
	switch {
	case pkg == "":
		return fmt.Errorf("empty; accepted: the Go import path of a main package inside %s, e.g. %q", ModulePath, ModulePath+"/lambdas/ingest")
	case strings.HasPrefix(pkg, ".") || strings.HasPrefix(pkg, "/"):
		return fmt.Errorf("a file path; accepted: a full Go import path inside %s, e.g. %q", ModulePath, ModulePath+"/lambdas/ingest")
	case strings.ContainsAny(pkg, " \t\r\n\\`'\"") || strings.Contains(pkg, "...") || strings.Contains(pkg, "//") || strings.HasSuffix(pkg, "/"):
		return fmt.Errorf("not a single Go import path; accepted: the import path of one main package inside %s", ModulePath)
	case !strings.HasPrefix(pkg, ModulePath+"/"):
		return fmt.Errorf("outside the %s module; accepted: an import path under %s/ (handlers are built from that module's root, with its go.sum)", ModulePath, ModulePath)
	}
	return nil
}

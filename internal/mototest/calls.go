package mototest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Call is one AWS call a handler made, as the permission proof in test/
// reads it: the operation and the resources it names, each resource by the
// role the test gave its name (Recorder.Name), so that the proof can map it
// to the resource of the synthesized template that plays that role.
type Call struct {
	// Op is "<service>.<operation>", as the SDK names them: "S3.GetObject",
	// "DynamoDB.TransactWriteItems".
	Op string `json:"op"`
	// Bucket and Key of an S3 call; Versioned is true when the call names a
	// version (VersionId), Prefix is ListObjectsV2's prefix.
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	Versioned bool   `json:"versioned,omitempty"`
	Prefix    string `json:"prefix,omitempty"`
	// Copy source of CopyObject and UploadPartCopy.
	SourceBucket    string `json:"sourceBucket,omitempty"`
	SourceKey       string `json:"sourceKey,omitempty"`
	SourceVersioned bool   `json:"sourceVersioned,omitempty"`
	// Tagging is true when a PutObject, CopyObject or CreateMultipartUpload
	// sets tags; TaggingDirective is CopyObject's ("" is COPY).
	Tagging          bool   `json:"tagging,omitempty"`
	TaggingDirective string `json:"taggingDirective,omitempty"`
	// Tables names the DynamoDB tables; for TransactWriteItems each item as
	// "<ConditionCheck|Put|Update|Delete>:<table>".
	Tables []string `json:"tables,omitempty"`
	Items  []string `json:"items,omitempty"`
	Index  string   `json:"index,omitempty"`
	// Buses of PutEvents entries ("" is the default bus).
	Buses []string `json:"buses,omitempty"`
	// Secret of a Secrets Manager call; Target names the resource of any
	// other call (a gateway, a file share, a queue), by role.
	Secret string `json:"secret,omitempty"`
	Target string `json:"target,omitempty"`
	// Token is true when the call carries a Step Functions task token.
	Token bool `json:"token,omitempty"`
	// Tags the call sets on the resource it creates ("<key>=<value role>").
	Tags []string `json:"tags,omitempty"`
	// Namespace of a CloudWatch PutMetricData call (the
	// cloudwatch:namespace condition key).
	Namespace string `json:"namespace,omitempty"`
	// Missing is true when S3 answered that the object or version does not
	// exist (NoSuchKey, NoSuchVersion, 404): S3 says so only to a caller
	// allowed s3:ListBucket, and answers AccessDenied to others.
	Missing bool `json:"missing,omitempty"`
}

// Recorder records the AWS calls of one handler in the tests of a package.
// Get one with Record; make the handler's calls with a context from
// Recorder.Context (setup calls made with other contexts are not recorded),
// on clients built from Config or given RecordCalls. At the end of the test
// binary, Main writes the calls to test/testdata/awscalls/<handler>.json with
// -update, and otherwise fails when that file differs from what the tests
// recorded (after a run of every test of the package).
type Recorder struct {
	handler string
	mu      sync.Mutex
	names   map[string]string
	calls   map[string]Call
}

var (
	recMu     sync.Mutex
	recorders = map[string]*Recorder{}
)

type recKey struct{}

// Record returns the recorder of handler (one per handler and test binary).
func Record(handler string) *Recorder {
	recMu.Lock()
	defer recMu.Unlock()
	r := recorders[handler]
	if r == nil {
		r = &Recorder{handler: handler, names: map[string]string{}, calls: map[string]Call{}}
		recorders[handler] = r
	}
	return r
}

// Name declares the role of a resource name (a bucket, table, bus, secret,
// gateway or share ARN) in the calls: "raw", "catalog", "bus". A call on a
// name with no role is recorded as "?<name>", which fails the check.
func (r *Recorder) Name(name, role string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.names[name] = role
}

// Context returns ctx carrying r: SDK calls made with it are recorded.
func (r *Recorder) Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, recKey{}, r)
}

// Calls returns the recorded calls, sorted.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Call, 0, len(r.calls))
	for _, c := range r.calls {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return callKey(out[i]) < callKey(out[j]) })
	return out
}

// Ops returns the operations recorded at least once.
func (r *Recorder) Ops() map[string]bool {
	out := map[string]bool{}
	for _, c := range r.Calls() {
		out[c.Op] = true
	}
	return out
}

// RecordCalls adds the recording middleware to cfg, for clients built from
// a config other than Config's (an in-process S3 server).
func RecordCalls(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, addRecorder)
}

func addRecorder(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("biolakeRecordCall",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if r, ok := ctx.Value(recKey{}).(*Recorder); ok {
				r.record(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), in.Parameters, notFound(err))
			}
			return out, md, err
		}), middleware.After)
}

// role maps a name to its role.
func (r *Recorder) role(name string) string {
	if name == "" {
		return ""
	}
	if role, ok := r.names[name]; ok {
		return role
	}
	return "?" + name
}

// record reads the resources of one call's input.
func (r *Recorder) record(service, op string, params any, missing bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := Call{Op: strings.ReplaceAll(service, " ", "") + "." + op, Missing: missing && service == "S3"}
	v := reflect.Indirect(reflect.ValueOf(params))
	str := func(v reflect.Value, field string) string {
		if v.Kind() != reflect.Struct {
			return ""
		}
		f := v.FieldByName(field)
		if !f.IsValid() {
			return ""
		}
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				return ""
			}
			f = f.Elem()
		}
		if f.Kind() == reflect.String {
			return f.String()
		}
		return ""
	}
	c.Bucket = r.role(str(v, "Bucket"))
	c.Key = str(v, "Key")
	c.Versioned = str(v, "VersionId") != ""
	c.Prefix = str(v, "Prefix")
	if src := str(v, "CopySource"); src != "" {
		p, q, _ := strings.Cut(src, "?")
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
		b, k, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		c.SourceBucket, c.SourceKey = r.role(b), k
		c.SourceVersioned = strings.Contains(q, "versionId=")
	}
	c.Tagging = str(v, "Tagging") != ""
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("TaggingDirective"); f.IsValid() && f.Kind() == reflect.String {
			c.TaggingDirective = f.String()
		}
	}
	if t := str(v, "TableName"); t != "" {
		c.Tables = []string{r.role(t)}
	}
	c.Index = str(v, "IndexName")
	if v.Kind() == reflect.Struct {
		if items := v.FieldByName("TransactItems"); items.IsValid() && items.Kind() == reflect.Slice {
			for i := 0; i < items.Len(); i++ {
				it := reflect.Indirect(items.Index(i))
				for _, kind := range []string{"ConditionCheck", "Put", "Update", "Delete"} {
					if f := it.FieldByName(kind); f.IsValid() && !f.IsNil() {
						c.Items = append(c.Items, kind+":"+r.role(str(f.Elem(), "TableName")))
					}
				}
			}
			sort.Strings(c.Items)
		}
		if entries := v.FieldByName("Entries"); entries.IsValid() && entries.Kind() == reflect.Slice {
			seen := map[string]bool{}
			for i := 0; i < entries.Len(); i++ {
				b := r.role(str(reflect.Indirect(entries.Index(i)), "EventBusName"))
				if !seen[b] {
					seen[b] = true
					c.Buses = append(c.Buses, b)
				}
			}
			sort.Strings(c.Buses)
		}
	}
	if v.Kind() == reflect.Struct {
		if tags := v.FieldByName("Tags"); tags.IsValid() && tags.Kind() == reflect.Slice {
			for i := 0; i < tags.Len(); i++ {
				tg := reflect.Indirect(tags.Index(i))
				if k := str(tg, "Key"); k != "" {
					c.Tags = append(c.Tags, k+"="+r.role(str(tg, "Value")))
				}
			}
			sort.Strings(c.Tags)
		}
	}
	c.Secret = r.role(str(v, "SecretId"))
	for _, f := range []string{"GatewayARN", "FileShareARN", "QueueUrl", "VolumeARN", "Name"} {
		if s := str(v, f); s != "" {
			c.Target = r.role(s)
			break
		}
	}
	c.Token = str(v, "TaskToken") != ""
	c.Namespace = str(v, "Namespace")
	// One call per operation, resources and directory of the key: a run of
	// 60 objects under one prefix is one call, with the first key as its
	// example.
	k := callKey(Call{Op: c.Op, Bucket: c.Bucket, Key: path.Dir(c.Key), Versioned: c.Versioned, Prefix: c.Prefix,
		SourceBucket: c.SourceBucket, SourceKey: path.Dir(c.SourceKey), SourceVersioned: c.SourceVersioned,
		Tagging: c.Tagging, TaggingDirective: c.TaggingDirective, Tables: c.Tables, Items: c.Items, Index: c.Index,
		Buses: c.Buses, Secret: c.Secret, Target: c.Target, Token: c.Token, Tags: c.Tags, Namespace: c.Namespace, Missing: c.Missing})
	if old, ok := r.calls[k]; ok && old.Key <= c.Key && old.SourceKey <= c.SourceKey {
		return
	}
	r.calls[k] = c
}

// notFound reports whether err is S3's answer for a missing object.
func notFound(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NoSuchVersion", "NotFound":
			return true
		}
	}
	return false
}

func callKey(c Call) string {
	b, _ := json.Marshal(c)
	return string(b)
}

// callsFile is where the calls of handler are kept.
func callsFile(handler string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "test", "testdata", "awscalls", handler+".json"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("mototest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// CallsFile is the JSON form of test/testdata/awscalls/<handler>.json.
type CallsFile struct {
	Handler string `json:"handler"`
	Calls   []Call `json:"calls"`
}

func marshalCalls(r *Recorder) []byte {
	b, _ := json.MarshalIndent(CallsFile{Handler: r.handler, Calls: r.Calls()}, "", "  ")
	return append(b, '\n')
}

// checkCalls writes (update) or compares the calls files of the handlers
// recorded in this binary. It returns the problems found.
func checkCalls(update, fullRun bool) []string {
	recMu.Lock()
	defer recMu.Unlock()
	var problems []string
	names := make([]string, 0, len(recorders))
	for h := range recorders {
		names = append(names, h)
	}
	sort.Strings(names)
	for _, h := range names {
		r := recorders[h]
		body := marshalCalls(r)
		for _, c := range r.Calls() {
			if strings.Contains(callKey(c), `"?`) {
				problems = append(problems, fmt.Sprintf("handler %s: %s names a resource no test gave a role (Recorder.Name): %s", h, c.Op, callKey(c)))
			}
		}
		file, err := callsFile(h)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if update {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				problems = append(problems, err.Error())
			} else if err := os.WriteFile(file, body, 0o644); err != nil {
				problems = append(problems, err.Error())
			}
			continue
		}
		if !fullRun {
			continue
		}
		old, err := os.ReadFile(file)
		if err != nil || !bytes.Equal(old, body) {
			problems = append(problems, fmt.Sprintf("handler %s: %s is stale: the tests recorded other AWS calls than it lists; "+
				"rerun this package's tests with -update and review the diff (the permission proof in test/ reads it)", h, file))
		}
	}
	return problems
}

// defineUpdate defines -update unless the test package did.
func defineUpdate() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite test/testdata/awscalls/<handler>.json from the recorded AWS calls")
	}
}

// updating reports whether -update was given (after flag parsing).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// fullRun reports whether the binary ran every test (no -run or -skip), so
// that the recorded calls are complete.
func fullRun() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return !testing.Short()
}

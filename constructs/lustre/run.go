package lustre

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/validation"
)

// RunProps describes the scratch file system of one run. Values are
// literal strings (resolved ARNs, ids and names, or CDK tokens that resolve
// to them); build them with Lustre.RunProps.
type RunProps struct {
	// RunID identifies the run: 1 to 63 letters, digits, '.', '_' and '-'.
	// It is the runId tag and the client request token (a retried create
	// returns the same file system). Required; no default.
	RunID string
	// InputPrefix is the run's prefix in the raw bucket, such as
	// "runs/novaseq1/20260101_A0001/", linked at RawPath. Required; no
	// default.
	InputPrefix string
	// Project and Partner are the project and partner tags. Project is
	// required; Partner default: "" (no tag).
	Project string
	Partner string
	// RawBucket and ResultsBucket are the bucket names. Required; no default.
	RawBucket     string
	ResultsBucket string
	// ResultsPrefix is where the run's results go in the results bucket:
	// ResultsPrefix + RunID + "/", linked at ResultsPath. Default: "" (the
	// bucket's top level, s3://results/<runId>/).
	ResultsPrefix string
	// SubnetID and SecurityGroupID place the file system (Lustre.SubnetID,
	// Lustre.SecurityGroup). Required; no default.
	SubnetID        string
	SecurityGroupID string
	// LogGroupArn receives the file system's logs (Lustre.LogGroupArn).
	// Required; no default.
	LogGroupArn string
	// StorageCapacityGiB: 1200 or a multiple of 2400. Default: 1200.
	StorageCapacityGiB int
	// DataCompression is LZ4 or NONE. Default: "LZ4".
	DataCompression string
}

var runIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,63}$`)

// Validate checks r; each problem names the field, the value and what is
// accepted.
func (r RunProps) Validate() error {
	var errs []error
	bad := func(field string, value any, accepted string) {
		errs = append(errs, validation.New("", "RunProps."+field, value, "%s", accepted))
	}
	if !runIDRE.MatchString(r.RunID) {
		bad("RunID", r.RunID, "1 to 63 letters, digits, '.', '_' and '-'")
	}
	if r.InputPrefix == "" {
		bad("InputPrefix", r.InputPrefix, "the run's prefix in the raw bucket, such as \"runs/novaseq1/20260101_A0001/\"")
	} else if _, err := datalake.NormalizePrefix(r.InputPrefix); err != nil {
		bad("InputPrefix", r.InputPrefix, "a key prefix ("+err.Error()+")")
	}
	if r.ResultsPrefix != "" {
		if _, err := datalake.NormalizePrefix(r.ResultsPrefix); err != nil {
			bad("ResultsPrefix", r.ResultsPrefix, "a key prefix or \"\" ("+err.Error()+")")
		}
	}
	for _, f := range []struct{ name, v string }{
		{"Project", r.Project}, {"RawBucket", r.RawBucket}, {"ResultsBucket", r.ResultsBucket},
		{"SubnetID", r.SubnetID}, {"SecurityGroupID", r.SecurityGroupID}, {"LogGroupArn", r.LogGroupArn},
	} {
		if f.v == "" {
			bad(f.name, f.v, "a non-empty value")
		}
	}
	if c := r.StorageCapacityGiB; c != 0 && !ValidCapacity(c) {
		bad("StorageCapacityGiB", c, "1200 or a multiple of 2400, or 0 for 1200")
	}
	switch r.DataCompression {
	case "", CompressionLZ4, CompressionNone:
	default:
		bad("DataCompression", r.DataCompression, "LZ4 or NONE, or \"\" for LZ4")
	}
	return validation.Join("", errs...)
}

func (r RunProps) tags() []interface{} {
	t := []interface{}{
		map[string]interface{}{"Key": ManagedByTag, "Value": WorkflowTagValue},
		map[string]interface{}{"Key": "runId", "Value": r.RunID},
		map[string]interface{}{"Key": "project", "Value": r.Project},
	}
	if r.Partner != "" {
		t = append(t, map[string]interface{}{"Key": "partner", "Value": r.Partner})
	}
	return t
}

func (r RunProps) mustValid(fn string) {
	if err := r.Validate(); err != nil {
		validation.Check("lustre."+fn, err)
	}
}

// RunFileSystemRequest returns the parameters of fsx:createFileSystem (a
// Step Functions CallAwsService task) for the run's SCRATCH_2 file system:
// Lustre 2.15, in the subnet and security group given, logging WARN_ERROR,
// tagged biolake:managed-by=workflow, runId, project (and partner). It is
// encrypted with an FSx-managed key (FSx takes no KmsKeyId for scratch file
// systems). Link it to S3 with RunAssociationRequests once it is AVAILABLE.
// It panics when r is invalid.
func RunFileSystemRequest(r RunProps) map[string]interface{} {
	r.mustValid("RunFileSystemRequest")
	capacity := r.StorageCapacityGiB
	if capacity == 0 {
		capacity = DefaultStorageCapacityGiB
	}
	comp := r.DataCompression
	if comp == "" {
		comp = DefaultDataCompression
	}
	return map[string]interface{}{
		"ClientRequestToken":    r.RunID,
		"FileSystemType":        "LUSTRE",
		"FileSystemTypeVersion": FileSystemTypeVersion,
		"StorageType":           "SSD",
		"StorageCapacity":       capacity,
		"SubnetIds":             []interface{}{r.SubnetID},
		"SecurityGroupIds":      []interface{}{r.SecurityGroupID},
		"LustreConfiguration": map[string]interface{}{
			"DeploymentType":      string(Scratch2),
			"DataCompressionType": comp,
			"LogConfiguration":    map[string]interface{}{"Level": "WARN_ERROR", "Destination": r.LogGroupArn},
		},
		"Tags": r.tags(),
	}
}

// RunResultsPath is the S3 URL the run's results are exported to.
func (r RunProps) RunResultsPath() string {
	p, _ := datalake.NormalizePrefix(r.ResultsPrefix)
	return "s3://" + r.ResultsBucket + "/" + p + r.RunID + "/"
}

// RunAssociationRequests returns the parameters of two
// fsx:createDataRepositoryAssociation calls for the run's file system:
// RawPath linked to the run's input prefix of the raw bucket (import of NEW
// and CHANGED, no export: raw is immutable) and ResultsPath linked to
// RunResultsPath (export of NEW and CHANGED, never DELETED, so deleting the
// file system loses no result). fileSystemID is the created file system's
// id. It panics when r is invalid.
func RunAssociationRequests(r RunProps, fileSystemID string) []map[string]interface{} {
	r.mustValid("RunAssociationRequests")
	in, _ := datalake.NormalizePrefix(r.InputPrefix)
	return []map[string]interface{}{
		{
			"ClientRequestToken":          r.RunID + "-raw",
			"FileSystemId":                fileSystemID,
			"FileSystemPath":              RawPath,
			"DataRepositoryPath":          "s3://" + r.RawBucket + "/" + in,
			"BatchImportMetaDataOnCreate": true,
			"S3":                          map[string]interface{}{"AutoImportPolicy": map[string]interface{}{"Events": strs(RawImportEvents)}},
			"Tags":                        r.tags(),
		},
		{
			"ClientRequestToken":          r.RunID + "-results",
			"FileSystemId":                fileSystemID,
			"FileSystemPath":              ResultsPath,
			"DataRepositoryPath":          r.RunResultsPath(),
			"BatchImportMetaDataOnCreate": false,
			"S3":                          map[string]interface{}{"AutoExportPolicy": map[string]interface{}{"Events": strs(ResultsExportEvents)}},
			"Tags":                        r.tags(),
		},
	}
}

// RunExportRequest returns the parameters of fsx:createDataRepositoryTask
// that exports ResultsPath once more before the file system is deleted (so
// that nothing still queued for auto-export is lost).
func RunExportRequest(r RunProps, fileSystemID string) map[string]interface{} {
	r.mustValid("RunExportRequest")
	return map[string]interface{}{
		"ClientRequestToken": r.RunID + "-export",
		"FileSystemId":       fileSystemID,
		"Type":               "EXPORT_TO_REPOSITORY",
		"Paths":              []interface{}{ResultsPath[1:]},
		"Report":             map[string]interface{}{"Enabled": false},
		"Tags":               r.tags(),
	}
}

func strs(s []string) []interface{} {
	out := make([]interface{}, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// RunPaths names, as JSONPaths into a Step Functions state's input (or
// the context object, "$$."), the values of a run that are known only
// when the run is processed, for the *Parameters methods: the
// JSONPath-capable counterparts of RunFileSystemRequest,
// RunAssociationRequests and RunExportRequest, whose RunProps take literal
// strings.
type RunPaths struct {
	// RunID is the path of the run id, for example "$.runId": the runId tag
	// and the run's folder under the results prefix. Required; no default.
	RunID string
	// Token is the path of the string the client request tokens are derived
	// from (an MD5 hash of it, with a suffix per call, so that every token is
	// 32 to 40 of [a-z0-9-]): a retried call sends the same token and gets
	// the same file system, association or task back. "$$.Execution.Id" gives
	// every execution (a manual rerun of a run too) its own file system.
	// Default: RunID.
	Token string
	// InputURI is the path of the run's input, an S3 URL ending in "/" (for
	// example "$.inputUri" holding "s3://raw/runs/novaseq1/20260101_A0001/"),
	// linked at RawPath. It must be in the raw bucket under the construct's
	// RawPrefix (the RunPolicy allows no other). Required; no default.
	InputURI string
	// Project is the path of the project tag's value. Required; no default.
	Project string
	// Partner is the path of the partner tag's value; it must always be
	// present in the input when set. Default: "" (no partner tag).
	Partner string
	// FileSystemID is the path of the created file system's id, for
	// RunAssociationParameters and RunExportParameters. Default: "" (those
	// methods require it).
	FileSystemID string
	// StorageCapacityGiB of the file system (a literal, not a path): 1200
	// or a multiple of 2400. Default: 1200.
	StorageCapacityGiB int
	// Execution is the path of the id (ARN) of the execution that creates
	// the file system, for example "$$.Execution.Id": its value tags the
	// file system, associations and tasks ExecutionTag, so that whatever
	// cleans up after an execution that timed out or was stopped finds
	// them (Resource Groups Tagging API). Default: "" (no such tag).
	Execution string
	// Workflow is the name of the workflow that creates the file system
	// (a literal, not a path): the WorkflowTag, which the run age check
	// (AddRunAgeCheck) names in its log lines. Default: "" (no such tag).
	Workflow string
	// Timeout is the workflow's timeout (a literal, whole seconds): the
	// TimeoutTag, in seconds. The run age check counts a file system
	// older than it as overdue. Default: 0 (no such tag; the check counts
	// such a file system of its environment as overdue, since it cannot
	// judge it).
	Timeout time.Duration
}

// Validate checks r; each problem names the field, the value and what is
// accepted. fileSystem says whether FileSystemID is required.
// Each field is named with prefix.
func (r RunPaths) validate(prefix string, fileSystem bool) error {
	var errs []error
	bad := func(field string, value any, accepted string) {
		errs = append(errs, validation.New("", prefix+field, value, "%s", accepted))
	}
	isPath := func(s string) bool { return strings.HasPrefix(s, "$") && !strings.ContainsAny(s, "'{}\\ ") }
	for _, f := range []struct {
		name, v  string
		required bool
	}{
		{"RunID", r.RunID, true}, {"Token", r.Token, false}, {"InputURI", r.InputURI, true},
		{"Project", r.Project, true}, {"Partner", r.Partner, false}, {"FileSystemID", r.FileSystemID, fileSystem},
		{"Execution", r.Execution, false},
	} {
		switch {
		case f.v == "" && f.required:
			bad(f.name, f.v, "a JSONPath such as \"$.runId\"")
		case f.v != "" && !isPath(f.v):
			bad(f.name, f.v, "a JSONPath starting with \"$\" (\"$.field\" or \"$$.Execution.Id\"), without quotes, braces, backslashes or spaces")
		}
	}
	if c := r.StorageCapacityGiB; c != 0 && !ValidCapacity(c) {
		bad("StorageCapacityGiB", c, "1200 or a multiple of 2400, or 0 for 1200")
	}
	if r.Workflow != "" && !tagValueRE.MatchString(r.Workflow) {
		bad("Workflow", r.Workflow, "1 to 256 letters, digits, spaces and _.:/=+-@")
	}
	if t := r.Timeout; t < 0 || t%time.Second != 0 {
		bad("Timeout", t.String(), "a whole number of seconds, or 0 for no timeout tag")
	}
	return validation.Join("", errs...)
}

var tagValueRE = regexp.MustCompile(`^[A-Za-z0-9 _.:/=+@-]{1,256}$`)

func (r RunPaths) mustValid(l *Lustre, fn string, fileSystem bool) {
	if l.p.Mode != ModePerRun {
		panic(&validation.Error{Path: *l.Node().Path(), Field: fn, Value: validation.Render(string(l.p.Mode)),
			Problem: "needs Props.Mode " + string(ModePerRun), Accepted: "calls on a Lustre of ModePerRun"})
	}
	validation.Check(*l.Node().Path(), r.validate(fn+"(paths).", fileSystem))
}

// token returns the intrinsic function of the client request token of
// one call: the MD5 hash (32 hex characters) of the Token value and the
// call's suffix, so that FSx's limit (1 to 63 of [A-Za-z0-9_.-]) holds
// whatever the value.
func (r RunPaths) token(call string) string {
	t := r.Token
	if t == "" {
		t = r.RunID
	}
	if call == "" {
		return "States.Hash(" + t + ", 'MD5')"
	}
	return "States.Format('{}-" + call + "', States.Hash(" + t + ", 'MD5'))"
}

// tags of the file system, associations and tasks; environment is the
// construct's Props.Environment.
func (r RunPaths) tags(environment string) []interface{} {
	t := []interface{}{
		map[string]interface{}{"Key": ManagedByTag, "Value": WorkflowTagValue},
		map[string]interface{}{"Key": "runId", "Value.$": r.RunID},
		map[string]interface{}{"Key": "project", "Value.$": r.Project},
	}
	if r.Partner != "" {
		t = append(t, map[string]interface{}{"Key": "partner", "Value.$": r.Partner})
	}
	if r.Execution != "" {
		t = append(t, map[string]interface{}{"Key": ExecutionTag, "Value.$": r.Execution})
	}
	if environment != "" {
		t = append(t, map[string]interface{}{"Key": EnvironmentTag, "Value": environment})
	}
	if r.Workflow != "" {
		t = append(t, map[string]interface{}{"Key": WorkflowTag, "Value": r.Workflow})
	}
	if r.Timeout > 0 {
		t = append(t, map[string]interface{}{"Key": TimeoutTag, "Value": strconv.FormatInt(int64(r.Timeout/time.Second), 10)})
	}
	return t
}

// intrinsicString escapes s for a string literal of an intrinsic function
// (States.Format's template): backslash, quote and braces.
func intrinsicString(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`, `{`, `\{`, `}`, `\}`).Replace(s)
}

// RunFileSystemParameters returns the Parameters of an
// aws-sdk:fsx:createFileSystem task (CallAwsService) for a run's SCRATCH_2
// file system, as RunFileSystemRequest does for literal values: this
// construct's subnet, security group and log group, Lustre 2.15, the
// construct's data compression, tagged biolake:managed-by=workflow, runId,
// project (and partner) from the paths. The client request token is the
// MD5 hash of paths.Token. It panics unless the construct is ModePerRun
// and paths are valid.
func (l *Lustre) RunFileSystemParameters(paths RunPaths) map[string]interface{} {
	paths.mustValid(l, "RunFileSystemParameters", false)
	capacity := paths.StorageCapacityGiB
	if capacity == 0 {
		capacity = DefaultStorageCapacityGiB
	}
	return map[string]interface{}{
		"ClientRequestToken.$":  paths.token(""),
		"FileSystemType":        "LUSTRE",
		"FileSystemTypeVersion": FileSystemTypeVersion,
		"StorageType":           "SSD",
		"StorageCapacity":       capacity,
		"SubnetIds":             []interface{}{l.SubnetID},
		"SecurityGroupIds":      []interface{}{*l.SecurityGroup.SecurityGroupId()},
		"LustreConfiguration": map[string]interface{}{
			"DeploymentType":      string(Scratch2),
			"DataCompressionType": l.p.DataCompression,
			"LogConfiguration":    map[string]interface{}{"Level": "WARN_ERROR", "Destination": l.LogGroupArn},
		},
		"Tags": paths.tags(l.p.Environment),
	}
}

// RunResultsURIExpression returns the intrinsic function that gives the S3
// URL a run's results are exported to (RunResultsPath for literal values):
// s3://<results bucket>/<ResultsPrefix><run id>/, the run id read from
// runIDPath. The bucket name, often a CDK token, is not escaped (bucket
// names hold no quotes, braces or backslashes); the prefix is.
func (l *Lustre) RunResultsURIExpression(runIDPath string) string {
	return "States.Format('s3://" + *l.p.Lake.Bucket(datalake.BucketResults).BucketName() + "/" + intrinsicString(l.p.ResultsPrefix) + "{}/', " + runIDPath + ")"
}

// RunAssociationParameters returns the Parameters of two
// aws-sdk:fsx:createDataRepositoryAssociation tasks, as
// RunAssociationRequests does for literal values: RawPath linked to the
// run's input (paths.InputURI; metadata imported on creation, auto-import
// of NEW and CHANGED, no export) and ResultsPath linked to the run's
// results URL (RunResultsURIExpression; auto-export of NEW and CHANGED,
// never DELETED). It panics unless the construct is ModePerRun and paths
// (FileSystemID included) are valid.
func (l *Lustre) RunAssociationParameters(paths RunPaths) []map[string]interface{} {
	paths.mustValid(l, "RunAssociationParameters", true)
	return []map[string]interface{}{
		{
			"ClientRequestToken.$":        paths.token("raw"),
			"FileSystemId.$":              paths.FileSystemID,
			"FileSystemPath":              RawPath,
			"DataRepositoryPath.$":        paths.InputURI,
			"BatchImportMetaDataOnCreate": true,
			"S3":                          map[string]interface{}{"AutoImportPolicy": map[string]interface{}{"Events": strs(RawImportEvents)}},
			"Tags":                        paths.tags(l.p.Environment),
		},
		{
			"ClientRequestToken.$":        paths.token("results"),
			"FileSystemId.$":              paths.FileSystemID,
			"FileSystemPath":              ResultsPath,
			"DataRepositoryPath.$":        l.RunResultsURIExpression(paths.RunID),
			"BatchImportMetaDataOnCreate": false,
			"S3":                          map[string]interface{}{"AutoExportPolicy": map[string]interface{}{"Events": strs(ResultsExportEvents)}},
			"Tags":                        paths.tags(l.p.Environment),
		},
	}
}

// RunExportParameters returns the Parameters of an
// aws-sdk:fsx:createDataRepositoryTask task that exports ResultsPath once
// more before the file system is deleted, as RunExportRequest does for
// literal values. It panics unless the construct is ModePerRun and paths
// (FileSystemID included) are valid.
func (l *Lustre) RunExportParameters(paths RunPaths) map[string]interface{} {
	paths.mustValid(l, "RunExportParameters", true)
	return map[string]interface{}{
		"ClientRequestToken.$": paths.token("export"),
		"FileSystemId.$":       paths.FileSystemID,
		"Type":                 "EXPORT_TO_REPOSITORY",
		"Paths":                []interface{}{ResultsPath[1:]},
		"Report":               map[string]interface{}{"Enabled": false},
		"Tags":                 paths.tags(l.p.Environment),
	}
}

// RunDeleteParameters returns the Parameters of an
// aws-sdk:fsx:deleteFileSystem task for the run's file system (a scratch
// file system: no final backup). It panics unless the construct is
// ModePerRun and paths (FileSystemID included) are valid.
func (l *Lustre) RunDeleteParameters(paths RunPaths) map[string]interface{} {
	paths.mustValid(l, "RunDeleteParameters", true)
	return map[string]interface{}{
		"ClientRequestToken.$": paths.token("delete"),
		"FileSystemId.$":       paths.FileSystemID,
	}
}

// RunProps returns the RunProps of a run with this construct's subnet,
// security group, log group, buckets and results prefix filled in.
func (l *Lustre) RunProps(runID, inputPrefix, project, partner string) RunProps {
	return RunProps{
		RunID: runID, InputPrefix: inputPrefix, Project: project, Partner: partner,
		RawBucket: *l.p.Lake.Bucket(datalake.BucketRaw).BucketName(), ResultsBucket: *l.p.Lake.Bucket(datalake.BucketResults).BucketName(),
		ResultsPrefix: l.p.ResultsPrefix, SubnetID: l.SubnetID,
		SecurityGroupID: *l.SecurityGroup.SecurityGroupId(), LogGroupArn: l.LogGroupArn,
		DataCompression: l.p.DataCompression,
	}
}

// GrantRunWorkflow lets grantee (a workflow's state machine, or its
// role) create, link, export and delete per-run file systems: it attaches
// RunPolicy to the grantee's principal (a role, user or group) and grants
// the FSx Describe calls, which take no resource ("*"), on the principal
// itself; the returned Grant holds that statement. It panics with
// ModePersistent, or when the principal is none of the three.
func (l *Lustre) GrantRunWorkflow(grantee awsiam.IGrantable) awsiam.Grant {
	if l.RunPolicy == nil {
		panic(&validation.Error{Path: *l.Node().Path(), Field: "GrantRunWorkflow", Value: validation.Render(string(l.p.Mode)),
			Problem: "needs Props.Mode " + string(ModePerRun), Accepted: "calls on a Lustre of ModePerRun"})
	}
	switch pr := grantee.GrantPrincipal().(type) {
	case awsiam.IRole:
		pr.AddManagedPolicy(l.RunPolicy)
	case awsiam.IUser:
		pr.AddManagedPolicy(l.RunPolicy)
	case awsiam.IGroup:
		pr.AddManagedPolicy(l.RunPolicy)
	default:
		panic(validation.New(*l.Node().Path(), "GrantRunWorkflow grantee", fmt.Sprintf("%T", grantee.GrantPrincipal()), "a grantee whose principal is an IAM role, user or group (RunPolicy is a managed policy)"))
	}
	return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings(RunDescribeActions...),
		ResourceArns: jsii.Strings("*"),
	})
}

// RunDescribeActions are the FSx calls a workflow polls per-run file
// systems with; they take no resource, and GrantRunWorkflow grants them
// on the principal (not in RunPolicy).
var RunDescribeActions = []string{"fsx:DescribeFileSystems", "fsx:DescribeDataRepositoryAssociations", "fsx:DescribeDataRepositoryTasks"}

// newRunPolicy creates the managed policy a workflow needs for per-run
// file systems.
func (l *Lustre) newRunPolicy(stack awscdk.Stack) {
	c := constructs.Construct(l)
	p := &l.p
	lake := p.Lake
	arn := func(resource string) string {
		return fmt.Sprintf("arn:%s:fsx:%s:%s:%s", *stack.Partition(), *stack.Region(), *stack.Account(), resource)
	}
	st := func(sid string, actions, resources []string, cond map[string]interface{}) awsiam.PolicyStatement {
		sp := &awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...)}
		if cond != nil {
			sp.Conditions = &cond
		}
		return awsiam.NewPolicyStatement(sp)
	}
	requestTag := map[string]interface{}{"StringEquals": map[string]interface{}{"aws:RequestTag/" + ManagedByTag: WorkflowTagValue}}
	resourceTag := map[string]interface{}{"StringEquals": map[string]interface{}{"aws:ResourceTag/" + ManagedByTag: WorkflowTagValue}}
	slr := func(path string) string {
		return fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/%s/*", *stack.Partition(), *stack.Account(), path)
	}
	const s3Link = "s3.data-source.lustre.fsx.amazonaws.com"
	rawObjects := *lake.Bucket(datalake.BucketRaw).ArnForObjects(jsii.String(p.RawPrefix + "*"))
	// Partner datasets reach workflows from the partner bucket's accepted/
	// prefix (verified copies), never from quarantine/.
	partnerObjects := *lake.Bucket(datalake.BucketPartner).ArnForObjects(jsii.String(datalake.PartnerAcceptedPrefix + "*"))
	resultObjects := *lake.Bucket(datalake.BucketResults).ArnForObjects(jsii.String(p.ResultsPrefix + "*"))
	viaS3 := map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": "s3." + *stack.Region() + ".amazonaws.com"}}
	statements := []awsiam.PolicyStatement{
		st("CreateTaggedFileSystems", []string{"fsx:CreateFileSystem", "fsx:TagResource"}, []string{arn("file-system/*")}, requestTag),
		st("CreateTaggedAssociationsAndTasks", []string{"fsx:CreateDataRepositoryAssociation", "fsx:CreateDataRepositoryTask", "fsx:TagResource"},
			[]string{arn("association/*"), arn("task/*")}, requestTag),
		st("ManageWorkflowFileSystems", []string{"fsx:CreateDataRepositoryAssociation", "fsx:CreateDataRepositoryTask", "fsx:DeleteFileSystem"},
			[]string{arn("file-system/*")}, resourceTag),
		st("FSxServiceLinkedRole", []string{"iam:CreateServiceLinkedRole"}, []string{slr("fsx.amazonaws.com")},
			map[string]interface{}{"StringEquals": map[string]interface{}{"iam:AWSServiceName": "fsx.amazonaws.com"}}),
		st("FSxS3ServiceLinkedRole", []string{"iam:CreateServiceLinkedRole"}, []string{slr(s3Link)},
			map[string]interface{}{"StringEquals": map[string]interface{}{"iam:AWSServiceName": s3Link}}),
		st("FSxS3ServiceLinkedRolePolicy", []string{"iam:AttachRolePolicy", "iam:PutRolePolicy"}, []string{slr(s3Link)}, nil),
		st("LinkedBuckets", []string{"s3:GetBucketLocation", "s3:GetBucketPolicy", "s3:ListBucket"}, []string{*lake.Bucket(datalake.BucketRaw).BucketArn(), *lake.Bucket(datalake.BucketPartner).BucketArn(), *lake.Bucket(datalake.BucketResults).BucketArn()}, nil),
		st("ReadRunInputs", []string{"s3:GetObject", "s3:GetObjectAttributes", "s3:GetObjectTagging"}, []string{rawObjects, partnerObjects}, nil),
		st("WriteResults", []string{"s3:GetObject", "s3:GetObjectAttributes", "s3:GetObjectTagging", "s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"}, []string{resultObjects}, nil),
		// fsx:CreateFileSystem checks the subnet, security groups and VPC
		// it is given with the caller's permissions: the dependent actions
		// the Service Authorization Reference lists for it
		// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonfsx.html),
		// the same EC2 look-ups as AmazonFSxConsoleReadOnlyAccess
		// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonFSxConsoleReadOnlyAccess.html).
		// EC2 Describe* and GetSecurityGroupsForVpc take no resource here.
		st("NetworkLookups", []string{"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeVpcs", "ec2:DescribeNetworkInterfaces"}, []string{"*"}, nil),
	}
	if keys := lakeKeys(lake, datalake.BucketRaw, datalake.BucketPartner, datalake.BucketResults); len(keys) > 0 {
		var arns []string
		for _, k := range keys {
			arns = append(arns, *k.KeyArn())
		}
		// After the S3 statements and before the EC2 look-ups, where it
		// always was.
		statements = slices.Insert(statements, len(statements)-1, st("DataKeyThroughS3", []string{"kms:Decrypt", "kms:GenerateDataKey"}, arns, viaS3))
	}
	// The run's file systems reach the raw, partner and results buckets
	// through their S3-access service-linked roles with the buckets' keys.
	allowS3AccessRole(lakeKeys(lake, datalake.BucketRaw, datalake.BucketPartner, datalake.BucketResults)...)
	l.RunPolicy = awsiam.NewManagedPolicy(c, jsii.String("RunPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("biolake lustre: create, link to S3, export and delete per-run FSx for Lustre file systems tagged " + ManagedByTag + "=" + WorkflowTagValue),
		Statements:  &statements,
	})
	nag.Suppress(l.RunPolicy, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "Per-run file systems, their associations and tasks get ids only when created: the fsx wildcards are limited to this account and region and by the " +
			ManagedByTag + "=" + WorkflowTagValue + " request or resource tag; Describe calls and the EC2 look-ups of CreateFileSystem take no resource; the service-linked role ARNs are FSx's own paths; " +
			"S3 object wildcards are the raw input, partner accepted/ and results prefixes the file systems are linked to.",
		AppliesToRegex: []string{
			`/^Resource::arn:` + nag.ArnScope + `:fsx:` + nag.RegionScope + `:` + nag.AccountScope + `:(file-system|association|task)\/\*$/`,
			`/^Resource::\*$/`,
			`/^Resource::arn:` + nag.ArnScope + `:iam::` + nag.AccountScope + `:role\/aws-service-role\/[a-z0-9.-]+\/\*$/`,
			`/^Resource::<.+\.Arn>\/` + regexpQuote(p.RawPrefix) + `\*$/`,
			`/^Resource::arn:(aws|aws-cn|aws-us-gov|<AWS::Partition>):s3:::[a-z0-9][a-z0-9.-]*\/` + regexpQuote(p.RawPrefix) + `\*$/`,
			`/^Resource::<.+\.Arn>\/` + regexpQuote(datalake.PartnerAcceptedPrefix) + `\*$/`,
			`/^Resource::arn:(aws|aws-cn|aws-us-gov|<AWS::Partition>):s3:::[a-z0-9][a-z0-9.-]*\/` + regexpQuote(datalake.PartnerAcceptedPrefix) + `\*$/`,
			`/^Resource::<.+\.Arn>\/` + regexpQuote(p.ResultsPrefix) + `\*$/`,
			`/^Resource::arn:(aws|aws-cn|aws-us-gov|<AWS::Partition>):s3:::[a-z0-9][a-z0-9.-]*\/` + regexpQuote(p.ResultsPrefix) + `\*$/`,
		},
	})
}

func regexpQuote(s string) string {
	q := regexp.QuoteMeta(s)
	out := make([]byte, 0, len(q))
	for i := 0; i < len(q); i++ {
		if q[i] == '/' {
			out = append(out, '\\')
		}
		out = append(out, q[i])
	}
	return string(out)
}

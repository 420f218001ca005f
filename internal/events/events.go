// Package events is biolake's event catalogue: the Go types of the events the
// platform puts on its EventBridge bus, their sources and detail-types, their
// validation, and strict parsing of an event's detail.
//
// All three ingest channels (DataSync, Transfer Family, File Gateway) emit the
// same events, so downstream consumers do not care how data arrived. The
// catalogue is documented in docs/EVENTS.md and, machine-readably, by the JSON
// Schema files embedded in this package (see Schema).
//
// Version policy: every detail carries "schemaVersion". Additive changes (a new
// optional field) keep the version; removing or renaming a field, or changing
// its type or meaning, bumps it. Parse accepts only SchemaVersion. (One
// exception, made before the first release, is recorded in docs/EVENTS.md:
// the ingest handler's completion event became RunCompleted, and RunIngested
// moved to the verify flow, under version "1".)
//
// The event flow: DatasetReceived (first object) -> RunCompleted (all
// objects arrived; starts verification) -> RunIngested (every file matches
// its manifest; starts processing) or IntegrityFailed (per bad file). A
// workflow that processed a run announces its results with
// WorkflowSucceeded.
//
// Errors are typed (ErrUnknownDetailType, ErrMalformedEvent, ErrInvalidEvent,
// ErrUnsupportedVersion) so that a Lambda's errorType, and with it a Step
// Functions Retry/Catch, can match them by name.
package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// SchemaVersion is the version of every event detail defined here.
const SchemaVersion = "1"

// EventBridge sources of biolake's events.
const (
	SourceIngest  = "biolake.ingest"
	SourceVerify  = "biolake.verify"
	SourceRestore = "biolake.restore"
	// SourceWorkflow is the source of the workflow state machines' events
	// (constructs/workflow).
	SourceWorkflow = "biolake.workflow"
)

// EventBridge detail-types of biolake's events.
const (
	DetailTypeDatasetReceived   = "DatasetReceived"
	DetailTypeRunCompleted      = "RunCompleted"
	DetailTypeRunIngested       = "RunIngested"
	DetailTypeIntegrityFailed   = "IntegrityFailed"
	DetailTypeRestoreCompleted  = "RestoreCompleted"
	DetailTypeWorkflowSucceeded = "WorkflowSucceeded"
)

// DetailTypes lists every detail-type in the catalogue, in a stable order.
var DetailTypes = []string{
	DetailTypeDatasetReceived,
	DetailTypeRunCompleted,
	DetailTypeRunIngested,
	DetailTypeIntegrityFailed,
	DetailTypeRestoreCompleted,
	DetailTypeWorkflowSucceeded,
}

// Channel names the way data arrived.
type Channel string

// The ingest channels.
const (
	ChannelDataSync    Channel = "datasync"
	ChannelTransfer    Channel = "transfer"
	ChannelFileGateway Channel = "filegateway"
)

// Valid reports whether c is one of the known channels.
func (c Channel) Valid() bool {
	switch c {
	case ChannelDataSync, ChannelTransfer, ChannelFileGateway:
		return true
	}
	return false
}

// Verification says what showed a run whole (RunCompleted's evidence) and
// how it was verified (RunIngested's verifiedBy).
type Verification string

// The kinds of verification, strongest first.
const (
	// VerifiedByManifest: the run's manifest arrived, every data object it
	// lists arrived, and (RunIngested) each matched its checksum and size.
	VerifiedByManifest Verification = "manifest"
	// VerifiedByDataSync: the run has no manifest; a DataSync task execution
	// for the run's location ended successfully after the run's completion
	// markers arrived (DataSync verified what it transferred).
	VerifiedByDataSync Verification = "datasync"
	// VerifiedBySettled: the run has no manifest and no DataSync evidence;
	// no new object arrived for the settle window its rule opts in to.
	// Nothing was compared: workflows start on it only when the
	// environment opts in.
	VerifiedBySettled Verification = "settled"
)

// Verifications lists the kinds of verification, strongest first.
var Verifications = []Verification{VerifiedByManifest, VerifiedByDataSync, VerifiedBySettled}

// Valid reports whether v is one of the known kinds.
func (v Verification) Valid() bool {
	switch v {
	case VerifiedByManifest, VerifiedByDataSync, VerifiedBySettled:
		return true
	}
	return false
}

// Event is implemented by every event of the catalogue.
type Event interface {
	// Source is the EventBridge source, e.g. "biolake.ingest".
	Source() string
	// DetailType is the EventBridge detail-type, e.g. "RunIngested".
	DetailType() string
	// Validate reports missing or invalid fields as *ErrInvalidEvent.
	Validate() error
}

// DatasetReceived is emitted by the ingest handler once per run or dataset,
// when its first object is recorded in the catalog.
type DatasetReceived struct {
	SchemaVersion string    `json:"schemaVersion"`
	RunID         string    `json:"runId"`
	Channel       Channel   `json:"channel"`
	Bucket        string    `json:"bucket"`
	Prefix        string    `json:"prefix"`
	Profile       string    `json:"profile"`
	FirstKey      string    `json:"firstKey"`
	ReceivedAt    time.Time `json:"receivedAt"`
	// Partner is the partner (CRO) name for the transfer channel.
	Partner string `json:"partner,omitempty"`
}

// RunCompleted is emitted exactly once per run, by the ingest handler event
// that wins the RECEIVING -> COMPLETE transition: every required marker, the
// manifest (when the profile has one) and all expected objects have arrived.
// The data is complete but not yet verified: RunCompleted starts the verify
// flow, never processing.
type RunCompleted struct {
	SchemaVersion string    `json:"schemaVersion"`
	RunID         string    `json:"runId"`
	Channel       Channel   `json:"channel"`
	Bucket        string    `json:"bucket"`
	Prefix        string    `json:"prefix"`
	Profile       string    `json:"profile"`
	ObjectCount   int64     `json:"objectCount"`
	TotalBytes    int64     `json:"totalBytes"`
	CompletedAt   time.Time `json:"completedAt"`
	// ManifestKey is the object key of the run's manifest, when it has one.
	ManifestKey string `json:"manifestKey,omitempty"`
	// Partner is the partner (CRO) name for the transfer channel.
	Partner string `json:"partner,omitempty"`
	// Evidence is what showed the run whole: its manifest, a DataSync task
	// execution, or a settle window. Always set by biolake's ingest
	// handler; absent only in events from before the field existed.
	Evidence Verification `json:"evidence,omitempty"`
}

// RunIngested is emitted exactly once per run, by the verify flow
// (FinalizeRun) when every file of the run matches its manifest: the winner
// of a conditional update of the run record (COMPLETE/PUBLISHED -> VERIFIED)
// emits it. Processing starts on RunIngested only, so it starts on verified
// data. For partner data Prefix is the accepted/ prefix the verified copy was
// written to.
type RunIngested struct {
	SchemaVersion string  `json:"schemaVersion"`
	RunID         string  `json:"runId"`
	Channel       Channel `json:"channel"`
	Bucket        string  `json:"bucket"`
	// Prefix is where the verified data is: the run folder, or for partner
	// data the accepted/ prefix it was copied to. It ends in "/".
	Prefix      string    `json:"prefix"`
	Profile     string    `json:"profile"`
	ObjectCount int64     `json:"objectCount"`
	TotalBytes  int64     `json:"totalBytes"`
	VerifiedAt  time.Time `json:"verifiedAt"`
	// ManifestKey is the object key of the run's manifest, when it has one
	// (under Prefix for partner data).
	ManifestKey string `json:"manifestKey,omitempty"`
	// Partner is the partner (CRO) name for the transfer channel.
	Partner string `json:"partner,omitempty"`
	// VerifiedBy says how the run was verified: manifest, datasync or
	// settled (see Verification). Always set by biolake's verify flow;
	// absent only in events from before the field existed, which no rule
	// of biolake's starts processing on.
	VerifiedBy Verification `json:"verifiedBy,omitempty"`
}

// IntegrityFailure is the reason of an IntegrityFailed event.
type IntegrityFailure string

// The integrity failure reasons.
const (
	FailureMismatch   IntegrityFailure = "mismatch"   // checksum differs from the manifest
	FailureMissing    IntegrityFailure = "missing"    // listed in the manifest, not in S3
	FailureUnreadable IntegrityFailure = "unreadable" // could not be read or hashed
	FailureSize       IntegrityFailure = "size"       // size differs from the manifest
)

// Valid reports whether f is one of the known reasons.
func (f IntegrityFailure) Valid() bool {
	switch f {
	case FailureMismatch, FailureMissing, FailureUnreadable, FailureSize:
		return true
	}
	return false
}

// IntegrityFailed is emitted by the verify handler for each object whose
// checksum or size does not match its manifest entry, or that is missing.
type IntegrityFailed struct {
	SchemaVersion string           `json:"schemaVersion"`
	RunID         string           `json:"runId"`
	Bucket        string           `json:"bucket"`
	Key           string           `json:"key"`
	Reason        IntegrityFailure `json:"reason"`
	DetectedAt    time.Time        `json:"detectedAt"`
	// VersionID is the S3 version id of the object checked, when known.
	VersionID string `json:"versionId,omitempty"`
	// Algorithm is the checksum algorithm compared, e.g. "sha256".
	Algorithm string `json:"algorithm,omitempty"`
	// Expected is the manifest's value (hex), when there is one.
	Expected string `json:"expected,omitempty"`
	// Actual is the computed or stored value (hex), when there is one.
	Actual string `json:"actual,omitempty"`
	// Detail is a human-readable explanation.
	Detail string `json:"detail,omitempty"`
}

// RestoreCompleted is emitted when the archived inputs of a run have been
// restored from a Glacier tier and are readable again.
type RestoreCompleted struct {
	SchemaVersion   string    `json:"schemaVersion"`
	RunID           string    `json:"runId"`
	Bucket          string    `json:"bucket"`
	ExecutionID     string    `json:"executionId"`
	RestoredObjects int64     `json:"restoredObjects"`
	CompletedAt     time.Time `json:"completedAt"`
	// Tier is the retrieval tier used: Expedited, Standard or Bulk.
	Tier string `json:"tier,omitempty"`
}

// WorkflowSucceeded is emitted by a workflow state machine
// (constructs/workflow, state CatalogResults) once per successful
// execution, after the run's results are recorded in the catalog table.
// Every field is always set.
type WorkflowSucceeded struct {
	SchemaVersion string `json:"schemaVersion"`
	// Workflow is the workflow's name: a letter, then letters or digits,
	// at most 32.
	Workflow string `json:"workflow"`
	// Project is the workflow's "project" cost-allocation tag value.
	Project string `json:"project"`
	RunID   string `json:"runId"`
	// Partner is the partner (CRO) name, or "none" when the run did not
	// come from a partner.
	Partner string `json:"partner"`
	// OutputURI is where the results are:
	// s3://<results bucket>/workflows/<workflow>/<runId>/.
	OutputURI string `json:"outputUri"`
	// ExecutionID is the ARN of the Step Functions execution.
	ExecutionID string `json:"executionId"`
}

// PartnerNone is WorkflowSucceeded's Partner for a run that did not come
// from a partner.
const PartnerNone = "none"

// WorkflowResultsPrefix is the key prefix of workflow results in the
// results bucket: WorkflowResultsPrefix + <workflow> + "/" + <runId> + "/".
const WorkflowResultsPrefix = "workflows/"

func (DatasetReceived) Source() string       { return SourceIngest }
func (DatasetReceived) DetailType() string   { return DetailTypeDatasetReceived }
func (RunCompleted) Source() string          { return SourceIngest }
func (RunCompleted) DetailType() string      { return DetailTypeRunCompleted }
func (RunIngested) Source() string           { return SourceVerify }
func (RunIngested) DetailType() string       { return DetailTypeRunIngested }
func (IntegrityFailed) Source() string       { return SourceVerify }
func (IntegrityFailed) DetailType() string   { return DetailTypeIntegrityFailed }
func (RestoreCompleted) Source() string      { return SourceRestore }
func (RestoreCompleted) DetailType() string  { return DetailTypeRestoreCompleted }
func (WorkflowSucceeded) Source() string     { return SourceWorkflow }
func (WorkflowSucceeded) DetailType() string { return DetailTypeWorkflowSucceeded }

// checker collects missing and invalid fields.
type checker struct {
	missing []string
	invalid []string
}

func (c *checker) str(name, v string) {
	if strings.TrimSpace(v) == "" {
		c.missing = append(c.missing, name)
	}
}

func (c *checker) time(name string, v time.Time) {
	if v.IsZero() {
		c.missing = append(c.missing, name)
	}
}

func (c *checker) nonNeg(name string, v int64) {
	if v < 0 {
		c.invalid = append(c.invalid, name)
	}
}

func (c *checker) version(v string) {
	if v == "" {
		c.missing = append(c.missing, "schemaVersion")
	} else if v != SchemaVersion {
		c.invalid = append(c.invalid, "schemaVersion")
	}
}

func (c *checker) err(detailType string) error {
	if len(c.missing) == 0 && len(c.invalid) == 0 {
		return nil
	}
	return &ErrInvalidEvent{DetailType: detailType, Missing: c.missing, Invalid: c.invalid}
}

// Validate reports missing or invalid fields as *ErrInvalidEvent.
func (e DatasetReceived) Validate() error {
	var c checker
	c.version(e.SchemaVersion)
	c.str("runId", e.RunID)
	if e.Channel == "" {
		c.missing = append(c.missing, "channel")
	} else if !e.Channel.Valid() {
		c.invalid = append(c.invalid, "channel")
	}
	c.str("bucket", e.Bucket)
	c.str("prefix", e.Prefix)
	c.str("profile", e.Profile)
	c.str("firstKey", e.FirstKey)
	c.time("receivedAt", e.ReceivedAt)
	return c.err(DetailTypeDatasetReceived)
}

// Validate reports missing or invalid fields as *ErrInvalidEvent.
func (e RunCompleted) Validate() error {
	var c checker
	c.version(e.SchemaVersion)
	c.run(e.RunID, e.Channel, e.Bucket, e.Prefix, e.Profile, e.ObjectCount, e.TotalBytes)
	c.time("completedAt", e.CompletedAt)
	c.verification("evidence", e.Evidence, e.ManifestKey)
	return c.err(DetailTypeRunCompleted)
}

// Validate reports missing or invalid fields as *ErrInvalidEvent.
func (e RunIngested) Validate() error {
	var c checker
	c.version(e.SchemaVersion)
	c.run(e.RunID, e.Channel, e.Bucket, e.Prefix, e.Profile, e.ObjectCount, e.TotalBytes)
	c.time("verifiedAt", e.VerifiedAt)
	c.verification("verifiedBy", e.VerifiedBy, e.ManifestKey)
	return c.err(DetailTypeRunIngested)
}

// verification checks an optional Verification field: a known kind, and
// "manifest" only with a manifestKey.
func (c *checker) verification(name string, v Verification, manifestKey string) {
	switch {
	case v == "":
	case !v.Valid():
		c.invalid = append(c.invalid, name)
	case v == VerifiedByManifest && strings.TrimSpace(manifestKey) == "":
		c.missing = append(c.missing, "manifestKey")
	}
}

// run checks the fields RunCompleted and RunIngested share.
func (c *checker) run(runID string, ch Channel, bucket, prefix, profile string, count, bytes int64) {
	c.str("runId", runID)
	if ch == "" {
		c.missing = append(c.missing, "channel")
	} else if !ch.Valid() {
		c.invalid = append(c.invalid, "channel")
	}
	c.str("bucket", bucket)
	c.str("prefix", prefix)
	c.str("profile", profile)
	c.nonNeg("objectCount", count)
	c.nonNeg("totalBytes", bytes)
}

// Validate reports missing or invalid fields as *ErrInvalidEvent.
func (e IntegrityFailed) Validate() error {
	var c checker
	c.version(e.SchemaVersion)
	c.str("runId", e.RunID)
	c.str("bucket", e.Bucket)
	c.str("key", e.Key)
	if e.Reason == "" {
		c.missing = append(c.missing, "reason")
	} else if !e.Reason.Valid() {
		c.invalid = append(c.invalid, "reason")
	}
	c.time("detectedAt", e.DetectedAt)
	return c.err(DetailTypeIntegrityFailed)
}

// Validate reports missing or invalid fields as *ErrInvalidEvent.
func (e RestoreCompleted) Validate() error {
	var c checker
	c.version(e.SchemaVersion)
	c.str("runId", e.RunID)
	c.str("bucket", e.Bucket)
	c.str("executionId", e.ExecutionID)
	c.nonNeg("restoredObjects", e.RestoredObjects)
	c.time("completedAt", e.CompletedAt)
	switch e.Tier {
	case "", "Expedited", "Standard", "Bulk":
	default:
		c.invalid = append(c.invalid, "tier")
	}
	return c.err(DetailTypeRestoreCompleted)
}

var (
	// workflowNamePattern is a workflow's name (constructs/workflow Props.Name).
	workflowNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,31}$`)
	// executionARNPattern is a Standard Step Functions execution's ARN.
	executionARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[^:]+:[^:]+$`)
)

// Validate reports missing or invalid fields as *ErrInvalidEvent. Beyond
// presence it checks the shape of workflow (a letter, then letters or
// digits, at most 32), project (at most 256 characters), outputUri
// (s3://<bucket>/workflows/<workflow>/<runId>/) and executionId (an
// execution ARN).
func (e WorkflowSucceeded) Validate() error {
	var c checker
	c.version(e.SchemaVersion)
	c.str("workflow", e.Workflow)
	if strings.TrimSpace(e.Workflow) != "" && !workflowNamePattern.MatchString(e.Workflow) {
		c.invalid = append(c.invalid, "workflow")
	}
	c.str("project", e.Project)
	if utf8.RuneCountInString(e.Project) > 256 {
		c.invalid = append(c.invalid, "project")
	}
	c.str("runId", e.RunID)
	c.str("partner", e.Partner)
	c.str("outputUri", e.OutputURI)
	if strings.TrimSpace(e.OutputURI) != "" && !validOutputURI(e.OutputURI, e.Workflow, e.RunID) {
		c.invalid = append(c.invalid, "outputUri")
	}
	c.str("executionId", e.ExecutionID)
	if strings.TrimSpace(e.ExecutionID) != "" && !executionARNPattern.MatchString(e.ExecutionID) {
		c.invalid = append(c.invalid, "executionId")
	}
	return c.err(DetailTypeWorkflowSucceeded)
}

// validOutputURI reports whether uri is s3://<bucket>/workflows/<workflow>/<runId>/.
// With workflow or runId blank (reported missing) only the
// s3://<bucket>/workflows/.../ shape is checked.
func validOutputURI(uri, workflow, runID string) bool {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return false
	}
	bucket, key, ok := strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return false
	}
	if strings.TrimSpace(workflow) == "" || strings.TrimSpace(runID) == "" {
		return strings.HasPrefix(key, WorkflowResultsPrefix) && strings.HasSuffix(key, "/")
	}
	return key == WorkflowResultsPrefix+workflow+"/"+runID+"/"
}

// ErrUnknownDetailType is returned by Parse for a detail-type that is not in
// the catalogue.
type ErrUnknownDetailType struct {
	DetailType string
}

func (e *ErrUnknownDetailType) Error() string {
	return fmt.Sprintf("events: unknown detail-type %q", e.DetailType)
}

// ErrMalformedEvent is returned by Parse when the detail is not valid JSON for
// its type: syntax errors, wrong field types, unknown fields, trailing data.
type ErrMalformedEvent struct {
	DetailType string
	Err        error
}

func (e *ErrMalformedEvent) Error() string {
	return fmt.Sprintf("events: malformed %s detail: %v", e.DetailType, e.Err)
}

func (e *ErrMalformedEvent) Unwrap() error { return e.Err }

// ErrInvalidEvent is returned by Validate (and so by Parse) when required
// fields are missing or hold invalid values. Missing and Invalid hold JSON
// field names.
type ErrInvalidEvent struct {
	DetailType string
	Missing    []string
	Invalid    []string
}

func (e *ErrInvalidEvent) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing "+strings.Join(e.Missing, ", "))
	}
	if len(e.Invalid) > 0 {
		parts = append(parts, "invalid "+strings.Join(e.Invalid, ", "))
	}
	return fmt.Sprintf("events: invalid %s: %s", e.DetailType, strings.Join(parts, "; "))
}

// ErrUnsupportedVersion is returned by Parse for a detail whose schemaVersion
// is present but not SchemaVersion.
type ErrUnsupportedVersion struct {
	DetailType string
	Version    string
}

func (e *ErrUnsupportedVersion) Error() string {
	return fmt.Sprintf("events: %s schemaVersion %q is not supported (want %q)", e.DetailType, e.Version, SchemaVersion)
}

// MaxDetailSize is the largest detail Parse accepts: EventBridge's limit for a
// whole event is 256 KiB.
const MaxDetailSize = 256 << 10

// New returns a zero event of the given detail-type with SchemaVersion set,
// or *ErrUnknownDetailType.
func New(detailType string) (Event, error) {
	switch detailType {
	case DetailTypeDatasetReceived:
		return &DatasetReceived{SchemaVersion: SchemaVersion}, nil
	case DetailTypeRunCompleted:
		return &RunCompleted{SchemaVersion: SchemaVersion}, nil
	case DetailTypeRunIngested:
		return &RunIngested{SchemaVersion: SchemaVersion}, nil
	case DetailTypeIntegrityFailed:
		return &IntegrityFailed{SchemaVersion: SchemaVersion}, nil
	case DetailTypeRestoreCompleted:
		return &RestoreCompleted{SchemaVersion: SchemaVersion}, nil
	case DetailTypeWorkflowSucceeded:
		return &WorkflowSucceeded{SchemaVersion: SchemaVersion}, nil
	}
	return nil, &ErrUnknownDetailType{DetailType: detailType}
}

// Parse decodes an event detail strictly: the detail-type must be known, the
// detail must be one JSON object with no unknown fields and no trailing data,
// its schemaVersion must be SchemaVersion, and it must pass Validate. The
// returned Event is a pointer (*RunIngested, ...).
//
// Errors: *ErrUnknownDetailType, *ErrMalformedEvent, *ErrUnsupportedVersion,
// *ErrInvalidEvent.
func Parse(detailType string, detail []byte) (Event, error) {
	ev, err := New(detailType)
	if err != nil {
		return nil, err
	}
	if len(detail) > MaxDetailSize {
		return nil, &ErrMalformedEvent{DetailType: detailType, Err: fmt.Errorf("detail is %d bytes, more than %d", len(detail), MaxDetailSize)}
	}
	trimmed := bytes.TrimSpace(detail)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, &ErrMalformedEvent{DetailType: detailType, Err: errors.New("detail is not a JSON object")}
	}
	// Reset the version so that a detail without one is reported missing.
	setVersion(ev, "")
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ev); err != nil {
		return nil, &ErrMalformedEvent{DetailType: detailType, Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ErrMalformedEvent{DetailType: detailType, Err: errors.New("trailing data after the JSON object")}
	}
	if v := version(ev); v != "" && v != SchemaVersion {
		return nil, &ErrUnsupportedVersion{DetailType: detailType, Version: v}
	}
	absent, err := checkKeys(detailType, trimmed)
	if err != nil {
		return nil, &ErrMalformedEvent{DetailType: detailType, Err: err}
	}
	verr := ev.Validate()
	if len(absent) == 0 && verr == nil {
		return ev, nil
	}
	out := &ErrInvalidEvent{DetailType: detailType, Missing: absent}
	var inv *ErrInvalidEvent
	if errors.As(verr, &inv) {
		for _, m := range inv.Missing {
			if !contains(out.Missing, m) {
				out.Missing = append(out.Missing, m)
			}
		}
		out.Invalid = inv.Invalid
	}
	return nil, out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func setVersion(ev Event, v string) {
	switch e := ev.(type) {
	case *DatasetReceived:
		e.SchemaVersion = v
	case *RunCompleted:
		e.SchemaVersion = v
	case *RunIngested:
		e.SchemaVersion = v
	case *IntegrityFailed:
		e.SchemaVersion = v
	case *RestoreCompleted:
		e.SchemaVersion = v
	case *WorkflowSucceeded:
		e.SchemaVersion = v
	}
}

func version(ev Event) string {
	switch e := ev.(type) {
	case *DatasetReceived:
		return e.SchemaVersion
	case *RunCompleted:
		return e.SchemaVersion
	case *RunIngested:
		return e.SchemaVersion
	case *IntegrityFailed:
		return e.SchemaVersion
	case *RestoreCompleted:
		return e.SchemaVersion
	case *WorkflowSucceeded:
		return e.SchemaVersion
	}
	return ""
}

// Envelope is the EventBridge event around a detail, as delivered to targets
// (Lambda, SQS, Step Functions input).
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// ParseEnvelope decodes an EventBridge event and Parses its detail. The
// envelope's source must match the detail-type's source.
func ParseEnvelope(b []byte) (Envelope, Event, error) {
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return env, nil, &ErrMalformedEvent{DetailType: "envelope", Err: err}
	}
	ev, err := Parse(env.DetailType, env.Detail)
	if err != nil {
		return env, nil, err
	}
	if env.Source != ev.Source() {
		return env, nil, &ErrMalformedEvent{DetailType: env.DetailType, Err: fmt.Errorf("source %q, want %q", env.Source, ev.Source())}
	}
	return env, ev, nil
}

// Marshal validates ev and returns its source, detail-type and detail JSON,
// ready for an EventBridge PutEvents entry.
func Marshal(ev Event) (source, detailType string, detail []byte, err error) {
	if ev == nil {
		return "", "", nil, &ErrInvalidEvent{DetailType: "", Missing: []string{"event"}}
	}
	if err := ev.Validate(); err != nil {
		return "", "", nil, err
	}
	detail, err = json.Marshal(ev)
	if err != nil {
		return "", "", nil, &ErrMalformedEvent{DetailType: ev.DetailType(), Err: err}
	}
	return ev.Source(), ev.DetailType(), detail, nil
}

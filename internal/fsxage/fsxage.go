// Package fsxage is the age check of biolake's per-run FSx for Lustre file
// systems. A workflow run creates its scratch file system at run time and
// deletes it when the run ends; one that outlives its workflow's timeout is
// left behind (a cleanup that failed, a deletion refused) and costs money
// until someone deletes it. The workflow tags each such file system at
// creation (constructs/lustre RunPaths): biolake:managed-by=workflow, the
// environment (EnvironmentTag), the workflow's name (WorkflowTag) and the
// workflow's timeout in seconds (TimeoutTag).
//
// The handler, run on a schedule, lists the account's file systems in the
// region (fsx:DescribeFileSystems, every page), keeps the per-run ones of
// its environment, and publishes one metric, MetricName in Namespace with
// the dimension Environment: the number of those file systems older than
// their deadline (creation time + the timeout tag). It publishes 0 too, so
// that missing data means the check itself stopped. Each overdue file
// system gets a log line naming its id, workflow, age and deadline.
//
// A per-run file system of the environment whose timeout tag is missing or
// malformed cannot be judged: it is counted as overdue (someone must look
// at it) and its log line says which tag is wrong.
//
// Errors are typed: *ErrList (DescribeFileSystems failed), *ErrPublish
// (PutMetricData failed) and *handler.ErrPanic; any of them fails the
// invocation, which the function's Errors alarm reports.
package fsxage

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/fsx"
	fsxtypes "github.com/aws/aws-sdk-go-v2/service/fsx/types"

	"github.com/biolake/biolake/internal/handler"
)

// Tags of a per-run file system the check reads. ManagedByTag and
// WorkflowTagValue are constructs/lustre's (a test keeps them equal).
const (
	ManagedByTag     = "biolake:managed-by"
	WorkflowTagValue = "workflow"
	// EnvironmentTag holds the name of the environment whose workflow
	// created the file system.
	EnvironmentTag = "biolake:environment"
	// WorkflowTag holds the workflow's name.
	WorkflowTag = "biolake:workflow"
	// TimeoutTag holds the workflow's timeout in whole seconds (a positive
	// decimal integer): the file system is overdue once it is older.
	TimeoutTag = "biolake:timeout-seconds"
)

// The metric the check publishes.
const (
	Namespace            = "biolake/Lustre"
	MetricName           = "OverdueRunFileSystems"
	EnvironmentDimension = "Environment"
)

// FSx is the part of the FSx client the handler uses.
type FSx interface {
	DescribeFileSystems(ctx context.Context, in *fsx.DescribeFileSystemsInput, opts ...func(*fsx.Options)) (*fsx.DescribeFileSystemsOutput, error)
}

// Metrics is the part of the CloudWatch client the handler uses.
type Metrics interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// ErrList is a failed DescribeFileSystems call.
type ErrList struct{ Err error }

func (e *ErrList) Error() string { return "fsxage: describe file systems: " + e.Err.Error() }
func (e *ErrList) Unwrap() error { return e.Err }

// ErrPublish is a failed PutMetricData call.
type ErrPublish struct{ Err error }

func (e *ErrPublish) Error() string { return "fsxage: publish " + MetricName + ": " + e.Err.Error() }
func (e *ErrPublish) Unwrap() error { return e.Err }

// Handler checks the per-run file systems of one environment.
type Handler struct {
	FSx     FSx
	Metrics Metrics
	// Environment is the name the per-run file systems carry in
	// EnvironmentTag, and the metric's dimension. Required.
	Environment string
	// Now is the clock (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger
}

// Overdue is one per-run file system past its deadline, or one whose
// deadline cannot be read (Problem set, Deadline zero).
type Overdue struct {
	FileSystemID string        `json:"fileSystemId"`
	Workflow     string        `json:"workflow"`
	RunID        string        `json:"runId,omitempty"`
	Lifecycle    string        `json:"lifecycle"`
	Created      time.Time     `json:"created"`
	Age          time.Duration `json:"age"`
	Deadline     time.Time     `json:"deadline,omitzero"`
	Problem      string        `json:"problem,omitempty"`
}

// Result is what one check found.
type Result struct {
	// Checked is the number of per-run file systems of the environment.
	Checked int       `json:"checked"`
	Overdue []Overdue `json:"overdue"`
}

// Judge returns whether fs, a per-run file system of environment, is
// overdue at now, and the Overdue that describes it; ok is false when fs
// is not a per-run file system of environment.
func Judge(fs fsxtypes.FileSystem, environment string, now time.Time) (o Overdue, overdue, ok bool) {
	tags := map[string]string{}
	for _, t := range fs.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if tags[ManagedByTag] != WorkflowTagValue || tags[EnvironmentTag] != environment {
		return Overdue{}, false, false
	}
	created := aws.ToTime(fs.CreationTime)
	o = Overdue{
		FileSystemID: aws.ToString(fs.FileSystemId), Workflow: tags[WorkflowTag], RunID: tags["runId"],
		Lifecycle: string(fs.Lifecycle), Created: created,
	}
	if fs.CreationTime != nil {
		o.Age = now.Sub(created).Truncate(time.Second)
	}
	switch raw, has := tags[TimeoutTag]; {
	case fs.CreationTime == nil:
		o.Problem = "FSx gave no creation time"
	case !has:
		o.Problem = "no " + TimeoutTag + " tag"
	default:
		s, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || s <= 0 || s > int64(100*365*24*time.Hour/time.Second) {
			o.Problem = fmt.Sprintf("tag %s is %q, not a positive number of seconds", TimeoutTag, raw)
			break
		}
		o.Deadline = created.Add(time.Duration(s) * time.Second)
		return o, now.After(o.Deadline), true
	}
	return o, true, true
}

// Handle runs one check: it lists every file system (all pages), judges
// the environment's per-run ones, logs each overdue one and publishes their
// count (0 included).
func (h *Handler) Handle(ctx context.Context, _ json.RawMessage) (res Result, err error) {
	defer handler.Recover("fsxage", &err)
	log := handler.Logger(ctx, h.Logger)
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	t := now().UTC()
	res.Overdue = []Overdue{}
	pages := fsx.NewDescribeFileSystemsPaginator(h.FSx, &fsx.DescribeFileSystemsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			log.Error("describe file systems failed", handler.ErrAttrs(&ErrList{Err: err})...)
			return res, &ErrList{Err: err}
		}
		for _, fs := range page.FileSystems {
			o, overdue, ok := Judge(fs, h.Environment, t)
			if !ok {
				continue
			}
			res.Checked++
			if !overdue {
				continue
			}
			res.Overdue = append(res.Overdue, o)
			attrs := []any{"fileSystemId", o.FileSystemID, "workflow", o.Workflow, "runId", o.RunID, "lifecycle", o.Lifecycle,
				"created", o.Created.Format(time.RFC3339), "age", o.Age.String()}
			if o.Problem != "" {
				log.Error("per-run file system cannot be judged: "+o.Problem, append(attrs, "deadline", "unknown")...)
			} else {
				log.Error("per-run file system alive past its workflow's timeout", append(attrs, "deadline", o.Deadline.Format(time.RFC3339))...)
			}
		}
	}
	_, err = h.Metrics.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(Namespace),
		MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String(MetricName),
			Dimensions: []cwtypes.Dimension{{Name: aws.String(EnvironmentDimension), Value: aws.String(h.Environment)}},
			Timestamp:  aws.Time(t),
			Unit:       cwtypes.StandardUnitCount,
			Value:      aws.Float64(float64(len(res.Overdue))),
		}},
	})
	if err != nil {
		log.Error("publish failed", handler.ErrAttrs(&ErrPublish{Err: err})...)
		return res, &ErrPublish{Err: err}
	}
	log.Info("checked per-run file systems", "environment", h.Environment, "checked", res.Checked, "overdue", len(res.Overdue))
	return res, nil
}

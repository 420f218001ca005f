package observability

import (
	"fmt"
	"math"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/alarm"
	"github.com/biolake/biolake/constructs/validation"
)

// Defaults of Thresholds.
const (
	DefaultTransferAuthFailures   = 10
	DefaultFreeStoragePercent     = 10
	DefaultCacheDirtyPercent      = 80
	DefaultUploadBacklogGiB       = 100
	DefaultLambdaErrors           = 1
	DefaultLambdaThrottles        = 1
	DefaultCacheEvaluationPeriods = 3
)

// Thresholds of the alarms whose right level depends on the site. Zero
// fields take the defaults.
type Thresholds struct {
	// TransferAuthFailures: refused SFTP/FTPS logins in five minutes, 1 to
	// 10000. A partner mistyping a password a few times is normal; a
	// stream of refusals is a guessing attack or a broken key. Default:
	// 10.
	TransferAuthFailures int
	// FreeStoragePercent: a persistent Lustre file system alarms when its
	// free capacity falls below this share of its capacity, 1 to 90.
	// Default: 10.
	FreeStoragePercent int
	// CacheDirtyPercent: the File Gateway alarms when this share of its
	// cache, or more, is not yet uploaded for 15 minutes, 1 to 100 (AWS
	// advises a look at 80). Default: 80.
	CacheDirtyPercent int
	// UploadBacklogGiB: the File Gateway alarms when this many GiB or
	// more wait to be written to S3 for 15 minutes, at least 1. Default:
	// 100.
	UploadBacklogGiB int
	// LambdaErrors: failed invocations of one function in five minutes,
	// at least 1. Default: 1.
	LambdaErrors int
	// LambdaThrottles: throttled invocations of one function in five
	// minutes, at least 1. Default: 1.
	LambdaThrottles int
}

// Validate checks t and returns every problem found, joined. nil is valid.
func (t *Thresholds) Validate() error {
	if t == nil {
		return nil
	}
	var errs []error
	check := func(field string, v, lo, hi, def int) {
		if v != 0 && (v < lo || v > hi) {
			if hi == math.MaxInt32 {
				errs = append(errs, validation.New("", "Thresholds."+field, v, "at least %d, or 0 for the default %d", lo, def))
			} else {
				errs = append(errs, validation.New("", "Thresholds."+field, v, "%d to %d, or 0 for the default %d", lo, hi, def))
			}
		}
	}
	check("TransferAuthFailures", t.TransferAuthFailures, 1, 10000, DefaultTransferAuthFailures)
	check("FreeStoragePercent", t.FreeStoragePercent, 1, 90, DefaultFreeStoragePercent)
	check("CacheDirtyPercent", t.CacheDirtyPercent, 1, 100, DefaultCacheDirtyPercent)
	check("UploadBacklogGiB", t.UploadBacklogGiB, 1, math.MaxInt32, DefaultUploadBacklogGiB)
	check("LambdaErrors", t.LambdaErrors, 1, math.MaxInt32, DefaultLambdaErrors)
	check("LambdaThrottles", t.LambdaThrottles, 1, math.MaxInt32, DefaultLambdaThrottles)
	return validation.Join("", errs...)
}

func (t *Thresholds) withDefaults() Thresholds {
	out := Thresholds{}
	if t != nil {
		out = *t
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&out.TransferAuthFailures, DefaultTransferAuthFailures)
	def(&out.FreeStoragePercent, DefaultFreeStoragePercent)
	def(&out.CacheDirtyPercent, DefaultCacheDirtyPercent)
	def(&out.UploadBacklogGiB, DefaultUploadBacklogGiB)
	def(&out.LambdaErrors, DefaultLambdaErrors)
	def(&out.LambdaThrottles, DefaultLambdaThrottles)
	return out
}

// Alarms creates the platform's alarms on the metrics of its constructs,
// each under the construct it watches (so in that construct's stack), all
// notifying Topic. Its methods take the small interfaces below, which
// biolake's constructs implement.
type Alarms struct {
	// Topic every alarm notifies (nil: none; RouteAlarms can add it later).
	Topic awssns.ITopic
	// Thresholds in force (defaults filled in).
	Thresholds Thresholds
}

// NewAlarms returns an Alarms for topic with thresholds (nil: the
// defaults). It panics with a validation error naming path when
// thresholds are invalid.
func NewAlarms(path string, topic awssns.ITopic, thresholds *Thresholds) *Alarms {
	validation.Check(path, thresholds.Validate())
	return &Alarms{Topic: topic, Thresholds: thresholds.withDefaults()}
}

// Names of the alarms the methods create, under the watched construct.
const (
	AlarmDataSyncTaskFailed       = "TaskExecutionsFailedAlarm"
	AlarmTransferAuthFailures     = "AuthenticationFailuresAlarm"
	AlarmIntegrityFailed          = "IntegrityFailedAlarm"
	AlarmBatchJobsFailed          = "JobsFailedAlarm" // suffixed with the queue name
	AlarmLustreFreeStorage        = "FreeStorageAlarm"
	AlarmFileGatewayCacheDirty    = "CacheDirtyAlarm"
	AlarmFileGatewayUploadBacklog = "UploadBacklogAlarm"
	AlarmLambdaErrors             = "ErrorsAlarm"
	AlarmLambdaThrottles          = "ThrottlesAlarm"
	AlarmDeadLetters              = "DeadLettersAlarm"
)

func (a *Alarms) add(scope constructs.Construct, id string, p alarm.Props) awscloudwatch.Alarm {
	p.Topic = a.Topic
	return alarm.New(scope, id, p)
}

// DataSyncSource is a DataSync construct (datasync.DataSync).
type DataSyncSource interface {
	constructs.Construct
	MetricTaskExecutionsFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
}

// DataSync alarms on one task execution that ended in ERROR.
func (a *Alarms) DataSync(src DataSyncSource) awscloudwatch.Alarm {
	return a.add(src, AlarmDataSyncTaskFailed, alarm.Props{
		Metric: src.MetricTaskExecutionsFailed(nil),
		Means:  "a DataSync task execution of " + *src.Node().Path() + " ended in ERROR; the runs it carried are not vouched for",
		Check:  "aws datasync list-task-executions and describe-task-execution (ErrorCode, ErrorDetail), then the task report in the log bucket",
	})
}

// TransferSource is a Transfer Family server (transfer.Server).
type TransferSource interface {
	constructs.Construct
	MetricAuthenticationFailures(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
}

// Transfer alarms on Thresholds.TransferAuthFailures refused logins in
// five minutes.
func (a *Alarms) Transfer(src TransferSource) awscloudwatch.Alarm {
	n := a.Thresholds.TransferAuthFailures
	return a.add(src, AlarmTransferAuthFailures, alarm.Props{
		Metric:    src.MetricAuthenticationFailures(nil),
		Threshold: float64(n),
		Means:     fmt.Sprintf("%d or more SFTP/FTPS logins were refused in five minutes (%s)", n, *src.Node().Path()),
		Check:     "the server's log group for AUTH_FAILURE entries: which user and source IP",
	})
}

// IntegritySource is the event glue (eventglue.EventGlue).
type IntegritySource interface {
	constructs.Construct
	MetricIntegrityFailed(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
}

// Integrity alarms on one IntegrityFailed event: an object that did not
// match its manifest, is missing or unreadable.
func (a *Alarms) Integrity(src IntegritySource) awscloudwatch.Alarm {
	return a.add(src, AlarmIntegrityFailed, alarm.Props{
		Metric: src.MetricIntegrityFailed(nil),
		Means:  "an object failed verification against its run's manifest (IntegrityFailed); the run is not announced as ingested",
		Check:  "the IntegrityFailed events (bucket, key, expected and actual checksum) on the alarm topic and in the catalog table",
	})
}

// BatchSource is Batch compute with one or more job queues (batch.Queue).
type BatchSource interface {
	constructs.Construct
	MetricQueueJobsFailed(name string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
}

// Batch alarms on one failed job per queue named in queues ("" for a
// single Fargate queue). A name the source has no metric for is skipped.
func (a *Alarms) Batch(src BatchSource, queues []string) []awscloudwatch.Alarm {
	var out []awscloudwatch.Alarm
	for _, q := range queues {
		m := src.MetricQueueJobsFailed(q, nil)
		if m == nil {
			continue
		}
		label := q
		if label == "" {
			label = "the"
		}
		out = append(out, a.add(src, AlarmBatchJobsFailed+q, alarm.Props{
			Metric: m,
			Means:  "a job of " + label + " Batch job queue of " + *src.Node().Path() + " failed",
			Check:  "aws batch list-jobs --job-status FAILED --job-queue <queue>, then the job's statusReason and its log stream",
		}))
	}
	return out
}

// LustreSource is a standing FSx for Lustre file system (lustre.Lustre).
type LustreSource interface {
	constructs.Construct
	MetricFreeStorage(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
	StorageCapacityGiB() int
}

// Lustre alarms when the free capacity of a standing file system stays
// below Thresholds.FreeStoragePercent of its capacity for five minutes.
// It returns nil for per-run Lustre (no standing file system).
func (a *Alarms) Lustre(src LustreSource) awscloudwatch.Alarm {
	m := src.MetricFreeStorage(nil)
	if m == nil || src.StorageCapacityGiB() == 0 {
		return nil
	}
	pct := a.Thresholds.FreeStoragePercent
	bytes := float64(src.StorageCapacityGiB()) * (1 << 30) * float64(pct) / 100
	return a.add(src, AlarmLustreFreeStorage, alarm.Props{
		Metric:            m,
		Threshold:         math.Floor(bytes),
		Comparison:        awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		EvaluationPeriods: 5,
		Means:             fmt.Sprintf("the Lustre file system of %s has had less than %d%% of its %d GiB free for five minutes", *src.Node().Path(), pct, src.StorageCapacityGiB()),
		Check:             "lfs df -h on a client and what the workflows left under /results; release exported files (lfs hsm_release) or raise StorageCapacityGiB",
	})
}

// FileGatewaySource is an S3 File Gateway (filegateway.FileGateway).
type FileGatewaySource interface {
	constructs.Construct
	MetricCacheDirty(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricUploadBacklog(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
}

// FileGateway alarms when the cache's dirty share or the upload backlog
// stays at its threshold or above for three periods (15 minutes). A
// gateway without metrics (an existing one without a name) gets none.
func (a *Alarms) FileGateway(src FileGatewaySource) []awscloudwatch.Alarm {
	var out []awscloudwatch.Alarm
	if m := src.MetricCacheDirty(nil); m != nil {
		pct := a.Thresholds.CacheDirtyPercent
		out = append(out, a.add(src, AlarmFileGatewayCacheDirty, alarm.Props{
			Metric:            m,
			Threshold:         float64(pct),
			EvaluationPeriods: DefaultCacheEvaluationPeriods,
			Means:             fmt.Sprintf("%d%% or more of the File Gateway cache of %s has not been uploaded for 15 minutes", pct, *src.Node().Path()),
			Check:             "the gateway's CloudBytesUploaded and the uplink; writers may outpace the upload, or the gateway cannot reach S3",
		}))
	}
	if m := src.MetricUploadBacklog(nil); m != nil {
		gib := a.Thresholds.UploadBacklogGiB
		out = append(out, a.add(src, AlarmFileGatewayUploadBacklog, alarm.Props{
			Metric:            m,
			Threshold:         float64(gib) * (1 << 30),
			EvaluationPeriods: DefaultCacheEvaluationPeriods,
			Means:             fmt.Sprintf("%d GiB or more written to the File Gateway of %s have waited 15 minutes to be uploaded", gib, *src.Node().Path()),
			Check:             "the gateway's CachePercentDirty and network; aws storagegateway describe-gateway-information for its state",
		}))
	}
	return out
}

// DeadLetters alarms on one message in queue, a dead-letter queue under
// scope; holds says what it holds ("events the DataSync rule could not
// deliver").
func (a *Alarms) DeadLetters(scope constructs.Construct, id string, queue awssqs.IQueue, holds string) awscloudwatch.Alarm {
	return a.add(scope, id, alarm.Props{
		Metric: queue.MetricApproximateNumberOfMessagesVisible(alarm.Options(nil, alarm.Maximum)),
		Means:  "a dead-letter queue of " + *scope.Node().Path() + " holds messages: " + holds,
		Check:  "aws sqs receive-message on the queue for the failed messages and their error attributes, fix the cause, then redrive (aws sqs start-message-move-task)",
	})
}

// Functions creates an errors and a throttles alarm under every Lambda
// function (awslambda.Function) under scope, the functions of CDK's
// custom-resource provider framework excepted (they run only during a
// deployment, which reports their failures). Call it once the stacks are
// built: functions added later get no alarm. It returns the alarms
// created.
func (a *Alarms) Functions(scope constructs.IConstruct) []awscloudwatch.Alarm {
	var out []awscloudwatch.Alarm
	for _, node := range *scope.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		fn, ok := node.(awslambda.Function)
		if !ok {
			continue
		}
		if parent := fn.Node().Scope(); parent != nil {
			if _, provider := parent.(customresources.Provider); provider {
				continue
			}
		}
		if fn.Node().TryFindChild(jsii.String(AlarmLambdaErrors)) != nil {
			continue
		}
		path := *fn.Node().Path()
		out = append(out,
			a.add(fn, AlarmLambdaErrors, alarm.Props{
				Metric:    fn.MetricErrors(alarm.Options(nil, alarm.Sum)),
				Threshold: float64(a.Thresholds.LambdaErrors),
				Means:     fmt.Sprintf("the Lambda function %s failed %d or more invocations in five minutes", path, a.Thresholds.LambdaErrors),
				Check:     "the function's log group (errors are logged as JSON with level ERROR) and, for queue-fed handlers, their dead-letter queue",
			}),
			a.add(fn, AlarmLambdaThrottles, alarm.Props{
				Metric:    fn.MetricThrottles(alarm.Options(nil, alarm.Sum)),
				Threshold: float64(a.Thresholds.LambdaThrottles),
				Means:     fmt.Sprintf("the Lambda function %s was throttled %d or more times in five minutes", path, a.Thresholds.LambdaThrottles),
				Check:     "its reserved concurrency against the account's concurrent executions (aws lambda get-function-concurrency, get-account-settings)",
			}))
	}
	return out
}

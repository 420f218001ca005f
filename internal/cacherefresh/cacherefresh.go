// Package cacherefresh is the cache-refresh handler of biolake's S3 File
// Gateway shares: objects written to a shared prefix by anything but the
// gateway (DataSync, Transfer Family, the pipeline, another gateway) do not
// show on the gateway's NFS/SMB shares until the gateway refreshes its
// cached listing of their folder. The handler reads SQS batches of S3
// "Object Created" events (EventBridge, or S3 notifications), finds the
// share of each object (Mapping, from the SHARES variable) and calls
// RefreshCache on it for the object's folder.
//
// # Coalescing
//
// A burst of uploads (a sequencing run writes thousands of files into a few
// folders) becomes few calls: the SQS event source gathers messages for a
// batch window, and the handler dedupes the folders of a batch per share.
// Each object adds its folder and the folders above it (a new folder shows
// only when its parent's listing is refreshed too); the folders of one
// share go into one RefreshCache call (FolderList holds up to MaxFolderList
// folders; more make more calls) with Recursive=false, so only those
// listings are refreshed, never a whole tree.
//
// # The service limit
//
// Storage Gateway runs at most MaxConcurrentRefreshes (two) RefreshCache
// operations per file share at a time; a third is refused with an
// InvalidGatewayRequestException ("The maximum number of refresh cache
// operations ... is reached"), and AWS advises 60 seconds between calls.
// The handler makes at most MaxConcurrentRefreshes calls per share per
// invocation; the records whose call was refused by the limit (or that did
// not fit in those calls) are returned as batch item failures (*ErrRefreshLimit),
// so SQS delivers them again after the visibility timeout: backoff without
// sleeping in the function. The construct reserves one or two concurrent
// executions for the function, so invocations do not stampede the gateway.
//
// # Idempotency
//
// A refresh is harmless to repeat: it re-lists folders and changes no data.
// Duplicate, late and out-of-order events cause at most extra refreshes, so
// the handler keeps no state.
//
// # Errors
//
// One bad record fails alone (partial batch response) and nothing panics on
// outside input: a malformed message fails with the s3event error (after
// SQS's retries it goes to the dead-letter queue, which raises an alarm);
// events that are not object creations, objects outside every share and
// keys the gateway cannot show are logged and acknowledged. Errors are typed:
// *ErrConfig, *ErrRefreshLimit, *ErrRefresh, *handler.ErrPanic.
package cacherefresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/storagegateway"
	sgtypes "github.com/aws/aws-sdk-go-v2/service/storagegateway/types"

	"github.com/biolake/biolake/internal/handler"
	"github.com/biolake/biolake/internal/s3event"
)

const (
	// MaxConcurrentRefreshes is Storage Gateway's limit of RefreshCache
	// operations running at once per file share.
	MaxConcurrentRefreshes = 2
	// MaxFolderList is the most folders one RefreshCache call takes.
	MaxFolderList = 50
)

// Refresher is the one call of the Storage Gateway API the handler makes;
// *storagegateway.Client implements it.
type Refresher interface {
	RefreshCache(ctx context.Context, in *storagegateway.RefreshCacheInput, optFns ...func(*storagegateway.Options)) (*storagegateway.RefreshCacheOutput, error)
}

// Handler refreshes the gateway's cache for the objects of SQS batches.
type Handler struct {
	// Client calls RefreshCache. Required.
	Client Refresher
	// Shares maps buckets and prefixes to file shares. Required.
	Shares *Mapping
	// Logger receives JSON logs. Default: slog.Default().
	Logger *slog.Logger
}

// ErrRefreshLimit is a refresh the share's limit of concurrent refreshes
// refused (or that this invocation did not try, having used its calls for
// the share); SQS retries the record later.
type ErrRefreshLimit struct {
	FileShareARN string
	Err          error // nil when the call was not tried
}

func (e *ErrRefreshLimit) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("cacherefresh: %s: deferred: this invocation already made %d refreshes of the share", e.FileShareARN, MaxConcurrentRefreshes)
	}
	return fmt.Sprintf("cacherefresh: %s: refresh limit reached: %v", e.FileShareARN, e.Err)
}

func (e *ErrRefreshLimit) Unwrap() error { return e.Err }

// ErrRefresh is any other failed RefreshCache call (retried by SQS).
type ErrRefresh struct {
	FileShareARN string
	Folders      []string
	Err          error
}

func (e *ErrRefresh) Error() string {
	return fmt.Sprintf("cacherefresh: RefreshCache %s %v: %v", e.FileShareARN, e.Folders, e.Err)
}

func (e *ErrRefresh) Unwrap() error { return e.Err }

// IsLimitError reports whether err is Storage Gateway refusing a refresh
// because the share already runs its maximum of refreshes.
func IsLimitError(err error) bool {
	var ig *sgtypes.InvalidGatewayRequestException
	if !errors.As(err, &ig) {
		return false
	}
	msg := strings.ToLower(ig.ErrorMessage())
	if ig.Error_ != nil {
		for _, v := range ig.Error_.ErrorDetails {
			msg += " " + strings.ToLower(v)
		}
	}
	return strings.Contains(msg, "refresh") && (strings.Contains(msg, "maximum") || strings.Contains(msg, "limit") || strings.Contains(msg, "too many"))
}

// Plan is what one batch asks for: per file share, the folders to refresh
// and, per folder, the records (indexes) that need it.
type Plan struct {
	// Folders maps a file share ARN to folder to the indexes of the records
	// that asked for it.
	Folders map[string]map[string][]int
}

// Handle handles one SQS batch and reports the records to retry. It never
// returns an error of its own: every failure is a record's.
func (h *Handler) Handle(ctx context.Context, ev lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
	log := handler.Logger(ctx, h.logger())
	failed := make([]error, len(ev.Records))
	plan := Plan{Folders: map[string]map[string][]int{}}
	for i, rec := range ev.Records {
		rlog := log.With("messageId", rec.MessageId)
		folders, err := h.folders(rlog, []byte(rec.Body))
		if err != nil {
			failed[i] = err
			continue
		}
		for arn, fs := range folders {
			if plan.Folders[arn] == nil {
				plan.Folders[arn] = map[string][]int{}
			}
			for _, f := range fs {
				plan.Folders[arn][f] = append(plan.Folders[arn][f], i)
			}
		}
	}
	h.refresh(ctx, log, plan, failed)

	var resp lambdaevents.SQSEventResponse
	for i, err := range failed {
		if err != nil {
			log.With("messageId", ev.Records[i].MessageId).Error("record failed", handler.ErrAttrs(err)...)
			resp.BatchItemFailures = append(resp.BatchItemFailures, lambdaevents.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
		}
	}
	return resp, nil
}

// folders returns, per file share, the folders one message needs
// refreshed (each object's folder and its ancestors).
func (h *Handler) folders(log *slog.Logger, body []byte) (out map[string][]string, err error) {
	defer handler.Recover("cacherefresh", &err)
	objs, err := s3event.ParseEvent(body)
	if err != nil {
		var unsupported *s3event.ErrUnsupportedEvent
		if errors.As(err, &unsupported) {
			log.Info("skipped event", "reason", err.Error())
			return nil, nil
		}
		return nil, err
	}
	out = map[string][]string{}
	for _, o := range objs {
		share, ok := h.Shares.Lookup(o.Bucket, o.Key)
		if !ok {
			log.Debug("object outside every share", "bucket", o.Bucket, "key", o.Key)
			continue
		}
		folder, err := FolderOf(share.Prefix, o.Key)
		if err != nil {
			log.Warn("skipped object", "bucket", o.Bucket, "key", o.Key, "reason", err.Error())
			continue
		}
		out[share.FileShareARN] = append(out[share.FileShareARN], Ancestors(folder)...)
	}
	return out, nil
}

// refresh makes the plan's calls, at most MaxConcurrentRefreshes per
// share, and marks the records of failed or deferred calls in failed.
func (h *Handler) refresh(ctx context.Context, log *slog.Logger, plan Plan, failed []error) {
	arns := make([]string, 0, len(plan.Folders))
	for arn := range plan.Folders {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	for _, arn := range arns {
		byFolder := plan.Folders[arn]
		folders := make([]string, 0, len(byFolder))
		for f := range byFolder {
			folders = append(folders, f)
		}
		sort.Strings(folders) // parents before children
		var stop error
		for n, start := 0, 0; start < len(folders); n, start = n+1, start+MaxFolderList {
			chunk := folders[start:min(start+MaxFolderList, len(folders))]
			err := stop
			if err == nil && n >= MaxConcurrentRefreshes {
				err = &ErrRefreshLimit{FileShareARN: arn}
			}
			if err == nil {
				callErr := h.refreshCache(ctx, arn, chunk)
				switch {
				case callErr == nil:
					log.Info("refresh started", "fileShareArn", arn, "folders", chunk)
					continue
				case IsLimitError(callErr):
					err = &ErrRefreshLimit{FileShareARN: arn, Err: callErr}
					stop = err // the share is busy: do not try its other chunks
				default:
					err = &ErrRefresh{FileShareARN: arn, Folders: chunk, Err: callErr}
				}
			}
			log.With("fileShareArn", arn, "folders", chunk).Warn("refresh not done", handler.ErrAttrs(err)...)
			for _, f := range chunk {
				for _, i := range byFolder[f] {
					if failed[i] == nil {
						failed[i] = err
					}
				}
			}
		}
	}
}

// refreshCache makes one RefreshCache call; a panic of the client fails
// the chunk's records (an *ErrRefresh wrapping the *handler.ErrPanic), not
// the batch.
func (h *Handler) refreshCache(ctx context.Context, arn string, chunk []string) (err error) {
	defer handler.Recover("cacherefresh", &err)
	_, err = h.Client.RefreshCache(ctx, &storagegateway.RefreshCacheInput{
		FileShareARN: aws.String(arn),
		FolderList:   chunk,
		Recursive:    aws.Bool(false),
	})
	return err
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

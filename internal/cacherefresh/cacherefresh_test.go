package cacherefresh_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/storagegateway"
	sgtypes "github.com/aws/aws-sdk-go-v2/service/storagegateway/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/cacherefresh"
)

const (
	dropARN    = "arn:aws:storagegateway:eu-west-1:111122223333:share/share-1A2B3C4D"
	curatedARN = "arn:aws:storagegateway:eu-west-1:111122223333:share/share-5E6F7A8B"
	sharesJSON = `[{"bucket":"biolake-shared","prefix":"share/","fileShareArn":"` + dropARN + `"},` +
		`{"bucket":"biolake-curated","prefix":"","fileShareArn":"` + curatedARN + `"}]`
)

func mapping(t testing.TB) *cacherefresh.Mapping {
	t.Helper()
	m, err := cacherefresh.ParseShares([]byte(sharesJSON))
	require.NoError(t, err)
	return m
}

// fake records RefreshCache calls and answers with errs in turn (nil: ok).
type fake struct {
	mu    sync.Mutex
	calls []*storagegateway.RefreshCacheInput
	errs  []error
}

func (f *fake) RefreshCache(_ context.Context, in *storagegateway.RefreshCacheInput, _ ...func(*storagegateway.Options)) (*storagegateway.RefreshCacheOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	var err error
	if len(f.errs) > 0 {
		err, f.errs = f.errs[0], f.errs[1:]
	}
	if err != nil {
		return nil, err
	}
	return &storagegateway.RefreshCacheOutput{FileShareARN: in.FileShareARN, NotificationId: aws.String("n-1")}, nil
}

// ebEvent is an EventBridge "Object Created" event.
func ebEvent(bucket, key string) string {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "e1", "detail-type": "Object Created", "source": "aws.s3",
		"account": "111122223333", "time": "2026-01-02T03:04:05Z", "region": "eu-west-1",
		"detail": map[string]any{
			"version": "0", "bucket": map[string]any{"name": bucket},
			"object": map[string]any{"key": key, "size": 5, "etag": "x", "version-id": "v1", "sequencer": "01"},
			"reason": "PutObject",
		},
	})
	return string(b)
}

// s3Notification is a classic S3 notification, key URL-encoded.
func s3Notification(bucket, key string) string {
	enc := strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
	return fmt.Sprintf(`{"Records":[{"eventSource":"aws:s3","awsRegion":"eu-west-1","eventTime":"2026-01-02T03:04:05.000Z","eventName":"ObjectCreated:Put",`+
		`"s3":{"bucket":{"name":%q},"object":{"key":%q,"size":5,"eTag":"x","versionId":"v1","sequencer":"01"}}}]}`, bucket, enc)
}

func batch(bodies ...string) lambdaevents.SQSEvent {
	var ev lambdaevents.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, lambdaevents.SQSMessage{MessageId: fmt.Sprintf("m%d", i), Body: b})
	}
	return ev
}

func failedIDs(resp lambdaevents.SQSEventResponse) []string {
	out := []string{}
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

type call struct {
	ARN     string
	Folders []string
}

func calls(f *fake) []call {
	out := []call{}
	for _, c := range f.calls {
		if c.Recursive == nil || *c.Recursive {
			panic("RefreshCache without Recursive=false")
		}
		out = append(out, call{aws.ToString(c.FileShareARN), c.FolderList})
	}
	return out
}

func limitErr() error {
	return &sgtypes.InvalidGatewayRequestException{
		Message: aws.String("The specified gateway is not connected."),
		Error_: &sgtypes.StorageGatewayError{ErrorCode: sgtypes.ErrorCodeOperationAborted, ErrorDetails: map[string]string{
			"message": "The maximum number of refresh cache operations for this file share is reached.",
		}},
	}
}

func TestHandle(t *testing.T) {
	otherErr := &sgtypes.InternalServerError{Message: aws.String("boom")}
	for _, tc := range []struct {
		name   string
		bodies []string
		errs   []error
		calls  []call
		failed []string
		logs   []string
	}{
		{
			name: "burst of one run coalesces into one call with ancestors",
			bodies: []string{
				ebEvent("biolake-shared", "share/run1/fastq/a.fq.gz"),
				ebEvent("biolake-shared", "share/run1/fastq/b.fq.gz"),
				ebEvent("biolake-shared", "share/run1/fastq/a.fq.gz"), // duplicate delivery
				ebEvent("biolake-shared", "share/run1/SampleSheet.csv"),
			},
			calls:  []call{{dropARN, []string{"/", "/run1", "/run1/fastq"}}},
			failed: []string{},
		},
		{
			name: "two shares, URL-encoded key of an S3 notification",
			bodies: []string{
				s3Notification("biolake-curated", "cohort A/x y+z.vcf.gz"),
				ebEvent("biolake-shared", "share/top.txt"),
			},
			calls:  []call{{dropARN, []string{"/"}}, {curatedARN, []string{"/", "/cohort A"}}},
			failed: []string{},
		},
		{
			name: "objects outside shares, share root, bad paths and deletions are acknowledged",
			bodies: []string{
				ebEvent("biolake-shared", "elsewhere/a.txt"),
				ebEvent("biolake-raw", "share/a.txt"),
				ebEvent("biolake-shared", "share/"),
				ebEvent("biolake-shared", "share//a.txt"),
				ebEvent("biolake-shared", "share/../a.txt"),
				strings.Replace(ebEvent("biolake-shared", "share/a.txt"), "Object Created", "Object Deleted", 1),
			},
			calls:  []call{},
			failed: []string{},
			logs:   []string{"skipped object", "skipped event"},
		},
		{
			name: "folder marker refreshes its parent",
			bodies: []string{
				ebEvent("biolake-shared", "share/run2/"),
			},
			calls:  []call{{dropARN, []string{"/"}}},
			failed: []string{},
		},
		{
			name: "malformed record fails alone",
			bodies: []string{
				`{"not":"an event"`,
				ebEvent("biolake-shared", "share/a/b.txt"),
				ebEvent("biolake-shared", "share/a/\u0000.txt"),
			},
			calls:  []call{{dropARN, []string{"/", "/a"}}},
			failed: []string{"m0", "m2"},
			logs:   []string{"ErrMalformedEvent", "ErrInvalidKey"},
		},
		{
			name: "limit reached: the share's records are retried, the other share's are not",
			bodies: []string{
				ebEvent("biolake-curated", "c/1.txt"),
				ebEvent("biolake-shared", "share/x/1.txt"),
			},
			errs:   []error{limitErr(), nil},
			calls:  []call{{dropARN, []string{"/", "/x"}}, {curatedARN, []string{"/", "/c"}}},
			failed: []string{"m1"},
			logs:   []string{"ErrRefreshLimit"},
		},
		{
			name:   "other error: retried",
			bodies: []string{ebEvent("biolake-shared", "share/x/1.txt")},
			errs:   []error{otherErr},
			calls:  []call{{dropARN, []string{"/", "/x"}}},
			failed: []string{"m0"},
			logs:   []string{"ErrRefresh"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			f := &fake{errs: tc.errs}
			h := &cacherefresh.Handler{Client: f, Shares: mapping(t), Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			resp, err := h.Handle(context.Background(), batch(tc.bodies...))
			require.NoError(t, err)
			assert.Equal(t, tc.failed, failedIDs(resp))
			assert.Equal(t, tc.calls, calls(f))
			for _, l := range tc.logs {
				assert.Contains(t, logs.String(), l)
			}
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				if line != "" {
					assert.True(t, json.Valid([]byte(line)), "log line is not JSON: %s", line)
				}
			}
		})
	}
}

// TestHandleLimitPerInvocation: more folders than MaxConcurrentRefreshes
// calls hold are deferred to a retry, and a refused share is not called
// again in the same invocation.
func TestHandleLimitPerInvocation(t *testing.T) {
	var bodies []string
	for i := range 3*cacherefresh.MaxFolderList - 10 {
		bodies = append(bodies, ebEvent("biolake-shared", fmt.Sprintf("share/d%03d/f.txt", i)))
	}
	f := &fake{}
	h := &cacherefresh.Handler{Client: f, Shares: mapping(t), Logger: slog.New(slog.DiscardHandler)}
	resp, err := h.Handle(context.Background(), batch(bodies...))
	require.NoError(t, err)
	require.Len(t, f.calls, cacherefresh.MaxConcurrentRefreshes)
	for _, c := range f.calls {
		assert.LessOrEqual(t, len(c.FolderList), cacherefresh.MaxFolderList)
	}
	// "/" and d000..d139 sorted: the first 100 folders are called, the rest deferred.
	assert.Len(t, resp.BatchItemFailures, len(bodies)-(2*cacherefresh.MaxFolderList-1))

	f = &fake{errs: []error{limitErr()}}
	h.Client = f
	resp, err = h.Handle(context.Background(), batch(bodies...))
	require.NoError(t, err)
	assert.Len(t, f.calls, 1, "a busy share is not called again in the same invocation")
	assert.Len(t, resp.BatchItemFailures, len(bodies))
}

func TestIsLimitError(t *testing.T) {
	assert.True(t, cacherefresh.IsLimitError(limitErr()))
	assert.True(t, cacherefresh.IsLimitError(fmt.Errorf("wrapped: %w", &sgtypes.InvalidGatewayRequestException{Message: aws.String("The maximum number of refresh cache operations is reached")})))
	assert.False(t, cacherefresh.IsLimitError(&sgtypes.InvalidGatewayRequestException{Message: aws.String("The specified file share was not found.")}))
	assert.False(t, cacherefresh.IsLimitError(errors.New("maximum refresh")))
	assert.False(t, cacherefresh.IsLimitError(nil))
}

func TestFolderOf(t *testing.T) {
	for _, tc := range []struct {
		prefix, key, folder string
		bad                 bool
	}{
		{"share/", "share/a.txt", "/", false},
		{"share/", "share/run1/a.txt", "/run1", false},
		{"share/", "share/run1/fastq/L001/a.fq.gz", "/run1/fastq/L001", false},
		{"share/", "share/run1/", "/", false},
		{"share/", "share/run1/sub/", "/run1", false},
		{"", "x.txt", "/", false},
		{"", "cohort A/x y.vcf", "/cohort A", false},
		{"share/", "share/", "", true},
		{"share/", "other/a.txt", "", true},
		{"share/", "share//a.txt", "", true},
		{"share/", "share/a/./b", "", true},
		{"share/", "share/a/../b", "", true},
		{"", "/a", "", true},
	} {
		got, err := cacherefresh.FolderOf(tc.prefix, tc.key)
		if tc.bad {
			var nr *cacherefresh.ErrNotRefreshable
			assert.ErrorAs(t, err, &nr, "%q %q", tc.prefix, tc.key)
			continue
		}
		require.NoError(t, err, "%q %q", tc.prefix, tc.key)
		assert.Equal(t, tc.folder, got, "%q %q", tc.prefix, tc.key)
	}
}

func TestAncestors(t *testing.T) {
	assert.Equal(t, []string{"/"}, cacherefresh.Ancestors("/"))
	assert.Equal(t, []string{"/", "/a"}, cacherefresh.Ancestors("/a"))
	assert.Equal(t, []string{"/", "/a", "/a/b c", "/a/b c/d"}, cacherefresh.Ancestors("/a/b c/d"))
}

func TestParseShares(t *testing.T) {
	m := mapping(t)
	s, ok := m.Lookup("biolake-shared", "share/a")
	assert.True(t, ok)
	assert.Equal(t, dropARN, s.FileShareARN)
	_, ok = m.Lookup("biolake-shared", "shared/a")
	assert.False(t, ok)
	s, ok = m.Lookup("biolake-curated", "anything")
	assert.True(t, ok)
	assert.Equal(t, curatedARN, s.FileShareARN)
	assert.Len(t, m.Shares(), 2)

	for name, raw := range map[string]string{
		"not JSON":        `{`,
		"object":          `{"bucket":"b"}`,
		"empty":           `[]`,
		"unknown field":   `[{"bucket":"biolake-x","prefix":"","fileShareArn":"` + dropARN + `","extra":1}]`,
		"trailing":        `[{"bucket":"biolake-x","prefix":"","fileShareArn":"` + dropARN + `"}] []`,
		"bad bucket":      `[{"bucket":"B","prefix":"","fileShareArn":"` + dropARN + `"}]`,
		"prefix no slash": `[{"bucket":"biolake-x","prefix":"share","fileShareArn":"` + dropARN + `"}]`,
		"prefix dotdot":   `[{"bucket":"biolake-x","prefix":"../","fileShareArn":"` + dropARN + `"}]`,
		"bad arn":         `[{"bucket":"biolake-x","prefix":"","fileShareArn":"arn:aws:s3:::x"}]`,
		"overlap": `[{"bucket":"biolake-x","prefix":"a/","fileShareArn":"` + dropARN + `"},` +
			`{"bucket":"biolake-x","prefix":"a/b/","fileShareArn":"` + curatedARN + `"}]`,
	} {
		_, err := cacherefresh.ParseShares([]byte(raw))
		var ce *cacherefresh.ErrConfig
		assert.ErrorAs(t, err, &ce, name)
	}
}

func TestNilMapping(t *testing.T) {
	var m *cacherefresh.Mapping
	_, ok := m.Lookup("b", "k")
	assert.False(t, ok)
	assert.Nil(t, m.Shares())
}

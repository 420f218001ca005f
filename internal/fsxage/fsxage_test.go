package fsxage_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/fsx"
	fsxtypes "github.com/aws/aws-sdk-go-v2/service/fsx/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/fsxage"
	"github.com/biolake/biolake/internal/handler"
)

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// fakeFSx answers DescribeFileSystems with pages, in order, linked by
// NextToken; err fails the call of page failAt (from 1).
type fakeFSx struct {
	pages  [][]fsxtypes.FileSystem
	failAt int
	calls  []string // the NextToken of each call
}

func (f *fakeFSx) DescribeFileSystems(_ context.Context, in *fsx.DescribeFileSystemsInput, _ ...func(*fsx.Options)) (*fsx.DescribeFileSystemsOutput, error) {
	tok := aws.ToString(in.NextToken)
	f.calls = append(f.calls, tok)
	i := 0
	if tok != "" {
		i, _ = strconv.Atoi(strings.TrimPrefix(tok, "page"))
	}
	if f.failAt == len(f.calls) {
		return nil, errors.New("throttled")
	}
	out := &fsx.DescribeFileSystemsOutput{}
	if i < len(f.pages) {
		out.FileSystems = f.pages[i]
	}
	if i+1 < len(f.pages) {
		out.NextToken = aws.String("page" + strconv.Itoa(i+1))
	}
	return out, nil
}

type fakeMetrics struct {
	got []*cloudwatch.PutMetricDataInput
	err error
}

func (f *fakeMetrics) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	f.got = append(f.got, in)
	return &cloudwatch.PutMetricDataOutput{}, f.err
}

// runFS is a per-run file system created age ago, with tags (key=value).
func runFS(id string, age time.Duration, tags ...string) fsxtypes.FileSystem {
	fs := fsxtypes.FileSystem{FileSystemId: aws.String(id), CreationTime: aws.Time(now.Add(-age)), Lifecycle: fsxtypes.FileSystemLifecycleAvailable}
	for _, t := range tags {
		k, v, _ := strings.Cut(t, "=")
		fs.Tags = append(fs.Tags, fsxtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return fs
}

// ours are the tags of a per-run file system of staging's rnaseq workflow
// with a timeout of a day.
func ours(extra ...string) []string {
	return append([]string{"biolake:managed-by=workflow", "biolake:environment=staging", "biolake:workflow=rnaseq", "runId=run-1"}, extra...)
}

const day = "biolake:timeout-seconds=86400"

func TestHandle(t *testing.T) {
	for _, tc := range []struct {
		name       string
		pages      [][]fsxtypes.FileSystem
		checked    int
		overdue    []string // ids
		logHas     []string
		logHasNot  []string
		deadlineOf map[string]time.Time
	}{
		{name: "no file system", pages: nil, checked: 0},
		{name: "none of ours", pages: [][]fsxtypes.FileSystem{{
			runFS("fs-persistent", 400*24*time.Hour),
			runFS("fs-prod", 48*time.Hour, "biolake:managed-by=workflow", "biolake:environment=prod", day),
			runFS("fs-untagged-env", 48*time.Hour, "biolake:managed-by=workflow", day),
			runFS("fs-other-managed", 48*time.Hour, "biolake:managed-by=someone", "biolake:environment=staging", day),
		}}, checked: 0},
		{name: "one not yet due", pages: [][]fsxtypes.FileSystem{{runFS("fs-young", 23*time.Hour, ours(day)...)}}, checked: 1,
			logHasNot: []string{"fs-young"}},
		{name: "one overdue", pages: [][]fsxtypes.FileSystem{{runFS("fs-old", 25*time.Hour, ours(day)...), runFS("fs-young", time.Hour, ours(day)...)}},
			checked: 1 + 1, overdue: []string{"fs-old"},
			logHas:     []string{`"fileSystemId":"fs-old"`, `"workflow":"rnaseq"`, `"age":"25h0m0s"`, `"deadline":"2026-12-02T11:00:00Z"`, "alive past its workflow's timeout"},
			logHasNot:  []string{"fs-young"},
			deadlineOf: map[string]time.Time{"fs-old": now.Add(-time.Hour)}},
		{name: "exactly at the deadline is not overdue", pages: [][]fsxtypes.FileSystem{{runFS("fs-edge", 24*time.Hour, ours(day)...)}}, checked: 1},
		{name: "timeout tag missing", pages: [][]fsxtypes.FileSystem{{runFS("fs-notag", time.Minute, ours()...)}}, checked: 1,
			overdue: []string{"fs-notag"}, logHas: []string{"cannot be judged: no biolake:timeout-seconds tag", `"deadline":"unknown"`, "fs-notag"}},
		{name: "timeout tag malformed", pages: [][]fsxtypes.FileSystem{{
			runFS("fs-words", time.Minute, ours("biolake:timeout-seconds=a day")...),
			runFS("fs-negative", time.Minute, ours("biolake:timeout-seconds=-5")...),
			runFS("fs-zero", time.Minute, ours("biolake:timeout-seconds=0")...),
			runFS("fs-huge", time.Minute, ours("biolake:timeout-seconds=99999999999999999999")...),
		}}, checked: 4, overdue: []string{"fs-words", "fs-negative", "fs-zero", "fs-huge"},
			logHas: []string{`tag biolake:timeout-seconds is \"a day\", not a positive number of seconds`, `\"-5\"`}},
		{name: "no creation time", pages: [][]fsxtypes.FileSystem{{{FileSystemId: aws.String("fs-nodate"), Tags: runFS("x", 0, ours(day)...).Tags}}},
			checked: 1, overdue: []string{"fs-nodate"}, logHas: []string{"FSx gave no creation time"}},
		{name: "pages", pages: [][]fsxtypes.FileSystem{
			{runFS("fs-1", 30*time.Hour, ours(day)...)},
			{},
			{runFS("fs-2", time.Hour, ours(day)...), runFS("fs-3", 50*time.Hour, ours(day)...)},
		}, checked: 3, overdue: []string{"fs-1", "fs-3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			f := &fakeFSx{pages: tc.pages}
			m := &fakeMetrics{}
			h := &fsxage.Handler{FSx: f, Metrics: m, Environment: "staging", Now: func() time.Time { return now },
				Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
			res, err := h.Handle(context.Background(), nil)
			require.NoError(t, err)
			assert.Equal(t, tc.checked, res.Checked)
			var ids []string
			for _, o := range res.Overdue {
				ids = append(ids, o.FileSystemID)
				if d, ok := tc.deadlineOf[o.FileSystemID]; ok {
					assert.Equal(t, d, o.Deadline)
				}
			}
			assert.ElementsMatch(t, tc.overdue, ids)
			// Every page is read, once.
			assert.Len(t, f.calls, max(1, len(tc.pages)))
			// The count is published, 0 included, with the environment.
			require.Len(t, m.got, 1)
			in := m.got[0]
			assert.Equal(t, "biolake/Lustre", aws.ToString(in.Namespace))
			require.Len(t, in.MetricData, 1)
			d := in.MetricData[0]
			assert.Equal(t, "OverdueRunFileSystems", aws.ToString(d.MetricName))
			assert.Equal(t, float64(len(tc.overdue)), aws.ToFloat64(d.Value))
			require.Len(t, d.Dimensions, 1)
			assert.Equal(t, "Environment", aws.ToString(d.Dimensions[0].Name))
			assert.Equal(t, "staging", aws.ToString(d.Dimensions[0].Value))
			for _, s := range tc.logHas {
				assert.Contains(t, logs.String(), s)
			}
			for _, s := range tc.logHasNot {
				assert.NotContains(t, logs.String(), s)
			}
		})
	}
}

func TestHandleErrors(t *testing.T) {
	pages := [][]fsxtypes.FileSystem{{runFS("fs-1", time.Hour, ours(day)...)}, {runFS("fs-2", time.Hour, ours(day)...)}}
	t.Run("listing fails on the second page: nothing published", func(t *testing.T) {
		m := &fakeMetrics{}
		h := &fsxage.Handler{FSx: &fakeFSx{pages: pages, failAt: 2}, Metrics: m, Environment: "staging", Now: func() time.Time { return now }}
		_, err := h.Handle(context.Background(), nil)
		var le *fsxage.ErrList
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "ErrList", handler.ErrorType(err))
		assert.Empty(t, m.got, "a partial count would hide file systems")
	})
	t.Run("publishing fails", func(t *testing.T) {
		h := &fsxage.Handler{FSx: &fakeFSx{pages: pages}, Metrics: &fakeMetrics{err: errors.New("denied")}, Environment: "staging"}
		_, err := h.Handle(context.Background(), nil)
		var pe *fsxage.ErrPublish
		require.ErrorAs(t, err, &pe)
		assert.Contains(t, err.Error(), "denied")
	})
	t.Run("a panic becomes ErrPanic", func(t *testing.T) {
		h := &fsxage.Handler{FSx: &fakeFSx{pages: pages}, Environment: "staging"} // no Metrics: nil interface call
		_, err := h.Handle(context.Background(), nil)
		var pe *handler.ErrPanic
		require.ErrorAs(t, err, &pe)
	})
}

func TestJudgeIgnoresOthers(t *testing.T) {
	_, _, ok := fsxage.Judge(runFS("fs-1", time.Hour, "biolake:managed-by=workflow", "biolake:environment=staging", day), "prod", now)
	assert.False(t, ok)
	o, overdue, ok := fsxage.Judge(runFS("fs-1", 2*time.Hour, ours("biolake:timeout-seconds=3600")...), "staging", now)
	assert.True(t, ok)
	assert.True(t, overdue)
	assert.Equal(t, 2*time.Hour, o.Age)
	assert.Equal(t, now.Add(-time.Hour), o.Deadline)
	assert.Equal(t, "run-1", o.RunID)
}

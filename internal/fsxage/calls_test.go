package fsxage_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/fsx"
	fsxtypes "github.com/aws/aws-sdk-go-v2/service/fsx/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/fsxage"
	"github.com/biolake/biolake/internal/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// TestCheckCalls runs the handler as lambdas/fsxage wires it (FSx and
// CloudWatch clients) against moto, with a per-run file system of the
// environment created beforehand (not recorded), and records its AWS calls
// for the permission proof (test/testdata/awscalls/fsxage.json).
func TestCheckCalls(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	cfg := mototest.Config()
	cfg.BaseEndpoint = aws.String(endpoint)
	fc := fsx.NewFromConfig(cfg)
	env := mototest.Name("env")
	_, err := fc.CreateFileSystem(context.Background(), &fsx.CreateFileSystemInput{
		FileSystemType: fsxtypes.FileSystemTypeLustre, StorageCapacity: aws.Int32(1200), SubnetIds: []string{"subnet-12345678"},
		Tags: []fsxtypes.Tag{
			{Key: aws.String(fsxage.ManagedByTag), Value: aws.String(fsxage.WorkflowTagValue)},
			{Key: aws.String(fsxage.EnvironmentTag), Value: aws.String(env)},
			{Key: aws.String(fsxage.WorkflowTag), Value: aws.String("rnaseq")},
			{Key: aws.String(fsxage.TimeoutTag), Value: aws.String("86400")},
		},
	})
	require.NoError(t, err)
	// moto does not speak CloudWatch's Smithy RPC v2 CBOR protocol (the
	// SDK's since 2025): a local server answers PutMetricData.
	var put []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/operation/PutMetricData") {
			http.Error(w, "want PutMetricData", http.StatusBadRequest)
			return
		}
		put = append(put, r.URL.Path)
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		_, _ = w.Write([]byte{0xa0}) // an empty map
	}))
	defer srv.Close()
	cw := cloudwatch.NewFromConfig(mototest.Config(), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	rec := mototest.Record("fsxage")
	h := &fsxage.Handler{FSx: fc, Metrics: cw, Environment: env,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	res, err := h.Handle(rec.Context(context.Background()), nil)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Checked)
	// moto gives no CreationTime: the file system cannot be judged.
	require.Len(t, res.Overdue, 1)
	assert.Equal(t, "FSx gave no creation time", res.Overdue[0].Problem)
	assert.True(t, rec.Ops()["FSx.DescribeFileSystems"])
	assert.True(t, rec.Ops()["CloudWatch.PutMetricData"])
	assert.Len(t, put, 1)
}

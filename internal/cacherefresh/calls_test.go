package cacherefresh_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/storagegateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/cacherefresh"
	"github.com/biolake/biolake/internal/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// TestRefreshCalls runs the handler as lambdas/cacherefresh wires it (a
// Storage Gateway client; moto does not emulate Storage Gateway, so a
// local server answers RefreshCache) on objects landing under both shares,
// and records its AWS calls for the permission proof
// (test/testdata/awscalls/cacherefresh.json).
func TestRefreshCalls(t *testing.T) {
	var got []storagegateway.RefreshCacheInput
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in storagegateway.RefreshCacheInput
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Amz-Target") != "StorageGateway_20130630.RefreshCache" || json.Unmarshal(body, &in) != nil {
			http.Error(w, "want RefreshCache", http.StatusBadRequest)
			return
		}
		got = append(got, in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]string{"FileShareARN": aws.ToString(in.FileShareARN), "NotificationId": "n-1"})
	}))
	defer srv.Close()
	rec := mototest.Record("cacherefresh")
	rec.Name(dropARN, "share-drop")
	rec.Name(curatedARN, "share-curated")
	h := &cacherefresh.Handler{
		Client: storagegateway.NewFromConfig(mototest.Config(), func(o *storagegateway.Options) { o.BaseEndpoint = aws.String(srv.URL) }),
		Shares: mapping(t), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	resp, err := h.Handle(rec.Context(context.Background()), batch(
		ebEvent("biolake-shared", "share/run1/fastq/a.fq.gz"),
		ebEvent("biolake-curated", "projects/p1/report.html"),
	))
	require.NoError(t, err)
	assert.Empty(t, failedIDs(resp))
	assert.Len(t, got, 2)
	assert.True(t, rec.Ops()["StorageGateway.RefreshCache"])
}

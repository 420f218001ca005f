package gatewayactivate_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/storagegateway"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/gatewayactivate"
	"github.com/biolake/biolake/internal/mototest"
)

// sgServer serves fakeSG over Storage Gateway's JSON protocol (moto does
// not emulate Storage Gateway), so that the handler runs with a real SDK
// client whose calls the recorder sees.
func sgServer(t *testing.T, f *fakeSG) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "StorageGateway_20130630.")
		ctx := r.Context()
		dec := json.NewDecoder(r.Body)
		var out any
		var err error
		decode := func(in any) bool {
			if e := dec.Decode(in); e != nil {
				http.Error(w, e.Error(), http.StatusBadRequest)
				return false
			}
			return true
		}
		switch op {
		case "ActivateGateway":
			in := &storagegateway.ActivateGatewayInput{}
			if !decode(in) {
				return
			}
			out, err = f.ActivateGateway(ctx, in)
		case "ListGateways":
			in := &storagegateway.ListGatewaysInput{}
			if !decode(in) {
				return
			}
			out, err = f.ListGateways(ctx, in)
		case "ListLocalDisks":
			in := &storagegateway.ListLocalDisksInput{}
			if !decode(in) {
				return
			}
			out, err = f.ListLocalDisks(ctx, in)
		case "AddCache":
			in := &storagegateway.AddCacheInput{}
			if !decode(in) {
				return
			}
			out, err = f.AddCache(ctx, in)
		case "DescribeCache":
			in := &storagegateway.DescribeCacheInput{}
			if !decode(in) {
				return
			}
			out, err = f.DescribeCache(ctx, in)
		case "DeleteGateway":
			in := &storagegateway.DeleteGatewayInput{}
			if !decode(in) {
				return
			}
			out, err = f.DeleteGateway(ctx, in)
		default:
			http.Error(w, "unknown operation "+op, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if err != nil {
			var ae smithy.APIError
			code := "InternalServerError"
			if errors.As(err, &ae) {
				code = ae.ErrorCode()
			}
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"__type": code, "message": err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestActivationCalls runs the activation handler's two entry points as
// lambdas/gatewayactivate wires them (one Storage Gateway client) through a
// create (key fetched, gateway activated, cache disk added) and a delete
// (gateway found by its instance, cache state read, gateway deleted), and records their AWS calls for the
// permission proof (test/testdata/awscalls/gatewayactivate-*.json).
func TestActivationCalls(t *testing.T) {
	ctx := context.Background()
	e := newEnv()
	srv := sgServer(t, e.sg)
	sg := storagegateway.NewFromConfig(mototest.Config(), func(o *storagegateway.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	h := gatewayactivate.NewHandler(sg, e.http, e.h.Logger)
	onEvent, isComplete := mototest.Record("gatewayactivate-onevent"), mototest.Record("gatewayactivate-iscomplete")
	for _, r := range []*mototest.Recorder{onEvent, isComplete} {
		r.Name(gatewayARN, "gateway")
		r.Name("biolake-staging-filegateway", "gateway-name") // create.json's GatewayName
	}

	create := event(t, "create.json", nil)
	_, err := h.OnEvent(onEvent.Context(ctx), create)
	require.NoError(t, err)
	e.http.answer = answer(http.StatusOK, secretKey+"\n", nil)
	res, err := h.IsComplete(isComplete.Context(ctx), create)
	require.NoError(t, err)
	for i := 0; i < 3 && !res.IsComplete; i++ {
		res, err = h.IsComplete(isComplete.Context(ctx), create)
		require.NoError(t, err)
	}
	require.True(t, res.IsComplete, "activated: %s", e.logs.String())
	require.Len(t, e.sg.activated, 1)
	// Tagged with its name: the functions' policies reach only gateways
	// with their own name in that tag.
	tags := e.sg.activated[0].Tags
	require.Len(t, tags, 1)
	assert.Equal(t, gatewayactivate.GatewayNameTag, aws.ToString(tags[0].Key))
	assert.Equal(t, "biolake-staging-filegateway", aws.ToString(tags[0].Value))

	// A delete of an activation that never finished finds the gateway by
	// its instance; one that finished names it.
	_, err = h.OnEvent(onEvent.Context(ctx), event(t, "delete-unfinished.json", nil))
	require.NoError(t, err)
	assert.Equal(t, []string{gatewayARN}, e.sg.deleted)
	e.sg.deleted = nil
	del := event(t, "delete.json", nil)
	_, err = h.OnEvent(onEvent.Context(ctx), del)
	require.NoError(t, err)
	assert.Equal(t, []string{gatewayARN}, e.sg.deleted)
	res, err = h.IsComplete(isComplete.Context(ctx), del)
	require.NoError(t, err)
	assert.True(t, res.IsComplete)

	for r, ops := range map[*mototest.Recorder][]string{
		onEvent:    {"StorageGateway.ListGateways", "StorageGateway.DescribeCache", "StorageGateway.DeleteGateway"},
		isComplete: {"StorageGateway.ListGateways", "StorageGateway.ActivateGateway", "StorageGateway.ListLocalDisks", "StorageGateway.AddCache"},
	} {
		got := r.Ops()
		for _, op := range ops {
			assert.True(t, got[op], "no %s call recorded (recorded: %v)", op, got)
		}
	}
}

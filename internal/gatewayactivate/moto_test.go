package gatewayactivate_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/storagegateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/gatewayactivate"
	"github.com/biolake/biolake/internal/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// TestMotoStorageGateway runs the Delete of a gateway that was never
// activated against Storage Gateway as moto_server emulates it. moto 5.2.1
// does not emulate Storage Gateway at all: then the test is skipped,
// saying so, and runs as soon as a moto that does is installed.
func TestMotoStorageGateway(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	ctx := context.Background()
	sg := storagegateway.NewFromConfig(mototest.Config(), func(o *storagegateway.Options) { o.BaseEndpoint = aws.String(endpoint) })
	if _, err := sg.ListGateways(ctx, &storagegateway.ListGatewaysInput{}); err != nil {
		t.Skipf("moto_server does not emulate Storage Gateway (ListGateways: %v)", err)
	}
	var logs bytes.Buffer
	h := gatewayactivate.NewHandler(sg, gatewayactivate.NewHTTPClient(), slog.New(slog.NewJSONHandler(&logs, nil)))
	on, err := h.OnEvent(ctx, event(t, "delete-unfinished.json", nil))
	require.NoError(t, err, "no gateway on the instance: nothing to delete")
	assert.Equal(t, instanceID, on.PhysicalResourceID)
	assert.Contains(t, logs.String(), "nothing to delete")
}

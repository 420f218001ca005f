package gatewayactivate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/storagegateway"
	"github.com/aws/aws-sdk-go-v2/service/storagegateway/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/internal/gatewayactivate"
)

const (
	instanceID = "i-0123456789abcdef0"
	newInstID  = "i-0fedcba9876543210"
	gatewayARN = "arn:aws:storagegateway:eu-west-1:111122223333:gateway/sgw-12A3456B"
	newARN     = "arn:aws:storagegateway:eu-west-1:111122223333:gateway/sgw-0000ABCD"
	secretKey  = "K7Q2M-9ZX4P-ABCDE-12345-ZYXWV"
	gib        = int64(1) << 30
)

// fakeSG is an in-memory Storage Gateway: the gateways of the account,
// the local disks of the gateway, the cache state, and scripted errors.
type fakeSG struct {
	gateways    []types.GatewayInfo
	listErr     error
	activateErr error
	activated   []storagegateway.ActivateGatewayInput
	nextARN     string
	nextInst    string // the instance the key was fetched from
	disks       []types.Disk
	disksErr    error
	addCacheErr error
	added       [][]string
	dirty       float64
	describeErr error
	deleteErr   error
	deleted     []string
	pageSize    int
}

func (f *fakeSG) ActivateGateway(_ context.Context, in *storagegateway.ActivateGatewayInput, _ ...func(*storagegateway.Options)) (*storagegateway.ActivateGatewayOutput, error) {
	f.activated = append(f.activated, *in)
	if f.activateErr != nil {
		return nil, f.activateErr
	}
	f.gateways = append(f.gateways, types.GatewayInfo{GatewayARN: aws.String(f.nextARN), Ec2InstanceId: aws.String(f.nextInst), GatewayName: in.GatewayName})
	return &storagegateway.ActivateGatewayOutput{GatewayARN: aws.String(f.nextARN)}, nil
}

func (f *fakeSG) ListGateways(_ context.Context, in *storagegateway.ListGatewaysInput, _ ...func(*storagegateway.Options)) (*storagegateway.ListGatewaysOutput, error) {
	if f.listErr != nil {
		return nil, f.listErr
	}
	size := f.pageSize
	if size == 0 {
		size = 100
	}
	start := 0
	if in.Marker != nil {
		fmt.Sscan(*in.Marker, &start)
	}
	end := min(start+size, len(f.gateways))
	out := &storagegateway.ListGatewaysOutput{Gateways: f.gateways[start:end]}
	if end < len(f.gateways) {
		out.Marker = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (f *fakeSG) ListLocalDisks(_ context.Context, in *storagegateway.ListLocalDisksInput, _ ...func(*storagegateway.Options)) (*storagegateway.ListLocalDisksOutput, error) {
	if f.disksErr != nil {
		return nil, f.disksErr
	}
	return &storagegateway.ListLocalDisksOutput{GatewayARN: in.GatewayARN, Disks: f.disks}, nil
}

func (f *fakeSG) AddCache(_ context.Context, in *storagegateway.AddCacheInput, _ ...func(*storagegateway.Options)) (*storagegateway.AddCacheOutput, error) {
	f.added = append(f.added, in.DiskIds)
	if f.addCacheErr != nil {
		return nil, f.addCacheErr
	}
	for i := range f.disks {
		for _, id := range in.DiskIds {
			if aws.ToString(f.disks[i].DiskId) == id {
				f.disks[i].DiskAllocationType = aws.String("CACHE STORAGE")
			}
		}
	}
	return &storagegateway.AddCacheOutput{GatewayARN: in.GatewayARN}, nil
}

func (f *fakeSG) DescribeCache(_ context.Context, in *storagegateway.DescribeCacheInput, _ ...func(*storagegateway.Options)) (*storagegateway.DescribeCacheOutput, error) {
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	return &storagegateway.DescribeCacheOutput{GatewayARN: in.GatewayARN, CacheDirtyPercentage: f.dirty}, nil
}

func (f *fakeSG) DeleteGateway(_ context.Context, in *storagegateway.DeleteGatewayInput, _ ...func(*storagegateway.Options)) (*storagegateway.DeleteGatewayOutput, error) {
	if f.deleteErr != nil {
		return nil, f.deleteErr
	}
	f.deleted = append(f.deleted, aws.ToString(in.GatewayARN))
	return &storagegateway.DeleteGatewayOutput{GatewayARN: in.GatewayARN}, nil
}

// sgErr is a Storage Gateway error with code.
func sgErr(code types.ErrorCode) error {
	return &types.InvalidGatewayRequestException{Message: aws.String(string(code)), Error_: &types.StorageGatewayError{ErrorCode: code}}
}

// fakeHTTP answers activation-key requests; requests records their URLs.
type fakeHTTP struct {
	answer   func(*http.Request) (*http.Response, error)
	requests []*url.URL
}

func (f *fakeHTTP) Do(r *http.Request) (*http.Response, error) {
	f.requests = append(f.requests, r.URL)
	return f.answer(r)
}

func refused(*http.Request) (*http.Response, error) {
	return nil, &url.Error{Op: "Get", URL: "http://10.40.1.23/", Err: syscall.ECONNREFUSED}
}

func answer(status int, body string, header http.Header) func(*http.Request) (*http.Response, error) {
	return func(*http.Request) (*http.Response, error) {
		if header == nil {
			header = http.Header{}
		}
		return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
}

type env struct {
	sg   *fakeSG
	http *fakeHTTP
	logs *bytes.Buffer
	h    *gatewayactivate.Handler
}

func newEnv() *env {
	e := &env{
		sg: &fakeSG{nextARN: gatewayARN, nextInst: instanceID, disks: []types.Disk{
			{DiskId: aws.String("pci-0000:00:1f.0-nvme-1"), DiskPath: aws.String("/dev/nvme2n1"), DiskSizeInBytes: 300 * gib, DiskAllocationType: aws.String("AVAILABLE"), DiskStatus: aws.String("present")},
			{DiskId: aws.String("pci-0000:00:1e.0-nvme-1"), DiskPath: aws.String("/dev/nvme1n1"), DiskSizeInBytes: 150 * gib, DiskAllocationType: aws.String("AVAILABLE"), DiskStatus: aws.String("present")},
		}},
		http: &fakeHTTP{answer: refused},
		logs: &bytes.Buffer{},
	}
	e.h = &gatewayactivate.Handler{
		Activate: e.sg, ListGateways: e.sg, ListDisks: e.sg, AddCache: e.sg, DescribeCache: e.sg, DeleteGateway: e.sg,
		HTTP: e.http, Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return e
}

func event(t *testing.T, name string, edit func(map[string]any)) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	if edit == nil {
		return b
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	edit(m)
	b, err = json.Marshal(m)
	require.NoError(t, err)
	return b
}

func props(m map[string]any) map[string]any { return m["ResourceProperties"].(map[string]any) }

func TestCreate(t *testing.T) {
	ctx := context.Background()
	e := newEnv()
	create := event(t, "create.json", nil)

	on, err := e.h.OnEvent(ctx, create)
	require.NoError(t, err)
	assert.Equal(t, instanceID, on.PhysicalResourceID, "the instance id until the gateway has an ARN")
	assert.Empty(t, e.sg.activated, "onEvent only checks the event")

	// Poll 1: the instance is still booting.
	res, err := e.h.IsComplete(ctx, create)
	require.NoError(t, err)
	assert.False(t, res.IsComplete)
	assert.Nil(t, res.Data, "the framework refuses Data while not complete")
	assert.Empty(t, e.sg.activated)
	require.Len(t, e.http.requests, 1)
	u := e.http.requests[0]
	assert.Equal(t, "http", u.Scheme)
	assert.Equal(t, "10.40.1.23", u.Host)
	q := u.Query()
	assert.Equal(t, "eu-west-1", q.Get("activationRegion"))
	assert.Equal(t, "FILE_S3", q.Get("gatewayType"))
	assert.Equal(t, "STANDARD", q.Get("endpointType"))
	assert.Equal(t, "vpce-0a1b2c3d4e5f60718-abcd1234.storagegateway.eu-west-1.vpce.amazonaws.com", q.Get("vpcEndpoint"))
	assert.True(t, q.Has("no_redirect"))

	// Poll 2: the key arrives; the gateway is activated but not connected.
	e.http.answer = answer(http.StatusOK, secretKey+"\n", nil)
	e.sg.disksErr = sgErr(types.ErrorCodeGatewayNotConnected)
	res, err = e.h.IsComplete(ctx, create)
	require.NoError(t, err)
	assert.False(t, res.IsComplete)
	require.Len(t, e.sg.activated, 1)
	in := e.sg.activated[0]
	assert.Equal(t, secretKey, aws.ToString(in.ActivationKey))
	assert.Equal(t, "FILE_S3", aws.ToString(in.GatewayType))
	assert.Equal(t, "biolake-staging-filegateway", aws.ToString(in.GatewayName))
	assert.Equal(t, "GMT", aws.ToString(in.GatewayTimezone))
	assert.Equal(t, "eu-west-1", aws.ToString(in.GatewayRegion))
	assert.Empty(t, e.sg.added)

	// Poll 3: the gateway found by its instance (no second activation), the
	// 150 GiB disk becomes the cache.
	e.sg.disksErr = nil
	res, err = e.h.IsComplete(ctx, create)
	require.NoError(t, err)
	assert.True(t, res.IsComplete)
	assert.Equal(t, gatewayARN, res.PhysicalResourceID)
	assert.Equal(t, map[string]any{"GatewayARN": gatewayARN}, res.Data)
	assert.Len(t, e.sg.activated, 1, "reused, not activated twice")
	assert.Equal(t, [][]string{{"pci-0000:00:1e.0-nvme-1"}}, e.sg.added, "the disk of the cache size, not the other one")
	assert.Len(t, e.http.requests, 2, "no key needed once the gateway exists")

	// A repeated poll (a retried event) changes nothing.
	res, err = e.h.IsComplete(ctx, create)
	require.NoError(t, err)
	assert.True(t, res.IsComplete)
	assert.Len(t, e.sg.activated, 1)
	assert.Len(t, e.sg.added, 1)

	assert.NotContains(t, e.logs.String(), secretKey, "the activation key is never logged")
	raw, _ := json.Marshal(res)
	assert.NotContains(t, string(raw), secretKey)
}

func TestCreateKeyAnswers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		answer   func(*http.Request) (*http.Response, error)
		activate bool
	}{
		{"redirect with the key", answer(http.StatusFound, "", http.Header{"Location": {"http://console.example/activation?activationKey=" + secretKey + "&gatewayType=FILE_S3"}}), true},
		{"plain key", answer(http.StatusOK, secretKey, nil), true},
		{"refused connection", refused, false},
		{"server error", answer(http.StatusInternalServerError, "starting", nil), false},
		{"HTML page instead of a key", answer(http.StatusOK, "<html><body>loading</body></html>", nil), false},
		{"redirect without a key", answer(http.StatusFound, "", http.Header{"Location": {"http://console.example/?error=not+ready"}}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			e.http.answer = tc.answer
			res, err := e.h.IsComplete(ctx, event(t, "create.json", nil))
			require.NoError(t, err, "an instance that is not ready is not an error")
			if !tc.activate {
				assert.False(t, res.IsComplete)
				assert.Empty(t, e.sg.activated)
				return
			}
			require.Len(t, e.sg.activated, 1)
			assert.Equal(t, secretKey, aws.ToString(e.sg.activated[0].ActivationKey))
			assert.True(t, res.IsComplete)
			assert.NotContains(t, e.logs.String(), secretKey)
		})
	}
}

func TestCreateActivationErrors(t *testing.T) {
	ctx := context.Background()
	for _, code := range []types.ErrorCode{types.ErrorCodeActivationKeyExpired, types.ErrorCodeActivationKeyInvalid, types.ErrorCodeActivationKeyNotFound} {
		t.Run(string(code), func(t *testing.T) {
			e := newEnv()
			e.http.answer = answer(http.StatusOK, secretKey, nil)
			e.sg.activateErr = sgErr(code)
			res, err := e.h.IsComplete(ctx, event(t, "create.json", nil))
			require.NoError(t, err, "a refused key is fetched again at the next poll")
			assert.False(t, res.IsComplete)
		})
	}
	t.Run("other errors fail", func(t *testing.T) {
		e := newEnv()
		e.http.answer = answer(http.StatusOK, secretKey, nil)
		e.sg.activateErr = errors.New("AccessDeniedException: not authorized")
		_, err := e.h.IsComplete(ctx, event(t, "create.json", nil))
		require.ErrorContains(t, err, "ActivateGateway for instance "+instanceID)
		assert.NotContains(t, err.Error(), secretKey)
	})
	t.Run("ListGateways fails", func(t *testing.T) {
		e := newEnv()
		e.sg.listErr = errors.New("ThrottlingException")
		_, err := e.h.IsComplete(ctx, event(t, "create.json", nil))
		require.ErrorContains(t, err, "ListGateways")
	})
}

func TestCreateFindsGatewayOnLaterPage(t *testing.T) {
	e := newEnv()
	e.sg.pageSize = 2
	for i := range 5 {
		e.sg.gateways = append(e.sg.gateways, types.GatewayInfo{GatewayARN: aws.String(fmt.Sprintf("arn:aws:storagegateway:eu-west-1:111122223333:gateway/sgw-0000000%d", i)), Ec2InstanceId: aws.String(fmt.Sprintf("i-00000000000000%02d", i))})
	}
	e.sg.gateways = append(e.sg.gateways, types.GatewayInfo{GatewayARN: aws.String(gatewayARN), Ec2InstanceId: aws.String(instanceID)})
	res, err := e.h.IsComplete(context.Background(), event(t, "create.json", nil))
	require.NoError(t, err)
	assert.True(t, res.IsComplete)
	assert.Equal(t, gatewayARN, res.PhysicalResourceID)
	assert.Empty(t, e.sg.activated)
	assert.Empty(t, e.http.requests)
}

func TestCacheDiskSelection(t *testing.T) {
	ctx := context.Background()
	disk := func(id, path string, gibs int64, alloc string) types.Disk {
		return types.Disk{DiskId: aws.String(id), DiskPath: aws.String(path), DiskSizeInBytes: gibs * gib, DiskAllocationType: aws.String(alloc), DiskStatus: aws.String("present")}
	}
	for _, tc := range []struct {
		name     string
		disks    []types.Disk
		addErr   error
		added    [][]string
		complete bool
		err      string
	}{
		{"already allocated", []types.Disk{disk("a", "/dev/nvme1n1", 150, "CACHE STORAGE")}, nil, nil, true, ""},
		{"underscore spelling", []types.Disk{disk("a", "/dev/nvme1n1", 150, "CACHE_STORAGE")}, nil, nil, true, ""},
		{"exact size among others", []types.Disk{disk("a", "/dev/nvme1n1", 80, "AVAILABLE"), disk("b", "/dev/nvme2n1", 151, "AVAILABLE"), disk("c", "/dev/nvme3n1", 150, "")}, nil, [][]string{{"c"}}, true, ""},
		{"equal disks: lowest id", []types.Disk{disk("z", "/dev/nvme2n1", 150, "AVAILABLE"), disk("m", "/dev/nvme1n1", 150, "AVAILABLE")}, nil, [][]string{{"m"}}, true, ""},
		{"no disks listed yet", nil, nil, nil, false, ""},
		{"allocated meanwhile", []types.Disk{disk("a", "/dev/nvme1n1", 150, "AVAILABLE")}, sgErr(types.ErrorCodeDiskAlreadyAllocated), [][]string{{"a"}}, false, ""},
		{"no disk of the size", []types.Disk{disk("a", "/dev/nvme1n1", 80, "AVAILABLE"), disk("b", "/dev/nvme2n1", 200, "AVAILABLE")}, nil, nil, false,
			"has no free disk of 161061273600 bytes (150 GiB) for its cache; its disks: [a (/dev/nvme1n1, 85899345920 bytes, AVAILABLE), b (/dev/nvme2n1, 214748364800 bytes, AVAILABLE)]"},
		{"right size but used as upload buffer", []types.Disk{disk("a", "/dev/nvme1n1", 150, "UPLOAD BUFFER")}, nil, nil, false, "no free disk"},
		{"AddCache fails", []types.Disk{disk("a", "/dev/nvme1n1", 150, "AVAILABLE")}, errors.New("InternalServerError"), [][]string{{"a"}}, false, "AddCache of disk a (/dev/nvme1n1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			e.sg.gateways = []types.GatewayInfo{{GatewayARN: aws.String(gatewayARN), Ec2InstanceId: aws.String(instanceID)}}
			e.sg.disks = tc.disks
			e.sg.addCacheErr = tc.addErr
			res, err := e.h.IsComplete(ctx, event(t, "create.json", nil))
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				var de *gatewayactivate.DiskError
				if strings.Contains(tc.err, "no free disk") {
					assert.ErrorAs(t, err, &de)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.complete, res.IsComplete)
			assert.Equal(t, tc.added, e.sg.added)
		})
	}
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	t.Run("same instance keeps its gateway", func(t *testing.T) {
		e := newEnv()
		ev := event(t, "update-same-instance.json", func(m map[string]any) { props(m)["Timezone"] = "GMT+1:00" })
		on, err := e.h.OnEvent(ctx, ev)
		require.NoError(t, err)
		assert.Equal(t, gatewayARN, on.PhysicalResourceID)
		res, err := e.h.IsComplete(ctx, ev)
		require.NoError(t, err)
		assert.True(t, res.IsComplete)
		assert.Equal(t, gatewayARN, res.PhysicalResourceID)
		assert.Equal(t, gatewayARN, res.Data["GatewayARN"], "the attribute is answered again on every update")
		assert.Empty(t, e.sg.activated)
		assert.Empty(t, e.http.requests)
	})
	t.Run("new instance is activated under a new id", func(t *testing.T) {
		e := newEnv()
		e.sg.gateways = []types.GatewayInfo{{GatewayARN: aws.String(gatewayARN), Ec2InstanceId: aws.String(instanceID)}}
		e.sg.nextARN, e.sg.nextInst = newARN, newInstID
		e.http.answer = answer(http.StatusOK, secretKey, nil)
		ev := event(t, "update-new-instance.json", nil)
		on, err := e.h.OnEvent(ctx, ev)
		require.NoError(t, err)
		assert.Equal(t, newInstID, on.PhysicalResourceID, "a new id: CloudFormation deletes the old gateway afterwards")
		res, err := e.h.IsComplete(ctx, ev)
		require.NoError(t, err)
		assert.True(t, res.IsComplete)
		assert.Equal(t, newARN, res.PhysicalResourceID)
		require.Len(t, e.http.requests, 1)
		assert.Equal(t, "10.40.1.99", e.http.requests[0].Host)
	})
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	gw := []types.GatewayInfo{{GatewayARN: aws.String(gatewayARN), Ec2InstanceId: aws.String(instanceID)}}
	for _, tc := range []struct {
		name        string
		event       string
		gateways    []types.GatewayInfo
		dirty       float64
		describeErr error
		deleteErr   error
		deleted     []string
		err         string
	}{
		{"clean cache", "delete.json", gw, 0, nil, nil, []string{gatewayARN}, ""},
		{"dirty cache refused", "delete.json", gw, 0.5, nil, nil, nil, "refusing to delete gateway " + gatewayARN + ": 0.50% of its cache holds writes not yet uploaded to S3"},
		{"offline gateway refused", "delete.json", gw, 0, sgErr(types.ErrorCodeGatewayNotConnected), nil, nil, "its cache state cannot be read"},
		{"gateway already gone (DescribeCache)", "delete.json", nil, 0, sgErr(types.ErrorCodeGatewayNotFound), nil, nil, ""},
		{"gateway already gone (DeleteGateway)", "delete.json", nil, 0, nil, sgErr(types.ErrorCodeGatewayNotFound), nil, ""},
		{"DeleteGateway fails", "delete.json", gw, 0, nil, errors.New("ThrottlingException"), nil, "DeleteGateway " + gatewayARN},
		{"DescribeCache fails", "delete.json", gw, 0, errors.New("ThrottlingException"), nil, nil, "DescribeCache of " + gatewayARN},
		{"unfinished activation, gateway exists", "delete-unfinished.json", gw, 0, nil, nil, []string{gatewayARN}, ""},
		{"unfinished activation, no gateway", "delete-unfinished.json", nil, 0, nil, nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			e.sg.gateways = tc.gateways
			e.sg.dirty = tc.dirty
			e.sg.describeErr = tc.describeErr
			e.sg.deleteErr = tc.deleteErr
			ev := event(t, tc.event, nil)
			on, err := e.h.OnEvent(ctx, ev)
			assert.Equal(t, tc.deleted, e.sg.deleted)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				if strings.Contains(tc.err, "refusing") {
					var dce *gatewayactivate.DirtyCacheError
					assert.ErrorAs(t, err, &dce)
				}
				return
			}
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(ev, &m))
			assert.Equal(t, m["PhysicalResourceId"], on.PhysicalResourceID, "a Delete keeps its id")
			res, err := e.h.IsComplete(ctx, ev)
			require.NoError(t, err)
			assert.True(t, res.IsComplete)
		})
	}
}

func TestBadEvents(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		raw  json.RawMessage
		want []string
	}{
		{"not JSON", json.RawMessage(`{"RequestType":`), []string{"bad event: event is not a JSON object"}},
		{"array", json.RawMessage(`[1,2]`), []string{"bad event: event is not a JSON object"}},
		{"unknown request type", event(t, "create.json", func(m map[string]any) { m["RequestType"] = "Replace" }), []string{`RequestType is "Replace"; accepted: "Create", "Update" or "Delete"`}},
		{"no request type", json.RawMessage(`{}`), []string{`RequestType is ""`}},
		{"update without id", event(t, "update-same-instance.json", func(m map[string]any) { delete(m, "PhysicalResourceId") }), []string{`PhysicalResourceId is ""`}},
		{"no properties", event(t, "create.json", func(m map[string]any) { delete(m, "ResourceProperties") }), []string{
			"ResourceProperties.InstanceId is missing", "ResourceProperties.InstanceIp is missing", "ResourceProperties.Region is missing",
			"ResourceProperties.GatewayName is missing", "ResourceProperties.VpcEndpoint is missing", "ResourceProperties.CacheDiskGiB is missing"}},
		{"bad values", event(t, "create.json", func(m map[string]any) {
			p := props(m)
			p["InstanceId"] = "sgw-1"
			p["InstanceIp"] = "2001:db8::1"
			p["Region"] = 42
			p["GatewayName"] = "a/b"
			p["Timezone"] = "CET"
			p["VpcEndpoint"] = "http://x"
			p["CacheDiskGiB"] = "100"
		}), []string{`InstanceId is "sgw-1"; accepted: an EC2 instance id`, `InstanceIp is "2001:db8::1"; accepted: the instance's private IPv4 address`,
			`Region is "42"`, `GatewayName is "a/b"`, `Timezone is "CET"`, `VpcEndpoint is "http://x"`, `CacheDiskGiB is "100"; accepted: a whole number of GiB from 150 to 16384`}},
		{"cache too big as a number", event(t, "create.json", func(m map[string]any) { props(m)["CacheDiskGiB"] = 70000 }), []string{`CacheDiskGiB is "70000"`}},
		{"cache not whole", event(t, "create.json", func(m map[string]any) { props(m)["CacheDiskGiB"] = 150.5 }), []string{`CacheDiskGiB is "150.5"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			_, err1 := e.h.OnEvent(ctx, tc.raw)
			_, err2 := e.h.IsComplete(ctx, tc.raw)
			for _, err := range []error{err1, err2} {
				require.Error(t, err)
				var ee *gatewayactivate.EventError
				assert.ErrorAs(t, err, &ee)
				for _, w := range tc.want {
					assert.Contains(t, err.Error(), w)
				}
			}
			assert.Empty(t, e.sg.activated)
			assert.Empty(t, e.sg.deleted)
		})
	}
}

func TestParsePropertiesNumbers(t *testing.T) {
	for _, v := range []any{"150", 150.0, " 2048 "} {
		e, err := gatewayactivate.ParseEvent(event(t, "create.json", func(m map[string]any) { props(m)["CacheDiskGiB"] = v }))
		require.NoError(t, err)
		p, err := e.Properties()
		require.NoError(t, err, "%v", v)
		assert.GreaterOrEqual(t, p.CacheDiskGiB, 150)
	}
}

func TestVPCEndpointForms(t *testing.T) {
	const regional = "vpce-0a1b2c3d4e5f60718-abcd1234.storagegateway.eu-west-1.vpce.amazonaws.com"
	for name, v := range map[string]any{
		"DNS name": regional,
		"DnsEntries, zonal first": []any{
			"Z7HUB22UULQXV:vpce-0a1b2c3d4e5f60718-abcd1234-eu-west-1b.storagegateway.eu-west-1.vpce.amazonaws.com",
			"Z7HUB22UULQXV:" + regional,
			"Z7HUB22UULQXV:vpce-0a1b2c3d4e5f60718-abcd1234-eu-west-1a.storagegateway.eu-west-1.vpce.amazonaws.com",
		},
	} {
		e, err := gatewayactivate.ParseEvent(event(t, "create.json", func(m map[string]any) { props(m)["VpcEndpoint"] = v }))
		require.NoError(t, err, name)
		p, err := e.Properties()
		require.NoError(t, err, name)
		assert.Equal(t, regional, p.VPCEndpoint, name)
	}
	for name, v := range map[string]any{
		"empty list":         []any{},
		"entry without zone": []any{regional},
		"number in list":     []any{"Z1:" + regional, 7},
		"object":             map[string]any{"a": "b"},
	} {
		e, err := gatewayactivate.ParseEvent(event(t, "create.json", func(m map[string]any) { props(m)["VpcEndpoint"] = v }))
		require.NoError(t, err, name)
		_, err = e.Properties()
		assert.ErrorContains(t, err, "ResourceProperties.VpcEndpoint is", name)
		assert.ErrorContains(t, err, `or its DnsEntries ("hostedZoneId:dnsName" items)`, name)
	}
}

func TestKeyURL(t *testing.T) {
	e, err := gatewayactivate.ParseEvent(event(t, "create.json", nil))
	require.NoError(t, err)
	p, err := e.Properties()
	require.NoError(t, err)
	assert.Equal(t, "http://10.40.1.23/?activationRegion=eu-west-1&endpointType=STANDARD&gatewayType=FILE_S3&vpcEndpoint=vpce-0a1b2c3d4e5f60718-abcd1234.storagegateway.eu-west-1.vpce.amazonaws.com&no_redirect",
		gatewayactivate.KeyURL(p))
}

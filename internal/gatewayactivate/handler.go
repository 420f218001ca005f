package gatewayactivate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/storagegateway"
	"github.com/aws/aws-sdk-go-v2/service/storagegateway/types"
)

// GatewayType is the type every gateway is activated as.
const GatewayType = "FILE_S3"

// GatewayNameTag is the tag the gateway is activated with, its value the
// gateway's name (unique to the construct that activates it): the
// activation functions' policies reach only gateways with their own name in
// it, so they cannot touch other gateways of the account.
const GatewayNameTag = "biolake:gateway-name"

// DefaultKeyTimeout bounds one activation-key request to the instance.
const DefaultKeyTimeout = 5 * time.Second

// One-method interfaces over the Storage Gateway client.
type (
	// Activator activates a gateway.
	Activator interface {
		ActivateGateway(context.Context, *storagegateway.ActivateGatewayInput, ...func(*storagegateway.Options)) (*storagegateway.ActivateGatewayOutput, error)
	}
	// GatewayLister lists the account's gateways in the Region.
	GatewayLister interface {
		ListGateways(context.Context, *storagegateway.ListGatewaysInput, ...func(*storagegateway.Options)) (*storagegateway.ListGatewaysOutput, error)
	}
	// DiskLister lists a gateway's local disks.
	DiskLister interface {
		ListLocalDisks(context.Context, *storagegateway.ListLocalDisksInput, ...func(*storagegateway.Options)) (*storagegateway.ListLocalDisksOutput, error)
	}
	// CacheAdder allocates disks to a gateway's cache.
	CacheAdder interface {
		AddCache(context.Context, *storagegateway.AddCacheInput, ...func(*storagegateway.Options)) (*storagegateway.AddCacheOutput, error)
	}
	// CacheDescriber reads a gateway's cache state.
	CacheDescriber interface {
		DescribeCache(context.Context, *storagegateway.DescribeCacheInput, ...func(*storagegateway.Options)) (*storagegateway.DescribeCacheOutput, error)
	}
	// GatewayDeleter deletes a gateway.
	GatewayDeleter interface {
		DeleteGateway(context.Context, *storagegateway.DeleteGatewayInput, ...func(*storagegateway.Options)) (*storagegateway.DeleteGatewayOutput, error)
	}
	// Doer sends an HTTP request: an *http.Client that does not follow
	// redirects (see NewHTTPClient).
	Doer interface {
		Do(*http.Request) (*http.Response, error)
	}
)

// Handler holds the handlers' dependencies. The Storage Gateway fields
// are all satisfied by one *storagegateway.Client.
type Handler struct {
	Activate      Activator
	ListGateways  GatewayLister
	ListDisks     DiskLister
	AddCache      CacheAdder
	DescribeCache CacheDescriber
	DeleteGateway GatewayDeleter
	// HTTP fetches the activation key from the instance.
	HTTP Doer
	// KeyTimeout bounds one activation-key request. Default:
	// DefaultKeyTimeout.
	KeyTimeout time.Duration
	Logger     *slog.Logger
}

// NewHandler returns a Handler over one Storage Gateway client.
func NewHandler(sg *storagegateway.Client, httpClient Doer, logger *slog.Logger) *Handler {
	return &Handler{
		Activate: sg, ListGateways: sg, ListDisks: sg, AddCache: sg, DescribeCache: sg, DeleteGateway: sg,
		HTTP: httpClient, Logger: logger,
	}
}

// NewHTTPClient returns the client for activation-key requests: it never
// follows a redirect (the key is in the answer, or in its Location).
func NewHTTPClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// OnEventResponse is the onEvent answer to the Provider framework.
type OnEventResponse struct {
	PhysicalResourceID string         `json:"PhysicalResourceId"`
	Data               map[string]any `json:"Data,omitempty"`
}

// IsCompleteResponse is the isComplete answer to the Provider framework.
// Data (and a PhysicalResourceId) only when IsComplete.
type IsCompleteResponse struct {
	IsComplete         bool           `json:"IsComplete"`
	PhysicalResourceID string         `json:"PhysicalResourceId,omitempty"`
	Data               map[string]any `json:"Data,omitempty"`
}

// AttrGatewayARN is the custom resource's attribute with the gateway ARN.
const AttrGatewayARN = "GatewayARN"

// DirtyCacheError refuses a Delete that would lose data, or whose risk
// cannot be checked.
type DirtyCacheError struct {
	GatewayARN string
	// DirtyPercent is the share of the cache not yet uploaded; negative
	// when the cache could not be read.
	DirtyPercent float64
	Cause        error
}

func (e *DirtyCacheError) Error() string {
	if e.DirtyPercent < 0 {
		return fmt.Sprintf("gatewayactivate: refusing to delete gateway %s: its cache state cannot be read (%v), so unuploaded writes may be lost; "+
			"start the gateway instance and let it upload, or delete the gateway yourself after checking it, then retry", e.GatewayARN, e.Cause)
	}
	return fmt.Sprintf("gatewayactivate: refusing to delete gateway %s: %.2f%% of its cache holds writes not yet uploaded to S3, which deleting would lose; "+
		"wait until CacheDirtyPercentage is 0 (or stop the writers and let it upload), then retry", e.GatewayARN, e.DirtyPercent)
}

func (e *DirtyCacheError) Unwrap() error { return e.Cause }

// DiskError says no disk matches the requested cache size.
type DiskError struct {
	GatewayARN string
	WantBytes  int64
	Disks      []types.Disk
}

func (e *DiskError) Error() string {
	var b strings.Builder
	for i, d := range e.Disks {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s, %d bytes, %s)", aws.ToString(d.DiskId), aws.ToString(d.DiskPath), d.DiskSizeInBytes, allocation(d))
	}
	return fmt.Sprintf("gatewayactivate: gateway %s has no free disk of %d bytes (%d GiB) for its cache; its disks: [%s]; "+
		"accepted: one unallocated disk of exactly the cache size (Props.EC2.CacheDiskGiB)", e.GatewayARN, e.WantBytes, e.WantBytes>>30, b.String())
}

// OnEvent handles the framework's onEvent call.
func (h *Handler) OnEvent(ctx context.Context, raw json.RawMessage) (OnEventResponse, error) {
	e, err := ParseEvent(raw)
	if err != nil {
		return OnEventResponse{}, err
	}
	log := h.logger().With("requestType", e.RequestType, "requestId", e.RequestID, "physicalResourceId", e.PhysicalResourceID)
	switch e.RequestType {
	case RequestCreate:
		p, err := e.Properties()
		if err != nil {
			return OnEventResponse{}, err
		}
		log.Info("activation starts; the waiter polls until the gateway is active", "instanceId", p.InstanceID)
		return OnEventResponse{PhysicalResourceID: p.InstanceID}, nil
	case RequestUpdate:
		p, err := e.Properties()
		if err != nil {
			return OnEventResponse{}, err
		}
		if old := e.OldInstanceID(); old != "" && old != p.InstanceID {
			log.Info("the gateway instance was replaced: activating the new one", "oldInstanceId", old, "instanceId", p.InstanceID)
			return OnEventResponse{PhysicalResourceID: p.InstanceID}, nil
		}
		log.Info("same instance: nothing to activate")
		return OnEventResponse{PhysicalResourceID: e.PhysicalResourceID}, nil
	default:
		return OnEventResponse{PhysicalResourceID: e.PhysicalResourceID}, h.delete(ctx, e, log)
	}
}

// IsComplete handles the framework's isComplete call.
func (h *Handler) IsComplete(ctx context.Context, raw json.RawMessage) (IsCompleteResponse, error) {
	e, err := ParseEvent(raw)
	if err != nil {
		return IsCompleteResponse{}, err
	}
	log := h.logger().With("requestType", e.RequestType, "requestId", e.RequestID, "physicalResourceId", e.PhysicalResourceID)
	if e.RequestType == RequestDelete {
		return IsCompleteResponse{IsComplete: true}, nil
	}
	p, err := e.Properties()
	if err != nil {
		return IsCompleteResponse{}, err
	}
	if e.RequestType == RequestUpdate && IsGatewayARN(e.PhysicalResourceID) {
		if old := e.OldInstanceID(); old == "" || old == p.InstanceID {
			return done(e.PhysicalResourceID), nil
		}
	}
	arn, complete, err := h.activate(ctx, p, log)
	if err != nil || !complete {
		return IsCompleteResponse{}, err
	}
	log.Info("gateway active with its cache", "gatewayArn", arn)
	return done(arn), nil
}

func done(arn string) IsCompleteResponse {
	return IsCompleteResponse{IsComplete: true, PhysicalResourceID: arn, Data: map[string]any{AttrGatewayARN: arn}}
}

// activate runs one poll of the activation; complete is false while the
// instance or the gateway is not ready yet.
func (h *Handler) activate(ctx context.Context, p Properties, log *slog.Logger) (arn string, complete bool, err error) {
	gw, err := h.findGateway(ctx, p.InstanceID)
	if err != nil {
		return "", false, err
	}
	if gw != nil {
		arn = aws.ToString(gw.GatewayARN)
		log.Info("the instance's gateway is already activated", "gatewayArn", arn, "instanceId", p.InstanceID)
	} else {
		key, err := h.activationKey(ctx, p)
		if err != nil {
			log.Info("the gateway instance does not hand out an activation key yet; polling again", "instanceId", p.InstanceID, "reason", err.Error())
			return "", false, nil
		}
		out, err := h.Activate.ActivateGateway(ctx, &storagegateway.ActivateGatewayInput{
			ActivationKey:   aws.String(key),
			GatewayName:     aws.String(p.GatewayName),
			GatewayRegion:   aws.String(p.Region),
			GatewayTimezone: aws.String(p.Timezone),
			GatewayType:     aws.String(GatewayType),
			Tags:            []types.Tag{{Key: aws.String(GatewayNameTag), Value: aws.String(p.GatewayName)}},
		})
		switch {
		case hasCode(err, types.ErrorCodeActivationKeyExpired, types.ErrorCodeActivationKeyInvalid, types.ErrorCodeActivationKeyNotFound):
			log.Info("activation key refused; polling again", "code", string(gatewayErrorCode(err)))
			return "", false, nil
		case err != nil:
			return "", false, fmt.Errorf("gatewayactivate: ActivateGateway for instance %s: %w", p.InstanceID, err)
		}
		arn = aws.ToString(out.GatewayARN)
		log.Info("gateway activated", "gatewayArn", arn, "instanceId", p.InstanceID)
	}
	complete, err = h.allocateCache(ctx, arn, p, log)
	return arn, complete, err
}

// allocateCache allocates the cache disk; it reports true once a disk is
// allocated to the cache.
func (h *Handler) allocateCache(ctx context.Context, arn string, p Properties, log *slog.Logger) (bool, error) {
	out, err := h.ListDisks.ListLocalDisks(ctx, &storagegateway.ListLocalDisksInput{GatewayARN: aws.String(arn)})
	switch {
	case hasCode(err, types.ErrorCodeGatewayNotConnected, types.ErrorCodeGatewayInternalError):
		log.Info("gateway not connected yet; polling again", "gatewayArn", arn)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("gatewayactivate: ListLocalDisks of %s: %w", arn, err)
	}
	if len(out.Disks) == 0 {
		log.Info("gateway lists no disks yet; polling again", "gatewayArn", arn)
		return false, nil
	}
	want := int64(p.CacheDiskGiB) << 30
	var free []types.Disk
	for _, d := range out.Disks {
		switch allocation(d) {
		case "CACHE_STORAGE":
			log.Info("cache disk already allocated", "gatewayArn", arn, "diskId", aws.ToString(d.DiskId))
			return true, nil
		case "", "AVAILABLE":
			if d.DiskSizeInBytes == want && !strings.EqualFold(aws.ToString(d.DiskStatus), "missing") {
				free = append(free, d)
			}
		}
	}
	if len(free) == 0 {
		return false, &DiskError{GatewayARN: arn, WantBytes: want, Disks: out.Disks}
	}
	sort.Slice(free, func(i, j int) bool { return aws.ToString(free[i].DiskId) < aws.ToString(free[j].DiskId) })
	disk := aws.ToString(free[0].DiskId)
	_, err = h.AddCache.AddCache(ctx, &storagegateway.AddCacheInput{GatewayARN: aws.String(arn), DiskIds: []string{disk}})
	switch {
	case hasCode(err, types.ErrorCodeDiskAlreadyAllocated):
		log.Info("disk already allocated; checking again at the next poll", "gatewayArn", arn, "diskId", disk)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("gatewayactivate: AddCache of disk %s (%s) to %s: %w", disk, aws.ToString(free[0].DiskPath), arn, err)
	}
	log.Info("cache disk allocated", "gatewayArn", arn, "diskId", disk, "diskPath", aws.ToString(free[0].DiskPath), "bytes", want)
	return true, nil
}

// allocation is a disk's allocation type in one spelling ("CACHE STORAGE"
// and "CACHE_STORAGE" are both seen).
func allocation(d types.Disk) string {
	return strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(aws.ToString(d.DiskAllocationType))), " ", "_")
}

// findGateway returns the gateway activated on instanceID, or nil.
func (h *Handler) findGateway(ctx context.Context, instanceID string) (*types.GatewayInfo, error) {
	pages := storagegateway.NewListGatewaysPaginator(h.ListGateways, &storagegateway.ListGatewaysInput{})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("gatewayactivate: ListGateways: %w", err)
		}
		for i := range out.Gateways {
			if aws.ToString(out.Gateways[i].Ec2InstanceId) == instanceID {
				return &out.Gateways[i], nil
			}
		}
	}
	return nil, nil
}

var keyRE = regexp.MustCompile(`^[0-9A-Za-z-]{1,50}$`)

// activationKey asks the instance for a key. Errors never contain the key.
func (h *Handler) activationKey(ctx context.Context, p Properties) (string, error) {
	timeout := h.KeyTimeout
	if timeout <= 0 {
		timeout = DefaultKeyTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, KeyURL(p), nil)
	if err != nil {
		return "", fmt.Errorf("activation-key request: %w", err)
	}
	resp, err := h.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("activation-key request to %s: %w", p.InstanceIP, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", fmt.Errorf("activation-key answer from %s: %w", p.InstanceIP, err)
	}
	var key string
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		// Without no_redirect honoured, the key is in the redirect.
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			return "", fmt.Errorf("activation-key answer from %s: HTTP %d with an unreadable Location", p.InstanceIP, resp.StatusCode)
		}
		key = loc.Query().Get("activationKey")
	case resp.StatusCode == http.StatusOK:
		key = strings.TrimSpace(string(body))
	default:
		return "", fmt.Errorf("activation-key answer from %s: HTTP %d", p.InstanceIP, resp.StatusCode)
	}
	if !keyRE.MatchString(key) {
		return "", fmt.Errorf("activation-key answer from %s: HTTP %d without a key (%d bytes)", p.InstanceIP, resp.StatusCode, len(body))
	}
	return key, nil
}

// KeyURL is the activation-key request for the instance of p: a FILE_S3
// gateway in p.Region that talks to Storage Gateway through the VPC
// endpoint p.VPCEndpoint, answering with the key itself (no_redirect).
func KeyURL(p Properties) string {
	q := url.Values{}
	q.Set("activationRegion", p.Region)
	q.Set("gatewayType", GatewayType)
	q.Set("endpointType", "STANDARD")
	q.Set("vpcEndpoint", p.VPCEndpoint)
	return "http://" + p.InstanceIP.String() + "/?" + q.Encode() + "&no_redirect"
}

// delete deletes the gateway of e unless its cache holds unuploaded data.
func (h *Handler) delete(ctx context.Context, e *Event, log *slog.Logger) error {
	arn := e.PhysicalResourceID
	if !IsGatewayARN(arn) {
		// The activation never finished: the id is the instance id.
		instance := arn
		if s, ok := e.ResourceProperties[PropInstanceID].(string); ok && instanceIDRE.MatchString(s) && !instanceIDRE.MatchString(instance) {
			instance = s
		}
		if !instanceIDRE.MatchString(instance) {
			log.Info("the resource names neither a gateway nor an instance: nothing to delete")
			return nil
		}
		gw, err := h.findGateway(ctx, instance)
		if err != nil {
			return err
		}
		if gw == nil {
			log.Info("no gateway was activated on the instance: nothing to delete", "instanceId", instance)
			return nil
		}
		arn = aws.ToString(gw.GatewayARN)
	}
	c, err := h.DescribeCache.DescribeCache(ctx, &storagegateway.DescribeCacheInput{GatewayARN: aws.String(arn)})
	switch {
	case hasCode(err, types.ErrorCodeGatewayNotFound):
		log.Info("gateway already deleted", "gatewayArn", arn)
		return nil
	case hasCode(err, types.ErrorCodeInvalidGateway, types.ErrorCodeGatewayNotConnected):
		return &DirtyCacheError{GatewayARN: arn, DirtyPercent: -1, Cause: err}
	case err != nil:
		return fmt.Errorf("gatewayactivate: DescribeCache of %s: %w", arn, err)
	}
	if c.CacheDirtyPercentage > 0 {
		return &DirtyCacheError{GatewayARN: arn, DirtyPercent: c.CacheDirtyPercentage}
	}
	if _, err := h.DeleteGateway.DeleteGateway(ctx, &storagegateway.DeleteGatewayInput{GatewayARN: aws.String(arn)}); err != nil {
		if hasCode(err, types.ErrorCodeGatewayNotFound) {
			log.Info("gateway already deleted", "gatewayArn", arn)
			return nil
		}
		return fmt.Errorf("gatewayactivate: DeleteGateway %s: %w", arn, err)
	}
	log.Info("gateway deleted; its cache held no unuploaded writes", "gatewayArn", arn)
	return nil
}

// gatewayErrorCode is the Storage Gateway error code in err, or "".
func gatewayErrorCode(err error) types.ErrorCode {
	var ig *types.InvalidGatewayRequestException
	if errors.As(err, &ig) && ig.Error_ != nil {
		return ig.Error_.ErrorCode
	}
	var ie *types.InternalServerError
	if errors.As(err, &ie) && ie.Error_ != nil {
		return ie.Error_.ErrorCode
	}
	return ""
}

func hasCode(err error, codes ...types.ErrorCode) bool {
	if err == nil {
		return false
	}
	got := gatewayErrorCode(err)
	for _, c := range codes {
		if got == c {
			return true
		}
	}
	return false
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	return h.Logger
}

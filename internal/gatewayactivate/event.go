package gatewayactivate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Request types of CloudFormation custom resource events.
const (
	RequestCreate = "Create"
	RequestUpdate = "Update"
	RequestDelete = "Delete"
)

// Resource property names (the custom resource's Properties in the
// template).
const (
	PropInstanceID   = "InstanceId"
	PropInstanceIP   = "InstanceIp"
	PropRegion       = "Region"
	PropGatewayName  = "GatewayName"
	PropTimezone     = "Timezone"
	PropVPCEndpoint  = "VpcEndpoint"
	PropCacheDiskGiB = "CacheDiskGiB"
)

// Limits of the cache disk, in GiB: the smallest cache Storage Gateway
// accepts, and the largest single gp3 EBS volume.
const (
	MinCacheDiskGiB = 150
	MaxCacheDiskGiB = 16384
)

// DefaultTimezone is the gateway's time zone when the event names none.
const DefaultTimezone = "GMT"

// Event is a custom resource event as the CDK Provider framework hands it to
// the user handlers: CloudFormation's request, and for the isComplete
// handler also what onEvent answered (PhysicalResourceId, Data).
type Event struct {
	RequestType           string         `json:"RequestType"`
	RequestID             string         `json:"RequestId"`
	StackID               string         `json:"StackId"`
	LogicalResourceID     string         `json:"LogicalResourceId"`
	PhysicalResourceID    string         `json:"PhysicalResourceId"`
	ResourceType          string         `json:"ResourceType"`
	ResourceProperties    map[string]any `json:"ResourceProperties"`
	OldResourceProperties map[string]any `json:"OldResourceProperties"`
	Data                  map[string]any `json:"Data"`
}

// Properties are the resource properties the handlers act on, checked.
type Properties struct {
	// InstanceID of the EC2 instance that runs the gateway.
	InstanceID string
	// InstanceIP is the instance's private IPv4 address, where the gateway
	// answers the activation-key request on port 80.
	InstanceIP netip.Addr
	// Region the gateway is activated in.
	Region string
	// GatewayName given at activation.
	GatewayName string
	// Timezone of the gateway, "GMT" or "GMT+h:mm"/"GMT-h:mm".
	Timezone string
	// VPCEndpoint is the DNS name of the Storage Gateway interface endpoint
	// the gateway is activated against (private link).
	VPCEndpoint string
	// CacheDiskGiB is the size of the disk to allocate as cache.
	CacheDiskGiB int
}

// EventError is a malformed event: a missing or bad property, or an unknown
// request type. Retrying the same event gives the same error.
type EventError struct {
	Field    string
	Value    string
	Accepted string
}

func (e *EventError) Error() string {
	return fmt.Sprintf("gatewayactivate: bad event: %s is %s; accepted: %s", e.Field, e.Value, e.Accepted)
}

var (
	instanceIDRE = regexp.MustCompile(`^i-[0-9a-f]{8,17}$`)
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	// The ActivateGateway API's pattern: printable ASCII without '/' and
	// '\', not only spaces.
	gatewayNameRE = regexp.MustCompile(`^[ -.0-\[\]-~]*[!-.0-\[\]-~][ -.0-\[\]-~]*$`)
	timezoneRE    = regexp.MustCompile(`^GMT([+-](1[0-2]|[0-9]):(00|30|45))?$`)
	dnsNameRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)
	gatewayARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:storagegateway:[a-z0-9-]+:[0-9]{12}:gateway/sgw-[0-9A-Fa-f]{8}$`)
)

// ParseEvent decodes a custom resource event and checks its request type.
// It never panics, whatever the input.
func ParseEvent(raw []byte) (*Event, error) {
	var e Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, &EventError{Field: "event", Value: "not a JSON object (" + err.Error() + ")", Accepted: "a CloudFormation custom resource event"}
	}
	switch e.RequestType {
	case RequestCreate, RequestUpdate, RequestDelete:
	default:
		return nil, &EventError{Field: "RequestType", Value: strconv.Quote(e.RequestType), Accepted: `"Create", "Update" or "Delete"`}
	}
	if e.RequestType != RequestCreate && e.PhysicalResourceID == "" {
		return nil, &EventError{Field: "PhysicalResourceId", Value: `""`, Accepted: "the id CloudFormation holds for the resource (every " + e.RequestType + " event carries one)"}
	}
	return &e, nil
}

// Properties checks and returns the event's ResourceProperties.
func (e *Event) Properties() (Properties, error) {
	return parseProperties(e.ResourceProperties, "ResourceProperties")
}

// OldInstanceID returns the InstanceId of OldResourceProperties (Update
// events), "" when absent.
func (e *Event) OldInstanceID() string {
	s, _ := e.OldResourceProperties[PropInstanceID].(string)
	return s
}

func parseProperties(m map[string]any, where string) (Properties, error) {
	var p Properties
	var errs []error
	bad := func(name string, v any, accepted string) {
		errs = append(errs, &EventError{Field: where + "." + name, Value: show(v), Accepted: accepted})
	}
	// need returns the string property name when it is present, a string
	// and valid; otherwise it records what is wrong.
	need := func(name string, valid func(string) bool, accepted string) (string, bool) {
		v, present := m[name]
		s, isStr := v.(string)
		if !present || !isStr || !valid(s) {
			bad(name, v, accepted)
			return "", false
		}
		return s, true
	}
	p.InstanceID, _ = need(PropInstanceID, instanceIDRE.MatchString, `an EC2 instance id such as "i-0123456789abcdef0"`)
	if s, ok := need(PropInstanceIP, func(s string) bool { a, err := netip.ParseAddr(s); return err == nil && a.Is4() },
		`the instance's private IPv4 address, such as "10.40.1.23"`); ok {
		p.InstanceIP = netip.MustParseAddr(s)
	}
	p.Region, _ = need(PropRegion, regionRE.MatchString, `an AWS Region such as "eu-west-1"`)
	p.GatewayName, _ = need(PropGatewayName, func(s string) bool { return len(s) >= 2 && len(s) <= 255 && gatewayNameRE.MatchString(s) },
		"2 to 255 printable ASCII characters without '/' and '\\'")
	p.Timezone = DefaultTimezone
	if v, ok := m[PropTimezone]; ok && v != "" {
		if s, ok := need(PropTimezone, timezoneRE.MatchString, `"GMT", or "GMT+h:mm"/"GMT-h:mm" with h up to 12, such as "GMT+1:00"`); ok {
			p.Timezone = s
		}
	}
	if dns, err := vpcEndpoint(m[PropVPCEndpoint]); err != "" {
		bad(PropVPCEndpoint, m[PropVPCEndpoint], err)
	} else {
		p.VPCEndpoint = dns
	}
	// CloudFormation hands numbers to custom resources as strings.
	accepted := fmt.Sprintf("a whole number of GiB from %d to %d", MinCacheDiskGiB, MaxCacheDiskGiB)
	switch v := m[PropCacheDiskGiB].(type) {
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < MinCacheDiskGiB || n > MaxCacheDiskGiB {
			bad(PropCacheDiskGiB, v, accepted)
		} else {
			p.CacheDiskGiB = n
		}
	case float64:
		if v != math.Trunc(v) || v < MinCacheDiskGiB || v > MaxCacheDiskGiB {
			bad(PropCacheDiskGiB, v, accepted)
		} else {
			p.CacheDiskGiB = int(v)
		}
	default:
		bad(PropCacheDiskGiB, v, accepted)
	}
	return p, errors.Join(errs...)
}

// vpcEndpoint returns the endpoint's regional DNS name from v: a DNS name,
// or the endpoint's DnsEntries ("hostedZoneId:dnsName" items: the regional
// name and one per zone, whose names are longer by the zone's suffix), of
// which it takes the shortest name. It returns what is accepted when v is
// neither.
func vpcEndpoint(v any) (string, string) {
	const accepted = `the Storage Gateway interface endpoint's DNS name, such as "vpce-0123456789abcdef0-abcd1234.storagegateway.eu-west-1.vpce.amazonaws.com", ` +
		`or its DnsEntries ("hostedZoneId:dnsName" items)`
	valid := func(s string) bool { return len(s) <= 253 && dnsNameRE.MatchString(s) }
	switch x := v.(type) {
	case string:
		if valid(x) {
			return x, ""
		}
	case []any:
		best := ""
		for _, item := range x {
			s, ok := item.(string)
			if !ok {
				return "", accepted
			}
			_, name, found := strings.Cut(s, ":")
			if !found || !valid(name) {
				return "", accepted
			}
			if best == "" || len(name) < len(best) || (len(name) == len(best) && name < best) {
				best = name
			}
		}
		if best != "" {
			return best, ""
		}
	}
	return "", accepted
}

// show renders a property value for an error message: missing, or the
// value quoted and cut to 80 characters.
func show(v any) string {
	if v == nil {
		return "missing"
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprintf("a %T", x)
		}
		s = string(b)
	}
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strconv.Quote(s)
}

// IsGatewayARN reports whether s is a Storage Gateway gateway ARN.
func IsGatewayARN(s string) bool { return gatewayARNRE.MatchString(s) }

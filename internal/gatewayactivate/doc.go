// Package gatewayactivate activates an S3 File Gateway that runs on an EC2
// instance and gives it its cache disk, as the two user handlers of a
// CloudFormation custom resource (Custom::FileGatewayActivation) built
// with the CDK custom-resource Provider framework.
//
// # Why the Provider framework
//
// Activation waits for the instance to boot the gateway software and
// answer on port 80, then for the activated gateway to connect before its
// disks can be listed: minutes, sometimes more than a Lambda invocation's
// 15-minute limit. The raw CloudFormation protocol would need a handler
// that re-invokes itself and answers the pre-signed response URL itself;
// the Provider framework already does both (its isComplete waiter is a
// Step Functions state machine that polls at an interval, up to a total
// timeout of about an hour, and reports a timeout as a failure), so the
// handlers here only decide, once per poll, whether the work is done.
// The framework's own functions stay out of the VPC; only these handlers
// run in it, since only they must reach the gateway instance.
//
// # The handlers
//
// OnEvent answers at once:
//
//   - Create: checks the properties and returns the instance id as a
//     provisional physical id; IsComplete does the work.
//   - Update: the same instance keeps its gateway and id. A new instance
//     (the instance was replaced) is activated like a Create, under a new
//     physical id, so CloudFormation then deletes the old gateway.
//   - Delete: finds the gateway (by ARN, or by instance id when the
//     activation never finished), refuses with DirtyCacheError when
//     DescribeCache reports CacheDirtyPercentage > 0 (the cache holds
//     writes not yet uploaded to S3, which deleting would lose) or when the
//     cache cannot be read (the gateway is offline), and otherwise calls
//     DeleteGateway. A gateway that no longer exists is success.
//
// IsComplete, polled by the framework, for a Create (or an Update to a new
// instance):
//
//  1. Looks for a gateway already activated on the instance (ListGateways,
//     matched by Ec2InstanceId); a retry after a lost answer reuses it.
//  2. Otherwise asks the instance for an activation key: GET
//     http://IP/?activationRegion=R&gatewayType=FILE_S3&endpointType=STANDARD&vpcEndpoint=DNS&no_redirect
//     with a short timeout, where DNS is the endpoint's regional DNS name
//     (the VpcEndpoint property: the name, or the endpoint's DnsEntries, of
//     which the handler takes the regional, shortest name). An instance
//     that does not answer yet means "not complete"; the framework asks
//     again after its query interval. Naming the VPC endpoint makes the
//     gateway talk to Storage Gateway over private link.
//  3. ActivateGateway (FILE_S3, the name, time zone and Region). A
//     rejected key (expired, or already used by an activation whose answer
//     was lost) means "not complete": the next poll finds the gateway or
//     fetches a new key.
//  4. ListLocalDisks (a gateway that has not connected yet means "not
//     complete"); when a disk is already allocated to the cache the work is
//     done. Otherwise it picks the free disk whose size is exactly the
//     requested cache size (the root disk is 80 GiB and the cache at least
//     150 GiB, so size alone tells them apart; of equal disks the lowest
//     DiskId), and calls AddCache.
//  5. Returns IsComplete with the gateway ARN as physical id and as the
//     attribute GatewayARN.
//
// Every step is idempotent: each poll starts again from what the service
// reports, so a repeated or late event does no harm. Bad events (missing
// or malformed properties, an unknown request type) fail with EventError,
// naming the field and what is accepted, and never panic. The activation
// key is a secret: it is never logged and never part of an error or a
// response.
package gatewayactivate

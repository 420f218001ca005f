// Package transfer provides biolake's AWS Transfer Family server for partner
// CROs, step 4 of the AWS reference architecture "Life Sciences Data
// Collection, Storage, and Processing": partners upload over SFTP (and FTPS
// when a certificate is configured; never plain FTP) into a home of their
// own under the partner bucket's quarantine/ prefix.
//
//	srv := transfer.New(stack, "PartnerTransfer", &transfer.Props{
//		Network: net,
//		Lake:    lake,
//		Partners: []transfer.Partner{{
//			Name:                 "acme-cro",
//			CIDRs:                []string{"203.0.113.0/24"},
//			PublicKeys:           []string{"ssh-ed25519 AAAAC3Nza... sftp@acme"},
//			CreatePasswordSecret: true,
//		}},
//	})
//
// # Endpoint
//
// The server is a Transfer Family "VPC" endpoint in the network's VPC. Its
// security group lets in each partner CIDR on the enabled protocols' ports
// (22 for SFTP; 21 and 8192-8200 for FTPS) and nothing else.
//
//   - EndpointVPC (the default) puts it in the private subnets. It is
//     internal: in the isolated network profile there is no internet path at
//     all, so partners reach the endpoint over a site-to-site VPN or Direct
//     Connect into the VPC (constructs/network), from the CIDRs they are
//     given.
//   - EndpointPublicVPC puts it in the public subnets of a network with
//     profile nat, with one Elastic IP per subnet (kept when the stack is
//     deleted, since partners allow-list them), still behind the security
//     group.
//
// The security policy is pinned (DefaultSecurityPolicy,
// TransferSecurityPolicy-2024-01) rather than left to CloudFormation, which
// would pick the 2018-11 policy. The server logs in structured JSON to a
// KMS-encrypted log group (StructuredLogDestinations). SETSTAT calls that S3
// cannot honour are ignored (ENABLE_NO_OP) so clients that set file times do
// not fail.
//
// # Identity provider
//
// A Go Lambda function (lambdas/transferidp, logic in internal/idp; arm64,
// provided.al2023, in the private subnets, reserved concurrency, invocable
// only by transfer.amazonaws.com for this server's ARN) authenticates each
// login. The username is the partner's name. It checks the source address
// against the partner's CIDRs, then a password against the partner's hash in
// Secrets Manager (argon2id or bcrypt, constant-time, with the same work for
// unknown users) or, over SFTP with no password, hands Transfer Family the
// partner's public keys to check the client's key against. An empty password
// over FTPS is refused. Partners reach the function as the PARTNERS
// environment variable (names, CIDRs, public keys without comments, secret
// ARNs: nothing secret), which Lambda limits to 4 KB, so Validate counts it.
// In the isolated profile the function reaches Secrets Manager and Systems
// Manager through the network's secretsmanager and ssm interface endpoints
// (Validate refuses an isolated network without the ssm endpoint).
//
// The function serves one server and refuses requests whose serverId is
// another's, beside the resource policy that lets only that server invoke
// it. It cannot be told the id in its environment: the server names the
// function, and Transfer Family wants the function to exist first, so the
// id would be a dependency cycle. The construct therefore writes the id
// into a Systems Manager parameter (ServerIDParameter) that CloudFormation
// creates after the server, under a name fixed at synth
// (/biolake/transfer/<unique id of the construct>/server-id), and the
// function reads it (cached for a minute; refused logins until it exists,
// for a moment during the first deployment). It also refuses a request
// whose JSON repeats a key or spells a known key in another case (Go's
// decoder would let the last spelling win, so a trailing "SOURCEIP" or a
// second "password": "" could change the answer).
//
// An accepted partner gets the server's access role, narrowed by a session
// policy to its home, and a LOGICAL home directory: "/" is
// /<partner bucket>/quarantine/<partner>. The session may list its home
// (s3:prefix quarantine/<partner>/*), PutObject and GetObject (resumed
// uploads read back) and use the bucket key through S3. There is no
// DeleteObject, on purpose: data must never be lost, so a partner can
// neither delete nor rename (an SFTP rename is a copy and a delete) what it
// uploaded, and an overwrite leaves the earlier version in the versioned
// bucket. Partners should turn off "upload to a temporary name, then rename"
// in their clients (WinSCP calls it "transfer to temporary filename").
// Multipart uploads a client abandons are cleaned up by the bucket's
// lifecycle rule, since the session cannot abort them either.
//
// # Setting a partner's password
//
// With CreatePasswordSecret the construct creates the partner's secret
// empty (no value in the template, ever), encrypted with a key of its own
// (or Props.PasswordSecretKey, a key you supply; Props.LogKey likewise
// replaces the log groups' key) and tagged biolake:partner=<name>; with PasswordSecretArn it uses an
// existing secret. Until the secret holds a hash, the partner's password
// logins fail. An operator hashes the password the partner chose and puts
// the hash (never the password) in the secret:
//
//	go run github.com/biolake/biolake/cmd/biolake-passwd > acme.hash    # asks twice, no echo
//	aws secretsmanager put-secret-value --secret-id "$SECRET_ARN" --secret-string file://acme.hash
//	rm acme.hash
//
// The secret's ARN is in Server.PartnerSecrets, or found with
// `aws secretsmanager list-secrets --filters Key=tag-key,Values=biolake:partner`.
// biolake-passwd prints argon2id (m=19 MiB, t=2, p=1) by default and bcrypt
// (cost 10) with -bcrypt; a hash made elsewhere is accepted when it is
// argon2id v19 with at least m*t >= 35840 KiB (m >= 7 MiB) or bcrypt with cost
// 10 to 14. The identity provider reads the hash at login and keeps it for 60
// seconds, so a new password works within a minute. Secrets are not rotated
// automatically: rotating a password hash needs the partner's new password.
//
// # After an upload
//
// The server runs a managed workflow on every completed upload: a TAG step
// adds biolake:channel=transfer and biolake:state=quarantine to the object
// (merging with tags it already has). A workflow's tag values are fixed
// strings (no variable such as the username can be used in them), so the
// partner is not a tag: it is the first path segment under quarantine/. If
// a step fails, the exception step tags biolake:state=workflow-failed. The
// workflow's execution role may only read and write object tags under
// quarantine/.
//
// The workflow does not announce the upload. The partner bucket sends its S3
// events to EventBridge, and the event glue's ingest handler
// (constructs/eventglue, with the RunRule for the partner bucket's
// quarantine/ prefix with Partnered and channel "transfer") records each
// object in the catalog and emits the platform's DatasetReceived event for
// the first object of quarantine/<partner>/<dataset>/, then RunCompleted and,
// after verification, RunIngested. So the flow is: partner upload -> object
// in quarantine/<partner>/ -> (workflow: tags) and, independently, S3 event
// -> EventBridge -> ingest -> DatasetReceived (channel transfer) -> verify ->
// accepted/. Emitting the event from the workflow as well would announce
// every dataset twice.
//
// Tags and the ingest handler: the workflow's TAG step merges with the
// object's tags, but the ingest handler writes biolake:data-class with a
// PutObjectTagging that replaces the whole tag set. The two run at about the
// same time after an upload; when ingest runs second, the workflow's tags are
// gone (the data class stays, and the channel and partner are also in the
// catalog record and the key). Nothing downstream reads the workflow's tags
// today.
//
// # Metrics
//
// MetricAuthenticationFailures counts refused logins: AWS/Transfer has no
// such metric, so a metric filter on the server's structured log counts its
// AUTH_FAILURE entries into biolake/Transfer AuthenticationFailures.
// MetricIdentityProviderErrors and MetricIdentityProviderThrottles are the
// identity provider's AWS/Lambda Errors and Throttles. See docs/METRICS.md.
package transfer

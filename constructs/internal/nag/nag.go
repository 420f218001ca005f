// Package nag holds the cdk-nag helpers shared by biolake's constructs: the
// rule packs every Stage runs, and suppressions that always carry a reason.
// Every suppression in the app is listed in test/testdata/nag-suppressions.golden
// so that a new one shows up in review.
package nag

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Packs lists the rule packs biolake is held to.
var Packs = []string{"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5"}

// Apply adds the three rule packs to scope (an App or a Stage) as aspects.
// Aspects added to an App do not reach the stacks of a Stage inside it, so
// each Stage must call Apply itself.
func Apply(scope constructs.IConstruct) {
	props := &cdknag.NagPackProps{Reports: jsii.Bool(true), Verbose: jsii.Bool(false)}
	aspects := awscdk.Aspects_Of(scope)
	aspects.Add(cdknag.NewAwsSolutionsChecks(props), nil)
	aspects.Add(cdknag.NewHIPAASecurityChecks(props), nil)
	aspects.Add(cdknag.NewNIST80053R5Checks(props), nil)
}

// Rule is one suppressed rule with the reason it does not apply, and
// optionally the findings it is limited to (for example
// "Action::s3:GetObject*" or "Resource::<Bucket.Arn>/*").
type Rule struct {
	ID        string
	Reason    string
	AppliesTo []string
	// AppliesToRegex limits the suppression to findings that match these
	// ECMA-262 regular expressions, written as literals with slashes, for
	// example `/^Resource::<.+\.Arn>\/\*$/` (useful where a finding names
	// a logical id that depends on the stack).
	AppliesToRegex []string
}

// Suppress suppresses rules on c and its children. A reason shorter than 20
// characters is a programming error: every exception must be explained.
func Suppress(c constructs.IConstruct, rules ...Rule) {
	list := suppressions(c, rules)
	cdknag.NagSuppressions_AddResourceSuppressions(c, &list, jsii.Bool(true))
}

// SuppressDeferred is Suppress for the resources under c at synth time,
// not at the time of the call: grants made after it (which add a role's
// DefaultPolicy) are covered too. An aspect of mutating priority, which runs
// before the rule packs, adds the suppressions to each CloudFormation
// resource under c.
func SuppressDeferred(c constructs.IConstruct, rules ...Rule) {
	list := suppressions(c, rules)
	awscdk.Aspects_Of(c).Add(&deferred{rules: list}, &awscdk.AspectOptions{Priority: awscdk.AspectPriority_MUTATING()})
}

type deferred struct {
	rules []*cdknag.NagPackSuppression
}

// Visit implements awscdk.IAspect.
func (d *deferred) Visit(node constructs.IConstruct) {
	if *awscdk.CfnResource_IsCfnResource(node) {
		cdknag.NagSuppressions_AddResourceSuppressions(node, &d.rules, jsii.Bool(false))
	}
}

func suppressions(c constructs.IConstruct, rules []Rule) []*cdknag.NagPackSuppression {
	list := make([]*cdknag.NagPackSuppression, 0, len(rules))
	for _, r := range rules {
		if len(r.Reason) < 20 {
			panic(fmt.Sprintf("nag: suppression of %s on %s needs a real reason, got %q", r.ID, *c.Node().Path(), r.Reason))
		}
		s := &cdknag.NagPackSuppression{Id: jsii.String(r.ID), Reason: jsii.String(r.Reason)}
		if len(r.AppliesTo)+len(r.AppliesToRegex) > 0 {
			at := make([]interface{}, 0, len(r.AppliesTo)+len(r.AppliesToRegex))
			for _, a := range r.AppliesTo {
				at = append(at, a)
			}
			for _, re := range r.AppliesToRegex {
				at = append(at, &cdknag.RegexAppliesTo{Regex: jsii.String(re)})
			}
			s.AppliesTo = &at
		}
		list = append(list, s)
	}
	return list
}

// InAllPacks returns the same reason for a rule that exists under one name in
// each pack, for example InAllPacks(reason, "AwsSolutions-S1",
// "HIPAA.Security-S3BucketLoggingEnabled", "NIST.800.53.R5-S3BucketLoggingEnabled").
func InAllPacks(reason string, ids ...string) []Rule {
	out := make([]Rule, len(ids))
	for i, id := range ids {
		out[i] = Rule{ID: id, Reason: reason}
	}
	return out
}

// Fragments of AppliesToRegex patterns for ARNs that CDK renders with
// tokens in an environment-agnostic stack (<AWS::Partition>, ...) and with
// literal values in a stack with an account and region.
const (
	ArnScope     = `(<AWS::Partition>|aws[a-z-]*)`
	RegionScope  = `(<AWS::Region>|[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9])`
	AccountScope = `(<AWS::AccountId>|[0-9]{12})`
)

// VPCLambdaManagedPolicies is the AwsSolutions-IAM4 suppression every Go
// handler in a VPC needs: CDK attaches the AWS managed policies Lambda
// documents for it.
var VPCLambdaManagedPolicies = Rule{
	ID: "AwsSolutions-IAM4",
	Reason: "The AWS managed policies Lambda documents for an execution role in a VPC: write the function's own logs, " +
		"and create and delete its network interfaces (EC2 offers no resource-level scoping for those calls).",
	AppliesTo: []string{
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
	},
}

// ImportedObjectsRegex are the forms cdk-nag gives object ARNs under a
// prefix of an imported bucket (awss3.Bucket_FromBucketAttributes, or
// FromBucketName): a literal ARN, or one with the partition as a token.
// Append them to an AwsSolutions-IAM5 reason that covers a lake's own
// buckets, so the same reason covers buckets users bring.
var ImportedObjectsRegex = []string{`/^Resource::arn:(aws|aws-cn|aws-us-gov|<AWS::Partition>):s3:::[a-z0-9][a-z0-9.-]*\/.*\*$/`}

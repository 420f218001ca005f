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
}

// Suppress suppresses rules on c and its children. A reason shorter than 20
// characters is a programming error: every exception must be explained.
func Suppress(c constructs.IConstruct, rules ...Rule) {
	list := make([]*cdknag.NagPackSuppression, 0, len(rules))
	for _, r := range rules {
		if len(r.Reason) < 20 {
			panic(fmt.Sprintf("nag: suppression of %s on %s needs a real reason, got %q", r.ID, *c.Node().Path(), r.Reason))
		}
		s := &cdknag.NagPackSuppression{Id: jsii.String(r.ID), Reason: jsii.String(r.Reason)}
		if len(r.AppliesTo) > 0 {
			at := make([]interface{}, len(r.AppliesTo))
			for i, a := range r.AppliesTo {
				at[i] = a
			}
			s.AppliesTo = &at
		}
		list = append(list, s)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &list, jsii.Bool(true))
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

// Package compliance applies the cdk-nag rule packs biolake is held to
// (AwsSolutions, HIPAA Security, NIST 800-53 rev 5) to an App or a Stage.
// Apps that import single biolake constructs use it to hold their own stacks
// to the same rules. The suppressions biolake's constructs carry travel with
// them, each with its reason.
package compliance

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/biolake/biolake/constructs/internal/nag"
)

// Packs lists the rule packs by the prefix of their rule ids.
func Packs() []string { return append([]string(nil), nag.Packs...) }

// Apply adds the rule packs to scope as aspects, with CSV reports written to
// the cloud assembly. Aspects do not cross into a Stage: call Apply on each
// Stage, not only on the App.
func Apply(scope constructs.IConstruct) { nag.Apply(scope) }

// Rule is one suppressed cdk-nag rule with the reason it does not apply,
// optionally limited to some findings (see the AppliesTo fields).
type Rule = nag.Rule

// Suppress suppresses rules on c and its children. Every rule needs a
// reason of 20 characters or more: an unexplained exception panics.
func Suppress(c constructs.IConstruct, rules ...Rule) { nag.Suppress(c, rules...) }

// SuppressDeferred is Suppress for the resources under c when the app is
// synthesized, so that resources created after the call (a role's default
// policy, or the resources a construct builds late, such as a CDK
// Pipelines pipeline) are covered too.
func SuppressDeferred(c constructs.IConstruct, rules ...Rule) { nag.SuppressDeferred(c, rules...) }

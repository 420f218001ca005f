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

// Command labplatform is a CDK app of a lab's own that composes biolake's
// constructs instead of deploying the whole biolake platform: a network, a
// data lake, an SFTP server for one partner CRO, an AWS Batch queue and a
// one-step workflow, in one stack. It is built and synthesized with cdk-nag
// in biolake's CI, so the constructs keep working for apps like it.
//
//	npx cdk synth      # in this directory; needs Go (handlers are built at synth)
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/compliance"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	build(app)
	app.Synth(nil)
}

// build adds the app's stacks and holds them to biolake's cdk-nag packs.
func build(app awscdk.App) {
	NewLabStack(app, "LabPlatform", nil)
	NewLabOnExistingStack(app, "LabOnExisting", ExampleExisting, nil)
	compliance.Apply(app)
}

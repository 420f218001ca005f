// Command emptyapp is the floor for synth timings in scripts/bench.sh: a CDK
// Go app with one empty stack, run through the same CLI as biolake.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	awscdk.NewStack(app, jsii.String("Empty"), nil)
	app.Synth(nil)
}

package compliance_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/constructs/compliance"
)

// An app that imports biolake constructs holds each of its Stages to the
// same rule packs.
func Example() {
	app := awscdk.NewApp(nil)
	stage := awscdk.NewStage(app, jsii.String("lab"), nil)
	compliance.Apply(stage)
	fmt.Println(compliance.Packs())
	// Output: [AwsSolutions HIPAA.Security NIST.800.53.R5]
}

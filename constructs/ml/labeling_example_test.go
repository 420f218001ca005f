package ml_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/constructs/secure"
)

// A Cognito workforce for a lab's pathologists, its portal open to the
// lab's network only, and a scientist's role that may start labeling
// jobs for its team.
func ExampleNewLabeling() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{secure.LogBucketPolicyFlag: true}})
	stack := awscdk.NewStack(app, jsii.String("Lab"), nil)
	lake := datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true, LabelingPortalCORS: true})

	l := ml.NewLabeling(stack, "Labeling", &ml.LabelingProps{
		Lake:        lake, // any datalake.ILake with a results bucket
		Type:        ml.WorkforceCognito,
		Teams:       []ml.Team{{Name: "histology", Groups: []string{"pathologists"}}},
		SourceCIDRs: []string{"192.0.2.0/24"},
	})
	scientist := awsiam.NewRole(stack, jsii.String("Scientist"), &awsiam.RoleProps{AssumedBy: awsiam.NewAccountRootPrincipal()})
	l.GrantStartLabelingJob(scientist)

	fmt.Println(l.WorkforceName(), l.TeamNames())
	fmt.Println(l.InputPrefix(), l.OutputPrefix())
	// Output:
	// Lab-Labeling [histology]
	// ml/labeling/input/ ml/labeling/output/
}

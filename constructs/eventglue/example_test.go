package eventglue_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/eventglue"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
)

// The event glue of an app of your own: it needs a network and a data lake,
// and says where runs land. Without VerifierImage the Batch verifier's image
// is built at deploy time from docker/verify/Dockerfile; here it comes from
// a repository your CI pushes to.
func Example() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{
		secure.LogBucketPolicyFlag: true,
		// Only for this example: skip compiling the Go handlers. A real app
		// leaves this out and gets them built at synth.
		"biolake:stubLambdaAssets": true,
	}})
	stack := awscdk.NewStack(app, jsii.String("Genomics"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", nil)

	glue := eventglue.New(stack, "EventGlue", &eventglue.Props{
		Lake:    lake,
		Network: net,
		RunRules: []eventglue.RunRule{
			{Bucket: datalake.BucketRaw, Prefix: "runs/", Profile: "novaseq-x", Manifest: "manifest.sha256", Channel: eventglue.ChannelDataSync},
			{Bucket: datalake.BucketPartner, Prefix: datalake.PartnerQuarantinePrefix, Profile: "generic", Manifest: "manifest.sha256", Channel: eventglue.ChannelTransfer, Partnered: true},
		},
		DeletionProtection: true,
		AlarmEmail:         "genomics-ops@example.org",
		VerifierImage: awsecs.ContainerImage_FromEcrRepository(
			awsecr.Repository_FromRepositoryName(stack, jsii.String("VerifierRepo"), jsii.String("biolake-verify")), jsii.String("1.0.0")),
	})

	// A workflow's state machine role may invoke the restore handler.
	// glue.GrantRestore(workflow.Role())
	fmt.Println(len(glue.Alarms), "alarms notify", *glue.AlarmTopic.Node().Id())
	fmt.Println("verify starts on", eventglue.SourceIngest, eventglue.DetailTypeRunCompleted)
	// Output:
	// 7 alarms notify AlarmTopic
	// verify starts on biolake.ingest RunCompleted
}

// Validate checks props before anything is built: the config layer calls it
// when it loads an environment.
func ExampleProps_Validate() {
	p := &eventglue.Props{
		Lake:    &datalake.DataLake{},
		Network: &network.Network{},
		RunRules: []eventglue.RunRule{
			{Bucket: datalake.BucketRaw, Prefix: "runs/", Profile: "novaseq-x", Channel: eventglue.ChannelDataSync},
			{Bucket: datalake.BucketRaw, Prefix: "runs/miseq/", Profile: "miseq", Channel: eventglue.ChannelDataSync},
		},
	}
	fmt.Println(p.Validate())
	// Output: Props.RunRules[1].Prefix is "runs/miseq/"; accepted: a prefix that does not overlap RunRules[0]'s "runs/" in bucket raw (a key would belong to two run folders)
}

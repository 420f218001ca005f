package datasync_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/datasync"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
)

// Example syncs a NovaSeq X share over NFS and a MiSeq share over SMB into
// the raw bucket, with an agent activated at deploy time over private link.
func Example() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{secure.LogBucketPolicyFlag: true}})
	stack := awscdk.NewStack(app, jsii.String("Ingest"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", nil)

	ds := datasync.New(stack, "DataSync", &datasync.Props{
		Network:       net,
		Lake:          lake,
		ActivationKey: datasync.ActivationKeyParameter,
		AgentCIDR:     "192.168.10.0/24",
		Sources: []datasync.Source{
			{
				Name: "novaseq1", Protocol: datasync.NFS, Server: "nas01.lab.example.com", Subdirectory: "/novaseq1/output",
				Profile: "novaseq-x", Subfolder: "novaseq1", Schedule: "cron(0 * * * ? *)", Exclude: "*.tmp",
			},
			{
				Name: "miseq", Protocol: datasync.SMB, Server: "fs01.lab.example.com", Subdirectory: "/MiSeqOutput",
				User: "svc-datasync", Domain: "LAB", Profile: "miseq", Subfolder: "miseq",
				PasswordSecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:lab/miseq-AbCdEf",
			},
		},
	})
	for _, r := range ds.RunRules() {
		fmt.Println(r.Bucket, r.Prefix, r.Profile, r.Channel)
	}
	// Output:
	// raw runs/novaseq1/ novaseq-x datasync
	// raw runs/miseq/ miseq datasync
}

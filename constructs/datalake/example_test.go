package datalake_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/secure"
)

// A data lake for an app of your own, in one call: nil props give the
// secure default (Object Lock GOVERNANCE for 30 days on raw,
// DefaultTiering, daily and continuous backups kept 35 days, no
// replication). Grants are per bucket and prefix and include the key.
func Example() {
	// biolake's buckets disable ACLs, so access logs need CDK's bucket-policy
	// delivery (one of CDK's recommended feature flags).
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{secure.LogBucketPolicyFlag: true}})
	stack := awscdk.NewStack(app, jsii.String("Genomics"), nil)

	lake := datalake.New(stack, "DataLake", nil)

	pipeline := awsiam.NewRole(stack, jsii.String("Pipeline"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("batch.amazonaws.com"), nil),
	})
	lake.GrantRead(pipeline, datalake.BucketRaw, "runs/")
	lake.GrantWrite(pipeline, datalake.BucketResults, "rnaseq/")

	raw := lake.Tiering(datalake.BucketRaw)
	fmt.Println(len(lake.DataBuckets()), "data buckets")
	fmt.Println("raw rule", raw.Rules[0].ID, "->", raw.Rules[0].Transitions[0].StorageClass, "after", raw.Rules[0].Transitions[0].Days, "days")
	// Output:
	// 5 data buckets
	// raw rule bcl -> DEEP_ARCHIVE after 30 days
}

// The ingest handler tags each object with its data class, which the
// lifecycle rules select.
func ExampleClassOf() {
	for _, key := range []string{"runs/r1/Data/Intensities/BaseCalls/L001/0001.cbcl", "fastq/S1_R1_001.fastq.gz", "runs/r1/RunInfo.xml"} {
		class, ok := datalake.ClassOf(key, nil)
		fmt.Printf("%s: %q %v\n", key, class, ok)
	}
	// Output:
	// runs/r1/Data/Intensities/BaseCalls/L001/0001.cbcl: "bcl" true
	// fastq/S1_R1_001.fastq.gz: "fastq" true
	// runs/r1/RunInfo.xml: "" false
}

// Validate checks props, the tiering policy included, without building
// anything: the config layer calls it when it loads an environment.
func ExampleProps_Validate() {
	p := &datalake.Props{Tiering: datalake.Tiering{
		datalake.BucketResults: {Rules: []datalake.Rule{{
			ID:        "bam",
			DataClass: datalake.ClassAlignment,
			Transitions: []datalake.Transition{
				{StorageClass: datalake.StandardIA, Days: 14},
			},
		}}},
	}}
	fmt.Println(p.Validate())
	// Output: tiering.results.rules[0].transitions[0].days is 14: below S3's minimum for STANDARD_IA: objects must be at least 30 days old (or noncurrent) before they move to it; use 30 or more
}

// Cross-region replication of raw: the replica lives in a stack of the
// replica region; both stacks name their account and region.
func ExampleNewReplica() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{secure.LogBucketPolicyFlag: true}})
	env := func(region string) *awscdk.StackProps {
		return &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String(region)}}
	}
	replica := datalake.NewReplica(awscdk.NewStack(app, jsii.String("Replica"), env("eu-central-1")), "RawReplica", &datalake.ReplicaProps{
		ObjectLockMode: secure.LockCompliance, ObjectLockDays: 2557,
	})
	datalake.New(awscdk.NewStack(app, jsii.String("DataLake"), env("eu-west-1")), "DataLake", &datalake.Props{
		ObjectLockMode: secure.LockCompliance,
		ObjectLockDays: 2557,
		Replication:    &datalake.Replication{Region: "eu-central-1", Replica: replica},
	})
	fmt.Println(replica.Region, replica.KeyAliasName)
	// Output: eu-central-1 alias/biolake/Replica-RawReplica-299DF2C4
}

// Existing buckets as the lake: each with the key that encrypts it. Grants
// are as narrow as on a lake New creates; a construct that needs a bucket
// not given stops the synth, naming it.
func ExampleFromBuckets() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Lab"), nil)
	key := awskms.Key_FromKeyArn(stack, jsii.String("DataKey"), jsii.String("arn:aws:kms:eu-west-1:111122223333:key/0f0f0f0f-1111-2222-3333-444455556666"))
	raw := awss3.Bucket_FromBucketAttributes(stack, jsii.String("Raw"), &awss3.BucketAttributes{
		BucketArn: jsii.String("arn:aws:s3:::lab-raw"), EncryptionKey: key,
	})

	lake := datalake.FromBuckets(stack, "Lake", &datalake.FromBucketsProps{
		Buckets: map[datalake.BucketName]datalake.BucketRef{datalake.BucketRaw: {Bucket: raw, Key: key}},
	})
	pipeline := awsiam.NewRole(stack, jsii.String("Pipeline"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("batch.amazonaws.com"), nil),
	})
	lake.GrantRead(pipeline, datalake.BucketRaw, "runs/")

	fmt.Println(lake.Has(datalake.BucketRaw), lake.Has(datalake.BucketResults))
	fmt.Println(datalake.RequireBuckets("Lab/Lustre", "Props.Lake", lake, datalake.BucketResults))
	// Output:
	// true false
	// Lab/Lustre: Props.Lake is "Lab/Lake": the lake has no "results" bucket, which this construct uses; accepted: a lake with the "results" bucket (datalake.FromBucketsProps.Buckets["results"])
}

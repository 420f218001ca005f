package secure_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/constructs/secure"
)

// An app of your own gets biolake's secure defaults for a bucket of its own:
// a customer-managed key, server access logs, TLS only, versioned, retained.
func Example() {
	// biolake's buckets disable ACLs, so access logs need CDK's bucket-policy
	// delivery (one of CDK's recommended feature flags).
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{secure.LogBucketPolicyFlag: true}})
	stack := awscdk.NewStack(app, jsii.String("Lab"), nil)
	key := secure.NewKey(stack, "LabKey", &secure.KeyProps{Description: "lab notebooks"})
	logs := secure.NewLogBucket(stack, "AccessLogs", nil)
	secure.NewBucket(stack, "Notebooks", &secure.BucketProps{
		EncryptionKey:     key,
		AccessLogs:        logs,
		ReplicationReason: "notebooks are also kept in the lab's ELN; one region is enough",
	})
	fmt.Println(len(*stack.Node().Children()), "constructs")
	// Output: 3 constructs
}

package transfer_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/transfer"
)

// An SFTP server for two CROs in an app of your own: it needs a network and
// a data lake. In the isolated network the endpoint is VPC-internal and the
// partners come in over a site-to-site VPN from the CIDRs given. After the
// deploy, an operator puts acme's password hash into the secret the
// construct created (see the package doc and cmd/biolake-passwd).
func Example() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{
		secure.LogBucketPolicyFlag: true,
		// Only for this example: skip compiling the identity provider. A
		// real app leaves this out and gets it built at synth.
		"biolake:stubLambdaAssets": true,
	}})
	stack := awscdk.NewStack(app, jsii.String("Genomics"), nil)
	net := network.New(stack, "Network", nil)
	lake := datalake.New(stack, "DataLake", nil)

	srv := transfer.New(stack, "PartnerTransfer", &transfer.Props{
		Network: net,
		Lake:    lake,
		Partners: []transfer.Partner{
			{
				Name:                 "acme-cro",
				CIDRs:                []string{"203.0.113.0/24"},
				PublicKeys:           []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c sftp@acme"},
				CreatePasswordSecret: true,
			},
			{
				Name:              "beta-labs",
				CIDRs:             []string{"198.51.100.0/25"},
				PasswordSecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:beta-labs-sftp-AbCdEf",
			},
		},
	})

	fmt.Println("partners with a password secret:", len(srv.PartnerSecrets))
	fmt.Println("homes under", datalake.PartnerQuarantinePrefix, "of the partner bucket")
	fmt.Println("security policy", transfer.DefaultSecurityPolicy)
	// Output:
	// partners with a password secret: 2
	// homes under quarantine/ of the partner bucket
	// security policy TransferSecurityPolicy-2024-01
}

// Validate checks props before anything is built: the config layer calls
// it (or ValidateSettings, before the network and data lake exist) when it
// loads an environment.
func ExampleProps_ValidateSettings() {
	p := &transfer.Props{
		Partners: []transfer.Partner{{Name: "acme-cro", CIDRs: []string{"0.0.0.0/0"}, CreatePasswordSecret: true}},
	}
	fmt.Println(p.ValidateSettings())
	// Output: Props.Partners[0].CIDRs[0] is "0.0.0.0/0"; accepted: the partner's own networks; 0.0.0.0/0 would let every address on the internet try to log in as "acme-cro"
}

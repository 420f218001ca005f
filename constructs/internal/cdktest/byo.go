package cdktest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
)

// The existing resources of a lab that brings its own VPC, buckets and key
// (BringYourOwn).
const (
	BYOVpcID        = "vpc-0a1b2c3d4e5f60718"
	BYOVpcCIDR      = "10.8.0.0/16"
	BYOSubnetA      = "subnet-0aaa1111bbbb2222c"
	BYOSubnetB      = "subnet-0ddd3333eeee4444f"
	BYOEndpointSG   = "sg-0e0e0e0e0e0e0e0e0"
	BYODataKeyArn   = "arn:aws:kms:eu-west-1:111122223333:key/0f0f0f0f-1111-2222-3333-444455556666"
	BYOBucketPrefix = "lab-"
)

// BYO is an existing VPC and existing data buckets, imported.
type BYO struct {
	Network *network.Imported
	Lake    *datalake.Imported
	// Key is the imported key of every bucket.
	Key awskms.IKey
}

// BringYourOwn imports, into stack, an existing isolated VPC (two subnets,
// the given interface endpoints and their security group; missing ones
// created when create is set) and every bucket of the lake as
// "lab-<name>", encrypted with one imported key. It creates no VPC,
// subnet, bucket or key.
func BringYourOwn(stack awscdk.Stack, endpoints []network.Endpoint, create bool) *BYO {
	vpc := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("LabVpc"), &awsec2.VpcAttributes{
		VpcId:             jsii.String(BYOVpcID),
		VpcCidrBlock:      jsii.String(BYOVpcCIDR),
		AvailabilityZones: jsii.Strings("eu-west-1a", "eu-west-1b"),
		IsolatedSubnetIds: jsii.Strings(BYOSubnetA, BYOSubnetB),
		// Route tables, or CDK warns that a subnet's route table is unknown.
		IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0aaa1111bbbb2222c", "rtb-0ddd3333eeee4444f"),
	})
	sg := awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("LabEndpointSg"), jsii.String(BYOEndpointSG), nil)
	net := network.FromVpc(stack, "Network", &network.FromVpcProps{
		Vpc:                    vpc,
		Subnets:                *vpc.IsolatedSubnets(),
		InterfaceEndpoints:     endpoints,
		EndpointSecurityGroup:  sg,
		CreateMissingEndpoints: create,
	})
	key := awskms.Key_FromKeyArn(stack, jsii.String("LabDataKey"), jsii.String(BYODataKeyArn))
	buckets := map[datalake.BucketName]datalake.BucketRef{}
	for _, n := range datalake.AllBuckets() {
		b := awss3.Bucket_FromBucketAttributes(stack, jsii.String("Lab-"+string(n)), &awss3.BucketAttributes{
			BucketArn:     jsii.String("arn:aws:s3:::" + BYOBucketPrefix + string(n)),
			EncryptionKey: key,
		})
		buckets[n] = datalake.BucketRef{Bucket: b, Key: key}
	}
	lake := datalake.FromBuckets(stack, "Lake", &datalake.FromBucketsProps{Buckets: buckets})
	return &BYO{Network: net, Lake: lake, Key: key}
}

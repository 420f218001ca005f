package datalake

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/validation"
)

// Actions the grant methods give, on objects under the prefix and on the
// bucket. No wildcard actions.
var (
	readObjectActions = []string{
		"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging",
		"s3:GetObjectAttributes", "s3:GetObjectVersionAttributes",
	}
	readBucketActions  = []string{"s3:ListBucket", "s3:ListBucketVersions"}
	writeObjectActions = []string{
		"s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectVersionTagging",
		"s3:DeleteObject", // a delete marker: versions stay, and raw's are locked
		"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
	}
	writeBucketActions = []string{"s3:ListBucketMultipartUploads"}
	readKeyActions     = []string{"kms:Decrypt"}
	// Multipart uploads to an SSE-KMS bucket need Decrypt as well.
	writeKeyActions = []string{"kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"}
)

// GrantRead lets grantee read (get, list, head, get tags) the objects of
// bucket under prefix, every version, and decrypt them with the bucket's
// key through S3. prefix "" means the whole bucket; otherwise it must not
// start with "/" nor contain "..", and a trailing "/" is added when
// missing. Listing is limited to the prefix. It panics with a validation
// error on an unknown bucket or a bad prefix.
func (d *DataLake) GrantRead(grantee awsiam.IGrantable, bucket BucketName, prefix string) awsiam.Grant {
	return d.grant("GrantRead", grantee, bucket, prefix, true, false)
}

// GrantWrite lets grantee put, tag and delete (a delete marker; no version
// is destroyed) objects of bucket under prefix, with multipart uploads, and
// encrypt them with the bucket's key through S3. prefix as for GrantRead.
func (d *DataLake) GrantWrite(grantee awsiam.IGrantable, bucket BucketName, prefix string) awsiam.Grant {
	return d.grant("GrantWrite", grantee, bucket, prefix, false, true)
}

// GrantReadWrite is GrantRead and GrantWrite together.
func (d *DataLake) GrantReadWrite(grantee awsiam.IGrantable, bucket BucketName, prefix string) awsiam.Grant {
	return d.grant("GrantReadWrite", grantee, bucket, prefix, true, true)
}

// NormalizePrefix returns prefix with a trailing "/" ("" stays ""), or an
// error saying why it is not accepted: a leading "/", a ".." segment, a
// "*" or "?", control characters.
func NormalizePrefix(prefix string) (string, error) {
	if prefix == "" {
		return "", nil
	}
	if msg := checkPrefix(prefix); msg != "" {
		return "", fmt.Errorf("prefix %q %s", prefix, msg)
	}
	if prefix == "/" || strings.Contains(prefix, "//") {
		return "", fmt.Errorf("prefix %q has an empty path segment; write it without \"//\"", prefix)
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return prefix, nil
}

func (d *DataLake) grant(method string, grantee awsiam.IGrantable, name BucketName, prefix string, read, write bool) awsiam.Grant {
	b, ok := d.buckets[name]
	if !ok {
		panic(validation.New(*d.Node().Path(), fmt.Sprintf("%s(bucket)", method), string(name), "one of %s", joinNames(AllBuckets())))
	}
	return grantOn(d, method, grantee, name, b, d.keys[name], prefix, read, write)
}

// grantOn gives grantee read and/or write on the objects of b under
// prefix, and the actions on key (nil: the bucket has no customer-managed
// key) that S3 needs for them, through S3 only. owner names the lake in
// errors and gives the region.
func grantOn(owner constructs.IConstruct, method string, grantee awsiam.IGrantable, name BucketName, b awss3.IBucket, key awskms.IKey, prefix string, read, write bool) awsiam.Grant {
	path := *owner.Node().Path()
	if grantee == nil {
		panic(validation.New(path, fmt.Sprintf("%s(grantee)", method), validation.Raw("nil"), "a role, user or other IGrantable"))
	}
	prefix, err := NormalizePrefix(prefix)
	if err != nil {
		panic(&validation.Error{Path: path, Field: fmt.Sprintf("%s(%q, prefix)", method, name), Problem: err.Error(),
			Accepted: "a key prefix such as \"runs/\", or \"\" for the whole bucket"})
	}
	objects := *b.ArnForObjects(jsii.String(prefix + "*"))
	bucketArn := *b.BucketArn()
	viaS3 := map[string]*map[string]interface{}{
		"StringEquals": {"kms:ViaService": "s3." + *awscdk.Stack_Of(owner).Region() + ".amazonaws.com"},
	}
	add := func(actions []string, resources []string, conditions map[string]*map[string]interface{}) awsiam.Grant {
		o := &awsiam.GrantOnPrincipalOptions{Grantee: grantee, Actions: jsii.Strings(actions...), ResourceArns: jsii.Strings(resources...)}
		if conditions != nil {
			o.Conditions = &conditions
		}
		return awsiam.Grant_AddToPrincipal(o)
	}
	g := add([]string{"s3:GetBucketLocation"}, []string{bucketArn}, nil)
	if read {
		var list map[string]*map[string]interface{}
		if prefix != "" {
			list = map[string]*map[string]interface{}{"StringLike": {"s3:prefix": []string{prefix, prefix + "*"}}}
		}
		g = g.Combine(add(readObjectActions, []string{objects}, nil))
		g = g.Combine(add(readBucketActions, []string{bucketArn}, list))
		if !write && key != nil {
			g = g.Combine(add(readKeyActions, []string{*key.KeyArn()}, viaS3))
		}
	}
	if write {
		g = g.Combine(add(writeObjectActions, []string{objects}, nil))
		g = g.Combine(add(writeBucketActions, []string{bucketArn}, nil))
		if key != nil {
			g = g.Combine(add(writeKeyActions, []string{*key.KeyArn()}, viaS3))
		}
	}
	return g
}

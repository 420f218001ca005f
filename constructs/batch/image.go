package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ecrRefRE matches a private ECR image reference: account, region, the
// .cn suffix of the China partition, repository, and a tag or a digest.
var ecrRefRE = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([a-z0-9][a-z0-9._/-]*)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127})|@(sha256:[a-f0-9]{64}))$`)

// repos remembers the repositories imported under each scope (by the
// scope's unique address), so that two images of one repository share it.
var (
	reposMu sync.Mutex
	repos   = map[string]awsecr.IRepository{}
)

// ImageFromRef returns the container image of ref. A private ECR reference
// (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or @sha256:DIGEST) becomes
// an image of that repository, so that the job's execution role is granted
// pull on that one repository; any other reference (a public registry) is
// pulled as it is. The imported repository is a construct under scope, one
// per repository.
func ImageFromRef(scope constructs.Construct, ref string) awsecs.ContainerImage {
	m := ecrRefRE.FindStringSubmatch(ref)
	if m == nil {
		return awsecs.ContainerImage_FromRegistry(jsii.String(ref), nil)
	}
	account, region, cn, name, tag, digest := m[1], m[2], m[3], m[4], m[5], m[6]
	partition := "aws"
	if cn != "" {
		partition = "aws-cn"
	}
	arn := fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", partition, region, account, name)
	sum := sha256.Sum256([]byte(arn))
	id := "Repository" + hex.EncodeToString(sum[:6])
	key := *scope.Node().Addr() + "/" + id
	reposMu.Lock()
	repo := repos[key]
	if repo == nil {
		repo = awsecr.Repository_FromRepositoryArn(scope, jsii.String(id), jsii.String(arn))
		repos[key] = repo
	}
	reposMu.Unlock()
	if digest != "" {
		tag = digest
	}
	return awsecs.ContainerImage_FromEcrRepository(repo, jsii.String(tag))
}

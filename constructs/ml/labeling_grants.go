package ml

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/validation"
)

// Actions GrantStartLabelingJob gives. No wildcard actions.
var (
	// labelingJobActions on the account's labeling jobs (labeling-job/*):
	// a job is named by whoever starts it.
	labelingJobActions = []string{"sagemaker:DescribeLabelingJob", "sagemaker:StopLabelingJob", "sagemaker:AddTags", "sagemaker:ListTags"}
	// createLabelingJobActions, held to this construct's work teams
	// (sagemaker:WorkteamArn): never the public crowd or a vendor.
	createLabelingJobActions = []string{"sagemaker:CreateLabelingJob"}
	// teamActions on the construct's work teams and workforce.
	teamActions      = []string{"sagemaker:DescribeWorkteam", "sagemaker:ListLabelingJobsForWorkteam"}
	workforceActions = []string{"sagemaker:DescribeWorkforce"}
	// labelingListActions take no resource.
	labelingListActions = []string{"sagemaker:ListLabelingJobs", "sagemaker:ListWorkteams"}
)

// labelingArn is an ARN of this stack's SageMaker resources.
func (l *Labeling) labelingArn(resource string) string {
	s := awscdk.Stack_Of(l)
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:%s", *s.Partition(), *s.Region(), *s.Account(), resource)
}

// GrantStartLabelingJob lets grantee (a scientist's role or group) put
// manifests and data under the input prefix, start labeling jobs that
// send their tasks to this construct's work teams only (the job names
// its execution role, which grantee may pass to SageMaker and to nothing
// else), describe, stop and list jobs, and read what they write under the
// output prefix.
func (l *Labeling) GrantStartLabelingJob(grantee awsiam.IGrantable) awsiam.Grant {
	path := *l.Node().Path()
	if grantee == nil {
		panic(validation.New(path, "GrantStartLabelingJob(grantee)", validation.Raw("nil"), "a role or other grantable"))
	}
	var teams []string
	for _, n := range l.TeamNames() {
		teams = append(teams, l.TeamArn(n))
	}
	jobs := l.labelingArn("labeling-job/*")
	g := add(grantee, createLabelingJobActions, []string{jobs}, map[string]*map[string]interface{}{
		"StringEquals": {"sagemaker:WorkteamArn": teams},
	})
	g = g.Combine(add(grantee, labelingJobActions, []string{jobs}, nil))
	g = g.Combine(add(grantee, teamActions, teams, nil))
	g = g.Combine(add(grantee, workforceActions, []string{l.labelingArn("workforce/" + l.p.WorkforceName)}, nil))
	g = g.Combine(add(grantee, labelingListActions, []string{"*"}, nil))
	g = g.Combine(add(grantee, []string{"iam:PassRole"}, []string{*l.ExecutionRole.RoleArn()}, map[string]*map[string]interface{}{
		"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"},
	}))
	g = g.Combine(l.p.Lake.GrantWrite(grantee, datalake.BucketResults, l.InputPrefix()))
	return g.Combine(l.p.Lake.GrantRead(grantee, datalake.BucketResults, l.p.MLPrefix+LabelingPrefix))
}

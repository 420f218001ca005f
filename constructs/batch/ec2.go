package batch

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/secure"
)

// newCompute creates Props.Environments and Props.Queues. Construct ids:
// "Env<Name>" (compute environment), "Env<Name>LaunchTemplate",
// "Queue<Name>" (job queue), "VolumeKey".
func (q *Queue) newCompute(p Props) {
	q.Environments = map[string]awsbatch.IComputeEnvironment{}
	q.JobQueues = map[string]awsbatch.IJobQueue{}
	q.LaunchTemplates = map[string]awsec2.ILaunchTemplate{}
	q.scripts = map[string]awsec2.UserData{}
	q.ec2Envs = map[string]awsbatch.IManagedEc2EcsComputeEnvironment{}
	for _, e := range p.Environments {
		e = e.withDefaults()
		id := "Env" + e.Name
		if e.Kind == Fargate {
			q.Environments[e.Name] = awsbatch.NewFargateComputeEnvironment(q, jsii.String(id), &awsbatch.FargateComputeEnvironmentProps{
				Vpc:            p.Network.Vpc(),
				VpcSubnets:     p.Network.PrivateSubnets(),
				SecurityGroups: &[]awsec2.ISecurityGroup{q.SecurityGroup},
				MaxvCpus:       jsii.Number(float64(e.MaxVCPUs)),
			})
			continue
		}
		q.Environments[e.Name] = q.newEC2(p, id, e)
	}
	for _, qs := range p.Queues {
		order := make([]*awsbatch.OrderedComputeEnvironment, len(qs.Environments))
		for i, n := range qs.Environments {
			order[i] = &awsbatch.OrderedComputeEnvironment{ComputeEnvironment: q.Environments[n], Order: jsii.Number(float64(i + 1))}
		}
		prio := qs.Priority
		if prio == 0 {
			prio = 1
		}
		q.JobQueues[qs.Name] = awsbatch.NewJobQueue(q, jsii.String("Queue"+qs.Name), &awsbatch.JobQueueProps{
			ComputeEnvironments:      &order,
			Priority:                 jsii.Number(float64(prio)),
			JobStateTimeLimitActions: stuckActions(),
		})
	}
	q.JobQueue = q.JobQueues[p.defaultQueue()]
}

// volumeKey returns the key of the instances' volumes, creating it once.
func (q *Queue) volumeKey(p Props) awskms.IKey {
	if q.VolumeKey != nil {
		return q.VolumeKey
	}
	if p.VolumeKey != nil {
		q.VolumeKey = p.VolumeKey
		return q.VolumeKey
	}
	key := secure.NewKey(q, "VolumeKey", &secure.KeyProps{Description: "biolake Batch " + *q.Node().Path() + ": EC2 instance volumes"})
	AllowEBSVolumes(key)
	q.VolumeKey = key
	return key
}

// AllowEBSVolumes adds to key's policy the statements that let EC2 encrypt
// the volumes of instances that AWS services launch in this account (EC2
// Auto Scaling for Batch's managed compute environments): the form of
// AWS's own key for EBS, any principal of this account calling through
// EC2 in this region (kms:CallerAccount and kms:ViaService,
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account),
// with grants only for AWS resources. Naming the Auto Scaling
// service-linked role as the principal, as the Auto Scaling guide's example
// does (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html),
// fails in an account that never used Auto Scaling: KMS refuses a key
// policy whose principal does not exist, and that role is created only
// when first needed.
func AllowEBSVolumes(key awskms.IKey) {
	viaEC2 := map[string]interface{}{
		"kms:CallerAccount": *awscdk.Aws_ACCOUNT_ID(),
		"kms:ViaService":    "ec2." + *awscdk.Aws_REGION() + ".amazonaws.com",
	}
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEBSVolumesThroughEC2"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"StringEquals": viaEC2},
	}), jsii.Bool(false))
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEBSVolumeGrantsThroughEC2"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"StringEquals": viaEC2,
			"Bool":         map[string]interface{}{"kms:GrantIsForAWSResource": true},
		},
	}), jsii.Bool(false))
}

// newEC2 creates a managed EC2 compute environment with its launch
// template: IMDSv2 only with a hop limit of 1 (the host's agent and scripts
// reach it; containers on the bridge network do not, so a job cannot take
// the instance role's credentials: jobs get their job role's credentials
// and AWS_REGION from ECS, see
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-environment-variables.html;
// AWS Control Tower's CT.EC2.PR.2 requires 1), encrypted gp3 root and
// scratch volumes, the scratch volume formatted and mounted at /scratch.
func (q *Queue) newEC2(p Props, id string, e EnvironmentSpec) awsbatch.IComputeEnvironment {
	key := q.volumeKey(p)
	volume := func(gib int) awsec2.BlockDeviceVolume {
		return awsec2.BlockDeviceVolume_Ebs(jsii.Number(float64(gib)), &awsec2.EbsDeviceOptions{
			Encrypted:           jsii.Bool(true),
			KmsKey:              key,
			VolumeType:          awsec2.EbsDeviceVolumeType_GP3,
			DeleteOnTermination: jsii.Bool(true),
		})
	}
	userData := awsec2.NewMultipartUserData(nil)
	script := awsec2.UserData_ForLinux(nil)
	script.AddCommands(
		jsii.String("set -euo pipefail"),
		jsii.String("dev=/dev/xvdb"), // a symlink to the NVMe device on Nitro instances (amazon-ec2-utils)
		jsii.String("blkid \"$dev\" || mkfs -t xfs \"$dev\""),
		jsii.String("mkdir -p "+ScratchPath),
		jsii.String("mountpoint -q "+ScratchPath+" || mount \"$dev\" "+ScratchPath),
		jsii.String("chmod 1777 "+ScratchPath),
	)
	userData.AddUserDataPart(script, awsec2.MultipartBody_SHELL_SCRIPT(), jsii.Bool(true))
	q.scripts[e.Name] = script
	lt := awsec2.NewLaunchTemplate(q, jsii.String(id+"LaunchTemplate"), &awsec2.LaunchTemplateProps{
		HttpEndpoint:            jsii.Bool(true),
		HttpTokens:              awsec2.LaunchTemplateHttpTokens_REQUIRED,
		HttpPutResponseHopLimit: jsii.Number(1),
		BlockDevices: &[]*awsec2.BlockDevice{
			{DeviceName: jsii.String("/dev/xvda"), Volume: volume(e.RootVolumeGiB)},
			{DeviceName: jsii.String("/dev/xvdb"), Volume: volume(e.ScratchVolumeGiB)},
		},
		UserData:           userData,
		DetailedMonitoring: jsii.Bool(true),
		EbsOptimized:       jsii.Bool(true),
	})
	q.LaunchTemplates[e.Name] = lt
	image := awsbatch.EcsMachineImageType_ECS_AL2023
	if e.Kind == GPU {
		image = awsbatch.EcsMachineImageType_ECS_AL2023_NVIDIA
	}
	ep := &awsbatch.ManagedEc2EcsComputeEnvironmentProps{
		Vpc:            p.Network.Vpc(),
		VpcSubnets:     p.Network.PrivateSubnets(),
		SecurityGroups: &[]awsec2.ISecurityGroup{q.SecurityGroup},
		MaxvCpus:       jsii.Number(float64(e.MaxVCPUs)),
		MinvCpus:       jsii.Number(0),
		// Replaced below by InstanceTypes: the L2 takes families as enum
		// members only and rejects an environment without any.
		UseOptimalInstanceClasses:  jsii.Bool(true),
		Images:                     &[]*awsbatch.EcsMachineImage{{ImageType: image}},
		LaunchTemplate:             lt,
		UpdateToLatestImageVersion: jsii.Bool(true),
		ReplaceComputeEnvironment:  jsii.Bool(false),
	}
	if e.Kind == CPUSpot {
		ep.Spot = jsii.Bool(true)
		ep.AllocationStrategy = awsbatch.AllocationStrategy_SPOT_PRICE_CAPACITY_OPTIMIZED
	} else {
		ep.AllocationStrategy = awsbatch.AllocationStrategy_BEST_FIT_PROGRESSIVE
	}
	ce := awsbatch.NewManagedEc2EcsComputeEnvironment(q, jsii.String(id), ep)
	q.ec2Envs[e.Name] = ce
	cfn := ce.Node().DefaultChild().(awsbatch.CfnComputeEnvironment)
	cfn.AddPropertyOverride(jsii.String("ComputeResources.InstanceTypes"), e.InstanceTypes)
	// Pin the launch template's version, so that a change to it updates
	// the environment (an infrastructure update: new instances use it).
	cfn.AddPropertyOverride(jsii.String("ComputeResources.LaunchTemplate.Version"), lt.LatestVersionNumber())
	nag.SuppressDeferred(ce, nag.Rule{
		ID: "AwsSolutions-IAM4",
		Reason: "The ECS container instance role of the Batch hosts: AmazonEC2ContainerServiceforEC2Role is what AWS Batch documents " +
			"for the instances' ECS agent (register, poll, pull from ECR, write the agent's logs); the jobs run with their own scoped job roles.",
		AppliesToRegex: []string{`/^Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AmazonEC2ContainerServiceforEC2Role$/`},
	})
	return ce
}

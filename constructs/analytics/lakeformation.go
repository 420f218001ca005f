package analytics

import (
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslakeformation"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/nag"
)

// lakeFormation registers the lake's table locations with a role of the
// construct, adds the data lake administrators and grants the readers
// their columns.
func (a *Analytics) lakeFormation() {
	stack := awscdk.Stack_Of(a)
	lf := a.p.lf

	// Data lake administrators, appended to the account's list. The role
	// CloudFormation deploys with must be one too, or the grants below
	// fail at deploy ("Insufficient Lake Formation permission(s)").
	admins := append([]string(nil), lf.Admins...)
	if syn, ok := stack.Synthesizer().(awscdk.DefaultStackSynthesizer); ok && syn.CloudFormationExecutionRoleArn() != nil {
		// The ARN holds ${AWS::AccountId} and the like: substitute them.
		admins = append(admins, *awscdk.Fn_Sub(syn.CloudFormationExecutionRoleArn(), nil))
	}
	principals := make([]interface{}, len(admins))
	for i, arn := range admins {
		principals[i] = &awslakeformation.CfnDataLakeSettings_DataLakePrincipalProperty{DataLakePrincipalIdentifier: jsii.String(arn)}
	}
	a.LakeFormationSettings = awslakeformation.NewCfnDataLakeSettings(a, jsii.String("DataLakeSettings"), &awslakeformation.CfnDataLakeSettingsProps{
		Admins:       principals,
		MutationType: jsii.String("APPEND"),
	})

	// The role Lake Formation assumes to vend credentials for the
	// registered locations: read only, and the keys through S3 (a
	// user-defined role, since the locations are SSE-KMS encrypted with
	// keys the service-linked role is not granted).
	a.DataAccessRole = awsiam.NewRole(a, jsii.String("DataAccessRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lakeformation.amazonaws.com"), nil),
		Description: jsii.String("Lake Formation reads the registered locations of " + a.p.DatabaseName + " with this role"),
	})
	registered := a.registeredLocations()
	for _, l := range registered {
		a.grantLocation(a.DataAccessRole, l, readObjects, readBucket, decrypt)
	}
	nag.SuppressDeferred(a.DataAccessRole, nag.InAllPacks("The data access role's policy is generated from the registered locations (read their prefixes, "+
		"decrypt through S3); inline, it lives and dies with the role and cannot be attached elsewhere.",
		"HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
	nag.SuppressDeferred(a.DataAccessRole, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "Lake Formation vends credentials for any object under the registered prefixes (the catalog export's and the inventories'), " +
			"so the role's object ARNs are those prefixes ending in /*; the only object action is GetObject.",
		AppliesToRegex: []string{`/^Resource::<.+\.Arn>\/.*\*$/`, `/^Resource::arn:<AWS::Partition>:s3:::<.+>\/.*\*$/`},
	})
	for i, l := range registered {
		arn := strings.TrimSuffix(*l.Bucket.ArnForObjects(jsii.String(l.Prefix)), "/")
		r := awslakeformation.NewCfnResource(a, jsii.String("Location"+strconv.Itoa(i)), &awslakeformation.CfnResourceProps{
			ResourceArn:          jsii.String(arn),
			UseServiceLinkedRole: jsii.Bool(false),
			RoleArn:              a.DataAccessRole.RoleArn(),
		})
		r.Node().AddDependency(a.DataAccessRole)
	}

	// Column-level SELECT for the readers.
	for i, c := range lf.SampleMetadataReaders {
		pp := awslakeformation.NewCfnPrincipalPermissions(a, jsii.String("SampleMetadataReader"+strconv.Itoa(i)), &awslakeformation.CfnPrincipalPermissionsProps{
			Catalog:   stack.Account(),
			Principal: &awslakeformation.CfnPrincipalPermissions_DataLakePrincipalProperty{DataLakePrincipalIdentifier: jsii.String(c.Principal)},
			Resource: &awslakeformation.CfnPrincipalPermissions_ResourceProperty{
				TableWithColumns: &awslakeformation.CfnPrincipalPermissions_TableWithColumnsResourceProperty{
					CatalogId:    stack.Account(),
					DatabaseName: jsii.String(a.p.DatabaseName),
					Name:         jsii.String(c.Table),
					ColumnNames:  jsii.Strings(c.Columns...),
				},
			},
			Permissions:                jsii.Strings("SELECT"),
			PermissionsWithGrantOption: jsii.Strings(),
		})
		pp.Node().AddDependency(a.LakeFormationSettings, a.Tables[c.Table])
	}
}

// registeredLocations are the lake locations the tables read, each
// registered once: the catalog export's and the inventories' prefixes
// (a prefix under another registered one of the same bucket is covered by
// it; Lake Formation refuses overlapping registrations). The Cost and Usage
// Report's bucket is not the lab's to register.
func (a *Analytics) registeredLocations() []Location {
	roots := []Location{a.p.Catalog, a.p.inv.Destination}
	sort.SliceStable(roots, func(i, j int) bool { return len(roots[i].Prefix) < len(roots[j].Prefix) })
	var out []Location
	for _, l := range roots {
		covered := false
		for _, o := range out {
			if *o.Bucket.BucketName() == *l.Bucket.BucketName() && strings.HasPrefix(l.Prefix, o.Prefix) {
				covered = true
			}
		}
		if !covered {
			out = append(out, l)
		}
	}
	return out
}

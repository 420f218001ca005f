package datalake

import (
	"fmt"
	"github.com/biolake/biolake/constructs/validation"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/secure"
)

// InventoryFields are the optional fields of the daily S3 Inventory of each
// data bucket.
var InventoryFields = []string{
	"Size", "LastModifiedDate", "StorageClass", "ETag", "ChecksumAlgorithm",
	"IsMultipartUploaded", "ReplicationStatus", "EncryptionStatus", "BucketKeyStatus",
	"ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus",
	"IntelligentTieringAccessTier",
}

// InventoryID is the id of the daily inventory configuration of each data
// bucket. S3 writes its reports under
// InventoryPrefix + <bucket name> + "/" + <physical bucket name> + "/" + InventoryID + "/".
const InventoryID = "biolake-daily"

// DataLake is the tiered data lake: the buckets, their keys, the access-log
// bucket, the backup vault and plan. Create it with New.
type DataLake struct {
	constructs.Construct

	// Raw holds instrument runs under Object Lock.
	Raw awss3.Bucket
	// Partner holds CRO uploads (PartnerQuarantinePrefix, PartnerAcceptedPrefix).
	Partner awss3.Bucket
	// Shared backs the File Gateway share (SharedGatewayPrefix).
	Shared awss3.Bucket
	// Curated holds verified, analysis-ready data.
	Curated awss3.Bucket
	// Results holds pipeline outputs.
	Results awss3.Bucket
	// AthenaResults holds Athena query results.
	AthenaResults awss3.Bucket
	// Analytics receives the inventories and storage class analyses.
	Analytics awss3.Bucket
	// AccessLogs receives the server access logs of every bucket above.
	AccessLogs awss3.IBucket

	// DataKey encrypts the data buckets and the Athena results bucket.
	DataKey awskms.IKey
	// AnalyticsKey encrypts the analytics bucket; S3 may use it to write
	// inventory and analysis reports of this account.
	AnalyticsKey awskms.IKey

	// BackupPlan backs up the data buckets daily (and continuously); nil
	// when backup is disabled. Add resources with AddToBackup.
	BackupPlan awsbackup.BackupPlan
	// BackupVault holds the recovery points, encrypted with BackupKey; nil
	// when backup is disabled.
	BackupVault awsbackup.BackupVault
	// BackupKey encrypts the vault; nil when backup is disabled.
	BackupKey awskms.IKey
	// BackupRole is the role AWS Backup assumes for every selection of the
	// plan; nil when backup is disabled.
	BackupRole awsiam.IRole

	// ReplicationRole lets S3 replicate raw to the replica; nil without
	// replication.
	ReplicationRole awsiam.IRole

	props   Props
	buckets map[BucketName]awss3.Bucket
	keys    map[BucketName]awskms.IKey
}

// bucketIDs are the construct ids of the buckets. They are API: renaming
// one replaces the bucket.
var bucketIDs = map[BucketName]string{
	BucketRaw: "Raw", BucketPartner: "Partner", BucketShared: "Shared", BucketCurated: "Curated",
	BucketResults: "Results", BucketAthenaResults: "AthenaResults", BucketAnalytics: "Analytics",
}

// New creates the data lake. nil props gives the secure default. It panics,
// naming the construct path, when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *DataLake {
	path := id
	if sp := *scope.Node().Path(); sp != "" {
		path = sp + "/" + id
	}
	fail := func(err error) { validation.Check(path, err) }
	fail(props.Validate())
	p := props.withDefaults()

	// Replication is checked against the stacks before anything is built.
	stack := awscdk.Stack_Of(scope)
	var replicaKeyArn string
	if rep := p.Replication; rep != nil {
		arn, err := checkReplica(stack, rep)
		if err != nil {
			fail(err)
		}
		replicaKeyArn = arn
	}

	// Registered with jsii as the construct itself, so a *DataLake can be
	// passed wherever a construct is expected (as a scope, to Stack_Of, ...).
	d := &DataLake{props: p, buckets: map[BucketName]awss3.Bucket{}, keys: map[BucketName]awskms.IKey{}}
	constructs.NewConstruct_Override(d, scope, jsii.String(id))
	var c constructs.Construct = d

	d.DataKey = p.DataKey
	if d.DataKey == nil {
		d.DataKey = secure.NewKey(c, "DataKey", &secure.KeyProps{Description: "biolake data lake " + path + ": data buckets"})
	}
	d.AnalyticsKey = p.AnalyticsKey
	if d.AnalyticsKey == nil {
		d.AnalyticsKey = secure.NewKey(c, "AnalyticsKey", &secure.KeyProps{
			Description: "biolake data lake " + path + ": inventory and storage class analysis reports",
			Services:    []secure.Service{secure.ServiceS3Logging},
		})
	}
	d.AccessLogs = p.AccessLogs
	if d.AccessLogs == nil {
		d.AccessLogs = secure.NewLogBucket(c, "AccessLogs", nil)
	}

	// The analytics bucket comes first: the data buckets' inventories point at it.
	d.Analytics = d.newBucket(BucketAnalytics, d.AnalyticsKey, &secure.BucketProps{
		ReplicationReason: "Inventory and analysis reports are regenerated by S3 every day from the buckets they describe.",
	})

	common := func(b BucketName, reason string) *secure.BucketProps {
		return &secure.BucketProps{
			Inventories:       []*awss3.Inventory{d.inventory(b)},
			ReplicationReason: reason,
		}
	}
	rawProps := common(BucketRaw, "")
	rawProps.ObjectLock = &secure.ObjectLock{Mode: p.ObjectLockMode, Days: p.ObjectLockDays}
	if p.Replication != nil {
		d.ReplicationRole = d.newReplicationRole(stack)
		rawProps.ReplicationRole = d.ReplicationRole
		rawProps.ReplicationRules = []*awss3.ReplicationRule{d.replicationRule(replicaKeyArn)}
	} else {
		rawProps.ReplicationReason = "Raw runs are kept under Object Lock, versioning and AWS Backup in this region; cross-region replication is configured per environment (Props.Replication)."
	}
	d.Raw = d.newBucket(BucketRaw, d.DataKey, rawProps)
	if d.ReplicationRole != nil {
		d.attachReplicationPolicy(stack, replicaKeyArn)
	}
	d.Partner = d.newBucket(BucketPartner, d.DataKey, common(BucketPartner,
		"Partner uploads are copies: the CRO keeps the original until biolake has verified and accepted it; versioning and AWS Backup protect them here."))
	d.Shared = d.newBucket(BucketShared, d.DataKey, common(BucketShared,
		"The File Gateway share holds working copies of on-premises researchers; versioning and AWS Backup protect them in this region."))
	d.Curated = d.newBucket(BucketCurated, d.DataKey, common(BucketCurated,
		"Curated data is derived from raw and partner data, which can be re-derived; versioning and AWS Backup protect it in this region."))
	d.Results = d.newBucket(BucketResults, d.DataKey, common(BucketResults,
		"Pipeline results are reproducible from raw data and the versioned workflows; versioning and AWS Backup protect them in this region."))
	if p.LabelingPortalCORS {
		d.Results.AddCorsRule(LabelingPortalCORSRule(stack))
	}
	d.AthenaResults = d.newBucket(BucketAthenaResults, d.DataKey, &secure.BucketProps{
		ReplicationReason: "Athena query results are transient (they expire after days) and can be re-run.",
	})
	for _, b := range DataBucketNames() {
		d.addStorageClassAnalysis(b)
	}
	d.addReportDeliveryPolicy()

	if !p.DisableBackup {
		d.newBackup(path)
	}
	return d
}

// newBucket creates one bucket through secure.NewBucket with its tiering.
func (d *DataLake) newBucket(name BucketName, key awskms.IKey, bp *secure.BucketProps) awss3.Bucket {
	bt := d.props.Tiering.Effective(name)
	bp.EncryptionKey = key
	bp.AccessLogs = d.AccessLogs
	bp.AccessLogsPrefix = *d.Node().Id() + "/" + string(name) + "/"
	bp.LifecycleRules = lifecycleRules(bt)
	bp.IntelligentTiering = intelligentTiering(bt)
	b := secure.NewBucket(d, bucketIDs[name], bp)
	d.buckets[name] = b
	d.keys[name] = key
	return b
}

// inventory is the daily Parquet inventory of bucket b, delivered to the
// analytics bucket.
func (d *DataLake) inventory(b BucketName) *awss3.Inventory {
	return &awss3.Inventory{
		InventoryId: jsii.String(InventoryID),
		Destination: &awss3.InventoryDestination{
			Bucket: d.Analytics,
			Prefix: jsii.String(InventoryPrefix + string(b)),
		},
		Enabled:               jsii.Bool(true),
		Format:                awss3.InventoryFormat_PARQUET,
		Frequency:             awss3.InventoryFrequency_DAILY,
		IncludeObjectVersions: awss3.InventoryObjectVersion_ALL,
		OptionalFields:        jsii.Strings(InventoryFields...),
	}
}

// addStorageClassAnalysis adds S3 Storage Class Analysis to bucket b: one
// configuration for the whole bucket and one per data class, each exporting
// CSV daily to the analytics bucket. CDK's Bucket has no property for it,
// so it is set on the CloudFormation resource.
func (d *DataLake) addStorageClassAnalysis(b BucketName) {
	export := func() *awss3.CfnBucket_StorageClassAnalysisProperty {
		return &awss3.CfnBucket_StorageClassAnalysisProperty{
			DataExport: &awss3.CfnBucket_DataExportProperty{
				OutputSchemaVersion: jsii.String("V_1"),
				Destination: &awss3.CfnBucket_DestinationProperty{
					BucketArn:       d.Analytics.BucketArn(),
					BucketAccountId: awscdk.Stack_Of(d).Account(),
					Format:          jsii.String("CSV"),
					Prefix:          jsii.String(StorageClassAnalysisPrefix + string(b) + "/"),
				},
			},
		}
	}
	configs := []interface{}{&awss3.CfnBucket_AnalyticsConfigurationProperty{
		Id:                   jsii.String("all-objects"),
		StorageClassAnalysis: export(),
	}}
	for _, class := range sortedKeys(d.props.DataClasses) {
		configs = append(configs, &awss3.CfnBucket_AnalyticsConfigurationProperty{
			Id:                   jsii.String("class-" + class),
			TagFilters:           &[]interface{}{&awss3.CfnBucket_TagFilterProperty{Key: jsii.String(DataClassTag), Value: jsii.String(class)}},
			StorageClassAnalysis: export(),
		})
	}
	cfn := d.buckets[b].Node().DefaultChild().(awss3.CfnBucket)
	cfn.SetAnalyticsConfigurations(&configs)
}

// addReportDeliveryPolicy lets S3 write the storage class analysis exports
// of the data buckets into the analytics bucket. (CDK adds a statement per
// inventory itself.)
func (d *DataLake) addReportDeliveryPolicy() {
	stack := awscdk.Stack_Of(d)
	sources := make([]string, 0, 5)
	for _, b := range d.DataBuckets() {
		sources = append(sources, *b.BucketArn())
	}
	d.Analytics.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowStorageClassAnalysisExport"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("s3.amazonaws.com"), nil)},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  jsii.Strings(*d.Analytics.ArnForObjects(jsii.String(StorageClassAnalysisPrefix + "*"))),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
			"ArnLike":      map[string]interface{}{"aws:SourceArn": sources},
		},
	}))
}

// newBackup creates the vault (with its own key), the plan and the
// selection of the data buckets.
func (d *DataLake) newBackup(path string) {
	p := d.props
	c := constructs.NewConstruct(d, jsii.String("Backup"))
	d.BackupKey = p.BackupKey
	if d.BackupKey == nil {
		d.BackupKey = secure.NewKey(c, "Key", &secure.KeyProps{Description: "biolake data lake " + path + ": backup vault"})
	}
	days := func(n int) awscdk.Duration { return awscdk.Duration_Days(jsii.Number(float64(n))) }
	vp := &awsbackup.BackupVaultProps{
		EncryptionKey: d.BackupKey,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	}
	if p.BackupVaultLock {
		lc := &awsbackup.LockConfiguration{
			MinRetention:  days(p.BackupVaultLockMinDays),
			ChangeableFor: days(p.BackupVaultLockChangeableDays),
		}
		if p.BackupVaultLockMaxDays > 0 {
			lc.MaxRetention = days(p.BackupVaultLockMaxDays)
		}
		vp.LockConfiguration = lc
	}
	d.BackupVault = awsbackup.NewBackupVault(c, jsii.String("Vault"), vp)
	d.BackupPlan = awsbackup.NewBackupPlan(c, jsii.String("Plan"), &awsbackup.BackupPlanProps{
		BackupVault: d.BackupVault,
		// Derived from the construct path: unique per stack, not hard-coded.
		BackupPlanName: awscdk.Names_UniqueResourceName(c, &awscdk.UniqueResourceNameOptions{
			MaxLength: jsii.Number(50), Separator: jsii.String("-"), AllowedSpecialCharacters: jsii.String("-_."),
		}),
	})
	d.BackupPlan.AddRule(awsbackup.NewBackupPlanRule(&awsbackup.BackupPlanRuleProps{
		RuleName:           jsii.String("Daily"),
		ScheduleExpression: awsevents.Schedule_Cron(&awsevents.CronOptions{Minute: jsii.String("0"), Hour: jsii.String("5")}),
		DeleteAfter:        days(p.BackupRetentionDays),
	}))
	if cd := p.continuousDays(); cd > 0 {
		d.BackupPlan.AddRule(awsbackup.NewBackupPlanRule(&awsbackup.BackupPlanRuleProps{
			RuleName:               jsii.String("Continuous"),
			EnableContinuousBackup: jsii.Bool(true),
			DeleteAfter:            days(cd),
		}))
	}
	managed := func(name string) awsiam.IManagedPolicy {
		return awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String(name))
	}
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("backup.amazonaws.com"), nil),
		Description: jsii.String("AWS Backup: back up and restore the biolake data lake " + path + " and what joins its plan"),
		ManagedPolicies: &[]awsiam.IManagedPolicy{
			managed("service-role/AWSBackupServiceRolePolicyForBackup"),
			managed("service-role/AWSBackupServiceRolePolicyForRestores"),
			managed("AWSBackupServiceRolePolicyForS3Backup"),
			managed("AWSBackupServiceRolePolicyForS3Restore"),
		},
	})
	nag.Suppress(role, nag.Rule{
		ID: "AwsSolutions-IAM4",
		Reason: "AWS Backup documents these AWS managed policies as the permissions its role needs for S3 (and for the DynamoDB and FSx resources that join the plan); " +
			"AWS maintains them as the services add API calls, which a copied policy would miss.",
		AppliesTo: []string{
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
		},
	})
	d.BackupRole = role
	res := make([]awsbackup.BackupResource, 0, 5)
	for _, b := range d.DataBuckets() {
		res = append(res, awsbackup.BackupResource_FromArn(b.BucketArn()))
	}
	d.AddToBackup("DataBuckets", res...)
}

// AddToBackup adds resources (for example a DynamoDB table or an FSx file
// system of later stacks) to the data lake's backup plan, under a selection
// named id, backed up by BackupRole. It returns nil and does nothing when
// backup is disabled.
func (d *DataLake) AddToBackup(id string, resources ...awsbackup.BackupResource) awsbackup.BackupSelection {
	if d.BackupPlan == nil {
		return nil
	}
	if len(resources) == 0 {
		panic(validation.New(*d.Node().Path(), fmt.Sprintf("AddToBackup(%q, resources)", id), validation.Raw("empty"), "at least one resource"))
	}
	return d.BackupPlan.AddSelection(jsii.String(id), &awsbackup.BackupSelectionOptions{
		Resources: &resources,
		Role:      d.BackupRole,
	})
}

// Bucket returns the bucket called name. It panics on a name that is not
// one of AllBuckets().
func (d *DataLake) Bucket(name BucketName) awss3.IBucket {
	b, ok := d.buckets[name]
	if !ok {
		panic(validation.New(*d.Node().Path(), "Bucket(name)", string(name), "one of %s", joinNames(AllBuckets())))
	}
	return b
}

// DataBuckets returns the buckets that hold data (DataBucketNames order):
// raw, partner, shared, curated and results. They are the ones to record
// S3 data events of in CloudTrail, and they are in the backup plan.
func (d *DataLake) DataBuckets() []awss3.IBucket {
	out := make([]awss3.IBucket, 0, 5)
	for _, b := range DataBucketNames() {
		out = append(out, d.buckets[b])
	}
	return out
}

// Tiering returns the effective lifecycle policy of bucket b (defaults
// applied).
func (d *DataLake) Tiering(b BucketName) BucketTiering { return d.props.Tiering.Effective(b) }

// DataClasses returns the data classes in use, for the ingest handler's
// ClassOf.
func (d *DataLake) DataClasses() DataClasses { return d.props.DataClasses }

// LabelingPortalCORSRule is the CORS rule the Ground Truth labeling portal
// needs on the bucket of a job's images
// (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-cors-update.html):
// GET from the labeling portals of the stack's region, exposing
// Access-Control-Allow-Origin; no other method, origin or header.
func LabelingPortalCORSRule(stack awscdk.Stack) *awss3.CorsRule {
	return &awss3.CorsRule{
		Id:             jsii.String("GroundTruthLabelingPortal"),
		AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_GET},
		AllowedOrigins: jsii.Strings("https://*.labeling." + *stack.Region() + ".sagemaker.aws"),
		ExposedHeaders: jsii.Strings("Access-Control-Allow-Origin"),
	}
}

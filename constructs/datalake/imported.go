package datalake

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/validation"
)

// ILake is what biolake's constructs use of a data lake: its buckets by
// name, each with its key, prefix-scoped grants, the data classes and the
// backup plan. [*DataLake] (the lake biolake creates) and [*Imported]
// (existing buckets, see [FromBuckets]) implement it.
type ILake interface {
	constructs.IConstruct
	// Has reports whether the lake has the bucket called name.
	Has(name BucketName) bool
	// Bucket returns the bucket called name; it panics with a validation
	// error when the lake has no such bucket (see [RequireBuckets]).
	Bucket(name BucketName) awss3.IBucket
	// Key returns the customer-managed key that encrypts the bucket called
	// name, or nil when it has none (SSE-S3); it panics like Bucket.
	Key(name BucketName) awskms.IKey
	// DataBuckets returns the data buckets the lake has, in the order of
	// DataBucketNames.
	DataBuckets() []awss3.IBucket
	// GrantRead lets grantee read the objects of bucket under prefix ("":
	// all), and decrypt them with the bucket's key through S3.
	GrantRead(grantee awsiam.IGrantable, bucket BucketName, prefix string) awsiam.Grant
	// GrantWrite lets grantee write the objects of bucket under prefix,
	// and encrypt them with the bucket's key through S3.
	GrantWrite(grantee awsiam.IGrantable, bucket BucketName, prefix string) awsiam.Grant
	// GrantReadWrite is GrantRead and GrantWrite together.
	GrantReadWrite(grantee awsiam.IGrantable, bucket BucketName, prefix string) awsiam.Grant
	// DataClasses returns the data classes objects are tagged with.
	DataClasses() DataClasses
	// Backup returns the backup plan later resources join and the role
	// AWS Backup assumes for them; nil, nil without backup.
	Backup() (awsbackup.IBackupPlan, awsiam.IRole)
	// AddToBackup adds resources to the backup plan under a selection
	// named id; it returns nil and does nothing without backup.
	AddToBackup(id string, resources ...awsbackup.BackupResource) awsbackup.BackupSelection
}

var (
	_ ILake = (*DataLake)(nil)
	_ ILake = (*Imported)(nil)
)

// RequireBuckets returns a validation error, for the construct at path and
// its field (such as "Props.Lake"), naming each of names that lake lacks;
// nil when it has them all. Constructs call it before they build anything.
func RequireBuckets(path, field string, lake ILake, names ...BucketName) error {
	var errs []error
	for _, n := range names {
		if !lake.Has(n) {
			errs = append(errs, &validation.Error{Path: path, Field: field, Value: validation.Render(*lake.Node().Path()),
				Problem:  fmt.Sprintf("the lake has no %q bucket, which this construct uses", n),
				Accepted: fmt.Sprintf("a lake with the %q bucket (datalake.FromBucketsProps.Buckets[%q])", n, n)})
		}
	}
	return validation.Join(path, errs...)
}

// Has reports whether the lake has the bucket called name: true for every
// name of AllBuckets.
func (d *DataLake) Has(name BucketName) bool { _, ok := d.buckets[name]; return ok }

// Key returns the key that encrypts the bucket called name (DataKey or
// AnalyticsKey). It panics with a validation error on an unknown name.
func (d *DataLake) Key(name BucketName) awskms.IKey {
	d.Bucket(name)
	return d.keys[name]
}

// Backup returns BackupPlan and BackupRole; nil, nil when backup is
// disabled.
func (d *DataLake) Backup() (awsbackup.IBackupPlan, awsiam.IRole) {
	if d.BackupPlan == nil {
		return nil, nil
	}
	return d.BackupPlan, d.BackupRole
}

// BucketRef is an existing bucket and the key that encrypts it.
type BucketRef struct {
	// Bucket is the existing bucket, from awss3.Bucket_FromBucketAttributes
	// or awss3.Bucket_FromBucketName. Required. Default: none.
	Bucket awss3.IBucket
	// Key is the customer-managed KMS key the bucket's objects are
	// encrypted with (awskms.Key_FromKeyArn); grants include it, through
	// S3 only. Default: nil, for a bucket encrypted with SSE-S3 (grants
	// then give no KMS action).
	Key awskms.IKey
}

// FromBucketsProps describes existing buckets used as biolake's data lake.
type FromBucketsProps struct {
	// Buckets are the existing buckets by the name of the lake's bucket
	// they stand for. A construct that uses a bucket not given stops the
	// synth with a validation error naming it. Required, at least one.
	// Default: none.
	Buckets map[BucketName]BucketRef
	// DataClasses are the data classes the ingest handler tags objects
	// with. Default: DefaultDataClasses().
	DataClasses DataClasses
	// BackupPlan is an existing AWS Backup plan that resources of later
	// constructs (the catalog table, a persistent Lustre file system) join.
	// Set together with BackupRole. Default: nil, no backup.
	BackupPlan awsbackup.IBackupPlan
	// BackupRole is the role AWS Backup assumes for the selections added
	// to BackupPlan. Set together with BackupPlan. Default: nil.
	BackupRole awsiam.IRole
}

// Validate checks p and returns every problem found as validation errors
// of the construct at path.
func (p *FromBucketsProps) Validate(path string) error {
	if p == nil {
		return validation.New(path, "FromBucketsProps", validation.Raw("nil"), "props with Buckets")
	}
	var errs []error
	bad := func(field string, value any, accepted string, args ...any) {
		errs = append(errs, validation.New(path, "FromBucketsProps."+field, value, accepted, args...))
	}
	if len(p.Buckets) == 0 {
		bad("Buckets", validation.Raw("{}"), "at least one bucket, by name: %s", joinNames(AllBuckets()))
	}
	names := make([]string, 0, len(p.Buckets))
	for n := range p.Buckets {
		names = append(names, string(n))
	}
	slices.Sort(names)
	for _, n := range names {
		ref := p.Buckets[BucketName(n)]
		field := fmt.Sprintf("Buckets[%q]", n)
		if !slices.Contains(AllBuckets(), BucketName(n)) {
			bad(field, n, "one of %s", joinNames(AllBuckets()))
			continue
		}
		if ref.Bucket == nil {
			bad(field+".Bucket", validation.Raw("nil"), "an existing bucket (awss3.Bucket_FromBucketAttributes)")
		}
	}
	if p.DataClasses != nil {
		for _, err := range p.DataClasses.validate() {
			errs = append(errs, &validation.Error{Path: path, Field: "FromBucketsProps.DataClasses", Problem: err.Error(),
				Accepted: "data classes as described at DataClasses"})
		}
	}
	if (p.BackupPlan == nil) != (p.BackupRole == nil) {
		plan, role := "nil", "nil"
		if p.BackupPlan != nil {
			plan = "set"
		}
		if p.BackupRole != nil {
			role = "set"
		}
		errs = append(errs, &validation.Error{Path: path, Field: "FromBucketsProps.BackupPlan", Value: plan,
			Problem: "BackupRole is " + role, Accepted: "BackupPlan and BackupRole both set, or both nil"})
	}
	return validation.Join(path, errs...)
}

// Imported is a data lake of existing buckets. Create it with FromBuckets.
// It creates no bucket, key or backup resource.
type Imported struct {
	constructs.Construct

	p FromBucketsProps
}

// FromBuckets returns existing buckets as an [ILake]. Grants on them are as
// narrow as on a lake New creates: prefix-scoped, with the bucket's key
// only when it has one. It panics with a validation error when props are
// invalid.
//
//	key := awskms.Key_FromKeyArn(stack, jsii.String("DataKey"), jsii.String("arn:aws:kms:eu-west-1:111122223333:key/..."))
//	raw := awss3.Bucket_FromBucketAttributes(stack, jsii.String("Raw"), &awss3.BucketAttributes{
//		BucketArn: jsii.String("arn:aws:s3:::lab-raw"), EncryptionKey: key,
//	})
//	lake := datalake.FromBuckets(stack, "Lake", &datalake.FromBucketsProps{
//		Buckets: map[datalake.BucketName]datalake.BucketRef{datalake.BucketRaw: {Bucket: raw, Key: key}},
//	})
func FromBuckets(scope constructs.Construct, id string, props *FromBucketsProps) *Imported {
	path := validation.PathOf(scope, id)
	validation.Check(path, props.Validate(path))
	p := *props
	p.Buckets = make(map[BucketName]BucketRef, len(props.Buckets))
	for n, r := range props.Buckets {
		p.Buckets[n] = r
	}
	if p.DataClasses == nil {
		p.DataClasses = DefaultDataClasses()
	}
	l := &Imported{p: p}
	constructs.NewConstruct_Override(l, scope, jsii.String(id))
	return l
}

// Has reports whether FromBucketsProps.Buckets gives the bucket called name.
func (l *Imported) Has(name BucketName) bool { _, ok := l.p.Buckets[name]; return ok }

func (l *Imported) ref(method string, name BucketName) BucketRef {
	r, ok := l.p.Buckets[name]
	if !ok {
		var have []string
		for _, n := range AllBuckets() {
			if l.Has(n) {
				have = append(have, string(n))
			}
		}
		panic(&validation.Error{Path: *l.Node().Path(), Field: method, Value: validation.Render(string(name)),
			Problem:  "the lake has no such bucket (not given in FromBucketsProps.Buckets)",
			Accepted: "one of the buckets given: " + strings.Join(have, ", ")})
	}
	return r
}

// Bucket returns the bucket given for name. It panics with a validation
// error when none was given.
func (l *Imported) Bucket(name BucketName) awss3.IBucket { return l.ref("Bucket", name).Bucket }

// Key returns the key given for the bucket called name, nil when the bucket
// was given without one. It panics like Bucket.
func (l *Imported) Key(name BucketName) awskms.IKey { return l.ref("Key", name).Key }

// DataBuckets returns the data buckets given, in the order of
// DataBucketNames.
func (l *Imported) DataBuckets() []awss3.IBucket {
	var out []awss3.IBucket
	for _, n := range DataBucketNames() {
		if r, ok := l.p.Buckets[n]; ok {
			out = append(out, r.Bucket)
		}
	}
	return out
}

// GrantRead is DataLake.GrantRead on the bucket given for bucket.
func (l *Imported) GrantRead(grantee awsiam.IGrantable, bucket BucketName, prefix string) awsiam.Grant {
	r := l.ref("GrantRead(bucket)", bucket)
	return grantOn(l, "GrantRead", grantee, bucket, r.Bucket, r.Key, prefix, true, false)
}

// GrantWrite is DataLake.GrantWrite on the bucket given for bucket.
func (l *Imported) GrantWrite(grantee awsiam.IGrantable, bucket BucketName, prefix string) awsiam.Grant {
	r := l.ref("GrantWrite(bucket)", bucket)
	return grantOn(l, "GrantWrite", grantee, bucket, r.Bucket, r.Key, prefix, false, true)
}

// GrantReadWrite is DataLake.GrantReadWrite on the bucket given for bucket.
func (l *Imported) GrantReadWrite(grantee awsiam.IGrantable, bucket BucketName, prefix string) awsiam.Grant {
	r := l.ref("GrantReadWrite(bucket)", bucket)
	return grantOn(l, "GrantReadWrite", grantee, bucket, r.Bucket, r.Key, prefix, true, true)
}

// DataClasses returns FromBucketsProps.DataClasses (defaults applied).
func (l *Imported) DataClasses() DataClasses { return l.p.DataClasses }

// Backup returns FromBucketsProps.BackupPlan and BackupRole.
func (l *Imported) Backup() (awsbackup.IBackupPlan, awsiam.IRole) {
	return l.p.BackupPlan, l.p.BackupRole
}

// AddToBackup adds resources to FromBucketsProps.BackupPlan under a
// selection named id, a child of this construct; nil without a plan.
func (l *Imported) AddToBackup(id string, resources ...awsbackup.BackupResource) awsbackup.BackupSelection {
	if l.p.BackupPlan == nil {
		return nil
	}
	if len(resources) == 0 {
		panic(validation.New(*l.Node().Path(), fmt.Sprintf("AddToBackup(%q)", id), validation.Raw("no resources"), "at least one resource"))
	}
	return awsbackup.NewBackupSelection(l, jsii.String(id), &awsbackup.BackupSelectionProps{
		BackupPlan: l.p.BackupPlan,
		Resources:  &resources,
		Role:       l.p.BackupRole,
	})
}

package analytics_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/constructs/analytics"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/validation"
)

// TestBadInput: each bad input stops New with a validation error naming
// the field and what is accepted. One stack holds the lake; each case
// builds the construct under its own id (never synthesized).
func TestBadInput(t *testing.T) {
	var (
		stack awscdk.Stack
		lake  *datalake.DataLake
		other awss3.IBucket
	)
	msg, _ := cdktest.Catch(func() {
		_, stack = cdktest.NewStack("Bad")
		lake = newLake(stack)
		other = awss3.Bucket_FromBucketName(stack, jsii.String("Elsewhere"), jsii.String("someone-elses-bucket"))
	})
	require.Empty(t, msg)

	cases := []struct {
		name   string
		change func(p *analytics.Props)
		field  string
		want   string
	}{
		{"cutoff below Athena's minimum", func(p *analytics.Props) { p.BytesScannedCutoff = 9_999_999 }, "Props.BytesScannedCutoff", "at least 10000000 (10 MB, Athena's minimum)"},
		{"catalog outside the lake", func(p *analytics.Props) { p.Catalog.Bucket = other }, "Props.Catalog.Bucket", "a bucket of Props.LakeBuckets"},
		{"inventory source outside the lake", func(p *analytics.Props) { p.Inventory.Sources[0].Bucket = other }, "Props.Inventory.Sources[0].Bucket", "a bucket of Props.LakeBuckets"},
		{"prefix escaping its folder", func(p *analytics.Props) { p.Catalog.Prefix = "../other/" }, "Props.Catalog.Prefix", "a key prefix inside the bucket"},
		{"location as a URL", func(p *analytics.Props) { p.Catalog.Prefix = "s3://bucket/catalog/" }, "Props.Catalog.Prefix", "a key prefix inside the bucket"},
		{"results without a key", func(p *analytics.Props) { p.QueryResults.Key = nil }, "Props.QueryResults.Key", "SSE-KMS"},
		{"no catalog bucket", func(p *analytics.Props) { p.Catalog.Bucket = nil }, "Props.Catalog.Bucket", "the bucket the data lies in"},
		{"no inventory", func(p *analytics.Props) { p.Inventory = nil }, "Props.Inventory", "destination and sources"},
		{"bad source name", func(p *analytics.Props) { p.Inventory.Sources[1].Name = "Raw-Data" }, "Props.Inventory.Sources[1].Name", "lower-case letters"},
		{"duplicate source", func(p *analytics.Props) { p.Inventory.Sources[1].Name = "raw" }, "Props.Inventory.Sources[1].Name", "not listed before"},
		{"unknown inventory field", func(p *analytics.Props) { p.Inventory.Fields = []string{"Size", "Colour"} }, "Props.Inventory.Fields", `"Colour"`},
		{"engine version", func(p *analytics.Props) { p.EngineVersion = "Athena engine version 2" }, "Props.EngineVersion", "Athena engine version 3"},
		{"database name", func(p *analytics.Props) { p.DatabaseName = "Lab-DB" }, "Props.DatabaseName", "lower-case letters, digits and _"},
		{"workgroup name", func(p *analytics.Props) { p.WorkGroupName = "lab workgroup" }, "Props.WorkGroupName", "letters, digits"},
		{"projection start", func(p *analytics.Props) { p.ProjectionStart = "01/01/2024" }, "Props.ProjectionStart", "YYYY-MM-DD"},
		{"archive to a class read without restore", func(p *analytics.Props) { p.Archive[0].StorageClass = "GLACIER_IR" }, "Props.Archive[0].StorageClass", "GLACIER or DEEP_ARCHIVE"},
		{"archive rule of an unknown bucket", func(p *analytics.Props) { p.Archive[0].Source = "scratch" }, "Props.Archive[0].Source", "inventory source"},
		{"results source unknown", func(p *analytics.Props) { p.ResultsSource = "outputs" }, "Props.ResultsSource", "inventory source"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := lakeProps(lake)
			c.change(p)
			var err error
			func() {
				defer func() {
					r := recover()
					require.NotNil(t, r, "New accepted it")
					var ok bool
					err, ok = validation.Recover(r)
					require.True(t, ok, "not a validation error: %v", r)
				}()
				analytics.New(stack, fmt.Sprintf("Case%d", i), p)
			}()
			var ve *validation.Error
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, fmt.Sprintf("Bad/Case%d", i), ve.Path)
			assert.Equal(t, c.field, ve.Field, err.Error())
			assert.Contains(t, err.Error(), c.want)
		})
	}

	t.Run("nil props", func(t *testing.T) {
		msg, panicked := cdktest.Catch(func() { analytics.New(stack, "NilProps", nil) })
		assert.True(t, panicked)
		assert.Contains(t, msg, "Bad/NilProps: Props is nil")
	})
	t.Run("nil grantee", func(t *testing.T) {
		msg, panicked := cdktest.Catch(func() { analytics.New(stack, "Good", lakeProps(lake)).GrantQuery(nil) })
		assert.True(t, panicked)
		assert.Contains(t, msg, "GrantQuery(grantee) is nil")
	})
}

// TestBadCostReportAndLakeFormation: each bad cost report or Lake
// Formation input stops New with a validation error naming the path, the
// field, the bad value and what is accepted.
func TestBadCostReportAndLakeFormation(t *testing.T) {
	var (
		stack         awscdk.Stack
		lake          *datalake.DataLake
		payer, badBkt awss3.IBucket
	)
	msg, _ := cdktest.Catch(func() {
		_, stack = cdktest.NewStack("BadGov")
		lake = newLake(stack)
		payer = awss3.Bucket_FromBucketName(stack, jsii.String("Payer"), jsii.String("payer-cur-111111111111"))
		badBkt = awss3.Bucket_FromBucketName(stack, jsii.String("BadName"), jsii.String("Payer_CUR"))
	})
	require.Empty(t, msg)
	good := func(p *analytics.Props) {
		p.CostReport = &analytics.CostReport{Bucket: payer, Prefix: "cur2/", ExportName: "lab-cur2"}
		p.LakeFormation = &analytics.LakeFormation{
			Admins:                []string{adminArn},
			SampleMetadataReaders: []analytics.ColumnReader{{Principal: curatorArn, Columns: []string{"run_id", "profile"}}},
		}
	}
	cases := []struct {
		name   string
		change func(p *analytics.Props)
		field  string
		value  string
		want   string
	}{
		{"lake formation without admins", func(p *analytics.Props) { p.LakeFormation.Admins = nil }, "Props.LakeFormation.Admins", "[]", "at least one IAM role or user ARN"},
		{"malformed admin ARN", func(p *analytics.Props) { p.LakeFormation.Admins = []string{"DataLakeAdmin"} }, "Props.LakeFormation.Admins[0]", `"DataLakeAdmin"`, "an IAM role or user ARN"},
		{"malformed reader ARN", func(p *analytics.Props) {
			p.LakeFormation.SampleMetadataReaders[0].Principal = "arn:aws:iam::12345:role/Curator"
		}, "Props.LakeFormation.SampleMetadataReaders[0].Principal", `"arn:aws:iam::12345:role/Curator"`, "arn:aws:iam::123456789012:role/"},
		{"reader of a group", func(p *analytics.Props) {
			p.LakeFormation.SampleMetadataReaders[0].Principal = "arn:aws:iam::123456789012:group/Curators"
		}, "Props.LakeFormation.SampleMetadataReaders[0].Principal", `"arn:aws:iam::123456789012:group/Curators"`, "an IAM role or user ARN"},
		{"column not in the table", func(p *analytics.Props) {
			p.LakeFormation.SampleMetadataReaders[0].Columns = []string{"run_id", "sample_name"}
		}, "Props.LakeFormation.SampleMetadataReaders[0].Columns[1]", `"sample_name"`, "a column of the runs table: run_id, state, bucket"},
		{"column of another table", func(p *analytics.Props) {
			p.LakeFormation.SampleMetadataReaders[0].Table = "objects"
		}, "Props.LakeFormation.SampleMetadataReaders[0].Columns[1]", `"profile"`, "a column of the objects table: run_id, bucket, key"},
		{"no columns", func(p *analytics.Props) { p.LakeFormation.SampleMetadataReaders[0].Columns = nil }, "Props.LakeFormation.SampleMetadataReaders[0].Columns", "[]", "at least one column of the runs table"},
		{"unknown table", func(p *analytics.Props) { p.LakeFormation.SampleMetadataReaders[0].Table = "samples" }, "Props.LakeFormation.SampleMetadataReaders[0].Table", `"samples"`, "runs or objects"},
		{"cost prefix without its slash", func(p *analytics.Props) { p.CostReport.Prefix = "cur2" }, "Props.CostReport.Prefix", `"cur2"`, `ending in "/"`},
		{"cost prefix as a URL", func(p *analytics.Props) { p.CostReport.Prefix = "s3://payer/cur2/" }, "Props.CostReport.Prefix", `"s3://payer/cur2/"`, `ending in "/"`},
		{"cost bucket name invalid", func(p *analytics.Props) { p.CostReport.Bucket = badBkt }, "Props.CostReport.Bucket", `"Payer_CUR"`, "an S3 bucket name: 3 to 63 lower-case letters"},
		{"cost bucket missing", func(p *analytics.Props) { p.CostReport.Bucket = nil }, "Props.CostReport.Bucket", "nil", "the bucket the Cost and Usage Report is delivered to"},
		{"export name missing", func(p *analytics.Props) { p.CostReport.ExportName = "" }, "Props.CostReport.ExportName", `""`, "the export's name"},
		{"export name with a slash", func(p *analytics.Props) { p.CostReport.ExportName = "lab/cur" }, "Props.CostReport.ExportName", `"lab/cur"`, "the export's name"},
		{"project tag with a quote", func(p *analytics.Props) { p.CostReport.ProjectTag = "pro'ject" }, "Props.CostReport.ProjectTag", `"pro'ject"`, "a tag key"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := lakeProps(lake)
			good(p)
			c.change(p)
			var err error
			func() {
				defer func() {
					r := recover()
					require.NotNil(t, r, "New accepted it")
					var ok bool
					err, ok = validation.Recover(r)
					require.True(t, ok, "not a validation error: %v", r)
				}()
				analytics.New(stack, fmt.Sprintf("Case%d", i), p)
			}()
			var ve *validation.Error
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, fmt.Sprintf("BadGov/Case%d", i), ve.Path)
			assert.Equal(t, c.field, ve.Field, err.Error())
			assert.Contains(t, err.Error(), c.value)
			assert.Contains(t, err.Error(), c.want)
			t.Log(err)
		})
	}

	// The cost report's bucket lies outside the lake and is accepted,
	// because it is named as the cost report; the same bucket as the
	// catalog's is refused.
	t.Run("cost report outside the lake", func(t *testing.T) {
		p := lakeProps(lake)
		good(p)
		msg, panicked := cdktest.Catch(func() { analytics.New(stack, "Outside", p) })
		assert.False(t, panicked, msg)
		p = lakeProps(lake)
		good(p)
		p.Catalog.Bucket = payer
		msg, panicked = cdktest.Catch(func() { analytics.New(stack, "CatalogOutside", p) })
		assert.True(t, panicked)
		assert.Contains(t, msg, "Props.Catalog.Bucket")
		assert.Contains(t, msg, "a bucket of Props.LakeBuckets")
	})
}

package analytics_test

import (
	"sort"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/biolake/biolake/constructs/analytics"
	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// TestLakeFillsTheLocations: Props.Lake alone gives the same tables, over
// the same locations, as the locations written out (lakeProps).
func TestLakeFillsTheLocations(t *testing.T) {
	tpl, _ := synth(t)
	var explicit, fromLake map[string]string
	msg, _ := cdktest.Catch(func() {
		app, stack := cdktest.NewStack("Analytics")
		lake := newLake(stack)
		analytics.New(stack, "Analytics", &analytics.Props{Lake: lake,
			Archive: lakeProps(lake).Archive, Workflows: lakeProps(lake).Workflows})
		fromLake = locations(app.Synth(nil).GetStackArtifact(stack.ArtifactId()).Template().(map[string]any))
	})
	require.Empty(t, msg)
	explicit = locations(tpl)
	require.Len(t, explicit, 7)
	assert.Equal(t, explicit, fromLake)
}

func locations(tpl map[string]any) map[string]string {
	out := map[string]string{}
	for _, r := range resources(tpl, "AWS::Glue::Table") {
		in := r["TableInput"].(map[string]any)
		if loc := cdktest.Get(in, "StorageDescriptor", "Location"); loc != nil {
			out[in["Name"].(string)] = cdktest.Render(loc)
		}
	}
	return out
}

// TestLakeWithoutTheBuckets: an imported lake without the curated,
// analytics or athena-results bucket is refused, naming the bucket.
func TestLakeWithoutTheBuckets(t *testing.T) {
	var names []string
	msg, panicked := cdktest.Catch(func() {
		_, stack := cdktest.NewStack("Imported")
		raw := awss3.Bucket_FromBucketName(stack, jsii.String("Raw"), jsii.String("lab-raw"))
		lake := datalake.FromBuckets(stack, "Lake", &datalake.FromBucketsProps{Buckets: map[datalake.BucketName]datalake.BucketRef{
			datalake.BucketRaw: {Bucket: raw},
		}})
		analytics.New(stack, "Analytics", &analytics.Props{Lake: lake})
	})
	require.True(t, panicked)
	for _, b := range []string{"curated", "analytics", "athenaResults"} {
		assert.Contains(t, msg, `the lake has no "`+b+`" bucket`)
		names = append(names, b)
	}
	sort.Strings(names)
	assert.Contains(t, msg, "Imported/Analytics: Props.Lake")
}

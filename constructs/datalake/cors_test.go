package datalake_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// TestLabelingPortalCORS: with LabelingPortalCORS the results bucket, and
// no other, gets one CORS rule: GET from this region's labeling portals
// only; without it no bucket has CORS. The bucket keeps its logical id.
func TestLabelingPortalCORS(t *testing.T) {
	for _, on := range []bool{true, false} {
		_, stack := cdktest.NewStack("Lab")
		var lake *datalake.DataLake
		cdktest.Must(t, "datalake.New", func() {
			lake = datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true, LabelingPortalCORS: on})
		})
		results := *stack.GetLogicalId(lake.Results.Node().DefaultChild().(awscdk.CfnElement))
		tpl := cdktest.Template(t, stack)
		withCORS := 0
		for id, b := range cdktest.Resources(t, tpl, "AWS::S3::Bucket") {
			props, _ := b["Properties"].(map[string]any)
			cors, ok := props["CorsConfiguration"]
			if !ok {
				continue
			}
			withCORS++
			raw, _ := json.Marshal(cors)
			want := `{"CorsRules":[{"AllowedMethods":["GET"],"AllowedOrigins":[{"Fn::Join":["",["https://*.labeling.",{"Ref":"AWS::Region"},".sagemaker.aws"]]}],"ExposedHeaders":["Access-Control-Allow-Origin"],"Id":"GroundTruthLabelingPortal"}]}`
			if id != results || string(raw) != want {
				t.Errorf("%s: CorsConfiguration %s; want only the results bucket (%s) with %s", id, raw, results, want)
			}
		}
		if want := map[bool]int{true: 1, false: 0}[on]; withCORS != want {
			t.Errorf("LabelingPortalCORS %v: %d buckets with CORS, want %d", on, withCORS, want)
		}
	}
}

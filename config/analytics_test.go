package config_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/validation"
)

const (
	analyticsOK = "name: bad\ntags: {owner: lab}\n"
	curOK       = "analytics:\n  costAndUsageReport: {bucket: payer-cur-111111111111, prefix: cur2/, exportName: lab-cur2}\n"
	lfOK        = "analytics:\n  lakeFormation:\n    enabled: true\n    admins: [\"arn:aws:iam::123456789012:role/DataLakeAdmin\"]\n" +
		"    sampleMetadataReaders:\n      - principal: arn:aws:iam::123456789012:role/SampleCurator\n        columns: [run_id, profile]\n"
)

// TestBadAnalyticsConfig: each bad cost report or Lake Formation setting
// names the field, the value and what is accepted, as a validation.Error.
func TestBadAnalyticsConfig(t *testing.T) {
	cases := []badCase{
		{"cost prefix without its slash", analyticsOK + "analytics: {costAndUsageReport: {bucket: payer-cur, prefix: cur2, exportName: lab-cur2}}\n",
			[]string{"analytics.costAndUsageReport.prefix", `"cur2"`, `ending in "/"`}},
		{"cost bucket name invalid", analyticsOK + "analytics: {costAndUsageReport: {bucket: Payer_CUR, exportName: lab-cur2}}\n",
			[]string{"analytics.costAndUsageReport.bucket", `"Payer_CUR"`, "not an S3 bucket name"}},
		{"cost bucket missing", analyticsOK + "analytics: {costAndUsageReport: {exportName: lab-cur2}}\n",
			[]string{"analytics.costAndUsageReport.bucket", "not an S3 bucket name"}},
		{"cost export name missing", analyticsOK + "analytics: {costAndUsageReport: {bucket: payer-cur}}\n",
			[]string{"analytics.costAndUsageReport.exportName", "the export's name"}},
		{"cost key not a KMS ARN", analyticsOK + "analytics: {costAndUsageReport: {bucket: payer-cur, exportName: x, kmsKeyArn: alias/cur}}\n",
			[]string{"analytics.costAndUsageReport.kmsKeyArn", `"alias/cur"`, "KMS key ARN"}},
		{"lake formation without admins", analyticsOK + "analytics: {lakeFormation: {enabled: true}}\n",
			[]string{"analytics.lakeFormation.admins", "at least one IAM role or user ARN"}},
		{"admins without lake formation", analyticsOK + "analytics: {lakeFormation: {admins: [\"arn:aws:iam::123456789012:role/A\"]}}\n",
			[]string{"analytics.lakeFormation.enabled", "must be true"}},
		{"malformed admin ARN", analyticsOK + "analytics: {lakeFormation: {enabled: true, admins: [DataLakeAdmin]}}\n",
			[]string{"analytics.lakeFormation.admins[0]", `"DataLakeAdmin"`, "IAM role or user ARN"}},
		{"malformed reader ARN", analyticsOK + "analytics: {lakeFormation: {enabled: true, admins: [\"arn:aws:iam::123456789012:role/A\"], sampleMetadataReaders: [{principal: \"arn:aws:iam::1:role/B\", columns: [run_id]}]}}\n",
			[]string{"analytics.lakeFormation.sampleMetadataReaders[0].principal", `"arn:aws:iam::1:role/B"`, "IAM role or user ARN"}},
		{"column not in the table", analyticsOK + "analytics: {lakeFormation: {enabled: true, admins: [\"arn:aws:iam::123456789012:role/A\"], sampleMetadataReaders: [{principal: \"arn:aws:iam::123456789012:role/B\", columns: [run_id, sample_name]}]}}\n",
			[]string{"analytics.lakeFormation.sampleMetadataReaders[0].columns[1]", `"sample_name"`, "not a column of the runs table", "run_id, state"}},
		{"unknown table", analyticsOK + "analytics: {lakeFormation: {enabled: true, admins: [\"arn:aws:iam::123456789012:role/A\"], sampleMetadataReaders: [{principal: \"arn:aws:iam::123456789012:role/B\", table: samples, columns: [run_id]}]}}\n",
			[]string{"analytics.lakeFormation.sampleMetadataReaders[0].table", `"samples"`, "runs or objects"}},
	}
	checkBad(t, cases)

	// Every one reads as the one validation error type.
	_, err := config.Parse("environments/bad.yaml", []byte(cases[0].yaml))
	var ve *validation.Error
	if !errors.As(err, &ve) || ve.Field != "analytics.costAndUsageReport.prefix" || ve.Value == "" || ve.Problem == "" {
		t.Errorf("not a validation.Error with field, value and accepted values: %#v", err)
	}
}

// TestAnalyticsProps: Lake Formation and the cost report are off unless
// configured, and reach the props when they are.
func TestAnalyticsProps(t *testing.T) {
	for _, name := range []string{"dev", "staging", "prod"} {
		env, err := config.Load(envDir, name)
		if err != nil {
			t.Fatal(err)
		}
		if p := env.Analytics.Props(env); p.LakeFormation != nil || env.Analytics.CostAndUsageReport != nil {
			t.Errorf("%s: Lake Formation or the cost report is on by default", name)
		}
	}
	env, err := config.Parse("environments/bad.yaml", []byte(analyticsOK+lfOK))
	if err != nil {
		t.Fatal(err)
	}
	lf := env.Analytics.Props(env).LakeFormation
	if lf == nil || !reflect.DeepEqual(lf.Admins, []string{"arn:aws:iam::123456789012:role/DataLakeAdmin"}) ||
		len(lf.SampleMetadataReaders) != 1 || !reflect.DeepEqual(lf.SampleMetadataReaders[0].Columns, []string{"run_id", "profile"}) {
		t.Errorf("lake formation props: %+v", lf)
	}
	env, err = config.Parse("environments/bad.yaml", []byte(analyticsOK+curOK))
	if err != nil {
		t.Fatal(err)
	}
	if c := env.Analytics.CostAndUsageReport; c == nil || c.Bucket != "payer-cur-111111111111" || c.Prefix != "cur2/" || c.ExportName != "lab-cur2" {
		t.Errorf("cost report: %+v", c)
	}
}

package athenasql_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/biolake/biolake/constructs/analytics/athenasql"
)

// curRow is one line item of a CUR 2.0 export (AWS Data Exports, Parquet),
// with the columns athenasql.CostColumns declares (TestTablesMatchTheFiles
// holds it to them).
type curRow struct {
	IdentityLineItemID          string            `parquet:"identity_line_item_id"`
	IdentityTimeInterval        string            `parquet:"identity_time_interval"`
	BillBillType                string            `parquet:"bill_bill_type"`
	BillBillingEntity           string            `parquet:"bill_billing_entity"`
	BillBillingPeriodStartDate  time.Time         `parquet:"bill_billing_period_start_date,timestamp(millisecond)"`
	BillBillingPeriodEndDate    time.Time         `parquet:"bill_billing_period_end_date,timestamp(millisecond)"`
	BillInvoiceID               string            `parquet:"bill_invoice_id,optional"`
	BillPayerAccountID          string            `parquet:"bill_payer_account_id"`
	BillPayerAccountName        string            `parquet:"bill_payer_account_name,optional"`
	LineItemUsageAccountID      string            `parquet:"line_item_usage_account_id"`
	LineItemUsageAccountName    string            `parquet:"line_item_usage_account_name,optional"`
	LineItemLineItemType        string            `parquet:"line_item_line_item_type"`
	LineItemUsageStartDate      time.Time         `parquet:"line_item_usage_start_date,timestamp(millisecond)"`
	LineItemUsageEndDate        time.Time         `parquet:"line_item_usage_end_date,timestamp(millisecond)"`
	LineItemProductCode         string            `parquet:"line_item_product_code"`
	LineItemUsageType           string            `parquet:"line_item_usage_type,optional"`
	LineItemOperation           string            `parquet:"line_item_operation,optional"`
	LineItemAvailabilityZone    string            `parquet:"line_item_availability_zone,optional"`
	LineItemResourceID          string            `parquet:"line_item_resource_id,optional"`
	LineItemUsageAmount         float64           `parquet:"line_item_usage_amount"`
	LineItemCurrencyCode        string            `parquet:"line_item_currency_code"`
	LineItemUnblendedCost       float64           `parquet:"line_item_unblended_cost"`
	LineItemBlendedCost         float64           `parquet:"line_item_blended_cost"`
	LineItemNetUnblendedCost    *float64          `parquet:"line_item_net_unblended_cost,optional"`
	LineItemLineItemDescription string            `parquet:"line_item_line_item_description,optional"`
	PricingPublicOnDemandCost   float64           `parquet:"pricing_public_on_demand_cost"`
	PricingUnit                 string            `parquet:"pricing_unit,optional"`
	ProductRegionCode           string            `parquet:"product_region_code,optional"`
	ProductServicecode          string            `parquet:"product_servicecode,optional"`
	ResourceTags                map[string]string `parquet:"resource_tags"`
	CostCategory                map[string]string `parquet:"cost_category"`
}

const (
	curBucket = "payer-cur"
	curPrefix = "cur2/"
	curExport = "lab-cur2"
)

// curDir is the export's data directory: <prefix><export>/data/, one
// BILLING_PERIOD=YYYY-MM directory a month under it.
func curDir(root string) string {
	return filepath.Join(root, curBucket, filepath.FromSlash(curPrefix), curExport, "data")
}

// month is the first day of the month n months from today's.
func month(today time.Time, n int) time.Time {
	return time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
}

// writeCUR writes a CUR 2.0 export of three billing periods: the current
// month, the one before, and one 14 months back that the query must not
// count. Line items carry the project tag, none, an empty one, or only
// another tag; a credit lowers a project's cost.
func writeCUR(t *testing.T, root string, today time.Time) {
	t.Helper()
	n := 0
	item := func(period time.Time, product, typ string, cost float64, tags map[string]string) curRow {
		n++
		start := period.AddDate(0, 0, 2)
		if tags == nil {
			tags = map[string]string{}
		}
		return curRow{
			IdentityLineItemID: "li-" + strings.Repeat("x", n), IdentityTimeInterval: start.Format(time.RFC3339) + "/" + start.Add(time.Hour).Format(time.RFC3339),
			BillBillType: "Anniversary", BillBillingEntity: "AWS",
			BillBillingPeriodStartDate: period, BillBillingPeriodEndDate: period.AddDate(0, 1, 0),
			BillPayerAccountID: "111111111111", BillPayerAccountName: "lab-payer",
			LineItemUsageAccountID: "222222222222", LineItemUsageAccountName: "lab-prod",
			LineItemLineItemType: typ, LineItemUsageStartDate: start, LineItemUsageEndDate: start.Add(time.Hour),
			LineItemProductCode: product, LineItemUsageType: "USE1-Usage", LineItemOperation: "Run",
			LineItemUsageAmount: 1, LineItemCurrencyCode: "USD",
			LineItemUnblendedCost: cost, LineItemBlendedCost: cost, PricingPublicOnDemandCost: cost,
			ProductRegionCode: "us-east-1", ProductServicecode: product,
			ResourceTags: tags, CostCategory: map[string]string{},
		}
	}
	project := func(p string) map[string]string {
		return map[string]string{"user_project": p, "user_owner": "research-computing"}
	}
	prev, cur, old := month(today, -1), month(today, 0), month(today, -14)
	periods := map[time.Time][]curRow{
		prev: {
			item(prev, "AmazonEC2", "Usage", 10.50, project("biolake")),
			item(prev, "AmazonS3", "Usage", 2.25, project("biolake")),
			item(prev, "AmazonEC2", "Credit", -1.00, project("biolake")),
			item(prev, "AWSBatch", "Usage", 7.00, project("oncology")),
			item(prev, "AmazonVPC", "Usage", 1.10, nil),                                         // no tag at all
			item(prev, "AmazonS3", "Usage", 0.40, map[string]string{"user_project": ""}),        // an empty value
			item(prev, "AWSLambda", "Usage", 3.00, map[string]string{"user_owner": "platform"}), // another tag only
		},
		cur: {
			item(cur, "AmazonEC2", "Usage", 4.00, project("biolake")),
			item(cur, "AmazonCloudWatch", "Usage", 0.05, nil),
		},
		old: {item(old, "AmazonEC2", "Usage", 100, project("biolake"))},
	}
	for p, rows := range periods {
		dir := filepath.Join(curDir(root), "BILLING_PERIOD="+p.Format("2006-01"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := parquet.WriteFile(filepath.Join(dir, curExport+"-00001.snappy.parquet"), rows); err != nil {
			t.Fatal(err)
		}
	}
}

// costByProject is what the cost query returns over writeCUR's export.
func costByProject(today time.Time) []string {
	prev, cur := month(today, -1).Format("2006-01"), month(today, 0).Format("2006-01")
	return []string{
		prev + " | (untagged) | USD | 4.5 | 3",
		prev + " | biolake | USD | 11.75 | 3",
		prev + " | oncology | USD | 7 | 1",
		cur + " | (untagged) | USD | 0.05 | 1",
		cur + " | biolake | USD | 4 | 1",
	}
}

func TestCostTagKey(t *testing.T) {
	for tag, want := range map[string]string{"project": "user_project", "Project": "user_project", "cost-center": "user_cost_center", "aws:x y": "user_aws_x_y"} {
		if got, err := athenasql.CostTagKey(tag); err != nil || got != want {
			t.Errorf("CostTagKey(%q) = %q, %v; want %q", tag, got, err, want)
		}
	}
	for _, bad := range []string{"", "proj'ect", strings.Repeat("a", 129)} {
		if _, err := athenasql.CostTagKey(bad); err == nil {
			t.Errorf("CostTagKey(%q) accepted", bad)
		}
	}
}

package athenasql

import (
	"fmt"
	"regexp"
	"strings"
)

// TableCostAndUsage is the table over the lab's Cost and Usage Report
// (CUR 2.0, delivered by AWS Data Exports as Parquet).
const TableCostAndUsage = "cost_and_usage"

// CostPartition is the CUR 2.0 export's partition: the billing period,
// YYYY-MM, from the BILLING_PERIOD=YYYY-MM directories Data Exports writes.
const CostPartition = "billing_period"

// DefaultProjectTag is the cost-allocation tag the platform puts on every
// resource (stacks/stage.go tags "project").
const DefaultProjectTag = "project"

// costColumns are the CUR 2.0 columns the table declares, with their Glue
// types, as the Data Exports table dictionary names them (AWS Data Exports
// User Guide, "Cost and Usage Report (CUR) 2.0"). CUR 2.0 has a fixed
// schema; Parquet is read by column name, so a column the export leaves out
// reads as null and a column left out here is not read. resource_tags holds
// the activated cost-allocation tags, keyed "user_<tag>".
var costColumns = []Column{
	{"identity_line_item_id", "string"},
	{"identity_time_interval", "string"},
	{"bill_bill_type", "string"},
	{"bill_billing_entity", "string"},
	{"bill_billing_period_start_date", "timestamp"},
	{"bill_billing_period_end_date", "timestamp"},
	{"bill_invoice_id", "string"},
	{"bill_payer_account_id", "string"},
	{"bill_payer_account_name", "string"},
	{"line_item_usage_account_id", "string"},
	{"line_item_usage_account_name", "string"},
	{"line_item_line_item_type", "string"},
	{"line_item_usage_start_date", "timestamp"},
	{"line_item_usage_end_date", "timestamp"},
	{"line_item_product_code", "string"},
	{"line_item_usage_type", "string"},
	{"line_item_operation", "string"},
	{"line_item_availability_zone", "string"},
	{"line_item_resource_id", "string"},
	{"line_item_usage_amount", "double"},
	{"line_item_currency_code", "string"},
	{"line_item_unblended_cost", "double"},
	{"line_item_blended_cost", "double"},
	{"line_item_net_unblended_cost", "double"},
	{"line_item_line_item_description", "string"},
	{"pricing_public_on_demand_cost", "double"},
	{"pricing_unit", "string"},
	{"product_region_code", "string"},
	{"product_servicecode", "string"},
	{"resource_tags", "map<string,string>"},
	{"cost_category", "map<string,string>"},
}

// CostColumns are the columns of the cost_and_usage table.
func CostColumns() []Column { return append([]Column(nil), costColumns...) }

var tagKey = regexp.MustCompile(`^[A-Za-z0-9 _.:/=+@-]{1,128}$`)

// CostTagKey is the key of a user cost-allocation tag in CUR 2.0's
// resource_tags map: "user_" and the tag key in lower case, every
// character other than a letter or digit made "_" (the legacy CUR column
// resource_tags_user_<tag> without its prefix).
func CostTagKey(tag string) (string, error) {
	if !tagKey.MatchString(tag) {
		return "", fmt.Errorf("tag key %q: letters, digits, spaces and _ . : / = + - @, 1 to 128", tag)
	}
	var b strings.Builder
	for _, r := range strings.ToLower(tag) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return "user_" + b.String(), nil
}

// Package cost estimates what a synthesized biolake environment costs,
// offline: no AWS call, only the cloud assembly (cdk.out, read with
// internal/assembly), the environment's config and a dated price table
// committed beside this file (prices.json).
//
// Every resource of every template is sorted into one of four classes:
// fixed (a standing charge every hour it exists, priced per month),
// usage (billed only for what it stores or processes; its usage prices are
// listed), free (no charge of its own), or unpriced (a type the model does
// not know: listed, never counted as zero). Workflows get a cost per run
// from their config: the vCPU-hours of their steps at their timeouts (an
// upper bound), the sample fan-out and the per-run file system.
//
//	a, _ := assembly.Read("cdk.out")
//	prices, _ := cost.LoadPrices()
//	r, _ := cost.Fixed(a, "dev", prices)
//	fmt.Printf("%s: $%.2f a month\n", r.Stage, r.Fixed)
//
// `make cost ENV=NAME` prints the itemized report (cmd/biolake-cost) and
// docs/COSTS.md holds it for each environment.
package cost

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

//go:embed prices.json
var pricesJSON []byte

// DefaultRegion prices environment-agnostic stacks (no region at synth).
const DefaultRegion = "us-east-1"

// Price is one entry of the price table.
type Price struct {
	// Unit the price is for, such as "endpoint-AZ hour".
	Unit string `json:"unit"`
	// USD by region.
	USD map[string]float64 `json:"usd"`
	// Page is the AWS pricing page of the price.
	Page string `json:"page"`
	// Checked names the page the price was compared with on the table's
	// date, or is empty when it was not compared.
	Checked string `json:"checked"`
}

// Prices is the dated price table.
type Prices struct {
	// Date the prices were taken (YYYY-MM-DD).
	Date string `json:"date"`
	// Currency of every price: USD.
	Currency string `json:"currency"`
	// HoursPerMonth turns hourly prices into monthly ones (730).
	HoursPerMonth float64 `json:"hoursPerMonth"`
	// Regions the table covers.
	Regions []string `json:"regions"`
	// About says what the prices are and where they come from.
	About string `json:"about"`
	// Prices by key ("vpc.natGateway.hour", ...).
	Prices map[string]Price `json:"prices"`
}

// LoadPrices returns the committed price table.
func LoadPrices() (*Prices, error) { return ParsePrices(pricesJSON) }

// ParsePrices decodes and checks a price table: a date, hours per month,
// and a price for every region listed in every entry.
func ParsePrices(data []byte) (*Prices, error) {
	p := &Prices{}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, fmt.Errorf("cost: price table: %w", err)
	}
	if len(p.Date) != len("2006-01-02") || p.HoursPerMonth <= 0 || p.Currency != "USD" || len(p.Regions) == 0 {
		return nil, fmt.Errorf("cost: price table: needs a date (YYYY-MM-DD, got %q), currency USD (got %q), hoursPerMonth > 0 (got %v) and regions (got %v)",
			p.Date, p.Currency, p.HoursPerMonth, p.Regions)
	}
	for _, k := range p.Keys() {
		e := p.Prices[k]
		if e.Unit == "" || e.Page == "" {
			return nil, fmt.Errorf("cost: price table: %s: needs a unit and a page", k)
		}
		for _, r := range p.Regions {
			v, ok := e.USD[r]
			if !ok || v < 0 {
				return nil, fmt.Errorf("cost: price table: %s: no price for %s (every entry prices every region of %v)", k, r, p.Regions)
			}
		}
	}
	return p, nil
}

// Keys returns the price keys, sorted.
func (p *Prices) Keys() []string {
	keys := make([]string, 0, len(p.Prices))
	for k := range p.Prices {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Has reports whether the table prices key in region.
func (p *Prices) Has(key, region string) bool {
	_, ok := p.Prices[key].USD[region]
	return ok
}

// Get returns the price of key in region, or an error naming what is
// missing: a missing price is never taken as zero.
func (p *Prices) Get(key, region string) (float64, error) {
	e, ok := p.Prices[key]
	if !ok {
		return 0, fmt.Errorf("no price %q in the price table", key)
	}
	v, ok := e.USD[region]
	if !ok {
		return 0, fmt.Errorf("price %q has no value for region %s (the table covers %s)", key, region, strings.Join(p.Regions, ", "))
	}
	return v, nil
}

// Covers reports whether the table has prices for region.
func (p *Prices) Covers(region string) bool { return slices.Contains(p.Regions, region) }

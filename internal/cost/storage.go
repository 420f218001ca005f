package cost

import (
	"fmt"
	"sort"
	"strings"

	"github.com/biolake/biolake/internal/assembly"
)

// Tier is one step of a lifecycle rule: from Day on, objects are in Class.
type Tier struct {
	Day   int
	Class string
	// GBMonth is the class's storage price a GB-month.
	GBMonth float64
}

// StorageRule is one lifecycle rule of a bucket with its storage price
// ladder and what a TB kept a year under it costs.
type StorageRule struct {
	Stack, Bucket, Rule string
	// Filter is the rule's prefix and tag filter, "" for the whole bucket.
	Filter string
	// Tiers start with STANDARD on day 0 (where S3 puts objects written
	// without a storage class).
	Tiers []Tier
	// ExpireDays is when current objects expire, 0 for never.
	ExpireDays int
	// YearPerTB is the storage charge of 1 TB (1,000 GB) written on day 0
	// and kept a year (or until it expires) under the rule, transitions
	// included.
	YearPerTB float64
}

// Storage returns the lifecycle rules with transitions of every bucket of
// stage, with their prices: the data lake's tiering policy as it was
// synthesized.
func Storage(a *assembly.Assembly, stage string, p *Prices) ([]StorageRule, error) {
	var out []StorageRule
	for _, st := range a.Stacks[stage] {
		region, _ := stackRegion(st)
		buckets := st.Resources("AWS::S3::Bucket")
		ids := make([]string, 0, len(buckets))
		for id := range buckets {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			props, _ := buckets[id]["Properties"].(map[string]any)
			lc, _ := props["LifecycleConfiguration"].(map[string]any)
			rules, _ := lc["Rules"].([]any)
			for _, r := range rules {
				rule, _ := r.(map[string]any)
				if s, _ := rule["Status"].(string); s != "Enabled" {
					continue
				}
				trs, _ := rule["Transitions"].([]any)
				if len(trs) == 0 {
					continue
				}
				sr, err := storageRule(st.Name, id, rule, trs, region, p)
				if err != nil {
					return nil, err
				}
				out = append(out, sr)
			}
		}
	}
	return out, nil
}

func storageRule(stack, bucket string, rule map[string]any, trs []any, region string, p *Prices) (StorageRule, error) {
	sr := StorageRule{Stack: stack, Bucket: bucket}
	sr.Rule, _ = rule["Id"].(string)
	var filter []string
	if pre, _ := rule["Prefix"].(string); pre != "" {
		filter = append(filter, "prefix "+pre)
	}
	if tags, ok := rule["TagFilters"].([]any); ok {
		for _, t := range tags {
			tm, _ := t.(map[string]any)
			filter = append(filter, fmt.Sprintf("tag %v=%v", tm["Key"], tm["Value"]))
		}
	}
	sr.Filter = strings.Join(filter, ", ")
	std, err := p.Get("s3.STANDARD.gbmonth", region)
	if err != nil {
		return sr, err
	}
	sr.Tiers = []Tier{{Day: 0, Class: "STANDARD", GBMonth: std}}
	for _, t := range trs {
		tm, _ := t.(map[string]any)
		class, _ := tm["StorageClass"].(string)
		day, _ := num(tm["TransitionInDays"])
		price, err := p.Get("s3."+class+".gbmonth", region)
		if err != nil {
			return sr, fmt.Errorf("cost: bucket %s rule %s: %w", bucket, sr.Rule, err)
		}
		if int(day) == 0 {
			sr.Tiers[0] = Tier{Day: 0, Class: class, GBMonth: price}
			continue
		}
		sr.Tiers = append(sr.Tiers, Tier{Day: int(day), Class: class, GBMonth: price})
	}
	sort.SliceStable(sr.Tiers, func(i, j int) bool { return sr.Tiers[i].Day < sr.Tiers[j].Day })
	if d, ok := num(rule["ExpirationInDays"]); ok {
		sr.ExpireDays = int(d)
	}
	end := 365
	if sr.ExpireDays > 0 && sr.ExpireDays < end {
		end = sr.ExpireDays
	}
	for i, t := range sr.Tiers {
		if t.Day >= end {
			break
		}
		until := end
		if i+1 < len(sr.Tiers) && sr.Tiers[i+1].Day < end {
			until = sr.Tiers[i+1].Day
		}
		sr.YearPerTB += 1000 * t.GBMonth * float64(until-t.Day) / 30.4167
		if i > 0 {
			if tp, err := p.Get("s3."+t.Class+".transition.1k", region); err == nil {
				// One transition request per object; priced here for 1,000
				// objects of 1 GB.
				sr.YearPerTB += tp
			}
		}
	}
	return sr, nil
}

// Ladder renders the tiers as "STANDARD $0.0230 -> d60 DEEP_ARCHIVE
// $0.0010".
func (s StorageRule) Ladder() string {
	parts := make([]string, len(s.Tiers))
	for i, t := range s.Tiers {
		day := ""
		if t.Day > 0 {
			day = fmt.Sprintf("day %d ", t.Day)
		}
		parts[i] = fmt.Sprintf("%s%s $%.5f", day, t.Class, t.GBMonth)
	}
	out := strings.Join(parts, " -> ")
	if s.ExpireDays > 0 {
		out += fmt.Sprintf(" -> expires day %d", s.ExpireDays)
	}
	return out
}

package datalake_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/datalake"
)

var update = flag.Bool("update", false, "rewrite the cost estimate in docs/STORAGE.md")

// The reference workload of docs/STORAGE.md: 50 TB (decimal: 50,000 GB) of
// new sequencing data a year, arriving evenly month by month, each month's
// data kept 5 years and then deleted; the split between data classes and the
// bucket each lands in.
const (
	yearlyGB   = 50000.0
	keepMonths = 60
	daysPerMon = 365.25 / 12
)

var workload = []struct {
	label    string
	bucket   datalake.BucketName
	class    string
	fraction float64
}{
	{"BCL/CBCL run folders", datalake.BucketRaw, datalake.ClassBCL, 0.40},
	{"FASTQ", datalake.BucketRaw, datalake.ClassFASTQ, 0.35},
	{"BAM/CRAM + indexes", datalake.BucketResults, datalake.ClassAlignment, 0.20},
	{"QC reports and other small files", datalake.BucketResults, datalake.ClassQC, 0.05},
}

// us-east-1 list prices per GB-month, see docs/STORAGE.md for the sources.
var price = map[datalake.StorageClass]float64{
	datalake.Standard:           0.023, // first 50 TB; standardCost applies the volume tiers
	datalake.StandardIA:         0.0125,
	datalake.IntelligentTiering: 0.023, // frequent-access tier: an upper bound
	datalake.GlacierIR:          0.004,
	datalake.Glacier:            0.0036,
	datalake.DeepArchive:        0.00099,
}

// standardCost applies S3 Standard's volume tiers: $0.023 for the first
// 50 TB, $0.022 for the next 450 TB, $0.021 above 500 TB, per GB-month.
func standardCost(gb float64) float64 {
	first := min(gb, 50000)
	next := min(max(gb-50000, 0), 450000)
	over := max(gb-500000, 0)
	return first*0.023 + next*0.022 + over*0.021
}

var rank = map[datalake.StorageClass]int{datalake.Standard: 0, datalake.StandardIA: 1, datalake.IntelligentTiering: 2, datalake.GlacierIR: 3, datalake.Glacier: 4, datalake.DeepArchive: 5}

// classAt is the storage class of an object of data class class in bucket
// b at an age in days, under the bucket's effective tiering: the coldest
// class any matching (whole-bucket-prefix) rule has moved it to by then, as
// S3 does when rules overlap.
func classAt(b datalake.BucketName, class string, day float64) datalake.StorageClass {
	cur := datalake.InitialStorageClass(b)
	for _, r := range datalake.DefaultTiering().Effective(b).Rules {
		if r.Prefix != "" || (r.DataClass != "" && r.DataClass != class) {
			continue
		}
		for _, t := range r.Transitions {
			if float64(t.Days) <= day && rank[t.StorageClass] > rank[cur] {
				cur = t.StorageClass
			}
		}
	}
	return cur
}

type estimate struct {
	steadyPolicy, steadyStandard float64 // $/month once 5 years of data are stored
	fiveYearPolicy, fiveYearStd  float64 // $ over the first 60 months
	gbByClass                    map[datalake.StorageClass]float64
	rows                         []string
}

// estimateCost sums, for each month, every monthly cohort still kept, at
// the price of the class it is in at mid-month.
func estimateCost() estimate {
	monthly := yearlyGB / 12
	e := estimate{gbByClass: map[datalake.StorageClass]float64{}}
	monthCost := func(months int, policy bool) (cost float64, gbByClass map[datalake.StorageClass]float64) {
		gbByClass = map[datalake.StorageClass]float64{}
		for age := 0; age < min(months, keepMonths); age++ {
			day := (float64(age) + 0.5) * daysPerMon
			for _, w := range workload {
				c := datalake.Standard
				if policy {
					c = classAt(w.bucket, w.class, day)
				}
				gbByClass[c] += monthly * w.fraction
			}
		}
		for c, gb := range gbByClass {
			if c == datalake.Standard {
				cost += standardCost(gb)
			} else {
				cost += gb * price[c]
			}
		}
		return cost, gbByClass
	}
	for m := 1; m <= keepMonths; m++ {
		p, _ := monthCost(m, true)
		s, _ := monthCost(m, false)
		e.fiveYearPolicy += p
		e.fiveYearStd += s
	}
	e.steadyPolicy, e.gbByClass = monthCost(keepMonths, true)
	e.steadyStandard, _ = monthCost(keepMonths, false)
	return e
}

// lifeOf describes the classes an object of the data class goes through.
func lifeOf(b datalake.BucketName, class string) string {
	var parts []string
	prev := datalake.StorageClass("")
	for day := 0; day <= keepMonths*31; day++ {
		c := classAt(b, class, float64(day))
		if c != prev {
			parts = append(parts, fmt.Sprintf("%s from day %d", c, day))
			prev = c
		}
	}
	return strings.Join(parts, ", ")
}

func renderEstimate(e estimate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Reference workload: %.0f TB of new data a year, arriving evenly, each month's data kept %d months and then deleted; once %d years are stored, %.0f TB.\n\n",
		yearlyGB/1000, keepMonths, keepMonths/12, yearlyGB*keepMonths/12/1000)
	b.WriteString("| Data | Share | Bucket | Classes under DefaultTiering |\n|---|---:|---|---|\n")
	for _, w := range workload {
		fmt.Fprintf(&b, "| %s | %.0f%% | %s | %s |\n", w.label, w.fraction*100, w.bucket, lifeOf(w.bucket, w.class))
	}
	b.WriteString("\nSteady state (every month once 5 years of data are stored), storage only:\n\n")
	b.WriteString("| Storage class | GB stored | $/GB-month | $/month |\n|---|---:|---:|---:|\n")
	for _, c := range []datalake.StorageClass{datalake.Standard, datalake.StandardIA, datalake.IntelligentTiering, datalake.GlacierIR, datalake.Glacier, datalake.DeepArchive} {
		gb, ok := e.gbByClass[c]
		if !ok {
			continue
		}
		cost := gb * price[c]
		if c == datalake.Standard {
			cost = standardCost(gb)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c, thousands(gb), fmt.Sprintf("%g", price[c]), dollars(cost))
	}
	fmt.Fprintf(&b, "| **Total under DefaultTiering** | %s | | **%s** |\n", thousands(yearlyGB*keepMonths/12), dollars(e.steadyPolicy))
	fmt.Fprintf(&b, "| All in S3 Standard (0.023 first 50 TB, 0.022 next 450 TB) | %s | | %s |\n", thousands(yearlyGB*keepMonths/12), dollars(e.steadyStandard))
	fmt.Fprintf(&b, "\nSaving at steady state: %s a month (%.0f%%). Over the first five years (storage growing from zero): %s under DefaultTiering against %s in S3 Standard, a saving of %.0f%%.\n",
		dollars(e.steadyStandard-e.steadyPolicy), 100*(1-e.steadyPolicy/e.steadyStandard),
		dollars(e.fiveYearPolicy), dollars(e.fiveYearStd), 100*(1-e.fiveYearPolicy/e.fiveYearStd))
	return b.String()
}

func thousands(gb float64) string {
	s := fmt.Sprintf("%.0f", gb)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func dollars(v float64) string { return "$" + thousands(v) }

const (
	beginMark = "<!-- cost-estimate:begin (generated by go test ./constructs/datalake -run TestCostEstimate -update) -->"
	endMark   = "<!-- cost-estimate:end -->"
)

// TestCostEstimate keeps the estimate in docs/STORAGE.md true to
// DefaultTiering: it computes it from the policy and compares.
func TestCostEstimate(t *testing.T) {
	e := estimateCost()
	if e.steadyPolicy >= e.steadyStandard/2 {
		t.Errorf("DefaultTiering costs %s a month at steady state against %s in Standard: less than half the saving expected", dollars(e.steadyPolicy), dollars(e.steadyStandard))
	}
	got := renderEstimate(e)
	file := filepath.Join("..", "..", "docs", "STORAGE.md")
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i, j := strings.Index(text, beginMark), strings.Index(text, endMark)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q ... %q", file, beginMark, endMark)
	}
	current := text[i+len(beginMark)+1 : j]
	if current == got {
		return
	}
	if *update {
		text = text[:i+len(beginMark)+1] + got + text[j:]
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the estimate in %s is out of date; run go test ./constructs/datalake -run TestCostEstimate -update and review it. Computed:\n%s", file, got)
}

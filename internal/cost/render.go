package cost

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/internal/assembly"
)

// Full is everything known about one environment's cost.
type Full struct {
	*Report
	Runs    []RunCost
	Storage []StorageRule
}

// Summary is the one-line figure `make synth` prints.
func (r *Report) Summary() string {
	s := fmt.Sprintf("fixed $%.2f a month", r.Fixed)
	if r.Later > r.Fixed+0.005 {
		s += fmt.Sprintf(" ($%.2f once its KMS keys have rotated twice)", r.Later)
	}
	if r.Unpriced > 0 {
		s += fmt.Sprintf(", %d resources not priced", r.Unpriced)
	}
	return s
}

func (r *Report) pricedAs() string {
	s := fmt.Sprintf("prices of %s for %s", r.PriceDate, strings.Join(r.Regions, ", "))
	if r.Agnostic {
		s += fmt.Sprintf(" (environment-agnostic stacks priced as %s)", DefaultRegion)
	}
	return s
}

// WriteText writes the itemized report as aligned text.
func (f *Full) WriteText(w io.Writer) {
	r := f.Report
	fmt.Fprintf(w, "%s: %s; %s\n", r.Stage, r.Summary(), r.pricedAs())
	fmt.Fprintf(w, "\nFixed monthly charges\n")
	rows := [][]string{{"STACK", "RESOURCE", "TYPE", "QUANTITY", "$/MONTH"}}
	for _, it := range r.Of(ClassFixed) {
		rows = append(rows, []string{it.Stack, it.LogicalID, it.Type, it.Quantity, fmt.Sprintf("%.2f", it.Monthly)})
	}
	table(w, rows)
	fmt.Fprintf(w, "  by stack:")
	for _, s := range sortedStacks(r.ByStack()) {
		fmt.Fprintf(w, " %s $%.2f;", s.name, s.usd)
	}
	fmt.Fprintln(w)
	f.writeRunsText(w)
	if len(f.Storage) > 0 {
		fmt.Fprintf(w, "\nStorage: lifecycle rules (a TB written on day 0, kept a year; $/GB-month by tier)\n")
		rows = [][]string{{"STACK", "BUCKET", "RULE", "TIERS", "$/TB-YEAR"}}
		for _, s := range f.Storage {
			rule := s.Rule
			if s.Filter != "" {
				rule += " (" + s.Filter + ")"
			}
			rows = append(rows, []string{s.Stack, s.Bucket, rule, s.Ladder(), fmt.Sprintf("%.2f", s.YearPerTB)})
		}
		table(w, rows)
	}
	fmt.Fprintf(w, "\nBilled by usage only (no standing charge)\n")
	for _, g := range groups(r.Of(ClassUsage)) {
		fmt.Fprintf(w, "  %s x%d: %s\n", g.typ, g.n, g.note)
	}
	fmt.Fprintf(w, "\nFree: %d resources (%s)\n", len(r.Of(ClassFree)), typeList(r.Of(ClassFree)))
	fmt.Fprintf(w, "Not priced: %d\n", r.Unpriced)
	for _, it := range r.Of(ClassUnpriced) {
		fmt.Fprintf(w, "  %s %s %s: %s\n", it.Stack, it.LogicalID, it.Type, it.Note)
	}
}

func (f *Full) writeRunsText(w io.Writer) {
	if len(f.Runs) == 0 {
		fmt.Fprintf(w, "\nPer run: no workflow\n")
		return
	}
	sz := f.Runs[0].Size
	fmt.Fprintf(w, "\nPer run (upper bound: every step of every sample at its timeout; %d samples, %g GB of input)\n", sz.Samples, sz.InputGB)
	for _, rc := range f.Runs {
		fmt.Fprintf(w, "  %s: $%.2f a run (compute $%.2f, per-run Lustre $%.2f, Step Functions $%.3f); at most %.1f h (%d samples at a time)\n",
			rc.Workflow, rc.Total, rc.Compute, rc.Lustre, rc.States, rc.Hours, rc.MapConcurrency)
		for _, s := range rc.Steps {
			fmt.Fprintf(w, "    %-12s %-8s %5g vCPU %7d MiB %d GPU %6s  on %-22s $%.4f/h  $%.2f a sample\n",
				s.Name, s.Queue, s.VCPUs, s.MemoryMiB, s.GPUs, s.Timeout, s.RunsOn, s.Hourly, s.PerSample)
		}
		if rc.RestoreTier != "" {
			fmt.Fprintf(w, "    when the inputs are archived: %s restore of %g GB from Deep Archive $%.2f more\n", rc.RestoreTier, rc.Size.InputGB, rc.Restore)
		}
	}
}

// WriteMarkdown writes the itemized report as Markdown (for a CI comment or
// docs/COSTS.md); level is the heading level of its title.
func (f *Full) WriteMarkdown(w io.Writer, level int) {
	r := f.Report
	h := strings.Repeat("#", level)
	fmt.Fprintf(w, "%s %s: $%.2f a month fixed\n\n", h, r.Stage, r.Fixed)
	fmt.Fprintf(w, "%s; %s.\n\n", strings.ToUpper(r.Summary()[:1])+r.Summary()[1:], r.pricedAs())
	fmt.Fprintf(w, "| Stack | Resource | Type | Quantity | $/month |\n|---|---|---|---|---:|\n")
	for _, it := range r.Of(ClassFixed) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.2f |\n", it.Stack, it.LogicalID, it.Type, it.Quantity, it.Monthly)
	}
	for _, s := range sortedStacks(r.ByStack()) {
		fmt.Fprintf(w, "| %s | | | total | %.2f |\n", s.name, s.usd)
	}
	fmt.Fprintf(w, "| | | | **total** | **%.2f** |\n\n", r.Fixed)
	if len(f.Runs) > 0 {
		sz := f.Runs[0].Size
		fmt.Fprintf(w, "Per run, an upper bound (every step of every sample at its timeout), for %d samples and %g GB of input:\n\n", sz.Samples, sz.InputGB)
		fmt.Fprintf(w, "| Workflow | Step | Queue | vCPU | MiB | GPU | Timeout | Priced on | $/hour | $/sample |\n|---|---|---|---:|---:|---:|---|---|---:|---:|\n")
		for _, rc := range f.Runs {
			for _, s := range rc.Steps {
				fmt.Fprintf(w, "| %s | %s | %s | %g | %d | %d | %s | %s | %.4f | %.2f |\n", rc.Workflow, s.Name, s.Queue, s.VCPUs, s.MemoryMiB, s.GPUs, s.Timeout, s.RunsOn, s.Hourly, s.PerSample)
			}
		}
		fmt.Fprintf(w, "\n| Workflow | Compute | Per-run Lustre | Step Functions | **Per run** | At most | Restore if archived |\n|---|---:|---:|---:|---:|---:|---|\n")
		for _, rc := range f.Runs {
			restore := "skipped"
			if rc.RestoreTier != "" {
				restore = fmt.Sprintf("%s $%.2f", rc.RestoreTier, rc.Restore)
			}
			lus := "none"
			if rc.LustreGiB > 0 {
				lus = fmt.Sprintf("%d GiB $%.2f", rc.LustreGiB, rc.Lustre)
			}
			fmt.Fprintf(w, "| %s | %.2f | %s | %.3f | **%.2f** | %.1f h | %s |\n", rc.Workflow, rc.Compute, lus, rc.States, rc.Total, rc.Hours, restore)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "No workflow: no cost per run.\n\n")
	}
	if len(f.Storage) > 0 {
		fmt.Fprintf(w, "Storage under the lifecycle rules (a TB written on day 0 and kept a year, transitions included; $/GB-month by tier):\n\n")
		fmt.Fprintf(w, "| Bucket | Rule | Tiers | $/TB-year |\n|---|---|---|---:|\n")
		for _, s := range f.Storage {
			rule := s.Rule
			if s.Filter != "" {
				rule += " (" + s.Filter + ")"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %.2f |\n", s.Bucket, rule, s.Ladder(), s.YearPerTB)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Billed by usage only: ")
	var parts []string
	for _, g := range groups(r.Of(ClassUsage)) {
		parts = append(parts, fmt.Sprintf("%s x%d", g.typ, g.n))
	}
	fmt.Fprintf(w, "%s. Free: %d resources. Not priced: %d", strings.Join(parts, ", "), len(r.Of(ClassFree)), r.Unpriced)
	for _, it := range r.Of(ClassUnpriced) {
		fmt.Fprintf(w, "; %s %s (%s)", it.LogicalID, it.Type, it.Note)
	}
	fmt.Fprintf(w, ".\n\n")
}

type stackUSD struct {
	name string
	usd  float64
}

func sortedStacks(m map[string]float64) []stackUSD {
	out := make([]stackUSD, 0, len(m))
	for k, v := range m {
		out = append(out, stackUSD{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

type group struct {
	typ, note string
	n         int
}

func groups(items []Item) []group {
	idx := map[string]int{}
	var out []group
	for _, it := range items {
		i, ok := idx[it.Type+"\x00"+it.Note]
		if !ok {
			i = len(out)
			idx[it.Type+"\x00"+it.Note] = i
			out = append(out, group{typ: it.Type, note: it.Note})
		}
		out[i].n++
	}
	sort.Slice(out, func(i, j int) bool { return out[i].typ < out[j].typ })
	return out
}

func typeList(items []Item) string {
	seen := map[string]int{}
	for _, it := range items {
		seen[strings.TrimPrefix(it.Type, "AWS::")]++
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = fmt.Sprintf("%s x%d", k, seen[k])
	}
	return strings.Join(keys, ", ")
}

// table writes rows with aligned columns, indented two spaces.
func table(w io.Writer, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(" ")
		for i, c := range r {
			if i == len(r)-1 {
				fmt.Fprintf(&b, " %*s", width[i], c)
			} else {
				fmt.Fprintf(&b, " %-*s", width[i], c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// Environment prices stage of a: its fixed charges, its storage rules and,
// from its environment file in envDir, a run of size of each workflow
// (none for the delivery pipeline's stage).
func Environment(a *assembly.Assembly, stage, envDir string, p *Prices, size RunSize) (*Full, error) {
	r, err := Fixed(a, stage, p)
	if err != nil {
		return nil, err
	}
	f := &Full{Report: r}
	if f.Storage, err = Storage(a, stage, p); err != nil {
		return nil, err
	}
	if stage == config.PipelineName {
		// The delivery pipeline runs no workflows: its fixed charges and
		// storage are all there is.
		return f, nil
	}
	env, err := config.Load(envDir, stage)
	if err != nil {
		return nil, fmt.Errorf("cost: the cost per run reads the environment file: %w", err)
	}
	if f.Runs, err = PerRun(env, p, size); err != nil {
		return nil, err
	}
	return f, nil
}

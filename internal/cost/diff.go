package cost

import (
	"fmt"
	"io"
	"sort"
)

// Change is one resource whose fixed monthly charge a change adds, removes
// or alters; resources without a charge in either version are left out,
// as are unpriced ones, which Diff reports apart.
type Change struct {
	Stack, LogicalID, Type string
	// Before and After are the monthly charges (0 where the resource does
	// not exist or has no standing charge).
	Before, After float64
	// Quantity is the new (or, for a removed resource, the old) quantity.
	Quantity string
}

// Delta is After - Before.
func (c Change) Delta() float64 { return c.After - c.Before }

// Comparison is what a change of the app does to one stage's fixed cost.
type Comparison struct {
	Stage         string
	Before, After float64
	Changes       []Change
	// NewUnpriced are resources of the new version the model cannot price.
	NewUnpriced []Item
}

// Delta is the change of the fixed monthly cost.
func (c *Comparison) Delta() float64 { return c.After - c.Before }

// Diff compares two reports of the same stage by stack and logical id.
func Diff(base, head *Report) *Comparison {
	cmp := &Comparison{Stage: head.Stage, Before: base.Fixed, After: head.Fixed}
	type key struct{ stack, id string }
	old := map[key]Item{}
	for _, it := range base.Items {
		old[key{it.Stack, it.LogicalID}] = it
	}
	seen := map[key]bool{}
	for _, it := range head.Items {
		k := key{it.Stack, it.LogicalID}
		seen[k] = true
		b := old[k]
		if it.Class == ClassUnpriced && b.Class != ClassUnpriced {
			cmp.NewUnpriced = append(cmp.NewUnpriced, it)
		}
		if round(it.Monthly) != round(b.Monthly) {
			cmp.Changes = append(cmp.Changes, Change{Stack: it.Stack, LogicalID: it.LogicalID, Type: it.Type, Before: b.Monthly, After: it.Monthly, Quantity: it.Quantity})
		}
	}
	for _, it := range base.Items {
		if k := (key{it.Stack, it.LogicalID}); !seen[k] && it.Monthly != 0 {
			cmp.Changes = append(cmp.Changes, Change{Stack: it.Stack, LogicalID: it.LogicalID, Type: it.Type, Before: it.Monthly, Quantity: it.Quantity})
		}
	}
	sort.Slice(cmp.Changes, func(i, j int) bool {
		a, b := cmp.Changes[i], cmp.Changes[j]
		if a.Stack != b.Stack {
			return a.Stack < b.Stack
		}
		return a.LogicalID < b.LogicalID
	})
	return cmp
}

func round(v float64) int64 { return int64(v*100 + 0.5) }

func signed(v float64) string {
	if v < 0 {
		return fmt.Sprintf("-$%.2f", -v)
	}
	return fmt.Sprintf("+$%.2f", v)
}

// WriteText writes the comparison as aligned text.
func (c *Comparison) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%s: %s a month (from $%.2f to $%.2f fixed)\n", c.Stage, signed(c.Delta()), c.Before, c.After)
	if len(c.Changes) == 0 {
		fmt.Fprintf(w, "  no change to any fixed charge\n")
	} else {
		rows := [][]string{{"STACK", "RESOURCE", "TYPE", "QUANTITY", "BEFORE", "AFTER", "$/MONTH"}}
		for _, ch := range c.Changes {
			rows = append(rows, []string{ch.Stack, ch.LogicalID, ch.Type, ch.Quantity, fmt.Sprintf("%.2f", ch.Before), fmt.Sprintf("%.2f", ch.After), signed(ch.Delta())})
		}
		table(w, rows)
	}
	for _, it := range c.NewUnpriced {
		fmt.Fprintf(w, "  not priced: %s %s %s: %s\n", it.Stack, it.LogicalID, it.Type, it.Note)
	}
}

// WriteMarkdown writes the comparison as Markdown for a CI comment.
func (c *Comparison) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "### %s: %s a month\n\nFixed cost from $%.2f to $%.2f a month.\n\n", c.Stage, signed(c.Delta()), c.Before, c.After)
	if len(c.Changes) > 0 {
		fmt.Fprintf(w, "| Stack | Resource | Type | Quantity | Before | After | Change |\n|---|---|---|---|---:|---:|---:|\n")
		for _, ch := range c.Changes {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %.2f | %.2f | %s |\n", ch.Stack, ch.LogicalID, ch.Type, ch.Quantity, ch.Before, ch.After, signed(ch.Delta()))
		}
		fmt.Fprintln(w)
	}
	for _, it := range c.NewUnpriced {
		fmt.Fprintf(w, "- not priced: %s %s (%s)\n", it.LogicalID, it.Type, it.Note)
	}
}

// Command biolake-summary prints where the synthesized templates are and a
// one-line summary per Stage: stacks, resources, cdk-nag findings
// (unsuppressed and suppressed) and the fixed monthly cost (internal/cost;
// `make cost` itemizes it). It exits 1 when any finding is unsuppressed.
//
//	go run ./cmd/biolake-summary [cdk.out]
package main

import (
	"fmt"
	"os"

	"github.com/biolake/biolake/constructs/compliance"
	"github.com/biolake/biolake/internal/assembly"
	"github.com/biolake/biolake/internal/cost"
)

func main() {
	dir := "cdk.out"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	a, err := assembly.Read(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "biolake-summary:", err)
		os.Exit(2)
	}
	prices, err := cost.LoadPrices()
	if err != nil {
		fmt.Fprintln(os.Stderr, "biolake-summary:", err)
		os.Exit(2)
	}
	failed := false
	for _, stage := range a.Stages {
		resources, open, suppressed := 0, 0, 0
		for _, st := range a.Stacks[stage] {
			resources += len(st.Resources(""))
			fmt.Printf("  %s\n", st.TemplateFile)
			for _, pack := range compliance.Packs() {
				rows, err := a.NagReport(st, pack)
				if err != nil {
					fmt.Fprintln(os.Stderr, "biolake-summary:", err)
					failed = true
					continue
				}
				for _, r := range rows {
					switch r.Compliance {
					case "Non-Compliant":
						open++
						fmt.Fprintf(os.Stderr, "  nag %s: %s on %s\n", r.Level, r.Rule, r.Resource)
					case "Suppressed":
						suppressed++
					}
				}
			}
		}
		open += len(a.Errors[stage])
		money := "cost not estimated"
		if r, err := cost.Fixed(a, stage, prices); err != nil {
			fmt.Fprintln(os.Stderr, "biolake-summary:", err)
		} else {
			money = r.Summary() + " (make cost ENV=" + stage + ")"
		}
		fmt.Printf("%s: %d stacks, %d resources, cdk-nag: %d unsuppressed, %d suppressed findings (%v), %s\n",
			stage, len(a.Stacks[stage]), resources, open, suppressed, compliance.Packs(), money)
		if open > 0 {
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

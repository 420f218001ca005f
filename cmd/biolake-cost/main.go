// Command biolake-cost estimates what a synthesized environment costs,
// offline, from its cloud assembly and its environment file: the fixed
// monthly charge of every resource (by stack), the cost of a run of each
// workflow (an upper bound, for a run of the size given), the storage
// prices of the data lake's lifecycle rules, and what a change adds a month
// against the assembly of the version before it.
//
//	biolake-cost [-dir cdk.out] [-env NAME] [-samples 24] [-input-gb 500] [-markdown FILE]
//	biolake-cost -base BASE_CDK_OUT [-dir cdk.out] [-env NAME] [-markdown FILE]
//
// `make cost ENV=NAME` and `make cost-diff BASE=DIR` run it. Prices come
// from internal/cost/prices.json (dated; docs/COSTS.md says how to refresh
// it). The exit status is 2 when the assembly or the environment cannot be
// read, 0 otherwise.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/biolake/biolake/internal/assembly"
	"github.com/biolake/biolake/internal/cost"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "biolake-cost:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("biolake-cost", flag.ContinueOnError)
	dir := fs.String("dir", "cdk.out", "the cloud assembly to price")
	env := fs.String("env", "", "the environment (stage) to price; default: every stage of the assembly")
	envDir := fs.String("environments", "environments", "the directory of the environment files (for the workflows' cost per run)")
	samples := fs.Int("samples", cost.DefaultRunSize.Samples, "samples in the run the cost per run is for")
	inputGB := fs.Float64("input-gb", cost.DefaultRunSize.InputGB, "GB of input of that run (what a restore from Glacier reads)")
	markdown := fs.String("markdown", "", "also write the report as Markdown to this file (- for standard output instead of text)")
	base := fs.String("base", "", "compare with the cloud assembly in this directory: print what the change adds a month")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v; flags: -dir, -env, -environments, -samples, -input-gb, -markdown, -base", fs.Args())
	}
	prices, err := cost.LoadPrices()
	if err != nil {
		return err
	}
	head, err := assembly.Read(*dir)
	if err != nil {
		return err
	}
	stages := head.Stages
	if *env != "" {
		stages = []string{*env}
	}
	var md io.Writer
	switch *markdown {
	case "":
	case "-":
		md, stdout = stdout, io.Discard
	default:
		f, err := os.Create(*markdown)
		if err != nil {
			return err
		}
		defer f.Close()
		md = f
	}
	if *base != "" {
		old, err := assembly.Read(*base)
		if err != nil {
			return err
		}
		for _, s := range stages {
			after, err := cost.Fixed(head, s, prices)
			if err != nil {
				return err
			}
			before := &cost.Report{Stage: s}
			if _, ok := old.Stacks[s]; ok {
				if before, err = cost.Fixed(old, s, prices); err != nil {
					return err
				}
			}
			cmp := cost.Diff(before, after)
			cmp.WriteText(stdout)
			if md != nil {
				cmp.WriteMarkdown(md)
			}
		}
		return nil
	}
	for i, s := range stages {
		full, err := cost.Environment(head, s, *envDir, prices, cost.RunSize{Samples: *samples, InputGB: *inputGB})
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		full.WriteText(stdout)
		if md != nil {
			full.WriteMarkdown(md, 2)
		}
	}
	return nil
}

// Command biolake-diagram writes the architecture picture of one
// environment as Graphviz DOT, from its synthesized cloud assembly: one
// cluster per stack, the components coloured by the README's eight
// capabilities, and the data's way through them (internal/diagram).
// `make diagram` runs it on the dev app and renders the PNG with `dot`.
//
//	go run ./cmd/biolake-diagram [-dir cdk.out] [-env dev] [-o docs/architecture.dot]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/biolake/biolake/internal/assembly"
	"github.com/biolake/biolake/internal/diagram"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "biolake-diagram:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("biolake-diagram", flag.ContinueOnError)
	dir := fs.String("dir", "cdk.out", "the synthesized cloud assembly")
	env := fs.String("env", "dev", "the environment (Stage) to draw")
	out := fs.String("o", "", "write the DOT to this file instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	a, err := assembly.Read(*dir)
	if err != nil {
		return err
	}
	g, err := diagram.Build(a, *env)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := g.WriteDOT(&b); err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(b.Bytes())
		return err
	}
	return os.WriteFile(*out, b.Bytes(), 0o644)
}

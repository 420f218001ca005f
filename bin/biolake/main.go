// Command biolake is the CDK app: it picks the environment (-c env=NAME,
// default dev), builds that environment's Stage and synthesizes it. Run it
// through the CDK CLI: `make synth ENV=staging` or `npx cdk synth -c env=staging`.
// `-c env=pipeline` builds the delivery pipeline of environments/pipeline.yaml
// instead, with the Stage of each environment it deploys (docs/PIPELINE.md).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/constructs/validation"
	"github.com/biolake/biolake/pipelines"
	"github.com/biolake/biolake/stacks"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	name := contextString(app, "env", "dev")
	dir := contextString(app, "environments", "environments")
	var err error
	if name == config.PipelineName {
		err = buildPipeline(app, dir, "package.json")
	} else {
		var env *config.Environment
		env, err = config.Load(dir, name)
		if err == nil {
			err = build(app, func() { newStage(app, env) })
		}
	}
	if err != nil {
		report(os.Stderr, err)
		os.Exit(2)
	}
	app.Synth(nil)
}

// newStage is stacks.NewStage; a test replaces it.
var newStage = func(app awscdk.App, env *config.Environment) { stacks.NewStage(app, env) }

// buildPipeline composes the delivery pipeline of dir/pipeline.yaml and the
// Stage of each environment it deploys; the CDK CLI version of the
// self-mutation step is the one packageJSON pins.
func buildPipeline(app awscdk.App, dir, packageJSON string) error {
	cfg, err := config.LoadPipeline(dir)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(packageJSON)
	if err != nil {
		return err
	}
	cli, err := pipelines.CLIVersion(raw)
	if err != nil {
		return err
	}
	return build(app, func() { pipelines.Build(app, cfg, cli) })
}

// build composes the app with compose. Constructs report bad input by
// panicking with a validation error; build returns it, to be printed
// without a stack trace. Any other panic is a bug: it goes on, with its
// stack trace.
func build(app awscdk.App, compose func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			verr, ok := validation.Recover(r)
			if !ok {
				panic(r)
			}
			err = verr
		}
	}()
	compose()
	return nil
}

// report prints every validation error of err on a line of its own, or
// err's message when it holds none.
func report(w io.Writer, err error) {
	var es validation.Errors
	if errors.As(validation.Join("", err), &es) {
		for _, e := range es {
			fmt.Fprintln(w, "biolake:", e)
		}
		return
	}
	fmt.Fprintln(w, "biolake:", err)
}

// contextString reads a string context value (-c key=value) or def.
func contextString(app awscdk.App, key, def string) string {
	if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok && v != "" {
		return v
	}
	return def
}

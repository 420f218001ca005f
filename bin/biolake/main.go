// Command biolake is the CDK app: it picks the environment (-c env=NAME,
// default dev), builds that environment's Stage and synthesizes it. Run it
// through the CDK CLI: `make synth ENV=staging` or `npx cdk synth -c env=staging`.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/biolake/biolake/config"
	"github.com/biolake/biolake/stacks"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	name := contextString(app, "env", "dev")
	env, err := config.Load(contextString(app, "environments", "environments"), name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "biolake:", err)
		os.Exit(2)
	}
	if err := build(app, env); err != nil {
		fmt.Fprintf(os.Stderr, "biolake: %s: %v\n", env.File, err)
		os.Exit(2)
	}
	app.Synth(nil)
}

// build composes env's Stage. Constructs report invalid props by panicking
// with an error that names the field; it is returned here to be printed
// without a stack trace.
func build(app awscdk.App, env *config.Environment) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	stacks.NewStage(app, env)
	return nil
}

// contextString reads a string context value (-c key=value) or def.
func contextString(app awscdk.App, key, def string) string {
	if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok && v != "" {
		return v
	}
	return def
}

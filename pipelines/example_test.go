package pipelines_test

import (
	"fmt"

	"github.com/biolake/biolake/pipelines"
)

// Every CodeBuild step of the pipeline runs one script with a subcommand;
// the synth step installs and checks the toolchain, tests and synthesizes.
func ExampleSynthCommands() {
	c := pipelines.SynthCommands()
	fmt.Println(c.Install)
	fmt.Println(c.Build)
	fmt.Println(pipelines.DiffCommands("prod").Build)
	// Output:
	// [bash scripts/pipeline-build.sh install bash scripts/pipeline-build.sh check]
	// [bash scripts/pipeline-build.sh test bash scripts/pipeline-build.sh synth]
	// [bash scripts/pipeline-build.sh diff prod]
}

// The self-mutation step installs the CDK CLI that package.json pins.
func ExampleCLIVersion() {
	v, err := pipelines.CLIVersion([]byte(`{"devDependencies": {"aws-cdk": "2.1148.1"}}`))
	fmt.Println(v, err)
	_, err = pipelines.CLIVersion([]byte(`{"devDependencies": {"aws-cdk": "^2.1148.1"}}`))
	fmt.Println(err)
	// Output:
	// 2.1148.1 <nil>
	// package.json: devDependencies.aws-cdk is "^2.1148.1"; the pipeline needs an exact version such as 2.1148.1
}

package pipelinedef_test

import (
	"fmt"

	"github.com/biolake/biolake/constructs/ml/pipelinedef"
)

// The model-building pipeline's steps, rendered and parsed back.
func ExampleModelBuilding() {
	def := pipelinedef.ModelBuilding(spec())
	body, _ := def.Render()
	fmt.Println(pipelinedef.Validate(body))
	for _, s := range def.Steps {
		fmt.Println(s.Name, s.Type)
		if args, ok := s.Arguments.(pipelinedef.ConditionArgs); ok {
			fmt.Println("  if:", args.IfSteps[0].Name, args.IfSteps[0].Type)
			fmt.Println("  else:", args.ElseSteps[0].Name, args.ElseSteps[0].Type)
		}
	}
	// Output:
	// <nil>
	// Features Processing
	// Train Training
	// Evaluate Processing
	// CheckMetric Condition
	//   if: Register RegisterModel
	//   else: MetricBelowThreshold Fail
}

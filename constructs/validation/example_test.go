package validation_test

import (
	"fmt"

	"github.com/biolake/biolake/constructs/validation"
)

func Example() {
	var errs []error
	bad := validation.Collector("Stack/Queue", &errs)
	bad("MaxvCpus", 0, "1 to %d", 10000)
	err := validation.Join("Stack/Queue", errs...)

	_, ok := validation.Recover(err)
	fmt.Println(err)
	fmt.Println("recovered:", ok)
	// Output:
	// Stack/Queue: Props.MaxvCpus is 0; accepted: 1 to 10000
	// recovered: true
}

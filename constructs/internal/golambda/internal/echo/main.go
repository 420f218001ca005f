// Command echo is the Lambda handler that golambda's own tests build: it
// answers every invocation with its input, unchanged, as JSON. It is a test
// fixture of the asset builder, not part of the platform; no stack deploys it.
//
// It lives here rather than under testdata/ so that the go tool (go vet,
// go mod tidy) sees its imports: go mod tidy ignores testdata, and would drop
// the aws-lambda-go requirement that this real build needs.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

// echo returns its input unchanged. Invoking it twice with the same event
// gives the same answer, so it is trivially idempotent.
func echo(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
	if len(in) == 0 {
		return json.RawMessage("null"), nil
	}
	return in, nil
}

func main() {
	lambda.Start(echo)
}

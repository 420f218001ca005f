package verify

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Handle is the verify Lambda's handler: it parses the input (ParseRequest)
// and runs VerifyRun (returning VerifyOutput) or Finalize (returning
// FinalizeOutput). Errors are returned as their typed values, so the Lambda
// runtime's errorType names them for Step Functions Retry/Catch.
func (v *Verifier) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	log := v.logger()
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	req, err := ParseRequest(raw)
	if err != nil {
		log.Error("bad input", "errorType", errorType(err), "error", err.Error())
		return nil, err
	}
	var out any
	switch req.Action {
	case ActionFinalize:
		out, err = v.Finalize(ctx, *req.Finalize)
	default:
		out, err = v.VerifyRun(ctx, req.Completed)
	}
	if err != nil {
		log.Error(req.Action+" failed", "errorType", errorType(err), "error", err.Error())
		return nil, err
	}
	return out, nil
}

// errorType names an error's type the way the Lambda runtime does.
func errorType(err error) string {
	t := fmt.Sprintf("%T", err)
	for i := len(t) - 1; i >= 0; i-- {
		if t[i] == '.' {
			return t[i+1:]
		}
	}
	return t
}

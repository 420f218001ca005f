package verify

import (
	"context"
	"encoding/json"

	"github.com/biolake/biolake/internal/handler"
)

// Handle is the verify Lambda's handler: it parses the input (ParseRequest)
// and runs VerifyRun (returning VerifyOutput) or Finalize (returning
// FinalizeOutput). Errors are returned as their typed values, so the Lambda
// runtime's errorType names them for Step Functions Retry/Catch.
func (v *Verifier) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	log := handler.Logger(ctx, v.logger())
	req, err := ParseRequest(raw)
	if err != nil {
		log.Error("bad input", handler.ErrAttrs(err)...)
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
		log.Error(req.Action+" failed", handler.ErrAttrs(err)...)
		return nil, err
	}
	return out, nil
}

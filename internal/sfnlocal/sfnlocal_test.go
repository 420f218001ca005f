package sfnlocal_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/biolake/biolake/internal/sfnlocal"
)

const machine = `{
  "StartAt": "Call",
  "States": {
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "f", "Payload.$": "$"},
      "ResultSelector": {"items.$": "$.Payload.items"}, "ResultPath": "$.list",
      "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 60, "MaxAttempts": 2}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Failed"}],
      "Next": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 86400, "Next": "Each"},
    "Each": {"Type": "Map", "ItemsPath": "$.list.items", "ItemSelector": {"item.$": "$$.Map.Item.Value", "run.$": "$$.Execution.Name"},
      "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync", "End": true}}},
      "ResultPath": null, "End": true},
    "Failed": {"Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "$.failure.Cause"}
  }
}`

func tools(t *testing.T) sfnlocal.Tools {
	t.Helper()
	tl, err := sfnlocal.Find(".")
	if errors.Is(err, sfnlocal.ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func TestRun(t *testing.T) {
	tl := tools(t)
	ctx := map[string]any{"Execution": map[string]any{"Name": "exec-1"}}
	out, err := tl.Run(context.Background(), map[string]string{"m": machine}, []sfnlocal.Scenario{
		{Name: "ok", Machine: "m", Context: ctx, Input: map[string]any{"runId": "r"}, Mocks: map[string][]sfnlocal.Answer{
			"Call": {sfnlocal.Fail("Lambda.TooManyRequestsException", "slow down"), sfnlocal.Result(map[string]any{"Payload": map[string]any{"items": []string{"a", "b"}}})},
			"Work": {sfnlocal.Result(map[string]any{"JobId": "1", "Status": "SUCCEEDED"})},
		}},
		{Name: "caught", Machine: "m", Context: ctx, Mocks: map[string][]sfnlocal.Answer{
			"Call": {sfnlocal.Fail("ErrBad", "bad input")},
		}},
		{Name: "unmocked", Machine: "m", Context: ctx, Mocks: map[string][]sfnlocal.Answer{
			"Call": {sfnlocal.Result(map[string]any{"Payload": map[string]any{"items": []string{"a"}}})},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ok := out[0]
	if ok.Status != "SUCCEEDED" || ok.Retries != 1 || !slices.Equal(ok.States, []string{"Call", "Pause", "Each", "Work", "Work"}) {
		t.Errorf("ok: %+v", ok)
	}
	if in := ok.Inputs("Work"); len(in) != 2 || in[0]["run"] != "exec-1" || in[1]["item"] != "b" && in[0]["item"] != "b" {
		t.Errorf("ok: the Map's items got %v", in)
	}
	if c := out[1]; c.Status != "FAILED" || c.Error != "ErrBad" || c.Cause != "bad input" || !c.Visited("Failed") {
		t.Errorf("caught: %+v", c)
	}
	if u := out[2]; u.Status != "FAILED" || u.Error != "Mock.Missing" {
		t.Errorf("unmocked: %+v", u)
	}
	if _, err := tl.Run(context.Background(), map[string]string{}, []sfnlocal.Scenario{{Name: "x", Machine: "nope"}}); err == nil {
		t.Error("a scenario naming an unknown machine ran")
	}
}

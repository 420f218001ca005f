package test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/internal/sfnlocal"
)

// The ML deployment flow of every environment that has one, executed with
// aws-local-stepfunctions on each documented path (docs/ML.md, "Deploying
// an approved model"): approved and created (and scaled, real-time),
// approved and updated, the first endpoint failed and deleted, an update
// rolled back by SageMaker, an update SageMaker could not roll back, a
// rejected or no longer approved package ignored.

const (
	mlGroup   = "biolake-test-models"
	mlVersion = 7
	mlEventID = "3f1c9a7e-5b2d-4e8f-9a61-0c7d2e4b8f10"
	mlOldConf = "previous-v6-0a1b2c3d"
)

// approvalEvent is a SageMaker Model Package State Change event.
func approvalEvent() map[string]any {
	return map[string]any{
		"version": "0", "id": mlEventID, "detail-type": ml.ModelPackageStateChange, "source": "aws.sagemaker",
		"account": sfnlocal.Account, "time": "2026-12-02T10:00:00Z", "region": sfnlocal.Region,
		"resources": []any{sfnlocal.SageMakerARN("model-package/" + mlGroup + "/7")},
		"detail": map[string]any{
			"ModelPackageGroupName": mlGroup, "ModelPackageVersion": mlVersion,
			"ModelPackageArn":  sfnlocal.SageMakerARN("model-package/" + mlGroup + "/7"),
			"ModelPackageName": mlGroup, "ModelApprovalStatus": "Approved", "ModelPackageStatus": "Completed",
			"CreationTime": 1764669600000,
		},
	}
}

type mlPath struct {
	name   string
	status string // SUCCEEDED or FAILED
	states []string
	not    []string
	// outcome of the one message to the topic.
	outcome string
	mocks   func(endpoint, newConfig string) mocks
}

func mlPaths(realTime bool) []mlPath {
	base := func(endpoint, cfg string) mocks {
		return mocks{
			ml.StateDescribePackage:      forever(sfnlocal.DescribeModelPackage(mlGroup, mlVersion, "Approved")),
			ml.StateCreateModel:          forever(sfnlocal.CreateModel(cfg)),
			ml.StateCreateConfig:         forever(sfnlocal.CreateEndpointConfig(cfg)),
			ml.StateFindEndpoint:         forever(sfnlocal.EndpointNotFound(endpoint)),
			ml.StateCreateEndpoint:       forever(sfnlocal.CreateEndpoint(endpoint)),
			ml.StateUpdateEndpoint:       forever(sfnlocal.CreateEndpoint(endpoint)),
			ml.StateDescribeEndpoint:     answers(sfnlocal.DescribeEndpoint(endpoint, cfg, "Creating"), sfnlocal.DescribeEndpoint(endpoint, cfg, "InService")),
			ml.StateRegisterScaling:      forever(sfnlocal.RegisterScalableTarget("endpoint/" + endpoint + "/variant/AllTraffic")),
			ml.StatePutScalingPolicy:     forever(sfnlocal.PutScalingPolicy(endpoint, endpoint+"-invocations")),
			ml.StateNotifyDeployed:       forever(sfnlocal.SNSPublish()),
			ml.StateNotifyFailed:         forever(sfnlocal.SNSPublish()),
			ml.StateDeleteFailedEndpoint: forever(sfnlocal.SageMakerEmpty()),
			ml.StateDeleteNewConfig:      forever(sfnlocal.SageMakerEmpty()),
			ml.StateDeleteNewModel:       forever(sfnlocal.SageMakerEmpty()),
		}
	}
	scaled := []string{}
	if realTime {
		scaled = []string{ml.StateRegisterScaling, ml.StatePutScalingPolicy}
	}
	cleanup := []string{ml.StateDeleteNewConfig, ml.StateDeleteNewModel, ml.StateNotifyFailed, ml.StateFailed}
	existing := func(m mocks, endpoint, cfg string) {
		m[ml.StateFindEndpoint] = forever(sfnlocal.DescribeEndpoint(endpoint, mlOldConf, "InService"))
	}
	return []mlPath{
		{name: "approved, endpoint created", status: "SUCCEEDED", outcome: ml.OutcomeCreated,
			states: join([]string{ml.StateReadApproval, ml.StateDescribePackage, ml.StateCreateModel, ml.StateCreateConfig, ml.StateFindEndpoint, ml.StateCreateEndpoint,
				ml.StateWaitEndpoint, ml.StateDescribeEndpoint, ml.StateCountPolls, ml.StateDescribeEndpoint}, scaled, []string{ml.StateNotifyDeployed, ml.StateDeployed}),
			not: []string{ml.StateUpdateEndpoint, ml.StateDeleteNewModel}, mocks: base},
		{name: "approved, endpoint updated", status: "SUCCEEDED", outcome: ml.OutcomeUpdated,
			states: join([]string{ml.StateFindEndpoint, ml.StateCanUpdate, ml.StateUpdateEndpoint, ml.StateDescribeEndpoint}, scaled, []string{ml.StateNotifyDeployed, ml.StateDeployed}),
			not:    []string{ml.StateCreateEndpoint, ml.StateDeleteNewModel},
			mocks: func(e, c string) mocks {
				m := base(e, c)
				existing(m, e, c)
				m[ml.StateDescribeEndpoint] = answers(sfnlocal.DescribeEndpoint(e, mlOldConf, "Updating"), sfnlocal.DescribeEndpoint(e, c, "InService"))
				return m
			}},
		{name: "first endpoint failed, deleted", status: "FAILED", outcome: ml.OutcomeRolledBack,
			states: join([]string{ml.StateCreateEndpoint, ml.StateDescribeEndpoint, ml.StateDeleteFailedEndpoint}, cleanup),
			not:    join(scaled, []string{ml.StateNotifyDeployed}),
			mocks: func(e, c string) mocks {
				m := base(e, c)
				m[ml.StateDescribeEndpoint] = answers(sfnlocal.DescribeEndpoint(e, c, "Creating"), sfnlocal.DescribeEndpoint(e, c, "Failed"))
				return m
			}},
		{name: "update rolled back", status: "FAILED", outcome: ml.OutcomeRolledBack,
			states: join([]string{ml.StateUpdateEndpoint, ml.StateDescribeEndpoint, ml.StateRolledBack}, cleanup),
			not:    join(scaled, []string{ml.StateNotifyDeployed, ml.StateDeleteFailedEndpoint}),
			mocks: func(e, c string) mocks {
				m := base(e, c)
				existing(m, e, c)
				m[ml.StateDescribeEndpoint] = answers(sfnlocal.DescribeEndpoint(e, mlOldConf, "Updating"), sfnlocal.DescribeEndpoint(e, mlOldConf, "RollingBack"),
					sfnlocal.DescribeEndpoint(e, mlOldConf, "InService"))
				return m
			}},
		{name: "update refused, nothing deployed", status: "FAILED", outcome: ml.OutcomeNotDeployed,
			states: join([]string{ml.StateUpdateEndpoint}, cleanup),
			not:    []string{ml.StateDescribeEndpoint, ml.StateDeleteFailedEndpoint},
			mocks: func(e, c string) mocks {
				m := base(e, c)
				existing(m, e, c)
				m[ml.StateUpdateEndpoint] = forever(sfnlocal.Fail("SageMaker.ResourceLimitExceededException", "The account-level service limit for ml.m5.large for endpoint usage is 2 Instances"))
				return m
			}},
		{name: "rollback failed, needs attention", status: "FAILED", outcome: ml.OutcomeAttention,
			states: []string{ml.StateUpdateEndpoint, ml.StateDescribeEndpoint, ml.StateNeedsAttention, ml.StateNotifyFailed, ml.StateFailed},
			not:    []string{ml.StateDeleteNewConfig, ml.StateDeleteNewModel},
			mocks: func(e, c string) mocks {
				m := base(e, c)
				existing(m, e, c)
				m[ml.StateDescribeEndpoint] = forever(sfnlocal.DescribeEndpoint(e, c, "UpdateRollbackFailed"))
				return m
			}},
		{name: "rejected package ignored", status: "SUCCEEDED",
			states: []string{ml.StateDescribePackage, ml.StateIsApproved, ml.StateIgnored},
			not:    []string{ml.StateCreateModel, ml.StateNotifyDeployed, ml.StateNotifyFailed},
			mocks: func(e, c string) mocks {
				m := base(e, c)
				m[ml.StateDescribePackage] = forever(sfnlocal.DescribeModelPackage(mlGroup, mlVersion, "Rejected"))
				return m
			}},
		{name: "approval withdrawn ignored", status: "SUCCEEDED",
			states: []string{ml.StateDescribePackage, ml.StateIgnored},
			not:    []string{ml.StateCreateModel},
			mocks: func(e, c string) mocks {
				m := base(e, c)
				m[ml.StateDescribePackage] = forever(sfnlocal.DescribeModelPackage(mlGroup, mlVersion, "PendingManualApproval"))
				return m
			}},
	}
}

// TestMLDeploymentExecutes runs every path on every environment's flow.
func TestMLDeploymentExecutes(t *testing.T) {
	tools, err := sfnlocal.Find("..")
	if errors.Is(err, sfnlocal.ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	s := synthAll(t)
	defs := map[string]string{}
	var scenarios []sfnlocal.Scenario
	var paths []mlPath
	var endpoints []string
	for _, env := range s.Envs {
		cfg := environment(t, env)
		for _, st := range s.Stacks[env] {
			d, err := st.StateMachineDefinitions()
			if err != nil {
				t.Fatal(err)
			}
			for id, asl := range d {
				if kind, _ := machineKind(asl); kind != kindMLDeploy {
					continue
				}
				dep := cfg.ML.Deployment
				if dep == nil {
					t.Fatalf("%s: a deployment flow without ml.deployment", env)
				}
				p := dep.Props(cfg)
				key := st.Name + "/" + id
				defs[key] = asl
				newConfig := strings.ToLower(p.EndpointName) + "-v7-3f1c9a7e"
				for _, path := range mlPaths(dep.Mode == string(ml.RealTime)) {
					scenarios = append(scenarios, sfnlocal.Scenario{
						Name: env + " " + path.name, Machine: key, Input: approvalEvent(), Mocks: path.mocks(p.EndpointName, newConfig),
						Context: map[string]any{"Execution": map[string]any{"Id": "arn:aws:states:us-east-1:123456789012:execution:deploy:" + mlEventID}},
					})
					paths = append(paths, path)
					endpoints = append(endpoints, p.EndpointName)
				}
			}
		}
	}
	if len(defs) == 0 {
		t.Fatal("no environment has an ML deployment flow")
	}
	out, err := tools.Run(context.Background(), defs, scenarios)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range out {
		path, name := paths[i], scenarios[i].Name
		if o.Status != path.status {
			t.Errorf("%s: %s %s (%s), want %s\nstates %v", name, o.Status, o.Error, o.Cause, path.status, o.States)
			continue
		}
		j := 0
		for _, st := range o.States {
			if j < len(path.states) && st == path.states[j] {
				j++
			}
		}
		if j < len(path.states) {
			t.Errorf("%s: state %s not visited in order\nstates %v", name, path.states[j], o.States)
		}
		for _, st := range path.not {
			if o.Visited(st) {
				t.Errorf("%s: visits %s", name, st)
			}
		}
		var outcomes []string
		for _, c := range o.Calls {
			var in struct {
				TopicArn string
				Message  json.RawMessage
			}
			if c.Failed || json.Unmarshal(c.Input, &in) != nil || in.TopicArn == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(in.Message, &m); err != nil {
				t.Errorf("%s: message %s is not JSON", name, in.Message)
				continue
			}
			if m["endpoint"] != endpoints[i] || m["modelPackageArn"] != sfnlocal.SageMakerARN("model-package/"+mlGroup+"/7") || m["model"] != strings.ToLower(endpoints[i])+"-v7-3f1c9a7e" {
				t.Errorf("%s: message %v does not name the endpoint, package and model", name, m)
			}
			outcomes = append(outcomes, m["outcome"].(string))
		}
		want := []string{}
		if path.outcome != "" {
			want = []string{path.outcome}
		}
		if !slices.Equal(outcomes, want) {
			t.Errorf("%s: published %v, want %v", name, outcomes, want)
		}
		// What the flow asked SageMaker for.
		if ins := o.Inputs(ml.StateCreateModel); len(ins) == 1 {
			if ins[0]["ModelName"] != strings.ToLower(endpoints[i])+"-v7-3f1c9a7e" {
				t.Errorf("%s: CreateModel %v", name, ins[0])
			}
		}
		if path.status == "FAILED" && o.Error == "" {
			t.Errorf("%s: failed without an error", name)
		}
	}
	t.Logf("ml deployment: %d scenarios on %d flows", len(out), len(defs))
}

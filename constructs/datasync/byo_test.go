package datasync_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

const byoLogKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/3e3e3e3e-1111-2222-3333-444455556666"

// TestBringYourOwn: on an existing VPC (the construct allowed to create
// the DataSync endpoint it lacks), existing buckets and a supplied log key,
// DataSync creates no VPC, subnet, bucket or key; the agent activates
// through the endpoint created in the lab's subnets; the location role is
// scoped to the source's prefix of the lab's raw bucket.
func TestBringYourOwn(t *testing.T) {
	f := load(t)
	tpl := f.tpl["BYO"]
	var endpoints []string
	for id, r := range tpl.Resources {
		switch r.Type {
		case "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::S3::Bucket", "AWS::KMS::Key":
			t.Errorf("the BYO stack creates a %s (%s)", r.Type, id)
		case "AWS::EC2::VPCEndpoint":
			endpoints = append(endpoints, id)
			if r.Properties["VpcId"] != cdktest.BYOVpcID {
				t.Errorf("endpoint %s outside the lab's VPC: %v", id, r.Properties["VpcId"])
			}
		}
	}
	if len(endpoints) != 1 || !strings.HasPrefix(endpoints[0], "NetworkDataSyncEndpoint") {
		t.Fatalf("endpoints created = %v, want the DataSync one only", endpoints)
	}
	_, agent := f.res(t, "BYO", "DataSync/Agent")
	if got := byoJSON(agent.Properties["VpcEndpointId"]); !strings.Contains(got, endpoints[0]) {
		t.Errorf("agent VpcEndpointId = %s, want a reference to %s", got, endpoints[0])
	}
	if got := byoJSON(agent.Properties["SubnetArns"]); !strings.Contains(got, cdktest.BYOSubnetA) {
		t.Errorf("agent SubnetArns = %s, want the lab's first subnet", got)
	}
	var docs string
	for _, r := range tpl.Resources {
		if r.Type == "AWS::IAM::ManagedPolicy" || r.Type == "AWS::IAM::Policy" {
			docs += byoJSON(r.Properties["PolicyDocument"])
		}
	}
	for _, want := range []string{`"arn:aws:s3:::lab-raw/runs/*"`, `"arn:aws:s3:::lab-raw"`, `arn:aws:s3:::lab-analytics/datasync/task-reports/*`, cdktest.BYODataKeyArn} {
		if !strings.Contains(docs, want) {
			t.Errorf("policies lack %s:\n%s", want, docs)
		}
	}
	if strings.Contains(docs, `lab-raw/*"`) {
		t.Errorf("a policy covers the whole raw bucket:\n%s", docs)
	}
	for id, r := range tpl.Resources {
		if r.Type == "AWS::Logs::LogGroup" && !strings.Contains(byoJSON(r.Properties["KmsKeyId"]), byoLogKeyArn) {
			t.Errorf("log group %s is not encrypted with the supplied key: %s", id, byoJSON(r.Properties["KmsKeyId"]))
		}
	}
}

func byoJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

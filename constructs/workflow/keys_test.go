package workflow_test

import (
	"strings"
	"testing"
)

// suppliedKeys are the keys the "keyed" workflow is given, by prop name.
var suppliedKeys = map[string]string{
	"LogKey":   "arn:aws:kms:eu-west-1:111122223333:key/1c1c1c1c-1111-2222-3333-444455556666",
	"TopicKey": "arn:aws:kms:eu-west-1:111122223333:key/2c2c2c2c-1111-2222-3333-444455556666",
	"QueueKey": "arn:aws:kms:eu-west-1:111122223333:key/3c3c3c3c-1111-2222-3333-444455556666",
}

// TestSuppliedKeys: the "keyed" workflow, given every key, creates none;
// its log groups, topic and dead-letter queue use the keys supplied, and
// its state machine may use the topic's key to publish.
func TestSuppliedKeys(t *testing.T) {
	tpl := load(t)
	keyed := map[string]struct{ prop, key string }{
		"AWS::Logs::LogGroup": {"KmsKeyId", "LogKey"},
		"AWS::SNS::Topic":     {"KmsMasterKeyId", "TopicKey"},
		"AWS::SQS::Queue":     {"KmsMasterKeyId", "QueueKey"},
	}
	seen := map[string]int{}
	for id, r := range tpl.Resources {
		if !strings.HasPrefix(id, "Keyed") {
			continue
		}
		if r.Type == "AWS::KMS::Key" {
			t.Errorf("the keyed workflow creates a key (%s)", id)
		}
		k, ok := keyed[r.Type]
		if !ok {
			continue
		}
		seen[r.Type]++
		if got := js(r.Properties[k.prop]); !strings.Contains(got, suppliedKeys[k.key]) {
			t.Errorf("%s %s is not encrypted with the supplied %s: %s", r.Type, id, k.key, got)
		}
	}
	for typ := range keyed {
		if seen[typ] == 0 {
			t.Errorf("the keyed workflow has no %s", typ)
		}
	}
	var publish bool
	for id, r := range tpl.Resources {
		if r.Type == "AWS::IAM::Policy" && strings.HasPrefix(id, "Keyed") && strings.Contains(js(r.Properties["PolicyDocument"]), `"Resource":"`+suppliedKeys["TopicKey"]+`"`) {
			publish = true
		}
	}
	if !publish {
		t.Error("no policy of the keyed workflow names the supplied topic key")
	}
}

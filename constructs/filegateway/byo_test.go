package filegateway_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// byoKeyArns are the keys the BYO stack supplies, by prop name.
var byoKeyArns = map[string]string{
	"LogKey":    "arn:aws:kms:eu-west-1:111122223333:key/4e4e4e4e-1111-2222-3333-444455556666",
	"QueueKey":  "arn:aws:kms:eu-west-1:111122223333:key/5e5e5e5e-1111-2222-3333-444455556666",
	"AlarmKey":  "arn:aws:kms:eu-west-1:111122223333:key/6e6e6e6e-1111-2222-3333-444455556666",
	"VolumeKey": "arn:aws:kms:eu-west-1:111122223333:key/7e7e7e7e-1111-2222-3333-444455556666",
}

// TestSuppliedKeys: with every key supplied, the gateway on EC2 creates no
// key, and each log group, queue, the alarm topic and both volumes of the
// instance are encrypted with the key supplied for them.
func TestSuppliedKeys(t *testing.T) {
	f := load(t)
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	keyed := map[string]struct{ prop, key string }{
		"AWS::Logs::LogGroup": {"KmsKeyId", "LogKey"},
		"AWS::SQS::Queue":     {"KmsMasterKeyId", "QueueKey"},
		"AWS::SNS::Topic":     {"KmsMasterKeyId", "AlarmKey"},
	}
	seen := map[string]int{}
	for id, r := range f.tpl["BYO"].Resources {
		if r.Type == "AWS::KMS::Key" {
			t.Errorf("the BYO stack creates a key (%s)", id)
		}
		k, ok := keyed[r.Type]
		if !ok {
			continue
		}
		seen[r.Type]++
		if got := js(r.Properties[k.prop]); !strings.Contains(got, byoKeyArns[k.key]) {
			t.Errorf("%s %s is not encrypted with the supplied %s: %s", r.Type, id, k.key, got)
		}
	}
	for typ := range keyed {
		if seen[typ] == 0 {
			t.Errorf("the BYO stack has no %s", typ)
		}
	}
	_, instance := f.res(t, "BYO", "FileGateway/Gateway/Instance")
	var mappings []struct {
		Ebs struct {
			Encrypted bool
			KmsKeyId  any
		}
	}
	if err := json.Unmarshal([]byte(js(instance.Properties["BlockDeviceMappings"])), &mappings); err != nil {
		t.Fatal(err)
	}
	if len(mappings) != 2 {
		t.Fatalf("the instance has %d volumes, want the root and the cache volume", len(mappings))
	}
	for i, m := range mappings {
		if !m.Ebs.Encrypted || !strings.Contains(js(m.Ebs.KmsKeyId), byoKeyArns["VolumeKey"]) {
			t.Errorf("volume %d is not encrypted with the supplied VolumeKey: %s", i, js(m.Ebs))
		}
	}
}

package eventglue_test

import (
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/internal/cdktest"
)

// The bus key: EventBridge's kms:DescribeKey carries no encryption
// context, so it must not sit under the encryption-context condition of
// the data-key statement
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html).
func TestBusKeyDescribeKeyHasItsOwnStatement(t *testing.T) {
	f := load(t)
	for _, stack := range []string{"Glue", "Defaults"} {
		_, key := f.res(t, stack, "EventGlue/BusKey")
		var describe, data bool
		for _, s := range cdktest.Statements(key.Properties["KeyPolicy"]) {
			if !contains(cdktest.ServicePrincipal(s), "events.amazonaws.com") {
				continue
			}
			cond := asJSON(s["Condition"])
			if cdktest.HasAction(s, "kms:DescribeKey") {
				describe = true
				if strings.Contains(cond, "kms:EncryptionContext") {
					t.Errorf("%s: kms:DescribeKey is under an encryption-context condition: %s", stack, asJSON(s))
				}
				if !strings.Contains(cond, "aws:SourceAccount") {
					t.Errorf("%s: kms:DescribeKey is not limited to this account: %s", stack, asJSON(s))
				}
			}
			if cdktest.HasAction(s, "kms:GenerateDataKey") && cdktest.HasAction(s, "kms:Decrypt") {
				data = true
				if !strings.Contains(cond, "kms:EncryptionContext:aws:events:event-bus:arn") {
					t.Errorf("%s: the data-key statement does not name the bus in its encryption context: %s", stack, asJSON(s))
				}
			}
		}
		if !describe || !data {
			t.Errorf("%s: bus key policy lacks EventBridge's DescribeKey (%v) or data-key (%v) statement: %s", stack, describe, data, asJSON(key.Properties["KeyPolicy"]))
		}
	}
}

// Alarms publish to the alarm topic: its policy (which replaces SNS's
// default) must allow cloudwatch.amazonaws.com, and its key must let both
// CloudWatch and EventBridge (IntegrityFailed) use it, without
// aws:SourceAccount on EventBridge's statement, which the SNS guide says is
// not supported there
// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
func TestAlarmTopicAcceptsAlarmsAndEvents(t *testing.T) {
	f := load(t)
	for _, stack := range []string{"Glue", "Defaults"} {
		_, tp := f.res(t, stack, "EventGlue/AlarmTopic/Policy")
		var cw bool
		for _, s := range cdktest.Statements(tp.Properties["PolicyDocument"]) {
			if s["Effect"] == "Allow" && contains(cdktest.ServicePrincipal(s), "cloudwatch.amazonaws.com") && cdktest.HasAction(s, "sns:Publish") {
				cw = true
				cond := asJSON(s["Condition"])
				if !strings.Contains(cond, "aws:SourceAccount") || !strings.Contains(cond, ":alarm:*") {
					t.Errorf("%s: CloudWatch's publish statement is not limited to this account's alarms: %s", stack, asJSON(s))
				}
			}
		}
		if !cw {
			t.Errorf("%s: the alarm topic's policy does not let CloudWatch alarms publish: %s", stack, asJSON(tp.Properties["PolicyDocument"]))
		}
		_, key := f.res(t, stack, "EventGlue/AlarmKey")
		seen := map[string]bool{}
		for _, s := range cdktest.Statements(key.Properties["KeyPolicy"]) {
			for _, p := range cdktest.ServicePrincipal(s) {
				if p != "cloudwatch.amazonaws.com" && p != "events.amazonaws.com" {
					continue
				}
				if !cdktest.HasAction(s, "kms:GenerateDataKey*") || !cdktest.HasAction(s, "kms:Decrypt") {
					t.Errorf("%s: %s lacks kms:GenerateDataKey* or kms:Decrypt: %s", stack, p, asJSON(s))
				}
				if p == "events.amazonaws.com" && strings.Contains(asJSON(s["Condition"]), "aws:Source") {
					t.Errorf("%s: EventBridge's key statement uses an aws:Source* key, unsupported for publishing to encrypted topics: %s", stack, asJSON(s))
				}
				seen[p] = true
			}
		}
		if !seen["cloudwatch.amazonaws.com"] || !seen["events.amazonaws.com"] {
			t.Errorf("%s: alarm key policy names %v", stack, seen)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

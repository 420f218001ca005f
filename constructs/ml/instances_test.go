package ml

import (
	"strings"
	"testing"
)

func TestCheckInstanceType(t *testing.T) {
	for _, tc := range []struct {
		use  InstanceUse
		in   string
		want string // substring of the message; "" when accepted
	}{
		{UseTraining, "ml.m5.xlarge", ""},
		{UseTraining, "ml.g5.2xlarge", ""},
		{UseProcessing, "ml.t3.medium", ""},
		{UseHosting, "ml.inf2.xlarge", ""},
		{UseHosting, "ml.c7g.large", ""},
		{UseTraining, "m5.xlarge", "ml.<family>.<size>"},
		{UseTraining, "ml.m5", "ml.<family>.<size>"},
		{UseTraining, "", "ml.<family>.<size>"},
		{UseTraining, "ml.zz9.xlarge", "(ml.zz9 is not one)"},
		{UseTraining, "ml.inf2.xlarge", "(ml.inf2 is not one)"},    // hosting only
		{UseProcessing, "ml.trn1.2xlarge", "(ml.trn1 is not one)"}, // training and hosting only
		{UseTraining, "ml.m5.huge", "a size of ml.m5 SageMaker offers for training jobs: "},
	} {
		got := CheckInstanceType(tc.use, tc.in)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("CheckInstanceType(%v, %q) = %q, want %q", tc.use, tc.in, got, tc.want)
		}
	}
	if msg := CheckInstanceType(UseTraining, "ml.zz9.xlarge"); !strings.Contains(msg, "ml.g5, ") || !strings.Contains(msg, "ml.p4d") {
		t.Errorf("unknown family message does not list the families: %q", msg)
	}
	if msg := CheckInstanceType(UseTraining, "ml.m5.huge"); !strings.Contains(msg, "ml.m5.xlarge") {
		t.Errorf("unknown size message does not list the sizes: %q", msg)
	}
}

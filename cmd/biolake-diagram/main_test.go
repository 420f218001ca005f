package main

import (
	"io"
	"strings"
	"testing"
)

func TestRunRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-dir", t.TempDir()}, "has the app been synthesized?"},
		{[]string{"cdk.out"}, "unexpected arguments [cdk.out]"},
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
	} {
		err := run(c.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%v) = %v, want an error saying %q", c.args, err, c.want)
		}
	}
}

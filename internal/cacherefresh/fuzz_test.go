package cacherefresh_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/biolake/biolake/internal/cacherefresh"
)

// FuzzFolderOf: the share mapping and folder derivation never panic, and a
// folder is an absolute path without empty segments, under which the key
// (relative to the share) lies.
func FuzzFolderOf(f *testing.F) {
	for _, s := range [][2]string{
		{"share/", "share/run1/a.txt"}, {"", "a"}, {"share/", "share/"}, {"share/", "share//x"},
		{"a/b/", "a/b/c/d/"}, {"", "/"}, {"x/", "x/../y"}, {"p/", "p/ü/ñ.txt"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, prefix, key string) {
		folder, err := cacherefresh.FolderOf(prefix, key)
		if err != nil {
			return
		}
		if !strings.HasPrefix(folder, "/") || strings.Contains(folder, "//") || (folder != "/" && strings.HasSuffix(folder, "/")) {
			t.Fatalf("FolderOf(%q, %q) = %q", prefix, key, folder)
		}
		rel := strings.TrimPrefix(key, prefix)
		if folder != "/" && !strings.HasPrefix(rel, folder[1:]+"/") {
			t.Fatalf("FolderOf(%q, %q) = %q is not the key's folder", prefix, key, folder)
		}
		anc := cacherefresh.Ancestors(folder)
		if anc[0] != "/" || anc[len(anc)-1] != folder {
			t.Fatalf("Ancestors(%q) = %q", folder, anc)
		}
		// The mapping agrees, when prefix is a valid share prefix.
		m, err := cacherefresh.NewMapping([]cacherefresh.Share{{Bucket: "bucket-a", Prefix: prefix, FileShareARN: "arn:aws:storagegateway:eu-west-1:111122223333:share/share-1A2B3C4D"}})
		if err == nil {
			if _, ok := m.Lookup("bucket-a", key); !ok {
				t.Fatalf("Lookup(%q) under %q failed", key, prefix)
			}
		}
	})
}

// FuzzHandle: no message body makes the handler panic, and a record fails
// only when its body is not an acceptable event.
func FuzzHandle(f *testing.F) {
	f.Add(ebEvent("biolake-shared", "share/run1/a.txt"))
	f.Add(s3Notification("biolake-curated", "x y/z"))
	f.Add(`{"detail-type":"Object Created","detail":{"bucket":{"name":1}}}`)
	f.Add(`null`)
	m, err := cacherefresh.ParseShares([]byte(sharesJSON))
	if err != nil {
		f.Fatal(err)
	}
	h := &cacherefresh.Handler{Client: &fake{}, Shares: m, Logger: slog.New(slog.DiscardHandler)}
	f.Fuzz(func(t *testing.T, body string) {
		if !utf8.ValidString(body) {
			return
		}
		resp, err := h.Handle(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{{MessageId: "m", Body: body}}})
		if err != nil || len(resp.BatchItemFailures) > 1 {
			t.Fatalf("Handle: %v %v", resp, err)
		}
	})
}

package cacherefresh

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Share maps a bucket prefix to the S3 File Gateway file share that exports
// it. Its JSON form is one element of the SHARES environment variable:
//
//	{"bucket":"biolake-shared-abc","prefix":"share/","fileShareArn":"arn:aws:storagegateway:eu-west-1:111122223333:share/share-1A2B3C4D"}
type Share struct {
	// Bucket is the S3 bucket name.
	Bucket string `json:"bucket"`
	// Prefix is the share's root in the bucket: "" (the whole bucket) or a
	// prefix ending in "/".
	Prefix string `json:"prefix"`
	// FileShareARN is the file share to refresh.
	FileShareARN string `json:"fileShareArn"`
}

// MaxShares is the most shares SHARES may list (a gateway has at most 50
// file shares; Lambda's environment holds 4 KB anyway).
const MaxShares = 50

var (
	fileShareARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:storagegateway:[a-z0-9-]+:[0-9]{12}:share/share-[0-9A-Za-z]{8,}$`)
	bucketRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// Mapping finds the share of an object. Create it with ParseShares or
// NewMapping; the zero value maps nothing.
type Mapping struct {
	// shares, longest prefix first.
	shares []Share
}

// ErrConfig is a bad SHARES value (or a bad Share given to NewMapping).
type ErrConfig struct {
	Reason string
}

func (e *ErrConfig) Error() string { return "cacherefresh: bad share mapping: " + e.Reason }

// ParseShares decodes the SHARES environment variable: a JSON array of
// Share, strictly (unknown fields are refused), and checks it with
// NewMapping.
func ParseShares(data []byte) (*Mapping, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var shares []Share
	if err := dec.Decode(&shares); err != nil {
		return nil, &ErrConfig{Reason: "not a JSON array of {bucket, prefix, fileShareArn}: " + err.Error()}
	}
	if dec.More() {
		return nil, &ErrConfig{Reason: "trailing data after the JSON array"}
	}
	return NewMapping(shares)
}

// NewMapping checks shares and returns their mapping. Each needs a bucket
// name, a prefix that is "" or ends in "/" (with no empty, "." or ".."
// segment), and a file share ARN; two shares of one bucket may not overlap
// (one prefix may not start with the other), so each object belongs to at
// most one share.
func NewMapping(shares []Share) (*Mapping, error) {
	if len(shares) == 0 {
		return nil, &ErrConfig{Reason: "no shares"}
	}
	if len(shares) > MaxShares {
		return nil, &ErrConfig{Reason: fmt.Sprintf("%d shares, more than %d", len(shares), MaxShares)}
	}
	var errs []error
	bad := func(i int, format string, args ...any) {
		errs = append(errs, &ErrConfig{Reason: fmt.Sprintf("shares[%d]: ", i) + fmt.Sprintf(format, args...)})
	}
	for i, s := range shares {
		if !bucketRE.MatchString(s.Bucket) {
			bad(i, "bucket %q is not an S3 bucket name", s.Bucket)
		}
		if err := checkPrefix(s.Prefix); err != nil {
			bad(i, "prefix %q %v", s.Prefix, err)
		}
		if !fileShareARNRE.MatchString(s.FileShareARN) {
			bad(i, "fileShareArn %q is not a file share ARN (arn:aws:storagegateway:REGION:ACCOUNT:share/share-XXXXXXXX)", s.FileShareARN)
		}
		for j := range i {
			o := shares[j]
			if o.Bucket == s.Bucket && (strings.HasPrefix(s.Prefix, o.Prefix) || strings.HasPrefix(o.Prefix, s.Prefix)) {
				bad(i, "prefix %q of bucket %q overlaps shares[%d] (prefix %q): an object must belong to one share", s.Prefix, s.Bucket, j, o.Prefix)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m := &Mapping{shares: append([]Share(nil), shares...)}
	sort.SliceStable(m.shares, func(a, b int) bool { return len(m.shares[a].Prefix) > len(m.shares[b].Prefix) })
	return m, nil
}

func checkPrefix(p string) error {
	if p == "" {
		return nil
	}
	if !strings.HasSuffix(p, "/") {
		return errors.New(`does not end in "/"`)
	}
	for _, seg := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errors.New(`has an empty, "." or ".." segment`)
		}
	}
	return nil
}

// Shares returns the shares, longest prefix first.
func (m *Mapping) Shares() []Share {
	if m == nil {
		return nil
	}
	return append([]Share(nil), m.shares...)
}

// Lookup returns the share that exports key of bucket, if any.
func (m *Mapping) Lookup(bucket, key string) (Share, bool) {
	if m == nil {
		return Share{}, false
	}
	for _, s := range m.shares {
		if s.Bucket == bucket && strings.HasPrefix(key, s.Prefix) {
			return s, true
		}
	}
	return Share{}, false
}

// ErrNotRefreshable says why an object needs no refresh (or cannot have
// one): it is outside the share, it is the share's root, or its key has a
// path the gateway cannot show as a file (an empty, "." or ".." segment).
// The handler logs and skips such objects.
type ErrNotRefreshable struct {
	Key    string
	Reason string
}

func (e *ErrNotRefreshable) Error() string {
	return fmt.Sprintf("cacherefresh: object %q: %s", e.Key, e.Reason)
}

// FolderOf returns the folder of the share (rooted at prefix) whose listing
// must be refreshed for key to appear: the key's parent directory relative
// to prefix, as the absolute path RefreshCache's FolderList takes ("/" for
// the share's root, "/run1/fastq" for prefix+"run1/fastq/a.fq.gz"). A folder
// marker ("run1/" ending in "/") appears in its parent's listing, so its
// folder is its parent ("/"). Errors are *ErrNotRefreshable.
func FolderOf(prefix, key string) (string, error) {
	if !strings.HasPrefix(key, prefix) {
		return "", &ErrNotRefreshable{Key: key, Reason: fmt.Sprintf("not under the share's prefix %q", prefix)}
	}
	rel := strings.TrimSuffix(key[len(prefix):], "/")
	if rel == "" {
		return "", &ErrNotRefreshable{Key: key, Reason: "it is the share's root"}
	}
	segs := strings.Split(rel, "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", &ErrNotRefreshable{Key: key, Reason: `its path below the share has an empty, "." or ".." segment, which the gateway cannot show`}
		}
	}
	return "/" + strings.Join(segs[:len(segs)-1], "/"), nil
}

// Ancestors returns folder and every folder above it, root first:
// "/a/b" gives ["/", "/a", "/a/b"]. A new object may sit in new folders,
// which appear only when their parents' listings are refreshed too.
func Ancestors(folder string) []string {
	if folder == "/" || folder == "" {
		return []string{"/"}
	}
	out := []string{"/"}
	for i := 1; i < len(folder); i++ {
		if folder[i] == '/' {
			out = append(out, folder[:i])
		}
	}
	return append(out, folder)
}

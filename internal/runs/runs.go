// Package runs knows what a run folder looks like: the instrument profiles
// (which marker files say an instrument has finished, which manifest lists the
// run's files), which run an object key belongs to and what role the object
// plays in it, and when a run is complete.
//
// Completeness is decided in constant work per event from a run's Progress:
// the set of required markers seen, whether the manifest has been read (and
// so the expected number of data objects), and the number of distinct data
// objects received. A run is Ready when every required marker is present, at
// least one data object has arrived and, for a profile with a manifest, the
// manifest is read and received >= expected; a Ready run of a profile with a
// manifest is Complete on that evidence. Markers alone never make a run
// complete (DataSync copies files in no particular order, and markers may
// arrive first): a Ready run without a manifest needs independent evidence,
// a successful DataSync task execution for its location (channel datasync)
// or a settle window its rule opts in to (Rule.SettleAfter), which the
// ingest handler looks for.
//
// Manifests and checksum lists are never data: at a run folder's root the
// profile's manifest, and any file IsChecksumList names, are not counted.
package runs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/biolake/biolake/internal/events"
)

// Role is what an object is to its run.
type Role int

// Roles.
const (
	RoleData     Role = iota // a data file: counted
	RoleMarker               // a completion marker of the profile
	RoleManifest             // the run's manifest
	RoleIgnore               // a folder placeholder ("dir/"): neither
	// RoleChecksums is a manifest or checksum list at the run root other
	// than the profile's manifest (IsChecksumList): recorded, never
	// counted as data.
	RoleChecksums
)

func (r Role) String() string {
	switch r {
	case RoleData:
		return "data"
	case RoleMarker:
		return "marker"
	case RoleManifest:
		return "manifest"
	case RoleIgnore:
		return "ignore"
	case RoleChecksums:
		return "checksums"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// ParseRole is the inverse of Role.String; unknown names give RoleData.
func ParseRole(s string) Role {
	switch s {
	case "marker":
		return RoleMarker
	case "manifest":
		return RoleManifest
	case "ignore":
		return RoleIgnore
	case "checksums":
		return RoleChecksums
	}
	return RoleData
}

// Run states, as kept in the catalog.
const (
	// StateReceiving: objects are arriving.
	StateReceiving = "RECEIVING"
	// StateComplete: completion has been claimed; RunCompleted is being sent.
	StateComplete = "COMPLETE"
	// StatePublished: RunCompleted has been sent; the verify flow runs.
	StatePublished = "PUBLISHED"
	// StateVerified: every file matched its manifest; the verify flow that
	// claimed this state sends RunIngested.
	StateVerified = "VERIFIED"
)

// Profile describes an instrument's run folder.
type Profile struct {
	// Name identifies the profile in config and events, e.g. "novaseq-x".
	Name string
	// Markers are file names at the run folder's root that must all exist
	// before the run is complete.
	Markers []string
	// Manifest is the file name, at the run folder's root, of a manifest
	// listing the run's data files ("" for none).
	Manifest string
}

// Built-in instrument profiles. They have no manifest; use WithManifest to
// require one.
var (
	NovaSeqX    = Profile{Name: "novaseq-x", Markers: []string{"CopyComplete.txt", "RTAComplete.txt", "RunCompletionStatus.xml"}}
	NovaSeq6000 = Profile{Name: "novaseq-6000", Markers: []string{"RTAComplete.txt", "CopyComplete.txt"}}
	NextSeq     = Profile{Name: "nextseq", Markers: []string{"RTAComplete.xml"}}
	MiSeq       = Profile{Name: "miseq", Markers: []string{"RTAComplete.txt"}}
)

// Builtin lists the built-in instrument profiles.
var Builtin = []Profile{NovaSeqX, NovaSeq6000, NextSeq, MiSeq}

// Generic returns the profile for data without an instrument: one marker file
// (e.g. "DONE") and a manifest (e.g. "manifest.csv"); either may be "".
func Generic(marker, manifest string) Profile {
	p := Profile{Name: "generic", Manifest: manifest}
	if marker != "" {
		p.Markers = []string{marker}
	}
	return p
}

// WithManifest returns a copy of p that requires a manifest named name.
func (p Profile) WithManifest(name string) Profile {
	p.Markers = append([]string(nil), p.Markers...)
	p.Manifest = name
	return p
}

// ProfileNames lists the names ProfileByName knows: the built-in profiles
// and "generic".
func ProfileNames() []string {
	names := make([]string, 0, len(Builtin)+1)
	for _, p := range Builtin {
		names = append(names, p.Name)
	}
	return append(names, "generic")
}

// ProfileByName returns a built-in profile, or "generic" (no marker, no
// manifest; set them with the returned value's fields).
func ProfileByName(name string) (Profile, bool) {
	for _, p := range Builtin {
		if p.Name == name {
			return p.WithManifest(""), true
		}
	}
	if name == "generic" {
		return Generic("", ""), true
	}
	return Profile{}, false
}

// Validate checks a profile: a name, plain file names, at least one marker or
// a manifest, no name used twice.
func (p Profile) Validate() error {
	if p.Name == "" {
		return &ErrInvalidConfig{Field: "profile.name", Reason: "empty"}
	}
	seen := map[string]bool{}
	names := append(append([]string(nil), p.Markers...), p.Manifest)
	for i, n := range names {
		if n == "" && i == len(names)-1 {
			continue // no manifest
		}
		if n == "" || strings.ContainsAny(n, "/\x00") || n == "." || n == ".." {
			return &ErrInvalidConfig{Field: "profile " + p.Name, Reason: fmt.Sprintf("file name %q must be a plain, non-empty name", n)}
		}
		if seen[n] {
			return &ErrInvalidConfig{Field: "profile " + p.Name, Reason: fmt.Sprintf("file name %q used twice", n)}
		}
		seen[n] = true
	}
	if len(p.Markers) == 0 && p.Manifest == "" {
		return &ErrInvalidConfig{Field: "profile " + p.Name, Reason: "needs at least one marker or a manifest"}
	}
	return nil
}

// RoleOf returns the role of a path relative to the run folder: the
// profile's manifest, one of its markers, a folder placeholder, another
// manifest or checksum list at the root (IsChecksumList), or data.
func (p Profile) RoleOf(rel string) Role {
	if rel == "" || strings.HasSuffix(rel, "/") {
		return RoleIgnore
	}
	if p.Manifest != "" && rel == p.Manifest {
		return RoleManifest
	}
	for _, m := range p.Markers {
		if rel == m {
			return RoleMarker
		}
	}
	if IsChecksumList(rel) {
		return RoleChecksums
	}
	return RoleData
}

// Names of manifests and checksum lists, compared case-insensitively, that
// are never data at a run folder's root (IsChecksumList).
var (
	// ChecksumListStems: a root file whose name before its first '.' is
	// one of these ("Manifest.md5", "manifest.sha256", "checksums.txt").
	ChecksumListStems = []string{"manifest", "checksums", "checksum"}
	// ChecksumListNames: the checksum tools' usual output names.
	ChecksumListNames = []string{
		"md5sum.txt", "md5sums.txt", "sha1sum.txt", "sha1sums.txt",
		"sha256sum.txt", "sha256sums.txt", "sha512sum.txt", "sha512sums.txt",
	}
	// ChecksumListSuffixes: a root file ending in one of these
	// ("run.md5", "SHA256SUMS.sha256").
	ChecksumListSuffixes = []string{".md5", ".md5sum", ".sha1", ".sha256", ".sha256sum", ".sha512"}
)

// IsChecksumList reports whether rel, a path relative to a run folder, is a
// manifest or checksum list by its name: a file at the run's root (no '/')
// named by ChecksumListStems, ChecksumListNames or ChecksumListSuffixes,
// case-insensitively. Such files describe the data; they are not data, and
// the ingest handler never counts them. Deeper files of these names are
// data (an analysis may ship its own checksum files).
func IsChecksumList(rel string) bool {
	if rel == "" || strings.Contains(rel, "/") {
		return false
	}
	name := strings.ToLower(rel)
	stem, _, _ := strings.Cut(name, ".")
	for _, s := range ChecksumListStems {
		if stem == s {
			return true
		}
	}
	for _, n := range ChecksumListNames {
		if name == n {
			return true
		}
	}
	for _, suf := range ChecksumListSuffixes {
		if strings.HasSuffix(name, suf) && len(name) > len(suf) {
			return true
		}
	}
	return false
}

// Progress is what the catalog knows of a run; all of it only grows.
type Progress struct {
	// Markers seen (any order, duplicates allowed).
	Markers []string
	// ManifestRead is true once the manifest has been read and Expected set.
	ManifestRead bool
	// Expected is the number of data objects the manifest lists.
	Expected int64
	// Received is the number of distinct data objects recorded.
	Received int64
}

// Ready reports whether a run with this progress has everything it can
// have by itself: every required marker, at least one data object, and for
// a profile with a manifest the manifest read and every object it lists.
func (p Profile) Ready(s Progress) bool {
	return len(p.Missing(s)) == 0
}

// Complete reports whether a run with this progress is complete on its own
// evidence: Ready, with a manifest. A Ready run of a profile without a
// manifest is complete only on independent evidence (a DataSync task
// execution, a settle window), which the ingest handler looks for.
func (p Profile) Complete(s Progress) bool {
	return p.Manifest != "" && p.Ready(s)
}

// Missing says what the run still waits for before it is Ready, for logs;
// empty when Ready.
func (p Profile) Missing(s Progress) []string {
	var out []string
	have := make(map[string]bool, len(s.Markers))
	for _, m := range s.Markers {
		have[m] = true
	}
	for _, m := range p.Markers {
		if !have[m] {
			out = append(out, "marker "+m)
		}
	}
	if p.Manifest != "" {
		switch {
		case !s.ManifestRead:
			out = append(out, "manifest "+p.Manifest)
		case s.Received < s.Expected:
			out = append(out, fmt.Sprintf("%d of %d data objects", s.Expected-s.Received, s.Expected))
		}
	}
	if s.Received == 0 && (p.Manifest == "" || !s.ManifestRead || s.Expected == 0) {
		// A run with no data object is never complete, whatever its
		// markers and manifest say.
		out = append(out, "a data object")
	}
	return out
}

// Rule maps a key prefix to runs of one profile.
type Rule struct {
	// Bucket limits the rule to one bucket ("" matches every bucket).
	Bucket string
	// Prefix under which each first path segment is a run folder, e.g.
	// "runs/". It ends with "/" ("" matches every key).
	Prefix string
	// Profile of the runs under Prefix.
	Profile Profile
	// Channel the data arrives by.
	Channel events.Channel
	// Partnered: keys are Prefix/<partner>/<dataset>/..., and the run id is
	// "<partner>/<dataset>" (transfer channel, one home per partner).
	Partnered bool
	// SettleAfter opts a rule without a manifest, on a channel other than
	// datasync, in to settle windows: a Ready run is complete (evidence
	// "settled") once no new object has arrived for this long. 0: never;
	// such a run then waits for a manifest.
	SettleAfter time.Duration
}

// Limits of Rule.SettleAfter.
const (
	MinSettleAfter = 5 * time.Minute
	MaxSettleAfter = 30 * 24 * time.Hour
)

// Location is where an object key sits.
type Location struct {
	// RunID is the run folder name ("<partner>/<dataset>" when partnered).
	RunID string
	// RunPrefix is the run folder's key prefix, ending in "/".
	RunPrefix string
	// RelPath is the key relative to RunPrefix.
	RelPath string
	Partner string
	Profile Profile
	Channel events.Channel
	Role    Role
	// SettleAfter is the rule's settle window (0: none).
	SettleAfter time.Duration
}

// ErrNotInRun is returned by Resolve for a key that belongs to no run.
// Handlers acknowledge such objects and skip them.
type ErrNotInRun struct {
	Key    string
	Reason string
}

func (e *ErrNotInRun) Error() string {
	return fmt.Sprintf("runs: key %q is not in a run: %s", e.Key, e.Reason)
}

// ErrInvalidConfig is a bad rule or profile.
type ErrInvalidConfig struct {
	Field  string
	Reason string
}

func (e *ErrInvalidConfig) Error() string {
	return fmt.Sprintf("runs: invalid config: %s: %s", e.Field, e.Reason)
}

// Resolver finds the run of an object key.
type Resolver struct {
	rules []Rule // longest prefix first
}

// NewResolver checks the rules and returns a Resolver. Prefixes must be
// distinct; the longest matching prefix wins.
func NewResolver(rules []Rule) (*Resolver, error) {
	if len(rules) == 0 {
		return nil, &ErrInvalidConfig{Field: "rules", Reason: "none given"}
	}
	seen := map[string]bool{}
	rs := make([]Rule, len(rules))
	for i, r := range rules {
		if strings.ContainsAny(r.Bucket, "/|") {
			return nil, &ErrInvalidConfig{Field: fmt.Sprintf("rules[%d].bucket", i), Reason: fmt.Sprintf("%q is not a bucket name", r.Bucket)}
		}
		if r.Prefix != "" && !strings.HasSuffix(r.Prefix, "/") {
			return nil, &ErrInvalidConfig{Field: fmt.Sprintf("rules[%d].prefix", i), Reason: fmt.Sprintf("%q must end with \"/\"", r.Prefix)}
		}
		if strings.HasPrefix(r.Prefix, "/") || strings.Contains(r.Prefix, "//") {
			return nil, &ErrInvalidConfig{Field: fmt.Sprintf("rules[%d].prefix", i), Reason: fmt.Sprintf("%q must be relative with no empty segment", r.Prefix)}
		}
		if seen[r.Bucket+"|"+r.Prefix] {
			return nil, &ErrInvalidConfig{Field: fmt.Sprintf("rules[%d].prefix", i), Reason: fmt.Sprintf("%q given twice for bucket %q", r.Prefix, r.Bucket)}
		}
		seen[r.Bucket+"|"+r.Prefix] = true
		if err := r.Profile.Validate(); err != nil {
			return nil, err
		}
		if !r.Channel.Valid() {
			return nil, &ErrInvalidConfig{Field: fmt.Sprintf("rules[%d].channel", i), Reason: fmt.Sprintf("%q is not datasync, transfer or filegateway", r.Channel)}
		}
		if r.SettleAfter != 0 {
			switch {
			case r.SettleAfter < MinSettleAfter || r.SettleAfter > MaxSettleAfter:
				return nil, &ErrInvalidConfig{Field: fmt.Sprintf("rules[%d].settleAfter", i), Reason: fmt.Sprintf("%s is not between %s and %s", r.SettleAfter, MinSettleAfter, MaxSettleAfter)}
			case r.Profile.Manifest != "":
				return nil, &ErrInvalidConfig{Field: fmt.Sprintf("rules[%d].settleAfter", i), Reason: "a rule with a manifest is verified by it; a settle window applies only without one"}
			case r.Channel == events.ChannelDataSync:
				return nil, &ErrInvalidConfig{Field: fmt.Sprintf("rules[%d].settleAfter", i), Reason: "datasync runs are verified by their DataSync task execution; a settle window applies to the other channels only"}
			}
		}
		rs[i] = r
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if len(rs[i].Prefix) != len(rs[j].Prefix) {
			return len(rs[i].Prefix) > len(rs[j].Prefix)
		}
		return rs[i].Bucket != "" && rs[j].Bucket == ""
	})
	return &Resolver{rules: rs}, nil
}

// MaxRunIDBytes is the longest run id accepted.
const MaxRunIDBytes = 255

// Resolve returns the Location of a decoded object key, or *ErrNotInRun,
// considering every rule whatever its bucket. Handlers that know the bucket
// use ResolveIn.
func (r *Resolver) Resolve(key string) (Location, error) {
	return r.resolve("", key, false)
}

// ResolveIn returns the Location of a decoded object key in bucket, or
// *ErrNotInRun, considering the rules of that bucket and those without one;
// the longest matching prefix wins (a bucket's own rule before a bucket-less
// one of the same prefix).
func (r *Resolver) ResolveIn(bucket, key string) (Location, error) {
	return r.resolve(bucket, key, true)
}

func (r *Resolver) resolve(bucket, key string, scoped bool) (Location, error) {
	for _, rule := range r.rules {
		if !strings.HasPrefix(key, rule.Prefix) || scoped && rule.Bucket != "" && rule.Bucket != bucket {
			continue
		}
		rest := key[len(rule.Prefix):]
		loc := Location{Profile: rule.Profile, Channel: rule.Channel, SettleAfter: rule.SettleAfter}
		segs := 1
		if rule.Partnered {
			segs = 2
		}
		parts := strings.SplitN(rest, "/", segs+1)
		if len(parts) <= segs {
			return Location{}, &ErrNotInRun{Key: key, Reason: fmt.Sprintf("not inside a run folder under %q", rule.Prefix)}
		}
		for _, p := range parts[:segs] {
			if err := checkSegment(p); err != nil {
				return Location{}, &ErrNotInRun{Key: key, Reason: err.Error()}
			}
		}
		loc.RunID = strings.Join(parts[:segs], "/")
		if rule.Partnered {
			loc.Partner = parts[0]
		}
		if len(loc.RunID) > MaxRunIDBytes {
			return Location{}, &ErrNotInRun{Key: key, Reason: fmt.Sprintf("run id longer than %d bytes", MaxRunIDBytes)}
		}
		loc.RunPrefix = rule.Prefix + loc.RunID + "/"
		loc.RelPath = parts[segs]
		loc.Role = rule.Profile.RoleOf(loc.RelPath)
		return loc, nil
	}
	return Location{}, &ErrNotInRun{Key: key, Reason: "under no configured prefix"}
}

func checkSegment(s string) error {
	if s == "" || s == "." || s == ".." {
		return fmt.Errorf("run folder name %q is not usable", s)
	}
	for _, c := range s {
		if unicode.IsControl(c) {
			return errors.New("control character in run folder name")
		}
	}
	return nil
}

// RuleConfig is the JSON form of a Rule, as given to a handler in its
// environment (RUN_RULES).
type RuleConfig struct {
	// Bucket limits the rule to one bucket; "" or absent: every bucket.
	Bucket string `json:"bucket,omitempty"`
	// Prefix, ending in "/".
	Prefix string `json:"prefix"`
	// Profile is a built-in name (novaseq-x, novaseq-6000, nextseq, miseq)
	// or "generic".
	Profile string `json:"profile"`
	// Markers replace the profile's markers when given.
	Markers []string `json:"markers,omitempty"`
	// Manifest file name; "" for none.
	Manifest string `json:"manifest,omitempty"`
	// Channel: datasync, transfer or filegateway.
	Channel events.Channel `json:"channel"`
	// Partnered: keys are prefix/<partner>/<dataset>/...
	Partnered bool `json:"partnered,omitempty"`
	// SettleAfterSeconds is Rule.SettleAfter in seconds; 0 or absent: none.
	SettleAfterSeconds int64 `json:"settleAfterSeconds,omitempty"`
}

// ParseRules decodes a JSON array of RuleConfig strictly and builds a
// Resolver. Example:
//
//	[{"bucket":"lake-raw","prefix":"runs/","profile":"novaseq-x","manifest":"manifest.sha256","channel":"datasync"},
//	 {"bucket":"lake-partner","prefix":"quarantine/","profile":"generic","markers":["DONE"],"manifest":"manifest.csv","channel":"transfer","partnered":true}]
func ParseRules(b []byte) (*Resolver, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var cfgs []RuleConfig
	if err := dec.Decode(&cfgs); err != nil {
		return nil, &ErrInvalidConfig{Field: "rules", Reason: err.Error()}
	}
	if dec.More() {
		return nil, &ErrInvalidConfig{Field: "rules", Reason: "trailing data after the JSON array"}
	}
	rules := make([]Rule, 0, len(cfgs))
	for i, c := range cfgs {
		p, ok := ProfileByName(c.Profile)
		if !ok {
			return nil, &ErrInvalidConfig{Field: fmt.Sprintf("rules[%d].profile", i), Reason: fmt.Sprintf("unknown profile %q", c.Profile)}
		}
		if c.Markers != nil {
			p.Markers = append([]string(nil), c.Markers...)
		}
		p.Manifest = c.Manifest
		rules = append(rules, Rule{Bucket: c.Bucket, Prefix: c.Prefix, Profile: p, Channel: c.Channel, Partnered: c.Partnered,
			SettleAfter: time.Duration(c.SettleAfterSeconds) * time.Second})
	}
	return NewResolver(rules)
}

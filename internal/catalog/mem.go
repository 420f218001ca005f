package catalog

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/biolake/biolake/internal/events"
	"github.com/biolake/biolake/internal/runs"
)

// Mem is an in-memory Store and VerifyStore with the same semantics as
// Dynamo. It is safe for concurrent use. Calls counts calls per method.
type Mem struct {
	mu       sync.Mutex
	runs     map[string]*Run
	objects  map[string]Object // pk|sk -> object
	pending  map[string]Pending
	datasync map[string]DataSyncSuccess // bucket|prefix -> latest
	calls    map[string]int
}

var (
	_ Store       = (*Mem)(nil)
	_ VerifyStore = (*Mem)(nil)
	_ Store       = (*Dynamo)(nil)
	_ VerifyStore = (*Dynamo)(nil)
)

// NewMem returns an empty Mem.
func NewMem() *Mem {
	return &Mem{runs: map[string]*Run{}, objects: map[string]Object{}, pending: map[string]Pending{},
		datasync: map[string]DataSyncSuccess{}, calls: map[string]int{}}
}

// Record implements Store.
func (m *Mem) Record(_ context.Context, obj Object, init RunInit, ch Change) (Recorded, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["Record"]++
	id := RunPK(obj.RunID) + "|" + ObjectSK(obj.Key, obj.VersionID)
	if prior, dup := m.objects[id]; dup {
		return Recorded{Duplicate: true, Prior: &prior}, nil
	}
	obj.TagError, obj.Verification = "", Verification{}
	m.objects[id] = obj
	r, ok := m.runs[obj.RunID]
	if !ok {
		r = &Run{
			RunID: init.RunID, State: runs.StateReceiving, Bucket: init.Bucket, Prefix: init.Prefix,
			Profile: init.Profile, Channel: init.Channel, Partner: init.Partner,
			FirstKey: init.FirstKey, FirstIdem: init.FirstIdem, CreatedAt: init.At.UTC(),
		}
		m.runs[obj.RunID] = r
	}
	r.LastObjectAt = obj.RecordedAt.UTC()
	switch {
	case ch.Data:
		r.Received++
		r.Bytes += ch.Bytes
	case ch.Marker != "":
		if at := markerTime(ch, obj); at.After(r.MarkersAt) {
			r.MarkersAt = at
		}
		i := sort.SearchStrings(r.Markers, ch.Marker)
		if i == len(r.Markers) || r.Markers[i] != ch.Marker {
			r.Markers = append(r.Markers, "")
			copy(r.Markers[i+1:], r.Markers[i:])
			r.Markers[i] = ch.Marker
		}
	case ch.Manifest != nil:
		r.ManifestKey = ch.Manifest.Key
		if ch.Manifest.Error != "" {
			r.ManifestError = ch.Manifest.Error
		} else {
			r.ManifestRead = true
			r.Expected = ch.Manifest.Expected
			r.ManifestError = ""
		}
	}
	return Recorded{}, nil
}

// SetTagError implements Store.
func (m *Mem) SetTagError(_ context.Context, runID, key, versionID, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["SetTagError"]++
	id := RunPK(runID) + "|" + ObjectSK(key, versionID)
	if o, ok := m.objects[id]; ok {
		o.TagError = reason
		m.objects[id] = o
	}
	return nil
}

// MarkObjectVerified implements VerifyStore.
func (m *Mem) MarkObjectVerified(_ context.Context, v ObjectVerification) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["MarkObjectVerified"]++
	id := RunPK(v.RunID) + "|" + ObjectSK(v.Key, v.VersionID)
	o, ok := m.objects[id]
	if !ok {
		o = Object{RunID: v.RunID, Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID, Size: v.Size, Role: runs.RoleData}
	}
	ver := v.Verification
	ver.VerifiedAt = ver.VerifiedAt.UTC()
	o.Verification = ver
	m.objects[id] = o
	return nil
}

// ClaimVerified implements VerifyStore.
func (m *Mem) ClaimVerified(_ context.Context, c VerifiedClaim) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["ClaimVerified"]++
	r, ok := m.runs[c.RunID]
	if !ok || (r.State != runs.StateComplete && r.State != runs.StatePublished) || !r.VerifiedAt.IsZero() {
		return false, nil
	}
	r.State, r.VerifiedAt, r.VerifyID, r.VerifiedPrefix = runs.StateVerified, c.At.UTC(), c.VerifyID, c.Prefix
	if c.ManifestKey != "" {
		r.VerifiedManifestKey = c.ManifestKey
	}
	return true, nil
}

// MarkIngestedPublished implements VerifyStore.
func (m *Mem) MarkIngestedPublished(_ context.Context, runID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["MarkIngestedPublished"]++
	if r, ok := m.runs[runID]; ok && r.State == runs.StateVerified {
		r.IngestedPublished = true
	}
	return nil
}

// Objects implements VerifyStore, in sort-key order like the Query.
func (m *Mem) Objects(ctx context.Context, runID string, fn func(Object) error) error {
	m.mu.Lock()
	m.calls["Objects"]++
	prefix := RunPK(runID) + "|"
	var ids []string
	for id := range m.objects {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	objs := make([]Object, len(ids))
	for i, id := range ids {
		objs[i] = m.objects[id]
	}
	m.mu.Unlock()
	for _, o := range objs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// GetRun implements Store.
func (m *Mem) GetRun(_ context.Context, runID string) (Run, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["GetRun"]++
	r, ok := m.runs[runID]
	if !ok {
		return Run{}, false, nil
	}
	c := *r
	c.Markers = append([]string(nil), r.Markers...)
	return c, true, nil
}

// Claim implements Store.
func (m *Mem) Claim(_ context.Context, runID, claimant string, evidence events.Verification, at time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["Claim"]++
	r, ok := m.runs[runID]
	if !ok || r.State != runs.StateReceiving {
		return false, nil
	}
	r.State, r.ClaimedBy, r.Evidence, r.CompletedAt = runs.StateComplete, claimant, evidence, at.UTC()
	return true, nil
}

// HasObject implements Store.
func (m *Mem) HasObject(_ context.Context, runID, key, versionID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["HasObject"]++
	_, ok := m.objects[RunPK(runID)+"|"+ObjectSK(key, versionID)]
	return ok, nil
}

// AddPending implements Store.
func (m *Mem) AddPending(_ context.Context, p Pending) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["AddPending"]++
	p.Since = p.Since.UTC()
	if _, ok := m.pending[p.RunID]; !ok {
		m.pending[p.RunID] = p
	}
	if r, ok := m.runs[p.RunID]; ok && r.PendingSince.IsZero() {
		r.PendingSince = p.Since
	}
	return nil
}

// RemovePending implements Store.
func (m *Mem) RemovePending(_ context.Context, runID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["RemovePending"]++
	delete(m.pending, runID)
	return nil
}

// Pending implements Store, in run id order like the Query.
func (m *Mem) Pending(ctx context.Context, fn func(Pending) error) error {
	m.mu.Lock()
	m.calls["Pending"]++
	ps := make([]Pending, 0, len(m.pending))
	for _, p := range m.pending {
		ps = append(ps, p)
	}
	m.mu.Unlock()
	sort.Slice(ps, func(i, j int) bool { return ps[i].RunID < ps[j].RunID })
	for _, p := range ps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// PutDataSyncSuccess implements Store.
func (m *Mem) PutDataSyncSuccess(_ context.Context, s DataSyncSuccess) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["PutDataSyncSuccess"]++
	s.EndedAt = s.EndedAt.UTC()
	k := s.Bucket + "|" + s.Prefix
	if prev, ok := m.datasync[k]; !ok || prev.EndedAt.Before(s.EndedAt) {
		m.datasync[k] = s
	}
	return nil
}

// DataSyncSuccesses implements Store.
func (m *Mem) DataSyncSuccesses(_ context.Context, bucket string) ([]DataSyncSuccess, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["DataSyncSuccesses"]++
	var out []DataSyncSuccess
	for _, s := range m.datasync {
		if s.Bucket == bucket {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Prefix < out[j].Prefix })
	return out, nil
}

// MarkPublished implements Store.
func (m *Mem) MarkPublished(_ context.Context, runID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["MarkPublished"]++
	if r, ok := m.runs[runID]; ok && r.State == runs.StateComplete {
		r.State = runs.StatePublished
	}
	return nil
}

// MarkAnnounced implements Store.
func (m *Mem) MarkAnnounced(_ context.Context, runID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["MarkAnnounced"]++
	if r, ok := m.runs[runID]; ok {
		r.Announced = true
	}
	return nil
}

// Calls returns a copy of the per-method call counts.
func (m *Mem) Calls() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.calls))
	for k, v := range m.calls {
		out[k] = v
	}
	return out
}

// Snapshot returns every run and object, for comparing catalog states.
func (m *Mem) Snapshot() (map[string]Run, map[string]Object) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rs := make(map[string]Run, len(m.runs))
	for k, r := range m.runs {
		c := *r
		c.Markers = append([]string(nil), r.Markers...)
		rs[k] = c
	}
	os := make(map[string]Object, len(m.objects))
	for k, o := range m.objects {
		os[k] = o
	}
	return rs, os
}

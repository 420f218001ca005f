package catalog

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/biolake/biolake/internal/runs"
)

// Mem is an in-memory Store with the same semantics as Dynamo. It is safe for
// concurrent use. Calls counts calls per method.
type Mem struct {
	mu      sync.Mutex
	runs    map[string]*Run
	objects map[string]Object // pk|sk -> object
	calls   map[string]int
}

// NewMem returns an empty Mem.
func NewMem() *Mem {
	return &Mem{runs: map[string]*Run{}, objects: map[string]Object{}, calls: map[string]int{}}
}

// Record implements Store.
func (m *Mem) Record(_ context.Context, obj Object, init RunInit, ch Change) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["Record"]++
	id := RunPK(obj.RunID) + "|" + ObjectSK(obj.Key, obj.VersionID)
	if _, dup := m.objects[id]; dup {
		return true, nil
	}
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
	switch {
	case ch.Data:
		r.Received++
		r.Bytes += ch.Bytes
	case ch.Marker != "":
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
	return false, nil
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
func (m *Mem) Claim(_ context.Context, runID, claimant string, at time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["Claim"]++
	r, ok := m.runs[runID]
	if !ok || r.State != runs.StateReceiving {
		return false, nil
	}
	r.State, r.ClaimedBy, r.CompletedAt = runs.StateComplete, claimant, at.UTC()
	return true, nil
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

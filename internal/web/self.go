package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/sre-value/sre-value-exporter/internal/scheduler"
)

// selfMetrics keeps the exporter's own metrics (collector health, config
// reloads, build, Go runtime and process) rendered, so a scrape copies
// bytes instead of gathering them: reading /proc for the process metrics
// alone cost more than serving 100k pre-rendered series.
//
// The collectors' health is never stale: a scrape that finds any
// collector's status changed since the last render renders again first.
// The runtime and process figures are re-rendered in the background and
// are at most maxAge old.
type selfMetrics struct {
	gatherer prometheus.Gatherer
	statuses func() []scheduler.Status
	reloads  func() uint64 // may be nil
	maxAge   time.Duration
	now      func() time.Time

	mu       sync.Mutex
	rendered renderedSelf
}

type renderedSelf struct {
	text, gzip []byte
	at         time.Time
	health     uint64 // fingerprint of the statuses rendered
	err        error
}

func newSelfMetrics(g prometheus.Gatherer, statuses func() []scheduler.Status, reloads func() uint64, maxAge time.Duration, now func() time.Time) *selfMetrics {
	return &selfMetrics{gatherer: g, statuses: statuses, reloads: reloads, maxAge: maxAge, now: now}
}

// health fingerprints what must never be served stale: every collector's
// status and the number of configuration loads.
func (s *selfMetrics) health() uint64 {
	var reloads uint64
	if s.reloads != nil {
		reloads = s.reloads()
	}
	return healthFingerprint(s.statuses(), reloads)
}

// get returns the current rendering, rendering again when it is older than
// maxAge or a collector's status changed.
func (s *selfMetrics) get() renderedSelf {
	health := s.health()
	s.mu.Lock()
	r := s.rendered
	s.mu.Unlock()
	if r.text != nil && r.health == health && s.now().Sub(r.at) < s.maxAge {
		return r
	}
	// Rendered outside the lock: a slow gather must not queue every other
	// scrape behind it.
	r = s.render(health)
	s.mu.Lock()
	if s.rendered.at.IsZero() || !r.at.Before(s.rendered.at) {
		s.rendered = r
	}
	s.mu.Unlock()
	return r
}

// refresh renders again unconditionally; the background loop calls it.
func (s *selfMetrics) refresh() {
	r := s.render(s.health())
	s.mu.Lock()
	if s.rendered.at.IsZero() || !r.at.Before(s.rendered.at) {
		s.rendered = r
	}
	s.mu.Unlock()
}

// run keeps the rendering fresh until ctx ends, so a scrape rarely renders.
func (s *selfMetrics) run(ctx context.Context) {
	t := time.NewTicker(s.maxAge / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.refresh()
		}
	}
}

func (s *selfMetrics) render(health uint64) renderedSelf {
	r := renderedSelf{at: s.now(), health: health}
	fams, err := s.gatherer.Gather()
	if err != nil {
		r.err = fmt.Errorf("gathering the exporter's own metrics: %w", err)
	}
	var text bytes.Buffer
	enc := expfmt.NewEncoder(&text, textFormat)
	for _, f := range fams {
		if err := enc.Encode(f); err != nil {
			r.err = fmt.Errorf("encoding %s: %w", f.GetName(), err)
			break
		}
	}
	var gz bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&gz)
	zw.Write(text.Bytes())
	zw.Close()
	gzipWriters.Put(zw)
	r.text, r.gzip = text.Bytes(), gz.Bytes()
	if r.text == nil {
		r.text = []byte{}
	}
	return r
}

// healthFingerprint changes whenever a collector's exported health or the
// configuration's does.
func healthFingerprint(statuses []scheduler.Status, reloads uint64) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00", reloads)
	for _, st := range statuses {
		fmt.Fprintf(h, "%s\x00%s\x00%t\x00%d\x00%d\x00%d\x00%d\x00%d\x00", st.Name, st.Kind, st.Up,
			st.LastSuccess.UnixNano(), st.LastAttempt.UnixNano(), st.LastDuration, st.Series, st.Interval)
	}
	return h.Sum64()
}

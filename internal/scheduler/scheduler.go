// Package scheduler refreshes collectors in the background and keeps the
// rendered /metrics body. Each collector runs on its own interval and
// timeout; a failed sync keeps the last good data (the snapshot is rebuilt
// from the store either way) and shows up in the exporter's own metrics.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// Instance is one configured collector ready to run.
type Instance struct {
	Name      string
	Kind      string
	Collector collectors.Collector
	Interval  time.Duration
	Timeout   time.Duration
	// Fingerprint identifies the instance's configuration; a reload keeps
	// a running instance whose fingerprint did not change.
	Fingerprint string
}

// Status is what the landing page and the exporter's metrics show.
type Status struct {
	Name, Kind   string
	Up           bool
	Done         bool // first refresh completed or failed
	LastAttempt  time.Time
	LastSuccess  time.Time
	LastError    string
	LastDuration time.Duration
	NextRefresh  time.Time
	Series       int
	Notes        []string
	Interval     time.Duration
}

// Scheduler runs instances and publishes their merged snapshot.
type Scheduler struct {
	logger *slog.Logger
	now    func() time.Time

	mu        sync.Mutex
	runners   map[string]*runner
	labelled  map[string]*snapshot.Snapshot // per instance, with collector label
	previous  map[string]*snapshot.Snapshot // per instance: its windowed figures one window earlier
	static    *snapshot.Snapshot            // catalog metrics, not per collector
	rendered  atomic.Pointer[snapshot.Rendered]
	published atomic.Pointer[Published]
	renderErr error

	// keepPrevious makes every refresh also compute the previous periods
	// (see KeepPreviousPeriods).
	keepPrevious bool

	health HealthStore // nil: outcomes are not kept across restarts

	errors   *prometheus.CounterVec
	requests *prometheus.CounterVec
	quota    *prometheus.GaugeVec
	reset    *prometheus.GaugeVec
}

// New returns an idle scheduler; register it with a prometheus.Registerer
// to export the collectors' health. now is the clock snapshots are computed
// at (time.Now outside tests).
func New(logger *slog.Logger, now func() time.Time) *Scheduler {
	if now == nil {
		now = time.Now
	}
	s := &Scheduler{
		logger:   logger,
		now:      now,
		runners:  map[string]*runner{},
		labelled: map[string]*snapshot.Snapshot{},
		previous: map[string]*snapshot.Snapshot{},
		errors:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: metrics.CollectorErrors.Name, Help: metrics.CollectorErrors.Help}, metrics.CollectorErrors.Labels),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metrics.CollectorUpstreamRequests.Name, Help: metrics.CollectorUpstreamRequests.Help}, metrics.CollectorUpstreamRequests.Labels),
		quota:    prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: metrics.CollectorRateLimitRemaining.Name, Help: metrics.CollectorRateLimitRemaining.Help}, metrics.CollectorRateLimitRemaining.Labels),
		reset:    prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: metrics.CollectorRateLimitReset.Name, Help: metrics.CollectorRateLimitReset.Help}, metrics.CollectorRateLimitReset.Labels),
	}
	s.rendered.Store(&snapshot.Rendered{})
	s.published.Store(&Published{Current: snapshot.Empty})
	return s
}

// Published is what the scheduler published last: the merged snapshot
// that /metrics renders and, when previous periods are kept, the same
// windowed figures one window earlier. Generation changes with every
// publish, so anything derived from it can be cached until then.
type Published struct {
	Generation uint64
	Current    *snapshot.Snapshot
	// Previous holds, for every Historical family with a window label,
	// the series of window w computed as of the current snapshot's
	// instant minus w: the period just before the current one. Nil
	// unless KeepPreviousPeriods was called.
	Previous *snapshot.Snapshot
}

// Published returns the last published snapshots; callers must not
// modify them.
func (s *Scheduler) Published() *Published { return s.published.Load() }

// KeepPreviousPeriods makes every refresh also compute each collector's
// windowed figures as of one window before the snapshot's instant (three
// more snapshots per refresh, in the background), so a change against the
// previous period is exact and never computed on a request. Call it before
// the first Apply.
func (s *Scheduler) KeepPreviousPeriods() { s.keepPrevious = true }

// HealthStore keeps each collector's last refresh outcome across restarts
// (*store.Store implements it). Keys are "kind/name", the collector's store
// bucket.
type HealthStore interface {
	SaveHealth(collector string, h store.Health) error
	LoadHealth(collector string) (store.Health, bool, error)
}

// KeepHealthIn makes the scheduler save every refresh outcome in hs and
// restore it when a collector starts, so sre_collector_up does not drop to
// 0 on every restart. Call it before the first Apply.
func (s *Scheduler) KeepHealthIn(hs HealthStore) { s.health = hs }

// Observer returns the upstream observer for one collector instance.
func (s *Scheduler) Observer(collector string) upstream.Observer {
	return &observer{s: s, collector: collector}
}

type observer struct {
	s         *Scheduler
	collector string
}

func (o *observer) Request(code string) { o.s.requests.WithLabelValues(o.collector, code).Inc() }

func (o *observer) RateLimit(remaining, _ float64, reset time.Time) {
	o.s.quota.WithLabelValues(o.collector).Set(remaining)
	if !reset.IsZero() {
		o.s.reset.WithLabelValues(o.collector).Set(float64(reset.Unix()))
	}
}

// SetStatic sets metrics that belong to no collector (the catalog's).
func (s *Scheduler) SetStatic(snap *snapshot.Snapshot) {
	s.mu.Lock()
	s.static = snap
	s.mu.Unlock()
	_ = s.publish() // a failure is logged there and the previous body keeps being served
}

// Apply makes the running set equal to instances: new ones start, removed
// ones stop, changed ones restart. A restarted instance keeps serving its
// previous data until its first refresh.
//
// Runners are swapped under the lock but stopped after it is released: a
// runner that is computing its snapshot needs the lock to publish it.
func (s *Scheduler) Apply(ctx context.Context, instances []Instance) {
	s.mu.Lock()
	wanted := map[string]Instance{}
	for _, in := range instances {
		wanted[in.Name] = in
	}
	var stopped []*runner
	var removed []string
	for name, r := range s.runners {
		if in, ok := wanted[name]; ok && in.Fingerprint == r.inst.Fingerprint && in.Kind == r.inst.Kind {
			delete(wanted, name)
			continue
		}
		stopped = append(stopped, r)
		delete(s.runners, name)
		if _, still := wanted[name]; !still {
			delete(s.labelled, name)
			delete(s.previous, name)
			removed = append(removed, name)
		}
	}
	var started []*runner
	for _, name := range slices.Sorted(maps.Keys(wanted)) {
		r := newRunner(s, wanted[name])
		s.runners[name] = r
		started = append(started, r)
	}
	s.mu.Unlock()

	// Old runners stop before their replacements start, so two runners
	// never sync one store bucket at once.
	for _, r := range stopped {
		r.stop()
	}
	// A removed collector's health series go with it; the stopped runner
	// can no longer bring them back.
	for _, name := range removed {
		s.forget(name)
	}
	for _, r := range started {
		r.start(ctx)
	}
	_ = s.publish() // a failure is logged there and the previous body keeps being served
}

// forget deletes the health series of a collector that is no longer
// configured.
func (s *Scheduler) forget(name string) {
	s.errors.DeletePartialMatch(prometheus.Labels{"collector": name})
	s.requests.DeletePartialMatch(prometheus.Labels{"collector": name})
	s.quota.DeleteLabelValues(name)
	s.reset.DeleteLabelValues(name)
}

// Stop stops every instance and waits for them.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	rs := slices.Collect(maps.Values(s.runners))
	s.runners = map[string]*runner{}
	s.mu.Unlock()
	for _, r := range rs {
		r.stop()
	}
}

// Statuses returns every instance's status sorted by name.
func (s *Scheduler) Statuses() []Status {
	s.mu.Lock()
	rs := slices.Collect(maps.Values(s.runners))
	s.mu.Unlock()
	out := make([]Status, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.status())
	}
	slices.SortFunc(out, func(a, b Status) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

// Ready reports whether every instance finished its first refresh.
func (s *Scheduler) Ready() bool {
	for _, st := range s.Statuses() {
		if !st.Done {
			return false
		}
	}
	return true
}

// Rendered returns the current /metrics body of all collectors.
func (s *Scheduler) Rendered() *snapshot.Rendered { return s.rendered.Load() }

// RefreshNow runs one refresh of every instance and waits for it; used by
// tests and by one-shot commands.
func (s *Scheduler) RefreshNow(ctx context.Context) {
	s.mu.Lock()
	rs := slices.Collect(maps.Values(s.runners))
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.refresh(ctx)
		}()
	}
	wg.Wait()
}

// setSnapshot publishes r's snapshot, and its previous periods when kept
// (prev nil otherwise), unless r was stopped or replaced meanwhile (a
// reload does not wait for a busy runner).
func (s *Scheduler) setSnapshot(r *runner, snap, prev *snapshot.Snapshot) error {
	name := r.inst.Name
	labelled, err := snapshot.Merge([]snapshot.Source{{Snapshot: snap, LabelName: metrics.CollectorLabel, LabelValue: name}})
	if err != nil {
		return err
	}
	var labelledPrev *snapshot.Snapshot
	if prev != nil {
		if labelledPrev, err = snapshot.Merge([]snapshot.Source{{Snapshot: prev, LabelName: metrics.CollectorLabel, LabelValue: name}}); err != nil {
			return err
		}
	}
	s.mu.Lock()
	current := s.runners[name] == r
	var clash error
	if current {
		// Defence in depth behind the configuration's metric claims: a
		// collector whose families clash with another's is left out, so
		// the others keep serving.
		others := map[string]*snapshot.Snapshot{"the catalog metrics": s.static}
		for other, snap := range s.labelled {
			if other != name {
				others["collector "+other] = snap
			}
		}
		if clash = snapshot.Clash(labelled, others); clash != nil {
			delete(s.labelled, name)
			delete(s.previous, name)
		} else {
			s.labelled[name] = labelled
			if labelledPrev != nil {
				s.previous[name] = labelledPrev
			}
		}
	}
	s.mu.Unlock()
	if !current {
		return nil
	}
	if clash != nil {
		clash = collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("its metrics are left out of /metrics: %w", clash))
		s.logger.Error("collector's metrics clash with another's; serving the others without them", "collector", name, "kind", r.inst.Kind, "err", clash)
	}
	return errors.Join(clash, s.publish())
}

// publish merges every instance's snapshot and renders it once, so that
// scrapes only copy bytes.
func (s *Scheduler) publish() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sources := []snapshot.Source{{Snapshot: s.static}}
	for _, name := range slices.Sorted(maps.Keys(s.labelled)) {
		sources = append(sources, snapshot.Source{Snapshot: s.labelled[name]})
	}
	merged, err := snapshot.Merge(sources)
	var previous *snapshot.Snapshot
	if err == nil && s.keepPrevious {
		prev := make([]snapshot.Source, 0, len(s.previous))
		for _, name := range slices.Sorted(maps.Keys(s.previous)) {
			prev = append(prev, snapshot.Source{Snapshot: s.previous[name]})
		}
		previous, err = snapshot.Merge(prev)
	}
	if err == nil {
		var r *snapshot.Rendered
		if r, err = merged.Render(); err == nil {
			s.rendered.Store(r)
			s.published.Store(&Published{Generation: s.published.Load().Generation + 1, Current: merged, Previous: previous})
		}
	}
	if err != nil {
		s.logger.Error("cannot publish metrics; serving the previous ones", "err", err)
		s.renderErr = err
		return fmt.Errorf("publish: %w", err)
	}
	s.renderErr = nil
	return nil
}

// Describe implements prometheus.Collector.
func (s *Scheduler) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{upDesc, lastSuccessDesc, durationDesc, seriesDesc, intervalDesc} {
		ch <- d
	}
	s.errors.Describe(ch)
	s.requests.Describe(ch)
	s.quota.Describe(ch)
	s.reset.Describe(ch)
}

var (
	upDesc          = metrics.CollectorUp.Desc()
	lastSuccessDesc = metrics.CollectorLastSuccess.Desc()
	durationDesc    = metrics.CollectorRefreshDuration.Desc()
	seriesDesc      = metrics.CollectorSeries.Desc()
	intervalDesc    = metrics.CollectorRefreshInterval.Desc()
)

// Collect implements prometheus.Collector with the health of every instance.
func (s *Scheduler) Collect(ch chan<- prometheus.Metric) {
	for _, st := range s.Statuses() {
		up := 0.0
		if st.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up, st.Name, st.Kind)
		last := 0.0
		if !st.LastSuccess.IsZero() {
			last = float64(st.LastSuccess.UnixMilli()) / 1000
		}
		ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, last, st.Name, st.Kind)
		ch <- prometheus.MustNewConstMetric(durationDesc, prometheus.GaugeValue, st.LastDuration.Seconds(), st.Name, st.Kind)
		ch <- prometheus.MustNewConstMetric(seriesDesc, prometheus.GaugeValue, float64(st.Series), st.Name, st.Kind)
		ch <- prometheus.MustNewConstMetric(intervalDesc, prometheus.GaugeValue, st.Interval.Seconds(), st.Name, st.Kind)
	}
	s.errors.Collect(ch)
	s.requests.Collect(ch)
	s.quota.Collect(ch)
	s.reset.Collect(ch)
}

// runner drives one instance.
type runner struct {
	s    *Scheduler
	inst Instance
	done chan struct{}
	// refreshMu serialises refreshes (the loop and RefreshNow).
	refreshMu sync.Mutex
	// hasWindows is false while the last snapshot had no windowed
	// Historical family (the grafana collector), so the previous periods
	// of nothing are not computed on every refresh.
	hasWindows atomic.Bool

	mu      sync.Mutex
	st      Status
	cancel  context.CancelFunc // nil until started
	stopped bool
}

func newRunner(s *Scheduler, inst Instance) *runner {
	r := &runner{s: s, inst: inst, done: make(chan struct{}), st: Status{Name: inst.Name, Kind: inst.Kind, Interval: inst.Interval}}
	r.hasWindows.Store(true)
	return r
}

func (r *runner) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	r.mu.Lock()
	if r.stopped { // Stop ran between Apply's swap and this start
		r.mu.Unlock()
		cancel()
		return
	}
	r.cancel = cancel
	r.mu.Unlock()
	// Serve what the store already holds before the first sync, so a
	// restart does not blank the dashboards.
	r.restore()
	r.s.errors.WithLabelValues(r.inst.Name, collectors.ReasonTimeout).Add(0)
	go r.loop(ctx)
}

func (r *runner) stop() {
	r.mu.Lock()
	r.stopped = true
	cancel := r.cancel
	r.mu.Unlock()
	if cancel == nil {
		return // never started, so no loop to wait for
	}
	cancel()
	<-r.done
	// A refresh started by RefreshNow is not the loop's: wait for it too,
	// so nothing of this runner touches its store bucket or its health
	// series once stop returns.
	r.refreshMu.Lock()
	r.refreshMu.Unlock() //nolint:staticcheck // empty on purpose: waits for a refresh in progress
}

func (r *runner) loop(ctx context.Context) {
	defer close(r.done)
	for {
		r.refresh(ctx)
		// A little jitter keeps many instances from hitting one upstream
		// at the same moment.
		wait := r.inst.Interval + time.Duration(rand.Int64N(int64(r.inst.Interval)/20+1))
		r.mu.Lock()
		r.st.NextRefresh = r.s.now().Add(wait)
		r.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (r *runner) healthKey() string { return r.inst.Kind + "/" + r.inst.Name }

func (r *runner) restore() {
	if r.s.health != nil {
		h, found, err := r.s.health.LoadHealth(r.healthKey())
		if err != nil {
			r.s.logger.Warn("cannot restore the last refresh outcome from the store", "collector", r.inst.Name, "err", r.redact(err.Error()))
		}
		if found && err == nil {
			r.mu.Lock()
			r.st.Up, r.st.LastAttempt, r.st.LastSuccess, r.st.LastError = h.Up, h.LastAttempt, h.LastSuccess, h.LastError
			r.mu.Unlock()
		}
	}
	snap, prev, err := r.snapshot(r.s.now())
	if err != nil {
		r.s.logger.Warn("cannot restore metrics from the store", "collector", r.inst.Name, "err", r.redact(err.Error()))
		return
	}
	if snap.Series() > 0 {
		_ = r.s.setSnapshot(r, snap, prev)
		r.mu.Lock()
		r.st.Series = snap.Series()
		r.mu.Unlock()
	}
}

func (r *runner) refresh(parent context.Context) {
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	r.mu.Lock()
	stopped := r.stopped // replaced by a reload: its successor syncs now
	r.mu.Unlock()
	if stopped || parent.Err() != nil {
		return
	}
	start := r.s.now()
	ctx, cancel := context.WithTimeout(parent, r.inst.Timeout)
	syncErr := r.inst.Collector.Sync(ctx)
	cancel()
	if parent.Err() != nil {
		return // stopped by a reload or shutdown: neither success nor failure
	}
	if syncErr != nil && ctx.Err() == context.DeadlineExceeded && collectors.Reason(syncErr) == collectors.ReasonOther {
		syncErr = collectors.WithReason(collectors.ReasonTimeout, fmt.Errorf("refresh timed out after %s: %w", r.inst.Timeout, syncErr))
	}
	// The snapshot is rebuilt even after a failed sync: the store still
	// holds the last good data, and windows must move with time.
	snap, prev, snapErr := r.snapshot(r.s.now())
	if snapErr == nil {
		if err := r.s.setSnapshot(r, snap, prev); err != nil {
			snapErr = err
		}
	}
	err := syncErr
	var reasoned collectors.Reasoned
	if err == nil && snapErr != nil && errors.As(snapErr, &reasoned) {
		err = snapErr
	} else if err == nil && snapErr != nil {
		err = collectors.WithReason(collectors.ReasonStore, snapErr)
	}
	end := r.s.now()

	r.mu.Lock()
	r.st.Done = true
	r.st.LastAttempt = end
	r.st.LastDuration = end.Sub(start)
	if snapErr == nil {
		r.st.Series = snap.Series()
	}
	if n, ok := r.inst.Collector.(collectors.Noter); ok {
		r.st.Notes = n.Notes()
	}
	if err != nil {
		r.st.Up = false
		r.st.LastError = r.redact(err.Error())
	} else {
		r.st.Up = true
		r.st.LastSuccess = end
		r.st.LastError = ""
	}
	st := r.st
	r.mu.Unlock()

	if err != nil {
		reason := collectors.Reason(err)
		r.s.errors.WithLabelValues(r.inst.Name, reason).Inc()
		r.s.logger.Error("collector refresh failed; keeping its last good data", "collector", r.inst.Name, "kind", r.inst.Kind, "reason", reason, "err", st.LastError)
	} else {
		r.s.logger.Debug("collector refreshed", "collector", r.inst.Name, "kind", r.inst.Kind, "duration", st.LastDuration, "series", st.Series)
	}
	// Saved outside r.mu: a store write waits for fsync, and scrapes read
	// the status.
	if r.s.health != nil {
		h := store.Health{Up: st.Up, LastAttempt: st.LastAttempt, LastSuccess: st.LastSuccess, LastError: st.LastError}
		if err := r.s.health.SaveHealth(r.healthKey(), h); err != nil {
			r.s.logger.Warn("cannot save the refresh outcome; a restart will show the collector down until its first refresh", "collector", r.inst.Name, "err", r.redact(err.Error()))
		}
	}
}

// snapshot computes the collector's snapshot as of now and, when the
// scheduler keeps them, its previous periods.
func (r *runner) snapshot(now time.Time) (snap, prev *snapshot.Snapshot, err error) {
	wasWindowed := r.hasWindows.Load()
	if r.s.keepPrevious && wasWindowed {
		prev = r.previousPeriods(now)
	}
	if snap, err = r.inst.Collector.Snapshot(now); err != nil {
		return nil, nil, err
	}
	windowed := hasWindowed(snap)
	r.hasWindows.Store(windowed)
	if r.s.keepPrevious && windowed && !wasWindowed {
		// The first windowed figures since a snapshot without any (an
		// empty store before the first sync): compute the previous periods
		// now, then the current snapshot again for its findings.
		prev = r.previousPeriods(now)
		if snap, err = r.inst.Collector.Snapshot(now); err != nil {
			return nil, nil, err
		}
	}
	return snap, prev, nil
}

// windowedFamily reports whether a family is a windowed figure that can be
// computed as of a past instant.
func windowedFamily(name string) bool {
	decl, ok := metrics.Lookup(name)
	return ok && decl.Historical && decl.HasLabel(metrics.WindowLabel)
}

func hasWindowed(s *snapshot.Snapshot) bool {
	for _, f := range s.Families() {
		if windowedFamily(f.GetName()) {
			return true
		}
	}
	return false
}

// previousPeriods computes, when the scheduler keeps them, the collector's
// windowed figures of the period before each window ending at now: for
// window w, the series labelled w of the collector's history as of now-w
// (collectors.Historian, the same past snapshots backfill writes), which
// counts only what existed then.
//
// It runs before the snapshot as of now: collectors keep their format
// findings from the last snapshot they computed, and the landing page must
// show those of now. A failure is logged and leaves the change unknown.
func (r *runner) previousPeriods(now time.Time) *snapshot.Snapshot {
	// Only a collector that can say what it would have shown at a past
	// instant (backfill's interface) has previous periods: a plain
	// Snapshot of the past would paint today's state over it.
	h, ok := r.inst.Collector.(collectors.Historian)
	if !ok {
		return nil
	}
	history, err := h.History()
	if err != nil {
		r.s.logger.Warn("cannot load the history for the previous period's figures", "collector", r.inst.Name, "err", r.redact(err.Error()))
		return nil
	}
	sources := make([]snapshot.Source, 0, len(window.All))
	for _, w := range window.All {
		snap, err := history.SnapshotAt(now.Add(-w.Duration))
		if err != nil {
			r.s.logger.Warn("cannot compute the previous period's figures", "collector", r.inst.Name, "window", w.Label, "err", r.redact(err.Error()))
			return nil
		}
		kept := snap.Filter(func(f *dto.MetricFamily, m *dto.Metric) bool {
			return windowedFamily(f.GetName()) && labelValue(m, metrics.WindowLabel) == w.Label
		})
		sources = append(sources, snapshot.Source{Snapshot: kept})
	}
	prev, err := snapshot.Merge(sources)
	if err != nil {
		r.s.logger.Warn("cannot merge the previous period's figures", "collector", r.inst.Name, "err", r.redact(err.Error()))
		return nil
	}
	return prev
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func (r *runner) redact(msg string) string {
	return config.Redact(msg)
}

func (r *runner) status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.Notes = slices.Clone(r.st.Notes)
	return st
}

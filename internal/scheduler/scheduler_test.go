package scheduler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// fakeCollector serves one gauge whose value the test sets. Its Sync fails
// while fail is set; its Snapshot blocks while a gate is installed, so a test
// can hold a runner in the middle of computing its snapshot.
type fakeCollector struct {
	mu    sync.Mutex
	value float64
	fail  error
	syncs int
	// After the first Sync, Snapshot waits on gate when it is not nil and
	// closes entered first; the snapshot that restores stored data at start
	// never waits.
	gate    chan struct{}
	entered chan struct{}
}

func (f *fakeCollector) Sync(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	return f.fail
}

var fakeValue = metrics.Custom("sre_fake_value", metrics.Gauge, "The fake's value.", nil)

func (f *fakeCollector) Snapshot(time.Time) (*snapshot.Snapshot, error) {
	f.mu.Lock()
	gate, entered, v := f.gate, f.entered, f.value
	synced := f.syncs > 0
	f.mu.Unlock()
	if gate != nil && synced {
		close(entered)
		<-gate
	}
	b := snapshot.NewBuilder()
	b.Gauge(fakeValue, v)
	return b.Build()
}

func (f *fakeCollector) set(v float64, fail error) {
	f.mu.Lock()
	f.value, f.fail = v, fail
	f.mu.Unlock()
}

// block makes the next Snapshot after a sync wait until the returned release is called.
func (f *fakeCollector) block() (entered <-chan struct{}, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate, f.entered = make(chan struct{}), make(chan struct{})
	gate := f.gate
	return f.entered, func() {
		f.mu.Lock()
		f.gate = nil
		f.mu.Unlock()
		close(gate)
	}
}

func (f *fakeCollector) syncCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncs
}

func instance(name string, c collectors.Collector, fingerprint string) Instance {
	return Instance{Name: name, Kind: "fake", Collector: c, Interval: time.Hour, Timeout: time.Minute, Fingerprint: fingerprint}
}

func newTestScheduler(t *testing.T) (*Scheduler, *prometheus.Registry) {
	t.Helper()
	s := New(slog.New(slog.DiscardHandler), func() time.Time { return time.Unix(1_800_000_000, 0) })
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	t.Cleanup(func() {
		if !t.Failed() { // after a deadlock, Stop would hang too
			s.Stop()
		}
	})
	return s, reg
}

// within fails the test if fn does not return in time: the defects these
// tests guard against are hangs.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return: deadlock", what)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAReloadDuringASnapshotDoesNotHangTheScheduler(t *testing.T) {
	s, reg := newTestScheduler(t)
	old := &fakeCollector{value: 1}
	// The runner's first refresh stops in the middle of its snapshot.
	entered, release := old.block()
	s.Apply(context.Background(), []Instance{instance("alpha", old, "v1")})
	<-entered
	oldRunner := s.runners["alpha"]

	// The reload changes alpha, so it must stop the runner that is busy.
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		s.Apply(context.Background(), []Instance{instance("alpha", &fakeCollector{value: 2}, "v2")})
	}()
	// Give the reload time to reach the old runner (it swaps the runner
	// without waiting for it, so this ends early once fixed).
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if s.mu.TryLock() {
			swapped := s.runners["alpha"] != oldRunner
			s.mu.Unlock()
			if swapped {
				break
			}
		}
	}
	release()

	within(t, "Apply", func() { <-applied })
	within(t, "Statuses", func() { s.Statuses() })
	within(t, "gathering the health metrics", func() {
		if _, err := reg.Gather(); err != nil {
			t.Error(err)
		}
	})
	waitUntil(t, "the restarted collector's data", func() bool {
		return strings.Contains(string(s.Rendered().Text), `sre_fake_value{collector="alpha"} 2`)
	})
	if strings.Contains(string(s.Rendered().Text), `sre_fake_value{collector="alpha"} 1`) {
		t.Error("the stopped runner's late snapshot replaced the new one")
	}
}

// gathered returns the exposition of the named families gathered through a
// pedantic registry (which also checks each metric against its Desc).
func gathered(t *testing.T, reg *prometheus.Registry, names ...string) string {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var buf bytes.Buffer
	for _, f := range fams {
		if slices.Contains(names, f.GetName()) {
			if _, err := expfmt.MetricFamilyToText(&buf, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	return buf.String()
}

func TestPublishServesEveryCollectorUnderItsOwnLabelWithTheStaticMetrics(t *testing.T) {
	s, reg := newTestScheduler(t)
	b := snapshot.NewBuilder()
	b.Gauge(metrics.Custom("sre_catalog_teams", metrics.Gauge, "Teams in the catalog.", nil), 2)
	static, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	s.SetStatic(static)
	s.Apply(context.Background(), []Instance{
		instance("beta", &fakeCollector{value: 2}, "v1"),
		instance("alpha", &fakeCollector{value: 1}, "v1"),
	})
	s.RefreshNow(context.Background())

	want := `# HELP sre_catalog_teams Teams in the catalog.
# TYPE sre_catalog_teams gauge
sre_catalog_teams 2
# HELP sre_fake_value The fake's value.
# TYPE sre_fake_value gauge
sre_fake_value{collector="alpha"} 1
sre_fake_value{collector="beta"} 2
`
	if got := string(s.Rendered().Text); got != want {
		t.Errorf("rendered body:\n%s\nwant:\n%s", got, want)
	}
	if got := s.Rendered().Series; got != 3 {
		t.Errorf("rendered series = %d, want 3", got)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP sre_collector_up 1 if the collector's last refresh succeeded, 0 if it failed (its last good data is still served).
# TYPE sre_collector_up gauge
sre_collector_up{collector="alpha",kind="fake"} 1
sre_collector_up{collector="beta",kind="fake"} 1
# HELP sre_collector_series Series the collector currently exports, as Prometheus counts them (a histogram is its buckets, +Inf, sum and count).
# TYPE sre_collector_series gauge
sre_collector_series{collector="alpha",kind="fake"} 1
sre_collector_series{collector="beta",kind="fake"} 1
# HELP sre_collector_refresh_interval_seconds The collector's configured refresh interval.
# TYPE sre_collector_refresh_interval_seconds gauge
sre_collector_refresh_interval_seconds{collector="alpha",kind="fake"} 3600
sre_collector_refresh_interval_seconds{collector="beta",kind="fake"} 3600
# HELP sre_collector_last_success_timestamp_seconds When the collector last refreshed successfully; time() minus this is the staleness of its data.
# TYPE sre_collector_last_success_timestamp_seconds gauge
sre_collector_last_success_timestamp_seconds{collector="alpha",kind="fake"} 1.8e+09
sre_collector_last_success_timestamp_seconds{collector="beta",kind="fake"} 1.8e+09
`), "sre_collector_up", "sre_collector_series", "sre_collector_refresh_interval_seconds", "sre_collector_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
}

func TestAFailingCollectorKeepsItsLastGoodDataAndTheOthersKeepServing(t *testing.T) {
	s, reg := newTestScheduler(t)
	alpha, beta := &fakeCollector{value: 1}, &fakeCollector{value: 2}
	s.Apply(context.Background(), []Instance{instance("alpha", alpha, "v1"), instance("beta", beta, "v1")})
	s.RefreshNow(context.Background())

	// alpha's upstream fails; its store (here: its value) is unchanged.
	alpha.set(1, collectors.WithReason(collectors.ReasonAuth, errors.New("401 Unauthorized")))
	beta.set(3, nil)
	s.RefreshNow(context.Background())

	body := string(s.Rendered().Text)
	for _, want := range []string{`sre_fake_value{collector="alpha"} 1`, `sre_fake_value{collector="beta"} 3`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	got := gathered(t, reg, "sre_collector_up", "sre_collector_errors_total")
	want := `# HELP sre_collector_errors_total Failed collector refreshes, by reason (timeout, rate_limited, auth, server_error, client_error, decode, network, invalid_data, store, other).
# TYPE sre_collector_errors_total counter
sre_collector_errors_total{collector="alpha",reason="auth"} 1
sre_collector_errors_total{collector="alpha",reason="timeout"} 0
sre_collector_errors_total{collector="beta",reason="timeout"} 0
# HELP sre_collector_up 1 if the collector's last refresh succeeded, 0 if it failed (its last good data is still served).
# TYPE sre_collector_up gauge
sre_collector_up{collector="alpha",kind="fake"} 0
sre_collector_up{collector="beta",kind="fake"} 1
`
	if got != want {
		t.Errorf("health:\n%s\nwant:\n%s", got, want)
	}
	st := s.Statuses()[0]
	if st.Name != "alpha" || st.Up || st.LastError != "401 Unauthorized" || st.LastSuccess.IsZero() || !st.Done {
		t.Errorf("alpha status = %+v", st)
	}
}

func TestReloadKeepsUnchangedCollectorsRunningAndRestartsChangedOnes(t *testing.T) {
	s, _ := newTestScheduler(t)
	alpha, beta := &fakeCollector{value: 1}, &fakeCollector{value: 2}
	s.Apply(context.Background(), []Instance{instance("alpha", alpha, "v1"), instance("beta", beta, "v1")})
	waitUntil(t, "the first refreshes", s.Ready)
	alphaRunner := s.runners["alpha"]

	beta2 := &fakeCollector{value: 20}
	entered, release := beta2.block()
	// alpha comes back as a new object with the same fingerprint, as
	// every reload builds new collectors.
	s.Apply(context.Background(), []Instance{instance("alpha", &fakeCollector{value: 99}, "v1"), instance("beta", beta2, "v2")})
	<-entered
	// Until beta's new runner refreshes, its previous data is served.
	if body := string(s.Rendered().Text); !strings.Contains(body, `sre_fake_value{collector="beta"} 2`) {
		t.Errorf("beta's data during its restart:\n%s", body)
	}
	release()
	waitUntil(t, "beta's restart", func() bool {
		return strings.Contains(string(s.Rendered().Text), `sre_fake_value{collector="beta"} 20`)
	})
	if s.runners["alpha"] != alphaRunner {
		t.Error("the unchanged collector was restarted")
	}
	if n := alpha.syncCount(); n != 1 {
		t.Errorf("the unchanged collector synced %d times, want 1 (no restart)", n)
	}
	if body := string(s.Rendered().Text); !strings.Contains(body, `sre_fake_value{collector="alpha"} 1`) {
		t.Errorf("alpha's data after the reload:\n%s", body)
	}
}

func TestARemovedCollectorLosesItsDataAndHealthSeries(t *testing.T) {
	s, reg := newTestScheduler(t)
	beta := &fakeCollector{value: 2}
	s.Apply(context.Background(), []Instance{instance("alpha", &fakeCollector{value: 1}, "v1"), instance("beta", beta, "v1")})
	s.RefreshNow(context.Background())
	for _, name := range []string{"alpha", "beta"} {
		obs := s.Observer(name)
		obs.Request("200")
		obs.Request("429")
		obs.RateLimit(10, 5000, time.Unix(1_800_000_060, 0))
	}
	beta.set(2, collectors.WithReason(collectors.ReasonRateLimited, errors.New("429")))
	s.RefreshNow(context.Background())

	s.Apply(context.Background(), []Instance{instance("alpha", &fakeCollector{value: 1}, "v1")})
	families := []string{"sre_collector_up", "sre_collector_errors_total", "sre_collector_upstream_requests_total",
		"sre_collector_upstream_rate_limit_remaining", "sre_collector_upstream_rate_limit_reset_timestamp_seconds"}
	got := gathered(t, reg, families...)
	if strings.Contains(got, `"beta"`) {
		t.Errorf("the removed collector's health series remain:\n%s", got)
	}
	for _, f := range families {
		if !strings.Contains(got, f+"{") { // only alpha is left, so these are its
			t.Errorf("alpha's %s went too:\n%s", f, got)
		}
	}
	if body := string(s.Rendered().Text); strings.Contains(body, "beta") {
		t.Errorf("the removed collector's data remains:\n%s", body)
	}
}

func TestARestartServesTheLastRefreshOutcomeUntilTheFirstRefresh(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	before, _ := newTestScheduler(t)
	before.KeepHealthIn(st)
	beta := &fakeCollector{value: 2}
	before.Apply(context.Background(), []Instance{instance("alpha", &fakeCollector{value: 1}, "v1"), instance("beta", beta, "v1")})
	before.RefreshNow(context.Background())
	beta.set(2, errors.New("GET /api: 503 Service Unavailable"))
	before.RefreshNow(context.Background())
	before.Stop()

	after, reg := newTestScheduler(t)
	after.KeepHealthIn(st)
	alpha2, beta2 := &fakeCollector{value: 1}, &fakeCollector{value: 2}
	_, releaseAlpha := alpha2.block()
	_, releaseBeta := beta2.block()
	defer releaseAlpha()
	defer releaseBeta()
	after.Apply(context.Background(), []Instance{instance("alpha", alpha2, "v1"), instance("beta", beta2, "v1")})

	if after.Ready() {
		t.Error("ready before the first refresh after a restart")
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP sre_collector_up 1 if the collector's last refresh succeeded, 0 if it failed (its last good data is still served).
# TYPE sre_collector_up gauge
sre_collector_up{collector="alpha",kind="fake"} 1
sre_collector_up{collector="beta",kind="fake"} 0
# HELP sre_collector_last_success_timestamp_seconds When the collector last refreshed successfully; time() minus this is the staleness of its data.
# TYPE sre_collector_last_success_timestamp_seconds gauge
sre_collector_last_success_timestamp_seconds{collector="alpha",kind="fake"} 1.8e+09
sre_collector_last_success_timestamp_seconds{collector="beta",kind="fake"} 1.8e+09
`), "sre_collector_up", "sre_collector_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
	if got := after.Statuses()[1].LastError; got != "GET /api: 503 Service Unavailable" {
		t.Errorf("beta's restored error = %q", got)
	}
}

func TestARunnerReplacedByAReloadNeverSyncsAgain(t *testing.T) {
	s, _ := newTestScheduler(t)
	old := &fakeCollector{value: 1}
	s.Apply(context.Background(), []Instance{instance("alpha", old, "v1")})
	waitUntil(t, "the first refresh", s.Ready)
	oldRunner := s.runners["alpha"]
	s.Apply(context.Background(), []Instance{instance("alpha", &fakeCollector{value: 2}, "v2")})

	// RefreshNow took its list of runners just before the reload.
	oldRunner.refresh(context.Background())
	if n := old.syncCount(); n != 1 {
		t.Errorf("the replaced collector synced %d times, want 1: two runners would sync one store bucket", n)
	}
}

// clashingCollector exports sre_fake_value as a histogram, clashing with
// fakeCollector's gauge of the same name.
type clashingCollector struct{}

var clashingValue = metrics.Custom("sre_fake_value", metrics.Histogram, "The same name as another type.", nil)

func (clashingCollector) Sync(context.Context) error { return nil }

func (clashingCollector) Snapshot(time.Time) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	h := snapshot.NewHistogram([]float64{1})
	h.Observe(0.5)
	b.Histogram(clashingValue, h)
	return b.Build()
}

func TestACollectorWhoseMetricsClashIsLeftOutAndTheOthersKeepServing(t *testing.T) {
	var logs bytes.Buffer
	s := New(slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return time.Unix(1_800_000_000, 0) })
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	t.Cleanup(s.Stop)
	s.Apply(context.Background(), []Instance{instance("alpha", &fakeCollector{value: 1}, "v1")})
	s.RefreshNow(context.Background())
	s.Apply(context.Background(), []Instance{instance("alpha", &fakeCollector{value: 1}, "v1"), instance("zulu", clashingCollector{}, "v1")})
	s.RefreshNow(context.Background())

	want := "# HELP sre_fake_value The fake's value.\n# TYPE sre_fake_value gauge\nsre_fake_value{collector=\"alpha\"} 1\n"
	if got := string(s.Rendered().Text); got != want {
		t.Errorf("rendered body:\n%s\nwant only alpha's:\n%s", got, want)
	}
	got := gathered(t, reg, "sre_collector_up", "sre_collector_errors_total")
	for _, line := range []string{
		`sre_collector_up{collector="alpha",kind="fake"} 1`,
		`sre_collector_up{collector="zulu",kind="fake"} 0`,
		`sre_collector_errors_total{collector="zulu",reason="invalid_data"}`,
	} {
		if !strings.Contains(got, line) {
			t.Errorf("health lacks %s:\n%s", line, got)
		}
	}
	var zulu Status
	for _, st := range s.Statuses() {
		if st.Name == "zulu" {
			zulu = st
		}
	}
	wantErr := "its metrics are left out of /metrics: metric sre_fake_value is a histogram here but a gauge in collector alpha"
	if zulu.LastError != wantErr {
		t.Errorf("zulu's last error = %q, want %q", zulu.LastError, wantErr)
	}
	if !strings.Contains(logs.String(), "collector=zulu") || !strings.Contains(logs.String(), wantErr) {
		t.Errorf("the log does not name the collector and the clash:\n%s", logs.String())
	}
}

// datedCollector counts events at fixed instants in a windowed figure, like
// the incident collectors do, and remembers the instant of its last
// snapshot as its "findings".
type datedCollector struct {
	events []time.Time

	mu       sync.Mutex
	lastSeen time.Time
}

func (*datedCollector) Sync(context.Context) error { return nil }

func (d *datedCollector) Snapshot(now time.Time) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	d.emitOpened(b, now)
	views := window.NewSum(now, metrics.ConfluencePageViewsInWindow)
	for _, t := range d.events {
		views.Add(t, 1, "space", "PAY", "team", "payments", "label", "none", "type", "page")
	}
	views.Emit(b)
	b.Gauge(fakeValue, 1)
	d.mu.Lock()
	d.lastSeen = now
	d.mu.Unlock()
	return b.Build()
}

func (d *datedCollector) emitOpened(b *snapshot.Builder, now time.Time) {
	opened := window.NewSum(now, metrics.IncidentsOpenedInWindow)
	for _, t := range d.events {
		opened.Add(t, 1, "source", "sheet", "severity", "sev2", "service", "api", "team", "payments")
	}
	opened.Emit(b)
}

// History makes it a collectors.Historian whose past snapshots know the
// incidents but, like an analytics API, not the views.
func (d *datedCollector) History() (collectors.History, error) { return datedHistory{d}, nil }

type datedHistory struct{ d *datedCollector }

func (h datedHistory) SnapshotAt(at time.Time) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	h.d.emitOpened(b, at)
	return b.Build()
}

func TestThePreviousPeriodsAreTheWindowsJustBeforeTheCurrentOnes(t *testing.T) {
	s, _ := newTestScheduler(t)
	s.KeepPreviousPeriods()
	now := s.now()
	day := 24 * time.Hour
	c := &datedCollector{}
	for _, ago := range []int{1, 10, 20, 40, 100, 170} {
		c.events = append(c.events, now.Add(-time.Duration(ago)*day))
	}
	before := s.Published().Generation
	s.Apply(context.Background(), []Instance{instance("sheet", c, "v1")})
	s.RefreshNow(context.Background())

	pub := s.Published()
	if pub.Generation <= before {
		t.Errorf("generation %d after a publish, was %d", pub.Generation, before)
	}
	render := func(snap *snapshot.Snapshot) string {
		r, err := snap.Render()
		if err != nil {
			t.Fatal(err)
		}
		return string(r.Text)
	}
	// Current: 7d holds day 1; 30d days 1, 10, 20; 90d days 1 to 40.
	// Previous: 7d is (14d, 7d] ago: day 10; 30d is (60d, 30d]: day 40;
	// 90d is (180d, 90d]: days 100 and 170. The history has no views, so
	// they have no previous period.
	wantPrevious := `# HELP sre_incidents_opened_in_window ` + metrics.IncidentsOpenedInWindow.Help + `
# TYPE sre_incidents_opened_in_window gauge
sre_incidents_opened_in_window{collector="sheet",service="api",severity="sev2",source="sheet",team="payments",window="30d"} 1
sre_incidents_opened_in_window{collector="sheet",service="api",severity="sev2",source="sheet",team="payments",window="7d"} 1
sre_incidents_opened_in_window{collector="sheet",service="api",severity="sev2",source="sheet",team="payments",window="90d"} 2
`
	if got := render(pub.Previous); got != wantPrevious {
		t.Errorf("previous periods:\n%s\nwant:\n%s", got, wantPrevious)
	}
	if got := render(pub.Current); !strings.Contains(got, `team="payments",window="30d"} 3`) || !strings.Contains(got, `team="payments",window="90d"} 4`) {
		t.Errorf("current figures:\n%s", got)
	}
	c.mu.Lock()
	last := c.lastSeen
	c.mu.Unlock()
	if !last.Equal(now) {
		t.Errorf("the collector's last snapshot was as of %s, want now (%s): its findings would be those of a past instant", last, now)
	}
}

func TestPreviousPeriodsAreNotComputedUnlessAsked(t *testing.T) {
	s, _ := newTestScheduler(t)
	s.Apply(context.Background(), []Instance{instance("sheet", &datedCollector{events: []time.Time{s.now()}}, "v1")})
	s.RefreshNow(context.Background())
	if pub := s.Published(); pub.Previous != nil || pub.Current.Series() == 0 {
		t.Errorf("published previous %v, current with %d series; want no previous and the current figures", pub.Previous, pub.Current.Series())
	}
}

package pagerduty

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/incident"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

const testToken = "pd-Zx9QkLm2-test-token"

// testNow is the fixed "now" of the fixture: windows end here.
var testNow = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)

const catalogYAML = `
catalog:
  teams:
    - name: payments
      aliases: ["pagerduty:Payments Team"]
    - name: discovery
  services:
    - name: checkout
      team: payments
      aliases: ["pagerduty:Checkout API"]
    - name: search
      team: discovery
      aliases: ["pagerduty:PSRCH01"]
`

// harness is one collector instance against a fake PagerDuty.
type harness struct {
	t      testing.TB
	fake   *fakePD
	dir    string
	st     *store.Store
	c      *Collector
	clock  time.Time
	sleeps []time.Duration
	// netClock is the HTTP layer's clock; its sleeps advance it at once.
	netClock time.Time
}

func newHarness(t testing.TB, fake *fakePD, settings string) *harness {
	h := &harness{t: t, fake: fake, dir: t.TempDir(), clock: testNow, netClock: testNow}
	h.open()
	h.build(settings)
	return h
}

func (h *harness) open() {
	st, err := store.Open(filepath.Join(h.dir, "s.db"))
	if err != nil {
		h.t.Fatal(err)
	}
	h.st = st
	h.t.Cleanup(func() { st.Close() })
}

// build makes a new collector instance (as after a restart) with settings
// added under the collector entry.
func (h *harness) build(settings string) {
	h.t.Helper()
	c, err := buildCollector(h.dir, h.fake.srv.URL, settings, h.st, func() time.Time { return h.clock }, func(o *upstream.Options) {
		o.Now = func() time.Time { return h.netClock }
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			h.sleeps = append(h.sleeps, d)
			h.netClock = h.netClock.Add(d)
			return ctx.Err()
		}
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.c = c
}

// restart closes the store and opens it again with a new collector.
func (h *harness) restart(settings string) {
	if err := h.st.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
	h.build(settings)
}

func buildCollector(dir, url, settings string, st *store.Store, now func() time.Time, tune func(*upstream.Options)) (*Collector, error) {
	if err := os.WriteFile(filepath.Join(dir, "pd-token"), []byte(testToken+"\n"), 0o600); err != nil {
		return nil, err
	}
	yml := catalogYAML + "collectors:\n  - kind: pagerduty\n    name: pd\n    url: " + url + "\n    token_file: pd-token\n"
	for _, line := range strings.Split(strings.TrimSpace(settings), "\n") {
		if line != "" {
			yml += "    " + line + "\n"
		}
	}
	cfg, err := config.Parse(filepath.Join(dir, "config.yml"), []byte(yml))
	if err != nil {
		return nil, err
	}
	deps := collectors.Deps{
		Config:  cfg.Collectors[0],
		Decoder: cfg.Decoder(),
		BaseDir: dir,
		Catalog: &cfg.Catalog,
		Store:   st,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     now,
	}
	return newCollector(deps, tune)
}

func (h *harness) sync() error {
	h.t.Helper()
	return h.c.Sync(context.Background())
}

func (h *harness) mustSync() {
	h.t.Helper()
	if err := h.sync(); err != nil {
		h.t.Fatalf("sync: %v", err)
	}
}

func (h *harness) snapshot() *snapshot.Snapshot {
	h.t.Helper()
	s, err := h.c.Snapshot(h.clock)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) stored(id string) (incident.Incident, bool) {
	h.t.Helper()
	var inc incident.Incident
	var ok bool
	err := h.st.View(h.c.deps.StoreKey(), func(tx *store.Tx) error {
		var err error
		inc, ok, err = incident.Get(tx, id)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return inc, ok
}

func fixtureFake(t testing.TB) *fakePD {
	f := newFakePD(t, testToken)
	f.load("testdata/incidents.json")
	return f
}

// Label sets of the fixture (severity/service/team):
//
//	A sev1/checkout/payments:   PINC001 (resolved), PINC005 (open, acked)
//	B sev2/checkout/payments:   PINC002, PINC008 (149 days ago)
//	C sev1/search/discovery:    PINC003 (service by ID alias, team from owner)
//	D sev3/checkout/payments:   PINC004 (76 days ago)
//	E unknown/search/discovery: PINC006 (no priority, open)
//
// PINC007 was merged into PINC001 and PINC009 is older than the 180-day
// lookback: neither counts. Windows end at 2025-06-30T12:00Z: 7d starts
// after 06-23T12:00, 30d after 05-31T12:00, 90d after 04-01T12:00.
const fixtureGauges = `
# HELP sre_incidents_open Incidents open now, by severity, service and team.
# TYPE sre_incidents_open gauge
sre_incidents_open{service="checkout",severity="sev1",source="pagerduty",team="payments"} 1
sre_incidents_open{service="checkout",severity="sev2",source="pagerduty",team="payments"} 0
sre_incidents_open{service="checkout",severity="sev3",source="pagerduty",team="payments"} 0
sre_incidents_open{service="search",severity="sev1",source="pagerduty",team="discovery"} 0
sre_incidents_open{service="search",severity="unknown",source="pagerduty",team="discovery"} 1
# HELP sre_incidents_opened_in_window Incidents opened in the window, by current severity, service and team (exact, from the store).
# TYPE sre_incidents_opened_in_window gauge
sre_incidents_opened_in_window{service="checkout",severity="sev1",source="pagerduty",team="payments",window="7d"} 2
sre_incidents_opened_in_window{service="checkout",severity="sev1",source="pagerduty",team="payments",window="30d"} 2
sre_incidents_opened_in_window{service="checkout",severity="sev1",source="pagerduty",team="payments",window="90d"} 2
sre_incidents_opened_in_window{service="checkout",severity="sev2",source="pagerduty",team="payments",window="7d"} 1
sre_incidents_opened_in_window{service="checkout",severity="sev2",source="pagerduty",team="payments",window="30d"} 1
sre_incidents_opened_in_window{service="checkout",severity="sev2",source="pagerduty",team="payments",window="90d"} 1
sre_incidents_opened_in_window{service="checkout",severity="sev3",source="pagerduty",team="payments",window="7d"} 0
sre_incidents_opened_in_window{service="checkout",severity="sev3",source="pagerduty",team="payments",window="30d"} 0
sre_incidents_opened_in_window{service="checkout",severity="sev3",source="pagerduty",team="payments",window="90d"} 1
sre_incidents_opened_in_window{service="search",severity="sev1",source="pagerduty",team="discovery",window="7d"} 0
sre_incidents_opened_in_window{service="search",severity="sev1",source="pagerduty",team="discovery",window="30d"} 1
sre_incidents_opened_in_window{service="search",severity="sev1",source="pagerduty",team="discovery",window="90d"} 1
sre_incidents_opened_in_window{service="search",severity="unknown",source="pagerduty",team="discovery",window="7d"} 1
sre_incidents_opened_in_window{service="search",severity="unknown",source="pagerduty",team="discovery",window="30d"} 1
sre_incidents_opened_in_window{service="search",severity="unknown",source="pagerduty",team="discovery",window="90d"} 1
# HELP sre_incidents_resolved_in_window Incidents resolved in the window, by current severity, service and team (exact, from the store).
# TYPE sre_incidents_resolved_in_window gauge
sre_incidents_resolved_in_window{service="checkout",severity="sev1",source="pagerduty",team="payments",window="7d"} 1
sre_incidents_resolved_in_window{service="checkout",severity="sev1",source="pagerduty",team="payments",window="30d"} 1
sre_incidents_resolved_in_window{service="checkout",severity="sev1",source="pagerduty",team="payments",window="90d"} 1
sre_incidents_resolved_in_window{service="checkout",severity="sev2",source="pagerduty",team="payments",window="7d"} 1
sre_incidents_resolved_in_window{service="checkout",severity="sev2",source="pagerduty",team="payments",window="30d"} 1
sre_incidents_resolved_in_window{service="checkout",severity="sev2",source="pagerduty",team="payments",window="90d"} 1
sre_incidents_resolved_in_window{service="checkout",severity="sev3",source="pagerduty",team="payments",window="7d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="sev3",source="pagerduty",team="payments",window="30d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="sev3",source="pagerduty",team="payments",window="90d"} 1
sre_incidents_resolved_in_window{service="search",severity="sev1",source="pagerduty",team="discovery",window="7d"} 0
sre_incidents_resolved_in_window{service="search",severity="sev1",source="pagerduty",team="discovery",window="30d"} 1
sre_incidents_resolved_in_window{service="search",severity="sev1",source="pagerduty",team="discovery",window="90d"} 1
sre_incidents_resolved_in_window{service="search",severity="unknown",source="pagerduty",team="discovery",window="7d"} 0
sre_incidents_resolved_in_window{service="search",severity="unknown",source="pagerduty",team="discovery",window="30d"} 0
sre_incidents_resolved_in_window{service="search",severity="unknown",source="pagerduty",team="discovery",window="90d"} 0
# HELP sre_incidents_opened_total Incidents opened, counted once when first seen, under the labels they had then.
# TYPE sre_incidents_opened_total counter
sre_incidents_opened_total{service="checkout",severity="sev1",source="pagerduty",team="payments"} 2
sre_incidents_opened_total{service="checkout",severity="sev2",source="pagerduty",team="payments"} 2
sre_incidents_opened_total{service="checkout",severity="sev3",source="pagerduty",team="payments"} 1
sre_incidents_opened_total{service="search",severity="sev1",source="pagerduty",team="discovery"} 1
sre_incidents_opened_total{service="search",severity="unknown",source="pagerduty",team="discovery"} 1
# HELP sre_incidents_resolved_total Incidents resolved, counted once when first seen resolved.
# TYPE sre_incidents_resolved_total counter
sre_incidents_resolved_total{service="checkout",severity="sev1",source="pagerduty",team="payments"} 1
sre_incidents_resolved_total{service="checkout",severity="sev2",source="pagerduty",team="payments"} 2
sre_incidents_resolved_total{service="checkout",severity="sev3",source="pagerduty",team="payments"} 1
sre_incidents_resolved_total{service="search",severity="sev1",source="pagerduty",team="discovery"} 1
sre_incidents_resolved_total{service="search",severity="unknown",source="pagerduty",team="discovery"} 0
`

var fixtureGaugeNames = []string{"sre_incidents_open", "sre_incidents_opened_in_window", "sre_incidents_resolved_in_window", "sre_incidents_opened_total", "sre_incidents_resolved_total"}

// windowMean is sum/count of a windowed histogram over all label sets.
func windowMean(t testing.TB, s *snapshot.Snapshot, name, window string) (mean float64, count uint64) {
	t.Helper()
	var sum float64
	for _, f := range s.Families() {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "window" && l.GetValue() == window {
					sum += m.GetHistogram().GetSampleSum()
					count += m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	if count == 0 {
		return math.NaN(), 0
	}
	return sum / float64(count), count
}

func TestFirstSyncGivesHandComputedFigures(t *testing.T) {
	h := newHarness(t, fixtureFake(t), "")
	h.mustSync()
	s := h.snapshot()
	if err := testutil.GatherAndCompare(s, strings.NewReader(fixtureGauges), fixtureGaugeNames...); err != nil {
		t.Fatal(err)
	}

	// Time to resolve, in the window of the resolution:
	//   7d:  PINC001 2h, PINC002 4h                 -> (2h + 4h) / 2 = 3h
	//   30d: + PINC003 30m                          -> (2h + 4h + 30m) / 3 = 2h10m
	//   90d: + PINC004 1h                           -> (2h + 4h + 30m + 1h) / 4 = 1h52m30s
	// Time to acknowledge, in the window of the acknowledgement:
	//   7d:  PINC001 5m (log entry), PINC002 10m (first of two acks),
	//        PINC005 3m (earliest of its acknowledgements) -> 18m / 3 = 6m
	//   30d: the same                                     -> 6m
	//   90d: + PINC004 2m                                 -> 20m / 4 = 5m
	//   (PINC003 was never acknowledged; PINC008's ack is 149 days old.)
	for _, tc := range []struct {
		metric, window string
		mean           time.Duration
		count          uint64
	}{
		{"sre_incident_time_to_resolve_in_window_seconds", "7d", 3 * time.Hour, 2},
		{"sre_incident_time_to_resolve_in_window_seconds", "30d", 2*time.Hour + 10*time.Minute, 3},
		{"sre_incident_time_to_resolve_in_window_seconds", "90d", time.Hour + 52*time.Minute + 30*time.Second, 4},
		{"sre_incident_time_to_acknowledge_in_window_seconds", "7d", 6 * time.Minute, 3},
		{"sre_incident_time_to_acknowledge_in_window_seconds", "30d", 6 * time.Minute, 3},
		{"sre_incident_time_to_acknowledge_in_window_seconds", "90d", 5 * time.Minute, 4},
	} {
		mean, count := windowMean(t, s, tc.metric, tc.window)
		if count != tc.count || mean != tc.mean.Seconds() {
			t.Errorf("%s{window=%q}: mean %vs over %d, want %vs over %d", tc.metric, tc.window, mean, count, tc.mean.Seconds(), tc.count)
		}
	}
	// All-time counters: 6 acknowledged incidents would be wrong; 5 are
	// (PINC001, 002, 004, 005, 008): 5m + 10m + 2m + 3m + 15m = 35m.
	var ackSum float64
	var ackCount uint64
	for _, f := range s.Families() {
		if f.GetName() == "sre_incident_time_to_acknowledge_seconds" {
			for _, m := range f.GetMetric() {
				ackSum += m.GetHistogram().GetSampleSum()
				ackCount += m.GetHistogram().GetSampleCount()
			}
		}
	}
	if ackCount != 5 || ackSum != (35*time.Minute).Seconds() {
		t.Errorf("time to acknowledge counter: %v s over %d, want 2100 s over 5", ackSum, ackCount)
	}

	// 180 days of lookback in 30-day slices: per slice one page of
	// incidents and one page of the account's overview log entries.
	var lists, logs int
	for _, r := range h.fake.requestLog() {
		switch {
		case strings.HasPrefix(r, "/incidents?"):
			lists++
		case strings.HasPrefix(r, "/log_entries?"):
			logs++
			if !strings.Contains(r, "is_overview=true") {
				t.Errorf("log entries requested without is_overview: %s", r)
			}
		default:
			t.Errorf("unexpected request %s", r)
		}
	}
	if lists != 6 || logs != 6 {
		t.Errorf("made %d list and %d log entry requests, want 6 and 6:\n%s", lists, logs, strings.Join(h.fake.requestLog(), "\n"))
	}
	if len(h.fake.violations) > 0 {
		t.Errorf("requests broke API limits: %v", h.fake.violations)
	}
	if _, ok := h.stored("PINC007"); ok {
		t.Error("the merged incident PINC007 was stored")
	}
}

func TestIdleRefreshMakesTwoRequests(t *testing.T) {
	h := newHarness(t, fixtureFake(t), "")
	h.mustSync()
	h.fake.resetRequests()
	h.mustSync()
	got := h.fake.requestLog()
	// Only the overlap hour before the cursors is re-read: incidents
	// created in it and log entries written in it. PINC005's second
	// acknowledgement (11:07) is in the overlap but changes nothing.
	want := []string{
		"/incidents?limit=100&since=2025-06-30T11%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2025-06-30T12%3A00%3A00Z",
		"/log_entries?is_overview=true&limit=100&since=2025-06-30T11%3A00%3A00Z&time_zone=UTC&total=true&until=2025-06-30T12%3A00%3A00Z",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant only:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(fixtureGauges), fixtureGaugeNames...); err != nil {
		t.Fatal(err)
	}
}

func TestStoreFromBeforeLogEntriesRefreshesFromItsIncidentCursor(t *testing.T) {
	h := newHarness(t, fixtureFake(t), "")
	h.mustSync()
	// Earlier versions kept only the incident cursor.
	err := h.st.Update(h.c.deps.StoreKey(), func(tx *store.Tx) error { return tx.SetCursor(cursorLogs, "") })
	if err != nil {
		t.Fatal(err)
	}
	h.restart("")
	h.fake.resetRequests()
	h.mustSync()
	want := []string{
		"/incidents?limit=100&since=2025-06-30T11%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2025-06-30T12%3A00%3A00Z",
		"/log_entries?is_overview=true&limit=100&since=2025-06-30T11%3A00%3A00Z&time_zone=UTC&total=true&until=2025-06-30T12%3A00%3A00Z",
	}
	if got := h.fake.requestLog(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(fixtureGauges), fixtureGaugeNames...); err != nil {
		t.Fatal(err)
	}
}

func TestResolutionsAreSeenAndARestartResumesFromTheCursor(t *testing.T) {
	h := newHarness(t, fixtureFake(t), "")
	h.mustSync()

	// PINC005 is resolved an hour later; PagerDuty then lists no
	// acknowledgements for it, but the first one was already stored.
	h.fake.update("PINC005", map[string]any{"status": "resolved", "resolved_at": "2025-06-30T13:00:00Z", "last_status_change_at": "2025-06-30T13:00:00Z", "acknowledgements": []any{}})
	h.fake.logEntry("PINC005", "RLOG54", "resolve_log_entry", "2025-06-30T13:00:00Z")
	h.clock = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	h.fake.resetRequests()
	h.mustSync()
	// PINC005 was created in the overlap, so the incident list brings it.
	if got := h.fake.requestLog(); len(got) != 2 {
		t.Fatalf("second sync made %d requests, want 2:\n%s", len(got), strings.Join(got, "\n"))
	}
	inc, _ := h.stored("PINC005")
	if want := time.Date(2025, 6, 30, 13, 0, 0, 0, time.UTC); !inc.Resolved.Equal(want) {
		t.Errorf("PINC005 resolved %v, want %v", inc.Resolved, want)
	}
	if want := time.Date(2025, 6, 30, 11, 3, 0, 0, time.UTC); !inc.Acknowledged.Equal(want) {
		t.Errorf("PINC005 acknowledged %v, want %v (kept from when it was open)", inc.Acknowledged, want)
	}

	// Restart (store reopened, new collector) nine days later. PINC006,
	// created before the cursor, was resolved meanwhile (its resolve log
	// entry is in the fixture).
	h.fake.update("PINC006", map[string]any{"status": "resolved", "resolved_at": "2025-07-02T00:00:00Z", "last_status_change_at": "2025-07-02T00:00:00Z"})
	h.clock = time.Date(2025, 7, 10, 12, 0, 0, 0, time.UTC)
	h.restart("")
	h.fake.resetRequests()
	h.mustSync()
	want := []string{
		// New incidents from the cursor (2025-07-01T12:00Z) minus the 1h overlap.
		"/incidents?limit=100&since=2025-07-01T11%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2025-07-10T12%3A00%3A00Z",
		// Log entries since the last sync, minus the overlap.
		"/log_entries?is_overview=true&limit=100&since=2025-07-01T11%3A00%3A00Z&time_zone=UTC&total=true&until=2025-07-10T12%3A00%3A00Z",
		// PINC006's resolve_log_entry is newer than what is stored: read it.
		"/incidents/PINC006",
	}
	if got := h.fake.requestLog(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests after restart:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	inc, _ = h.stored("PINC006")
	if want := time.Date(2025, 7, 2, 0, 0, 0, 0, time.UTC); !inc.Resolved.Equal(want) || !inc.Acknowledged.IsZero() {
		t.Errorf("PINC006 resolved %v acknowledged %v, want resolved %v and never acknowledged", inc.Resolved, inc.Acknowledged, want)
	}
}

func TestChangesInTheLogOfAStoredOpenIncidentAreReadBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		// change is applied to PINC006 (open since 2025-06-30T11:30Z) at
		// 2025-07-01T09:00Z, between two refreshes.
		change   func(f *fakePD)
		settings string
		requests int
		check    func(t *testing.T, inc incident.Incident, stored bool)
	}{
		{"a resolution is read back", func(f *fakePD) {
			f.update("PINC006", map[string]any{"status": "resolved", "resolved_at": "2025-07-01T09:00:00Z", "last_status_change_at": "2025-07-01T09:00:00Z"})
			f.logEntry("PINC006", "RLOG69", "resolve_log_entry", "2025-07-01T09:00:00Z")
		}, "", 3, func(t *testing.T, inc incident.Incident, stored bool) {
			if want := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC); !stored || !inc.Resolved.Equal(want) {
				t.Errorf("PINC006 stored %v resolved %v, want %v", stored, inc.Resolved, want)
			}
		}},
		{"a merge removes the duplicate", func(f *fakePD) {
			f.update("PINC006", map[string]any{"status": "resolved", "resolved_at": "2025-07-01T09:00:00Z", "last_status_change_at": "2025-07-01T09:00:00Z",
				"resolve_reason": map[string]any{"type": "merge_resolve_reason", "incident": map[string]any{"id": "PINC005", "type": "incident_reference"}}})
			f.logEntry("PINC006", "RLOG69", "resolve_log_entry", "2025-07-01T09:00:00Z")
		}, "", 3, func(t *testing.T, inc incident.Incident, stored bool) {
			if stored {
				t.Error("the merged PINC006 is still stored")
			}
		}},
		{"an urgency change moves the severity", func(f *fakePD) {
			f.update("PINC006", map[string]any{"urgency": "high", "updated_at": "2025-07-01T09:00:00Z"})
			f.logEntry("PINC006", "RLOG69", "urgency_change_log_entry", "2025-07-01T09:00:00Z")
		}, "severity_from: urgency\nseverity_map: {high: sev1, low: sev3}", 3, func(t *testing.T, inc incident.Incident, stored bool) {
			if inc.Severity != "sev1" {
				t.Errorf("PINC006 severity %q, want sev1", inc.Severity)
			}
		}},
		{"an assignment changes nothing and is not read back", func(f *fakePD) {
			f.logEntry("PINC006", "RLOG69", "assign_log_entry", "2025-07-01T09:00:00Z")
		}, "", 2, func(t *testing.T, inc incident.Incident, stored bool) {
			if !stored || !inc.IsOpen() {
				t.Errorf("PINC006 stored %v open %v, want stored and open", stored, inc.IsOpen())
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fixtureFake(t)
			h := newHarness(t, f, tc.settings)
			h.mustSync()
			// A refresh at 08:00 moves the cursors past PINC006's creation
			// and the overlap, so only its log can tell it changed.
			h.clock = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)
			h.mustSync()
			tc.change(f)
			h.clock = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
			f.resetRequests()
			h.mustSync()
			if got := f.requestLog(); len(got) != tc.requests {
				t.Errorf("made %d requests, want %d:\n%s", len(got), tc.requests, strings.Join(got, "\n"))
			}
			inc, stored := h.stored("PINC006")
			tc.check(t, inc, stored)
		})
	}
}

func TestRateLimitedRequestIsRetriedAfterRetryAfter(t *testing.T) {
	f := fixtureFake(t)
	limited := false
	f.setFail(func(w http.ResponseWriter, r *http.Request) bool {
		if limited {
			return false
		}
		limited = true
		w.Header().Set("Retry-After", "7")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":{"message":"Too many requests","code":2020}}`)
		return true
	})
	h := newHarness(t, f, "")
	h.mustSync()
	if len(h.sleeps) != 1 || h.sleeps[0] != 7*time.Second {
		t.Errorf("waited %v, want exactly the 7s of Retry-After", h.sleeps)
	}
	if got := len(f.requestLog()); got != 6+6+1 {
		t.Errorf("made %d requests, want 13 (12 plus the retried one)", got)
	}
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(fixtureGauges), fixtureGaugeNames...); err != nil {
		t.Fatal(err)
	}
}

func TestFailedSyncKeepsTheLastData(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fail   func(w http.ResponseWriter, r *http.Request)
		reason string
	}{
		{"a 503 that echoes the credentials is a server error without the token", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusServiceUnavailable, 0, "overloaded while handling "+r.Header.Get("Authorization"))
		}, collectors.ReasonServer},
		{"truncated JSON is a decode error", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"incidents":[{"id":"PINC010","created_at":"2025-07-01T`)
		}, collectors.ReasonDecode},
		{"a revoked key is an auth error", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusUnauthorized, 2006, "Unauthorized")
		}, collectors.ReasonAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fixtureFake(t)
			h := newHarness(t, f, "")
			h.mustSync()
			before, err := h.snapshot().Render()
			if err != nil {
				t.Fatal(err)
			}
			f.setFail(func(w http.ResponseWriter, r *http.Request) bool { tc.fail(w, r); return true })
			h.clock = h.clock.Add(time.Hour)
			err = h.sync()
			if err == nil {
				t.Fatal("sync succeeded")
			}
			if got := collectors.Reason(err); got != tc.reason {
				t.Errorf("reason %q, want %q (error: %v)", got, tc.reason, err)
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), url.QueryEscape(testToken)) {
				t.Errorf("error contains the token: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "pagerduty incidents created 2025-06-30T11:00:00Z..2025-06-30T13:00:00Z: offset 0: GET ") {
				t.Errorf("error does not name the source and object: %v", err)
			}
			h.clock = testNow
			after, err := h.snapshot().Render()
			if err != nil {
				t.Fatal(err)
			}
			if string(after.Text) != string(before.Text) {
				t.Errorf("snapshot changed after a failed sync:\n%s\nwas:\n%s", after.Text, before.Text)
			}
		})
	}
}

func TestSliceOverTenThousandIncidentsIsSplitInHalves(t *testing.T) {
	f := newFakePD(t, testToken)
	// 10,050 incidents, one every 80s from 10 days ago: 5,400 in the
	// first five days, 4,650 in the last five.
	start := testNow.Add(-10 * 24 * time.Hour)
	for i := range 10050 {
		f.put(fmt.Appendf(nil, `{"id":"Q%05d","type":"incident","created_at":%q,"status":"triggered","urgency":"high","service":{"id":"PCHK001","summary":"Checkout API"},"teams":[],"acknowledgements":[]}`,
			i, start.Add(time.Duration(i)*80*time.Second).Format(time.RFC3339)))
	}
	h := newHarness(t, f, "lookback: 400d\nwindow: 180d")
	h.mustSync()

	var n int
	_ = h.st.View(h.c.deps.StoreKey(), func(tx *store.Tx) error { n = tx.CountRecords("incident"); return nil })
	if n != 10050 {
		t.Errorf("stored %d incidents, want 10050", n)
	}
	if len(f.violations) > 0 {
		t.Errorf("requests broke the API limits (offset+limit <= 10000, since..until <= 6 months): %v", f.violations)
	}
	// Slices of 400d lookback: [-400d,-220d) and [-220d,-40d) are empty
	// (1 request each); [-40d,0) reports 10,050 -> split: [-40d,-20d)
	// empty (1); [-20d,0) reports 10,050 -> split: [-20d,-10d) empty (1);
	// [-10d,0) reports 10,050 -> split: [-10d,-5d) 5,400 = 54 pages,
	// [-5d,0) 4,650 = 47 pages: 108 incident lists. Each of the three
	// 180-day slices then reads one (empty) page of log entries: 111.
	if got := len(f.requestLog()); got != 111 {
		t.Errorf("made %d requests, want 111", got)
	}
}

func TestRequestsNeverSpanMoreThanSixMonths(t *testing.T) {
	h := newHarness(t, fixtureFake(t), "lookback: 730d\nwindow: 180d")
	h.mustSync()
	for _, r := range h.fake.requestLog() {
		u, _ := url.Parse(r)
		if u.Path != "/incidents" {
			continue
		}
		since, _ := time.Parse(time.RFC3339, u.Query().Get("since"))
		until, _ := time.Parse(time.RFC3339, u.Query().Get("until"))
		if until.Sub(since) > 180*24*time.Hour || !since.Before(until) {
			t.Errorf("request spans %v: %s", until.Sub(since), r)
		}
	}
	// 730d = 4 slices of 180d and one of 10d, each with one page of
	// incidents and one of log entries.
	if got := len(h.fake.requestLog()); got != 5+5 {
		t.Errorf("made %d requests, want 5 lists and 5 log entry pages:\n%s", got, strings.Join(h.fake.requestLog(), "\n"))
	}
}

func TestFilterChangeStartsOver(t *testing.T) {
	h := newHarness(t, fixtureFake(t), "")
	h.mustSync()
	h.restart("service_ids: [PSRCH01]")
	h.fake.resetRequests()
	h.mustSync()
	for _, r := range h.fake.requestLog() {
		if strings.HasPrefix(r, "/incidents?") && !strings.Contains(r, "service_ids%5B%5D=PSRCH01") {
			t.Errorf("list request without the service filter: %s", r)
		}
	}
	for id, want := range map[string]bool{"PINC001": false, "PINC003": true, "PINC006": true} {
		if _, ok := h.stored(id); ok != want {
			t.Errorf("%s stored = %v, want %v", id, ok, want)
		}
	}
}

func TestTeamFilterAppliesToLogEntries(t *testing.T) {
	h := newHarness(t, fixtureFake(t), "team_ids: [PTEAMPAY]")
	h.mustSync()
	for _, r := range h.fake.requestLog() {
		if !strings.Contains(r, "team_ids%5B%5D=PTEAMPAY") {
			t.Errorf("request without the team filter: %s", r)
		}
	}
	// PINC001 (5m) and PINC004 (2m) keep their acknowledgements; PINC002
	// has no team and is not stored.
	for id, want := range map[string]time.Duration{"PINC001": 5 * time.Minute, "PINC004": 2 * time.Minute} {
		inc, _ := h.stored(id)
		if got, _ := inc.TimeToAcknowledge(); got != want {
			t.Errorf("%s time to acknowledge %v, want %v", id, got, want)
		}
	}
	if _, ok := h.stored("PINC002"); ok {
		t.Error("PINC002, of no team, was stored")
	}
}

func TestSeverityFromUrgencyUsesTheSeverityMap(t *testing.T) {
	h := newHarness(t, fixtureFake(t), "severity_from: urgency\nseverity_map: {high: sev1, low: sev3}")
	h.mustSync()
	for id, want := range map[string]string{"PINC001": "sev1", "PINC004": "sev3", "PINC006": "sev3"} {
		if inc, _ := h.stored(id); inc.Severity != want {
			t.Errorf("%s severity %q, want %q", id, inc.Severity, want)
		}
	}
}

func TestBadIncidentIsSkippedAndNoted(t *testing.T) {
	f := fixtureFake(t)
	f.put([]byte(`{"id":"PBAD01","type":"incident","created_at":"2025-06-29T10:00:00Z","status":"resolved","resolved_at":"2025-06-29T09:00:00Z","urgency":"high","service":{"id":"PCHK001","summary":"Checkout API"},"acknowledgements":[]}`))
	f.logs["PBAD01"] = nil
	h := newHarness(t, f, "")
	h.mustSync()
	if _, ok := h.stored("PBAD01"); ok {
		t.Error("an incident resolved before it opened was stored")
	}
	notes := h.c.Notes()
	if len(notes) != 1 || !strings.Contains(notes[0], "PBAD01") || !strings.Contains(notes[0], "resolved 2025-06-29T09:00:00Z is before opened") {
		t.Errorf("notes %q", notes)
	}
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(fixtureGauges), fixtureGaugeNames...); err != nil {
		t.Fatal(err)
	}
}

func TestBadSettingsAreRejectedWithFileLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, settings, want string
	}{
		{"a page size over 100", "page_size: 500", "collectors[0].page_size: 500 must be between 1 and 100"},
		{"an unknown urgency", "urgencies: [high, urgent]", "collectors[0].urgencies[1]: \"urgent\" is not an urgency (high or low)"},
		{"an unknown severity source", "severity_from: impact", "collectors[0].severity_from: \"impact\" must be priority or urgency"},
		{"a severity map to a made-up severity", "severity_map: {high: critical}", "collectors[0].severity_map.high: \"critical\" must be one of sev1, sev2, sev3, sev4, sev5, unknown"},
		{"a window longer than six months", "window: 200d", "collectors[0].window: 200d must be between 1h and 180d (PagerDuty lists at most six months at a time)"},
		{"a url that is not http, quoted masked as it is long", "url: ftp://example.com", "collectors[0].url: \"ftp:…\" is not an http(s) URL such as https://api.pagerduty.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := store.Open(filepath.Join(dir, "s.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			settings := tc.settings
			base := "http://127.0.0.1:1"
			if strings.HasPrefix(settings, "url:") {
				base, settings = strings.TrimSpace(strings.TrimPrefix(settings, "url:")), ""
			}
			_, err = buildCollector(dir, base, settings, st, time.Now, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			// The collector entry follows the catalog and "collectors:"; the
			// error points at the setting's own line: url two lines into
			// the entry, the extra settings four.
			line := strings.Count(catalogYAML, "\n") + 2 + 4
			if strings.HasPrefix(tc.settings, "url:") {
				line -= 2
			}
			if want := fmt.Sprintf("%s:%d: %s", filepath.Join(dir, "config.yml"), line, tc.want); err.Error() != want {
				t.Errorf("error\n%s\nwant\n%s", err, want)
			}
		})
	}
}

func TestEveryBadSettingIsReportedAtOnce(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = buildCollector(dir, "http://127.0.0.1:1", "page_size: 500\nurgencies: [high, urgent]\nseverity_map: {low: minor, high: critical}\nwindow: 200d", st, time.Now, nil)
	// Each at its own line (settings start four lines into the entry), in
	// the file's order.
	at := func(n int) string {
		return fmt.Sprintf("%s:%d: ", filepath.Join(dir, "config.yml"), strings.Count(catalogYAML, "\n")+2+4+n)
	}
	want := at(0) + `collectors[0].page_size: 500 must be between 1 and 100` + "\n" +
		at(1) + `collectors[0].urgencies[1]: "urgent" is not an urgency (high or low)` + "\n" +
		at(2) + `collectors[0].severity_map.high: "critical" must be one of sev1, sev2, sev3, sev4, sev5, unknown` + "\n" +
		at(2) + `collectors[0].severity_map.low: "minor" must be one of sev1, sev2, sev3, sev4, sev5, unknown` + "\n" +
		at(3) + `collectors[0].window: 200d must be between 1h and 180d (PagerDuty lists at most six months at a time)`
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
}

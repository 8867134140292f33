package github

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

const testToken = "ghp_TESTtoken0123456789abcdefABCDEF"

// testNow is the fixed "now" of the tests. Windows: 7d after 2024-06-23T12:00,
// 30d after 2024-05-31T12:00, 90d after 2024-04-01T12:00.
var testNow = time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)

// harness is a fake GitHub, a store and a way to build collectors on them.
type harness struct {
	t        *testing.T
	fake     *fakeGitHub
	baseURL  string
	dbPath   string
	st       *store.Store
	now      time.Time
	settings string

	mu     sync.Mutex
	sleeps []time.Duration
	// maxRetries, when not 0, replaces the 2 retries of the tests.
	maxRetries int
}

func newHarness(t *testing.T, prefix string, repos ...string) *harness {
	t.Helper()
	t.Setenv("GITHUB_TOKEN", testToken)
	h := &harness{t: t, now: testNow, dbPath: filepath.Join(t.TempDir(), "s.db")}
	h.fake = newFakeGitHub(t, testToken, prefix, testNow)
	for _, r := range repos {
		h.fake.loadFixtures(r)
	}
	srv := h.fake.start()
	h.baseURL = srv.URL
	h.openStore()
	t.Cleanup(func() { h.st.Close() })
	quoted := make([]string, len(repos))
	for i, r := range repos {
		quoted[i] = fmt.Sprintf("%q", r)
	}
	h.settings = fmt.Sprintf(`
token: ${GITHUB_TOKEN}
repositories: [%s]
labels: [incident]
acknowledged_label: acknowledged
page_size: 2
`, strings.Join(quoted, ", "))
	return h
}

func (h *harness) openStore() {
	st, err := store.Open(h.dbPath)
	if err != nil {
		h.t.Fatal(err)
	}
	h.st = st
}

// restart closes and reopens the store, as a restarted exporter would.
func (h *harness) restart() {
	if err := h.st.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.openStore()
}

func testCatalog(t testing.TB) *catalog.Catalog {
	c := &catalog.Catalog{
		Teams: []catalog.Team{{Name: "payments"}, {Name: "web"}, {Name: "core"}, {Name: "search"}},
		Services: []catalog.Service{
			{Name: "payments-api", Team: "payments"},
			{Name: "checkout", Team: "web"},
			{Name: "ledger", Team: "core"},
			{Name: "search", Team: "search"},
		},
	}
	if err := c.Compile(); err != nil {
		t.Fatal(err)
	}
	return c
}

func testDeps(t testing.TB, st *store.Store, settings string, now func() time.Time) collectors.Deps {
	t.Helper()
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(settings), &node); err != nil {
		t.Fatal(err)
	}
	return collectors.Deps{
		Config:  config.CollectorConfig{Kind: "github", Name: "gh", Settings: node, Line: 7, Index: 0},
		Decoder: config.Decoder{File: "sre.yml"},
		BaseDir: t.TempDir(),
		Catalog: testCatalog(t),
		Store:   st,
		Logger:  slog.New(slog.DiscardHandler),
		Now:     now,
	}
}

// collector builds a collector instance on the harness (extra settings are
// appended), with sleeps recorded instead of slept.
func (h *harness) collector(extra string) *Collector {
	h.t.Helper()
	deps := testDeps(h.t, h.st, h.settings+extra, func() time.Time { return h.now })
	c, err := newCollector(deps, func(o *upstream.Options) {
		o.MaxRetries = 2
		if h.maxRetries != 0 {
			o.MaxRetries = h.maxRetries
		}
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.sleeps = append(h.sleeps, d)
			h.mu.Unlock()
			return ctx.Err()
		}
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if !strings.Contains(extra, "base_url") {
		// api.github.com stands for the fake server (GitHub Enterprise
		// tests set base_url instead).
		if c.client.BaseURL, err = url.Parse(h.baseURL + "/"); err != nil {
			h.t.Fatal(err)
		}
	}
	return c
}

func (h *harness) sync(c *Collector) {
	h.t.Helper()
	if err := c.Sync(context.Background()); err != nil {
		h.t.Fatalf("Sync: %v", err)
	}
}

func (h *harness) snapshot(c *Collector) *snapshot.Snapshot {
	h.t.Helper()
	snap, err := c.Snapshot(h.now)
	if err != nil {
		h.t.Fatal(err)
	}
	return snap
}

// exposition renders a snapshot as text, to tell whether it changed.
func exposition(t testing.TB, snap *snapshot.Snapshot) string {
	t.Helper()
	var buf bytes.Buffer
	for _, mf := range snap.Families() {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

// histogramFigures returns "labels -> sum/count" of a histogram family, with
// labels written as severity/service/team/window.
func histogramFigures(snap *snapshot.Snapshot, name string) map[string]string {
	out := map[string]string{}
	for _, mf := range snap.Families() {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			out[labelKey(m, "severity", "service", "team", "window")] = fmt.Sprintf("%g/%d", m.GetHistogram().GetSampleSum(), m.GetHistogram().GetSampleCount())
		}
	}
	return out
}

func gaugeValues(snap *snapshot.Snapshot, name string, labels ...string) map[string]float64 {
	out := map[string]float64{}
	for _, mf := range snap.Families() {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			v := m.GetGauge().GetValue()
			if m.Counter != nil {
				v = m.GetCounter().GetValue()
			}
			out[labelKey(m, labels...)] = v
		}
	}
	return out
}

func labelKey(m *dto.Metric, names ...string) string {
	vals := make([]string, len(names))
	for i, n := range names {
		for _, lp := range m.Label {
			if lp.GetName() == n {
				vals[i] = lp.GetValue()
			}
		}
	}
	return strings.Join(vals, "/")
}

// The fixtures (testdata/acme-payments, testdata/acme-checkout) give five
// label sets:
//
//	A sev1/payments-api/payments  #1 opened 06-28 10:00, ack label 10:15, closed 12:00 (TTR 2h, TTA 15m)
//	                              #6 opened 06-29 23:00, ack label 23:05, open (TTA 5m)
//	B sev2/payments-api/payments  #2 "sev-2", team from the catalog owner; opened 06-10 08:00,
//	                              ack label 08:30 (re-added 09:00 does not count), closed 12:00 (TTR 4h, TTA 30m)
//	C sev3/ledger/core            #5 "severity:3", opened 04-15 00:00, closed 00:30 (TTR 30m), no ack label
//	D sev2/checkout/web           #10 opened 06-25 00:00, ack 00:10, closed 01:00 (TTR 1h, TTA 10m)
//	                              #12 opened 06-26 00:00, closed 02:00 (TTR 2h), postmortem link in the body
//	E unknown/checkout/web        #11 no severity label, opened 05-20, closed 05-21 (TTR 24h), postmortem link
//
// #3 is a pull request with the incident label and #4 an issue without it:
// neither is an incident.
const expectedGauges = `
# HELP sre_incidents_opened_in_window Incidents opened in the window, by current severity, service and team (exact, from the store).
# TYPE sre_incidents_opened_in_window gauge
sre_incidents_opened_in_window{service="payments-api",severity="sev1",source="github",team="payments",window="7d"} 2
sre_incidents_opened_in_window{service="payments-api",severity="sev1",source="github",team="payments",window="30d"} 2
sre_incidents_opened_in_window{service="payments-api",severity="sev1",source="github",team="payments",window="90d"} 2
sre_incidents_opened_in_window{service="payments-api",severity="sev2",source="github",team="payments",window="7d"} 0
sre_incidents_opened_in_window{service="payments-api",severity="sev2",source="github",team="payments",window="30d"} 1
sre_incidents_opened_in_window{service="payments-api",severity="sev2",source="github",team="payments",window="90d"} 1
sre_incidents_opened_in_window{service="ledger",severity="sev3",source="github",team="core",window="7d"} 0
sre_incidents_opened_in_window{service="ledger",severity="sev3",source="github",team="core",window="30d"} 0
sre_incidents_opened_in_window{service="ledger",severity="sev3",source="github",team="core",window="90d"} 1
sre_incidents_opened_in_window{service="checkout",severity="sev2",source="github",team="web",window="7d"} 2
sre_incidents_opened_in_window{service="checkout",severity="sev2",source="github",team="web",window="30d"} 2
sre_incidents_opened_in_window{service="checkout",severity="sev2",source="github",team="web",window="90d"} 2
sre_incidents_opened_in_window{service="checkout",severity="unknown",source="github",team="web",window="7d"} 0
sre_incidents_opened_in_window{service="checkout",severity="unknown",source="github",team="web",window="30d"} 0
sre_incidents_opened_in_window{service="checkout",severity="unknown",source="github",team="web",window="90d"} 1
# HELP sre_incidents_resolved_in_window Incidents resolved in the window, by current severity, service and team (exact, from the store).
# TYPE sre_incidents_resolved_in_window gauge
sre_incidents_resolved_in_window{service="payments-api",severity="sev1",source="github",team="payments",window="7d"} 1
sre_incidents_resolved_in_window{service="payments-api",severity="sev1",source="github",team="payments",window="30d"} 1
sre_incidents_resolved_in_window{service="payments-api",severity="sev1",source="github",team="payments",window="90d"} 1
sre_incidents_resolved_in_window{service="payments-api",severity="sev2",source="github",team="payments",window="7d"} 0
sre_incidents_resolved_in_window{service="payments-api",severity="sev2",source="github",team="payments",window="30d"} 1
sre_incidents_resolved_in_window{service="payments-api",severity="sev2",source="github",team="payments",window="90d"} 1
sre_incidents_resolved_in_window{service="ledger",severity="sev3",source="github",team="core",window="7d"} 0
sre_incidents_resolved_in_window{service="ledger",severity="sev3",source="github",team="core",window="30d"} 0
sre_incidents_resolved_in_window{service="ledger",severity="sev3",source="github",team="core",window="90d"} 1
sre_incidents_resolved_in_window{service="checkout",severity="sev2",source="github",team="web",window="7d"} 2
sre_incidents_resolved_in_window{service="checkout",severity="sev2",source="github",team="web",window="30d"} 2
sre_incidents_resolved_in_window{service="checkout",severity="sev2",source="github",team="web",window="90d"} 2
sre_incidents_resolved_in_window{service="checkout",severity="unknown",source="github",team="web",window="7d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="unknown",source="github",team="web",window="30d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="unknown",source="github",team="web",window="90d"} 1
# HELP sre_incidents_resolved_with_postmortem_in_window Incidents resolved in the window that have a postmortem.
# TYPE sre_incidents_resolved_with_postmortem_in_window gauge
sre_incidents_resolved_with_postmortem_in_window{service="payments-api",severity="sev1",source="github",team="payments",window="7d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="payments-api",severity="sev1",source="github",team="payments",window="30d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="payments-api",severity="sev1",source="github",team="payments",window="90d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="payments-api",severity="sev2",source="github",team="payments",window="7d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="payments-api",severity="sev2",source="github",team="payments",window="30d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="payments-api",severity="sev2",source="github",team="payments",window="90d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="ledger",severity="sev3",source="github",team="core",window="7d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="ledger",severity="sev3",source="github",team="core",window="30d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="ledger",severity="sev3",source="github",team="core",window="90d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="checkout",severity="sev2",source="github",team="web",window="7d"} 1
sre_incidents_resolved_with_postmortem_in_window{service="checkout",severity="sev2",source="github",team="web",window="30d"} 1
sre_incidents_resolved_with_postmortem_in_window{service="checkout",severity="sev2",source="github",team="web",window="90d"} 1
sre_incidents_resolved_with_postmortem_in_window{service="checkout",severity="unknown",source="github",team="web",window="7d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="checkout",severity="unknown",source="github",team="web",window="30d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="checkout",severity="unknown",source="github",team="web",window="90d"} 1
# HELP sre_incidents_open Incidents open now, by severity, service and team.
# TYPE sre_incidents_open gauge
sre_incidents_open{service="payments-api",severity="sev1",source="github",team="payments"} 1
sre_incidents_open{service="payments-api",severity="sev2",source="github",team="payments"} 0
sre_incidents_open{service="ledger",severity="sev3",source="github",team="core"} 0
sre_incidents_open{service="checkout",severity="sev2",source="github",team="web"} 0
sre_incidents_open{service="checkout",severity="unknown",source="github",team="web"} 0
`

var gaugeNames = []string{"sre_incidents_opened_in_window", "sre_incidents_resolved_in_window", "sre_incidents_resolved_with_postmortem_in_window", "sre_incidents_open"}

// Time to resolve, sum/count per label set and window (MTTR = sum/count):
//
//	A: #1 2h = 7200s resolved 06-28: 7200/1 in every window
//	B: #2 4h = 14400s resolved 06-10: not in 7d; 14400/1 in 30d and 90d
//	C: #5 30m = 1800s resolved 04-15: 1800/1 in 90d only
//	D: #10 1h + #12 2h = 3600 + 7200 = 10800/2 in every window
//	E: #11 24h = 86400s resolved 05-21: 86400/1 in 90d only
//
// MTTR over all services, 30d = (7200 + 14400 + 10800) / (1 + 1 + 2) = 8100s (2h15m);
// 7d = (7200 + 10800) / 3 = 6000s; 90d = (7200 + 14400 + 1800 + 10800 + 86400) / 6 = 20100s.
var expectedTTR = map[string]string{
	"sev1/payments-api/payments/7d": "7200/1", "sev1/payments-api/payments/30d": "7200/1", "sev1/payments-api/payments/90d": "7200/1",
	"sev2/payments-api/payments/7d": "0/0", "sev2/payments-api/payments/30d": "14400/1", "sev2/payments-api/payments/90d": "14400/1",
	"sev3/ledger/core/7d": "0/0", "sev3/ledger/core/30d": "0/0", "sev3/ledger/core/90d": "1800/1",
	"sev2/checkout/web/7d": "10800/2", "sev2/checkout/web/30d": "10800/2", "sev2/checkout/web/90d": "10800/2",
	"unknown/checkout/web/7d": "0/0", "unknown/checkout/web/30d": "0/0", "unknown/checkout/web/90d": "86400/1",
}

// Time to acknowledge (first "labeled acknowledged" event), sum/count:
//
//	A: #1 15m = 900s (ack 06-28) + #6 5m = 300s (ack 06-29): 1200/2 in every window
//	B: #2 30m = 1800s (ack 06-10): not in 7d; 1800/1 in 30d and 90d
//	D: #10 10m = 600s (ack 06-25): 600/1 in every window; #12 has no ack label
//	C, E: never acknowledged
//
// MTTA 30d = (900 + 300 + 1800 + 600) / 4 = 900s.
var expectedTTA = map[string]string{
	"sev1/payments-api/payments/7d": "1200/2", "sev1/payments-api/payments/30d": "1200/2", "sev1/payments-api/payments/90d": "1200/2",
	"sev2/payments-api/payments/7d": "0/0", "sev2/payments-api/payments/30d": "1800/1", "sev2/payments-api/payments/90d": "1800/1",
	"sev3/ledger/core/7d": "0/0", "sev3/ledger/core/30d": "0/0", "sev3/ledger/core/90d": "0/0",
	"sev2/checkout/web/7d": "600/1", "sev2/checkout/web/30d": "600/1", "sev2/checkout/web/90d": "600/1",
	"unknown/checkout/web/7d": "0/0", "unknown/checkout/web/30d": "0/0", "unknown/checkout/web/90d": "0/0",
}

func compareFigures(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if got[k] != want[k] {
			t.Errorf("%s{%s} = %q, want %q", what, k, got[k], want[k])
		}
	}
}

func checkFixtureMetrics(t *testing.T, snap *snapshot.Snapshot) {
	t.Helper()
	if err := testutil.GatherAndCompare(snap, strings.NewReader(expectedGauges), gaugeNames...); err != nil {
		t.Error(err)
	}
	compareFigures(t, "time to resolve", histogramFigures(snap, "sre_incident_time_to_resolve_in_window_seconds"), expectedTTR)
	compareFigures(t, "time to acknowledge", histogramFigures(snap, "sre_incident_time_to_acknowledge_in_window_seconds"), expectedTTA)

	// The overall MTTR and MTTA quoted above, summed across label sets.
	overall := func(name, window string) float64 {
		var sum float64
		var count uint64
		for _, mf := range snap.Families() {
			if mf.GetName() != name {
				continue
			}
			for _, m := range mf.Metric {
				if labelKey(m, "window") == window {
					sum += m.GetHistogram().GetSampleSum()
					count += m.GetHistogram().GetSampleCount()
				}
			}
		}
		return sum / float64(count)
	}
	for _, c := range []struct {
		name, window string
		want         float64
	}{
		{"sre_incident_time_to_resolve_in_window_seconds", "7d", 6000},
		{"sre_incident_time_to_resolve_in_window_seconds", "30d", 8100},
		{"sre_incident_time_to_resolve_in_window_seconds", "90d", 20100},
		{"sre_incident_time_to_acknowledge_in_window_seconds", "30d", 900},
	} {
		if got := overall(c.name, c.window); got != c.want {
			t.Errorf("mean of %s over %s = %g, want %g", c.name, c.window, got, c.want)
		}
	}
}

func TestSyncOfTwoRepositoriesGivesHandComputedIncidentFigures(t *testing.T) {
	h := newHarness(t, "", "acme/payments", "acme/checkout")
	c := h.collector("")
	h.sync(c)

	// With page_size 2: acme/payments lists #5 #2 | #1 #3 | #6 (the PR #3
	// comes back and is skipped; #4 lacks the label), acme/checkout lists
	// #11 #10 | #12; one events request per page of events of each issue
	// carrying "acknowledged" (#1's ack is its 4th event: page 2 of 3).
	want := map[string]int{
		"/repos/acme/payments/issues":           3,
		"/repos/acme/payments/issues/1/events":  2,
		"/repos/acme/payments/issues/2/events":  1,
		"/repos/acme/payments/issues/6/events":  1,
		"/repos/acme/checkout/issues":           2,
		"/repos/acme/checkout/issues/10/events": 1,
	}
	got, _, _ := h.fake.counts()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests by path:\n got %v\nwant %v", got, want)
	}
	checkFixtureMetrics(t, h.snapshot(c))

	// Counters count each incident once: 4 in payments (#1 #2 #5 #6), 3 in checkout.
	opened := gaugeValues(h.snapshot(c), "sre_incidents_opened_total", "severity", "service", "team")
	total := 0.0
	for _, v := range opened {
		total += v
	}
	if total != 7 {
		t.Errorf("sre_incidents_opened_total sums to %g, want 7 (%v)", total, opened)
	}
	if notes := c.Notes(); len(notes) != 0 {
		t.Errorf("Notes() = %q, want none", notes)
	}
}

func TestSecondRefreshWithNothingChangedMakesOneConditionalRequestPerRepository(t *testing.T) {
	h := newHarness(t, "", "acme/payments", "acme/checkout")
	c := h.collector("")
	h.sync(c)
	before := exposition(t, h.snapshot(c))
	h.fake.resetCounts()

	h.sync(c)
	got, total, notModified := h.fake.counts()
	want := map[string]int{"/repos/acme/payments/issues": 1, "/repos/acme/checkout/issues": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) || total != 2 || notModified != 2 {
		t.Errorf("second refresh made %v (%d requests, %d answered 304), want one 304 per repository", got, total, notModified)
	}
	if after := exposition(t, h.snapshot(c)); after != before {
		t.Errorf("snapshot changed after a refresh with nothing new")
	}
}

func TestRestartResumesFromThePersistedCursor(t *testing.T) {
	h := newHarness(t, "", "acme/payments", "acme/checkout")
	// The first sync fails on the second page of acme/checkout (after
	// acme/payments and checkout's first page were stored).
	h.fake.fail(failure{path: "/repos/acme/checkout/issues", query: "&page=2&", status: 500, times: 3,
		body: `{"message":"Server Error"}`})
	c := h.collector("")
	err := c.Sync(context.Background())
	if err == nil || collectors.Reason(err) != collectors.ReasonServer {
		t.Fatalf("Sync = %v (reason %q), want a server_error", err, collectors.Reason(err))
	}
	if !strings.Contains(err.Error(), "github repository acme/checkout: page 2: ") {
		t.Errorf("error %q does not name the repository and page", err)
	}

	// Restart: a new store handle and a new collector (no ETag cache).
	h.restart()
	h.fake.resetCounts()
	c = h.collector("")
	h.sync(c)
	got, _, _ := h.fake.counts()
	// acme/payments had completed: its last page is asked for again (200
	// without the cache, same content) and nothing else. acme/checkout
	// resumes its full listing since the last stored page (#10 again, as
	// since is inclusive, and #12: one page), and issue #10 is stored with
	// its ack time, so no events request is repeated.
	want := map[string]int{"/repos/acme/payments/issues": 1, "/repos/acme/checkout/issues": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests after restart:\n got %v\nwant %v", got, want)
	}
	snap := h.snapshot(c)
	checkFixtureMetrics(t, snap)
	// Nothing counted twice across the failure and the restart.
	opened := gaugeValues(snap, "sre_incidents_opened_total", "severity", "service", "team")
	if opened["sev2/checkout/web"] != 2 || opened["sev1/payments-api/payments"] != 2 {
		t.Errorf("sre_incidents_opened_total = %v, want each incident once", opened)
	}

	// A second restart after a complete sync: one request per repository.
	h.restart()
	h.fake.resetCounts()
	c = h.collector("")
	h.sync(c)
	if _, total, _ := h.fake.counts(); total != 2 {
		t.Errorf("refresh after restart made %d requests, want 2", total)
	}
	checkFixtureMetrics(t, h.snapshot(c))
}

func TestRelabelledIssueStopsCounting(t *testing.T) {
	h := newHarness(t, "", "acme/payments", "acme/checkout")
	c := h.collector("")
	h.sync(c)

	// Half an hour later someone removes the incident label from #10; GitHub
	// bumps updated_at.
	h.now = testNow.Add(30 * time.Minute)
	h.fake.setNow(h.now)
	h.fake.edit("acme/checkout", 10, func(is map[string]any) {
		var kept []any
		for _, l := range is["labels"].([]any) {
			if l.(map[string]any)["name"] != "incident" {
				kept = append(kept, l)
			}
		}
		is["labels"] = kept
		is["updated_at"] = "2024-06-30T12:20:00Z"
	})
	h.fake.resetCounts()
	h.sync(c)

	got, _, _ := h.fake.counts()
	// payments: one 304. checkout: the last page changed (200), then the
	// issues updated since the cursor, without the labels filter.
	want := map[string]int{"/repos/acme/payments/issues": 1, "/repos/acme/checkout/issues": 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests: got %v, want %v", got, want)
	}
	snap := h.snapshot(c)
	// D loses #10: opened 2 -> 1 and resolved 2 -> 1 in every window; TTR
	// 10800/2 -> 7200/1 (only #12's 2h); TTA 600/1 -> 0/0.
	opened := gaugeValues(snap, "sre_incidents_opened_in_window", "severity", "service", "team", "window")
	if opened["sev2/checkout/web/7d"] != 1 || opened["sev2/checkout/web/90d"] != 1 {
		t.Errorf("opened in window after relabel = %v", opened)
	}
	ttr := histogramFigures(snap, "sre_incident_time_to_resolve_in_window_seconds")
	tta := histogramFigures(snap, "sre_incident_time_to_acknowledge_in_window_seconds")
	if ttr["sev2/checkout/web/30d"] != "7200/1" || tta["sev2/checkout/web/30d"] != "0/0" {
		t.Errorf("after relabel TTR %s, TTA %s; want 7200/1 and 0/0", ttr["sev2/checkout/web/30d"], tta["sev2/checkout/web/30d"])
	}
	// The counters keep it: counters never go backwards.
	if total := gaugeValues(snap, "sre_incidents_opened_total", "severity", "service", "team")["sev2/checkout/web"]; total != 2 {
		t.Errorf("sre_incidents_opened_total{sev2/checkout/web} = %g, want 2", total)
	}
}

func TestFullResyncDeletesDeletedAndTransferredIssues(t *testing.T) {
	h := newHarness(t, "", "acme/payments", "acme/checkout")
	c := h.collector("")
	h.sync(c)

	// #2 is deleted and #5 transferred to acme/ledger without anyone
	// updating anything else, so only the full reconciliation notices.
	h.fake.remove("acme/payments", 2)
	h.fake.mu.Lock()
	moved := h.fake.repos["acme/payments"].issues[5]
	delete(h.fake.repos["acme/payments"].issues, 5)
	copied := map[string]any{}
	for k, v := range moved {
		copied[k] = v
	}
	copied["repository_url"] = "https://api.github.com/repos/acme/ledger"
	copied["number"] = float64(1)
	h.fake.repo("acme/ledger").issues[1] = copied
	h.fake.moved["/repos/acme/payments/issues/5"] = "/repos/acme/ledger/issues/1"
	h.fake.listCache = map[string][]map[string]any{}
	h.fake.mu.Unlock()

	h.now = testNow.Add(25 * time.Hour) // past full_resync_interval (24h)
	h.fake.setNow(h.now)
	h.fake.resetCounts()
	h.sync(c)
	got, _, _ := h.fake.counts()
	for _, p := range []string{"/repos/acme/payments/issues/2", "/repos/acme/payments/issues/5", "/repos/acme/ledger/issues/1"} {
		if got[p] != 1 {
			t.Errorf("%d requests for %s, want 1 (each unlisted issue is checked once)", got[p], p)
		}
	}
	open := gaugeValues(h.snapshot(c), "sre_incidents_opened_in_window", "severity", "service", "team", "window")
	// Now 2024-07-01T12:00: B (#2) and C (#5) are gone entirely.
	if _, ok := open["sev2/payments-api/payments/90d"]; ok {
		t.Errorf("deleted issue #2 still counts: %v", open)
	}
	if _, ok := open["sev3/ledger/core/90d"]; ok {
		t.Errorf("transferred issue #5 still counts: %v", open)
	}
	if open["sev1/payments-api/payments/7d"] != 2 {
		t.Errorf("the other incidents should still count: %v", open)
	}
}

func TestRetryAfter429ThenSuccess(t *testing.T) {
	h := newHarness(t, "", "acme/payments", "acme/checkout")
	h.fake.fail(failure{path: "/repos/acme/payments/issues", status: 429, times: 1,
		header: map[string]string{"Retry-After": "7"},
		body:   `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`})
	c := h.collector("")
	h.sync(c)
	h.mu.Lock()
	sleeps := append([]time.Duration(nil), h.sleeps...)
	h.mu.Unlock()
	if len(sleeps) == 0 || sleeps[0] < 6*time.Second || sleeps[0] > 7*time.Second {
		t.Errorf("slept %v, want one wait of about 7s (Retry-After)", sleeps)
	}
	checkFixtureMetrics(t, h.snapshot(c))
}

func TestRateLimit403WithNoQuotaLeft(t *testing.T) {
	body := `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`
	t.Run("waits for the reset and then succeeds", func(t *testing.T) {
		h := newHarness(t, "", "acme/payments", "acme/checkout")
		reset := time.Now().Add(40 * time.Second)
		h.fake.fail(failure{path: "/repos/acme/payments/issues", status: 403, times: 1, body: body,
			header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(reset.Unix())}})
		c := h.collector("")
		h.sync(c)
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.sleeps) == 0 || h.sleeps[0] < 30*time.Second || h.sleeps[0] > 41*time.Second {
			t.Errorf("slept %v, want a wait until the reset (about 40s)", h.sleeps)
		}
		checkFixtureMetrics(t, h.snapshot(c))
	})
	t.Run("fails as rate_limited when the reset is too far away", func(t *testing.T) {
		h := newHarness(t, "", "acme/payments")
		reset := time.Now().Add(2 * time.Hour)
		h.fake.fail(failure{path: "/repos/acme/payments/issues", status: 403, body: body,
			header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(reset.Unix())}})
		c := h.collector("")
		err := c.Sync(context.Background())
		if collectors.Reason(err) != collectors.ReasonRateLimited {
			t.Fatalf("Sync = %v (reason %q), want rate_limited", err, collectors.Reason(err))
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("error contains the token: %v", err)
		}
	})
}

func TestLastRequestOfTheQuotaWaitsForTheResetInsteadOfFailing(t *testing.T) {
	h := newHarness(t, "", "acme/payments", "acme/checkout")
	// The first page answers 200 but uses the last request of the quota.
	// go-github alone would refuse the next request without sending it;
	// the upstream layer waits for the reset and goes on.
	h.fake.exhaustAt, h.fake.exhaustReset = 1, time.Now().Add(20*time.Second)
	c := h.collector("")
	h.sync(c)
	h.mu.Lock()
	sleeps := append([]time.Duration(nil), h.sleeps...)
	h.mu.Unlock()
	// Sleeps are recorded, not slept, so every later request waits too.
	if len(sleeps) == 0 || sleeps[0] < 10*time.Second || sleeps[0] > 21*time.Second {
		t.Errorf("slept %v, want waits until the reset (about 20s)", sleeps)
	}
	checkFixtureMetrics(t, h.snapshot(c))
}

func TestFailedRefreshKeepsTheLastGoodData(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fail   failure
		reason string
	}{
		{"a 502 on every attempt is a server_error",
			failure{path: "/repos/acme/checkout/issues", status: 502, body: `<html>Bad Gateway</html>`}, collectors.ReasonServer},
		{"a truncated JSON page is a decode error",
			failure{path: "/repos/acme/checkout/issues", status: 200, body: `[{"number": 10, "title": "Checkout 5`}, collectors.ReasonDecode},
		{"a 401 is an auth error",
			failure{path: "/repos/acme/checkout/issues", status: 401, body: `{"message":"Bad credentials"}`}, collectors.ReasonAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "", "acme/payments", "acme/checkout")
			c := h.collector("")
			h.sync(c)
			before := exposition(t, h.snapshot(c))

			h.fake.fail(tc.fail)
			err := c.Sync(context.Background())
			if err == nil {
				t.Fatal("Sync succeeded, want an error")
			}
			if got := collectors.Reason(err); got != tc.reason {
				t.Errorf("reason %q, want %q (%v)", got, tc.reason, err)
			}
			if !strings.Contains(err.Error(), "github repository acme/checkout: page 2") {
				t.Errorf("error %q does not name the repository and page", err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error contains the token: %v", err)
			}
			if after := exposition(t, h.snapshot(c)); after != before {
				t.Errorf("snapshot changed after a failed refresh")
			}
		})
	}
}

func TestTokenNeverAppearsInErrors(t *testing.T) {
	h := newHarness(t, "", "acme/payments")
	// An upstream that echoes the credentials back in its error body.
	h.fake.fail(failure{path: "/repos/acme/payments/issues", status: 400,
		body: `{"message":"Bad request with Authorization: Bearer ` + testToken + `"}`})
	c := h.collector("")
	err := c.Sync(context.Background())
	if err == nil || collectors.Reason(err) != collectors.ReasonClient {
		t.Fatalf("Sync = %v, want a client_error", err)
	}
	if strings.Contains(err.Error(), testToken) || strings.Contains(fmt.Sprintf("%+v", err), testToken) {
		t.Errorf("error contains the token: %v", err)
	}
}

func TestGitHubEnterpriseBaseURL(t *testing.T) {
	h := newHarness(t, "/api/v3", "acme/payments", "acme/checkout")
	c := h.collector(fmt.Sprintf("base_url: %s/api/v3/\n", h.baseURL))
	h.sync(c)
	got, _, _ := h.fake.counts()
	if got["/api/v3/repos/acme/payments/issues"] != 3 || got["/api/v3/repos/acme/checkout/issues"] != 2 {
		t.Errorf("requests %v, want the listings under /api/v3/", got)
	}
	checkFixtureMetrics(t, h.snapshot(c))
}

func TestAcknowledgeFromFirstResponseByAnotherPerson(t *testing.T) {
	h := newHarness(t, "", "acme/search")
	h.settings = `
token: ${GITHUB_TOKEN}
repositories: [acme/search]
labels: [incident]
`
	c := h.collector("")
	h.sync(c)
	got, _, _ := h.fake.counts()
	// #20 and #21 have comments (one request each); #22 has none.
	want := map[string]int{"/repos/acme/search/issues": 1, "/repos/acme/search/issues/20/comments": 1, "/repos/acme/search/issues/21/comments": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests: got %v, want %v", got, want)
	}
	// #20 opened 10:00; the author's own comment (10:01) and the bot's
	// (10:02) do not count; bob at 10:20 does: TTA 20m = 1200s.
	// #21 closed 15:00, first other comment 16:00 is after closing: not an
	// acknowledgement. #22 has no comments.
	tta := histogramFigures(h.snapshot(c), "sre_incident_time_to_acknowledge_in_window_seconds")
	if tta["sev2/search/search/7d"] != "1200/1" || tta["sev3/search/search/7d"] != "0/0" {
		t.Errorf("time to acknowledge = %v", tta)
	}
}

func TestSeverityLabels(t *testing.T) {
	explicit := map[string]string{"p0": "sev1", "sev-minor": "sev4"}
	for _, tc := range []struct {
		name   string
		prefix string
		labels []string
		want   string
	}{
		{"sev1 is sev1", "sev", []string{"sev1"}, "sev1"},
		{"a dash between prefix and number is allowed", "sev", []string{"sev-2"}, "sev2"},
		{"severity:3 matches the sev prefix", "sev", []string{"severity:3"}, "sev3"},
		{"upper case and spaces are allowed", "sev", []string{"SEV 4"}, "sev4"},
		{"sev0 counts as the most severe", "sev", []string{"sev0"}, "sev1"},
		{"a word after the prefix uses the shared spellings", "severity/", []string{"severity/critical"}, "sev1"},
		{"the explicit map wins over the shared spellings", "sev", []string{"sev-minor"}, "sev4"},
		{"the explicit map applies to what follows the prefix", "priority:", []string{"priority: P0"}, "sev1"},
		{"the most severe of two labels wins", "sev", []string{"sev3", "sev2"}, "sev2"},
		{"labels without the prefix are ignored", "sev", []string{"p1", "service:sev"}, "unknown"},
		{"an unreadable severity is unknown", "sev", []string{"sev-whatever"}, "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Collector{cfg: Settings{SeverityLabelPrefix: tc.prefix, SeverityMap: explicit}}
			if got := c.severity(tc.labels); got != tc.want {
				t.Errorf("severity(%q) with prefix %q = %q, want %q", tc.labels, tc.prefix, got, tc.want)
			}
		})
	}
}

func TestSettingsErrors(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", testToken)
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		name     string
		settings string
		want     string
	}{
		{"a token is required", "repositories: [a/b]\n",
			"sre.yml:7: collectors[0].token: required: set token: ${ENV_VAR} or token_file"},
		{"a plain-text token is refused", "token: ghp_abc\nrepositories: [a/b]\n",
			"sre.yml:1: collectors[0].token: secrets must be an ${ENV_VAR} reference or come from the matching *_file setting; plain text is refused"},
		{"repositories are required", "token: ${GITHUB_TOKEN}\n",
			"sre.yml:7: collectors[0].repositories: required: list at least one owner/name"},
		{"a repository must be owner/name", "token: ${GITHUB_TOKEN}\nrepositories: [acme]\n",
			`sre.yml:7: collectors[0].repositories[0]: "acme" is not owner/name`},
		{"a repository listed twice is refused", "token: ${GITHUB_TOKEN}\nrepositories: [acme/x, Acme/X]\n",
			`sre.yml:7: collectors[0].repositories[1]: "Acme/X" is already listed as repositories[0]`},
		{"page_size is at most 100", "token: ${GITHUB_TOKEN}\nrepositories: [a/b]\npage_size: 500\n",
			"sre.yml:7: collectors[0].page_size: 500 is outside 1..100 (GitHub's per_page limit)"},
		{"severity_map values are severities", "token: ${GITHUB_TOKEN}\nrepositories: [a/b]\nseverity_map: {p1: urgent}\n",
			`sre.yml:7: collectors[0].severity_map.p1: "urgent" must be one of sev1, sev2, sev3, sev4, sev5, unknown`},
		{"a label with a comma cannot be filtered on", "token: ${GITHUB_TOKEN}\nrepositories: [a/b]\nlabels: ['a,b']\n",
			`sre.yml:7: collectors[0].labels[0]: "a,b" contains a comma, which GitHub's labels filter cannot express`},
		{"base_url must be a URL", "token: ${GITHUB_TOKEN}\nrepositories: [a/b]\nbase_url: ghe.example.com\n",
			`sre.yml:7: collectors[0].base_url: "ghe.example.com" is not an http(s) URL such as https://ghe.example.com/api/v3/`},
		{"unknown keys are refused", "token: ${GITHUB_TOKEN}\nrepositories: [a/b]\nlabel: [incident]\n",
			`sre.yml:3: collectors[0]: unknown field "label" (did you mean "labels"?)`},
		{"missing_ack_history is skip or fail", "token: ${GITHUB_TOKEN}\nrepositories: [a/b]\nmissing_ack_history: ignore\n",
			`sre.yml:7: collectors[0].missing_ack_history: "ignore" is not skip or fail`},
		{"full_resync_interval has a floor", "token: ${GITHUB_TOKEN}\nrepositories: [a/b]\nfull_resync_interval: 10s\n",
			"sre.yml:7: collectors[0].full_resync_interval: 10s is shorter than 1m"},
		{"every mistake is reported at once, severity_map keys in order", "repositories: [acme, a/b, A/B]\nseverity_map: {zz: urgent, aa: high}\npage_size: 500\nbase_url: ghe.example.com\n",
			"sre.yml:7: collectors[0].token: required: set token: ${ENV_VAR} or token_file\n" +
				`sre.yml:7: collectors[0].repositories[0]: "acme" is not owner/name` + "\n" +
				`sre.yml:7: collectors[0].repositories[2]: "A/B" is already listed as repositories[1]` + "\n" +
				`sre.yml:7: collectors[0].severity_map.aa: "high" must be one of sev1, sev2, sev3, sev4, sev5, unknown` + "\n" +
				`sre.yml:7: collectors[0].severity_map.zz: "urgent" must be one of sev1, sev2, sev3, sev4, sev5, unknown` + "\n" +
				"sre.yml:7: collectors[0].page_size: 500 is outside 1..100 (GitHub's per_page limit)\n" +
				`sre.yml:7: collectors[0].base_url: "ghe.example.com" is not an http(s) URL such as https://ghe.example.com/api/v3/`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newCollector(testDeps(t, st, tc.settings, time.Now), nil)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestKindIsRegistered(t *testing.T) {
	k, ok := collectors.Lookup("github")
	if !ok || !k.EnabledByDefault || k.Factory == nil {
		t.Fatalf("kind github not registered properly: %+v", k)
	}
}

func TestIssueWithImpossibleTimelineIsSkippedAndNoted(t *testing.T) {
	h := newHarness(t, "", "acme/search")
	h.settings = `
token: ${GITHUB_TOKEN}
repositories: [acme/search]
labels: [incident]
`
	// #22 claims to be closed an hour before it was opened.
	h.fake.edit("acme/search", 22, func(is map[string]any) {
		is["state"] = "closed"
		is["closed_at"] = "2024-06-28T09:00:00Z"
	})
	c := h.collector("")
	h.sync(c)
	want := []string{"issue acme/search#22 skipped: incident acme/search#22: resolved 2024-06-28T09:00:00Z is before opened 2024-06-28T10:00:00Z"}
	if got := c.Notes(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Notes() = %q, want %q", got, want)
	}
	opened := gaugeValues(h.snapshot(c), "sre_incidents_opened_total", "severity", "service", "team")
	if opened["sev2/search/search"] != 1 { // #20 only
		t.Errorf("sre_incidents_opened_total = %v, want #22 left out", opened)
	}

	// Fixed upstream: it counts and the note goes away.
	h.fake.edit("acme/search", 22, func(is map[string]any) {
		is["closed_at"] = "2024-06-28T11:00:00Z"
		is["updated_at"] = "2024-06-30T11:59:30Z"
	})
	h.now = testNow.Add(time.Minute)
	h.sync(c)
	if got := c.Notes(); len(got) != 0 {
		t.Errorf("Notes() = %q after the fix, want none", got)
	}
	opened = gaugeValues(h.snapshot(c), "sre_incidents_opened_total", "severity", "service", "team")
	if opened["sev2/search/search"] != 2 {
		t.Errorf("sre_incidents_opened_total = %v, want #20 and #22", opened)
	}
}

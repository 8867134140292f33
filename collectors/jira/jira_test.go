package jira

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// now is the fixed clock of the tests. The windows end here:
// 7d after 2024-06-23T12:00Z, 30d after 2024-05-31T12:00Z, 90d after
// 2024-04-01T12:00Z.
var now = time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)

const testCatalog = `
catalog:
  teams:
    - name: team-pay
      aliases: ["jira:Payments Team", "jira:payments"]
    - name: team-shop
  services:
    - name: payments
      team: team-pay
      aliases: ["jira:Payments"]
    - name: checkout
      team: team-shop
      aliases: ["Checkout"]
`

const cloudSettings = `
    deployment: cloud
    email: sre@example.com
    jql: project = OPS AND type = Incident
    page_size: 2
    acknowledged_status: In Progress
`

const dcSettings = `
    deployment: datacenter
    jql: project = OPS AND type = Incident
    page_size: 2
    severity_field: customfield_10020
    severity_map:
      Critical impact: sev1
      Degraded: sev3
    service_field: labels
    service_label_prefix: "service:"
    team_field: customfield_10001
    acknowledged_field: customfield_10030
    postmortem:
      link_type: is postmortem of
      action_items:
        issue_link_type: has action item
        done_statuses: [Done, Closed]
`

// harness is one collector against one fake Jira and one store file.
type harness struct {
	t         *testing.T
	fake      *fakeJira
	dbPath    string
	st        *store.Store
	clock     time.Time
	c         *Collector
	sleeps    []time.Duration
	httpClock time.Time
	mu        sync.Mutex
	extra     string
	deploy    string
	// maxRetries, when not 0, replaces the HTTP layer's retry count.
	maxRetries int
}

func newHarness(t *testing.T, deployment, settings string) *harness {
	t.Helper()
	h := bareHarness(t, deployment)
	h.extra = settings
	h.open()
	return h
}

// bareHarness has the fake Jira and the token but no store or collector yet.
func bareHarness(t *testing.T, deployment string) *harness {
	h := &harness{t: t, fake: newFakeJira(t, deployment), dbPath: filepath.Join(t.TempDir(), "s.db"), clock: now, deploy: deployment}
	t.Setenv("JIRA_TEST_TOKEN", h.fake.token)
	return h
}

// open opens the store and builds a fresh collector, as after a restart.
func (h *harness) open() {
	h.t.Helper()
	st, err := store.Open(h.dbPath)
	if err != nil {
		h.t.Fatal(err)
	}
	h.st = st
	h.t.Cleanup(func() { st.Close() })
	c, err := h.build(h.extra)
	if err != nil {
		h.t.Fatal(err)
	}
	h.c = c
}

func (h *harness) build(settings string) (*Collector, error) {
	return buildRaw(h, "collectors:\n  - kind: jira\n    name: ops\n    url: "+h.fake.server.URL+"\n    token: ${JIRA_TEST_TOKEN}"+settings)
}

// buildRaw builds a collector from the collectors part of a config file.
func buildRaw(h *harness, collectorsYAML string) (*Collector, error) {
	yml := testCatalog + collectorsYAML
	cfg, err := config.Parse("exporter.yml", []byte(yml))
	if err != nil {
		return nil, err
	}
	deps := collectors.Deps{
		Config: cfg.Collectors[0], Decoder: cfg.Decoder(), BaseDir: h.t.TempDir(), Catalog: &cfg.Catalog,
		Store: h.st, Now: func() time.Time { return h.clock },
	}
	// The HTTP layer runs on a virtual clock that its sleeps advance, so
	// waits for Retry-After and rate-limit resets take no real time.
	h.httpClock = now
	return newCollector(deps, func(o *upstream.Options) {
		o.Now = func() time.Time {
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.httpClock
		}
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.sleeps = append(h.sleeps, d)
			h.httpClock = h.httpClock.Add(d)
			h.mu.Unlock()
			return ctx.Err()
		}
		if h.maxRetries != 0 {
			o.MaxRetries = h.maxRetries
		}
	})
}

func (h *harness) restart() {
	h.t.Helper()
	if err := h.st.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
}

func (h *harness) sync() error {
	return h.c.Sync(context.Background())
}

func (h *harness) mustSync() {
	h.t.Helper()
	if err := h.sync(); err != nil {
		h.t.Fatal(err)
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

func (h *harness) compare(expected string, names ...string) {
	h.t.Helper()
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(expected), names...); err != nil {
		h.t.Error(err)
	}
}

// mean is sum/count of a histogram family over all label sets, for one
// window ("" for the cumulative histograms).
func mean(t *testing.T, s *snapshot.Snapshot, name, window string) (sum float64, count uint64) {
	t.Helper()
	fams, err := s.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if window != "" && label(m, "window") != window {
				continue
			}
			sum += m.GetHistogram().GetSampleSum()
			count += m.GetHistogram().GetSampleCount()
		}
	}
	return sum, count
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func checkMean(t *testing.T, s *snapshot.Snapshot, name, window string, wantSum float64, wantCount uint64) {
	t.Helper()
	sum, count := mean(t, s, name, window)
	if math.Abs(sum-wantSum) > 1e-9 || count != wantCount {
		t.Errorf("%s{window=%q}: sum %v count %d, want sum %v count %d", name, window, sum, count, wantSum, wantCount)
	}
}

// The cloud fixture, by hand (opened -> acknowledged -> resolved):
//
//	OPS-1 sev1 payments/team-pay   06-28 10:00 -> 10:05 (5m)  -> 12:00 (2h)
//	OPS-2 sev2 payments/team-pay   06-10 08:00 -> 08:30 (30m) -> 12:00 (4h); reopened once,
//	      the changelog in the search answer is cut to the newest 3 entries, which would
//	      give 11:00 (3h) as acknowledged without the changelog resource
//	OPS-3 sev3 checkout/team-shop  04-15 09:00 -> 09:10 (10m) -> 09:30 (30m)
//	OPS-4 sev2 checkout/team-shop  06-29 22:00, open, never acknowledged
//	OPS-5 sev1 checkout/team-shop  02-01 00:00 -> 00:15 (15m) -> 01:00 (1h)   (before every window)
//	OPS-6 sev4 unknown/unknown     06-20 10:00 -> 10:20 (20m), resolved 14:00 then reopened: open
const cloudCounters = `
# HELP sre_incidents_opened_total Incidents opened, counted once when first seen, under the labels they had then.
# TYPE sre_incidents_opened_total counter
sre_incidents_opened_total{service="checkout",severity="sev1",source="jira",team="team-shop"} 1
sre_incidents_opened_total{service="checkout",severity="sev2",source="jira",team="team-shop"} 1
sre_incidents_opened_total{service="checkout",severity="sev3",source="jira",team="team-shop"} 1
sre_incidents_opened_total{service="payments",severity="sev1",source="jira",team="team-pay"} 1
sre_incidents_opened_total{service="payments",severity="sev2",source="jira",team="team-pay"} 1
sre_incidents_opened_total{service="unknown",severity="sev4",source="jira",team="unknown"} 1
# HELP sre_incidents_resolved_total Incidents resolved, counted once when first seen resolved.
# TYPE sre_incidents_resolved_total counter
sre_incidents_resolved_total{service="checkout",severity="sev1",source="jira",team="team-shop"} 1
sre_incidents_resolved_total{service="checkout",severity="sev2",source="jira",team="team-shop"} 0
sre_incidents_resolved_total{service="checkout",severity="sev3",source="jira",team="team-shop"} 1
sre_incidents_resolved_total{service="payments",severity="sev1",source="jira",team="team-pay"} 1
sre_incidents_resolved_total{service="payments",severity="sev2",source="jira",team="team-pay"} 1
sre_incidents_resolved_total{service="unknown",severity="sev4",source="jira",team="unknown"} 0
# HELP sre_incidents_open Incidents open now, by severity, service and team.
# TYPE sre_incidents_open gauge
sre_incidents_open{service="checkout",severity="sev1",source="jira",team="team-shop"} 0
sre_incidents_open{service="checkout",severity="sev2",source="jira",team="team-shop"} 1
sre_incidents_open{service="checkout",severity="sev3",source="jira",team="team-shop"} 0
sre_incidents_open{service="payments",severity="sev1",source="jira",team="team-pay"} 0
sre_incidents_open{service="payments",severity="sev2",source="jira",team="team-pay"} 0
sre_incidents_open{service="unknown",severity="sev4",source="jira",team="unknown"} 1
`

// Opened in the window: OPS-1 06-28 (7d), OPS-4 06-29 (7d), OPS-2 06-10
// and OPS-6 06-20 (30d), OPS-3 04-15 (90d), OPS-5 02-01 (none).
// Resolved in the window: OPS-1 06-28 (7d), OPS-2 06-10 (30d), OPS-3 04-15 (90d).
const cloudWindows = `
# HELP sre_incidents_opened_in_window Incidents opened in the window, by current severity, service and team (exact, from the store).
# TYPE sre_incidents_opened_in_window gauge
sre_incidents_opened_in_window{service="checkout",severity="sev1",source="jira",team="team-shop",window="7d"} 0
sre_incidents_opened_in_window{service="checkout",severity="sev1",source="jira",team="team-shop",window="30d"} 0
sre_incidents_opened_in_window{service="checkout",severity="sev1",source="jira",team="team-shop",window="90d"} 0
sre_incidents_opened_in_window{service="checkout",severity="sev2",source="jira",team="team-shop",window="7d"} 1
sre_incidents_opened_in_window{service="checkout",severity="sev2",source="jira",team="team-shop",window="30d"} 1
sre_incidents_opened_in_window{service="checkout",severity="sev2",source="jira",team="team-shop",window="90d"} 1
sre_incidents_opened_in_window{service="checkout",severity="sev3",source="jira",team="team-shop",window="7d"} 0
sre_incidents_opened_in_window{service="checkout",severity="sev3",source="jira",team="team-shop",window="30d"} 0
sre_incidents_opened_in_window{service="checkout",severity="sev3",source="jira",team="team-shop",window="90d"} 1
sre_incidents_opened_in_window{service="payments",severity="sev1",source="jira",team="team-pay",window="7d"} 1
sre_incidents_opened_in_window{service="payments",severity="sev1",source="jira",team="team-pay",window="30d"} 1
sre_incidents_opened_in_window{service="payments",severity="sev1",source="jira",team="team-pay",window="90d"} 1
sre_incidents_opened_in_window{service="payments",severity="sev2",source="jira",team="team-pay",window="7d"} 0
sre_incidents_opened_in_window{service="payments",severity="sev2",source="jira",team="team-pay",window="30d"} 1
sre_incidents_opened_in_window{service="payments",severity="sev2",source="jira",team="team-pay",window="90d"} 1
sre_incidents_opened_in_window{service="unknown",severity="sev4",source="jira",team="unknown",window="7d"} 0
sre_incidents_opened_in_window{service="unknown",severity="sev4",source="jira",team="unknown",window="30d"} 1
sre_incidents_opened_in_window{service="unknown",severity="sev4",source="jira",team="unknown",window="90d"} 1
# HELP sre_incidents_resolved_in_window Incidents resolved in the window, by current severity, service and team (exact, from the store).
# TYPE sre_incidents_resolved_in_window gauge
sre_incidents_resolved_in_window{service="checkout",severity="sev1",source="jira",team="team-shop",window="7d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="sev1",source="jira",team="team-shop",window="30d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="sev1",source="jira",team="team-shop",window="90d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="sev2",source="jira",team="team-shop",window="7d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="sev2",source="jira",team="team-shop",window="30d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="sev2",source="jira",team="team-shop",window="90d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="sev3",source="jira",team="team-shop",window="7d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="sev3",source="jira",team="team-shop",window="30d"} 0
sre_incidents_resolved_in_window{service="checkout",severity="sev3",source="jira",team="team-shop",window="90d"} 1
sre_incidents_resolved_in_window{service="payments",severity="sev1",source="jira",team="team-pay",window="7d"} 1
sre_incidents_resolved_in_window{service="payments",severity="sev1",source="jira",team="team-pay",window="30d"} 1
sre_incidents_resolved_in_window{service="payments",severity="sev1",source="jira",team="team-pay",window="90d"} 1
sre_incidents_resolved_in_window{service="payments",severity="sev2",source="jira",team="team-pay",window="7d"} 0
sre_incidents_resolved_in_window{service="payments",severity="sev2",source="jira",team="team-pay",window="30d"} 1
sre_incidents_resolved_in_window{service="payments",severity="sev2",source="jira",team="team-pay",window="90d"} 1
sre_incidents_resolved_in_window{service="unknown",severity="sev4",source="jira",team="unknown",window="7d"} 0
sre_incidents_resolved_in_window{service="unknown",severity="sev4",source="jira",team="unknown",window="30d"} 0
sre_incidents_resolved_in_window{service="unknown",severity="sev4",source="jira",team="unknown",window="90d"} 0
`

func newCloud(t *testing.T) *harness {
	h := newHarness(t, Cloud, cloudSettings)
	h.fake.load("testdata/cloud_issues.json", true)
	h.fake.changelogLimit = 3
	h.fake.changelogPage = 2
	return h
}

func TestCloudSyncComputesIncidentMetrics(t *testing.T) {
	h := newCloud(t)
	h.mustSync()

	h.compare(cloudCounters, "sre_incidents_opened_total", "sre_incidents_resolved_total", "sre_incidents_open")
	h.compare(cloudWindows, "sre_incidents_opened_in_window", "sre_incidents_resolved_in_window")
	s := h.snapshot()
	// MTTR 7d = 2h (OPS-1); 30d = (2h + 4h) / 2 = 3h; 90d = (2h + 4h + 30m) / 3 = 2h10m.
	checkMean(t, s, "sre_incident_time_to_resolve_in_window_seconds", "7d", 7200, 1)
	checkMean(t, s, "sre_incident_time_to_resolve_in_window_seconds", "30d", 7200+14400, 2)
	checkMean(t, s, "sre_incident_time_to_resolve_in_window_seconds", "90d", 7200+14400+1800, 3)
	// MTTA by acknowledged time: 7d = 5m (OPS-1); 30d = (5m + 30m + 20m) / 3
	// (OPS-1, OPS-2, OPS-6); 90d adds OPS-3's 10m: (5m + 30m + 20m + 10m) / 4.
	checkMean(t, s, "sre_incident_time_to_acknowledge_in_window_seconds", "7d", 300, 1)
	checkMean(t, s, "sre_incident_time_to_acknowledge_in_window_seconds", "30d", 300+1800+1200, 3)
	checkMean(t, s, "sre_incident_time_to_acknowledge_in_window_seconds", "90d", 300+1800+1200+600, 4)
	// All-time: resolve 2h + 4h + 30m + 1h; acknowledge 5m + 30m + 10m + 15m + 20m.
	checkMean(t, s, "sre_incident_time_to_resolve_seconds", "", 7200+14400+1800+3600, 4)
	checkMean(t, s, "sre_incident_time_to_acknowledge_seconds", "", 300+1800+600+900+1200, 5)

	reqs := h.fake.takeRequests()
	// 6 issues at 2 per page = 3 search pages; OPS-2's 5 histories at 2 per
	// page = 3 changelog pages.
	var searches, changelogs int
	for _, r := range reqs {
		switch r.Path {
		case "/rest/api/3/search/jql":
			searches++
			if got, want := r.Query["fields"], "created,updated,resolutiondate,priority,components"; got != want {
				t.Errorf("fields = %q, want %q", got, want)
			}
			if r.Query["expand"] != "changelog" || r.Query["maxResults"] != "2" {
				t.Errorf("expand = %q, maxResults = %q", r.Query["expand"], r.Query["maxResults"])
			}
			if r.Query["jql"] != "(project = OPS AND type = Incident) ORDER BY updated ASC" {
				t.Errorf("first sync jql = %q", r.Query["jql"])
			}
		case "/rest/api/3/issue/OPS-2/changelog":
			changelogs++
		default:
			t.Errorf("unexpected request to %s (the legacy /rest/api/2/search answers 410 on Cloud)", r.Path)
		}
	}
	if searches != 3 || changelogs != 3 {
		t.Errorf("%d search and %d changelog requests, want 3 and 3", searches, changelogs)
	}
	if pages := []string{reqs[0].Query["nextPageToken"], reqs[1].Query["nextPageToken"]}; pages[0] != "" || pages[1] != "tok-2" {
		t.Errorf("page tokens %q", pages)
	}
}

func TestSecondRefreshWithNothingChangedMakesOneSearchRequest(t *testing.T) {
	for _, tc := range []struct {
		name, timezone, since string
	}{
		// The cursor is OPS-4's updated, 2024-06-29 22:00 UTC, less the 5m overlap.
		{"in UTC by default", "", "2024/06/29 21:55"},
		{"in the Jira user's timezone when set", "\n    timezone: Europe/Berlin", "2024/06/29 23:55"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Cloud, cloudSettings+tc.timezone)
			h.fake.load("testdata/cloud_issues.json", true)
			if tc.timezone != "" {
				h.fake.tz, _ = time.LoadLocation("Europe/Berlin")
			}
			h.mustSync()
			before := h.snapshot()
			h.fake.takeRequests()

			h.clock = h.clock.Add(5 * time.Minute)
			h.mustSync()
			reqs := h.fake.takeRequests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1: %+v", len(reqs), reqs)
			}
			want := `(project = OPS AND type = Incident) AND updated >= "` + tc.since + `" ORDER BY updated ASC`
			if got := reqs[0].Query["jql"]; got != want {
				t.Errorf("jql = %q\nwant  %q", got, want)
			}
			h.clock = now
			assertSameSnapshot(t, before, h.snapshot())
		})
	}
}

func assertSameSnapshot(t *testing.T, want, got *snapshot.Snapshot) {
	t.Helper()
	a, err := want.Render()
	if err != nil {
		t.Fatal(err)
	}
	b, err := got.Render()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("snapshot changed:\nbefore %v\nafter  %v", a, b)
	}
}

func TestRestartResumesFromThePersistedCursor(t *testing.T) {
	h := newCloud(t)
	// The third page fails: the first two pages (OPS-5, OPS-3, OPS-2, OPS-6)
	// are stored with their cursor, OPS-6's updated 2024-06-21 09:00.
	h.mustSyncPages(2)
	h.restart()
	h.fake.takeRequests()
	h.mustSync()
	reqs := h.fake.searchRequests()
	if got, want := reqs[0].Query["jql"], `(project = OPS AND type = Incident) AND updated >= "2024/06/21 08:55" ORDER BY updated ASC`; got != want {
		t.Errorf("after restart jql = %q, want %q", got, want)
	}
	h.compare(cloudCounters, "sre_incidents_opened_total", "sre_incidents_resolved_total", "sre_incidents_open")
}

// mustSyncPages lets a sync store n pages, then fails it with a 500.
func (h *harness) mustSyncPages(n int) {
	h.t.Helper()
	h.fake.mu.Lock()
	h.fake.pagesLeft = &n
	h.fake.mu.Unlock()
	defer func() {
		h.fake.mu.Lock()
		h.fake.pagesLeft = nil
		h.fake.mu.Unlock()
	}()
	err := h.sync()
	if collectors.Reason(err) != collectors.ReasonServer {
		h.t.Fatalf("sync failing on page %d: %v (reason %s)", n+1, err, collectors.Reason(err))
	}
}

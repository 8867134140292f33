package confluence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// now is the fixed clock of the tests. The whole-day windows of the
// analytics start at 2024-06-23 (7d), 2024-05-31 (30d) and 2024-04-01
// (90d), 00:00 UTC; the exact windows of created/updated start 12 hours
// later.
var now = time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)

const testCatalog = `
catalog:
  teams:
    - name: sre
      aliases: ["confluence:SRE"]
    - name: payments
`

const cloudSettings = `
    deployment: cloud
    email: sre@example.com
    spaces: [SRE, OPS]
    labels: [playbook, runbook]
    key_pages: ["SRE Playbook", "How to engage SRE"]
    page_size: 2
`

// harness is one collector against one fake Confluence and one store file.
type harness struct {
	t         *testing.T
	fake      *fakeConfluence
	dbPath    string
	dir       string
	st        *store.Store
	clock     time.Time
	c         *Collector
	mu        sync.Mutex
	sleeps    []time.Duration
	httpClock time.Time
	yaml      string
	// templates are the format templates the collector checks (nil: none).
	templates *compliance.Set
}

func newHarness(t *testing.T, deployment, settings string) *harness {
	t.Helper()
	h := &harness{t: t, fake: newFakeConfluence(t, deployment), dbPath: filepath.Join(t.TempDir(), "s.db"), dir: t.TempDir(), clock: now}
	t.Setenv("CONFLUENCE_TEST_TOKEN", h.fake.token)
	h.fake.load("testdata/content.json", "testdata/views.json")
	url := h.fake.server.URL
	if deployment == Cloud {
		url += "/wiki"
	}
	h.yaml = "collectors:\n  - kind: confluence\n    name: wiki\n    url: " + url + "\n    token: ${CONFLUENCE_TEST_TOKEN}" + settings
	h.open()
	return h
}

// newCSVHarness has no fake server: the collector reads CSV files only.
func newCSVHarness(t *testing.T, settings string) *harness {
	t.Helper()
	h := &harness{t: t, dbPath: filepath.Join(t.TempDir(), "s.db"), dir: t.TempDir(), clock: now}
	h.yaml = "collectors:\n  - kind: confluence\n    name: wiki" + settings
	h.open()
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
	c, err := h.build(h.yaml)
	if err != nil {
		h.t.Fatal(err)
	}
	h.c = c
}

func (h *harness) build(collectorsYAML string) (*Collector, error) {
	cfg, err := config.Parse(filepath.Join(h.dir, "exporter.yml"), []byte(testCatalog+collectorsYAML))
	if err != nil {
		return nil, err
	}
	if err := cfg.Catalog.Compile(); err != nil {
		return nil, err
	}
	deps := collectors.Deps{
		Config: cfg.Collectors[0], Decoder: cfg.Decoder(), BaseDir: "testdata", Catalog: &cfg.Catalog,
		Store: h.st, Now: func() time.Time { return h.clock }, Logger: slog.New(slog.DiscardHandler),
		Templates: h.templates,
	}
	// The HTTP layer runs on a virtual clock that its sleeps advance, so
	// waits for Retry-After take no real time.
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
	})
}

func (h *harness) restart() {
	h.t.Helper()
	if err := h.st.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
}

func (h *harness) sync() error { return h.c.Sync(context.Background()) }

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

// The fixture, by hand (now 2024-06-30 12:00 UTC; labels [playbook, runbook]
// so a page's label is the first of those it carries, else none; stale
// after 180d, that is last edited before 2024-01-02 12:00):
//
//	id   type     space title                      labels              created          updated (version)
//	1001 page     SRE   SRE Playbook               playbook,sre        2023-01-10       2024-06-25 10:00 (12)
//	1002 page     SRE   How to engage SRE          engagement          2024-06-01 08:00 same (1)
//	1003 page     SRE   Database failover runbook  runbook,playbook    2023-03-01       2023-06-01 (3)  stale
//	1004 blogpost SRE   SRE newsletter June        -                   2024-06-28 15:00 same (1)
//	2001 page     OPS   On-call handbook           runbook             2024-04-10       2024-05-31 00:00 (2)
//	2002 page     OPS   Old incident review        postmortem          2022-05-01       2022-08-01 (4)  stale
//
// Team: SRE is team sre through the catalog; OPS is unknown to it.
//
// Views (day, viewer) and the counts since each window's first day
// (views / distinct viewers for 7d, 30d, 90d):
//
//	1001: 06-29 u1, 06-29 u2, 06-23 u1, 06-22 u3, 05-31 u4, 05-30 u1, 04-01 u5, 03-31 u6
//	      -> 3/2, 5/4, 7/5
//	1002: 06-30 u1, 06-24 u2, 06-24 u2, 06-02 u3   -> 3/2, 4/3, 4/3
//	1003: none                                      -> 0/0 each
//	1004: 06-29 u1, 06-30 u2, 06-30 u1              -> 3/2 each
//	2001: 05-01 u7, 04-15 u8                        -> 0/0, 0/0, 2/2
//	2002: 2024-01-01 u9                             -> 0/0 each
//
// Requests per page (views + viewers): 1001 asks all 3 windows (3+3);
// 1002 was created after the 30d start, so 30d = 90d (2+2); 1003 has 0
// since the 90d start, so 0 in the smaller windows (1+1); 1004 was created
// after the 7d start (1+1); 2001 has 0 in 30d, so 0 in 7d (2+2); 2002 has
// 0 in 90d (1+1): 20 analytics requests. Search: 6 pages at 2 per page = 3.
const pageFigures = `
# HELP sre_confluence_pages Pages (or blog posts) in the space now, by configured label and content type.
# TYPE sre_confluence_pages gauge
sre_confluence_pages{label="none",space="OPS",team="unknown",type="page"} 1
sre_confluence_pages{label="none",space="SRE",team="sre",type="blogpost"} 1
sre_confluence_pages{label="none",space="SRE",team="sre",type="page"} 1
sre_confluence_pages{label="playbook",space="SRE",team="sre",type="page"} 2
sre_confluence_pages{label="runbook",space="OPS",team="unknown",type="page"} 1
# HELP sre_confluence_pages_created_in_window Pages that exist now and were created in the window.
# TYPE sre_confluence_pages_created_in_window gauge
sre_confluence_pages_created_in_window{label="none",space="OPS",team="unknown",type="page",window="7d"} 0
sre_confluence_pages_created_in_window{label="none",space="OPS",team="unknown",type="page",window="30d"} 0
sre_confluence_pages_created_in_window{label="none",space="OPS",team="unknown",type="page",window="90d"} 0
sre_confluence_pages_created_in_window{label="none",space="SRE",team="sre",type="blogpost",window="7d"} 1
sre_confluence_pages_created_in_window{label="none",space="SRE",team="sre",type="blogpost",window="30d"} 1
sre_confluence_pages_created_in_window{label="none",space="SRE",team="sre",type="blogpost",window="90d"} 1
sre_confluence_pages_created_in_window{label="none",space="SRE",team="sre",type="page",window="7d"} 0
sre_confluence_pages_created_in_window{label="none",space="SRE",team="sre",type="page",window="30d"} 1
sre_confluence_pages_created_in_window{label="none",space="SRE",team="sre",type="page",window="90d"} 1
sre_confluence_pages_created_in_window{label="playbook",space="SRE",team="sre",type="page",window="7d"} 0
sre_confluence_pages_created_in_window{label="playbook",space="SRE",team="sre",type="page",window="30d"} 0
sre_confluence_pages_created_in_window{label="playbook",space="SRE",team="sre",type="page",window="90d"} 0
sre_confluence_pages_created_in_window{label="runbook",space="OPS",team="unknown",type="page",window="7d"} 0
sre_confluence_pages_created_in_window{label="runbook",space="OPS",team="unknown",type="page",window="30d"} 0
sre_confluence_pages_created_in_window{label="runbook",space="OPS",team="unknown",type="page",window="90d"} 1
# HELP sre_confluence_pages_updated_in_window Pages whose latest version is an edit (version 2 or later) made in the window.
# TYPE sre_confluence_pages_updated_in_window gauge
sre_confluence_pages_updated_in_window{label="none",space="OPS",team="unknown",type="page",window="7d"} 0
sre_confluence_pages_updated_in_window{label="none",space="OPS",team="unknown",type="page",window="30d"} 0
sre_confluence_pages_updated_in_window{label="none",space="OPS",team="unknown",type="page",window="90d"} 0
sre_confluence_pages_updated_in_window{label="none",space="SRE",team="sre",type="blogpost",window="7d"} 0
sre_confluence_pages_updated_in_window{label="none",space="SRE",team="sre",type="blogpost",window="30d"} 0
sre_confluence_pages_updated_in_window{label="none",space="SRE",team="sre",type="blogpost",window="90d"} 0
sre_confluence_pages_updated_in_window{label="none",space="SRE",team="sre",type="page",window="7d"} 0
sre_confluence_pages_updated_in_window{label="none",space="SRE",team="sre",type="page",window="30d"} 0
sre_confluence_pages_updated_in_window{label="none",space="SRE",team="sre",type="page",window="90d"} 0
sre_confluence_pages_updated_in_window{label="playbook",space="SRE",team="sre",type="page",window="7d"} 1
sre_confluence_pages_updated_in_window{label="playbook",space="SRE",team="sre",type="page",window="30d"} 1
sre_confluence_pages_updated_in_window{label="playbook",space="SRE",team="sre",type="page",window="90d"} 1
sre_confluence_pages_updated_in_window{label="runbook",space="OPS",team="unknown",type="page",window="7d"} 0
sre_confluence_pages_updated_in_window{label="runbook",space="OPS",team="unknown",type="page",window="30d"} 0
sre_confluence_pages_updated_in_window{label="runbook",space="OPS",team="unknown",type="page",window="90d"} 1
# HELP sre_confluence_pages_stale Pages whose latest version is older than the configured stale_after age.
# TYPE sre_confluence_pages_stale gauge
sre_confluence_pages_stale{label="none",space="OPS",team="unknown",type="page"} 1
sre_confluence_pages_stale{label="none",space="SRE",team="sre",type="blogpost"} 0
sre_confluence_pages_stale{label="none",space="SRE",team="sre",type="page"} 0
sre_confluence_pages_stale{label="playbook",space="SRE",team="sre",type="page"} 1
sre_confluence_pages_stale{label="runbook",space="OPS",team="unknown",type="page"} 0
# HELP sre_confluence_key_page_last_updated_timestamp_seconds When a configured key page was last edited (its latest version).
# TYPE sre_confluence_key_page_last_updated_timestamp_seconds gauge
sre_confluence_key_page_last_updated_timestamp_seconds{page="How to engage SRE",space="SRE"} 1.7172288e+09
sre_confluence_key_page_last_updated_timestamp_seconds{page="SRE Playbook",space="SRE"} 1.7193096e+09
`

const viewFigures = `
# HELP sre_confluence_page_views_in_window Views of the pages since 00:00 UTC of the day the window starts, as of the last analytics refresh (or from the page-views CSV).
# TYPE sre_confluence_page_views_in_window gauge
sre_confluence_page_views_in_window{label="none",space="OPS",team="unknown",type="page",window="7d"} 0
sre_confluence_page_views_in_window{label="none",space="OPS",team="unknown",type="page",window="30d"} 0
sre_confluence_page_views_in_window{label="none",space="OPS",team="unknown",type="page",window="90d"} 0
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="blogpost",window="7d"} 3
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="blogpost",window="30d"} 3
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="blogpost",window="90d"} 3
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="page",window="7d"} 3
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="page",window="30d"} 4
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="page",window="90d"} 4
sre_confluence_page_views_in_window{label="playbook",space="SRE",team="sre",type="page",window="7d"} 3
sre_confluence_page_views_in_window{label="playbook",space="SRE",team="sre",type="page",window="30d"} 5
sre_confluence_page_views_in_window{label="playbook",space="SRE",team="sre",type="page",window="90d"} 7
sre_confluence_page_views_in_window{label="runbook",space="OPS",team="unknown",type="page",window="7d"} 0
sre_confluence_page_views_in_window{label="runbook",space="OPS",team="unknown",type="page",window="30d"} 0
sre_confluence_page_views_in_window{label="runbook",space="OPS",team="unknown",type="page",window="90d"} 2
# HELP sre_confluence_page_viewers_in_window Distinct viewers per page in the window, summed over the pages (a person reading two pages counts twice).
# TYPE sre_confluence_page_viewers_in_window gauge
sre_confluence_page_viewers_in_window{label="none",space="OPS",team="unknown",type="page",window="7d"} 0
sre_confluence_page_viewers_in_window{label="none",space="OPS",team="unknown",type="page",window="30d"} 0
sre_confluence_page_viewers_in_window{label="none",space="OPS",team="unknown",type="page",window="90d"} 0
sre_confluence_page_viewers_in_window{label="none",space="SRE",team="sre",type="blogpost",window="7d"} 2
sre_confluence_page_viewers_in_window{label="none",space="SRE",team="sre",type="blogpost",window="30d"} 2
sre_confluence_page_viewers_in_window{label="none",space="SRE",team="sre",type="blogpost",window="90d"} 2
sre_confluence_page_viewers_in_window{label="none",space="SRE",team="sre",type="page",window="7d"} 2
sre_confluence_page_viewers_in_window{label="none",space="SRE",team="sre",type="page",window="30d"} 3
sre_confluence_page_viewers_in_window{label="none",space="SRE",team="sre",type="page",window="90d"} 3
sre_confluence_page_viewers_in_window{label="playbook",space="SRE",team="sre",type="page",window="7d"} 2
sre_confluence_page_viewers_in_window{label="playbook",space="SRE",team="sre",type="page",window="30d"} 4
sre_confluence_page_viewers_in_window{label="playbook",space="SRE",team="sre",type="page",window="90d"} 5
sre_confluence_page_viewers_in_window{label="runbook",space="OPS",team="unknown",type="page",window="7d"} 0
sre_confluence_page_viewers_in_window{label="runbook",space="OPS",team="unknown",type="page",window="30d"} 0
sre_confluence_page_viewers_in_window{label="runbook",space="OPS",team="unknown",type="page",window="90d"} 2
# HELP sre_confluence_key_page_views_in_window Views of a configured key page in the window (same days as sre_confluence_page_views_in_window).
# TYPE sre_confluence_key_page_views_in_window gauge
sre_confluence_key_page_views_in_window{page="How to engage SRE",space="SRE",window="7d"} 3
sre_confluence_key_page_views_in_window{page="How to engage SRE",space="SRE",window="30d"} 4
sre_confluence_key_page_views_in_window{page="How to engage SRE",space="SRE",window="90d"} 4
sre_confluence_key_page_views_in_window{page="SRE Playbook",space="SRE",window="7d"} 3
sre_confluence_key_page_views_in_window{page="SRE Playbook",space="SRE",window="30d"} 5
sre_confluence_key_page_views_in_window{page="SRE Playbook",space="SRE",window="90d"} 7
# HELP sre_confluence_key_page_viewers_in_window Distinct viewers of a configured key page in the window.
# TYPE sre_confluence_key_page_viewers_in_window gauge
sre_confluence_key_page_viewers_in_window{page="How to engage SRE",space="SRE",window="7d"} 2
sre_confluence_key_page_viewers_in_window{page="How to engage SRE",space="SRE",window="30d"} 3
sre_confluence_key_page_viewers_in_window{page="How to engage SRE",space="SRE",window="90d"} 3
sre_confluence_key_page_viewers_in_window{page="SRE Playbook",space="SRE",window="7d"} 2
sre_confluence_key_page_viewers_in_window{page="SRE Playbook",space="SRE",window="30d"} 4
sre_confluence_key_page_viewers_in_window{page="SRE Playbook",space="SRE",window="90d"} 5
`

var pageFamilies = []string{
	"sre_confluence_pages", "sre_confluence_pages_created_in_window", "sre_confluence_pages_updated_in_window",
	"sre_confluence_pages_stale", "sre_confluence_key_page_last_updated_timestamp_seconds",
}

var viewFamilies = []string{
	"sre_confluence_page_views_in_window", "sre_confluence_page_viewers_in_window",
	"sre_confluence_key_page_views_in_window", "sre_confluence_key_page_viewers_in_window",
}

const lastRefreshAtNow = `
# HELP sre_confluence_analytics_last_refresh_timestamp_seconds When the view figures were last refreshed completely: the analytics round's start, or the page-views CSV's last change.
# TYPE sre_confluence_analytics_last_refresh_timestamp_seconds gauge
sre_confluence_analytics_last_refresh_timestamp_seconds 1.7197488e+09
`

func TestACloudSyncGivesTheHandComputedFigures(t *testing.T) {
	h := newHarness(t, Cloud, cloudSettings)
	h.mustSync()
	h.compare(pageFigures, pageFamilies...)
	h.compare(viewFigures, viewFamilies...)
	h.compare(lastRefreshAtNow, "sre_confluence_analytics_last_refresh_timestamp_seconds")
	got := count(h.fake.takeRequests())
	if got["search"] != 3 || got["views"] != 10 || got["viewers"] != 10 {
		t.Errorf("requests %v, want 3 searches and 10 views and 10 viewers calls", got)
	}
}

func TestTheSearchAsksForTheConfiguredSelectionAndFollowsLinksNext(t *testing.T) {
	h := newHarness(t, Cloud, cloudSettings+"    cql: ancestor = 12345\n    only_labelled: true\n")
	h.mustSync()
	var searches []fakeRequest
	for _, r := range h.fake.takeRequests() {
		if strings.HasSuffix(r.Path, "/content/search") {
			searches = append(searches, r)
		}
	}
	if len(searches) != 3 {
		t.Fatalf("%d searches, want 3", len(searches))
	}
	want := `space in ("SRE","OPS") AND type in (page,blogpost) AND label in ("playbook","runbook") AND (ancestor = 12345) ORDER BY created ASC`
	for i, r := range searches {
		if r.Path != "/wiki/rest/api/content/search" {
			t.Errorf("search %d: path %s", i, r.Path)
		}
		if r.Query.Get("cql") != want {
			t.Errorf("search %d: cql %q, want %q", i, r.Query.Get("cql"), want)
		}
	}
	if searches[0].Query.Get("cursor") != "" || searches[1].Query.Get("cursor") != "2" || searches[2].Query.Get("cursor") != "4" {
		t.Errorf("cursors %q %q %q, want the ones of _links.next", searches[0].Query.Get("cursor"), searches[1].Query.Get("cursor"), searches[2].Query.Get("cursor"))
	}
}

func TestAnalyticsAreRefreshedOnlyOnTheirOwnIntervalAndOnlyForExistingPages(t *testing.T) {
	h := newHarness(t, Cloud, cloudSettings+"    analytics_interval: 6h\n")
	h.mustSync()
	h.fake.takeRequests()

	// An hour later: the pages are listed again, the analytics are not due.
	h.clock = now.Add(time.Hour)
	h.mustSync()
	if got := count(h.fake.takeRequests()); got["search"] != 3 || got["views"]+got["viewers"] != 0 {
		t.Errorf("one hour later: requests %v, want 3 searches and no analytics", got)
	}
	// Nor after a restart: the round's time is in the store.
	h.restart()
	h.mustSync()
	if got := count(h.fake.takeRequests()); got["views"]+got["viewers"] != 0 {
		t.Errorf("after a restart: requests %v, want no analytics", got)
	}

	// Page 2002 is deleted; six hours after the first round the analytics
	// are due, for the five pages that exist (20 - 2 requests).
	h.fake.remove("2002")
	h.clock = now.Add(6 * time.Hour)
	h.mustSync()
	reqs := h.fake.takeRequests()
	if got := count(reqs); got["views"]+got["viewers"] != 18 {
		t.Errorf("second round: requests %v, want 18 analytics calls", got)
	}
	for _, r := range reqs {
		if strings.Contains(r.Path, "/content/2002/") {
			t.Errorf("analytics asked for the deleted page: %s", r.Path)
		}
	}
	h.compare(`
# HELP sre_confluence_pages Pages (or blog posts) in the space now, by configured label and content type.
# TYPE sre_confluence_pages gauge
sre_confluence_pages{label="none",space="SRE",team="sre",type="blogpost"} 1
sre_confluence_pages{label="none",space="SRE",team="sre",type="page"} 1
sre_confluence_pages{label="playbook",space="SRE",team="sre",type="page"} 2
sre_confluence_pages{label="runbook",space="OPS",team="unknown",type="page"} 1
# HELP sre_confluence_analytics_last_refresh_timestamp_seconds When the view figures were last refreshed completely: the analytics round's start, or the page-views CSV's last change.
# TYPE sre_confluence_analytics_last_refresh_timestamp_seconds gauge
sre_confluence_analytics_last_refresh_timestamp_seconds 1.7197704e+09
`, "sre_confluence_pages", "sre_confluence_analytics_last_refresh_timestamp_seconds")
}

func TestRateLimitsAndServerErrorsAreRetriedAfterTheirWait(t *testing.T) {
	h := newHarness(t, Cloud, cloudSettings)
	h.fake.script = []fakeAnswer{
		// Atlassian's own rate-limit headers: the reset is an ISO time,
		// which the HTTP layer ignores, and Retry-After decides the wait.
		{path: "/content/search", status: 429, header: map[string]string{"Retry-After": "7", "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2024-06-30T12:01:00Z", "X-RateLimit-NearLimit": "true"}, body: `{"statusCode":429,"message":"Rate limit exceeded"}`},
		{path: "/views", status: 503, body: `{"statusCode":503,"message":"Service Unavailable"}`},
		{path: "/viewers", status: 429, header: map[string]string{"Retry-After": "3"}, body: `{"statusCode":429,"message":"Rate limit exceeded"}`},
	}
	h.mustSync()
	h.compare(viewFigures, viewFamilies...)
	waited := map[time.Duration]bool{}
	for _, d := range h.sleeps {
		waited[d] = true
	}
	if !waited[7*time.Second] || !waited[3*time.Second] {
		t.Errorf("sleeps %v, want the Retry-After waits of 7s and 3s", h.sleeps)
	}
	if got := count(h.fake.takeRequests()); got["search"] != 4 || got["views"] != 11 || got["viewers"] != 11 {
		t.Errorf("requests %v, want one retry of each kind", got)
	}
}

func TestAMalformedAnswerIsRetriedAndOnlyAPersistentOneFailsTheSync(t *testing.T) {
	tests := []struct {
		name, path, body string
		// retried: the shared HTTP layer asks again for a body that is not
		// JSON; valid JSON of the wrong shape is the collector's to refuse.
		retried bool
	}{
		{"a search page cut short", "/content/search", `{"results": [{"id": "1001"`, true},
		{"an analytics answer that is not JSON", "/views", `<html>Gateway</html>`, true},
		{"an analytics answer without a count", "/viewers", `{"id": 1001}`, false},
		// Valid JSON from something that is not Confluence (another API
		// behind a misrouted proxy) must not read as an empty wiki.
		{"a search answer without results", "/content/search", `{"ok": false, "error": "invalid_auth"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.retried {
				h := newHarness(t, Cloud, cloudSettings)
				h.fake.script = []fakeAnswer{{path: tt.path, status: 200, body: tt.body}}
				h.mustSync()
				h.compare(viewFigures, viewFamilies...)
			}
			h := newHarness(t, Cloud, cloudSettings)
			for range 200 { // every attempt at every page
				h.fake.script = append(h.fake.script, fakeAnswer{path: tt.path, status: 200, body: tt.body})
			}
			err := h.sync()
			if err == nil {
				t.Fatal("sync succeeded")
			}
			if r := collectors.Reason(err); r != collectors.ReasonDecode {
				t.Errorf("reason %q, want decode: %v", r, err)
			}
			if !strings.Contains(err.Error(), tt.path) || strings.Contains(err.Error(), h.fake.token) {
				t.Errorf("error %q should name the request and never the token", err)
			}
		})
	}
}

func TestWrongCredentialsAreAnAuthErrorThatDoesNotShowTheToken(t *testing.T) {
	h := newHarness(t, Cloud, cloudSettings)
	h.fake.token = "another-token"
	err := h.sync()
	if err == nil || collectors.Reason(err) != collectors.ReasonAuth {
		t.Fatalf("sync error %v, want an auth error", err)
	}
	if strings.Contains(err.Error(), "c0nflu3nce-t0ken-value") || !strings.Contains(err.Error(), "401") {
		t.Errorf("error %q", err)
	}
}

func TestAnInterruptedAnalyticsRoundResumesWhereItStopped(t *testing.T) {
	h := newHarness(t, Cloud, cloudSettings+"    analytics_interval: 6h\n")
	// Every analytics call of page 2001 fails (5 attempts each) until the
	// script runs out; the pages before it keep their counts.
	h.fake.script = []fakeAnswer{{path: "/content/2001/", status: 500, body: `{"statusCode":500,"message":"oops"}`, times: 5}}
	err := h.sync()
	if err == nil || collectors.Reason(err) != collectors.ReasonServer || !strings.Contains(err.Error(), "content 2001") {
		t.Fatalf("sync error %v, want a server error about content 2001", err)
	}
	first := count(h.fake.takeRequests())
	// Every other page is fetched (6+4+2+2+2 = 16 calls), and 2001's first
	// call is attempted 5 times.
	if first["views"]+first["viewers"] != 21 {
		t.Errorf("first sync: %v", first)
	}
	h.restart()
	h.clock = now.Add(time.Minute)
	h.mustSync()
	// Resumed: only 2001 is asked (2 + 2), with the round's days.
	if got := count(h.fake.takeRequests()); got["views"]+got["viewers"] != 4 {
		t.Errorf("resumed round: requests %v, want 4 analytics calls", got)
	}
	h.compare(viewFigures, viewFamilies...)
	h.compare(lastRefreshAtNow, "sre_confluence_analytics_last_refresh_timestamp_seconds")
}

func TestADataCenterSyncUsesABearerTokenAndNotesTheMissingAnalytics(t *testing.T) {
	h := newHarness(t, DataCenter, "\n    deployment: datacenter\n    spaces: [SRE, OPS]\n    labels: [playbook, runbook]\n    key_pages: [\"SRE Playbook\", \"How to engage SRE\"]\n    page_size: 2\n")
	h.mustSync()
	h.compare(pageFigures, pageFamilies...)
	h.compare("", viewFamilies...)
	for _, r := range h.fake.takeRequests() {
		if r.Path != "/rest/api/content/search" {
			t.Errorf("unexpected request %s", r.Path)
		}
	}
	notes := strings.Join(h.c.Notes(), "\n")
	if !strings.Contains(notes, "Data Center has no analytics API") {
		t.Errorf("notes %q", notes)
	}
}

// The CSV pair mirrors the live fixture: the same six pages, and one row
// per page and day with that day's views and unique viewers. Windows are
// the same whole UTC days, as of the snapshot (2024-06-30 12:00); viewers
// are the sum of the daily unique viewers, so u1 reading the playbook on
// two days counts twice: 1001 -> views 3/5/7, viewers 3/5/7.
const csvViewFigures = `
# HELP sre_confluence_key_page_views_in_window Views of a configured key page in the window (same days as sre_confluence_page_views_in_window).
# TYPE sre_confluence_key_page_views_in_window gauge
sre_confluence_key_page_views_in_window{page="How to engage SRE",space="SRE",window="7d"} 3
sre_confluence_key_page_views_in_window{page="How to engage SRE",space="SRE",window="30d"} 4
sre_confluence_key_page_views_in_window{page="How to engage SRE",space="SRE",window="90d"} 4
sre_confluence_key_page_views_in_window{page="SRE Playbook",space="SRE",window="7d"} 3
sre_confluence_key_page_views_in_window{page="SRE Playbook",space="SRE",window="30d"} 5
sre_confluence_key_page_views_in_window{page="SRE Playbook",space="SRE",window="90d"} 7
# HELP sre_confluence_key_page_viewers_in_window Distinct viewers of a configured key page in the window.
# TYPE sre_confluence_key_page_viewers_in_window gauge
sre_confluence_key_page_viewers_in_window{page="How to engage SRE",space="SRE",window="7d"} 2
sre_confluence_key_page_viewers_in_window{page="How to engage SRE",space="SRE",window="30d"} 3
sre_confluence_key_page_viewers_in_window{page="How to engage SRE",space="SRE",window="90d"} 3
sre_confluence_key_page_viewers_in_window{page="SRE Playbook",space="SRE",window="7d"} 3
sre_confluence_key_page_viewers_in_window{page="SRE Playbook",space="SRE",window="30d"} 5
sre_confluence_key_page_viewers_in_window{page="SRE Playbook",space="SRE",window="90d"} 7
# HELP sre_confluence_page_views_in_window Views of the pages since 00:00 UTC of the day the window starts, as of the last analytics refresh (or from the page-views CSV).
# TYPE sre_confluence_page_views_in_window gauge
sre_confluence_page_views_in_window{label="none",space="OPS",team="unknown",type="page",window="7d"} 0
sre_confluence_page_views_in_window{label="none",space="OPS",team="unknown",type="page",window="30d"} 0
sre_confluence_page_views_in_window{label="none",space="OPS",team="unknown",type="page",window="90d"} 0
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="blogpost",window="7d"} 3
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="blogpost",window="30d"} 3
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="blogpost",window="90d"} 3
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="page",window="7d"} 3
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="page",window="30d"} 4
sre_confluence_page_views_in_window{label="none",space="SRE",team="sre",type="page",window="90d"} 4
sre_confluence_page_views_in_window{label="playbook",space="SRE",team="sre",type="page",window="7d"} 3
sre_confluence_page_views_in_window{label="playbook",space="SRE",team="sre",type="page",window="30d"} 5
sre_confluence_page_views_in_window{label="playbook",space="SRE",team="sre",type="page",window="90d"} 7
sre_confluence_page_views_in_window{label="runbook",space="OPS",team="unknown",type="page",window="7d"} 0
sre_confluence_page_views_in_window{label="runbook",space="OPS",team="unknown",type="page",window="30d"} 0
sre_confluence_page_views_in_window{label="runbook",space="OPS",team="unknown",type="page",window="90d"} 2
`

func TestCSVModeGivesTheHandComputedFigures(t *testing.T) {
	h := newCSVHarness(t, `
    pages_csv: pages.csv
    views_csv: views.csv
    spaces: [SRE, OPS]
    labels: [playbook, runbook]
    key_pages: ["SRE Playbook", "How to engage SRE"]
`)
	h.mustSync()
	h.compare(pageFigures, pageFamilies...)
	h.compare(csvViewFigures, "sre_confluence_page_views_in_window", "sre_confluence_key_page_views_in_window", "sre_confluence_key_page_viewers_in_window")
	notes := strings.Join(h.c.Notes(), "\n")
	for _, want := range []string{
		`views.csv:11: column "unique_viewers": 5 unique viewers is more than the 2 views`,
		`pages.csv:8: column "created": "last week" is not a date`,
		"views_csv: 1 pages (1 days) are not in the page list",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q do not say %q", notes, want)
		}
	}
	// After a restart the unchanged files are not parsed again, and the
	// landing page still lists their bad rows.
	h.restart()
	if got := strings.Join(h.c.Notes(), "\n"); !strings.Contains(got, "views.csv:11") || !strings.Contains(got, "pages.csv:8") {
		t.Errorf("notes after a restart %q", got)
	}
	info, _ := os.Stat("testdata/views.csv")
	h.clock = now.Add(time.Hour)
	h.mustSync()
	h.compare(`
# HELP sre_confluence_analytics_last_refresh_timestamp_seconds When the view figures were last refreshed completely: the analytics round's start, or the page-views CSV's last change.
# TYPE sre_confluence_analytics_last_refresh_timestamp_seconds gauge
sre_confluence_analytics_last_refresh_timestamp_seconds `+strconv.FormatInt(info.ModTime().Unix(), 10)+"\n", "sre_confluence_analytics_last_refresh_timestamp_seconds")
}

func TestAnalyticsIntervalIsAnErrorWithoutTheAnalyticsAPI(t *testing.T) {
	h := newCSVHarness(t, "\n    pages_csv: pages.csv\n    spaces: [SRE]\n")
	_, err := h.build("collectors:\n  - kind: confluence\n    name: wiki\n    pages_csv: pages.csv\n    views_csv: views.csv\n    spaces: [SRE]\n    analytics_interval: 1h\n")
	var ce *config.Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "collectors[0].analytics_interval: only used with the Cloud analytics API") {
		t.Errorf("error %v", err)
	}
}

func TestALongAnalyticsRoundPausesBeforeTheRefreshTimeoutAndResumesNextSync(t *testing.T) {
	h := newHarness(t, Cloud, cloudSettings)
	// 30 more pages of 2024-06-29, with no views: 1 views and 1 viewers
	// call each. The first batch is 25 pages in id order (1001..1004,
	// 2001, 2002 and 19 of the new ones).
	for i := range 30 {
		h.fake.add(json.RawMessage(fmt.Sprintf(`{"id":"%d","type":"page","status":"current","title":"Note %d","space":{"key":"SRE"},
			"history":{"createdDate":"2024-06-29T10:00:00.000Z"},"version":{"when":"2024-06-29T10:00:00.000Z","number":1},"metadata":{"labels":{"results":[]}}}`, 3000+i, i)))
	}
	// Each batch seems to take an hour and the refresh has less than two
	// left after the first one: the round pauses without an error.
	h.c.since = func(time.Time) time.Duration { return time.Hour }
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Minute)
	defer cancel()
	if err := h.c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// 20 (the six fixture pages) + 2 for each of 19 new pages.
	if got := count(h.fake.takeRequests()); got["views"]+got["viewers"] != 58 {
		t.Errorf("first sync: requests %v, want 58 analytics calls", got)
	}
	h.compare("", "sre_confluence_analytics_last_refresh_timestamp_seconds")

	h.clock = now.Add(time.Minute)
	h.mustSync()
	if got := count(h.fake.takeRequests()); got["views"]+got["viewers"] != 22 {
		t.Errorf("second sync: requests %v, want 22 analytics calls (the 11 pages left)", got)
	}
	h.compare(viewFigures, "sre_confluence_key_page_views_in_window", "sre_confluence_key_page_viewers_in_window")
	h.compare(lastRefreshAtNow, "sre_confluence_analytics_last_refresh_timestamp_seconds")
}

func TestLinksNextIsResolvedOnTheConfiguredSiteOnly(t *testing.T) {
	tests := []struct {
		name, base, next, want, wantErr string
	}{
		{"a Cloud link relative to the /wiki context", "https://example.atlassian.net/wiki", "/rest/api/content/search?cursor=abc&limit=25", "https://example.atlassian.net/wiki/rest/api/content/search?cursor=abc&limit=25", ""},
		{"a link that already has the context", "https://example.atlassian.net/wiki", "/wiki/rest/api/content/search?start=25", "https://example.atlassian.net/wiki/rest/api/content/search?start=25", ""},
		{"a Data Center link at the root", "https://wiki.example.com", "/rest/api/content/search?start=25&limit=25", "https://wiki.example.com/rest/api/content/search?start=25&limit=25", ""},
		{"an absolute link to the same host", "https://wiki.example.com", "https://wiki.example.com/rest/api/content/search?start=50", "https://wiki.example.com/rest/api/content/search?start=50", ""},
		{"an absolute link to another host", "https://wiki.example.com", "https://evil.example.net/rest/api/content/search", "", "another host (evil.example.net)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, _ := url.Parse(tt.base)
			got, err := (&api{base: base}).resolve(tt.next)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("resolve(%q) = %q, %v; want an error saying %q", tt.next, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("resolve(%q) = %q, %v; want %q", tt.next, got, err, tt.want)
			}
		})
	}
}

func TestALinksNextThatPointsBackToTheSamePageStopsTheSync(t *testing.T) {
	h := newHarness(t, Cloud, cloudSettings)
	self := "/rest/api/content/search?" + url.Values{"cql": {h.c.s.cql()}, "expand": {searchExpand}, "limit": {"2"}}.Encode()
	h.fake.script = []fakeAnswer{{path: "/content/search", status: 200, body: `{"results":[],"size":0,"_links":{"context":"/wiki","next":"` + self + `"}}`}}
	err := h.sync()
	if err == nil || !strings.Contains(err.Error(), "points to the same page") {
		t.Fatalf("sync error %v", err)
	}
}

func TestChangingTheSpacesStartsOverWithANewAnalyticsRound(t *testing.T) {
	h := newHarness(t, Cloud, cloudSettings)
	h.mustSync()
	h.fake.takeRequests()
	h.yaml = strings.Replace(h.yaml, "spaces: [SRE, OPS]", "spaces: [SRE]", 1)
	h.restart()
	h.clock = now.Add(time.Hour)
	h.mustSync()
	// The four SRE pages' analytics are asked again at once (6+4+2+2),
	// although the interval has not passed: the old round was of another
	// selection. The fake still answers OPS pages; the collector drops them.
	if got := count(h.fake.takeRequests()); got["views"]+got["viewers"] != 14 {
		t.Errorf("requests %v, want 14 analytics calls", got)
	}
	h.compare(`
# HELP sre_confluence_pages Pages (or blog posts) in the space now, by configured label and content type.
# TYPE sre_confluence_pages gauge
sre_confluence_pages{label="none",space="SRE",team="sre",type="blogpost"} 1
sre_confluence_pages{label="none",space="SRE",team="sre",type="page"} 1
sre_confluence_pages{label="playbook",space="SRE",team="sre",type="page"} 2
`, "sre_confluence_pages")
}

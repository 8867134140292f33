package github

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

func TestACutOffListingIsRetriedAndNeverReplayedFromTheETagCache(t *testing.T) {
	for _, tc := range []struct {
		name string
		// cuts is how many answers to the listing are cut off; the
		// collector makes 3 attempts (2 retries).
		cuts       int
		firstFails bool
	}{
		{"one cut-off answer is retried within the refresh", 1, false},
		{"a refresh that gets only cut-off answers fails, and the next one recovers", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "", "acme/payments", "acme/checkout")
			// The cut-off answers carry the listing's real ETag, and the
			// fake confirms that ETag with a 304 when asked.
			h.fake.fail(failure{path: "/repos/acme/payments/issues", query: "labels=incident", cut: true, times: tc.cuts})
			c := h.collector("")
			err := c.Sync(context.Background())
			if !tc.firstFails {
				if err != nil {
					t.Fatalf("Sync: %v", err)
				}
				checkFixtureMetrics(t, h.snapshot(c))
				return
			}
			if collectors.Reason(err) != collectors.ReasonDecode {
				t.Fatalf("first Sync = %v, want a decode error", err)
			}
			h.now = h.now.Add(time.Minute)
			h.sync(c)
			checkFixtureMetrics(t, h.snapshot(c))
		})
	}
}

const githubNotFound = `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`

func TestAMissingAcknowledgeHistorySkipsOnlyThatIssuesAcknowledgement(t *testing.T) {
	for _, tc := range []struct {
		name     string
		repo     string
		settings string
		number   int
		fail     failure
		note     string
	}{
		{
			name: "comments answering 404 leave the issue unacknowledged",
			repo: "acme/search",
			settings: `
token: ${GITHUB_TOKEN}
repositories: [acme/search]
labels: [incident]
`,
			number: 20,
			fail:   failure{path: "/repos/acme/search/issues/20/comments", status: 404, body: githubNotFound},
			note:   "issue acme/search#20: acknowledge time unknown: its comments answered 404 Not Found",
		},
		{
			name:   "events answering 410 leave the issue unacknowledged",
			repo:   "acme/payments",
			number: 1,
			fail: failure{path: "/repos/acme/payments/issues/1/events", status: 410,
				body: `{"message":"This issue was deleted","documentation_url":"https://docs.github.com/rest/issues/events","status":"410"}`},
			note: "issue acme/payments#1: acknowledge time unknown: its events answered 410 Gone",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "", tc.repo)
			if tc.settings != "" {
				h.settings = tc.settings
			}
			clean := h.collector("")
			h.sync(clean)
			want := exposition(t, h.snapshot(clean))

			// The same data in a fresh store, with the one look-up failing.
			h2 := newHarness(t, "", tc.repo)
			h2.settings = h.settings
			h2.fake.fail(tc.fail)
			c := h2.collector("")
			h2.sync(c)
			if got := c.Notes(); len(got) != 1 || got[0] != tc.note {
				t.Errorf("Notes() = %q, want %q", got, tc.note)
			}
			if tc.repo == "acme/search" {
				// By hand: #20 (sev2) was acknowledged by bob after 20m;
				// without its comments, no sev2 incident is acknowledged.
				before := histogramFigures(h.snapshot(clean), "sre_incident_time_to_acknowledge_in_window_seconds")["sev2/search/search/7d"]
				after := histogramFigures(h2.snapshot(c), "sre_incident_time_to_acknowledge_in_window_seconds")["sev2/search/search/7d"]
				if before != "1200/1" || after != "0/0" {
					t.Errorf("sev2 time to acknowledge (7d) %s with comments and %s without, want 1200/1 and 0/0", before, after)
				}
			}
			// Every other figure is the same; the one issue only lost its
			// acknowledgement.
			got := exposition(t, h2.snapshot(c))
			if got == want {
				t.Error("the metrics did not change; the issue still has an acknowledge time")
			}
			for _, family := range []string{"sre_incidents_opened_total", "sre_incidents_open", "sre_incident_time_to_resolve_in_window_seconds"} {
				if fmt.Sprint(figures(h.snapshot(clean), family)) != fmt.Sprint(figures(h2.snapshot(c), family)) {
					t.Errorf("%s changed:\n got %v\nwant %v", family, figures(h2.snapshot(c), family), figures(h.snapshot(clean), family))
				}
			}
			tta, cleanTTA := histogramFigures(h2.snapshot(c), "sre_incident_time_to_acknowledge_in_window_seconds"),
				histogramFigures(h.snapshot(clean), "sre_incident_time_to_acknowledge_in_window_seconds")
			if countOf(tta) != countOf(cleanTTA)-1 {
				t.Errorf("acknowledged incidents in the windows: %d, want one fewer than %d", countOf(tta), countOf(cleanTTA))
			}

			// Once the issue changes and its history reads again, the
			// acknowledgement comes back and the note goes.
			h2.fake.mu.Lock()
			h2.fake.failures = nil
			h2.fake.mu.Unlock()
			h2.fake.edit(tc.repo, tc.number, func(is map[string]any) { is["updated_at"] = "2024-06-30T11:59:30Z" })
			h2.now = testNow.Add(time.Minute)
			h2.sync(c)
			if got := c.Notes(); len(got) != 0 {
				t.Errorf("Notes() = %q after the history came back, want none", got)
			}
			if countOf(histogramFigures(h2.snapshot(c), "sre_incident_time_to_acknowledge_in_window_seconds")) != countOf(cleanTTA) {
				t.Error("the acknowledgement did not come back")
			}
		})
	}
}

func TestMissingAckHistoryFailFailsTheRefresh(t *testing.T) {
	h := newHarness(t, "", "acme/payments")
	h.fake.fail(failure{path: "/repos/acme/payments/issues/1/events", status: 404, body: githubNotFound})
	c := h.collector("missing_ack_history: fail\n")
	err := c.Sync(context.Background())
	if collectors.Reason(err) != collectors.ReasonClient || !strings.Contains(err.Error(), "github repository acme/payments: page 2: issue #1: events page 1") ||
		!strings.Contains(err.Error(), "404") {
		t.Fatalf("Sync = %v (reason %s), want a client_error naming issue #1's events", err, collectors.Reason(err))
	}
	if notes := c.Notes(); len(notes) != 0 {
		t.Errorf("Notes() = %q, want none", notes)
	}
}

// figures is every sample of a family as "labels=value", for comparison.
func figures(snap *snapshot.Snapshot, name string) []string {
	var out []string
	for _, mf := range snap.Families() {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			out = append(out, m.String())
		}
	}
	sort.Strings(out)
	return out
}

// countOf sums the counts of "sum/count" histogram figures of the 90d
// window, which holds every incident of the fixtures.
func countOf(fig map[string]string) int {
	total := 0
	for k, v := range fig {
		if !strings.HasSuffix(k, "/90d") {
			continue
		}
		_, count, _ := strings.Cut(v, "/")
		n, _ := strconv.Atoi(count)
		total += n
	}
	return total
}

// manyIncidents fills repo with n incident issues one hour apart in the 30
// days before testNow: every second one closed 30 minutes after it
// opened, every fifth one answered by another person after 15 minutes.
func manyIncidents(f *fakeGitHub, name string, n int) {
	repo := f.repo(name)
	start := testNow.Add(-30 * 24 * time.Hour)
	for i := 1; i <= n; i++ {
		opened := start.Add(time.Duration(i) * time.Hour)
		is := map[string]any{
			"id": float64(9_000_000 + i), "number": float64(i), "title": fmt.Sprintf("Incident %d", i),
			"state": "open", "comments": float64(0), "body": "",
			"user":           map[string]any{"login": "alice", "id": float64(1), "type": "User"},
			"repository_url": "https://api.github.com/repos/" + name,
			"labels": []any{
				map[string]any{"name": "incident"},
				map[string]any{"name": "sev2"},
				map[string]any{"name": "service:search"},
			},
			"created_at": opened.Format(time.RFC3339),
			"updated_at": opened.Add(45 * time.Minute).Format(time.RFC3339),
		}
		if i%2 == 0 {
			is["state"] = "closed"
			is["closed_at"] = opened.Add(30 * time.Minute).Format(time.RFC3339)
		}
		if i%5 == 0 {
			is["comments"] = float64(1)
			repo.comments[i] = []map[string]any{{
				"id": float64(i), "body": "looking",
				"user":       map[string]any{"login": "bob", "id": float64(2), "type": "User"},
				"created_at": opened.Add(15 * time.Minute).Format(time.RFC3339),
			}}
		}
		repo.issues[i] = is
	}
}

// checkManyIncidents compares the figures of manyIncidents(200) with the
// hand-computed ones: 200 opened, 100 resolved after 30m, 40 acknowledged
// (every fifth; 20 of them closed, all acknowledged before closing) after 15m.
func checkManyIncidents(t *testing.T, snap *snapshot.Snapshot) {
	t.Helper()
	opened := gaugeValues(snap, "sre_incidents_opened_total", "severity", "service", "team")
	if opened["sev2/search/search"] != 200 || len(opened) != 1 {
		t.Errorf("sre_incidents_opened_total = %v, want 200 sev2/search/search", opened)
	}
	ttr := histogramFigures(snap, "sre_incident_time_to_resolve_in_window_seconds")
	if got, want := ttr["sev2/search/search/30d"], fmt.Sprintf("%d/100", 100*1800); got != want {
		t.Errorf("time to resolve (30d) %s, want %s", got, want)
	}
	tta := histogramFigures(snap, "sre_incident_time_to_acknowledge_in_window_seconds")
	if got, want := tta["sev2/search/search/30d"], fmt.Sprintf("%d/40", 40*900); got != want {
		t.Errorf("time to acknowledge (30d) %s, want %s", got, want)
	}
}

func newCorruptingHarness(t *testing.T, rate float64) *harness {
	h := newHarness(t, "")
	manyIncidents(h.fake, "acme/search", 200)
	h.settings = `
token: ${GITHUB_TOKEN}
repositories: [acme/search]
labels: [incident]
page_size: 10
`
	h.fake.corrupt = rand.New(rand.NewPCG(3, 1))
	h.fake.corruptRate = rate
	return h
}

func TestAFirstSyncCompletesWhenSomeAnswersAreCutOff(t *testing.T) {
	h := newCorruptingHarness(t, 0.03)
	c := h.collector("")
	h.sync(c)
	if h.fake.corrupted == 0 {
		t.Fatal("no answer was cut off; the test proves nothing")
	}
	checkManyIncidents(t, h.snapshot(c))
}

func TestAnInterruptedFirstSyncResumesWhereItStopped(t *testing.T) {
	h := newCorruptingHarness(t, 0.05)
	h.maxRetries = upstream.NoRetries
	c := h.collector("")
	failures := 0
	for ; failures < 50; failures++ {
		if err := c.Sync(context.Background()); err == nil {
			break
		} else if collectors.Reason(err) != collectors.ReasonDecode {
			t.Fatalf("Sync: %v, want only decode errors", err)
		}
		h.now = h.now.Add(time.Minute)
	}
	if failures == 0 || failures == 50 {
		t.Fatalf("%d failed syncs; want some, then success", failures)
	}
	restarts := 0
	for _, q := range h.fake.listings {
		if strings.Contains(q, "labels=incident") && !strings.Contains(q, "since=") && strings.Contains(q, "&page=1&") {
			restarts++
		}
	}
	// Without progress kept per page, every failure would list from the
	// first page again.
	if restarts != 1 {
		t.Errorf("the full listing started from its first page %d times in %d syncs, want once", restarts, failures+1)
	}
	checkManyIncidents(t, h.snapshot(c))

	// The resumed listing is a complete one: the next refresh is one
	// conditional request.
	h.fake.corrupt = nil
	h.fake.resetCounts()
	h.now = h.now.Add(time.Minute)
	h.sync(c)
	if _, total, notModified := h.fake.counts(); total != 1 || notModified != 1 {
		t.Errorf("refresh after the resumed sync made %d requests (%d answered 304), want one 304", total, notModified)
	}
	checkManyIncidents(t, h.snapshot(c))
}

func TestAnInterruptedFullResyncResumesAndStillDeletesWhatIsGone(t *testing.T) {
	h := newCorruptingHarness(t, 0)
	c := h.collector("")
	h.sync(c)

	// #3 (on the first page) and #150 (on a later one) are deleted; the
	// daily full reconciliation then fails on its fifth page.
	h.fake.remove("acme/search", 3)
	h.fake.remove("acme/search", 150)
	h.now = testNow.Add(25 * time.Hour)
	h.fake.setNow(h.now)
	h.fake.fail(failure{path: "/repos/acme/search/issues", query: "&page=5&", status: 502, times: 3,
		body: `{"message":"Server Error"}`})
	if err := c.Sync(context.Background()); collectors.Reason(err) != collectors.ReasonServer {
		t.Fatalf("Sync = %v, want a server_error", err)
	}
	h.fake.resetCounts()
	h.fake.listings = nil
	h.now = h.now.Add(time.Minute)
	h.sync(c)

	for _, q := range h.fake.listings {
		if !strings.Contains(q, "since=") {
			t.Errorf("the resumed reconciliation listed %s, from the start again", q)
		}
	}
	got, _, _ := h.fake.counts()
	for path, n := range got {
		if path != "/repos/acme/search/issues" && path != "/repos/acme/search/issues/3" && path != "/repos/acme/search/issues/150" {
			t.Errorf("%d requests for %s; only the two unlisted issues should be checked one by one", n, path)
		}
	}
	if got["/repos/acme/search/issues/3"] != 1 || got["/repos/acme/search/issues/150"] != 1 {
		t.Errorf("requests %v, want #3 and #150 checked once each", got)
	}
	// 90d holds all 200 opened, less the two deleted.
	opened := gaugeValues(h.snapshot(c), "sre_incidents_opened_in_window", "severity", "service", "team", "window")
	if opened["sev2/search/search/90d"] != 198 {
		t.Errorf("sre_incidents_opened_in_window 90d = %v, want 198", opened["sev2/search/search/90d"])
	}
	var seen int
	if err := h.st.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		seen = tx.CountRecords(fullSeenKind)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if seen != 0 {
		t.Errorf("%d records of the finished listing are left in the store", seen)
	}
}

package github

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
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

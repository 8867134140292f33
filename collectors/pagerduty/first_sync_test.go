package pagerduty

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/incident"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// reacked is an open incident whose first acknowledgement (10:05) timed
// out at 10:35 and was acknowledged again at 10:40: PagerDuty lists only
// the 10:40 one in acknowledgements.
func addReacked(f *fakePD, id string, created time.Time) {
	at := func(d time.Duration) string { return created.Add(d).Format(time.RFC3339) }
	f.put([]byte(`{"id":"` + id + `","type":"incident","created_at":"` + at(0) + `","status":"acknowledged","urgency":"high",` +
		`"last_status_change_at":"` + at(40*time.Minute) + `","priority":{"id":"PPRIO1","name":"P1"},` +
		`"service":{"id":"PCHK001","summary":"Checkout API"},"teams":[{"id":"PTEAMPAY","summary":"Payments Team"}],` +
		`"acknowledgements":[{"at":"` + at(40*time.Minute) + `"}]}`))
	f.logEntry(id, id+"-1", "trigger_log_entry", at(0))
	f.logEntry(id, id+"-2", "acknowledge_log_entry", at(5*time.Minute))
	f.logEntry(id, id+"-3", "unacknowledge_log_entry", at(35*time.Minute))
	f.logEntry(id, id+"-4", "acknowledge_log_entry", at(40*time.Minute))
}

func TestReacknowledgedOpenIncidentGetsItsFirstAcknowledgement(t *testing.T) {
	for _, tc := range []struct {
		name string
		// later adds the incident after the first sync, at testNow+1h.
		later bool
	}{
		{"an incident first seen in the first sync", false},
		{"an incident first seen in a later refresh", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fixtureFake(t)
			created := time.Date(2025, 6, 30, 10, 0, 0, 0, time.UTC)
			if !tc.later {
				addReacked(f, "PINC010", created)
			}
			h := newHarness(t, f, "")
			h.mustSync()
			if tc.later {
				created = testNow.Add(10 * time.Minute)
				addReacked(f, "PINC010", created)
				h.clock = testNow.Add(time.Hour)
				h.mustSync()
			}
			inc, _ := h.stored("PINC010")
			if want := created.Add(5 * time.Minute); !inc.Acknowledged.Equal(want) {
				t.Errorf("PINC010 acknowledged %v, want the first acknowledgement %v", inc.Acknowledged, want)
			}
			// 7-day time to acknowledge: PINC001 5m, PINC002 10m, PINC005
			// 3m and PINC010 5m (not 40m) -> 23m / 4 = 5m45s.
			mean, count := windowMean(t, h.snapshot(), "sre_incident_time_to_acknowledge_in_window_seconds", "7d")
			if want := 5*time.Minute + 45*time.Second; count != 4 || mean != want.Seconds() {
				t.Errorf("7d time to acknowledge: mean %vs over %d, want %vs over 4", mean, count, want.Seconds())
			}
			// The counters count it once, with 5m: 35m + 5m = 40m over 6.
			sum, n := ackCounter(h)
			if n != 6 || sum != (40*time.Minute).Seconds() {
				t.Errorf("time to acknowledge counter: %v s over %d, want 2400 s over 6", sum, n)
			}
		})
	}
}

// ackCounter sums the all-time time-to-acknowledge histograms.
func ackCounter(h *harness) (sum float64, count uint64) {
	for _, f := range h.snapshot().Families() {
		if f.GetName() == "sre_incident_time_to_acknowledge_seconds" {
			for _, m := range f.GetMetric() {
				sum += m.GetHistogram().GetSampleSum()
				count += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return sum, count
}

// requestsByPath counts requests by path, ids folded.
func requestsByPath(reqs []string) map[string]int {
	n := map[string]int{}
	for _, r := range reqs {
		u, _ := url.Parse(r)
		switch {
		case u.Path == "/incidents" || u.Path == "/log_entries":
			n[u.Path]++
		case strings.HasSuffix(u.Path, "/log_entries"):
			n["/incidents/{id}/log_entries"]++
		default:
			n["/incidents/{id}"]++
		}
	}
	return n
}

// storedIncidents is every stored incident by ID.
func storedIncidents(t testing.TB, h *harness) map[string]incident.Incident {
	out := map[string]incident.Incident{}
	err := h.st.View(h.c.deps.StoreKey(), func(tx *store.Tx) error {
		return incident.ForEach(tx, func(inc incident.Incident) error { out[inc.ID] = inc; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func renderAt(t testing.TB, h *harness, now time.Time) string {
	t.Helper()
	s, err := h.c.Snapshot(now)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	return string(r.Text)
}

func TestFirstSyncOfFourThousandIncidentsReadsLogEntriesAccountWide(t *testing.T) {
	f := accountFake(t)
	h := newHarness(t, f, "")
	h.mustSync()
	// 4,000 incidents in six 30-day slices of 666 or 667: 7 pages each.
	// Log entries: every incident has a trigger; 3,792 were acknowledged
	// (80 of them twice, with an unacknowledge between); all but the 48
	// open ones were resolved: 4,000 + 3,792 + 160 + 3,952 = 11,904. The fake's entries of each slice, in pages of
	// 100, are counted from its data rather than trusted to arithmetic.
	from := testNow.Add(-180 * 24 * time.Hour)
	wantLogs := 0
	f.mu.Lock()
	all := f.accountLogs()
	f.mu.Unlock()
	for i := range 6 {
		since, until := from.Add(time.Duration(i)*30*24*time.Hour), from.Add(time.Duration(i+1)*30*24*time.Hour)
		n := 0
		for _, e := range all {
			if !e.created.Before(since) && e.created.Before(until) {
				n++
			}
		}
		wantLogs += (n + 99) / 100
	}
	if len(all) != 4000+3792+80*2+3952 {
		t.Fatalf("fake has %d log entries, want 11904", len(all))
	}
	got := requestsByPath(f.requestLog())
	if got["/incidents"] != 42 || got["/log_entries"] != wantLogs || len(got) != 2 {
		t.Errorf("requests %v, want 42 incident pages and %d log entry pages only", got, wantLogs)
	}
	t.Logf("first sync of 4,000 incidents: %d requests", len(f.requestLog()))
	if len(f.violations) > 0 {
		t.Errorf("requests broke API limits: %v", f.violations)
	}
	// The 80 re-acknowledged incidents keep their first acknowledgement,
	// open or resolved.
	for id, inc := range storedIncidents(t, h) {
		var i int
		_, _ = fmt.Sscanf(id, "A%05d", &i)
		if i%50 == 7 {
			created := from.Add(time.Duration(i) * (180 * 24 * time.Hour / 4000)).Add(180 * 24 * time.Hour / 8000)
			if want := created.Add(time.Duration(2+i%7) * time.Minute); !inc.Acknowledged.Equal(want) {
				t.Errorf("%s acknowledged %v, want %v", id, inc.Acknowledged, want)
			}
		}
	}

	// Idle: incidents created and log entries written in the last hour.
	f.resetRequests()
	h.clock = testNow.Add(5 * time.Minute)
	h.mustSync()
	if got := requestsByPath(f.requestLog()); got["/incidents"] != 1 || got["/log_entries"] != 1 || len(got) != 2 {
		t.Errorf("idle refresh made %v, want 1 incident list and 1 log entry page:\n%s", got, strings.Join(f.requestLog(), "\n"))
	}
}

func TestCorruptedBodiesAreRetriedAndGiveTheFiguresOfACleanRun(t *testing.T) {
	clean := newHarness(t, accountFake(t), "")
	clean.mustSync()
	want := renderAt(t, clean, testNow)

	f := accountFake(t)
	// 3% of responses are cut short mid-body, deterministically.
	rng := rand.New(rand.NewPCG(3, 97))
	corrupted := 0
	f.setFail(func(w http.ResponseWriter, r *http.Request) bool {
		if rng.Float64() >= 0.03 {
			return false
		}
		corrupted++
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"log_entries":[{"id":"L1","type":"ack`)
		return true
	})
	h := newHarness(t, f, "")
	h.mustSync()
	if corrupted == 0 {
		t.Fatal("no response was corrupted")
	}
	t.Logf("%d of %d responses corrupted", corrupted, len(f.requestLog()))
	if got := renderAt(t, h, testNow); got != want {
		t.Errorf("figures differ from a clean run:\n%s\nwant:\n%s", got, want)
	}
}

func TestFirstSyncCutShortResumesAtTheNextRefresh(t *testing.T) {
	clean := newHarness(t, accountFake(t), "")
	clean.mustSync()
	want := renderAt(t, clean, testNow)
	cleanRequests := len(clean.fake.requestLog())

	from := testNow.Add(-180 * 24 * time.Hour)
	thirdSlice := from.Add(60 * 24 * time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		name string
		// stop tells the request at which the refresh times out.
		stop func(r *http.Request, logPages int) bool
		// note is the landing-page note after the timeout ("" to only
		// check its prefix).
		note string
	}{
		{"stopped before the third slice's incidents", func(r *http.Request, _ int) bool {
			return r.URL.Path == "/incidents" && r.URL.Query().Get("since") == thirdSlice
		}, "first sync: 33% of PagerDuty incidents (the 180d of history up to 2025-06-30T12:00:00Z; it continues at the next refresh)"},
		{"stopped in the middle of the third slice's log entries", func(r *http.Request, logPages int) bool {
			return r.URL.Path == "/log_entries" && logPages == 2*20+5
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := accountFake(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			logPages := 0
			f.setFail(func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path == "/log_entries" {
					logPages++
				}
				if !tc.stop(r, logPages) {
					return false
				}
				cancel() // the refresh timeout
				writeError(w, http.StatusServiceUnavailable, 0, "slow")
				return true
			})
			h := newHarness(t, f, "")
			if err := h.c.Sync(ctx); err == nil {
				t.Fatal("the cut-short sync succeeded")
			}
			f.setFail(nil)
			notes := h.c.Notes()
			if len(notes) == 0 || !strings.HasPrefix(notes[0], "first sync: ") || (tc.note != "" && notes[0] != tc.note) {
				t.Errorf("notes %q, want first %q", notes, tc.note)
			}
			if tc.note == "" && !strings.HasPrefix(notes[0], "first sync: 3") && !strings.HasPrefix(notes[0], "first sync: 4") {
				t.Errorf("note %q, want between 33%% and 49%%", notes[0])
			}
			stopped := len(f.requestLog())

			// The next refresh, 10 minutes later, after a restart.
			h.clock = testNow.Add(10 * time.Minute)
			h.restart("")
			h.mustSync()
			if notes := h.c.Notes(); len(notes) != 0 {
				t.Errorf("notes after the first sync finished: %q", notes)
			}
			if got := renderAt(t, h, testNow); got != want {
				t.Errorf("figures differ from an uninterrupted first sync:\n%s\nwant:\n%s", got, want)
			}
			t.Logf("%d requests before the timeout, %d in all, %d uninterrupted", stopped, len(f.requestLog()), cleanRequests)
			// Resuming re-reads at most a slice's incident page and the
			// catch-up refresh (2 requests), not the history.
			if extra := len(f.requestLog()) - cleanRequests; extra > 4 {
				t.Errorf("resumed first sync made %d requests more than an uninterrupted one", extra)
			}
		})
	}
}

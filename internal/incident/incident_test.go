package incident

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// now is the fixed clock of every test: Monday 30 June 2025, 12:00 UTC.
var now = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)

const storeKey = "test/incidents"

func ago(d time.Duration) time.Time { return now.Add(-d) }

const day = 24 * time.Hour

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// put stores incidents in one transaction and returns what Put reported.
func put(t *testing.T, st *store.Store, incs ...Incident) []bool {
	t.Helper()
	var changed []bool
	err := st.Update(storeKey, func(tx *store.Tx) error {
		for _, inc := range incs {
			c, err := Put(tx, inc)
			if err != nil {
				return err
			}
			changed = append(changed, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return changed
}

func del(t *testing.T, st *store.Store, id string) {
	t.Helper()
	if err := st.Update(storeKey, func(tx *store.Tx) error { return Delete(tx, id) }); err != nil {
		t.Fatal(err)
	}
}

func snap(t *testing.T, st *store.Store) *snapshot.Snapshot {
	t.Helper()
	s, err := Snapshot(st, storeKey, "test", now, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func compare(t *testing.T, s *snapshot.Snapshot, expected string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(s, strings.NewReader(expected), names...); err != nil {
		t.Error(err)
	}
}

// Help texts, as the model writes them.
const (
	helpOpenedInWindow     = "# HELP sre_incidents_opened_in_window Incidents opened in the window, by current severity, service and team (exact, from the store).\n# TYPE sre_incidents_opened_in_window gauge\n"
	helpResolvedInWindow   = "# HELP sre_incidents_resolved_in_window Incidents resolved in the window, by current severity, service and team (exact, from the store).\n# TYPE sre_incidents_resolved_in_window gauge\n"
	helpPostmortemInWindow = "# HELP sre_incidents_resolved_with_postmortem_in_window Incidents resolved in the window that have a postmortem.\n# TYPE sre_incidents_resolved_with_postmortem_in_window gauge\n"
	helpTTRInWindow        = "# HELP sre_incident_time_to_resolve_in_window_seconds Time from opened to resolved of the incidents resolved in the window.\n# TYPE sre_incident_time_to_resolve_in_window_seconds histogram\n"
	helpTTAInWindow        = "# HELP sre_incident_time_to_acknowledge_in_window_seconds Time from opened to acknowledged of the incidents acknowledged in the window.\n# TYPE sre_incident_time_to_acknowledge_in_window_seconds histogram\n"
	helpOpen               = "# HELP sre_incidents_open Incidents open now, by severity, service and team.\n# TYPE sre_incidents_open gauge\n"
	helpLastOpened         = "# HELP sre_incident_last_opened_timestamp_seconds When the latest incident of the service was opened (for time since last incident and MTBF).\n# TYPE sre_incident_last_opened_timestamp_seconds gauge\n"
	helpActionItems        = "# HELP sre_postmortem_action_items Postmortem action items by state (open, done).\n# TYPE sre_postmortem_action_items gauge\n"
	helpOverdue            = "# HELP sre_postmortem_action_items_overdue Open postmortem action items past their due date.\n# TYPE sre_postmortem_action_items_overdue gauge\n"
	helpOpenedTotal        = "# HELP sre_incidents_opened_total Incidents opened, counted once when first seen, under the labels they had then.\n# TYPE sre_incidents_opened_total counter\n"
	helpResolvedTotal      = "# HELP sre_incidents_resolved_total Incidents resolved, counted once when first seen resolved.\n# TYPE sre_incidents_resolved_total counter\n"
	helpTTR                = "# HELP sre_incident_time_to_resolve_seconds Time from opened to resolved, observed once per incident when first seen resolved.\n# TYPE sre_incident_time_to_resolve_seconds histogram\n"
	helpTTA                = "# HELP sre_incident_time_to_acknowledge_seconds Time from opened to acknowledged, observed once per incident when first seen acknowledged.\n# TYPE sre_incident_time_to_acknowledge_seconds histogram\n"
)

// histogram renders one histogram series. cum are the cumulative bucket
// counts, one per bound, worked out by hand in the test (nil: all zero).
func histogram(t *testing.T, name, labels string, bounds []float64, cum []int, sum float64, count int) string {
	t.Helper()
	if cum == nil {
		cum = make([]int, len(bounds))
	}
	if len(cum) != len(bounds) {
		t.Fatalf("%s{%s}: %d cumulative counts for %d buckets", name, labels, len(cum), len(bounds))
	}
	var b strings.Builder
	for i, le := range bounds {
		fmt.Fprintf(&b, "%s_bucket{%s,le=%q} %d\n", name, labels, strconv.FormatFloat(le, 'g', -1, 64), cum[i])
	}
	fmt.Fprintf(&b, "%s_bucket{%s,le=\"+Inf\"} %d\n", name, labels, count)
	fmt.Fprintf(&b, "%s_sum{%s} %s\n", name, labels, strconv.FormatFloat(sum, 'g', -1, 64))
	fmt.Fprintf(&b, "%s_count{%s} %d\n", name, labels, count)
	return b.String()
}

// windowed renders a 7d/30d/90d gauge for one label set (labels sort before "window").
func windowed(name, labels string, d7, d30, d90 float64) string {
	return fmt.Sprintf("%[1]s{%[2]s,window=\"7d\"} %[3]g\n%[1]s{%[2]s,window=\"30d\"} %[4]g\n%[1]s{%[2]s,window=\"90d\"} %[5]g\n", name, labels, d7, d30, d90)
}

const (
	checkout = `service="checkout",severity="sev2",source="test",team="payments"`
	search   = `service="search",severity="sev3",source="test",team="discovery"`
)

// fixture is five incidents whose figures are worked out by hand below.
//
//	id  labels    opened     acknowledged   resolved        TTA    TTR     postmortem
//	A   checkout  now-2d     +5m  (now-2d)  +2h  (now-2d)   300s   7200s   yes
//	B   checkout  now-10d    +10m           +4h             600s   14400s  yes
//	C   checkout  now-40d    +1m            +30m            60s    1800s   no
//	D   checkout  now-1h     +2m            open            120s   -       no
//	E   search    now-100d   -              +1h             -      3600s   no
func fixture() []Incident {
	cs := func(inc Incident) Incident {
		inc.Severity, inc.Service, inc.Team = "sev2", "checkout", "payments"
		return inc
	}
	a := ago(2 * day)
	b := ago(10 * day)
	c := ago(40 * day)
	d := ago(time.Hour)
	e := ago(100 * day)
	return []Incident{
		cs(Incident{ID: "A", Opened: a, Acknowledged: a.Add(5 * time.Minute), Resolved: a.Add(2 * time.Hour), Postmortem: "PM-1"}),
		cs(Incident{ID: "B", Opened: b, Acknowledged: b.Add(10 * time.Minute), Resolved: b.Add(4 * time.Hour), Postmortem: "PM-2"}),
		cs(Incident{ID: "C", Opened: c, Acknowledged: c.Add(time.Minute), Resolved: c.Add(30 * time.Minute)}),
		cs(Incident{ID: "D", Opened: d, Acknowledged: d.Add(2 * time.Minute)}),
		{ID: "E", Severity: "sev3", Service: "search", Team: "discovery", Opened: e, Resolved: e.Add(time.Hour)},
	}
}

func TestSnapshotOfTheFixtureMatchesHandComputedFigures(t *testing.T) {
	st := openStore(t)
	put(t, st, fixture()...)
	s := snap(t, st)

	// Opened in window (now-w < opened <= now): checkout 7d: A, D = 2;
	// 30d: A, B, D = 3; 90d: A, B, C, D = 4. E (100d ago) is in none.
	// Resolved in window: checkout 7d: A = 1; 30d: A, B = 2; 90d: A, B, C = 3.
	// With postmortem: 7d: A = 1; 30d: A, B = 2; 90d: A, B = 2.
	compare(t, s,
		helpOpenedInWindow+windowed("sre_incidents_opened_in_window", checkout, 2, 3, 4)+windowed("sre_incidents_opened_in_window", search, 0, 0, 0)+
			helpResolvedInWindow+windowed("sre_incidents_resolved_in_window", checkout, 1, 2, 3)+windowed("sre_incidents_resolved_in_window", search, 0, 0, 0)+
			helpPostmortemInWindow+windowed("sre_incidents_resolved_with_postmortem_in_window", checkout, 1, 2, 2)+windowed("sre_incidents_resolved_with_postmortem_in_window", search, 0, 0, 0)+
			// Open now: D only.
			helpOpen+"sre_incidents_open{"+checkout+"} 1\nsre_incidents_open{"+search+"} 0\n"+
			// Last opened: checkout D at now-1h, search E at now-100d.
			helpLastOpened+fmt.Sprintf("sre_incident_last_opened_timestamp_seconds{service=\"checkout\",source=\"test\",team=\"payments\"} %d\n", ago(time.Hour).Unix())+
			fmt.Sprintf("sre_incident_last_opened_timestamp_seconds{service=\"search\",source=\"test\",team=\"discovery\"} %d\n", ago(100*day).Unix())+
			// Counters: every incident once; resolved A, B, C, E.
			helpOpenedTotal+"sre_incidents_opened_total{"+checkout+"} 4\nsre_incidents_opened_total{"+search+"} 1\n"+
			helpResolvedTotal+"sre_incidents_resolved_total{"+checkout+"} 3\nsre_incidents_resolved_total{"+search+"} 1\n",
		"sre_incidents_opened_in_window", "sre_incidents_resolved_in_window", "sre_incidents_resolved_with_postmortem_in_window",
		"sre_incidents_open", "sre_incident_last_opened_timestamp_seconds", "sre_incidents_opened_total", "sre_incidents_resolved_total")

	// Time to resolve by window of the resolved time, buckets
	// 300 900 1800 3600 7200 14400 28800 86400 ...:
	//   7d  {7200}              sum 7200              count 1
	//   30d {7200, 14400}       sum 21600             count 2
	//   90d {7200, 14400, 1800} sum 23400             count 3
	ttr := "sre_incident_time_to_resolve_in_window_seconds"
	expectedTTR := helpTTRInWindow +
		histogram(t, ttr, checkout+`,window="7d"`, ResolveBuckets, []int{0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 7200, 1) +
		histogram(t, ttr, checkout+`,window="30d"`, ResolveBuckets, []int{0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2}, 21600, 2) +
		histogram(t, ttr, checkout+`,window="90d"`, ResolveBuckets, []int{0, 0, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3}, 23400, 3) +
		histogram(t, ttr, search+`,window="7d"`, ResolveBuckets, nil, 0, 0) +
		histogram(t, ttr, search+`,window="30d"`, ResolveBuckets, nil, 0, 0) +
		histogram(t, ttr, search+`,window="90d"`, ResolveBuckets, nil, 0, 0)
	compare(t, s, expectedTTR, ttr)

	// Time to acknowledge by window of the acknowledged time, buckets
	// 60 120 300 600 900 ...:
	//   7d  {300, 120}          sum 420   count 2
	//   30d {300, 120, 600}     sum 1020  count 3
	//   90d {300, 120, 600, 60} sum 1080  count 4
	tta := "sre_incident_time_to_acknowledge_in_window_seconds"
	expectedTTA := helpTTAInWindow +
		histogram(t, tta, checkout+`,window="7d"`, AcknowledgeBuckets, []int{0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 420, 2) +
		histogram(t, tta, checkout+`,window="30d"`, AcknowledgeBuckets, []int{0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3}, 1020, 3) +
		histogram(t, tta, checkout+`,window="90d"`, AcknowledgeBuckets, []int{1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4}, 1080, 4) +
		histogram(t, tta, search+`,window="7d"`, AcknowledgeBuckets, nil, 0, 0) +
		histogram(t, tta, search+`,window="30d"`, AcknowledgeBuckets, nil, 0, 0) +
		histogram(t, tta, search+`,window="90d"`, AcknowledgeBuckets, nil, 0, 0)
	compare(t, s, expectedTTA, tta)

	// The cumulative histograms hold every incident once, whatever its age:
	// checkout TTR {7200, 14400, 1800} sum 23400, search TTR {3600};
	// checkout TTA {300, 600, 60, 120} sum 1080, search never acknowledged.
	compare(t, s, helpTTR+
		histogram(t, "sre_incident_time_to_resolve_seconds", checkout, ResolveBuckets, []int{0, 0, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3}, 23400, 3)+
		histogram(t, "sre_incident_time_to_resolve_seconds", search, ResolveBuckets, []int{0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 3600, 1)+
		helpTTA+
		histogram(t, "sre_incident_time_to_acknowledge_seconds", checkout, AcknowledgeBuckets, []int{1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4}, 1080, 4)+
		histogram(t, "sre_incident_time_to_acknowledge_seconds", search, AcknowledgeBuckets, nil, 0, 0),
		"sre_incident_time_to_resolve_seconds", "sre_incident_time_to_acknowledge_seconds")
}

// meanByWindow divides the windowed histogram's sum by its count for one
// label set, the way the dashboards compute MTTR and MTTA.
func meanByWindow(t *testing.T, s *snapshot.Snapshot, name, service string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, f := range s.Families() {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.Metric {
			var w, svc string
			for _, l := range m.Label {
				switch l.GetName() {
				case "window":
					w = l.GetValue()
				case "service":
					svc = l.GetValue()
				}
			}
			if svc == service && m.Histogram.GetSampleCount() > 0 {
				out[w] = m.Histogram.GetSampleSum() / float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

func TestMeanTimesToResolveAndAcknowledgeAreSumOverCountPerWindow(t *testing.T) {
	st := openStore(t)
	put(t, st, fixture()...)
	s := snap(t, st)

	// MTTR 7d = 2h = 7200; 30d = (2h + 4h) / 2 = 10800;
	// 90d = (2h + 4h + 30m) / 3 = 23400 / 3 = 7800.
	mttr := meanByWindow(t, s, "sre_incident_time_to_resolve_in_window_seconds", "checkout")
	// MTTA 7d = (5m + 2m) / 2 = 210; 30d = (5m + 2m + 10m) / 3 = 340;
	// 90d = (5m + 2m + 10m + 1m) / 4 = 1080 / 4 = 270.
	mtta := meanByWindow(t, s, "sre_incident_time_to_acknowledge_in_window_seconds", "checkout")
	for _, tc := range []struct {
		name string
		got  map[string]float64
		want map[string]float64
	}{
		{"MTTR", mttr, map[string]float64{"7d": 7200, "30d": 10800, "90d": 7800}},
		{"MTTA", mtta, map[string]float64{"7d": 210, "30d": 340, "90d": 270}},
	} {
		for w, want := range tc.want {
			if tc.got[w] != want {
				t.Errorf("%s %s = %v, want %v", tc.name, w, tc.got[w], want)
			}
		}
	}
	// Search's only incident was resolved 100 days ago: no MTTR in any window.
	if got := meanByWindow(t, s, "sre_incident_time_to_resolve_in_window_seconds", "search"); len(got) != 0 {
		t.Errorf("search MTTR = %v, want no window with incidents", got)
	}
}

func TestPutInsertsThenUpdatesInPlaceAndCountsOnce(t *testing.T) {
	st := openStore(t)
	opened := ago(3 * time.Hour)
	inc := Incident{ID: "X", Severity: "sev2", Service: "checkout", Team: "payments", Opened: opened}

	// Insert, the same again (unchanged), then acknowledged after 10m (changed).
	acked := inc
	acked.Acknowledged = opened.Add(10 * time.Minute)
	if got := put(t, st, inc, inc, acked); fmt.Sprint(got) != "[true false true]" {
		t.Errorf("Put reported changed = %v, want [true false true]", got)
	}
	// Resolved after 1h, then the resolved time corrected to 2h: the
	// counters keep the first time to resolve (3600), the windows show the
	// current one (7200).
	resolved := acked
	resolved.Resolved = opened.Add(time.Hour)
	corrected := acked
	corrected.Resolved = opened.Add(2 * time.Hour)
	put(t, st, resolved)
	put(t, st, corrected)

	s := snap(t, st)
	var n int
	if err := st.View(storeKey, func(tx *store.Tx) error { n = tx.CountRecords(recordKind); return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("stored incidents = %d, want 1", n)
	}
	compare(t, s,
		helpOpenedTotal+"sre_incidents_opened_total{"+checkout+"} 1\n"+
			helpResolvedTotal+"sre_incidents_resolved_total{"+checkout+"} 1\n"+
			helpOpen+"sre_incidents_open{"+checkout+"} 0\n"+
			helpTTR+histogram(t, "sre_incident_time_to_resolve_seconds", checkout, ResolveBuckets, []int{0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 3600, 1)+
			// TTA once: 600s, which falls in the 600 bucket.
			helpTTA+histogram(t, "sre_incident_time_to_acknowledge_seconds", checkout, AcknowledgeBuckets, []int{0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, 600, 1),
		"sre_incidents_opened_total", "sre_incidents_resolved_total", "sre_incidents_open",
		"sre_incident_time_to_resolve_seconds", "sre_incident_time_to_acknowledge_seconds")
	// The window shows the corrected 7200 in every window.
	if got := meanByWindow(t, s, "sre_incident_time_to_resolve_in_window_seconds", "checkout"); got["7d"] != 7200 || got["90d"] != 7200 {
		t.Errorf("windowed TTR = %v, want 7200 in every window", got)
	}
}

func TestAReopenedIncidentIsOpenAgainButStaysCountedAsResolvedOnce(t *testing.T) {
	st := openStore(t)
	opened := ago(5 * time.Hour)
	inc := Incident{ID: "R", Severity: "sev2", Service: "checkout", Team: "payments", Opened: opened, Resolved: opened.Add(time.Hour)}
	put(t, st, inc)
	inc.Resolved = time.Time{}
	put(t, st, inc)
	inc.Resolved = opened.Add(4 * time.Hour)
	put(t, st, inc)
	inc.Resolved = time.Time{}
	put(t, st, inc)

	// Resolved twice, reopened twice: open now, resolved_total 1, TTR once (3600).
	compare(t, snap(t, st),
		helpOpen+"sre_incidents_open{"+checkout+"} 1\n"+
			helpResolvedTotal+"sre_incidents_resolved_total{"+checkout+"} 1\n"+
			helpResolvedInWindow+windowed("sre_incidents_resolved_in_window", checkout, 0, 0, 0)+
			helpTTR+histogram(t, "sre_incident_time_to_resolve_seconds", checkout, ResolveBuckets, []int{0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 3600, 1),
		"sre_incidents_open", "sre_incidents_resolved_total", "sre_incidents_resolved_in_window", "sre_incident_time_to_resolve_seconds")
}

func TestARelabelledIncidentMovesInGaugesButCountersKeepTheFirstLabels(t *testing.T) {
	st := openStore(t)
	opened := ago(2 * day)
	first := Incident{ID: "L", Severity: "sev2", Service: "checkout", Team: "payments", Opened: opened}
	put(t, st, first)
	// Triage: it was a sev3 of search, owned by discovery; then resolved after 30m.
	moved := first
	moved.Severity, moved.Service, moved.Team = "sev3", "search", "discovery"
	moved.Resolved = opened.Add(30 * time.Minute)
	put(t, st, moved)

	s := snap(t, st)
	// Gauges and windows: only the current labels (checkout has no incident left).
	compare(t, s,
		helpOpen+"sre_incidents_open{"+search+"} 0\n"+
			helpOpenedInWindow+windowed("sre_incidents_opened_in_window", search, 1, 1, 1)+
			helpResolvedInWindow+windowed("sre_incidents_resolved_in_window", search, 1, 1, 1)+
			helpLastOpened+fmt.Sprintf("sre_incident_last_opened_timestamp_seconds{service=\"search\",source=\"test\",team=\"discovery\"} %d\n", opened.Unix()),
		"sre_incidents_open", "sre_incidents_opened_in_window", "sre_incidents_resolved_in_window", "sre_incident_last_opened_timestamp_seconds")
	// Counters: under the labels it was first counted with, including the
	// resolution that happened after the relabel (1800s, the 1800 bucket).
	compare(t, s,
		helpOpenedTotal+"sre_incidents_opened_total{"+checkout+"} 1\n"+
			helpResolvedTotal+"sre_incidents_resolved_total{"+checkout+"} 1\n"+
			helpTTR+histogram(t, "sre_incident_time_to_resolve_seconds", checkout, ResolveBuckets, []int{0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 1800, 1),
		"sre_incidents_opened_total", "sre_incidents_resolved_total", "sre_incident_time_to_resolve_seconds")
}

func TestDeleteRemovesAnIncidentFromGaugesAndWindowsOnly(t *testing.T) {
	st := openStore(t)
	opened := ago(day)
	put(t, st,
		Incident{ID: "keep", Severity: "sev2", Service: "checkout", Team: "payments", Opened: opened},
		Incident{ID: "gone", Severity: "sev2", Service: "checkout", Team: "payments", Opened: opened, Resolved: opened.Add(time.Hour)},
		Incident{ID: "gone-too", Severity: "sev3", Service: "search", Team: "discovery", Opened: opened})
	del(t, st, "gone")
	del(t, st, "gone-too")
	del(t, st, "never-existed") // not an error

	// Gauges: only "keep" (open) remains; search has no incident left at all.
	// Counters: all three opened, "gone" resolved.
	compare(t, snap(t, st),
		helpOpen+"sre_incidents_open{"+checkout+"} 1\n"+
			helpOpenedInWindow+windowed("sre_incidents_opened_in_window", checkout, 1, 1, 1)+
			helpResolvedInWindow+windowed("sre_incidents_resolved_in_window", checkout, 0, 0, 0)+
			helpOpenedTotal+"sre_incidents_opened_total{"+checkout+"} 2\nsre_incidents_opened_total{"+search+"} 1\n"+
			helpResolvedTotal+"sre_incidents_resolved_total{"+checkout+"} 1\nsre_incidents_resolved_total{"+search+"} 0\n",
		"sre_incidents_open", "sre_incidents_opened_in_window", "sre_incidents_resolved_in_window",
		"sre_incidents_opened_total", "sre_incidents_resolved_total")

	// Putting a deleted incident back does not count it again.
	put(t, st, Incident{ID: "gone", Severity: "sev2", Service: "checkout", Team: "payments", Opened: opened, Resolved: opened.Add(time.Hour)})
	compare(t, snap(t, st),
		helpOpenedTotal+"sre_incidents_opened_total{"+checkout+"} 2\nsre_incidents_opened_total{"+search+"} 1\n",
		"sre_incidents_opened_total")
}

func TestWindowEdges(t *testing.T) {
	// A window holds now-w < t <= now.
	for _, tc := range []struct {
		name          string
		opened        time.Time
		d7, d30, d90  float64
		wantLastSince bool
	}{
		{"an incident opened exactly 7 days ago is outside 7d but inside 30d", ago(7 * day), 0, 1, 1, true},
		{"an incident opened 7 days minus a second ago is inside 7d", ago(7*day - time.Second), 1, 1, 1, true},
		{"an incident opened exactly 30 days ago is only inside 90d", ago(30 * day), 0, 0, 1, true},
		{"an incident opened exactly 90 days ago is in no window", ago(90 * day), 0, 0, 0, true},
		{"an incident opened 90 days minus a second ago is inside 90d", ago(90*day - time.Second), 0, 0, 1, true},
		{"an incident opened exactly now is inside every window", now, 1, 1, 1, true},
		{"an incident opened a second in the future is in no window", now.Add(time.Second), 0, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			put(t, st, Incident{ID: "W", Severity: "sev2", Service: "checkout", Team: "payments", Opened: tc.opened})
			expected := helpOpenedInWindow + windowed("sre_incidents_opened_in_window", checkout, tc.d7, tc.d30, tc.d90)
			compare(t, snap(t, st), expected, "sre_incidents_opened_in_window")
		})
	}

	t.Run("resolution and acknowledgement windows use the resolved and acknowledged times", func(t *testing.T) {
		st := openStore(t)
		// Opened 8 days ago; acknowledged 7d-1s ago (inside 7d);
		// resolved exactly 7d ago (outside 7d): TTA = 8d - (7d-1s) = 1d+1s = 86401, TTR = 1d = 86400.
		opened := ago(8 * day)
		put(t, st, Incident{ID: "W", Severity: "sev2", Service: "checkout", Team: "payments",
			Opened: opened, Acknowledged: ago(7*day - time.Second), Resolved: ago(7 * day)})
		s := snap(t, st)
		compare(t, s, helpResolvedInWindow+windowed("sre_incidents_resolved_in_window", checkout, 0, 1, 1), "sre_incidents_resolved_in_window")
		if got := meanByWindow(t, s, "sre_incident_time_to_resolve_in_window_seconds", "checkout"); fmt.Sprint(got) != "map[30d:86400 90d:86400]" {
			t.Errorf("TTR by window = %v, want 30d and 90d only, 86400", got)
		}
		if got := meanByWindow(t, s, "sre_incident_time_to_acknowledge_in_window_seconds", "checkout"); fmt.Sprint(got) != "map[30d:86401 7d:86401 90d:86401]" {
			t.Errorf("TTA by window = %v, want 86401 in every window", got)
		}
	})
}

func TestActionItemsOpenDoneAndOverdue(t *testing.T) {
	st := openStore(t)
	opened := ago(10 * day)
	put(t, st,
		Incident{ID: "P", Severity: "sev2", Service: "checkout", Team: "payments", Opened: opened, Resolved: opened.Add(time.Hour), Postmortem: "PM-7",
			ActionItems: []ActionItem{
				{Done: true, Due: ago(5 * day)},  // done, even though past due: not overdue
				{Done: false, Due: ago(day)},     // open and past due: overdue
				{Done: false, Due: now},          // due exactly now: not yet overdue
				{Done: false, Due: now.Add(day)}, // due tomorrow
				{Done: false},                    // no due date: never overdue
				{Done: true},                     // done
			}},
		// Only done items: no overdue series for this label set.
		Incident{ID: "Q", Severity: "sev3", Service: "search", Team: "discovery", Opened: opened, Resolved: opened.Add(time.Hour),
			ActionItems: []ActionItem{{Done: true, Due: ago(day)}}},
	)
	// checkout: open 4, done 2, overdue 1. search: done 1.
	compare(t, snap(t, st),
		helpActionItems+
			// Labels in sorted order: state comes before team.
			`sre_postmortem_action_items{service="checkout",severity="sev2",source="test",state="open",team="payments"} 4`+"\n"+
			`sre_postmortem_action_items{service="checkout",severity="sev2",source="test",state="done",team="payments"} 2`+"\n"+
			`sre_postmortem_action_items{service="search",severity="sev3",source="test",state="done",team="discovery"} 1`+"\n"+
			helpOverdue+"sre_postmortem_action_items_overdue{"+checkout+"} 1\n",
		"sre_postmortem_action_items", "sre_postmortem_action_items_overdue")
}

func TestEmptyStoreGivesAnEmptySnapshot(t *testing.T) {
	st := openStore(t)
	if n := snap(t, st).Series(); n != 0 {
		t.Errorf("series = %d, want 0", n)
	}
}

func TestIDsListsTheStoredIncidents(t *testing.T) {
	st := openStore(t)
	put(t, st, fixture()...)
	del(t, st, "C")
	var ids map[string]bool
	if err := st.View(storeKey, func(tx *store.Tx) (err error) { ids, err = IDs(tx); return err }); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ids); got != "map[A:true B:true D:true E:true]" {
		t.Errorf("IDs = %s", got)
	}
}

func TestSnapshotAddsTheSourcesExtraMetrics(t *testing.T) {
	st := openStore(t)
	s, err := Snapshot(st, storeKey, "test", now, nil, func(tx *store.Tx, b *snapshot.Builder) error {
		b.Gauge(metrics.Custom("sre_test_extra", metrics.Gauge, "Extra.", nil), 3)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, s, "# HELP sre_test_extra Extra.\n# TYPE sre_test_extra gauge\nsre_test_extra 3\n", "sre_test_extra")
}

func TestEmptyLabelsBecomeUnknown(t *testing.T) {
	st := openStore(t)
	put(t, st, Incident{ID: "U", Opened: ago(time.Hour)})
	compare(t, snap(t, st),
		helpOpen+`sre_incidents_open{service="unknown",severity="unknown",source="test",team="unknown"} 1`+"\n",
		"sre_incidents_open")
}

func TestNormaliseSeverity(t *testing.T) {
	explicit := map[string]string{"Urgent": "sev1", "whenever": "sev5"}
	for _, tc := range []struct {
		name, in string
		explicit map[string]string
		want     string
	}{
		{"sev1 stays sev1", "sev1", nil, "sev1"},
		{"upper case SEV-2 is sev2", "SEV-2", nil, "sev2"},
		{"S3 is sev3", "S3", nil, "sev3"},
		{"P1 is sev1", "P1", nil, "sev1"},
		{"P0 is sev1 (there is nothing above it)", "P0", nil, "sev1"},
		{"sev 0 with a space is sev1", "sev 0", nil, "sev1"},
		{"Severity_4 is sev4", "Severity_4", nil, "sev4"},
		{"Critical is sev1", "Critical", nil, "sev1"},
		{"Highest (Jira priority) is sev1", "Highest", nil, "sev1"},
		{"High is sev2", "High", nil, "sev2"},
		{"Major is sev2", "Major", nil, "sev2"},
		{"Medium is sev3", "Medium", nil, "sev3"},
		{"Minor is sev4", "Minor", nil, "sev4"},
		{"Lowest is sev5", "Lowest", nil, "sev5"},
		{"Informational is sev5", "Informational", nil, "sev5"},
		{"surrounding spaces are ignored", "  sev4 ", nil, "sev4"},
		{"an empty value is unknown", "", nil, "unknown"},
		{"sev6 is unknown", "sev6", nil, "unknown"},
		{"free text is unknown", "pretty bad", nil, "unknown"},
		{"the explicit map wins for an exact key", "Urgent", explicit, "sev1"},
		{"the explicit map matches lower-cased and trimmed values", " Whenever ", explicit, "sev5"},
		{"the explicit map overrides a built-in spelling", "High", map[string]string{"high": "sev1"}, "sev1"},
		{"values missing from the explicit map fall back to the built-in table", "P2", explicit, "sev2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NormaliseSeverity(tc.in, tc.explicit); got != tc.want {
				t.Errorf("NormaliseSeverity(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	opened := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		inc  Incident
		want string
	}{
		{"a complete timeline is valid", Incident{ID: "A", Opened: opened, Acknowledged: opened.Add(time.Minute), Resolved: opened.Add(time.Hour)}, ""},
		{"an open incident is valid", Incident{ID: "A", Opened: opened}, ""},
		{"resolved at the moment it opened is valid", Incident{ID: "A", Opened: opened, Resolved: opened}, ""},
		{"resolved without acknowledgement is valid", Incident{ID: "A", Opened: opened, Resolved: opened.Add(time.Hour)}, ""},
		{"acknowledged after resolution is valid (late ack)", Incident{ID: "A", Opened: opened, Acknowledged: opened.Add(2 * time.Hour), Resolved: opened.Add(time.Hour)}, ""},
		{"an incident without id is refused", Incident{Opened: opened}, "incident has no id"},
		{"an incident without opened time is refused", Incident{ID: "A"}, "incident A has no opened time"},
		{"acknowledged before opened is refused", Incident{ID: "A", Opened: opened, Acknowledged: opened.Add(-time.Minute)},
			"incident A: acknowledged 2025-06-01T09:59:00Z is before opened 2025-06-01T10:00:00Z"},
		{"resolved before opened is refused", Incident{ID: "A", Opened: opened, Resolved: opened.Add(-time.Hour)},
			"incident A: resolved 2025-06-01T09:00:00Z is before opened 2025-06-01T10:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.inc.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Validate() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPutRefusesAnInvalidIncidentAndStoresNothing(t *testing.T) {
	st := openStore(t)
	err := st.Update(storeKey, func(tx *store.Tx) error {
		_, err := Put(tx, Incident{ID: "bad", Opened: now, Resolved: now.Add(-time.Minute)})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "incident bad: resolved 2025-06-30T11:59:00Z is before opened 2025-06-30T12:00:00Z") {
		t.Fatalf("Put error = %v", err)
	}
	if n := snap(t, st).Series(); n != 0 {
		t.Errorf("series = %d, want 0", n)
	}
}

func TestTimeToResolveAndAcknowledge(t *testing.T) {
	opened := ago(time.Hour)
	inc := Incident{ID: "T", Opened: opened}
	if _, ok := inc.TimeToResolve(); ok || !inc.IsOpen() {
		t.Error("an open incident has no time to resolve")
	}
	if _, ok := inc.TimeToAcknowledge(); ok {
		t.Error("an unacknowledged incident has no time to acknowledge")
	}
	inc.Acknowledged, inc.Resolved = opened.Add(90*time.Second), opened.Add(45*time.Minute)
	if d, ok := inc.TimeToResolve(); !ok || d != 45*time.Minute || inc.IsOpen() {
		t.Errorf("TimeToResolve = %v, %v; want 45m", d, ok)
	}
	if d, ok := inc.TimeToAcknowledge(); !ok || d != 90*time.Second {
		t.Errorf("TimeToAcknowledge = %v, %v; want 1m30s", d, ok)
	}
}

// The catalog's bucket bounds, spelled out so a change to them is noticed.
var (
	ResolveBuckets     = []float64{300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 345600, 604800, 1209600, 2419200}
	AcknowledgeBuckets = []float64{60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400}
)

func TestTheBucketsAreTheCatalogs(t *testing.T) {
	if !slices.Equal(ResolveBuckets, metrics.IncidentTimeToResolve.Buckets) || !slices.Equal(AcknowledgeBuckets, metrics.IncidentTimeToAcknowledge.Buckets) {
		t.Error("the incident histograms' buckets changed; update the dashboards' and this test's expectations")
	}
}

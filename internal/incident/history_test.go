package incident

import (
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

// TestHistoryShowsTheIncidentsAsTheyWereAtAPastInstant checks a past
// instant against values worked out by hand: A opened day 10, resolved day
// 12 (2 days to resolve); B opened day 11, acknowledged day 11 + 1h,
// resolved day 20; C opened day 15 and deleted since. At day 13 (t):
// A and B exist; A resolved, B open and acknowledged; C does not exist
// yet, but it was counted and its opening time is gone with it, so the
// counter counts it from the first instant.
func TestHistoryShowsTheIncidentsAsTheyWereAtAPastInstant(t *testing.T) {
	st := openStore(t)
	base := now.Add(-30 * day)
	at := func(d int) time.Time { return base.Add(time.Duration(d) * day) }
	put(t, st,
		Incident{ID: "A", Severity: "sev1", Service: "api", Team: "core", Opened: at(10), Resolved: at(12)},
		Incident{ID: "B", Severity: "sev1", Service: "api", Team: "core", Opened: at(11), Acknowledged: at(11).Add(time.Hour), Resolved: at(20)},
		Incident{ID: "C", Severity: "sev1", Service: "api", Team: "core", Opened: at(15)},
	)
	del(t, st, "C")
	h, err := LoadHistory(st, storeKey, "test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := h.SnapshotAt(at(13))
	if err != nil {
		t.Fatal(err)
	}
	compare(t, s, `
# HELP sre_incidents_open Incidents open now, by severity, service and team.
# TYPE sre_incidents_open gauge
sre_incidents_open{service="api",severity="sev1",source="test",team="core"} 1
# HELP sre_incidents_opened_total Incidents opened, counted once when first seen, under the labels they had then.
# TYPE sre_incidents_opened_total counter
sre_incidents_opened_total{service="api",severity="sev1",source="test",team="core"} 3
# HELP sre_incidents_resolved_total Incidents resolved, counted once when first seen resolved.
# TYPE sre_incidents_resolved_total counter
sre_incidents_resolved_total{service="api",severity="sev1",source="test",team="core"} 1
`, "sre_incidents_open", "sre_incidents_opened_total", "sre_incidents_resolved_total")
	// The 7-day windows ending at day 13: A opened and resolved, B opened.
	compare(t, s, `
# HELP sre_incidents_resolved_in_window Incidents resolved in the window, by current severity, service and team (exact, from the store).
# TYPE sre_incidents_resolved_in_window gauge
sre_incidents_resolved_in_window{service="api",severity="sev1",source="test",team="core",window="30d"} 1
sre_incidents_resolved_in_window{service="api",severity="sev1",source="test",team="core",window="7d"} 1
sre_incidents_resolved_in_window{service="api",severity="sev1",source="test",team="core",window="90d"} 1
`, "sre_incidents_resolved_in_window")
	ttr, ok := histogramSum(s, "sre_incident_time_to_resolve_in_window_seconds", "7d")
	if !ok || ttr != (2*day).Seconds() {
		t.Errorf("time to resolve in the 7d window at day 13 = %v (%v), want 2 days: only A was resolved", ttr, ok)
	}
	// Before any incident, nothing exists but C's counted opening.
	s, err = h.SnapshotAt(at(5))
	if err != nil {
		t.Fatal(err)
	}
	compare(t, s, `
# HELP sre_incidents_opened_total Incidents opened, counted once when first seen, under the labels they had then.
# TYPE sre_incidents_opened_total counter
sre_incidents_opened_total{service="api",severity="sev1",source="test",team="core"} 1
`, "sre_incidents_open", "sre_incidents_opened_total")
}

func histogramSum(s *snapshot.Snapshot, name, window string) (float64, bool) {
	for _, f := range s.Families() {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "window" && l.GetValue() == window {
					return m.GetHistogram().GetSampleSum(), true
				}
			}
		}
	}
	return 0, false
}

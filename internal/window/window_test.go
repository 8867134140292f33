package window

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

func TestSumsCountEventsInsideEachWindowOnly(t *testing.T) {
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	s := NewSum(now, metrics.Custom("sre_test_attendees_in_window", metrics.Gauge, "Attendees.", []string{"team", "window"}))
	s.Add(now, 1, "team", "a")                           // now itself: in every window
	s.Add(now.Add(-7*day), 10, "team", "a")              // exactly 7d ago: outside 7d, inside 30d and 90d
	s.Add(now.Add(-7*day+time.Second), 100, "team", "a") // just inside 7d
	s.Add(now.Add(-90*day), 1000, "team", "a")           // exactly 90d ago: outside every window
	s.Add(now.Add(time.Hour), 5000, "team", "a")         // future-dated: outside every window
	s.Touch("team", "b")                                 // known but idle: zeros
	b := snapshot.NewBuilder()
	s.Emit(b)
	snap, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := `# HELP sre_test_attendees_in_window Attendees.
# TYPE sre_test_attendees_in_window gauge
sre_test_attendees_in_window{team="a",window="30d"} 111
sre_test_attendees_in_window{team="a",window="7d"} 101
sre_test_attendees_in_window{team="a",window="90d"} 111
sre_test_attendees_in_window{team="b",window="30d"} 0
sre_test_attendees_in_window{team="b",window="7d"} 0
sre_test_attendees_in_window{team="b",window="90d"} 0
`
	if err := testutil.GatherAndCompare(snap, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

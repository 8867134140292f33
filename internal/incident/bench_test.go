package incident

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/store"
)

// benchIncidents stores n incidents spread over 180 days: 12 services,
// 4 severities, most resolved and acknowledged, a few with action items.
func benchIncidents(b *testing.B, n int) *store.Store {
	st, err := store.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	const batch = 5000
	for start := 0; start < n; start += batch {
		err := st.Update(storeKey, func(tx *store.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				opened := now.Add(-time.Duration(i%(180*24)) * time.Hour).Add(-time.Duration(i%3600) * time.Second)
				inc := Incident{
					ID:       fmt.Sprintf("INC-%07d", i),
					Severity: fmt.Sprintf("sev%d", 1+i%4),
					Service:  fmt.Sprintf("service-%d", i%12),
					Team:     fmt.Sprintf("team-%d", i%6),
					Opened:   opened,
					Updated:  opened,
				}
				if i%10 != 0 {
					inc.Acknowledged = opened.Add(time.Duration(60+i%1800) * time.Second)
				}
				if i%20 != 0 {
					inc.Resolved = opened.Add(time.Duration(600+i%86400) * time.Second)
				}
				if i%7 == 0 {
					inc.Postmortem = "https://wiki.example.com/pm/" + inc.ID
					inc.ActionItems = []ActionItem{{Done: true}, {Due: opened.Add(14 * 24 * time.Hour)}}
				}
				if _, err := Put(tx, inc); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// BenchmarkSnapshot is a refresh's metric computation from the store.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("incidents=%d", n), func(b *testing.B) {
			st := benchIncidents(b, n)
			var series int
			for b.Loop() {
				s, err := Snapshot(st, storeKey, "bench", now, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				series = s.Series()
			}
			b.ReportMetric(float64(series), "series")
		})
	}
}

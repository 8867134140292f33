package backfill

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	_ "github.com/sre-value/sre-value-exporter/collectors/all"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/exporter"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/scheduler"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// demoNow is just after the demo's last day, as in the exporter's tests.
var demoNow = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// demoInstances syncs a copy of the demo into a fresh store.
func demoInstances(t testing.TB) (string, *store.Store, []scheduler.Instance) {
	t.Helper()
	dir := t.TempDir()
	copyDir(t, filepath.Join("..", "..", "examples", "demo"), filepath.Join(dir, "demo"))
	st, err := store.Open(filepath.Join(dir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := filepath.Join(dir, "demo", "config.yml")
	_, instances, err := exporter.Load(cfg, st, slog.New(slog.DiscardHandler), func(string) bool { return true }, nil, func() time.Time { return demoNow })
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range instances {
		if err := inst.Collector.Sync(context.Background()); err != nil {
			t.Fatalf("%s: %v", inst.Name, err)
		}
	}
	return cfg, st, instances
}

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// historical renders the Historical families of s.
func historical(t *testing.T, s *snapshot.Snapshot) string {
	t.Helper()
	var b strings.Builder
	for _, f := range s.Families() {
		if fam, ok := metrics.Lookup(f.GetName()); !ok || !fam.Historical {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestThePresentOfTheHistoryIsTheLiveSnapshot: at the present instant, on
// records nobody edited, every collector's past snapshot has exactly the
// historical series and values of its live snapshot, so history and live
// data join without a step.
func TestThePresentOfTheHistoryIsTheLiveSnapshot(t *testing.T) {
	_, _, instances := demoInstances(t)
	historians := 0
	for _, inst := range instances {
		h, ok := inst.Collector.(collectors.Historian)
		if !ok {
			continue
		}
		historians++
		hist, err := h.History()
		if err != nil {
			t.Fatal(err)
		}
		live, err := inst.Collector.Snapshot(demoNow)
		if err != nil {
			t.Fatal(err)
		}
		past, err := hist.SnapshotAt(demoNow)
		if err != nil {
			t.Fatal(err)
		}
		want, got := historical(t, live), historical(t, past)
		if want == "" {
			t.Errorf("%s: no historical families live", inst.Name)
		}
		if got != want {
			t.Errorf("%s: the history at the present differs from the live snapshot:\n%s", inst.Name, firstDiff(want, got))
		}
	}
	if historians != 4 {
		t.Errorf("%d demo collectors can backfill, want 4 (records, incidents, wiki, Slack)", historians)
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "live: " + a + "\npast: " + b
		}
	}
	return ""
}

package grafana

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance/dashboard"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// benchDashboards stores n dashboards (alternating compliant and legacy)
// straight into the store, as syncs would.
func benchDashboards(b *testing.B, h *harness, n int) int {
	good, _ := os.ReadFile("testdata/compliant.json")
	legacy, _ := os.ReadFile("testdata/legacy.json")
	total := 0
	err := h.st.Update(h.c.deps.StoreKey(), func(tx *store.Tx) error {
		for i := range n {
			src := good
			if i%2 == 1 {
				src = legacy
			}
			doc, err := dashboard.Parse(src, dashboard.Meta{Folder: "Payments"})
			if err != nil {
				return err
			}
			r := &record{Hash: "h", Fetched: now, Created: now.Add(-time.Duration(i) * time.Hour), Folder: "Payments", Doc: doc}
			data, err := r.encode()
			if err != nil {
				return err
			}
			total += len(data)
			if err := put(tx, fmt.Sprintf("uid-%05d", i), r); err != nil {
				return err
			}
		}
		return tx.SetCursor(cursorFolders, `["Payments"]`)
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}

// BenchmarkSnapshot re-checks 1000 stored dashboards against the built-in
// templates, as every snapshot does.
func BenchmarkSnapshot(b *testing.B) {
	h := newHarness(b)
	if err := h.build("    files: d/*.json\n"); err != nil {
		b.Fatal(err)
	}
	size := benchDashboards(b, h, 1000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.c.Snapshot(now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)/1000, "stored-bytes/dashboard")
	if !strings.Contains(strings.Join(h.c.Notes(), "\n"), "more format findings") {
		b.Fatal("no findings: the benchmark checks nothing")
	}
}

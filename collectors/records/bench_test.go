package records

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// eventRows writes n event rows spread over the 180 days before now, over
// every default kind and eight teams plus org-wide events.
func eventRows(n, variant int) string {
	teams := []string{"", "payments", "search", "checkout", "identity", "data", "mobile", "web", "platform"}
	var b strings.Builder
	b.WriteString("date,kind,title,team,attendees,questions,topics,recorded\n")
	for i := range n {
		date := now.Add(-time.Duration(i%180) * 24 * time.Hour).Format("2006-01-02")
		attendees := 5 + (i*7)%40
		if i == 0 {
			attendees += variant // one corrected row, to measure a changed sync
		}
		fmt.Fprintf(&b, "%s,%s,Session %d,%s,%d,%d,slo;alerts,%v\n",
			date, defaultEventKinds[i%len(defaultEventKinds)], i, teams[i%len(teams)], attendees, i%5, i%3 == 0)
	}
	return b.String()
}

func benchCollector(b *testing.B, dir string, st *store.Store) *Collector {
	b.Helper()
	cfg, err := config.Parse(filepath.Join(dir, "config.yml"), []byte("collectors:\n  - kind: records\n    name: bench\n    tables:\n      - {type: events, source: events.csv}\n"))
	if err != nil {
		b.Fatal(err)
	}
	c, err := New(collectors.Deps{
		Config: cfg.Collectors[0], Decoder: cfg.Decoder(), BaseDir: dir, Catalog: &catalog.Catalog{},
		Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now },
	})
	if err != nil {
		b.Fatal(err)
	}
	return c.(*Collector)
}

func refresh(b *testing.B, c *Collector) {
	if err := c.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	s, err := c.Snapshot(now)
	if err != nil {
		b.Fatal(err)
	}
	if s.Series() == 0 {
		b.Fatal("empty snapshot")
	}
}

// BenchmarkRecordsRefresh100k is one refresh (Sync + Snapshot) of an events
// table of 100,000 rows: into an empty store, after one row changed, and
// with the file unchanged (not parsed; the snapshot still reads every row).
func BenchmarkRecordsRefresh100k(b *testing.B) {
	const rows = 100_000
	dir := b.TempDir()
	path := filepath.Join(dir, "events.csv")
	variants := []string{eventRows(rows, 0), eventRows(rows, 1)}
	if err := os.WriteFile(path, []byte(variants[0]), 0o644); err != nil {
		b.Fatal(err)
	}

	b.Run("first-sync", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			st, err := store.Open(filepath.Join(b.TempDir(), fmt.Sprintf("s%d.db", i)))
			if err != nil {
				b.Fatal(err)
			}
			c := benchCollector(b, dir, st)
			b.StartTimer()
			refresh(b, c)
			b.StopTimer()
			st.Close()
			b.StartTimer()
		}
	})

	st, err := store.Open(filepath.Join(b.TempDir(), "s.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	c := benchCollector(b, dir, st)
	refresh(b, c)

	b.Run("one-row-changed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			if err := os.WriteFile(path, []byte(variants[(i+1)%2]), 0o644); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			refresh(b, c)
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			refresh(b, c)
		}
	})
}

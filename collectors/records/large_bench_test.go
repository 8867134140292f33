package records

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// largeRows is the table of the issue: about 2.4M rows in 60 MB, under the
// 64 MiB source limit.
const largeRows = 2_400_000

// writeLargeTable writes n narrow custom-table rows (about 25 bytes each).
func writeLargeTable(b *testing.B, path string, n int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	teams := []string{"payments", "search", "checkout", "identity", "data", "mobile", "web", "platform"}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "date,team,count")
	for i := range n {
		fmt.Fprintf(w, "%s,%s,%d\n", now.Add(-time.Duration(i%365)*24*time.Hour).Format("2006-01-02"), teams[i%len(teams)], i%97)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}

// largeConfig is the records config of the large table; extra is added to
// the table's settings.
func largeConfig(extra string) string {
	return "collectors:\n  - kind: records\n    name: large\n    tables:\n      - type: custom\n        name: large\n        source: large.csv\n" + extra +
		"        metrics:\n          - {name: sre_large_things_total, type: counter, value_column: count, date_column: date, labels: [{label: team, column: team}]}\n"
}

func largeCollector(b *testing.B, dir, yml string, st *store.Store) *Collector {
	b.Helper()
	cfg, err := config.Parse(filepath.Join(dir, "config.yml"), []byte(yml))
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

// BenchmarkRecordsRefreshLarge is one refresh of the 60 MB,
// 2.4M-row table into an empty store, with the refresh timeout of the
// issue (15s) and with none. It reports the store size and the Go heap
// high-water mark seen by a sampler; run the test binary under
// /usr/bin/time -v for the process's peak RSS.
func BenchmarkRecordsRefreshLarge(b *testing.B) {
	// BENCH_BATCH_ROWS tries another batch size, to weigh memory against time.
	if v, err := strconv.Atoi(os.Getenv("BENCH_BATCH_ROWS")); err == nil && v > 0 {
		defer func(n int) { batchRows = n }(batchRows)
		batchRows = v
	}
	dir := b.TempDir()
	writeLargeTable(b, filepath.Join(dir, "large.csv"), largeRows)
	info, _ := os.Stat(filepath.Join(dir, "large.csv"))
	b.Logf("table: %d rows, %d bytes", largeRows, info.Size())
	for _, bc := range []struct {
		name    string
		timeout time.Duration
		extra   string
	}{
		{"timeout-15s", 15 * time.Second, largeExtra},
		{"no-timeout", 0, largeExtra},
		// The default max_rows (1M) refuses the table.
		{"default-max-rows", 15 * time.Second, ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var storeBytes int64
			var peak uint64
			var failed int
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), fmt.Sprintf("s%d.db", i))
				st, err := store.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				c := largeCollector(b, dir, largeConfig(bc.extra), st)
				stop := sampleHeap(&peak)
				b.StartTimer()
				ctx := context.Background()
				if bc.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, bc.timeout)
					defer cancel()
				}
				start := time.Now()
				err = c.Sync(ctx)
				b.Logf("sync took %s, err: %v", time.Since(start).Round(time.Millisecond), truncateForLog(err))
				if err != nil {
					failed++
				}
				b.StopTimer()
				stop()
				st.Close()
				if fi, err := os.Stat(path); err == nil {
					storeBytes = fi.Size()
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(storeBytes)/(1<<20), "store-MiB")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(failed), "failed-syncs")
		})
	}
}

func truncateForLog(err error) string {
	if err == nil {
		return "<nil>"
	}
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// sampleHeap records the largest HeapInuse+StackInuse seen every 50ms
// until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if v := m.HeapInuse + m.StackInuse; v > *peak {
				*peak = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// largeExtra lifts the row cap above the table's size.
const largeExtra = "        max_rows: 3000000\n"

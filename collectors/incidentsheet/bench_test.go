package incidentsheet

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const benchRows = 100_000

// benchSheet is a sheet of n incidents over 12 services and 4 severities,
// opened one every 10 minutes back from now.
func benchSheet(n int) string {
	var b strings.Builder
	b.WriteString("id,title,severity,service,team,opened,acknowledged,resolved,postmortem\n")
	services := []string{"checkout-api", "search-api", "Checkout API"}
	for i := 0; i < n; i++ {
		opened := now.Add(-time.Duration(i) * 10 * time.Minute)
		resolved := ""
		if i%10 != 0 {
			resolved = opened.Add(time.Duration(1+i%300) * time.Minute).Format(time.RFC3339)
		}
		fmt.Fprintf(&b, "INC-%d,Incident %d,sev%d,%s,,%s,%s,%s,%s\n", i, i, 1+i%4, services[i%len(services)],
			opened.Format(time.RFC3339), opened.Add(time.Duration(1+i%30)*time.Minute).Format(time.RFC3339), resolved,
			map[bool]string{true: "PM-" + fmt.Sprint(i)}[i%3 == 0])
	}
	return b.String()
}

// BenchmarkSyncFile reads a 100k-row sheet into an empty store. It
// reports the Go heap's high-water mark during the syncs, sampled.
func BenchmarkSyncFile(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "incidents.csv"), []byte(benchSheet(benchRows)), 0o644); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, dir, "source: incidents.csv")
		c := e.collector()
		stop := sampleHeap(&peak)
		b.StartTimer()
		if err := c.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		stop()
		b.StartTimer()
	}
	b.ReportMetric(benchRows, "incidents/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// sampleHeap records the largest HeapInuse seen every 20ms until stop.
func sampleHeap(peak *uint64) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// BenchmarkSyncURL reads a 100k-row published sheet, then syncs again
// unchanged: one request each, the second a 304 without a body.
func BenchmarkSyncURL(b *testing.B) {
	body := benchSheet(benchRows)
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	var syncs int64
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, b.TempDir(), "source: "+srv.URL+"/pub?output=csv")
		c := e.collector()
		b.StartTimer()
		for range 2 {
			if err := c.Sync(context.Background()); err != nil {
				b.Fatal(err)
			}
			syncs++
		}
	}
	b.ReportMetric(float64(requests.Load())/float64(syncs), "requests/sync")
}

// BenchmarkSnapshot is the refresh path: metrics from 100k stored incidents.
func BenchmarkSnapshot(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "incidents.csv"), []byte(benchSheet(benchRows)), 0o644); err != nil {
		b.Fatal(err)
	}
	e := newEnv(b, dir, "source: incidents.csv")
	c := e.collector()
	if err := c.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	var series int
	for b.Loop() {
		s, err := c.Snapshot(now)
		if err != nil {
			b.Fatal(err)
		}
		series = s.Series()
	}
	b.ReportMetric(float64(series), "series")
}

package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/scheduler"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

type fixedSource struct{ r *snapshot.Rendered }

func (f fixedSource) Statuses() []scheduler.Status { return nil }
func (f fixedSource) Ready() bool                  { return true }
func (f fixedSource) Rendered() *snapshot.Rendered { return f.r }
func (f fixedSource) Published() *scheduler.Published {
	return &scheduler.Published{Current: snapshot.Empty}
}

// buildSnapshot makes n series shaped like the incident figures: a few
// families, bounded labels, a window label.
func buildSnapshot(tb testing.TB, n int) *snapshot.Snapshot {
	b := snapshot.NewBuilder()
	windows := []string{"7d", "30d", "90d"}
	families := make([]*metrics.Family, 10)
	for i := range families {
		families[i] = metrics.Custom(fmt.Sprintf("sre_bench_family_%d", i), metrics.Gauge, "Benchmark series.", []string{"team", "service", "window"})
	}
	for i := 0; i < n; i++ {
		b.Gauge(families[i%10], float64(i),
			"team", fmt.Sprintf("team-%d", i/30%100), "service", fmt.Sprintf("service-%d", i/3), "window", windows[i%3])
	}
	s, err := b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkScrape measures one /metrics request served from the snapshot
// rendered at refresh time, with the exporter's own metrics gathered live.
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		snap := buildSnapshot(b, n)
		rendered, err := snap.Render()
		if err != nil {
			b.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		h := Handler(Options{TelemetryPath: "/metrics", Self: reg, Source: fixedSource{rendered}, MaxRequests: 40, Logger: slog.New(slog.DiscardHandler)})
		// MaxRequests as by default, so the cap is part of what is measured.
		// The floor: a server that only copies the same gzip bytes.
		b.Run(fmt.Sprintf("series=%d/encoding=gzip-bytecopy", n), func(b *testing.B) {
			copyOnly := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", string(textFormat))
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(rendered.Gzip)
			})
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			b.ReportAllocs()
			b.SetBytes(int64(len(rendered.Text)))
			for b.Loop() {
				copyOnly.ServeHTTP(&discard{h: http.Header{}}, req)
			}
		})
		for _, enc := range []string{"identity", "gzip"} {
			b.Run(fmt.Sprintf("series=%d/encoding=%s", n, enc), func(b *testing.B) {
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				req.Header.Set("Accept-Encoding", enc)
				b.ReportAllocs()
				b.SetBytes(int64(len(rendered.Text)))
				for b.Loop() {
					h.ServeHTTP(&discard{h: http.Header{}}, req)
				}
			})
		}
	}
}

// BenchmarkRenderAtRefresh is the cost paid once per refresh instead of
// per scrape: merging in the collector label and rendering text and gzip.
func BenchmarkRenderAtRefresh(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		snap := buildSnapshot(b, n)
		b.Run(fmt.Sprintf("series=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m, err := snapshot.Merge([]snapshot.Source{{Snapshot: snap, LabelName: "collector", LabelValue: "bench"}})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := m.Render(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLandingPage is a view of the landing page over the demo with
// its scorecard cached (computed on the first view after each publish).
func BenchmarkLandingPage(b *testing.B) {
	h := demoHandler(b)
	for _, path := range []string{"/", "/?team=payments"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				if rec := get(h, http.MethodGet, path); rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, rec.Code)
				}
			}
		})
	}
}

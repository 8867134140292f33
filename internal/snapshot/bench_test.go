package snapshot

import (
	"fmt"
	"testing"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

// benchSources are n collectors of perCollector series each, shaped like the
// incident figures (a window label and a histogram family).
func benchSources(b *testing.B, n, perCollector int) []Source {
	gauge := metrics.Custom("sre_bench_in_window", metrics.Gauge, "Bench.", []string{"service", "team", "window"})
	hist := metrics.Custom("sre_bench_seconds", metrics.Histogram, "Bench.", []string{"service", "team", "window"})
	windows := []string{"7d", "30d", "90d"}
	var out []Source
	for c := range n {
		bl := NewBuilder()
		for i := range perCollector {
			labels := []string{"service", fmt.Sprintf("service-%d", i/3), "team", fmt.Sprintf("team-%d", i%7), "window", windows[i%3]}
			if i%10 == 0 {
				h := NewHistogram([]float64{60, 300, 3600})
				h.Observe(float64(i))
				bl.Histogram(hist, h, labels...)
			} else {
				bl.Gauge(gauge, float64(i), labels...)
			}
		}
		s, err := bl.Build()
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, Source{Snapshot: s, LabelName: metrics.CollectorLabel, LabelValue: fmt.Sprintf("collector-%d", c)})
	}
	return out
}

// BenchmarkMerge is what every refresh pays to publish: label one
// collector's snapshot, then merge all collectors' into one.
func BenchmarkMerge(b *testing.B) {
	sources := benchSources(b, 4, 25_000)
	for b.Loop() {
		labelled := make([]Source, len(sources))
		for i, src := range sources {
			s, err := Merge([]Source{src})
			if err != nil {
				b.Fatal(err)
			}
			labelled[i] = Source{Snapshot: s}
		}
		if _, err := Merge(labelled); err != nil {
			b.Fatal(err)
		}
	}
}

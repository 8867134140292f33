package exporter

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// TestSeriesCountsAgreeWithTheScrape parses the demo's /metrics as
// Prometheus would and counts each collector's series (a histogram is its
// buckets, +Inf, _sum and _count); sre_collector_series must say the same.
func TestSeriesCountsAgreeWithTheScrape(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exp := New(Options{ConfigFile: demoCopy(t), Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return demoNow }}, st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := exp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer exp.Scheduler.Stop()
	exp.Scheduler.RefreshNow(ctx)

	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(exp.Scheduler.Rendered().Text))
	if err != nil {
		t.Fatal(err)
	}
	scraped := map[string]int{}
	for _, f := range families {
		for _, m := range f.Metric {
			collector := ""
			for _, l := range m.Label {
				if l.GetName() == metrics.CollectorLabel {
					collector = l.GetValue()
				}
			}
			if collector == "" {
				continue // the catalog's metrics belong to no collector
			}
			n := 1
			if f.GetType() == dto.MetricType_HISTOGRAM {
				n = len(m.GetHistogram().GetBucket()) + 2 // the parser keeps +Inf as a bucket
			}
			scraped[collector] += n
		}
	}

	reg := prometheus.NewPedanticRegistry()
	if err := exp.Register(reg); err != nil {
		t.Fatal(err)
	}
	gathered, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	reported := map[string]int{}
	for _, f := range gathered {
		if f.GetName() != metrics.CollectorSeries.Name {
			continue
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == metrics.CollectorLabel {
					reported[l.GetValue()] = int(m.GetGauge().GetValue())
				}
			}
		}
	}
	if len(reported) < 2 {
		t.Fatalf("sre_collector_series reports %d collectors, the demo has more", len(reported))
	}
	for c, n := range reported {
		if scraped[c] != n {
			t.Errorf("collector %s: sre_collector_series = %d, the scrape has %d series", c, n, scraped[c])
		}
	}
	for c, n := range scraped {
		if _, ok := reported[c]; !ok {
			t.Errorf("collector %s has %d series in the scrape but no sre_collector_series", c, n)
		}
	}
}

package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sre-value/sre-value-exporter/internal/scheduler"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

// countingGatherer counts how often the exporter's own metrics are gathered.
type countingGatherer struct {
	prometheus.Gatherer
	calls int
}

func (c *countingGatherer) Gather() ([]*dto.MetricFamily, error) {
	c.calls++
	return c.Gatherer.Gather()
}

type changingSource struct {
	statuses []scheduler.Status
	rendered *snapshot.Rendered
}

func (c *changingSource) Statuses() []scheduler.Status { return c.statuses }
func (c *changingSource) Ready() bool                  { return true }
func (c *changingSource) Rendered() *snapshot.Rendered { return c.rendered }
func (c *changingSource) Published() *scheduler.Published {
	return &scheduler.Published{Current: snapshot.Empty}
}

func scrape(t *testing.T, h http.Handler, gzipped bool) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if gzipped {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.Bytes()
	if gzipped {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return string(body)
}

func TestOwnMetricsAreServedFromCacheButCollectorHealthIsNeverStale(t *testing.T) {
	clock := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "sre_test_up", Help: "h"})
	reg := prometheus.NewRegistry()
	reg.MustRegister(up)
	g := &countingGatherer{Gatherer: reg}
	src := &changingSource{
		statuses: []scheduler.Status{{Name: "a", Kind: "records", Up: false}},
		rendered: &snapshot.Rendered{Text: []byte("sre_data 1\n"), Gzip: gzipped(t, "sre_data 1\n")},
	}
	h := Handler(Options{TelemetryPath: "/metrics", Self: g, Source: src, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return clock }})

	first := scrape(t, h, false)
	if !strings.Contains(first, "sre_test_up 0\n") || !strings.HasSuffix(first, "sre_data 1\n") {
		t.Fatalf("first scrape:\n%s", first)
	}
	up.Set(1) // a runtime figure changes, no collector status does
	if got := scrape(t, h, true); got != first || g.calls != 1 {
		t.Errorf("within max age the cached bytes are served (gathered %d times):\n%s", g.calls, got)
	}
	src.statuses = []scheduler.Status{{Name: "a", Kind: "records", Up: true, LastSuccess: clock}}
	if got := scrape(t, h, false); !strings.Contains(got, "sre_test_up 1\n") || g.calls != 2 {
		t.Errorf("a collector's new status must be served at once (gathered %d times):\n%s", g.calls, got)
	}
	clock = clock.Add(5 * time.Second)
	scrape(t, h, true)
	if g.calls != 3 {
		t.Errorf("after max age the metrics are gathered again; gathered %d times", g.calls)
	}
}

func gzipped(t *testing.T, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

// stuckGatherer holds every gather until release is closed, like a scrape
// whose client reads slowly.
type stuckGatherer struct {
	entered chan struct{}
	release chan struct{}
}

func (g stuckGatherer) Gather() ([]*dto.MetricFamily, error) {
	g.entered <- struct{}{}
	<-g.release
	return nil, nil
}

func get(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestScrapesBeyondMaxRequestsGet503(t *testing.T) {
	g := stuckGatherer{entered: make(chan struct{}, 2), release: make(chan struct{})}
	h := Handler(Options{TelemetryPath: "/metrics", Self: g, Source: fixedSource{&snapshot.Rendered{Text: []byte("sre_x 1\n")}}, MaxRequests: 2, Logger: slog.New(slog.DiscardHandler)})

	results := make(chan int, 2)
	for range 2 {
		go func() { results <- get(h, http.MethodGet, "/metrics").Code }()
	}
	<-g.entered
	<-g.entered
	rec := get(h, http.MethodGet, "/metrics")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "--web.max-requests") {
		t.Errorf("third concurrent scrape: %d %q, want 503 naming --web.max-requests", rec.Code, rec.Body.String())
	}
	if code := get(h, http.MethodGet, "/-/healthy").Code; code != http.StatusOK {
		t.Errorf("/-/healthy = %d while scrapes are capped; the cap is for scrapes only", code)
	}
	close(g.release)
	for range 2 {
		if code := <-results; code != http.StatusOK {
			t.Errorf("a scrape within the cap answered %d", code)
		}
	}
	if rec := get(h, http.MethodGet, "/metrics"); rec.Code != http.StatusOK || rec.Body.String() != "sre_x 1\n" {
		t.Errorf("a scrape after the others ended: %d %q", rec.Code, rec.Body.String())
	}
}

func TestReloadNeedsTheLifecycleFlag(t *testing.T) {
	tests := []struct {
		name      string
		enabled   bool
		wantCode  int
		wantCalls int32
	}{
		{name: "without --web.enable-lifecycle a POST is forbidden", enabled: false, wantCode: http.StatusForbidden, wantCalls: 0},
		{name: "with --web.enable-lifecycle a POST reloads", enabled: true, wantCode: http.StatusOK, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			h := Handler(Options{TelemetryPath: "/metrics", Self: prometheus.NewRegistry(), Source: fixedSource{&snapshot.Rendered{}},
				EnableLifecycle: tt.enabled, Reload: func() error { calls.Add(1); return nil }, Logger: slog.New(slog.DiscardHandler)})
			rec := get(h, http.MethodPost, "/-/reload")
			if rec.Code != tt.wantCode || calls.Load() != tt.wantCalls {
				t.Errorf("POST /-/reload = %d %q with %d reloads, want %d with %d", rec.Code, rec.Body.String(), calls.Load(), tt.wantCode, tt.wantCalls)
			}
			if !tt.enabled && !strings.Contains(rec.Body.String(), "--web.enable-lifecycle") {
				t.Errorf("the refusal should name the flag: %q", rec.Body.String())
			}
		})
	}
}

func TestServerHasTimeoutsForClientsThatStopReading(t *testing.T) {
	s := NewServer(http.NotFoundHandler())
	for name, d := range map[string]int64{"ReadHeaderTimeout": int64(s.ReadHeaderTimeout), "ReadTimeout": int64(s.ReadTimeout), "WriteTimeout": int64(s.WriteTimeout), "IdleTimeout": int64(s.IdleTimeout)} {
		if d <= 0 {
			t.Errorf("%s is not set", name)
		}
	}
}

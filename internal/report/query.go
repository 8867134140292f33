package report

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// Source answers PromQL: an instant query at a time, and a range query for
// the trend charts. The report reads nothing else.
type Source interface {
	Query(ctx context.Context, expr string, at time.Time) (model.Vector, error)
	QueryRange(ctx context.Context, expr string, r promv1.Range) (model.Matrix, error)
}

// Prometheus is a Source over the Prometheus HTTP API (client_golang's
// api/prometheus/v1) on the shared HTTP layer: retries of 429 and 5xx,
// Retry-After, redacted errors.
type Prometheus struct {
	api    promv1.API
	logger *slog.Logger
}

// NewPrometheus returns a Source for the Prometheus at rawURL. It does not
// contact Prometheus.
func NewPrometheus(rawURL string, logger *slog.Logger) (*Prometheus, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus URL %s is not an http(s) URL", upstream.Redact(fmt.Sprintf("%q", rawURL)))
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// client_golang sends queries as POST forms with GetBody set; they are
	// reads, so retrying them is safe.
	hc := upstream.New(upstream.Options{UserAgent: "sre-value-exporter report", Logger: logger, RetryPOST: true}).HTTP()
	c, err := api.NewClient(api.Config{Address: u.String(), Client: hc})
	if err != nil {
		return nil, fmt.Errorf("prometheus URL: %w", err)
	}
	return &Prometheus{api: promv1.NewAPI(c), logger: logger}, nil
}

// Query runs expr at at. An answer that is not a vector is an error: every
// query of the report aggregates into one.
func (p *Prometheus) Query(ctx context.Context, expr string, at time.Time) (model.Vector, error) {
	v, warnings, _, err := p.api.Query(ctx, expr, at)
	if err != nil {
		return nil, fmt.Errorf("prometheus query %s at %s: %w", expr, at.UTC().Format(time.RFC3339), err)
	}
	p.warn(expr, warnings)
	switch v := v.(type) {
	case model.Vector:
		return v, nil
	case *model.Scalar:
		return model.Vector{{Metric: model.Metric{}, Value: v.Value, Timestamp: v.Timestamp}}, nil
	}
	return nil, fmt.Errorf("prometheus query %s: a %s answer, not a vector", expr, v.Type())
}

// QueryRange runs expr over r.
func (p *Prometheus) QueryRange(ctx context.Context, expr string, r promv1.Range) (model.Matrix, error) {
	v, warnings, _, err := p.api.QueryRange(ctx, expr, r)
	if err != nil {
		return nil, fmt.Errorf("prometheus range query %s: %w", expr, err)
	}
	p.warn(expr, warnings)
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("prometheus range query %s: a %s answer, not a matrix", expr, v.Type())
	}
	return m, nil
}

func (p *Prometheus) warn(expr string, warnings promv1.Warnings) {
	for _, w := range warnings {
		p.logger.Warn("prometheus warned about a query", "query", expr, "warning", w)
	}
}

// Package upstream is the one HTTP layer under every API client: timeouts,
// retries with exponential backoff and jitter, Retry-After and rate-limit
// headers, ETag conditional requests, request metrics and secret redaction.
package upstream

import "time"

// Observer receives what the HTTP layer sees, for the exporter's own
// metrics (sre_collector_upstream_requests_total and the rate-limit gauges).
type Observer interface {
	// Request is called once per HTTP attempt with the status code as text,
	// or "error" when no response arrived.
	Request(code string)
	// RateLimit is called when a response reports the remaining quota.
	RateLimit(remaining, limit float64, reset time.Time)
}

// NopObserver discards everything.
type NopObserver struct{}

func (NopObserver) Request(string)                        {}
func (NopObserver) RateLimit(float64, float64, time.Time) {}

package upstream

import "time"

// Observer receives what the HTTP layer sees, for the exporter's own
// metrics (sre_collector_upstream_requests_total and the rate-limit gauges).
// It is called from concurrent requests and must be safe for that.
type Observer interface {
	// Request is called once per HTTP attempt with the numeric status code
	// as text ("200", "304", "429"), or "error" when no response arrived.
	Request(code string)
	// RateLimit is called when a response reports the remaining quota.
	// limit is 0 and reset the zero time when the upstream did not say.
	RateLimit(remaining, limit float64, reset time.Time)
}

// NopObserver discards everything.
type NopObserver struct{}

func (NopObserver) Request(string)                        {}
func (NopObserver) RateLimit(float64, float64, time.Time) {}

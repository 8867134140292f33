package upstream

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// quota is one response's reading of the upstream's rate limit.
type quota struct {
	remaining, limit float64
	reset            time.Time // zero when not reported
}

// epochThreshold tells an epoch-seconds reset (GitHub) from a
// seconds-from-now reset (IETF draft) in X-RateLimit-Reset: no window
// lasts 30 years.
const epochThreshold = 1e9

// readQuota parses GitHub-style X-RateLimit-* headers or the IETF draft's
// RateLimit-* headers (PagerDuty). ok is false when neither says how many
// requests remain.
func readQuota(h http.Header, now time.Time) (q quota, ok bool) {
	for _, prefix := range []string{"X-Ratelimit-", "Ratelimit-"} {
		remaining, found := headerNumber(h, prefix+"Remaining")
		if !found {
			continue
		}
		q.remaining = remaining
		q.limit, _ = headerNumber(h, prefix+"Limit")
		if reset, found := headerNumber(h, prefix+"Reset"); found && reset >= 0 {
			if reset >= epochThreshold {
				q.reset = time.Unix(int64(reset), 0)
			} else {
				q.reset = now.Add(time.Duration(reset * float64(time.Second)))
			}
		}
		return q, true
	}
	return quota{}, false
}

// headerNumber reads the first number of a header; the IETF draft allows
// "100, 100;w=60" in RateLimit-Limit.
func headerNumber(h http.Header, name string) (float64, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	if i := strings.IndexAny(v, ",;"); i >= 0 {
		v = v[:i]
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// quotaExhausted tells whether headers say no requests remain.
func quotaExhausted(h http.Header) bool {
	for _, name := range []string{"X-Ratelimit-Remaining", "Ratelimit-Remaining"} {
		if n, ok := headerNumber(h, name); ok {
			return n <= 0
		}
	}
	return false
}

// retryAfter parses Retry-After, either seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// isRateLimited tells whether a response is the upstream refusing because
// of its rate limit.
func isRateLimited(resp *http.Response) bool {
	return statusReason(resp.StatusCode, resp.Header) == ReasonRateLimited
}

// gate holds requests back until a rate limit resets. It only ever moves
// forward: a later response with quota left does not open it early, since
// that response may count against another bucket of the same upstream.
type gate struct {
	mu    sync.Mutex
	until time.Time
}

func (g *gate) closeUntil(t time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.After(g.until) {
		g.until = t
	}
}

func (g *gate) openAt() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until
}

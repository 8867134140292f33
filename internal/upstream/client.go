package upstream

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"
)

// Defaults for Options left zero.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxRetries  = 4
	DefaultBaseBackoff = time.Second
	DefaultMaxBackoff  = 30 * time.Second
	DefaultMaxWait     = 15 * time.Minute
	DefaultBodyLimit   = 64 << 20
)

// NoRetries as Options.MaxRetries sends every request once.
const NoRetries = -1

// Options configure the HTTP layer of one collector instance.
type Options struct {
	// Timeout bounds one attempt including reading the body (default 30s);
	// the caller's context bounds the whole call including retries.
	Timeout time.Duration
	// MaxRetries is how many times a failed idempotent request is retried
	// (429, 5xx, network errors); 0 means 4, NoRetries means none.
	MaxRetries int
	// RetryPOST also retries requests with a body that can be replayed
	// (GetBody set), for search APIs that take their query by POST.
	RetryPOST bool
	// BaseBackoff and MaxBackoff shape the exponential backoff: the n-th
	// retry waits a random time up to min(MaxBackoff, BaseBackoff*2^n)
	// (defaults 1s and 30s).
	BaseBackoff, MaxBackoff time.Duration
	// MaxWait is the longest a request waits for a rate limit to reset
	// when its context has no earlier deadline (default 15m).
	MaxWait time.Duration
	// BodyLimit is the largest response body accepted (default 64 MiB).
	BodyLimit int64

	// Observer receives per-attempt status codes and rate-limit readings.
	Observer Observer
	// Secrets are values that must never appear in errors (tokens, passwords).
	Secrets []string
	// Authorize sets credentials on each outgoing request (nil for none).
	Authorize func(*http.Request)
	// UserAgent is sent with every request.
	UserAgent string

	// ETags turns on conditional GETs (If-None-Match).
	ETags bool
	// ETagCache keeps the responses; default an in-memory cache of
	// DefaultETagCacheBytes.
	ETagCache ETagCache

	// Logger gets debug lines about retries and waits (default: discard).
	Logger *slog.Logger
	// Transport sends the requests (default http.DefaultTransport).
	Transport http.RoundTripper
	// Now, Sleep and Rand replace the clock and the jitter in tests. Sleep
	// must return ctx.Err() if ctx ends first; Rand returns a number in [0, 1).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64
}

// Client is the configured HTTP layer.
type Client struct {
	opts Options
	http *http.Client
	gate gate
}

// New returns a client with the given options. It does not contact anything.
func New(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	switch {
	case opts.MaxRetries == 0:
		opts.MaxRetries = DefaultMaxRetries
	case opts.MaxRetries < 0:
		opts.MaxRetries = 0
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = DefaultBaseBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = DefaultMaxWait
	}
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = DefaultBodyLimit
	}
	if opts.Observer == nil {
		opts.Observer = NopObserver{}
	}
	if opts.ETags && opts.ETagCache == nil {
		opts.ETagCache = NewMemoryCache(DefaultETagCacheBytes)
	}
	if !opts.ETags {
		opts.ETagCache = nil
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	opts.Secrets = append([]string(nil), opts.Secrets...)
	c := &Client{opts: opts}
	c.http = &http.Client{Transport: &transport{c: c, next: opts.Transport}}
	return c
}

// HTTP returns an *http.Client to hand to API libraries (go-jira,
// go-github, go-pagerduty) or to use directly.
func (c *Client) HTTP() *http.Client { return c.http }

// Get fetches rawURL and returns the response and its body. A status of
// 400 or more is returned as an *Error along with the response. header
// may be nil. FromCache(resp) tells whether the body is unchanged since
// the last call (with Options.ETags).
func (c *Client) Get(ctx context.Context, rawURL string, header http.Header) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, newError(nil, c.opts.Secrets, ReasonOther, 0, err, "%s", err)
	}
	for k, vs := range header {
		req.Header[k] = append([]string(nil), vs...)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, Classify(err, resp)
	}
	defer resp.Body.Close()
	if err := Classify(nil, resp); err != nil {
		return resp, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, nil, Classify(err, resp)
	}
	return resp, body, nil
}

// FromCache tells whether resp is a cached body the upstream confirmed
// unchanged (304 Not Modified).
func FromCache(resp *http.Response) bool {
	return resp != nil && resp.Header.Get(HeaderFromCache) == "1"
}

// HeaderFromCache marks responses served from the ETag cache.
const HeaderFromCache = "X-From-Cache"

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

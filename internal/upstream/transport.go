package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// transport is the http.RoundTripper that does everything the package doc
// lists; one per Client.
type transport struct {
	c    *Client
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.c
	ctx := req.Context()
	var (
		cacheKey   string
		cached     CachedResponse
		haveCached bool
	)
	if c.opts.ETagCache != nil && req.Method == http.MethodGet &&
		req.Header.Get("If-None-Match") == "" && req.Header.Get("Range") == "" {
		cacheKey = etagKey(req)
	}
	// The response's request carries the secrets so that Classify can
	// redact them from whatever the library makes of the response, and the
	// cache entry, so that Classify can drop a body the library could not
	// decode.
	orig := req.WithContext(context.WithValue(ctx, requestInfoKey{}, requestInfo{
		secrets: c.opts.Secrets, cache: c.opts.ETagCache, cacheKey: cacheKey,
	}))
	out := req.Clone(ctx)
	if c.opts.Authorize != nil && sameSite(req) {
		c.opts.Authorize(out)
	}
	if c.opts.UserAgent != "" {
		out.Header.Set("User-Agent", c.opts.UserAgent)
	}

	if cacheKey != "" {
		if cached, haveCached = c.opts.ETagCache.Get(cacheKey); haveCached {
			out.Header.Set("If-None-Match", cached.ETag)
		}
	}

	replayable := c.replayable(req)
	for attempt := 0; ; attempt++ {
		if attempt > 0 && hasBody(req) {
			body, err := req.GetBody()
			if err != nil {
				return nil, newError(out, c.opts.Secrets, ReasonOther, 0, err, "replaying the request body: %v", err)
			}
			out.Body = body
		}
		if err := t.waitForGate(ctx, out); err != nil {
			closeBody(out)
			return nil, err
		}
		last := !replayable || attempt >= c.opts.MaxRetries

		resp, err := t.attempt(ctx, out)
		if err != nil {
			var e *Error
			if last || !errors.As(err, &e) || !e.retry {
				return nil, err
			}
			delay := c.backoff(attempt)
			if !t.fitsDeadline(ctx, delay) {
				return nil, err
			}
			c.opts.Logger.Debug("retrying after an error", "method", out.Method, "url", e.URL, "attempt", attempt+1, "wait", delay, "err", err)
			if err := c.opts.Sleep(ctx, delay); err != nil {
				return nil, contextError(ctx, out, c.opts.Secrets)
			}
			continue
		}

		if resp.StatusCode == http.StatusNotModified && haveCached {
			resp = fromCache(resp, cached)
			resp.Request = orig
			return resp, nil
		}
		if err := malformedJSON(out, resp, c.opts.Secrets); err != nil {
			// A cut-off or non-JSON 200 (a proxy's HTML page) is as
			// transient as a 5xx: retry it, and never cache it, or every
			// later 304 would replay the garbage.
			if last {
				return nil, err
			}
			delay := c.backoff(attempt)
			if !t.fitsDeadline(ctx, delay) {
				return nil, err
			}
			c.opts.Logger.Debug("retrying after a malformed body", "method", out.Method, "url", err.URL, "attempt", attempt+1, "wait", delay, "err", err)
			if err := c.opts.Sleep(ctx, delay); err != nil {
				return nil, contextError(ctx, out, c.opts.Secrets)
			}
			continue
		}
		if cacheKey != "" && resp.StatusCode == http.StatusOK {
			remember(c.opts.ETagCache, cacheKey, resp)
		}
		if last || !retryableStatus(resp) {
			resp.Request = orig
			return resp, nil
		}

		now := c.opts.Now()
		if isRateLimited(resp) && c.gate.openAt().After(now) {
			// The gate now holds the wait the upstream asked for; the
			// next turn of the loop waits for it or fails fast.
			continue
		}
		delay, exact := retryAfter(resp.Header, now)
		if !exact {
			delay = c.backoff(attempt)
		}
		if !t.fitsDeadline(ctx, delay) {
			resp.Request = orig
			return resp, nil
		}
		c.opts.Logger.Debug("retrying after a response", "method", out.Method, "url", Redact(out.URL.String(), c.opts.Secrets...),
			"status", resp.StatusCode, "attempt", attempt+1, "wait", delay)
		if err := c.opts.Sleep(ctx, delay); err != nil {
			return nil, contextError(ctx, out, c.opts.Secrets)
		}
	}
}

// attempt sends req once, bounded by the per-attempt timeout, and reads
// the whole body so that the timeout and the size limit cover it too.
func (t *transport) attempt(ctx context.Context, req *http.Request) (*http.Response, error) {
	c := t.c
	attemptCtx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	resp, err := t.next.RoundTrip(req.WithContext(attemptCtx))
	if err != nil {
		c.opts.Observer.Request("error")
		return nil, t.sendError(ctx, attemptCtx, req, 0, err)
	}
	c.opts.Observer.Request(strconv.Itoa(resp.StatusCode))
	t.noteLimits(resp)

	body, err := readLimited(resp.Body, resp.ContentLength, c.opts.BodyLimit)
	resp.Body.Close()
	if errors.Is(err, errBodyTooLarge) {
		return nil, newError(req, c.opts.Secrets, ReasonOther, resp.StatusCode, err,
			"%s: response body is larger than the limit of %d bytes", resp.Status, c.opts.BodyLimit)
	}
	if err != nil {
		return nil, t.sendError(ctx, attemptCtx, req, resp.StatusCode, err)
	}
	resp.Body = &bufferedBody{data: body}
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// sendError classifies a failure to send or to read a response: the
// caller's context ending is final, the attempt's timeout and network
// trouble are worth another attempt.
func (t *transport) sendError(ctx, attemptCtx context.Context, req *http.Request, status int, err error) error {
	secrets := t.c.opts.Secrets
	if ctx.Err() != nil {
		return contextError(ctx, req, secrets)
	}
	if errors.Is(attemptCtx.Err(), context.DeadlineExceeded) {
		e := newError(req, secrets, ReasonTimeout, status, err, "attempt timed out after %s", t.c.opts.Timeout)
		e.retry = true
		return e
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		e := newError(req, secrets, ReasonTimeout, status, err, "%v", err)
		e.retry = true
		return e
	case errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		e := newError(req, secrets, ReasonNetwork, status, err, "%v", err)
		e.retry = true
		return e
	}
	return newError(req, secrets, ReasonOther, status, err, "%v", err)
}

// contextError reports that the caller's context ended.
func contextError(ctx context.Context, req *http.Request, secrets []string) error {
	err := context.Cause(ctx)
	reason := ReasonOther
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		reason = ReasonTimeout
	}
	return newError(req, secrets, reason, 0, ctx.Err(), "%v", err)
}

// noteLimits reports the quota to the observer and closes the gate when
// the upstream says to wait: no requests remain until the reset, or a
// rate-limit answer came with Retry-After.
func (t *transport) noteLimits(resp *http.Response) {
	c := t.c
	now := c.opts.Now()
	if q, ok := readQuota(resp.Header, now); ok {
		c.opts.Observer.RateLimit(q.remaining, q.limit, q.reset)
		if q.remaining <= 0 && q.reset.After(now) {
			c.gate.closeUntil(q.reset)
		}
	}
	if isRateLimited(resp) {
		if d, ok := retryAfter(resp.Header, now); ok {
			c.gate.closeUntil(now.Add(d))
		}
	}
}

// waitForGate holds a request until the rate limit resets, or fails at
// once when the wait would outlast the caller's deadline or MaxWait.
func (t *transport) waitForGate(ctx context.Context, req *http.Request) error {
	c := t.c
	until := c.gate.openAt()
	now := c.opts.Now()
	wait := until.Sub(now)
	if wait <= 0 {
		return nil
	}
	tooLong := func(why string) error {
		e := newError(req, c.opts.Secrets, ReasonRateLimited, 0, nil,
			"rate limited: waiting %s for the limit to reset (at %s) would %s",
			wait, until.UTC().Format(time.RFC3339), why)
		e.Wait = wait
		return e
	}
	if deadline, ok := ctx.Deadline(); ok && now.Add(wait).After(deadline) {
		return tooLong(fmt.Sprintf("pass the deadline (in %s)", max(deadline.Sub(now), 0).Round(time.Millisecond)))
	}
	if wait > c.opts.MaxWait {
		return tooLong(fmt.Sprintf("be longer than the longest wait of %s", c.opts.MaxWait))
	}
	c.opts.Logger.Debug("waiting for the rate limit to reset", "method", req.Method,
		"url", Redact(req.URL.String(), c.opts.Secrets...), "wait", wait)
	if err := c.opts.Sleep(ctx, wait); err != nil {
		return contextError(ctx, req, c.opts.Secrets)
	}
	return nil
}

// fitsDeadline tells whether sleeping d still leaves the caller's context
// alive; sleeping into a timeout would only hide the real failure.
func (t *transport) fitsDeadline(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || !t.c.opts.Now().Add(d).After(deadline)
}

// backoff is the wait before retry n+1: full jitter up to an exponentially
// growing ceiling.
func (c *Client) backoff(n int) time.Duration {
	ceiling := c.opts.MaxBackoff
	if n < 32 {
		if d := c.opts.BaseBackoff << n; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return time.Duration(c.opts.Rand() * float64(ceiling))
}

// replayable tells whether a request may be sent again: GET and HEAD, and
// with RetryPOST anything whose body can be rebuilt.
func (c *Client) replayable(req *http.Request) bool {
	if hasBody(req) && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead:
		return true
	}
	return c.opts.RetryPOST
}

func hasBody(req *http.Request) bool { return req.Body != nil && req.Body != http.NoBody }

func closeBody(req *http.Request) {
	if hasBody(req) {
		req.Body.Close()
	}
}

// retryableStatus is the set of answers another attempt may fix.
func retryableStatus(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return isRateLimited(resp)
}

// sameSite tells whether req is the original request or a redirect to the
// same host (and not a downgrade to plain HTTP), so credentials never
// follow a redirect elsewhere.
func sameSite(req *http.Request) bool {
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	if first == req {
		return true
	}
	return first.URL.Host == req.URL.Host && (first.URL.Scheme == req.URL.Scheme || req.URL.Scheme == "https")
}

// fromCache turns a 304 into a 200 with the cached body. The 304's own
// headers (rate limits, Date, a refreshed ETag) win over the cached ones.
func fromCache(resp *http.Response, cached CachedResponse) *http.Response {
	h := cached.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for k, vs := range resp.Header {
		switch k {
		case "Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding":
			continue
		}
		h[k] = vs
	}
	h.Set(HeaderFromCache, "1")
	out := *resp
	out.Status = "200 OK"
	out.StatusCode = http.StatusOK
	out.Header = h
	out.Body = &bufferedBody{data: cached.Body}
	out.ContentLength = int64(len(cached.Body))
	return &out
}

// remember caches a 200 that has an ETag, unless the upstream forbids it.
func remember(cache ETagCache, key string, resp *http.Response) {
	etag := resp.Header.Get("ETag")
	if etag == "" || strings.Contains(strings.ToLower(resp.Header.Get("Cache-Control")), "no-store") {
		return
	}
	h := resp.Header.Clone()
	for _, k := range []string{"Content-Length", "Transfer-Encoding", HeaderFromCache} {
		h.Del(k)
	}
	cache.Put(key, CachedResponse{ETag: etag, Header: h, Body: resp.Body.(*bufferedBody).data})
}

// malformedJSON checks a 200 whose body is JSON, by its Content-Type or
// because the request asks for JSON and for nothing an HTML page could be:
// an empty, cut-off or non-JSON body gives a retryable decode *Error.
// Other bodies (CSV) pass unchecked.
func malformedJSON(req *http.Request, resp *http.Response, secrets []string) *Error {
	if resp.StatusCode != http.StatusOK || req.Method == http.MethodHead ||
		!(isJSONType(resp.Header.Get("Content-Type")) || acceptsOnlyJSON(req.Header.Get("Accept"))) {
		return nil
	}
	body := resp.Body.(*bufferedBody).data
	if json.Valid(body) {
		return nil
	}
	// Only a broken body pays for decoding, to say where it breaks.
	var raw json.RawMessage
	err := json.Unmarshal(body, &raw)
	what := "is not JSON"
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) && syntax.Offset >= int64(len(bytes.TrimRight(body, " \t\r\n"))) {
		what = "is cut off"
	}
	e := newError(req, secrets, ReasonDecode, resp.StatusCode, err, "%s: the %d-byte body %s (%v): %s",
		resp.Status, len(body), what, err, snippet(body, 80))
	e.retry = true
	return e
}

// isJSONType tells whether a Content-Type is application/json or a
// vendor type such as application/vnd.github+json.
func isJSONType(contentType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// acceptsOnlyJSON tells whether an Accept header asks for JSON and for
// nothing an HTML page or text could be: at least one JSON type, and no
// wildcard, text or HTML type. go-github mixes +json types with preview
// types such as application/vnd.github.squirrel-girl-preview.
func acceptsOnlyJSON(accept string) bool {
	wantsJSON := false
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.ToLower(part), ";")
		mt = strings.TrimSpace(mt)
		switch {
		case isJSONType(mt):
			wantsJSON = true
		case strings.Contains(mt, "*"), strings.HasPrefix(mt, "text/"), strings.Contains(mt, "html"):
			return false
		}
	}
	return wantsJSON
}

// snippet is the start of data on one line, for an error message.
func snippet(data []byte, limit int) string {
	s := strings.Join(strings.Fields(string(data[:min(len(data), limit)])), " ")
	if len(data) > limit {
		s += " ..."
	}
	if s == "" {
		return "(empty)"
	}
	return strconv.Quote(s)
}

var errBodyTooLarge = errors.New("response body too large")

// readLimited reads a whole body of at most limit bytes. size is the
// announced Content-Length (-1 when unknown); it only sizes the buffer, so
// a lying upstream costs a reallocation, not a wrong result.
func readLimited(r io.Reader, size, limit int64) ([]byte, error) {
	capacity := int64(512)
	if size >= 0 && size < limit {
		capacity = size + 1 // room to see EOF without growing
	}
	data := make([]byte, 0, capacity)
	r = io.LimitReader(r, limit+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(data)) > limit {
		return nil, errBodyTooLarge
	}
	return data, nil
}

// bufferedBody is a response body already read in full; Classify peeks at
// it for error messages without consuming it.
type bufferedBody struct {
	data []byte
	off  int
}

func (b *bufferedBody) Read(p []byte) (int, error) {
	if b.off >= len(b.data) {
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += n
	return n, nil
}

func (b *bufferedBody) Close() error { return nil }

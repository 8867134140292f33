// Package upstream is the one HTTP layer under every API client: per-attempt
// timeouts, retries with exponential backoff and full jitter, Retry-After
// and rate-limit headers, ETag conditional requests, request metrics, a
// response size limit and secret redaction. Collectors never talk HTTP
// without it.
//
// # Using it from a collector
//
// Build one Client per collector instance in the factory (it does not
// contact anything), and hand its *http.Client to the API library:
//
//	client := upstream.New(upstream.Options{
//		Observer:  deps.Observer,
//		Secrets:   []string{token.Value()},
//		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token.Value()) },
//		ETags:     true,
//		UserAgent: "sre-value-exporter",
//	})
//	gh := github.NewClient(client.HTTP())                  // go-github
//	jc, _ := jira.NewClient(client.HTTP(), baseURL)         // go-jira
//	pd := pagerduty.NewClient(token.Value())                // go-pagerduty sets its own
//	pd.HTTPClient = client.HTTP()                            // Authorization: list the token in Secrets
//
// Whatever the library returns goes through Classify, which gives an
// *Error with a reason for sre_collector_errors_total{reason} and a message
// with secrets removed:
//
//	issues, resp, err := gh.Issues.ListByRepo(ctx, owner, repo, opts)
//	if err != nil {
//		var httpResp *http.Response // resp is nil when no answer arrived
//		if resp != nil {
//			httpResp = resp.Response
//		}
//		return fmt.Errorf("github repo %s/%s: page %d: %w", owner, repo, page, upstream.Classify(err, httpResp))
//	}
//
// collectors.Reason understands the *Error (it has a Reason method), so
// wrapping it with %w is enough for the error metric.
//
// Plain downloads (CSV URLs) use Client.Get, which returns the body and an
// *Error for any non-2xx status; FromCache tells that the body is unchanged
// since the last call (the server answered 304 Not Modified).
//
// # What the transport does
//
//   - Authorize and User-Agent are applied to every attempt. Authorize is
//     skipped when a redirect leaves the host of the original request, so
//     credentials never follow a redirect to another site.
//   - Each attempt is bounded by Options.Timeout, including reading the
//     body; the request's context bounds the whole call with retries.
//   - GET and HEAD (and, with RetryPOST, requests that have GetBody) are
//     retried on 429, 500, 502, 503, 504, rate-limited 403s and network
//     errors, up to MaxRetries, with exponential backoff and full jitter.
//     Retry-After (seconds or HTTP date) is honoured exactly.
//   - X-RateLimit-* (GitHub, epoch-second reset) and RateLimit-* (IETF
//     draft, PagerDuty; reset in seconds) headers are reported to the
//     Observer. When the last response said no requests remain, the next
//     request waits for the reset before it is sent, so the limit is never
//     exceeded by design. A 403 or 429 saying no requests remain (or a 403
//     with Retry-After, GitHub's secondary limit) is a rate limit.
//   - A wait that would outlast the context deadline (or Options.MaxWait)
//     fails at once with an "rate_limited" *Error saying how long the wait
//     would have been, instead of sleeping into a timeout.
//   - A 200 whose body is JSON (by its Content-Type, or because the
//     request's Accept asks for JSON and for no wildcard, text or HTML
//     type) must parse: an empty, cut-off
//     or non-JSON body (a proxy's HTML page) is retried like a 5xx, with the
//     same backoff, and after the last attempt fails with a "decode" *Error
//     that says how the body is broken. CSV and other bodies pass unchecked.
//   - With ETags, 200 responses to GET with an ETag are cached (per URL and
//     Accept header) once they passed the check above, and later requests
//     send If-None-Match; a 304 comes back as a 200 with the cached body and
//     the header "X-From-Cache: 1", which keeps go-github (that treats 304
//     as an error) working. Classify of a decode error drops the cached
//     body, so a body the library could not decode is never replayed.
//   - Response bodies are read in full (up to Options.BodyLimit, 64 MiB by
//     default) before RoundTrip returns, so a slow or runaway upstream is
//     caught by the attempt timeout and the limit, not by the decoder.
//
// The Observer is called once per attempt with the numeric status ("200",
// "304", "429") or "error" when no response arrived.
package upstream

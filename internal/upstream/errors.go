package upstream

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// Reasons an upstream call failed, as used in
// sre_collector_errors_total{reason}; collectors re-exports them.
const (
	ReasonTimeout     = "timeout"
	ReasonRateLimited = "rate_limited"
	ReasonAuth        = "auth"
	ReasonServer      = "server_error"
	ReasonClient      = "client_error"
	ReasonDecode      = "decode"
	ReasonNetwork     = "network"
	ReasonOther       = "other"
)

// Error is a failed upstream call. Its message names the method and URL
// and has passed through Redact.
type Error struct {
	// Method and URL of the request; the URL is redacted.
	Method, URL string
	// Status is the HTTP status code, 0 when no response arrived.
	Status int
	// Wait is, for a rate limit, how long the caller would have had to wait
	// for the limit to reset (0 when unknown).
	Wait time.Duration

	reason  string
	msg     string
	err     error
	secrets []string
	// retry tells the transport that another attempt may succeed.
	retry bool
}

func (e *Error) Error() string { return e.msg }

// Reason is one of the Reason* constants.
func (e *Error) Reason() string { return e.reason }

// Unwrap gives the cause, so errors.Is(err, context.DeadlineExceeded) works.
// The cause's own message is not redacted: print the *Error, not its cause.
func (e *Error) Unwrap() error { return e.err }

// newError builds a redacted *Error about req.
func newError(req *http.Request, secrets []string, reason string, status int, cause error, format string, args ...any) *Error {
	e := &Error{reason: reason, Status: status, err: cause, secrets: secrets}
	if req != nil {
		e.Method = req.Method
		e.URL = Redact(req.URL.String(), secrets...)
	}
	detail := fmt.Sprintf(format, args...)
	if e.URL != "" {
		detail = e.Method + " " + e.URL + ": " + detail
	}
	e.msg = Redact(detail, secrets...)
	return e
}

// Classify turns what an API library returned into an *Error with a reason
// and a redacted message naming the method and URL. resp may be nil (a
// network error) and err may be nil (the caller checked the status itself).
// For go-jira pass resp.Response, for go-github resp.Response. It returns
// nil when err is nil and the status is below 400. A decode error also
// drops the response from the ETag cache, so a body that did not decode is
// never replayed by a 304.
func Classify(err error, resp *http.Response) error {
	if err == nil && (resp == nil || resp.StatusCode < 400) {
		return nil
	}
	var req *http.Request
	if resp != nil {
		req = resp.Request
	}
	secrets := secretsOf(req)

	var own *Error
	if errors.As(err, &own) {
		secrets = append(secrets, own.secrets...)
		out := *own
		out.secrets = secrets
		out.msg = Redact(withoutURLError(err), secrets...)
		if own.URL != "" && !strings.Contains(out.msg, urlStem(own.URL)) {
			out.msg = own.Method + " " + own.URL + ": " + out.msg
		}
		if out.Status == 0 && resp != nil {
			out.Status = resp.StatusCode
		}
		forgetUndecodable(&out, resp)
		return &out
	}

	e := &Error{err: err, secrets: secrets, reason: ReasonOther}
	if req != nil && req.URL != nil {
		e.Method = req.Method
		e.URL = Redact(req.URL.String(), secrets...)
	}
	var detail string
	switch {
	case err != nil:
		detail = err.Error()
	default:
		detail = resp.Status
		if snippet := bodySnippet(resp); snippet != "" {
			detail += ": " + snippet
		}
	}
	if resp != nil && resp.StatusCode >= 400 {
		e.Status = resp.StatusCode
		e.reason = statusReason(resp.StatusCode, resp.Header)
	}
	switch {
	case isLibraryRateLimit(err):
		// go-github refuses to send a request it knows is over the limit
		// and answers with a made-up 403 without rate-limit headers.
		e.reason = ReasonRateLimited
	case e.Status != 0:
	case err != nil:
		e.reason = errorReason(err)
	}
	detail = Redact(detail, secrets...)
	if e.URL != "" && !strings.Contains(detail, urlStem(e.URL)) {
		detail = e.Method + " " + e.URL + ": " + detail
	}
	e.msg = detail
	forgetUndecodable(e, resp)
	return e
}

// statusReason classifies an HTTP error status. A 403 is a rate limit, not
// an authorization failure, when the upstream says no requests remain or
// asks to retry later (GitHub's secondary limits).
func statusReason(code int, h http.Header) string {
	switch {
	case code == http.StatusTooManyRequests:
		return ReasonRateLimited
	case code == http.StatusForbidden && (quotaExhausted(h) || h.Get("Retry-After") != ""):
		return ReasonRateLimited
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return ReasonAuth
	case code >= 500:
		return ReasonServer
	case code >= 400:
		return ReasonClient
	}
	return ReasonOther
}

// errorReason classifies an error that came without an HTTP error status.
func errorReason(err error) string {
	var (
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
		csvParse *csv.ParseError
		netErr   net.Error
		opErr    *net.OpError
		dnsErr   *net.DNSError
		reasoned interface{ Reason() string }
	)
	switch {
	case errors.As(err, &reasoned):
		return reasoned.Reason()
	case errors.Is(err, context.DeadlineExceeded):
		return ReasonTimeout
	case errors.As(err, &netErr) && netErr.Timeout():
		return ReasonTimeout
	case errors.As(err, &syntax), errors.As(err, &typ), errors.As(err, &csvParse),
		errors.Is(err, io.ErrUnexpectedEOF):
		// The transport reads bodies in full before returning, so a short
		// body seen by a decoder is malformed data, not a dropped connection.
		return ReasonDecode
	case errors.As(err, &opErr), errors.As(err, &dnsErr), errors.As(err, &netErr):
		return ReasonNetwork
	}
	return ReasonOther
}

// isLibraryRateLimit recognises the rate-limit error types of API libraries
// (go-github's RateLimitError and AbuseRateLimitError) without importing them.
func isLibraryRateLimit(err error) bool {
	for _, e := range errorChain(err) {
		t := reflect.TypeOf(e)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if strings.HasSuffix(t.Name(), "RateLimitError") {
			return true
		}
	}
	return false
}

// errorChain lists err and everything it wraps, depth first.
func errorChain(err error) []error {
	var out []error
	var walk func(error)
	walk = func(e error) {
		if e == nil || len(out) > 64 {
			return
		}
		out = append(out, e)
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner)
			}
		}
	}
	walk(err)
	return out
}

// withoutURLError is err's message without the *url.Error layer that
// http.Client adds around a transport error, which would repeat the method
// and URL the *Error already names.
func withoutURLError(err error) string {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		msg = strings.Replace(msg, ue.Error(), ue.Err.Error(), 1)
	}
	return msg
}

// urlStem is the URL without its query, to tell whether a message already
// names it.
func urlStem(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

// bodySnippet is the start of a body the transport buffered, without
// consuming it, so an error can say what the upstream answered.
func bodySnippet(resp *http.Response) string {
	b, ok := resp.Body.(*bufferedBody)
	if !ok {
		return ""
	}
	const max = 512
	s := strings.TrimSpace(string(b.data[:min(len(b.data), max)]))
	s = strings.Join(strings.Fields(s), " ")
	if len(b.data) > max {
		s += " ..."
	}
	return s
}

type requestInfoKey struct{}

// requestInfo is what the transport attaches to the request of every
// response it returns, for Classify.
type requestInfo struct {
	secrets []string
	// cache and cacheKey locate the ETag cache entry of a GET (nil cache
	// when ETags are off).
	cache    ETagCache
	cacheKey string
}

func infoOf(req *http.Request) requestInfo {
	if req == nil {
		return requestInfo{}
	}
	info, _ := req.Context().Value(requestInfoKey{}).(requestInfo)
	return info
}

// secretsOf returns the secrets the transport attached to a request it
// handled, so Classify redacts them without being told.
func secretsOf(req *http.Request) []string {
	return append([]string(nil), infoOf(req).secrets...)
}

// forgetUndecodable drops the cached copy of a response the caller could
// not decode, so that a later 304 cannot replay it: a body is kept for
// conditional requests only once it decoded.
func forgetUndecodable(e *Error, resp *http.Response) {
	if e.reason != ReasonDecode || resp == nil {
		return
	}
	if info := infoOf(resp.Request); info.cache != nil && info.cacheKey != "" {
		info.cache.Delete(info.cacheKey)
	}
}

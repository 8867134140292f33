package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// apiClient is slack-go over the shared HTTP layer, with a pacer below it
// that spaces requests per Web API method tier.
type apiClient struct {
	api   *slackapi.Client
	pacer *pacer
}

// Method tiers (requests per minute) of the methods the collector calls,
// as documented for internal apps. conversations.history and .replies use
// the configured history_requests_per_minute instead.
var methodTiers = map[string]int{
	"conversations.list": 20, // Tier 2
	"conversations.info": 50, // Tier 3
	"usergroups.list":    20, // Tier 2
	"users.list":         20, // Tier 2
}

func newAPIClient(deps collectors.Deps, cfg settings, token string, tune func(*upstream.Options, *pacer)) *apiClient {
	p := &pacer{
		perMinute: map[string]int{
			"conversations.history": cfg.HistoryRequestsPerMinute,
			"conversations.replies": cfg.HistoryRequestsPerMinute,
		},
		next:  http.DefaultTransport,
		now:   time.Now,
		sleep: sleepCtx,
		last:  map[string]time.Time{},
	}
	for m, n := range methodTiers {
		p.perMinute[m] = n
	}
	opts := upstream.Options{
		Observer:  deps.Observer,
		Secrets:   []string{token},
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) },
		UserAgent: "sre-value-exporter",
		// slack-go posts forms with GetBody set, so 429s and 5xx are
		// retried (honouring Retry-After) like GETs.
		RetryPOST: true,
	}
	if tune != nil {
		tune(&opts, p)
	}
	p.next = orDefault(opts.Transport)
	opts.Transport = p
	client := upstream.New(opts)
	httpClient := *client.HTTP()
	httpClient.Transport = &recorder{next: httpClient.Transport}
	api := slackapi.New(token, slackapi.OptionHTTPClient(&httpClient), slackapi.OptionAPIURL(cfg.URL))
	return &apiClient{api: api, pacer: p}
}

func orDefault(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		return http.DefaultTransport
	}
	return rt
}

// pacer spaces the requests of each Web API method evenly at its tier's
// rate, so a long sync stays under Slack's limits instead of bursting into
// 429s. It also drops the token that slack-go puts in the form body: the
// upstream layer sends it as "Authorization: Bearer", and a token in a
// body ends up in proxy and debug logs.
type pacer struct {
	perMinute map[string]int
	next      http.RoundTripper
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error

	mu   sync.Mutex
	last map[string]time.Time
}

func (p *pacer) RoundTrip(req *http.Request) (*http.Response, error) {
	method := path.Base(req.URL.Path)
	if err := p.wait(req.Context(), method); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if req.Method == http.MethodPost && req.Body != nil && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		form, err := url.ParseQuery(string(data))
		if err != nil {
			return nil, fmt.Errorf("slack %s: form body: %w", method, err)
		}
		form.Del("token")
		body := form.Encode()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(strings.NewReader(body))
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	}
	return p.next.RoundTrip(req)
}

// wait holds a request of method until its slot; slots are reserved under
// the lock so concurrent callers queue rather than burst.
func (p *pacer) wait(ctx context.Context, method string) error {
	n := p.perMinute[method]
	if n <= 0 {
		n = 20 // Tier 2, the most common tier, for anything unlisted
	}
	gap := time.Minute / time.Duration(n)
	p.mu.Lock()
	now := p.now()
	at := now
	if last, ok := p.last[method]; ok && last.Add(gap).After(now) {
		at = last.Add(gap)
	}
	p.last[method] = at
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return p.sleep(ctx, d)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// recorder remembers the last HTTP exchange of a call in the request's
// context: slack-go drops the *http.Response, and upstream.Classify needs
// it to give the right reason and a redacted message.
type recorder struct {
	next http.RoundTripper
}

type exchangeKey struct{}

type exchange struct {
	resp *http.Response
	err  error
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if ex, ok := req.Context().Value(exchangeKey{}).(*exchange); ok {
		ex.resp, ex.err = resp, err
	}
	return resp, err
}

// call runs one slack-go call and turns its error into one with a reason:
// Slack's ok:false error codes are mapped here (they come with HTTP 200),
// everything else goes through upstream.Classify.
func (a *apiClient) call(ctx context.Context, method string, fn func(context.Context) error) error {
	ex := &exchange{}
	err := fn(context.WithValue(ctx, exchangeKey{}, ex))
	if err == nil {
		return nil
	}
	var apiErr slackapi.SlackErrorResponse
	if errors.As(err, &apiErr) {
		return slackError(method, apiErr)
	}
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		return collectors.WithReason(collectors.ReasonRateLimited, fmt.Errorf("%s: rate limited by Slack after retries (Retry-After %s)", method, rl.RetryAfter))
	}
	cause := err
	if ex.err != nil {
		cause = ex.err
	} else if ctxErr := ctx.Err(); ctxErr != nil && ex.resp == nil {
		cause = ctxErr
	}
	// A 200 whose body is not JSON comes here with the decoder's error,
	// which Classify reports as "decode".
	classified := upstream.Classify(cause, ex.resp)
	if collectors.Reason(classified) == collectors.ReasonDecode {
		return fmt.Errorf("%s: the answer is not valid JSON: %w", method, classified)
	}
	return classified
}

// slackError explains an ok:false answer and gives it a reason.
func slackError(method string, e slackapi.SlackErrorResponse) error {
	reason, hint := collectors.ReasonClient, ""
	switch e.Err {
	case "ratelimited":
		reason, hint = collectors.ReasonRateLimited, "rate limited; the next refresh continues where this one stopped"
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired":
		reason, hint = collectors.ReasonAuth, "the bot token is not valid; create a new one for the internal app"
	case "missing_scope", "no_permission":
		reason, hint = collectors.ReasonAuth, "the app lacks a scope"
		if e.Needed != "" {
			hint += " (needed: " + e.Needed + ")"
		}
		hint += "; add channels:history, groups:history, channels:read, groups:read, usergroups:read and users:read, and reinstall the app"
	case "not_in_channel":
		hint = "the app is not a member of the channel; invite it with /invite @your-app"
	case "channel_not_found":
		hint = "no such channel, or a private channel the app was not invited to"
	default:
		hint = "Slack answered ok:false"
	}
	return collectors.WithReason(reason, fmt.Errorf("%s: %s: %s", method, e.Err, hint))
}

package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, c *Client, ctx context.Context, url string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.HTTP().Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp, string(body), nil
}

func assertSlept(t *testing.T, clock *fakeClock, want ...time.Duration) {
	t.Helper()
	if got := clock.Slept(); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("slept %v, want %v", got, want)
	}
}

func assertCodes(t *testing.T, obs *recordingObserver, want map[string]int) {
	t.Helper()
	if got := obs.Codes(); !reflect.DeepEqual(got, want) {
		t.Errorf("observed codes %v, want %v", got, want)
	}
}

func TestRetryAfterSecondsIsWaitedExactlyBeforeTheRetry(t *testing.T) {
	clock, obs := newFakeClock(), &recordingObserver{}
	start := clock.Now()
	srv := newScriptedServer(t, clock,
		respond(429, "slow down", "Retry-After", "2"),
		respond(200, "ok"))
	resp, body, err := get(t, testClient(clock, obs), context.Background(), srv.URL+"/rest/api/2/search")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("got %d %q, want 200 ok", resp.StatusCode, body)
	}
	assertSlept(t, clock, 2*time.Second)
	reqs := srv.Requests()
	if got := reqs[1].at.Sub(start); got != 2*time.Second {
		t.Errorf("retry sent %s after the 429, want exactly 2s", got)
	}
	assertCodes(t, obs, map[string]int{"429": 1, "200": 1})
}

func TestRetryAfterAsHTTPDateIsWaitedUntilThatTime(t *testing.T) {
	clock, obs := newFakeClock(), &recordingObserver{}
	at := clock.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)
	srv := newScriptedServer(t, clock,
		respond(503, "maintenance", "Retry-After", at),
		respond(200, "ok"))
	if _, _, err := get(t, testClient(clock, obs), context.Background(), srv.URL); err != nil {
		t.Fatal(err)
	}
	assertSlept(t, clock, 5*time.Second)
}

func TestServerErrorsAreRetriedWithExponentialBackoffAndJitter(t *testing.T) {
	clock, obs := newFakeClock(), &recordingObserver{}
	srv := newScriptedServer(t, clock,
		respond(503, "busy"), respond(502, "bad gateway"), respond(500, "oops"), respond(504, "timeout"),
		respond(200, "ok"))
	resp, body, err := get(t, testClient(clock, obs), context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("got %d %q, want 200 ok", resp.StatusCode, body)
	}
	// Jitter is fixed at one half of the ceiling: 1s, 2s, 4s, 8s.
	assertSlept(t, clock, 500*time.Millisecond, time.Second, 2*time.Second, 4*time.Second)
	assertCodes(t, obs, map[string]int{"503": 1, "502": 1, "500": 1, "504": 1, "200": 1})
}

func TestBackoffCeilingStopsAtMaxBackoff(t *testing.T) {
	c := New(Options{BaseBackoff: time.Second, MaxBackoff: 5 * time.Second, Rand: func() float64 { return 0.999 }})
	want := []time.Duration{999 * time.Millisecond, 1998 * time.Millisecond, 3996 * time.Millisecond, 4995 * time.Millisecond, 4995 * time.Millisecond}
	for n, w := range want {
		if got := c.backoff(n); got != w {
			t.Errorf("backoff(%d) = %s, want %s", n, got, w)
		}
	}
	if got := c.backoff(200); got != 4995*time.Millisecond {
		t.Errorf("backoff(200) = %s, want the ceiling", got)
	}
}

func TestExhaustedRetriesReturnTheLastAnswerClassifiedAsServerError(t *testing.T) {
	clock, obs := newFakeClock(), &recordingObserver{}
	srv := newScriptedServer(t, clock, respond(503, `{"errorMessages":["down"]}`))
	c := testClient(clock, obs, func(o *Options) { o.MaxRetries = 2 })
	resp, err := c.HTTP().Get(srv.URL + "/rest/api/2/issue/OPS-1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	assertCodes(t, obs, map[string]int{"503": 3})
	assertSlept(t, clock, 500*time.Millisecond, time.Second)

	var e *Error
	if !errors.As(Classify(nil, resp), &e) {
		t.Fatal("Classify did not return an *Error")
	}
	want := "GET " + srv.URL + `/rest/api/2/issue/OPS-1: 503 Service Unavailable: {"errorMessages":["down"]}`
	if e.Reason() != ReasonServer || e.Status != 503 || e.Error() != want {
		t.Errorf("got reason %q status %d message %q, want server_error 503 %q", e.Reason(), e.Status, e.Error(), want)
	}
}

func TestPOSTIsRetriedOnlyWhenAllowed(t *testing.T) {
	for _, tc := range []struct {
		name      string
		retryPOST bool
		attempts  int
	}{
		{"a POST is sent once by default", false, 1},
		{"a POST with a replayable body is retried when RetryPOST is set", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock, obs := newFakeClock(), &recordingObserver{}
			srv := newScriptedServer(t, clock, respond(503, "busy"), respond(200, "ok"))
			c := testClient(clock, obs, func(o *Options) { o.RetryPOST = tc.retryPOST })
			resp, err := c.HTTP().Post(srv.URL+"/rest/api/2/search", "application/json", strings.NewReader(`{"jql":"project = OPS"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			reqs := srv.Requests()
			if len(reqs) != tc.attempts {
				t.Fatalf("%d attempts, want %d", len(reqs), tc.attempts)
			}
			for i, r := range reqs {
				if r.body != `{"jql":"project = OPS"}` {
					t.Errorf("attempt %d sent body %q", i+1, r.body)
				}
			}
		})
	}
}

func TestExhaustedQuotaHoldsTheNextRequestUntilTheReset(t *testing.T) {
	clock, obs := newFakeClock(), &recordingObserver{}
	start := clock.Now()
	reset := start.Add(30 * time.Second)
	srv := newScriptedServer(t, clock,
		respond(200, "[]", "X-RateLimit-Remaining", "0", "X-RateLimit-Limit", "5000", "X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10)),
		respond(200, "[]", "X-RateLimit-Remaining", "4999", "X-RateLimit-Limit", "5000", "X-RateLimit-Reset", strconv.FormatInt(reset.Add(time.Hour).Unix(), 10)))
	c := testClient(clock, obs)
	for range 2 {
		if _, _, err := get(t, c, context.Background(), srv.URL+"/repos/o/r/issues"); err != nil {
			t.Fatal(err)
		}
	}
	reqs := srv.Requests()
	if got := reqs[1].at; !got.Equal(reset) {
		t.Errorf("second request sent at %s, want at the reset %s", got, reset)
	}
	assertSlept(t, clock, 30*time.Second)
	want := []quota{{0, 5000, reset}, {4999, 5000, reset.Add(time.Hour)}}
	if !reflect.DeepEqual(obs.readings, want) {
		t.Errorf("rate-limit readings %v, want %v", obs.readings, want)
	}
}

func TestRateLimitAnswersWaitForTheReset(t *testing.T) {
	for _, tc := range []struct {
		name    string
		first   http.HandlerFunc
		waited  time.Duration
		reading quota
	}{
		{
			name:    "a GitHub 403 with no requests remaining waits until the epoch reset",
			first:   respond(403, `{"message":"API rate limit exceeded"}`, "X-RateLimit-Remaining", "0", "X-RateLimit-Limit", "60", "X-RateLimit-Reset", "@reset"),
			waited:  42 * time.Second,
			reading: quota{0, 60, time.Time{}},
		},
		{
			name:    "a 429 with no requests remaining waits until the epoch reset",
			first:   respond(429, `{}`, "X-RateLimit-Remaining", "0", "X-RateLimit-Limit", "60", "X-RateLimit-Reset", "@reset"),
			waited:  42 * time.Second,
			reading: quota{0, 60, time.Time{}},
		},
		{
			name:    "a PagerDuty 429 waits the seconds of ratelimit-reset",
			first:   respond(429, `{"error":{"message":"Rate Limit Exceeded"}}`, "ratelimit-limit", "960", "ratelimit-remaining", "0", "ratelimit-reset", "42"),
			waited:  42 * time.Second,
			reading: quota{0, 960, time.Time{}},
		},
		{
			name:   "a GitHub secondary-limit 403 with Retry-After waits that long",
			first:  respond(403, `{"message":"You have exceeded a secondary rate limit"}`, "Retry-After", "60"),
			waited: 60 * time.Second,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock, obs := newFakeClock(), &recordingObserver{}
			reset := clock.Now().Add(42 * time.Second)
			first := func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				tc.first(rec, r)
				for k, vs := range rec.Header() {
					for _, v := range vs {
						w.Header().Add(k, strings.ReplaceAll(v, "@reset", strconv.FormatInt(reset.Unix(), 10)))
					}
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes())
			}
			srv := newScriptedServer(t, clock, first, respond(200, "ok"))
			resp, body, err := get(t, testClient(clock, obs), context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || body != "ok" {
				t.Fatalf("got %d %q, want 200 ok", resp.StatusCode, body)
			}
			assertSlept(t, clock, tc.waited)
			if tc.reading.limit != 0 {
				want := []quota{{tc.reading.remaining, tc.reading.limit, reset}}
				if !reflect.DeepEqual(obs.readings, want) {
					t.Errorf("rate-limit readings %v, want %v", obs.readings, want)
				}
			}
		})
	}
}

func TestAWaitPastTheDeadlineFailsAtOnceAsRateLimited(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers []string
		status  int
		wait    time.Duration
	}{
		{"an hour until the GitHub reset", []string{"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "@reset"}, 403, time.Hour},
		{"a Retry-After of two minutes", []string{"Retry-After", "120"}, 429, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock, obs := newFakeClock(), &recordingObserver{}
			for i, h := range tc.headers {
				if h == "@reset" {
					tc.headers[i] = strconv.FormatInt(clock.Now().Add(time.Hour).Unix(), 10)
				}
			}
			srv := newScriptedServer(t, clock, respond(tc.status, "limited", tc.headers...), respond(200, "ok"))
			ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(10*time.Second))
			defer cancel()
			begun := time.Now()
			_, _, err := get(t, testClient(clock, obs), ctx, srv.URL+"/search/issues?q=is%3Aopen")
			if err == nil {
				t.Fatal("no error")
			}
			if time.Since(begun) > 5*time.Second {
				t.Errorf("took %s to fail", time.Since(begun))
			}
			var e *Error
			if !errors.As(Classify(err, nil), &e) {
				t.Fatalf("Classify(%v) is not an *Error", err)
			}
			if e.Reason() != ReasonRateLimited || e.Wait != tc.wait {
				t.Errorf("reason %q wait %s, want rate_limited %s", e.Reason(), e.Wait, tc.wait)
			}
			wantMsg := "GET " + srv.URL + "/search/issues?q=is%3Aopen: rate limited: waiting " + tc.wait.String() + " for the limit to reset"
			if !strings.HasPrefix(e.Error(), wantMsg) || !strings.Contains(e.Error(), "would pass the deadline (in 10s)") {
				t.Errorf("message %q, want it to start %q and mention the deadline", e.Error(), wantMsg)
			}
			assertSlept(t, clock)
			assertCodes(t, obs, map[string]int{strconv.Itoa(tc.status): 1})
		})
	}
}

func TestAWaitLongerThanMaxWaitFailsWithoutADeadline(t *testing.T) {
	clock, obs := newFakeClock(), &recordingObserver{}
	srv := newScriptedServer(t, clock, respond(429, "", "Retry-After", "3600"))
	_, _, err := get(t, testClient(clock, obs, func(o *Options) { o.MaxWait = time.Minute }), context.Background(), srv.URL)
	var e *Error
	if !errors.As(err, &e) || e.Reason() != ReasonRateLimited || !strings.Contains(e.Error(), "longer than the longest wait of 1m0s") {
		t.Fatalf("got %v, want a rate_limited error about MaxWait", err)
	}
}

func TestETagsTurnA304IntoTheCachedBody(t *testing.T) {
	clock, obs := newFakeClock(), &recordingObserver{}
	srv := newScriptedServer(t, clock,
		respond(200, `[{"id":1}]`, "ETag", `"v1"`, "Content-Type", "application/json", "X-RateLimit-Remaining", "10"),
		func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") != `"v1"` {
				t.Errorf("If-None-Match %q, want \"v1\"", r.Header.Get("If-None-Match"))
			}
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("X-RateLimit-Remaining", "9")
			w.WriteHeader(http.StatusNotModified)
		},
		respond(200, `[{"id":1},{"id":2}]`, "ETag", `"v2"`, "Content-Type", "application/json"),
		respond(304, "", "ETag", `"v2"`))
	c := testClient(clock, obs, func(o *Options) { o.ETags = true })

	steps := []struct {
		body      string
		fromCache bool
		remaining string
	}{
		{`[{"id":1}]`, false, "10"},
		{`[{"id":1}]`, true, "9"},
		{`[{"id":1},{"id":2}]`, false, ""},
		{`[{"id":1},{"id":2}]`, true, ""},
	}
	for i, want := range steps {
		resp, body, err := c.Get(context.Background(), srv.URL+"/repos/o/r/issues", nil)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		if resp.StatusCode != 200 || string(body) != want.body || FromCache(resp) != want.fromCache {
			t.Errorf("request %d: got %d %q from cache %v, want 200 %q from cache %v", i+1, resp.StatusCode, body, FromCache(resp), want.body, want.fromCache)
		}
		if got := resp.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("request %d: Content-Type %q", i+1, got)
		}
		if want.remaining != "" && resp.Header.Get("X-RateLimit-Remaining") != want.remaining {
			t.Errorf("request %d: X-RateLimit-Remaining %q, want the fresh %q", i+1, resp.Header.Get("X-RateLimit-Remaining"), want.remaining)
		}
	}
	reqs := srv.Requests()
	if got := reqs[2].header.Get("If-None-Match"); got != `"v1"` {
		t.Errorf("third request sent If-None-Match %q", got)
	}
	if got := reqs[3].header.Get("If-None-Match"); got != `"v2"` {
		t.Errorf("fourth request sent If-None-Match %q", got)
	}
	assertCodes(t, obs, map[string]int{"200": 2, "304": 2})
}

func TestETagEntriesAreKeptPerAcceptHeader(t *testing.T) {
	clock := newFakeClock()
	srv := newScriptedServer(t, clock, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" {
			w.WriteHeader(304)
			return
		}
		w.Header().Set("ETag", `"`+r.Header.Get("Accept")+`"`)
		// A JSON string, so the answer to the JSON request is valid JSON.
		_, _ = w.Write([]byte(strconv.Quote(r.Header.Get("Accept"))))
	})
	c := testClient(clock, nil, func(o *Options) { o.ETags = true })
	for _, accept := range []string{"text/csv", "application/json", "text/csv", "application/json"} {
		_, body, err := c.Get(context.Background(), srv.URL, http.Header{"Accept": {accept}})
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != strconv.Quote(accept) {
			t.Errorf("Accept %s got %q", accept, body)
		}
	}
}

func TestNetworkErrorsAreRetriedAndObservedAsError(t *testing.T) {
	clock, obs := newFakeClock(), &recordingObserver{}
	srv := newScriptedServer(t, clock,
		func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
		},
		respond(200, "ok"))
	if _, body, err := get(t, testClient(clock, obs), context.Background(), srv.URL); err != nil || body != "ok" {
		t.Fatalf("got %q %v, want ok", body, err)
	}
	assertCodes(t, obs, map[string]int{"error": 1, "200": 1})
}

func TestAHungAttemptTimesOutAndIsRetried(t *testing.T) {
	clock, obs := newFakeClock(), &recordingObserver{}
	srv := newScriptedServer(t, clock,
		func(w http.ResponseWriter, r *http.Request) {
			// Headers arrive, the body never does: the attempt timeout
			// must cover reading the body too.
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		},
		respond(200, "ok"))
	c := testClient(clock, obs, func(o *Options) { o.Timeout = 100 * time.Millisecond })
	if _, body, err := get(t, c, context.Background(), srv.URL); err != nil || body != "ok" {
		t.Fatalf("got %q %v, want ok", body, err)
	}
	assertCodes(t, obs, map[string]int{"200": 2})
}

func TestTheCallersDeadlineIsClassifiedAsTimeout(t *testing.T) {
	srv := newScriptedServer(t, nil, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	obs := &recordingObserver{}
	_, _, err := get(t, New(Options{Observer: obs}), ctx, srv.URL+"/api?token=abc")
	var e *Error
	if !errors.As(Classify(err, nil), &e) || e.Reason() != ReasonTimeout {
		t.Fatalf("Classify(%v) = %v, want reason timeout", err, Classify(err, nil))
	}
	if !errors.Is(e, context.DeadlineExceeded) {
		t.Errorf("%v does not wrap context.DeadlineExceeded", e)
	}
	if strings.Contains(e.Error(), "abc") || !strings.Contains(e.Error(), "token=REDACTED") {
		t.Errorf("message %q leaks the token", e.Error())
	}
	assertCodes(t, obs, map[string]int{"error": 1})
}

func TestAnOversizedBodyIsRefused(t *testing.T) {
	clock := newFakeClock()
	srv := newScriptedServer(t, clock, respond(200, "0123456789A"))
	c := testClient(clock, nil, func(o *Options) { o.BodyLimit = 10 })
	_, _, err := c.Get(context.Background(), srv.URL+"/export.csv", nil)
	var e *Error
	if !errors.As(err, &e) || e.Reason() != ReasonOther || !strings.Contains(e.Error(), "larger than the limit of 10 bytes") {
		t.Fatalf("got %v, want an error about the 10-byte limit", err)
	}
	if len(srv.Requests()) != 1 {
		t.Errorf("an oversized body was retried")
	}
}

func TestCredentialsAndUserAgentAreSetButNeverFollowARedirectElsewhere(t *testing.T) {
	other := newScriptedServer(t, nil, respond(200, "elsewhere"))
	home := newScriptedServer(t, nil,
		func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/moved", http.StatusFound) },
		func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other.URL+"/file", http.StatusFound) })
	c := New(Options{
		UserAgent: "sre-value-exporter/test",
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cr3t") },
	})
	if _, body, err := get(t, c, context.Background(), home.URL); err != nil || body != "elsewhere" {
		t.Fatalf("got %q %v", body, err)
	}
	for i, r := range home.Requests() {
		if r.header.Get("Authorization") != "Bearer s3cr3t" || r.header.Get("User-Agent") != "sre-value-exporter/test" {
			t.Errorf("request %d to the API host: Authorization %q User-Agent %q", i+1, r.header.Get("Authorization"), r.header.Get("User-Agent"))
		}
	}
	if got := other.Requests()[0].header.Get("Authorization"); got != "" {
		t.Errorf("the other host got Authorization %q", got)
	}
}

func TestTheCallersRequestIsNotModified(t *testing.T) {
	srv := newScriptedServer(t, nil, respond(200, "ok"))
	c := New(Options{Authorize: func(r *http.Request) { r.Header.Set("Authorization", "x") }, ETags: true})
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := c.HTTP().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(req.Header) != 0 {
		t.Errorf("caller's request got headers %v", req.Header)
	}
	if resp.Request.Header.Get("Authorization") != "" {
		t.Errorf("resp.Request carries the credentials")
	}
}

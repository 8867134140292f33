package upstream

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestRetryDecisions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		steps    []http.HandlerFunc
		deadline time.Duration // 0 for none
		status   int           // what the caller finally gets
		attempts int
		slept    []time.Duration
	}{
		{
			name:     "a 429 without any hint backs off like a server error",
			steps:    []http.HandlerFunc{respond(429, ""), respond(200, "ok")},
			status:   200,
			attempts: 2,
			slept:    []time.Duration{500 * time.Millisecond},
		},
		{
			name:     "a 503 whose Retry-After passes the deadline is returned at once",
			steps:    []http.HandlerFunc{respond(503, "", "Retry-After", "60"), respond(200, "ok")},
			deadline: 10 * time.Second,
			status:   503,
			attempts: 1,
		},
		{
			name:     "a 404 is not retried",
			steps:    []http.HandlerFunc{respond(404, ""), respond(200, "ok")},
			status:   404,
			attempts: 1,
		},
		{
			name:     "a 401 is not retried",
			steps:    []http.HandlerFunc{respond(401, ""), respond(200, "ok")},
			status:   401,
			attempts: 1,
		},
		{
			name:     "a 403 without rate-limit headers is not retried",
			steps:    []http.HandlerFunc{respond(403, "", "X-RateLimit-Remaining", "100"), respond(200, "ok")},
			status:   403,
			attempts: 1,
		},
		{
			name:     "a 429 with remaining 0 but a reset in the past backs off",
			steps:    []http.HandlerFunc{respond(429, "", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1000000000"), respond(200, "ok")},
			status:   200,
			attempts: 2,
			slept:    []time.Duration{500 * time.Millisecond},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := newScriptedServer(t, clock, tc.steps...)
			ctx := context.Background()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, clock.Now().Add(tc.deadline))
				defer cancel()
			}
			resp, _, err := get(t, testClient(clock, nil), ctx, srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || len(srv.Requests()) != tc.attempts {
				t.Errorf("got %d after %d attempts, want %d after %d", resp.StatusCode, len(srv.Requests()), tc.status, tc.attempts)
			}
			assertSlept(t, clock, tc.slept...)
		})
	}
}

func TestHEADIsRetriedAndHasNoBody(t *testing.T) {
	clock := newFakeClock()
	srv := newScriptedServer(t, clock, respond(502, ""), respond(200, ""))
	resp, err := testClient(clock, nil).HTTP().Head(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(srv.Requests()) != 2 {
		t.Errorf("got %d after %d attempts", resp.StatusCode, len(srv.Requests()))
	}
}

func TestConcurrentRequestsShareTheGateAndTheCache(t *testing.T) {
	srv := newScriptedServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"same"` {
			w.WriteHeader(304)
			return
		}
		w.Header().Set("ETag", `"same"`)
		w.Header().Set("X-RateLimit-Remaining", "100")
		_, _ = w.Write([]byte("body"))
	})
	obs := &recordingObserver{}
	c := New(Options{ETags: true, Observer: obs})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				_, body, err := c.Get(context.Background(), srv.URL, nil)
				if err != nil || string(body) != "body" {
					t.Errorf("got %q %v", body, err)
				}
			}
		})
	}
	wg.Wait()
	codes := obs.Codes()
	if codes["200"]+codes["304"] != 80 || codes["304"] == 0 {
		t.Errorf("observed %v, want 80 requests, most of them 304", codes)
	}
}

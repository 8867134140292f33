package upstream

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeClock is the transport's clock in tests: Sleep records the wait and
// moves time forward at once.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	// A whole second, so epoch-second reset headers land exactly.
	return &fakeClock{now: time.Unix(time.Now().Unix(), 0)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slept = append(f.slept, d)
	f.now = f.now.Add(d)
	return nil
}

func (f *fakeClock) Slept() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.slept...)
}

// recordingObserver counts attempts per code and keeps rate-limit readings.
type recordingObserver struct {
	mu       sync.Mutex
	codes    map[string]int
	readings []quota
}

func (o *recordingObserver) Request(code string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.codes == nil {
		o.codes = map[string]int{}
	}
	o.codes[code]++
}

func (o *recordingObserver) RateLimit(remaining, limit float64, reset time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.readings = append(o.readings, quota{remaining: remaining, limit: limit, reset: reset})
}

func (o *recordingObserver) Codes() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]int{}
	for k, v := range o.codes {
		out[k] = v
	}
	return out
}

// seen is what the test server saw of one request.
type seen struct {
	method string
	header http.Header
	body   string
	at     time.Time // on the fake clock
}

// scriptedServer answers the n-th request with the n-th step; requests
// beyond the script get the last step.
type scriptedServer struct {
	*httptest.Server
	mu    sync.Mutex
	steps []http.HandlerFunc
	reqs  []seen
}

func newScriptedServer(t *testing.T, clock *fakeClock, steps ...http.HandlerFunc) *scriptedServer {
	t.Helper()
	s := &scriptedServer{steps: steps}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request body: %v", err)
		}
		s.mu.Lock()
		n := len(s.reqs)
		at := time.Time{}
		if clock != nil {
			at = clock.Now()
		}
		s.reqs = append(s.reqs, seen{method: r.Method, header: r.Header.Clone(), body: string(body), at: at})
		step := s.steps[min(n, len(s.steps)-1)]
		s.mu.Unlock()
		step(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *scriptedServer) Requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// respond writes status, headers (name, value pairs) and body.
func respond(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// testClient is a client on the fake clock with a jitter of one half.
func testClient(clock *fakeClock, obs Observer, mutate ...func(*Options)) *Client {
	opts := Options{
		Observer: obs,
		Now:      clock.Now,
		Sleep:    clock.Sleep,
		Rand:     func() float64 { return 0.5 },
	}
	for _, m := range mutate {
		m(&opts)
	}
	return New(opts)
}

package scheduler

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

// fakeCollector serves one gauge whose value the test sets. Its Sync fails
// while fail is set; its Snapshot blocks while a gate is installed, so a test
// can hold a runner in the middle of computing its snapshot.
type fakeCollector struct {
	mu    sync.Mutex
	value float64
	fail  error
	syncs int
	// After the first Sync, Snapshot waits on gate when it is not nil and
	// closes entered first; the snapshot that restores stored data at start
	// never waits.
	gate    chan struct{}
	entered chan struct{}
}

func (f *fakeCollector) Sync(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	return f.fail
}

func (f *fakeCollector) Snapshot(time.Time) (*snapshot.Snapshot, error) {
	f.mu.Lock()
	gate, entered, v := f.gate, f.entered, f.value
	synced := f.syncs > 0
	f.mu.Unlock()
	if gate != nil && synced {
		close(entered)
		<-gate
	}
	b := snapshot.NewBuilder()
	b.Gauge("sre_fake_value", "The fake's value.", v)
	return b.Build()
}

func (f *fakeCollector) set(v float64, fail error) {
	f.mu.Lock()
	f.value, f.fail = v, fail
	f.mu.Unlock()
}

// block makes the next Snapshot after a sync wait until the returned release is called.
func (f *fakeCollector) block() (entered <-chan struct{}, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate, f.entered = make(chan struct{}), make(chan struct{})
	gate := f.gate
	return f.entered, func() {
		f.mu.Lock()
		f.gate = nil
		f.mu.Unlock()
		close(gate)
	}
}

func (f *fakeCollector) syncCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncs
}

func instance(name string, c collectors.Collector, fingerprint string) Instance {
	return Instance{Name: name, Kind: "fake", Collector: c, Interval: time.Hour, Timeout: time.Minute, Fingerprint: fingerprint}
}

func newTestScheduler(t *testing.T) (*Scheduler, *prometheus.Registry) {
	t.Helper()
	s := New(slog.New(slog.DiscardHandler), func() time.Time { return time.Unix(1_800_000_000, 0) })
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	t.Cleanup(func() {
		if !t.Failed() { // after a deadlock, Stop would hang too
			s.Stop()
		}
	})
	return s, reg
}

// within fails the test if fn does not return in time: the defects these
// tests guard against are hangs.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return: deadlock", what)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAReloadDuringASnapshotDoesNotHangTheScheduler(t *testing.T) {
	s, reg := newTestScheduler(t)
	old := &fakeCollector{value: 1}
	// The runner's first refresh stops in the middle of its snapshot.
	entered, release := old.block()
	s.Apply(context.Background(), []Instance{instance("alpha", old, "v1")})
	<-entered
	oldRunner := s.runners["alpha"]

	// The reload changes alpha, so it must stop the runner that is busy.
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		s.Apply(context.Background(), []Instance{instance("alpha", &fakeCollector{value: 2}, "v2")})
	}()
	// Give the reload time to reach the old runner (it swaps the runner
	// without waiting for it, so this ends early once fixed).
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if s.mu.TryLock() {
			swapped := s.runners["alpha"] != oldRunner
			s.mu.Unlock()
			if swapped {
				break
			}
		}
	}
	release()

	within(t, "Apply", func() { <-applied })
	within(t, "Statuses", func() { s.Statuses() })
	within(t, "gathering the health metrics", func() {
		if _, err := reg.Gather(); err != nil {
			t.Error(err)
		}
	})
	waitUntil(t, "the restarted collector's data", func() bool {
		return strings.Contains(string(s.Rendered().Text), `sre_fake_value{collector="alpha"} 2`)
	})
	if strings.Contains(string(s.Rendered().Text), `sre_fake_value{collector="alpha"} 1`) {
		t.Error("the stopped runner's late snapshot replaced the new one")
	}
}

package records

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// now is the fixed "now" of the tests: the 7d window is (Mar 25, Apr 1],
// 30d is (Mar 2, Apr 1] and 90d is (Jan 2, Apr 1].
var now = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)

const testCatalog = `
catalog:
  teams:
    - name: payments
      aliases: ["Payments Team"]
    - name: search
    - name: checkout
  services:
    - name: api
      team: payments
      aliases: ["payments-api"]
`

// env is a config folder with fixtures, a store and a log, for building
// collectors the way the exporter does.
type env struct {
	t     *testing.T
	dir   string
	store *store.Store
	log   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv copies the named fixtures from testdata into a fresh config folder.
func newEnv(t *testing.T, fixtures ...string) *env {
	t.Helper()
	dir := t.TempDir()
	for _, f := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, dir: dir, log: &syncBuffer{}}
	e.reopen()
	t.Cleanup(func() { e.store.Close() })
	return e
}

// reopen closes and opens the store, as a restart does.
func (e *env) reopen() {
	e.t.Helper()
	if e.store != nil {
		if err := e.store.Close(); err != nil {
			e.t.Fatal(err)
		}
	}
	st, err := store.Open(filepath.Join(e.dir, "data", "store.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.store = st
}

func (e *env) write(name, content string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, name), []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// collector builds a records collector from the YAML of its tables list.
func (e *env) collector(tablesYAML string) *Collector {
	e.t.Helper()
	c, err := e.build(tablesYAML)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.(*Collector)
}

func (e *env) build(tablesYAML string) (collectors.Collector, error) {
	e.t.Helper()
	file := filepath.Join(e.dir, "config.yml")
	data := testCatalog + "collectors:\n  - kind: records\n    name: demo\n    tables:\n" + indent(tablesYAML, "      ")
	cfg, err := config.Parse(file, []byte(data))
	if err != nil {
		e.t.Fatal(err)
	}
	return New(collectors.Deps{
		Config:  cfg.Collectors[0],
		Decoder: cfg.Decoder(),
		BaseDir: cfg.Dir,
		Catalog: &cfg.Catalog,
		Store:   e.store,
		Logger:  slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:     func() time.Time { return now },
	})
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func (e *env) sync(c *Collector) {
	e.t.Helper()
	if err := c.Sync(context.Background()); err != nil {
		e.t.Fatalf("sync: %v", err)
	}
}

func snap(t *testing.T, c *Collector) *snapshot.Snapshot {
	t.Helper()
	s, err := c.Snapshot(now)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return s
}

// samples renders the series that start with one of prefixes (a name, or a
// name and the first labels), one "name{labels} value" a line, values in plain decimal so the
// expectations read like the hand computation.
func samples(t *testing.T, s *snapshot.Snapshot, prefixes ...string) string {
	t.Helper()
	r, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(r.Text), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		keep := false
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				keep = true
			}
		}
		if !keep {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("value of %q: %v", line, err)
		}
		out = append(out, line[:i]+" "+strconv.FormatFloat(v, 'f', -1, 64))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// want turns an indented expectation into the form samples returns.
func want(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "//") {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func compare(t *testing.T, got, expected string) {
	t.Helper()
	if got != want(expected) {
		t.Errorf("series differ\n--- got\n%s\n--- want\n%s", got, want(expected))
	}
}

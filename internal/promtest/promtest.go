// Package promtest runs the pinned Prometheus against the demo exporter for
// end-to-end tests: the dashboards' queries and the report both run against
// it. It is for tests only.
package promtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	_ "github.com/sre-value/sre-value-exporter/collectors/all" // the demo reads every kind of source
	"github.com/sre-value/sre-value-exporter/internal/backfill"
	"github.com/sre-value/sre-value-exporter/internal/exporter"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/testbin"
	"github.com/sre-value/sre-value-exporter/internal/web"
)

// DemoNow is just after the last day of the demo data (as in the exporter's
// demo tests), so every window of the demo is full.
var DemoNow = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// Job is the job label of the demo's scrape (and of its backfill).
const Job = "sre"

// Options choose what the Prometheus loads besides the scrape.
type Options struct {
	// RuleFiles are rule files, relative to the module root, that
	// Prometheus evaluates every second; WaitFor waits for their records.
	RuleFiles []string
	// WaitFor are instant queries that must each return a series before
	// Start returns (for example a recording rule's name).
	WaitFor []string
	// Backfill gives Prometheus six months of the demo's history before
	// it starts: the blocks `sre-value-exporter backfill` writes (180
	// days to DemoNow at 1h steps, with the recording rules of RuleFiles
	// evaluated over them), with the retention and lookback delta
	// docs/backfill.md asks for. The live scrape continues the series.
	Backfill bool
}

// Demo is a running Prometheus that has scraped the demo exporter.
type Demo struct {
	// Addr is Prometheus's host:port.
	Addr string
	// Exposition is the exporter's /metrics text, for hand computations.
	Exposition string
	// Backfill is what the backfill wrote (with Options.Backfill).
	Backfill *backfill.Result
}

// URL is Prometheus's base URL.
func (d *Demo) URL() string { return "http://" + d.Addr }

// Start serves the demo exporter (its data as of DemoNow), starts the
// pinned Prometheus scraping it every second and returns once Prometheus
// has three scrapes and every WaitFor query answers. Everything stops when
// the test ends.
func Start(t testing.TB, opts Options) *Demo {
	t.Helper()
	bin := testbin.Prometheus(t)
	root := ModuleRoot(t)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.DiscardHandler)
	config := demoCopy(t, root)
	exp := exporter.New(exporter.Options{ConfigFile: config, Logger: logger, Now: func() time.Time { return DemoNow }}, st)
	reg := prometheus.NewRegistry()
	if err := exp.Register(reg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := exp.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	exp.Scheduler.RefreshNow(ctx)
	for _, s := range exp.Scheduler.Statuses() {
		if !s.Up {
			cancel()
			t.Fatalf("demo collector %s is down: %s", s.Name, s.LastError)
		}
	}
	srv := httptest.NewServer(web.Handler(web.Options{TelemetryPath: "/metrics", Self: reg, Source: exp.Scheduler, Reload: exp.Reload, Logger: logger}))
	target, err := url.Parse(srv.URL)
	if err != nil {
		cancel()
		t.Fatal(err)
	}

	promAddr := FreeAddr(t)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n")
	if len(opts.RuleFiles) > 0 {
		cfg.WriteString("rule_files:\n")
		for _, f := range opts.RuleFiles {
			fmt.Fprintf(&cfg, "  - %s\n", strconv.Quote(filepath.Join(root, filepath.FromSlash(f))))
		}
	}
	fmt.Fprintf(&cfg, "scrape_configs:\n  - job_name: %s\n    static_configs:\n      - targets: ['%s']\n", Job, target.Host)
	tsdbDir := filepath.Join(dir, "tsdb")
	args := []string{"--config.file=" + filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path=" + tsdbDir, "--web.listen-address=" + promAddr}
	var res *backfill.Result
	if opts.Backfill {
		// The history's instance label, whatever the exporter's port.
		fmt.Fprintf(&cfg, "        labels:\n          instance: %s\n", strconv.Quote(BackfillInstance))
		var blocks string
		blocks, res = backfillBlocks(t, root, config, opts.RuleFiles)
		if err := copyTree(blocks, tsdbDir); err != nil {
			cancel()
			t.Fatalf("copying the backfilled blocks: %v", err)
		}
		args = append(args, "--storage.tsdb.retention.time="+backfillRetention, "--query.lookback-delta="+backfillLookback)
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		cancel()
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		srv.Close()
		exp.Scheduler.Stop()
		logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			t.Logf("prometheus log:\n%s", log)
		}
	})

	// Three scrapes, so a rate over the last minutes has two samples.
	waits := append([]string{`count_over_time(up{job="sre"}[1m]) >= 3`}, opts.WaitFor...)
	deadline := time.Now().Add(60 * time.Second)
	for _, q := range waits {
		for {
			if res, err := Query(promAddr, q, time.Time{}); err == nil && len(res) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("prometheus never answered %s", q)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	return &Demo{Addr: promAddr, Exposition: string(exp.Scheduler.Rendered().Text), Backfill: res}
}

// Sample is one series of an instant query's answer.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query runs expr as an instant query at at (now when zero) through the
// plain HTTP API, independent of the report's client.
func Query(addr, expr string, at time.Time) ([]Sample, error) {
	q := url.Values{"query": {expr}}
	if !at.IsZero() {
		q.Set("time", unixSeconds(at))
	}
	resp, err := http.Get("http://" + addr + "/api/v1/query?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string            `json:"resultType"`
			Result     []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("decoding the answer: %w", err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("prometheus: %s", body.Error)
	}
	if body.Data.ResultType == "scalar" {
		return nil, errors.New("prometheus: a scalar answer, not a vector")
	}
	var out []Sample
	for _, raw := range body.Data.Result {
		var r struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("decoding a sample: %w", err)
		}
		str, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("sample value %v: %w", r.Value[1], err)
		}
		out = append(out, Sample{Labels: r.Metric, Value: v})
	}
	return out, nil
}

// Series is one series of a range query's answer.
type Series struct {
	Labels map[string]string
	Points []Point
}

// Point is one value of a series.
type Point struct {
	At    time.Time
	Value float64
}

// QueryRange runs expr as a range query from start to end every step
// through the plain HTTP API, as Grafana's time series panels do.
func QueryRange(addr, expr string, start, end time.Time, step time.Duration) ([]Series, error) {
	q := url.Values{"query": {expr}, "start": {unixSeconds(start)}, "end": {unixSeconds(end)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}}
	resp, err := http.Get("http://" + addr + "/api/v1/query_range?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("decoding the answer: %w", err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("prometheus: %s", body.Error)
	}
	var out []Series
	for _, r := range body.Data.Result {
		s := Series{Labels: r.Metric}
		for _, v := range r.Values {
			at, ok := v[0].(float64)
			str, _ := v[1].(string)
			f, err := strconv.ParseFloat(str, 64)
			if !ok || err != nil {
				return nil, fmt.Errorf("a point %v of %v", v, r.Metric)
			}
			s.Points = append(s.Points, Point{At: time.UnixMilli(int64(at * 1000)).UTC(), Value: f})
		}
		out = append(out, s)
	}
	return out, nil
}

func unixSeconds(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// FreeAddr returns a free loopback host:port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ModuleRoot is the folder of go.mod above the test's working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// demoCopy copies examples/demo with fixed modification times (exported
// as "last changed" timestamps) and returns its config file.
func demoCopy(t testing.TB, root string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join(root, "examples", "demo")
	if err := copyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	mtime := DemoNow.Add(-24 * time.Hour)
	err := filepath.WalkDir(dst, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(path, mtime, mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dst, "config.yml")
}

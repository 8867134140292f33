package dashboards

import (
	"context"
	"encoding/json"
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
	"github.com/prometheus/prometheus/promql/parser"

	_ "github.com/sre-value/sre-value-exporter/collectors/all"
	"github.com/sre-value/sre-value-exporter/internal/bundle/slo"
	"github.com/sre-value/sre-value-exporter/internal/exporter"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/testbin"
	"github.com/sre-value/sre-value-exporter/internal/web"
)

// demoNow is just after the last day of the demo data (as in the exporter's
// demo tests), so every window of the demo is full.
var demoNow = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// TestEveryPanelQueryRunsAgainstARealPrometheus lets the pinned Prometheus
// scrape the demo exporter and runs every panel query, with the variables
// at "all teams, all sources, 30 days". Queries on the exact *_in_window
// figures must return data; the others that return nothing are listed with
// the reason (a fresh Prometheus has seconds of history, and the demo has
// no upstream API, so no request or rate-limit figures).
func TestEveryPanelQueryRunsAgainstARealPrometheus(t *testing.T) {
	bin := testbin.Prometheus(t)
	addr, exposition := runDemo(t, bin)
	t.Run("panels show the demo's figures", func(t *testing.T) { checkFigures(t, addr, exposition) })
	p := parser.NewParser(parser.Options{})

	var empty []string
	for _, s := range specs(testInput) {
		for _, r := range s.rows {
			for _, pn := range r.panels {
				for _, q := range pn.queries {
					expr := substitute(t, q.expr)
					n, err := instantQuery(addr, expr)
					if err != nil {
						t.Errorf("%s / %s: %s: %v", s.uid, pn.title, expr, err)
						continue
					}
					if n > 0 {
						continue
					}
					if readsWindowFigures(t, p, expr) {
						t.Errorf("%s / %s: %s returns no data, but it reads exact window figures", s.uid, pn.title, expr)
						continue
					}
					reason := pn.history
					if missing := missingSeries(t, p, addr, expr); len(missing) > 0 {
						reason = "the demo exports no " + strings.Join(missing, ", ")
					} else if reason == "" {
						t.Errorf("%s / %s: %s returns no data although its series exist", s.uid, pn.title, expr)
						continue
					}
					empty = append(empty, fmt.Sprintf("%s / %s: %s (%s)", s.uid, pn.title, expr, reason))
				}
			}
		}
	}
	t.Logf("%d panel queries return no data on the demo:\n%s", len(empty), strings.Join(empty, "\n"))
}

// readsWindowFigures reports whether expr reads a family of exact window
// figures (label "window").
func readsWindowFigures(t *testing.T, p parser.Parser, expr string) bool {
	e, err := p.ParseExpr(expr)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			if f, ok := metrics.Reserved(vs.Name); ok && f.HasLabel(metrics.WindowLabel) {
				found = true
			}
		}
		return nil
	})
	return found
}

// missingSeries lists the metrics expr reads that Prometheus has no
// series of.
func missingSeries(t *testing.T, p parser.Parser, addr, expr string) []string {
	e, err := p.ParseExpr(expr)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			if n, err := instantQuery(addr, vs.Name); err == nil && n == 0 {
				missing = append(missing, vs.Name)
			}
		}
		return nil
	})
	return missing
}

// instantQuery returns how many series expr returns now.
func instantQuery(addr, expr string) (int, error) {
	res, err := promQuery(addr, expr)
	return len(res), err
}

// sample is one series of an instant query's answer.
type sample struct {
	labels map[string]string
	value  float64
}

// promQuery runs expr as an instant query.
func promQuery(addr, expr string) ([]sample, error) {
	resp, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(expr))
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
	var out []sample
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
		out = append(out, sample{labels: r.Metric, value: v})
	}
	return out, nil
}

// runDemo serves the demo exporter, starts Prometheus scraping it every
// second and returns Prometheus's address once it has a few scrapes.
func runDemo(t *testing.T, bin string) (addr, exposition string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.DiscardHandler)
	exp := exporter.New(exporter.Options{ConfigFile: demoCopy(t), Logger: logger, Now: func() time.Time { return demoNow }}, st)
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
			t.Fatalf("demo collector %s is down: %s", s.Name, s.LastError)
		}
	}
	srv := httptest.NewServer(web.Handler(web.Options{TelemetryPath: "/metrics", Self: reg, Source: exp.Scheduler, Reload: exp.Reload, Logger: logger}))
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	promAddr := freeAddr(t)
	// The SLO rules are loaded, so the panels that read their recording
	// rules (slo:*) have data: the rules are evaluated every second.
	rules, err := filepath.Abs(filepath.Join("..", "..", "..", "alerts", "sre-value.slo.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: ['%s']\nscrape_configs:\n  - job_name: sre\n    static_configs:\n      - targets: ['%s']\n", rules, target.Host)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"), "--web.listen-address="+promAddr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		srv.Close()
		exp.Scheduler.Stop()
		logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			t.Logf("prometheus log:\n%s", log)
		}
	})

	// Three scrapes, so a rate over the last minutes has two samples, and
	// the SLO rules evaluated after them.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if n, err := instantQuery(promAddr, `count_over_time(up{job="sre"}[1m]) >= 3 and on() count_over_time(`+slo.PeriodAttainment+`[1m]) >= 3`); err == nil && n == 1 {
			return promAddr, string(exp.Scheduler.Rendered().Text)
		}
		if time.Now().After(deadline) {
			t.Fatal("prometheus never scraped the demo exporter three times")
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// demoCopy copies examples/demo with fixed modification times (exported
// as "last changed" timestamps) and returns its config file.
func demoCopy(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("..", "..", "..", "examples", "demo")
	mtime := demoNow.Add(-24 * time.Hour)
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(to, data, 0o644); err != nil {
			return err
		}
		return os.Chtimes(to, mtime, mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dst, "config.yml")
}

package exporter

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sre-value/sre-value-exporter/internal/bundle"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/testbin"
	"github.com/sre-value/sre-value-exporter/internal/web"
)

// TestARealPrometheusScrapesTheDemo runs the demo exporter behind its real
// HTTP handler, lets a real Prometheus scrape it (gzip, multi-member body
// included) with the bundle's generated rules loaded, checks headline
// numbers through the Prometheus API against the same figures computed from
// the golden exposition, and that every generated rule evaluates.
func TestARealPrometheusScrapesTheDemo(t *testing.T) {
	bin := testbin.Prometheus(t)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logger := slog.New(slog.DiscardHandler)
	exp := New(Options{ConfigFile: demoCopy(t), Logger: logger, Now: func() time.Time { return demoNow }}, st)
	reg := prometheus.NewRegistry()
	if err := exp.Register(reg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := exp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer exp.Scheduler.Stop()
	exp.Scheduler.RefreshNow(ctx)
	srv := httptest.NewServer(web.Handler(web.Options{TelemetryPath: "/metrics", Self: reg, Source: exp.Scheduler, Reload: exp.Reload, Logger: logger}))
	defer srv.Close()
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	// The rules the bundle generates for the demo configuration, evaluated
	// every second next to the scrape.
	demoCfg, err := config.Load("../../examples/demo/config.yml")
	if err != nil {
		t.Fatal(err)
	}
	files, err := bundle.Generate(demoCfg, "examples/demo/config.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), files[bundle.RulesFile], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "slo.rules.yml"), files[bundle.SLORulesFile], 0o600); err != nil {
		t.Fatal(err)
	}
	promAddr := freeAddr(t)
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yml, slo.rules.yml]\nscrape_configs:\n  - job_name: sre\n    static_configs:\n      - targets: ['%s']\n", target.Host)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"), "--web.listen-address="+promAddr)
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			t.Logf("prometheus log:\n%s", log)
		}
	}()

	query := func(q string) (float64, bool) {
		resp, err := http.Get("http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		var body struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if json.NewDecoder(resp.Body).Decode(&body) != nil || len(body.Data.Result) != 1 {
			return 0, false
		}
		v, err := strconv.ParseFloat(body.Data.Result[0].Value[1].(string), 64)
		return v, err == nil
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if v, ok := query(`up{job="sre"}`); ok && v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("prometheus never scraped the exporter successfully")
		}
		time.Sleep(250 * time.Millisecond)
	}

	// Expected values are summed from the rendered exposition itself,
	// independently of PromQL.
	text := string(exp.Scheduler.Rendered().Text)
	expectSum := func(name string, labels map[string]string) float64 { return sumSamples(text, name, labels) }
	mttrWant := expectSum("sre_incident_time_to_resolve_in_window_seconds_sum", map[string]string{"window": "30d"}) /
		expectSum("sre_incident_time_to_resolve_in_window_seconds_count", map[string]string{"window": "30d"})
	checks := []struct {
		query string
		want  float64
	}{
		{`sum(sre_collector_up)`, float64(len(exp.Scheduler.Statuses()))}, // every demo collector is up
		{`sum(sre_incident_time_to_resolve_in_window_seconds_sum{window="30d"}) / sum(sre_incident_time_to_resolve_in_window_seconds_count{window="30d"})`, mttrWant},
		{`sum(sre_incidents_opened_in_window{window="90d"})`, expectSum("sre_incidents_opened_in_window", map[string]string{"window": "90d"})},
		{`sum(sre_event_attendees_in_window{kind="office_hours",window="30d"})`, expectSum("sre_event_attendees_in_window", map[string]string{"kind": "office_hours", "window": "30d"})},
		{`count(sre_team_info)`, 8},
	}
	for _, c := range checks {
		if c.want == 0 {
			t.Errorf("%s: the demo should give a non-zero figure to compare", c.query)
		}
		got, ok := query(c.query)
		t.Logf("%s = %v (want %v)", c.query, got, c.want)
		if !ok || fmt.Sprintf("%.6g", got) != fmt.Sprintf("%.6g", c.want) {
			t.Errorf("%s = %v (ok=%v), want %v", c.query, got, ok, c.want)
		}
	}

	// Every generated rule group evaluates without error; a recording rule
	// gives the MTTR summed from the exposition, and the help-channel SLO's
	// error ratio is the share of the week's questions without an SRE reply
	// within 4 hours (its bucket scraped as le="14400", stored as "14400.0").
	waitForRules(t, promAddr, time.Now().Add(60*time.Second))
	questions := expectSum("sre_slack_questions_in_window", map[string]string{"window": "7d"})
	within4h := expectSum("sre_slack_question_first_sre_reply_seconds_bucket", map[string]string{"window": "7d", "le": "14400"})
	recorded := []struct {
		query string
		want  float64
	}{
		{`window:sre_incident_time_to_resolve_in_window_seconds:mean{window="30d"}`, mttrWant},
		{`slo:sli_error:ratio_rate5m{sre_slo="help-answered-within-4h"}`, (questions - within4h) / questions},
	}
	for _, r := range recorded {
		if r.want == 0 || math.IsNaN(r.want) {
			t.Errorf("%s: the demo should give a non-zero figure to compare", r.query)
		}
		deadline = time.Now().Add(30 * time.Second)
		for {
			got, ok := query(r.query)
			if ok && fmt.Sprintf("%.6g", got) == fmt.Sprintf("%.6g", r.want) {
				t.Logf("%s = %v (want %v)", r.query, got, r.want)
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s = %v (ok=%v), want %v", r.query, got, ok, r.want)
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}

// waitForRules waits until Prometheus has evaluated every rule of every
// group once, then fails the test for each rule whose evaluation failed.
func waitForRules(t *testing.T, promAddr string, deadline time.Time) {
	t.Helper()
	type rule struct {
		Name           string `json:"name"`
		Health         string `json:"health"`
		LastError      string `json:"lastError"`
		LastEvaluation string `json:"lastEvaluation"`
	}
	for {
		var body struct {
			Data struct {
				Groups []struct {
					Name  string `json:"name"`
					Rules []rule `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		resp, err := http.Get("http://" + promAddr + "/api/v1/rules")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
		}
		evaluated, rules := true, 0
		for _, g := range body.Data.Groups {
			for _, r := range g.Rules {
				rules++
				if r.Health == "unknown" || strings.HasPrefix(r.LastEvaluation, "0001-") {
					evaluated = false
				}
			}
		}
		if err == nil && rules > 0 && evaluated {
			for _, g := range body.Data.Groups {
				for _, r := range g.Rules {
					if r.Health != "ok" || r.LastError != "" {
						t.Errorf("rule %s of group %s: health %s: %s", r.Name, g.Name, r.Health, r.LastError)
					}
				}
			}
			t.Logf("%d generated rules evaluated without error", rules)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus did not evaluate every generated rule in time (%d rules, err %v)", rules, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// sumSamples adds the values of every sample of name whose labels include
// the given ones.
func sumSamples(text, name string, want map[string]string) float64 {
	var sum float64
	for _, line := range strings.Split(text, "\n") {
		m := sampleLine.FindStringSubmatch(line)
		if m == nil || m[1] != name {
			continue
		}
		labels := map[string]string{}
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			labels[p[1]] = p[2]
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if match {
			v, _ := strconv.ParseFloat(m[3], 64)
			sum += v
		}
	}
	return sum
}

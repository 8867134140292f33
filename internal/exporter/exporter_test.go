package exporter

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/tally"
	"github.com/sre-value/sre-value-exporter/internal/web"
)

// fakeCollector reads its "upstream" from a file: one number per sync, the
// word "fail" to simulate an upstream fault, or "wait" to hold the sync until
// the file says something else. Each sync counts one event
// per distinct number seen, the way real collectors count records.
type fakeCollector struct {
	deps     collectors.Deps
	upstream string
	token    config.Secret
}

type fakeSettings struct {
	Upstream  string        `yaml:"upstream"`
	Token     config.Secret `yaml:"token"`
	TokenFile string        `yaml:"token_file"`
}

func init() {
	collectors.Register(collectors.Kind{Name: "fake", Help: "test double", EnabledByDefault: true, Factory: func(d collectors.Deps) (collectors.Collector, error) {
		var s fakeSettings
		if err := d.DecodeSettings(&s); err != nil {
			return nil, err
		}
		tok, err := config.SecretSetting(d.Decoder, d.Config.Line, d.Config.Field()+".token", s.Token, s.TokenFile, d.BaseDir, false)
		if err != nil {
			return nil, err
		}
		if s.Upstream == "" {
			return nil, d.Errorf("upstream", "required")
		}
		return &fakeCollector{deps: d, upstream: filepath.Join(d.BaseDir, s.Upstream), token: tok}, nil
	}})
}

func (f *fakeCollector) Sync(ctx context.Context) error {
	data, err := os.ReadFile(f.upstream)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(string(data))
	for text == "wait" {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if data, err = os.ReadFile(f.upstream); err != nil {
			return err
		}
		text = strings.TrimSpace(string(data))
	}
	if text == "fail" {
		// A careless upstream error that echoes the credential.
		return collectors.WithReason(collectors.ReasonServer, fmt.Errorf("GET https://upstream.example/api?token=%s: 503 Service Unavailable", f.token.Value()))
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return collectors.WithReason(collectors.ReasonDecode, err)
	}
	return f.deps.Store.Update(f.deps.StoreKey(), func(tx *store.Tx) error {
		tl, err := tally.Load(tx, "events")
		if err != nil {
			return err
		}
		tl.Observe("event-"+text, 1, "team", "payments")
		if err := tl.Save(tx); err != nil {
			return err
		}
		if err := tx.SetCursor("last", text); err != nil {
			return err
		}
		_, err = tx.PutRecord("value", "current", v)
		return err
	})
}

var (
	fakeValue  = metrics.Custom("sre_fake_value", metrics.Gauge, "The fake upstream's number.", nil)
	fakeEvents = metrics.Custom("sre_fake_events_total", metrics.Counter, "Distinct numbers seen.", []string{"team"})
)

func (f *fakeCollector) Snapshot(now time.Time) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	err := f.deps.Store.View(f.deps.StoreKey(), func(tx *store.Tx) error {
		var v float64
		if ok, err := tx.GetRecord("value", "current", &v); err != nil || !ok {
			return err
		}
		b.Gauge(fakeValue, v)
		totals, err := tally.LoadTotals(tx, "events")
		for _, t := range totals {
			b.Counter(fakeEvents, t.Value, t.Labels...)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return b.Build()
}

type harness struct {
	t        *testing.T
	dir      string
	cfgPath  string
	st       *store.Store
	exp      *Exporter
	reg      *prometheus.Registry
	logs     *bytes.Buffer
	handler  http.Handler
	cancel   context.CancelFunc
	dbPath   string
	upstream string
}

func newHarness(t *testing.T, dir, cfg string) *harness {
	t.Helper()
	h := &harness{t: t, dir: dir, cfgPath: filepath.Join(dir, "config.yml"), dbPath: filepath.Join(dir, "store.db"), logs: &bytes.Buffer{}}
	h.writeConfig(cfg)
	var err error
	if h.st, err = store.Open(h.dbPath); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(h.logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.exp = New(Options{ConfigFile: h.cfgPath, Logger: logger}, h.st)
	h.reg = prometheus.NewPedanticRegistry()
	if err := h.exp.Register(h.reg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	if err := h.exp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h.handler = web.Handler(web.Options{TelemetryPath: "/metrics", Version: "test", ConfigFile: h.cfgPath, Self: h.reg, Source: h.exp.Scheduler, Reload: h.exp.Reload, EnableLifecycle: true, Logger: logger})
	t.Cleanup(h.close)
	return h
}

func (h *harness) close() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.exp.Scheduler.Stop()
	h.st.Close()
	h.cancel = nil
}

func (h *harness) writeConfig(cfg string) {
	if err := os.WriteFile(h.cfgPath, []byte(cfg), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) setUpstream(name, v string) {
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(v), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) get(path string) (int, string) {
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func (h *harness) post(path string) (int, string) {
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
	return rec.Code, rec.Body.String()
}

// waitFor polls cond: collectors refresh in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const oneFake = `collectors:
  - kind: fake
    name: alpha
    refresh_interval: 1h
    timeout: 5s
    upstream: alpha.txt
`

func TestFailedRefreshKeepsLastDataAndFlipsUpToZero(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alpha.txt"), []byte("42"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, oneFake)
	waitFor(t, "ready", h.exp.Scheduler.Ready)

	_, body := h.get("/metrics")
	for _, want := range []string{`sre_fake_value{collector="alpha"} 42`, `sre_collector_up{collector="alpha",kind="fake"} 1`} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, body)
		}
	}

	h.setUpstream("alpha.txt", "fail")
	h.exp.Scheduler.RefreshNow(context.Background())
	_, body = h.get("/metrics")
	for _, want := range []string{
		`sre_fake_value{collector="alpha"} 42`, // last good data stays
		`sre_collector_up{collector="alpha",kind="fake"} 0`,
		`sre_collector_errors_total{collector="alpha",reason="server_error"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q after a failed refresh:\n%s", want, body)
		}
	}
	st := h.exp.Scheduler.Statuses()[0]
	if st.Up || !strings.Contains(st.LastError, "503 Service Unavailable") || st.LastSuccess.IsZero() {
		t.Errorf("status after failure = %+v", st)
	}

	h.setUpstream("alpha.txt", "43")
	h.exp.Scheduler.RefreshNow(context.Background())
	_, body = h.get("/metrics")
	if !strings.Contains(body, `sre_fake_value{collector="alpha"} 43`) || !strings.Contains(body, `sre_collector_up{collector="alpha",kind="fake"} 1`) {
		t.Errorf("recovery not visible:\n%s", body)
	}
}

func TestReloadAppliesAGoodConfigAndKeepsTheOldOneOnABadConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alpha.txt"), []byte("1"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "beta.txt"), []byte("2"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, oneFake)
	waitFor(t, "ready", h.exp.Scheduler.Ready)

	h.writeConfig(oneFake + "  - {kind: fake, name: beta, refresh_interval: 1h, timeout: 5s, upstream: beta.txt}\n")
	if code, body := h.post("/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	waitFor(t, "beta ready", h.exp.Scheduler.Ready)
	if n := len(h.exp.Scheduler.Statuses()); n != 2 {
		t.Fatalf("%d collectors after reload, want 2", n)
	}
	if err := testutil.GatherAndCompare(h.reg, strings.NewReader(`
# HELP sre_config_last_reload_successful 1 if the last configuration load or reload succeeded, 0 if it failed (the previous configuration keeps running).
# TYPE sre_config_last_reload_successful gauge
sre_config_last_reload_successful 1
`), "sre_config_last_reload_successful"); err != nil {
		t.Error(err)
	}

	h.writeConfig(oneFake + "  - {kind: fake, name: beta, refresh_interval: 1h, timeout: 5s, upstrem: beta.txt}\n")
	code, body := h.post("/-/reload")
	wantErr := `config.yml:7: collectors[1]: unknown field "upstrem" (did you mean "upstream"?)`
	if code != http.StatusInternalServerError || !strings.Contains(body, wantErr) {
		t.Fatalf("bad reload answered %d %q, want 500 with %q", code, body, wantErr)
	}
	if n := len(h.exp.Scheduler.Statuses()); n != 2 {
		t.Errorf("%d collectors after a bad reload, want the 2 still running", n)
	}
	_, metrics := h.get("/metrics")
	for _, want := range []string{"sre_config_last_reload_successful 0", `sre_fake_value{collector="beta"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q after a bad reload", want)
		}
	}
	if code, _ := h.get("/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload = %d, want 405", code)
	}
}

func TestRestartWithTheSameStoreKeepsCountersAndCursors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alpha.txt"), []byte("1"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, oneFake)
	waitFor(t, "ready", h.exp.Scheduler.Ready)
	for _, v := range []string{"2", "3"} {
		h.setUpstream("alpha.txt", v)
		h.exp.Scheduler.RefreshNow(context.Background())
	}
	_, body := h.get("/metrics")
	if !strings.Contains(body, `sre_fake_events_total{collector="alpha",team="payments"} 3`) {
		t.Fatalf("before restart:\n%s", body)
	}
	h.close()

	// The upstream now fails: everything served must come from the store.
	if err := os.WriteFile(filepath.Join(dir, "alpha.txt"), []byte("fail"), 0o600); err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, dir, oneFake)
	_, body = h2.get("/metrics")
	if !strings.Contains(body, `sre_fake_events_total{collector="alpha",team="payments"} 3`) {
		t.Errorf("counter after restart, before any sync, not restored:\n%s", body)
	}
	waitFor(t, "first refresh", h2.exp.Scheduler.Ready)
	h2.setUpstream("alpha.txt", "3") // seen before: the counter must not move
	h2.exp.Scheduler.RefreshNow(context.Background())
	_, body = h2.get("/metrics")
	if !strings.Contains(body, `sre_fake_events_total{collector="alpha",team="payments"} 3`) {
		t.Errorf("counter after restart and resync:\n%s", body)
	}
	h2.st.View("fake/alpha", func(tx *store.Tx) error {
		if got := tx.Cursor("last"); got != "3" {
			t.Errorf("cursor after restart = %q, want 3", got)
		}
		return nil
	})
}

func TestSecretsNeverAppearInLogsErrorsLandingPageOrMetrics(t *testing.T) {
	const token = "tok_4f9a8c7e2b1d_supersecret"
	t.Setenv("FAKE_TOKEN", token)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alpha.txt"), []byte("fail"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, oneFake+"    token: ${FAKE_TOKEN}\n")
	waitFor(t, "first refresh", h.exp.Scheduler.Ready)

	// A bad reload whose error could carry the token, too.
	h.writeConfig(oneFake + "    token: ${FAKE_TOKEN}\n    bogus: " + token + "\n")
	_, reloadBody := h.post("/-/reload")

	_, landing := h.get("/")
	_, metrics := h.get("/metrics")
	status := h.exp.Scheduler.Statuses()[0]
	places := map[string]string{
		"logs":         h.logs.String(),
		"landing page": landing,
		"/metrics":     metrics,
		"status error": status.LastError,
		"reload error": reloadBody,
	}
	for where, text := range places {
		if strings.Contains(text, token) {
			t.Errorf("the token appears in the %s:\n%s", where, text)
		}
	}
	if !strings.Contains(landing, "503 Service Unavailable") || !strings.Contains(landing, "token=&lt;secret&gt;") {
		t.Errorf("the landing page should show the redacted error:\n%s", landing)
	}
}

func TestReadinessWaitsForEveryFirstRefresh(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "alpha.txt"), []byte("wait"), 0o600)
	h := newHarness(t, dir, oneFake)
	if code, body := h.get("/-/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/-/ready = %d %q while the first refresh runs, want 503", code, body)
	}
	if code, _ := h.get("/-/healthy"); code != http.StatusOK {
		t.Errorf("/-/healthy = %d while the first refresh runs", code)
	}
	// A failed first refresh counts as done: the exporter serves what it has.
	h.setUpstream("alpha.txt", "fail")
	waitFor(t, "ready", h.exp.Scheduler.Ready)
	if code, _ := h.get("/-/ready"); code != http.StatusOK {
		t.Errorf("/-/ready = %d after the first (failed) refresh", code)
	}
}

func TestARestartKeepsCollectorUpUntilTheFirstRefresh(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "alpha.txt"), []byte("1"), 0o600)
	h := newHarness(t, dir, oneFake)
	waitFor(t, "ready", h.exp.Scheduler.Ready)
	h.close()

	// The first refresh after the restart hangs: what is served until it
	// ends comes from the store, health included.
	os.WriteFile(filepath.Join(dir, "alpha.txt"), []byte("wait"), 0o600)
	h2 := newHarness(t, dir, oneFake)
	_, body := h2.get("/metrics")
	for _, want := range []string{`sre_collector_up{collector="alpha",kind="fake"} 1`, `sre_fake_value{collector="alpha"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics after a restart lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, `sre_collector_last_success_timestamp_seconds{collector="alpha",kind="fake"} 0`) {
		t.Errorf("the last success time was not restored:\n%s", body)
	}
	h2.setUpstream("alpha.txt", "2")
}

func TestUnknownCollectorKindIsAConfigError(t *testing.T) {
	cfg, err := config.Parse("c.yml", []byte("collectors:\n  - {kind: jiraa, name: a}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(cfg, nil, slog.New(slog.DiscardHandler), func(string) bool { return true }, nil, time.Now)
	if err == nil || !strings.HasPrefix(err.Error(), `c.yml:2: collectors[0].kind: unknown collector kind "jiraa" (known: `) {
		t.Errorf("error = %v", err)
	}
}

func TestABadReloadAnswersEveryMistakeWithoutAPastedToken(t *testing.T) {
	const token = "glpat-0123456789abcdefghijklmnopqrstuv" // 38 characters
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alpha.txt"), []byte("1"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, oneFake)
	waitFor(t, "ready", h.exp.Scheduler.Ready)

	h.writeConfig("global:\n  timeout: soon\n" + oneFake +
		"  - {kind: fake, name: beta, upstream: beta.txt, token_file: " + token + "}\n" +
		"  - {kind: fake, name: gamma, upstrem: g.txt}\n")
	code, body := h.post("/-/reload")
	want := "Reload failed, the previous configuration keeps running: " +
		h.cfgPath + `:2: global.timeout: cannot use "soon" as a duration (such as 30s, 5m, 1h)` + "\n" +
		h.cfgPath + `:9: collectors[1].token_file: cannot read secret file "glpa…": no such file or directory` + "\n" +
		h.cfgPath + `:10: collectors[2]: unknown field "upstrem" (did you mean "upstream"?)` + "\n\n" // http.Error adds a newline
	if code != http.StatusInternalServerError || body != want {
		t.Fatalf("bad reload answered %d\n%s\nwant 500 with\n%s", code, body, want)
	}
	if strings.Contains(body, token[:8]) || strings.Contains(h.logs.String(), token[:8]) {
		t.Error("the reload answer or the log echoes the token")
	}
}

func TestAChangedEnvironmentVariableChangesTheFingerprint(t *testing.T) {
	fp := func(t *testing.T) string {
		t.Helper()
		cfg, err := config.Parse("c.yml", []byte("collectors:\n  - kind: fake\n    name: a\n    upstream: ${SRE_FP_DIR}/alpha.txt\n    token: ${SRE_FP_TOKEN}\n"))
		if err != nil {
			t.Fatal(err)
		}
		return fingerprint(cfg.Collectors[0], nil, "")
	}
	t.Setenv("SRE_FP_DIR", "one")
	t.Setenv("SRE_FP_TOKEN", "token-one")
	first := fp(t)
	if again := fp(t); again != first {
		t.Fatal("the same environment gives another fingerprint")
	}
	t.Setenv("SRE_FP_DIR", "two")
	second := fp(t)
	if second == first {
		t.Error("a variable inside a string setting changed but the fingerprint did not")
	}
	t.Setenv("SRE_FP_TOKEN", "token-two")
	if fp(t) == second {
		t.Error("a rotated token did not change the fingerprint")
	}
}

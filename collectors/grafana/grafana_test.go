package grafana

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// now is the harness clock: the tests' "today".
var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// harness is one collector against one fake Grafana (or files) and one store.
type harness struct {
	t      testing.TB
	fake   *fakeGrafana
	st     *store.Store
	c      *Collector
	clock  time.Time
	base   string // BaseDir
	mu     sync.Mutex
	sleeps []time.Duration
	// httpClock is the HTTP layer's virtual clock, advanced by its sleeps,
	// so waits for Retry-After take no real time.
	httpClock time.Time
	prefix    string       // config before collectors: (templates:)
	logger    *slog.Logger // nil: the default
}

func newHarness(t testing.TB) *harness {
	h := &harness{t: t, fake: newFakeGrafana(t), clock: now, httpClock: now, base: "testdata"}
	t.Setenv("GRAFANA_TEST_TOKEN", h.fake.token)
	st, err := store.Open(t.TempDir() + "/s.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	return h
}

// build makes the collector from a collectors: entry's settings.
func (h *harness) build(settings string) error {
	h.t.Helper()
	yml := h.prefix + "collectors:\n  - kind: grafana\n    name: dashboards\n" + settings
	cfg, err := config.Parse("exporter.yml", []byte(yml))
	if err != nil {
		return err
	}
	set, err := cfg.TemplateSet()
	if err != nil {
		h.t.Fatal(err)
	}
	deps := collectors.Deps{
		Config: cfg.Collectors[0], Decoder: cfg.Decoder(), BaseDir: h.base, Catalog: &cfg.Catalog,
		Store: h.st, Templates: set, Now: func() time.Time { return h.clock }, Logger: h.logger,
	}
	h.c, err = newCollector(deps, func(o *upstream.Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.sleeps = append(h.sleeps, d)
			h.httpClock = h.httpClock.Add(d)
			h.mu.Unlock()
			return ctx.Err()
		}
		o.Rand = func() float64 { return 0.5 }
		o.Now = func() time.Time {
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.httpClock
		}
	})
	return err
}

func (h *harness) api(extra string) {
	h.t.Helper()
	if err := h.build("    url: " + h.fake.server.URL + "\n    token: ${GRAFANA_TEST_TOKEN}\n" + extra); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) sync() error { return h.c.Sync(context.Background()) }

func (h *harness) mustSync() {
	h.t.Helper()
	if err := h.sync(); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) snapshot() *snapshot.Snapshot {
	h.t.Helper()
	s, err := h.c.Snapshot(h.clock)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) compare(expected string, names ...string) {
	h.t.Helper()
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(expected), names...); err != nil {
		h.t.Error(err)
	}
}

func days(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }

// standard is the instance most tests use: a compliant dashboard created 3
// days ago in Payments, a legacy one created 40 days ago at the root, and
// an empty Databases folder.
func (h *harness) standard() {
	h.fake.folders = []fakeFolder{{"f-pay", "Payments"}, {"f-db", "Databases"}}
	h.fake.add("testdata/compliant.json", "f-pay", 4, days(3))
	h.fake.add("testdata/legacy.json", "", 1, days(40))
}

// legacyFindings are the team-dashboard findings of testdata/legacy.json
// read from the fake at url: every rule but uid and legacy-rows.
func legacyFindings(where string) []string {
	return []string{
		"format: " + where + ": team-dashboard/title: title \"old stuff\" does not match ^[A-Z][A-Za-z0-9 &-]* / \\S.*$ (fix: name it \"<Team> / <what it shows>\", e.g. \"Payments / Service health\")",
		"format: " + where + ": team-dashboard/team-tag: no tag matching \"team[:=-].+\" (has none) (fix: add a tag team:<team name>)",
		"format: " + where + ": team-dashboard/datasource-variable: missing a template variable of type Datasource (fix: add a template variable of type Datasource (e.g. datasource) so the dashboard works on every Prometheus)",
		"format: " + where + ": team-dashboard/panel-datasource: panel \"Requests\": datasource \"Prometheus\" does not match ^(\\$\\{?[A-Za-z_]\\w*(:\\w+)?\\}?|-- (Mixed|Dashboard|Grafana) --|grafana)$ (fix: select the dashboard's datasource variable (${datasource}) instead of a fixed datasource)",
		"format: " + where + ": team-dashboard/panel-unit: panel \"Requests\": missing a unit (fix: set Standard options > Unit on the panel)",
		"format: " + where + ": team-dashboard/panel-description: panel \"Requests\": missing a description (fix: describe what the panel shows and what good looks like)",
		"format: " + where + ": team-dashboard/slo-row: missing section \"SLO\" (fix: add a row titled \"SLO\")",
		"format: " + where + ": team-dashboard/runbook-links: no link matching \"runbook\" (fix: add a dashboard link (or panel link) to the team's runbooks)",
		"format: " + where + ": team-dashboard/legacy-panels: panel \"Requests\": type \"graph\" is not allowed (fix: migrate the panel (graph -> Time series, singlestat -> Stat, table-old -> Table))",
	}
}

// legacyRules are the rules legacy.json breaks, in sorted order.
var legacyRules = []string{"datasource-variable", "legacy-panels", "panel-datasource", "panel-description", "panel-unit", "runbook-links", "slo-row", "team-tag", "title"}

// formatSeries is the expected sre_format_* exposition for dashboards
// created in the given windows: checked and passing per window (7d, 30d,
// 90d), the rules broken per window by the failing ones, and failing now.
func formatSeries(checked, passing [3]int, rules []string, failed [3]int, failing int) string {
	windows := []string{"30d", "7d", "90d"} // sorted as the exposition is
	idx := map[string]int{"7d": 0, "30d": 1, "90d": 2}
	var b strings.Builder
	b.WriteString("# HELP sre_format_documents_checked_in_window Documents created in the window that a format template applies to, by source and template; divide sre_format_documents_passing_in_window by it for the compliance rate.\n# TYPE sre_format_documents_checked_in_window gauge\n")
	for _, w := range windows {
		fmt.Fprintf(&b, "sre_format_documents_checked_in_window{source=\"grafana\",template=\"team-dashboard\",window=%q} %d\n", w, checked[idx[w]])
	}
	fmt.Fprintf(&b, "# HELP sre_format_documents_failing Documents checked at the last refresh that break at least one rule of the template now; the landing page lists them with where to fix them.\n# TYPE sre_format_documents_failing gauge\nsre_format_documents_failing{source=\"grafana\",template=\"team-dashboard\"} %d\n", failing)
	b.WriteString("# HELP sre_format_documents_passing_in_window Documents created in the window that pass every rule of the template, as checked now.\n# TYPE sre_format_documents_passing_in_window gauge\n")
	for _, w := range windows {
		fmt.Fprintf(&b, "sre_format_documents_passing_in_window{source=\"grafana\",template=\"team-dashboard\",window=%q} %d\n", w, passing[idx[w]])
	}
	if len(rules) > 0 {
		b.WriteString("# HELP sre_format_rule_failures_in_window Documents created in the window that break the rule, by source, template and rule; the rules that fail most.\n# TYPE sre_format_rule_failures_in_window gauge\n")
	}
	for _, r := range rules {
		for _, w := range windows {
			fmt.Fprintf(&b, "sre_format_rule_failures_in_window{rule=%q,source=\"grafana\",template=\"team-dashboard\",window=%q} %d\n", r, w, failed[idx[w]])
		}
	}
	return b.String()
}

func dashboardSeries(unreadable int, folders ...string) string {
	var b strings.Builder
	b.WriteString("# HELP sre_grafana_dashboards Dashboards listed at the last sync, by folder title (General for the root; 0 for a folder without dashboards).\n# TYPE sre_grafana_dashboards gauge\n")
	for i := 0; i < len(folders); i += 2 {
		fmt.Fprintf(&b, "sre_grafana_dashboards{folder=%q} %s\n", folders[i], folders[i+1])
	}
	fmt.Fprintf(&b, "# HELP sre_grafana_dashboards_unreadable Dashboards listed at the last sync that could not be read or are not dashboard JSON, so were not checked; the landing page names them.\n# TYPE sre_grafana_dashboards_unreadable gauge\nsre_grafana_dashboards_unreadable %d\n", unreadable)
	return b.String()
}

var allFamilies = []string{
	"sre_format_documents_checked_in_window", "sre_format_documents_failing", "sre_format_documents_passing_in_window",
	"sre_format_rule_failures_in_window", "sre_grafana_dashboards", "sre_grafana_dashboards_unreadable",
}

func TestASyncChecksEveryDashboardAgainstTeamDashboard(t *testing.T) {
	h := newHarness(t)
	h.standard()
	h.api("    page_size: 1\n")
	h.mustSync()
	// The compliant dashboard (3 days old) passes; the legacy one (40 days)
	// breaks 9 rules and only counts in 90d.
	h.compare(formatSeries([3]int{1, 1, 2}, [3]int{1, 1, 1}, legacyRules, [3]int{0, 0, 1}, 1)+
		dashboardSeries(0, "Databases", "0", "General", "1", "Payments", "1"), allFamilies...)
	if diff := diffLines(legacyFindings(`old-db "old stuff" `+h.fake.server.URL+"/d/old-db/x"), h.c.Notes()); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	// Pages of one: a short (empty) page ends each listing.
	want := []string{
		"/api/folders?limit=1&page=1", "/api/folders?limit=1&page=2", "/api/folders?limit=1&page=3",
		"/api/search?limit=1&page=1&type=dash-db", "/api/dashboards/uid/pay-health?",
		"/api/search?limit=1&page=2&type=dash-db", "/api/dashboards/uid/old-db?",
		"/api/search?limit=1&page=3&type=dash-db",
	}
	if diff := diffLines(want, h.fake.log()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestOnlyNewAndChangedDashboardsAreFetchedAgain(t *testing.T) {
	h := newHarness(t)
	h.standard()
	h.api("")
	h.mustSync()
	h.fake.log()

	h.clock = now.Add(10 * time.Minute)
	h.mustSync()
	want := []string{"/api/folders?limit=1000&page=1", "/api/search?limit=1000&page=1&type=dash-db"}
	if diff := diffLines(want, h.fake.log()); diff != "" {
		t.Errorf("an unchanged instance is listed, not fetched (-want +got):\n%s", diff)
	}

	// Retitled (and fixed): the search entry changed, so it is fetched.
	h.fake.mu.Lock()
	d := h.fake.dashboards["old-db"]
	d.title, d.version = "Ops / Legacy", 2
	d.json = []byte(strings.Replace(string(d.json), `"old stuff"`, `"Ops / Legacy"`, 1))
	h.fake.mu.Unlock()
	h.mustSync()
	want = []string{"/api/folders?limit=1000&page=1", "/api/search?limit=1000&page=1&type=dash-db", "/api/dashboards/uid/old-db?"}
	if diff := diffLines(want, h.fake.log()); diff != "" {
		t.Errorf("a retitled dashboard is fetched (-want +got):\n%s", diff)
	}
	// Retitled "Ops / Legacy", it no longer breaks the title rule.
	rules := slices.DeleteFunc(slices.Clone(legacyRules), func(r string) bool { return r == "title" })
	h.compare(formatSeries([3]int{1, 1, 2}, [3]int{1, 1, 1}, rules, [3]int{0, 0, 1}, 1), "sre_format_rule_failures_in_window", "sre_format_documents_failing")

	// A dashboard read refetch_interval (1h) ago is read again, as search
	// does not say whether its content changed: pay-health was read 65
	// minutes ago, old-db only 55.
	h.clock = now.Add(65 * time.Minute)
	h.mustSync()
	want = []string{"/api/folders?limit=1000&page=1", "/api/search?limit=1000&page=1&type=dash-db", "/api/dashboards/uid/pay-health?"}
	if diff := diffLines(want, h.fake.log()); diff != "" {
		t.Errorf("refetch after refetch_interval (-want +got):\n%s", diff)
	}
}

// diffLines says how got differs from want, or "" when they are equal.
func diffLines(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	return fmt.Sprintf("want:\n  %s\ngot:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
}

func TestUpstreamErrors(t *testing.T) {
	tests := []struct {
		name    string
		answers []fakeAnswer
		token   string // overrides the configured token
		reason  string // "" for a sync that succeeds
		msg     string // part of the error
		sleeps  []time.Duration
		// dashboards per folder afterwards (General, Payments; "" when the
		// folder is not known) and unreadable.
		general, payments string
		unreadable        int
	}{
		{name: "a token Grafana rejects fails the sync as an auth error", token: "wrong-t0ken-value", reason: collectors.ReasonAuth, msg: "401 Unauthorized", general: "0", payments: "0"},
		{name: "a 403 on the folder list (a token without Viewer) is an auth error", answers: []fakeAnswer{{path: "/api/folders", status: 403, body: `{"message":"Permission denied"}`}}, reason: collectors.ReasonAuth, msg: "403 Forbidden", general: "0", payments: "0"},
		{name: "a 429 with Retry-After is waited out and the sync succeeds", answers: []fakeAnswer{{path: "/api/search", status: 429, header: map[string]string{"Retry-After": "7"}, body: `{"message":"Too many requests"}`}}, sleeps: []time.Duration{7 * time.Second}, general: "1", payments: "1"},
		{name: "a 5xx that persists fails the sync as a server error", answers: []fakeAnswer{{path: "/api/search", status: 502, body: "bad gateway", times: 10}}, reason: collectors.ReasonServer, msg: "502 Bad Gateway", general: "0", payments: "0"},
		{name: "a cut-off search answer fails the sync as a decode error", answers: []fakeAnswer{{path: "/api/search", status: 200, body: `[{"uid":"pay-`, times: 10}}, reason: collectors.ReasonDecode, msg: "cut off", general: "0", payments: "0"},
		{name: "a search answer of the wrong shape is a decode error", answers: []fakeAnswer{{path: "/api/search", status: 200, body: `{"message":"not a list"}`}}, reason: collectors.ReasonDecode, msg: "search page 1: unexpected JSON", general: "0", payments: "0"},
		{name: "a dashboard deleted between search and fetch (404) is left out", answers: []fakeAnswer{{path: "/api/dashboards/uid/old-db", status: 404, body: `{"message":"Dashboard not found"}`}}, payments: "1"},
		{name: "a by-uid answer that is not a dashboard is counted unreadable", answers: []fakeAnswer{{path: "/api/dashboards/uid/old-db", status: 200, body: `{"dashboard":[1,2],"meta":{"version":1}}`}}, general: "1", payments: "1", unreadable: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.standard()
			h.fake.folders = h.fake.folders[:1] // Payments only
			token := "${GRAFANA_TEST_TOKEN}"
			if tt.token != "" {
				t.Setenv("OTHER_TOKEN", tt.token)
				token = "${OTHER_TOKEN}"
			}
			if err := h.build("    url: " + h.fake.server.URL + "\n    token: " + token + "\n"); err != nil {
				t.Fatal(err)
			}
			for _, a := range tt.answers {
				h.fake.answer(a)
			}
			err := h.sync()
			switch {
			case tt.reason == "" && err != nil:
				t.Fatalf("sync: %v", err)
			case tt.reason != "" && err == nil:
				t.Fatalf("sync succeeded, want a %s error", tt.reason)
			case err != nil:
				if got := collectors.Reason(err); got != tt.reason {
					t.Errorf("reason = %q, want %q (%v)", got, tt.reason, err)
				}
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("error %q does not say %q", err, tt.msg)
				}
				for _, secret := range []string{h.fake.token, tt.token} {
					if secret != "" && strings.Contains(err.Error(), secret) {
						t.Errorf("error quotes the token: %v", err)
					}
				}
			}
			if tt.sleeps != nil && !slices.Equal(h.sleeps, tt.sleeps) {
				t.Errorf("sleeps = %v, want %v", h.sleeps, tt.sleeps)
			}
			var folders []string
			if tt.reason == "" { // a failed first sync knows no folder yet
				if tt.general != "" {
					folders = append(folders, "General", tt.general)
				}
				folders = append(folders, "Payments", tt.payments)
			}
			h.compare(dashboardSeries(tt.unreadable, folders...), "sre_grafana_dashboards", "sre_grafana_dashboards_unreadable")
			if tt.unreadable > 0 {
				want := "dashboard old-db: not dashboard JSON: line 1: a dashboard is a JSON object"
				if notes := h.c.Notes(); len(notes) == 0 || notes[0] != want {
					t.Errorf("first note = %q, want %q", notes, want)
				}
			}
		})
	}
}

func TestAFailedSyncKeepsWhatTheLastOneStored(t *testing.T) {
	h := newHarness(t)
	h.standard()
	h.api("")
	h.mustSync()
	delete(h.fake.dashboards, "old-db")
	h.fake.answer(fakeAnswer{path: "/api/search", status: 503, body: "down", times: 10})
	if err := h.sync(); err == nil {
		t.Fatal("sync succeeded against a Grafana that answers 503")
	}
	h.compare(dashboardSeries(0, "Databases", "0", "General", "1", "Payments", "1"), "sre_grafana_dashboards", "sre_grafana_dashboards_unreadable")
	// The next complete listing drops the deleted dashboard.
	h.fake.script = nil
	h.mustSync()
	h.compare(dashboardSeries(0, "Databases", "0", "Payments", "1"), "sre_grafana_dashboards", "sre_grafana_dashboards_unreadable")
	h.compare(formatSeries([3]int{1, 1, 1}, [3]int{1, 1, 1}, nil, [3]int{}, 0), allFamilies[:4]...)
}

func TestFoldersNarrowWhatIsRead(t *testing.T) {
	h := newHarness(t)
	h.standard()
	h.api("    folders: [payments]\n")
	h.mustSync()
	h.compare(dashboardSeries(0, "Payments", "1"), "sre_grafana_dashboards", "sre_grafana_dashboards_unreadable")
	for _, r := range h.fake.log() {
		if strings.Contains(r, "old-db") {
			t.Errorf("a dashboard outside the folders was fetched: %s", r)
		}
	}
}

// writeFile writes data to dir/rel, creating folders.
func writeFile(t *testing.T, dir, rel string, data []byte, mod time.Time) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mod, mod); err != nil {
		t.Fatal(err)
	}
}

func TestDashboardFilesGetTheSameChecks(t *testing.T) {
	h := newHarness(t)
	h.base = t.TempDir()
	good, _ := os.ReadFile("testdata/compliant.json")
	legacy, _ := os.ReadFile("testdata/legacy.json")
	// An export saved from the by-uid API carries its folder and creation
	// time; a bare dashboard takes its folder from the file's folder and its
	// creation time from the file.
	export := `{"meta": {"folderTitle": "Payments", "created": "` + days(2).Format(time.RFC3339) + `"},
"dashboard": ` + string(good) + `}`
	writeFile(t, h.base, "dashboards/payments/health.json", []byte(export), days(100))
	writeFile(t, h.base, "dashboards/ops/legacy.json", legacy, days(20))
	writeFile(t, h.base, "dashboards/broken.json", []byte("{\n  \"uid\": \"x\",\n"), days(1))
	writeFile(t, h.base, "dashboards/notes.txt", []byte("not selected"), days(1))
	writeFile(t, h.base, "other/skipped.json", legacy, days(1))
	if err := h.build("    files: dashboards/**/*.json\n"); err != nil {
		t.Fatal(err)
	}
	h.mustSync()
	// health.json (2 days) passes; legacy.json (20 days) fails in 30d and
	// 90d; broken.json is unreadable and not checked.
	h.compare(formatSeries([3]int{1, 2, 2}, [3]int{1, 1, 1}, legacyRules, [3]int{0, 1, 1}, 1)+
		dashboardSeries(1, "Payments", "1", "dashboards", "1", "ops", "1"), allFamilies...)
	notes := h.c.Notes()
	if len(notes) != 10 {
		t.Fatalf("notes = %q, want 1 unreadable file and 9 findings", notes)
	}
	if want := "dashboard dashboards/broken.json: not dashboard JSON: line 3: "; !strings.HasPrefix(notes[0], want) {
		t.Errorf("notes[0] = %q, want it to start with %q", notes[0], want)
	}
	// Findings point at file:line: the title is on line 3, the panel on 5.
	for _, want := range []string{
		"format: dashboards/ops/legacy.json:3: team-dashboard/title: ",
		"format: dashboards/ops/legacy.json:5: team-dashboard/panel-unit: panel \"Requests\": missing a unit",
	} {
		if !slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, want) }) {
			t.Errorf("no note starts with %q in\n%s", want, strings.Join(notes, "\n"))
		}
	}

	// A file deleted, and one changed, are seen at the next sync.
	if err := os.Remove(filepath.Join(h.base, "dashboards/broken.json")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, h.base, "dashboards/ops/legacy.json", []byte(strings.Replace(string(legacy), `"old stuff"`, `"Ops / Legacy"`, 1)), days(20))
	h.mustSync()
	rules := slices.DeleteFunc(slices.Clone(legacyRules), func(r string) bool { return r == "title" })
	h.compare(formatSeries([3]int{1, 2, 2}, [3]int{1, 1, 1}, rules, [3]int{0, 1, 1}, 1)+
		dashboardSeries(0, "Payments", "1", "ops", "1"), allFamilies...)
}

func TestAGlobMatchingNoFileFailsTheSync(t *testing.T) {
	h := newHarness(t)
	h.base = t.TempDir()
	if err := h.build("    files: dashboards/*.json\n"); err != nil {
		t.Fatal(err)
	}
	err := h.sync()
	if err == nil || !strings.Contains(err.Error(), `files "dashboards/*.json": no file matches`) {
		t.Fatalf("sync error = %v, want one saying no file matches", err)
	}
}

func TestBadSettingsAreNamedWithTheirField(t *testing.T) {
	t.Setenv("GRAFANA_TEST_TOKEN", "t0ken")
	tests := []struct {
		name, settings, want string
	}{
		{"neither url nor files", "    page_size: 10\n", "collectors[0].url: set url"},
		{"both url and files", "    url: https://grafana.example.com\n    token: ${GRAFANA_TEST_TOKEN}\n    files: d/*.json\n", "collectors[0].files: set either url or files, not both"},
		{"a url that is not http", "    url: ftp://grafana.example.com\n    token: ${GRAFANA_TEST_TOKEN}\n", `collectors[0].url: "ftp:…" is not an http(s) URL`},
		{"a url without a token", "    url: https://grafana.example.com\n", "collectors[0].token"},
		{"a token with files", "    files: d/*.json\n    token: ${GRAFANA_TEST_TOKEN}\n", "collectors[0].token: not used with files"},
		{"a glob leaving the config's folder", "    files: ../d/*.json\n", "collectors[0].files: \"../d/*.json\" must be a slash-separated glob inside the config file's folder"},
		{"a page size above Grafana's cap", "    url: https://grafana.example.com\n    token: ${GRAFANA_TEST_TOKEN}\n    page_size: 5001\n", "collectors[0].page_size: 5001 is not between 1 and 5000"},
		{"a refetch interval under a minute", "    url: https://grafana.example.com\n    token: ${GRAFANA_TEST_TOKEN}\n    refetch_interval: 30s\n", "collectors[0].refetch_interval: 30s is shorter than 1m"},
		{"an empty folder title", "    files: d/*.json\n    folders: [\"\"]\n", "collectors[0].folders[0]: empty folder title"},
		{"an unknown key", "    files: d/*.json\n    dashboards: 3\n", "dashboards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			err := h.build(tt.settings)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "t0ken") {
				t.Errorf("error quotes the token: %v", err)
			}
		})
	}
}

// apiWithTemplates builds the API collector with a templates: section
// before the collectors.
func (h *harness) apiWithTemplates(templates string) {
	h.t.Helper()
	h.prefix = templates
	h.api("")
}

func TestTimeRulesAreJudgedAsOfEachSnapshot(t *testing.T) {
	h := newHarness(t)
	h.standard()
	// Only the compliant dashboard, last updated 3 days ago (its creation).
	delete(h.fake.dashboards, "old-db")
	h.apiWithTemplates(`templates:
  - name: fresh-dashboard
    applies_to:
      grafana: {folders: [Payments]}
    rules:
      - {id: fresh, kind: max_age, max_age: 30d}
`)
	h.mustSync()
	fresh := func(failing int) string {
		return fmt.Sprintf("# HELP sre_format_documents_failing Documents checked at the last refresh that break at least one rule of the template now; the landing page lists them with where to fix them.\n# TYPE sre_format_documents_failing gauge\n"+
			"sre_format_documents_failing{source=\"grafana\",template=\"fresh-dashboard\"} %d\nsre_format_documents_failing{source=\"grafana\",template=\"team-dashboard\"} 0\n", failing)
	}
	h.compare(fresh(0), "sre_format_documents_failing")
	// 28 days later, without a sync, it is 31 days old.
	h.clock = now.Add(28 * 24 * time.Hour)
	h.compare(fresh(1), "sre_format_documents_failing")
	if notes := h.c.Notes(); len(notes) != 1 || !strings.Contains(notes[0], "fresh-dashboard/fresh: last updated 2026-11-17, 31 days ago") {
		t.Errorf("notes = %q", notes)
	}
}

func TestAGrafanaThatIgnoresPageEndsTheListing(t *testing.T) {
	h := newHarness(t)
	h.standard()
	h.api("    page_size: 1\n")
	page := `[{"uid":"pay-health","title":"Payments / Service health","url":"/d/pay-health/x","type":"dash-db","folderUid":"f-pay","folderTitle":"Payments"}]`
	h.fake.answer(fakeAnswer{path: "/api/search", status: 200, body: page, times: 2})
	h.mustSync()
	h.compare(dashboardSeries(0, "Databases", "0", "Payments", "1"), "sre_grafana_dashboards", "sre_grafana_dashboards_unreadable")
}

func TestAUIDThatCannotBeRequestedIsUnreadable(t *testing.T) {
	h := newHarness(t)
	h.standard()
	h.api("")
	h.fake.answer(fakeAnswer{path: "/api/search", status: 200, body: `[{"uid":"../admin","title":"Odd","url":"/d/x/y","type":"dash-db"}]`})
	h.mustSync()
	h.compare(dashboardSeries(1, "Databases", "0", "General", "1", "Payments", "0"), "sre_grafana_dashboards", "sre_grafana_dashboards_unreadable")
	for _, r := range h.fake.log() {
		if strings.Contains(r, "admin") {
			t.Errorf("the uid went into a request: %s", r)
		}
	}
	want := "dashboard ../admin: the uid is not a Grafana uid (letters, digits, - and _, at most 40), so it cannot be read by uid"
	if notes := h.c.Notes(); len(notes) != 1 || notes[0] != want {
		t.Errorf("notes = %q, want [%q]", notes, want)
	}
}

func TestTheTokenNeverReachesTheLog(t *testing.T) {
	h := newHarness(t)
	h.standard()
	var logs strings.Builder
	h.logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.api("")
	h.fake.answer(fakeAnswer{path: "/api/search", status: 503, body: "down", times: 5})
	if err := h.sync(); err == nil {
		t.Fatal("sync succeeded against a Grafana that answers 503")
	}
	if logs.Len() == 0 {
		t.Fatal("no log lines; the test checks nothing")
	}
	if strings.Contains(logs.String(), h.fake.token) {
		t.Errorf("the log quotes the token:\n%s", logs.String())
	}
}

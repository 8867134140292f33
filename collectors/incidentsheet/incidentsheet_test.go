package incidentsheet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// now is the fixed clock of the tests: Monday 30 June 2025, 12:00 UTC.
var now = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)

// catalogYAML knows two services and their teams; "Checkout API" and
// "Payments Engineering" are aliases as a person would write them.
const catalogYAML = `catalog:
  teams:
    - name: payments
      aliases: ["Payments Engineering"]
    - name: search
  services:
    - name: checkout-api
      team: payments
      aliases: ["Checkout API"]
    - name: search-api
      team: search
`

// env is one configured collector over a store that outlives it, so a
// test can restart the collector (reopen the store, build it again).
type env struct {
	t        testing.TB
	dir      string // the config file's folder
	settings string
	dbPath   string
	st       *store.Store
	logs     *bytes.Buffer
	tune     func(*upstream.Options)
}

func newEnv(t testing.TB, dir, settings string) *env {
	t.Helper()
	e := &env{t: t, dir: dir, settings: settings, dbPath: filepath.Join(t.TempDir(), "s.db"), logs: &bytes.Buffer{}}
	e.open()
	t.Cleanup(func() { e.st.Close() })
	return e
}

func (e *env) open() {
	e.t.Helper()
	st, err := store.Open(e.dbPath)
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
}

// restart closes and reopens the store, as a process restart does.
func (e *env) restart() {
	e.t.Helper()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

// configFile is the YAML the collector is configured from; settings are
// indented under the collector.
func configFile(settings string) string {
	var b strings.Builder
	b.WriteString(catalogYAML)
	b.WriteString("collectors:\n  - kind: incidentsheet\n    name: ops\n")
	for _, line := range strings.Split(strings.TrimSpace(settings), "\n") {
		if line != "" {
			b.WriteString("    " + line + "\n")
		}
	}
	return b.String()
}

func (e *env) deps() (collectors.Deps, error) {
	cfg, err := config.Parse(filepath.Join(e.dir, "config.yml"), []byte(configFile(e.settings)))
	if err != nil {
		return collectors.Deps{}, err
	}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: dropTime}))
	return collectors.Deps{
		Config: cfg.Collectors[0], Decoder: cfg.Decoder(), BaseDir: cfg.Dir, Catalog: &cfg.Catalog,
		Store: e.st, Logger: logger, Now: func() time.Time { return now },
	}, nil
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// collector builds a new collector instance.
func (e *env) collector() *Collector {
	e.t.Helper()
	deps, err := e.deps()
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := newCollector(deps, e.tune)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) sync(c *Collector) {
	e.t.Helper()
	if err := c.Sync(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func snap(t *testing.T, c *Collector) *snapshot.Snapshot {
	t.Helper()
	s, err := c.Snapshot(now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func compare(t *testing.T, s *snapshot.Snapshot, expected string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(s, strings.NewReader(expected), names...); err != nil {
		t.Error(err)
	}
}

// text renders the whole snapshot, to tell that nothing changed.
func text(t *testing.T, s *snapshot.Snapshot) string {
	t.Helper()
	var b bytes.Buffer
	for _, f := range s.Families() {
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// meanByWindow is what a dashboard computes for MTTR or MTTA:
// sum by (window) of _sum divided by sum by (window) of _count.
func meanByWindow(s *snapshot.Snapshot, name string) map[string]float64 {
	sums, counts := map[string]float64{}, map[string]float64{}
	for _, f := range s.Families() {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "window" {
					sums[l.GetValue()] += m.Histogram.GetSampleSum()
					counts[l.GetValue()] += float64(m.Histogram.GetSampleCount())
				}
			}
		}
	}
	out := map[string]float64{}
	for w, n := range counts {
		if n > 0 {
			out[w] = sums[w] / n
		}
	}
	return out
}

func windowed(name, labels string, d7, d30, d90 float64) string {
	return fmt.Sprintf("%[1]s{%[2]s,window=\"7d\"} %[3]g\n%[1]s{%[2]s,window=\"30d\"} %[4]g\n%[1]s{%[2]s,window=\"90d\"} %[5]g\n", name, labels, d7, d30, d90)
}

const (
	sev1Checkout = `service="checkout-api",severity="sev1",source="sheet",team="payments"`
	sev2Checkout = `service="checkout-api",severity="sev2",source="sheet",team="payments"`
	sev3Search   = `service="search-api",severity="sev3",source="sheet",team="search"`
	unknownAll   = `service="unknown",severity="unknown",source="sheet",team="unknown"`
)

// Help texts of the model's metrics, as GatherAndCompare wants them.
const (
	helpOpen             = "# HELP sre_incidents_open Incidents open now, by severity, service and team.\n# TYPE sre_incidents_open gauge\n"
	helpOpenedInWindow   = "# HELP sre_incidents_opened_in_window Incidents opened in the window, by current severity, service and team (exact, from the store).\n# TYPE sre_incidents_opened_in_window gauge\n"
	helpResolvedInWindow = "# HELP sre_incidents_resolved_in_window Incidents resolved in the window, by current severity, service and team (exact, from the store).\n# TYPE sre_incidents_resolved_in_window gauge\n"
	helpPostmortem       = "# HELP sre_incidents_resolved_with_postmortem_in_window Incidents resolved in the window that have a postmortem.\n# TYPE sre_incidents_resolved_with_postmortem_in_window gauge\n"
	helpOpenedTotal      = "# HELP sre_incidents_opened_total Incidents opened, counted once when first seen, under the labels they had then.\n# TYPE sre_incidents_opened_total counter\n"
	helpResolvedTotal    = "# HELP sre_incidents_resolved_total Incidents resolved, counted once when first seen resolved.\n# TYPE sre_incidents_resolved_total counter\n"
	helpLastOpened       = "# HELP sre_incident_last_opened_timestamp_seconds When the latest incident of the service was opened (for time since last incident and MTBF).\n# TYPE sre_incident_last_opened_timestamp_seconds gauge\n"
	helpInvalidRows      = "# HELP sre_incidentsheet_invalid_rows Rows of the incident sheet skipped at its last read (bad or missing cells, duplicate ids); the landing page lists them.\n# TYPE sre_incidentsheet_invalid_rows gauge\n"
	helpItems            = "# HELP sre_postmortem_action_items Postmortem action items by state (open, done).\n# TYPE sre_postmortem_action_items gauge\n"
	helpOverdue          = "# HELP sre_postmortem_action_items_overdue Open postmortem action items past their due date.\n# TYPE sre_postmortem_action_items_overdue gauge\n"
)

// fixtureExpected is testdata/incidents.csv worked out by hand, as of now
// (2025-06-30 12:00 UTC; a window holds now-w < t <= now):
//
//	id     severity  service        team      opened            TTA    TTR     postmortem
//	INC-1  sev1      checkout-api   payments  06-28 10:00 (2d)  300s   7200s   link
//	INC-2  P2->sev2  checkout-api   (owner)   06-20 09:00 (10d) 600s   14400s  "no" = none
//	INC-3  sev2      checkout-api   payments  05-21 12:00 (40d) 60s    1800s   PM-3
//	INC-4  sev3      search-api     (owner)   06-30 09:00 (3h)  120s   open
//	INC-5  sev3      search-api     search    03-01 00:00 (121d) -     3600s
const fixtureExpected = helpOpen +
	"sre_incidents_open{" + sev1Checkout + "} 0\n" +
	"sre_incidents_open{" + sev2Checkout + "} 0\n" +
	"sre_incidents_open{" + sev3Search + "} 1\n" +
	// Opened: sev1 INC-1 in every window; sev2 INC-2 from 30d, INC-3 at 90d;
	// sev3 INC-4 in every window, INC-5 in none.
	helpOpenedInWindow +
	"sre_incidents_opened_in_window{" + sev1Checkout + ",window=\"7d\"} 1\n" +
	"sre_incidents_opened_in_window{" + sev1Checkout + ",window=\"30d\"} 1\n" +
	"sre_incidents_opened_in_window{" + sev1Checkout + ",window=\"90d\"} 1\n" +
	"sre_incidents_opened_in_window{" + sev2Checkout + ",window=\"7d\"} 0\n" +
	"sre_incidents_opened_in_window{" + sev2Checkout + ",window=\"30d\"} 1\n" +
	"sre_incidents_opened_in_window{" + sev2Checkout + ",window=\"90d\"} 2\n" +
	"sre_incidents_opened_in_window{" + sev3Search + ",window=\"7d\"} 1\n" +
	"sre_incidents_opened_in_window{" + sev3Search + ",window=\"30d\"} 1\n" +
	"sre_incidents_opened_in_window{" + sev3Search + ",window=\"90d\"} 1\n" +
	helpResolvedInWindow +
	"sre_incidents_resolved_in_window{" + sev1Checkout + ",window=\"7d\"} 1\n" +
	"sre_incidents_resolved_in_window{" + sev1Checkout + ",window=\"30d\"} 1\n" +
	"sre_incidents_resolved_in_window{" + sev1Checkout + ",window=\"90d\"} 1\n" +
	"sre_incidents_resolved_in_window{" + sev2Checkout + ",window=\"7d\"} 0\n" +
	"sre_incidents_resolved_in_window{" + sev2Checkout + ",window=\"30d\"} 1\n" +
	"sre_incidents_resolved_in_window{" + sev2Checkout + ",window=\"90d\"} 2\n" +
	"sre_incidents_resolved_in_window{" + sev3Search + ",window=\"7d\"} 0\n" +
	"sre_incidents_resolved_in_window{" + sev3Search + ",window=\"30d\"} 0\n" +
	"sre_incidents_resolved_in_window{" + sev3Search + ",window=\"90d\"} 0\n" +
	// With a postmortem: INC-1 (every window) and INC-3 (90d); INC-2 says "no".
	helpPostmortem +
	"sre_incidents_resolved_with_postmortem_in_window{" + sev1Checkout + ",window=\"7d\"} 1\n" +
	"sre_incidents_resolved_with_postmortem_in_window{" + sev1Checkout + ",window=\"30d\"} 1\n" +
	"sre_incidents_resolved_with_postmortem_in_window{" + sev1Checkout + ",window=\"90d\"} 1\n" +
	"sre_incidents_resolved_with_postmortem_in_window{" + sev2Checkout + ",window=\"7d\"} 0\n" +
	"sre_incidents_resolved_with_postmortem_in_window{" + sev2Checkout + ",window=\"30d\"} 0\n" +
	"sre_incidents_resolved_with_postmortem_in_window{" + sev2Checkout + ",window=\"90d\"} 1\n" +
	"sre_incidents_resolved_with_postmortem_in_window{" + sev3Search + ",window=\"7d\"} 0\n" +
	"sre_incidents_resolved_with_postmortem_in_window{" + sev3Search + ",window=\"30d\"} 0\n" +
	"sre_incidents_resolved_with_postmortem_in_window{" + sev3Search + ",window=\"90d\"} 0\n" +
	// Every row once; resolved: INC-1, INC-2, INC-3, INC-5.
	helpOpenedTotal +
	"sre_incidents_opened_total{" + sev1Checkout + "} 1\n" +
	"sre_incidents_opened_total{" + sev2Checkout + "} 2\n" +
	"sre_incidents_opened_total{" + sev3Search + "} 2\n" +
	helpResolvedTotal +
	"sre_incidents_resolved_total{" + sev1Checkout + "} 1\n" +
	"sre_incidents_resolved_total{" + sev2Checkout + "} 2\n" +
	"sre_incidents_resolved_total{" + sev3Search + "} 1\n" +
	// Latest opened: checkout-api INC-1 2025-06-28T10:00Z = 1751104800;
	// search-api INC-4 2025-06-30T09:00Z = 1751274000.
	helpLastOpened +
	"sre_incident_last_opened_timestamp_seconds{service=\"checkout-api\",source=\"sheet\",team=\"payments\"} 1751104800\n" +
	"sre_incident_last_opened_timestamp_seconds{service=\"search-api\",source=\"sheet\",team=\"search\"} 1751274000\n" +
	helpInvalidRows + "sre_incidentsheet_invalid_rows 0\n"

var fixtureNames = []string{
	"sre_incidents_open", "sre_incidents_opened_in_window", "sre_incidents_resolved_in_window",
	"sre_incidents_resolved_with_postmortem_in_window", "sre_incidents_opened_total", "sre_incidents_resolved_total",
	"sre_incident_last_opened_timestamp_seconds", "sre_incidentsheet_invalid_rows",
}

func TestTheFixtureSheetGivesHandComputedFigures(t *testing.T) {
	e := newEnv(t, "testdata", "source: incidents.csv")
	c := e.collector()
	e.sync(c)
	s := snap(t, c)
	compare(t, s, fixtureExpected, fixtureNames...)

	// MTTR over every severity and service, by the resolved time:
	//   7d  = 7200 (INC-1)                              = 7200
	//   30d = (7200 + 14400) / 2 (INC-1, INC-2)          = 10800
	//   90d = (7200 + 14400 + 1800) / 3 (+ INC-3)        = 7800
	// INC-5 was resolved 121 days ago and is in no window.
	// MTTA by the acknowledged time:
	//   7d  = (300 + 120) / 2 (INC-1, INC-4)             = 210
	//   30d = (300 + 120 + 600) / 3 (+ INC-2)            = 340
	//   90d = (300 + 120 + 600 + 60) / 4 (+ INC-3)       = 270
	for _, tc := range []struct {
		name, metric string
		want         map[string]float64
	}{
		{"MTTR", "sre_incident_time_to_resolve_in_window_seconds", map[string]float64{"7d": 7200, "30d": 10800, "90d": 7800}},
		{"MTTA", "sre_incident_time_to_acknowledge_in_window_seconds", map[string]float64{"7d": 210, "30d": 340, "90d": 270}},
	} {
		got := meanByWindow(s, tc.metric)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s by window = %v, want %v", tc.name, got, tc.want)
		}
	}
	if notes := c.Notes(); len(notes) != 0 {
		t.Errorf("notes = %q, want none", notes)
	}
}

func TestInvalidRowsAreSkippedCountedLoggedAndNoted(t *testing.T) {
	e := newEnv(t, "testdata", "source: invalid.csv")
	c := e.collector()
	e.sync(c)

	// Line numbers are the file's: OK-1's title spans lines 2-3, line 8 is blank.
	wantNotes := []string{
		`skipped row invalid.csv:4: column "id": empty; a value is required`,
		`skipped row invalid.csv:5: column "opened": "29/06/2025" is not a date or time (write it as 2025-06-30T14:05:00Z, 2025-06-30 14:05 or 2025-06-30)`,
		`skipped row invalid.csv:6: column "resolved": "2025-06-29T09:00:00Z" is before opened "2025-06-29T10:00:00Z"`,
		`skipped row invalid.csv:7: column "id": "OK-1" is also on line 2; only the first row with an id is used`,
		`skipped row invalid.csv:9: column "acknowledged": "2025-06-29 09:59" is before opened "2025-06-29 10:00"`,
		`skipped row invalid.csv:10: column "opened": empty; a value is required`,
		`invalid.csv:11 and 1 more rows: service "Mystery Service" is not in the catalog; it is counted as unknown (add it, or an alias, to catalog.services)`,
		`invalid.csv:11 and 1 more rows: severity "urgent" is not a known severity; it is counted as unknown (add it to severity_map)`,
		`invalid.csv:11: team "Nobody" is not in the catalog; it is counted as unknown (add it, or an alias, to catalog.teams)`,
	}
	if got := c.Notes(); strings.Join(got, "\n") != strings.Join(wantNotes, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantNotes, "\n"))
	}
	// Six rows skipped; OK-1 (line 2), OK-2 and OK-3 counted. OK-2's team
	// "Nobody" and OK-3's owner of an unknown service are both unknown.
	compare(t, snap(t, c), helpInvalidRows+"sre_incidentsheet_invalid_rows 6\n"+
		helpOpenedTotal+"sre_incidents_opened_total{"+sev2Checkout+"} 1\nsre_incidents_opened_total{"+unknownAll+"} 2\n",
		"sre_incidentsheet_invalid_rows", "sre_incidents_opened_total")

	// Each skipped row is logged with its file, line and column.
	wantLog := `level=WARN msg="skipping an incident row" file=invalid.csv line=6 column=resolved reason="\"2025-06-29T09:00:00Z\" is before opened \"2025-06-29T10:00:00Z\""`
	if !strings.Contains(e.logs.String(), wantLog) {
		t.Errorf("log lacks\n%s\ngot:\n%s", wantLog, e.logs.String())
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const header = "id,severity,service,opened,resolved\n"

func TestARowRemovedFromTheSheetStopsCountingButCountersStay(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "incidents.csv")
	writeFile(t, path, header+
		"A,sev2,checkout-api,2025-06-29T10:00:00Z,\n"+
		"B,sev2,checkout-api,2025-06-29T11:00:00Z,\n")
	e := newEnv(t, dir, "source: incidents.csv")
	c := e.collector()
	e.sync(c)
	compare(t, snap(t, c), helpOpen+"sre_incidents_open{"+sev2Checkout+"} 2\n", "sre_incidents_open")

	// B is deleted from the sheet: open 2 -> 1, opened in window 2 -> 1,
	// opened_total stays 2.
	writeFile(t, path, header+"A,sev2,checkout-api,2025-06-29T10:00:00Z,\n")
	e.sync(c)
	compare(t, snap(t, c), helpOpen+"sre_incidents_open{"+sev2Checkout+"} 1\n"+
		helpOpenedInWindow+windowed("sre_incidents_opened_in_window", sev2Checkout, 1, 1, 1)+
		helpOpenedTotal+"sre_incidents_opened_total{"+sev2Checkout+"} 2\n",
		"sre_incidents_open", "sre_incidents_opened_in_window", "sre_incidents_opened_total")

	// A's row becomes invalid (resolved before opened): it is skipped but
	// keeps its last good version (still open) instead of vanishing.
	writeFile(t, path, header+"A,sev2,checkout-api,2025-06-29T10:00:00Z,2025-06-29T09:00:00Z\n")
	e.sync(c)
	compare(t, snap(t, c), helpOpen+"sre_incidents_open{"+sev2Checkout+"} 1\n"+
		helpInvalidRows+"sre_incidentsheet_invalid_rows 1\n",
		"sre_incidents_open", "sre_incidentsheet_invalid_rows")

	// Fixed, resolved after 30m: resolved once, TTR 1800.
	writeFile(t, path, header+"A,sev2,checkout-api,2025-06-29T10:00:00Z,2025-06-29T10:30:00Z\n")
	e.sync(c)
	s := snap(t, c)
	compare(t, s, helpOpen+"sre_incidents_open{"+sev2Checkout+"} 0\n"+
		helpResolvedTotal+"sre_incidents_resolved_total{"+sev2Checkout+"} 1\n"+
		helpInvalidRows+"sre_incidentsheet_invalid_rows 0\n",
		"sre_incidents_open", "sre_incidents_resolved_total", "sre_incidentsheet_invalid_rows")
	if got := meanByWindow(s, "sre_incident_time_to_resolve_in_window_seconds"); got["7d"] != 1800 {
		t.Errorf("MTTR 7d = %v, want 1800", got["7d"])
	}

	// An emptied sheet (header only) deletes everything from the gauges.
	writeFile(t, path, header)
	e.sync(c)
	compare(t, snap(t, c), helpOpenedTotal+"sre_incidents_opened_total{"+sev2Checkout+"} 2\n", "sre_incidents_opened_total", "sre_incidents_open")
}

func TestDateFormatTimezoneAndActionItems(t *testing.T) {
	dir := t.TempDir()
	// Berlin is UTC+2 in summer. Opened 28/06/2025 10:00 Berlin = 08:00Z;
	// acknowledged 2025-06-28 10:30 Berlin = 08:30Z (TTA 1800);
	// resolved 09:00Z, written with its zone (TTR 3600).
	// Y opened on the date 2025-06-29, midnight in Berlin = 2025-06-28T22:00Z.
	writeFile(t, filepath.Join(dir, "incidents.csv"),
		"Key,Sev,Svc,Start,Ack,End,Open items,Done items,Overdue items\n"+
			"X,high,checkout-api,28/06/2025 10:00,2025-06-28 10:30,2025-06-28T09:00:00Z,3,2,1\n"+
			"Y,high,checkout-api,2025-06-29,,,,,\n")
	e := newEnv(t, dir, `source: incidents.csv
date_format: "02/01/2006 15:04"
timezone: Europe/Berlin
columns: {id: Key, severity: Sev, service: Svc, opened: Start, acknowledged: Ack, resolved: End, action_items_open: Open items, action_items_done: Done items, action_items_overdue: Overdue items}`)
	c := e.collector()
	e.sync(c)
	s := snap(t, c)
	if got := meanByWindow(s, "sre_incident_time_to_resolve_in_window_seconds"); got["7d"] != 3600 {
		t.Errorf("TTR = %v, want 3600", got)
	}
	if got := meanByWindow(s, "sre_incident_time_to_acknowledge_in_window_seconds"); got["7d"] != 1800 {
		t.Errorf("TTA = %v, want 1800", got)
	}
	// Y at 2025-06-28T22:00Z = 1751148000. X: 3 open (1 overdue), 2 done.
	compare(t, s, helpLastOpened+
		"sre_incident_last_opened_timestamp_seconds{service=\"checkout-api\",source=\"sheet\",team=\"payments\"} 1751148000\n"+
		helpItems+
		"sre_postmortem_action_items{service=\"checkout-api\",severity=\"sev2\",source=\"sheet\",state=\"open\",team=\"payments\"} 3\n"+
		"sre_postmortem_action_items{service=\"checkout-api\",severity=\"sev2\",source=\"sheet\",state=\"done\",team=\"payments\"} 2\n"+
		helpOverdue+"sre_postmortem_action_items_overdue{"+sev2Checkout+"} 1\n",
		"sre_incident_last_opened_timestamp_seconds", "sre_postmortem_action_items", "sre_postmortem_action_items_overdue")
}

func TestActionItemCountsAreChecked(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "incidents.csv"), "id,severity,service,opened,action_items_open,action_items_overdue,action_items_done\n"+
		"A,sev2,checkout-api,2025-06-29,1,2,\n"+
		"B,sev2,checkout-api,2025-06-29,two,,\n"+
		"C,sev2,checkout-api,2025-06-29,,,-1\n")
	e := newEnv(t, dir, "source: incidents.csv")
	c := e.collector()
	e.sync(c)
	want := []string{
		`skipped row incidents.csv:2: column "action_items_overdue": 2 overdue is more than the 1 open items (overdue items are counted among the open ones)`,
		`skipped row incidents.csv:3: column "action_items_open": "two" is not a number`,
		`skipped row incidents.csv:4: column "action_items_done": "-1" is negative; a count or amount must be 0 or more`,
	}
	if got := c.Notes(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRestartKeepsCountersAndSkipsAnUnchangedFile(t *testing.T) {
	e := newEnv(t, "testdata", "source: incidents.csv")
	e.sync(e.collector())

	e.restart()
	c := e.collector()
	// Before any sync, the snapshot comes from the store alone.
	compare(t, snap(t, c), fixtureExpected, fixtureNames...)
	e.logs.Reset()
	e.sync(c)
	if !strings.Contains(e.logs.String(), `msg="sheet unchanged"`) {
		t.Errorf("an unchanged file was read again; log:\n%s", e.logs.String())
	}
	compare(t, snap(t, c), fixtureExpected, fixtureNames...)
}

func TestChangedSettingsReadAnUnchangedSheetAgain(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "incidents.csv"), header+"A,urgent,checkout-api,2025-06-29T10:00:00Z,\n")
	e := newEnv(t, dir, "source: incidents.csv")
	e.sync(e.collector())

	// A reload maps "urgent" to sev1: the unchanged sheet is read again,
	// the gauges move to sev1, the counter stays under unknown (first seen).
	e.settings = "source: incidents.csv\nseverity_map: {urgent: sev1}"
	c := e.collector()
	e.sync(c)
	compare(t, snap(t, c),
		helpOpen+"sre_incidents_open{"+sev1Checkout+"} 1\n"+
			helpOpenedTotal+`sre_incidents_opened_total{service="checkout-api",severity="unknown",source="sheet",team="payments"} 1`+"\n",
		"sre_incidents_open", "sre_incidents_opened_total")
	if notes := c.Notes(); len(notes) != 0 {
		t.Errorf("notes = %q, want none once urgent is mapped", notes)
	}
}

func TestUnreadableSheetsFailWithAReasonAndKeepTheLastData(t *testing.T) {
	for _, tc := range []struct {
		name, content, wantErr, wantReason string
	}{
		{"a missing required column", "id,severity,service\nA,sev1,checkout-api\n",
			`incidentsheet ops: incidents.csv:1: required column "opened" is missing from the header; the header has: id, severity, service`, collectors.ReasonInvalidData},
		{"an unclosed quote", header + "A,sev1,\"checkout-api,2025-06-29T10:00:00Z,\n",
			`incidentsheet ops: incidents.csv:2: column 44: extraneous or missing " in quoted-field`, collectors.ReasonInvalidData},
		{"an empty file", "",
			`incidentsheet ops: incidents.csv: the file is empty; line 1 must be the header row`, collectors.ReasonInvalidData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "incidents.csv")
			writeFile(t, path, header+"A,sev2,checkout-api,2025-06-29T10:00:00Z,\n")
			e := newEnv(t, dir, "source: incidents.csv")
			c := e.collector()
			e.sync(c)
			before := text(t, snap(t, c))

			writeFile(t, path, tc.content)
			err := c.Sync(context.Background())
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("error = %v\nwant    %s", err, tc.wantErr)
			}
			if got := collectors.Reason(err); got != tc.wantReason {
				t.Errorf("reason = %q, want %q", got, tc.wantReason)
			}
			if after := text(t, snap(t, c)); after != before {
				t.Errorf("snapshot changed after a failed sync:\n%s\nwas:\n%s", after, before)
			}
		})
	}

	t.Run("a missing file", func(t *testing.T) {
		e := newEnv(t, t.TempDir(), "source: nowhere.csv")
		err := e.collector().Sync(context.Background())
		if err == nil || !strings.HasPrefix(err.Error(), "incidentsheet ops: nowhere.csv: open ") || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("error = %v", err)
		}
		if got := collectors.Reason(err); got != collectors.ReasonOther {
			t.Errorf("reason = %q, want other", got)
		}
	})
}

// sheetServer is a published sheet: it answers the CSV export with an
// ETag, 304 to a matching If-None-Match, or a scripted failure.
type sheetServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     string
	etag     string
	status   int    // when not 0, answer this instead
	ctype    string // Content-Type of 200 answers
	requests []http.Header
}

func newSheetServer(t *testing.T, body string) *sheetServer {
	s := &sheetServer{body: body, etag: `"v1"`, ctype: "text/csv"}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests = append(s.requests, r.Header.Clone())
		if r.URL.Path != "/spreadsheets/d/e/2PACX-test/pub" || r.URL.Query().Get("output") != "csv" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if s.status != 0 {
			http.Error(w, "<html>Something went wrong</html>", s.status)
			return
		}
		if r.Header.Get("If-None-Match") == s.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", s.ctype)
		w.Header().Set("ETag", s.etag)
		w.Header().Set("Last-Modified", "Mon, 30 Jun 2025 09:30:00 GMT")
		fmt.Fprint(w, s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sheetServer) set(f func(*sheetServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *sheetServer) seen() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.requests...)
}

// countingObserver counts upstream attempts by status code.
type countingObserver struct {
	mu    sync.Mutex
	codes map[string]int
}

func (o *countingObserver) Request(code string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.codes == nil {
		o.codes = map[string]int{}
	}
	o.codes[code]++
}

func (o *countingObserver) RateLimit(float64, float64, time.Time) {}

func TestAPublishedSheetIsReadConditionallyAndFailuresKeepTheLastData(t *testing.T) {
	data, err := os.ReadFile("testdata/incidents.csv")
	if err != nil {
		t.Fatal(err)
	}
	srv := newSheetServer(t, string(data))
	sheetURL := srv.URL + "/spreadsheets/d/e/2PACX-test/pub?gid=0&single=true&output=csv"
	e := newEnv(t, t.TempDir(), "source: "+sheetURL)
	var slept []time.Duration
	e.tune = func(o *upstream.Options) {
		o.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
		o.Rand = func() float64 { return 0.5 }
	}
	c := e.collector()
	e.sync(c)
	s := snap(t, c)
	compare(t, s, fixtureExpected, fixtureNames...)
	// Last-Modified Mon, 30 Jun 2025 09:30:00 GMT = 1751275800.
	compare(t, s, "# HELP sre_incidentsheet_last_modified_timestamp_seconds When the incident sheet last changed (file modification time or Last-Modified), to spot a sheet nobody updates.\n"+
		"# TYPE sre_incidentsheet_last_modified_timestamp_seconds gauge\nsre_incidentsheet_last_modified_timestamp_seconds 1751275800\n",
		"sre_incidentsheet_last_modified_timestamp_seconds")
	before := text(t, s)

	// Unchanged: one conditional request, answered 304.
	e.sync(c)
	reqs := srv.seen()
	if len(reqs) != 2 || reqs[0].Get("If-None-Match") != "" || reqs[1].Get("If-None-Match") != `"v1"` {
		t.Fatalf("requests = %v, want an unconditional then a conditional GET", reqs)
	}
	if ua := reqs[0].Get("User-Agent"); ua != "sre-value-exporter" {
		t.Errorf("User-Agent = %q", ua)
	}

	// A 500 is retried (1 + 4 retries), then fails as server_error without
	// the URL's query, and the data stays.
	srv.set(func(s *sheetServer) { s.status = http.StatusInternalServerError })
	err = c.Sync(context.Background())
	wantErr := "incidentsheet ops: GET " + srv.URL + "/spreadsheets/d/e/2PACX-test/pub: 500 Internal Server Error"
	if err == nil || err.Error() != wantErr {
		t.Fatalf("error = %v\nwant    %s", err, wantErr)
	}
	if got := collectors.Reason(err); got != collectors.ReasonServer {
		t.Errorf("reason = %q, want server_error", got)
	}
	if n := len(srv.seen()); n != 2+5 {
		t.Errorf("requests = %d, want 7 (2 before, 5 attempts)", n)
	}
	if len(slept) != 4 {
		t.Errorf("backoff waits = %v, want 4", slept)
	}
	if after := text(t, snap(t, c)); after != before {
		t.Errorf("snapshot changed after a failed sync")
	}

	// A sheet that is not published as CSV answers with an HTML page.
	srv.set(func(s *sheetServer) { s.status, s.etag, s.ctype = 0, `"v2"`, "text/html; charset=utf-8" })
	err = c.Sync(context.Background())
	if err == nil || !strings.Contains(err.Error(), "got an HTML page, not CSV") || collectors.Reason(err) != collectors.ReasonInvalidData {
		t.Errorf("error = %v (reason %s), want an HTML page error with reason invalid_data", err, collectors.Reason(err))
	}

	// Restart: the version saved in the store makes the first request
	// conditional, so an unchanged sheet is not downloaded again.
	srv.set(func(s *sheetServer) { s.etag, s.ctype = `"v1"`, "text/csv" })
	e.restart()
	obs := &countingObserver{}
	deps, err := e.deps()
	if err != nil {
		t.Fatal(err)
	}
	deps.Observer = obs
	c, err = newCollector(deps, e.tune)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(obs.codes) != "map[304:1]" {
		t.Errorf("requests after restart = %v, want one 304", obs.codes)
	}
	if after := text(t, snap(t, c)); after != before {
		t.Errorf("snapshot changed after a restart")
	}
}

func TestSettingsAreCheckedWithExactMessages(t *testing.T) {
	// The collector starts on line 13 of the generated config (the catalog
	// takes lines 1-11); settings follow from line 15.
	for _, tc := range []struct {
		name, settings, want string
	}{
		{"a missing source", "columns: {id: Key}",
			"testdata/config.yml:13: collectors[0].source: required: a CSV file (relative to the config file) or the http(s) URL of a published sheet"},
		{"an unknown setting", "source: a.csv\ntimezon: UTC",
			`testdata/config.yml:16: collectors[0]: unknown field "timezon" (did you mean "timezone"?)`},
		{"a column override for a column that does not exist", "source: a.csv\ncolumns: {openned: Start}",
			`testdata/config.yml:16: collectors[0].columns: "openned" is not a column of this table (columns: id, title, severity, service, team, opened, acknowledged, resolved, postmortem, action_items_open, action_items_done, action_items_overdue)`},
		{"a date format without date elements", "source: a.csv\ndate_format: DD/MM/YYYY",
			`testdata/config.yml:16: collectors[0].date_format: "DD/MM/YYYY" has no date elements; write it with Go's reference date, as in 02/01/2006 for day/month/year`},
		{"a severity map to a made-up severity", "source: a.csv\nseverity_map: {urgent: critical}",
			`testdata/config.yml:16: collectors[0].severity_map.urgent: "critical" is not a severity; use sev1 (most severe) to sev5, or unknown`},
		{"an unknown timezone", "source: a.csv\ntimezone: Mars/Olympus",
			`testdata/config.yml:16: collectors[0].timezone: "Mars/Olympus" is not a time zone (use a name such as Europe/Berlin or America/New_York)`},
		{"an ftp URL", "source: ftp://example.com/incidents.csv",
			"testdata/config.yml:15: collectors[0].source: only http and https URLs are supported; anything else is read as a file path"},
		{"a URL without a host, not echoed", "source: https:///pub?key=SECRET",
			"testdata/config.yml:15: collectors[0].source: not a valid http(s) URL"},
		{"every mistake is reported at once", "columns: {openned: Start}\nseverity_map: {urgent: critical}\ntimezone: Mars/Olympus",
			"testdata/config.yml:13: collectors[0].source: required: a CSV file (relative to the config file) or the http(s) URL of a published sheet\n" +
				`testdata/config.yml:15: collectors[0].columns: "openned" is not a column of this table (columns: id, title, severity, service, team, opened, acknowledged, resolved, postmortem, action_items_open, action_items_done, action_items_overdue)` + "\n" +
				`testdata/config.yml:16: collectors[0].severity_map.urgent: "critical" is not a severity; use sev1 (most severe) to sev5, or unknown` + "\n" +
				`testdata/config.yml:17: collectors[0].timezone: "Mars/Olympus" is not a time zone (use a name such as Europe/Berlin or America/New_York)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "testdata", tc.settings)
			deps, err := e.deps()
			if err != nil {
				t.Fatal(err)
			}
			_, err = newCollector(deps, nil)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v\nwant    %s", err, tc.want)
			}
		})
	}
}

func TestTheKindIsRegisteredAndEnabledByDefault(t *testing.T) {
	k, ok := collectors.Lookup(Kind)
	if !ok || !k.EnabledByDefault {
		t.Fatalf("kind %q registered = %v, enabled by default = %v", Kind, ok, k.EnabledByDefault)
	}
	e := newEnv(t, "testdata", "source: incidents.csv")
	deps, err := e.deps()
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Factory(deps)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(collectors.Noter); !ok {
		t.Error("the collector does not implement Noter")
	}
}

// The demo data is generated elsewhere; it must read without a skipped row.
func TestTheDemoSheetReadsCleanly(t *testing.T) {
	const demo = "../../examples/demo/config.yml"
	data, err := os.ReadFile(demo)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no demo data in this checkout")
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(demo, data)
	if err != nil {
		t.Fatal(err)
	}
	var cc *config.CollectorConfig
	for i := range cfg.Collectors {
		if cfg.Collectors[i].Kind == Kind {
			cc = &cfg.Collectors[i]
		}
	}
	if cc == nil {
		t.Skip("the demo config has no incidentsheet collector")
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := newCollector(collectors.Deps{Config: *cc, Decoder: cfg.Decoder(), BaseDir: cfg.Dir, Catalog: &cfg.Catalog, Store: st}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if notes := c.Notes(); len(notes) != 0 {
		t.Errorf("demo notes:\n%s", strings.Join(notes, "\n"))
	}
	var n int
	if err := st.View(c.deps.StoreKey(), func(tx *store.Tx) error { n = tx.CountRecords("incident"); return nil }); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("the demo sheet gave no incidents")
	}
}

func TestASeverityMappedToUnknownOnPurposeIsNotNoted(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "incidents.csv"), header+
		"A,Whatever,checkout-api,2025-06-29T10:00:00Z,\n"+
		"B,Odd,checkout-api,2025-06-29T10:00:00Z,\n")
	e := newEnv(t, dir, "source: incidents.csv\nseverity_map: {whatever: unknown}")
	c := e.collector()
	e.sync(c)
	want := `incidents.csv:3: severity "Odd" is not a known severity; it is counted as unknown (add it to severity_map)`
	if got := c.Notes(); strings.Join(got, "\n") != want {
		t.Errorf("notes = %q, want only %q", got, want)
	}
}

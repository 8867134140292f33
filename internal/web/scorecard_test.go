package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	_ "github.com/sre-value/sre-value-exporter/collectors/all"
	"github.com/sre-value/sre-value-exporter/internal/exporter"
	"github.com/sre-value/sre-value-exporter/internal/scorecard"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// demoNow is the golden file's clock: just after the demo data's last day.
var demoNow = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// demoHandler serves the real landing page over the bundled demo,
// refreshed once with previous periods as `serve` computes them.
func demoHandler(t testing.TB) http.Handler {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := func() time.Time { return demoNow }
	logger := slog.New(slog.DiscardHandler)
	exp := exporter.New(exporter.Options{ConfigFile: "../../examples/demo/config.yml", Logger: logger, Now: now, PreviousPeriods: true}, st)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := exp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(exp.Scheduler.Stop)
	exp.Scheduler.RefreshNow(ctx)
	return Handler(Options{
		TelemetryPath: "/metrics", Version: "test", ConfigFile: "config.yml", Source: exp.Scheduler,
		Logger: logger, Now: now,
		Scorecard: func() scorecard.Options { return scorecard.OptionsFrom(exp.Config()) },
	})
}

// The demo's figures as of demoNow, hand-computed from examples/demo (the
// scorecard package's TestTheScorecardEqualsTheHandComputedDemoFigures
// checks every figure that way); for example the 22 incidents are the rows
// of incidents.csv opened after 2026-10-22T00:00Z, and the 45 office-hours
// attendees those of the two office_hours rows of events.csv since then
// (24 + 21).
var (
	allTeamsFigures = map[string]string{
		`#scorecard-title`: "Scorecard: all teams",
		`[data-figure="incidents"] [data-window="7d"] .value`:              "9",
		`[data-figure="incidents"] [data-window="7d"] .change.worse`:       "+5 (+125%)",
		`[data-figure="incidents"] [data-window="30d"] .value`:             "22",
		`[data-figure="incidents"] [data-window="30d"] .change.better`:     "−1 (−4%)",
		`[data-figure="incidents"] [data-window="90d"] .value`:             "62",
		`[data-figure="mttr"] [data-window="30d"] .value`:                  "2h 46m",
		`[data-figure="mttr"] [data-window="30d"] .detail`:                 "18 incidents resolved",
		`[data-figure="mttr"] [data-window="90d"] .change.better`:          "−3h 51m (−48%)",
		`[data-figure="mtta"] [data-window="7d"] .value`:                   "14m 56s",
		`[data-figure="mtta"] [data-window="7d"] .change.worse`:            "+18s (+2%)",
		`[data-figure="open_incidents"] [data-window="now"] .value`:        "4",
		`[data-figure="training_completion"] [data-window="now"] .value`:   "76.3%",
		`[data-figure="training_completion"] [data-window="now"] .detail`:  "193 of 253 enrolments",
		`[data-figure="training_completion"] th .note`:                     "target 80%",
		`[data-figure="training_completions"] [data-window="30d"] .change`: "+17 (+41%)",
		`[data-figure="champions"] [data-window="now"] .value`:             "75.0%",
		`[data-figure="champions"] [data-window="now"] .detail`:            "6 of 8 teams",
		`[data-figure="office_hours"] [data-window="30d"] .value`:          "45",
		`[data-figure="office_hours"] [data-window="30d"] .detail`:         "in 2 sessions",
		`[data-figure="newsletter_open_rate"] [data-window="7d"] .value`:   "—",
		`[data-figure="newsletter_open_rate"] [data-window="30d"] .value`:  "52.1%",
		`[data-figure="newsletter_open_rate"] [data-window="90d"] .change`: "+5.3 pp",
		`[data-figure="slack"] [data-window="30d"] .value`:                 "283",
		`[data-figure="wiki_views"] [data-window="90d"] .value`:            "1,786",
		`[data-figure="wiki_pages_created"] [data-window="7d"] .change`:    "+1 (from 0)",
		`[data-figure="time_saved"] [data-window="90d"] .value`:            "242.5 h",
		`[data-figure="money_saved"] th`:                                   "Money saved (EUR)", // the demo's value.currency
		`[data-figure="money_saved"] [data-window="90d"] .value`:           "68,417",
		`[data-figure="money_saved"] [data-window="90d"] .change`:          "+59,967 (+710%)",
	}
	// Team payments: incidents.csv rows of team payments or its alias
	// "Payments Engineering", training.csv likewise, one active champion
	// (Valka Larkspur, since 2026-05-25).
	paymentsFigures = map[string]string{
		`#scorecard-title`: "Scorecard: team payments",
		`[data-figure="incidents"] [data-window="30d"] .value`:            "8",
		`[data-figure="incidents"] [data-window="30d"] .change`:           "+5 (+167%)",
		`[data-figure="incidents"] [data-window="7d"] .change`:            "+3 (from 0)",
		`[data-figure="mttr"] [data-window="30d"] .value`:                 "2h 18m",
		`[data-figure="mttr"] [data-window="7d"] .detail`:                 "1 incident resolved",
		`[data-figure="mttr"] [data-window="7d"] .change`:                 "none the period before",
		`[data-figure="mtta"] [data-window="90d"] .value`:                 "18m 31s",
		`[data-figure="open_incidents"] [data-window="now"] .value`:       "2",
		`[data-figure="training_completion"] [data-window="now"] .value`:  "76.6%",
		`[data-figure="training_completion"] [data-window="now"] .detail`: "36 of 47 enrolments",
		`[data-figure="champions"] th`:                                    "Active champions",
		`[data-figure="champions"] [data-window="now"] .value`:            "1",
		`[data-figure="newsletter_open_rate"] th .note`:                   "all channels; organisation-wide: the figure has no team",
		`[data-figure="slack"] [data-window="30d"] .value`:                "0",
		`[data-figure="wiki_views"] [data-window="90d"] .value`:           "51",
		`[data-figure="time_saved"] [data-window="90d"] .change`:          "+55.7 h (from 0)",
		`[data-figure="money_saved"] [data-window="30d"] .value`:          "11,435",
		`[data-figure="money_saved"] [data-window="90d"] .value`:          "20,994",
	}
)

func TestTheLandingPageServesTheScorecardWithoutJavaScript(t *testing.T) {
	h := demoHandler(t)
	for _, tt := range []struct {
		name, path string
		code       int
		want       []string
	}{
		{"all teams by default", "/", http.StatusOK, []string{
			`<option value="" selected>All teams</option>`,
			`<tr data-figure="incidents">`,
			`<td data-window="30d"><span class="value">22</span>`,
		}},
		{"a team chosen in the form's query", "/?team=payments", http.StatusOK, []string{
			`<option value="payments" selected>payments</option>`,
			`<td data-window="30d"><span class="value">8</span>`,
		}},
		{"an unknown team is escaped and answered 404 with all teams", "/?team=%3Cscript%3Ealert(1)%3C/script%3E", http.StatusNotFound, []string{
			`No team named <code>&lt;script&gt;alert(1)&lt;/script&gt;</code> in the catalog; showing all teams.`,
			`<td data-window="30d"><span class="value">22</span>`,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(h, http.MethodGet, tt.path)
			if rec.Code != tt.code {
				t.Errorf("status %d, want %d", rec.Code, tt.code)
			}
			body := rec.Body.String()
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("the page lacks %s", w)
				}
			}
			if strings.Contains(body, "<script>") {
				t.Error("the page has a script element")
			}
		})
	}
}

// chromium returns the path of a Chromium to drive, skipping the test when
// there is none, except in CI (CI=true), where the browser test must run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	msg := "no Chromium found (chromium or chromium-browser on PATH): the scorecard's browser test needs it; on Debian or Ubuntu: apt-get install -y --no-install-recommends chromium"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func TestABrowserReadsTheScorecardAndSwitchesTeam(t *testing.T) {
	path := chromium(t)
	srv := httptest.NewServer(demoHandler(t))
	defer srv.Close()

	// One deadline for the whole browser: chromedp stops it with the
	// context of its first run.
	deadline, cancelDeadline := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancelDeadline()
	alloc, cancelAlloc := chromedp.NewExecAllocator(deadline,
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(alloc)
	defer cancelCtx()

	// read takes the text a person sees in each selected element, in one
	// round trip; an element that is not there reads as "(missing)".
	read := func(figures map[string]string) map[string]string {
		t.Helper()
		selectors, err := json.Marshal(slices.Sorted(maps.Keys(figures)))
		if err != nil {
			t.Fatal(err)
		}
		js := `(() => { const out = {}; for (const s of ` + string(selectors) + `) { const n = document.querySelector(s); out[s] = n ? n.innerText.trim() : "(missing)"; } return out; })()`
		got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](js))
		if err != nil {
			t.Fatalf("reading the scorecard: %v", err)
		}
		return got
	}
	compare := func(what string, got, want map[string]string) {
		t.Helper()
		for sel, w := range want {
			if got[sel] != w {
				t.Errorf("%s: %s reads %q, want %q", what, sel, got[sel], w)
			}
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#scorecard"))); err != nil {
		t.Fatalf("loading the landing page: %v", err)
	}
	compare("all teams", read(allTeamsFigures), allTeamsFigures)

	// Switch team the way a person does: pick it in the selector and press
	// the form's button, which loads /?team=payments.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#team"), "payments"),
		chromedp.Click(chromedp.CSS("#team-form button")),
		chromedp.WaitVisible(chromedp.CSS(`#scorecard-title[data-team="payments"]`)),
	); err != nil {
		t.Fatalf("switching to team payments: %v", err)
	}
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(location, "/?team=payments") {
		t.Errorf("the form loaded %s, want /?team=payments", location)
	}
	compare("team payments", read(paymentsFigures), paymentsFigures)
}

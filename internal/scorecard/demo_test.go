package scorecard_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/sre-value/sre-value-exporter/collectors/all"
	"github.com/sre-value/sre-value-exporter/internal/exporter"
	"github.com/sre-value/sre-value-exporter/internal/promtest"
	"github.com/sre-value/sre-value-exporter/internal/scorecard"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// demoNow is the golden file's clock: just after the demo data's last day.
var demoNow = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

const demoDir = "../../examples/demo"

// demoBoard runs the bundled demo configuration once, previous periods
// included, and computes the scorecard from what it published.
func demoBoard(t *testing.T) *scorecard.Board {
	t.Helper()
	exp := demoExporter(t, true)
	pub := exp.Scheduler.Published()
	return scorecard.Compute(pub.Current, pub.Previous, scorecard.OptionsFrom(exp.Config()))
}

// demoExporter runs the bundled demo configuration and refreshes it once.
func demoExporter(tb testing.TB, previous bool) *exporter.Exporter {
	tb.Helper()
	st, err := store.Open(filepath.Join(tb.TempDir(), "demo.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	exp := exporter.New(exporter.Options{ConfigFile: filepath.Join(demoDir, "config.yml"), Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return demoNow }, PreviousPeriods: previous}, st)
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	if err := exp.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(exp.Scheduler.Stop)
	exp.Scheduler.RefreshNow(ctx)
	for _, s := range exp.Scheduler.Statuses() {
		if !s.Up {
			tb.Fatalf("demo collector %s is down: %s", s.Name, s.LastError)
		}
	}
	return exp
}

// The hand computation below reads the demo's CSV files and Slack export
// directly, with the rules the docs state, and none of the exporter's code.

// demoTeam maps the demo's team spellings to catalog teams: the aliases of
// examples/demo/config.yml, written out by hand.
var demoTeam = map[string]string{
	"Payments Engineering": "payments", "Checkout Team": "checkout", "Search & Discovery": "search",
	"Identity & Access": "identity", "Platform Engineering": "platform", "Data Engineering": "data",
	"Mobile Apps": "mobile", "Site Reliability": "sre", "": "all",
}

var demoSpaceTeam = map[string]string{
	"SRE": "sre", "PAY": "payments", "CHK": "checkout", "SRCH": "search", "IAM": "identity",
	"PLAT": "platform", "DATA": "data", "MOB": "mobile",
}

var demoTeams = []string{"checkout", "data", "identity", "mobile", "payments", "platform", "search", "sre"}

func team(v string) string {
	if t, ok := demoTeam[v]; ok {
		return t
	}
	return v
}

func readCSV(t *testing.T, name string) []map[string]string {
	t.Helper()
	return promtest.ReadCSV(t, filepath.Join(demoDir, name))
}

func at(t *testing.T, v string) time.Time {
	t.Helper()
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if tm, err := time.Parse(layout, v); err == nil {
			return tm
		}
	}
	t.Fatalf("bad time %q", v)
	return time.Time{}
}

func num(t *testing.T, v string) float64 {
	t.Helper()
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var windows = map[string]time.Duration{"7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour, "90d": 90 * 24 * time.Hour}

// period is a window ending at end: end-w < t <= end. previous says
// whether it is the window just before the current one.
type period struct {
	from, to time.Time
}

func (p period) has(t time.Time) bool { return t.After(p.from) && !t.After(p.to) }

func periodOf(w string, previous bool) period {
	end := demoNow
	if previous {
		end = end.Add(-windows[w])
	}
	return period{end.Add(-windows[w]), end}
}

// handFigure is one windowed figure: value per team ("" for all teams),
// window and period (current or previous); ok false for a mean of nothing.
type handFigure func(team, w string, previous bool) (v float64, ok bool)

func ofTeam(want, got string) bool { return want == "" || want == got }

func TestTheScorecardEqualsTheHandComputedDemoFigures(t *testing.T) {
	board := demoBoard(t)
	incidents := readCSV(t, "incidents.csv")
	training := readCSV(t, "training.csv")
	events := readCSV(t, "events.csv")
	newsletter := readCSV(t, "newsletter.csv")
	savings := readCSV(t, "savings.csv")
	pages := readCSV(t, "wiki_pages.csv")
	views := readCSV(t, "wiki_views.csv")
	champions := readCSV(t, "champions.csv")
	slack := slackPosts(t)

	count := func(rows []map[string]string, dateField, teamField string, extra func(map[string]string) bool, value func(map[string]string) float64) handFigure {
		return func(tm, w string, previous bool) (float64, bool) {
			p, total := periodOf(w, previous), 0.0
			for _, r := range rows {
				if r[dateField] == "" || (teamField != "" && !ofTeam(tm, team(r[teamField]))) || (extra != nil && !extra(r)) {
					continue
				}
				if p.has(at(t, r[dateField])) {
					total += value(r)
				}
			}
			return total, true
		}
	}
	one := func(map[string]string) float64 { return 1 }
	field := func(name string, scale float64) func(map[string]string) float64 {
		return func(r map[string]string) float64 { return num(t, r[name]) * scale }
	}
	mean := func(endField string) handFigure {
		return func(tm, w string, previous bool) (float64, bool) {
			p, sum, n := periodOf(w, previous), 0.0, 0.0
			for _, r := range incidents {
				if r[endField] == "" || !ofTeam(tm, team(r["team"])) {
					continue
				}
				end := at(t, r[endField])
				if p.has(end) {
					sum += end.Sub(at(t, r["opened"])).Seconds()
					n++
				}
			}
			return sum / n, n > 0
		}
	}
	officeHours := func(r map[string]string) bool { return r["kind"] == "office_hours" }
	openRate := func(tm, w string, previous bool) (float64, bool) {
		opens, _ := count(newsletter, "sent", "", nil, field("opened", 1))(tm, w, previous)
		recipients, _ := count(newsletter, "sent", "", nil, field("recipients", 1))(tm, w, previous)
		return opens / recipients, recipients > 0
	}
	// Every demo channel is mapped to the sre team (slack:#... aliases).
	slackFigure := func(tm, w string, previous bool) (float64, bool) {
		if tm != "" && tm != "sre" {
			return 0, true
		}
		p, n := periodOf(w, previous), 0.0
		for _, ts := range slack {
			if p.has(ts) {
				n++
			}
		}
		return n, true
	}
	// Views count from 00:00 UTC of the day the window starts.
	wikiViews := func(tm, w string, previous bool) (float64, bool) {
		// Views are counted per day: a window counts the days from the
		// one it starts in to the one it ends in, of the pages that
		// existed at its end (a page created later has no views yet).
		p := periodOf(w, previous)
		created := map[string]time.Time{}
		for _, r := range pages {
			created[r["space"]+"/"+r["page"]] = at(t, r["created"])
		}
		from, total := p.from.Truncate(24*time.Hour), 0.0
		for _, r := range views {
			c, ok := created[r["space"]+"/"+r["page"]]
			if d := at(t, r["date"]); ok && !c.After(p.to) && !d.Before(from) && !d.After(p.to) && ofTeam(tm, demoSpaceTeam[r["space"]]) {
				total += num(t, r["views"])
			}
		}
		return total, true
	}
	windowed := map[string]handFigure{
		"incidents":            count(incidents, "opened", "team", nil, one),
		"mttr":                 mean("resolved"),
		"mtta":                 mean("acknowledged"),
		"training_completions": count(training, "completed", "team", nil, one),
		"office_hours":         count(events, "date", "team", officeHours, field("attendees", 1)),
		"newsletter_open_rate": openRate,
		"slack":                slackFigure,
		"wiki_views":           wikiViews,
		"wiki_pages_created": func(tm, w string, previous bool) (float64, bool) {
			p, n := periodOf(w, previous), 0.0
			for _, r := range pages {
				if ofTeam(tm, demoSpaceTeam[r["space"]]) && p.has(at(t, r["created"])) {
					n++
				}
			}
			return n, true
		},
		"time_saved":  count(savings, "date", "team", nil, field("hours_saved", 3600)),
		"money_saved": count(savings, "date", "team", nil, field("money_saved", 1)),
	}
	noPrevious := map[string]bool{} // every row is Historical in the demo

	point := map[string]func(tm string) float64{
		"open_incidents": func(tm string) float64 {
			n := 0.0
			for _, r := range incidents {
				if r["resolved"] == "" && ofTeam(tm, team(r["team"])) {
					n++
				}
			}
			return n
		},
		"training_completion": func(tm string) float64 {
			done, all := 0.0, 0.0
			for _, r := range training {
				if ofTeam(tm, team(r["team"])) {
					all++
					if r["completed"] != "" {
						done++
					}
				}
			}
			return done / all
		},
		"champions": func(tm string) float64 {
			active := map[string]float64{}
			for _, r := range champions {
				if !at(t, r["since"]).After(demoNow) && (r["until"] == "" || at(t, r["until"]).After(demoNow)) {
					active[r["team"]]++
				}
			}
			if tm != "" {
				return active[tm]
			}
			return float64(len(active)) / float64(len(demoTeams)) // coverage
		},
	}

	if got := strings.Join(board.Teams, ","); got != strings.Join(demoTeams, ",") {
		t.Errorf("teams %s, want %s", got, strings.Join(demoTeams, ","))
	}
	checked := 0
	for _, tm := range append([]string{""}, demoTeams...) {
		card, ok := board.Team(tm)
		if !ok {
			t.Fatalf("no scorecard for team %q", tm)
		}
		seen := map[string]bool{}
		for _, row := range card.Rows {
			seen[row.ID] = true
			if row.ID == "slo" && row.Now != nil {
				want, known := sloMet(t, tm)
				checkValue(t, tm, row.ID, "now", *row.Now, want, known)
				checked++
				continue
			}
			if row.Now != nil {
				want, ok := point[row.ID]
				if !ok {
					t.Errorf("team %q: row %s is not hand-checked", tm, row.ID)
					continue
				}
				checkValue(t, tm, row.ID, "now", *row.Now, want(tm), true)
				checked++
				continue
			}
			want, ok := windowed[row.ID]
			if !ok {
				t.Errorf("team %q: row %s is not hand-checked", tm, row.ID)
				continue
			}
			for i, c := range row.Windows {
				w := board.Windows[i]
				v, known := want(tm, w, false)
				checkValue(t, tm, row.ID, w, c, v, known)
				checked++
				if noPrevious[row.ID] {
					if c.Change != nil {
						t.Errorf("team %q %s %s: a change %q for a figure that is not Historical", tm, row.ID, w, c.Change.Text)
					}
					continue
				}
				if c.Change == nil {
					t.Errorf("team %q %s %s: no change against the previous period", tm, row.ID, w)
					continue
				}
				pv, pknown := want(tm, w, true)
				checkValue(t, tm, row.ID, w+" previous", scorecard.Cell{Value: c.Change.Previous, Known: c.Change.PreviousKnown}, pv, pknown)
				checked++
			}
		}
		for id := range point {
			if !seen[id] {
				t.Errorf("team %q: no row %s", tm, id)
			}
		}
		for id := range windowed {
			if !seen[id] {
				t.Errorf("team %q: no row %s", tm, id)
			}
		}
	}
	t.Logf("%d figures equal their hand computation", checked)
}

func checkValue(t *testing.T, team, id, w string, c scorecard.Cell, want float64, known bool) {
	t.Helper()
	if c.Known != known || (known && math.Abs(c.Value-want) > 1e-9*math.Max(1, math.Abs(want))) {
		t.Errorf("team %q %s %s = %v (known %v), hand-computed %v (known %v)", team, id, w, c.Value, c.Known, want, known)
	}
}

// slackPosts are the instants of the messages and replies people posted in
// the demo export: no subtype (bot_message and joins left out) and not by
// a bot user.
func slackPosts(t *testing.T) []time.Time {
	t.Helper()
	root := filepath.Join(demoDir, "slack-export")
	var users []struct {
		ID    string `json:"id"`
		IsBot bool   `json:"is_bot"`
	}
	data, err := os.ReadFile(filepath.Join(root, "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &users); err != nil {
		t.Fatal(err)
	}
	bots := map[string]bool{}
	for _, u := range users {
		bots[u.ID] = u.IsBot
	}
	days, err := filepath.Glob(filepath.Join(root, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for _, day := range days {
		data, err := os.ReadFile(day)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []struct {
			Subtype string `json:"subtype"`
			User    string `json:"user"`
			TS      string `json:"ts"`
		}
		if err := json.Unmarshal(data, &msgs); err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Subtype != "" || bots[m.User] {
				continue
			}
			sec, _, _ := strings.Cut(m.TS, ".")
			s, err := strconv.ParseInt(sec, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, time.Unix(s, 0))
		}
	}
	return out
}

// demoSLOOwner is the catalog's owner of each service of slo.csv, from
// examples/demo/config.yml.
var demoSLOOwner = map[string]string{
	"payments-api": "payments", "checkout-api": "checkout", "search-api": "search",
	"auth-service": "identity", "data-pipeline": "data",
}

// sloMet is the share of the team's SLOs (all teams': every SLO) whose
// latest report dated at or before demoNow attains its objective; unknown
// for a team without one.
func sloMet(t *testing.T, tm string) (float64, bool) {
	t.Helper()
	type report struct {
		date                time.Time
		objective, attained float64
	}
	latest := map[string]report{}
	for _, r := range readCSV(t, "slo.csv") {
		d := at(t, r["date"])
		if d.After(demoNow) || (tm != "" && demoSLOOwner[r["service"]] != tm) {
			continue
		}
		key := r["service"] + "/" + r["slo"]
		objective, err := strconv.ParseFloat(r["objective"], 64)
		if err != nil {
			t.Fatal(err)
		}
		attained, err := strconv.ParseFloat(r["attained"], 64)
		if err != nil {
			t.Fatal(err)
		}
		// Two reports of one date keep the lower attainment (the table's rule).
		if old, ok := latest[key]; !ok || d.After(old.date) || (d.Equal(old.date) && attained < old.attained) {
			latest[key] = report{d, objective, attained}
		}
	}
	if len(latest) == 0 {
		return 0, false
	}
	met := 0.0
	for _, r := range latest {
		if r.attained >= r.objective {
			met++
		}
	}
	return met / float64(len(latest)), true
}

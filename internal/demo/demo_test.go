package demo

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/config"
)

var update = flag.Bool("update", false, "rewrite examples/demo from the generator")

// committedEnd is the end date of the files checked in under examples/demo.
var committedEnd = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

const committedDir = "../../examples/demo"

func generate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := Generate(dir, committedEnd); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return dir
}

func TestGeneratingTwiceGivesIdenticalBytes(t *testing.T) {
	a, b := generate(t), generate(t)
	for _, name := range Files {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

func TestCommittedDemoEqualsAFreshGeneration(t *testing.T) {
	if *update {
		if err := Generate(committedDir, committedEnd); err != nil {
			t.Fatalf("Generate: %v", err)
		}
	}
	fresh := generate(t)
	for _, name := range Files {
		want, err := os.ReadFile(filepath.Join(fresh, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(committedDir, name))
		if err != nil {
			t.Fatalf("%v (run go test ./internal/demo -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("examples/demo/%s is stale; run go test ./internal/demo -update", name)
		}
	}
}

func TestGenerateRefusesMissingArguments(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  string
		end  time.Time
		want string
	}{
		{"an empty output directory is refused", "", committedEnd, "demo: no output directory given"},
		{"a zero end date is refused", t.TempDir(), time.Time{}, "demo: no end date given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Generate(tc.dir, tc.end)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestGenerateReportsAnUnwritableDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := Generate(file, committedEnd)
	if err == nil || !strings.HasPrefix(err.Error(), "demo: create output directory:") {
		t.Fatalf("got %v, want a create output directory error", err)
	}
}

// demoData is the generated files read back, with the catalog of the
// generated config, for the sanity checks.
type demoData struct {
	dir     string
	catalog *catalog.Catalog
	start   time.Time // first day
	lastDay time.Time
	end     time.Time
}

func load(t *testing.T) demoData {
	t.Helper()
	dir := generate(t)
	cfg, err := config.Load(filepath.Join(dir, "config.yml"))
	if err != nil {
		t.Fatalf("generated config.yml does not load: %v", err)
	}
	return demoData{dir, &cfg.Catalog, time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC), committedEnd, committedEnd}
}

// rows reads file, checks its header is exactly header, and returns its
// rows as maps from column to cell.
func (d demoData) rows(t *testing.T, file string, header ...string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(d.dir, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if !slices.Equal(records[0], header) {
		t.Fatalf("%s header = %v, want %v", file, records[0], header)
	}
	var out []map[string]string
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, h := range header {
			row[h] = rec[i]
		}
		out = append(out, row)
	}
	if len(out) == 0 {
		t.Fatalf("%s has no rows", file)
	}
	return out
}

// day parses a date cell and checks it lies in the six months before end.
func (d demoData) day(t *testing.T, file, cell string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02", cell)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if v.Before(d.start) || v.After(d.lastDay) {
		t.Errorf("%s: date %s is outside %s..%s", file, cell, date(d.start), date(d.lastDay))
	}
	return v
}

// team maps a team cell through the catalog and fails on an unknown team.
func (d demoData) team(t *testing.T, file, cell string) string {
	t.Helper()
	name := d.catalog.Team("csv", cell)
	if name == catalog.Unknown {
		t.Errorf("%s: team %q is not in the catalog", file, cell)
	}
	return name
}

func number(t *testing.T, file, cell string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(cell, 64)
	if err != nil || v < 0 {
		t.Fatalf("%s: %q is not a non-negative number", file, cell)
	}
	return v
}

func TestTheCatalogHasEightTeamsAndTwelveServices(t *testing.T) {
	d := load(t)
	want := []string{"checkout", "data", "identity", "mobile", "payments", "platform", "search", "sre"}
	if got := d.catalog.TeamNames(); !slices.Equal(got, want) {
		t.Errorf("teams = %v, want %v", got, want)
	}
	if len(d.catalog.Services) != 12 {
		t.Errorf("%d services, want 12", len(d.catalog.Services))
	}
	for _, s := range d.catalog.Services {
		if s.Team == "" {
			t.Errorf("service %s has no owning team", s.Name)
		}
	}
}

func TestTrainingIsConsistentAndCompletionsGrow(t *testing.T) {
	d := load(t)
	rows := d.rows(t, "training.csv", "person", "team", "course", "module", "enrolled", "completed", "certification")
	courses := []string{"SRE Fundamentals", "Incident Management", "SLO Workshop", "Chaos Engineering", "Advanced Troubleshooting"}
	teams := map[string]bool{}
	fundamentals := map[string]int{} // person -> module rows
	completedByHalf := [2]int{}
	for _, r := range rows {
		teams[d.team(t, "training.csv", r["team"])] = true
		if !slices.Contains(courses, r["course"]) {
			t.Errorf("unknown course %q", r["course"])
		}
		if r["course"] == "SRE Fundamentals" {
			fundamentals[r["person"]]++
			if !slices.Contains(fundamentalsModules, r["module"]) {
				t.Errorf("unknown module %q", r["module"])
			}
		} else if r["module"] != "" {
			t.Errorf("%s has a module %q", r["course"], r["module"])
		}
		enrolled := d.day(t, "training.csv", r["enrolled"])
		if r["completed"] == "" {
			if r["certification"] != "" {
				t.Errorf("%s certified in %s without completing", r["person"], r["course"])
			}
			continue
		}
		completed := d.day(t, "training.csv", r["completed"])
		if completed.Before(enrolled) {
			t.Errorf("%s completed %s before enrolling", r["person"], r["course"])
		}
		if completed.Before(d.start.AddDate(0, 3, 0)) {
			completedByHalf[0]++
		} else {
			completedByHalf[1]++
		}
	}
	if len(teams) != 8 {
		t.Errorf("training covers %d teams, want 8", len(teams))
	}
	for person, n := range fundamentals {
		if n != 5 {
			t.Errorf("%s has %d SRE Fundamentals module rows, want 5", person, n)
		}
	}
	if completedByHalf[1] <= completedByHalf[0] {
		t.Errorf("completions in the second three months (%d) should exceed the first (%d)", completedByHalf[1], completedByHalf[0])
	}
}

func TestEventsUseKnownKindsAndOfficeHoursAttendanceRises(t *testing.T) {
	d := load(t)
	rows := d.rows(t, "events.csv", "date", "kind", "title", "team", "attendees", "questions", "topics", "recorded")
	kinds := []string{"office_hours", "lunch_and_learn", "brown_bag", "webinar", "workshop", "deep_dive", "game_day",
		"chaos_workshop", "incident_simulation", "meetup", "external_speaker", "champions_meeting"}
	seen := map[string]int{}
	var officeHours []float64
	for _, r := range rows {
		d.day(t, "events.csv", r["date"])
		if !slices.Contains(kinds, r["kind"]) {
			t.Errorf("unknown event kind %q", r["kind"])
		}
		seen[r["kind"]]++
		if r["team"] != "" {
			d.team(t, "events.csv", r["team"])
		}
		attendees, questions := number(t, "events.csv", r["attendees"]), number(t, "events.csv", r["questions"])
		if questions > attendees {
			t.Errorf("%s on %s: %v questions from %v attendees", r["kind"], r["date"], questions, attendees)
		}
		if r["recorded"] != "yes" && r["recorded"] != "no" {
			t.Errorf("recorded = %q", r["recorded"])
		}
		if r["kind"] == "office_hours" {
			officeHours = append(officeHours, attendees)
		}
	}
	for _, k := range kinds {
		if seen[k] == 0 {
			t.Errorf("no %s events", k)
		}
	}
	if seen["office_hours"] != 13 || seen["champions_meeting"] != 6 {
		t.Errorf("%d office hours and %d champions meetings, want 13 bi-weekly and 6 monthly", seen["office_hours"], seen["champions_meeting"])
	}
	first, last := officeHours[0]+officeHours[1]+officeHours[2], officeHours[len(officeHours)-3]+officeHours[len(officeHours)-2]+officeHours[len(officeHours)-1]
	if last < 2*first {
		t.Errorf("office hours attendance: last three sessions %v, first three %v; want at least double", last, first)
	}
}

func TestNewsletterOpenRatesStayBetween40And60Percent(t *testing.T) {
	d := load(t)
	rows := d.rows(t, "newsletter.csv", "issue", "sent", "channel", "recipients", "opened", "clicked")
	monthly := 0
	for _, r := range rows {
		d.day(t, "newsletter.csv", r["sent"])
		recipients, opened, clicked := number(t, "newsletter.csv", r["recipients"]), number(t, "newsletter.csv", r["opened"]), number(t, "newsletter.csv", r["clicked"])
		if opened > recipients || clicked > opened {
			t.Errorf("%s: recipients %v, opened %v, clicked %v", r["issue"], recipients, opened, clicked)
		}
		if rate := opened / recipients; rate < 0.38 || rate > 0.62 {
			t.Errorf("%s: open rate %.2f", r["issue"], rate)
		}
		if !slices.Contains([]string{"newsletter", "webcast", "blog"}, r["channel"]) {
			t.Errorf("%s: channel %q", r["issue"], r["channel"])
		}
		if r["channel"] == "newsletter" {
			monthly++
		}
	}
	if monthly != 6 {
		t.Errorf("%d monthly newsletters, want 6", monthly)
	}
}

func TestSurveyScoresFitTheirScaleAndImprove(t *testing.T) {
	d := load(t)
	rows := d.rows(t, "surveys.csv", "survey", "date", "team", "score", "scale", "responses")
	first, last := map[string]float64{}, map[string]float64{}
	var rounds []string
	for _, r := range rows {
		if r["survey"] == "csat" && !slices.Contains(rounds, r["date"]) {
			rounds = append(rounds, r["date"])
		}
	}
	if len(rounds) != 3 {
		t.Fatalf("csat rounds on %v, want 3 quarterly rounds", rounds)
	}
	firstDate, lastDate := rounds[0], rounds[len(rounds)-1]
	for _, r := range rows {
		d.day(t, "surveys.csv", r["date"])
		team := d.team(t, "surveys.csv", r["team"])
		score, scale := number(t, "surveys.csv", r["score"]), number(t, "surveys.csv", r["scale"])
		if score > scale {
			t.Errorf("%s %s: score %v above scale %v", r["survey"], r["date"], score, scale)
		}
		if want := map[string]float64{"csat": 5, "devex": 10}[r["survey"]]; scale != want {
			t.Errorf("%s: scale %v, want %v", r["survey"], scale, want)
		}
		if number(t, "surveys.csv", r["responses"]) < 1 {
			t.Errorf("%s %s %s: no responses", r["survey"], r["date"], team)
		}
		if r["survey"] == "csat" && r["date"] == firstDate {
			first[team] = score
		}
		if r["survey"] == "csat" && r["date"] == lastDate {
			last[team] = score
		}
	}
	var sumFirst, sumLast float64
	for team := range first {
		sumFirst += first[team]
		sumLast += last[team]
	}
	if len(first) != 7 || sumLast <= sumFirst {
		t.Errorf("csat of the 7 product teams: first round %v, last round %v; want an improvement", first, last)
	}
}

func TestTwoTeamsHaveNoActiveChampion(t *testing.T) {
	d := load(t)
	rows := d.rows(t, "champions.csv", "team", "champion", "since", "until")
	active := map[string]bool{}
	for _, r := range rows {
		team := d.team(t, "champions.csv", r["team"])
		since := d.day(t, "champions.csv", r["since"])
		if r["until"] == "" {
			active[team] = true
			continue
		}
		if until := d.day(t, "champions.csv", r["until"]); until.Before(since) {
			t.Errorf("%s: until before since", r["champion"])
		}
	}
	var without []string
	for _, name := range d.catalog.TeamNames() {
		if !active[name] {
			without = append(without, name)
		}
	}
	if !slices.Equal(without, []string{"data", "mobile"}) {
		t.Errorf("teams without an active champion = %v, want [data mobile]", without)
	}
}

func TestSavingsHaveAnAmountAndAutomationSavesMoreEachMonth(t *testing.T) {
	d := load(t)
	rows := d.rows(t, "savings.csv", "date", "initiative", "team", "category", "hours_saved", "money_saved")
	hoursByMonth := map[string]float64{}
	for _, r := range rows {
		day := d.day(t, "savings.csv", r["date"])
		d.team(t, "savings.csv", r["team"])
		if !slices.Contains([]string{"toil_automation", "infrastructure_cost", "incident_prevention"}, r["category"]) {
			t.Errorf("category %q", r["category"])
		}
		if r["hours_saved"] == "" && r["money_saved"] == "" {
			t.Errorf("%s %s: neither hours nor money saved", r["date"], r["initiative"])
		}
		if r["hours_saved"] != "" && r["category"] == "toil_automation" {
			hoursByMonth[day.Format("2006-01")] += number(t, "savings.csv", r["hours_saved"])
		}
		if r["money_saved"] != "" {
			number(t, "savings.csv", r["money_saved"])
		}
	}
	if hoursByMonth["2026-10"] <= hoursByMonth["2026-06"] {
		t.Errorf("toil hours saved in October %v should exceed June %v", hoursByMonth["2026-10"], hoursByMonth["2026-06"])
	}
}

func TestAdoptionCoversEveryServiceAndPractice(t *testing.T) {
	d := load(t)
	rows := d.rows(t, "adoption.csv", "team", "service", "practice", "adopted", "date")
	if len(rows) != 12*6 {
		t.Errorf("%d adoption rows, want 72 (12 services x 6 practices)", len(rows))
	}
	aliases := 0
	for _, r := range rows {
		team := d.team(t, "adoption.csv", r["team"])
		service := d.catalog.Service("csv", r["service"])
		if service == catalog.Unknown {
			t.Errorf("service %q is not in the catalog", r["service"])
		}
		if service != r["service"] {
			aliases++
		}
		if owner := d.catalog.Owner(service); owner != team {
			t.Errorf("%s is owned by %s, row says %s", service, owner, team)
		}
		switch r["adopted"] {
		case "yes":
			d.day(t, "adoption.csv", r["date"])
		case "no":
			if r["date"] != "" {
				t.Errorf("%s %s: not adopted but dated %s", service, r["practice"], r["date"])
			}
		default:
			t.Errorf("adopted = %q", r["adopted"])
		}
	}
	if aliases == 0 {
		t.Error("no adoption row uses a service alias, so the demo does not show the catalog mapping")
	}
}

func TestCollaborationIsWithProductTeams(t *testing.T) {
	d := load(t)
	rows := d.rows(t, "collaboration.csv", "date", "kind", "team", "participants")
	kinds := map[string]int{}
	for _, r := range rows {
		d.day(t, "collaboration.csv", r["date"])
		if team := d.team(t, "collaboration.csv", r["team"]); team == "sre" {
			t.Errorf("%s: SRE collaborating with itself", r["date"])
		}
		if number(t, "collaboration.csv", r["participants"]) < 2 {
			t.Errorf("%s %s: fewer than 2 participants", r["date"], r["kind"])
		}
		kinds[r["kind"]]++
	}
	for _, k := range []string{"architecture_review", "joint_incident_review", "pairing", "sprint_planning", "quarterly_planning", "production_readiness_review"} {
		if kinds[k] == 0 {
			t.Errorf("no %s sessions", k)
		}
	}
	// Quarterly planning happens in July and October for each of the 7 product teams.
	if kinds["quarterly_planning"] != 14 {
		t.Errorf("%d quarterly planning sessions, want 14", kinds["quarterly_planning"])
	}
}

func TestIncidentsAreOrderedInTimeAndMTTRImproves(t *testing.T) {
	d := load(t)
	rows := d.rows(t, "incidents.csv", "id", "title", "severity", "service", "team", "opened", "acknowledged", "resolved", "postmortem")
	perMonth := map[string]int{}
	var open, aliases int
	// Mean hours to resolve in the first and last two months.
	var early, late struct{ hours, n float64 }
	parse := func(cell string) time.Time {
		v, err := time.Parse(time.RFC3339, cell)
		if err != nil {
			t.Fatalf("incidents.csv: %v", err)
		}
		if v.Before(d.start) || v.After(d.end) {
			t.Errorf("incidents.csv: %s is outside the period", cell)
		}
		return v
	}
	for _, r := range rows {
		if !slices.Contains([]string{"sev1", "sev2", "sev3", "sev4"}, r["severity"]) {
			t.Errorf("%s: severity %q", r["id"], r["severity"])
		}
		service := d.catalog.Service("sheet", r["service"])
		if service == catalog.Unknown {
			t.Errorf("%s: service %q is not in the catalog", r["id"], r["service"])
		}
		if service != r["service"] {
			aliases++
		}
		if team := d.catalog.Team("sheet", r["team"]); team != d.catalog.Owner(service) {
			t.Errorf("%s: team %q, but %s is owned by %s", r["id"], r["team"], service, d.catalog.Owner(service))
		}
		opened := parse(r["opened"])
		perMonth[opened.Format("2006-01")]++
		if r["acknowledged"] == "" {
			if r["resolved"] != "" {
				t.Errorf("%s: resolved but never acknowledged", r["id"])
			}
			open++
			continue
		}
		acknowledged := parse(r["acknowledged"])
		if acknowledged.Before(opened) {
			t.Errorf("%s: acknowledged before opened", r["id"])
		}
		if r["resolved"] == "" {
			open++
			continue
		}
		resolved := parse(r["resolved"])
		if resolved.Before(acknowledged) {
			t.Errorf("%s: resolved before acknowledged", r["id"])
		}
		if r["postmortem"] != "" && r["severity"] != "sev1" && r["severity"] != "sev2" {
			t.Errorf("%s: postmortem for a %s", r["id"], r["severity"])
		}
		hours := resolved.Sub(opened).Hours()
		switch {
		case opened.Before(d.start.AddDate(0, 2, 0)):
			early.hours, early.n = early.hours+hours, early.n+1
		case !opened.Before(d.start.AddDate(0, 4, 0)):
			late.hours, late.n = late.hours+hours, late.n+1
		}
	}
	for month, n := range perMonth {
		// May and November are partial months of the period.
		if month != "2026-05" && month != "2026-11" && (n < 15 || n > 30) {
			t.Errorf("%s has %d incidents, want 15-30", month, n)
		}
	}
	if open < 1 {
		t.Error("no open incidents; the demo should show some")
	}
	if aliases == 0 {
		t.Error("no incident uses a service alias")
	}
	if early.hours/early.n <= 1.5*(late.hours/late.n) {
		t.Errorf("MTTR first two months %.1fh, last two %.1fh; want a clear improvement", early.hours/early.n, late.hours/late.n)
	}
}

func TestEveryEndDateKeepsRecordsInsideTheSixMonthsBeforeIt(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  time.Time
	}{
		{"an end at midnight", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)},
		{"an end in the afternoon", time.Date(2027, 3, 1, 15, 30, 0, 0, time.UTC)},
		{"an end given in another time zone", time.Date(2026, 8, 31, 23, 45, 0, 0, time.FixedZone("CEST", 2*3600))},
		{"an end on a Sunday at the end of February", time.Date(2027, 2, 28, 9, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Generate(dir, tc.end); err != nil {
				t.Fatal(err)
			}
			end := tc.end.UTC()
			lastDay := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC)
			start := lastDay.AddDate(0, -Months, 0)
			for _, name := range Files {
				if !strings.HasSuffix(name, ".csv") {
					continue
				}
				data, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for line, rec := range records[1:] {
					for col, cell := range rec {
						if d, err := time.Parse("2006-01-02", cell); err == nil && (d.Before(start) || d.After(lastDay)) {
							t.Errorf("%s:%d: %s %s is outside %s..%s", name, line+2, records[0][col], cell, date(start), date(lastDay))
						}
						if ts, err := time.Parse(time.RFC3339, cell); err == nil && (ts.Before(start) || ts.After(end)) {
							t.Errorf("%s:%d: %s %s is outside %s..%s", name, line+2, records[0][col], cell, timestamp(start), timestamp(end))
						}
					}
				}
			}
		})
	}
}

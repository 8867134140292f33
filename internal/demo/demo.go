// Package demo generates the demo data set: about six months of records for
// a fictional organisation of 8 teams and 12 services (training, events,
// newsletters, surveys, champions, savings, practice adoption,
// collaboration and incidents) as CSV files, plus the config.yml that serves
// them. The data tells the story an SRE team would show: office hours and
// training growing, MTTR falling, toil automation paying off, and a couple
// of teams still without a champion.
//
// The output is deterministic: fixed seeds, no map iteration, so the same
// end date always gives the same bytes and examples/demo can be checked in
// and verified by a test.
package demo

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// Months is how far back the data goes from the end date.
const Months = 6

// seed is the fixed seed of every table's random source.
const seed = 20261120

// Files are the files Generate writes, in the order it writes them.
var Files = []string{
	"training.csv",
	"events.csv",
	"newsletter.csv",
	"surveys.csv",
	"champions.csv",
	"savings.csv",
	"adoption.csv",
	"collaboration.csv",
	"slo.csv",
	"incidents.csv",
	"wiki_pages.csv",
	"wiki_views.csv",
	OpenSLOFile,
	"config.yml",
}

// Generate writes the demo data set into dir (created if missing), with
// records from the Months months before end up to end.
func Generate(dir string, end time.Time) error {
	if dir == "" {
		return fmt.Errorf("demo: no output directory given")
	}
	if end.IsZero() {
		return fmt.Errorf("demo: no end date given")
	}
	files, err := render(end)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo: create output directory: %w", err)
	}
	for _, name := range Files {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return fmt.Errorf("demo: write %s: %w", name, err)
		}
	}
	if err := writeSlackExport(dir, files); err != nil {
		return err
	}
	if err := writeFolder(dir, DashboardsDir, files); err != nil {
		return err
	}
	if err := writeFolder(dir, PostmortemsDir, files); err != nil {
		return err
	}
	return writeFolder(dir, HandbookDir, files)
}

// render produces every file's content in memory, keyed by file name.
func render(end time.Time) (map[string][]byte, error) {
	c := newClock(end)
	o := newOrg()
	tables := []struct {
		file string
		rows func(*org, clock) table
	}{
		{"training.csv", trainingTable},
		{"events.csv", eventsTable},
		{"newsletter.csv", newsletterTable},
		{"surveys.csv", surveysTable},
		{"champions.csv", championsTable},
		{"savings.csv", savingsTable},
		{"adoption.csv", adoptionTable},
		{"collaboration.csv", collaborationTable},
		{"slo.csv", sloTable},
		{"incidents.csv", incidentsTable},
		{"wiki_pages.csv", wikiPagesTable},
		{"wiki_views.csv", wikiViewsTable},
	}
	out := make(map[string][]byte, len(Files))
	used := usedValues{teams: map[string]bool{}, services: map[string]bool{}}
	for _, t := range tables {
		tab := t.rows(o, c)
		data, err := tab.csv()
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", t.file, err)
		}
		out[t.file] = data
		used.add(tab)
		if t.file == "newsletter.csv" {
			handbook, err := handbookFiles(tab, c)
			if err != nil {
				return nil, fmt.Errorf("demo: %s: %w", HandbookDir, err)
			}
			for name, data := range handbook {
				out[name] = data
			}
		}
		if t.file == "incidents.csv" {
			postmortems, err := postmortemFiles(tab)
			if err != nil {
				return nil, fmt.Errorf("demo: %s: %w", PostmortemsDir, err)
			}
			for name, data := range postmortems {
				out[name] = data
			}
		}
	}
	out[OpenSLOFile] = openSLOYAML()
	out["config.yml"] = configYAML(o, used)
	slack, err := slackExportFiles(o, c)
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", SlackExportDir, err)
	}
	for name, data := range slack {
		out[name] = data
	}
	dashboards, err := dashboardFiles(c)
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", DashboardsDir, err)
	}
	for name, data := range dashboards {
		out[name] = data
	}
	return out, nil
}

// usedValues are the team and service cells the tables hold, so the config
// lists as aliases only names the data uses.
type usedValues struct {
	teams, services map[string]bool
}

func (u usedValues) add(t table) {
	for i, h := range t.header {
		var set map[string]bool
		switch h {
		case "team":
			set = u.teams
		case "service":
			set = u.services
		default:
			continue
		}
		for _, row := range t.rows {
			set[row[i]] = true
		}
	}
}

// table is one CSV file: a header and its rows.
type table struct {
	header []string
	rows   [][]string
}

func (t table) csv() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(t.header); err != nil {
		return nil, err
	}
	for i, row := range t.rows {
		if len(row) != len(t.header) {
			return nil, fmt.Errorf("row %d has %d cells, header has %d", i+1, len(row), len(t.header))
		}
	}
	if err := w.WriteAll(t.rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// clock is the period the data covers: whole days from start to the day of
// end, and end itself as the latest possible timestamp.
type clock struct {
	start, lastDay, end time.Time
}

func newClock(end time.Time) clock {
	end = end.UTC().Truncate(time.Second)
	lastDay := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC)
	return clock{start: lastDay.AddDate(0, -Months, 0), lastDay: lastDay, end: end}
}

// days is the number of days in the period, both ends included.
func (c clock) days() int { return int(c.lastDay.Sub(c.start).Hours()/24) + 1 }

// day returns the i-th day of the period (0 = start).
func (c clock) day(i int) time.Time { return c.start.AddDate(0, 0, i) }

// progress tells how far into the period t is, from 0 at start to 1 at end;
// the story's trends are functions of it.
func (c clock) progress(t time.Time) float64 {
	p := t.Sub(c.start).Seconds() / c.end.Sub(c.start).Seconds()
	return math.Max(0, math.Min(1, p))
}

// workday moves a Saturday or Sunday to the nearest weekday inside the
// period, as meetings do not happen at weekends.
func (c clock) workday(t time.Time) time.Time {
	switch t.Weekday() {
	case time.Saturday:
		if t.AddDate(0, 0, -1).Before(c.start) {
			return t.AddDate(0, 0, 2)
		}
		return t.AddDate(0, 0, -1)
	case time.Sunday:
		if t.AddDate(0, 0, 1).After(c.lastDay) {
			return t.AddDate(0, 0, -2)
		}
		return t.AddDate(0, 0, 1)
	}
	return t
}

// within reports whether day d is inside the period.
func (c clock) within(d time.Time) bool { return !d.Before(c.start) && !d.After(c.lastDay) }

// newRand returns the random source of one table. Each table has its own, so
// changing how one table is generated leaves the others' bytes unchanged.
func newRand(table string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(table))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// chance returns true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// logNormal draws from a log-normal distribution with the given median; a
// larger sigma gives the long tail incident durations have.
func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// around returns v with a relative normal noise of spread (0.1 = ±10%).
func around(r *rand.Rand, v, spread float64) float64 { return v * (1 + spread*r.NormFloat64()) }

// teamCell writes a team as a spreadsheet would: the canonical name, or now
// and then the display name the catalog maps back.
func teamCell(r *rand.Rand, t *team) string {
	if chance(r, 0.06) {
		return t.display
	}
	return t.name
}

func date(t time.Time) string      { return t.Format("2006-01-02") }
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func itoa(n int) string { return fmt.Sprintf("%d", n) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// The wiki: every team has a Confluence space keyed like its Jira project.
// The SRE space holds the playbook, the "How to engage SRE" page (both
// read more and more as the story goes on), runbooks, guides and a monthly
// newsletter blog post; each product team's space has a service overview,
// a runbook (some long unedited, so stale) and postmortems written after
// incidents. The Data Center style export gives the page list and the
// daily views of the last 90 days.

// wikiLabels are the labels the demo collector reports on, in its order.
var wikiLabels = []string{"playbook", "runbook", "postmortem", "howto"}

// wikiKeyPages are the per-page series of the demo.
var wikiKeyPages = []string{"SRE Playbook", "How to engage SRE"}

// wikiStaleAfter is the demo collector's stale_after: shorter than the
// default 180d, which the six months of data could not show.
const wikiStaleAfter = "120d"

// wikiViewDays is how far back the views export goes (the largest window).
const wikiViewDays = 95

type wikiPage struct {
	title, space, kind, labels string
	created, updated           time.Time
	// reads is the mean views on a workday as a function of the story's
	// progress and the day's age since creation (0 for none).
	reads func(progress float64, age int) float64
}

// wikiPages lists the demo's pages, the same every time.
func wikiPages(o *org, c clock) []wikiPage {
	r := newRand("wiki-pages")
	at := func(days int, hour int) time.Time {
		return c.start.AddDate(0, 0, days).Add(time.Duration(hour) * time.Hour)
	}
	steady := func(v float64) func(float64, int) float64 { return func(float64, int) float64 { return v } }
	fresh := func(peak float64, days int) func(float64, int) float64 {
		return func(_ float64, age int) float64 {
			if age > days {
				return 0.05
			}
			return peak * (1 - float64(age)/float64(days+1))
		}
	}
	last := c.days() - 1
	// Every date stays inside the demo's period; pages from its first days
	// stand for the old ones, and the demo's stale_after is wikiStaleAfter.
	pages := []wikiPage{
		{"SRE Playbook", "SRE", "page", "playbook;sre", at(0, 9), at(last-3, 15), func(p float64, _ int) float64 { return 4 + 8*p }},
		{"How to engage SRE", "SRE", "page", "howto", at(12, 10), at(last-20, 16), func(p float64, _ int) float64 { return 1 + 7*p }},
		{"Incident response runbook", "SRE", "page", "runbook;incident", at(1, 11), at(20, 9), steady(0.8)},
		{"On-call handbook", "SRE", "page", "playbook", at(0, 14), at(2, 10), steady(0.5)},
		{"SLO guide", "SRE", "page", "howto;slo", at(33, 13), at(33, 13), steady(0.6)},
		{"Postmortem template", "SRE", "page", "postmortem;template", at(3, 10), at(90, 11), steady(0.3)},
	}
	for m := 0; m < Months; m++ {
		// The first workday of each month after the start, moved forward
		// over a weekend so that it stays in its month.
		d := time.Date(c.start.Year(), c.start.Month()+time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC)
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDate(0, 0, 1)
		}
		if !c.within(d) {
			continue
		}
		pages = append(pages, wikiPage{
			fmt.Sprintf("SRE newsletter %s", d.Format("January 2006")), "SRE", "blogpost", "newsletter",
			d.Add(10 * time.Hour), d.Add(10 * time.Hour), fresh(12, 10),
		})
	}
	for _, t := range o.productTeams() {
		pages = append(pages, wikiPage{t.display + " service overview", t.space, "page", "", at(r.IntN(5), 10), at(r.IntN(last), 15), steady(0.2)})
		runbook := at(r.IntN(10), 11)
		// Teams with a champion keep their runbook current; the others
		// have not touched it since the start, so it is stale.
		edited := at(r.IntN(last), 16)
		if !hasChampionAtEnd(o, c, t.name) {
			edited = runbook.AddDate(0, 0, 20)
		}
		pages = append(pages, wikiPage{t.display + " runbook", t.space, "page", "runbook", runbook, edited, steady(0.4)})
		for n := 1; n <= 1+r.IntN(3); n++ {
			d := at(r.IntN(last), 14)
			pages = append(pages, wikiPage{fmt.Sprintf("%s postmortem %d", t.display, n), t.space, "page", "postmortem", d, d, fresh(4, 14)})
		}
	}
	return pages
}

func wikiPagesTable(o *org, c clock) table {
	t := table{header: []string{"page", "space", "type", "labels", "created", "updated"}}
	for _, p := range wikiPages(o, c) {
		t.rows = append(t.rows, []string{p.title, p.space, p.kind, p.labels, timestamp(p.created), timestamp(p.updated)})
	}
	return t
}

// wikiViewsTable has one row per page and workday with views, for the
// last wikiViewDays days: views drawn around the page's mean, unique
// viewers a share of them.
func wikiViewsTable(o *org, c clock) table {
	r := newRand("wiki-views")
	t := table{header: []string{"page", "space", "views", "unique_viewers", "date"}}
	pages := wikiPages(o, c)
	for i := wikiViewDays; i >= 0; i-- {
		day := c.lastDay.AddDate(0, 0, -i)
		if !c.within(day) || day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		for _, p := range pages {
			created := p.created.Truncate(24 * time.Hour)
			if day.Before(created) {
				continue
			}
			mean := p.reads(c.progress(day), int(day.Sub(created).Hours()/24))
			views := poisson(r, mean)
			if views == 0 {
				continue
			}
			unique := 1 + int(math.Round(float64(views-1)*(0.5+0.4*r.Float64())))
			t.rows = append(t.rows, []string{p.title, p.space, itoa(views), itoa(unique), date(day)})
		}
	}
	return t
}

// poisson draws a count with the given mean (Knuth's method; means here
// are small).
func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	limit, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= limit {
			return k
		}
		k++
	}
}

// wikiSpaces are the space keys of the demo collector, SRE first.
func wikiSpaces(o *org) []string {
	spaces := []string{"SRE"}
	for _, t := range o.productTeams() {
		spaces = append(spaces, t.space)
	}
	return spaces
}

package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// championPlan is one champion's term, as fractions of the period so the
// story holds for any end date. until < 0 means still active.
type championPlan struct {
	team         string
	person       int // index into the team's people
	since, until float64
}

// Data loses its champion part-way and mobile never had one: the two gaps
// the champion-coverage panel should show.
var championPlans = []championPlan{
	{"payments", 1, 0.03, -1},
	{"checkout", 0, 0.11, -1},
	{"search", 2, 0.19, -1},
	{"identity", 0, 0.05, 0.52},
	{"identity", 3, 0.6, -1},
	{"platform", 4, 0.03, -1},
	{"platform", 7, 0.33, -1},
	{"data", 1, 0.08, 0.66},
	{"sre", 0, 0.01, -1},
}

type champion struct {
	team, person string
	since, until time.Time // until zero = active
}

func champions(o *org, c clock) []champion {
	at := func(f float64) time.Time { return c.workday(c.day(int(f * float64(c.days()-1)))) }
	var out []champion
	for _, p := range championPlans {
		ch := champion{team: p.team, person: o.team(p.team).people[p.person], since: at(p.since)}
		if p.until >= 0 {
			ch.until = at(p.until)
		}
		out = append(out, ch)
	}
	return out
}

// activeChampions lists the champions in office on day d.
func activeChampions(o *org, c clock, d time.Time) []champion {
	var out []champion
	for _, ch := range champions(o, c) {
		if !ch.since.After(d) && (ch.until.IsZero() || ch.until.After(d)) {
			out = append(out, ch)
		}
	}
	return out
}

func hasChampionAtEnd(o *org, c clock, team string) bool {
	for _, ch := range activeChampions(o, c, c.lastDay) {
		if ch.team == team {
			return true
		}
	}
	return false
}

func championsTable(o *org, c clock) table {
	r := newRand("champions")
	tb := table{header: []string{"team", "champion", "since", "until"}}
	for _, ch := range champions(o, c) {
		until := ""
		if !ch.until.IsZero() {
			until = date(ch.until)
		}
		tb.rows = append(tb.rows, []string{teamCell(r, o.team(ch.team)), ch.person, date(ch.since), until})
	}
	return tb
}

// initiative is one reliability investment and what it saves per month
// once fully running.
type initiative struct {
	name, team, category string
	launch               float64 // fraction of the period
	hoursPerMonth        float64
	moneyPerMonth        float64
}

var initiatives = []initiative{
	{"Automated certificate rotation", "platform", "toil_automation", 0.02, 16, 0},
	{"Self-service database restores", "data", "toil_automation", 0.12, 22, 0},
	{"Rightsizing search clusters", "search", "infrastructure_cost", 0.18, 0, 6200},
	{"Auto-remediation of full disks", "sre", "toil_automation", 0.25, 12, 0},
	{"Deploy pipeline auto-rollback", "checkout", "incident_prevention", 0.3, 10, 4500},
	{"Spot instances for CI runners", "platform", "infrastructure_cost", 0.4, 0, 3800},
	{"Alert noise reduction", "payments", "toil_automation", 0.45, 18, 0},
	{"Payment provider failover", "payments", "incident_prevention", 0.55, 8, 12000},
	{"Log retention tiering", "sre", "infrastructure_cost", 0.6, 0, 2900},
	{"On-call handover bot", "identity", "toil_automation", 0.7, 6, 0},
	{"Mobile release checklist automation", "mobile", "toil_automation", 0.75, 9, 0},
}

// savingsTable reports each initiative's savings at every month end after
// its launch: part of a month first, then ramping up to the full amount.
func savingsTable(o *org, c clock) table {
	r := newRand("savings")
	type saving struct {
		date         time.Time
		in           initiative
		hours, money float64
	}
	var all []saving
	for _, in := range initiatives {
		launch := c.day(int(in.launch * float64(c.days()-1)))
		for m := launch; ; m = m.AddDate(0, 0, 1) {
			monthEnd := time.Date(m.Year(), m.Month()+1, 0, 0, 0, 0, 0, time.UTC)
			report := lastWorkday(monthEnd)
			if report.After(c.lastDay) {
				break
			}
			if report.Before(launch) {
				m = monthEnd
				continue
			}
			share := 1.0 // of a month the initiative ran
			if launch.After(time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, time.UTC)) {
				share = float64(monthEnd.Sub(launch).Hours()/24+1) / float64(monthEnd.Day())
			}
			monthsRunning := report.Sub(launch).Hours() / 24 / 30
			ramp := math.Min(1, 0.5+0.25*monthsRunning)
			f := share * ramp * around(r, 1, 0.08)
			all = append(all, saving{report, in, math.Round(in.hoursPerMonth*f*10) / 10, math.Round(in.moneyPerMonth * f)})
			m = monthEnd
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].date.Before(all[j].date) })
	tb := table{header: []string{"date", "initiative", "team", "category", "hours_saved", "money_saved"}}
	for _, s := range all {
		hours, money := "", ""
		if s.hours > 0 {
			hours = fmt.Sprintf("%.1f", s.hours)
		}
		if s.money > 0 {
			money = fmt.Sprintf("%.0f", s.money)
		}
		tb.rows = append(tb.rows, []string{date(s.date), s.in.name, teamCell(r, o.team(s.in.team)), s.in.category, hours, money})
	}
	return tb
}

// lastWorkday is the Friday before d when d falls at a weekend.
func lastWorkday(d time.Time) time.Time {
	switch d.Weekday() {
	case time.Saturday:
		return d.AddDate(0, 0, -1)
	case time.Sunday:
		return d.AddDate(0, 0, -2)
	}
	return d
}

// practices and how likely a service has each by the end of the period.
var practices = []struct {
	name string
	rate float64
}{
	{"on_call", 0.95},
	{"runbooks", 0.85},
	{"postmortems", 0.8},
	{"slos_defined", 0.7},
	{"production_readiness_review", 0.5},
	{"error_budget_policy", 0.35},
}

func adoptionTable(o *org, c clock) table {
	r := newRand("adoption")
	tb := table{header: []string{"team", "service", "practice", "adopted", "date"}}
	for _, s := range o.services {
		t := o.team(s.team)
		for _, p := range practices {
			rate := p.rate
			if !hasChampionAtEnd(o, c, s.team) {
				rate *= 0.6
			}
			adopted, when := chance(r, rate), ""
			if adopted {
				when = date(laterDay(r, c))
			}
			tb.rows = append(tb.rows, []string{teamCell(r, t), serviceCell(r, s), p.name, yesNo(adopted), when})
		}
	}
	return tb
}

// serviceCell writes a service as a spreadsheet would, now and then by its
// display name.
func serviceCell(r *rand.Rand, s service) string {
	if chance(r, 0.06) {
		return s.display
	}
	return s.name
}

// collaborationPlan is how often the SRE team works with product teams in
// one way, per month, at the start and at the end of the period.
var collaborationPlans = []struct {
	kind         string
	from, to     float64
	participants [2]int
}{
	{"architecture_review", 2, 4, [2]int{3, 8}},
	{"joint_incident_review", 2, 4, [2]int{4, 12}},
	{"pairing", 3, 9, [2]int{2, 3}},
	{"sprint_planning", 2, 5, [2]int{5, 10}},
	{"production_readiness_review", 1, 2, [2]int{3, 7}},
}

// collaboration is one working session between SRE and a product team.
type collaboration struct {
	date         time.Time
	kind, team   string
	participants int
}

func collaborationTable(o *org, c clock) table {
	r := newRand("collaboration")
	var all []collaboration
	teams := o.productTeams()
	for i := range c.days() {
		d := c.day(i)
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		p := c.progress(d)
		for _, k := range collaborationPlans {
			perWorkday := (k.from + (k.to-k.from)*p) / 21
			if !chance(r, perWorkday) {
				continue
			}
			n := k.participants[0] + r.IntN(k.participants[1]-k.participants[0]+1)
			all = append(all, collaboration{d, k.kind, teamCell(r, pick(r, teams)), n})
		}
	}
	// Every product team plans each quarter with SRE in its first two weeks.
	for m := time.Date(c.start.Year(), c.start.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(c.lastDay); m = m.AddDate(0, 1, 0) {
		if (m.Month()-1)%3 != 0 {
			continue
		}
		for _, t := range teams {
			d := c.workday(m.AddDate(0, 0, r.IntN(14)))
			if c.within(d) {
				all = append(all, collaboration{d, "quarterly_planning", teamCell(r, t), 4 + r.IntN(5)})
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].date.Before(all[j].date) })
	tb := table{header: []string{"date", "kind", "team", "participants"}}
	for _, s := range all {
		tb.rows = append(tb.rows, []string{date(s.date), s.kind, s.team, itoa(s.participants)})
	}
	return tb
}

package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// fundamentalsModules are the modules of the "SRE Fundamentals" course, in
// the order people take them.
var fundamentalsModules = []string{
	"Reliability Principles",
	"SLIs and SLOs",
	"Monitoring and Alerting",
	"Incident Response",
	"Postmortems and Learning",
}

// shortCourse is a one-part course and who takes it.
type shortCourse struct {
	name          string
	enrolRate     float64 // share of product engineers who enrol
	sreEnrolRate  float64 // share of the SRE team who enrol
	certification string  // badge some completers earn, if any
}

var shortCourses = []shortCourse{
	{"Incident Management", 0.45, 0, "Incident Commander Certified"},
	{"SLO Workshop", 0.35, 0, ""},
	{"Chaos Engineering", 0.2, 0.6, ""},
	{"Advanced Troubleshooting", 0.25, 0.8, ""},
}

type enrolment struct {
	person, team, course, module string
	moduleIndex                  int
	enrolled, completed          time.Time // completed zero = not completed
	certification                string
}

// laterDay draws a day of the period, more likely the later it is, so
// enrolments and similar sign-ups grow month over month.
func laterDay(r *rand.Rand, c clock) time.Time {
	return c.day(int(math.Pow(r.Float64(), 0.7) * float64(c.days()-1)))
}

func trainingTable(o *org, c clock) table {
	r := newRand("training")
	var all []enrolment
	for _, t := range o.teams {
		// Teams with a champion push training harder.
		rate := 0.8
		if !hasChampionAtEnd(o, c, t.name) {
			rate = 0.5
		}
		for _, person := range t.people {
			cell := teamCell(r, t)
			if t.name != "sre" && chance(r, rate) {
				all = append(all, fundamentals(r, c, person, cell)...)
			}
			for _, sc := range shortCourses {
				enrol := sc.enrolRate
				if t.name == "sre" {
					enrol = sc.sreEnrolRate
				}
				if !chance(r, enrol) {
					continue
				}
				e := enrolment{person: person, team: cell, course: sc.name, enrolled: laterDay(r, c)}
				done := e.enrolled.AddDate(0, 0, 1+r.IntN(25))
				if !done.After(c.lastDay) && chance(r, 0.85) {
					e.completed = done
					if sc.certification != "" && chance(r, 0.5) {
						e.certification = sc.certification
					}
				}
				all = append(all, e)
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if !a.enrolled.Equal(b.enrolled) {
			return a.enrolled.Before(b.enrolled)
		}
		if a.person != b.person {
			return a.person < b.person
		}
		if a.course != b.course {
			return a.course < b.course
		}
		return a.moduleIndex < b.moduleIndex
	})
	tb := table{header: []string{"person", "team", "course", "module", "enrolled", "completed", "certification"}}
	for _, e := range all {
		completed := ""
		if !e.completed.IsZero() {
			completed = date(e.completed)
		}
		tb.rows = append(tb.rows, []string{e.person, e.team, e.course, e.module, date(e.enrolled), completed, e.certification})
	}
	return tb
}

// fundamentals enrols person in all five modules of SRE Fundamentals, taken
// one after the other; some drop out and late enrolments are still going.
func fundamentals(r *rand.Rand, c clock, person, team string) []enrolment {
	enrolled := laterDay(r, c)
	var out []enrolment
	at, going := enrolled, true
	for i, m := range fundamentalsModules {
		e := enrolment{person: person, team: team, course: "SRE Fundamentals", module: m, moduleIndex: i, enrolled: enrolled}
		if going {
			at = at.AddDate(0, 0, 3+r.IntN(10))
			going = !at.After(c.lastDay) && !chance(r, 0.06)
		}
		if going {
			e.completed = at
			if i == len(fundamentalsModules)-1 && chance(r, 0.75) {
				e.certification = "SRE Fundamentals Certified"
			}
		}
		out = append(out, e)
	}
	return out
}

// eventPlan describes one kind of occasional event.
type eventPlan struct {
	kind       string
	count      int     // how many in the period
	teamShare  float64 // share held for one team rather than org-wide
	attendees  [2]float64
	recorded   float64 // share recorded
	talks      []talk
	extraGuest int // guests from other teams at team events
}

// talk is a session's title and the topics it covers.
type talk struct{ title, topics string }

var eventPlans = []eventPlan{
	{"lunch_and_learn", 12, 0.5, [2]float64{9, 24}, 0.5, []talk{
		{"Reading a Grafana Dashboard", "dashboards;promql"},
		{"Error Budgets in Practice", "error budgets;slos"},
		{"Structured Logging 101", "logging"},
		{"Tracing a Slow Request", "tracing;latency"},
		{"Alert Fatigue and How to Fix It", "alerting;on-call"},
		{"Kubernetes Probes Done Right", "kubernetes;health checks"},
	}, 6},
	{"brown_bag", 6, 1, [2]float64{6, 13}, 0.3, []talk{
		{"Our On-Call Week in Review", "on-call;runbooks"},
		{"Capacity Planning Basics", "capacity"},
		{"Feature Flags and Safe Rollouts", "feature flags;rollouts"},
	}, 3},
	{"webinar", 4, 0, [2]float64{32, 64}, 1, []talk{
		{"SLOs for Product Managers", "slos;business impact"},
		{"The Cost of Downtime", "availability;business impact"},
		{"Reliability Roadmap Update", "roadmap"},
	}, 0},
	{"workshop", 6, 0.5, [2]float64{10, 18}, 0.5, []talk{
		{"Write Your First SLO", "slos;promql"},
		{"Runbook Writing Workshop", "runbooks"},
		{"Alert Rule Clinic", "alerting;promql"},
	}, 4},
	{"deep_dive", 6, 1, [2]float64{6, 12}, 0.7, []talk{
		{"Deep Dive: Database Failover", "databases;failover"},
		{"Deep Dive: Cache Stampedes", "caching;resilience"},
		{"Deep Dive: Retry Storms", "retries;resilience"},
	}, 3},
	{"game_day", 3, 1, [2]float64{8, 13}, 0, []talk{
		{"Game Day: Region Failover", "failover;incident response"},
		{"Game Day: Dependency Outage", "dependencies;incident response"},
	}, 3},
	{"chaos_workshop", 2, 0, [2]float64{12, 20}, 1, []talk{
		{"Chaos Engineering Hands-On", "chaos engineering;fault injection"},
	}, 0},
	{"incident_simulation", 4, 1, [2]float64{6, 11}, 0, []talk{
		{"Incident Simulation: Payment Provider Down", "incident command;communication"},
		{"Incident Simulation: Expired Certificate", "incident command;certificates"},
		{"Incident Simulation: Bad Deploy", "incident command;rollback"},
	}, 2},
	{"meetup", 2, 0, [2]float64{24, 38}, 0, []talk{
		{"Reliability Meetup", "community;observability;postmortems"},
	}, 0},
	{"external_speaker", 2, 0, [2]float64{40, 72}, 1, []talk{
		{"Guest Talk: Learning from Incidents", "incident analysis;culture"},
		{"Guest Talk: SRE at Scale", "scaling;culture"},
	}, 0},
}

var officeHoursTopics = []string{
	"alerting", "slos", "dashboards", "on-call", "postmortems", "capacity", "kubernetes",
	"ci pipelines", "incident response", "runbooks", "cost", "load testing",
}

type event struct {
	date                 time.Time
	kind, title, team    string
	attendees, questions int
	topics               string
	recorded             bool
}

func eventsTable(o *org, c clock) table {
	r := newRand("events")
	var all []event
	// Office hours every other Tuesday, attendance growing as word spreads.
	first := c.start.AddDate(0, 0, 1)
	for first.Weekday() != time.Tuesday {
		first = first.AddDate(0, 0, 1)
	}
	for d := first; !d.After(c.lastDay); d = d.AddDate(0, 0, 14) {
		n := max(3, int(math.Round(around(r, 6+20*c.progress(d), 0.12))))
		all = append(all, event{
			date: d, kind: "office_hours", title: "SRE Office Hours",
			attendees: n, questions: questions(r, n),
			topics: pickTopics(r, officeHoursTopics, 3), recorded: true,
		})
	}
	// Champions meet on the first Wednesday of each month.
	for m := c.start; !m.After(c.lastDay); m = m.AddDate(0, 1, 0) {
		d := time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, time.UTC)
		for d.Weekday() != time.Wednesday {
			d = d.AddDate(0, 0, 1)
		}
		if !c.within(d) {
			continue
		}
		n := len(activeChampions(o, c, d)) + 1 + r.IntN(3)
		all = append(all, event{
			date: d, kind: "champions_meeting", title: "Reliability Champions Sync",
			attendees: n, questions: questions(r, n),
			topics: pickTopics(r, []string{"adoption", "training", "postmortems", "slos", "feedback"}, 2),
		})
	}
	teams := o.productTeams()
	for _, p := range eventPlans {
		for i := range p.count {
			d := c.workday(c.day(int((float64(i) + 0.2 + 0.6*r.Float64()) * float64(c.days()-1) / float64(p.count))))
			lo, hi := p.attendees[0], p.attendees[1]
			n := max(3, int(math.Round(around(r, lo+(hi-lo)*c.progress(d), 0.1))))
			tk := p.talks[i%len(p.talks)]
			e := event{date: d, kind: p.kind, title: tk.title, topics: tk.topics, recorded: chance(r, p.recorded)}
			if chance(r, p.teamShare) {
				t := pick(r, teams)
				e.team = teamCell(r, t)
				n = min(n, t.members+p.extraGuest)
			}
			e.attendees, e.questions = n, questions(r, n)
			all = append(all, e)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].date.Equal(all[j].date) {
			return all[i].date.Before(all[j].date)
		}
		return all[i].kind < all[j].kind
	})
	tb := table{header: []string{"date", "kind", "title", "team", "attendees", "questions", "topics", "recorded"}}
	for _, e := range all {
		tb.rows = append(tb.rows, []string{date(e.date), e.kind, e.title, e.team, itoa(e.attendees), itoa(e.questions), e.topics, yesNo(e.recorded)})
	}
	return tb
}

// questions is how many questions n attendees ask: a fifth to a half of them.
func questions(r *rand.Rand, n int) int {
	return int(math.Round(float64(n) * (0.2 + 0.3*r.Float64())))
}

// pickTopics joins 1..most distinct topics with ";", in list order.
func pickTopics(r *rand.Rand, topics []string, most int) string {
	n := 1 + r.IntN(most)
	idx := r.Perm(len(topics))[:min(n, len(topics))]
	sort.Ints(idx)
	out := ""
	for i, k := range idx {
		if i > 0 {
			out += ";"
		}
		out += topics[k]
	}
	return out
}

func newsletterTable(o *org, c clock) table {
	r := newRand("newsletter")
	type issue struct {
		id, channel                 string
		sent                        time.Time
		recipients, opened, clicked int
	}
	var all []issue
	// Subscribers: most engineers plus managers, growing over the months.
	subscribers := func(d time.Time) int { return int(math.Round(150 + 90*c.progress(d))) }
	send := func(id, channel string, d time.Time, openRate, clickRate float64) {
		n := subscribers(d) + r.IntN(8)
		opened := int(math.Round(float64(n) * math.Max(0.38, math.Min(0.62, openRate))))
		clicked := int(math.Round(float64(opened) * clickRate))
		all = append(all, issue{id, channel, d, n, opened, clicked})
	}
	for m := c.start; !m.After(c.lastDay); m = m.AddDate(0, 1, 0) {
		d := time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, time.UTC)
		for d.Weekday() != time.Tuesday {
			d = d.AddDate(0, 0, 1)
		}
		if !c.within(d) {
			continue
		}
		// Open rates climb from about 40% to about 58% as the content
		// gets more relevant.
		p := c.progress(d)
		send(fmt.Sprintf("newsletter-%s", d.Format("2006-01")), "newsletter", d, around(r, 0.40+0.18*p, 0.04), 0.2+0.15*r.Float64())
	}
	webcasts := []string{"slo-basics", "incident-review-live", "reliability-roadmap"}
	for i, slug := range webcasts {
		d := c.workday(c.day(int((float64(i) + 0.5) * float64(c.days()-1) / float64(len(webcasts)))))
		send("webcast-"+slug, "webcast", d, around(r, 0.42+0.1*c.progress(d), 0.05), 0.1+0.1*r.Float64())
	}
	posts := []string{"how-we-cut-mttr", "error-budgets-explained", "toil-automation-wins", "on-call-health"}
	for i, slug := range posts {
		d := c.workday(c.day(int((float64(i) + 0.3) * float64(c.days()-1) / float64(len(posts)))))
		send("blog-"+slug, "blog", d, around(r, 0.45+0.1*c.progress(d), 0.05), 0.15+0.1*r.Float64())
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].sent.Equal(all[j].sent) {
			return all[i].sent.Before(all[j].sent)
		}
		return all[i].id < all[j].id
	})
	tb := table{header: []string{"issue", "sent", "channel", "recipients", "opened", "clicked"}}
	for _, n := range all {
		tb.rows = append(tb.rows, []string{n.id, date(n.sent), n.channel, itoa(n.recipients), itoa(n.opened), itoa(n.clicked)})
	}
	return tb
}

// surveyRounds are the days of the quarterly survey rounds: a week after
// the start, then every 12 weeks.
func surveyRounds(c clock) []time.Time {
	var out []time.Time
	for d := c.start.AddDate(0, 0, 7); !d.After(c.lastDay); d = d.AddDate(0, 0, 84) {
		out = append(out, c.workday(d))
	}
	return out
}

func surveysTable(o *org, c clock) table {
	r := newRand("surveys")
	tb := table{header: []string{"survey", "date", "team", "score", "scale", "responses"}}
	// Each team has its own level; teams without a champion trail.
	for _, d := range surveyRounds(c) {
		p := c.progress(d)
		for _, s := range []struct {
			name       string
			scale      float64
			base, gain float64
			sre        bool // does the SRE team answer it
			offset     float64
		}{
			{"csat", 5, 3.5, 0.8, false, 0},
			{"devex", 10, 6.3, 1.4, true, 3},
		} {
			day := d.AddDate(0, 0, int(s.offset))
			if day.After(c.lastDay) {
				day = d
			}
			for _, t := range o.teams {
				if t.name == "sre" && !s.sre {
					continue
				}
				level := s.base + s.gain*p
				if !hasChampionAtEnd(o, c, t.name) {
					level -= 0.1 * s.scale
				}
				score := math.Min(s.scale, math.Round(around(r, level, 0.04)*100)/100)
				responses := max(2, int(math.Round(float64(t.members)*(0.5+0.4*r.Float64()))))
				tb.rows = append(tb.rows, []string{s.name, date(day), teamCell(r, t), fmt.Sprintf("%.2f", score), fmt.Sprintf("%g", s.scale), itoa(responses)})
			}
		}
	}
	sort.SliceStable(tb.rows, func(i, j int) bool { return tb.rows[i][1] < tb.rows[j][1] })
	return tb
}

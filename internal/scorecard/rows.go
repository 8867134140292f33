package scorecard

import (
	"fmt"

	dto "github.com/prometheus/client_model/go"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// kind is how a figure's value reads.
type kind int

const (
	count    kind = iota
	duration      // seconds
	ratio         // 0 to 1, shown as a percentage
	hours         // seconds, shown in hours
	money
)

// windowFigure is a figure per window. measure returns numerators and,
// for a ratio or a mean, denominators; den nil means a plain sum.
type windowFigure struct {
	id, label, note string
	better          Direction
	kind            kind
	// reads are the families measure reads; the change is shown only
	// when every one of them is Historical (exact as of a past instant).
	reads   []*metrics.Family
	measure func(f *figures) (num, den perWindow)
	detail  func(num, den float64) string
	// sumOnly makes the figure the numerator alone, the denominator only
	// feeding the detail (attendees "in 3 sessions").
	sumOnly bool
}

// nowFigure is a point-in-time figure.
type nowFigure struct {
	id, label, note string
	kind            kind
	// measure returns the value and whether it is defined; ok false
	// leaves the row out (nothing of it in the snapshot).
	measure func(f *figures) (num, den float64, ok bool)
	detail  func(num, den float64) string
}

func rows(cur, prev *figures, team string, opts Options) []Row {
	t := ofTeam(team)
	scope := ""
	if team != AllTeams {
		scope = "organisation-wide: the figure has no team"
	}
	var out []Row
	addW := func(w windowFigure) { out = append(out, w.row(cur, prev)) }
	addN := func(n nowFigure) {
		if r, ok := n.row(cur); ok {
			out = append(out, r)
		}
	}

	addW(windowFigure{
		id: "incidents", label: "Incidents opened", better: LowerIsBetter, kind: count,
		reads: []*metrics.Family{metrics.IncidentsOpenedInWindow},
		measure: func(f *figures) (perWindow, perWindow) {
			return f.windowed(metrics.IncidentsOpenedInWindow, t), nil
		},
	})
	addW(windowFigure{
		id: "mttr", label: "Mean time to resolve", note: "incidents resolved in the window", better: LowerIsBetter, kind: duration,
		reads: []*metrics.Family{metrics.IncidentTimeToResolveInWindow},
		measure: func(f *figures) (perWindow, perWindow) {
			return f.histogram(metrics.IncidentTimeToResolveInWindow, t)
		},
		detail: func(_, den float64) string { return plural(den, "incident resolved", "incidents resolved") },
	})
	addW(windowFigure{
		id: "mtta", label: "Mean time to acknowledge", note: "incidents acknowledged in the window", better: LowerIsBetter, kind: duration,
		reads: []*metrics.Family{metrics.IncidentTimeToAcknowledgeInWindow},
		measure: func(f *figures) (perWindow, perWindow) {
			return f.histogram(metrics.IncidentTimeToAcknowledgeInWindow, t)
		},
		detail: func(_, den float64) string { return plural(den, "incident acknowledged", "incidents acknowledged") },
	})
	addN(nowFigure{
		id: "open_incidents", label: "Open incidents", kind: count,
		measure: func(f *figures) (float64, float64, bool) {
			return f.sum(metrics.IncidentsOpen, t), 0, true
		},
	})
	if opts.SLO.Attainment != nil && opts.SLO.Objective != nil {
		addSLO(&out, cur, prev, team, opts.SLO)
	}
	addN(nowFigure{
		id: "training_completion", label: "Training completion", kind: ratio,
		note: target(opts.TrainingCompletionTarget),
		measure: func(f *figures) (float64, float64, bool) {
			den := f.sum(metrics.TrainingEnrollments, t)
			return f.sum(metrics.TrainingCompletions, t), den, len(f.metricsOf(metrics.TrainingEnrollments)) > 0
		},
		detail: func(num, den float64) string {
			return fmt.Sprintf("%s of %s", formatCount(num), plural(den, "enrolment", "enrolments"))
		},
	})
	addW(windowFigure{
		id: "training_completions", label: "Training modules completed", kind: count,
		reads: []*metrics.Family{metrics.TrainingCompletionsInWindow},
		measure: func(f *figures) (perWindow, perWindow) {
			return f.windowed(metrics.TrainingCompletionsInWindow, t), nil
		},
	})
	addN(championRow(team, opts.ChampionCoverageTarget))
	officeHours := labelIs("kind", opts.OfficeHoursKind)
	ohNote := ""
	if team != AllTeams {
		ohNote = "sessions held for this team; organisation-wide sessions count under all teams"
	}
	addW(windowFigure{
		id: "office_hours", label: "Office-hours attendance", note: ohNote, kind: count,
		reads: []*metrics.Family{metrics.EventAttendeesInWindow, metrics.EventsInWindow},
		measure: func(f *figures) (perWindow, perWindow) {
			return f.windowed(metrics.EventAttendeesInWindow, t.and(officeHours)), f.windowed(metrics.EventsInWindow, t.and(officeHours))
		},
		detail:  func(_, den float64) string { return "in " + plural(den, "session", "sessions") },
		sumOnly: true,
	})
	addW(windowFigure{
		id: "newsletter_open_rate", label: "Newsletter open rate", note: join("all channels", scope), kind: ratio,
		reads: []*metrics.Family{metrics.NewsletterOpensInWindow, metrics.NewsletterRecipientsInWindow},
		measure: func(f *figures) (perWindow, perWindow) {
			all := func(*dto.Metric) bool { return true }
			return f.windowed(metrics.NewsletterOpensInWindow, all), f.windowed(metrics.NewsletterRecipientsInWindow, all)
		},
		detail: func(num, den float64) string {
			return fmt.Sprintf("%s of %s", formatCount(num), plural(den, "recipient", "recipients"))
		},
	})
	slackNote := "by people (bots left out), in every channel"
	if team != AllTeams {
		slackNote = "by people (bots left out), in the channels the catalog maps to the team"
	}
	addW(windowFigure{
		id: "slack", label: "Slack messages and replies", kind: count, note: slackNote,
		reads: []*metrics.Family{metrics.SlackMessagesInWindow, metrics.SlackRepliesInWindow},
		measure: func(f *figures) (perWindow, perWindow) {
			keep := f.ofChannelTeam(team).and(labelIsNot("poster", "bot"))
			msgs := f.windowed(metrics.SlackMessagesInWindow, keep)
			for w, v := range f.windowed(metrics.SlackRepliesInWindow, keep) {
				msgs[w] += v
			}
			return msgs, nil
		},
	})
	addW(windowFigure{
		id: "wiki_views", label: "Wiki page views", kind: count,
		// From a views CSV the days are dated and compared; the analytics
		// API answers only for its last round, so then no change is shown.
		note:  "as of the last views import or analytics refresh",
		reads: []*metrics.Family{metrics.ConfluencePageViewsInWindow},
		measure: func(f *figures) (perWindow, perWindow) {
			return f.windowed(metrics.ConfluencePageViewsInWindow, t), nil
		},
	})
	addW(windowFigure{
		id: "wiki_pages_created", label: "Wiki pages created", kind: count,
		reads: []*metrics.Family{metrics.ConfluencePagesCreatedInWindow},
		measure: func(f *figures) (perWindow, perWindow) {
			return f.windowed(metrics.ConfluencePagesCreatedInWindow, t), nil
		},
	})
	addW(windowFigure{
		id: "time_saved", label: "Time saved", kind: hours,
		reads: []*metrics.Family{metrics.SavingsTimeInWindow},
		measure: func(f *figures) (perWindow, perWindow) {
			return f.windowed(metrics.SavingsTimeInWindow, t), nil
		},
	})
	moneyLabel := "Money saved (in the savings table's currency)"
	if opts.Currency != "" {
		moneyLabel = "Money saved (" + opts.Currency + ")"
	}
	addW(windowFigure{
		id: "money_saved", label: moneyLabel, kind: money,
		reads: []*metrics.Family{metrics.SavingsMoneyInWindow},
		measure: func(f *figures) (perWindow, perWindow) {
			return f.windowed(metrics.SavingsMoneyInWindow, t), nil
		},
	})
	return out
}

// ofChannelTeam selects the Slack series of channels the catalog maps to
// team (every channel for all teams).
func (f *figures) ofChannelTeam(team string) match {
	return func(m *dto.Metric) bool {
		return team == AllTeams || f.channelTeam[[2]string{label(m, metrics.CollectorLabel), label(m, "channel")}] == team
	}
}

func (w windowFigure) row(cur, prev *figures) Row {
	r := Row{ID: w.id, Label: w.label, Note: w.note, Better: w.better}
	historical := true
	for _, fam := range w.reads {
		historical = historical && fam.Historical
	}
	num, den := w.measure(cur)
	var pnum, pden perWindow
	if prev != nil && historical {
		pnum, pden = w.measure(prev)
	}
	for _, win := range window.All {
		c := w.cell(num[win.Label], den, win.Label)
		if pnum != nil {
			p := w.cell(pnum[win.Label], pden, win.Label)
			c.Change = change(c, p, w.kind, w.better)
		}
		r.Windows = append(r.Windows, c)
	}
	return r
}

func (w windowFigure) cell(num float64, den perWindow, win string) Cell {
	d := 0.0
	if den != nil {
		d = den[win]
	}
	c := Cell{Value: num, Known: true}
	if den != nil && !w.sumOnly {
		if d == 0 {
			c = Cell{Known: false}
		} else {
			c.Value = num / d
		}
	}
	c.Text = format(c.Value, c.Known, w.kind)
	if w.detail != nil {
		c.Detail = w.detail(num, d)
	}
	return c
}

func (n nowFigure) row(cur *figures) (Row, bool) {
	num, den, ok := n.measure(cur)
	if !ok {
		return Row{}, false
	}
	c := Cell{Value: num, Known: true}
	if n.kind == ratio {
		if den == 0 {
			c = Cell{Known: false}
		} else {
			c.Value = num / den
		}
	}
	c.Text = format(c.Value, c.Known, n.kind)
	if n.detail != nil {
		c.Detail = n.detail(num, den)
	}
	return Row{ID: n.id, Label: n.label, Note: n.note, Now: &c}, true
}

// championRow is the share of teams with an active champion, or for one
// team its active champions.
func championRow(team string, goal float64) nowFigure {
	if team != AllTeams {
		return nowFigure{
			id: "champions", label: "Active champions", kind: count,
			measure: func(f *figures) (float64, float64, bool) {
				return f.sum(metrics.ChampionsActive, ofTeam(team)), 0, len(f.metricsOf(metrics.ChampionsActive)) > 0
			},
		}
	}
	return nowFigure{
		id: "champions", label: "Champion coverage", kind: ratio, note: join("teams with an active champion", target(goal)),
		measure: func(f *figures) (float64, float64, bool) {
			active := map[string]float64{}
			for _, m := range f.metricsOf(metrics.ChampionsActive) {
				active[label(m, "team")] += value(m)
			}
			covered := 0.0
			for _, n := range active {
				if n > 0 {
					covered++
				}
			}
			return covered, float64(len(active)), len(active) > 0
		},
		detail: func(num, den float64) string {
			return fmt.Sprintf("%s of %s", formatCount(num), plural(den, "team", "teams"))
		},
	}
}

// addSLO adds the share of SLOs meeting their objective: an SLO (service,
// slo, per collector) meets it when its attainment is at least its
// objective. A service's team is its owner in the catalog.
func addSLO(out *[]Row, cur, prev *figures, team string, fams SLOFamilies) {
	if len(cur.metricsOf(fams.Attainment)) == 0 {
		return
	}
	measure := func(f *figures) (num, den perWindow) {
		num, den = perWindow{}, perWindow{}
		objective := map[string]float64{}
		for _, m := range f.metricsOf(fams.Objective) {
			objective[sloKey(m)] = value(m)
		}
		for _, m := range f.metricsOf(fams.Attainment) {
			if team != AllTeams && f.serviceTeam[label(m, "service")] != team {
				continue
			}
			obj, ok := objective[sloKey(m)]
			if !ok {
				continue
			}
			w := label(m, metrics.WindowLabel)
			den[w]++
			if value(m) >= obj {
				num[w]++
			}
		}
		return num, den
	}
	detail := func(num, den float64) string {
		return fmt.Sprintf("%s of %s met", formatCount(num), plural(den, "SLO", "SLOs"))
	}
	if !fams.Attainment.HasLabel(metrics.WindowLabel) {
		r, _ := nowFigure{id: "slo", label: "SLOs meeting their objective", kind: ratio, detail: detail,
			measure: func(f *figures) (float64, float64, bool) {
				num, den := measure(f)
				return num[""], den[""], true
			}}.row(cur)
		*out = append(*out, r)
		return
	}
	*out = append(*out, windowFigure{
		id: "slo", label: "SLOs meeting their objective", kind: ratio,
		reads:   []*metrics.Family{fams.Attainment, fams.Objective},
		measure: measure, detail: detail,
	}.row(cur, prev))
}

func sloKey(m *dto.Metric) string {
	return label(m, metrics.CollectorLabel) + "\xff" + label(m, "service") + "\xff" + label(m, "slo") + "\xff" + label(m, metrics.WindowLabel)
}

func target(goal float64) string {
	if goal <= 0 {
		return ""
	}
	return "target " + formatDecimal(goal*100) + "%"
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// severityPlan is how common a severity is and how long its incidents take
// at the start of the period (medians; the spread gives the long tail).
type severityPlan struct {
	name           string
	weight         int
	ackMinutes     float64
	resolveHours   float64
	needPostmortem bool
	// waitsOnOthers is the share that waits days on a vendor or another
	// team: the long tail, and the incidents still open at the end.
	waitsOnOthers float64
}

var severityPlans = []severityPlan{
	{"sev1", 4, 3, 2, true, 0},
	{"sev2", 14, 6, 3, true, 0},
	{"sev3", 42, 15, 5, false, 0.02},
	{"sev4", 40, 40, 10, false, 0.04},
}

var incidentTitles = []string{
	"%s: elevated 5xx error rate",
	"%s: p99 latency above SLO",
	"%s: pods in crash loop after deploy",
	"%s: database connection pool exhausted",
	"%s: TLS certificate expired",
	"%s: queue backlog growing",
	"%s: DNS resolution failures",
	"%s: disk pressure on nodes",
	"%s: upstream provider timeouts",
	"%s: memory leak causing restarts",
	"%s: config change caused partial outage",
	"%s: rate limiting rejecting valid traffic",
}

// Wiki is where the demo's postmortems live; example.com never resolves to
// a real wiki.
const postmortemURL = "https://wiki.example.com/display/SRE/Postmortem+%s"

type incident struct {
	title                          string
	severity                       severityPlan
	service                        service
	opened, acknowledged, resolved time.Time // zero = not yet
	postmortem                     bool
}

// incidentsTable draws 15-30 incidents a month, slowly fewer as prevention
// work lands, with acknowledgement and resolution times that shrink over
// the months: the MTTR story. The period ends mid-shift, with a few
// incidents still open.
func incidentsTable(o *org, c clock) table {
	r := newRand("incidents")
	d := incidentDraw{r: r, o: o, c: c}
	for _, s := range severityPlans {
		d.severityTotal += s.weight
	}
	for _, s := range o.services {
		d.serviceTotal += s.weight
	}
	var all []incident
	// Month by month rather than day by day keeps every full month inside
	// 15-30 while still varying; partial months get their share.
	for m := time.Date(c.start.Year(), c.start.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(c.lastDay); m = m.AddDate(0, 1, 0) {
		first, last := m, m.AddDate(0, 1, -1)
		monthDays := float64(last.Day())
		first, last = maxTime(first, c.start), minTime(last, c.lastDay.AddDate(0, 0, -1))
		if last.Before(first) {
			continue
		}
		covered := last.Sub(first).Hours()/24 + 1
		mid := first.Add(last.Sub(first) / 2)
		target := (27 - 10*c.progress(mid)) * covered / monthDays
		n := max(0, int(math.Round(target+1.5*r.NormFloat64()*covered/monthDays)))
		for range n {
			day := first.AddDate(0, 0, r.IntN(int(covered)))
			all = append(all, d.draw(day.Add(timeOfDay(r)), pickSeverity(r, d.severityTotal)))
		}
	}
	// The period ends mid-shift: one incident parked on a vendor since
	// yesterday, two being worked on and one not yet acknowledged.
	for _, now := range []struct {
		before       time.Duration
		severity     string
		acknowledged bool
	}{{30 * time.Hour, "sev3", true}, {5 * time.Hour, "sev4", true}, {2 * time.Hour, "sev2", true}, {20 * time.Minute, "sev4", false}} {
		opened := c.end.Add(-now.before + time.Duration(r.IntN(600))*time.Second)
		in := d.draw(opened, severityNamed(now.severity))
		in.resolved, in.postmortem = time.Time{}, false
		if !now.acknowledged {
			in.acknowledged = time.Time{}
		} else if in.acknowledged.IsZero() {
			in.acknowledged = opened.Add(3 * time.Minute)
		}
		all = append(all, in)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].opened.Before(all[j].opened) })
	tb := table{header: []string{"id", "title", "severity", "service", "team", "opened", "acknowledged", "resolved", "postmortem"}}
	for i, in := range all {
		id := fmt.Sprintf("INC-%d", 1001+i)
		acknowledged, resolved, postmortem := "", "", ""
		if !in.acknowledged.IsZero() {
			acknowledged = timestamp(in.acknowledged)
		}
		if !in.resolved.IsZero() {
			resolved = timestamp(in.resolved)
		}
		if in.postmortem {
			postmortem = fmt.Sprintf(postmortemURL, id)
		}
		tb.rows = append(tb.rows, []string{
			id, in.title, in.severity.name, serviceCell(r, in.service), teamCell(r, o.team(in.service.team)),
			timestamp(in.opened), acknowledged, resolved, postmortem,
		})
	}
	return tb
}

// incidentDraw draws incidents with their severities, services and times.
type incidentDraw struct {
	r                           *rand.Rand
	o                           *org
	c                           clock
	severityTotal, serviceTotal int
}

// draw makes one incident opened at opened. Times to acknowledge and resolve
// shrink over the period; what has not happened by the end stays empty.
func (d incidentDraw) draw(opened time.Time, sev severityPlan) incident {
	r, c := d.r, d.c
	p := c.progress(opened)
	in := incident{
		severity: sev,
		service:  weighted(r, d.o.services, d.serviceTotal, func(s service) int { return s.weight }),
		opened:   opened.Truncate(time.Second),
	}
	in.title = fmt.Sprintf(pick(r, incidentTitles), in.service.display)
	// Faster paging and better runbooks: acknowledgement 35% and
	// resolution 60% quicker by the end of the period.
	ackMinutes := math.Max(0.5, logNormal(r, sev.ackMinutes*(1-0.35*p), 0.7))
	fixHours := logNormal(r, sev.resolveHours*(1-0.6*p), 0.7)
	if chance(r, sev.waitsOnOthers) {
		// Parked until a vendor or another team ships a fix: days.
		fixHours = logNormal(r, 48*(1-0.5*p), 0.4)
	}
	ack := time.Duration(ackMinutes * float64(time.Minute)).Truncate(time.Second)
	fix := time.Duration(math.Min(7*24, fixHours) * float64(time.Hour)).Truncate(time.Second)
	fix = max(fix, ack+5*time.Minute)
	if a := in.opened.Add(ack); !a.After(c.end) {
		in.acknowledged = a
	}
	if f := in.opened.Add(fix); !f.After(c.end) {
		in.resolved = f
	}
	// Postmortems for sev1/sev2 take a few days to publish; now and then
	// one is never written (the format checks of the demo find those).
	if sev.needPostmortem && !in.resolved.IsZero() {
		in.postmortem = c.end.Sub(in.resolved) > 3*24*time.Hour && !chance(r, 0.2)
	}
	return in
}

func pickSeverity(r *rand.Rand, total int) severityPlan {
	return weighted(r, severityPlans, total, func(s severityPlan) int { return s.weight })
}

func severityNamed(name string) severityPlan {
	for _, s := range severityPlans {
		if s.name == name {
			return s
		}
	}
	panic("demo: no severity " + name) // only reachable through a typo in this package
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// timeOfDay is when in a day an incident opens: mostly working hours, when
// changes ship, otherwise any time.
func timeOfDay(r *rand.Rand) time.Duration {
	if chance(r, 0.7) {
		return 8*time.Hour + time.Duration(r.Int64N(int64(11*time.Hour/time.Second)))*time.Second
	}
	return time.Duration(r.Int64N(int64(24*time.Hour/time.Second))) * time.Second
}

// weighted picks an item with probability weight/total.
func weighted[T any](r *rand.Rand, items []T, total int, weight func(T) int) T {
	n := r.IntN(total)
	for _, it := range items {
		if n < weight(it) {
			return it
		}
		n -= weight(it)
	}
	return items[len(items)-1]
}
